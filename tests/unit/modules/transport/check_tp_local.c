/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of what the server is reachable as (tp_local.c): listener
 * addresses, the interface addresses behind a wildcard listener, localhost
 * and the listener ports.
 */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "transport_int.h"

static ss_sip_listener_info_t listeners[3];

static void set_listener(ss_sip_listener_info_t *l, int family, const char *ip,
			 unsigned port)
{
	memset(l, 0, sizeof(*l));
	l->port = port;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&l->addr.sa;

		a->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, ip, &a->sin_addr), 1);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&l->addr.sa;

		a->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
	}
}

START_TEST(test_locals)
{
	const ss_sip_listener_info_t *ls[] = {&listeners[0], &listeners[1],
					      &listeners[2]};
	tp_locals_t *t;

	set_listener(&listeners[0], AF_INET, "127.0.0.2", 5060);
	set_listener(&listeners[1], AF_INET6, "::1", 5070);
	set_listener(&listeners[2], AF_INET, "0.0.0.0", 5080);
	t = tp_locals_build(ls, 3);
	ck_assert_ptr_nonnull(t);
	ck_assert(tp_locals_has(t, SS_STR("localhost"), 0));
	ck_assert(tp_locals_has(t, SS_STR("LocalHost"), 0));
	ck_assert(tp_locals_has(t, SS_STR("localhost."), 0));
	ck_assert(tp_locals_has(t, SS_STR("127.0.0.2"), 0));
	ck_assert(tp_locals_has(t, SS_STR("127.0.0.2."), 0));
	ck_assert(tp_locals_has(t, SS_STR("[::1]"), 0));
	ck_assert(tp_locals_has(t, SS_STR("[0:0::0:1]"), 0));
	ck_assert(tp_locals_has(t, SS_STR("::1"), 0));
	/* the wildcard listener stands for the interface addresses, of which
	 * loopback always exists; the wildcard itself is no domain */
	ck_assert(tp_locals_has(t, SS_STR("127.0.0.1"), 0));
	ck_assert(!tp_locals_has(t, SS_STR("0.0.0.0"), 0));
	ck_assert(!tp_locals_has(t, SS_STR("127.0.0.3"), 0));
	ck_assert(!tp_locals_has(t, SS_STR("[::2]"), 0));
	ck_assert(!tp_locals_has(t, SS_STR("[::1"), 0));
	ck_assert(!tp_locals_has(t, SS_STR("127.0.0.2:5060"), 0));
	ck_assert(!tp_locals_has(t, SS_STR("example.com"), 0));
	ck_assert(!tp_locals_has(t, SS_STR("localhost.example.com"), 0));
	ck_assert(!tp_locals_has(t, SS_STR(""), 0));
	/* a port must be one of the listeners' */
	ck_assert(tp_locals_has(t, SS_STR("127.0.0.2"), 5060));
	ck_assert(tp_locals_has(t, SS_STR("127.0.0.2"), 5080));
	ck_assert(!tp_locals_has(t, SS_STR("127.0.0.2"), 5090));
	ck_assert(!tp_locals_has(t, SS_STR("localhost"), 5090));
	tp_locals_free(t);
}
END_TEST

/* Without a snapshot (no transport state): localhost only, any port. */
START_TEST(test_no_locals)
{
	tp_locals_t *t = tp_locals_build(NULL, 0);

	ck_assert(tp_locals_has(NULL, SS_STR("localhost"), 0));
	ck_assert(!tp_locals_has(NULL, SS_STR("localhost"), 5060));
	ck_assert(!tp_locals_has(NULL, SS_STR("127.0.0.1"), 0));
	ck_assert_ptr_nonnull(t);
	ck_assert(tp_locals_has(t, SS_STR("localhost"), 0));
	ck_assert(!tp_locals_has(t, SS_STR("127.0.0.1"), 0));
	tp_locals_free(t);
	tp_locals_free(NULL);
}
END_TEST

static Suite *local_suite(void)
{
	Suite *s = suite_create("tp_local");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_locals);
	tcase_add_test(tc, test_no_locals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(local_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
