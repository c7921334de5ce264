#!/usr/bin/python3
"""logwhy-wsd with clients nobody here wrote, against every --fault: wscat
(npm, in a pseudo-terminal as a user runs it), Node's built-in WebSocket,
python3-websockets (the library, and its `python3 -m websockets` CLI).

usage: wsd_clients.py WSD_BINARY TMPDIR   (LOGWHY: the logwhy binary)

For each fault: every client that can offer subprotocols offers
x-unknown, graphql-ws, chat and gets graphql-ws (the server lists chat
first); each sees the fault's close code and reason in its own wording;
logwhy triage of the server's log plus the clients' output names the
fault's class with every 1011 explained, and the server's log with the
wscat output alone too (wscat's close has no time: matched by code and
reason). Then --require-subprotocol refuses a client offering none, and
a full server's 503 is explained by its connection limit. Last line:
"N passed, N failed".
"""

import asyncio
import os
import pty
import select
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsd_testlib as wc  # noqa: E402
import wsd_real as real  # noqa: E402

import websockets  # noqa: E402
import websockets.exceptions  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TMP = wc.TMP
WSCAT = os.path.join(HERE, "node", "node_modules", "wscat", "bin", "wscat")
BUILTIN = os.path.join(HERE, "node", "wsd_builtin_client.js")
PY = "/usr/bin/python3"
LIMIT = 10        # seconds any one client may take


def run_pty(argv, stdin_text=None):
    """Run argv with a pseudo-terminal as its stdin/stdout/stderr, as a
    user's terminal would be; its whole output, escapes included."""
    m, s = pty.openpty()
    p = subprocess.Popen(argv, stdin=s, stdout=s, stderr=s, close_fds=True,
                         start_new_session=True)
    os.close(s)
    out = b""
    end = time.time() + LIMIT
    try:
        if stdin_text:
            os.write(m, stdin_text)
        while time.time() < end:
            r, _, _ = select.select([m], [], [], 0.1)
            if r:
                try:
                    d = os.read(m, 65536)
                except OSError:       # EIO: the child closed the terminal
                    break
                if not d:
                    break
                out += d
            elif p.poll() is not None:
                break
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(5)
        os.close(m)
    return out.decode("utf-8", "replace")


def run(argv, stdin_text=b"", hold=0.0):
    """Run argv with a pipe for stdin, held open hold seconds after
    stdin_text (a CLI that ends when its input ends)."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if stdin_text:
            p.stdin.write(stdin_text)
            p.stdin.flush()
        end = time.time() + hold
        while time.time() < end and p.poll() is None:
            time.sleep(0.02)
        p.stdin.close()
        p.stdin = None              # communicate() must not flush it again
        out, _ = p.communicate(timeout=LIMIT)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    return out.decode("utf-8", "replace")


def wscat(srv, fault):
    argv = ["node", WSCAT, "-c", real.url(srv)]
    for p in real.OFFER:
        argv += ["-s", p]
    if fault == "none":
        argv += ["-x", '{"type":"ping"}', "-w", "1"]
    return run_pty(argv)


def builtin(srv):
    return run(["node", "--experimental-websocket", BUILTIN, real.url(srv)] + real.OFFER)


def py_lib(srv):
    """A python3-websockets user's script: its output and the chosen
    subprotocol. A failure ends in the exception's last traceback line."""
    async def go():
        lines = []
        try:
            async with websockets.connect(real.url(srv), subprotocols=real.OFFER,
                                          open_timeout=LIMIT) as ws:
                lines.append("subprotocol %s" % ws.subprotocol)
                while True:
                    m = await asyncio.wait_for(ws.recv(), LIMIT)
                    lines.append("< %s" % m)
                    if '"connection_established"' in m:
                        await ws.send('{"type":"ping"}')
                    elif '"pong"' in m:
                        await ws.close()
        except websockets.exceptions.ConnectionClosedOK:
            lines.append("closed normally")
        except websockets.exceptions.ConnectionClosed as e:
            lines.append("websockets.exceptions.%s: %s" % (type(e).__name__, e))
        return "\n".join(lines) + "\n"
    return asyncio.run(asyncio.wait_for(go(), LIMIT + 2))


def py_cli(srv, fault):
    if fault == "none":
        return run([PY, "-m", "websockets", real.url(srv)], b'{"type":"ping"}\n', 1.0)
    return run([PY, "-m", "websockets", real.url(srv)], b"", 3.0)


def save(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def fault_case(name, args, code, reason, want):
    srv = real.server(args)
    try:
        outs = {"wscat": wscat(srv, name), "node": builtin(srv), "python": py_lib(srv),
                "python-cli": py_cli(srv, name)}
    finally:
        rc = srv.stop(timeout=10)
    wc.check(rc == 0, "server exit %r" % rc)
    log = srv.log_path
    chosen = real.chosen_in_log(open(log).read())
    wc.check(chosen == [real.CHOSEN] * 3,
             "subprotocols chosen for wscat, node, python: %r, want 3 x %s" % (chosen, real.CHOSEN))
    wc.check("subprotocol %s" % real.CHOSEN in outs["python"], "python: %r" % outs["python"])
    wc.check('open "%s"' % real.CHOSEN in outs["node"], "node: %r" % outs["node"])
    # each client's own wording of the close
    if name == "none":
        want_text = {"wscat": '{"type":"pong"}', "node": "code: 1000, reason: 'done'",
                     "python": "closed normally", "python-cli": '< {"type":"pong"}'}
    elif code == 1006:
        want_text = {"wscat": 'Disconnected (code: 1006, reason: "")',
                     "node": "wasClean: false, code: 1006, reason: ''",
                     "python": "no close frame received or sent",
                     "python-cli": "Connection closed: 1006 (connection closed abnormally "
                                   "[internal])."}
    else:
        want_text = {"wscat": 'Disconnected (code: %d, reason: "%s")' % (code, reason),
                     "node": "wasClean: true, code: %d, reason: '%s'" % (code, reason),
                     "python": "received %d (unexpected error) %s" % (code, reason),
                     "python-cli": "Connection closed: %d (unexpected error) %s." % (code, reason)}
    for c, text in want_text.items():
        wc.check(text in outs[c], "%s: no %r in %r" % (c, text, outs[c][-300:]))
    paths = [save("%s.%s.txt" % (name, c), o) for c, o in sorted(outs.items())]
    rep = real.triage([log] + paths)
    s = real.check_verdict(rep, want, code, name + ", server log + 4 clients")
    if code == 1011:
        # the server's close (log) + wscat, node, python, CLI: 5 at least
        wc.check(s["count"] >= 5, "%s: only %d 1011s read" % (name, s["count"]))
        solo = real.triage([log, save("%s.wscat-only.txt" % name, outs["wscat"])])
        s2 = real.check_verdict(solo, want, code, name + ", server log + wscat")
        wc.check(s2.get("matched_by_code_and_reason", 0) >= 1,
                 "%s: wscat's close not matched by code and reason: %r" % (name, s2))
    if code == 1006:
        s = real.symptom(rep, "ws.close-1006")
        # the server's abort line for each connection, and each client's 1006
        wc.check(s["count"] >= 8, "abort: %d 1006 symptoms, want >= 8" % s["count"])
    return "%s: %s" % (name, ", ".join("%s ok" % c for c in sorted(outs)))


def require_case():
    srv = real.server(["--require-subprotocol"])
    try:
        out = wscat(srv, "none")        # offers graphql-ws: accepted
        async def refused():
            try:
                async with websockets.connect(real.url(srv), subprotocols=["x-unknown"]):
                    return "accepted"
            except websockets.exceptions.InvalidStatusCode as e:
                return str(e)
        r = asyncio.run(asyncio.wait_for(refused(), LIMIT))
        bare = run(["node", "--experimental-websocket", BUILTIN, real.url(srv)])
    finally:
        srv.stop(timeout=10)
    text = open(srv.log_path).read()
    wc.check('{"type":"pong"}' in out, "wscat with graphql-ws: %r" % out[-200:])
    wc.check(r.endswith("HTTP 400"), "python offering x-unknown: %r" % r)
    wc.check("non-101 status" in bare,
             "node offering nothing: %r" % bare[-200:])
    for offered in ("[x-unknown]", "[]"):
        want = "400 no supported WebSocket subprotocol: offered %s, supported [chat, graphql-ws]" \
            % offered
        wc.check(want in text, "log has no %r" % want)
    return "--require-subprotocol: 400 naming offered and supported lists"


def limit_case():
    """A full server answers 503; its "connection limit reached" line
    explains the client's refused upgrade."""
    srv = real.server(["--max-connections", "1"])
    try:
        hold = wc.open_ws(srv.port)
        hold.welcome()
        out = py_cli(srv, "limit")
        hold.close()
    finally:
        srv.stop(timeout=10)
    wc.check("HTTP 503" in out, "python -m websockets at the limit: %r" % out[-200:])
    rep = real.triage([srv.log_path, save("limit.python-cli.txt", out)])
    got = (rep.get("verdict") or {}).get("rule")
    s = real.symptom(rep, "ws.handshake-http-5xx")
    wc.check(got == "capacity.connection-limit", "503 verdict %r, want capacity.connection-limit"
             % got)
    wc.check(s["count"] >= 1 and s["explained"] == s["count"],
             "503 symptoms explained %d of %d" % (s["explained"], s["count"]))
    return "connection limit: 503 explained by the server's limit line"


def main():
    cases = [(f[0], (lambda f=f: fault_case(*f))) for f in wc.FAULTS]
    cases += [("require-subprotocol", require_case), ("connection-limit", limit_case)]
    return wc.run_suite(cases, 170, width=22, errors=(
        asyncio.TimeoutError, subprocess.SubprocessError,
        websockets.exceptions.WebSocketException))


if __name__ == "__main__":
    socket.setdefaulttimeout(LIMIT)
    sys.exit(main())
