#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 3.2 Session Establishment Through Two Proxies: proxy 1
# (digest_auth for INVITE, static route for biloxi.example.com) challenges
# Alice with 407, then forwards to proxy 2 (registrar of biloxi), which
# forwards to Bob's binding. The sipp scenarios check every hop's Via
# stack, both Record-Routes, the consumed Routes and credentials, and
# Max-Forwards 68 at Bob.
set -u
. "$top_srcdir/tests/lib/server.sh"
command -v sipp >/dev/null || { echo "SKIP: sipp missing"; exit 77; }

NET=127.$(( 20 + $$ % 200 )).$(( 1 + ($$ / 200) % 250 ))
ALICE=$NET.1 PROXY1=$NET.2 PROXY2=$NET.3 BOB=$NET.4
PORT=$(( 20000 + $$ % 20000 ))
P1=$PROXY1:$PORT P2=$PROXY2:$PORT BOBP=$BOB:$PORT
SIPP=$top_srcdir/tests/scenarios/sipp
MODS="modulepath=\"$top_builddir/modules\""

ss_make_config "
  <module name=\"parser\"/>
  <module name=\"transport\"><listen transport=\"udp\" address=\"$PROXY1\" port=\"$PORT\"/></module>
  <module name=\"transaction\"/>
  <module name=\"digest_auth\"><realm>atlanta.example.com</realm><algorithms offer=\"MD5\"/><require methods=\"INVITE\"/></module>
  <module name=\"proxy\"><route domain=\"biloxi.example.com\" next_hop=\"sip:$P2;lr\"/></module>" "$MODS"
ss_start
ss_rx "auth user add alice@atlanta.example.com secret" >/dev/null || fail "auth user add"

ss_server_config p2 "
  <module name=\"parser\"/>
  <module name=\"transport\"><listen transport=\"udp\" address=\"$PROXY2\" port=\"$PORT\"/></module>
  <module name=\"transaction\"/>
  <module name=\"location\"/>
  <module name=\"registrar\"><domain>biloxi.example.com</domain></module>
  <module name=\"proxy\"><domain>biloxi.example.com</domain></module>" "$MODS"
ss_server_start p2

for f in register 3_2_alice 3_2_bob; do
	ss_template "$SIPP/proxy_$f.xml" "$SS_DIR/$f.xml" DOMAIN=biloxi.example.com \
		P1="$P1" P2="$P2" A="$ALICE" B="$BOBP"
done
ss_sipp "$SS_DIR/reg" -sf "$SS_DIR/register.xml" -i "$BOB" -p "$PORT" \
	-m 1 -timeout 10 "$P2" || { ss_sipp_show "$SS_DIR/reg"; fail "REGISTER"; }

ss_sipp_bg "$SS_DIR/bob" -sf "$SS_DIR/3_2_bob.xml" -i "$BOB" -p "$PORT" \
	-m 1 -timeout 20
BOB_PID=$SS_SIPP_PID
ss_wait_udp "$BOB" "$PORT"
ss_sipp "$SS_DIR/alice" -sf "$SS_DIR/3_2_alice.xml" -i "$ALICE" -p "$PORT" \
	-m 1 -timeout 20 -auth_uri bob@biloxi.example.com "$P1" ||
	{ ss_sipp_show "$SS_DIR/alice"; ss_sipp_show "$SS_DIR/bob"; fail "Alice"; }
ss_sipp_wait "$BOB_PID" "$SS_DIR/bob" "Bob"

ss_rx "auth show stats" | grep -q . || fail "auth stats"
for s in main p2; do
	if [ $s = main ]; then out=$(ss_rx "proxy show stats"); else out=$(ss_server_rx p2 "proxy show stats"); fi
	echo "$out" | grep -Eq "^forwarded +2$" || fail "$s: INVITE and BYE forwarded: $out"
	echo "$out" | grep -Eq "^stateless acks +1$" || fail "$s: one ACK of the 2xx: $out"
done
exit 0
