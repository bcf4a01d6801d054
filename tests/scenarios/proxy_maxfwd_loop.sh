#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3261 16.3: an INVITE with Max-Forwards: 0 gets 483 Too Many Hops, and
# one that comes back to the proxy unchanged (a static route to itself)
# is recognized by its own Via and routing hash and gets 482 Loop
# Detected, which travels back to the caller.
set -u
. "$top_srcdir/tests/lib/server.sh"
command -v sipp >/dev/null || { echo "SKIP: sipp missing"; exit 77; }

NET=127.$(( 20 + $$ % 200 )).$(( 1 + ($$ / 200) % 250 ))
ALICE=$NET.1 PROXY=$NET.2
PORT=$(( 20000 + $$ % 20000 ))
P1=$PROXY:$PORT
SIPP=$top_srcdir/tests/scenarios/sipp

ss_make_config "
  <module name=\"parser\"/>
  <module name=\"transport\"><listen transport=\"udp\" address=\"$PROXY\" port=\"$PORT\"/></module>
  <module name=\"transaction\"/>
  <module name=\"location\"/>
  <module name=\"proxy\">
    <domain>biloxi.example.com</domain>
    <route domain=\"loop.test\" next_hop=\"sip:$P1;lr\"/>
  </module>" "modulepath=\"$top_builddir/modules\""
ss_start

ss_template "$SIPP/proxy_uac_fail.xml" "$SS_DIR/483.xml" P1="$P1" A="$ALICE" \
	RURI=sip:bob@biloxi.example.com MF=0 CODE=483
ss_template "$SIPP/proxy_uac_fail.xml" "$SS_DIR/482.xml" P1="$P1" A="$ALICE" \
	RURI=sip:bob@loop.test MF=70 CODE=482

ss_sipp "$SS_DIR/a483" -sf "$SS_DIR/483.xml" -i "$ALICE" -p "$PORT" \
	-m 1 -timeout 10 "$P1" || { ss_sipp_show "$SS_DIR/a483"; fail "483"; }
ss_sipp "$SS_DIR/a482" -sf "$SS_DIR/482.xml" -i "$ALICE" -p "$PORT" \
	-m 1 -timeout 10 "$P1" || { ss_sipp_show "$SS_DIR/a482"; fail "482"; }

stats=$(ss_rx "proxy show stats") || fail "proxy show stats"
echo "$stats" | grep -Eq "^max-forwards \(483\) +1$" || fail "483 count: $stats"
echo "$stats" | grep -Eq "^loops \(482\) +1$" || fail "482 count: $stats"
# The INVITE went out once, to ourselves; the looped copy was refused.
echo "$stats" | grep -Eq "^forwarded +1$" || fail "forwarded once: $stats"
exit 0
