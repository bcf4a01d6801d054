/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of core/loop.c and core/timer.c on real threads: posting (FIFO past
 * the ring), run_on_workers, fd watchers on pipes, timers on running loops,
 * stopping the control loop from another thread, shutdown and restart.
 */
#define _GNU_SOURCE
#include "loop_core.h"
#include "timer_wheel.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sipserver/timer.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A counter that threads bump and the test thread waits on. */
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static unsigned done_count;

static void done_add(unsigned n)
{
	pthread_mutex_lock(&done_lock);
	done_count += n;
	pthread_cond_broadcast(&done_cond);
	pthread_mutex_unlock(&done_lock);
}

/* Waits (on the condition, with a generous deadline so that a bug fails
 * the test instead of hanging it) until the counter reaches n. */
static void done_wait(unsigned n)
{
	struct timespec deadline;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	pthread_mutex_lock(&done_lock);
	while (done_count < n && err == 0)
		err = pthread_cond_timedwait(&done_cond, &done_lock, &deadline);
	pthread_mutex_unlock(&done_lock);
	ck_assert_msg(err == 0, "timed out waiting for %u events", n);
}

/* Checks made on loop threads are counted and asserted by the test thread:
 * Check's assertions belong to the thread running the test. */
static atomic_uint thread_errors;
#define T_CHECK(cond) \
	((cond) ? (void)0 : (void)atomic_fetch_add(&thread_errors, 1))

static void check_thread_errors(void)
{
	ck_assert_uint_eq(atomic_load(&thread_errors), 0);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void start_loops(unsigned workers)
{
	done_count = 0;
	atomic_store(&thread_errors, 0);
	ck_assert_int_eq(ss_loops_start(workers), 0);
}

/* Stats read by the loop itself, after everything posted before. */
static ss_loop_stats_t stats_seen;

static void stats_task(void *arg)
{
	ss_loop_get_stats(ss_loop_current(), &stats_seen);
	done_add(1);
}

static void read_stats(ss_loop_t *loop)
{
	unsigned before = done_count;

	ck_assert_int_eq(ss_loop_post(loop, stats_task, NULL), 0);
	done_wait(before + 1);
}

/* ---- identity of the loops and threads ---- */

static char worker_names[2][16];
static int sigterm_blocked[2];
static ss_loop_t *seen_current[2];

static void identify_task(void *arg)
{
	unsigned i = ss_loop_index(ss_loop_current());
	sigset_t set;

	seen_current[i] = ss_loop_current();
	pthread_getname_np(pthread_self(), worker_names[i],
			   sizeof(worker_names[i]));
	pthread_sigmask(SIG_BLOCK, NULL, &set);
	sigterm_blocked[i] = sigismember(&set, SIGTERM) &&
			     sigismember(&set, SIGINT) &&
			     sigismember(&set, SIGPIPE);
	done_add(1);
}

START_TEST(test_start_identity)
{
	unsigned i;

	start_loops(2);
	ck_assert_uint_eq(ss_loop_count(), 2);
	ck_assert_ptr_nonnull(ss_loop_control());
	ck_assert_ptr_eq(ss_loop_current(), ss_loop_control());
	ck_assert_uint_eq(ss_loop_index(ss_loop_control()), 2);
	ck_assert_ptr_null(ss_loop_worker(2));
	ck_assert_int_eq(ss_loops_start(1), -EALREADY);
	for (i = 0; i < 2; i++) {
		ck_assert_uint_eq(ss_loop_index(ss_loop_worker(i)), i);
		ck_assert_int_eq(
		    ss_loop_post(ss_loop_worker(i), identify_task, NULL), 0);
	}
	done_wait(2);
	ck_assert_str_eq(worker_names[0], "ss-worker-0");
	ck_assert_str_eq(worker_names[1], "ss-worker-1");
	for (i = 0; i < 2; i++) {
		ck_assert_ptr_eq(seen_current[i], ss_loop_worker(i));
		ck_assert_int_eq(sigterm_blocked[i], 1);
	}
	ss_loops_shutdown();
	ck_assert_ptr_null(ss_loop_current());
	ck_assert_ptr_null(ss_loop_control());
	ck_assert_uint_eq(ss_loop_count(), 0);
}
END_TEST

/* ---- posting ---- */

/* Holds a worker inside a task until released, so that posts pile up. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_is_open, gate_entered;

static void gate_task(void *arg)
{
	pthread_mutex_lock(&gate_lock);
	gate_entered = true;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_is_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

static void gate_close_on(ss_loop_t *loop)
{
	gate_is_open = false;
	gate_entered = false;
	ck_assert_int_eq(ss_loop_post(loop, gate_task, NULL), 0);
	pthread_mutex_lock(&gate_lock);
	while (!gate_entered)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
}

static void gate_open(void)
{
	pthread_mutex_lock(&gate_lock);
	gate_is_open = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
}

static unsigned next_seq, seq_errors, wrong_loop;
static ss_loop_t *expect_loop;

static void seq_task(void *arg)
{
	unsigned seq = (unsigned)(uintptr_t)arg;

	seq_errors += seq != next_seq;
	next_seq = seq + 1;
	wrong_loop += ss_loop_current() != expect_loop;
	done_add(1);
}

/* More posts than the ring holds, while the worker cannot drain: the
 * overflow list must keep FIFO order behind the ring. */
START_TEST(test_post_fifo_overflow)
{
	enum { N = 5000 };
	ss_loop_stats_t st;
	unsigned i;

	start_loops(2);
	next_seq = seq_errors = wrong_loop = 0;
	expect_loop = ss_loop_worker(1);
	gate_close_on(expect_loop);
	for (i = 0; i < N; i++)
		ck_assert_int_eq(
		    ss_loop_post(expect_loop, seq_task, (void *)(uintptr_t)i),
		    0);
	gate_open();
	done_wait(N);
	ck_assert_uint_eq(next_seq, N);
	ck_assert_uint_eq(seq_errors, 0);
	ck_assert_uint_eq(wrong_loop, 0);
	read_stats(expect_loop);
	ck_assert_uint_eq(stats_seen.index, 1);
	ck_assert_int_gt(stats_seen.tid, 0);
	ck_assert_int_ne(stats_seen.tid, gettid());
	ck_assert_uint_eq(stats_seen.tasks, N + 1); /* and the gate */
	ss_loop_get_stats(ss_loop_control(), &st);
	ck_assert_int_eq(st.tid, gettid());
	ck_assert_uint_eq(st.index, 2);
	ck_assert_int_eq(ss_loop_post(NULL, seq_task, NULL), -EINVAL);
	ck_assert_int_eq(ss_loop_post(expect_loop, NULL, NULL), -EINVAL);
	ss_loops_shutdown();
}
END_TEST

/* Workers flood the control loop, which counts and then stops itself. */
static atomic_uint control_tasks;

static void control_count_task(void *arg)
{
	ck_assert_ptr_eq(ss_loop_current(), ss_loop_control());
	if (atomic_fetch_add(&control_tasks, 1) + 1 == 2 * 3000)
		ss_loops_request_stop(7);
}

static void flood_control_task(void *arg)
{
	unsigned i;

	for (i = 0; i < 3000; i++)
		T_CHECK(ss_loop_post(ss_loop_control(), control_count_task,
				     NULL) == 0);
}

START_TEST(test_post_to_control)
{
	start_loops(2);
	atomic_store(&control_tasks, 0);
	ss_loop_post(ss_loop_worker(0), flood_control_task, NULL);
	ss_loop_post(ss_loop_worker(1), flood_control_task, NULL);
	ck_assert_int_eq(ss_loop_control_run(), 7);
	ck_assert_uint_eq(atomic_load(&control_tasks), 6000);
	ss_loops_shutdown();
}
END_TEST

/* ---- run_on_workers, purge ---- */

static unsigned ran_on[3];
static pthread_t ran_thread[3];

static void record_worker(void *arg)
{
	unsigned i = ss_loop_index(ss_loop_current());

	ran_on[i]++;
	ran_thread[i] = pthread_self();
	*(unsigned *)arg += 1;
}

static void run_on_workers_task(void *arg)
{
	unsigned n = 0;

	ss_loop_run_on_workers(record_worker, &n);
	ck_assert_uint_eq(n, 2);
	ss_loops_request_stop(5);
}

START_TEST(test_run_on_workers)
{
	unsigned n = 0;

	start_loops(2);
	memset(ran_on, 0, sizeof(ran_on));
	ss_loop_run_on_workers(record_worker, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(ran_on[0], 1);
	ck_assert_uint_eq(ran_on[1], 1);
	ck_assert_uint_eq(ran_on[2], 0);
	ck_assert(!pthread_equal(ran_thread[0], pthread_self()));
	ck_assert(!pthread_equal(ran_thread[0], ran_thread[1]));
	/* again, from inside the running control loop */
	ss_loop_post(ss_loop_control(), run_on_workers_task, NULL);
	ck_assert_int_eq(ss_loop_control_run(), 5);
	ck_assert_uint_eq(ran_on[0], 2);
	ck_assert_uint_eq(ran_on[1], 2);
	ss_loops_shutdown();
}
END_TEST

static const struct ss_module *const owner_x = (const void *)&owner_x;
static ss_timer_t purge_timers[2][4];
static atomic_uint purged_fired;

static void purged_cb(ss_timer_t *t)
{
	atomic_fetch_add(&purged_fired, 1);
}

/* Far in the future on purpose: only the purge may take them off the
 * wheel, however slowly the test runs. The last one is owner-less. */
static void arm_purge_timers(void *arg)
{
	static const uint64_t delays[4] = {100000, 7200000, UINT64_C(1) << 40,
					   100000};
	unsigned i, w = ss_loop_index(ss_loop_current());

	for (i = 0; i < 4; i++) {
		ss_timer_init(&purge_timers[w][i], i < 3 ? owner_x : NULL,
			      purged_cb, NULL);
		ss_timer_start(&purge_timers[w][i], delays[i]);
	}
	done_add(1);
}

START_TEST(test_purge_timers)
{
	ss_timer_t mine;
	unsigned w, i;

	start_loops(2);
	atomic_store(&purged_fired, 0);
	ss_loop_post(ss_loop_worker(0), arm_purge_timers, NULL);
	ss_loop_post(ss_loop_worker(1), arm_purge_timers, NULL);
	ss_timer_init(&mine, owner_x, purged_cb, NULL);
	ss_timer_start(&mine, 100000);
	done_wait(2);
	read_stats(ss_loop_worker(1));
	ck_assert_uint_eq(stats_seen.timers_pending, 4);
	ss_loops_purge_timers(owner_x);
	ck_assert(!ss_timer_pending(&mine));
	/* run_on_workers has synchronized with the workers' purge */
	for (w = 0; w < 2; w++)
		for (i = 0; i < 4; i++)
			ck_assert(ss_timer_pending(&purge_timers[w][i]) ==
				  (i == 3));
	read_stats(ss_loop_worker(1));
	ck_assert_uint_eq(stats_seen.timers_pending, 1);
	ck_assert_uint_eq(atomic_load(&purged_fired), 0);
	ss_loops_shutdown();
	for (w = 0; w < 2; w++)
		ck_assert(!ss_timer_pending(&purge_timers[w][3]));
}
END_TEST

/* ---- fd watchers ---- */

typedef struct pipe_io {
	ss_io_t io, extra;
	int fds[2];
	char got[16];
	struct pipe_io *peer;
	unsigned calls;
} pipe_io_t;

static pipe_io_t pio;

/* First call: the data. Second: the writer hung up, which reports an
 * error along with the wanted direction, and read() meets EOF. */
static void pipe_read_cb(ss_io_t *io, unsigned events)
{
	pipe_io_t *p = io->arg;
	ssize_t n;

	T_CHECK(io->loop == ss_loop_worker(0));
	T_CHECK(events & SS_IO_READ);
	n = read(p->fds[0], p->got, sizeof(p->got) - 1);
	if (p->calls++ == 0) {
		T_CHECK(n > 0 && !(events & SS_IO_ERROR));
		p->got[n > 0 ? n : 0] = '\0';
	} else {
		T_CHECK(n == 0 && (events & SS_IO_ERROR));
		ss_io_stop(io);
		ss_io_stop(io); /* idempotent */
	}
	done_add(1);
}

static void watch_pipe_task(void *arg)
{
	pipe_io_t *p = arg;

	T_CHECK(ss_io_start(&p->io, p->fds[0], SS_IO_READ, pipe_read_cb, p) ==
		0);
	/* the same fd twice is refused */
	T_CHECK(ss_io_start(&p->extra, p->fds[0], SS_IO_READ, pipe_read_cb,
			    p) == -EEXIST);
	done_add(1);
}

START_TEST(test_io_pipe)
{
	start_loops(2);
	memset(&pio, 0, sizeof(pio));
	ck_assert_int_eq(pipe(pio.fds), 0);
	ss_loop_post(ss_loop_worker(0), watch_pipe_task, &pio);
	done_wait(1);
	read_stats(ss_loop_worker(0));
	ck_assert_uint_eq(stats_seen.ios, 1);
	ck_assert_int_eq(write(pio.fds[1], "hello", 5), 5);
	done_wait(3);
	ck_assert_str_eq(pio.got, "hello");
	close(pio.fds[1]);
	done_wait(4);
	ck_assert_uint_eq(pio.calls, 2);
	read_stats(ss_loop_worker(0));
	ck_assert_uint_eq(stats_seen.ios, 0);
	ck_assert_uint_ge(stats_seen.events, 2);
	/* the test thread is the control loop's */
	ck_assert_int_eq(
	    ss_io_start(&pio.io, -1, SS_IO_READ, pipe_read_cb, &pio), -EINVAL);
	close(pio.fds[0]);
	ss_loops_shutdown();
}
END_TEST

/*
 * Two watchers ready in the same epoll batch; whichever runs first stops
 * and frees the other. The other's queued event must not be delivered
 * (ASan reports the use after free if it is).
 */
static atomic_uint batch_calls;

static void batch_cb(ss_io_t *io, unsigned events)
{
	pipe_io_t *p = io->arg, *peer = p->peer;

	atomic_fetch_add(&batch_calls, 1);
	ss_io_stop(&peer->io);
	close(peer->fds[0]);
	close(peer->fds[1]);
	free(peer);
	ss_io_stop(io);
	close(p->fds[0]);
	close(p->fds[1]);
	free(p);
	done_add(1);
}

static void same_batch_task(void *arg)
{
	pipe_io_t *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	T_CHECK(a && b && pipe(a->fds) == 0 && pipe(b->fds) == 0);
	a->peer = b;
	b->peer = a;
	/* both readable before the loop next polls */
	T_CHECK(write(a->fds[1], "a", 1) == 1);
	T_CHECK(write(b->fds[1], "b", 1) == 1);
	T_CHECK(ss_io_start(&a->io, a->fds[0], SS_IO_READ, batch_cb, a) == 0);
	T_CHECK(ss_io_start(&b->io, b->fds[0], SS_IO_READ, batch_cb, b) == 0);
}

static void flush_task(void *arg)
{
	done_add(1);
}

START_TEST(test_io_stopped_in_batch)
{
	start_loops(1);
	atomic_store(&batch_calls, 0);
	ss_loop_post(ss_loop_worker(0), same_batch_task, NULL);
	done_wait(1);
	/* a full iteration later: nothing else was delivered */
	ss_loop_post(ss_loop_worker(0), flush_task, NULL);
	done_wait(2);
	ck_assert_uint_eq(atomic_load(&batch_calls), 1);
	ss_loops_shutdown();
}
END_TEST

/* ---- timers on running loops ---- */

typedef struct rt_timer {
	ss_timer_t t;
	uint64_t started, delay, fired_at;
	unsigned order;
} rt_timer_t;

static rt_timer_t rts[4];
static atomic_uint rt_order;

static void rt_cb(ss_timer_t *t)
{
	rt_timer_t *r = t->arg;

	T_CHECK(t->loop == ss_loop_current());
	r->fired_at = mono_ms();
	r->order = atomic_fetch_add(&rt_order, 1);
	if (r == &rts[3]) {
		ss_loops_request_stop(3);
		return;
	}
	done_add(1);
}

static void arm_rt_timers(void *arg)
{
	static const uint64_t delays[3] = {40, 5, 20};
	unsigned i;

	/* "now" for a timer is the loop's cached time, which never runs
	 * ahead of the clock: fired_at >= started + delay must hold. */
	for (i = 0; i < 3; i++) {
		ss_timer_init(&rts[i].t, NULL, rt_cb, &rts[i]);
		rts[i].delay = delays[i];
		rts[i].started = ss_loop_now_ms(ss_loop_current());
		ss_timer_start(&rts[i].t, delays[i]);
		T_CHECK(ss_timer_pending(&rts[i].t));
	}
	/* restarting moves a pending timer */
	ss_timer_start(&rts[2].t, 25);
	rts[2].delay = 25;
}

START_TEST(test_timers_on_worker)
{
	unsigned i;

	start_loops(2);
	atomic_store(&rt_order, 0);
	ss_loop_post(ss_loop_worker(1), arm_rt_timers, NULL);
	done_wait(3);
	ck_assert_uint_eq(rts[1].order, 0);
	ck_assert_uint_eq(rts[2].order, 1);
	ck_assert_uint_eq(rts[0].order, 2);
	for (i = 0; i < 3; i++)
		ck_assert_uint_ge(rts[i].fired_at,
				  rts[i].started + rts[i].delay);
	ss_loops_shutdown();
}
END_TEST

/* A timer started on the control loop before it runs (as a module does at
 * load time) counts from the real time, not from when the loop was made. */
START_TEST(test_timer_on_control)
{
	start_loops(1);
	atomic_store(&rt_order, 0);
	ss_timer_init(&rts[3].t, NULL, rt_cb, &rts[3]);
	rts[3].started = mono_ms();
	ss_timer_start(&rts[3].t, 30);
	ss_timer_stop(&rts[3].t);
	ck_assert(!ss_timer_pending(&rts[3].t));
	ss_timer_start(&rts[3].t, 30);
	ck_assert_int_eq(ss_loop_control_run(), 3);
	ck_assert_uint_ge(rts[3].fired_at, rts[3].started + 30);
	ss_loops_shutdown();
}
END_TEST

/* ---- stopping ---- */

static void *stopper_main(void *arg)
{
	ss_loops_request_stop(42);
	return NULL;
}

START_TEST(test_request_stop_from_thread)
{
	pthread_t th;

	start_loops(2);
	ck_assert_int_eq(pthread_create(&th, NULL, stopper_main, NULL), 0);
	ck_assert_int_eq(ss_loop_control_run(), 42);
	pthread_join(th, NULL);
	/* the request is consumed: the loop can run again */
	ck_assert_int_eq(pthread_create(&th, NULL, stopper_main, NULL), 0);
	ck_assert_int_eq(ss_loop_control_run(), 42);
	pthread_join(th, NULL);
	ss_loops_shutdown();
}
END_TEST

/* Tasks still queued at shutdown run (and free what they own), including
 * those they post themselves; pending timers are left idle. */
static unsigned drained;

static void drained_task(void *arg)
{
	free(arg);
	drained++;
	if (drained == 1)
		ss_loop_post(ss_loop_worker(0), drained_task, malloc(8));
}

START_TEST(test_shutdown_drains)
{
	ss_timer_t idle;
	unsigned i;

	start_loops(1);
	drained = 0;
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(
		    ss_loop_post(ss_loop_control(), drained_task, malloc(16)),
		    0);
	ss_timer_init(&idle, NULL, purged_cb, NULL);
	ss_timer_start(&idle, 100000);
	ss_loops_shutdown();
	ck_assert_uint_eq(drained, 11);
	ck_assert(!ss_timer_pending(&idle));
	ss_timer_stop(&idle);
	/* and the loops start again */
	start_loops(1);
	ck_assert_int_eq(ss_loop_post(ss_loop_worker(0), flush_task, NULL), 0);
	done_wait(1);
	ss_loops_shutdown();
}
END_TEST

static Suite *loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, NULL, check_thread_errors);
	tcase_add_test(tc, test_start_identity);
	tcase_add_test(tc, test_post_fifo_overflow);
	tcase_add_test(tc, test_post_to_control);
	tcase_add_test(tc, test_run_on_workers);
	tcase_add_test(tc, test_purge_timers);
	tcase_add_test(tc, test_io_pipe);
	tcase_add_test(tc, test_io_stopped_in_batch);
	tcase_add_test(tc, test_timers_on_worker);
	tcase_add_test(tc, test_timer_on_control);
	tcase_add_test(tc, test_request_stop_from_thread);
	tcase_add_test(tc, test_shutdown_drains);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loop_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
