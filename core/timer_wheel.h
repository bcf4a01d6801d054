/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hierarchical timing wheel behind ss_timer_t, independent of any clock
 * so that tests drive it with a virtual one. One wheel per loop, never shared.
 */
#ifndef SS_CORE_TIMER_WHEEL_H
#define SS_CORE_TIMER_WHEEL_H

#include <sipserver/timer.h>
#include <stdint.h>

#define SS_WHEEL_LEVELS 6
#define SS_WHEEL_BITS	6
#define SS_WHEEL_SLOTS	(1u << SS_WHEEL_BITS)

typedef struct ss_wheel {
	uint64_t now; /* ticks (ms) processed so far */
	unsigned pending;
	ss_timer_t *slots[SS_WHEEL_LEVELS][SS_WHEEL_SLOTS];
	ss_timer_t *overflow; /* beyond the top level; re-filed on wrap */
} ss_wheel_t;

void ss_wheel_init(ss_wheel_t *w, uint64_t now);
/* Files t to fire at absolute tick `expires` (past values fire on the next
 * advance). t must not be pending. O(1). */
void ss_wheel_add(ss_wheel_t *w, ss_timer_t *t, uint64_t expires);
/* Unfiles a pending t. O(1). */
void ss_wheel_del(ss_wheel_t *w, ss_timer_t *t);
/* Advances to `now`, calling the callback of every timer that expired, in
 * order of expiry. Callbacks may add and delete timers. Returns the count. */
unsigned ss_wheel_advance(ss_wheel_t *w, uint64_t now);
/* Milliseconds until the next expiry could be due (an upper bound usable as
 * an epoll timeout), or -1 when nothing is pending. */
int64_t ss_wheel_next_timeout(const ss_wheel_t *w);
/* Unfiles every timer owned by owner; returns how many. */
unsigned ss_wheel_purge_owner(ss_wheel_t *w, const struct ss_module *owner);

#endif
