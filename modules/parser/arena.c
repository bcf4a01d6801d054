/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-message arena: a bump allocator over an inline block, chaining
 * malloc'd blocks only for messages too big for it. Nothing is freed
 * individually; reset frees the chain in one go between messages.
 */
#include <stdlib.h>
#include <string.h>

#include "parser_int.h"

#define ARENA_ALIGN   (alignof(max_align_t))
#define ARENA_BLK_MIN 8192

void ss_sip_arena_init(ss_sip_arena_t *a)
{
	a->cur = a->block;
	a->end = a->block + sizeof(a->block);
	a->total = 0;
	a->chain = NULL;
}

/*
 * Chained blocks double with the total so that a message needing N bytes
 * costs O(log N) mallocs; the total is capped so that a crafted message
 * cannot make one loop allocate without bound.
 */
static void *arena_grow(ss_sip_arena_t *a, size_t size)
{
	size_t bsize = ARENA_BLK_MIN;
	ss_sip_arena_blk_t *blk;

	if (bsize < a->total)
		bsize = a->total;
	if (bsize < size)
		bsize = size;
	if (a->total + bsize > SS_SIP_ARENA_MAX)
		return NULL;
	blk = malloc(sizeof(*blk) + bsize);
	if (!blk)
		return NULL;
	blk->size = bsize;
	blk->next = a->chain;
	a->chain = blk;
	a->total += bsize;
	a->cur = blk->data + size;
	a->end = blk->data + bsize;
	return blk->data;
}

void *ss_sip_arena_alloc(ss_sip_arena_t *a, size_t size)
{
	uintptr_t p = ((uintptr_t)a->cur + ARENA_ALIGN - 1) &
		      ~(uintptr_t)(ARENA_ALIGN - 1);

	size = size ? size : 1;
	if (p <= (uintptr_t)a->end && size <= (uintptr_t)a->end - p) {
		a->cur = (char *)p + size;
		return (void *)p;
	}
	if (size > SS_SIP_ARENA_MAX)
		return NULL;
	return arena_grow(a, (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1));
}

ss_str_t ss_sip_arena_dup(ss_sip_arena_t *a, const char *s, size_t len)
{
	char *d;

	if (a->end - a->cur >= (ptrdiff_t)len) {
		/* Strings need no alignment: keep the arena dense. */
		d = a->cur;
		a->cur += len;
	} else {
		d = ss_sip_arena_alloc(a, len);
		if (!d)
			return SS_STR_NULL;
	}
	if (len)
		memcpy(d, s, len);
	return (ss_str_t){d, len};
}

void ss_sip_arena_reset(ss_sip_arena_t *a)
{
	ss_sip_arena_blk_t *b = a->chain;

	while (b) {
		ss_sip_arena_blk_t *next = b->next;

		free(b);
		b = next;
	}
	ss_sip_arena_init(a);
}

void ss_sip_arena_fini(ss_sip_arena_t *a)
{
	ss_sip_arena_reset(a);
}
