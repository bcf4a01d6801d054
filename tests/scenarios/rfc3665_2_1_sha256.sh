#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 2.1 answered with SHA-256 (RFC 8760): the 401 offers SHA-256
# first, and credentials computed with it register the contact. sipp 3.6.1
# cannot compute SHA-256 digests, so the shell does (sha256sum) and sipp
# sends the result (see rfc3665_2_common.sh).
set -u
. "$top_srcdir/tests/scenarios/rfc3665_2_common.sh"

reg_start
CSEQ=1
reg_challenge reg_f1
reg_received reg_f1 '^SIP/2.0 401' | grep '^WWW-Authenticate:' | head -n 1 |
	grep -q 'algorithm=SHA-256' ||
	fail "SHA-256 is not offered first: $(reg_received reg_f1 '^SIP/2.0 401')"
CSEQ=2
reg_auth SHA-256 "$REG_PASS"
reg_send reg_f3 reg_auth_200.xml "$AUTH" ||
	fail "SHA-256 credentials not accepted: $(cat "$SS_DIR/reg_f3.err" 2>/dev/null)"
ss_rx "location show $REG_AOR" | grep -q "sip:$REG_USER@127.0.0.1:$UA_PORT" ||
	fail "binding missing"

ss_rx "core stop gracefully" >/dev/null 2>&1
ss_wait_exit 0
echo "rfc3665_2_1_sha256: 1 passed, 0 failed"
