/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The running server's lifecycle state: which config is in force, reloading
 * it without losing the old one on error, and the stop request.
 */
#include "server.h"

#include "log_core.h"
#include "loop_core.h"
#include "module_loader.h"

#include <sipserver/log.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Owned by the control loop (main thread): set at start, replaced only by
 * ss_server_config_reload, which runs there too. */
static ss_config_t *current;
static char *config_path; /* NULL: the embedded default */
static uint64_t started_ms;
static bool stop_graceful;

uint64_t ss_server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t ss_server_started_ms(void)
{
	return started_ms;
}

const ss_config_t *ss_server_config(void)
{
	return current;
}

void ss_server_init(ss_config_t *cfg, const char *path)
{
	current = cfg;
	config_path = path ? strdup(path) : NULL;
	started_ms = ss_server_now_ms();
}

static ss_config_t *read_config(char *err, size_t errlen)
{
	const char *xml;

	if (config_path)
		return ss_config_load_file(config_path, err, errlen);
	xml = ss_config_default_xml();
	return ss_config_load_memory(xml, strlen(xml), "embedded default", err,
				     errlen);
}

/* Settings the core reads only at start: say so instead of silently
 * ignoring an edit. */
static void note_restart_only(const ss_core_settings_t *old,
			      const ss_core_settings_t *new)
{
	if (old->workers != new->workers)
		SS_LOG_WARN("config reload: workers change takes effect at "
			    "the next start");
	if (strcmp(old->console, new->console) != 0)
		SS_LOG_WARN("config reload: console path change takes effect "
			    "at the next start");
	if (strcmp(old->statedir, new->statedir) != 0)
		SS_LOG_WARN("config reload: statedir change takes effect at "
			    "the next start");
}

int ss_server_config_reload(char *err, size_t errlen)
{
	ss_config_t *next = read_config(err, errlen);
	int rc;

	if (!next) {
		SS_LOG_ERR("config reload failed, keeping the running config: "
			   "%s",
			   err);
		return -EINVAL;
	}
	rc = ss_modules_apply(next, err, errlen);
	if (rc < 0) {
		SS_LOG_ERR("config reload failed, keeping the running config: "
			   "%s",
			   err);
		ss_config_free(next);
		return rc;
	}
	note_restart_only(ss_config_core(current), ss_config_core(next));
	if (ss_config_core(next)->verbose != ss_config_core(current)->verbose &&
	    ss_log_stderr_level() > 0)
		ss_log_set_stderr_level(ss_config_core(next)->verbose);
	ss_modules_set_config(next);
	ss_config_free(current);
	current = next;
	SS_LOG_NOTICE("config reloaded from %s", ss_config_source(current));
	return 0;
}

void ss_server_stop(bool graceful)
{
	stop_graceful = graceful;
	ss_loops_request_stop(0);
}

bool ss_server_stop_is_graceful(void)
{
	return stop_graceful;
}

void ss_server_shutdown(void)
{
	ss_config_free(current);
	current = NULL;
	free(config_path);
	config_path = NULL;
}
