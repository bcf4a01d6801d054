/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The port-pair pool: even RTP ports with RTCP on the next odd port, handed
 * out from a configured range in least-recently-freed order.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "rtp_int.h"

/*
 * The free pairs form a FIFO ring rather than a stack or a bitmap scan:
 * taking the pair freed longest ago keeps a port idle as long as possible
 * before reuse, so late packets of an ended call rarely reach the next call
 * on the same port. get and put are O(1) under a mutex that every loop may
 * take, but only when a session is made or freed, never per packet.
 */
int rtp_ports_init(rtp_ports_t *p, unsigned min, unsigned max)
{
	unsigned base = (min + 1u) & ~1u;
	uint32_t i;

	p->ring = NULL;
	p->taken = NULL;
	if (min == 0 || max > 65535 || base + 1 > max)
		return -EINVAL;
	p->base = (uint16_t)base;
	p->npairs = (max - base + 1) / 2;
	p->ring = malloc(p->npairs * sizeof(*p->ring));
	p->taken = calloc(p->npairs, 1);
	if (!p->ring || !p->taken) {
		rtp_ports_destroy(p);
		return -ENOMEM;
	}
	for (i = 0; i < p->npairs; i++)
		p->ring[i] = i;
	p->head = 0;
	p->count = p->npairs;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void rtp_ports_destroy(rtp_ports_t *p)
{
	if (p->ring && p->taken)
		pthread_mutex_destroy(&p->lock);
	free(p->ring);
	free(p->taken);
	p->ring = NULL;
	p->taken = NULL;
}

int rtp_ports_get(rtp_ports_t *p, uint32_t *pair)
{
	int err = -ENOSPC;

	pthread_mutex_lock(&p->lock);
	if (p->count) {
		*pair = p->ring[p->head];
		p->head = p->head + 1 == p->npairs ? 0 : p->head + 1;
		p->count--;
		assert(!p->taken[*pair]);
		p->taken[*pair] = 1;
		err = 0;
	}
	pthread_mutex_unlock(&p->lock);
	return err;
}

void rtp_ports_put(rtp_ports_t *p, uint32_t pair)
{
	uint32_t tail;

	pthread_mutex_lock(&p->lock);
	assert(pair < p->npairs && p->taken[pair]);
	assert(p->count < p->npairs);
	p->taken[pair] = 0;
	tail = p->head + p->count;
	if (tail >= p->npairs)
		tail -= p->npairs;
	p->ring[tail] = pair;
	p->count++;
	pthread_mutex_unlock(&p->lock);
}

unsigned rtp_ports_free(rtp_ports_t *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->count;
	pthread_mutex_unlock(&p->lock);
	return n;
}
