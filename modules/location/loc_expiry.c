/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The expiry sweep: a timer on the control loop that takes bindings whose
 * time has passed out of the table, publishes their events and has their
 * AORs rewritten in the database.
 */
#include "loc_int.h"

/*
 * Why a sweep on one loop and not a timer per binding: see the design
 * comment of loc_table.c. Lookups already hide an expired contact from the
 * second it expires, so the sweep only bounds how long its memory, its row
 * and its "expired" event lag behind: one sweep_interval. The sweep is
 * incremental: each step expires at most LOC_SWEEP_BUDGET bindings, earliest
 * first within each shard, so that a mass expiry (e.g. after a long stop,
 * or a fleet of phones that registered together) is spread over 1 ms steps
 * instead of stalling the control loop; the timer is owned by the control
 * loop, which is the only one that starts and stops it.
 */

static void sweep_cb(ss_timer_t *t)
{
	loc_mod_t *m = t->arg;
	unsigned n = loc_expiry_run(m, loc_now());

	ss_timer_start(t, n == LOC_SWEEP_BUDGET ? 1 : m->sweep_ms);
}

unsigned loc_expiry_run(loc_mod_t *m, uint32_t now)
{
	loc_dead_t dead = {NULL, 0};
	unsigned n = loc_table_expire(m->table, now, LOC_SWEEP_BUDGET, &dead);

	loc_dead_finish(m, &dead, true);
	return n;
}

void loc_expiry_start(loc_mod_t *m)
{
	ss_timer_init(&m->sweep, m->self, sweep_cb, m);
	ss_timer_start(&m->sweep, m->sweep_ms);
}

void loc_expiry_stop(loc_mod_t *m)
{
	ss_timer_stop(&m->sweep);
}
