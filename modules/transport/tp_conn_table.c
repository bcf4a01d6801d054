/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The connection table: stream connections by id (never reused) and by
 * remote address, shared by all loops behind striped locks.
 *
 * The address index hashes the remote IP only, not the port, so that all
 * connections from one host share a chain: counting them for the per-source
 * limit is the same walk as finding one for reuse. The bucket count is fixed
 * at load from max_connections, which bounds the chains' total length, so
 * the table never resizes and never allocates after init.
 *
 * Only the owner loop frees a connection, and it unlinks it here first
 * under the stripe locks; a thread holding a stripe lock may therefore read
 * the connections of that stripe, and other threads keep only copies (id,
 * owner loop) after the lock is released.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "transport_int.h"

static inline unsigned tp_hash64(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return (unsigned)v;
}

/* Hash of the IP part of an address (FNV-1a). */
static unsigned tp_hash_ip(const ss_sip_addr_t *a)
{
	const unsigned char *p;
	size_t n;
	unsigned h = 2166136261u;

	if (a->sa.ss_family == AF_INET6) {
		p = (const unsigned char *)&(
			(const struct sockaddr_in6 *)&a->sa)
			->sin6_addr;
		n = 16;
	} else {
		p = (const unsigned char *)&((const struct sockaddr_in *)&a->sa)
			->sin_addr;
		n = 4;
	}
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static bool tp_same_ip(const ss_sip_addr_t *a, const ss_sip_addr_t *b)
{
	if (a->sa.ss_family != b->sa.ss_family)
		return false;
	if (a->sa.ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)&a->sa)->sin6_addr,
			      &((const struct sockaddr_in6 *)&b->sa)->sin6_addr,
			      16) == 0;
	return ((const struct sockaddr_in *)&a->sa)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)&b->sa)->sin_addr.s_addr;
}

static in_port_t tp_port(const ss_sip_addr_t *a)
{
	if (a->sa.ss_family == AF_INET6)
		return ((const struct sockaddr_in6 *)&a->sa)->sin6_port;
	return ((const struct sockaddr_in *)&a->sa)->sin_port;
}

int tp_table_init(tp_table_t *t, unsigned max_connections)
{
	unsigned n = 64;
	unsigned i;

	memset(t, 0, sizeof(*t));
	while (n < max_connections && n < (1u << 20))
		n <<= 1;
	t->mask = n - 1;
	t->by_id = calloc(n, sizeof(*t->by_id));
	t->by_addr = calloc(n, sizeof(*t->by_addr));
	if (!t->by_id || !t->by_addr) {
		free(t->by_id);
		free(t->by_addr);
		t->by_id = t->by_addr = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < TP_TABLE_STRIPES; i++) {
		pthread_mutex_init(&t->id_locks[i], NULL);
		pthread_mutex_init(&t->addr_locks[i], NULL);
	}
	t->next_id = 1;
	return 0;
}

void tp_table_destroy(tp_table_t *t)
{
	unsigned i;

	if (!t->by_id)
		return;
	for (i = 0; i < TP_TABLE_STRIPES; i++) {
		pthread_mutex_destroy(&t->id_locks[i]);
		pthread_mutex_destroy(&t->addr_locks[i]);
	}
	free(t->by_id);
	free(t->by_addr);
	t->by_id = t->by_addr = NULL;
}

/* Files c in the address chain after checking the limits, all under the
 * chain's stripe lock so two accepts from one host cannot both pass. */
static int tp_table_add_addr(tp_table_t *t, tp_conn_t *c, unsigned max_total,
			     unsigned per_source)
{
	unsigned b = tp_hash_ip(&c->remote) & t->mask;
	pthread_mutex_t *lock = &t->addr_locks[b % TP_TABLE_STRIPES];
	unsigned same = 0;
	int err = 0;
	tp_conn_t *it;

	pthread_mutex_lock(lock);
	if (per_source) {
		for (it = t->by_addr[b]; it; it = it->addr_next)
			if (it->incoming && tp_same_ip(&it->remote, &c->remote))
				same++;
		if (same >= per_source) {
			err = -EUSERS;
			goto out;
		}
	}
	if (__atomic_add_fetch(&t->count, 1, __ATOMIC_RELAXED) > max_total) {
		__atomic_sub_fetch(&t->count, 1, __ATOMIC_RELAXED);
		err = -EMFILE;
		goto out;
	}
	c->addr_next = t->by_addr[b];
	t->by_addr[b] = c;
out:
	pthread_mutex_unlock(lock);
	return err;
}

int tp_table_add(tp_table_t *t, tp_conn_t *c, unsigned max_total,
		 unsigned per_source)
{
	unsigned b;
	pthread_mutex_t *lock;
	int err;

	err = tp_table_add_addr(t, c, max_total, per_source);
	if (err < 0)
		return err;
	c->id = __atomic_fetch_add(&t->next_id, 1, __ATOMIC_RELAXED);
	b = tp_hash64(c->id) & t->mask;
	lock = &t->id_locks[b % TP_TABLE_STRIPES];
	pthread_mutex_lock(lock);
	c->id_next = t->by_id[b];
	t->by_id[b] = c;
	pthread_mutex_unlock(lock);
	return 0;
}

void tp_table_del(tp_table_t *t, tp_conn_t *c)
{
	unsigned b = tp_hash64(c->id) & t->mask;
	pthread_mutex_t *lock = &t->id_locks[b % TP_TABLE_STRIPES];
	tp_conn_t **pp;

	pthread_mutex_lock(lock);
	for (pp = &t->by_id[b]; *pp; pp = &(*pp)->id_next)
		if (*pp == c) {
			*pp = c->id_next;
			break;
		}
	pthread_mutex_unlock(lock);

	b = tp_hash_ip(&c->remote) & t->mask;
	lock = &t->addr_locks[b % TP_TABLE_STRIPES];
	pthread_mutex_lock(lock);
	for (pp = &t->by_addr[b]; *pp; pp = &(*pp)->addr_next)
		if (*pp == c) {
			*pp = c->addr_next;
			__atomic_sub_fetch(&t->count, 1, __ATOMIC_RELAXED);
			break;
		}
	pthread_mutex_unlock(lock);
	c->id_next = c->addr_next = NULL;
}

tp_conn_t *tp_table_get(tp_table_t *t, uint64_t id, tp_loop_t **owner)
{
	unsigned b = tp_hash64(id) & t->mask;
	pthread_mutex_t *lock = &t->id_locks[b % TP_TABLE_STRIPES];
	tp_conn_t *c;

	pthread_mutex_lock(lock);
	for (c = t->by_id[b]; c; c = c->id_next)
		if (c->id == id)
			break;
	if (c && owner)
		*owner = c->tl;
	pthread_mutex_unlock(lock);
	return c;
}

uint64_t tp_table_find_addr(tp_table_t *t, ss_sip_proto_t proto,
			    const ss_sip_addr_t *addr, tp_loop_t **owner)
{
	unsigned b = tp_hash_ip(addr) & t->mask;
	pthread_mutex_t *lock = &t->addr_locks[b % TP_TABLE_STRIPES];
	in_port_t port = tp_port(addr);
	uint64_t id = 0;
	tp_conn_t *c;

	pthread_mutex_lock(lock);
	for (c = t->by_addr[b]; c; c = c->addr_next)
		if (c->proto == proto && tp_port(&c->remote) == port &&
		    tp_same_ip(&c->remote, addr)) {
			id = c->id;
			*owner = c->tl;
			break;
		}
	pthread_mutex_unlock(lock);
	return id;
}

void tp_table_foreach(tp_table_t *t, void (*fn)(const tp_conn_t *c, void *a),
		      void *arg)
{
	unsigned b;
	const tp_conn_t *c;

	for (b = 0; b <= t->mask; b++) {
		pthread_mutex_t *lock = &t->id_locks[b % TP_TABLE_STRIPES];

		pthread_mutex_lock(lock);
		for (c = t->by_id[b]; c; c = c->id_next)
			fn(c, arg);
		pthread_mutex_unlock(lock);
	}
}

unsigned tp_table_count(tp_table_t *t)
{
	return __atomic_load_n(&t->count, __ATOMIC_RELAXED);
}
