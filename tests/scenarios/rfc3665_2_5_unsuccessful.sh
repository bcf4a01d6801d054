#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 2.5, unsuccessful registration: credentials computed with a
# wrong password get a new 401 challenge (never a 200), and nothing is
# bound.
set -u
. "$top_srcdir/tests/scenarios/rfc3665_2_common.sh"

reg_start
CSEQ=1
reg_challenge reg_f1
CSEQ=2
reg_auth MD5 "not-$REG_PASS"
reg_send reg_f3 reg_auth_401.xml "$AUTH" ||
	fail "2.5 F3: not answered with 401: $(cat "$SS_DIR/reg_f3.err" 2>/dev/null)"
f4=$(reg_received reg_f3 '^SIP/2.0 ')
echo "$f4" | head -n 1 | grep -q '^SIP/2.0 401' || fail "F4 is not a 401: $f4"
echo "$f4" | grep -q '^WWW-Authenticate: Digest ' || fail "F4 has no challenge: $f4"
grep -q '^SIP/2.0 200' "$SS_DIR/reg_f3.msg" && fail "a 200 OK was sent"

reg_unbound "$REG_AOR" || fail "bound despite the wrong password: $(ss_rx "location show $REG_AOR")"
ss_rx "location show" | grep -q "$REG_AOR" && fail "location show lists $REG_AOR"

ss_rx "core stop gracefully" >/dev/null 2>&1
ss_wait_exit 0
echo "rfc3665_2_5_unsuccessful: 1 passed, 0 failed"
