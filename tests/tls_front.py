#!/usr/bin/python3
"""A tiny TLS front for tests: accept TLS on 127.0.0.1, forward the bytes
to a plain TCP backend (logwhy-wsd), and back. Loopback only.

usage: tls_front.py CERT KEY BACKEND_PORT PORT_FILE [SECONDS]

Writes the port it listens on to PORT_FILE once it listens, serves until
SECONDS (default 60) have passed, then exits, so a test that dies cannot
leave it running. A client whose TLS handshake fails (a refused
certificate) is dropped; the front keeps serving.
"""
import os
import socket
import ssl
import sys
import threading
import time


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(conn, backend_port):
    try:
        back = socket.create_connection(("127.0.0.1", backend_port), timeout=10)
    except OSError:
        conn.close()
        return
    back.settimeout(None)
    conn.settimeout(None)
    t = threading.Thread(target=pump, args=(back, conn), daemon=True)
    t.start()
    pump(conn, back)
    t.join(10)
    conn.close()
    back.close()


def main():
    cert, key, backend, port_file = sys.argv[1:5]
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 60.0
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(16)
    lsock.settimeout(0.2)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(lsock.getsockname()[1]))
    os.rename(tmp, port_file)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            raw, _ = lsock.accept()
        except socket.timeout:
            continue
        raw.settimeout(10)
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            continue
        threading.Thread(target=serve, args=(conn, int(backend)), daemon=True).start()


if __name__ == "__main__":
    main()
