"""A bounded load on logwhy-wsd with python3-websockets: N concurrent
sessions, each welcome -> chat (five agent events) -> 1000-byte echo ->
close. Prints "ok K of N"; exits 0 only when every session succeeded.

usage: wsd_load.py URL N
"""
import asyncio
import json
import os
import sys
import time

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsd_testlib import CHAT_TYPES  # noqa: E402


async def session(url, i):
    async with websockets.connect(url, open_timeout=60, close_timeout=30) as ws:
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 60))
        assert welcome["type"] == "connection_established", welcome
        await ws.send(json.dumps({"type": "chat", "text": "hello %d" % i}))
        events = [json.loads(await asyncio.wait_for(ws.recv(), 60))["type"] for _ in range(5)]
        assert events == CHAT_TYPES, events
        await ws.send("x" * 1000)
        assert await asyncio.wait_for(ws.recv(), 60) == "x" * 1000
    return True


async def main(url, n):
    start = time.time()
    results = await asyncio.gather(*[session(url, i) for i in range(n)], return_exceptions=True)
    good = sum(1 for r in results if r is True)
    print("ok %d of %d in %.1fs" % (good, n, time.time() - start))
    for r in [r for r in results if r is not True][:3]:
        print("  " + repr(r))
    return good == n


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(main(sys.argv[1], int(sys.argv[2]))) else 1)
