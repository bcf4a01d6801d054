#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 3.3, session with multiple proxy authentication.
#
#   Alice (sipp, 127.0.33.1) sends to Proxy 1 (Route: <sip:P1;lr>)
#   Proxy 1 (127.0.33.2: digest_auth for INVITE, realm atlanta.example.com;
#     proxy with a static route for biloxi.example.com to Proxy 2)
#   Proxy 2 (127.0.33.3: digest_auth for INVITE, realm biloxi.example.com;
#     registrar, location and proxy for biloxi.example.com)
#   Bob (sipp, 127.0.33.5) registered at Proxy 2.
#
# Alice answers two successive 407s, as in the RFC: Proxy 1's (F2), then
# Proxy 2's forwarded by Proxy 1 (F7, F9); F11 carries both
# Proxy-Authorization values, Proxy 1 keeps only what is not its own realm
# (F13) and Proxy 2 consumes the rest (F15). sipp 3.6.1 answers only the
# first challenge of a 407, in MD5, and digest_auth offers SHA-256 first,
# so Alice runs as three sipp runs sharing Call-ID and tags (F1-F3,
# F4-F10, F11-F19) and the shell computes each response from the nonce the
# previous run logged. Proxy 1's nonce is used twice (nc 1 in F4, nc 2 in
# F11), as a UA does with a nonce it holds.
set -u
. "$top_srcdir/tests/lib/multi.sh"

A=127.0.33.1
P1=127.0.33.2
P2=127.0.33.3
B=127.0.33.5
CALL_ID="f33-$$@atlanta.example.com"
PASS1=alice-in-atlanta
PASS2=alice-in-biloxi
RURI=sip:bob@biloxi.example.com

ss_multi_start p2 "
    <module name=\"parser\"/>
    <module name=\"transport\"><listen transport=\"udp\" address=\"$P2\" port=\"0\"/></module>
    <module name=\"transaction\"/>
    <module name=\"location\"/>
    <module name=\"digest_auth\">
      <realm>biloxi.example.com</realm>
      <require methods=\"INVITE\"/>
    </module>
    <module name=\"registrar\"><domain>biloxi.example.com</domain></module>
    <module name=\"proxy\"><domain>biloxi.example.com</domain></module>"
P2_PORT=$(redir_port p2)
[ -n "$P2_PORT" ] || fail "no UDP listener on Proxy 2"
ss_multi_start p1 "
    <module name=\"parser\"/>
    <module name=\"transport\"><listen transport=\"udp\" address=\"$P1\" port=\"0\"/></module>
    <module name=\"transaction\"/>
    <module name=\"digest_auth\">
      <realm>atlanta.example.com</realm>
      <require methods=\"INVITE\"/>
    </module>
    <module name=\"proxy\">
      <domain>atlanta.example.com</domain>
      <route domain=\"biloxi.example.com\" next_hop=\"sip:$P2:$P2_PORT\"/>
    </module>"
P1_PORT=$(redir_port p1)
[ -n "$P1_PORT" ] || fail "no UDP listener on Proxy 1"
ss_multi_rx p1 "auth user add alice@atlanta.example.com $PASS1" >/dev/null ||
	fail "user at Proxy 1"
ss_multi_rx p2 "auth user add alice@biloxi.example.com $PASS2" >/dev/null ||
	fail "user at Proxy 2"
A_PORT=$(ss_multi_free_port $A 1)
B_PORT=$(ss_multi_free_port $B 2)

redir_sipp reg_bob redir_register.xml $B "$B_PORT" "$P2:$P2_PORT" \
	-key user bob -key domain biloxi.example.com \
	-key contact "<sip:bob@$B:$B_PORT>" || fail "Bob's REGISTER"

alice() {
	redir_sipp "$@" -cid_str "$CALL_ID" -key p1 "$P1:$P1_PORT"
}

# F1-F3: Proxy 1 challenges.
alice alice_1 f33_alice_1.xml $A "$A_PORT" "$P1:$P1_PORT" ||
	fail "F1-F3 (Proxy 1's challenge)"
f2=$(ss_multi_msg alice_1 received '^SIP/2.0 407')
redir_expect F2 "$f2" '^SIP/2.0 407 '
redir_expect F2 "$f2" '^Proxy-Authenticate: Digest realm="atlanta.example.com",.*algorithm=MD5'
redir_expect F2 "$f2" '^Proxy-Authenticate: Digest .*qop="auth"'
[ "$(redir_hdrs "$f2" Via | wc -l)" -eq 1 ] || fail "F2: Via stack: $f2"
N1=$(redir_logged alice_1 nonce)
[ -n "$N1" ] || fail "F2: no nonce"
AUTH1=$(redir_digest alice atlanta.example.com "$PASS1" INVITE "$RURI" "$N1" 1)

# F4-F10: Proxy 1 accepts and forwards, Proxy 2 challenges through it.
alice alice_2 f33_alice_2.xml $A "$A_PORT" "$P1:$P1_PORT" -key auth1 "$AUTH1" ||
	fail "F4-F10 (Proxy 2's challenge through Proxy 1)"
f9=$(ss_multi_msg alice_2 received '^SIP/2.0 407')
redir_expect F9 "$f9" '^Proxy-Authenticate: Digest realm="biloxi.example.com",.*algorithm=MD5'
redir_hdrs "$f9" Proxy-Authenticate | grep -q atlanta &&
	fail "F9: Proxy 1 challenged again: $f9"
[ "$(redir_hdrs "$f9" Via | wc -l)" -eq 1 ] || fail "F9: Via stack: $f9"
redir_hdrs "$f9" Via | grep -q "^SIP/2.0/UDP $A:$A_PORT;branch=z9hG4bK" ||
	fail "F9: Via is not Alice's: $f9"
redir_expect F9 "$f9" '^CSeq: 2 INVITE$'
N2=$(redir_logged alice_2 nonce)
[ -n "$N2" ] && [ "$N2" != "$N1" ] || fail "F9: no new nonce"
ss_multi_rx p2 "auth show stats" | grep -q "challenges 1," ||
	fail "Proxy 2 stats: $(ss_multi_rx p2 'auth show stats')"
AUTH1=$(redir_digest alice atlanta.example.com "$PASS1" INVITE "$RURI" "$N1" 2)
AUTH2=$(redir_digest alice biloxi.example.com "$PASS2" INVITE "$RURI" "$N2" 1)

# F11-F21: both credentials, the call completes through both proxies.
redir_sipp_bg bob f33_bob.xml $B "$B_PORT" "$P2:$P2_PORT"
ss_multi_wait_for "Bob listening" ss_multi_udp_bound $B "$B_PORT"
alice alice_3 f33_alice_3.xml $A "$A_PORT" "$P1:$P1_PORT" \
	-key auth1 "$AUTH1" -key auth2 "$AUTH2" || fail "F11-F19 (Alice)"
redir_sipp_wait bob || fail "F15-F21 (Bob)"

rr1="<sip:$P1:$P1_PORT;lr>"
rr2="<sip:$P2:$P2_PORT;lr>"
rrs() { redir_hdrs "$1" Record-Route | tr -d ' ' | tr '\n' ',' | sed 's/,$//'; }
f15=$(ss_multi_msg bob received '^INVITE')
redir_expect F15 "$f15" "^INVITE sip:bob@$B:$B_PORT SIP/2.0\$"
[ "$(redir_hdrs "$f15" Via | wc -l)" -eq 3 ] || fail "F15: Via stack: $f15"
redir_hdrs "$f15" Via | sed -n 1p | grep -q "^SIP/2.0/UDP $P2:$P2_PORT;" ||
	fail "F15: top Via is not Proxy 2's: $f15"
redir_hdrs "$f15" Via | sed -n 2p | grep -q "^SIP/2.0/UDP $P1:$P1_PORT;" ||
	fail "F15: second Via is not Proxy 1's: $f15"
redir_hdrs "$f15" Via | sed -n 3p | grep -q "^SIP/2.0/UDP $A:$A_PORT;" ||
	fail "F15: third Via is not Alice's: $f15"
redir_expect F15 "$f15" '^Max-Forwards: 68$'
[ "$(rrs "$f15")" = "$rr2,$rr1" ] || fail "F15: Record-Route: $f15"
# Each proxy consumed its own realm's credentials (F13, F15).
redir_hdrs "$f15" Proxy-Authorization | grep -q . &&
	fail "F15: credentials left in: $f15"
redir_hdrs "$f15" Route | grep -q . && fail "F15: Route left in: $f15"
ss_multi_rx p2 "auth show stats" | grep -q "accepted 1," ||
	fail "Proxy 2 did not accept the credentials Proxy 1 passed on"
ss_multi_rx p1 "auth show stats" | grep -q "accepted 2," ||
	fail "Proxy 1 stats: $(ss_multi_rx p1 'auth show stats')"

f18=$(ss_multi_msg alice_3 received '^SIP/2.0 200')
[ "$(redir_hdrs "$f18" Via | wc -l)" -eq 1 ] || fail "F18: Via stack: $f18"
[ "$(rrs "$f18")" = "$rr2,$rr1" ] || fail "F18: Record-Route: $f18"
redir_expect F18 "$f18" '^To: .*;tag=9103874$'
f19=$(ss_multi_msg alice_3 sent '^ACK')
[ "$(redir_hdrs "$f19" Route | tr -d ' ' | tr '\n' ',' | sed 's/,$//')" = "$rr1,$rr2" ] ||
	fail "F19: Route: $f19"
f21=$(ss_multi_msg bob received '^ACK')
[ "$(redir_hdrs "$f21" Via | wc -l)" -eq 3 ] || fail "F21: Via stack: $f21"
redir_expect F21 "$f21" '^Max-Forwards: 68$'
redir_hdrs "$f21" Route | grep -q . && fail "F21: Route left in: $f21"
redir_expect F21 "$f21" "^ACK sip:bob@$B:$B_PORT SIP/2.0\$"

bye=$(ss_multi_msg alice_3 received '^BYE')
[ "$(redir_hdrs "$bye" Via | wc -l)" -eq 3 ] || fail "BYE: Via stack: $bye"
redir_expect BYE "$bye" '^Max-Forwards: 68$'

redir_stop p1
redir_stop p2
echo "rfc3665_3_3_multi_auth: 1 passed, 0 failed"
