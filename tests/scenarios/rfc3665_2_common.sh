# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the RFC 3665 section 2 (registration) scenario tests: a server
# running parser, transport, transaction, location, digest_auth and
# registrar on a port the system picks, sipp as the user agent, and digest
# responses computed here.
#
# Why the digest is computed in shell: digest_auth challenges with SHA-256
# first and MD5 second (RFC 8760 3), sharing one nonce. The [authentication]
# keyword of sipp 3.6.1 (Debian's sip-tester) takes the first challenge and
# answers MD5 only, so it gives up. Each exchange therefore runs in steps:
# sipp sends the REGISTER and logs the nonce of the 401, the shell computes
# the response with md5sum/sha256sum, and a second sipp run sends it from a
# CSV injection file. The nonce is valid for minutes and counts its uses
# (nc), so later REGISTERs reuse it with nc 2, 3... without a new challenge,
# as in RFC 3665 2.2-2.4.

. "$top_srcdir/tests/lib/server.sh"

SIPP_DIR="$top_srcdir/tests/scenarios/sipp"
REG_USER=alice
REG_PASS=secret
REG_DOMAIN=127.0.0.1
REG_AOR="sip:$REG_USER@$REG_DOMAIN"

command -v sipp >/dev/null 2>&1 || {
	echo "sipp (Debian package sip-tester) is not installed" >&2
	exit 77
}

# reg_config [REGISTRAR_BODY [LOCATION_BODY]]: child elements of the
# registrar's and the location module's sections.
reg_config() {
	ss_make_config "
    <module name=\"parser\"/>
    <module name=\"transport\"><listen transport=\"udp\" address=\"127.0.0.1\" port=\"0\"/></module>
    <module name=\"transaction\"/>
    <module name=\"location\">${2:-}</module>
    <module name=\"digest_auth\"><require methods=\"REGISTER\"/></module>
    <module name=\"registrar\">${1:-}</module>" \
		"modulepath=\"$top_builddir/modules\""
}

# The UDP port the server's listener got (sets SS_PORT).
reg_server_port() {
	SS_PORT=$(ss_rx "sip show transports" |
		awk '$1 == "udp" { n = split($2, a, ":"); print a[n]; exit }')
	[ -n "$SS_PORT" ] || fail "no UDP listener in sip show transports"
}

# A UDP port nothing on this host is bound to, derived from our PID so that
# tests running in parallel start their search in different places.
reg_free_port() {
	local p i hex
	p=$((20000 + ($$ * 13 + ${1:-0} * 101) % 40000))
	for i in $(seq 1 200); do
		hex=$(printf '%04X' "$p")
		if ! grep -q ":$hex " /proc/net/udp /proc/net/udp6 2>/dev/null; then
			echo "$p"
			return 0
		fi
		p=$((p + 1))
		[ "$p" -lt 60000 ] || p=20000
	done
	fail "no free UDP port"
}

# reg_start [REGISTRAR_BODY [LOCATION_BODY]]: configures and starts the
# server, adds the user and picks the UA's port.
reg_start() {
	reg_config "${1:-}" "${2:-}"
	ss_start
	reg_server_port
	ss_rx "auth user add $REG_USER@$REG_DOMAIN $REG_PASS" >/dev/null ||
		fail "auth user add"
	UA_PORT=$(reg_free_port 1)
	CALL_ID="reg-$$-$(date +%s%N)@127.0.0.1"
	EXPIRES=3600
	NC=0
}

# reg_sipp NAME SCENARIO [CSV]: runs one sipp exchange from the test's
# directory; its messages go to $SS_DIR/NAME.msg, its log to NAME.log.
# Returns sipp's status (0: every call passed).
reg_sipp() {
	local name=$1 xml=$2 csv=${3:-}
	(
		cd "$SS_DIR" || exit 99
		set -- -sf "$SIPP_DIR/$xml" -m 1 -i 127.0.0.1 -p "$UA_PORT" \
			-cid_str "$CALL_ID" -nostdin -timeout 15 -timeout_error \
			-trace_msg -message_file "$name.msg" \
			-trace_err -error_file "$name.err" \
			-trace_logs -log_file "$name.log"
		[ -n "$csv" ] && set -- "$@" -inf "$csv"
		sipp "$@" "127.0.0.1:$SS_PORT" >"$name.out" 2>&1
	)
}

# The last message of sipp's trace NAME.msg whose first line matches $2.
reg_received() {
	awk -v want="$2" '
		{ sub(/\r$/, "") }
		/^-+ [0-9-]+ [0-9:.]+$/ { inmsg = 0; next }
		/message received/ { inmsg = 1; buf = ""; first = ""; next }
		/message sent/ { inmsg = 0; next }
		inmsg && first == "" && !NF { next }
		inmsg && first == "" { first = $0 }
		inmsg { buf = buf $0 "\n" }
		inmsg && first ~ want { last = buf }
		END { printf "%s", last }' "$SS_DIR/$1.msg"
}

# reg_challenge NAME: REGISTER without credentials (CSeq $CSEQ, Call-ID
# $CALL_ID), expects 401; sets NONCE and REALM from the challenge.
reg_challenge() {
	local name=$1
	printf 'SEQUENTIAL\n%s;%s;%s;;%s\n' "$CSEQ" "$REG_USER" "$REG_DOMAIN" \
		"$EXPIRES" >"$SS_DIR/$name.csv"
	reg_sipp "$name" reg_challenge.xml "$name.csv" ||
		fail "$name: no 401 challenge: $(cat "$SS_DIR/$name.err" 2>/dev/null)"
	NONCE=$(sed -n 's/^nonce=\(.*\)$/\1/p' "$SS_DIR/$name.log" | tail -n 1)
	REALM=$(sed -n 's/^realm=\(.*\)$/\1/p' "$SS_DIR/$name.log" | tail -n 1)
	[ -n "$NONCE" ] && [ -n "$REALM" ] || fail "$name: no nonce/realm logged"
	NC=0
}

# reg_hash ALGO TEXT: the hex digest (MD5 or SHA-256) of TEXT.
reg_hash() {
	case "$1" in
	MD5) printf '%s' "$2" | md5sum | cut -d' ' -f1 ;;
	SHA-256) printf '%s' "$2" | sha256sum | cut -d' ' -f1 ;;
	*) fail "unknown digest algorithm $1" ;;
	esac
}

# reg_auth ALGO PASSWORD: sets AUTH to the Authorization value answering
# $NONCE/$REALM for REGISTER sip:$REG_DOMAIN with qop=auth and the next
# nonce count (RFC 7616 3.4.1). Not in a subshell: NC must advance.
reg_auth() {
	local algo=$1 pass=$2 uri="sip:$REG_DOMAIN" ha1 ha2 nc cnonce resp
	NC=$((NC + 1))
	nc=$(printf '%08x' "$NC")
	cnonce=$(printf '%08x%04x' "$$" "$NC")
	ha1=$(reg_hash "$algo" "$REG_USER:$REALM:$pass")
	ha2=$(reg_hash "$algo" "REGISTER:$uri")
	resp=$(reg_hash "$algo" "$ha1:$NONCE:$nc:$cnonce:auth:$ha2")
	AUTH=$(printf 'Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=%s, cnonce="%s", qop=auth, nc=%s' \
		"$REG_USER" "$REALM" "$NONCE" "$uri" "$resp" "$algo" "$cnonce" "$nc")
}

# reg_send NAME SCENARIO AUTHORIZATION [CONTACT2]: one REGISTER carrying
# credentials, CSeq $CSEQ, Call-ID $CALL_ID, Expires $EXPIRES; the
# scenario says what the answer must be. CONTACT2 is a second Contact URI
# for the scenarios that register two.
reg_send() {
	local name=$1 xml=$2 auth=$3 contact2=${4:-}
	printf 'SEQUENTIAL\n%s;%s;%s;%s;%s;%s\n' "$CSEQ" "$REG_USER" \
		"$REG_DOMAIN" "$auth" "$EXPIRES" "$contact2" >"$SS_DIR/$name.csv"
	reg_sipp "$name" "$xml" "$name.csv"
}

# True once `location show AOR` lists no binding for it.
reg_unbound() {
	! ss_rx "location show $1" 2>/dev/null | grep -q '^  '
}

# reg_register: RFC 3665 2.1 in full (401, then 200 with credentials),
# leaving $REG_AOR bound to sip:alice@127.0.0.1:$UA_PORT.
reg_register() {
	CSEQ=1
	reg_challenge reg_f1
	CSEQ=2
	reg_auth MD5 "$REG_PASS"
	reg_send reg_f3 reg_auth_200.xml "$AUTH" ||
		fail "2.1 F3: no 200 OK: $(cat "$SS_DIR/reg_f3.err" 2>/dev/null)"
}
