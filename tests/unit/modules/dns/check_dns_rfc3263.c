/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pure parts of the RFC 3263 walk: RFC 2782 SRV ordering driven by a
 * scripted random source (priority first, zero weights first within one,
 * running-sum selection) and recognition of numeric hosts.
 */
#define _GNU_SOURCE
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "dns_int.h"

typedef struct script {
	const uint32_t *v;
	unsigned n, i;
} script_t;

static uint32_t scripted(void *arg)
{
	script_t *s = arg;

	ck_assert_uint_lt(s->i, s->n);
	return s->v[s->i++];
}

/* prio/weight pairs; names "r0", "r1"... */
static dns_rrset_t *mksrv(const unsigned (*pw)[2], unsigned n)
{
	dns_rrset_t *s = calloc(1, sizeof(*s) + n * sizeof(dns_rr_t));
	unsigned i;

	ck_assert_ptr_nonnull(s);
	atomic_init(&s->refs, 1);
	s->type = DNS_T_SRV;
	s->n = n;
	for (i = 0; i < n; i++) {
		s->rr[i].prio = (uint16_t)pw[i][0];
		s->rr[i].weight = (uint16_t)pw[i][1];
	}
	return s;
}

static void check_order(const uint32_t *draws, unsigned ndraws,
			const unsigned *want)
{
	static const unsigned pw[][2] = {{20, 0}, {10, 30}, {10, 0}, {10, 70}};
	dns_rrset_t *s = mksrv(pw, 4);
	script_t sc = {.v = draws, .n = ndraws};
	unsigned order[4], i;

	dns_srv_order(s, order, scripted, &sc);
	for (i = 0; i < 4; i++)
		ck_assert_msg(order[i] == want[i], "position %u: r%u, want r%u",
			      i, order[i], want[i]);
	/* one draw per choice among two or more in a priority */
	ck_assert_uint_eq(sc.i, ndraws);
	dns_rrset_unref(&s);
}

/*
 * Priority 10 holds r2 (weight 0), r1 (30), r3 (70) in that order, zero
 * weights first; each draw gives r = 1 + draw % sum and takes the first
 * record whose running sum reaches r. Priority 20 (r0) always comes last.
 */
START_TEST(srv_running_sum)
{
	static const uint32_t d1[] = {0, 31};
	static const unsigned w1[] = {1, 3, 2, 0};
	static const uint32_t d2[] = {50, 29};
	static const unsigned w2[] = {3, 1, 2, 0};
	/* the boundary: r = 30 is still r1, r = 31 is r3 */
	static const uint32_t d3[] = {29, 0};
	static const uint32_t d4[] = {30, 0};
	/* draws are reduced modulo the remaining sum (100, then 70) */
	static const uint32_t d5[] = {100 + 29, 70 + 69};
	static const unsigned w5[] = {1, 3, 2, 0};

	check_order(d1, 2, w1);
	check_order(d2, 2, w2);
	check_order(d3, 2, w1);
	check_order(d4, 2, w2);
	check_order(d5, 2, w5);
}
END_TEST

START_TEST(srv_zero_weights_keep_order)
{
	static const unsigned pw[][2] = {{5, 0}, {5, 0}, {1, 0}, {5, 0}};
	dns_rrset_t *s = mksrv(pw, 4);
	script_t sc = {.v = NULL, .n = 0};
	unsigned order[4];

	dns_srv_order(s, order, scripted, &sc);
	ck_assert_uint_eq(order[0], 2);
	ck_assert_uint_eq(order[1], 0);
	ck_assert_uint_eq(order[2], 1);
	ck_assert_uint_eq(order[3], 3);
	dns_rrset_unref(&s);
}
END_TEST

START_TEST(srv_priorities_only)
{
	static const unsigned pw[][2] = {{3, 5}, {1, 5}, {2, 5}, {0, 0}};
	dns_rrset_t *s = mksrv(pw, 4);
	script_t sc = {.v = NULL, .n = 0};
	unsigned order[4];

	/* one record per priority: no draw at all */
	dns_srv_order(s, order, scripted, &sc);
	ck_assert_uint_eq(order[0], 3);
	ck_assert_uint_eq(order[1], 1);
	ck_assert_uint_eq(order[2], 2);
	ck_assert_uint_eq(order[3], 0);
	dns_rrset_unref(&s);
}
END_TEST

static uint32_t lcg(void *arg)
{
	uint32_t *x = arg;

	*x = *x * 1664525u + 1013904223u;
	return *x >> 8;
}

/* With a uniform source, weights 1:3 put the heavier first about three
 * times in four; 4000 draws keep the margin far from chance. */
START_TEST(srv_weights_proportional)
{
	static const unsigned pw[][2] = {{0, 1}, {0, 3}};
	dns_rrset_t *s = mksrv(pw, 2);
	uint32_t x = 12345;
	unsigned order[2], i, heavy = 0;

	for (i = 0; i < 4000; i++) {
		dns_srv_order(s, order, lcg, &x);
		heavy += order[0] == 1;
	}
	ck_assert_uint_gt(heavy, 2700);
	ck_assert_uint_lt(heavy, 3300);
	dns_rrset_unref(&s);
}
END_TEST

START_TEST(numeric_hosts)
{
	ss_sip_addr_t a;

	ck_assert(dns_host_numeric("192.0.2.1", &a));
	ck_assert_int_eq(a.sa.ss_family, AF_INET);
	ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in));
	ck_assert(dns_host_numeric("[2001:db8::1]", &a));
	ck_assert_int_eq(a.sa.ss_family, AF_INET6);
	ck_assert_uint_eq(a.len, sizeof(struct sockaddr_in6));
	ck_assert(dns_host_numeric("::1", &a));
	ck_assert(!dns_host_numeric("example.com", &a));
	ck_assert(!dns_host_numeric("192.0.2", &a));
	ck_assert(!dns_host_numeric("[192.0.2.1", &a));
	ck_assert(!dns_host_numeric("1.2.3.4.example.com", &a));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns_rfc3263");
	TCase *tc = tcase_create("order");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, srv_running_sum);
	tcase_add_test(tc, srv_priorities_only);
	tcase_add_test(tc, srv_zero_weights_keep_order);
	tcase_add_test(tc, srv_weights_proportional);
	tcase_add_test(tc, numeric_hosts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
