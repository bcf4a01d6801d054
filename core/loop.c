/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Event loops: the control loop on the main thread and one thread per
 * worker loop, each an epoll set with a timer wheel and a task queue that
 * other threads post into through an eventfd. Also the fd watchers (ss_io_*).
 */
#define _GNU_SOURCE
#include "loop_core.h"
#include "timer_wheel.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sipserver/log.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS	 64
#define LOOP_RING_SIZE	 1024u /* power of two */
#define LOOP_TASK_BATCH	 64u   /* tasks copied out per hold of the queue lock */
#define LOOP_TASK_BUDGET 1024u /* tasks per iteration before polling again */
#define LOOP_MAX_WORKERS 1024u

/* A queued task outside the ring: heap nodes when the ring is full, or
 * nodes embedded in the loop for the core's own messages (never fail). */
typedef struct loop_task {
	struct loop_task *next;
	ss_task_fn fn;
	void *arg;
	bool heap;
} loop_task_t;

typedef struct loop_slot {
	ss_task_fn fn;
	void *arg;
} loop_slot_t;

struct ss_loop {
	/* Owner-thread state. */
	int epfd;
	int evfd; /* immutable: written by posters, read by the owner */
	unsigned index;
	bool stop;
	bool tasks_more;  /* queue may be non-empty: poll without blocking */
	bool self_posted; /* the owner queued a task since the last run */
	int batch_pos, batch_n; /* epoll batch being dispatched */
	uint64_t last_end_ms;
	ss_io_t wake_io;
	ss_wheel_t wheel;
	pthread_t thread;
	loop_task_t stop_task, sync_task;
	struct epoll_event events[LOOP_MAX_EVENTS];

	/* Written by the owner only (single writer), read by anyone. */
	atomic_bool running; /* inside its run function: now_ms is fresh */
	_Atomic uint64_t now_ms;
	_Atomic int tid;
	_Atomic uint64_t st_events, st_tasks, st_timers_fired, st_busy_us;
	_Atomic unsigned st_timers_pending, st_ios;

	/* Producer side, on its own cache lines: every posting thread. */
	_Alignas(64) pthread_mutex_t qlock;
	bool wake_pending; /* an eventfd write is outstanding */
	unsigned ring_head, ring_count;
	loop_task_t *ovf_head, **ovf_tail;
	loop_slot_t ring[LOOP_RING_SIZE];
};

/*
 * The set of loops. Written by the main thread in ss_loops_start before any
 * worker exists and in ss_loops_shutdown after all are joined, read-only in
 * between: thread creation and join order the accesses.
 */
static ss_loop_t *control_loop;
static ss_loop_t **worker_loops;
static unsigned worker_count;
static bool workers_running;
static __thread ss_loop_t *tls_loop;

/* Stop request: set from any thread or a signal handler (lock-free atomics
 * and write(2) only), consumed by ss_loop_control_run. */
static atomic_bool stop_requested;
static atomic_int stop_status;
static atomic_int control_evfd = -1;

/* The rendezvous of ss_loop_run_on_workers; `call` admits one caller at a
 * time, as the task nodes it posts are embedded in the loops. */
static pthread_mutex_t loop_sync_call = PTHREAD_MUTEX_INITIALIZER;
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned left;
	ss_task_fn fn;
	void *arg;
} loop_sync = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL,
	       NULL};

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Single-writer counter update: a plain load and store, no locked RMW. */
static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void stat_set_u(_Atomic unsigned *c, unsigned v)
{
	atomic_store_explicit(c, v, memory_order_relaxed);
}

static unsigned stat_get_u(_Atomic unsigned *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static void loop_wake(ss_loop_t *loop)
{
	uint64_t one = 1;

	while (write(loop->evfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* ---- fd watchers ---- */

static uint32_t io_epoll_mask(unsigned events)
{
	uint32_t m = 0;

	if (events & SS_IO_READ)
		m |= EPOLLIN;
	if (events & SS_IO_WRITE)
		m |= EPOLLOUT;
	return m;
}

static int io_add(ss_loop_t *loop, ss_io_t *io, int fd, unsigned events,
		  ss_io_cb cb, void *arg)
{
	struct epoll_event ev = {.events = io_epoll_mask(events),
				 .data.ptr = io};

	io->fd = fd;
	io->events = events;
	io->cb = cb;
	io->arg = arg;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		io->loop = NULL;
		return -errno;
	}
	io->loop = loop;
	return 0;
}

int ss_io_start(ss_io_t *io, int fd, unsigned events, ss_io_cb cb, void *arg)
{
	ss_loop_t *loop = tls_loop;
	int err;

	if (!loop || fd < 0 || !cb)
		return -EINVAL;
	err = io_add(loop, io, fd, events, cb, arg);
	if (err == 0)
		stat_set_u(&loop->st_ios, stat_get_u(&loop->st_ios) + 1);
	return err;
}

int ss_io_modify(ss_io_t *io, unsigned events)
{
	struct epoll_event ev = {.events = io_epoll_mask(events),
				 .data.ptr = io};

	if (!io->loop)
		return -EINVAL;
	assert(io->loop == tls_loop);
	if (epoll_ctl(io->loop->epfd, EPOLL_CTL_MOD, io->fd, &ev) < 0)
		return -errno;
	io->events = events;
	return 0;
}

/*
 * Besides leaving the epoll set, the watcher is struck out of the batch being
 * dispatched: an earlier callback of the same batch may stop it and free its
 * owner, and the events still queued for it would reach freed memory.
 */
void ss_io_stop(ss_io_t *io)
{
	ss_loop_t *loop = io->loop;
	int i;

	if (!loop)
		return;
	assert(loop == tls_loop);
	/* ENOENT/EBADF: already gone with a closed fd; nothing to undo. */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	for (i = loop->batch_pos; i < loop->batch_n; i++)
		if (loop->events[i].data.ptr == io)
			loop->events[i].data.ptr = NULL;
	io->loop = NULL;
	stat_set_u(&loop->st_ios, stat_get_u(&loop->st_ios) - 1);
}

static void loop_dispatch(ss_loop_t *loop)
{
	while (loop->batch_pos < loop->batch_n) {
		const struct epoll_event *ev = &loop->events[loop->batch_pos++];
		ss_io_t *io = ev->data.ptr;
		unsigned mask = 0;

		if (!io)
			continue;
		if (ev->events & EPOLLIN)
			mask |= SS_IO_READ;
		if (ev->events & EPOLLOUT)
			mask |= SS_IO_WRITE;
		/* Report the wanted directions too, so that a reader that
		 * only checks SS_IO_READ still reads and meets EOF or the
		 * error. */
		if (ev->events & (EPOLLERR | EPOLLHUP))
			mask |= SS_IO_ERROR |
				(io->events & (SS_IO_READ | SS_IO_WRITE));
		io->cb(io, mask);
	}
	loop->batch_n = 0;
	loop->batch_pos = 0;
}

/* ---- task queue ---- */

/* Appends a caller-owned or heap node; qlock held. */
static void queue_append_locked(ss_loop_t *loop, loop_task_t *node)
{
	node->next = NULL;
	*loop->ovf_tail = node;
	loop->ovf_tail = &node->next;
}

static bool queue_signal_locked(ss_loop_t *loop)
{
	bool wake = !loop->wake_pending;

	loop->wake_pending = true;
	return wake;
}

/*
 * The ring keeps posting allocation-free while the owner keeps up. When it
 * is full, tasks go to a linked list of heap nodes, and keep going there
 * until the owner takes the list: every ring entry is then older than every
 * list node, and the owner runs the ring first, so order is FIFO overall.
 */
int ss_loop_post(ss_loop_t *to, ss_task_fn fn, void *arg)
{
	bool self = to == tls_loop;
	bool wake;

	if (!to || !fn)
		return -EINVAL;
	pthread_mutex_lock(&to->qlock);
	if (!to->ovf_head && to->ring_count < LOOP_RING_SIZE) {
		loop_slot_t *slot = &to->ring[(to->ring_head + to->ring_count) &
					      (LOOP_RING_SIZE - 1)];
		slot->fn = fn;
		slot->arg = arg;
		to->ring_count++;
	} else {
		loop_task_t *node = malloc(sizeof(*node));

		if (!node) {
			pthread_mutex_unlock(&to->qlock);
			return -ENOMEM;
		}
		node->fn = fn;
		node->arg = arg;
		node->heap = true;
		queue_append_locked(to, node);
	}
	wake = !self && queue_signal_locked(to);
	pthread_mutex_unlock(&to->qlock);
	if (self) {
		/* The owner runs its queue before it next blocks in epoll_wait
		 * (see tasks_more): no eventfd round trip to itself. */
		to->self_posted = true;
		to->tasks_more = true;
	} else if (wake) {
		loop_wake(to);
	}
	return 0;
}

/* Queues an embedded node; cannot fail. */
static void loop_post_node(ss_loop_t *to, loop_task_t *node, ss_task_fn fn,
			   void *arg)
{
	bool wake;

	node->fn = fn;
	node->arg = arg;
	node->heap = false;
	pthread_mutex_lock(&to->qlock);
	queue_append_locked(to, node);
	wake = queue_signal_locked(to);
	pthread_mutex_unlock(&to->qlock);
	if (wake)
		loop_wake(to);
}

/* Runs a detached list; a node is read before its task runs, since the task
 * may reuse (embedded) or must not see (heap) it afterwards. */
static unsigned run_task_list(loop_task_t *node)
{
	loop_task_t *next;
	unsigned n = 0;

	for (; node; node = next, n++) {
		ss_task_fn fn = node->fn;
		void *arg = node->arg;

		next = node->next;
		if (node->heap)
			free(node);
		fn(arg);
	}
	return n;
}

/*
 * Takes tasks under the lock in batches and runs them unlocked, up to a
 * budget so that a flood of posts cannot starve the loop's sockets; leftovers
 * make the next poll non-blocking. wake_pending is cleared under the lock
 * before looking at the queue, so a post that finds it set is always seen.
 */
static unsigned loop_run_tasks(ss_loop_t *loop)
{
	loop_slot_t batch[LOOP_TASK_BATCH];
	unsigned i, ran = 0;
	bool left;

	loop->self_posted = false;
	do {
		loop_task_t *list = NULL;
		unsigned n = 0;

		pthread_mutex_lock(&loop->qlock);
		loop->wake_pending = false;
		for (; n < LOOP_TASK_BATCH && loop->ring_count; n++) {
			batch[n] = loop->ring[loop->ring_head];
			loop->ring_head =
			    (loop->ring_head + 1) & (LOOP_RING_SIZE - 1);
			loop->ring_count--;
		}
		if (!loop->ring_count && loop->ovf_head) {
			list = loop->ovf_head;
			loop->ovf_head = NULL;
			loop->ovf_tail = &loop->ovf_head;
		}
		left = loop->ring_count || loop->ovf_head;
		pthread_mutex_unlock(&loop->qlock);
		for (i = 0; i < n; i++)
			batch[i].fn(batch[i].arg);
		n += run_task_list(list);
		/* counted per batch: a task sees all the earlier ones */
		stat_add(&loop->st_tasks, n);
		ran += n;
	} while (left && ran < LOOP_TASK_BUDGET);
	/* A task may have posted to this loop after `left` was taken. */
	loop->tasks_more = left || loop->self_posted;
	return ran;
}

static void loop_wake_cb(ss_io_t *io, unsigned events)
{
	ss_loop_t *loop = io->arg;
	uint64_t v;

	if (read(loop->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		SS_LOG_WARN("loop %u: eventfd read: %s", loop->index,
			    strerror(errno));
	loop->tasks_more = true;
}

/* ---- one loop ---- */

static int loop_poll_timeout(ss_loop_t *loop)
{
	int64_t t;
	uint64_t late;

	if (loop->tasks_more || loop->stop)
		return 0;
	t = ss_wheel_next_timeout(&loop->wheel);
	if (t < 0)
		return -1;
	/* The wheel counts from where it was last advanced (the start of
	 * the iteration, or of the loop: the control loop may have been
	 * created long before it runs); time has passed since. */
	late = loop->last_end_ms - loop->wheel.now;
	if ((uint64_t)t <= late)
		return 0;
	t -= (int64_t)late;
	return t > INT_MAX ? INT_MAX : (int)t;
}

static void loop_iterate(ss_loop_t *loop)
{
	uint64_t start, end, now;
	unsigned fired;
	int n;

	n = epoll_wait(loop->epfd, loop->events, LOOP_MAX_EVENTS,
		       loop_poll_timeout(loop));
	if (n < 0) {
		if (errno != EINTR)
			SS_LOG_ERR("loop %u: epoll_wait: %s", loop->index,
				   strerror(errno));
		n = 0;
	}
	start = clock_ns();
	now = start / 1000000u;
	atomic_store_explicit(&loop->now_ms, now, memory_order_relaxed);
	loop->batch_n = n;
	loop->batch_pos = 0;
	stat_add(&loop->st_events, (uint64_t)n);

	fired = ss_wheel_advance(&loop->wheel, now);
	stat_add(&loop->st_timers_fired, fired);
	loop_dispatch(loop);
	if (loop->tasks_more)
		loop_run_tasks(loop);

	end = clock_ns();
	loop->last_end_ms = end / 1000000u;
	stat_add(&loop->st_busy_us, (end - start) / 1000u);
	stat_set_u(&loop->st_timers_pending, loop->wheel.pending);
}

static void loop_free(ss_loop_t *loop)
{
	if (!loop)
		return;
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->evfd >= 0)
		close(loop->evfd);
	pthread_mutex_destroy(&loop->qlock);
	free(loop);
}

static ss_loop_t *loop_new(unsigned index)
{
	ss_loop_t *loop;
	uint64_t now = clock_ns() / 1000000u;
	void *mem;

	if (posix_memalign(&mem, 64, sizeof(*loop)))
		return NULL;
	loop = memset(mem, 0, sizeof(*loop));
	loop->index = index;
	loop->evfd = -1;
	loop->ovf_tail = &loop->ovf_head;
	pthread_mutex_init(&loop->qlock, NULL);
	atomic_store(&loop->now_ms, now);
	loop->last_end_ms = now;
	ss_wheel_init(&loop->wheel, now);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		goto fail;
	loop->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->evfd < 0)
		goto fail;
	if (io_add(loop, &loop->wake_io, loop->evfd, SS_IO_READ, loop_wake_cb,
		   loop) < 0)
		goto fail;
	return loop;
fail:
	SS_LOG_ERR("loop %u: cannot create: %s", index, strerror(errno));
	loop_free(loop);
	return NULL;
}

static void detach_list(ss_wheel_t *w, ss_timer_t **head)
{
	while (*head)
		ss_wheel_del(w, *head);
}

/*
 * Timers still pending when a loop goes away are unlinked, so that an owner
 * stopping its timer later finds it idle instead of reaching freed memory.
 */
static void loop_detach_timers(ss_loop_t *loop)
{
	ss_wheel_t *w = &loop->wheel;
	unsigned level, slot;

	for (level = 0; level < SS_WHEEL_LEVELS; level++)
		for (slot = 0; slot < SS_WHEEL_SLOTS; slot++)
			detach_list(w, &w->slots[level][slot]);
	detach_list(w, &w->overflow);
}

/* Iterates until the loop's stop flag, or *global_stop, is set. */
static void loop_run(ss_loop_t *loop, atomic_bool *global_stop)
{
	loop->last_end_ms = clock_ns() / 1000000u;
	atomic_store_explicit(&loop->running, true, memory_order_relaxed);
	while (!loop->stop &&
	       !(global_stop &&
		 atomic_load_explicit(global_stop, memory_order_acquire)))
		loop_iterate(loop);
	atomic_store_explicit(&loop->running, false, memory_order_relaxed);
}

/*
 * glibc gives each thread its own malloc arena and grows it with one
 * mprotect(2) per page it needs, never more: a worker whose live memory
 * grows (transactions waiting out Timer J, bindings, the database's page
 * cache) pays a system call per 4 KiB of growth. Allocating and freeing
 * LOOP_ARENA_RESERVE once at start makes the arena's heap writable that
 * far for good; freeing returns the pages themselves (the heap is trimmed
 * with MADV_DONTNEED), so this costs address space, not memory. Other
 * allocators just see a few allocations come and go.
 *
 * The size: a worker answering 1,000 REGISTERs/s keeps 32,000 completed
 * transactions through Timer J (about 1 KiB each) plus new bindings, some
 * 40 MiB; at 4 MiB, the growth to that steady state made a registration
 * storm spend a twentieth of its CPU in mprotect. glibc's arena heaps
 * stop at 64 MiB (then another heap is mapped), so the reserve stays
 * below that.
 */
#define LOOP_ARENA_CHUNK   (32u << 10) /* under every mmap threshold */
#define LOOP_ARENA_RESERVE (48u << 20)

static void loop_arena_reserve(void)
{
	void *chunks[LOOP_ARENA_RESERVE / LOOP_ARENA_CHUNK];
	size_t i, n = 0;

	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		chunks[n] = malloc(LOOP_ARENA_CHUNK);
		if (chunks[n])
			n++;
	}
	while (n)
		free(chunks[--n]);
}

static void *worker_main(void *arg)
{
	ss_loop_t *loop = arg;
	char name[16];

	tls_loop = loop;
	atomic_store(&loop->tid, (int)syscall(SYS_gettid));
	snprintf(name, sizeof(name), "ss-worker-%u", loop->index);
	pthread_setname_np(pthread_self(), name);
	loop_arena_reserve();
	loop_run(loop, NULL);
	tls_loop = NULL;
	return NULL;
}

static void worker_stop_task(void *arg)
{
	ss_loop_t *loop = arg;

	loop->stop = true;
}

/* Stops and joins workers [0, started). */
static void loops_stop_workers(unsigned started)
{
	unsigned i;

	for (i = 0; i < started; i++)
		loop_post_node(worker_loops[i], &worker_loops[i]->stop_task,
			       worker_stop_task, worker_loops[i]);
	for (i = 0; i < started; i++)
		pthread_join(worker_loops[i]->thread, NULL);
	workers_running = false;
}

/*
 * With every worker joined, runs what is still queued on each loop from the
 * main thread, posing as that loop, so that messages posted before shutdown
 * are released rather than leaked. Tasks may post more; passes repeat until
 * all queues are empty.
 */
static void loops_drain(void)
{
	unsigned i, pass;

	for (pass = 0; pass < 64; pass++) {
		unsigned ran = 0;

		for (i = 0; i <= worker_count; i++) {
			ss_loop_t *loop =
			    i < worker_count ? worker_loops[i] : control_loop;

			if (!loop)
				continue;
			tls_loop = loop;
			while (loop_run_tasks(loop))
				ran++;
		}
		if (!ran)
			break;
	}
	tls_loop = NULL;
}

static void loops_free_all(void)
{
	unsigned i;
	ss_loop_t *loop;

	for (i = 0; i <= worker_count; i++) {
		loop = i < worker_count ? worker_loops[i] : control_loop;
		if (!loop)
			continue;
		loop_detach_timers(loop);
		pthread_mutex_lock(&loop->qlock);
		loop->ring_count = 0;
		while (loop->ovf_head) {
			loop_task_t *node = loop->ovf_head;

			loop->ovf_head = node->next;
			if (node->heap)
				free(node);
		}
		pthread_mutex_unlock(&loop->qlock);
		loop_free(loop);
	}
	free(worker_loops);
	worker_loops = NULL;
	control_loop = NULL;
	worker_count = 0;
}

/* Creates the worker threads with the process signals blocked, so that
 * they are delivered to the main thread only. */
static int loops_spawn(unsigned *started)
{
	sigset_t block, old;
	unsigned i;
	int err = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGPIPE);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < worker_count; i++) {
		err = -pthread_create(&worker_loops[i]->thread, NULL,
				      worker_main, worker_loops[i]);
		if (err) {
			SS_LOG_ERR("cannot start worker %u: %s", i,
				   strerror(-err));
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	*started = i;
	return err;
}

int ss_loops_start(unsigned workers)
{
	unsigned i, started = 0;
	int err = -ENOMEM;

	if (control_loop)
		return -EALREADY;
	if (workers > LOOP_MAX_WORKERS)
		return -EINVAL;
	worker_loops = calloc(workers ? workers : 1, sizeof(*worker_loops));
	if (!worker_loops)
		goto fail;
	worker_count = workers;
	control_loop = loop_new(workers);
	if (!control_loop)
		goto fail;
	for (i = 0; i < workers; i++) {
		worker_loops[i] = loop_new(i);
		if (!worker_loops[i])
			goto fail;
	}
	tls_loop = control_loop;
	atomic_store(&control_loop->tid, (int)syscall(SYS_gettid));
	workers_running = true;
	err = loops_spawn(&started);
	if (err)
		goto fail;
	atomic_store(&control_evfd, control_loop->evfd);
	return 0;
fail:
	if (started)
		loops_stop_workers(started);
	workers_running = false;
	tls_loop = NULL;
	if (worker_loops)
		loops_free_all();
	return err;
}

int ss_loop_control_run(void)
{
	ss_loop_t *loop = control_loop;

	if (!loop)
		return -EINVAL;
	assert(tls_loop == loop);
	loop_run(loop, &stop_requested);
	atomic_store(&stop_requested, false);
	return atomic_load(&stop_status);
}

void ss_loops_request_stop(int status)
{
	int saved = errno, fd;
	uint64_t one = 1;

	atomic_store(&stop_status, status);
	atomic_store_explicit(&stop_requested, true, memory_order_release);
	fd = atomic_load(&control_evfd);
	if (fd >= 0) {
		/* Can only fail with EAGAIN, when a wake-up is pending. */
		ssize_t r = write(fd, &one, sizeof(one));

		(void)r;
	}
	errno = saved;
}

void ss_loops_shutdown(void)
{
	if (!control_loop)
		return;
	assert(tls_loop == control_loop);
	atomic_store(&control_evfd, -1);
	if (workers_running)
		loops_stop_workers(worker_count);
	loops_drain();
	loops_free_all();
	tls_loop = NULL;
	atomic_store(&stop_requested, false);
}

/* ---- queries ---- */

ss_loop_t *ss_loop_current(void)
{
	return tls_loop;
}

ss_loop_t *ss_loop_control(void)
{
	return control_loop;
}

unsigned ss_loop_count(void)
{
	return worker_count;
}

ss_loop_t *ss_loop_worker(unsigned i)
{
	return i < worker_count ? worker_loops[i] : NULL;
}

unsigned ss_loop_index(const ss_loop_t *loop)
{
	return loop->index;
}

/*
 * The iteration's cached time on a running loop. A loop not running yet
 * (the control loop while the server starts) has no iteration to cache
 * from, and a stale value would make timers started then fire early.
 */
uint64_t ss_loop_now_ms(const ss_loop_t *loop)
{
	if (!loop ||
	    !atomic_load_explicit(&loop->running, memory_order_relaxed))
		return clock_ns() / 1000000u;
	return atomic_load_explicit(&loop->now_ms, memory_order_relaxed);
}

struct ss_wheel *ss_loop_wheel(ss_loop_t *loop)
{
	return &loop->wheel;
}

/* ---- cross-loop operations ---- */

static void loop_sync_task(void *arg)
{
	pthread_mutex_lock(&loop_sync.lock);
	if (loop_sync.fn)
		loop_sync.fn(loop_sync.arg);
	if (--loop_sync.left == 0)
		pthread_cond_signal(&loop_sync.cond);
	pthread_mutex_unlock(&loop_sync.lock);
}

/*
 * Each worker runs fn from its task queue, that is between two events, so
 * the return also marks a quiescent point. The workers never wait for the
 * control loop, so blocking it here cannot deadlock; a worker calling this
 * would wait for itself, and is refused. The task nodes are embedded in the
 * loops, so this cannot fail. The workers run fn one at a time, under the
 * rendezvous lock.
 */
void ss_loop_run_on_workers(ss_task_fn fn, void *arg)
{
	unsigned i;

	if (!workers_running || !worker_count)
		return;
	if (tls_loop && tls_loop != control_loop) {
		SS_LOG_ERR("run_on_workers called from worker %u",
			   tls_loop->index);
		assert(!"run_on_workers from a worker");
		return;
	}
	pthread_mutex_lock(&loop_sync_call);
	pthread_mutex_lock(&loop_sync.lock);
	loop_sync.fn = fn;
	loop_sync.arg = arg;
	loop_sync.left = worker_count;
	pthread_mutex_unlock(&loop_sync.lock);
	for (i = 0; i < worker_count; i++)
		loop_post_node(worker_loops[i], &worker_loops[i]->sync_task,
			       loop_sync_task, NULL);
	pthread_mutex_lock(&loop_sync.lock);
	while (loop_sync.left)
		pthread_cond_wait(&loop_sync.cond, &loop_sync.lock);
	loop_sync.fn = NULL;
	pthread_mutex_unlock(&loop_sync.lock);
	pthread_mutex_unlock(&loop_sync_call);
}

static void loop_purge_task(void *arg)
{
	ss_wheel_purge_owner(&tls_loop->wheel, arg);
}

void ss_loops_purge_timers(const struct ss_module *owner)
{
	ss_loop_run_on_workers(loop_purge_task, (void *)owner);
	if (control_loop)
		ss_wheel_purge_owner(&control_loop->wheel, owner);
}

void ss_loop_get_stats(ss_loop_t *loop, ss_loop_stats_t *st)
{
	st->index = loop->index;
	st->tid = atomic_load_explicit(&loop->tid, memory_order_relaxed);
	st->events =
	    atomic_load_explicit(&loop->st_events, memory_order_relaxed);
	st->tasks = atomic_load_explicit(&loop->st_tasks, memory_order_relaxed);
	st->timers_fired =
	    atomic_load_explicit(&loop->st_timers_fired, memory_order_relaxed);
	/* the owner sees its wheel; others the copy of the last iteration */
	st->timers_pending = loop == tls_loop
				 ? loop->wheel.pending
				 : stat_get_u(&loop->st_timers_pending);
	st->ios = stat_get_u(&loop->st_ios);
	st->busy_us =
	    atomic_load_explicit(&loop->st_busy_us, memory_order_relaxed);
}
