#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# An INVITE retransmitted by sipp is absorbed by its server transaction:
# the request reaches the end of the chain once (one transaction, one
# catch-all answer), the retransmission gets the stored 404 with the same
# To tag, and the ACK of the 404 is consumed by the transaction.
set -u
. "$top_srcdir/tests/scenarios/txn_common.sh"

txn_start

txn_sipp retrans txn_invite_retrans.xml u1 "$UDP_PORT" ||
	fail "INVITE retransmission: $(cat "$SS_DIR/retrans.err" "$SS_DIR/retrans.out" 2>/dev/null)"

[ "$(txn_created "server INVITE")" = 1 ] ||
	fail "expected one INVITE transaction: $(ss_rx "transaction show summary")"
[ "$(txn_counter "catch-all replies")" = 1 ] ||
	fail "the INVITE reached the end of the chain more than once"
[ "$(txn_counter "absorbed")" -ge 1 ] ||
	fail "no absorbed retransmission: $(ss_rx "transaction show summary")"
acked() { [ "$(txn_counter "ACKs absorbed")" -ge 1 ]; }
ss_wait_for "the ACK absorbed" acked

# Both 404s sipp received carry the transaction's one To tag.
tags=$(awk '/message received/ { inmsg = 1; next }
	/message sent/ { inmsg = 0 }
	inmsg && /^To:/ { print }' "$SS_DIR/retrans.msg")
[ "$(echo "$tags" | wc -l)" -ge 2 ] || fail "one 404 only: $tags"
[ "$(echo "$tags" | sort -u | wc -l)" -eq 1 ] || fail "To tags differ: $tags"
echo "$tags" | grep -q "tag=" || fail "no To tag: $tags"

kill -TERM "$SS_PID"
ss_wait_exit 0
grep -q "ERROR" "$SS_LOG" && fail "errors in the log"
echo "txn_invite_retrans: passed"
