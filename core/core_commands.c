/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The core's own console commands: help, module load/unload/reload/show,
 * config reload/show and the core's status (uptime, workers, timers, bus),
 * verbosity and stop.
 */
#include "bus_core.h"
#include "cli_core.h"
#include "config_core.h"
#include "console.h"
#include "log_core.h"
#include "loop_core.h"
#include "module_loader.h"
#include "server.h"

#include <sipserver/log.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN 512

/* --- help --------------------------------------------------------------- */

typedef struct help_ctx {
	ss_cli_t *cli;
	int argc;
	const char *const *argv;
	int width; /* widest "words args" */
	unsigned hits;
	bool details; /* print summaries under each command */
} help_ctx_t;

/* Does cmd's name start with argv? Every given word must match a command
 * word exactly except the last, which may be a prefix ("help mod"). */
static bool help_match(const ss_cli_cmd_t *cmd, int argc,
		       const char *const *argv)
{
	const char *w = cmd->words;

	for (int i = 0; i < argc; i++) {
		size_t len, alen = strlen(argv[i]);

		w += strspn(w, " ");
		len = strcspn(w, " ");
		if (len == 0 || alen > len || memcmp(w, argv[i], alen) != 0)
			return false;
		if (alen < len && i < argc - 1)
			return false;
		w += len;
	}
	return true;
}

static int name_width(const ss_cli_cmd_t *cmd)
{
	size_t n = strlen(cmd->words);

	if (cmd->args && *cmd->args)
		n += 1 + strlen(cmd->args);
	return (int)n;
}

static void help_measure(const ss_cli_cmd_t *cmd, const struct ss_module *owner,
			 void *arg)
{
	help_ctx_t *h = arg;

	if (help_match(cmd, h->argc, h->argv) && name_width(cmd) > h->width)
		h->width = name_width(cmd);
}

static void help_print(const ss_cli_cmd_t *cmd, const struct ss_module *owner,
		       void *arg)
{
	help_ctx_t *h = arg;
	const char *args = cmd->args && *cmd->args ? cmd->args : "";
	const char *sum = cmd->summary ? cmd->summary : "";
	char name[256];

	if (!help_match(cmd, h->argc, h->argv))
		return;
	h->hits++;
	snprintf(name, sizeof(name), "%s%s%s", cmd->words, *args ? " " : "",
		 args);
	if (h->details)
		ss_cli_printf(h->cli, "%s\n    %s (from %s)\n", name, sum,
			      owner ? ss_module_name(owner) : "core");
	else
		ss_cli_printf(h->cli, "  %-*s  %s\n", h->width, name, sum);
}

static ss_cli_status_t cmd_help(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	help_ctx_t h = {
	    .cli = cli, .argc = argc, .argv = argv, .details = argc > 0};

	ss_cli_foreach(help_measure, &h);
	ss_cli_foreach(help_print, &h);
	if (h.hits == 0) {
		ss_cli_printf(cli, "No command starts with '");
		for (int i = 0; i < argc; i++)
			ss_cli_printf(cli, "%s%s", i ? " " : "", argv[i]);
		ss_cli_printf(cli, "' (type 'help' for the list)\n");
		return SS_CLI_FAIL;
	}
	return SS_CLI_OK;
}

/* Offers word argi of every command whose first argi words are argv. */
static void help_offer(const ss_cli_cmd_t *cmd, const struct ss_module *owner,
		       void *arg)
{
	help_ctx_t *h = arg;
	const char *w = cmd->words;
	char word[128];
	size_t len = 0;

	for (int i = 0; i <= h->argc; i++) {
		w += len;
		w += strspn(w, " ");
		len = strcspn(w, " ");
		if (len == 0)
			return;
		if (i < h->argc &&
		    (strlen(h->argv[i]) != len || memcmp(w, h->argv[i], len)))
			return;
	}
	if (len < sizeof(word)) {
		memcpy(word, w, len);
		word[len] = '\0';
		ss_cli_add_completion(h->cli, word);
	}
}

static void complete_help(ss_cli_t *cli, int argi, const char *const *argv,
			  const char *prefix)
{
	help_ctx_t h = {.cli = cli, .argc = argi, .argv = argv};

	ss_cli_foreach(help_offer, &h);
}

/* --- module ------------------------------------------------------------- */

typedef struct mod_widths {
	int name, version, provides, used;
} mod_widths_t;

typedef struct mod_ctx {
	ss_cli_t *cli;
	mod_widths_t w;
	unsigned count;
} mod_ctx_t;

static void join_list(char *buf, size_t size, const char *const *list)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; list && *list && n < size; list++) {
		int w =
		    snprintf(buf + n, size - n, "%s%s", n ? ", " : "", *list);

		n += w > 0 ? (size_t)w : 0;
	}
	if (n == 0)
		snprintf(buf, size, "-");
}

static int max_int(int a, size_t b)
{
	return (size_t)a > b ? a : (int)b;
}

static void mod_measure(const ss_module_info_t *info, void *arg)
{
	mod_ctx_t *m = arg;
	char prov[256];

	join_list(prov, sizeof(prov), info->provides);
	m->w.name = max_int(m->w.name, strlen(info->name));
	m->w.version =
	    max_int(m->w.version, strlen(info->version ? info->version : "-"));
	m->w.provides = max_int(m->w.provides, strlen(prov));
	m->w.used = max_int(
	    m->w.used, strlen(info->dependents[0] ? info->dependents : "-"));
	m->count++;
}

static void mod_print(const ss_module_info_t *info, void *arg)
{
	mod_ctx_t *m = arg;
	char prov[256];

	join_list(prov, sizeof(prov), info->provides);
	ss_cli_printf(m->cli, "%-*s  %-*s  %-*s  %-*s  %s\n", m->w.name,
		      info->name, m->w.version,
		      info->version ? info->version : "-", m->w.provides, prov,
		      m->w.used, info->dependents[0] ? info->dependents : "-",
		      info->description ? info->description : "");
}

static ss_cli_status_t cmd_module_show(ss_cli_t *cli, int argc,
				       const char *const *argv)
{
	mod_ctx_t m = {.cli = cli,
		       .w = {sizeof("Name") - 1, sizeof("Version") - 1,
			     sizeof("Provides") - 1, sizeof("Used by") - 1}};

	if (argc != 0)
		return SS_CLI_USAGE;
	ss_module_foreach(mod_measure, &m);
	ss_cli_printf(cli, "%-*s  %-*s  %-*s  %-*s  %s\n", m.w.name, "Name",
		      m.w.version, "Version", m.w.provides, "Provides",
		      m.w.used, "Used by", "Description");
	ss_module_foreach(mod_print, &m);
	ss_cli_printf(cli, "%u module%s loaded\n", m.count,
		      m.count == 1 ? "" : "s");
	return SS_CLI_OK;
}

typedef int (*mod_op_fn)(const char *name, char *err, size_t errlen);

static ss_cli_status_t module_op(ss_cli_t *cli, int argc,
				 const char *const *argv, mod_op_fn op,
				 const char *done)
{
	char err[ERRLEN] = "";

	if (argc != 1 || !*argv[0])
		return SS_CLI_USAGE;
	if (op(argv[0], err, sizeof(err)) < 0) {
		ss_cli_printf(cli, "%s\n", err[0] ? err : "failed");
		return SS_CLI_FAIL;
	}
	ss_cli_printf(cli, "Module '%s' %s\n", argv[0], done);
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_module_load(ss_cli_t *cli, int argc,
				       const char *const *argv)
{
	return module_op(cli, argc, argv, ss_module_load_by_name, "loaded");
}

static ss_cli_status_t cmd_module_unload(ss_cli_t *cli, int argc,
					 const char *const *argv)
{
	return module_op(cli, argc, argv, ss_module_unload_by_name, "unloaded");
}

static ss_cli_status_t cmd_module_reload(ss_cli_t *cli, int argc,
					 const char *const *argv)
{
	return module_op(cli, argc, argv, ss_module_reload_by_name, "reloaded");
}

static void offer_available(const char *name, void *arg)
{
	if (!ss_module_find(name))
		ss_cli_add_completion(arg, name);
}

static void offer_loaded(const ss_module_info_t *info, void *arg)
{
	ss_cli_add_completion(arg, info->name);
}

static void complete_available(ss_cli_t *cli, int argi, const char *const *argv,
			       const char *prefix)
{
	if (argi == 0)
		ss_module_foreach_available(offer_available, cli);
}

static void complete_loaded(ss_cli_t *cli, int argi, const char *const *argv,
			    const char *prefix)
{
	if (argi == 0)
		ss_module_foreach(offer_loaded, cli);
}

/* --- config ------------------------------------------------------------- */

static ss_cli_status_t cmd_config_reload(ss_cli_t *cli, int argc,
					 const char *const *argv)
{
	char err[ERRLEN] = "";

	if (argc != 0)
		return SS_CLI_USAGE;
	if (ss_server_config_reload(err, sizeof(err)) < 0) {
		ss_cli_printf(cli, "%s\n", err[0] ? err : "reload failed");
		ss_cli_printf(cli, "The running configuration is unchanged\n");
		return SS_CLI_FAIL;
	}
	ss_cli_printf(cli, "Configuration reloaded from %s\n",
		      ss_config_source(ss_server_config()));
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_config_show(ss_cli_t *cli, int argc,
				       const char *const *argv)
{
	const ss_config_t *cfg = ss_server_config();
	const char *text;
	size_t len;

	if (argc != 0)
		return SS_CLI_USAGE;
	if (!cfg) {
		ss_cli_printf(cli, "No configuration is loaded\n");
		return SS_CLI_FAIL;
	}
	text = ss_config_text(cfg);
	len = text ? strlen(text) : 0;
	ss_cli_printf(cli, "Configuration from %s:\n%s%s",
		      ss_config_source(cfg), text ? text : "",
		      len && text[len - 1] == '\n' ? "" : "\n");
	return SS_CLI_OK;
}

/* --- core show ---------------------------------------------------------- */

static ss_cli_status_t cmd_core_show_uptime(ss_cli_t *cli, int argc,
					    const char *const *argv)
{
	uint64_t s;

	if (argc != 0)
		return SS_CLI_USAGE;
	s = (ss_server_now_ms() - ss_server_started_ms()) / 1000;
	ss_cli_printf(cli, "Uptime: %" PRIu64 ":%02u:%02u\n", s / 3600,
		      (unsigned)(s / 60 % 60), (unsigned)(s % 60));
	return SS_CLI_OK;
}

/* Loop i of the display order: the workers, then the control loop. */
static ss_loop_t *loop_at(unsigned i)
{
	return i < ss_loop_count() ? ss_loop_worker(i) : ss_loop_control();
}

static const char *loop_label(unsigned i, char *buf, size_t size)
{
	if (i >= ss_loop_count())
		return "control";
	snprintf(buf, size, "%u", i);
	return buf;
}

static ss_cli_status_t cmd_core_show_workers(ss_cli_t *cli, int argc,
					     const char *const *argv)
{
	char label[16];

	if (argc != 0)
		return SS_CLI_USAGE;
	ss_cli_printf(cli, "%-8s %8s %12s %12s %8s %12s %6s %12s\n", "Loop",
		      "TID", "Events", "Tasks", "Timers", "Fired", "FDs",
		      "Busy (s)");
	for (unsigned i = 0; i <= ss_loop_count(); i++) {
		ss_loop_t *loop = loop_at(i);
		ss_loop_stats_t st;

		if (!loop)
			continue;
		ss_loop_get_stats(loop, &st);
		ss_cli_printf(cli,
			      "%-8s %8d %12" PRIu64 " %12" PRIu64
			      " %8u %12" PRIu64 " %6u %8" PRIu64 ".%03u\n",
			      loop_label(i, label, sizeof(label)), st.tid,
			      st.events, st.tasks, st.timers_pending,
			      st.timers_fired, st.ios, st.busy_us / 1000000,
			      (unsigned)(st.busy_us / 1000 % 1000));
	}
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_core_show_timers(ss_cli_t *cli, int argc,
					    const char *const *argv)
{
	unsigned long total = 0;
	char label[16];

	if (argc != 0)
		return SS_CLI_USAGE;
	ss_cli_printf(cli, "%-8s %10s %14s\n", "Loop", "Pending", "Fired");
	for (unsigned i = 0; i <= ss_loop_count(); i++) {
		ss_loop_t *loop = loop_at(i);
		ss_loop_stats_t st;

		if (!loop)
			continue;
		ss_loop_get_stats(loop, &st);
		total += st.timers_pending;
		ss_cli_printf(cli, "%-8s %10u %14" PRIu64 "\n",
			      loop_label(i, label, sizeof(label)),
			      st.timers_pending, st.timers_fired);
	}
	ss_cli_printf(cli, "%-8s %10lu\n", "total", total);
	return SS_CLI_OK;
}

typedef struct bus_ctx {
	ss_cli_t *cli;
	char subs[512];
	size_t len;
	unsigned topics;
} bus_ctx_t;

static void bus_sub(int priority, const char *owner_name, void *arg)
{
	bus_ctx_t *b = arg;
	int w;

	if (b->len >= sizeof(b->subs))
		return;
	w = snprintf(b->subs + b->len, sizeof(b->subs) - b->len, "%s%s:%d",
		     b->len ? ", " : "", owner_name, priority);
	b->len += w > 0 ? (size_t)w : 0;
	if (b->len >= sizeof(b->subs))
		memcpy(b->subs + sizeof(b->subs) - 4, "...", 4);
}

static void bus_topic(const ss_bus_topic_info_t *info, void *arg)
{
	bus_ctx_t *b = arg;

	b->len = 0;
	b->subs[0] = '\0';
	ss_bus_foreach_subscriber(info->id, bus_sub, b);
	ss_cli_printf(b->cli, "%-32s %12" PRIu64 " %12" PRIu64 "  %s\n",
		      info->name, info->published, info->stopped,
		      b->len ? b->subs : "-");
	b->topics++;
}

static ss_cli_status_t cmd_core_show_bus(ss_cli_t *cli, int argc,
					 const char *const *argv)
{
	bus_ctx_t b = {.cli = cli};

	if (argc != 0)
		return SS_CLI_USAGE;
	ss_cli_printf(cli, "%-32s %12s %12s  %s\n", "Topic", "Published",
		      "Stopped", "Subscribers (owner:priority)");
	ss_bus_foreach_topic(bus_topic, &b);
	ss_cli_printf(cli, "%u topic%s\n", b.topics, b.topics == 1 ? "" : "s");
	return SS_CLI_OK;
}

/* --- core set / stop ---------------------------------------------------- */

static ss_cli_status_t cmd_core_set_verbose(ss_cli_t *cli, int argc,
					    const char *const *argv)
{
	char *end;
	long level;

	if (argc != 1)
		return SS_CLI_USAGE;
	errno = 0;
	level = strtol(argv[0], &end, 10);
	if (errno || end == argv[0] || *end || level < 0 ||
	    level > SS_LOG_DEBUG)
		return SS_CLI_USAGE;
	if (ss_console_session_set_verbose(cli, (int)level) == 0) {
		ss_cli_printf(cli, "Console verbosity is now %ld (%s)\n", level,
			      ss_log_level_name((int)level));
		return SS_CLI_OK;
	}
	ss_log_set_stderr_level((int)level);
	ss_cli_printf(cli, "Log level on stderr is now %ld (%s)\n", level,
		      ss_log_level_name((int)level));
	return SS_CLI_OK;
}

static void complete_verbose(ss_cli_t *cli, int argi, const char *const *argv,
			     const char *prefix)
{
	static const char *const levels[] = {"0", "1", "2", "3", "4", "5"};

	for (unsigned i = 0; argi == 0 && i < 6; i++)
		ss_cli_add_completion(cli, levels[i]);
}

static ss_cli_status_t cmd_core_stop(ss_cli_t *cli, int argc,
				     const char *const *argv)
{
	bool graceful;

	if (argc == 0 || (argc == 1 && strcmp(argv[0], "gracefully") == 0))
		graceful = true;
	else if (argc == 1 && strcmp(argv[0], "now") == 0)
		graceful = false;
	else
		return SS_CLI_USAGE;
	ss_cli_printf(cli, "Stopping sipserver%s\n",
		      graceful ? " gracefully" : " now");
	ss_server_stop(graceful);
	return SS_CLI_OK;
}

static void complete_stop(ss_cli_t *cli, int argi, const char *const *argv,
			  const char *prefix)
{
	if (argi == 0) {
		ss_cli_add_completion(cli, "now");
		ss_cli_add_completion(cli, "gracefully");
	}
}

static const ss_cli_cmd_t core_commands[] = {
    {"help", "[CMD...]", "List commands, or describe those starting with CMD",
     cmd_help, complete_help},
    {"module show", "", "List loaded modules and who uses them",
     cmd_module_show, NULL},
    {"module load", "NAME", "Load a module (its config section is used)",
     cmd_module_load, complete_available},
    {"module unload", "NAME", "Unload a module no other module needs",
     cmd_module_unload, complete_loaded},
    {"module reload", "NAME", "Reload a module with its config section",
     cmd_module_reload, complete_loaded},
    {"config reload", "", "Re-read the config file; keeps it on error",
     cmd_config_reload, NULL},
    {"config show", "", "Print the configuration in force", cmd_config_show,
     NULL},
    {"core show uptime", "", "Time since the server started",
     cmd_core_show_uptime, NULL},
    {"core show workers", "", "Per-loop events, tasks, timers and load",
     cmd_core_show_workers, NULL},
    {"core show timers", "", "Pending timers per loop", cmd_core_show_timers,
     NULL},
    {"core show bus", "", "Bus topics, subscribers and counters",
     cmd_core_show_bus, NULL},
    {"core set verbose", "N", "Log level 0-5 of this console (or stderr)",
     cmd_core_set_verbose, complete_verbose},
    {"core stop", "[now|gracefully]",
     "Stop the server (default: gracefully, unloading modules first)",
     cmd_core_stop, complete_stop},
    {NULL},
};

int ss_cli_core_commands_register(void)
{
	return ss_cli_register(NULL, core_commands);
}
