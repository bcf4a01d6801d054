/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loop and spiral detection: the routing hash ignores what changes at
 * every hop and follows what a spiral changes; a request carrying our Via
 * whose hash is that of a pending branch is a loop.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy_test.h"

#define TAIL                                                           \
	"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n" \
	"To: Bob <sip:bob@biloxi.example.com>\n"                       \
	"Call-ID: 3848276298220188511@atlanta.example.com\n"           \
	"CSeq: 2 INVITE\nContent-Length: 0\n\n"

#define OURS  "Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKsS001beefcafe1\n"
#define ALICE "Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK74bf9\n"

static ss_sip_msg_t a, b;
static proxy_loop_ent_t ent;

static void setup(void)
{
	proxy_test_setup();
	ss_sip_msg_init(&a);
	ss_sip_msg_init(&b);
	memset(&ent, 0, sizeof(ent));
}

static void teardown(void)
{
	proxy_loop_del(&ent);
	ss_sip_msg_fini(&a);
	ss_sip_msg_fini(&b);
	proxy_test_teardown();
}

START_TEST(test_hash_ignores_via_and_maxfwd)
{
	proxy_test_parse(&a, "INVITE sip:bob@biloxi.example.com SIP/2.0\n" ALICE
			     "Max-Forwards: 70\n" TAIL);
	proxy_test_parse(
	    &b, "INVITE sip:bob@biloxi.example.com SIP/2.0\n" OURS ALICE
		"Max-Forwards: 69\n" TAIL);
	ck_assert_uint_eq(proxy_route_hash(&a), proxy_route_hash(&b));
}
END_TEST

START_TEST(test_hash_follows_spiral)
{
	uint64_t h;

	proxy_test_parse(
	    &a, "INVITE sip:bob@biloxi.example.com SIP/2.0\n" ALICE TAIL);
	h = proxy_route_hash(&a);
	/* Request-URI retargeted (a spiral through location). */
	proxy_test_parse(&b,
			 "INVITE sip:bob@127.0.0.1:5090 SIP/2.0\n" ALICE TAIL);
	ck_assert_uint_ne(h, proxy_route_hash(&b));
	/* Another Route set. */
	proxy_test_parse(&b, "INVITE sip:bob@biloxi.example.com SIP/2.0\n" ALICE
			     "Route: <sip:p9.example.com;lr>\n" TAIL);
	ck_assert_uint_ne(h, proxy_route_hash(&b));
	/* Another request of the same call. */
	proxy_test_parse(&b,
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n" ALICE
			 "From: Alice <sip:alice@atlanta.example.com>"
			 ";tag=9fxced76sl\n"
			 "To: Bob <sip:bob@biloxi.example.com>\n"
			 "Call-ID: 3848276298220188511@atlanta.example.com\n"
			 "CSeq: 3 INVITE\nContent-Length: 0\n\n");
	ck_assert_uint_ne(h, proxy_route_hash(&b));
	/* Credentials added after a challenge. */
	proxy_test_parse(&b,
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n" ALICE
			 "Proxy-Authorization: Digest username=\"a\"\n" TAIL);
	ck_assert_uint_ne(h, proxy_route_hash(&b));
}
END_TEST

START_TEST(test_loop_detected)
{
	uint64_t h;

	proxy_test_parse(
	    &a, "INVITE sip:bob@biloxi.example.com SIP/2.0\n" ALICE TAIL);
	h = proxy_route_hash(&a);
	ck_assert_uint_eq(proxy_loop_table_count(), 0);
	proxy_loop_add(&ent, h);
	ck_assert_uint_eq(proxy_loop_table_count(), 1);
	/* Back to us directly (our Via on top) or after another hop. */
	proxy_test_parse(
	    &b, "INVITE sip:bob@biloxi.example.com SIP/2.0\n" OURS ALICE
		"Max-Forwards: 69\n" TAIL);
	ck_assert(proxy_loop_detect(&b, proxy_route_hash(&b)));
	proxy_test_parse(
	    &b, "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP 127.0.0.3:5080;branch=z9hG4bKp2\n" OURS ALICE
		    TAIL);
	ck_assert(proxy_loop_detect(&b, proxy_route_hash(&b)));
	proxy_loop_del(&ent);
	ck_assert_uint_eq(proxy_loop_table_count(), 0);
	ck_assert(!proxy_loop_detect(&b, proxy_route_hash(&b)));
}
END_TEST

START_TEST(test_spiral_allowed)
{
	proxy_test_parse(
	    &a, "INVITE sip:bob@biloxi.example.com SIP/2.0\n" ALICE TAIL);
	proxy_loop_add(&ent, proxy_route_hash(&a));
	/* Our Via, but the Request-URI changed: a spiral. */
	proxy_test_parse(
	    &b, "INVITE sip:bob@127.0.0.1:5090 SIP/2.0\n" OURS ALICE TAIL);
	ck_assert(!proxy_loop_detect(&b, proxy_route_hash(&b)));
}
END_TEST

START_TEST(test_without_our_via)
{
	proxy_test_parse(
	    &a, "INVITE sip:bob@biloxi.example.com SIP/2.0\n" ALICE TAIL);
	proxy_loop_add(&ent, proxy_route_hash(&a));
	/* The same request that never passed here (no Via of ours) is a
	 * parallel copy, not a loop. */
	proxy_test_parse(&b, "INVITE sip:bob@biloxi.example.com SIP/2.0\n"
			     "Via: SIP/2.0/UDP 127.0.0.9:5060"
			     ";branch=z9hG4bKsS001beefcafe1\n" ALICE TAIL);
	ck_assert(!proxy_loop_detect(&b, proxy_route_hash(&b)));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("proxy_loop");
	TCase *tc = tcase_create("loop");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hash_ignores_via_and_maxfwd);
	tcase_add_test(tc, test_hash_follows_spiral);
	tcase_add_test(tc, test_loop_detected);
	tcase_add_test(tc, test_spiral_allowed);
	tcase_add_test(tc, test_without_our_via);
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
