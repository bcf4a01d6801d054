/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The domains the registrar serves: the configured ones and "localhost" in
 * an immutable open-addressing hash set built on the control loop and read
 * without locks by the workers, plus what the transport is reachable as.
 */
#include "reg_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Entries are never removed, so the set needs no tombstones; it doubles
 * when half full, which keeps probe sequences short. */
typedef struct reg_domain_ent {
	uint32_t hash;
	char *name; /* NULL: free slot */
} reg_domain_ent_t;

struct reg_domains {
	reg_domain_ent_t *slots;
	unsigned cap; /* power of two */
	unsigned count;
	char **order; /* names in insertion order, for listing */
};

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

reg_domains_t *reg_domains_new(void)
{
	reg_domains_t *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cap = 16;
	d->slots = calloc(d->cap, sizeof(*d->slots));
	d->order = calloc(d->cap / 2, sizeof(*d->order));
	if (!d->slots || !d->order) {
		reg_domains_free(d);
		return NULL;
	}
	return d;
}

static reg_domain_ent_t *find_slot(reg_domain_ent_t *slots, unsigned cap,
				   uint32_t h, const char *name, size_t len)
{
	unsigned i = h & (cap - 1);

	while (slots[i].name &&
	       !(slots[i].hash == h && strlen(slots[i].name) == len &&
		 memcmp(slots[i].name, name, len) == 0))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(reg_domains_t *d)
{
	unsigned cap = d->cap * 2, i;
	reg_domain_ent_t *slots = calloc(cap, sizeof(*slots));
	char **order = realloc(d->order, cap / 2 * sizeof(*order));

	if (order)
		d->order = order;
	if (!slots || !order) {
		free(slots);
		return -ENOMEM;
	}
	for (i = 0; i < d->cap; i++) {
		const reg_domain_ent_t *e = &d->slots[i];

		if (e->name)
			*find_slot(slots, cap, e->hash, e->name,
				   strlen(e->name)) = *e;
	}
	free(d->slots);
	d->slots = slots;
	d->cap = cap;
	return 0;
}

int reg_domains_add(reg_domains_t *d, ss_str_t host)
{
	char canon[SS_SIP_HOST_MAX + 1];
	int len = reg_g.parser->host_key(host, canon);
	reg_domain_ent_t *e;
	uint32_t h;

	if (len < 0)
		return len;
	h = name_hash(canon, (size_t)len);
	e = find_slot(d->slots, d->cap, h, canon, (size_t)len);
	if (e->name)
		return 0;
	if ((d->count + 1) * 2 > d->cap) {
		if (grow(d) < 0)
			return -ENOMEM;
		e = find_slot(d->slots, d->cap, h, canon, (size_t)len);
	}
	e->name = strdup(canon);
	if (!e->name)
		return -ENOMEM;
	e->hash = h;
	d->order[d->count++] = e->name;
	return 0;
}

bool reg_domains_has(const reg_domains_t *d, ss_str_t host)
{
	char canon[SS_SIP_HOST_MAX + 1];
	int len;
	uint32_t h;

	if (!d || (len = reg_g.parser->host_key(host, canon)) < 0)
		return false;
	h = name_hash(canon, (size_t)len);
	return find_slot(d->slots, d->cap, h, canon, (size_t)len)->name != NULL;
}

bool reg_domain_served(const reg_domains_t *d, ss_str_t host)
{
	const ss_sip_transport_api_t *tp = reg_g.tp;

	return reg_domains_has(d, host) || (tp && tp->host_is_local(host, 0));
}

unsigned reg_domains_count(const reg_domains_t *d)
{
	return d ? d->count : 0;
}

const char *reg_domains_name(const reg_domains_t *d, unsigned i)
{
	return d && i < d->count ? d->order[i] : NULL;
}

void reg_domains_free(reg_domains_t *d)
{
	unsigned i;

	if (!d)
		return;
	for (i = 0; d->slots && i < d->cap; i++)
		free(d->slots[i].name);
	free(d->slots);
	free(d->order);
	free(d);
}
