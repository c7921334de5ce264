"""One session with Debian's python3-websockets, logged the way a test run
logs it: a timestamped line with the exception a client saw, so triage can
read it beside the server's log and the probe's traces.

usage: e2e_client.py URL [HEADER: VALUE ...]
"""
import asyncio
import datetime
import json
import sys

import websockets


def log(level, text):
    now = datetime.datetime.now(datetime.timezone.utc)
    print("%s %s tests.e2e.client - %s" % (now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), level, text),
          flush=True)


async def session(url, headers):
    try:
        async with websockets.connect(url, extra_headers=headers, open_timeout=5,
                                      close_timeout=2) as ws:
            welcome = json.loads(await asyncio.wait_for(ws.recv(), 5))
            await ws.send(json.dumps({"type": "ping"}))
            pong = json.loads(await asyncio.wait_for(ws.recv(), 5))
            log("INFO", "session ok: %s then %s" % (welcome.get("type"), pong.get("type")))
    except websockets.exceptions.InvalidStatusCode as e:
        log("ERROR", "%s: %s" % (type(e).__name__, e))
    except websockets.exceptions.ConnectionClosed as e:
        log("ERROR", "websockets.exceptions.%s: %s" % (type(e).__name__, e))
    except (asyncio.TimeoutError, OSError) as e:
        log("ERROR", "client gave up: %s" % (type(e).__name__,))


def main():
    headers = [tuple(h.split(":", 1)) for h in sys.argv[2:]]
    headers = [(k.strip(), v.strip()) for k, v in headers]
    asyncio.run(asyncio.wait_for(session(sys.argv[1], headers), 20))


if __name__ == "__main__":
    main()
