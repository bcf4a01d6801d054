/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Record sets from DNS answers built byte by byte: A, SRV and NAPTR (only
 * SIP services with the S flag kept), TTLs read from the wire, negative
 * answers with and without SOA, truncated input.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "dns_int.h"

typedef struct wire {
	unsigned char b[1024];
	int len;
} wire_t;

static void put8(wire_t *w, unsigned v)
{
	ck_assert_int_lt(w->len, (int)sizeof(w->b));
	w->b[w->len++] = (unsigned char)v;
}

static void put16(wire_t *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v & 0xff);
}

static void put32(wire_t *w, uint32_t v)
{
	put16(w, v >> 16);
	put16(w, v & 0xffff);
}

static void put_name(wire_t *w, const char *name)
{
	const char *dot;

	while (*name) {
		size_t l;

		dot = strchr(name, '.');
		l = dot ? (size_t)(dot - name) : strlen(name);
		put8(w, (unsigned)l);
		while (l--)
			put8(w, (unsigned char)*name++);
		if (*name == '.')
			name++;
	}
	put8(w, 0);
}

static void put_str(wire_t *w, const char *s)
{
	put8(w, (unsigned)strlen(s));
	while (*s)
		put8(w, (unsigned char)*s++);
}

/* Header and question; counts are patched by the record writers. */
static void begin(wire_t *w, unsigned rcode, const char *qname, unsigned type)
{
	w->len = 0;
	put16(w, 0x1234);
	put16(w, 0x8580 | rcode);
	put16(w, 1);
	put16(w, 0);
	put16(w, 0);
	put16(w, 0);
	put_name(w, qname);
	put16(w, type);
	put16(w, 1);
}

/* Starts a record (name = the question's, by pointer); returns the offset
 * of its rdlength to patch with end_rr. section: 6 answer, 8 authority. */
static int begin_rr(wire_t *w, int section, unsigned type, uint32_t ttl)
{
	int at;

	w->b[section + 1]++;
	put16(w, 0xc00c);
	put16(w, type);
	put16(w, 1);
	put32(w, ttl);
	at = w->len;
	put16(w, 0);
	return at;
}

static void end_rr(wire_t *w, int at)
{
	unsigned l = (unsigned)(w->len - at - 2);

	w->b[at] = (unsigned char)(l >> 8);
	w->b[at + 1] = (unsigned char)l;
}

static void srv(wire_t *w, uint32_t ttl, unsigned prio, unsigned weight,
		unsigned port, const char *target)
{
	int at = begin_rr(w, 6, DNS_T_SRV, ttl);

	put16(w, prio);
	put16(w, weight);
	put16(w, port);
	put_name(w, target);
	end_rr(w, at);
}

static void naptr(wire_t *w, uint32_t ttl, unsigned order, unsigned pref,
		  const char *flags, const char *service, const char *regexp,
		  const char *repl)
{
	int at = begin_rr(w, 6, DNS_T_NAPTR, ttl);

	put16(w, order);
	put16(w, pref);
	put_str(w, flags);
	put_str(w, service);
	put_str(w, regexp);
	put_name(w, repl);
	end_rr(w, at);
}

static void soa(wire_t *w, uint32_t ttl, uint32_t minimum)
{
	int at = begin_rr(w, 8, 6, ttl);

	put_name(w, "ns.test");
	put_name(w, "admin.test");
	put32(w, 1);
	put32(w, 3600);
	put32(w, 600);
	put32(w, 86400);
	put32(w, minimum);
	end_rr(w, at);
}

START_TEST(addresses)
{
	wire_t w;
	dns_rrset_t *s;
	int at;

	begin(&w, 0, "a.test", DNS_T_A);
	at = begin_rr(&w, 6, DNS_T_A, 300);
	put32(&w, 0x7f000002);
	end_rr(&w, at);
	at = begin_rr(&w, 6, DNS_T_A, 120);
	put32(&w, 0x7f000003);
	end_rr(&w, at);
	ck_assert_int_eq(
	    dns_rrset_from_answer(DNS_T_A, ARES_SUCCESS, w.b, w.len, 30, &s),
	    0);
	ck_assert_int_eq(s->status, 0);
	ck_assert_uint_eq(s->n, 2);
	ck_assert_uint_eq(s->ttl, 120);
	ck_assert_uint_eq(s->rr[0].family, AF_INET);
	ck_assert_uint_eq(ntohl(s->rr[1].ip.v4.s_addr), 0x7f000003);
	dns_rrset_unref(&s);

	begin(&w, 0, "v6.test", DNS_T_AAAA);
	at = begin_rr(&w, 6, DNS_T_AAAA, 45);
	put32(&w, 0);
	put32(&w, 0);
	put32(&w, 0);
	put32(&w, 1);
	end_rr(&w, at);
	ck_assert_int_eq(
	    dns_rrset_from_answer(DNS_T_AAAA, ARES_SUCCESS, w.b, w.len, 30, &s),
	    0);
	ck_assert_uint_eq(s->n, 1);
	ck_assert_uint_eq(s->ttl, 45);
	ck_assert(IN6_IS_ADDR_LOOPBACK(&s->rr[0].ip.v6));
	dns_rrset_unref(&s);
}
END_TEST

START_TEST(srv_records)
{
	wire_t w;
	dns_rrset_t *s;

	begin(&w, 0, "_sip._udp.x.test", DNS_T_SRV);
	srv(&w, 600, 10, 60, 5060, "a.x.test");
	srv(&w, 90, 20, 0, 5070, "b.x.test");
	ck_assert_int_eq(
	    dns_rrset_from_answer(DNS_T_SRV, ARES_SUCCESS, w.b, w.len, 30, &s),
	    0);
	ck_assert_uint_eq(s->n, 2);
	ck_assert_uint_eq(s->ttl, 90);
	ck_assert_uint_eq(s->rr[0].prio, 10);
	ck_assert_uint_eq(s->rr[0].weight, 60);
	ck_assert_uint_eq(s->rr[0].port, 5060);
	ck_assert_str_eq(s->rr[0].name, "a.x.test");
	ck_assert_str_eq(s->rr[1].name, "b.x.test");
	dns_rrset_unref(&s);
}
END_TEST

START_TEST(naptr_keeps_sip_s_records)
{
	wire_t w;
	dns_rrset_t *s;

	begin(&w, 0, "x.test", DNS_T_NAPTR);
	naptr(&w, 500, 10, 20, "S", "SIP+D2U", "", "_sip._udp.x.test");
	naptr(&w, 400, 5, 10, "u", "E2U+sip", "!^.*$!sip:a@b!", "");
	naptr(&w, 400, 6, 10, "S", "SIP+D2X", "", "_sip._sctp.x.test");
	naptr(&w, 400, 7, 10, "A", "SIP+D2T", "", "x.test");
	naptr(&w, 300, 10, 10, "s", "sips+d2t", "", "_sips._tcp.x.test");
	naptr(&w, 300, 10, 30, "S", "SIP+D2T", "", "_sip._tcp.x.test");
	ck_assert_int_eq(dns_rrset_from_answer(DNS_T_NAPTR, ARES_SUCCESS, w.b,
					       w.len, 30, &s),
			 0);
	ck_assert_uint_eq(s->n, 3);
	ck_assert_uint_eq(s->ttl, 300);
	ck_assert_uint_eq(s->rr[0].proto, SS_SIP_UDP);
	ck_assert_uint_eq(s->rr[0].prio, 10);
	ck_assert_uint_eq(s->rr[0].weight, 20);
	ck_assert_str_eq(s->rr[0].name, "_sip._udp.x.test");
	ck_assert_uint_eq(s->rr[1].proto, SS_SIP_TLS);
	ck_assert_uint_eq(s->rr[2].proto, SS_SIP_TCP);
	ck_assert_str_eq(s->rr[2].name, "_sip._tcp.x.test");
	dns_rrset_unref(&s);

	/* records, none usable: a positive empty set */
	begin(&w, 0, "x.test", DNS_T_NAPTR);
	naptr(&w, 400, 5, 10, "u", "E2U+sip", "!^.*$!sip:a@b!", "");
	ck_assert_int_eq(dns_rrset_from_answer(DNS_T_NAPTR, ARES_SUCCESS, w.b,
					       w.len, 30, &s),
			 0);
	ck_assert_int_eq(s->status, 0);
	ck_assert_uint_eq(s->n, 0);
	dns_rrset_unref(&s);
}
END_TEST

START_TEST(negative_answers)
{
	uint32_t ttl;
	wire_t w;
	dns_rrset_t *s;

	/* RFC 2308: min(SOA TTL, SOA MINIMUM) */
	begin(&w, 3, "nx.test", DNS_T_A);
	soa(&w, 300, 120);
	ck_assert(dns_wire_ttl(w.b, w.len, &ttl));
	ck_assert_uint_eq(ttl, 120);
	ck_assert_int_eq(
	    dns_rrset_from_answer(DNS_T_A, ARES_ENOTFOUND, w.b, w.len, 30, &s),
	    0);
	ck_assert_int_eq(s->status, -ENOENT);
	ck_assert_uint_eq(s->n, 0);
	ck_assert_uint_eq(s->ttl, 120);
	dns_rrset_unref(&s);

	begin(&w, 0, "nd.test", DNS_T_SRV);
	soa(&w, 60, 3600);
	ck_assert_int_eq(
	    dns_rrset_from_answer(DNS_T_SRV, ARES_ENODATA, w.b, w.len, 30, &s),
	    0);
	ck_assert_int_eq(s->status, -ENODATA);
	ck_assert_uint_eq(s->ttl, 60);
	dns_rrset_unref(&s);

	/* no SOA: the configured negative TTL */
	begin(&w, 3, "nx.test", DNS_T_A);
	ck_assert(!dns_wire_ttl(w.b, w.len, &ttl));
	ck_assert_int_eq(
	    dns_rrset_from_answer(DNS_T_A, ARES_ENOTFOUND, w.b, w.len, 42, &s),
	    0);
	ck_assert_uint_eq(s->ttl, 42);
	dns_rrset_unref(&s);
}
END_TEST

START_TEST(errors_not_cacheable)
{
	dns_rrset_t *s = (dns_rrset_t *)1;
	uint32_t ttl;
	wire_t w;

	ck_assert_int_eq(
	    dns_rrset_from_answer(DNS_T_A, ARES_ETIMEOUT, NULL, 0, 30, &s),
	    -ETIMEDOUT);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(
	    dns_rrset_from_answer(DNS_T_A, ARES_ECONNREFUSED, NULL, 0, 30, &s),
	    -ETIMEDOUT);
	ck_assert_int_eq(
	    dns_rrset_from_answer(DNS_T_A, ARES_ESERVFAIL, NULL, 0, 30, &s),
	    -EIO);
	ck_assert_int_eq(
	    dns_rrset_from_answer(DNS_T_A, ARES_EDESTRUCTION, NULL, 0, 30, &s),
	    -ECANCELED);
	/* a record cut short is malformed, not an empty answer */
	begin(&w, 0, "_sip._udp.x.test", DNS_T_SRV);
	srv(&w, 600, 10, 60, 5060, "a.x.test");
	ck_assert_int_eq(dns_rrset_from_answer(DNS_T_SRV, ARES_SUCCESS, w.b,
					       w.len - 4, 30, &s),
			 -EIO);
	ck_assert(!dns_wire_ttl(w.b, 11, &ttl));
	ck_assert(!dns_wire_ttl(w.b, w.len - 4, &ttl));
	ck_assert(dns_wire_ttl(w.b, w.len, &ttl));
	ck_assert_uint_eq(ttl, 600);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns_rrset");
	TCase *tc = tcase_create("rrset");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, addresses);
	tcase_add_test(tc, srv_records);
	tcase_add_test(tc, naptr_keeps_sip_s_records);
	tcase_add_test(tc, negative_answers);
	tcase_add_test(tc, errors_not_cacheable);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
