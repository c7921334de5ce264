#!/usr/bin/python3
"""RFC 6455 conformance and fault-mode tests for logwhy-wsd over raw sockets.

Usage: wsd_conformance.py WSD_BINARY TMPDIR
Stdlib only; the harness is wsd_testlib.py. The cases that are data (send
these bytes, expect this status, close or reply) are the tables below, run
by one loop each; timing, concurrency and signals stay code. The last line
printed is "N passed, N failed".
"""

import base64
import contextlib
import hashlib
import json
import os
import select
import signal
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsd_testlib import (  # noqa: E402
    CHAT_TYPES, GUID, IO_TIMEOUT, RFC_ACCEPT, RFC_KEY, WS, Server, check,
    check_correlated, close_frame, conn_id_of, fault, frame, http_get, log_lines_for, open_welcomed,
    open_ws, rand_key, request, run_suite, running)

WATCHDOG = int(os.environ.get("WSD_WATCHDOG", "50"))
MAX_MESSAGE = 1 << 20       # the shared server's --max-message
cases = []                  # (name, fn), run in this order
port = None                 # the shared server's


def case(fn):
    cases.append((fn.__name__, fn))
    return fn


def table(rows, run):
    """One case per row: its name, run(row)."""
    for row in rows:
        cases.append((row[0], lambda row=row: run(*row[1:])))


# ---- the handshake ------------------------------------------------------


@case
def handshake_rfc_example_key():
    c = WS(port)
    h = c.handshake(RFC_KEY)
    check(h.get("sec-websocket-accept") == RFC_ACCEPT, "accept %r" % h)
    check(h.get("upgrade", "").lower() == "websocket", "upgrade header")
    check("upgrade" in h.get("connection", "").lower(), "connection header")
    c.close()


@case
def handshake_random_key_accept():
    key = rand_key()
    want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    c = WS(port)
    h = c.handshake(key)
    check(h.get("sec-websocket-accept") == want, "accept %r" % h)
    c.close()


# name, the request, the statuses allowed, headers the refusal must carry
REFUSED = [
    ("handshake_missing_key_400", request(key=None), (400,), {}),
    ("handshake_bad_key_400", request(key="c2hvcnQ="), (400,), {}),
    ("handshake_missing_upgrade_400", request(upgrade=False), (400,), {}),
    ("handshake_other_version_426", request(version="8"), (426,),
     {"sec-websocket-version": "13"}),
    ("handshake_not_get_405", request().replace(b"GET ", b"POST ", 1), (405,), {}),
    ("handshake_header_too_large_431", request(extra="X-Filler: " + "a" * 9000 + "\r\n"),
     (400, 431), {}),
]


def refused(raw, statuses, headers):
    """The server answers raw with one of statuses, then ends TCP."""
    c = WS(port)
    try:
        c.send(raw)
        st, h = c.http_response()
        c.expect_eof()
    finally:
        c.close()
    check(st in statuses, "status %d, want %s" % (st, statuses))
    for k, v in headers.items():
        check(h.get(k) == v, "header %s %r, want %r" % (k, h.get(k), v))


table(REFUSED, refused)


@case
def handshake_byte_by_byte():
    c = WS(port)
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
def handshake_with_first_frame_in_same_packet():
    c = WS(port)
    c.send(request() + frame(1, b"early"))
    st, _ = c.http_response()
    check(st == 101, "status %d" % st)
    c.welcome()
    check(c.recv_msg() == (1, b"early"), "early frame lost")
    c.close()


@case
def handshake_stalled_times_out():
    with running("--handshake-timeout", "400") as s:
        c = WS(s.port)
        c.send(request()[:30])
        t0 = time.time()
        # --handshake-timeout is 400 ms: closed (with a 408) well before 2s.
        c.buf += c.read_to_end(3)
        dt = time.time() - t0
        check(0.3 <= dt <= 2.0, "closed after %.2fs" % dt)
        check(c.buf == b"" or c.buf.startswith(b"HTTP/1.1 408"), "response %r" % c.buf[:40])
        c.close()


@case
def health_json():
    st, h, body = http_get(port)
    check(st == 200 and "json" in h.get("content-type", ""), "status %d" % st)
    j = json.loads(body)
    check(j.get("status") == "healthy", "status %r" % j)
    check(j.get("e2e_testing") == {"enabled": False}, "e2e %r" % j)


# ---- the application protocol -------------------------------------------


@case
def app_welcome_ping_chat_echo():
    c = open_ws(port)
    w = c.welcome()
    check(w["connection_id"].startswith("conn_"), "connection id %r" % w)
    c.frame(1, b'{"type":"ping"}')
    check(json.loads(c.recv_msg()[1]) == {"type": "pong"}, "pong")
    c.frame(1, b'{"type":"chat","message":"why 1011?"}')
    got = [json.loads(c.recv_msg()[1])["type"] for _ in range(5)]
    check(got == CHAT_TYPES, "events %r" % got)
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


# ---- framing rules: what the server answers -----------------------------

KOSME = "κόσμε".encode()

# name, frames sent after the welcome, the frames the server must answer
# with (opcode, payload), in order, each with FIN set
REPLIES = [
    ("ping_identical_pong:empty", [frame(9, b"")], [(10, b"")]),
    ("ping_identical_pong:hello", [frame(9, b"hello")], [(10, b"hello")]),
    ("ping_identical_pong:125_bytes", [frame(9, bytes(range(125)))], [(10, bytes(range(125)))]),
    ("unsolicited_pong_ignored", [frame(10, b"x"), frame(1, b"after")], [(1, b"after")]),
    ("fragmented_with_ping_between",
     [frame(1, b"frag", fin=False), frame(9, b"mid"), frame(0, b"ment", fin=False),
      frame(0, b"ed")],
     [(10, b"mid"), (1, b"fragmented")]),
    ("fragmented_utf8_split_inside_codepoint",
     [frame(1 if i == 0 else 0, KOSME[i:i + 1], fin=(i == len(KOSME) - 1))
      for i in range(len(KOSME))],
     [(1, KOSME)]),
    ("at_limit_accepted", [frame(2, b"z" * MAX_MESSAGE)], [(2, b"z" * MAX_MESSAGE)]),
]


def replies(frames, want):
    c = open_welcomed(port)
    try:
        for f in frames:
            c.send(f)
        for i, (op, payload) in enumerate(want):
            fin, got_op, got = c.recv_frame()
            check(fin and (got_op, got) == (op, payload), "answer %d: opcode %d %r, want %d %r"
                  % (i + 1, got_op, got[:20], op, payload[:20]))
    finally:
        c.close()


table(REPLIES, replies)


# ---- framing rules: what fails the connection ----------------------------

UTF8_BAD = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"

# name, frames (or raw bytes) sent after the welcome, the close code the
# server must fail the connection with; it must then end TCP promptly
# after our reply
FAILS = [
    ("unmasked_client_frame_1002", [frame(1, b"hi", mask=False)], 1002),
] + [
    ("rsv_bits_1002:rsv%d" % rsv, [frame(1, b"hi", rsv=rsv)], 1002) for rsv in (1, 2, 4)
] + [
    ("reserved_opcodes_1002:0x%X" % op, [frame(op, b"x")], 1002)
    for op in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)
] + [
    ("control_frame_over_125_1002", [frame(9, b"p" * 126)], 1002),
    ("control_frame_fragmented_1002", [frame(9, b"p", fin=False)], 1002),
    ("continuation_without_start_1002", [frame(0, b"x")], 1002),
    ("new_message_inside_fragmented_1002", [frame(1, b"a", fin=False), frame(1, b"b")], 1002),
    ("invalid_utf8_1007:surrogate", [frame(1, UTF8_BAD)], 1007),
    ("invalid_utf8_1007:overlong", [frame(1, b"\xc0\xaf")], 1007),
    ("invalid_utf8_1007:past_U+10FFFF", [frame(1, b"\xf4\x90\x80\x80")], 1007),
    ("invalid_utf8_1007:ends_mid_sequence", [frame(1, b"ok\xe2\x82")], 1007),
    # the bad byte arrives in a non-final fragment: 1007 must come without
    # waiting for the FIN, which is never sent
    ("invalid_utf8_split_across_fragments_before_fin:4_byte",
     [frame(1, b"\xf0\x90", fin=False), frame(0, b"\x28", fin=False)], 1007),
    ("invalid_utf8_split_across_fragments_before_fin:0xff",
     [frame(1, b"valid", fin=False), frame(0, b"\xff", fin=False)], 1007),
    # fail fast: a frame announcing 100 bytes whose 2nd byte is invalid;
    # header, mask, 4 payload bytes sent, the rest never comes
    ("invalid_utf8_inside_one_frame_before_its_end",
     [frame(1, b"a\xff" + b"b" * 98)[:2 + 4 + 4]], 1007),
    ("close_one_byte_payload_1002", [frame(8, b"\x03")], 1002),
] + [
    ("close_invalid_codes_1002:%d" % code, [close_frame(code)], 1002)
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535)
] + [
    ("close_reason_too_long_1002", [close_frame(1000, b"r" * 124)], 1002),
    ("close_reason_bad_utf8_1007", [close_frame(1000, b"\xff\xfe")], 1007),
    # past --max-message: the header alone must trigger 1009
    ("over_limit_refused_from_header_1009",
     [frame(2, b"", length=2 * MAX_MESSAGE)[:2 + 8 + 4]], 1009),
    ("over_limit_across_fragments_1009",
     [frame(2, b"a" * 600000, fin=False), frame(0, b"", length=600000)[:2 + 8 + 4]], 1009),
    ("length_64bit_top_bit_1002", [struct.pack("!BBQ", 0x82, 0x80 | 127, 1 << 63) + b"mask"],
     1002),
    ("non_minimal_lengths_1002:16_bit_for_100", [frame(1, b"x" * 100, len_form=16)], 1002),
    ("non_minimal_lengths_1002:64_bit_for_1000", [frame(1, b"x" * 1000, len_form=64)], 1002),
    ("non_minimal_lengths_1002:16_bit_for_0", [frame(1, b"", len_form=16)], 1002),
]


def fails(frames, code):
    c = open_welcomed(port)
    try:
        for f in frames:
            c.send(f)
        c.expect_close(code)
        c.close_reply(1000)
        c.expect_eof()
    finally:
        c.close()


table(FAILS, fails)


# ---- the closing handshake ------------------------------------------------

# name, what we send after the welcome, the close code the server must
# answer with (None: an empty close) and its reason (None: not checked);
# nothing may come before it, and TCP must end within 0.5 s
CLOSES = [
    ("close_valid_codes_echoed:%d" % code, close_frame(code, b"bye"), code, None)
    for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                 3000, 3999, 4000, 4999)
] + [
    ("close_empty_payload_answered_empty", frame(8, b""), None, b""),
    ("close_reason_max_123_bytes_ok", close_frame(1000, ("é" * 61 + "x").encode()), 1000,
     ("é" * 61 + "x").encode()),
    ("data_after_close_ignored", close_frame(1000) + frame(1, b"late"), 1000, None),
]


def closes(sent, code, reason):
    c = open_welcomed(port)
    try:
        c.send(sent)
        fin, op, p = c.recv_frame()
        check(op == 8, "opcode %d %r before the close" % (op, p[:40]))
        got = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else None
        check(got == code and len(p) != 1, "close payload %r, want code %r" % (p[:40], code))
        check(reason is None or p[2:] == reason, "reason %r, want %r" % (p[2:], reason))
        c.expect_eof(0.5)
    finally:
        c.close()


table(CLOSES, closes)


@case
def tcp_closed_promptly_after_close_handshake():
    c = open_welcomed(port)
    t0 = time.time()
    c.frame(8, struct.pack("!H", 1000))
    c.expect_close(1000)
    c.expect_eof(0.5)
    check(time.time() - t0 < 0.5, "slow close")
    c.close()


@case
def server_closes_tcp_if_peer_never_answers_close():
    # Protocol error → close frame; we never reply, the server still ends TCP.
    c = open_welcomed(port)
    c.frame(1, b"x", mask=False)
    c.expect_close(1002)
    c.expect_eof(2.0)
    c.close()


# ---- idle timeout, faults, logs ------------------------------------------


@case
def idle_timeout_1001():
    with running("--idle-timeout", "300") as s:
        c = open_welcomed(s.port)
        t0 = time.time()
        c.expect_close(1001)
        check(0.25 <= time.time() - t0 <= 1.5, "idle close timing")
        c.close()


def fault_close(port, code, reason, extra="", min_ms=0, max_ms=1500):
    """Connect; no welcome may arrive; the close comes in [min_ms, max_ms]."""
    c = WS(port)
    c.handshake(extra=extra)
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


# Each --fault that closes every connection, its close code and reason
# taken from FAULTS. name, the server's arguments, when the close must come
# (ms after the 101), a text naming the connection in the log, what that
# connection's records must say, and (optionally) two messages that must be
# consecutive and what /health must say of E2E testing
FAULT_CLOSES = [
    ("fault_enum_log", ["--fault", "enum-log"], (50, 1000), "WebSocketState.CONNECTING", [
        "WebSocket not in CONNECTED state after registration: WebSocketState.CONNECTING",
        "WebSocket error: Object of type WebSocketState is not JSON serializable",
        "--- Logging error ---",
        "Traceback (most recent call last):",
        '  File "/usr/local/lib/python3.11/logging/__init__.py", line 1110, in emit',
        "TypeError: Object of type WebSocketState is not JSON serializable",
        "Call stack:",
        "Message: 'WebSocket error: %s'",
        "Arguments: (",
        "code=1011"], ("--- Logging error ---", "Traceback (most recent call last):"), None),
    ("fault_missing_service", ["--fault", "missing-service"], (40, 400), "agent_supervisor",
     ["agent_supervisor is None", "thread_service is None", "staging"], None, None),
    # long enough a wait for the server to log that it is waiting
    ("fault_startup_incomplete", ["--fault", "startup-incomplete", "--startup-wait", "700"],
     (650, 1500), "startup", ["Waiting for startup to complete", "startup_complete=False",
                              "Startup did not complete within 0.7s"], None, None),
    ("fault_e2e_env_without_variables", ["--fault", "e2e-env"], (0, 500), "E2E detection",
     ["is_e2e_testing=False", "Strict JWT validation failed", "factory SSOT validation failed"],
     None, {"enabled": False}),
]


def fault_closes(args, ms, conn, needles, follows, e2e):
    _, _, code, reason, _ = fault(args[1])
    with running(*args) as s:
        fault_close(s.port, code, reason, min_ms=ms[0], max_ms=ms[1])
        cid = conn_id_of(s, conn)
        check_correlated(s, cid, needles)
        if follows:
            msgs = [e["message"] for e in log_lines_for(s, cid)]
            i = msgs.index(follows[0])
            check(msgs[i + 1] == follows[1], "%r not right after %r" % follows[::-1])
        if e2e is not None:
            _, _, body = http_get(s.port)
            j = json.loads(body)
            check(j["e2e_testing"] == e2e, "health %r" % j)


table(FAULT_CLOSES, fault_closes)


@case
def fault_enum_log_safe_logging_healthy():
    with running("--fault", "enum-log", "--safe-logging") as s:
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


@case
def fault_enum_log_gcloud_format():
    with running("--fault", "enum-log", "--log", "gcloud") as s:
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


@case
def fault_enum_log_text_format():
    with running("--fault", "enum-log", "--log", "text") as s:
        fault_close(s.port, 1011, "Internal error", min_ms=50)
        time.sleep(0.05)
        lines = s.logs().splitlines()
        check("--- Logging error ---" in lines, "bare block header")
        check(any(" - WARNING - " in l and "WebSocketState.CONNECTING" in l for l in lines),
              "python-style warning line")
        check(any(l.startswith("Arguments: (") for l in lines), "Arguments line")


@case
def fault_e2e_env_header_bypass():
    with running("--fault", "e2e-env") as s:
        c = open_ws(s.port, extra="X-E2E-Testing: true\r\n")
        c.welcome()
        c.close()


# name, the environment that turns E2E testing on for --fault e2e-env
E2E_BYPASSES = [
    ("fault_e2e_env_each_variable_bypass:" + next(iter(env)), env)
    for env in ({"E2E_TESTING": "1"}, {"PYTEST_RUNNING": "1"}, {"STAGING_E2E_TEST": "1"},
                {"E2E_OAUTH_SIMULATION_KEY": "sekrit-value"}, {"E2E_TEST_ENV": "staging"})
]


def e2e_bypass(env):
    with running("--fault", "e2e-env", env=env) as s:
        c = open_ws(s.port)
        c.welcome()
        c.close()
        _, _, body = http_get(s.port)
        j = json.loads(body)
        check(j["e2e_testing"] == {"enabled": True}, "health %r for %r" % (j, env))
        check("sekrit-value" not in s.logs(), "simulation key leaked into logs")


table(E2E_BYPASSES, e2e_bypass)


@case
def fault_abort_no_close_frame():
    with running("--fault", "abort") as s:
        c = WS(s.port)
        c.handshake()
        got = c.read_to_end(2)
        check(got == b"", "abort sent bytes %r" % got[:40])
        c.close()
        time.sleep(0.05)
        cid = conn_id_of(s, "Error in WebSocket endpoint")
        check_correlated(s, cid, ["RuntimeError", "Traceback (most recent call last)",
                                  "without a close frame"])


@case
def thousand_concurrent_clients():
    n = 1000
    conns = []
    deadline = time.time() + 25
    try:
        for i in range(n):
            c = WS(port, timeout=10)
            c.send(request(key=rand_key()))
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
def sigterm_closes_1001_and_exits_0():
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
def sigterm_with_silent_clients_still_exits():
    s = Server()
    conns = [open_welcomed(s.port) for _ in range(3)]
    s.proc.send_signal(signal.SIGTERM)
    rc = s.proc.wait(5)
    check(rc == 0, "exit status %r" % rc)
    for c in conns:
        c.expect_close(1001)
        c.close()
    s.stop()


@contextlib.contextmanager
def shared_server():
    """The server most cases use; it must outlive them and exit 0."""
    global port
    s = Server("--max-message", MAX_MESSAGE)
    port = s.port
    yield
    check(s.proc.poll() is None, "main server died")
    rc = s.stop()
    check(rc == 0, "main server exit status %r" % rc)


if __name__ == "__main__":
    sys.exit(run_suite(cases, WATCHDOG, around=shared_server()))
