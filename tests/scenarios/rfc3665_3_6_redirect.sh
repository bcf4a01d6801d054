#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 3.6, session via redirect and proxy servers with SDP in ACK.
#
#   Alice (sipp, 127.0.36.1)   INVITE sip:bob@biloxi.example.com, no SDP
#   Redirect Server (127.0.36.2: registrar + location + redirect for
#     biloxi.example.com) answers 302 with Bob's contacts from location
#   Proxy 3 (127.0.36.3: registrar + location + proxy for
#     chicago.example.com) takes Alice's new INVITE to the first contact,
#     sip:bob@chicago.example.com, and finds Bob's UA there
#   Bob (sipp, 127.0.36.5) answers 200 with the offer; Alice's ACK carries
#     the answer through Proxy 3 (Record-Route) and Bob hangs up.
#
# Bob's binding at the redirect server is a forwarding contact
# <sip:bob@chicago.example.com> (q 1.0) plus a second one at q 0.5 so that
# the 302 shows a Contact set in q order with expires. The RFC's F4 goes
# over TCP because the contact says transport=tcp; here every hop is UDP
# and the contact has no transport, which changes nothing the redirect or
# the SDP-in-ACK path does. Alice finds Proxy 3 for chicago.example.com
# by configuration (sipp's remote address) instead of DNS.
set -u
. "$top_srcdir/tests/lib/multi.sh"

A=127.0.36.1
RS=127.0.36.2
P3=127.0.36.3
B=127.0.36.5
CALL_ID="f36-$$@atlanta.example.com"

ss_multi_start rs "
    <module name=\"parser\"/>
    <module name=\"transport\"><listen transport=\"udp\" address=\"$RS\" port=\"0\"/></module>
    <module name=\"transaction\"/>
    <module name=\"location\"/>
    <module name=\"registrar\"><domain>biloxi.example.com</domain></module>
    <module name=\"redirect\">
      <domain>biloxi.example.com</domain>
      <methods>INVITE</methods>
      <contacts max=\"10\" multiple=\"302\"/>
    </module>"
ss_multi_start p3 "
    <module name=\"parser\"/>
    <module name=\"transport\"><listen transport=\"udp\" address=\"$P3\" port=\"0\"/></module>
    <module name=\"transaction\"/>
    <module name=\"location\"/>
    <module name=\"registrar\"><domain>chicago.example.com</domain></module>
    <module name=\"proxy\"><domain>chicago.example.com</domain></module>"
RS_PORT=$(redir_port rs)
P3_PORT=$(redir_port p3)
[ -n "$RS_PORT" ] && [ -n "$P3_PORT" ] || fail "no UDP listener"
A_PORT=$(ss_multi_free_port $A 1)
B_PORT=$(ss_multi_free_port $B 2)

# Bob's bindings: forwarding ones at the redirect server, his UA at Proxy 3
# (registered from the port his UA then listens on).
redir_sipp reg_rs redir_register.xml $B "$(ss_multi_free_port $B 3)" "$RS:$RS_PORT" \
	-key user bob -key domain biloxi.example.com \
	-key contact '<sip:bob@voicemail.example.com>;q=0.5, <sip:bob@chicago.example.com>' ||
	fail "REGISTER at the redirect server"
redir_sipp reg_p3 redir_register.xml $B "$B_PORT" "$P3:$P3_PORT" \
	-key user bob -key domain chicago.example.com \
	-key contact "<sip:bob@$B:$B_PORT>" || fail "REGISTER at Proxy 3"

# F1-F3: the redirect.
redir_sipp alice_rs f36_alice_redirect.xml $A "$A_PORT" "$RS:$RS_PORT" \
	-cid_str "$CALL_ID" || fail "F1-F3 (Alice and the redirect server)"
f2=$(ss_multi_msg alice_rs received '^SIP/2.0 3')
redir_expect F2 "$f2" '^SIP/2.0 302 Moved Temporarily$'
# Best q first; expires counts down from the registration's 3600.
[ "$(redir_hdrs "$f2" Contact | sed 's/expires=35[0-9][0-9]$/expires=N/; s/expires=3600$/expires=N/')" = "<sip:bob@chicago.example.com>;q=1.0;expires=N
<sip:bob@voicemail.example.com>;q=0.5;expires=N" ] ||
	fail "F2: Contact set not in q order with expires: $f2"
[ "$(redir_hdrs "$f2" Via | wc -l)" -eq 1 ] || fail "F2: Via stack: $f2"
f1_via=$(redir_hdrs "$(ss_multi_msg alice_rs sent '^INVITE')" Via)
[ "$(redir_hdrs "$f2" Via)" = "$f1_via" ] || fail "F2: Via is not F1's: $f2"
redir_expect F2 "$f2" '^To: Bob <sip:bob@biloxi.example.com>;tag=.+'
redir_expect F2 "$f2" '^CSeq: 1 INVITE$'
redir_expect F2 "$f2" '^Content-Length: 0$'
f3=$(ss_multi_msg alice_rs sent '^ACK')
[ "$(redir_hdrs "$f3" To)" = "$(redir_hdrs "$f2" To)" ] || fail "F3: To tag"
[ "$(redir_hdrs "$f3" Via)" = "$f1_via" ] || fail "F3: branch of F1"
TARGET=$(redir_logged alice_rs target)
[ "$TARGET" = "sip:bob@chicago.example.com" ] || fail "target: $TARGET"
# The ACK of the 302 ends at the redirect server: nothing reached Proxy 3.
ss_multi_rx rs "redirect show stats" | grep -q "^302: 1 " ||
	fail "redirect stats: $(ss_multi_rx rs 'redirect show stats')"
out=$(ss_multi_rx rs "redirect lookup sip:bob@BILOXI.example.com") ||
	fail "redirect lookup: $out"
echo "$out" | grep -q "302 Moved Temporarily" || fail "lookup: $out"

# F4-F16: through Proxy 3.
redir_sipp_bg bob f36_bob.xml $B "$B_PORT" "$P3:$P3_PORT"
ss_multi_wait_for "Bob listening" ss_multi_udp_bound $B "$B_PORT"
redir_sipp alice_p3 f36_alice_proxy.xml $A "$A_PORT" "$P3:$P3_PORT" \
	-cid_str "$CALL_ID" -key target "$TARGET" ||
	fail "F4-F15 (Alice through Proxy 3)"
redir_sipp_wait bob || fail "F5-F16 (Bob)"

rr="<sip:$P3:$P3_PORT;lr>"
f5=$(ss_multi_msg bob received '^INVITE')
redir_expect F5 "$f5" "^INVITE sip:bob@$B:$B_PORT SIP/2.0\$"
[ "$(redir_hdrs "$f5" Via | wc -l)" -eq 2 ] || fail "F5: Via stack: $f5"
redir_hdrs "$f5" Via | sed -n 1p | grep -q "^SIP/2.0/UDP $P3:$P3_PORT;branch=z9hG4bK" ||
	fail "F5: top Via is not Proxy 3's: $f5"
redir_hdrs "$f5" Via | sed -n 2p | grep -q "^SIP/2.0/UDP $A:$A_PORT;branch=z9hG4bK" ||
	fail "F5: second Via is not Alice's: $f5"
redir_expect F5 "$f5" '^Max-Forwards: 69$'
[ "$(redir_hdrs "$f5" Record-Route)" = "$rr" ] || fail "F5: Record-Route: $f5"
redir_expect F5 "$f5" '^To: Bob <sip:bob@biloxi.example.com>$'
f10=$(ss_multi_msg alice_p3 received '^SIP/2.0 200')
[ "$(redir_hdrs "$f10" Via | wc -l)" -eq 1 ] || fail "F10: Via stack: $f10"
[ "$(redir_hdrs "$f10" Record-Route)" = "$rr" ] || fail "F10: Record-Route: $f10"
f11=$(ss_multi_msg alice_p3 sent '^ACK')
[ "$(redir_hdrs "$f11" Route)" = "$rr" ] || fail "F11: Route: $f11"

# F12: the ACK reached Bob through Proxy 3 with Alice's SDP byte for byte.
f12=$(ss_multi_msg bob received '^ACK')
[ "$(redir_hdrs "$f12" Via | wc -l)" -eq 2 ] || fail "F12: Via stack: $f12"
redir_hdrs "$f12" Via | sed -n 1p | grep -q "^SIP/2.0/UDP $P3:$P3_PORT;" ||
	fail "F12: did not come through Proxy 3: $f12"
redir_expect F12 "$f12" '^Max-Forwards: 69$'
redir_hdrs "$f12" Route | grep -q . && fail "F12: Route left in: $f12"
body() { printf '%s\n' "$1" | sed '1,/^$/d'; }
[ -n "$(body "$f11")" ] && [ "$(body "$f12")" = "$(body "$f11")" ] ||
	fail "F12: SDP changed on the way:
$(body "$f11")
---
$(body "$f12")"
[ "$(redir_hdrs "$f12" Content-Length)" = "$(redir_hdrs "$f11" Content-Length)" ] ||
	fail "F12: Content-Length"

# F13-F16: Bob's BYE along the route set.
f13=$(ss_multi_msg bob sent '^BYE')
[ "$(redir_hdrs "$f13" Route)" = "$rr" ] || fail "F13: Route: $f13"
f14=$(ss_multi_msg alice_p3 received '^BYE')
redir_expect F14 "$f14" "^BYE sip:alice@$A:$A_PORT SIP/2.0\$"
[ "$(redir_hdrs "$f14" Via | wc -l)" -eq 2 ] || fail "F14: Via stack: $f14"
redir_expect F14 "$f14" '^Max-Forwards: 69$'
f16=$(ss_multi_msg bob received '^SIP/2.0 200')
[ "$(redir_hdrs "$f16" Via | wc -l)" -eq 1 ] || fail "F16: Via stack: $f16"

# The module follows its configuration at run time and unloads cleanly.
sed -i 's/multiple="302"/multiple="300"/' "$(ss_multi_conf rs)"
ss_multi_rx rs "config reload" >/dev/null || fail "config reload"
out=$(ss_multi_rx rs "redirect lookup sip:bob@biloxi.example.com")
echo "$out" | grep -q ": 300 Multiple Choices$" || fail "after reload: $out"
ss_multi_rx rs "redirect show" | grep -q "300 when several" ||
	fail "redirect show: $(ss_multi_rx rs 'redirect show')"
ss_multi_rx rs "module unload redirect" >/dev/null || fail "module unload"
ss_multi_rx rs "redirect show stats" >/dev/null 2>&1 &&
	fail "redirect commands left after unload"

redir_stop p3
redir_stop rs
echo "rfc3665_3_6_redirect: 1 passed, 0 failed"
