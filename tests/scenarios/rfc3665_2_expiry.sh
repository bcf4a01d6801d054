#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A registration expires: with a minimum of 1 s configured, a contact
# registered for 2 s disappears from the location service by itself (the
# test waits on that condition, bounded), and the registrar counts it.
set -u
. "$top_srcdir/tests/scenarios/rfc3665_2_common.sh"

reg_start '<expires default="3600" min="1" max="86400"/>' \
	'<expiry sweep_interval="100"/>'
CSEQ=1
EXPIRES=2
reg_challenge reg_f1
CSEQ=2
reg_auth MD5 "$REG_PASS"
reg_send reg_f3 reg_auth_200.xml "$AUTH" ||
	fail "no 200 OK: $(cat "$SS_DIR/reg_f3.err" 2>/dev/null)"
reg_received reg_f3 '^SIP/2.0 200' | grep -Eq '^Contact: <[^>]*>;expires=[12]$' ||
	fail "200 does not grant 2 s: $(reg_received reg_f3 '^SIP/2.0 200')"

ss_wait_for "the binding expires" reg_unbound "$REG_AOR"
expired() { ss_rx "registrar show stats" | grep -q "expired 1$"; }
ss_wait_for "the expiry is counted" expired

ss_rx "core stop gracefully" >/dev/null 2>&1
ss_wait_exit 0
echo "rfc3665_2_expiry: 1 passed, 0 failed"
