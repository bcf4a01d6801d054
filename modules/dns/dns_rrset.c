/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Record sets: a DNS answer turned into the compact, immutable, refcounted
 * form the cache stores and the RFC 3263 walk reads. c-ares decodes the
 * records; the TTLs it does not report for SRV and NAPTR come from the wire.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dns_int.h"

const char *dns_type_name(uint16_t type)
{
	switch (type) {
	case DNS_T_A:
		return "A";
	case DNS_T_AAAA:
		return "AAAA";
	case DNS_T_SRV:
		return "SRV";
	case DNS_T_NAPTR:
		return "NAPTR";
	}
	return "?";
}

dns_rrset_t *dns_rrset_ref(dns_rrset_t *set)
{
	atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
	return set;
}

void dns_rrset_unref(dns_rrset_t **set)
{
	dns_rrset_t *s = *set;

	*set = NULL;
	if (s &&
	    atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
		free(s);
}

/* ---- TTLs from the wire ---- */

static uint16_t rd16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Offset just past the (possibly compressed) name at off, or -1. */
static int skip_name(const unsigned char *buf, int len, int off)
{
	while (off < len) {
		unsigned l = buf[off];

		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : -1;
		if (l & 0xc0)
			return -1;
		off += 1 + (int)l;
		if (l == 0)
			return off;
	}
	return -1;
}

/*
 * One pass over the answer and authority sections: the smallest answer TTL
 * (CNAMEs included, they expire too), else the negative TTL of the SOA,
 * which RFC 2308 section 5 bounds by both the record's TTL and MINIMUM.
 */
bool dns_wire_ttl(const unsigned char *abuf, int alen, uint32_t *ttl)
{
	unsigned qd, an, ns, i;
	bool have = false;
	uint32_t best = UINT32_MAX;
	int off = 12;

	if (!abuf || alen < 12)
		return false;
	qd = rd16(abuf + 4);
	an = rd16(abuf + 6);
	ns = rd16(abuf + 8);
	for (i = 0; i < qd; i++) {
		off = skip_name(abuf, alen, off);
		if (off < 0 || off + 4 > alen)
			return false;
		off += 4;
	}
	for (i = 0; i < an + ns; i++) {
		uint16_t type, rdlen;
		uint32_t t;

		off = skip_name(abuf, alen, off);
		if (off < 0 || off + 10 > alen)
			break;
		type = rd16(abuf + off);
		t = rd32(abuf + off + 4);
		rdlen = rd16(abuf + off + 8);
		off += 10;
		if (off + rdlen > alen)
			break;
		if (t > INT32_MAX) /* RFC 2181 8: treat as zero */
			t = 0;
		if (i < an) {
			best = t < best ? t : best;
			have = true;
		} else if (!have && type == 6 && rdlen >= 22) {
			uint32_t min = rd32(abuf + off + rdlen - 4);

			best = t < min ? t : min;
			*ttl = best;
			return true;
		}
		off += rdlen;
	}
	if (have)
		*ttl = best;
	return have;
}

/* ---- building sets ---- */

static dns_rrset_t *set_alloc(uint16_t type, unsigned n, size_t names)
{
	dns_rrset_t *s = calloc(1, sizeof(*s) + n * sizeof(dns_rr_t) + names);

	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	s->type = type;
	return s;
}

static int set_negative(uint16_t type, int status, uint32_t ttl,
			dns_rrset_t **out)
{
	dns_rrset_t *s = set_alloc(type, 0, 0);

	if (!s)
		return -ENOMEM;
	s->status = status;
	s->ttl = ttl;
	*out = s;
	return 0;
}

static int parse_addrs(uint16_t type, const unsigned char *abuf, int alen,
		       dns_rrset_t **out)
{
	struct ares_addrttl a4[DNS_MAX_RRS];
	struct ares_addr6ttl a6[DNS_MAX_RRS];
	int i, n = DNS_MAX_RRS, rc;
	uint32_t ttl = UINT32_MAX;
	dns_rrset_t *s;

	if (type == DNS_T_A)
		rc = ares_parse_a_reply(abuf, alen, NULL, a4, &n);
	else
		rc = ares_parse_aaaa_reply(abuf, alen, NULL, a6, &n);
	if (rc == ARES_ENODATA || (rc == ARES_SUCCESS && n == 0))
		return 1;
	if (rc != ARES_SUCCESS)
		return rc == ARES_ENOMEM ? -ENOMEM : -EIO;
	s = set_alloc(type, (unsigned)n, 0);
	if (!s)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		dns_rr_t *rr = &s->rr[i];
		int t = type == DNS_T_A ? a4[i].ttl : a6[i].ttl;

		if (type == DNS_T_A) {
			rr->family = AF_INET;
			rr->ip.v4 = a4[i].ipaddr;
		} else {
			rr->family = AF_INET6;
			memcpy(&rr->ip.v6, &a6[i].ip6addr, sizeof(rr->ip.v6));
		}
		if (t >= 0 && (uint32_t)t < ttl)
			ttl = (uint32_t)t;
	}
	s->n = (unsigned)n;
	s->ttl = ttl == UINT32_MAX ? 0 : ttl;
	*out = s;
	return 0;
}

static int parse_srv(const unsigned char *abuf, int alen, dns_rrset_t **out)
{
	struct ares_srv_reply *list = NULL, *r;
	unsigned n = 0, i = 0;
	size_t names = 0;
	dns_rrset_t *s;
	char *p;
	int rc = ares_parse_srv_reply(abuf, alen, &list);

	if (rc == ARES_ENODATA)
		return 1;
	if (rc != ARES_SUCCESS)
		return rc == ARES_ENOMEM ? -ENOMEM : -EIO;
	for (r = list; r && n < DNS_MAX_RRS; r = r->next, n++)
		names += strlen(r->host) + 1;
	s = n ? set_alloc(DNS_T_SRV, n, names) : NULL;
	if (!s) {
		ares_free_data(list);
		return n ? -ENOMEM : 1;
	}
	p = (char *)&s->rr[n];
	for (r = list; r && i < n; r = r->next, i++) {
		size_t l = strlen(r->host) + 1;

		s->rr[i].prio = r->priority;
		s->rr[i].weight = r->weight;
		s->rr[i].port = r->port;
		memcpy(p, r->host, l);
		s->rr[i].name = p;
		p += l;
	}
	s->n = n;
	ares_free_data(list);
	*out = s;
	return 0;
}

/* The transport of a NAPTR service field (RFC 3263 4.1), 0 if not SIP. */
static uint8_t naptr_proto(const unsigned char *service)
{
	const char *s = (const char *)service;

	if (!strcasecmp(s, "SIP+D2U"))
		return SS_SIP_UDP;
	if (!strcasecmp(s, "SIP+D2T"))
		return SS_SIP_TCP;
	if (!strcasecmp(s, "SIPS+D2T"))
		return SS_SIP_TLS;
	return 0;
}

/* Only terminal "S" records of known SIP services are kept: RFC 3263 uses
 * NAPTR for nothing else, and dropping the rest here keeps the cache and
 * the walk simple. */
static bool naptr_usable(const struct ares_naptr_reply *r)
{
	return r->flags && !strcasecmp((const char *)r->flags, "s") &&
	       naptr_proto(r->service) && r->replacement && r->replacement[0] &&
	       strcmp(r->replacement, ".") != 0;
}

static int parse_naptr(const unsigned char *abuf, int alen, dns_rrset_t **out)
{
	struct ares_naptr_reply *list = NULL, *r;
	unsigned n = 0, i = 0;
	size_t names = 0;
	dns_rrset_t *s;
	char *p;
	int rc = ares_parse_naptr_reply(abuf, alen, &list);

	if (rc == ARES_ENODATA)
		return 1;
	if (rc != ARES_SUCCESS)
		return rc == ARES_ENOMEM ? -ENOMEM : -EIO;
	for (r = list; r && n < DNS_MAX_RRS; r = r->next)
		if (naptr_usable(r)) {
			names += strlen(r->replacement) + 1;
			n++;
		}
	s = set_alloc(DNS_T_NAPTR, n, names);
	if (!s) {
		ares_free_data(list);
		return -ENOMEM;
	}
	p = (char *)&s->rr[n];
	for (r = list; r && i < n; r = r->next) {
		size_t l;

		if (!naptr_usable(r))
			continue;
		l = strlen(r->replacement) + 1;
		s->rr[i].prio = r->order;
		s->rr[i].weight = r->preference;
		s->rr[i].proto = naptr_proto(r->service);
		memcpy(p, r->replacement, l);
		s->rr[i].name = p;
		p += l;
		i++;
	}
	s->n = n;
	ares_free_data(list);
	*out = s;
	return 0;
}

static int map_ares_error(int ares_status)
{
	switch (ares_status) {
	case ARES_ETIMEOUT:
	case ARES_ECONNREFUSED:
		return -ETIMEDOUT;
	case ARES_ENOMEM:
		return -ENOMEM;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return -ECANCELED;
	}
	return -EIO;
}

int dns_rrset_from_answer(uint16_t type, int ares_status,
			  const unsigned char *abuf, int alen, uint32_t neg_ttl,
			  dns_rrset_t **out)
{
	uint32_t ttl;
	int rc;

	*out = NULL;
	if (ares_status == ARES_ENOTFOUND || ares_status == ARES_ENODATA) {
		if (!dns_wire_ttl(abuf, alen, &ttl))
			ttl = neg_ttl;
		return set_negative(
		    type, ares_status == ARES_ENOTFOUND ? -ENOENT : -ENODATA,
		    ttl, out);
	}
	if (ares_status != ARES_SUCCESS)
		return map_ares_error(ares_status);
	if (type == DNS_T_A || type == DNS_T_AAAA)
		rc = parse_addrs(type, abuf, alen, out);
	else if (type == DNS_T_SRV)
		rc = parse_srv(abuf, alen, out);
	else
		rc = parse_naptr(abuf, alen, out);
	if (rc < 0)
		return rc;
	if (rc == 1) /* only CNAMEs or foreign types: no data of ours */
		return set_negative(type, -ENODATA, neg_ttl, out);
	if (type == DNS_T_SRV || type == DNS_T_NAPTR) {
		if (!dns_wire_ttl(abuf, alen, &ttl))
			ttl = 0;
		(*out)->ttl = ttl;
	}
	return 0;
}
