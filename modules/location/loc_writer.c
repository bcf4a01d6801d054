/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The group-commit writer: one thread that takes every queued AOR change,
 * writes the current state of those AORs in one SQLite transaction, commits,
 * and only then completes the requests on the loops that made them.
 */
#include "loc_int.h"

#include <sipserver/log.h>
#include <sipserver/loop.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Design. Worker loops change the table themselves (so lookups see a change
 * at once) and queue only the AOR's name with its completion. The writer
 * snapshots each AOR it dequeues under the shard lock and rewrites its rows;
 * every change queued before the batch was taken is therefore in the
 * snapshot, which is what makes "completion after commit" imply "the change
 * is on disk". While one transaction commits, new requests pile up in the
 * queue and go together into the next (up to LOC_BATCH_MAX): the number of
 * commits adapts to the disk's speed instead of the request rate, and N
 * updates to one AOR in a batch cost one rewrite.
 */

#define LOC_BATCH_MAX 4096

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

struct loc_writer {
	loc_store_t *store;
	loc_table_t *table;
	pthread_t thread;
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t wake;  /* work queued or stop asked */
	pthread_cond_t idle;  /* `written` advanced */
	loc_wreq_t *head, **tail;
	uint64_t submitted, written; /* requests queued / completed, ever */
	bool stop;
	loc_writer_stats_t st;
	/* writer thread only */
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

void loc_writer_submit(loc_writer_t *w, loc_wreq_t *r)
{
	r->loop = ss_loop_current();
	pthread_mutex_lock(&w->lock);
	*w->tail = r;
	w->tail = &r->next;
	w->submitted++;
	w->st.queued++;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
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

static void complete_batch(loc_wreq_t *batch, int result)
{
	loc_wreq_t *r, *next;

	for (r = batch; r; r = next) {
		next = r->next;
		r->result = result;
		if (!r->done) {
			free(r);
		} else if (!r->loop) {
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

static void *writer_main(void *p)
{
	loc_writer_t *w = p;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		loc_wreq_t *batch;
		unsigned n;
		int result;

		while (!w->head && !w->stop)
			pthread_cond_wait(&w->wake, &w->lock);
		if (!w->head)
			break;
		batch = take_batch(w, &n);
		pthread_mutex_unlock(&w->lock);

		result = write_batch(w, batch, n);
		complete_batch(batch, result);

		pthread_mutex_lock(&w->lock);
		w->written += n;
		pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

loc_writer_t *loc_writer_start(loc_store_t *store, loc_table_t *table)
{
	loc_writer_t *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return NULL;
	w->store = store;
	w->table = table;
	w->tail = &w->head;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->idle, NULL);
	err = pthread_create(&w->thread, NULL, writer_main, w);
	if (err) {
		SS_LOG_ERR("location: cannot start the writer thread: %s",
			   strerror(err));
		goto fail;
	}
	return w;
fail:
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return NULL;
}

void loc_writer_sync(loc_writer_t *w)
{
	uint64_t target;

	pthread_mutex_lock(&w->lock);
	target = w->submitted;
	while (w->written < target)
		pthread_cond_wait(&w->idle, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

void loc_writer_stop(loc_writer_t *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	loc_snap_fini(&w->snap);
	free(w->seen);
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void loc_writer_get_stats(loc_writer_t *w, loc_writer_stats_t *st)
{
	pthread_mutex_lock(&w->lock);
	*st = w->st;
	pthread_mutex_unlock(&w->lock);
}
