#!/usr/bin/python3
"""RFC 6455 conformance and fault-mode tests for logwhy-wsd over raw sockets.

Usage: wsd_conformance.py WSD_BINARY TMPDIR
Stdlib only. Every socket operation has a timeout; every server started here
is killed on any exit (its pid is also appended to TMPDIR/pids so the shell
wrapper can kill it if this script itself is killed). The last line printed
is "N passed, N failed".
"""

import base64
import hashlib
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
# Slow wrappers (valgrind) need longer: WSD_START_TIMEOUT=60 WSD_WATCHDOG=600.
START_TIMEOUT = float(os.environ.get("WSD_START_TIMEOUT", "5"))
WATCHDOG = int(os.environ.get("WSD_WATCHDOG", "50"))

servers = []


class Fail(Exception):
    pass


class Watchdog(BaseException):
    """The whole suite ran too long: not one case's failure, stop everything."""


def check(cond, msg):
    if not cond:
        raise Fail(msg)


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
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def json_logs(self):
        out = []
        for line in self.logs().splitlines():
            if line.strip():
                out.append(json.loads(line))
        return out

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
                s.proc.wait(2)
            except subprocess.TimeoutExpired:
                pass


class WS:
    """A raw client connection with a read buffer."""

    def __init__(self, port, timeout=IO_TIMEOUT):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.settimeout(timeout)
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
    return hdr + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def open_ws(port, **kw):
    c = WS(port)
    c.handshake(**kw)
    return c


def open_welcomed(port, **kw):
    c = open_ws(port, **kw)
    c.welcome()
    return c


def expect_fail(port, code, *frames_):
    """Send frames on a fresh connection; the server must close with code,
    then end TCP promptly after our reply."""
    c = open_welcomed(port)
    try:
        for f in frames_:
            c.send(f)
        c.expect_close(code)
        c.close_reply(1000)
        c.expect_eof()
    finally:
        c.close()


cases = []


def case(fn):
    cases.append(fn)
    return fn


# ---- the handshake ------------------------------------------------------


@case
def handshake_rfc_example_key(ctx):
    c = WS(ctx.port)
    h = c.handshake(RFC_KEY)
    check(h.get("sec-websocket-accept") == RFC_ACCEPT, "accept %r" % h)
    check(h.get("upgrade", "").lower() == "websocket", "upgrade header")
    check("upgrade" in h.get("connection", "").lower(), "connection header")
    c.close()


@case
def handshake_random_key_accept(ctx):
    key = base64.b64encode(os.urandom(16)).decode()
    want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    c = WS(ctx.port)
    h = c.handshake(key)
    check(h.get("sec-websocket-accept") == want, "accept %r" % h)
    c.close()


def http_status(port, raw):
    c = WS(port)
    try:
        c.send(raw)
        st, h = c.http_response()
        c.expect_eof()
        return st, h
    finally:
        c.close()


@case
def handshake_missing_key_400(ctx):
    st, _ = http_status(ctx.port, request(key=None))
    check(st == 400, "status %d" % st)


@case
def handshake_bad_key_400(ctx):
    st, _ = http_status(ctx.port, request(key="c2hvcnQ="))
    check(st == 400, "status %d" % st)


@case
def handshake_missing_upgrade_400(ctx):
    st, _ = http_status(ctx.port, request(upgrade=False))
    check(st == 400, "status %d" % st)


@case
def handshake_other_version_426(ctx):
    st, h = http_status(ctx.port, request(version="8"))
    check(st == 426, "status %d" % st)
    check(h.get("sec-websocket-version") == "13", "headers %r" % h)


@case
def handshake_not_get_405(ctx):
    st, _ = http_status(ctx.port, request().replace(b"GET ", b"POST ", 1))
    check(st == 405, "status %d" % st)


@case
def handshake_header_too_large_431(ctx):
    big = "X-Filler: " + "a" * 9000 + "\r\n"
    st, _ = http_status(ctx.port, request(extra=big))
    check(st in (400, 431), "status %d" % st)


@case
def handshake_byte_by_byte(ctx):
    c = WS(ctx.port)
    for b in request():
        c.send(bytes([b]))
        time.sleep(0.0005)
    st, h = c.http_response()
    check(st == 101 and h.get("sec-websocket-accept") == RFC_ACCEPT, "status %d" % st)
    c.welcome()
    for b in frame(1, b"slow"):
        c.send(bytes([b]))
    check(c.recv_msg() == (1, b"slow"), "byte-by-byte frame not echoed")
    c.close()


@case
def handshake_with_first_frame_in_same_packet(ctx):
    c = WS(ctx.port)
    c.send(request() + frame(1, b"early"))
    st, _ = c.http_response()
    check(st == 101, "status %d" % st)
    c.welcome()
    check(c.recv_msg() == (1, b"early"), "early frame lost")
    c.close()


@case
def handshake_stalled_times_out(ctx):
    s = Server("--handshake-timeout", "400")
    try:
        stalled_handshake(s.port)
    finally:
        s.stop()


def stalled_handshake(port):
    c = WS(port)
    c.send(request()[:30])
    t0 = time.time()
    # --handshake-timeout is 400 ms: closed (with a 408) well before 2s.
    c.sock.settimeout(3)
    while True:
        try:
            chunk = c.sock.recv(4096)
        except ConnectionResetError:
            break
        if not chunk:
            break
        c.buf += chunk
    dt = time.time() - t0
    check(0.3 <= dt <= 2.0, "closed after %.2fs" % dt)
    check(c.buf == b"" or c.buf.startswith(b"HTTP/1.1 408"), "response %r" % c.buf[:40])
    c.close()


@case
def health_json(ctx):
    c = WS(ctx.port)
    c.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    st, h = c.http_response()
    check(st == 200 and "json" in h.get("content-type", ""), "status %d" % st)
    body = c.recv_exact(int(h["content-length"]))
    j = json.loads(body)
    check(j.get("status") == "healthy", "status %r" % j)
    check(j.get("e2e_testing") == {"enabled": False}, "e2e %r" % j)
    c.close()


# ---- the application protocol -------------------------------------------


@case
def app_welcome_ping_chat_echo(ctx):
    c = open_ws(ctx.port)
    w = c.welcome()
    check(w["connection_id"].startswith("conn_"), "connection id %r" % w)
    c.frame(1, b'{"type":"ping"}')
    check(json.loads(c.recv_msg()[1]) == {"type": "pong"}, "pong")
    c.frame(1, b'{"type":"chat","message":"why 1011?"}')
    got = [json.loads(c.recv_msg()[1])["type"] for _ in range(5)]
    check(got == ["agent_started", "agent_thinking", "tool_executing", "tool_completed",
                  "agent_completed"], "events %r" % got)
    c.frame(1, "héllo".encode())
    check(c.recv_msg() == (1, "héllo".encode()), "text echo")
    c.frame(2, b"\x00\xff\x10")
    check(c.recv_msg() == (2, b"\x00\xff\x10"), "binary echo")
    c.frame(1, b"")
    check(c.recv_msg() == (1, b""), "empty echo")
    big = os.urandom(200000)
    c.frame(2, big)
    check(c.recv_msg() == (2, big), "200 KB echo")
    c.frame(8, struct.pack("!H", 1000))
    c.expect_close(1000)
    c.expect_eof(0.5)
    c.close()


# ---- framing rules ------------------------------------------------------


@case
def unmasked_client_frame_1002(ctx):
    expect_fail(ctx.port, 1002, frame(1, b"hi", mask=False))


@case
def rsv_bits_1002(ctx):
    for rsv in (1, 2, 4):
        expect_fail(ctx.port, 1002, frame(1, b"hi", rsv=rsv))


@case
def reserved_opcodes_1002(ctx):
    for op in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF):
        expect_fail(ctx.port, 1002, frame(op, b"x"))


@case
def control_frame_over_125_1002(ctx):
    expect_fail(ctx.port, 1002, frame(9, b"p" * 126))


@case
def control_frame_fragmented_1002(ctx):
    expect_fail(ctx.port, 1002, frame(9, b"p", fin=False))


@case
def ping_identical_pong(ctx):
    c = open_welcomed(ctx.port)
    for payload in (b"", b"hello", bytes(range(125))):
        c.frame(9, payload)
        fin, op, p = c.recv_frame()
        check(op == 10 and p == payload, "pong %d %r" % (op, p[:20]))
    c.close()


@case
def unsolicited_pong_ignored(ctx):
    c = open_welcomed(ctx.port)
    c.frame(10, b"x")
    c.frame(1, b"after")
    check(c.recv_msg() == (1, b"after"), "echo after pong")
    c.close()


@case
def fragmented_with_ping_between(ctx):
    c = open_welcomed(ctx.port)
    c.frame(1, b"frag", fin=False)
    c.frame(9, b"mid")
    c.frame(0, b"ment", fin=False)
    c.frame(0, b"ed", fin=True)
    fin, op, p = c.recv_frame()
    check(op == 10 and p == b"mid", "pong first, got %d %r" % (op, p))
    check(c.recv_msg() == (1, b"fragmented"), "reassembled message")
    c.close()


@case
def fragmented_utf8_split_inside_codepoint(ctx):
    c = open_welcomed(ctx.port)
    s = "κόσμε".encode()
    for i in range(len(s)):
        c.frame(1 if i == 0 else 0, s[i:i + 1], fin=(i == len(s) - 1))
    check(c.recv_msg() == (1, s), "utf-8 split per byte")
    c.close()


@case
def continuation_without_start_1002(ctx):
    expect_fail(ctx.port, 1002, frame(0, b"x"))


@case
def new_message_inside_fragmented_1002(ctx):
    expect_fail(ctx.port, 1002, frame(1, b"a", fin=False), frame(1, b"b"))


@case
def invalid_utf8_1007(ctx):
    expect_fail(ctx.port, 1007, frame(1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"))
    expect_fail(ctx.port, 1007, frame(1, b"\xc0\xaf"))        # overlong
    expect_fail(ctx.port, 1007, frame(1, b"\xf4\x90\x80\x80"))  # past U+10FFFF
    expect_fail(ctx.port, 1007, frame(1, b"ok\xe2\x82"))      # ends mid-sequence at FIN


@case
def invalid_utf8_split_across_fragments_before_fin(ctx):
    # The bad byte arrives in a non-final fragment: 1007 must come without
    # waiting for the FIN, which is never sent.
    expect_fail(ctx.port, 1007, frame(1, b"\xf0\x90", fin=False), frame(0, b"\x28", fin=False))
    expect_fail(ctx.port, 1007, frame(1, b"valid", fin=False), frame(0, b"\xff", fin=False))


@case
def invalid_utf8_inside_one_frame_before_its_end(ctx):
    # Fail fast: a frame announcing 100 bytes whose 2nd byte is invalid.
    c = open_welcomed(ctx.port)
    f = frame(1, b"a\xff" + b"b" * 98)
    c.send(f[:2 + 4 + 4])        # header, mask, 4 payload bytes; the rest never comes
    c.expect_close(1007)
    c.close_reply()
    c.expect_eof()
    c.close()


@case
def close_one_byte_payload_1002(ctx):
    expect_fail(ctx.port, 1002, frame(8, b"\x03"))


@case
def close_invalid_codes_1002(ctx):
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535):
        expect_fail(ctx.port, 1002, frame(8, struct.pack("!H", code)))


@case
def close_valid_codes_echoed(ctx):
    for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                 3000, 3999, 4000, 4999):
        c = open_welcomed(ctx.port)
        c.frame(8, struct.pack("!H", code) + b"bye")
        got, reason = c.expect_close(code)
        c.expect_eof(0.5)
        c.close()


@case
def close_empty_payload_answered_empty(ctx):
    c = open_welcomed(ctx.port)
    c.frame(8, b"")
    fin, op, p = c.recv_frame()
    check(op == 8 and p == b"", "close reply %r" % p)
    c.expect_eof(0.5)
    c.close()


@case
def close_reason_max_123_bytes_ok(ctx):
    c = open_welcomed(ctx.port)
    reason = ("é" * 61 + "x").encode()     # 123 bytes
    c.frame(8, struct.pack("!H", 1000) + reason)
    got, r = c.expect_close(1000)
    check(r == reason, "reason not echoed")
    c.expect_eof(0.5)
    c.close()


@case
def close_reason_too_long_1002(ctx):
    expect_fail(ctx.port, 1002, frame(8, struct.pack("!H", 1000) + b"r" * 124))


@case
def close_reason_bad_utf8_1007(ctx):
    expect_fail(ctx.port, 1007, frame(8, struct.pack("!H", 1000) + b"\xff\xfe"))


@case
def tcp_closed_promptly_after_close_handshake(ctx):
    c = open_welcomed(ctx.port)
    t0 = time.time()
    c.frame(8, struct.pack("!H", 1000))
    c.expect_close(1000)
    c.expect_eof(0.5)
    check(time.time() - t0 < 0.5, "slow close")
    c.close()


@case
def data_after_close_ignored(ctx):
    c = open_welcomed(ctx.port)
    c.send(frame(8, struct.pack("!H", 1000)) + frame(1, b"late"))
    c.expect_close(1000, skip_data=False)
    c.expect_eof(0.5)
    c.close()


@case
def over_limit_refused_from_header_1009(ctx):
    # max-message is 1 MiB here: the header alone must trigger 1009.
    c = open_welcomed(ctx.port)
    c.send(frame(2, b"", length=2 << 20)[:2 + 8 + 4])
    c.expect_close(1009)
    c.close_reply()
    c.expect_eof()
    c.close()


@case
def over_limit_across_fragments_1009(ctx):
    c = open_welcomed(ctx.port)
    c.frame(2, b"a" * 600000, fin=False)
    c.send(frame(0, b"", length=600000)[:2 + 8 + 4])
    c.expect_close(1009)
    c.close_reply()
    c.expect_eof()
    c.close()


@case
def at_limit_accepted(ctx):
    c = open_welcomed(ctx.port)
    data = b"z" * (1 << 20)
    c.frame(2, data)
    check(c.recv_msg() == (2, data), "1 MiB echo")
    c.close()


@case
def length_64bit_top_bit_1002(ctx):
    c = open_welcomed(ctx.port)
    c.send(struct.pack("!BBQ", 0x82, 0x80 | 127, 1 << 63) + os.urandom(4))
    c.expect_close(1002)
    c.close_reply()
    c.expect_eof()
    c.close()


@case
def non_minimal_lengths_1002(ctx):
    expect_fail(ctx.port, 1002, frame(1, b"x" * 100, len_form=16))
    expect_fail(ctx.port, 1002, frame(1, b"x" * 1000, len_form=64))
    expect_fail(ctx.port, 1002, frame(1, b"", len_form=16))


@case
def server_closes_tcp_if_peer_never_answers_close(ctx):
    # Protocol error → close frame; we never reply, the server still ends TCP.
    c = open_welcomed(ctx.port)
    c.frame(1, b"x", mask=False)
    c.expect_close(1002)
    c.expect_eof(2.0)
    c.close()


# ---- idle timeout, faults, logs ------------------------------------------


def log_lines_for(server, conn_id):
    return [e for e in server.json_logs() if e.get("connection_id") == conn_id]


def check_correlated(server, conn_id, needles):
    entries = log_lines_for(server, conn_id)
    msgs = [e.get("message", "") for e in entries]
    for n in needles:
        check(any(n in m for m in msgs), "log lacks %r (have %r)" % (n, msgs[-12:]))
    for e in entries:
        check(e.get("logging.googleapis.com/trace", "").startswith("projects/"),
              "entry without trace: %r" % e)
        check("severity" in e and "time" in e, "entry shape %r" % e)


def fault_close(port, code, reason, extra="", min_ms=0, max_ms=1500):
    """Connect; no welcome may arrive; the close comes in [min_ms, max_ms]."""
    c = WS(port)
    h = c.handshake(extra=extra)
    t0 = time.time()
    fin, op, p = c.recv_frame()
    dt = (time.time() - t0) * 1000
    check(op == 8, "expected close, got opcode %d %r (a welcome?)" % (op, p[:60]))
    got = struct.unpack("!H", p[:2])[0]
    check(got == code and p[2:].decode() == reason, "close %d %r" % (got, p[2:]))
    check(min_ms <= dt <= max_ms, "close after %.0f ms, want %d..%d" % (dt, min_ms, max_ms))
    c.close_reply(code)
    c.expect_eof(0.5)
    c.close()
    return dt


def conn_id_of(server, needle):
    for e in server.json_logs():
        if needle in e.get("message", "") and e.get("connection_id"):
            return e["connection_id"]
    raise Fail("no log entry with %r" % needle)


@case
def idle_timeout_1001(ctx):
    s = Server("--idle-timeout", "300")
    try:
        c = open_welcomed(s.port)
        t0 = time.time()
        c.expect_close(1001)
        check(0.25 <= time.time() - t0 <= 1.5, "idle close timing")
        c.close()
    finally:
        s.stop()


@case
def fault_enum_log(ctx):
    s = Server("--fault", "enum-log")
    try:
        fault_close(s.port, 1011, "Internal error", min_ms=50, max_ms=1000)
        cid = conn_id_of(s, "WebSocketState.CONNECTING")
        check_correlated(s, cid, [
            "WebSocket not in CONNECTED state after registration: WebSocketState.CONNECTING",
            "WebSocket error: Object of type WebSocketState is not JSON serializable",
            "--- Logging error ---",
            "Traceback (most recent call last):",
            '  File "/usr/local/lib/python3.11/logging/__init__.py", line 1110, in emit',
            "TypeError: Object of type WebSocketState is not JSON serializable",
            "Call stack:",
            "Message: 'WebSocket error: %s'",
            "Arguments: (",
            "code=1011"])
        msgs = [e["message"] for e in log_lines_for(s, cid)]
        i = msgs.index("--- Logging error ---")
        check(msgs[i + 1] == "Traceback (most recent call last):", "block order")
    finally:
        s.stop()


@case
def fault_enum_log_safe_logging_healthy(ctx):
    s = Server("--fault", "enum-log", "--safe-logging")
    try:
        c = open_ws(s.port)
        w = c.welcome()
        c.frame(1, b'{"type":"ping"}')
        check(json.loads(c.recv_msg()[1]) == {"type": "pong"}, "pong")
        c.frame(8, struct.pack("!H", 1000))
        c.expect_close(1000)
        c.close()
        logs = s.logs()
        check("Logging error" not in logs and "not JSON serializable" not in logs,
              "fix still logs the error")
        check_correlated(s, w["connection_id"], ["WebSocket state after registration: connected"])
    finally:
        s.stop()


@case
def fault_enum_log_gcloud_format(ctx):
    s = Server("--fault", "enum-log", "--log", "gcloud")
    try:
        fault_close(s.port, 1011, "Internal error", min_ms=50)
        time.sleep(0.05)
        entries = [json.loads(l) for l in s.logs().splitlines() if l.strip()]
        texts = [e for e in entries if "textPayload" in e]
        check(any(e["textPayload"] == "--- Logging error ---" for e in texts), "no block")
        for e in entries:
            check(e["resource"]["type"] == "cloud_run_revision", "resource %r" % e)
            check(e["labels"]["instanceId"] and e["insertId"] and e["timestamp"] and
                  e["severity"], "entry %r" % e)
            check(("jsonPayload" in e) != ("textPayload" in e), "payload %r" % e)
        conn = [e for e in entries if e.get("trace")]
        check(any("Object of type WebSocketState" in e.get("jsonPayload", {}).get("message", "")
                  for e in conn), "no error entry")
        check(len(set(e["trace"] for e in conn)) == 1, "one trace per connection")
    finally:
        s.stop()


@case
def fault_enum_log_text_format(ctx):
    s = Server("--fault", "enum-log", "--log", "text")
    try:
        fault_close(s.port, 1011, "Internal error", min_ms=50)
        time.sleep(0.05)
        lines = s.logs().splitlines()
        check("--- Logging error ---" in lines, "bare block header")
        check(any(" - WARNING - " in l and "WebSocketState.CONNECTING" in l for l in lines),
              "python-style warning line")
        check(any(l.startswith("Arguments: (") for l in lines), "Arguments line")
    finally:
        s.stop()


@case
def fault_missing_service(ctx):
    s = Server("--fault", "missing-service")
    try:
        dt = fault_close(s.port, 1011, "Service unavailable", min_ms=40, max_ms=400)
        cid = conn_id_of(s, "agent_supervisor")
        check_correlated(s, cid, ["agent_supervisor is None", "thread_service is None",
                                  "staging"])
    finally:
        s.stop()


@case
def fault_startup_incomplete(ctx):
    s = Server("--fault", "startup-incomplete", "--startup-wait", "700")
    try:
        fault_close(s.port, 1011, "Service startup incomplete", min_ms=650, max_ms=1500)
        cid = conn_id_of(s, "startup")
        check_correlated(s, cid, ["Waiting for startup to complete", "startup_complete=False",
                                  "Startup did not complete within 0.7s"])
    finally:
        s.stop()


@case
def fault_e2e_env_without_variables(ctx):
    s = Server("--fault", "e2e-env")
    try:
        fault_close(s.port, 1011, "Factory SSOT validation failed", max_ms=500)
        cid = conn_id_of(s, "E2E detection")
        check_correlated(s, cid, ["is_e2e_testing=False", "Strict JWT validation failed",
                                  "factory SSOT validation failed"])
        c = WS(s.port)
        c.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        st, h = c.http_response()
        j = json.loads(c.recv_exact(int(h["content-length"])))
        check(j["e2e_testing"] == {"enabled": False}, "health %r" % j)
        c.close()
    finally:
        s.stop()


@case
def fault_e2e_env_header_bypass(ctx):
    s = Server("--fault", "e2e-env")
    try:
        c = open_ws(s.port, extra="X-E2E-Testing: true\r\n")
        c.welcome()
        c.close()
    finally:
        s.stop()


@case
def fault_e2e_env_each_variable_bypass(ctx):
    for env in ({"E2E_TESTING": "1"}, {"PYTEST_RUNNING": "1"}, {"STAGING_E2E_TEST": "1"},
                {"E2E_OAUTH_SIMULATION_KEY": "sekrit-value"}, {"E2E_TEST_ENV": "staging"}):
        s = Server("--fault", "e2e-env", env=env)
        try:
            c = open_ws(s.port)
            c.welcome()
            c.close()
            c = WS(s.port)
            c.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            st, h = c.http_response()
            j = json.loads(c.recv_exact(int(h["content-length"])))
            check(j["e2e_testing"] == {"enabled": True}, "health %r for %r" % (j, env))
            c.close()
            check("sekrit-value" not in s.logs(), "simulation key leaked into logs")
        finally:
            s.stop()


@case
def fault_abort_no_close_frame(ctx):
    s = Server("--fault", "abort")
    try:
        c = WS(s.port)
        c.handshake()
        got = b""
        c.sock.settimeout(2)
        while True:
            try:
                chunk = c.sock.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            got += chunk
        check(got == b"", "abort sent bytes %r" % got[:40])
        c.close()
        time.sleep(0.05)
        cid = conn_id_of(s, "Error in WebSocket endpoint")
        check_correlated(s, cid, ["RuntimeError", "Traceback (most recent call last)",
                                  "without a close frame"])
    finally:
        s.stop()


@case
def thousand_concurrent_clients(ctx):
    n = 1000
    conns = []
    deadline = time.time() + 25
    try:
        for i in range(n):
            c = WS(ctx.port, timeout=10)
            c.send(request(key=base64.b64encode(os.urandom(16)).decode()))
            c.sock.setblocking(False)
            conns.append(c)
        # Read all of them together: one slow client must not serialize the wait.
        waiting = {c.sock.fileno(): c for c in conns}
        poller = select.poll()      # select() cannot take fds past 1023
        for fd in waiting:
            poller.register(fd, select.POLLIN)
        ids = set()
        while waiting and time.time() < deadline:
            for fd, _ in poller.poll(500):
                if fd not in waiting:
                    continue
                c = waiting[fd]
                sock = c.sock
                try:
                    chunk = sock.recv(65536)
                except BlockingIOError:
                    continue
                check(chunk, "EOF before the welcome")
                c.buf += chunk
                if b"\r\n\r\n" not in c.buf:
                    continue
                head, rest = c.buf.split(b"\r\n\r\n", 1)
                check(head.startswith(b"HTTP/1.1 101"), "status %r" % head[:20])
                if len(rest) < 2 or len(rest) < 2 + rest[1]:
                    continue
                c.buf = b"\r\n\r\n".join([head, rest])
                ids.add(json.loads(rest[2:2 + rest[1]])["connection_id"])
                del waiting[fd]
                poller.unregister(fd)
        check(not waiting, "%d of %d clients got no welcome in time" % (len(waiting), n))
        check(len(ids) == n, "%d distinct welcomes" % len(ids))
        for c in conns[:50]:
            c.sock.setblocking(True)
            c.sock.settimeout(IO_TIMEOUT)
            c.buf = c.buf.split(b"\r\n\r\n", 1)[1]
            c.recv_msg()
            c.frame(1, b"still here")
        for c in conns[:50]:
            check(c.recv_msg() == (1, b"still here"), "echo under load")
    finally:
        for c in conns:
            c.close()


@case
def sigterm_closes_1001_and_exits_0(ctx):
    s = Server()
    conns = [open_welcomed(s.port) for _ in range(5)]
    t0 = time.time()
    s.proc.send_signal(signal.SIGTERM)
    for c in conns:
        c.expect_close(1001)
        c.close_reply(1001)
        c.expect_eof(1.0)
        c.close()
    rc = s.proc.wait(5)
    check(rc == 0, "exit status %r" % rc)
    check(time.time() - t0 < 3, "shutdown too slow")
    s.stop()


@case
def sigterm_with_silent_clients_still_exits(ctx):
    s = Server()
    conns = [open_welcomed(s.port) for _ in range(3)]
    s.proc.send_signal(signal.SIGTERM)
    rc = s.proc.wait(5)
    check(rc == 0, "exit status %r" % rc)
    for c in conns:
        c.expect_close(1001)
        c.close()
    s.stop()


class Ctx:
    pass


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(3))
    def on_alarm(*_):
        raise Watchdog("suite watchdog (%ds)" % WATCHDOG)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(WATCHDOG)
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass
    passed = failed = 0
    ctx = Ctx()
    try:
        main_srv = Server("--max-message", str(1 << 20))
        ctx.port = main_srv.port
        only = os.environ.get("WSD_CASE")
        for fn in cases:
            if only and only not in fn.__name__:
                continue
            t0 = time.time()
            try:
                fn(ctx)
                passed += 1
                print("ok   %-50s %.2fs" % (fn.__name__, time.time() - t0))
            except (Fail, OSError, ValueError, KeyError, json.JSONDecodeError) as e:
                failed += 1
                print("FAIL %-50s %s: %s" % (fn.__name__, type(e).__name__, e))
            sys.stdout.flush()
        check(main_srv.proc.poll() is None, "main server died")
        rc = main_srv.stop()
        if rc != 0:
            failed += 1
            print("FAIL main server exit status %r" % rc)
    except (Fail, Watchdog) as e:
        failed += 1
        print("FAIL %s" % e)
    finally:
        signal.alarm(0)
        cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
