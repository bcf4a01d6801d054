/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Group commit: every queued AOR change is written in one SQLite
 * transaction per batch, committed, and only then completed on the loop
 * that made it. Batches are written by the loop that queued them at the end
 * of its event, or by the writer thread when that cannot be done there.
 */
#include "loc_int.h"

#include <sipserver/log.h>
#include <sipserver/loop.h>
#include <sipserver/timer.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Design. Worker loops change the table themselves (so lookups see a change
 * at once) and queue only the AOR's name with its completion. Whoever
 * writes a batch snapshots each AOR it dequeues under the shard lock and
 * rewrites its rows; every change queued before the batch was taken is
 * therefore in the snapshot, which is what makes "completion after commit"
 * imply "the change is on disk". While one transaction commits, new
 * requests pile up in the queue and go together into the next (up to
 * LOC_BATCH_MAX): the number of commits adapts to the disk's speed instead
 * of the request rate, and N updates to one AOR in a batch cost one
 * rewrite.
 *
 * Who commits. At synchronous=NORMAL a commit is a few page writes into the
 * page cache, tens of microseconds, cheaper than handing the batch to
 * another thread and its completions back (two thread wakeups, a futex and
 * an eventfd round trip per batch). So a loop that queued requests commits
 * them itself once its event is over (a task it posts to itself, run before
 * it next polls): every request of one receive batch shares a commit, and
 * its own completions run right there. The writer thread takes over
 * whatever may block: synchronous=FULL (an fsync per commit), batches
 * larger than LOC_INLINE_MAX, requests whose caller has no loop (their
 * completion runs on the writer thread), a commit already under way on
 * another thread (the queue then waits for the writer, not for a lock), and
 * WAL checkpoints (they sync the files). The commit lock makes one thread at
 * a time use the connection and the snapshot buffers.
 *
 * Commit window. Committing at the end of each event makes one transaction
 * per REGISTER whenever requests arrive one per wakeup, which is every load
 * short of saturation, and the commit is most of a registration's cost.
 * With a window of d ms (`<database commit_window>`), the first request a
 * loop queues arms that loop's kick timer for d ms and everything queued
 * meanwhile, from any loop, shares the commit it fires: one transaction
 * for rate x d registrations, each 200 OK delayed by at most d. Zero gives
 * the end-of-event kick above.
 */

#define LOC_BATCH_MAX  4096
#define LOC_INLINE_MAX 64

struct loc_wreq {
	loc_wreq_t *next;
	ss_loc_done_fn done;
	void *arg;
	ss_loop_t *loop; /* where done runs; NULL: on the writer thread */
	int result;
	uint32_t hash;
	uint16_t klen;
	char key[];
};

/* The commit-window timer of one loop; only that loop starts or stops it. */
typedef struct loc_kick {
	ss_timer_t timer;
} __attribute__((aligned(64))) loc_kick_t;

struct loc_writer {
	loc_store_t *store;
	loc_table_t *table;
	pthread_t thread;
	unsigned window_ms; /* relaxed atomic; 0: kick at the end of event */
	unsigned nkicks;    /* worker loops + the control loop */
	loc_kick_t *kicks;  /* by ss_loop_index() */
	struct loc_writer *live_next; /* guarded by live_lock */
	/* `lock` guards everything from `wake` down to `st`. */
	pthread_mutex_t lock;
	pthread_cond_t wake; /* work queued, checkpoint due or stop asked */
	pthread_cond_t idle; /* `written` advanced */
	loc_wreq_t *head, **tail;
	uint64_t submitted, written; /* requests queued / completed, ever */
	bool stop;
	bool sleeping;	  /* waiting on `wake` */
	bool ckpt_wanted; /* an inline commit found a checkpoint due */
	loc_writer_stats_t st;
	/* Held while a batch is written or the WAL checkpointed; guards the
	 * connection and everything below. Taken before `lock`, never
	 * while holding it. */
	pthread_mutex_t commit;
	loc_snap_t snap;
	loc_wreq_t **seen;
	unsigned seen_cap;
};

static uint32_t name_hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h;
}

loc_wreq_t *loc_wreq_new(const char *key, size_t klen, ss_loc_done_fn done,
			 void *arg)
{
	loc_wreq_t *r = malloc(sizeof(*r) + klen + 1);

	if (!r)
		return NULL;
	r->next = NULL;
	r->done = done;
	r->arg = arg;
	r->loop = NULL;
	r->result = SS_LOC_OK;
	r->hash = name_hash(key, klen);
	r->klen = (uint16_t)klen;
	memcpy(r->key, key, klen);
	r->key[klen] = '\0';
	return r;
}

void loc_wreq_free(loc_wreq_t *r)
{
	free(r);
}

/* True the first time an AOR shows up in the batch. A set of the batch's
 * requests by name, open addressing; without memory every AOR is written,
 * which is only slower. */
static bool first_in_batch(loc_writer_t *w, loc_wreq_t *r)
{
	unsigned i;

	if (!w->seen)
		return true;
	for (i = r->hash & (w->seen_cap - 1); w->seen[i];
	     i = (i + 1) & (w->seen_cap - 1)) {
		loc_wreq_t *o = w->seen[i];

		if (o->hash == r->hash && o->klen == r->klen &&
		    memcmp(o->key, r->key, r->klen) == 0)
			return false;
	}
	w->seen[i] = r;
	return true;
}

static void seen_reset(loc_writer_t *w, unsigned n)
{
	unsigned cap = 64;

	while (cap < 2 * n)
		cap *= 2;
	if (cap > w->seen_cap) {
		free(w->seen);
		w->seen = malloc(cap * sizeof(*w->seen));
		w->seen_cap = w->seen ? cap : 0;
	}
	if (w->seen)
		memset(w->seen, 0, w->seen_cap * sizeof(*w->seen));
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One transaction for the whole batch. Returns SS_LOC_OK or _E_STORE. */
static int write_batch(loc_writer_t *w, loc_wreq_t *batch, unsigned n)
{
	uint64_t t0 = mono_us(), dt;
	unsigned aors = 0;
	loc_wreq_t *r;
	int err;

	seen_reset(w, n);
	err = loc_store_begin(w->store);
	for (r = batch; r && !err; r = r->next) {
		if (!first_in_batch(w, r))
			continue;
		err = loc_table_snapshot(w->table, r->key, r->klen, loc_now(),
					 &w->snap);
		if (!err)
			err = loc_store_put(w->store, r->key, r->klen,
					    w->snap.rows, w->snap.nrows);
		aors++;
	}
	if (!err)
		err = loc_store_commit(w->store);
	if (err)
		loc_store_rollback(w->store);
	dt = mono_us() - t0;
	pthread_mutex_lock(&w->lock);
	w->st.batches++;
	w->st.requests += n;
	w->st.aors_written += aors;
	if (err)
		w->st.failures++;
	else
		w->st.commits++;
	if (n > w->st.max_batch)
		w->st.max_batch = n;
	w->st.last_commit_us = dt;
	if (dt > w->st.max_commit_us)
		w->st.max_commit_us = dt;
	pthread_mutex_unlock(&w->lock);
	return err ? SS_LOC_E_STORE : SS_LOC_OK;
}

static void complete_task(void *p)
{
	loc_wreq_t *r = p;

	r->done(r->arg, r->result);
	free(r);
}

/* Completions of the calling loop run at once (the commit is over);
 * others are posted to their loops. */
static void complete_batch(loc_wreq_t *batch, int result)
{
	ss_loop_t *here = ss_loop_current();
	loc_wreq_t *r, *next;

	for (r = batch; r; r = next) {
		next = r->next;
		r->result = result;
		if (!r->done) {
			free(r);
		} else if (!r->loop || r->loop == here) {
			complete_task(r);
		} else if (ss_loop_post(r->loop, complete_task, r) < 0) {
			/* Only a loop being torn down refuses a post; its
			 * owner can no longer answer anyway. */
			SS_LOG_WARN("location: completion for %s dropped: "
				    "its loop is gone",
				    r->key);
			free(r);
		}
	}
}

/* Takes up to LOC_BATCH_MAX requests off the queue, oldest first. The cap
 * bounds one transaction's duration, hence the wait of its first request,
 * when a burst (a fleet re-registering after an outage) queues faster than
 * the disk commits; beyond a few thousand rows a bigger batch saves little.
 * Called with the lock held. */
static loc_wreq_t *take_batch(loc_writer_t *w, unsigned *n)
{
	loc_wreq_t *batch = w->head, **pp = &w->head;
	unsigned k = 0;

	while (*pp && k < LOC_BATCH_MAX) {
		pp = &(*pp)->next;
		k++;
	}
	w->head = *pp;
	*pp = NULL;
	if (!w->head)
		w->tail = &w->head;
	w->st.queued -= k;
	*n = k;
	return batch;
}

/* Counts n requests as completed and wakes loc_writer_sync(). */
static void batch_done(loc_writer_t *w, unsigned n)
{
	pthread_mutex_lock(&w->lock);
	w->written += n;
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->lock);
}

/* ---- the writer thread ---- */

static void *writer_main(void *p)
{
	loc_writer_t *w = p;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		loc_wreq_t *batch;
		unsigned n;
		int result = SS_LOC_OK;

		while (!w->head && !w->stop && !w->ckpt_wanted) {
			w->sleeping = true;
			pthread_cond_wait(&w->wake, &w->lock);
			w->sleeping = false;
		}
		if (!w->head && !w->ckpt_wanted)
			break;
		w->ckpt_wanted = false;
		pthread_mutex_unlock(&w->lock);

		pthread_mutex_lock(&w->commit);
		pthread_mutex_lock(&w->lock);
		batch = take_batch(w, &n);
		pthread_mutex_unlock(&w->lock);
		if (batch)
			result = write_batch(w, batch, n);
		if (loc_store_checkpoint_due(w->store))
			loc_store_checkpoint(w->store);
		pthread_mutex_unlock(&w->commit);
		complete_batch(batch, result);
		batch_done(w, n);

		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Caller holds the lock. */
static void wake_locked(loc_writer_t *w)
{
	if (w->sleeping)
		pthread_cond_signal(&w->wake);
}

static void writer_wake(loc_writer_t *w)
{
	pthread_mutex_lock(&w->lock);
	if (w->head)
		wake_locked(w);
	pthread_mutex_unlock(&w->lock);
}

/* ---- commits on the submitting loop ---- */

/*
 * Takes the whole queue when this loop may write it: at most
 * LOC_INLINE_MAX requests, each with a loop to complete on. Called with
 * both locks held.
 */
static loc_wreq_t *take_inline(loc_writer_t *w, unsigned *n)
{
	const loc_wreq_t *r;

	if (w->st.queued > LOC_INLINE_MAX)
		return NULL;
	for (r = w->head; r; r = r->next)
		if (!r->loop)
			return NULL;
	return take_batch(w, n);
}

/* Writes what is queued on the calling loop; false when the writer
 * thread has to (see the design note). */
static bool commit_here(loc_writer_t *w)
{
	loc_wreq_t *batch;
	unsigned n = 0;
	bool ckpt;
	int result;

	if (loc_store_sync_full(w->store) || pthread_mutex_trylock(&w->commit))
		return false;
	pthread_mutex_lock(&w->lock);
	batch = take_inline(w, &n);
	pthread_mutex_unlock(&w->lock);
	if (!batch) {
		pthread_mutex_unlock(&w->commit);
		return false;
	}
	result = write_batch(w, batch, n);
	ckpt = loc_store_checkpoint_due(w->store);
	pthread_mutex_unlock(&w->commit);
	complete_batch(batch, result);
	batch_done(w, n);
	if (ckpt) {
		pthread_mutex_lock(&w->lock);
		w->ckpt_wanted = true;
		wake_locked(w);
		pthread_mutex_unlock(&w->lock);
	}
	return true;
}

/*
 * The kick runs on the submitting loop once its event is over, so that
 * every request of the event shares one commit. A kick may still be queued
 * when its writer stops (a loop that is not running, at shutdown), so it
 * names a writer that it looks up among the live ones before touching it;
 * loc_writer_stop() unlists its writer under the write lock, after any
 * kick at work on it.
 */
static pthread_rwlock_t live_lock = PTHREAD_RWLOCK_INITIALIZER;
static loc_writer_t *live_head; /* guarded by live_lock */
static __thread loc_writer_t *kick_pending;

static void writer_kick(void *arg)
{
	loc_writer_t *w = arg, *x;

	if (kick_pending == w)
		kick_pending = NULL;
	pthread_rwlock_rdlock(&live_lock);
	for (x = live_head; x && x != w; x = x->live_next)
		;
	if (x && !commit_here(w))
		writer_wake(w);
	pthread_rwlock_unlock(&live_lock);
}

/* A loop's commit window is over. loc_writer_stop() stops every window
 * before it frees the writer, so w is alive here. */
static void window_expired(ss_timer_t *t)
{
	loc_writer_t *w = t->arg;

	if (!commit_here(w))
		writer_wake(w);
}

/* Runs on each loop at stop: its window must not fire into freed memory. */
static void window_stop_task(void *arg)
{
	loc_writer_t *w = arg;
	ss_loop_t *loop = ss_loop_current();

	if (loop && ss_loop_index(loop) < w->nkicks)
		ss_timer_stop(&w->kicks[ss_loop_index(loop)].timer);
}

static void live_add(loc_writer_t *w)
{
	pthread_rwlock_wrlock(&live_lock);
	w->live_next = live_head;
	live_head = w;
	pthread_rwlock_unlock(&live_lock);
}

static void live_remove(loc_writer_t *w)
{
	loc_writer_t **pp;

	pthread_rwlock_wrlock(&live_lock);
	for (pp = &live_head; *pp; pp = &(*pp)->live_next) {
		if (*pp == w) {
			*pp = w->live_next;
			break;
		}
	}
	pthread_rwlock_unlock(&live_lock);
	if (kick_pending == w)
		kick_pending = NULL;
}

void loc_writer_submit(loc_writer_t *w, loc_wreq_t *r)
{
	unsigned window;

	r->loop = ss_loop_current();
	pthread_mutex_lock(&w->lock);
	*w->tail = r;
	w->tail = &r->next;
	w->submitted++;
	w->st.queued++;
	pthread_mutex_unlock(&w->lock);
	window = __atomic_load_n(&w->window_ms, __ATOMIC_RELAXED);
	if (window && r->loop && ss_loop_index(r->loop) < w->nkicks) {
		ss_timer_t *t = &w->kicks[ss_loop_index(r->loop)].timer;

		if (!ss_timer_pending(t))
			ss_timer_start(t, window);
		return;
	}
	if (kick_pending == w)
		return;
	if (r->loop && ss_loop_post(r->loop, writer_kick, w) == 0)
		kick_pending = w;
	else
		writer_wake(w);
}

loc_writer_t *loc_writer_start(loc_store_t *store, loc_table_t *table,
			       const struct ss_module *owner,
			       unsigned window_ms)
{
	loc_writer_t *w = calloc(1, sizeof(*w));
	unsigned i;
	int err;

	if (!w)
		return NULL;
	w->store = store;
	w->table = table;
	w->window_ms = window_ms;
	w->nkicks = ss_loop_count() + 1;
	w->kicks =
	    aligned_alloc(_Alignof(loc_kick_t), w->nkicks * sizeof(*w->kicks));
	if (!w->kicks) {
		SS_LOG_ERR("location: out of memory for the writer");
		free(w);
		return NULL;
	}
	for (i = 0; i < w->nkicks; i++)
		ss_timer_init(&w->kicks[i].timer, owner, window_expired, w);
	w->tail = &w->head;
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->commit, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->idle, NULL);
	err = pthread_create(&w->thread, NULL, writer_main, w);
	if (err) {
		SS_LOG_ERR("location: cannot start the writer thread: %s",
			   strerror(err));
		goto fail;
	}
	live_add(w);
	return w;
fail:
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->commit);
	pthread_mutex_destroy(&w->lock);
	free(w->kicks);
	free(w);
	return NULL;
}

void loc_writer_sync(loc_writer_t *w)
{
	uint64_t target;

	pthread_mutex_lock(&w->lock);
	target = w->submitted;
	/* The caller's own kick may still be queued behind this call. */
	if (w->written < target)
		wake_locked(w);
	while (w->written < target)
		pthread_cond_wait(&w->idle, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

void loc_writer_stop(loc_writer_t *w)
{
	if (!w)
		return;
	/* No window fires from here on; what they would have committed is
	 * still queued and the writer thread writes it below. */
	ss_loop_run_on_workers(window_stop_task, w);
	window_stop_task(w);
	live_remove(w);
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	wake_locked(w);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	loc_snap_fini(&w->snap);
	free(w->seen);
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->commit);
	pthread_mutex_destroy(&w->lock);
	free(w->kicks);
	free(w);
}

void loc_writer_set_window(loc_writer_t *w, unsigned window_ms)
{
	__atomic_store_n(&w->window_ms, window_ms, __ATOMIC_RELAXED);
}

void loc_writer_get_stats(loc_writer_t *w, loc_writer_stats_t *st)
{
	pthread_mutex_lock(&w->lock);
	*st = w->st;
	pthread_mutex_unlock(&w->lock);
}
