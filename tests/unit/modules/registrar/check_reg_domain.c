/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the registrar's served-domain set (reg_domain.c): host name
 * canonicalization, matching, growth, and the server's own addresses from a
 * fake transport service, wildcard listeners included.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "reg_int.h"

START_TEST(test_host_canon)
{
	char out[REG_HOST_MAX + 1];
	char longname[REG_HOST_MAX + 2];

	ck_assert_int_eq(reg_host_canon(SS_STR("Example.COM"), out), 11);
	ck_assert_str_eq(out, "example.com");
	/* a fully qualified name's final dot names the same host */
	ck_assert_int_eq(reg_host_canon(SS_STR("example.com."), out), 11);
	ck_assert_str_eq(out, "example.com");
	/* IPv6 in any spelling, with or without brackets */
	ck_assert_int_gt(reg_host_canon(SS_STR("[2001:DB8:0:0::1]"), out), 0);
	ck_assert_str_eq(out, "[2001:db8::1]");
	ck_assert_int_gt(reg_host_canon(SS_STR("::1"), out), 0);
	ck_assert_str_eq(out, "[::1]");
	ck_assert_int_eq(reg_host_canon(SS_STR("[::1"), out), -EINVAL);
	ck_assert_int_eq(reg_host_canon(SS_STR("1.2.3.4:5060"), out), -EINVAL);
	ck_assert_int_eq(reg_host_canon(SS_STR("bad host"), out), -EINVAL);
	ck_assert_int_eq(reg_host_canon(SS_STR(""), out), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(reg_host_canon(ss_str_c(longname), out), -EINVAL);
	longname[REG_HOST_MAX] = '\0';
	ck_assert_int_eq(reg_host_canon(ss_str_c(longname), out), REG_HOST_MAX);
}
END_TEST

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

/* ---- a transport service with fixed listeners ---- */

static ss_sip_listener_info_t listeners[3];
static unsigned nlisteners;

static const ss_sip_listener_info_t *fake_listener_at(unsigned i)
{
	return i < nlisteners ? &listeners[i] : NULL;
}

static const ss_sip_transport_api_t fake_tp = {
    .version = SS_SIP_TRANSPORT_API_VERSION,
    .listener_at = fake_listener_at,
};

START_TEST(test_domains_local)
{
	reg_domains_t *d = reg_domains_new();

	listeners[0].host = "127.0.0.2";
	listeners[1].host = "[::1]";
	listeners[2].host = "0.0.0.0";
	nlisteners = 3;
	ck_assert_int_eq(reg_domains_add_local(d, &fake_tp), 0);
	ck_assert(reg_domains_has(d, SS_STR("localhost")));
	ck_assert(reg_domains_has(d, SS_STR("LocalHost")));
	ck_assert(reg_domains_has(d, SS_STR("127.0.0.2")));
	ck_assert(reg_domains_has(d, SS_STR("[::1]")));
	/* the wildcard listener stands for the interface addresses, of which
	 * loopback always exists; the wildcard itself is no domain */
	ck_assert(reg_domains_has(d, SS_STR("127.0.0.1")));
	ck_assert(!reg_domains_has(d, SS_STR("0.0.0.0")));
	ck_assert(!reg_domains_has(d, SS_STR("127.0.0.3")));
	reg_domains_free(d);

	/* without a transport service: localhost only */
	d = reg_domains_new();
	ck_assert_int_eq(reg_domains_add_local(d, NULL), 0);
	ck_assert_uint_eq(reg_domains_count(d), 1);
	ck_assert(reg_domains_has(d, SS_STR("localhost")));
	reg_domains_free(d);
}
END_TEST

static Suite *domain_suite(void)
{
	Suite *s = suite_create("reg_domain");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_host_canon);
	tcase_add_test(tc, test_domains_match);
	tcase_add_test(tc, test_domains_grow);
	tcase_add_test(tc, test_domains_local);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(domain_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
