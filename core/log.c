/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Log delivery: formats a line once and hands it to stderr, syslog and the
 * sinks of attached consoles, each filtered by its own level.
 */
#include "log_core.h"

#include <sipserver/log.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define SS_LOG_MAX_SINKS 64
#define SS_LOG_LINE_MAX	 2048

typedef struct ss_log_sink {
	ss_log_sink_fn fn;
	void *arg;
	int level;
} ss_log_sink_t;

/* Everything below is guarded by log_lock; ss_log_max_level is written only
 * under it and read racily by the SS_LOG macro (a stale read at worst lets
 * one line be formatted and then filtered). */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int stderr_level = SS_LOG_NOTICE;
static bool syslog_on;
static ss_log_sink_t sinks[SS_LOG_MAX_SINKS];
static unsigned nsinks;

volatile int ss_log_max_level = SS_LOG_NOTICE;

static const char *const level_names[] = {
    "NONE", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG",
};

const char *ss_log_level_name(int level)
{
	if (level < 0 || level > SS_LOG_DEBUG)
		return "?";
	return level_names[level];
}

/* Caller holds log_lock. */
static void recompute_max_level(void)
{
	int max = stderr_level;

	if (syslog_on && max < SS_LOG_INFO)
		max = SS_LOG_INFO;
	for (unsigned i = 0; i < nsinks; i++)
		if (sinks[i].level > max)
			max = sinks[i].level;
	ss_log_max_level = max;
}

void ss_log_init(int level, bool use_syslog)
{
	pthread_mutex_lock(&log_lock);
	stderr_level = level;
	if (use_syslog && !syslog_on)
		openlog("sipserver", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	syslog_on = use_syslog;
	recompute_max_level();
	pthread_mutex_unlock(&log_lock);
}

void ss_log_set_stderr_level(int level)
{
	pthread_mutex_lock(&log_lock);
	stderr_level = level;
	recompute_max_level();
	pthread_mutex_unlock(&log_lock);
}

int ss_log_stderr_level(void)
{
	return stderr_level;
}

int ss_log_sink_add(ss_log_sink_fn fn, void *arg, int level)
{
	int rc = -ENOSPC;

	pthread_mutex_lock(&log_lock);
	if (nsinks < SS_LOG_MAX_SINKS) {
		sinks[nsinks++] = (ss_log_sink_t){fn, arg, level};
		recompute_max_level();
		rc = 0;
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

void ss_log_sink_set_level(ss_log_sink_fn fn, void *arg, int level)
{
	pthread_mutex_lock(&log_lock);
	for (unsigned i = 0; i < nsinks; i++)
		if (sinks[i].fn == fn && sinks[i].arg == arg)
			sinks[i].level = level;
	recompute_max_level();
	pthread_mutex_unlock(&log_lock);
}

void ss_log_sink_remove(ss_log_sink_fn fn, void *arg)
{
	pthread_mutex_lock(&log_lock);
	for (unsigned i = 0; i < nsinks; i++) {
		if (sinks[i].fn == fn && sinks[i].arg == arg) {
			sinks[i] = sinks[--nsinks];
			break;
		}
	}
	recompute_max_level();
	pthread_mutex_unlock(&log_lock);
}

static int to_syslog_priority(int level)
{
	switch (level) {
	case SS_LOG_ERROR:
		return LOG_ERR;
	case SS_LOG_WARNING:
		return LOG_WARNING;
	case SS_LOG_NOTICE:
		return LOG_NOTICE;
	case SS_LOG_INFO:
		return LOG_INFO;
	default:
		return LOG_DEBUG;
	}
}

/* Formats "[time] LEVEL[module] file:line func: message" once; the debug
 * level adds the source position, the others keep lines short for operators. */
static size_t format_line(char *buf, size_t size, int level, const char *module,
			  const char *file, int line, const char *func,
			  const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	size_t n;
	int w;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, size, "[%Y-%m-%d %H:%M:%S", &tm);
	w = snprintf(buf + n, size - n, ".%03ld] %s[%s] ", ts.tv_nsec / 1000000,
		     ss_log_level_name(level), module);
	n += w > 0 ? (size_t)w : 0;
	if (level >= SS_LOG_DEBUG && n < size) {
		const char *base = strrchr(file, '/');

		w = snprintf(buf + n, size - n,
			     "%s:%d %s: ", base ? base + 1 : file, line, func);
		n += w > 0 ? (size_t)w : 0;
	}
	if (n < size) {
		w = vsnprintf(buf + n, size - n, fmt, ap);
		n += w > 0 ? (size_t)w : 0;
	}
	if (n >= size)
		n = size - 1;
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return n;
}

void ss_log_write(int level, const char *module, const char *file, int line,
		  const char *func, const char *fmt, ...)
{
	char buf[SS_LOG_LINE_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = format_line(buf, sizeof(buf), level, module, file, line, func, fmt,
			ap);
	va_end(ap);

	pthread_mutex_lock(&log_lock);
	if (level <= stderr_level) {
		buf[n] = '\n';
		fwrite(buf, 1, n + 1, stderr);
		buf[n] = '\0';
	}
	if (syslog_on && level <= SS_LOG_INFO)
		syslog(to_syslog_priority(level), "%s", strchr(buf, ']') + 2);
	for (unsigned i = 0; i < nsinks; i++)
		if (level <= sinks[i].level)
			sinks[i].fn(sinks[i].arg, level, buf);
	pthread_mutex_unlock(&log_lock);
}

void ss_log_shutdown(void)
{
	pthread_mutex_lock(&log_lock);
	nsinks = 0;
	if (syslog_on)
		closelog();
	syslog_on = false;
	recompute_max_level();
	pthread_mutex_unlock(&log_lock);
}
