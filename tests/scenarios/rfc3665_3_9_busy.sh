#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 3.9 Unsuccessful Busy: Bob answers 486 Busy Here; proxy 2 ACKs
# it and forwards it to proxy 1, which ACKs and forwards it to Alice, whose
# ACK ends the INVITE at proxy 1.
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
  <module name=\"transaction\"></module>
  <module name=\"proxy\"><route domain=\"biloxi.example.com\" next_hop=\"sip:$P2;lr\"/></module>" "$MODS"
ss_start
ss_server_config p2 "
  <module name=\"parser\"/>
  <module name=\"transport\"><listen transport=\"udp\" address=\"$PROXY2\" port=\"$PORT\"/></module>
  <module name=\"transaction\"></module>
  <module name=\"location\"/>
  <module name=\"registrar\"><domain>biloxi.example.com</domain></module>
  <module name=\"proxy\"><domain>biloxi.example.com</domain></module>" "$MODS"
ss_server_start p2

for f in register uac_fail 3_9_bob; do
	ss_template "$SIPP/proxy_$f.xml" "$SS_DIR/$f.xml" DOMAIN=biloxi.example.com \
		P1="$P1" P2="$P2" A="$ALICE" B="$BOBP" RURI=sip:bob@biloxi.example.com \
		MF=70 CODE=486
done
ss_sipp "$SS_DIR/reg" -sf "$SS_DIR/register.xml" -i "$BOB" -p "$PORT" \
	-m 1 -timeout 10 "$P2" || { ss_sipp_show "$SS_DIR/reg"; fail "REGISTER"; }
ss_sipp_bg "$SS_DIR/bob" -sf "$SS_DIR/3_9_bob.xml" -i "$BOB" -p "$PORT" \
	-m 1 -timeout 20
BOB_PID=$SS_SIPP_PID
ss_wait_udp "$BOB" "$PORT"
ss_sipp "$SS_DIR/alice" -sf "$SS_DIR/uac_fail.xml" -i "$ALICE" -p "$PORT" \
	-m 1 -timeout 20 "$P1" ||
	{ ss_sipp_show "$SS_DIR/alice"; ss_sipp_show "$SS_DIR/bob"; fail "Alice"; }
ss_sipp_wait "$BOB_PID" "$SS_DIR/bob" "Bob"

# pstat NAME LABEL VALUE: a line of `proxy show stats` on server NAME.
pstat() {
	local out
	if [ "$1" = main ]; then out=$(ss_rx "proxy show stats"); else out=$(ss_server_rx "$1" "proxy show stats"); fi
	echo "$out" | grep -Eq "^$2 +$3\$" || fail "$1: expected $2 $3 in: $out"
}
pstat main "responses 4xx" 1
pstat p2 "responses 4xx" 1
exit 0
