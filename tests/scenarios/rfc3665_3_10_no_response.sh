#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 3.10 Unsuccessful No Response from User Agent: Bob's UA
# receives the INVITE and never answers. With T1 = 50 ms proxy 2's Timer B
# fires after 3.2 s and the 408 travels back to Alice. Then the same with
# Bob's UA gone altogether (its binding left behind): 408 again, and every
# transaction of both proxies ends (nothing leaks).
set -u
. "$top_srcdir/tests/lib/server.sh"
command -v sipp >/dev/null || { echo "SKIP: sipp missing"; exit 77; }

NET=127.$(( 20 + $$ % 200 )).$(( 1 + ($$ / 200) % 250 ))
ALICE=$NET.1 PROXY1=$NET.2 PROXY2=$NET.3 BOB=$NET.4
PORT=$(( 20000 + $$ % 20000 ))
P1=$PROXY1:$PORT P2=$PROXY2:$PORT BOBP=$BOB:$PORT
SIPP=$top_srcdir/tests/scenarios/sipp
MODS="modulepath=\"$top_builddir/modules\""

# Proxy 1 routes biloxi.example.com to proxy 2 (registrar of Bob).
ss_make_config "
  <module name=\"parser\"/>
  <module name=\"transport\"><listen transport=\"udp\" address=\"$PROXY1\" port=\"$PORT\"/></module>
  <module name=\"transaction\"><timers t1=\"50\"/></module>
  <module name=\"proxy\"><route domain=\"biloxi.example.com\" next_hop=\"sip:$P2;lr\"/></module>" "$MODS"
ss_start
ss_server_config p2 "
  <module name=\"parser\"/>
  <module name=\"transport\"><listen transport=\"udp\" address=\"$PROXY2\" port=\"$PORT\"/></module>
  <module name=\"transaction\"><timers t1=\"50\"/></module>
  <module name=\"location\"/>
  <module name=\"registrar\"><domain>biloxi.example.com</domain></module>
  <module name=\"proxy\"><domain>biloxi.example.com</domain></module>" "$MODS"
ss_server_start p2

for f in register uac_fail 3_10_bob; do
	ss_template "$SIPP/proxy_$f.xml" "$SS_DIR/$f.xml" DOMAIN=biloxi.example.com \
		P1="$P1" P2="$P2" A="$ALICE" B="$BOBP" RURI=sip:bob@biloxi.example.com \
		MF=70 CODE=408 SILENCE=5000
done
ss_sipp "$SS_DIR/reg" -sf "$SS_DIR/register.xml" -i "$BOB" -p "$PORT" \
	-m 1 -timeout 10 "$P2" || { ss_sipp_show "$SS_DIR/reg"; fail "REGISTER"; }
ss_sipp_bg "$SS_DIR/bob" -sf "$SS_DIR/3_10_bob.xml" -i "$BOB" -p "$PORT" \
	-m 1 -timeout 20
BOB_PID=$SS_SIPP_PID
ss_wait_udp "$BOB" "$PORT"
ss_sipp "$SS_DIR/alice" -sf "$SS_DIR/uac_fail.xml" -i "$ALICE" -p "$PORT" \
	-m 1 -timeout 20 "$P1" ||
	{ ss_sipp_show "$SS_DIR/alice"; ss_sipp_show "$SS_DIR/bob"; fail "Alice"; }
ss_sipp_wait "$BOB_PID" "$SS_DIR/bob" "Bob"

# Bob's UA is gone; its binding stays.
start=$(date +%s)
ss_sipp "$SS_DIR/alice2" -sf "$SS_DIR/uac_fail.xml" -i "$ALICE" -p "$PORT" \
	-m 1 -timeout 20 "$P1" || { ss_sipp_show "$SS_DIR/alice2"; fail "Alice, second call"; }
[ $(( $(date +%s) - start )) -le 6 ] || fail "408 took longer than Timer B allows"

# pstat NAME LABEL VALUE: a line of `proxy show stats` on server NAME.
pstat() {
	local out
	if [ "$1" = main ]; then out=$(ss_rx "proxy show stats"); else out=$(ss_server_rx "$1" "proxy show stats"); fi
	echo "$out" | grep -Eq "^$2 +$3\$" || fail "$1: expected $2 $3 in: $out"
}
pstat p2 "responses 4xx" 2
pstat main "responses 4xx" 2

# live_txns NAME: the transactions still alive on server NAME (the state
# columns of `transaction show summary`).
live_txns() {
	local out
	if [ "$1" = main ]; then out=$(ss_rx "transaction show summary"); else out=$(ss_server_rx "$1" "transaction show summary"); fi
	echo "$out" | awk 'NR >= 2 && NR <= 5 { for (i = 4; i <= NF; i++) n += $i } END { print n + 0 }'
}
# Timer D keeps an INVITE client transaction 32 s after a non-2xx on UDP.
for i in $(seq 1 100); do
	[ "$(live_txns main)" = 0 ] && [ "$(live_txns p2)" = 0 ] && break
	sleep 0.5
done
[ "$(live_txns main)" = 0 ] || fail "transactions left on proxy 1: $(ss_rx "transaction show summary")"
[ "$(live_txns p2)" = 0 ] || fail "transactions left on proxy 2: $(ss_server_rx p2 "transaction show summary")"
pstat main "live contexts" 0
pstat p2 "live contexts" 0
pstat main "pending branches" 0
exit 0
