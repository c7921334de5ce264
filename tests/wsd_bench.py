#!/usr/bin/python3
"""Handshakes/s and echo round-trips/s: logwhy-wsd against python websockets'
own server, measured with the same raw-socket client in the same run.
Not part of `make test` (numbers depend on the machine's load).
Usage: wsd_bench.py WSD_BINARY TMPDIR [SECONDS]
"""

import asyncio
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsd_conformance as wc  # noqa: E402

SECS = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0


def handshakes(port):
    n, end = 0, time.time() + SECS
    while time.time() < end:
        c = wc.WS(port)
        c.send(wc.request())
        while b"\r\n\r\n" not in c.buf:
            c.fill()
        c.close()
        n += 1
    return n / SECS


def round_trips(port, skip_welcome):
    c = wc.open_ws(port)
    if skip_welcome:
        c.welcome()
    f = wc.frame(1, b"x" * 32)
    n, end = 0, time.time() + SECS
    while time.time() < end:
        c.send(f)
        c.recv_msg()
        n += 1
    c.close()
    return n / SECS


def python_server():
    import websockets

    async def echo(ws, _path=None):
        # The bench client drops TCP without a close: not worth a traceback.
        try:
            async for m in ws:
                await ws.send(m)
        except websockets.exceptions.ConnectionClosed:
            pass

    ready = threading.Event()
    box = {}

    def run():
        async def main():
            async with websockets.serve(echo, "127.0.0.1", 0) as srv:
                box["port"] = srv.sockets[0].getsockname()[1]
                ready.set()
                await asyncio.Future()
        asyncio.run(main())
    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)
    return box["port"]


def main():
    wc.WSD, wc.TMP = sys.argv[1], sys.argv[2]
    try:
        s = wc.Server()
        hs_c, rt_c = handshakes(s.port), round_trips(s.port, True)
        s.stop()
    finally:
        wc.cleanup()
    # The python server runs in a thread of this process, sharing its CPU
    # with the client: run it in a child instead so both get a core.
    child = subprocess.Popen([sys.executable, "-c",
                              "import sys; sys.path.insert(0, %r); import wsd_bench as b; "
                              "print(b.python_server(), flush=True); import time; time.sleep(3600)"
                              % os.path.dirname(os.path.abspath(__file__))],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        port = int(child.stdout.readline())
        hs_p, rt_p = handshakes(port), round_trips(port, False)
    finally:
        child.kill()
        child.wait()
    print("logwhy-wsd:        %8.0f handshakes/s  %8.0f echo round-trips/s" % (hs_c, rt_c))
    print("python websockets: %8.0f handshakes/s  %8.0f echo round-trips/s" % (hs_p, rt_p))


if __name__ == "__main__":
    main()
