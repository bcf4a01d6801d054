/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for the core and modules: leveled messages that carry file, line,
 * function and module name, delivered to stderr, syslog and attached consoles.
 */
#ifndef SIPSERVER_LOG_H
#define SIPSERVER_LOG_H

#include <stdarg.h>

#ifndef SS_MODULE_NAME
#define SS_MODULE_NAME "core"
#endif

typedef enum ss_log_level {
	SS_LOG_ERROR = 1,
	SS_LOG_WARNING = 2,
	SS_LOG_NOTICE = 3,
	SS_LOG_INFO = 4,
	SS_LOG_DEBUG = 5,
} ss_log_level_t;

/*
 * The highest level any sink (stderr, syslog, an attached console) wants.
 * Read without a lock on every log call site so that a disabled level costs
 * one compare; written by the core under its log lock.
 */
extern volatile int ss_log_max_level;

/* Formats and delivers one line to every sink whose level admits it.
 * Any thread; never call it directly, use the SS_LOG_* macros. */
void ss_log_write(int level, const char *module, const char *file, int line,
		  const char *func, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#define SS_LOG(level, ...)                                              \
	do {                                                            \
		if ((level) <= ss_log_max_level)                        \
			ss_log_write((level), SS_MODULE_NAME, __FILE__, \
				     __LINE__, __func__, __VA_ARGS__);  \
	} while (0)

#define SS_LOG_ERR(...)	   SS_LOG(SS_LOG_ERROR, __VA_ARGS__)
#define SS_LOG_WARN(...)   SS_LOG(SS_LOG_WARNING, __VA_ARGS__)
#define SS_LOG_NOTICE(...) SS_LOG(SS_LOG_NOTICE, __VA_ARGS__)
#define SS_LOG_INFO(...)   SS_LOG(SS_LOG_INFO, __VA_ARGS__)
#define SS_LOG_DEBUG(...)  SS_LOG(SS_LOG_DEBUG, __VA_ARGS__)

#endif
