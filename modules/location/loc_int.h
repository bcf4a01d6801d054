/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the location module: the sharded in-memory table, the SQLite
 * store, the group-commit writer thread, the expiry sweep and the console.
 * Every symbol declared here is hidden; the module exports only its
 * descriptor.
 */
#ifndef SS_LOCATION_INT_H
#define SS_LOCATION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipserver/bus.h>
#include <sipserver/cli.h>
#include <sipserver/sip/location.h>
#include <sipserver/timer.h>

#pragma GCC visibility push(hidden)

#define LOC_MAX_UPDATE	64    /* Contact entries in one update */
#define LOC_MAX_STRINGS 65535 /* bytes of one binding's strings */

/* ---- clock (loc_table.c) ---------------------------------------------- */

/* Wall-clock seconds since the epoch: expiry must survive a restart, so the
 * table, the database and the sweep all use it. */
uint32_t loc_now(void);
/* Test hook: replaces the clock (NULL restores the real one). Not thread
 * safe against concurrent loc_now(); set it before starting anything. */
void loc_clock_set(uint32_t (*fn)(void));

/* ---- URIs (loc_uri.c) ------------------------------------------------- */

/* Writes the table key of aor into out (scheme and host lowercased, NUL
 * terminated). Returns its length, or -EINVAL for an empty, too long or
 * scheme-less AOR. */
int loc_aor_canon(const char *aor, char *out, size_t size);
/* Contact URI equality as documented in <sipserver/sip/location.h>. */
bool loc_uri_equal(const char *a, const char *b);

/* ---- table (loc_table.c) ---------------------------------------------- */

typedef struct loc_table loc_table_t;
typedef struct loc_binding loc_binding_t;

/* A binding as plain values: what the store reads and writes. Strings are
 * NUL terminated, "" when absent. */
typedef struct loc_row {
	const char *uri, *call_id, *path, *received, *user_agent, *instance;
	int64_t expires; /* absolute, seconds since the epoch */
	uint32_t cseq, reg_id;
	uint16_t q;
	uint8_t transport;
	uint64_t conn_id;
} loc_row_t;

/* The bindings a change took out of the table, owned by the caller once the
 * call returns: publish their events, then loc_dead_free(). */
typedef struct loc_dead {
	loc_binding_t *head;
	unsigned n;
} loc_dead_t;

/* What loc_table_apply did, for the events. kinds[i] is the event for
 * update->contacts[i] (0: none, e.g. removing an unknown contact). */
typedef struct loc_report {
	ss_loc_event_kind_t kinds[LOC_MAX_UPDATE];
	unsigned count; /* contacts of the AOR after the change */
	loc_dead_t dead;
} loc_report_t;

/* nshards is rounded up to a power of two. NULL on allocation failure. */
loc_table_t *loc_table_new(unsigned nshards, unsigned max_contacts);
/* Frees every binding. No other thread may use t any more. */
void loc_table_free(loc_table_t *t);
/* Applies to new updates only; existing AORs above it keep their contacts. */
void loc_table_set_max_contacts(loc_table_t *t, unsigned max);
unsigned loc_table_shards(const loc_table_t *t);

/* RFC 3261 10.3 steps 6-8 for one AOR (key from loc_aor_canon) under its
 * shard lock, all or nothing. Returns 0 or SS_LOC_E_CSEQ / _TOO_MANY /
 * _INVAL / _NOMEM (then nothing changed). Any thread. */
int loc_table_apply(loc_table_t *t, const char *key, size_t klen,
		    const ss_loc_update_t *u, uint32_t now, loc_report_t *rep);
/* Removes the contact matching uri, or all with uri NULL, into dead.
 * Returns the number removed. Any thread. */
unsigned loc_table_remove(loc_table_t *t, const char *key, size_t klen,
			  const char *uri, loc_dead_t *dead);
/* Lookup/count of live contacts; see the service doc. Any thread. */
int loc_table_lookup(loc_table_t *t, const char *key, size_t klen, uint32_t now,
		     ss_loc_contact_fn fn, void *arg);
unsigned loc_table_count(loc_table_t *t, const char *key, size_t klen,
			 uint32_t now);
/* Inserts a binding read from the store (no CSeq or limit checks; an
 * expired row is skipped). Returns 0 or -ENOMEM / -EINVAL. Load time. */
int loc_table_load(loc_table_t *t, const char *key, size_t klen,
		   const loc_row_t *row, uint32_t now);

/* Moves up to `budget` bindings whose expiry is <= now, earliest first,
 * into dead (kind EXPIRED). Each shard takes a fair part of the budget.
 * Returns the number moved; == budget means more may be due. */
unsigned loc_table_expire(loc_table_t *t, uint32_t now, unsigned budget,
			  loc_dead_t *dead);

/* Dead bindings: their kind (SS_LOC_EV_REMOVED/EXPIRED; 0 when the event
 * is reported otherwise: the old version of a refreshed binding, or a
 * contact the update removed, which is in loc_report_t.kinds), AOR key and
 * URI. */
ss_loc_event_kind_t loc_dead_kind(const loc_binding_t *b);
const char *loc_dead_aor(const loc_binding_t *b, size_t *len);
const char *loc_dead_uri(const loc_binding_t *b);
const loc_binding_t *loc_dead_next(const loc_binding_t *b);
void loc_dead_free(loc_dead_t *dead);

/* A copy of one AOR's live contacts for the writer: rows point into buf.
 * Reused across calls; loc_snap_fini() frees it. */
typedef struct loc_snap {
	char *buf;
	size_t cap;
	loc_row_t *rows;
	unsigned nrows, rowcap;
} loc_snap_t;

/* Fills snap with the live contacts of key (none: the AOR is gone).
 * Returns 0 or -ENOMEM. Any thread. */
int loc_table_snapshot(loc_table_t *t, const char *key, size_t klen,
		       uint32_t now, loc_snap_t *snap);
void loc_snap_fini(loc_snap_t *snap);

typedef struct loc_table_stats {
	uint64_t aors, bindings;
	unsigned max_shard_bindings;
} loc_table_stats_t;
void loc_table_stats(loc_table_t *t, loc_table_stats_t *st);

/* Calls fn with each AOR key starting with prefix (shard by shard, under
 * that shard's lock: fn must be short and not call the table) until fn
 * returns nonzero. Control loop (console). */
void loc_table_foreach_aor(loc_table_t *t, const char *prefix,
			   int (*fn)(void *arg, const char *aor,
				     unsigned count),
			   void *arg);

/* ---- store (loc_store.c) ---------------------------------------------- */

typedef struct loc_store loc_store_t;

/* Opens (creating) the database in WAL mode with the given synchronous
 * level and takes it for this process alone. On failure returns NULL and
 * writes "location: database PATH is corrupt: ..." / "... is locked by
 * another process" / "...: reason" into err. */
loc_store_t *loc_store_open(const char *path, bool sync_full, char *err,
			    size_t errlen);
/* Reads every binding that has not expired at `now`, calling fn(arg, key,
 * klen, row) for each, ordered by AOR; deletes the expired ones. fn returns
 * 0 or -errno to abort. Returns 0 or -errno with err filled. */
int loc_store_load(loc_store_t *s, uint32_t now,
		   int (*fn)(void *arg, const char *key, size_t klen,
			     const loc_row_t *row),
		   void *arg, char *err, size_t errlen);
int loc_store_set_sync(loc_store_t *s, bool sync_full);
/* The synchronous level last asked for (FULL: true). Any thread. */
bool loc_store_sync_full(loc_store_t *s);
const char *loc_store_path(const loc_store_t *s);
/* True when the WAL has grown past the checkpoint threshold; any thread.
 * loc_store_checkpoint runs a passive checkpoint (it syncs: writer thread,
 * under the same exclusion as transactions). 0 or -EIO. */
bool loc_store_checkpoint_due(loc_store_t *s);
int loc_store_checkpoint(loc_store_t *s);
/* One transaction: begin, replace the rows of some AORs, commit (or
 * rollback after a failure). One thread at a time (the writer's commit
 * lock). 0 or -EIO. */
int loc_store_begin(loc_store_t *s);
int loc_store_put(loc_store_t *s, const char *key, size_t klen,
		  const loc_row_t *rows, unsigned n);
int loc_store_commit(loc_store_t *s);
void loc_store_rollback(loc_store_t *s);
void loc_store_close(loc_store_t *s);

/* ---- writer thread (loc_writer.c) ------------------------------------- */

struct ss_module;
typedef struct loc_writer loc_writer_t;
typedef struct loc_wreq loc_wreq_t; /* one queued AOR write */

typedef struct loc_writer_stats {
	uint64_t requests, batches, commits, failures, aors_written;
	unsigned max_batch;
	uint64_t last_commit_us, max_commit_us;
	unsigned queued;
} loc_writer_stats_t;

/* Starts the thread; store and table stay the caller's and must outlive
 * loc_writer_stop(). window_ms: the commit window (0: commit at the end of
 * the submitting event); its timers belong to owner. NULL, logged, on
 * failure. Control loop. */
loc_writer_t *loc_writer_start(loc_store_t *store, loc_table_t *table,
			       const struct ss_module *owner,
			       unsigned window_ms);
/* Changes the commit window for requests queued from now on. Any thread. */
void loc_writer_set_window(loc_writer_t *w, unsigned window_ms);
/* Stops the commit windows, writes everything still queued, then joins
 * the thread and frees w. Control loop, workers running or not started. */
void loc_writer_stop(loc_writer_t *w);
/* Allocates a request for key before the table changes, so that a change
 * once made can always be queued. done may be NULL. NULL: -ENOMEM. */
loc_wreq_t *loc_wreq_new(const char *key, size_t klen, ss_loc_done_fn done,
			 void *arg);
void loc_wreq_free(loc_wreq_t *r);
/* Queues r (taking it) and captures the calling thread's loop for done.
 * Any thread. */
void loc_writer_submit(loc_writer_t *w, loc_wreq_t *r);
/* Waits until everything submitted before the call is committed. */
void loc_writer_sync(loc_writer_t *w);
void loc_writer_get_stats(loc_writer_t *w, loc_writer_stats_t *st);

/* ---- the module (location.c, loc_expiry.c, loc_cli.c) ----------------- */

/* Counters bumped with relaxed atomics from any loop, read by the console. */
typedef struct loc_counters {
	uint64_t applied, rejected_cseq, rejected_limit, rejected_other;
	uint64_t removed, expired;
} loc_counters_t;

/* The loaded module. Created by load() and freed by unload() on the control
 * loop; the fields set at load never change after the service is provided,
 * except those reload() writes, which it stores atomically. */
typedef struct loc_mod {
	const struct ss_module *self;
	loc_table_t *table;
	loc_store_t *store;
	loc_writer_t *writer;
	ss_topic_t topic;
	ss_timer_t sweep; /* control loop */
	unsigned sweep_ms;
	unsigned window_ms;
	bool sync_full;
	unsigned max_contacts;
	unsigned shards;
	char path[4096];
	loc_counters_t n;
} loc_mod_t;

#define LOC_COUNT(m, field) \
	__atomic_add_fetch(&(m)->n.field, 1, __ATOMIC_RELAXED)
#define LOC_GET(m, field) __atomic_load_n(&(m)->n.field, __ATOMIC_RELAXED)

/* The loaded module, NULL when not loaded. */
loc_mod_t *loc_current(void);
/* Publishes the events of dead bindings (removed/expired), queues a write
 * of their AORs when `queue` (the caller did not already), and frees them.
 * Any loop. */
void loc_dead_finish(loc_mod_t *m, loc_dead_t *dead, bool queue);
/* Removes uri (NULL: all) from the AOR key and queues the write; *n gets
 * how many went. 0, -ENOENT or -ENOMEM. Any loop. */
int loc_remove_key(loc_mod_t *m, const char *key, size_t klen, const char *uri,
		   ss_loc_done_fn done, void *arg, unsigned *n);

/* Starts/stops the expiry sweep timer. Control loop. */
void loc_expiry_start(loc_mod_t *m);
void loc_expiry_stop(loc_mod_t *m);
/* One sweep step at `now`: expires up to the budget, publishes, queues the
 * writes. Returns how many bindings expired. Control loop. */
unsigned loc_expiry_run(loc_mod_t *m, uint32_t now);
#define LOC_SWEEP_BUDGET 10000

extern const ss_cli_cmd_t loc_cli_commands[];

#pragma GCC visibility pop

#endif
