/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Core-private side of the event loops: start, run, stop, statistics. */
#ifndef SS_CORE_LOOP_CORE_H
#define SS_CORE_LOOP_CORE_H

#include <sipserver/loop.h>
#include <stdint.h>

struct ss_wheel;
struct ss_module;

/* Creates the control loop for the calling (main) thread and starts
 * `workers` worker threads, each running its own loop. 0 or -errno. */
int ss_loops_start(unsigned workers);
/* Runs the control loop on the calling thread until ss_loops_request_stop.
 * Returns the status passed to it. */
int ss_loop_control_run(void);
/* Makes ss_loop_control_run return `status`. Any thread, signal-safe. */
void ss_loops_request_stop(int status);
/* Stops and joins the workers, frees every loop. Main thread. */
void ss_loops_shutdown(void);

/* The timer wheel of a loop (timer.c drives it). */
struct ss_wheel *ss_loop_wheel(ss_loop_t *loop);
/* Stops every pending timer owned by owner on every loop (runs on each
 * worker through ss_loop_run_on_workers, then on the control loop). */
void ss_loops_purge_timers(const struct ss_module *owner);

typedef struct ss_loop_stats {
	unsigned index;	 /* worker index; count for the control loop */
	int tid;	 /* kernel thread id */
	uint64_t events; /* fd events dispatched */
	uint64_t tasks;	 /* posted tasks run */
	uint64_t timers_fired;
	unsigned timers_pending;
	unsigned ios;	  /* fd watchers */
	uint64_t busy_us; /* time spent handling, not waiting */
} ss_loop_stats_t;

/* Snapshot of a loop's counters (read racily; fine for display). */
void ss_loop_get_stats(ss_loop_t *loop, ss_loop_stats_t *st);

#endif
