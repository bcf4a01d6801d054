#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 3.7 Session with re-INVITE (IP Address Change), through one
# sipserver proxy with Record-Route (the RFC has the ACK go direct, here
# every in-dialog request follows the route set): after the call is set
# up, Bob sends a re-INVITE with a new media address through the proxy,
# then Alice hangs up. The sipp scenarios check each hop.
set -u
. "$top_srcdir/tests/lib/server.sh"
command -v sipp >/dev/null || { echo "SKIP: sipp missing"; exit 77; }

NET=127.$(( 20 + $$ % 200 )).$(( 1 + ($$ / 200) % 250 ))
ALICE=$NET.1 PROXY=$NET.2 BOB=$NET.4
PORT=$(( 20000 + $$ % 20000 ))
P1=$PROXY:$PORT BOBP=$BOB:$(( PORT + 1 ))
SIPP=$top_srcdir/tests/scenarios/sipp

ss_make_config "
  <module name=\"parser\"/>
  <module name=\"transport\"><listen transport=\"udp\" address=\"$PROXY\" port=\"$PORT\"/></module>
  <module name=\"transaction\"/>
  <module name=\"location\"/>
  <module name=\"registrar\"><domain>biloxi.example.com</domain></module>
  <module name=\"proxy\"><domain>biloxi.example.com</domain></module>" \
	"modulepath=\"$top_builddir/modules\""
ss_start

for f in register 3_7_alice 3_7_bob; do
	ss_template "$SIPP/proxy_$f.xml" "$SS_DIR/$f.xml" DOMAIN=biloxi.example.com \
		P1="$P1" A="$ALICE" B="$BOBP"
done

ss_sipp "$SS_DIR/reg" -sf "$SS_DIR/register.xml" -i "$BOB" -p "${BOBP#*:}" \
	-m 1 -timeout 10 "$P1" || { ss_sipp_show "$SS_DIR/reg"; fail "REGISTER"; }
ss_rx "location show sip:bob@biloxi.example.com" | grep -q "$BOBP" ||
	fail "binding: $(ss_rx "location show sip:bob@biloxi.example.com")"

ss_sipp_bg "$SS_DIR/bob" -sf "$SS_DIR/3_7_bob.xml" -i "$BOB" -p "${BOBP#*:}" \
	-m 1 -timeout 20
BOB_PID=$SS_SIPP_PID
ss_wait_udp "$BOB" "${BOBP#*:}"
ss_sipp "$SS_DIR/alice" -sf "$SS_DIR/3_7_alice.xml" -i "$ALICE" -p "$PORT" \
	-m 1 -timeout 20 "$P1" || { ss_sipp_show "$SS_DIR/alice"; ss_sipp_show "$SS_DIR/bob"; fail "Alice"; }
ss_sipp_wait "$BOB_PID" "$SS_DIR/bob" "Bob"

stats=$(ss_rx "proxy show stats") || fail "proxy show stats"
echo "$stats" | grep -Eq "^forwarded +3$" || fail "INVITE, re-INVITE and BYE forwarded statefully: $stats"
echo "$stats" | grep -Eq "^stateless acks +2$" || fail "both ACKs of 2xx forwarded statelessly: $stats"
exit 0
