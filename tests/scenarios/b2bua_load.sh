#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 1,000 calls through the SIP ALG under sipp load (50 calls/s, a 500 ms
# hold, the relay's SDP checked on every call): every call must pass, and
# afterwards no call, relay session, port or transaction may be left and
# the server's memory must be back to its level after a warm-up run at the
# same rate. Ended calls stay allocated until their INVITE transaction's
# Timer M (64*T1), so the warm-up lasts longer than that to reach the
# steady-state high-water mark; past it, half a KiB per call of the load
# is allowed, which a per-call leak would exceed. Prints the figures.
set -u
. "$top_srcdir/tests/lib/multi.sh"

A=127.0.35.11
ALG=127.0.35.12
B=127.0.35.15
A_PORT=$(ss_multi_free_port $A 11)
B_PORT=$(ss_multi_free_port $B 12)
ALG_PORT=$(ss_multi_free_port $ALG 13)
RTP_BASE=$(( (20 + ($$ + 7) % 30) * 1000 ))
PORT_RE="${RTP_BASE%000}[0-9][0-9][0-9]"
CALLS=${B2B_LOAD_CALLS:-1000}
RATE=${B2B_LOAD_RATE:-50}

# T1 = 100 ms: ended calls are reaped 64*T1 after their 2xx.
ss_multi_start alg "
    <module name=\"parser\"/>
    <module name=\"transport\"><listen transport=\"udp\" address=\"$ALG\" port=\"$ALG_PORT\"/></module>
    <module name=\"transaction\"><timers t1=\"100\" t2=\"400\" t4=\"500\"/></module>
    <module name=\"rtp_relay\">
      <address ip=\"$ALG\"/>
      <ports min=\"$RTP_BASE\" max=\"$((RTP_BASE + 999))\"/>
    </module>
    <module name=\"b2bua\">
      <next_hop uri=\"sip:$B:$B_PORT;lr\"/>
      <timers t1=\"100\" t2=\"400\"/>
    </module>"
PID=$(ss_multi_pid alg)

subst="s/@RELAY_IP@/$(echo $ALG | sed 's/\./\\\\./g')/; s/@PORT_RE@/$PORT_RE/; s/@HOLD_MS@/500/"
ALICE=$(ss_multi_template alg_load_alice.xml alice.xml "$subst")
BOB=$(ss_multi_template alg_load_bob.xml bob.xml "$subst")

rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PID/status"
}
# CPU time of the server in clock ticks (utime + stime).
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$PID/stat"
}
idle() {
	ss_multi_rx alg "b2bua show calls" | grep -q '^0 calls' &&
		ss_multi_rx alg "rtp show stats" | grep -q 'sessions: 0 active' &&
		ss_multi_rx alg "transaction show" | awk '
			/^(server|client)/ { for (i = 4; i <= NF; i++) n += $i }
			END { exit n != 0 }'
}

# run NAME CALLS: one bounded load run, both sides.
run() {
	ss_multi_sipp_bg "bob_$1" "$BOB" $B "$B_PORT" "$ALG:$ALG_PORT" \
		-m "$2" -mi $B
	ss_multi_wait_for "Bob's sipp" ss_multi_udp_bound $B "$B_PORT"
	SS_MULTI_SIPP_TIMEOUT=$(( $2 / RATE + 60 )) ss_multi_sipp "alice_$1" \
		"$ALICE" $A "$A_PORT" "$ALG:$ALG_PORT" -m "$2" -r "$RATE" \
		-l 200 -mi $A || fail "caller load run $1 failed (alice_$1.err)"
	ss_multi_sipp_wait "bob_$1" || fail "callee load run $1 failed"
	SS_MULTI_WAIT=1200 ss_multi_wait_for "everything released after $1" idle
}

WARMUP=$((RATE * 8))
run warmup "$WARMUP"
before=$(rss_kb)
c0=$(cpu_ticks)
t0=$(date +%s)
run load "$CALLS"
t1=$(date +%s)
after=$(rss_kb)
c1=$(cpu_ticks)

ss_multi_rx alg "rtp show streams" | grep -q '^0 sessions' || fail "streams left"
stats=$(ss_multi_rx alg "rtp show stats")
echo "$stats" | grep -q "ports: 500 of 500 pairs free" || fail "ports not all free: $stats"
total=$(ss_multi_rx alg "b2bua show calls" | sed -n 's/^0 calls (\([0-9]*\) accepted.*/\1/p')
[ "$total" = $((CALLS + WARMUP)) ] ||
	fail "calls accepted: $total, expected $((CALLS + WARMUP))"
echo "b2bua load: $CALLS calls in $((t1 - t0)) s at $RATE/s," \
	"server CPU $(( (c1 - c0) * 1000 / $(getconf CLK_TCK) )) ms;" \
	"RSS ${before} kB after warm-up, ${after} kB after the load"
# Under AddressSanitizer freed memory sits in its quarantine (256 MB by
# default) instead of being reused, so RSS only says something about leaks
# in a plain build; the sanitizer build reports leaks itself at exit.
if grep -q "libasan" "/proc/$PID/maps" 2>/dev/null; then
	echo "b2bua load: AddressSanitizer build, RSS comparison skipped"
	exit 0
fi
[ "$after" -le $((before + CALLS / 2)) ] ||
	fail "memory grew from $before kB to $after kB over $CALLS calls"
exit 0
