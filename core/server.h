/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Core-private: the running server's lifecycle state that console commands
 * act on (current config, reload, stop).
 */
#ifndef SS_CORE_SERVER_H
#define SS_CORE_SERVER_H

#include "config_core.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The config in force. Borrowed; control loop only. */
const ss_config_t *ss_server_config(void);
/* Re-reads the config file; on any error keeps the old config and modules
 * and writes one line into err. 0 or -errno. Control loop. */
int ss_server_config_reload(char *err, size_t errlen);
/* Asks the server to stop: graceful unloads modules in reverse order first,
 * otherwise the process exits as soon as the control loop returns. */
void ss_server_stop(bool graceful);
/* Monotonic ms at start, for uptime. */
uint64_t ss_server_started_ms(void);
/* Monotonic clock in ms. */
uint64_t ss_server_now_ms(void);

/* Takes ownership of cfg, the config the server started with; path is the
 * file it came from (NULL: the embedded default). Main thread, at start. */
void ss_server_init(ss_config_t *cfg, const char *path);
/* Whether the last stop request asked for a graceful stop. */
bool ss_server_stop_is_graceful(void);
/* Frees what ss_server_init took. */
void ss_server_shutdown(void);

#endif
