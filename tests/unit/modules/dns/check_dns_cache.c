/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The answer cache (TTL clamping and expiry on an explicit clock, LRU
 * bound, case-insensitive keys, negative answers) and the blocklist
 * (ordering, expiry, capacity), without loops or network.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "dns_int.h"

static dns_rrset_t *mkset(uint16_t type, int status, uint32_t ttl)
{
	dns_rrset_t *s = calloc(1, sizeof(*s) + sizeof(dns_rr_t));

	ck_assert_ptr_nonnull(s);
	atomic_init(&s->refs, 1);
	s->type = type;
	s->status = status;
	s->ttl = ttl;
	if (!status) {
		s->n = 1;
		s->rr[0].family = AF_INET;
		s->rr[0].ip.v4.s_addr = htonl(0x7f000001);
	}
	return s;
}

static unsigned refs(dns_rrset_t *s)
{
	return atomic_load(&s->refs);
}

START_TEST(get_put_expire)
{
	dns_cache_t c;
	dns_rrset_t *s = mkset(DNS_T_A, 0, 60), *g;

	ck_assert_int_eq(dns_cache_init(&c, 100, 0, 3600), 0);
	ck_assert_ptr_null(dns_cache_get(&c, "a.test", DNS_T_A, 1000));
	dns_cache_put(&c, "A.Test", s, 1000);
	ck_assert_uint_eq(refs(s), 2);
	g = dns_cache_get(&c, "a.TEST", DNS_T_A, 60999);
	ck_assert_ptr_eq(g, s);
	ck_assert_uint_eq(refs(s), 3);
	dns_rrset_unref(&g);
	ck_assert_ptr_null(g);
	/* another type is another key */
	ck_assert_ptr_null(dns_cache_get(&c, "a.test", DNS_T_AAAA, 2000));
	/* gone at exactly put + TTL, and dropped from the table */
	ck_assert_ptr_null(dns_cache_get(&c, "a.test", DNS_T_A, 61000));
	ck_assert_uint_eq(refs(s), 1);
	ck_assert_uint_eq(atomic_load(&c.hits), 1);
	ck_assert_uint_eq(atomic_load(&c.misses), 3);
	dns_rrset_unref(&s);
	dns_cache_destroy(&c);
}
END_TEST

START_TEST(ttl_clamped)
{
	dns_cache_t c;
	dns_rrset_t *zero = mkset(DNS_T_A, 0, 0);
	dns_rrset_t *big = mkset(DNS_T_SRV, 0, 86400);
	dns_rrset_t *g;

	ck_assert_int_eq(dns_cache_init(&c, 100, 0, 3600), 0);
	/* TTL 0 means "do not cache" unless min_ttl says otherwise */
	dns_cache_put(&c, "z.test", zero, 0);
	ck_assert_ptr_null(dns_cache_get(&c, "z.test", DNS_T_A, 0));
	dns_cache_put(&c, "b.test", big, 0);
	g = dns_cache_get(&c, "b.test", DNS_T_SRV, 3599999);
	ck_assert_ptr_eq(g, big);
	dns_rrset_unref(&g);
	ck_assert_ptr_null(dns_cache_get(&c, "b.test", DNS_T_SRV, 3600000));
	dns_cache_set_limits(&c, 100, 10, 20);
	dns_cache_put(&c, "z.test", zero, 0);
	g = dns_cache_get(&c, "z.test", DNS_T_A, 9999);
	ck_assert_ptr_eq(g, zero);
	dns_rrset_unref(&g);
	ck_assert_ptr_null(dns_cache_get(&c, "z.test", DNS_T_A, 10000));
	dns_rrset_unref(&zero);
	dns_rrset_unref(&big);
	dns_cache_destroy(&c);
}
END_TEST

START_TEST(negative_and_replace)
{
	dns_cache_t c;
	dns_rrset_t *neg = mkset(DNS_T_NAPTR, -ENOENT, 30);
	dns_rrset_t *pos = mkset(DNS_T_NAPTR, 0, 30), *g;

	ck_assert_int_eq(dns_cache_init(&c, 100, 0, 3600), 0);
	dns_cache_put(&c, "n.test", neg, 0);
	g = dns_cache_get(&c, "n.test", DNS_T_NAPTR, 1);
	ck_assert_ptr_eq(g, neg);
	ck_assert_int_eq(g->status, -ENOENT);
	dns_rrset_unref(&g);
	/* a newer answer replaces the entry and drops the old set */
	dns_cache_put(&c, "n.test", pos, 1);
	ck_assert_uint_eq(refs(neg), 1);
	g = dns_cache_get(&c, "n.test", DNS_T_NAPTR, 2);
	ck_assert_ptr_eq(g, pos);
	dns_rrset_unref(&g);
	dns_cache_flush(&c);
	ck_assert_uint_eq(refs(pos), 1);
	ck_assert_ptr_null(dns_cache_get(&c, "n.test", DNS_T_NAPTR, 2));
	dns_rrset_unref(&neg);
	dns_rrset_unref(&pos);
	dns_cache_destroy(&c);
}
END_TEST

static void count_cb(void *arg, const char *name, const dns_rrset_t *s,
		     uint64_t expires_ms)
{
	(*(unsigned *)arg)++;
}

START_TEST(bounded_lru)
{
	unsigned max = 2 * DNS_CACHE_STRIPES, i, seen = 0, live = 0;
	dns_rrset_t *s = mkset(DNS_T_A, 0, 60), *g;
	char name[32];
	dns_cache_t c;

	ck_assert_int_eq(dns_cache_init(&c, max, 0, 3600), 0);
	for (i = 0; i < 10 * max; i++) {
		snprintf(name, sizeof(name), "h%u.test", i);
		dns_cache_put(&c, name, s, 0);
	}
	ck_assert_uint_le(dns_cache_foreach(&c, 0, count_cb, &seen), max);
	ck_assert_uint_eq(seen, refs(s) - 1);
	/* the most recent one of each stripe survives */
	g = dns_cache_get(&c, name, DNS_T_A, 0);
	ck_assert_ptr_eq(g, s);
	dns_rrset_unref(&g);
	/* shrinking trims at once; 0 turns the cache off */
	dns_cache_set_limits(&c, DNS_CACHE_STRIPES, 0, 3600);
	ck_assert_uint_le(dns_cache_foreach(&c, 0, count_cb, &live),
			  DNS_CACHE_STRIPES);
	dns_cache_set_limits(&c, 0, 0, 3600);
	dns_cache_put(&c, "off.test", s, 0);
	ck_assert_ptr_null(dns_cache_get(&c, "off.test", DNS_T_A, 0));
	dns_cache_destroy(&c);
	ck_assert_uint_eq(refs(s), 1);
	dns_rrset_unref(&s);
}
END_TEST

static ss_sip_dest_t dest(ss_sip_proto_t proto, const char *ip, unsigned port)
{
	ss_sip_dest_t d;

	memset(&d, 0, sizeof(d));
	d.proto = proto;
	ck_assert(dns_host_numeric(ip, &d.addr));
	if (d.addr.sa.ss_family == AF_INET)
		((struct sockaddr_in *)&d.addr.sa)->sin_port =
		    htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&d.addr.sa)->sin6_port =
		    htons((uint16_t)port);
	return d;
}

START_TEST(blocklist_order_and_expiry)
{
	ss_sip_dest_t d[4] = {
	    dest(SS_SIP_UDP, "192.0.2.1", 5060),
	    dest(SS_SIP_UDP, "192.0.2.2", 5060),
	    dest(SS_SIP_UDP, "[2001:db8::1]", 5060),
	    dest(SS_SIP_TCP, "192.0.2.4", 5060),
	};
	ss_sip_dest_t l[4];
	ss_sip_dest_t other = dest(SS_SIP_UDP, "192.0.2.1", 5061);
	dns_blocklist_t b;
	dns_block_entry_t snap[4];

	ck_assert_int_eq(dns_block_init(&b, 8, 30000), 0);
	dns_block_mark(&b, &d[0], 1000);
	dns_block_mark(&b, &d[2], 1000);
	ck_assert(dns_block_has(&b, &d[0], 1000));
	ck_assert(!dns_block_has(&b, &other, 1000));
	memcpy(l, d, sizeof(d));
	dns_block_order(&b, l, 4, 2000);
	ck_assert(dns_dest_equal(&l[0], &d[1]));
	ck_assert(dns_dest_equal(&l[1], &d[3]));
	ck_assert(dns_dest_equal(&l[2], &d[0]));
	ck_assert(dns_dest_equal(&l[3], &d[2]));
	ck_assert_uint_eq(dns_block_snapshot(&b, snap, 4, 2000), 2);
	/* expired at mark + duration */
	ck_assert(dns_block_has(&b, &d[0], 30999));
	ck_assert(!dns_block_has(&b, &d[0], 31000));
	memcpy(l, d, sizeof(d));
	dns_block_order(&b, l, 4, 31000);
	ck_assert(!memcmp(l, d, sizeof(d)));
	ck_assert_uint_eq(dns_block_snapshot(&b, snap, 4, 31000), 0);
	/* duration 0 turns it off */
	dns_block_set_duration(&b, 0);
	dns_block_mark(&b, &d[1], 40000);
	ck_assert(!dns_block_has(&b, &d[1], 40000));
	dns_block_destroy(&b);
}
END_TEST

START_TEST(blocklist_capacity)
{
	ss_sip_dest_t d[3] = {
	    dest(SS_SIP_UDP, "192.0.2.1", 5060),
	    dest(SS_SIP_UDP, "192.0.2.2", 5060),
	    dest(SS_SIP_UDP, "192.0.2.3", 5060),
	};
	dns_blocklist_t b;

	ck_assert_int_eq(dns_block_init(&b, 2, 10000), 0);
	dns_block_mark(&b, &d[0], 1000);
	dns_block_mark(&b, &d[1], 2000);
	/* full: the entry nearest to expiry gives way */
	dns_block_mark(&b, &d[2], 3000);
	ck_assert(!dns_block_has(&b, &d[0], 3000));
	ck_assert(dns_block_has(&b, &d[1], 3000));
	ck_assert(dns_block_has(&b, &d[2], 3000));
	/* marking again extends */
	dns_block_mark(&b, &d[1], 9000);
	ck_assert(dns_block_has(&b, &d[1], 18000));
	dns_block_flush(&b);
	ck_assert(!dns_block_has(&b, &d[1], 9000));
	dns_block_destroy(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns_cache");
	TCase *tc = tcase_create("cache");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, get_put_expire);
	tcase_add_test(tc, ttl_clamped);
	tcase_add_test(tc, negative_and_replace);
	tcase_add_test(tc, bounded_lru);
	tcase_add_test(tc, blocklist_order_and_expiry);
	tcase_add_test(tc, blocklist_capacity);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
