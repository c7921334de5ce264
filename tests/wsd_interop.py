#!/usr/bin/python3
"""logwhy-wsd against a real third-party client: Debian's python3-websockets.

Usage: wsd_interop.py WSD_BINARY TMPDIR. Reuses the server harness of
wsd_conformance.py. Last line: "N passed, N failed".
"""

import asyncio
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsd_conformance as wc  # noqa: E402

try:
    import websockets
    from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
except ImportError:
    websockets = None

TIMEOUT = 5
cases = []


def case(fn):
    cases.append(fn)
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
async def healthy_session(_):
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
            wc.check(got == ["agent_started", "agent_thinking", "tool_executing",
                             "tool_completed", "agent_completed"], "events %r" % got)
            await ws.send(b"\x01\x02")
            wc.check(await asyncio.wait_for(ws.recv(), TIMEOUT) == b"\x01\x02", "binary echo")
            await ws.send("x" * 300000)
            wc.check(len(await asyncio.wait_for(ws.recv(), TIMEOUT)) == 300000, "big echo")
        wc.check(ws.close_code == 1000, "close code %r" % ws.close_code)
    finally:
        s.stop()


@case
async def enum_log_1011(_):
    s = wc.Server("--fault", "enum-log")
    try:
        await expect_closed(s, "received 1011 (internal error) Internal error; "
                               "then sent 1011 (internal error) Internal error")
    finally:
        s.stop()


@case
async def enum_log_safe_logging_healthy(_):
    s = wc.Server("--fault", "enum-log", "--safe-logging")
    try:
        async with websockets.connect(uri(s), open_timeout=TIMEOUT) as ws:
            wc.check((await recv_json(ws))["type"] == "connection_established", "welcome")
            await ws.send('{"type":"ping"}')
            wc.check(await recv_json(ws) == {"type": "pong"}, "pong")
    finally:
        s.stop()


@case
async def missing_service_1011(_):
    s = wc.Server("--fault", "missing-service")
    try:
        await expect_closed(s, "received 1011 (internal error) Service unavailable; "
                               "then sent 1011 (internal error) Service unavailable")
    finally:
        s.stop()


@case
async def startup_incomplete_1011(_):
    s = wc.Server("--fault", "startup-incomplete", "--startup-wait", "300")
    try:
        await expect_closed(s, "received 1011 (internal error) Service startup incomplete; "
                               "then sent 1011 (internal error) Service startup incomplete")
    finally:
        s.stop()


@case
async def e2e_env_1011_and_header_bypass(_):
    s = wc.Server("--fault", "e2e-env")
    try:
        await expect_closed(s, "received 1011 (internal error) Factory SSOT validation failed; "
                               "then sent 1011 (internal error) Factory SSOT validation failed")
        async with websockets.connect(uri(s), open_timeout=TIMEOUT,
                                      extra_headers={"X-E2E-Testing": "true"}) as ws:
            wc.check((await recv_json(ws))["type"] == "connection_established", "welcome")
    finally:
        s.stop()


@case
async def e2e_env_variable_healthy(_):
    s = wc.Server("--fault", "e2e-env", env={"E2E_TESTING": "1"})
    try:
        async with websockets.connect(uri(s), open_timeout=TIMEOUT) as ws:
            wc.check((await recv_json(ws))["type"] == "connection_established", "welcome")
    finally:
        s.stop()


@case
async def abort_1006(_):
    s = wc.Server("--fault", "abort")
    try:
        await expect_closed(s, "no close frame received or sent")
    finally:
        s.stop()


@case
async def server_shutdown_1001(_):
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
async def load_500_concurrent_sessions(_):
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


async def run():
    passed = failed = 0
    only = os.environ.get("WSD_CASE")
    for fn in cases:
        if only and only not in fn.__name__:
            continue
        try:
            await asyncio.wait_for(fn(None), 30)
            passed += 1
            print("ok   websockets/%s" % fn.__name__)
        except Exception as e:  # any client error is this case's failure
            failed += 1
            print("FAIL websockets/%s %s: %s" % (fn.__name__, type(e).__name__, e))
        sys.stdout.flush()
    return passed, failed


def main():
    wc.WSD = sys.argv[1] if len(sys.argv) > 1 else wc.WSD
    wc.TMP = sys.argv[2] if len(sys.argv) > 2 else wc.TMP
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(3))
    if websockets is None:
        print("FAIL python3-websockets is not installed (scripts/deps.sh installs it)")
        print("0 passed, 1 failed")
        return 1
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass
    try:
        passed, failed = asyncio.run(run())
    finally:
        wc.cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
