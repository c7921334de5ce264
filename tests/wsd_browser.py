#!/usr/bin/python3
"""Headless Chromium against logwhy-wsd, for every --fault, in real time.

usage: wsd_browser.py WSD_BINARY TMPDIR   (LOGWHY: the logwhy binary;
CHROMIUM: the browser, default /usr/bin/chromium)

Chromium is driven over --remote-debugging-pipe (the DevTools protocol on
fds 3 and 4, NUL-separated JSON) by the small client below: stdlib only,
no virtual time, so the server's timers (a close 63 ms after open) run as
they would for a user. A small page served over loopback opens
new WebSocket(url, ['x-unknown', 'graphql-ws', 'chat']) and logs what a
developer would: the protocol on open, each message, and the CloseEvent
itself. What the page's console and the browser's own log print is
written as DevTools shows it (CloseEvent {isTrusted: true, wasClean:
true, code: 1011, reason: '...', ...}), then `logwhy triage` reads it with
the server's log: the verdict must be the fault's class. Every browser
and server started here is stopped by pid. Last line: "N passed, N failed".
"""

import contextlib
import http.server
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wsd_testlib as wc  # noqa: E402
import wsd_real as real  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TMP = wc.TMP
PAGE_LIMIT = 15.0          # seconds for one page to report its close
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--remote-debugging-pipe"]

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>logwhy-wsd browser check</title>
<script>
const url = new URLSearchParams(location.search).get('ws');
const ws = new WebSocket(url, %s);
ws.onopen = () => console.log('WebSocket open, protocol ' + JSON.stringify(ws.protocol));
ws.onmessage = (e) => {
  console.log('message ' + e.data);
  const m = JSON.parse(e.data);
  if (m.type === 'connection_established') ws.send(JSON.stringify({type: 'ping'}));
  else if (m.type === 'pong') ws.close(1000, 'done');
};
ws.onerror = (e) => console.error('WebSocket error', e);
ws.onclose = (e) => { console.log(e); console.log('page done'); };
</script>
""" % json.dumps(real.OFFER)


class PageServer:
    """The page, over loopback HTTP, from a thread."""

    def __init__(self):
        body = PAGE.encode()

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if not self.path.startswith("/page.html"):
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Browser:
    """One headless Chromium and a DevTools client over its pipe."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="chromium.", dir=TMP)
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():
            # Chromium reads commands on fd 3 and writes replies on fd 4;
            # pass_fds keeps those two open past preexec_fn
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM] + FLAGS + ["--user-data-dir=" + self.profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(TMP, "chromium.stderr"), "ab"),
            preexec_fn=fds, pass_fds=(3, 4), start_new_session=True)
        with open(os.path.join(TMP, "pids"), "a") as f:
            f.write("%d\n" % self.proc.pid)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, until):
        while b"\0" not in self.buf:
            left = until - time.time()
            wc.check(left > 0, "no answer from Chromium in time")
            r, _, _ = select.select([self.from_chrome], [], [], left)
            if r:
                d = os.read(self.from_chrome, 65536)
                wc.check(d, "Chromium closed its pipe (exit %r)" % self.proc.poll())
                self.buf += d
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, timeout=10.0):
        """A command; its result. Events read meanwhile are kept."""
        self.next_id += 1
        m = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(self.to_chrome, json.dumps(m).encode() + b"\0")
        until = time.time() + timeout
        while True:
            r = self._read(until)
            if r.get("id") == self.next_id:
                wc.check("error" not in r, "%s: %s" % (method, r.get("error")))
                return r.get("result", {})
            self.events.append(r)

    def wait_event(self, pred, timeout):
        """Events until pred(event) holds; False on timeout."""
        until = time.time() + timeout
        for e in self.events:
            if pred(e):
                return True
        while time.time() < until:
            try:
                e = self._read(until)
            except wc.Fail:
                return False
            self.events.append(e)
            if pred(e):
                return True
        return False

    def stop(self):
        try:
            if self.proc.poll() is None:
                os.write(self.to_chrome, json.dumps({"id": 0, "method": "Browser.close"})
                         .encode() + b"\0")
                self.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        for fd in (self.to_chrome, self.from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


def show(o):
    """A console argument (a RemoteObject) as DevTools prints it."""
    t = o.get("type")
    if t == "string":
        return o.get("value", "")
    if t in ("number", "boolean"):
        return json.dumps(o.get("value"))
    if t == "undefined":
        return "undefined"
    p = o.get("preview")
    if t == "object" and p and p.get("properties") is not None:
        parts = []
        for prop in p["properties"]:
            v = prop.get("value", "")
            if prop.get("type") == "string":
                v = "'%s'" % v
            parts.append("%s: %s" % (prop["name"], v))
        if p.get("overflow"):
            parts.append("\u2026")
        return "%s {%s}" % (o.get("className") or o.get("description", ""), ", ".join(parts))
    return o.get("description") or o.get("className") or t or ""


def console_text(events):
    """The console as a developer copies it: console API calls and the
    browser's own log entries (a failed handshake, ...), one per line."""
    lines = []
    for e in events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled":
            lines.append(" ".join(show(a) for a in p.get("args", [])))
        elif m == "Log.entryAdded":
            lines.append(p["entry"].get("text", ""))
        elif m == "Runtime.exceptionThrown":
            lines.append(p["exceptionDetails"].get("text", ""))
    return "\n".join(lines) + "\n"


def visit(browser, page_url):
    """Open page_url in a new tab, wait for 'page done'; the console text."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"]
    start = len(browser.events)
    for m in ("Runtime.enable", "Log.enable"):
        browser.send(m, session=session)
    browser.send("Page.navigate", {"url": page_url}, session=session)

    def done(e):
        return (e.get("sessionId") == session and e.get("method") == "Runtime.consoleAPICalled"
                and any(a.get("value") == "page done" for a in e["params"].get("args", [])))
    finished = browser.wait_event(done, PAGE_LIMIT)
    # the browser's log entry for a failure can trail the close event a little
    browser.wait_event(lambda e: False, 0.3)
    text = console_text([e for e in browser.events[start:] if e.get("sessionId") == session])
    browser.send("Target.closeTarget", {"targetId": target})
    wc.check(finished, "page did not report its close within %gs: %r" % (PAGE_LIMIT, text))
    return text


def fault_case(browser, pages, name, args, code, reason, want):
    srv = real.server(args)
    try:
        text = visit(browser, "http://127.0.0.1:%d/page.html?ws=%s" % (pages.port, real.url(srv)))
    finally:
        rc = srv.stop(timeout=10)
    wc.check(rc == 0, "server exit %r" % rc)
    path = os.path.join(TMP, "%s.chromium.txt" % name)
    with open(path, "w") as f:
        f.write(text)
    wc.check('WebSocket open, protocol "%s"' % real.CHOSEN in text,
             "subprotocol not %s: %r" % (real.CHOSEN, text))
    wc.check(real.chosen_in_log(open(srv.log_path).read()) == [real.CHOSEN],
             "server did not choose %s" % real.CHOSEN)
    close = "CloseEvent {isTrusted: true, wasClean: %s, code: %d, reason: '%s'" % (
        "false" if code == 1006 else "true", code, reason if code != 1000 else "done")
    wc.check(close in text, "no %r in the console: %r" % (close, text))
    rep = real.triage([srv.log_path, path])
    real.check_verdict(rep, want, code, name)
    if code == 1011:
        s = real.symptom(rep, "ws.close-1011")
        wc.check(s.get("matched_by_code_and_reason", 0) >= 1,
                 "the browser's close was not matched by code and reason: %r" % s)
    return "%s, verdict %s" % (close.split(", reason")[0] + "}", want)


@contextlib.contextmanager
def chromium(on):
    """A page server and the browser for the whole run, in on."""
    wc.check(os.access(CHROMIUM, os.X_OK), "no browser at %s (scripts/deps.sh installs "
             "chromium)" % CHROMIUM)
    on.pages = PageServer()
    try:
        on.browser = Browser()
        try:
            v = on.browser.send("Browser.getVersion", timeout=30)
            print("     %s over --remote-debugging-pipe" % v.get("product"))
            yield
        finally:
            on.browser.stop()
    finally:
        on.pages.stop()


def main():
    on = types.SimpleNamespace()
    cases = [(f[0], (lambda f=f: fault_case(on.browser, on.pages, *f))) for f in wc.FAULTS]
    return wc.run_suite(cases, 150, around=chromium(on), width=20)


if __name__ == "__main__":
    sys.exit(main())
