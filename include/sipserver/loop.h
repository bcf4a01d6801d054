/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Event loops: one epoll loop per worker thread plus the control loop on the
 * main thread (console, config, module load/unload). A loop owns its file
 * watchers, its timer wheel and its task queue; other threads reach it only
 * through ss_loop_post().
 */
#ifndef SIPSERVER_LOOP_H
#define SIPSERVER_LOOP_H

#include <stdint.h>

typedef struct ss_loop ss_loop_t;
typedef struct ss_io ss_io_t;

enum {
	SS_IO_READ = 1u << 0,
	SS_IO_WRITE = 1u << 1,
	SS_IO_ERROR = 1u << 2, /* reported only: EPOLLERR or EPOLLHUP */
};

typedef void (*ss_io_cb)(ss_io_t *io, unsigned events);

/* A file descriptor watcher, embedded in its owner so starting one never
 * allocates. Fields are private to the loop except fd and arg. */
struct ss_io {
	int fd;
	unsigned events;
	ss_io_cb cb;
	void *arg;
	ss_loop_t *loop;
};

/* Starts watching fd on the calling thread's loop. Returns 0 or -errno. */
int ss_io_start(ss_io_t *io, int fd, unsigned events, ss_io_cb cb, void *arg);
/* Changes the event mask of a started watcher. Owning loop only. */
int ss_io_modify(ss_io_t *io, unsigned events);
/* Stops watching; does not close the fd. Idempotent. Owning loop only. */
void ss_io_stop(ss_io_t *io);

/* The loop of the calling thread, or NULL on a thread that has none. */
ss_loop_t *ss_loop_current(void);
/* The control loop (main thread). */
ss_loop_t *ss_loop_control(void);
/* Number of worker loops, and worker i (0 <= i < count). */
unsigned ss_loop_count(void);
ss_loop_t *ss_loop_worker(unsigned i);
/* Worker index of a loop; the control loop answers ss_loop_count(). */
unsigned ss_loop_index(const ss_loop_t *loop);
/* Monotonic milliseconds, cached once per loop iteration. */
uint64_t ss_loop_now_ms(const ss_loop_t *loop);

typedef void (*ss_task_fn)(void *arg);

/* Queues fn(arg) to run on loop `to` (any thread, lock-free for the caller
 * apart from one short queue lock and one eventfd write). Returns 0 or
 * -errno; on failure fn is not called and arg still belongs to the caller. */
int ss_loop_post(ss_loop_t *to, ss_task_fn fn, void *arg);

/* Runs fn(arg) on every worker loop in turn and returns when all have run
 * it. Control loop only (it blocks). When it returns, every worker has also
 * finished whatever event it was handling when called: the core uses this
 * as the quiescent point for unloading code and freeing published tables. */
void ss_loop_run_on_workers(ss_task_fn fn, void *arg);

#endif
