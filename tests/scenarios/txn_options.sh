#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# OPTIONS nobody else handles, over UDP and TCP: the transaction layer's
# catch-all answers 200 with Allow, Accept and Supported; the console
# counts the server transactions and summarises the SIP stack's counters.
set -u
. "$top_srcdir/tests/scenarios/txn_common.sh"

txn_start

txn_sipp options_udp txn_options.xml u1 "$UDP_PORT" ||
	fail "OPTIONS over UDP: $(cat "$SS_DIR/options_udp.err" "$SS_DIR/options_udp.out" 2>/dev/null)"
txn_sipp options_tcp txn_options.xml t1 "$TCP_PORT" ||
	fail "OPTIONS over TCP: $(cat "$SS_DIR/options_tcp.err" "$SS_DIR/options_tcp.out" 2>/dev/null)"

[ "$(txn_created "server non-INVITE")" = 2 ] ||
	fail "expected 2 server transactions: $(ss_rx "transaction show summary")"
[ "$(txn_counter "catch-all replies")" = 2 ] ||
	fail "catch-all: $(ss_rx "transaction show summary")"
out=$(ss_rx "sip show stats") || fail "sip show stats"
echo "$out" | grep -q "^transaction: 2 server" || fail "sip show stats: $out"
echo "$out" | grep -q "^parser: *2 requests" || fail "sip show stats: $out"

# tracing shows the message and who answered it
ss_rx "sip set trace on" >/dev/null || fail "sip set trace on"
txn_sipp options_trace txn_options.xml u1 "$UDP_PORT" || fail "traced OPTIONS"
ss_wait_for "trace in the log" grep -q "handled by transaction" "$SS_LOG"
grep -q -- "--> UDP" "$SS_LOG" || fail "no outgoing trace"
ss_rx "sip set trace off" >/dev/null || fail "sip set trace off"

kill -TERM "$SS_PID"
ss_wait_exit 0
grep -q "ERROR" "$SS_LOG" && fail "errors in the log"
echo "txn_options: passed"
