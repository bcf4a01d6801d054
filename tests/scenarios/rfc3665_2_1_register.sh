#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 2.1, successful new registration: REGISTER F1 gets 401 with a
# digest challenge, REGISTER F3 with credentials gets 200 OK F4 listing the
# contact with its expiry and a Date. The binding is then in the location
# service and counted by the registrar.
set -u
. "$top_srcdir/tests/scenarios/rfc3665_2_common.sh"

reg_start
reg_register

f2=$(reg_received reg_f1 '^SIP/2.0 401')
echo "$f2" | grep -q '^WWW-Authenticate: Digest .*algorithm=MD5' ||
	fail "F2 has no MD5 challenge: $f2"
echo "$f2" | grep -q '^To: .*;tag=' || fail "F2 To has no tag: $f2"

f4=$(reg_received reg_f3 '^SIP/2.0 200')
echo "$f4" | grep -q "^Contact: <sip:$REG_USER@127.0.0.1:$UA_PORT>;expires=3600" ||
	fail "F4 does not list the contact with expires=3600: $f4"
[ "$(echo "$f4" | grep -c '^Contact:')" -eq 1 ] || fail "F4 lists more than one contact: $f4"
echo "$f4" | grep -Eq '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT' ||
	fail "F4 has no RFC 1123 Date: $f4"

out=$(ss_rx "location show $REG_AOR") || fail "location show: $out"
echo "$out" | grep -q "sip:$REG_USER@127.0.0.1:$UA_PORT" || fail "binding missing: $out"
echo "$out" | grep -q "ua sipp rfc3665" || fail "User-Agent not stored: $out"
echo "$out" | grep -q "received 127.0.0.1:$UA_PORT/udp" || fail "source not stored: $out"
ss_rx "registrar show stats" | grep -q "registrations 1 " || fail "stats: $(ss_rx 'registrar show stats')"

ss_rx "core stop gracefully" >/dev/null 2>&1
ss_wait_exit 0
echo "rfc3665_2_1_register: 1 passed, 0 failed"
