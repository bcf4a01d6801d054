/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hierarchical timing wheel behind ss_timer_t: exact 1 ms expiries,
 * O(1) add and delete on intrusive lists, cascading between levels, and
 * skipping over idle stretches so that a loop asleep for hours pays per
 * event, not per millisecond.
 */
#include "timer_wheel.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>

/*
 * Design
 * ------
 * The wheel counts ticks of 1 ms; w->now is the last tick processed. A timer
 * due `delta = expires - now` ticks ahead is filed by the magnitude of delta:
 *
 *   level  slot width          covers delta              slot index
 *   0      1 ms                1 ms .. 63 ms             expires & 63
 *   1      64 ms               64 ms .. 4.1 s            (expires >> 6) & 63
 *   2      4.1 s  (2^12 ms)    4.1 s .. 4.4 min          (expires >> 12) & 63
 *   3      4.4 min (2^18 ms)   4.4 min .. 4.7 h          (expires >> 18) & 63
 *   4      4.7 h  (2^24 ms)    4.7 h .. 12.4 days        (expires >> 24) & 63
 *   5      12.4 days (2^30)    12.4 days .. 795 days     (expires >> 30) & 63
 *   overflow                   795 days (2^36 ms) and up one unsorted list
 *
 * Unlike the Linux wheel since 4.8, nothing is rounded: a slot of level L is
 * "cascaded" (its timers re-filed relative to the current tick) at the tick
 * where its 2^(6L) ms block begins, so every timer ends on level 0 in the
 * slot of its exact tick and fires when advance() reaches it, never earlier
 * and never later. The cost is at most one re-filing per level per timer,
 * and SIP timers are mostly stopped long before they cascade.
 *
 * Invariants (n = w->now): a level-0 timer is due in (n, n + 63], so each
 * level-0 slot holds a single tick and slot n & 63 is always empty: a
 * callback running at tick n can never file into the slot being run, which
 * is why the slot is emptied in place and purge_owner() sees everything. A
 * level-L slot is cascaded at the unique multiple of 2^(6L) in
 * (n, n + 2^(6(L+1))] with that index. The overflow list is re-filed at each
 * multiple of 2^36.
 *
 * advance() jumps straight to the next tick at which anything happens (a
 * level-0 slot to run or a non-empty slot to cascade), found by scanning at
 * most 64 heads per level; empty cascades are skipped as they would move
 * nothing. The same scan gives next_timeout(). Timers due at the same tick
 * fire in no particular order.
 */

#define WHEEL_MASK	((uint64_t)SS_WHEEL_SLOTS - 1)
#define WHEEL_SPAN_BITS (SS_WHEEL_LEVELS * SS_WHEEL_BITS)

static void timer_link(ss_timer_t **head, ss_timer_t *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

static void timer_unlink(ss_timer_t *t)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

/* Files t by its distance from w->now; t->expires >= w->now. */
static void wheel_file(ss_wheel_t *w, ss_timer_t *t)
{
	uint64_t delta = t->expires - w->now;
	unsigned level;

	if (delta < SS_WHEEL_SLOTS) {
		timer_link(&w->slots[0][t->expires & WHEEL_MASK], t);
		return;
	}
	level = (unsigned)(63 - __builtin_clzll(delta)) / SS_WHEEL_BITS;
	if (level >= SS_WHEEL_LEVELS) {
		timer_link(&w->overflow, t);
		return;
	}
	timer_link(&w->slots[level][(t->expires >> (level * SS_WHEEL_BITS)) &
				    WHEEL_MASK],
		   t);
}

/* Re-files every timer of one list relative to the current tick. */
static void wheel_refile(ss_wheel_t *w, ss_timer_t **head)
{
	ss_timer_t *t = *head, *next;

	*head = NULL;
	for (; t; t = next) {
		next = t->next;
		assert(t->expires >= w->now);
		wheel_file(w, t);
	}
}

/* First multiple of 2^shift strictly after now, saturating at UINT64_MAX. */
static uint64_t next_boundary(uint64_t now, unsigned shift)
{
	uint64_t block = (now >> shift) + 1;

	if (block > (UINT64_MAX >> shift))
		return UINT64_MAX;
	return block << shift;
}

/*
 * The first tick after w->now at which advance() has work: running a
 * level-0 slot or cascading a non-empty slot. A lower bound on the next
 * expiry. UINT64_MAX when nothing is pending.
 */
static uint64_t wheel_next_event(const ss_wheel_t *w)
{
	uint64_t best = UINT64_MAX, first;
	unsigned level, k;

	for (k = 1; k < SS_WHEEL_SLOTS; k++) {
		if (w->slots[0][(w->now + k) & WHEEL_MASK]) {
			best = w->now + k;
			break;
		}
	}
	for (level = 1; level < SS_WHEEL_LEVELS; level++) {
		unsigned shift = level * SS_WHEEL_BITS, idx;

		first = next_boundary(w->now, shift);
		/* boundaries of coarser levels come no earlier */
		if (first >= best)
			return best;
		idx = (unsigned)((first >> shift) & WHEEL_MASK);
		for (k = 0; k < SS_WHEEL_SLOTS; k++) {
			uint64_t tick = first + ((uint64_t)k << shift);

			if (tick >= best)
				break;
			if (w->slots[level][(idx + k) & WHEEL_MASK]) {
				best = tick;
				break;
			}
		}
	}
	if (w->overflow) {
		first = next_boundary(w->now, WHEEL_SPAN_BITS);
		if (first < best)
			best = first;
	}
	return best;
}

/* Moves the slots whose block starts at tick w->now down the levels. */
static void wheel_cascade(ss_wheel_t *w)
{
	uint64_t t = w->now;
	unsigned level;

	for (level = 1; level < SS_WHEEL_LEVELS; level++) {
		unsigned shift = level * SS_WHEEL_BITS;

		if (t & ((UINT64_C(1) << shift) - 1))
			return;
		wheel_refile(w, &w->slots[level][(t >> shift) & WHEEL_MASK]);
	}
	if (!(t & ((UINT64_C(1) << WHEEL_SPAN_BITS) - 1)))
		wheel_refile(w, &w->overflow);
}

void ss_wheel_init(ss_wheel_t *w, uint64_t now)
{
	memset(w, 0, sizeof(*w));
	w->now = now;
}

void ss_wheel_add(ss_wheel_t *w, ss_timer_t *t, uint64_t expires)
{
	assert(!t->pprev);
	assert(t->cb);
	/* Due now or in the past: the next tick, so that a callback that
	 * re-arms itself with delay 0 cannot spin inside one advance(). */
	if (expires <= w->now)
		expires = w->now + 1;
	t->expires = expires;
	wheel_file(w, t);
	w->pending++;
}

void ss_wheel_del(ss_wheel_t *w, ss_timer_t *t)
{
	assert(t->pprev);
	timer_unlink(t);
	w->pending--;
}

/*
 * Runs the timers of tick w->now. The slot is emptied in place rather than
 * detached: by the invariant above nothing a callback adds lands in it, and
 * a callback that stops (or purges) a timer still queued here finds it
 * linked as usual.
 */
static unsigned wheel_run_tick(ss_wheel_t *w)
{
	ss_timer_t **head = &w->slots[0][w->now & WHEEL_MASK];
	ss_timer_t *t;
	unsigned fired = 0;

	while ((t = *head) != NULL) {
		assert(t->expires == w->now);
		timer_unlink(t);
		w->pending--;
		fired++;
		t->cb(t);
	}
	return fired;
}

unsigned ss_wheel_advance(ss_wheel_t *w, uint64_t now)
{
	unsigned fired = 0;

	while (w->now < now) {
		uint64_t tick = w->pending ? wheel_next_event(w) : UINT64_MAX;
		if (tick > now) {
			w->now = now;
			break;
		}
		w->now = tick;
		if (!(tick & WHEEL_MASK))
			wheel_cascade(w);
		fired += wheel_run_tick(w);
	}
	return fired;
}

int64_t ss_wheel_next_timeout(const ss_wheel_t *w)
{
	uint64_t tick;

	if (!w->pending)
		return -1;
	tick = wheel_next_event(w);
	if (tick - w->now > (uint64_t)INT64_MAX)
		return INT64_MAX;
	return (int64_t)(tick - w->now);
}

static unsigned purge_list(ss_timer_t **head, const struct ss_module *owner)
{
	ss_timer_t *t, *next;
	unsigned n = 0;

	for (t = *head; t; t = next) {
		next = t->next;
		if (t->owner == owner) {
			timer_unlink(t);
			n++;
		}
	}
	return n;
}

unsigned ss_wheel_purge_owner(ss_wheel_t *w, const struct ss_module *owner)
{
	unsigned level, slot, n = 0;

	for (level = 0; level < SS_WHEEL_LEVELS && w->pending > n; level++)
		for (slot = 0; slot < SS_WHEEL_SLOTS; slot++)
			n += purge_list(&w->slots[level][slot], owner);
	n += purge_list(&w->overflow, owner);
	w->pending -= n;
	return n;
}
