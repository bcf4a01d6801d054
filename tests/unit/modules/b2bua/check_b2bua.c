/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The b2bua's call state machine end to end on real core loops with the
 * real transaction layer and parser, a fake transport that keeps what is
 * sent and a fake relay: RFC 3665 3.5 (offer rewritten both ways, our ACK,
 * our 2xx retransmitted until the caller's ACK, BYE from the callee on
 * another loop), CANCEL, a failure relayed with our tag, 488 and 503.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <sipserver/service.h>

#include "b2b_test.h"
#include "bus_core.h"
#include "txn_test.h"

#define ALICE_SDP                                                             \
	"v=0\r\no=alice 2890844526 2890844526 IN IP4 "                        \
	"client.atlanta.example.com\r\n"                                      \
	"s=-\r\nc=IN IP4 192.0.2.101\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\n" \
	"a=rtpmap:0 PCMU/8000\r\n"
#define BOB_SDP                                                              \
	"v=0\r\no=bob 2890844527 2890844527 IN IP4 "                         \
	"client.biloxi.example.com\r\n"                                      \
	"s=-\r\nc=IN IP4 192.0.2.201\r\nt=0 0\r\nm=audio 3456 RTP/AVP 0\r\n" \
	"a=rtpmap:0 PCMU/8000\r\n"

static char text[8192];

static void setup(void)
{
	b2b_conf_t *conf = malloc(sizeof(*conf));

	tt_start(100);
	fr_reset();
	memset(&b2b_g, 0, sizeof(b2b_g));
	b2b_g.parser = &ss_sip_parser_api;
	b2b_g.txn = &txn_api;
	b2b_g.rtp = &fr_api;
	b2b_g.transport =
	    ss_service_get("transport", SS_SIP_TRANSPORT_API_VERSION);
	b2b_conf_defaults(conf);
	conf->t1 = 100;
	conf->t2 = 400;
	snprintf(conf->next_hop, sizeof(conf->next_hop),
		 "sip:127.0.0.1:5080;lr");
	ck_assert_int_eq(b2b_start(NULL, conf), 0);
	ck_assert_int_eq(ss_bus_subscribe(NULL, "sip.request.in",
					  SS_SIP_PRIO_B2BUA, b2b_on_request,
					  NULL),
			 0);
}

static void teardown(void)
{
	ss_bus_release_owner(NULL);
	b2b_stop();
	ck_assert_uint_eq(fr_live(), 0);
	tt_stop();
}

/* Index of the first message sent from index `from` on that starts with
 * prefix; fails the test after the harness's timeout. */
static unsigned wait_msg(const char *prefix, unsigned from)
{
	for (unsigned i = from;; i++) {
		ck_assert_msg(tt_wait_sent(i + 1), "nothing sent like '%s'",
			      prefix);
		if (!strncmp(tt_sent(i)->buf, prefix, strlen(prefix)))
			return i;
	}
}

static const char *hdr(unsigned i, const char *name)
{
	static char buf[8][1024];
	static unsigned k;

	k = (k + 1) % 8;
	ck_assert_msg(tt_header(i, name, buf[k], sizeof(buf[k])), "no %s in %s",
		      name, tt_sent(i)->buf);
	return buf[k];
}

static const char *body(unsigned i)
{
	const char *b = strstr(tt_sent(i)->buf, "\r\n\r\n");

	ck_assert_ptr_nonnull(b);
	return b + 4;
}

static unsigned dst_port(unsigned i)
{
	const struct sockaddr_in *sin =
	    (const struct sockaddr_in *)&tt_sent(i)->dst.addr.sa;

	return ntohs(sin->sin_port);
}

static void alice_invite(const char *cid, const char *sdp)
{
	snprintf(
	    text, sizeof(text),
	    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9%s\r\n"
	    "Max-Forwards: 70\r\n"
	    "Route: <sip:127.0.0.1:5060;lr>\r\n"
	    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
	    "To: Bob <sip:bob@biloxi.example.com>\r\n"
	    "Call-ID: %s\r\nCSeq: 1 INVITE\r\n"
	    "Contact: <sip:alice@client.atlanta.example.com>\r\n"
	    "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
	    cid, cid, strlen(sdp), sdp);
	tt_inject(0, text, SS_SIP_UDP, 5555);
}

/* A response of Bob's (through no proxy) to our INVITE sent as msg i. */
static void bob_answer(unsigned i, unsigned code, const char *sdp,
		       unsigned loop)
{
	snprintf(text, sizeof(text),
		 "SIP/2.0 %u Whatever\r\nVia: %s\r\nFrom: %s\r\n"
		 "To: %s;tag=314159\r\nCall-ID: %s\r\nCSeq: %s\r\n"
		 "Contact: <sip:bob@127.0.0.1:5090>\r\n%sContent-Length: %zu"
		 "\r\n\r\n%s",
		 code, hdr(i, "Via"), hdr(i, "From"), hdr(i, "To"),
		 hdr(i, "Call-ID"), hdr(i, "CSeq"),
		 sdp ? "Content-Type: application/sdp\r\n" : "",
		 sdp ? strlen(sdp) : 0, sdp ? sdp : "");
	tt_inject(loop, text, SS_SIP_UDP, 5080);
}

static bool no_calls(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < b2b_g.nloops; i++)
		if (b2b_g.loops[i].count)
			return false;
	return __atomic_load_n(&b2b_g.active, __ATOMIC_RELAXED) == 0;
}

static bool state_is(void *arg)
{
	b2b_call_t *c = b2b_g.loops[0].all;

	return c && c->state == *(b2b_state_t *)arg;
}

START_TEST(flow_3_5)
{
	b2b_state_t confirmed = B2B_CONFIRMED;
	unsigned inv, ok, ack, bye, n;
	const char *out_cid, *out_from;
	char in_to[512];

	alice_invite("alice-call-1", ALICE_SDP);
	inv = wait_msg("INVITE ", 0);
	/* F2: a new dialog to the next hop, the SDP the relay's. */
	ck_assert_uint_eq(dst_port(inv), 5080);
	ck_assert_str_eq(hdr(inv, "Route"), "<sip:127.0.0.1:5080;lr>");
	ck_assert_str_eq(hdr(inv, "Max-Forwards"), "69");
	ck_assert_str_eq(hdr(inv, "To"), "Bob <sip:bob@biloxi.example.com>");
	ck_assert_str_eq(hdr(inv, "CSeq"), "1 INVITE");
	ck_assert_ptr_null(strstr(tt_sent(inv)->buf, "alice-call-1"));
	ck_assert_ptr_null(strstr(tt_sent(inv)->buf, "192.0.2.101"));
	ck_assert_ptr_null(strstr(tt_sent(inv)->buf, "client.atlanta"));
	ck_assert_ptr_null(strstr(tt_sent(inv)->buf, "9fxced76sl"));
	ck_assert_ptr_nonnull(strstr(hdr(inv, "Contact"), "b2bua@127.0.0.1"));
	ck_assert_ptr_nonnull(strstr(body(inv), "c=IN IP4 192.0.2.128\r\n"));
	ck_assert_ptr_nonnull(strstr(body(inv), "m=audio 40002 RTP/AVP 0\r\n"));
	ck_assert_uint_eq(fr_peer_port(0, SS_RTP_SIDE_A), 49172);
	out_cid = strdup(hdr(inv, "Call-ID"));
	out_from = strdup(hdr(inv, "From"));

	bob_answer(inv, 180, NULL, 1);
	n = wait_msg("SIP/2.0 180", inv);
	ck_assert_ptr_nonnull(strstr(hdr(n, "Contact"), "b2bua@"));
	snprintf(in_to, sizeof(in_to), "%s", hdr(n, "To"));
	ck_assert_ptr_null(strstr(in_to, "314159"));
	ck_assert_int_eq(in_to[strlen(in_to) - 1], 'a');

	/* F9/F10 on another loop: F11 with the relay's SDP, F13 our ACK. */
	bob_answer(inv, 200, BOB_SDP, 1);
	ok = wait_msg("SIP/2.0 200", n);
	ack = wait_msg("ACK sip:bob@127.0.0.1:5090", inv);
	ck_assert_str_eq(hdr(ack, "CSeq"), "1 ACK");
	ck_assert_str_eq(hdr(ack, "Call-ID"), out_cid);
	ck_assert_uint_eq(dst_port(ack), 5090);
	ck_assert_str_eq(hdr(ok, "Call-ID"), "alice-call-1");
	ck_assert_str_eq(hdr(ok, "To"), in_to);
	ck_assert_ptr_null(strstr(tt_sent(ok)->buf, "192.0.2.201"));
	ck_assert_ptr_null(strstr(tt_sent(ok)->buf, "5090"));
	ck_assert_ptr_nonnull(strstr(body(ok), "c=IN IP4 192.0.2.128\r\n"));
	ck_assert_ptr_nonnull(strstr(body(ok), "m=audio 40000 RTP/AVP 0\r\n"));
	ck_assert_uint_eq(fr_peer_port(0, SS_RTP_SIDE_B), 3456);

	/* No ACK yet: the 2xx is sent again (T1 = 100 ms here). */
	wait_msg("SIP/2.0 200", ok + 1);

	/* F12 */
	snprintf(
	    text, sizeof(text),
	    "ACK sip:b2bua@127.0.0.1:5060 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bhh\r\n"
	    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
	    "To: %s\r\nCall-ID: alice-call-1\r\nCSeq: 1 ACK\r\nMax-Forwards: "
	    "70\r\n"
	    "Content-Length: 0\r\n\r\n",
	    in_to);
	tt_inject(0, text, SS_SIP_UDP, 5555);
	ck_assert(tt_wait_on(0, state_is, &confirmed));

	/* Bob hangs up, arriving on the loop that does not own the call. */
	snprintf(text, sizeof(text),
		 "BYE sip:b2bua@127.0.0.1:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bKbye1\r\n"
		 "From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 2 BYE\r\n"
		 "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		 "Bob <sip:bob@biloxi.example.com>;tag=314159", out_from,
		 out_cid);
	n = tt_sent_count();
	tt_inject(1, text, SS_SIP_UDP, 5090);
	bye = wait_msg("BYE ", n);
	ck_assert_str_eq(hdr(bye, "Call-ID"), "alice-call-1");
	ck_assert_str_eq(
	    hdr(bye, "To"),
	    "Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl");
	ck_assert_str_eq(hdr(bye, "From"), in_to);
	ck_assert_uint_eq(dst_port(bye), 5555);
	ok = wait_msg("SIP/2.0 200", n);
	ck_assert_str_eq(hdr(ok, "CSeq"), "2 BYE");
	ck_assert_str_eq(hdr(ok, "Call-ID"), out_cid);

	/* Alice's 200 to our BYE ends the call and frees the relay. */
	snprintf(
	    text, sizeof(text),
	    "SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\n"
	    "Call-ID: alice-call-1\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n",
	    hdr(bye, "Via"), hdr(bye, "From"), hdr(bye, "To"),
	    hdr(bye, "CSeq"));
	tt_inject(0, text, SS_SIP_UDP, 5555);
	ck_assert(tt_wait_on(0, no_calls, NULL));
	ck_assert_uint_eq(fr_live(), 0);
	free((void *)out_cid);
	free((void *)out_from);
}
END_TEST

START_TEST(cancel)
{
	unsigned inv, n;

	alice_invite("c1", ALICE_SDP);
	inv = wait_msg("INVITE ", 0);
	bob_answer(inv, 180, NULL, 0);
	n = wait_msg("SIP/2.0 180", inv);
	snprintf(
	    text, sizeof(text),
	    "CANCEL sip:bob@biloxi.example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9c1\r\n"
	    "Max-Forwards: 70\r\nRoute: <sip:127.0.0.1:5060;lr>\r\n"
	    "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
	    "To: Bob <sip:bob@biloxi.example.com>\r\n"
	    "Call-ID: c1\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n");
	tt_inject(0, text, SS_SIP_UDP, 5555);
	n = wait_msg("SIP/2.0 487", n);
	ck_assert_int_eq(hdr(n, "To")[strlen(hdr(n, "To")) - 1], 'a');
	n = wait_msg("CANCEL sip:bob@biloxi.example.com", inv);
	ck_assert_str_eq(hdr(n, "Call-ID"), hdr(inv, "Call-ID"));
	/* The callee's 487 ends our INVITE; then the call is gone. */
	bob_answer(inv, 487, NULL, 0);
	ck_assert(tt_wait_on(0, no_calls, NULL));
	ck_assert_uint_eq(fr_live(), 0);
}
END_TEST

START_TEST(failure_relayed)
{
	unsigned inv, n;

	alice_invite("f1", ALICE_SDP);
	inv = wait_msg("INVITE ", 0);
	bob_answer(inv, 486, NULL, 1);
	n = wait_msg("SIP/2.0 486", inv);
	ck_assert_str_eq(hdr(n, "Call-ID"), "f1");
	ck_assert_int_eq(hdr(n, "To")[strlen(hdr(n, "To")) - 1], 'a');
	ck_assert_ptr_null(strstr(hdr(n, "To"), "314159"));
	/* The transaction layer ACKs the 486 hop by hop. */
	n = wait_msg("ACK ", inv);
	ck_assert_str_eq(hdr(n, "Call-ID"), hdr(inv, "Call-ID"));
	ck_assert(tt_wait_on(0, no_calls, NULL));
}
END_TEST

START_TEST(bad_sdp_488)
{
	unsigned n;

	alice_invite("b1", "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nt=0 0\r\n"
			   "m=audio 49172 RTP/AVP 0\r\n");
	n = wait_msg("SIP/2.0 488", 0);
	ck_assert_str_eq(hdr(n, "Call-ID"), "b1");
	ck_assert(tt_wait_on(0, no_calls, NULL));
	ck_assert_uint_eq(fr.allocs, 0);
	for (unsigned i = 0; i < tt_sent_count(); i++)
		ck_assert(strncmp(tt_sent(i)->buf, "INVITE", 6) != 0);
}
END_TEST

START_TEST(no_ports_503)
{
	unsigned n;

	fr.fail = -ENOSPC;
	alice_invite("p1", ALICE_SDP);
	n = wait_msg("SIP/2.0 503", 0);
	ck_assert_str_eq(hdr(n, "Retry-After"), "5");
	ck_assert(tt_wait_on(0, no_calls, NULL));
}
END_TEST

START_TEST(not_for_us)
{
	/* A Route naming another host: the b2bua lets it through. */
	snprintf(text, sizeof(text),
		 "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bKn1\r\n"
		 "Route: <sip:proxy.example.com;lr>\r\n"
		 "From: <sip:alice@atlanta.example.com>;tag=1\r\n"
		 "To: <sip:bob@biloxi.example.com>\r\n"
		 "Call-ID: n1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	tt_inject(0, text, SS_SIP_UDP, 5555);
	/* The catch-all answers 404; no call was made. */
	wait_msg("SIP/2.0 404", 0);
	ck_assert_uint_eq(__atomic_load_n(&b2b_g.total, __ATOMIC_RELAXED), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("b2bua");
	TCase *tc = tcase_create("calls");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, flow_3_5);
	tcase_add_test(tc, cancel);
	tcase_add_test(tc, failure_relayed);
	tcase_add_test(tc, bad_sdp_488);
	tcase_add_test(tc, no_ports_503);
	tcase_add_test(tc, not_for_us);
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
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
