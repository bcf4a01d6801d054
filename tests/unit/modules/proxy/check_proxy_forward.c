/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Forking groups: contacts sorted by descending q start together when
 * their q is equal (mode q), all at once (parallel) or one by one
 * (sequential).
 */
#include <stdlib.h>

#include "proxy_test.h"

START_TEST(test_q_groups)
{
	static const uint16_t q[] = {1000, 1000, 700, 500, 500, 500, 100};
	unsigned n = sizeof(q) / sizeof(q[0]), from = 0, groups[8], ng = 0;

	while (from < n) {
		unsigned g = proxy_fork_group(q, n, from, PROXY_FORK_Q);

		ck_assert_uint_gt(g, 0);
		groups[ng++] = g;
		from += g;
	}
	ck_assert_uint_eq(ng, 4);
	ck_assert_uint_eq(groups[0], 2);
	ck_assert_uint_eq(groups[1], 1);
	ck_assert_uint_eq(groups[2], 3);
	ck_assert_uint_eq(groups[3], 1);
	ck_assert_uint_eq(proxy_fork_group(q, n, n, PROXY_FORK_Q), 0);
}
END_TEST

START_TEST(test_parallel_and_sequential)
{
	static const uint16_t q[] = {1000, 500, 500};

	ck_assert_uint_eq(proxy_fork_group(q, 3, 0, PROXY_FORK_PARALLEL), 3);
	ck_assert_uint_eq(proxy_fork_group(q, 3, 1, PROXY_FORK_PARALLEL), 2);
	ck_assert_uint_eq(proxy_fork_group(q, 3, 1, PROXY_FORK_SEQUENTIAL), 1);
	ck_assert_uint_eq(proxy_fork_group(q, 3, 1, PROXY_FORK_Q), 2);
	ck_assert_uint_eq(proxy_fork_group(q, 1, 0, PROXY_FORK_Q), 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("proxy_forward");
	TCase *tc = tcase_create("fork");

	tcase_add_test(tc, test_q_groups);
	tcase_add_test(tc, test_parallel_and_sequential);
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
