#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 2.4, cancellation of registration: "Contact: *" with Expires: 0
# removes every contact of the AOR; the 200 OK lists none, and the location
# service no longer has the binding when the answer arrives (it is sent
# after the removal is committed).
set -u
. "$top_srcdir/tests/scenarios/rfc3665_2_common.sh"

reg_start
reg_register
CSEQ=3
reg_auth MD5 "$REG_PASS"
reg_send reg_update reg_update.xml "$AUTH" \
	"mailto:$REG_USER@example.com" || fail "2.2 update before the cancellation"

CSEQ=4
reg_auth MD5 "$REG_PASS"
reg_send reg_cancel reg_cancel.xml "$AUTH" ||
	fail "2.4 F1: no 200 OK: $(cat "$SS_DIR/reg_cancel.err" 2>/dev/null)"
f2=$(reg_received reg_cancel '^SIP/2.0 200')
echo "$f2" | grep -q '^Contact:' && fail "F2 still lists contacts: $f2"
reg_unbound "$REG_AOR" || fail "binding left: $(ss_rx "location show $REG_AOR")"
ss_rx "registrar show stats" | grep -q "removals 2 " ||
	fail "stats: $(ss_rx 'registrar show stats')"

ss_rx "core stop gracefully" >/dev/null 2>&1
ss_wait_exit 0
echo "rfc3665_2_4_cancel: 1 passed, 0 failed"
