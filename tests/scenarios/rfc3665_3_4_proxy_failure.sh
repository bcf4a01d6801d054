#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 3.4, successful session with proxy failure.
#
# In the RFC, Alice's UA finds two proxies for the domain with DNS SRV,
# sends the INVITE to the preferred one, retransmits it for Timer B (F1-F7)
# without an answer, and sends a new INVITE to the second one (F8), which
# challenges (F9), then proxies the call to Bob and Record-Routes (F11-F23).
# sipp does no RFC 3263, so the UA's resolver and transaction are played by
# a sipserver proxy P0 in front of Alice; everything after the failover is
# the RFC's flow between Alice, Proxy 2 and Bob:
#
#   Alice (sipp, 127.0.34.1) -- INVITE sip:bob@biloxi.example.com --> P0
#   P0 (127.0.34.2: proxy with the dns module, no static route, no
#     Record-Route, T1 = 50 ms) resolves biloxi.example.com through dnsmasq
#     (127.0.34.53): _sip._udp SRV priority 1 -> ss1 (127.0.34.3),
#     priority 2 -> ss2 (127.0.34.4)
#   Proxy 1 = ss1: a sipp that takes the INVITE and never answers
#   Proxy 2 = ss2 (sipserver: digest_auth realm biloxi.example.com for
#     INVITE, registrar, location, proxy with Record-Route)
#   Bob (sipp, 127.0.34.5) registered at Proxy 2.
#
# Mapping: F1-F7 are P0's INVITE and its six retransmissions to Proxy 1
# (T1, 2T1 ... 32T1, then Timer B at 64*T1: seven copies, as in the RFC);
# F8 is P0's INVITE to Proxy 2 (a new branch of the same request, so the
# Call-ID stays Alice's where the RFC's UA starts a new call); F9/F10 reach
# Alice through P0. Alice's F11 goes through P0 again: the dead Proxy 1 is
# now in P0's blocklist, so P0 sends it to Proxy 2 at once and Proxy 1
# sees nothing more. P0 does not Record-Route, so from F18 on Alice talks
# to Proxy 2 directly as in the RFC. Requests Bob receives through P0 carry
# one Via and one Max-Forwards step more than the RFC shows.
set -u
. "$top_srcdir/tests/lib/multi.sh"

DNSMASQ=/usr/sbin/dnsmasq
[ -x "$DNSMASQ" ] || { echo "SKIP: $DNSMASQ missing"; exit 77; }

A=127.0.34.1
P0=127.0.34.2
SS1=127.0.34.3
SS2=127.0.34.4
B=127.0.34.5
NS=127.0.34.53
CALL_ID="f34-$$@atlanta.example.com"
PASS=alice-in-biloxi
RURI=sip:bob@biloxi.example.com

ss_multi_start ss2 "
    <module name=\"parser\"/>
    <module name=\"transport\"><listen transport=\"udp\" address=\"$SS2\" port=\"0\"/></module>
    <module name=\"transaction\"/>
    <module name=\"location\"/>
    <module name=\"digest_auth\">
      <realm>biloxi.example.com</realm>
      <require methods=\"INVITE\"/>
    </module>
    <module name=\"registrar\"><domain>biloxi.example.com</domain></module>
    <module name=\"proxy\"><domain>biloxi.example.com</domain></module>"
SS2_PORT=$(redir_port ss2)
[ -n "$SS2_PORT" ] || fail "no UDP listener on Proxy 2"
ss_multi_rx ss2 "auth user add alice@biloxi.example.com $PASS" >/dev/null ||
	fail "user at Proxy 2"
SS1_PORT=$(ss_multi_free_port $SS1 1)
A_PORT=$(ss_multi_free_port $A 2)
B_PORT=$(ss_multi_free_port $B 3)
NS_PORT=$(ss_multi_free_port $NS 4)

"$DNSMASQ" --keep-in-foreground -p "$NS_PORT" --listen-address=$NS \
	--bind-interfaces --no-resolv --no-hosts --conf-file=/dev/null \
	--pid-file= --local=/example.com/ --local-ttl=60 \
	--log-facility=/dev/null \
	--host-record=ss1.biloxi.example.com,$SS1 \
	--host-record=ss2.biloxi.example.com,$SS2 \
	--srv-host=_sip._udp.biloxi.example.com,ss1.biloxi.example.com,$SS1_PORT,1,0 \
	--srv-host=_sip._udp.biloxi.example.com,ss2.biloxi.example.com,$SS2_PORT,2,0 &
DNS_PID=$!
SS_MULTI_BG="$SS_MULTI_BG $DNS_PID"

ss_multi_start p0 "
    <module name=\"parser\"/>
    <module name=\"transport\"><listen transport=\"udp\" address=\"$P0\" port=\"0\"/></module>
    <module name=\"transaction\"><timers t1=\"50\" t2=\"400\"/></module>
    <module name=\"dns\">
      <server address=\"$NS\" port=\"$NS_PORT\"/>
      <timeouts ms=\"200\" tries=\"2\"/>
      <lookup ipv6=\"no\"/>
    </module>
    <module name=\"proxy\">
      <domain>atlanta.example.com</domain>
      <record_route enable=\"no\"/>
    </module>"
P0_PORT=$(redir_port p0)
[ -n "$P0_PORT" ] || fail "no UDP listener on P0"
dns_up() {
	kill -0 "$DNS_PID" 2>/dev/null || fail "dnsmasq exited (port $NS_PORT taken?)"
	ss_multi_rx p0 "dns resolve $RURI" | grep -q "$SS2:$SS2_PORT"
}
ss_multi_wait_for "dnsmasq answers" dns_up
out=$(ss_multi_rx p0 "dns resolve $RURI")
[ "$(echo "$out" | sed -n 1p)" = " 1. udp $SS1:$SS1_PORT" ] &&
	[ "$(echo "$out" | sed -n 2p)" = " 2. udp $SS2:$SS2_PORT" ] ||
	fail "SRV order: $out"

redir_sipp reg_bob redir_register.xml $B "$B_PORT" "$SS2:$SS2_PORT" \
	-key user bob -key domain biloxi.example.com \
	-key contact "<sip:bob@$B:$B_PORT>" || fail "Bob's REGISTER"

redir_sipp_bg ss1 f34_silent.xml $SS1 "$SS1_PORT" "$P0:$P0_PORT"
ss_multi_wait_for "Proxy 1 listening" ss_multi_udp_bound $SS1 "$SS1_PORT"

# F1-F10.
redir_sipp alice_1 f34_alice_1.xml $A "$A_PORT" "$P0:$P0_PORT" \
	-cid_str "$CALL_ID" || fail "F1-F10 (Alice)"
[ "$(redir_count ss1 received '^INVITE')" -eq 7 ] ||
	fail "F1-F7: Proxy 1 got $(redir_count ss1 received '^INVITE') INVITEs"
[ "$(grep -h '^Via: ' "$SS_MULTI_TOP/ss1.msg" | sort -u | wc -l)" -eq 2 ] ||
	fail "F1-F7 are not retransmissions of one INVITE"
f1=$(ss_multi_msg ss1 received '^INVITE')
redir_expect F1 "$f1" "^INVITE $RURI SIP/2.0\$"
redir_hdrs "$f1" Via | sed -n 1p | grep -q "^SIP/2.0/UDP $P0:$P0_PORT;branch=z9hG4bK" ||
	fail "F1: top Via is not P0's: $f1"
redir_expect F1 "$f1" '^Max-Forwards: 69$'
redir_hdrs "$f1" Record-Route | grep -q . && fail "F1: P0 Record-Routed: $f1"
f9=$(ss_multi_msg alice_1 received '^SIP/2.0 407')
redir_expect F9 "$f9" '^Proxy-Authenticate: Digest realm="biloxi.example.com",.*algorithm=MD5'
[ "$(redir_hdrs "$f9" Via | wc -l)" -eq 1 ] || fail "F9: Via stack: $f9"
redir_expect F9 "$f9" '^CSeq: 1 INVITE$'
out=$(ss_multi_rx p0 "dns show blocklist")
echo "$out" | grep -q "$SS1:$SS1_PORT" || fail "Proxy 1 not in the blocklist: $out"
echo "$out" | grep -q "$SS2:$SS2_PORT" && fail "Proxy 2 in the blocklist: $out"
N=$(redir_logged alice_1 nonce)
[ -n "$N" ] || fail "F9: no nonce"
AUTH=$(redir_digest alice biloxi.example.com "$PASS" INVITE "$RURI" "$N" 1)

# F11-F23.
redir_sipp_bg bob f34_bob.xml $B "$B_PORT" "$SS2:$SS2_PORT"
ss_multi_wait_for "Bob listening" ss_multi_udp_bound $B "$B_PORT"
redir_sipp alice_2 f34_alice_2.xml $A "$A_PORT" "$P0:$P0_PORT" \
	-cid_str "$CALL_ID" -key auth "$AUTH" || fail "F11-F22 (Alice)"
redir_sipp_wait bob || fail "F12-F23 (Bob)"
[ "$(redir_count ss1 received '.')" -eq 7 ] ||
	fail "F11 went to the dead proxy again"

rr="<sip:$SS2:$SS2_PORT;lr>"
f12=$(ss_multi_msg bob received '^INVITE')
redir_expect F12 "$f12" "^INVITE sip:bob@$B:$B_PORT SIP/2.0\$"
[ "$(redir_hdrs "$f12" Via | wc -l)" -eq 3 ] || fail "F12: Via stack: $f12"
redir_hdrs "$f12" Via | sed -n 1p | grep -q "^SIP/2.0/UDP $SS2:$SS2_PORT;" ||
	fail "F12: top Via is not Proxy 2's: $f12"
redir_hdrs "$f12" Via | sed -n 3p | grep -q "^SIP/2.0/UDP $A:$A_PORT;" ||
	fail "F12: last Via is not Alice's: $f12"
redir_expect F12 "$f12" '^Max-Forwards: 68$'
[ "$(redir_hdrs "$f12" Record-Route)" = "$rr" ] || fail "F12: Record-Route: $f12"
redir_hdrs "$f12" Proxy-Authorization | grep -q . &&
	fail "F12: credentials left in: $f12"
f17=$(ss_multi_msg alice_2 received '^SIP/2.0 200')
[ "$(redir_hdrs "$f17" Via | wc -l)" -eq 1 ] || fail "F17: Via stack: $f17"
[ "$(redir_hdrs "$f17" Record-Route)" = "$rr" ] || fail "F17: Record-Route: $f17"
f15=$(ss_multi_msg alice_2 received '^SIP/2.0 180')
[ "$(redir_hdrs "$f15" Record-Route)" = "$rr" ] || fail "F15: Record-Route: $f15"
f18=$(ss_multi_msg alice_2 sent '^ACK')
[ "$(redir_hdrs "$f18" Route)" = "$rr" ] || fail "F18: Route: $f18"
[ "$(redir_logged alice_2 route)" = "$SS2:$SS2_PORT" ] || fail "F18 next hop"
f19=$(ss_multi_msg bob received '^ACK')
[ "$(redir_hdrs "$f19" Via | wc -l)" -eq 2 ] || fail "F19: Via stack: $f19"
redir_hdrs "$f19" Via | sed -n 2p | grep -q "^SIP/2.0/UDP $A:$A_PORT;" ||
	fail "F19: did not come from Alice directly: $f19"
redir_expect F19 "$f19" '^Max-Forwards: 69$'
f21=$(ss_multi_msg alice_2 received '^BYE')
redir_expect F21 "$f21" "^BYE sip:alice@$A:$A_PORT SIP/2.0\$"
[ "$(redir_hdrs "$f21" Via | wc -l)" -eq 2 ] || fail "F21: Via stack: $f21"
redir_hdrs "$f21" Via | sed -n 1p | grep -q "^SIP/2.0/UDP $SS2:$SS2_PORT;" ||
	fail "F21: not from Proxy 2: $f21"
f23=$(ss_multi_msg bob received '^SIP/2.0 200')
[ "$(redir_hdrs "$f23" Via | wc -l)" -eq 1 ] || fail "F23: Via stack: $f23"

ss_multi_rx p0 "proxy show stats" | grep -q "failovers *1$" ||
	fail "P0 stats: $(ss_multi_rx p0 'proxy show stats')"
redir_stop p0
redir_stop ss2
echo "rfc3665_3_4_proxy_failure: 1 passed, 0 failed"
