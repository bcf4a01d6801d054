/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the registrar's served-domain set (reg_domain.c): matching in
 * the parser's host_key form, growth, and the server's own addresses asked
 * of a fake transport service.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reg_int.h"

START_TEST(test_domains_match)
{
	reg_domains_t *d = reg_domains_new();

	ck_assert_ptr_nonnull(d);
	ck_assert(!reg_domains_has(d, SS_STR("example.com")));
	ck_assert_int_eq(reg_domains_add(d, SS_STR("Example.com")), 0);
	ck_assert_int_eq(reg_domains_add(d, SS_STR("[2001:db8::1]")), 0);
	ck_assert_int_eq(reg_domains_add(d, SS_STR("no spaces")), -EINVAL);
	/* adding twice keeps one entry */
	ck_assert_int_eq(reg_domains_add(d, SS_STR("EXAMPLE.COM")), 0);
	ck_assert_uint_eq(reg_domains_count(d), 2);
	ck_assert_str_eq(reg_domains_name(d, 0), "example.com");
	ck_assert_ptr_null(reg_domains_name(d, 2));

	ck_assert(reg_domains_has(d, SS_STR("EXAMPLE.com")));
	ck_assert(reg_domains_has(d, SS_STR("example.com.")));
	ck_assert(reg_domains_has(d, SS_STR("[2001:DB8:0::1]")));
	ck_assert(!reg_domains_has(d, SS_STR("sub.example.com")));
	ck_assert(!reg_domains_has(d, SS_STR("example.co")));
	ck_assert(!reg_domains_has(d, SS_STR("")));
	ck_assert(!reg_domains_has(NULL, SS_STR("example.com")));
	reg_domains_free(d);
}
END_TEST

/* Growth past the initial table keeps every name reachable. */
START_TEST(test_domains_grow)
{
	reg_domains_t *d = reg_domains_new();
	char name[32];
	int i;

	ck_assert_ptr_nonnull(d);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "d%d.example.org", i);
		ck_assert_int_eq(reg_domains_add(d, ss_str_c(name)), 0);
	}
	ck_assert_uint_eq(reg_domains_count(d), 1000);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "D%d.Example.org", i);
		ck_assert_msg(reg_domains_has(d, ss_str_c(name)), "%s", name);
	}
	ck_assert(!reg_domains_has(d, SS_STR("d1000.example.org")));
	reg_domains_free(d);
}
END_TEST

/* ---- a transport service that knows one address ---- */

static ss_str_t asked;

static bool fake_host_is_local(ss_str_t host, unsigned port)
{
	asked = host;
	return port == 0 && ss_str_eq(host, SS_STR("127.0.0.2"));
}

static const ss_sip_transport_api_t fake_tp = {
    .version = SS_SIP_TRANSPORT_API_VERSION,
    .host_is_local = fake_host_is_local,
};

/* Served: the set, else what the transport says, with any port. */
START_TEST(test_domain_served)
{
	reg_domains_t *d = reg_domains_new();

	ck_assert_int_eq(reg_domains_add(d, SS_STR("example.com")), 0);
	reg_g.tp = &fake_tp;
	ck_assert(reg_domain_served(d, SS_STR("Example.COM")));
	ck_assert_ptr_null(asked.s);
	ck_assert(reg_domain_served(d, SS_STR("127.0.0.2")));
	ck_assert(ss_str_eq(asked, SS_STR("127.0.0.2")));
	ck_assert(!reg_domain_served(d, SS_STR("127.0.0.3")));
	/* without a transport service: the set alone */
	reg_g.tp = NULL;
	ck_assert(!reg_domain_served(d, SS_STR("127.0.0.2")));
	ck_assert(reg_domain_served(d, SS_STR("example.com")));
	reg_domains_free(d);
}
END_TEST

static Suite *domain_suite(void)
{
	Suite *s = suite_create("reg_domain");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_domains_match);
	tcase_add_test(tc, test_domains_grow);
	tcase_add_test(tc, test_domain_served);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(domain_suite());
	int failed;

	reg_g.parser = &ss_sip_parser_api;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
