"""What the logwhy-wsd suites share: the server harness, a raw-socket
client, frame and request builders, the server log's JSON records, and the
runner that prints "ok NAME" / "FAIL NAME why" and the last line "N passed,
N failed". Imported, not run. Stdlib only.

The suites are run as SCRIPT WSD_BINARY TMPDIR: WSD and TMP are read from
the command line here. Every socket operation has a timeout; every server
started here is killed on any exit (its pid is also appended to TMPDIR/pids
so the shell wrapper can kill it if the script itself is killed).
"""

import base64
import contextlib
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

WSD = sys.argv[1] if len(sys.argv) > 1 else "build/logwhy-wsd"
TMP = sys.argv[2] if len(sys.argv) > 2 else "/tmp"
HOST = "127.0.0.1"
IO_TIMEOUT = 3.0
RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
NEVER_SENT = (1005, 1006, 1015)
# the five events the server answers a chat message with, in order
CHAT_TYPES = ["agent_started", "agent_thinking", "tool_executing", "tool_completed",
              "agent_completed"]
# Slow wrappers (valgrind) need longer: WSD_START_TIMEOUT=60.
START_TIMEOUT = float(os.environ.get("WSD_START_TIMEOUT", "5"))

# Each --fault: name, server arguments, the close code and reason a client
# sees, the category of the verdict logwhy triage must give ("none": no
# verdict)
FAULTS = [
    ("none", [], 1000, None, "none"),
    ("enum-log", ["--fault", "enum-log"], 1011, "Internal error", "serialization"),
    ("missing-service", ["--fault", "missing-service"], 1011, "Service unavailable",
     "missing-service"),
    ("startup-incomplete", ["--fault", "startup-incomplete", "--startup-wait", "300"], 1011,
     "Service startup incomplete", "startup"),
    ("e2e-env", ["--fault", "e2e-env"], 1011, "Factory SSOT validation failed", "e2e-env"),
    ("abort", ["--fault", "abort"], 1006, "", "none"),
]


def fault(name):
    """FAULTS' row for name."""
    for f in FAULTS:
        if f[0] == name:
            return f
    raise KeyError(name)


servers = []
notes = []          # measurements of the running case, printed after its result


class Fail(Exception):
    pass


class Watchdog(BaseException):
    """The whole suite ran too long: not one case's failure, stop everything."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def note(fmt, *args):
    notes.append(fmt % args)


class Server:
    """One logwhy-wsd on an ephemeral loopback port, logs captured to a file."""
    count = 0

    def __init__(self, *args, env=None, wrap=(), start_timeout=None):
        """args go to logwhy-wsd; wrap runs it under another program
        (valgrind), which needs a longer start_timeout."""
        start_timeout = start_timeout or START_TIMEOUT
        Server.count += 1
        self.name = "wsd-%d" % Server.count
        self.port_file = os.path.join(TMP, self.name + ".port")
        self.log_path = os.path.join(TMP, self.name + ".log")
        try:
            os.unlink(self.port_file)      # a stale file would name a dead server
        except OSError:
            pass
        self.log = open(self.log_path, "wb")
        # the server's e2e-env fault modes must come only from env
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("E2E_", "PYTEST_", "STAGING_E2E"))}
        e.update(env or {})
        self.proc = subprocess.Popen(
            list(wrap) + [WSD, "--listen", HOST, "--port", "0", "--port-file", self.port_file]
            + [str(a) for a in args], stdout=self.log, stderr=subprocess.STDOUT, env=e)
        servers.append(self)
        with open(os.path.join(TMP, "pids"), "a") as f:
            f.write("%d\n" % self.proc.pid)
        deadline = time.time() + start_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Fail("server exited early: %s" % self.logs())
            try:
                with open(self.port_file) as f:
                    self.port = int(f.read())
                return
            except (OSError, ValueError):
                time.sleep(0.01)
        raise Fail("no port file after %gs" % start_timeout)

    def logs(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def json_logs(self):
        return [json.loads(line) for line in self.logs().splitlines() if line.strip()]

    def stop(self, sig=signal.SIGTERM, timeout=5, strict=False):
        """strict: a server still running timeout seconds after sig is a
        failure (it is killed either way)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                if strict:
                    self.log.close()
                    if self in servers:
                        servers.remove(self)
                    raise Fail("server did not exit within %gs of SIGTERM" % timeout)
        self.log.close()
        if self in servers:
            servers.remove(self)
        return self.proc.returncode


def cleanup():
    for s in list(servers):
        if s.proc.poll() is None:
            s.proc.kill()
            try:
                s.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass


@contextlib.contextmanager
def running(*args, **kw):
    """A Server for the with block, stopped after it."""
    s = Server(*args, **kw)
    try:
        yield s
    finally:
        s.stop()


# ---- a raw client ----------------------------------------------------------


class WS:
    """A raw client connection with a read buffer."""

    def __init__(self, port, timeout=IO_TIMEOUT, rcvbuf=None):
        """rcvbuf: SO_RCVBUF, set before connect so the window the server
        sees is this small."""
        if rcvbuf:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.settimeout(timeout)
            self.sock.connect((HOST, port))
        else:
            self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.settimeout(timeout)
        # each send leaves at once: with Nagle a frame sent right after
        # another waits for the server's delayed ACK (40 ms a time)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Fail("connection closed by server (EOF)")
        self.buf += chunk

    def recv_exact(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def http_response(self):
        while b"\r\n\r\n" not in self.buf:
            check(len(self.buf) < 16384, "response header too large")
            self.fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for l in lines[1:]:
            k, v = l.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        return status, headers

    def handshake(self, key=RFC_KEY, extra="", path="/ws"):
        self.send(request(key=key, extra=extra, path=path))
        status, headers = self.http_response()
        check(status == 101, "handshake status %d" % status)
        return headers

    def frame(self, opcode, payload=b"", fin=True, rsv=0, mask=True, length=None,
              len_form=None):
        self.send(frame(opcode, payload, fin, rsv, mask, length, len_form))

    def recv_frame(self):
        b0, b1 = self.recv_exact(2)
        check(not (b1 & 0x80), "server frame is masked")
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.recv_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.recv_exact(8))[0]
        payload = self.recv_exact(n)
        op = b0 & 0x0F
        check((b0 & 0x70) == 0, "server set RSV bits")
        if op == 8 and len(payload) >= 2:
            code = struct.unpack("!H", payload[:2])[0]
            check(code not in NEVER_SENT, "server sent close code %d" % code)
        return bool(b0 & 0x80), op, payload

    def recv_msg(self):
        """Next data message, skipping nothing: fails on a close."""
        fin, op, p = self.recv_frame()
        check(op in (1, 2), "expected a data frame, got opcode %d %r" % (op, p[:80]))
        check(fin, "server fragmented a message")
        return op, p

    def welcome(self):
        op, p = self.recv_msg()
        m = json.loads(p)
        check(m.get("type") == "connection_established" and m.get("connection_id"),
              "bad welcome %r" % p)
        return m

    def expect_close(self, code=None, reason=None, skip_data=True):
        while True:
            fin, op, p = self.recv_frame()
            if op == 8:
                break
            check(skip_data and op in (1, 2, 10), "unexpected opcode %d before close" % op)
        got = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else None
        if code is not None:
            check(got == code, "close code %r, want %d (payload %r)" % (got, code, p))
        if reason is not None:
            check(p[2:].decode() == reason, "close reason %r, want %r" % (p[2:], reason))
        return got, p[2:]

    def expect_eof(self, within=1.5):
        """The server closes TCP: EOF (or reset) within `within` seconds."""
        end = time.time() + within
        while time.time() < end:
            r, _, _ = select.select([self.sock], [], [], max(0.0, end - time.time()))
            if not r:
                break
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return
            if not chunk:
                return
        raise Fail("TCP not closed within %.1fs" % within)

    def read_to_end(self, timeout):
        """Every byte the server sends until it closes TCP (EOF or reset)."""
        got = b""
        self.sock.settimeout(timeout)
        while True:
            try:
                chunk = self.sock.recv(4096)
            except ConnectionResetError:
                return got
            if not chunk:
                return got
            got += chunk

    def close_reply(self, code=1000):
        try:
            self.frame(8, struct.pack("!H", code))
        except OSError:
            pass


def request(key=RFC_KEY, extra="", path="/ws", version="13", upgrade=True):
    r = "GET %s HTTP/1.1\r\nHost: %s\r\n" % (path, HOST)
    if upgrade:
        r += "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    if key is not None:
        r += "Sec-WebSocket-Key: %s\r\n" % key
    if version is not None:
        r += "Sec-WebSocket-Version: %s\r\n" % version
    return (r + extra + "\r\n").encode()


def frame(opcode, payload=b"", fin=True, rsv=0, mask=True, length=None, len_form=None):
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    mbit = 0x80 if mask else 0
    form = len_form or (7 if n < 126 else 16 if n < 65536 else 64)
    if form == 7:
        hdr = struct.pack("!BB", b0, mbit | n)
    elif form == 16:
        hdr = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return hdr + payload
    key = os.urandom(4)
    keys = (key * (len(payload) // 4 + 1))[:len(payload)]
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(keys, "big")
    return hdr + key + masked.to_bytes(len(payload), "big")


def close_frame(code, reason=b""):
    return frame(8, struct.pack("!H", code) + reason)


def rand_key():
    return base64.b64encode(os.urandom(16)).decode()


def open_ws(port, timeout=IO_TIMEOUT, **kw):
    c = WS(port, timeout=timeout)
    c.handshake(**kw)
    return c


def open_welcomed(port, timeout=IO_TIMEOUT, rcvbuf=None, **kw):
    c = WS(port, timeout=timeout, rcvbuf=rcvbuf)
    c.handshake(**kw)
    c.welcome()
    return c


def http_get(port, path="/health", timeout=IO_TIMEOUT):
    """(status, headers, body bytes) of a GET."""
    c = WS(port, timeout=timeout)
    try:
        c.send(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, HOST)).encode())
        st, h = c.http_response()
        return st, h, c.recv_exact(int(h.get("content-length", "0")))
    finally:
        c.close()


# ---- the server's log --------------------------------------------------------


def log_lines_for(server, conn_id):
    return [e for e in server.json_logs() if e.get("connection_id") == conn_id]


def conn_id_of(server, needle):
    """The connection id of the first record whose message holds needle."""
    for e in server.json_logs():
        if needle in e.get("message", "") and e.get("connection_id"):
            return e["connection_id"]
    raise Fail("no log entry with %r" % needle)


def check_correlated(server, conn_id, needles):
    """Each needle is in a message of conn_id's records, and every one of
    them carries a trace, a severity and a time."""
    entries = log_lines_for(server, conn_id)
    msgs = [e.get("message", "") for e in entries]
    for n in needles:
        check(any(n in m for m in msgs), "log lacks %r (have %r)" % (n, msgs[-12:]))
    for e in entries:
        check(e.get("logging.googleapis.com/trace", "").startswith("projects/"),
              "entry without trace: %r" % e)
        check("severity" in e and "time" in e, "entry shape %r" % e)


# ---- the runner ----------------------------------------------------------------


def raise_fd_limit():
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass


def run_suite(cases, watchdog, around=None, errors=(), width=50):
    """Run cases, a list of (name, fn): fn() passes unless it raises Fail
    or one of errors (besides OSError, ValueError, KeyError); a string it
    returns is shown after its time, and notes after its line. around: a
    context manager for the whole run (a Fail or OSError from it counts
    once).
    WSD_CASE=substring runs only the matching cases; after watchdog
    seconds the run stops. Prints "N passed, N failed"; returns the exit
    status."""
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(3))

    def on_alarm(*_):
        raise Watchdog("suite watchdog (%ds)" % watchdog)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(watchdog)
    raise_fd_limit()
    only = os.environ.get("WSD_CASE")
    passed = failed = 0
    try:
        with around or contextlib.nullcontext():
            for name, fn in cases:
                if only and only not in name:
                    continue
                del notes[:]
                t0 = time.time()
                try:
                    msg = fn()
                    passed += 1
                    print("ok   %-*s %.2fs%s" % (width, name, time.time() - t0,
                                                  "  " + msg if msg else ""))
                except (Fail, OSError, ValueError, KeyError) + tuple(errors) as e:
                    failed += 1
                    print("FAIL %-*s %s: %s" % (width, name, type(e).__name__, e))
                for n in notes:
                    print("       " + n)
                sys.stdout.flush()
    except (Fail, OSError, Watchdog) as e:
        failed += 1
        print("FAIL %s" % e)
    finally:
        signal.alarm(0)
        cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
