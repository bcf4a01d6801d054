/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Client transactions on real loops: our Via and branch, retransmissions
 * with a short T1, Timer F timeout (408), transport errors (503), the ACK
 * of a non-2xx final response, 2xx forks in Accepted, CANCEL only after a
 * provisional response, responses arriving on another loop, and responses
 * the layer does not know passed on.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "txn_test.h"

#define T1 20

/* What the owner callback saw; written on loop 0, read after a round
 * trip through loop 0's queue. */
static struct {
	unsigned calls;
	unsigned codes[16];
	bool null_rx[16];
	unsigned loop;
} cb;

static ss_sip_txn_t *client;
static char text[2048];

/* cppcheck-suppress constParameter ; the callback type's signature */
static void on_response(ss_sip_txn_t *txn, ss_sip_rx_t *rx, unsigned code,
			void *arg)
{
	ck_assert_ptr_eq(txn, client);
	ck_assert_ptr_eq(arg, &cb);
	if (cb.calls < 16) {
		cb.codes[cb.calls] = code;
		cb.null_rx[cb.calls] = rx == NULL;
	}
	cb.calls++;
	cb.loop = ss_loop_index(ss_loop_current());
}

typedef struct create_args {
	const char *method;
	ss_sip_proto_t proto;
	int rc;
} create_args_t;

static void create_task(void *arg)
{
	create_args_t *a = arg;
	ss_sip_dest_t dst = {.proto = a->proto};
	struct sockaddr_in *in = (struct sockaddr_in *)&dst.addr.sa;
	ss_sip_error_t err;
	ss_sip_msg_t msg;
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "%s sip:bob@example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKupstream\r\n"
		 "Route: <sip:127.0.0.1:5080;lr>\r\n"
		 "Max-Forwards: 69\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "To: <sip:bob@example.com>\r\n"
		 "Call-ID: c1@example.com\r\n"
		 "CSeq: 1 %s\r\n"
		 "Content-Length: 0\r\n\r\n",
		 a->method, a->method);
	in->sin_family = AF_INET;
	in->sin_port = htons(5080);
	inet_pton(AF_INET, "127.0.0.1", &in->sin_addr);
	dst.addr.len = sizeof(*in);
	ss_sip_msg_init(&msg);
	ck_assert_int_eq(ss_sip_msg_parse(&msg, buf, strlen(buf), &err), 0);
	a->rc = txn_api.client_create(&msg, &dst, on_response, &cb, &client);
	ss_sip_msg_fini(&msg);
}

static void create(const char *method, ss_sip_proto_t proto)
{
	create_args_t a = {method, proto, 0};

	memset(&cb, 0, sizeof(cb));
	tt_run_on(0, create_task, &a);
	ck_assert_int_eq(a.rc, 0);
	ck_assert_ptr_nonnull(client);
}

static void drop_client(void *arg)
{
	txn_api.unref(&client);
}

static void stop(void)
{
	if (client)
		tt_run_on(0, drop_client, NULL);
	tt_stop();
}

/* The branch of our top Via in sent message i. */
static const char *branch_of(unsigned i, char *buf, size_t size)
{
	char via[512], *b, *e;

	ck_assert_ptr_nonnull(tt_header(i, "Via", via, sizeof(via)));
	b = strstr(via, "branch=");
	ck_assert_ptr_nonnull(b);
	b += 7;
	e = strchr(b, ';');
	snprintf(buf, size, "%.*s", e ? (int)(e - b) : (int)strlen(b), b);
	return buf;
}

static const char *resp(unsigned code, const char *branch,
			const char *cseq_method)
{
	snprintf(text, sizeof(text),
		 "SIP/2.0 %u Whatever\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=%s;rport=5060\r\n"
		 "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKupstream\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "To: <sip:bob@example.com>%s\r\n"
		 "Call-ID: c1@example.com\r\n"
		 "CSeq: 1 %s\r\n"
		 "Content-Length: 0\r\n\r\n",
		 code, branch, code > 100 ? ";tag=b9" : "", cseq_method);
	return text;
}

static bool calls_at_least(void *arg)
{
	return cb.calls >= *(unsigned *)arg;
}

static bool client_in(void *arg)
{
	return (int)txn_api.state(client) == *(int *)arg;
}

START_TEST(via_and_retransmissions)
{
	char branch[128], via[512];
	unsigned n = 1;
	int st = SS_TXN_TERMINATED;
	const tt_sent_t *s;

	tt_start(T1);
	create("OPTIONS", SS_SIP_UDP);
	ck_assert(tt_wait_sent(3)); /* the request and two retransmissions */
	s = tt_sent(0);
	ck_assert_int_eq(strncmp(s->buf,
				 "OPTIONS sip:bob@example.com SIP/2.0"
				 "\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;"
				 "branch=z9hG4bKsS000",
				 sizeof("OPTIONS sip:bob@example.com SIP/2.0"
					"\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;"
					"branch=z9hG4bKsS000") -
				     1),
			 0);
	tt_header(0, "Via", via, sizeof(via));
	ck_assert_ptr_nonnull(strstr(via, ";rport"));
	ck_assert_ptr_nonnull(strstr(s->buf, "z9hG4bKupstream"));
	ck_assert_str_eq(tt_sent(1)->buf, s->buf);
	ck_assert_uint_eq(
	    ntohs(((struct sockaddr_in *)&s->dst.addr.sa)->sin_port), 5080);
	branch_of(0, branch, sizeof(branch));
	tt_inject(0, resp(200, branch, "OPTIONS"), SS_SIP_UDP, 5080);
	ck_assert(tt_wait_on(0, calls_at_least, &n));
	ck_assert_uint_eq(cb.codes[0], 200);
	ck_assert(!cb.null_rx[0]);
	/* a retransmitted 200 is absorbed; Timer K ends the transaction */
	tt_inject(0, resp(200, branch, "OPTIONS"), SS_SIP_UDP, 5080);
	ck_assert(tt_wait_on(0, client_in, &st));
	ck_assert_uint_eq(cb.calls, 1);
	ck_assert(tt_wait_table(0, 0));
	ck_assert_uint_ge(TXN_GET(txn_g.loops[0].st.retransmits), 2);
	stop();
}
END_TEST

START_TEST(timeout_gives_408)
{
	unsigned n = 1;

	tt_start(T1);
	create("MESSAGE", SS_SIP_UDP);
	ck_assert(tt_wait_on(0, calls_at_least, &n));
	ck_assert_uint_eq(cb.codes[0], 408);
	ck_assert(cb.null_rx[0]);
	ck_assert_int_eq(txn_api.state(client), SS_TXN_TERMINATED);
	ck_assert_uint_eq(TXN_GET(txn_g.loops[0].st.timeouts), 1);
	/* E doubled up to T2 = 4*T1: 0, 20, 60, 140, 220... within 64*T1 */
	ck_assert_uint_ge(tt_sent_count(), 10);
	ck_assert_uint_le(tt_sent_count(), 20);
	stop();
}
END_TEST

START_TEST(transport_error_gives_503)
{
	create_args_t a = {"OPTIONS", SS_SIP_UDP, 0};
	unsigned n = 1;

	tt_start(T1);
	__atomic_store_n(&tt_send_error, -ENETUNREACH, __ATOMIC_RELAXED);
	tt_run_on(0, create_task, &a);
	ck_assert_int_eq(a.rc, -ENETUNREACH); /* at once: no callback */
	ck_assert_ptr_null(client);
	__atomic_store_n(&tt_send_error, 0, __ATOMIC_RELAXED);
	create("OPTIONS", SS_SIP_UDP);
	ck_assert(tt_wait_sent(1));
	__atomic_store_n(&tt_send_error, -EPIPE, __ATOMIC_RELAXED);
	ck_assert(tt_wait_on(0, calls_at_least, &n));
	ck_assert_uint_eq(cb.codes[0], 503);
	ck_assert(cb.null_rx[0]);
	__atomic_store_n(&tt_send_error, 0, __ATOMIC_RELAXED);
	stop();
}
END_TEST

START_TEST(ack_for_non2xx)
{
	char branch[128], abranch[128], to[256];
	unsigned n = 1, before;
	int st = SS_TXN_PROCEEDING;
	const tt_sent_t *ack;

	tt_start(T1);
	create("INVITE", SS_SIP_UDP);
	ck_assert(tt_wait_sent(1));
	branch_of(0, branch, sizeof(branch));
	tt_inject(0, resp(180, branch, "INVITE"), SS_SIP_UDP, 5080);
	ck_assert(tt_wait_on(0, calls_at_least, &n));
	ck_assert_uint_eq(cb.codes[0], 180);
	ck_assert(tt_wait_on(0, client_in, &st));
	before = tt_sent_count();
	tt_inject(0, resp(486, branch, "INVITE"), SS_SIP_UDP, 5080);
	n = 2;
	ck_assert(tt_wait_on(0, calls_at_least, &n));
	ck_assert_uint_eq(cb.codes[1], 486);
	ck_assert(tt_wait_sent(before + 1));
	ack = tt_sent(before);
	ck_assert_int_eq(
	    strncmp(ack->buf, "ACK sip:bob@example.com SIP/2.0\r\n", 33), 0);
	ck_assert_str_eq(branch_of(before, abranch, sizeof(abranch)), branch);
	ck_assert_ptr_null(strstr(ack->buf, "z9hG4bKupstream"));
	ck_assert_ptr_nonnull(strstr(ack->buf, "\r\nCSeq: 1 ACK\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(ack->buf, "\r\nRoute: <sip:127.0.0.1:5080;lr>\r\n"));
	ck_assert_str_eq(tt_header(before, "To", to, sizeof(to)),
			 "<sip:bob@example.com>;tag=b9");
	/* a retransmitted 486 gets the ACK again, not the owner */
	tt_inject(0, resp(486, branch, "INVITE"), SS_SIP_UDP, 5080);
	ck_assert(tt_wait_sent(before + 2));
	ck_assert_str_eq(tt_sent(before + 1)->buf, ack->buf);
	ck_assert_uint_eq(cb.calls, 2);
	ck_assert_int_eq(txn_api.state(client), SS_TXN_COMPLETED);
	ck_assert_uint_eq(TXN_GET(txn_g.loops[0].st.acks_sent), 1);
	stop();
}
END_TEST

START_TEST(invite_over_tcp_and_2xx_forks)
{
	char branch[128];
	unsigned n = 2;
	int st = SS_TXN_TERMINATED;

	tt_start(T1);
	create("INVITE", SS_SIP_TCP);
	ck_assert(tt_wait_sent(1));
	ck_assert_ptr_nonnull(strstr(tt_sent(0)->buf, "Via: SIP/2.0/TCP "));
	branch_of(0, branch, sizeof(branch));
	tt_inject(0, resp(200, branch, "INVITE"), SS_SIP_TCP, 5080);
	tt_inject(0, resp(200, branch, "INVITE"), SS_SIP_TCP, 5080);
	ck_assert(tt_wait_on(0, calls_at_least, &n));
	ck_assert_uint_eq(cb.codes[0], 200);
	ck_assert_uint_eq(cb.codes[1], 200);
	ck_assert_int_eq(txn_api.state(client), SS_TXN_ACCEPTED);
	/* never retransmitted over TCP; nothing sent for a 2xx */
	ck_assert_uint_eq(tt_sent_count(), 1);
	ck_assert(tt_wait_on(0, client_in, &st)); /* Timer M */
	stop();
}
END_TEST

START_TEST(response_on_another_loop)
{
	char branch[128];
	unsigned n = 1;

	tt_start(T1);
	create("REGISTER", SS_SIP_UDP);
	ck_assert(tt_wait_sent(1));
	branch_of(0, branch, sizeof(branch));
	tt_inject(1, resp(200, branch, "REGISTER"), SS_SIP_UDP, 5080);
	ck_assert(tt_wait_on(0, calls_at_least, &n));
	ck_assert_uint_eq(cb.codes[0], 200);
	ck_assert_uint_eq(cb.loop, 0);
	ck_assert_uint_eq(TXN_GET(txn_g.loops[1].st.resp_posted), 1);
	ck_assert_uint_eq(TXN_GET(txn_g.loops[0].st.resp_matched), 1);
	stop();
}
END_TEST

static void cancel_client(void *arg)
{
	*(int *)arg = txn_api.cancel(client);
}

START_TEST(cancel_waits_for_provisional)
{
	char branch[128], cbranch[128];
	unsigned n = 1, before;
	int rc = -1;
	const tt_sent_t *c;

	tt_start(T1);
	create("INVITE", SS_SIP_TCP);
	ck_assert(tt_wait_sent(1));
	branch_of(0, branch, sizeof(branch));
	tt_run_on(0, cancel_client, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(tt_sent_count(), 1); /* nothing before a 1xx */
	tt_inject(0, resp(100, branch, "INVITE"), SS_SIP_TCP, 5080);
	ck_assert(tt_wait_sent(2));
	c = tt_sent(1);
	ck_assert_int_eq(
	    strncmp(c->buf, "CANCEL sip:bob@example.com SIP/2.0\r\n", 36), 0);
	ck_assert_str_eq(branch_of(1, cbranch, sizeof(cbranch)), branch);
	ck_assert_ptr_nonnull(strstr(c->buf, "\r\nCSeq: 1 CANCEL\r\n"));
	ck_assert_ptr_nonnull(
	    strstr(c->buf, "\r\nTo: <sip:bob@example.com>\r\n"));
	/* the 200 of the CANCEL is its own transaction's */
	tt_inject(0, resp(200, branch, "CANCEL"), SS_SIP_TCP, 5080);
	ck_assert(tt_wait_on(0, calls_at_least, &n));
	ck_assert_uint_eq(cb.calls, 1);
	before = tt_sent_count();
	tt_inject(0, resp(487, branch, "INVITE"), SS_SIP_TCP, 5080);
	n = 2;
	ck_assert(tt_wait_on(0, calls_at_least, &n));
	ck_assert_uint_eq(cb.codes[1], 487);
	ck_assert(tt_wait_sent(before + 1));
	ck_assert_int_eq(strncmp(tt_sent(before)->buf, "ACK ", 4), 0);
	/* over TCP Timer D is zero */
	ck_assert_int_eq(txn_api.state(client), SS_TXN_TERMINATED);
	tt_run_on(0, cancel_client, &rc);
	ck_assert_int_eq(rc, -EALREADY);
	stop();
}
END_TEST

static unsigned passed_on;

static ss_bus_verdict_t proxy_like(ss_topic_t topic, void *m, void *arg)
{
	passed_on++;
	return SS_BUS_STOP;
}

START_TEST(unknown_responses_pass_on)
{
	char branch[128];

	tt_start(T1);
	ck_assert_int_eq(ss_bus_subscribe(NULL, "sip.response.in",
					  SS_SIP_PRIO_PROXY, proxy_like, NULL),
			 0);
	tt_inject(0, resp(200, "z9hG4bKsomeoneelse", "INVITE"), SS_SIP_UDP,
		  5080);
	ck_assert_uint_eq(passed_on, 1);
	/* ours by its shape, but no such transaction */
	create("OPTIONS", SS_SIP_TCP);
	ck_assert(tt_wait_sent(1));
	branch_of(0, branch, sizeof(branch));
	tt_inject(0, resp(200, branch, "INVITE"), SS_SIP_UDP, 5080);
	ck_assert_uint_eq(passed_on, 2);
	ck_assert_uint_eq(cb.calls, 0);
	ck_assert_uint_eq(TXN_GET(txn_g.loops[0].st.resp_unmatched), 2);
	stop();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("txn_client");
	TCase *tc = tcase_create("client");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, via_and_retransmissions);
	tcase_add_test(tc, timeout_gives_408);
	tcase_add_test(tc, transport_error_gives_503);
	tcase_add_test(tc, ack_for_non2xx);
	tcase_add_test(tc, invite_over_tcp_and_2xx_forks);
	tcase_add_test(tc, response_on_another_loop);
	tcase_add_test(tc, cancel_waits_for_provisional);
	tcase_add_test(tc, unknown_responses_pass_on);
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
