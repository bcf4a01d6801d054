#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# 423 Interval Too Brief (RFC 3261 10.3 step 7): an authenticated REGISTER
# asking for less than the configured minimum is refused with Min-Expires
# and binds nothing; asking for more than the maximum is granted the
# maximum.
set -u
. "$top_srcdir/tests/scenarios/rfc3665_2_common.sh"

reg_start '<expires default="3600" min="60" max="7200"/>'
CSEQ=1
reg_challenge reg_f1
CSEQ=2
EXPIRES=10
reg_auth MD5 "$REG_PASS"
reg_send reg_brief reg_423.xml "$AUTH" ||
	fail "no 423: $(cat "$SS_DIR/reg_brief.err" 2>/dev/null)"
reg_received reg_brief '^SIP/2.0 423' | grep -q '^Min-Expires: 60' ||
	fail "423 without Min-Expires: 60: $(reg_received reg_brief '^SIP/2.0 423')"
reg_unbound "$REG_AOR" || fail "bound despite the 423"
ss_rx "registrar show stats" | grep -q "423: 1 " ||
	fail "stats: $(ss_rx 'registrar show stats')"

CSEQ=3
EXPIRES=100000
reg_auth MD5 "$REG_PASS"
reg_send reg_long reg_auth_200.xml "$AUTH" ||
	fail "no 200 for a long expiry: $(cat "$SS_DIR/reg_long.err" 2>/dev/null)"
reg_received reg_long '^SIP/2.0 200' | grep -q ';expires=7200$' ||
	fail "expiry not capped at 7200: $(reg_received reg_long '^SIP/2.0 200')"

ss_rx "core stop gracefully" >/dev/null 2>&1
ss_wait_exit 0
echo "rfc3665_2_423: 1 passed, 0 failed"
