#!/usr/bin/python3
"""logwhy-wsd against two echo servers people use, in the same run with the
same client: npm's ws (tests/node, `npm ci` there first) and python3
websockets' own server, each in its own process.

usage: bench/wsd.py WSD_BINARY [SECONDS]   (run by bench/wsd.sh)

For each server: handshakes/s (connect, upgrade, close frame, wait for
the server's close and FIN) and echo round trips/s (one connection, a 32-byte masked text
frame, wait for the echo), each for SECONDS, and the server's CPU time
(user + system, from /proc/PID/stat) per operation: the client is one
Python thread and is often the bottleneck, so CPU per operation is the
figure that compares the servers. Prints a table; exit 2 when a server
could not run.
"""

import base64
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HOST = "127.0.0.1"
KEY = base64.b64encode(b"0123456789abcdef").decode()
REQUEST = ("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (HOST, KEY)).encode()

NODE_ECHO = r"""
const { WebSocketServer } = require(process.argv[1]);
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('listening', () => console.log(wss.address().port));
wss.on('connection', (ws) => {
  ws.on('message', (data, binary) => ws.send(data, { binary }));
  ws.on('error', () => {});
});
"""

PY_ECHO = r"""
import asyncio, websockets
async def echo(ws, path=None):
    try:
        async for m in ws:
            await ws.send(m)
    except websockets.exceptions.ConnectionClosed:
        pass
async def main():
    async with websockets.serve(echo, "127.0.0.1", 0) as srv:
        print(srv.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
"""


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_until(s, buf, pred):
    while not pred(buf):
        d = s.recv(65536)
        if not d:
            raise OSError("server closed the connection")
        buf += d
    return buf


def masked(payload):
    mask = b"\x01\x02\x03\x04"
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + body


CLOSE = struct.pack("!BB", 0x88, 0x82) + b"\x01\x02\x03\x04" + bytes(
    b ^ m for b, m in zip(struct.pack("!H", 1000), b"\x01\x02"))


def handshakes(port, secs):
    """Whole connections, as a well-behaved client makes them: upgrade,
    close frame, wait for the server to end TCP (an abrupt drop would
    send every server down its error path instead)."""
    n, end = 0, time.time() + secs
    while time.time() < end:
        s = socket.create_connection((HOST, port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(REQUEST)
        read_until(s, b"", lambda b: b"\r\n\r\n" in b)
        s.sendall(CLOSE)
        while s.recv(65536):
            pass
        s.close()
        n += 1
    return n


def frame_len(b):
    """Bytes of the first complete unmasked frame in b, or 0."""
    if len(b) < 2:
        return 0
    n = b[1] & 0x7f
    h = 2
    if n == 126:
        if len(b) < 4:
            return 0
        n, h = struct.unpack("!H", b[2:4])[0], 4
    elif n == 127:
        if len(b) < 10:
            return 0
        n, h = struct.unpack("!Q", b[2:10])[0], 10
    return h + n if len(b) >= h + n else 0


def round_trips(port, secs, skip_first):
    s = socket.create_connection((HOST, port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(REQUEST)
    buf = read_until(s, b"", lambda b: b"\r\n\r\n" in b)
    buf = buf.split(b"\r\n\r\n", 1)[1]
    if skip_first:             # logwhy-wsd's welcome message
        buf = read_until(s, buf, frame_len)
        buf = buf[frame_len(buf):]
    f = masked(b"x" * 32)
    n, end = 0, time.time() + secs
    while time.time() < end:
        s.sendall(f)
        buf = read_until(s, buf, frame_len)
        buf = buf[frame_len(buf):]
        n += 1
    s.close()
    return n


def start(argv, port_from):
    """A server process; its port from port_from(proc)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        return p, port_from(p)
    except (ValueError, OSError):
        p.kill()
        p.wait()
        raise


def measure(name, proc, port, secs, skip_first):
    # warm up (node's JIT, python's first connections) before counting
    handshakes(port, min(0.5, secs / 4))
    round_trips(port, min(0.5, secs / 4), skip_first)
    c0 = cpu_s(proc.pid)
    t0 = time.time()
    hs = handshakes(port, secs)
    t1 = time.time()
    c1 = cpu_s(proc.pid)
    rt = round_trips(port, secs, skip_first)
    t2 = time.time()
    c2 = cpu_s(proc.pid)
    return {"name": name, "hs": hs / (t1 - t0), "hs_cpu": (c1 - c0) / max(hs, 1) * 1e6,
            "rt": rt / (t2 - t1), "rt_cpu": (c2 - c1) / max(rt, 1) * 1e6}


def main():
    wsd = sys.argv[1]
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    tmp = tempfile.mkdtemp(prefix="wsd-bench.")
    port_file = os.path.join(tmp, "port")
    ws_mod = os.path.join(ROOT, "tests", "node", "node_modules", "ws")
    servers = [
        ("logwhy-wsd", [wsd, "--port", "0", "--port-file", port_file, "--log", "json"],
         None, True),
        ("node ws %s" % ws_version(ws_mod), ["node", "-e", NODE_ECHO, ws_mod], "stdout", False),
        ("python websockets", ["/usr/bin/python3", "-c", PY_ECHO], "stdout", False),
    ]
    rows, failed = [], 0
    for name, argv, how, skip in servers:
        if how is None:
            # logwhy-wsd's log goes to a file: its own cost is counted
            argv = argv[:]
            log = open(os.path.join(tmp, "wsd.log"), "wb")

            def port_from(p):
                end = time.time() + 10
                while time.time() < end:
                    try:
                        with open(port_file) as f:
                            return int(f.read())
                    except (OSError, ValueError):
                        time.sleep(0.02)
                raise ValueError("no port file")
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            try:
                port = port_from(proc)
            except ValueError:
                proc.kill()
                proc.wait()
                print("bench: %s did not start" % name, file=sys.stderr)
                failed = 1
                continue
        else:
            try:
                proc, port = start(argv, lambda p: int(p.stdout.readline()))
            except (ValueError, OSError) as e:
                print("bench: %s did not start: %s" % (name, e), file=sys.stderr)
                failed = 1
                continue
        try:
            rows.append(measure(name, proc, port, secs, skip))
        except OSError as e:
            print("bench: %s: %s" % (name, e), file=sys.stderr)
            failed = 1
        finally:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    print("\nlogwhy-wsd bench: %gs per figure, one Python client thread, loopback\n" % secs)
    print("  %-22s %12s %14s %12s %14s" % ("server", "handshakes/s", "CPU us/hshake",
                                           "echo rt/s", "CPU us/rt"))
    for r in rows:
        print("  %-22s %12.0f %14.1f %12.0f %14.1f" % (r["name"], r["hs"], r["hs_cpu"], r["rt"],
                                                      r["rt_cpu"]))
    if rows and rows[0]["name"] == "logwhy-wsd":
        base = rows[0]
        print("\n  server CPU per operation, relative to logwhy-wsd (higher: logwhy-wsd cheaper):")
        for r in rows[1:]:
            print("  %-22s handshake x%.1f   echo round trip x%.1f" % (
                r["name"], r["hs_cpu"] / max(base["hs_cpu"], 1e-9),
                r["rt_cpu"] / max(base["rt_cpu"], 1e-9)))
    print("  (CPU from /proc/PID/stat in clock ticks: short runs are coarse)")
    return 2 if failed else 0


def ws_version(mod):
    try:
        import json
        with open(os.path.join(mod, "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return "?"


if __name__ == "__main__":
    sys.exit(main())
