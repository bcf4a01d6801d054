/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Core-private: the console command tree (dispatch and completion) that the
 * console server and the foreground console share.
 */
#ifndef SS_CORE_CLI_CORE_H
#define SS_CORE_CLI_CORE_H

#include <sipserver/cli.h>
#include <stddef.h>

struct ss_module;

/* Where a session's output and completion candidates go. */
typedef struct ss_cli_sink {
	void (*write)(void *arg, const char *text, size_t len);
	void (*candidate)(void *arg, const char *word);
	void *arg;
} ss_cli_sink_t;

ss_cli_t *ss_cli_new(const ss_cli_sink_t *sink);
void ss_cli_free(ss_cli_t *cli);

/* Tokenizes (quotes and backslash escapes) and runs one line. Unknown
 * commands print a usage line and return SS_CLI_USAGE. Control loop. */
ss_cli_status_t ss_cli_execute(ss_cli_t *cli, const char *line);
/* Offers completions for the last (possibly empty) word of line through
 * the sink's candidate callback: command words, then the command's own
 * argument completer. Control loop. */
void ss_cli_complete(ss_cli_t *cli, const char *line);

/* Calls fn for every registered command in sorted word order (the order
 * help lists them). fn must not register or release commands. Control loop. */
void ss_cli_foreach(void (*fn)(const ss_cli_cmd_t *cmd,
			       const struct ss_module *owner, void *arg),
		    void *arg);

/* Removes every command owner registered. Control loop. */
void ss_cli_release_owner(const struct ss_module *owner);
/* Registers the core's own commands (help, module, config, core). */
int ss_cli_core_commands_register(void);
void ss_cli_shutdown(void);

#endif
