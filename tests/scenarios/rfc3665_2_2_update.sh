#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 2.2, update of the contact list: once registered (2.1), an
# authenticated REGISTER with a second contact (a mailto: URI, as in the
# RFC) is accepted without a new challenge and its 200 OK lists both. A
# REGISTER of the same Call-ID whose CSeq is not higher is out of order
# (RFC 3261 10.3 step 7): 500, and the list does not change.
set -u
. "$top_srcdir/tests/scenarios/rfc3665_2_common.sh"

reg_start
reg_register

CSEQ=3
reg_auth MD5 "$REG_PASS"
reg_send reg_update reg_update.xml "$AUTH" \
	"mailto:$REG_USER@example.com" ||
	fail "2.2 F1: no 200 OK: $(cat "$SS_DIR/reg_update.err" 2>/dev/null)"
f2=$(reg_received reg_update '^SIP/2.0 200')
echo "$f2" | grep -q "^Contact: <sip:$REG_USER@127.0.0.1:$UA_PORT>;expires=3600" ||
	fail "F2 does not list the first contact: $f2"
echo "$f2" | grep -q "^Contact: <mailto:$REG_USER@example.com>;expires=3600" ||
	fail "F2 does not list the mailto: contact: $f2"
[ "$(echo "$f2" | grep -c '^Contact:')" -eq 2 ] || fail "F2 contact count: $f2"

ss_rx "location show $REG_AOR" | grep -q "2 contacts" ||
	fail "location: $(ss_rx "location show $REG_AOR")"
ss_rx "registrar show stats" | grep -q "registrations 2  refreshes 1 " ||
	fail "stats: $(ss_rx 'registrar show stats')"

# The same CSeq again (new branch, next nonce count): out of order.
reg_auth MD5 "$REG_PASS"
reg_send reg_stale reg_stale_cseq.xml "$AUTH" ||
	fail "stale CSeq not refused with 500: $(cat "$SS_DIR/reg_stale.err" 2>/dev/null)"
ss_rx "location show $REG_AOR" | grep -q "2 contacts" ||
	fail "out-of-order REGISTER changed the bindings"

ss_rx "core stop gracefully" >/dev/null 2>&1
ss_wait_exit 0
echo "rfc3665_2_2_update: 1 passed, 0 failed"
