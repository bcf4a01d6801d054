/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The port-pair pool alone: even alignment of the range, FIFO reuse,
 * exhaustion and concurrent use from several threads.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "rtp_int.h"

START_TEST(range_alignment)
{
	rtp_ports_t p;

	ck_assert_int_eq(rtp_ports_init(&p, 20000, 20009), 0);
	ck_assert_uint_eq(p.base, 20000);
	ck_assert_uint_eq(p.npairs, 5);
	rtp_ports_destroy(&p);
	/* an odd minimum starts at the next even port; an odd last port
	 * without its pair is left out */
	ck_assert_int_eq(rtp_ports_init(&p, 20001, 20006), 0);
	ck_assert_uint_eq(p.base, 20002);
	ck_assert_uint_eq(p.npairs, 2);
	ck_assert_uint_eq(rtp_ports_port(&p, 1), 20004);
	rtp_ports_destroy(&p);
	ck_assert_int_eq(rtp_ports_init(&p, 20001, 20002), -EINVAL);
	ck_assert_int_eq(rtp_ports_init(&p, 20000, 20000), -EINVAL);
	ck_assert_int_eq(rtp_ports_init(&p, 65534, 65535), 0);
	ck_assert_uint_eq(p.npairs, 1);
	rtp_ports_destroy(&p);
}
END_TEST

START_TEST(fifo_reuse_and_exhaustion)
{
	uint32_t a, b, c, d, e;
	rtp_ports_t p;

	ck_assert_int_eq(rtp_ports_init(&p, 30000, 30005), 0);
	ck_assert_int_eq(rtp_ports_get(&p, &a), 0);
	ck_assert_int_eq(rtp_ports_get(&p, &b), 0);
	ck_assert_int_eq(rtp_ports_get(&p, &c), 0);
	ck_assert_uint_eq(a, 0);
	ck_assert_uint_eq(b, 1);
	ck_assert_uint_eq(c, 2);
	ck_assert_int_eq(rtp_ports_get(&p, &d), -ENOSPC);
	ck_assert_uint_eq(rtp_ports_free(&p), 0);
	/* the pair freed first comes back first */
	rtp_ports_put(&p, b);
	rtp_ports_put(&p, a);
	ck_assert_int_eq(rtp_ports_get(&p, &d), 0);
	ck_assert_uint_eq(d, b);
	rtp_ports_put(&p, c);
	ck_assert_int_eq(rtp_ports_get(&p, &e), 0);
	ck_assert_uint_eq(e, a);
	ck_assert_int_eq(rtp_ports_get(&p, &e), 0);
	ck_assert_uint_eq(e, c);
	rtp_ports_put(&p, a);
	rtp_ports_put(&p, b);
	rtp_ports_put(&p, c);
	ck_assert_uint_eq(rtp_ports_free(&p), 3);
	rtp_ports_destroy(&p);
}
END_TEST

#define THREADS 4
#define ROUNDS	20000

static rtp_ports_t shared;
static uint8_t owner[64];

static void *churn(void *arg)
{
	uint8_t me = (uint8_t)(uintptr_t)arg;
	uint32_t got[8];
	unsigned r, i, n;

	for (r = 0; r < ROUNDS; r++) {
		for (n = 0; n < 8 && rtp_ports_get(&shared, &got[n]) == 0; n++)
			__atomic_store_n(&owner[got[n]], me, __ATOMIC_RELAXED);
		for (i = 0; i < n; i++) {
			/* nobody else was handed the pair meanwhile */
			if (__atomic_load_n(&owner[got[i]], __ATOMIC_RELAXED) !=
			    me)
				return (void *)1;
			__atomic_store_n(&owner[got[i]], 0, __ATOMIC_RELAXED);
			rtp_ports_put(&shared, got[i]);
		}
	}
	return NULL;
}

START_TEST(concurrent_get_put)
{
	pthread_t t[THREADS];
	void *res;
	unsigned i;

	ck_assert_int_eq(rtp_ports_init(&shared, 40000, 40000 + 2 * 24 - 1), 0);
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, churn,
						(void *)(uintptr_t)(i + 1)),
				 0);
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], &res), 0);
		ck_assert_ptr_null(res);
	}
	ck_assert_uint_eq(rtp_ports_free(&shared), 24);
	rtp_ports_destroy(&shared);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rtp_ports");
	TCase *tc = tcase_create("pool");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, range_alignment);
	tcase_add_test(tc, fifo_reuse_and_exhaustion);
	tcase_add_test(tc, concurrent_get_put);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
