/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The answer cache shared by the worker loops (hash table striped into
 * independently locked parts, each with its own LRU bound) and the
 * blocklist of destinations that recently failed.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_int.h"

struct dns_centry {
	dns_centry_t *hnext;
	dns_centry_t *prev, *next; /* LRU */
	uint64_t expires_ms;
	uint32_t hash;
	uint16_t type;
	dns_rrset_t *set; /* reference held */
	char name[];	  /* lower case */
};

/* FNV-1a over the lower-cased name and the type. */
static uint32_t key_hash(const char *name, uint16_t type)
{
	uint32_t h = 2166136261u;

	for (; *name; name++) {
		h ^= (unsigned char)tolower((unsigned char)*name);
		h *= 16777619u;
	}
	h ^= type;
	h *= 16777619u;
	return h;
}

static dns_stripe_t *stripe_of(dns_cache_t *c, uint32_t hash)
{
	return &c->stripes[hash & (DNS_CACHE_STRIPES - 1)];
}

/* Buckets use the hash bits above those that chose the stripe. */
static dns_centry_t **bucket_of(dns_stripe_t *s, uint32_t hash)
{
	return &s->buckets[(hash >> 4) & (s->nbuckets - 1)];
}

static void lru_unlink(dns_stripe_t *s, dns_centry_t *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(dns_stripe_t *s, dns_centry_t *e)
{
	e->prev = NULL;
	e->next = s->lru_head;
	if (s->lru_head)
		s->lru_head->prev = e;
	else
		s->lru_tail = e;
	s->lru_head = e;
}

static void entry_remove(dns_stripe_t *s, dns_centry_t *e)
{
	dns_centry_t **pp = bucket_of(s, e->hash);

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(s, e);
	s->count--;
	dns_rrset_unref(&e->set);
	free(e);
}

static unsigned pow2_at_least(unsigned n)
{
	unsigned p = 16;

	while (p < n && p < (1u << 20))
		p <<= 1;
	return p;
}

int dns_cache_init(dns_cache_t *c, unsigned max_entries, unsigned min_ttl,
		   unsigned max_ttl)
{
	unsigned per =
	    (max_entries + DNS_CACHE_STRIPES - 1) / DNS_CACHE_STRIPES;
	unsigned i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < DNS_CACHE_STRIPES; i++) {
		dns_stripe_t *s = &c->stripes[i];

		pthread_mutex_init(&s->lock, NULL);
		s->nbuckets = pow2_at_least(per);
		s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
		if (!s->buckets) {
			c->stripes[i].nbuckets = 0;
			pthread_mutex_destroy(&s->lock);
			while (i--) {
				free(c->stripes[i].buckets);
				pthread_mutex_destroy(&c->stripes[i].lock);
			}
			return -ENOMEM;
		}
	}
	atomic_init(&c->per_stripe, per);
	atomic_init(&c->min_ttl, min_ttl);
	atomic_init(&c->max_ttl, max_ttl);
	return 0;
}

static void stripe_trim(dns_stripe_t *s, unsigned max)
{
	while (s->count > max)
		entry_remove(s, s->lru_tail);
}

void dns_cache_flush(dns_cache_t *c)
{
	unsigned i;

	for (i = 0; i < DNS_CACHE_STRIPES; i++) {
		pthread_mutex_lock(&c->stripes[i].lock);
		stripe_trim(&c->stripes[i], 0);
		pthread_mutex_unlock(&c->stripes[i].lock);
	}
}

void dns_cache_destroy(dns_cache_t *c)
{
	unsigned i;

	dns_cache_flush(c);
	for (i = 0; i < DNS_CACHE_STRIPES; i++) {
		free(c->stripes[i].buckets);
		c->stripes[i].buckets = NULL;
		pthread_mutex_destroy(&c->stripes[i].lock);
	}
}

/* The bucket arrays keep the size load chose: a smaller bound only makes
 * shorter chains, a larger one longer chains until the next load. */
void dns_cache_set_limits(dns_cache_t *c, unsigned max_entries,
			  unsigned min_ttl, unsigned max_ttl)
{
	unsigned per =
	    (max_entries + DNS_CACHE_STRIPES - 1) / DNS_CACHE_STRIPES;
	unsigned i;

	atomic_store(&c->per_stripe, per);
	atomic_store(&c->min_ttl, min_ttl);
	atomic_store(&c->max_ttl, max_ttl);
	for (i = 0; i < DNS_CACHE_STRIPES; i++) {
		pthread_mutex_lock(&c->stripes[i].lock);
		stripe_trim(&c->stripes[i], per);
		pthread_mutex_unlock(&c->stripes[i].lock);
	}
}

static dns_centry_t *find_locked(dns_stripe_t *s, const char *name,
				 uint16_t type, uint32_t hash)
{
	dns_centry_t *e;

	for (e = *bucket_of(s, hash); e; e = e->hnext)
		if (e->hash == hash && e->type == type &&
		    !strcasecmp(e->name, name))
			return e;
	return NULL;
}

dns_rrset_t *dns_cache_get(dns_cache_t *c, const char *name, uint16_t type,
			   uint64_t now_ms)
{
	uint32_t hash = key_hash(name, type);
	dns_stripe_t *s = stripe_of(c, hash);
	dns_rrset_t *set = NULL;
	dns_centry_t *e;

	if (!atomic_load_explicit(&c->per_stripe, memory_order_relaxed))
		return NULL;
	pthread_mutex_lock(&s->lock);
	e = find_locked(s, name, type, hash);
	if (e && e->expires_ms <= now_ms) {
		entry_remove(s, e);
		e = NULL;
	}
	if (e) {
		lru_unlink(s, e);
		lru_push(s, e);
		set = dns_rrset_ref(e->set);
	}
	pthread_mutex_unlock(&s->lock);
	atomic_fetch_add_explicit(set ? &c->hits : &c->misses, 1,
				  memory_order_relaxed);
	return set;
}

static dns_centry_t *entry_new(const char *name, uint16_t type, uint32_t hash)
{
	size_t len = strlen(name);
	dns_centry_t *e = calloc(1, sizeof(*e) + len + 1);
	size_t i;

	if (!e)
		return NULL;
	for (i = 0; i < len; i++)
		e->name[i] = (char)tolower((unsigned char)name[i]);
	e->hash = hash;
	e->type = type;
	return e;
}

void dns_cache_put(dns_cache_t *c, const char *name, dns_rrset_t *set,
		   uint64_t now_ms)
{
	unsigned per =
	    atomic_load_explicit(&c->per_stripe, memory_order_relaxed);
	uint32_t ttl = set->ttl, lo = atomic_load(&c->min_ttl),
		 hi = atomic_load(&c->max_ttl);
	uint32_t hash = key_hash(name, set->type);
	dns_stripe_t *s = stripe_of(c, hash);
	dns_centry_t *e, *fresh;

	ttl = ttl < lo ? lo : ttl;
	ttl = ttl > hi ? hi : ttl;
	if (!per || !ttl)
		return;
	fresh = entry_new(name, set->type, hash);
	if (!fresh)
		return; /* the cache is an optimisation: go on without it */
	fresh->set = dns_rrset_ref(set);
	fresh->expires_ms = now_ms + (uint64_t)ttl * 1000u;
	pthread_mutex_lock(&s->lock);
	e = find_locked(s, name, set->type, hash);
	if (e)
		entry_remove(s, e);
	stripe_trim(s, per - 1);
	fresh->hnext = *bucket_of(s, hash);
	*bucket_of(s, hash) = fresh;
	lru_push(s, fresh);
	s->count++;
	pthread_mutex_unlock(&s->lock);
}

unsigned dns_cache_foreach(dns_cache_t *c, uint64_t now_ms,
			   void (*fn)(void *arg, const char *name,
				      const dns_rrset_t *set,
				      uint64_t expires_ms),
			   void *arg)
{
	unsigned i, n = 0;
	dns_centry_t *e;

	for (i = 0; i < DNS_CACHE_STRIPES; i++) {
		dns_stripe_t *s = &c->stripes[i];

		pthread_mutex_lock(&s->lock);
		for (e = s->lru_head; e; e = e->next) {
			if (e->expires_ms <= now_ms)
				continue;
			fn(arg, e->name, e->set, e->expires_ms);
			n++;
		}
		pthread_mutex_unlock(&s->lock);
	}
	return n;
}

/* ---- blocklist ---- */

bool dns_dest_equal(const ss_sip_dest_t *a, const ss_sip_dest_t *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->addr.sa;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)&b->addr.sa;
	const struct sockaddr_in6 *a6 =
	    (const struct sockaddr_in6 *)&a->addr.sa;
	const struct sockaddr_in6 *b6 =
	    (const struct sockaddr_in6 *)&b->addr.sa;

	if (a->proto != b->proto ||
	    a->addr.sa.ss_family != b->addr.sa.ss_family)
		return false;
	if (a->addr.sa.ss_family == AF_INET)
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->addr.sa.ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr,
			       sizeof(a6->sin6_addr));
	return false;
}

int dns_block_init(dns_blocklist_t *b, unsigned max, uint64_t duration_ms)
{
	memset(b, 0, sizeof(*b));
	b->e = calloc(max ? max : 1, sizeof(*b->e));
	if (!b->e)
		return -ENOMEM;
	pthread_mutex_init(&b->lock, NULL);
	b->max = max ? max : 1;
	b->duration_ms = duration_ms;
	return 0;
}

void dns_block_destroy(dns_blocklist_t *b)
{
	if (!b->e)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b->e);
	b->e = NULL;
}

void dns_block_set_duration(dns_blocklist_t *b, uint64_t duration_ms)
{
	pthread_mutex_lock(&b->lock);
	b->duration_ms = duration_ms;
	pthread_mutex_unlock(&b->lock);
}

/* Drops expired entries; lock held. Order is not kept. */
static void block_prune_locked(dns_blocklist_t *b, uint64_t now_ms)
{
	unsigned i = 0;

	while (i < b->n) {
		if (b->e[i].until_ms <= now_ms)
			b->e[i] = b->e[--b->n];
		else
			i++;
	}
}

static dns_block_entry_t *
block_find_locked(dns_blocklist_t *b, const ss_sip_dest_t *d, uint64_t now_ms)
{
	unsigned i;

	for (i = 0; i < b->n; i++)
		if (b->e[i].until_ms > now_ms &&
		    dns_dest_equal(&b->e[i].dest, d))
			return &b->e[i];
	return NULL;
}

void dns_block_mark(dns_blocklist_t *b, const ss_sip_dest_t *d, uint64_t now_ms)
{
	dns_block_entry_t *e;
	unsigned i;

	pthread_mutex_lock(&b->lock);
	if (!b->duration_ms)
		goto out;
	e = block_find_locked(b, d, now_ms);
	if (!e) {
		block_prune_locked(b, now_ms);
		if (b->n == b->max) {
			e = &b->e[0];
			for (i = 1; i < b->n; i++)
				if (b->e[i].until_ms < e->until_ms)
					e = &b->e[i];
		} else {
			e = &b->e[b->n++];
		}
		e->dest = *d;
		e->dest.conn_id = 0;
	}
	e->until_ms = now_ms + b->duration_ms;
out:
	pthread_mutex_unlock(&b->lock);
}

bool dns_block_has(dns_blocklist_t *b, const ss_sip_dest_t *d, uint64_t now_ms)
{
	bool has;

	pthread_mutex_lock(&b->lock);
	has = block_find_locked(b, d, now_ms) != NULL;
	pthread_mutex_unlock(&b->lock);
	return has;
}

void dns_block_order(dns_blocklist_t *b, ss_sip_dest_t *d, unsigned n,
		     uint64_t now_ms)
{
	ss_sip_dest_t late[SS_DNS_MAX_DESTS];
	unsigned i, keep = 0, nlate = 0;

	pthread_mutex_lock(&b->lock);
	if (!b->n) {
		pthread_mutex_unlock(&b->lock);
		return;
	}
	for (i = 0; i < n; i++) {
		if (nlate < SS_DNS_MAX_DESTS &&
		    block_find_locked(b, &d[i], now_ms))
			late[nlate++] = d[i];
		else
			d[keep++] = d[i];
	}
	pthread_mutex_unlock(&b->lock);
	memcpy(&d[keep], late, nlate * sizeof(*late));
}

void dns_block_flush(dns_blocklist_t *b)
{
	pthread_mutex_lock(&b->lock);
	b->n = 0;
	pthread_mutex_unlock(&b->lock);
}

unsigned dns_block_snapshot(dns_blocklist_t *b, dns_block_entry_t *out,
			    unsigned max, uint64_t now_ms)
{
	unsigned i, n = 0;

	pthread_mutex_lock(&b->lock);
	block_prune_locked(b, now_ms);
	for (i = 0; i < b->n && n < max; i++)
		out[n++] = b->e[i];
	pthread_mutex_unlock(&b->lock);
	return n;
}
