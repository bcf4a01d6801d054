#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 2.3, request for the current contact list: a REGISTER without
# Contact changes nothing and its 200 OK lists the registered contacts with
# their remaining expiry and a Date.
set -u
. "$top_srcdir/tests/scenarios/rfc3665_2_common.sh"

reg_start
reg_register
CSEQ=3
reg_auth MD5 "$REG_PASS"
reg_send reg_update reg_update.xml "$AUTH" \
	"mailto:$REG_USER@example.com" || fail "2.2 update before the query"

CSEQ=4
reg_auth MD5 "$REG_PASS"
reg_send reg_query reg_query.xml "$AUTH" ||
	fail "2.3 F1: no 200 OK with the list: $(cat "$SS_DIR/reg_query.err" 2>/dev/null)"
f2=$(reg_received reg_query '^SIP/2.0 200')
echo "$f2" | grep -Eq "^Contact: <sip:$REG_USER@127.0.0.1:$UA_PORT>;expires=(3600|359[0-9])" ||
	fail "F2 does not list the sip: contact: $f2"
echo "$f2" | grep -Eq "^Contact: <mailto:$REG_USER@example.com>;expires=(3600|359[0-9])" ||
	fail "F2 does not list the mailto: contact: $f2"
[ "$(echo "$f2" | grep -c '^Contact:')" -eq 2 ] || fail "F2 contact count: $f2"

ss_rx "location show $REG_AOR" | grep -q "2 contacts" || fail "query changed the bindings"
ss_rx "registrar show stats" | grep -q "queries: 1 " ||
	fail "stats: $(ss_rx 'registrar show stats')"

ss_rx "core stop gracefully" >/dev/null 2>&1
ss_wait_exit 0
echo "rfc3665_2_3_query: 1 passed, 0 failed"
