"""Shared by the real-client suites (wsd_clients.py, wsd_browser.py): the
subprotocols offered and chosen, and the check that logwhy triage of the
server's log plus the clients' own output names each fault's class
(wsd_testlib.FAULTS).
Imported, not run. Stdlib only.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsd_testlib as wc  # noqa: E402

LOGWHY = os.environ.get("LOGWHY", os.path.abspath("build/logwhy"))
# the server answers the first of these a client offers (RFC 6455 4.2.2);
# clients offer OFFER, so a server that ignored the order would answer "chat"
SERVER_PROTOCOLS = ["chat", "graphql-ws"]
OFFER = ["x-unknown", "graphql-ws", "chat"]
CHOSEN = "graphql-ws"

def server(args):
    """A logwhy-wsd with SERVER_PROTOCOLS and args (wsd_testlib.Server)."""
    extra = []
    for p in SERVER_PROTOCOLS:
        extra += ["--subprotocol", p]
    return wc.Server(*(extra + list(args)))


def url(srv):
    return "ws://127.0.0.1:%d/ws" % srv.port


def chosen_in_log(text):
    """Subprotocols the server says it chose, in order."""
    out = []
    for line in text.splitlines():
        try:
            msg = json.loads(line).get("message", "")
        except ValueError:
            continue
        if msg.startswith("WebSocket subprotocol ") and " chosen " in msg:
            out.append(msg.split()[2])
    return out


def triage(paths):
    """logwhy triage --output json over paths; the report as a dict."""
    r = subprocess.run([LOGWHY, "triage", "--output", "json"] + list(paths),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    wc.check(r.returncode == 0, "triage exit %d: %s" % (r.returncode, r.stderr[-300:]))
    return json.loads(r.stdout)


def symptom(rep, rule):
    for s in rep["symptoms"]:
        if s["rule"] == rule:
            return s
    return {"count": 0, "explained": 0, "unexplained": 0}


def check_verdict(rep, want, code, what):
    """The verdict's category is want ("none": no verdict); for a 1011
    fault every 1011 is explained, and at least min_client of them came
    from the clients (they are counted beside the server's)."""
    got = (rep.get("verdict") or {}).get("category") or "none"
    wc.check(got == want, "%s: verdict %s, want %s" % (what, got, want))
    s = symptom(rep, "ws.close-1011")
    if code == 1011:
        wc.check(s["count"] > 0 and s["explained"] == s["count"],
                 "%s: 1011s explained %d of %d" % (what, s["explained"], s["count"]))
    else:
        wc.check(s["count"] == 0, "%s: %d 1011 symptoms, want none" % (what, s["count"]))
    return s
