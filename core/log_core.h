/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Core-private side of logging: sinks (stderr, syslog, consoles) and levels. */
#ifndef SS_CORE_LOG_CORE_H
#define SS_CORE_LOG_CORE_H

#include <stdbool.h>

/* A sink receives each formatted line (no trailing newline). It is called
 * with the log lock held, on whatever thread logged: it must not log. */
typedef void (*ss_log_sink_fn)(void *arg, int level, const char *line);

/* Sets up stderr at `stderr_level` (0: off) and optional syslog. */
void ss_log_init(int stderr_level, bool use_syslog);
void ss_log_set_stderr_level(int level);
int ss_log_stderr_level(void);
/* Adds/removes a sink; its level may be changed later. 0 or -errno. */
int ss_log_sink_add(ss_log_sink_fn fn, void *arg, int level);
void ss_log_sink_set_level(ss_log_sink_fn fn, void *arg, int level);
void ss_log_sink_remove(ss_log_sink_fn fn, void *arg);
const char *ss_log_level_name(int level);
void ss_log_shutdown(void);

#endif
