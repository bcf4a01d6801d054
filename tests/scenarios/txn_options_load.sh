#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# OPTIONS to the server itself over TLS (a Python ssl client: Debian's sipp
# has no TLS), then 10,000 OPTIONS from sipp over UDP. The server must
# answer them all and exit 0; in the sanitizer build that exit status also
# says ASan/LSan found no error and no leak.
set -u
. "$top_srcdir/tests/scenarios/txn_common.sh"
command -v python3 >/dev/null 2>&1 || { echo "python3 missing" >&2; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "openssl missing" >&2; exit 77; }

ss_make_config "
    <module name=\"parser\"/>
    <module name=\"transport\">
      <listen transport=\"udp\" address=\"127.0.0.1\" port=\"0\"/>
      <listen transport=\"tls\" address=\"127.0.0.1\" port=\"0\"/>
      <tls certificate=\"@SS_DIR@/cert.pem\" key=\"@SS_DIR@/key.pem\"/>
    </module>
    <module name=\"transaction\"/>" "modulepath=\"$top_builddir/modules\""
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-keyout "$SS_DIR/key.pem" -out "$SS_DIR/cert.pem" >/dev/null 2>&1 ||
	fail "cannot make a self-signed certificate"
ss_start
UDP_PORT=$(txn_listener_port udp)
TLS_PORT=$(txn_listener_port tls)
[ -n "$TLS_PORT" ] || fail "no TLS listener: $(ss_rx "sip show transports")"

python3 - "$TLS_PORT" <<'PY' || fail "OPTIONS over TLS was not answered with 200"
import socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
msg = ("OPTIONS sip:127.0.0.1:%d;transport=tls SIP/2.0\r\n"
       "Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-tls-1;rport\r\n"
       "Max-Forwards: 70\r\nTo: <sip:127.0.0.1>\r\n"
       "From: <sip:probe@127.0.0.1>;tag=t1\r\nCall-ID: tls-options-1\r\n"
       "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % port)
with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
    with ctx.wrap_socket(raw) as s:
        s.sendall(msg.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
line = data.split(b"\r\n", 1)[0]
print(line.decode(errors="replace"))
sys.exit(0 if line.startswith(b"SIP/2.0 200") else 1)
PY

(
	cd "$SS_DIR" || exit 99
	sipp -sf "$SIPP_DIR/txn_options.xml" -m 10000 -r 2000 -l 500 -t u1 \
		-i 127.0.0.1 -p 0 -nostdin -timeout 60 -timeout_error \
		-trace_stat -stf load.csv "127.0.0.1:$UDP_PORT" >load.out 2>&1
) || fail "10,000 OPTIONS over UDP: $(tail -20 "$SS_DIR/load.out")"

[ "$(txn_created "server non-INVITE")" -ge 10000 ] ||
	fail "server transactions: $(ss_rx "transaction show summary")"
kill -TERM "$SS_PID"
ss_wait_exit 0
grep -q "ERROR" "$SS_LOG" && fail "errors in the log"
echo "txn_options_load: passed"
