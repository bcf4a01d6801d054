#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The 200 OK of a registration (RFC 3665 2.1) is sent only once the binding
# is committed: the server killed with SIGKILL right after the 200 still
# has the binding when it starts again.
set -u
. "$top_srcdir/tests/scenarios/rfc3665_2_common.sh"

reg_start
reg_register
kill -KILL "$SS_PID"
wait "$SS_PID" 2>/dev/null
SS_PID=

ss_start
out=$(ss_rx "location show $REG_AOR") || fail "binding lost across kill -9: $out"
echo "$out" | grep -q "sip:$REG_USER@127.0.0.1:$UA_PORT" ||
	fail "binding lost across kill -9: $out"

ss_rx "core stop gracefully" >/dev/null 2>&1
ss_wait_exit 0
echo "rfc3665_2_1_durable: 1 passed, 0 failed"
