/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Server transactions on real loops: the INVITE state machine with 100
 * Trying, retransmission absorption and Timer G, ACK absorption for a
 * non-2xx, ACK of a 2xx passed on, CANCEL (200 + owner callback, 487 by
 * default, 481 when unmatched), non-INVITE retransmissions answered from
 * the stored response, RFC 2543 matching, abandoned transactions, what a
 * lingering transaction keeps, the catch-all and the stateless reply.
 */
#include <check.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "txn_test.h"

#define T1 20

static char msgbuf[2048];

/* A request from 127.0.0.1:5070; via_params "" gives an RFC 2543 Via. */
static const char *req(const char *method, const char *via_params,
		       const char *to_tag, unsigned cseq,
		       const char *cseq_method)
{
	snprintf(msgbuf, sizeof(msgbuf),
		 "%s sip:bob@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5070%s\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "To: <sip:bob@example.com>%s%s\r\n"
		 "Call-ID: call-1@example.com\r\n"
		 "CSeq: %u %s\r\n"
		 "Contact: <sip:alice@127.0.0.1:5070>\r\n"
		 "Content-Length: 0\r\n\r\n",
		 method, via_params, to_tag ? ";tag=" : "",
		 to_tag ? to_tag : "", cseq,
		 cseq_method ? cseq_method : method);
	return msgbuf;
}

#define BR ";branch=z9hG4bK-1;rport"

static bool kept_in_state(void *arg)
{
	return tt_tu.kept && (int)txn_api.state(tt_tu.kept) == *(int *)arg;
}

static void reply_kept(void *arg)
{
	ck_assert_int_eq(
	    txn_api.reply(tt_tu.kept, *(unsigned *)arg, NULL, NULL), 0);
}

static void unref_kept(void *arg)
{
	txn_api.unref(&tt_tu.kept);
}

static unsigned count_code(unsigned code)
{
	unsigned n = 0;

	for (unsigned i = 0; i < tt_sent_count(); i++)
		n += tt_sent_code(i) == code;
	return n;
}

START_TEST(invite_retransmission_and_ack)
{
	char to1[256], to2[256];
	unsigned code = 486, n;
	int st = SS_TXN_CONFIRMED;

	tt_start(T1);
	tt_tu.mode = TT_KEEP;
	tt_inject(0, req("INVITE", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 1);
	ck_assert(tt_tu.last_had_txn);
	/* 100 Trying after 3*T1 without an answer, without a To tag */
	ck_assert(tt_wait_sent(1));
	ck_assert_uint_eq(tt_sent_code(0), 100);
	ck_assert_ptr_null(
	    strstr(tt_header(0, "To", to1, sizeof(to1)), "tag="));
	/* the retransmission is absorbed and gets the 100 again */
	tt_inject(0, req("INVITE", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 1);
	ck_assert(tt_wait_sent(2));
	ck_assert_uint_eq(tt_sent_code(1), 100);
	/* a final non-2xx is retransmitted (Timer G) with one To tag */
	tt_run_on(0, reply_kept, &code);
	ck_assert(tt_wait_sent(4));
	ck_assert_uint_eq(tt_sent_code(2), 486);
	ck_assert_uint_eq(tt_sent_code(3), 486);
	tt_header(2, "To", to1, sizeof(to1));
	tt_header(3, "To", to2, sizeof(to2));
	ck_assert_ptr_nonnull(strstr(to1, ";tag="));
	ck_assert_str_eq(to1, to2);
	ck_assert_str_eq(tt_sent(2)->buf, tt_sent(3)->buf);
	/* responses go to the source port (rport) */
	ck_assert_uint_eq(
	    ntohs(((struct sockaddr_in *)&tt_sent(2)->dst.addr.sa)->sin_port),
	    5070);
	/* the ACK is absorbed: Confirmed, never at the TU */
	tt_inject(0, req("ACK", BR, strstr(to1, "tag=") + 4, 1, NULL),
		  SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 1);
	ck_assert(tt_wait_on(0, kept_in_state, &st));
	n = tt_sent_count();
	/* Timer I (T4) ends it; only the TU's reference is left */
	st = SS_TXN_TERMINATED;
	ck_assert(tt_wait_on(0, kept_in_state, &st));
	ck_assert(tt_wait_table(0, 0));
	ck_assert_uint_le(tt_sent_count(), n + 1);
	ck_assert_uint_eq(TXN_GET(txn_g.loops[0].st.acks_absorbed), 1);
	ck_assert_uint_ge(TXN_GET(txn_g.loops[0].st.absorbed), 1);
	tt_stop();
}
END_TEST

START_TEST(invite_2xx_ack_goes_to_tu)
{
	unsigned code = 200;
	int st = SS_TXN_ACCEPTED;

	tt_start(T1);
	tt_tu.mode = TT_KEEP;
	tt_inject(0, req("INVITE", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	tt_run_on(0, reply_kept, &code);
	ck_assert(tt_wait_sent(1));
	ck_assert_uint_eq(tt_sent_code(0), 200);
	ck_assert(tt_wait_on(0, kept_in_state, &st));
	/* the TU retransmits its 2xx through the Accepted transaction */
	tt_run_on(0, reply_kept, &code);
	ck_assert(tt_wait_sent(2));
	/* an INVITE retransmission is absorbed without an answer */
	tt_inject(0, req("INVITE", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 1);
	/* the ACK of the 2xx has its own branch and reaches the TU */
	tt_tu.mode = TT_PASS;
	tt_inject(0, req("ACK", ";branch=z9hG4bK-ack2xx", "x", 1, NULL),
		  SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 2);
	ck_assert_int_eq(tt_tu.last_method, SS_SIP_METHOD_ACK);
	ck_assert(!tt_tu.last_had_txn);
	ck_assert_uint_eq(tt_sent_count(), 2); /* ACK is never answered */
	/* Timer L ends the Accepted transaction */
	ck_assert(tt_wait_table(0, 0));
	tt_stop();
}
END_TEST

static void cancel_case(bool callback)
{
	tt_start(T1);
	tt_tu.mode = TT_KEEP;
	tt_tu.set_cancel_cb = callback;
	tt_inject(0, req("INVITE", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	tt_inject(0, req("CANCEL", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 1);
	ck_assert_uint_eq(tt_tu.cancels, callback ? 1 : 0);
	ck_assert(tt_wait_sent(2));
	ck_assert_uint_eq(tt_sent_code(0), 200);
	ck_assert_ptr_nonnull(strstr(tt_sent(0)->buf, "CSeq: 1 CANCEL"));
	ck_assert_uint_eq(tt_sent_code(1), 487);
	ck_assert_ptr_nonnull(strstr(tt_sent(1)->buf, "CSeq: 1 INVITE"));
	/* a retransmitted CANCEL gets the same 200 from its transaction */
	tt_inject(0, req("CANCEL", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.cancels, callback ? 1 : 0);
	ck_assert(tt_wait_sent(3));
	ck_assert_uint_ge(count_code(200), 2);
	ck_assert_uint_eq(TXN_GET(txn_g.loops[0].st.cancels), 1);
	tt_stop();
}

START_TEST(cancel_with_owner_callback)
{
	cancel_case(true);
}
END_TEST

START_TEST(cancel_without_callback_answers_487)
{
	cancel_case(false);
}
END_TEST

START_TEST(cancel_unmatched_gets_481)
{
	tt_start(T1);
	tt_tu.mode = TT_KEEP;
	tt_inject(0, req("CANCEL", ";branch=z9hG4bK-none", NULL, 1, NULL),
		  SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 0);
	ck_assert(tt_wait_sent(1));
	ck_assert_uint_eq(tt_sent_code(0), 481);
	ck_assert_uint_eq(TXN_GET(txn_g.loops[0].st.cancels_481), 1);
	tt_stop();
}
END_TEST

START_TEST(noninvite_retransmission_from_stored_response)
{
	tt_start(T1);
	tt_tu.mode = TT_REPLY;
	tt_tu.reply_code = 200;
	tt_inject(1, req("REGISTER", BR, NULL, 7, NULL), SS_SIP_UDP, 5071);
	ck_assert(tt_wait_sent(1));
	ck_assert_uint_eq(tt_sent_code(0), 200);
	tt_inject(1, req("REGISTER", BR, NULL, 7, NULL), SS_SIP_UDP, 5071);
	ck_assert_uint_eq(tt_tu.seen, 1);
	ck_assert(tt_wait_sent(2));
	ck_assert_str_eq(tt_sent(0)->buf, tt_sent(1)->buf);
	/* over TCP, Timer J is zero: nothing is left */
	tt_inject(1, req("REGISTER", ";branch=z9hG4bK-tcp", NULL, 8, NULL),
		  SS_SIP_TCP, 5072);
	ck_assert(tt_wait_sent(3));
	ck_assert_uint_eq(tt_sent(2)->dst.conn_id, 7);
	/* over UDP Timer J (64*T1) ends the first one */
	ck_assert(tt_wait_table(1, 0));
	tt_stop();
}
END_TEST

START_TEST(rfc2543_matching)
{
	ss_sip_txn_t *first;
	char to[256];
	unsigned code = 404;
	int st = SS_TXN_CONFIRMED;

	tt_start(T1);
	tt_tu.mode = TT_KEEP;
	tt_inject(0, req("INVITE", "", NULL, 3, NULL), SS_SIP_UDP, 5070);
	tt_inject(0, req("INVITE", "", NULL, 3, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 1);
	/* another CSeq is another transaction */
	first = tt_tu.kept;
	tt_tu.kept = NULL;
	tt_inject(0, req("INVITE", "", NULL, 4, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 2);
	ck_assert_ptr_nonnull(tt_tu.kept);
	ck_assert_ptr_ne(tt_tu.kept, first);
	tt_run_on(0, unref_kept, NULL);
	tt_tu.kept = first;
	tt_run_on(0, reply_kept, &code);
	ck_assert(tt_wait_sent(1));
	ck_assert_uint_eq(tt_sent_code(0), 404);
	tt_header(0, "To", to, sizeof(to));
	/* an ACK with another To tag is not ours */
	tt_inject(0, req("ACK", "", "other", 3, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 3);
	tt_inject(0, req("ACK", "", strstr(to, "tag=") + 4, 3, NULL),
		  SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 3);
	ck_assert(tt_wait_on(0, kept_in_state, &st));
	/* CANCEL matches without the To tag and CSeq method */
	tt_inject(0, req("CANCEL", "", NULL, 3, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(TXN_GET(txn_g.loops[0].st.cancels), 1);
	tt_stop();
}
END_TEST

static bool table_empty(void *arg)
{
	return txn_g.loops[0].table.count == 0;
}

START_TEST(abandoned_transaction_is_released)
{
	tt_start(T1);
	tt_tu.mode = TT_STATELESS;
	tt_inject(0, req("REGISTER", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	ck_assert(tt_wait_sent(1));
	ck_assert_uint_eq(tt_sent_code(0), 401);
	/* nobody kept nor answered it: gone once the publish is over, and
	 * not counted as abandoned since the TU answered statelessly */
	ck_assert(tt_wait_on(0, table_empty, NULL));
	ck_assert_uint_eq(TXN_GET(txn_g.loops[0].st.orphans), 0);
	tt_inject(0, req("REGISTER", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 2);
	ck_assert(tt_wait_sent(2));
	ck_assert_str_eq(tt_sent(0)->buf, tt_sent(1)->buf);
	tt_stop();
}
END_TEST

static void trying_kept(void *arg)
{
	ck_assert_int_eq(txn_api.send_trying(tt_tu.kept), 0);
	ck_assert_int_eq(txn_api.send_trying(tt_tu.kept), -EALREADY);
}

START_TEST(dropped_after_provisional_gets_500)
{
	tt_start(T1);
	tt_tu.mode = TT_KEEP;
	tt_inject(0, req("INVITE", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	tt_run_on(0, trying_kept, NULL);
	tt_run_on(0, unref_kept, NULL);
	ck_assert(tt_wait_sent(2));
	ck_assert_uint_eq(tt_sent_code(0), 100);
	ck_assert_uint_eq(tt_sent_code(1), 500);
	ck_assert_uint_eq(TXN_GET(txn_g.loops[0].st.orphans), 1);
	tt_stop();
}
END_TEST

/* What a transaction of loop 0 holds, read on its loop. */
typedef struct held {
	ss_sip_txn_t *txn;
	bool has_msg, retired;
	size_t out_len;
	char req[512];
	char call_id[64];
} held_t;

static void read_held(void *arg)
{
	held_t *h = arg;
	ss_str_t cid = txn_call_id_line(h->txn);

	h->has_msg = h->txn->req_msg != NULL;
	h->retired = h->txn->flags & TXN_F_RETIRED;
	h->out_len = h->txn->out_len;
	snprintf(h->req, sizeof(h->req), "%.*s", (int)h->txn->req_len,
		 h->txn->req);
	snprintf(h->call_id, sizeof(h->call_id), "%.*s", SS_STR_ARG(cid));
}

static void request_kept(void *arg)
{
	ss_sip_msg_t *m = txn_api.request(tt_tu.kept);

	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_eq(txn_api.request(tt_tu.kept), m);
	ck_assert_int_eq(m->method, SS_SIP_METHOD_INVITE);
}

#define RETIRED_REQ                              \
	"INVITE sip:bob@example.com SIP/2.0\r\n" \
	"Call-ID: call-1@example.com\r\n"

/*
 * Once a final response went and the TU let go, a lingering transaction
 * keeps only what it resends: request()'s copy and the request but for
 * its first line and Call-ID go, a retransmission still gets the stored
 * non-2xx and the ACK still matches; after a 2xx the stored provisional
 * response goes too.
 */
START_TEST(lingering_transaction_is_retired)
{
	unsigned code = 486;
	int st = SS_TXN_CONFIRMED;
	held_t h = {0};

	tt_start(1000); /* Timers G, H, L far away */
	tt_tu.mode = TT_KEEP;
	tt_inject(0, req("INVITE", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	h.txn = tt_tu.kept;
	tt_run_on(0, request_kept, NULL);
	tt_run_on(0, reply_kept, &code);
	ck_assert(tt_wait_sent(1));
	tt_run_on(0, read_held, &h);
	ck_assert(h.has_msg); /* the TU still holds its reference */
	ck_assert(!h.retired);
	ck_assert_str_eq(h.req, req("INVITE", BR, NULL, 1, NULL));
	tt_run_on(0, unref_kept, NULL);
	tt_run_on(0, read_held, &h);
	ck_assert(!h.has_msg);
	ck_assert(h.retired);
	ck_assert_str_eq(h.req, RETIRED_REQ);
	ck_assert_str_eq(h.call_id, "Call-ID: call-1@example.com\r\n");
	ck_assert_uint_eq(h.out_len, tt_sent(0)->len);
	tt_inject(0, req("INVITE", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 1);
	ck_assert(tt_wait_sent(2));
	ck_assert_str_eq(tt_sent(1)->buf, tt_sent(0)->buf);
	tt_inject(0, req("ACK", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	ck_assert_uint_eq(tt_tu.seen, 1);
	tt_tu.kept = h.txn; /* borrowed from the table for the wait */
	ck_assert(tt_wait_on(0, kept_in_state, &st));
	tt_tu.kept = NULL;

	code = 180;
	tt_inject(0, req("INVITE", ";branch=z9hG4bK-2", NULL, 2, NULL),
		  SS_SIP_UDP, 5070);
	h.txn = tt_tu.kept;
	tt_run_on(0, reply_kept, &code);
	code = 200;
	tt_run_on(0, reply_kept, &code);
	ck_assert(tt_wait_sent(4));
	tt_run_on(0, read_held, &h);
	ck_assert_uint_eq(h.out_len, tt_sent(2)->len); /* the 180 */
	tt_run_on(0, unref_kept, NULL);
	tt_run_on(0, read_held, &h);
	ck_assert(h.retired);
	ck_assert_uint_eq(h.out_len, 0);
	ck_assert_ptr_null(h.txn->out);
	ck_assert_uint_eq(tt_table_count(0), 2);
	tt_stop();
}
END_TEST

START_TEST(catch_all)
{
	char allow[512];

	tt_start(T1);
	tt_inject(0, req("OPTIONS", BR, NULL, 1, NULL), SS_SIP_UDP, 5070);
	ck_assert(tt_wait_sent(1));
	ck_assert_uint_eq(tt_sent_code(0), 404); /* for bob, not for us */
	snprintf(msgbuf, sizeof(msgbuf),
		 "OPTIONS sip:127.0.0.1:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-o2\r\n"
		 "From: <sip:a@x>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
		 "Call-ID: o2\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
		 "Content-Length: 0\r\n\r\n");
	tt_inject(0, msgbuf, SS_SIP_UDP, 5070);
	ck_assert(tt_wait_sent(2));
	ck_assert_uint_eq(tt_sent_code(1), 200);
	ck_assert_ptr_nonnull(tt_header(1, "Allow", allow, sizeof(allow)));
	ck_assert_ptr_nonnull(strstr(allow, "INVITE"));
	ck_assert_ptr_nonnull(tt_header(1, "Accept", allow, sizeof(allow)));
	ck_assert_ptr_nonnull(tt_header(1, "Supported", allow, sizeof(allow)));
	tt_inject(0, req("FOO", ";branch=z9hG4bK-foo", NULL, 1, NULL),
		  SS_SIP_UDP, 5070);
	ck_assert(tt_wait_sent(3));
	ck_assert_uint_eq(tt_sent_code(2), 501);
	tt_inject(0, req("BYE", ";branch=z9hG4bK-bye", "t", 2, NULL),
		  SS_SIP_UDP, 5070);
	ck_assert(tt_wait_sent(4));
	ck_assert_uint_eq(tt_sent_code(3), 481);
	tt_inject(0, req("ACK", ";branch=z9hG4bK-ack", "t", 2, NULL),
		  SS_SIP_UDP, 5070);
	tt_inject(0, req("INFO", ";branch=z9hG4bK-info", NULL, 2, NULL),
		  SS_SIP_UDP, 5070);
	ck_assert(tt_wait_sent(5));
	ck_assert_uint_eq(tt_sent_code(4), 404); /* and nothing for the ACK */
	ck_assert_uint_eq(TXN_GET(txn_g.loops[0].st.catchall), 5);
	tt_stop();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("txn_server");
	TCase *tc = tcase_create("server");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, invite_retransmission_and_ack);
	tcase_add_test(tc, invite_2xx_ack_goes_to_tu);
	tcase_add_test(tc, cancel_with_owner_callback);
	tcase_add_test(tc, cancel_without_callback_answers_487);
	tcase_add_test(tc, cancel_unmatched_gets_481);
	tcase_add_test(tc, noninvite_retransmission_from_stored_response);
	tcase_add_test(tc, rfc2543_matching);
	tcase_add_test(tc, abandoned_transaction_is_released);
	tcase_add_test(tc, dropped_after_provisional_gets_500);
	tcase_add_test(tc, lingering_transaction_is_retired);
	tcase_add_test(tc, catch_all);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
