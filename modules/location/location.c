/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The location module: descriptor, configuration, load/reload/unload, the
 * `location` service vtable and the binding-change events.
 */
#include "loc_int.h"

#include <sipserver/log.h>
#include <sipserver/loop.h>
#include <sipserver/module.h>
#include <sipserver/service.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Set by load() before the service is published and cleared by unload()
 * after every user is gone (dependents unload first), so the service
 * functions read it without a lock. */
static loc_mod_t *loc_mod;

static const ss_cfg_attr_t database_attrs[] = {
    {.name = "path",
     .type = SS_CFG_STR,
     .def = "location.db",
     .help = "SQLite file; relative paths are under the state directory"},
    {.name = "synchronous",
     .type = SS_CFG_STR,
     .def = "normal",
     .help = "normal: survives a crash of the server (kill -9); full: "
	     "also survives power loss, one fsync per group commit"},
    {.name = "commit_window",
     .type = SS_CFG_INT,
     .def = "10",
     .min = 0,
     .max = 1000,
     .help = "ms a change waits for others to share its commit (its 200 "
	     "OK waits as long); 0 commits at the end of each receive "
	     "batch"},
    {.name = NULL},
};

static const ss_cfg_attr_t limits_attrs[] = {
    {.name = "max_contacts",
     .type = SS_CFG_INT,
     .def = "10",
     .min = 1,
     .max = 1000,
     .help = "contacts one AOR may hold"},
    {.name = "shards",
     .type = SS_CFG_INT,
     .def = "256",
     .min = 1,
     .max = 65536,
     .help = "lock stripes of the table (rounded up to a power of two)"},
    {.name = NULL},
};

static const ss_cfg_attr_t expiry_attrs[] = {
    {.name = "sweep_interval",
     .type = SS_CFG_INT,
     .def = "1000",
     .min = 10,
     .max = 60000,
     .help = "ms between expiry sweeps (lookups never see expired "
	     "contacts in between)"},
    {.name = NULL},
};

static const ss_cfg_elem_t location_config[] = {
    {.name = "database",
     .attrs = database_attrs,
     .help = "where bindings are kept"},
    {.name = "limits", .attrs = limits_attrs, .help = "table limits"},
    {.name = "expiry", .attrs = expiry_attrs, .help = "expiry sweep"},
    {.name = NULL},
};

typedef struct loc_settings {
	char path[4096];
	bool sync_full;
	unsigned max_contacts, shards, sweep_ms, window_ms;
} loc_settings_t;

static int read_settings(const ss_cfg_t *cfg, loc_settings_t *set)
{
	const ss_cfg_node_t *db = ss_cfg_first(cfg, "database");
	const ss_cfg_node_t *lim = ss_cfg_first(cfg, "limits");
	const ss_cfg_node_t *exp = ss_cfg_first(cfg, "expiry");
	const char *sync = ss_cfg_str(db, "synchronous");

	if (strcmp(sync, "normal") != 0 && strcmp(sync, "full") != 0) {
		SS_LOG_ERR("%s: database: synchronous must be normal or full, "
			   "not \"%s\"",
			   ss_cfg_where(db), sync);
		return -EINVAL;
	}
	set->sync_full = strcmp(sync, "full") == 0;
	if (!ss_cfg_path(ss_cfg_str(db, "path"), set->path,
			 sizeof(set->path))) {
		SS_LOG_ERR("%s: database: path too long", ss_cfg_where(db));
		return -ENAMETOOLONG;
	}
	set->window_ms = (unsigned)ss_cfg_int(db, "commit_window");
	set->max_contacts = (unsigned)ss_cfg_int(lim, "max_contacts");
	set->shards = (unsigned)ss_cfg_int(lim, "shards");
	set->sweep_ms = (unsigned)ss_cfg_int(exp, "sweep_interval");
	return 0;
}

loc_mod_t *loc_current(void)
{
	return loc_mod;
}

/* ---- events -------------------------------------------------------------- */

static void publish(loc_mod_t *m, ss_loc_event_kind_t kind, const char *aor,
		    const char *uri, uint32_t expires_in, unsigned count)
{
	ss_loc_event_t ev = {
	    .kind = kind,
	    .aor = aor,
	    .uri = uri,
	    .expires_in = expires_in,
	    .count = count,
	};

	ss_bus_publish(m->topic, &ev);
}

void loc_dead_finish(loc_mod_t *m, loc_dead_t *dead, bool queue)
{
	const loc_binding_t *b;
	const char *last = NULL;
	uint32_t now = loc_now();

	for (b = dead->head; b; b = loc_dead_next(b)) {
		ss_loc_event_kind_t kind = loc_dead_kind(b);
		size_t klen;
		const char *key = loc_dead_aor(b, &klen);

		if (kind == SS_LOC_EV_EXPIRED)
			LOC_COUNT(m, expired);
		else if (kind == SS_LOC_EV_REMOVED)
			LOC_COUNT(m, removed);
		if (kind)
			publish(m, kind, key, loc_dead_uri(b), 0,
				loc_table_count(m->table, key, klen, now));
		/* Dead bindings of one AOR are usually adjacent; the writer
		 * merges the others within its batch. */
		if (queue && key != last) {
			loc_wreq_t *r = loc_wreq_new(key, klen, NULL, NULL);

			if (r)
				loc_writer_submit(m->writer, r);
			else
				SS_LOG_ERR("location: out of memory queueing "
					   "the write of %s",
					   key);
			last = key;
		}
	}
	loc_dead_free(dead);
}

/* ---- the service -----------------------------------------------------------
 */

static int api_apply(const ss_loc_update_t *u, ss_loc_done_fn done, void *arg)
{
	loc_mod_t *m = loc_mod;
	char key[SS_LOC_MAX_AOR + 1];
	loc_report_t rep;
	loc_wreq_t *r;
	unsigned i;
	int klen, err;

	if (!m)
		return SS_LOC_E_SHUTDOWN;
	klen = u ? loc_aor_canon(u->aor, key, sizeof(key)) : -EINVAL;
	if (klen < 0) {
		LOC_COUNT(m, rejected_other);
		return SS_LOC_E_INVAL;
	}
	r = loc_wreq_new(key, (size_t)klen, done, arg);
	if (!r)
		return SS_LOC_E_NOMEM;
	err = loc_table_apply(m->table, key, (size_t)klen, u, loc_now(), &rep);
	if (err) {
		if (err == SS_LOC_E_CSEQ)
			LOC_COUNT(m, rejected_cseq);
		else if (err == SS_LOC_E_TOO_MANY)
			LOC_COUNT(m, rejected_limit);
		else
			LOC_COUNT(m, rejected_other);
		loc_wreq_free(r);
		/* Expired contacts dropped on the way still need a write. */
		loc_dead_finish(m, &rep.dead, true);
		return err;
	}
	loc_writer_submit(m->writer, r);
	LOC_COUNT(m, applied);
	for (i = 0; i < u->ncontacts; i++) {
		bool removed = rep.kinds[i] == SS_LOC_EV_REMOVED;

		if (!rep.kinds[i])
			continue;
		if (removed)
			LOC_COUNT(m, removed);
		publish(m, rep.kinds[i], key, u->contacts[i].uri,
			removed ? 0 : u->contacts[i].expires, rep.count);
	}
	loc_dead_finish(m, &rep.dead, false);
	return 0;
}

int loc_remove_key(loc_mod_t *m, const char *key, size_t klen, const char *uri,
		   ss_loc_done_fn done, void *arg, unsigned *n)
{
	loc_dead_t dead = {NULL, 0};
	loc_wreq_t *r = loc_wreq_new(key, klen, done, arg);

	*n = 0;
	if (!r)
		return -ENOMEM;
	*n = loc_table_remove(m->table, key, klen, uri, &dead);
	if (!*n) {
		loc_wreq_free(r);
		return -ENOENT;
	}
	loc_writer_submit(m->writer, r);
	loc_dead_finish(m, &dead, false);
	return 0;
}

static int api_remove(const char *aor, const char *uri, ss_loc_done_fn done,
		      void *arg)
{
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon(aor, key, sizeof(key));
	unsigned n;

	if (!loc_mod)
		return SS_LOC_E_SHUTDOWN;
	if (klen < 0)
		return SS_LOC_E_INVAL;
	return loc_remove_key(loc_mod, key, (size_t)klen, uri, done, arg, &n);
}

static int api_lookup(const char *aor, ss_loc_contact_fn fn, void *arg)
{
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon(aor, key, sizeof(key));

	if (!loc_mod)
		return SS_LOC_E_SHUTDOWN;
	if (klen < 0)
		return SS_LOC_E_INVAL;
	return loc_table_lookup(loc_mod->table, key, (size_t)klen, loc_now(),
				fn, arg);
}

static unsigned api_count(const char *aor)
{
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon(aor, key, sizeof(key));

	if (!loc_mod || klen < 0)
		return 0;
	return loc_table_count(loc_mod->table, key, (size_t)klen, loc_now());
}

static void api_sync(void)
{
	if (loc_mod)
		loc_writer_sync(loc_mod->writer);
}

static const ss_location_api_t location_api = {
    .version = SS_LOCATION_API_VERSION,
    .apply = api_apply,
    .remove = api_remove,
    .lookup = api_lookup,
    .count = api_count,
    .sync = api_sync,
};

/* ---- load / reload / unload ------------------------------------------------
 */

static int load_row(void *arg, const char *key, size_t klen,
		    const loc_row_t *row)
{
	loc_mod_t *m = arg;
	int err = loc_table_load(m->table, key, klen, row, loc_now());

	if (err == -ENOMEM)
		return err;
	if (err)
		SS_LOG_WARN("location: skipping stored binding %s of %.*s: %s",
			    row->uri, (int)klen, key, strerror(-err));
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void mod_free(loc_mod_t *m)
{
	loc_writer_stop(m->writer);
	loc_store_close(m->store);
	loc_table_free(m->table);
	free(m);
}

static int mod_open(loc_mod_t *m)
{
	char err[1024];
	loc_table_stats_t ts;
	uint64_t t0 = mono_ms();

	m->table = loc_table_new(m->shards, m->max_contacts);
	if (!m->table) {
		SS_LOG_ERR("location: out of memory for the table");
		return -ENOMEM;
	}
	m->store = loc_store_open(m->path, m->sync_full, err, sizeof(err));
	if (!m->store || loc_store_load(m->store, loc_now(), load_row, m, err,
					sizeof(err)) < 0) {
		SS_LOG_ERR("%s", err);
		return -EIO;
	}
	loc_table_stats(m->table, &ts);
	SS_LOG_NOTICE("location: %llu bindings of %llu AORs reloaded from %s "
		      "in %llu ms",
		      (unsigned long long)ts.bindings,
		      (unsigned long long)ts.aors, m->path,
		      (unsigned long long)(mono_ms() - t0));
	m->writer = loc_writer_start(m->store, m->table, m->self, m->window_ms);
	return m->writer ? 0 : -EAGAIN;
}

static ss_load_result_t location_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	loc_settings_t set;
	loc_mod_t *m;
	int err;

	if (read_settings(cfg, &set) < 0)
		return SS_LOAD_FAIL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return SS_LOAD_FAIL;
	m->self = self;
	m->sync_full = set.sync_full;
	m->max_contacts = set.max_contacts;
	m->shards = set.shards;
	m->sweep_ms = set.sweep_ms;
	m->window_ms = set.window_ms;
	memcpy(m->path, set.path, sizeof(m->path));
	m->topic = ss_bus_topic(SS_LOC_EVENT_TOPIC);
	if (m->topic < 0 || mod_open(m) < 0)
		goto fail;
	loc_mod = m;
	err = ss_service_provide(self, SS_LOCATION_SERVICE,
				 SS_LOCATION_API_VERSION, &location_api);
	if (err < 0) {
		SS_LOG_ERR("location: cannot provide the service: %s",
			   strerror(-err));
		loc_mod = NULL;
		goto fail;
	}
	loc_expiry_start(m);
	return SS_LOAD_OK;
fail:
	mod_free(m);
	return SS_LOAD_FAIL;
}

static int location_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	loc_mod_t *m = loc_mod;
	loc_settings_t set;
	int err = read_settings(cfg, &set);

	if (err < 0)
		return err;
	if (strcmp(set.path, m->path) != 0)
		SS_LOG_WARN("location: database path change takes effect at "
			    "the next start");
	if (set.shards != m->shards)
		SS_LOG_WARN("location: shards change takes effect at the next "
			    "start");
	m->max_contacts = set.max_contacts;
	loc_table_set_max_contacts(m->table, set.max_contacts);
	m->sync_full = set.sync_full;
	loc_store_set_sync(m->store, set.sync_full);
	m->sweep_ms = set.sweep_ms;
	m->window_ms = set.window_ms;
	loc_writer_set_window(m->writer, set.window_ms);
	return 0;
}

static void nop_task(void *arg)
{
}

static void location_unload(ss_module_t *self)
{
	loc_mod_t *m = loc_mod;

	if (!m)
		return;
	loc_expiry_stop(m);
	/* Commits whatever is queued, then no completion is posted any more;
	 * the pass over the workers runs the ones already posted before the
	 * code they point into goes away. */
	loc_writer_stop(m->writer);
	m->writer = NULL;
	ss_loop_run_on_workers(nop_task, NULL);
	loc_mod = NULL;
	mod_free(m);
}

static const char *const location_provides[] = {SS_LOCATION_SERVICE, NULL};

SS_MODULE(location) = {
    .abi = SS_MODULE_ABI,
    .name = "location",
    .version = "1.0",
    .description = "Location service: AOR bindings in memory, durable in "
		   "SQLite with group commit",
    .provides = location_provides,
    .load = location_load,
    .reload = location_reload,
    .unload = location_unload,
    .commands = loc_cli_commands,
    .config = location_config,
};
