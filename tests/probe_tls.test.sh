#!/bin/sh
# logwhy probe over wss://: logwhy-wsd behind a small TLS front
# (tests/tls_front.py), with a CA and certificates made here by openssl,
# loopback only, every step under a timeout. The probe verifies the chain
# (system store, SSL_CERT_FILE or --cacert) and the host name, sends SNI,
# and reports a failed TLS handshake as a 1015 close trace.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
srv_pid=
front_pid=
suite_cleanup() {
	[ -n "$front_pid" ] && kill "$front_pid" 2>/dev/null
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
}
SHOW_OK=1

for tool in openssl "$PY" "$LOGWHY" "$WSD"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "FAIL missing $tool"
		echo "0 passed, 1 failed"
		exit 1
	fi
done

# a CA, a server certificate it signed for DNS:localhost (no IP address:
# the host-name check is tried below), and a self-signed one
cd "$tmp" || exit 1
quiet() { "$@" >/dev/null 2>&1; }
quiet openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=logwhy test CA" \
	-keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign"
quiet openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout srv.key -out srv.csr
printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' >srv.ext
quiet openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
	-extfile srv.ext -out srv.pem
quiet openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost" -keyout self.key -out self.pem
cd - >/dev/null || exit 1
if [ -s "$tmp/srv.pem" ] && [ -s "$tmp/self.pem" ]; then ok "certificates made"; else
	bad "openssl could not make the certificates"; echo "$pass passed, $fail failed"; exit 1; fi

wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; [ -s "$1" ]; }

"$WSD" --listen 127.0.0.1 --port 0 --port-file "$tmp/wsd.port" >"$tmp/wsd.log" 2>&1 &
srv_pid=$!
wait_file "$tmp/wsd.port" || { bad "logwhy-wsd did not start"; echo "$pass passed, $fail failed"; exit 1; }
wsd_port=$(cat "$tmp/wsd.port")

# front FILE KEY: (re)start the TLS front with that certificate; sets $port
front() {
	[ -n "$front_pid" ] && kill "$front_pid" 2>/dev/null && wait "$front_pid" 2>/dev/null
	rm -f "$tmp/front.port"
	"$PY" tests/tls_front.py "$1" "$2" "$wsd_port" "$tmp/front.port" 60 2>"$tmp/front.err" &
	front_pid=$!
	wait_file "$tmp/front.port" || { bad "TLS front did not start: $(cat "$tmp/front.err")"; return 1; }
	port=$(cat "$tmp/front.port")
}

# probe OUT ARGS...: the probe, bounded, its status in $rc
probe() {
	out=$1
	shift
	timeout 20 "$LOGWHY" probe --timeout 1500 "$@" >"$tmp/$out" 2>"$tmp/$out.err"
	rc=$?
}
field() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$tmp/$1" "$2" 2>&1; }

front "$tmp/srv.pem" "$tmp/srv.key" || { echo "$pass passed, $fail failed"; exit 1; }

probe trusted.json --cacert "$tmp/ca.pem" "wss://localhost:$port/ws"
if [ $rc -eq 0 ] && [ "$(field trusted.json 'd["healthy"], d["close"]["code"], d["first_message"].startswith("{\"type\":\"connection_established\""), d["tls"][:5], d["health"]["ok"]')" = \
	"(True, 1000, True, 'TLSv1', True)" ]; then
	ok "wss:// with --cacert: welcome over TLS, health over https, healthy"
else
	bad "wss:// with --cacert: rc $rc: $(cat "$tmp/trusted.json" "$tmp/trusted.json.err")"
fi

SSL_CERT_FILE=$tmp/ca.pem timeout 20 "$LOGWHY" probe --timeout 1500 "wss://localhost:$port/ws" >"$tmp/env.json" 2>/dev/null
if [ $? -eq 0 ] && [ "$(field env.json 'd["healthy"]')" = True ]; then
	ok "the default store is OpenSSL's (SSL_CERT_FILE honoured)"
else
	bad "SSL_CERT_FILE: $(cat "$tmp/env.json")"
fi

# not trusted: the system store does not know the test CA
probe untrusted.json "wss://localhost:$port/ws"
if [ $rc -eq 1 ] && [ "$(field untrusted.json 'd["close"]["code"], d["healthy"], "certificate verify failed" in d["close"]["reason"]')" = "(1015, False, True)" ]; then
	ok "unknown CA refused: 1015 close trace, exit 1"
else
	bad "unknown CA: rc $rc: $(cat "$tmp/untrusted.json" "$tmp/untrusted.json.err")"
fi
probe insecure.json --insecure "wss://localhost:$port/ws"
if [ $rc -eq 0 ] && [ "$(field insecure.json 'd["healthy"]')" = True ]; then ok "--insecure connects anyway"; else
	bad "--insecure: rc $rc: $(cat "$tmp/insecure.json")"; fi

# the certificate names localhost, not 127.0.0.1
probe mismatch.json --cacert "$tmp/ca.pem" "wss://127.0.0.1:$port/ws"
if [ $rc -eq 1 ] && [ "$(field mismatch.json '"does not name" in d["close"]["reason"] and "127.0.0.1" in d["message"]')" = True ]; then
	ok "host name checked: a certificate for localhost refused at 127.0.0.1"
else
	bad "host name: rc $rc: $(cat "$tmp/mismatch.json")"
fi

# the refused certificate's trace is a close trace the readers take: one
# record, a close event with code 1015 and the reason
"$LOGWHY" triage -q --output json "$tmp/untrusted.json" >"$tmp/untrusted.triage" 2>&1
if [ "$(field untrusted.triage 'd["records"], d["warnings"]')" = "(1, [])" ]; then ok "the 1015 trace reads as one record"; else
	bad "trace: $(cat "$tmp/untrusted.triage")"; fi

# a self-signed certificate, even for the right name
front "$tmp/self.pem" "$tmp/self.key" || { echo "$pass passed, $fail failed"; exit 1; }
probe self.json --cacert "$tmp/ca.pem" "wss://localhost:$port/ws"
if [ $rc -eq 1 ] && [ "$(field self.json '"self-signed" in d["close"]["reason"] or "self signed" in d["close"]["reason"]')" = True ]; then
	ok "self-signed certificate refused with the reason"
else
	bad "self-signed: rc $rc: $(cat "$tmp/self.json")"
fi
probe self-k.json -k "wss://localhost:$port/ws"
if [ $rc -eq 0 ]; then ok "-k accepts the self-signed certificate"; else bad "-k: rc $rc: $(cat "$tmp/self-k.json")"; fi

# wss:// to a server that does not speak TLS: a readable 1015, not a hang
probe plain.json --cacert "$tmp/ca.pem" "wss://127.0.0.1:$wsd_port/ws"
if [ $rc -eq 1 ] && [ "$(field plain.json 'd["close"]["code"], d["message"].startswith("WebSocket connection closed with 1015 (TLS handshake failure): TLS handshake failed")')" = "(1015, True)" ]; then
	ok "a plain server behind wss://: 1015 in words"
else
	bad "plain server: rc $rc: $(cat "$tmp/plain.json")"
fi
# text form
timeout 20 "$LOGWHY" probe -H --timeout 1500 "wss://localhost:$port/ws" >"$tmp/human.txt" 2>&1
if grep -q 'certificate verify failed' "$tmp/human.txt"; then ok "-H shows the TLS failure"; else bad "-H: $(cat "$tmp/human.txt")"; fi

# OpenSSL is loaded when a wss:// probe starts, not linked: a libssl.so.3
# the loader finds first (LD_LIBRARY_PATH) that is not a library, or that
# lacks OpenSSL's functions, is a TLS set-up failure in words, exit 1
mkdir "$tmp/badlib"
: >"$tmp/badlib/libssl.so.3"
LD_LIBRARY_PATH=$tmp/badlib probe noload.json "wss://localhost:$port/ws"
if [ $rc -eq 1 ] && [ "$(field noload.json 'd["close"]["code"], d["error"].startswith("TLS: cannot load libssl.so.3: ")')" = "(1015, True)" ]; then
	ok "libssl.so.3 that does not load: 1015 with the loader's reason"
else
	bad "libssl.so.3 that does not load: rc $rc: $(cat "$tmp/noload.json" "$tmp/noload.json.err")"
fi
echo 'int not_openssl(void) { return 0; }' >"$tmp/badlib/f.c"
if ${CC:-cc} -shared -fPIC -o "$tmp/badlib/libssl.so.3" "$tmp/badlib/f.c" 2>"$tmp/badlib/cc.err"; then
	LD_LIBRARY_PATH=$tmp/badlib probe nosym.json "wss://localhost:$port/ws"
	if [ $rc -eq 1 ] && [ "$(field nosym.json '"undefined symbol" in d["error"] and d["error"].startswith("TLS: cannot load libssl.so.3: ")')" = True ]; then
		ok "libssl.so.3 without OpenSSL's functions: 1015 naming the missing one"
	else
		bad "libssl.so.3 without the functions: rc $rc: $(cat "$tmp/nosym.json" "$tmp/nosym.json.err")"
	fi
else
	bad "cannot build the stand-in libssl.so.3: $(cat "$tmp/badlib/cc.err")"
fi

tests_done
