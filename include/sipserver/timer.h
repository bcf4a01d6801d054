/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Timers on the calling loop's hierarchical timing wheel (1 ms resolution,
 * O(1) start and stop). A timer is embedded in its owner; starting one never
 * allocates; the owner's destructor must stop it.
 */
#ifndef SIPSERVER_TIMER_H
#define SIPSERVER_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct ss_module;
struct ss_loop;

typedef struct ss_timer ss_timer_t;
typedef void (*ss_timer_cb)(ss_timer_t *timer);

struct ss_timer {
	/* private to the wheel */
	ss_timer_t *next;
	ss_timer_t **pprev; /* NULL when not pending */
	uint64_t expires;   /* absolute, in wheel ticks (ms) */
	struct ss_loop *loop;
	/* set by ss_timer_init */
	const struct ss_module *owner; /* NULL for the core's own timers */
	ss_timer_cb cb;
	void *arg;
};

/* Prepares a timer. owner is the module whose unload stops it (NULL: core). */
void ss_timer_init(ss_timer_t *t, const struct ss_module *owner, ss_timer_cb cb,
		   void *arg);
/* (Re)starts the timer to fire delay_ms from now on the calling thread's
 * loop. A pending timer must be restarted from its own loop. */
void ss_timer_start(ss_timer_t *t, uint64_t delay_ms);
/* Stops the timer if pending. Owning loop only. Idempotent. */
void ss_timer_stop(ss_timer_t *t);

static inline bool ss_timer_pending(const ss_timer_t *t)
{
	return t->pprev != 0;
}

#endif
