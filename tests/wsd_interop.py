#!/usr/bin/python3
"""logwhy-wsd against a real third-party client: Debian's python3-websockets.

Usage: wsd_interop.py WSD_BINARY TMPDIR. The harness is wsd_testlib.py; the
sessions that are data (a server's arguments, what the client must see)
are the SESSIONS table. Last line: "N passed, N failed".
"""

import asyncio
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsd_testlib as wc  # noqa: E402

try:
    import websockets
    from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
except ImportError:
    websockets = None

TIMEOUT = 5
cases = []


def case(fn):
    cases.append((fn.__name__, fn))
    return fn


def uri(server):
    return "ws://127.0.0.1:%d/ws" % server.port


async def recv_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


def same_trace(got, want):
    # websockets >= 11 names 1011 "internal error" (the wording of the real logs);
    # Debian's 10.x says "unexpected error". Both are the same close.
    return got == want or got == want.replace("(internal error)", "(unexpected error)")


async def expect_closed(server, want, headers=None):
    """Connect, then the first recv must raise ConnectionClosedError whose
    text is the real logs' 'received X ...; then sent X ...' line."""
    async with websockets.connect(uri(server), open_timeout=TIMEOUT, close_timeout=TIMEOUT,
                                  extra_headers=headers or {}) as ws:
        try:
            m = await asyncio.wait_for(ws.recv(), TIMEOUT)
        except ConnectionClosedError as e:
            wc.check(same_trace(str(e), want), "client saw %r, want %r" % (str(e), want))
            return
        raise wc.Fail("got a message instead of a close: %r" % m)


@case
async def healthy_session():
    s = wc.Server()
    try:
        async with websockets.connect(uri(s), open_timeout=TIMEOUT) as ws:
            w = await recv_json(ws)
            wc.check(w["type"] == "connection_established", "welcome %r" % w)
            await ws.send('{"type":"ping"}')
            wc.check(await recv_json(ws) == {"type": "pong"}, "pong")
            await asyncio.wait_for(await ws.ping(b"rtt"), TIMEOUT)
            await ws.send(json.dumps({"type": "chat", "message": "hello"}))
            got = [(await recv_json(ws))["type"] for _ in range(5)]
            wc.check(got == wc.CHAT_TYPES, "events %r" % got)
            await ws.send(b"\x01\x02")
            wc.check(await asyncio.wait_for(ws.recv(), TIMEOUT) == b"\x01\x02", "binary echo")
            await ws.send("x" * 300000)
            wc.check(len(await asyncio.wait_for(ws.recv(), TIMEOUT)) == 300000, "big echo")
        wc.check(ws.close_code == 1000, "close code %r" % ws.close_code)
    finally:
        s.stop()


def close_text(code, reason):
    """python3-websockets' ConnectionClosedError text for a close, the real
    logs' 'received X ...; then sent X ...' line."""
    if code == 1006:
        return "no close frame received or sent"
    return "received %d (internal error) %s; then sent %d (internal error) %s" % (
        code, reason, code, reason)


async def welcomed(server, headers):
    """A session that is welcomed and answers a ping."""
    async with websockets.connect(uri(server), open_timeout=TIMEOUT,
                                  extra_headers=headers) as ws:
        wc.check((await recv_json(ws))["type"] == "connection_established", "welcome")
        await ws.send('{"type":"ping"}')
        wc.check(await recv_json(ws) == {"type": "pong"}, "pong")


# name, server arguments, its environment, the client's extra headers, and
# what the client must see: "welcome" (a welcome, then a pong), or its
# close text for each fault's close (wsd_testlib.FAULTS)
SESSIONS = [
    ("%s_%d" % (name.replace("-", "_"), code), args, {}, {}, close_text(code, reason))
    for name, args, code, reason, _ in wc.FAULTS if code != 1000
] + [
    ("enum_log_safe_logging_healthy", ["--fault", "enum-log", "--safe-logging"], {}, {},
     "welcome"),
    ("e2e_env_header_bypass", ["--fault", "e2e-env"], {}, {"X-E2E-Testing": "true"},
     "welcome"),
    ("e2e_env_variable_healthy", ["--fault", "e2e-env"], {"E2E_TESTING": "1"}, {}, "welcome"),
]


def session(args, env, headers, want):
    async def run():
        s = wc.Server(*args, env=env)
        try:
            if want == "welcome":
                await welcomed(s, headers)
            else:
                await expect_closed(s, want, headers)
        finally:
            s.stop()
    return run


for row in SESSIONS:
    cases.append((row[0], session(*row[1:])))


@case
async def server_shutdown_1001():
    s = wc.Server()
    try:
        async with websockets.connect(uri(s), open_timeout=TIMEOUT) as ws:
            await recv_json(ws)
            s.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(ws.recv(), TIMEOUT)
                raise wc.Fail("no close")
            except ConnectionClosedOK as e:
                wc.check(e.rcvd.code == 1001, "close %r" % e)
        wc.check(s.proc.wait(5) == 0, "exit status")
    finally:
        s.stop()


@case
async def load_500_concurrent_sessions():
    s = wc.Server()
    try:
        async def session(i):
            async with websockets.connect(uri(s), open_timeout=15, close_timeout=15) as ws:
                await asyncio.wait_for(ws.recv(), 15)
                await ws.send('{"type":"ping"}')
                wc.check(json.loads(await asyncio.wait_for(ws.recv(), 15)) ==
                         {"type": "pong"}, "pong %d" % i)
                await ws.send("echo %d" % i)
                wc.check(await asyncio.wait_for(ws.recv(), 15) == "echo %d" % i, "echo")
            return ws.close_code
        codes = await asyncio.gather(*(session(i) for i in range(500)))
        wc.check(codes == [1000] * 500, "close codes %r" % set(codes))
    finally:
        s.stop()


def main():
    if websockets is None:
        print("FAIL python3-websockets is not installed (scripts/deps.sh installs it)")
        print("0 passed, 1 failed")
        return 1
    # any client error is its case's failure
    return wc.run_suite([("websockets/" + name, lambda fn=fn: asyncio.run(
        asyncio.wait_for(fn(), 30))) for name, fn in cases], 85, errors=(Exception,))


if __name__ == "__main__":
    sys.exit(main())
