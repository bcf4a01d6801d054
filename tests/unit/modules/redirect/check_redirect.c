/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the redirect module's Contact set and request path with the real
 * parser, a fake location service whose contacts come in any order and a
 * fake transaction layer that records the answer: q ordering, expires, 300
 * versus 302, 404/480, filtering, the AOR key and the served domains.
 */
#include "redir_int.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/sip/parser.h>

/* ---- fake location --------------------------------------------------- */

typedef struct fake_binding {
	const char *aor, *uri;
	uint16_t q;
	uint32_t expires_in;
} fake_binding_t;

static fake_binding_t bindings[16];
static unsigned nbindings, lookups;

static void add_binding(const char *aor, const char *uri, uint16_t q,
			uint32_t exp)
{
	ck_assert_uint_lt(nbindings, 16);
	bindings[nbindings++] = (fake_binding_t){aor, uri, q, exp};
}

/* Lists in insertion order, not by q, to prove the module sorts. */
static int fake_lookup(const char *aor, ss_loc_contact_fn fn, void *arg)
{
	int n = 0;

	lookups++;
	for (unsigned i = 0; i < nbindings; i++) {
		ss_loc_contact_t c = {.aor = aor,
				      .uri = bindings[i].uri,
				      .call_id = "",
				      .path = "",
				      .received = "",
				      .user_agent = "",
				      .instance = "",
				      .q = bindings[i].q,
				      .expires_in = bindings[i].expires_in};

		if (strcmp(bindings[i].aor, aor) != 0)
			continue;
		n++;
		if (fn(arg, &c))
			break;
	}
	return n;
}

static const ss_location_api_t fake_loc = {
    .version = SS_LOCATION_API_VERSION,
    .lookup = fake_lookup,
};

/* ---- fake transaction layer ------------------------------------------ */

static struct {
	unsigned count, code;
	char reason[64];
	char hdrs[REDIR_HDRS_SPACE];
	int result; /* what reply_rx returns */
} replied;

static int fake_reply_rx(ss_sip_rx_t *rx, unsigned code, const char *reason,
			 const ss_sip_resp_opts_t *opts)
{
	(void)rx;
	replied.count++;
	replied.code = code;
	snprintf(replied.reason, sizeof(replied.reason), "%s",
		 reason ? reason : "");
	replied.hdrs[0] = '\0';
	if (opts && opts->extra_hdrs.len) {
		ck_assert_uint_lt(opts->extra_hdrs.len, sizeof(replied.hdrs));
		memcpy(replied.hdrs, opts->extra_hdrs.s, opts->extra_hdrs.len);
		replied.hdrs[opts->extra_hdrs.len] = '\0';
	}
	return replied.result;
}

static const ss_sip_txn_api_t fake_txn = {
    .version = SS_TXN_API_VERSION,
    .reply_rx = fake_reply_rx,
};

/* ---- fixture ----------------------------------------------------------- */

#define BOB "sip:bob@biloxi.example.com"

static redir_conf_t conf;
static ss_sip_msg_t msg;

static void setup(void)
{
	static const char *const names[] = {"biloxi.example.com"};
	unsigned bad = 99;
	int err;

	nbindings = lookups = 0;
	memset(&replied, 0, sizeof(replied));
	memset(&redir_g, 0, sizeof(redir_g));
	redir_g.parser = &ss_sip_parser_api;
	redir_g.txn = &fake_txn;
	redir_g.loc = &fake_loc;
	conf.methods = 1u << SS_SIP_METHOD_INVITE;
	conf.max_contacts = 10;
	conf.multiple_code = 302;
	conf.domains = redir_domains_build(names, 1, &bad, &err);
	ck_assert_ptr_nonnull(conf.domains);
	redir_g.conf = &conf;
	ss_sip_msg_init(&msg);
}

static void teardown(void)
{
	ss_sip_msg_fini(&msg);
	redir_domains_free(conf.domains);
	conf.domains = NULL;
}

/* Runs one request through the subscriber; text uses \n line ends. */
static ss_bus_verdict_t run(const char *text)
{
	static char buf[4096];
	ss_sip_error_t err;
	ss_sip_rx_t rx = {0};
	size_t n = 0;
	ss_bus_verdict_t v;

	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			buf[n++] = '\r';
		buf[n++] = *p;
	}
	buf[n] = '\0';
	ck_assert_int_eq(ss_sip_msg_parse(&msg, buf, n, &err), 0);
	ck_assert_int_eq(ss_sip_msg_check(&msg, &err), 0);
	rx.msg = &msg;
	v = redir_on_request(0, &rx, NULL);
	if (v == SS_BUS_STOP)
		ck_assert_str_eq(rx.handled_by, REDIR_HANDLER);
	else
		ck_assert_ptr_null(rx.handled_by);
	return v;
}

static const char *request(const char *method, const char *ruri,
			   const char *to_tag)
{
	static char text[1024];

	snprintf(text, sizeof(text),
		 "%s %s SIP/2.0\n"
		 "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKbf9f44\n"
		 "Max-Forwards: 70\n"
		 "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n"
		 "To: Bob <sip:bob@biloxi.example.com>%s%s\n"
		 "Call-ID: 2xTb9vxSit55XU7p8@atlanta.example.com\n"
		 "CSeq: 1 %s\n"
		 "Contact: <sip:alice@client.atlanta.example.com>\n"
		 "Content-Length: 0\n\n",
		 method, ruri, to_tag ? ";tag=" : "", to_tag ? to_tag : "",
		 method);
	return text;
}

static const char *invite(const char *ruri)
{
	return request("INVITE", ruri, NULL);
}

/* ---- the Contact set ----------------------------------------------------- */

START_TEST(test_q_order_and_expires)
{
	static redir_set_t set;
	char hdrs[REDIR_HDRS_SPACE];

	add_binding(BOB, "sip:bob@192.0.2.4", 500, 60);
	add_binding(BOB, "sip:bob@192.0.2.1", 1000, 3600);
	add_binding(BOB, "sip:bob@192.0.2.3", 250, 7);
	add_binding(BOB, "sip:bob@192.0.2.2", 1000, 1800);
	add_binding("sip:carol@biloxi.example.com", "sip:carol@192.0.2.9", 1000,
		    5);
	ck_assert_int_eq(redir_collect(&set, &fake_loc, BOB, false, 10), 0);
	ck_assert_uint_eq(set.seen, 4);
	ck_assert_uint_eq(set.n, 4);
	redir_contact_lines(&set, hdrs, sizeof(hdrs));
	/* Equal q keep the service's order (most recent first). */
	ck_assert_str_eq(hdrs,
			 "Contact: <sip:bob@192.0.2.1>;q=1.0;expires=3600\r\n"
			 "Contact: <sip:bob@192.0.2.2>;q=1.0;expires=1800\r\n"
			 "Contact: <sip:bob@192.0.2.4>;q=0.5;expires=60\r\n"
			 "Contact: <sip:bob@192.0.2.3>;q=0.25;expires=7\r\n");
	ck_assert_uint_eq(redir_status(&conf, &set), 302);
	conf.multiple_code = 300;
	ck_assert_uint_eq(redir_status(&conf, &set), 300);
}
END_TEST

START_TEST(test_qvalue_format)
{
	static redir_set_t set;
	char hdrs[REDIR_HDRS_SPACE];

	add_binding(BOB, "sip:a@h", 1, 1);
	add_binding(BOB, "sip:b@h", 0, 1);
	add_binding(BOB, "sip:c@h", 999, 1);
	add_binding(BOB, "sip:d@h", 10, 1);
	ck_assert_int_eq(redir_collect(&set, &fake_loc, BOB, false, 10), 0);
	redir_contact_lines(&set, hdrs, sizeof(hdrs));
	ck_assert_str_eq(hdrs, "Contact: <sip:c@h>;q=0.999;expires=1\r\n"
			       "Contact: <sip:d@h>;q=0.01;expires=1\r\n"
			       "Contact: <sip:a@h>;q=0.001;expires=1\r\n"
			       "Contact: <sip:b@h>;q=0.0;expires=1\r\n");
}
END_TEST

START_TEST(test_max_and_space)
{
	static redir_set_t set;
	char small[80];

	add_binding(BOB, "sip:bob@192.0.2.1", 900, 10);
	add_binding(BOB, "sip:bob@192.0.2.2", 800, 10);
	add_binding(BOB, "sip:bob@192.0.2.3", 700, 10);
	ck_assert_int_eq(redir_collect(&set, &fake_loc, BOB, false, 2), 0);
	ck_assert_uint_eq(set.seen, 3);
	ck_assert_uint_eq(set.n, 2);
	ck_assert(set.truncated);

	ck_assert_int_eq(redir_collect(&set, &fake_loc, BOB, false, 10), 0);
	ck_assert(!set.truncated);
	/* Only whole lines: the first one fits, the second does not. */
	ck_assert_uint_eq(redir_contact_lines(&set, small, sizeof(small)),
			  strlen("Contact: <sip:bob@192.0.2.1>;q=0.9;"
				 "expires=10\r\n"));
	ck_assert_uint_eq(set.n, 1);
	ck_assert(set.truncated);
	ck_assert_uint_eq(redir_status(&conf, &set), 302);
}
END_TEST

START_TEST(test_status_404_480)
{
	static redir_set_t set;

	ck_assert_int_eq(redir_collect(&set, &fake_loc, BOB, false, 10), 0);
	ck_assert_uint_eq(redir_status(&conf, &set), 404);
	add_binding(BOB, "sip:bob@192.0.2.1", 1000, 10);
	add_binding(BOB, "SIPS:bob@192.0.2.2", 500, 10);
	ck_assert_int_eq(redir_collect(&set, &fake_loc, BOB, true, 10), 0);
	ck_assert_uint_eq(set.n, 1);
	ck_assert_uint_eq(set.dropped, 1);
	ck_assert_uint_eq(redir_status(&conf, &set), 302);
	nbindings = 1;
	ck_assert_int_eq(redir_collect(&set, &fake_loc, BOB, true, 10), 0);
	ck_assert_uint_eq(set.seen, 1);
	ck_assert_uint_eq(redir_status(&conf, &set), 480);
}
END_TEST

/* ---- the request path ------------------------------------------------------
 */

START_TEST(test_invite_302)
{
	add_binding(BOB, "sip:bob@chicago.example.com;transport=tcp", 1000,
		    3600);
	ck_assert_int_eq(run(invite("sip:bob@biloxi.example.com")),
			 SS_BUS_STOP);
	ck_assert_uint_eq(replied.count, 1);
	ck_assert_uint_eq(replied.code, 302);
	ck_assert_str_eq(replied.reason, "Moved Temporarily");
	ck_assert_str_eq(replied.hdrs,
			 "Contact: <sip:bob@chicago.example.com;transport=tcp>"
			 ";q=1.0;expires=3600\r\n");
	ck_assert_uint_eq(redir_g.st.requests, 1);
	ck_assert_uint_eq(redir_g.st.moved, 1);
	ck_assert_uint_eq(redir_g.st.contacts, 1);
}
END_TEST

START_TEST(test_invite_300_and_key)
{
	conf.multiple_code = 300;
	add_binding(BOB, "sip:bob@192.0.2.1", 300, 30);
	add_binding(BOB, "sip:bob@192.0.2.2", 700, 40);
	/* Escapes, host case, a trailing dot, the port and sips: all give
	 * the registrar's key. */
	ck_assert_int_eq(run(invite("sip:%62ob@BILOXI.example.com.:5070;"
				    "user=phone")),
			 SS_BUS_STOP);
	ck_assert_uint_eq(replied.code, 300);
	ck_assert_str_eq(replied.reason, "Multiple Choices");
	ck_assert_str_eq(replied.hdrs,
			 "Contact: <sip:bob@192.0.2.2>;q=0.7;expires=40\r\n"
			 "Contact: <sip:bob@192.0.2.1>;q=0.3;expires=30\r\n");
	ck_assert_uint_eq(redir_g.st.multiple, 1);
	ck_assert_uint_eq(redir_g.st.contacts, 2);
}
END_TEST

START_TEST(test_not_found_unavailable)
{
	ck_assert_int_eq(run(invite("sip:nobody@biloxi.example.com")),
			 SS_BUS_STOP);
	ck_assert_uint_eq(replied.code, 404);
	ck_assert_str_eq(replied.hdrs, "");
	/* Only a contact that is the AOR itself: sending the caller back
	 * would loop, so there is nothing to offer now. */
	add_binding(BOB, "sip:bob@biloxi.example.com:5060", 1000, 30);
	ck_assert_int_eq(run(invite(BOB)), SS_BUS_STOP);
	ck_assert_uint_eq(replied.code, 480);
	ck_assert_str_eq(replied.reason, "Temporarily Unavailable");
	/* A sips: request is only sent to sips: contacts. */
	bindings[0].uri = "sip:bob@192.0.2.1";
	ck_assert_int_eq(run(invite("sips:bob@biloxi.example.com")),
			 SS_BUS_STOP);
	ck_assert_uint_eq(replied.code, 480);
	ck_assert_uint_eq(redir_g.st.not_found, 1);
	ck_assert_uint_eq(redir_g.st.unavailable, 2);
}
END_TEST

START_TEST(test_passed_on)
{
	add_binding(BOB, "sip:bob@192.0.2.1", 1000, 30);
	/* Never ACK (the transaction layer's), nor a method not configured,
	 * nor a request inside a dialog, nor another domain. */
	ck_assert_int_eq(run(request("ACK", BOB, "53fHlqlQ2")),
			 SS_BUS_CONTINUE);
	ck_assert_int_eq(run(request("OPTIONS", BOB, NULL)), SS_BUS_CONTINUE);
	ck_assert_int_eq(run(request("INVITE", BOB, "314159")),
			 SS_BUS_CONTINUE);
	ck_assert_int_eq(run(request("BYE", BOB, "314159")), SS_BUS_CONTINUE);
	ck_assert_int_eq(run(invite("sip:bob@chicago.example.com")),
			 SS_BUS_CONTINUE);
	ck_assert_int_eq(run(invite("sip:biloxi.example.com")),
			 SS_BUS_CONTINUE);
	ck_assert_int_eq(run(invite("tel:+15551234")), SS_BUS_CONTINUE);
	ck_assert_uint_eq(replied.count, 0);
	ck_assert_uint_eq(lookups, 0);
	ck_assert_uint_eq(redir_g.st.foreign, 1);
	/* Once configured, OPTIONS is answered too. */
	conf.methods |= 1u << SS_SIP_METHOD_OPTIONS;
	ck_assert_int_eq(run(request("OPTIONS", BOB, NULL)), SS_BUS_STOP);
	ck_assert_uint_eq(replied.code, 302);
	/* localhost is always ours. */
	ck_assert_int_eq(run(invite("sip:bob@LocalHost")), SS_BUS_STOP);
	ck_assert_uint_eq(replied.code, 404);
}
END_TEST

START_TEST(test_send_error_counted)
{
	replied.result = -ENOBUFS;
	ck_assert_int_eq(run(invite(BOB)), SS_BUS_STOP);
	ck_assert_uint_eq(redir_g.st.errors, 1);
}
END_TEST

/* ---- keys and domains ------------------------------------------------------
 */

START_TEST(test_domains)
{
	static const char *const names[] = {"B.example.", "a.example", "[::1]",
					    "b.example"};
	static const char *const bad_names[] = {"ok.example", "bad host"};
	redir_domains_t *d;
	unsigned bad = 99;
	int err;

	redir_g.parser = &ss_sip_parser_api;
	d = redir_domains_build(names, 4, &bad, &err);
	ck_assert_ptr_nonnull(d);
	/* Sorted, duplicates merged, localhost added. */
	ck_assert_uint_eq(redir_domains_count(d), 4);
	ck_assert_str_eq(redir_domains_name(d, 0), "[::1]");
	ck_assert_str_eq(redir_domains_name(d, 1), "a.example");
	ck_assert_str_eq(redir_domains_name(d, 2), "b.example");
	ck_assert_str_eq(redir_domains_name(d, 3), "localhost");
	ck_assert_ptr_null(redir_domains_name(d, 4));
	ck_assert(redir_domains_has(d, SS_STR("A.EXAMPLE")));
	ck_assert(redir_domains_has(d, SS_STR("[0:0::0:1]")));
	ck_assert(redir_domains_has(d, SS_STR("b.example.")));
	ck_assert(!redir_domains_has(d, SS_STR("c.example")));
	ck_assert(!redir_domains_has(d, SS_STR("")));
	redir_domains_free(d);

	ck_assert_ptr_null(redir_domains_build(bad_names, 2, &bad, &err));
	ck_assert_int_eq(err, -EINVAL);
	ck_assert_uint_eq(bad, 1);
}
END_TEST

static Suite *redirect_suite(void)
{
	Suite *s = suite_create("redirect");
	TCase *tc = tcase_create("contact set");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_q_order_and_expires);
	tcase_add_test(tc, test_qvalue_format);
	tcase_add_test(tc, test_max_and_space);
	tcase_add_test(tc, test_status_404_480);
	suite_add_tcase(s, tc);

	tc = tcase_create("request path");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_invite_302);
	tcase_add_test(tc, test_invite_300_and_key);
	tcase_add_test(tc, test_not_found_unavailable);
	tcase_add_test(tc, test_passed_on);
	tcase_add_test(tc, test_send_error_counted);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys and domains");
	tcase_add_test(tc, test_domains);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(redirect_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
