/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The message bus: a fixed table of named topics, each with an immutable,
 * priority-sorted subscriber array that publishers read without a lock and
 * that writers replace whole (read-copy-update, with the workers' quiescent
 * point from ss_loop_run_on_workers as the grace period).
 */
#include "bus_core.h"
#include "loop_core.h"

#include <errno.h>
#include <pthread.h>
#include <sipserver/log.h>
#include <sipserver/module.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct bus_sub {
	ss_bus_fn fn;
	void *arg;
	int priority;
	const struct ss_module *owner;
} bus_sub_t;

/* Never changed once published; replaced by a new copy on every change. */
typedef struct bus_subs {
	struct bus_subs *retired_next; /* on the retired list only */
	unsigned n;
	bus_sub_t v[];
} bus_subs_t;

typedef struct bus_topic {
	_Atomic(bus_subs_t *) subs; /* NULL: no subscriber */
	char *name;		    /* immutable once the id is published */
} bus_topic_t;

/*
 * Counters. Each loop owns a 4 KiB block of them (indexed by topic), so a
 * publish updates a line no other thread writes: a plain load and store
 * instead of a locked add on a line bouncing between workers. Threads
 * without a loop of their own (or loops beyond the table) share the last
 * block, with atomic adds.
 */
#define BUS_OWNED_BLOCKS 64u
#define BUS_SHARED_BLOCK BUS_OWNED_BLOCKS

typedef struct bus_count {
	_Atomic uint64_t published, stopped;
} bus_count_t;

typedef struct bus_block {
	_Alignas(64) bus_count_t c[SS_BUS_MAX_TOPICS];
} bus_block_t;

static bus_block_t bus_counts[BUS_OWNED_BLOCKS + 1];

/*
 * bus_lock serializes writers: topic creation and subscriber changes (the
 * control loop in practice, but topics are resolved from any thread).
 * Publishers take no lock: they acquire-load a topic's array, and the count
 * of topics when they look a name up by id.
 */
static pthread_mutex_t bus_lock = PTHREAD_MUTEX_INITIALIZER;
static bus_topic_t bus_topics[SS_BUS_MAX_TOPICS];
static atomic_uint bus_ntopics;
static bus_subs_t *bus_retired; /* replaced arrays awaiting a grace period */

/* Publishes (or subscriber walks) in progress on this thread: an array that
 * this thread may still be iterating must outlive the walk. */
static __thread unsigned bus_depth;

static void count_add(_Atomic uint64_t *c, bool owned)
{
	if (owned)
		atomic_store_explicit(
		    c, atomic_load_explicit(c, memory_order_relaxed) + 1,
		    memory_order_relaxed);
	else
		atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

ss_bus_verdict_t ss_bus_publish(ss_topic_t topic, void *msg)
{
	ss_bus_verdict_t verdict = SS_BUS_CONTINUE;
	ss_loop_t *loop = ss_loop_current();
	const bus_subs_t *subs;
	bus_count_t *count;
	unsigned block = BUS_SHARED_BLOCK;

	if ((unsigned)topic >= SS_BUS_MAX_TOPICS)
		return SS_BUS_CONTINUE;
	subs =
	    atomic_load_explicit(&bus_topics[topic].subs, memory_order_acquire);
	if (subs) {
		unsigned i;

		bus_depth++;
		for (i = 0; i < subs->n; i++) {
			if (subs->v[i].fn(topic, msg, subs->v[i].arg) ==
			    SS_BUS_STOP) {
				verdict = SS_BUS_STOP;
				break;
			}
		}
		bus_depth--;
	}
	if (loop && ss_loop_index(loop) < BUS_OWNED_BLOCKS)
		block = ss_loop_index(loop);
	count = &bus_counts[block].c[topic];
	count_add(&count->published, block != BUS_SHARED_BLOCK);
	if (verdict == SS_BUS_STOP)
		count_add(&count->stopped, block != BUS_SHARED_BLOCK);
	return verdict;
}

/* ---- topics ---- */

static ss_topic_t topic_find_locked(const char *name)
{
	unsigned i,
	    n = atomic_load_explicit(&bus_ntopics, memory_order_relaxed);

	for (i = 0; i < n; i++)
		if (strcmp(bus_topics[i].name, name) == 0)
			return (ss_topic_t)i;
	return -ENOENT;
}

static ss_topic_t topic_resolve_locked(const char *name)
{
	unsigned n = atomic_load_explicit(&bus_ntopics, memory_order_relaxed);
	ss_topic_t id;

	if (!name || !*name)
		return -EINVAL;
	id = topic_find_locked(name);
	if (id >= 0)
		return id;
	if (n >= SS_BUS_MAX_TOPICS) {
		SS_LOG_ERR("bus: no room for topic '%s' (%u topics)", name,
			   SS_BUS_MAX_TOPICS);
		return -ENOSPC;
	}
	bus_topics[n].name = strdup(name);
	if (!bus_topics[n].name)
		return -ENOMEM;
	atomic_store_explicit(&bus_ntopics, n + 1, memory_order_release);
	return (ss_topic_t)n;
}

ss_topic_t ss_bus_topic(const char *name)
{
	ss_topic_t id;

	pthread_mutex_lock(&bus_lock);
	id = topic_resolve_locked(name);
	pthread_mutex_unlock(&bus_lock);
	return id;
}

const char *ss_bus_topic_name(ss_topic_t topic)
{
	if (topic < 0 ||
	    (unsigned)topic >=
		atomic_load_explicit(&bus_ntopics, memory_order_acquire))
		return NULL;
	return bus_topics[topic].name;
}

/* ---- subscriber arrays ---- */

static bus_subs_t *subs_alloc(unsigned n)
{
	bus_subs_t *subs = malloc(sizeof(*subs) + n * sizeof(subs->v[0]));

	if (subs) {
		subs->retired_next = NULL;
		subs->n = n;
	}
	return subs;
}

/* Publishes `next` for topic and queues the array it replaces. */
static void subs_replace_locked(ss_topic_t topic, bus_subs_t *next)
{
	bus_subs_t *old = atomic_exchange_explicit(&bus_topics[topic].subs,
						   next, memory_order_acq_rel);

	if (old) {
		old->retired_next = bus_retired;
		bus_retired = old;
	}
}

/* Inserts after every subscriber of lower or equal priority, so that equal
 * priorities keep their subscription order. */
static int subs_insert_locked(ss_topic_t topic, const bus_sub_t *sub)
{
	const bus_subs_t *old =
	    atomic_load_explicit(&bus_topics[topic].subs, memory_order_relaxed);
	unsigned n = old ? old->n : 0, pos = 0;
	bus_subs_t *next = subs_alloc(n + 1);

	if (!next)
		return -ENOMEM;
	while (pos < n && old->v[pos].priority <= sub->priority)
		pos++;
	if (pos)
		memcpy(next->v, old->v, pos * sizeof(next->v[0]));
	next->v[pos] = *sub;
	if (n > pos)
		memcpy(&next->v[pos + 1], &old->v[pos],
		       (n - pos) * sizeof(next->v[0]));
	subs_replace_locked(topic, next);
	return 0;
}

typedef bool (*sub_match_fn)(const bus_sub_t *sub, const void *key);

/*
 * Removes the subscribers that match (all of them, or the first one only).
 * Returns how many were removed, or -ENOMEM (nothing changed then).
 */
static int subs_remove_locked(ss_topic_t topic, sub_match_fn match,
			      const void *key, bool all)
{
	const bus_subs_t *old =
	    atomic_load_explicit(&bus_topics[topic].subs, memory_order_relaxed);
	unsigned i, drop = 0;
	bus_subs_t *next = NULL;

	if (!old)
		return 0;
	for (i = 0; i < old->n && (all || !drop); i++)
		if (match(&old->v[i], key))
			drop++;
	if (!drop)
		return 0;
	if (old->n > drop) {
		unsigned k = 0;

		next = subs_alloc(old->n - drop);
		if (!next)
			return -ENOMEM;
		drop = 0;
		for (i = 0; i < old->n; i++) {
			if ((all || !drop) && match(&old->v[i], key))
				drop++;
			else
				next->v[k++] = old->v[i];
		}
	}
	subs_replace_locked(topic, next);
	return (int)drop;
}

/*
 * For the paths that must not fail (rollback, owner release): a subscriber
 * left behind would call into an unloaded module. Removal only fails when a
 * few hundred bytes cannot be allocated, and then there is no safe way on.
 */
static void subs_remove_or_die(ss_topic_t topic, sub_match_fn match,
			       const void *key, bool all)
{
	if (subs_remove_locked(topic, match, key, all) >= 0)
		return;
	SS_LOG_ERR("bus: out of memory removing subscribers of '%s'",
		   bus_topics[topic].name);
	abort();
}

static void quiescent_noop(void *arg)
{
}

/*
 * Frees the replaced arrays once nobody can be reading them: the workers
 * after passing a quiescent point, this thread once it is not inside a
 * publish (a subscriber may unsubscribe while its own array is walked; the
 * arrays then wait for the next change or for ss_bus_shutdown). Without
 * loops only the calling thread publishes. Only the control loop can wait
 * for the workers: changes made elsewhere (against the contract) leave the
 * arrays queued for the next change made there. Called without bus_lock:
 * the workers may need it to get to the quiescent point.
 */
static void bus_reclaim(void)
{
	bus_subs_t *list, *next;

	/* Only the control loop can wait for the grace period. */
	if (ss_loop_control() && ss_loop_current() != ss_loop_control())
		return;
	pthread_mutex_lock(&bus_lock);
	list = bus_retired;
	bus_retired = NULL;
	pthread_mutex_unlock(&bus_lock);
	if (!list)
		return;
	ss_loop_run_on_workers(quiescent_noop, NULL);
	if (bus_depth) {
		pthread_mutex_lock(&bus_lock);
		for (next = list; next->retired_next; next = next->retired_next)
			;
		next->retired_next = bus_retired;
		bus_retired = list;
		pthread_mutex_unlock(&bus_lock);
		return;
	}
	for (; list; list = next) {
		next = list->retired_next;
		free(list);
	}
}

/* ---- subscribe / unsubscribe ---- */

int ss_bus_subscribe(const struct ss_module *owner, const char *topic,
		     int priority, ss_bus_fn fn, void *arg)
{
	bus_sub_t sub = {
	    .fn = fn, .arg = arg, .priority = priority, .owner = owner};
	ss_topic_t id;
	int err;

	if (!fn)
		return -EINVAL;
	pthread_mutex_lock(&bus_lock);
	id = topic_resolve_locked(topic);
	err = id < 0 ? id : subs_insert_locked(id, &sub);
	pthread_mutex_unlock(&bus_lock);
	bus_reclaim();
	return err;
}

static bool match_fn_arg(const bus_sub_t *sub, const void *key)
{
	const bus_sub_t *k = key;

	return sub->fn == k->fn && sub->arg == k->arg;
}

static bool match_exact(const bus_sub_t *sub, const void *key)
{
	const bus_sub_t *k = key;

	return sub->fn == k->fn && sub->arg == k->arg &&
	       sub->priority == k->priority && sub->owner == k->owner;
}

static bool match_owner(const bus_sub_t *sub, const void *key)
{
	return sub->owner == key;
}

int ss_bus_unsubscribe(const char *topic, ss_bus_fn fn, void *arg)
{
	bus_sub_t key = {.fn = fn, .arg = arg};
	ss_topic_t id;
	int err;

	if (!topic)
		return -EINVAL;
	pthread_mutex_lock(&bus_lock);
	id = topic_find_locked(topic);
	err = id < 0 ? id : subs_remove_locked(id, match_fn_arg, &key, false);
	pthread_mutex_unlock(&bus_lock);
	bus_reclaim();
	if (err < 0)
		return err;
	return err ? 0 : -ENOENT;
}

/* Takes back entries [0, count) of a table that failed half-way. */
static void table_rollback_locked(const struct ss_module *owner,
				  const ss_bus_sub_t *table, unsigned count)
{
	bus_sub_t key;
	unsigned i;

	for (i = count; i-- > 0;) {
		key = (bus_sub_t){.fn = table[i].fn,
				  .arg = table[i].arg,
				  .priority = table[i].priority,
				  .owner = owner};
		subs_remove_or_die(topic_find_locked(table[i].topic),
				   match_exact, &key, false);
	}
}

int ss_bus_register_table(const struct ss_module *owner,
			  const ss_bus_sub_t *table)
{
	unsigned i;
	int err = 0;

	if (!table)
		return 0;
	pthread_mutex_lock(&bus_lock);
	for (i = 0; table[i].topic; i++) {
		bus_sub_t sub = {.fn = table[i].fn,
				 .arg = table[i].arg,
				 .priority = table[i].priority,
				 .owner = owner};
		ss_topic_t id;

		id = table[i].fn ? topic_resolve_locked(table[i].topic)
				 : -EINVAL;
		err = id < 0 ? id : subs_insert_locked(id, &sub);
		if (err) {
			SS_LOG_ERR("bus: cannot subscribe %s to '%s': %s",
				   owner ? ss_module_name(owner) : "core",
				   table[i].topic, strerror(-err));
			table_rollback_locked(owner, table, i);
			break;
		}
	}
	pthread_mutex_unlock(&bus_lock);
	bus_reclaim();
	return err;
}

void ss_bus_release_owner(const struct ss_module *owner)
{
	unsigned id, n;

	pthread_mutex_lock(&bus_lock);
	n = atomic_load_explicit(&bus_ntopics, memory_order_relaxed);
	for (id = 0; id < n; id++)
		subs_remove_or_die((ss_topic_t)id, match_owner, owner, true);
	pthread_mutex_unlock(&bus_lock);
	bus_reclaim();
}

/* ---- post ---- */

typedef struct bus_post {
	ss_topic_t topic;
	void *msg;
	void (*release)(void *msg);
} bus_post_t;

static void bus_post_run(void *arg)
{
	bus_post_t post = *(bus_post_t *)arg;

	free(arg);
	ss_bus_publish(post.topic, post.msg);
	if (post.release)
		post.release(post.msg);
}

int ss_bus_post(ss_loop_t *to, ss_topic_t topic, void *msg,
		void (*release)(void *msg))
{
	bus_post_t *post;
	int err;

	if (!to || topic < 0 || topic >= SS_BUS_MAX_TOPICS)
		return -EINVAL;
	post = malloc(sizeof(*post));
	if (!post)
		return -ENOMEM;
	post->topic = topic;
	post->msg = msg;
	post->release = release;
	err = ss_loop_post(to, bus_post_run, post);
	if (err)
		free(post);
	return err;
}

/* ---- introspection ---- */

void ss_bus_foreach_topic(void (*fn)(const ss_bus_topic_info_t *info,
				     void *arg),
			  void *arg)
{
	unsigned id, b,
	    n = atomic_load_explicit(&bus_ntopics, memory_order_acquire);
	const bus_subs_t *subs;
	ss_bus_topic_info_t info;

	for (id = 0; id < n; id++) {
		subs = atomic_load_explicit(&bus_topics[id].subs,
					    memory_order_acquire);
		info = (ss_bus_topic_info_t){.id = (ss_topic_t)id,
					     .name = bus_topics[id].name,
					     .subscribers = subs ? subs->n : 0};
		for (b = 0; b <= BUS_OWNED_BLOCKS; b++) {
			info.published +=
			    atomic_load_explicit(&bus_counts[b].c[id].published,
						 memory_order_relaxed);
			info.stopped += atomic_load_explicit(
			    &bus_counts[b].c[id].stopped, memory_order_relaxed);
		}
		fn(&info, arg);
	}
}

void ss_bus_foreach_subscriber(ss_topic_t topic,
			       void (*fn)(int priority, const char *owner_name,
					  void *arg),
			       void *arg)
{
	const bus_subs_t *subs;
	unsigned i;

	if (!ss_bus_topic_name(topic))
		return;
	subs =
	    atomic_load_explicit(&bus_topics[topic].subs, memory_order_acquire);
	if (!subs)
		return;
	bus_depth++;
	for (i = 0; i < subs->n; i++)
		fn(subs->v[i].priority,
		   subs->v[i].owner ? ss_module_name(subs->v[i].owner) : "core",
		   arg);
	bus_depth--;
}

void ss_bus_shutdown(void)
{
	bus_subs_t *subs, *next;
	unsigned id, b, n;

	pthread_mutex_lock(&bus_lock);
	n = atomic_load_explicit(&bus_ntopics, memory_order_relaxed);
	for (id = 0; id < n; id++) {
		free(atomic_exchange(&bus_topics[id].subs, NULL));
		free(bus_topics[id].name);
		bus_topics[id].name = NULL;
		for (b = 0; b <= BUS_OWNED_BLOCKS; b++) {
			atomic_store(&bus_counts[b].c[id].published, 0);
			atomic_store(&bus_counts[b].c[id].stopped, 0);
		}
	}
	atomic_store(&bus_ntopics, 0);
	for (subs = bus_retired; subs; subs = next) {
		next = subs->retired_next;
		free(subs);
	}
	bus_retired = NULL;
	pthread_mutex_unlock(&bus_lock);
}
