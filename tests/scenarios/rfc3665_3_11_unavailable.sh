#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 3.11 Unsuccessful Temporarily Unavailable: Bob is not
# registered, so proxy 2 answers 480 (a user of its domain without a
# binding) and proxy 1 forwards it to Alice.
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

for f in uac_fail; do
	ss_template "$SIPP/proxy_$f.xml" "$SS_DIR/$f.xml" DOMAIN=biloxi.example.com \
		P1="$P1" P2="$P2" A="$ALICE" B="$BOBP" RURI=sip:bob@biloxi.example.com \
		MF=70 CODE=480
done
ss_sipp "$SS_DIR/alice" -sf "$SS_DIR/uac_fail.xml" -i "$ALICE" -p "$PORT" \
	-m 1 -timeout 20 "$P1" || { ss_sipp_show "$SS_DIR/alice"; fail "Alice"; }

# pstat NAME LABEL VALUE: a line of `proxy show stats` on server NAME.
pstat() {
	local out
	if [ "$1" = main ]; then out=$(ss_rx "proxy show stats"); else out=$(ss_server_rx "$1" "proxy show stats"); fi
	echo "$out" | grep -Eq "^$2 +$3\$" || fail "$1: expected $2 $3 in: $out"
}
pstat p2 "unavailable \(480\)" 1
pstat main "responses 4xx" 1
pstat main forwarded 1
exit 0
