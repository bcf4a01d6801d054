/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loop and spiral detection (RFC 3261 16.3 step 4, 16.6 step 8): the
 * routing hash of a request and the table of branches we sent with the
 * hash of the request each carried.
 */
#include "proxy_int.h"

#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

/*
 * Design. RFC 3261 suggests encoding a hash of the routing-relevant parts
 * of a request in the branch of the Via a proxy adds, so that a request
 * coming back with that Via and the same hash is a loop while one whose
 * Request-URI or Route set changed is a spiral. Our branches are made by
 * the transaction layer (they name its owner loop), so instead the hashes
 * of the requests we have forwarded and not yet seen answered are kept
 * here: a looped copy necessarily arrives while its original is pending.
 * A request is a loop when one of its Vias is ours and its hash is in the
 * table. The entry goes in before the request is sent, so that a copy
 * looping back to another worker (another socket of the REUSEPORT group)
 * cannot overtake it; hence a shared table with striped locks. Inserting
 * and removing cost one uncontended lock each per branch; lookups happen
 * only for requests carrying a Via with our own address.
 */
#define LOOP_STRIPES 64
#define LOOP_BUCKETS 4096 /* power of two, multiple of the stripes */

/* One lock per cache line, so that stripes do not share one. */
typedef struct loop_stripe {
	alignas(64) pthread_mutex_t lock;
} loop_stripe_t;

static struct {
	loop_stripe_t *stripes;
	proxy_loop_ent_t **buckets;
	unsigned count; /* atomic: lets lookups skip an empty table */
} lt;

static uint64_t fnv(uint64_t h, ss_str_t s)
{
	for (size_t i = 0; i < s.len; i++)
		h = (h ^ (unsigned char)s.s[i]) * 1099511628211ull;
	/* A separator so that ("ab","c") and ("a","bc") differ. */
	return (h ^ 0xff) * 1099511628211ull;
}

static uint64_t fnv_hdr(uint64_t h, ss_sip_msg_t *msg, ss_sip_hdr_id_t id)
{
	const ss_sip_parser_api_t *p = proxy_g.parser;

	for (ss_sip_hdr_t *x = p->hdr(msg, id); x; x = p->hdr_next(msg, x))
		h = fnv(h, x->value);
	return h;
}

uint64_t proxy_route_hash(ss_sip_msg_t *msg)
{
	const ss_sip_parser_api_t *p = proxy_g.parser;
	const ss_sip_name_addr_t *to = p->addr(msg, SS_SIP_HDR_TO, 0);
	const ss_sip_name_addr_t *from = p->addr(msg, SS_SIP_HDR_FROM, 0);
	const ss_sip_cseq_t *cseq = p->cseq(msg);
	const ss_sip_uri_t *ruri = p->ruri(msg);
	uint64_t h = 14695981039346656037ull;

	/* The Request-URI and Route set after 16.4 preprocessing decide
	 * where the request goes: a spiral changes one of them. The rest
	 * identifies the request itself. Via and Max-Forwards change at
	 * every hop and are left out. */
	h = fnv(h, ruri ? ruri->raw : msg->ruri_str);
	h = fnv_hdr(h, msg, SS_SIP_HDR_ROUTE);
	h = fnv(h, to ? to->tag : SS_STR_NULL);
	h = fnv(h, from ? from->tag : SS_STR_NULL);
	h = fnv(h, p->call_id(msg));
	if (cseq) {
		char num[12];
		int n = 0;

		for (uint32_t v = cseq->seq; n < 11; v /= 10) {
			num[n++] = (char)('0' + v % 10);
			if (v < 10)
				break;
		}
		h = fnv(h, (ss_str_t){num, (size_t)n});
		h = fnv(h, cseq->method_str);
	}
	h = fnv_hdr(h, msg, SS_SIP_HDR_PROXY_REQUIRE);
	return fnv_hdr(h, msg, SS_SIP_HDR_PROXY_AUTHORIZATION);
}

int proxy_loop_table_init(void)
{
	unsigned i;

	lt.stripes = calloc(LOOP_STRIPES, sizeof(*lt.stripes));
	lt.buckets = calloc(LOOP_BUCKETS, sizeof(*lt.buckets));
	if (!lt.stripes || !lt.buckets) {
		proxy_loop_table_fini();
		return -ENOMEM;
	}
	for (i = 0; i < LOOP_STRIPES; i++)
		pthread_mutex_init(&lt.stripes[i].lock, NULL);
	lt.count = 0;
	return 0;
}

void proxy_loop_table_fini(void)
{
	if (lt.stripes)
		for (unsigned i = 0; i < LOOP_STRIPES; i++)
			pthread_mutex_destroy(&lt.stripes[i].lock);
	free(lt.stripes);
	free(lt.buckets);
	lt.stripes = NULL;
	lt.buckets = NULL;
}

unsigned proxy_loop_table_count(void)
{
	return __atomic_load_n(&lt.count, __ATOMIC_RELAXED);
}

static unsigned bucket_of(uint64_t hash)
{
	return (unsigned)(hash ^ (hash >> 32)) & (LOOP_BUCKETS - 1);
}

static pthread_mutex_t *stripe_of(uint64_t hash)
{
	return &lt.stripes[bucket_of(hash) % LOOP_STRIPES].lock;
}

void proxy_loop_add(proxy_loop_ent_t *e, uint64_t hash)
{
	proxy_loop_ent_t **b;
	pthread_mutex_t *m;

	if (!lt.buckets) {
		e->pprev = NULL;
		return;
	}
	e->hash = hash;
	b = &lt.buckets[bucket_of(hash)];
	m = stripe_of(hash);
	pthread_mutex_lock(m);
	e->next = *b;
	if (e->next)
		e->next->pprev = &e->next;
	e->pprev = b;
	*b = e;
	pthread_mutex_unlock(m);
	__atomic_add_fetch(&lt.count, 1, __ATOMIC_RELAXED);
}

void proxy_loop_del(proxy_loop_ent_t *e)
{
	pthread_mutex_t *m;

	if (!e->pprev)
		return;
	m = stripe_of(e->hash);
	pthread_mutex_lock(m);
	*e->pprev = e->next;
	if (e->next)
		e->next->pprev = e->pprev;
	pthread_mutex_unlock(m);
	e->pprev = NULL;
	__atomic_sub_fetch(&lt.count, 1, __ATOMIC_RELAXED);
}

/* Whether a request with this hash is pending here. */
static bool pending(uint64_t hash)
{
	pthread_mutex_t *m = stripe_of(hash);
	bool found = false;

	pthread_mutex_lock(m);
	for (const proxy_loop_ent_t *e = lt.buckets[bucket_of(hash)];
	     e && !found; e = e->next)
		found = e->hash == hash;
	pthread_mutex_unlock(m);
	return found;
}

/* Whether a Via's sent-by is one of our listeners. */
static bool via_is_ours(const ss_sip_via_t *v)
{
	const ss_sip_listener_info_t *l;
	unsigned port = v->port ? v->port : 5060;

	for (unsigned i = 0; proxy_g.tp && (l = proxy_g.tp->listener_at(i));
	     i++)
		if (l->port == port && l->host &&
		    ss_str_caseeq_c(v->host, l->host))
			return true;
	return false;
}

bool proxy_loop_detect(ss_sip_msg_t *msg, uint64_t hash)
{
	const ss_sip_via_t *v;

	if (!proxy_loop_table_count())
		return false;
	/* Ours is on top when we sent the request to ourselves. */
	for (unsigned i = 0; (v = proxy_g.parser->via(msg, i)); i++)
		if (via_is_ours(v))
			return pending(hash);
	return false;
}
