#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 3.5, session through a SIP ALG, with real media.
#
#   Alice (sipp, 127.0.35.1) INVITE with a pre-loaded Route to the ALG
#   ALG (sipserver: transport, parser, transaction, rtp_relay, b2bua on
#     127.0.35.2) answers Alice's dialog itself and places a new call
#     through its static next hop
#   Proxy 2 (sipserver with the proxy module on 127.0.35.3, a static
#     route for biloxi.example.com to Bob); when the proxy module is not
#     built, the ALG's next hop is Bob himself
#
# Unlike the RFC's Proxy 2, ours Record-Routes: sipp's UAS sends every
# message of a call to where the INVITE came from, so without it Bob's 200
# to the ALG's BYE would go to Proxy 2, which rightly drops a response
# whose top Via is not its own. With it the ALG's route set is exercised
# too (BYE F15 goes through Proxy 2).
#   Bob (sipp, 127.0.35.5) answers; both play RTP from sip-tester's pcap.
#
# Checked: both SDPs point at the relay (sipp ereg: c= address and m= port
# in the relay's range), RTP crosses the relay both ways (`rtp show
# streams` counters), nothing of one side's topology (addresses, Via,
# Contact, Call-ID) reaches the other, and after the BYE the relay ports
# and the call are gone (`rtp show stats`, `b2bua show calls`).
set -u
. "$top_srcdir/tests/lib/multi.sh"

PCAP=$(dpkg -L sip-tester 2>/dev/null | grep '/g711a\.pcap$' | head -n 1)
[ -n "$PCAP" ] && [ -r "$PCAP" ] || { echo "SKIP: sip-tester's g711a.pcap not found"; exit 77; }

A=127.0.35.1
ALG=127.0.35.2
P2=127.0.35.3
B=127.0.35.5
A_PORT=$(ss_multi_free_port $A 1)
B_PORT=$(ss_multi_free_port $B 2)
ALG_PORT=$(ss_multi_free_port $ALG 3)
P2_PORT=$(ss_multi_free_port $P2 4)
# A relay range of its own: 1000 ports starting at a multiple of 1000.
RTP_BASE=$(( (20 + $$ % 30) * 1000 ))
PORT_RE="${RTP_BASE%000}[0-9][0-9][0-9]"
MODDIR=${SS_MULTI_MODULEPATH:-$top_builddir/modules}

if [ -e "$MODDIR/proxy/proxy.la" ] || [ -e "$MODDIR/proxy.so" ]; then
	ss_multi_start p2 "
    <module name=\"parser\"/>
    <module name=\"transport\"><listen transport=\"udp\" address=\"$P2\" port=\"$P2_PORT\"/></module>
    <module name=\"transaction\"/>
    <module name=\"proxy\">
      <route domain=\"biloxi.example.com\" next_hop=\"sip:$B:$B_PORT\"/>
    </module>"
	NEXT_HOP="sip:$P2:$P2_PORT;lr"
else
	echo "note: no proxy module built: the ALG sends straight to Bob"
	NEXT_HOP="sip:$B:$B_PORT;lr"
fi

ss_multi_start alg "
    <module name=\"parser\"/>
    <module name=\"transport\"><listen transport=\"udp\" address=\"$ALG\" port=\"$ALG_PORT\"/></module>
    <module name=\"transaction\"/>
    <module name=\"rtp_relay\">
      <address ip=\"$ALG\"/>
      <ports min=\"$RTP_BASE\" max=\"$((RTP_BASE + 999))\"/>
    </module>
    <module name=\"b2bua\">
      <alias host=\"alg1.atlanta.example.com\"/>
      <next_hop uri=\"$NEXT_HOP\"/>
    </module>"

subst="s/@RELAY_IP@/$(echo $ALG | sed 's/\./\\\\./g')/; s/@PORT_RE@/$PORT_RE/; s|@PCAP@|$PCAP|; s/@HOLD_MS@/4000/"
ALICE=$(ss_multi_template alg_alice.xml alice.xml "$subst")
BOB=$(ss_multi_template alg_bob.xml bob.xml "$subst")

ss_multi_sipp_bg bob "$BOB" $B "$B_PORT" "$ALG:$ALG_PORT" -m 1 \
	-mi $B -mp $((RTP_BASE - 2000))
ss_multi_wait_for "Bob's sipp" ss_multi_udp_bound $B "$B_PORT"
ss_multi_sipp_bg alice "$ALICE" $A "$A_PORT" "$ALG:$ALG_PORT" -m 1 \
	-mi $A -mp $((RTP_BASE - 4000))

# Media both ways through the relay while the call is up.
both_ways() {
	ss_multi_rx alg "rtp show streams" | awk '
		{ for (i = 1; i <= NF; i++) {
			if ($i == "A->B") ab = $(i + 4)
			if ($i == "B->A") ba = $(i + 4) } }
		END { exit !(ab > 0 && ba > 0) }'
}
ss_multi_wait_for "RTP both ways through the relay" both_ways
calls=$(ss_multi_rx alg "b2bua show calls")
echo "$calls" | grep -q "confirmed" || fail "call not confirmed: $calls"
echo "$calls" | grep -q " $RTP_BASE\|${RTP_BASE%000}[0-9][0-9][0-9]/" || fail "relay ports: $calls"

ss_multi_sipp_wait alice || fail "Alice's sipp failed (see alice.err)"
ss_multi_sipp_wait bob || fail "Bob's sipp failed (see bob.err)"

# Topology hiding: Bob sees nothing of Alice's side and the reverse.
f4=$(ss_multi_msg bob received '^INVITE')
[ -n "$f4" ] || fail "F4 not traced"
echo "$f4" | grep -q "$A" && fail "F4 leaks Alice's address: $f4"
f1_cid=$(ss_multi_msg alice sent '^INVITE' | sed -n 's/^Call-ID: //p')
echo "$f4" | grep -qF "$f1_cid" && fail "F4 carries Alice's Call-ID: $f4"
echo "$f4" | grep -q '^Route:' && [ "$NEXT_HOP" = "sip:$B:$B_PORT;lr" ] &&
	! echo "$f4" | grep -q "^Route: <$NEXT_HOP>" && fail "F4 Route: $f4"
f11=$(ss_multi_msg alice received '^SIP/2.0 200.*')
for leak in $B $P2; do
	echo "$f11" | grep -q "$leak" && fail "F11 leaks $leak: $f11"
done
[ "$(echo "$f11" | grep -c '^Via:')" -eq 1 ] || fail "F11 Via stack: $f11"
f15=$(ss_multi_msg bob received '^BYE')
echo "$f15" | grep -q "$A" && fail "F15 leaks Alice's address: $f15"

# Everything released after the BYE.
no_calls() {
	ss_multi_rx alg "b2bua show calls" | grep -q '^0 calls'
}
no_sessions() {
	ss_multi_rx alg "rtp show stats" | grep -q 'sessions: 0 active'
}
ss_multi_wait_for "no call left" no_calls
ss_multi_wait_for "relay ports freed" no_sessions
ss_multi_rx alg "rtp show streams" | grep -q '^0 sessions' ||
	fail "streams left: $(ss_multi_rx alg 'rtp show streams')"
exit 0
