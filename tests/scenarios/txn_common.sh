# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the transaction scenario tests: a server running parser,
# transport (UDP and TCP on ports the system picks) and transaction, sipp
# as the user agent, and the counters of `transaction show summary`.

. "$top_srcdir/tests/lib/server.sh"

SIPP_DIR="$top_srcdir/tests/scenarios/sipp"

command -v sipp >/dev/null 2>&1 || {
	echo "sipp (Debian package sip-tester) is not installed" >&2
	exit 77
}

txn_start() {
	ss_make_config "
    <module name=\"parser\"/>
    <module name=\"transport\">
      <listen transport=\"udp\" address=\"127.0.0.1\" port=\"0\"/>
      <listen transport=\"tcp\" address=\"127.0.0.1\" port=\"0\"/>
    </module>
    <module name=\"transaction\"/>" \
		"modulepath=\"$top_builddir/modules\""
	ss_start
	UDP_PORT=$(txn_listener_port udp)
	TCP_PORT=$(txn_listener_port tcp)
	[ -n "$UDP_PORT" ] && [ -n "$TCP_PORT" ] ||
		fail "no UDP/TCP listener in sip show transports"
}

# The port of the first listener of protocol $1 (udp, tcp).
txn_listener_port() {
	ss_rx "sip show transports" |
		awk -v p="$1" 'tolower($1) == p { n = split($2, a, ":"); print a[n]; exit }'
}

# txn_sipp NAME SCENARIO TRANSPORT(u1|t1) PORT: one sipp call from the
# test's directory; messages in $SS_DIR/NAME.msg. Returns sipp's status.
txn_sipp() {
	local name=$1 xml=$2 t=$3 port=$4
	(
		cd "$SS_DIR" || exit 99
		sipp -sf "$SIPP_DIR/$xml" -m 1 -t "$t" -i 127.0.0.1 -p 0 \
			-nostdin -timeout 15 -timeout_error \
			-trace_msg -message_file "$name.msg" \
			-trace_err -error_file "$name.err" \
			"127.0.0.1:$port" >"$name.out" 2>&1
	)
}

# txn_counter TEXT: the number after "TEXT: " in transaction show summary.
txn_counter() {
	ss_rx "transaction show summary" |
		sed -n "s/.*$1: \([0-9][0-9]*\).*/\1/p" | head -n 1
}

# txn_created TYPE: the "created" column of a row ("server INVITE"...).
txn_created() {
	ss_rx "transaction show summary" |
		awk -v t="$1" 'index($0, t " ") == 1 { print $(split(t, x, " ") + 1); exit }'
}
