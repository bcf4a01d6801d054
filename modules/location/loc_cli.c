/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Console commands of the location module: show bindings, remove them (the
 * command returns once the removal is committed) and statistics, with AORs
 * and contacts completed from the live table.
 */
#include "loc_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOC_CLI_LIST_MAX     100 /* AORs `location show` lists */
#define LOC_CLI_COMPLETE_MAX 64

static const char *transport_name(unsigned t)
{
	static const char *const names[] = {"-", "udp", "tcp", "tls"};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static const char *dash(const char *s)
{
	return *s ? s : "-";
}

/* Prints from a snapshot, not under the shard lock: a slow remote console
 * must not stall the workers. */
static ss_cli_status_t show_aor(ss_cli_t *cli, loc_mod_t *m, const char *aor)
{
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon(aor, key, sizeof(key));
	uint32_t now = loc_now();
	loc_snap_t snap = {0};
	unsigned i;

	if (klen < 0)
		return SS_CLI_USAGE;
	if (loc_table_snapshot(m->table, key, (size_t)klen, now, &snap) < 0) {
		ss_cli_printf(cli, "location: out of memory\n");
		return SS_CLI_FAIL;
	}
	if (!snap.nrows) {
		ss_cli_printf(cli, "location: no bindings for %s\n", key);
		loc_snap_fini(&snap);
		return SS_CLI_FAIL;
	}
	ss_cli_printf(cli, "%s: %u contact%s\n", key, snap.nrows,
		      snap.nrows == 1 ? "" : "s");
	for (i = 0; i < snap.nrows; i++) {
		const loc_row_t *r = &snap.rows[i];

		ss_cli_printf(cli, "  %s q=%u.%03u expires in %llds\n", r->uri,
			      r->q / 1000, r->q % 1000,
			      (long long)(r->expires - now));
		ss_cli_printf(
		    cli, "    call-id %s cseq %u received %s/%s ua %s\n",
		    r->call_id, r->cseq, dash(r->received),
		    transport_name(r->transport), dash(r->user_agent));
		if (*r->path || *r->instance)
			ss_cli_printf(
			    cli, "    path %s instance %s reg-id %u\n",
			    dash(r->path), dash(r->instance), r->reg_id);
	}
	loc_snap_fini(&snap);
	return SS_CLI_OK;
}

typedef struct aor_list {
	unsigned n, max;
	char (*aor)[SS_LOC_MAX_AOR + 1];
	unsigned *count;
} aor_list_t;

static int collect_aor(void *arg, const char *aor, unsigned count)
{
	aor_list_t *l = arg;

	snprintf(l->aor[l->n], sizeof(l->aor[0]), "%s", aor);
	l->count[l->n] = count;
	return ++l->n == l->max;
}

/* Copies up to max AORs starting with prefix (the table lock is held only
 * while copying). 0 or -ENOMEM. */
static int list_aors(loc_mod_t *m, const char *prefix, unsigned max,
		     aor_list_t *l)
{
	l->n = 0;
	l->max = max;
	l->aor = malloc(max * sizeof(*l->aor));
	l->count = malloc(max * sizeof(*l->count));
	if (!l->aor || !l->count) {
		free(l->aor);
		free(l->count);
		return -ENOMEM;
	}
	loc_table_foreach_aor(m->table, prefix, collect_aor, l);
	return 0;
}

static ss_cli_status_t cmd_show(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	loc_mod_t *m = loc_current();
	loc_table_stats_t ts;
	aor_list_t l;
	unsigned i;

	if (argc > 1 || !m)
		return argc > 1 ? SS_CLI_USAGE : SS_CLI_FAIL;
	if (argc == 1)
		return show_aor(cli, m, argv[0]);
	if (list_aors(m, "", LOC_CLI_LIST_MAX, &l) < 0)
		return SS_CLI_FAIL;
	for (i = 0; i < l.n; i++)
		ss_cli_printf(cli, "%-60s %u\n", l.aor[i], l.count[i]);
	loc_table_stats(m->table, &ts);
	ss_cli_printf(cli, "%llu AORs, %llu bindings%s\n",
		      (unsigned long long)ts.aors,
		      (unsigned long long)ts.bindings,
		      ts.aors > l.n ? " (first ones shown; location show AOR "
				      "for one)"
				    : "");
	free(l.aor);
	free(l.count);
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_remove(ss_cli_t *cli, int argc,
				  const char *const *argv)
{
	loc_mod_t *m = loc_current();
	char key[SS_LOC_MAX_AOR + 1];
	unsigned n;
	int klen, err;

	if (argc < 1 || argc > 2)
		return SS_CLI_USAGE;
	klen = loc_aor_canon(argv[0], key, sizeof(key));
	if (klen < 0)
		return SS_CLI_USAGE;
	if (!m)
		return SS_CLI_FAIL;
	err = loc_remove_key(m, key, (size_t)klen, argc == 2 ? argv[1] : NULL,
			     NULL, NULL, &n);
	if (err == -ENOENT) {
		ss_cli_printf(cli, "location: no matching binding of %s\n",
			      key);
		return SS_CLI_FAIL;
	}
	if (err < 0) {
		ss_cli_printf(cli, "location: %s\n", strerror(-err));
		return SS_CLI_FAIL;
	}
	/* The operator is told "removed" only once it is on disk. */
	loc_writer_sync(m->writer);
	ss_cli_printf(cli, "removed %u binding%s of %s\n", n, n == 1 ? "" : "s",
		      key);
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_stats(ss_cli_t *cli, int argc,
				 const char *const *argv)
{
	loc_mod_t *m = loc_current();
	loc_writer_stats_t ws;
	loc_table_stats_t ts;

	if (argc)
		return SS_CLI_USAGE;
	if (!m)
		return SS_CLI_FAIL;
	loc_table_stats(m->table, &ts);
	loc_writer_get_stats(m->writer, &ws);
	ss_cli_printf(cli,
		      "bindings %llu  AORs %llu  shards %u (largest %u)  "
		      "max_contacts %u\n",
		      (unsigned long long)ts.bindings,
		      (unsigned long long)ts.aors, loc_table_shards(m->table),
		      ts.max_shard_bindings, m->max_contacts);
	ss_cli_printf(
	    cli,
	    "applied %llu  rejected: cseq %llu, max_contacts %llu, other "
	    "%llu  removed %llu  expired %llu\n",
	    (unsigned long long)LOC_GET(m, applied),
	    (unsigned long long)LOC_GET(m, rejected_cseq),
	    (unsigned long long)LOC_GET(m, rejected_limit),
	    (unsigned long long)LOC_GET(m, rejected_other),
	    (unsigned long long)LOC_GET(m, removed),
	    (unsigned long long)LOC_GET(m, expired));
	ss_cli_printf(cli, "database %s  synchronous %s  commit window %u ms\n",
		      m->path, m->sync_full ? "full" : "normal", m->window_ms);
	ss_cli_printf(
	    cli,
	    "commits %llu  failed %llu  requests %llu  AOR writes %llu  "
	    "avg batch %.1f  max batch %u  queued %u\n",
	    (unsigned long long)ws.commits, (unsigned long long)ws.failures,
	    (unsigned long long)ws.requests,
	    (unsigned long long)ws.aors_written,
	    ws.batches ? (double)ws.requests / (double)ws.batches : 0.0,
	    ws.max_batch, ws.queued);
	ss_cli_printf(cli, "commit time: last %.3f ms  max %.3f ms\n",
		      (double)ws.last_commit_us / 1000.0,
		      (double)ws.max_commit_us / 1000.0);
	return SS_CLI_OK;
}

static void complete_aor(ss_cli_t *cli, const char *prefix)
{
	loc_mod_t *m = loc_current();
	aor_list_t l;
	unsigned i;

	if (!m || list_aors(m, prefix, LOC_CLI_COMPLETE_MAX, &l) < 0)
		return;
	for (i = 0; i < l.n; i++)
		ss_cli_add_completion(cli, l.aor[i]);
	free(l.aor);
	free(l.count);
}

static void complete_show(ss_cli_t *cli, int argi, const char *const *argv,
			  const char *prefix)
{
	if (argi == 0)
		complete_aor(cli, prefix);
}

static void complete_remove(ss_cli_t *cli, int argi, const char *const *argv,
			    const char *prefix)
{
	loc_mod_t *m = loc_current();
	char key[SS_LOC_MAX_AOR + 1];
	loc_snap_t snap = {0};
	size_t plen = strlen(prefix);
	unsigned i;
	int klen;

	if (argi == 0) {
		complete_aor(cli, prefix);
		return;
	}
	if (argi != 1 || !m)
		return;
	klen = loc_aor_canon(argv[0], key, sizeof(key));
	if (klen < 0 || loc_table_snapshot(m->table, key, (size_t)klen,
					   loc_now(), &snap) < 0)
		return;
	for (i = 0; i < snap.nrows; i++)
		if (strncmp(snap.rows[i].uri, prefix, plen) == 0)
			ss_cli_add_completion(cli, snap.rows[i].uri);
	loc_snap_fini(&snap);
}

const ss_cli_cmd_t loc_cli_commands[] = {
    {.words = "location show",
     .args = "[AOR]",
     .summary = "list AORs, or the contacts of one AOR",
     .fn = cmd_show,
     .complete = complete_show},
    {.words = "location remove",
     .args = "AOR [CONTACT]",
     .summary = "remove one contact or every contact of an AOR "
		"(returns once committed)",
     .fn = cmd_remove,
     .complete = complete_remove},
    {.words = "location stats",
     .args = "",
     .summary = "table, writer and database statistics",
     .fn = cmd_stats,
     .complete = NULL},
    {.words = NULL},
};
