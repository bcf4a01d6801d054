/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Console commands: modules declare a static table of commands whose words
 * form a tree ("module show", "registrar show"), with optional completion of
 * live arguments. Handlers run on the control loop.
 */
#ifndef SIPSERVER_CLI_H
#define SIPSERVER_CLI_H

struct ss_module;

typedef struct ss_cli ss_cli_t; /* one console session's output */

typedef enum ss_cli_status {
	SS_CLI_OK = 0,
	SS_CLI_FAIL = 1,  /* the command ran and failed; it printed why */
	SS_CLI_USAGE = 2, /* bad arguments: the console prints the usage line */
} ss_cli_status_t;

/* argv holds the arguments after the command's words (argc may be 0). */
typedef ss_cli_status_t (*ss_cli_fn)(ss_cli_t *cli, int argc,
				     const char *const *argv);

/* Offers candidates for argument number argi (0-based after the command's
 * words) starting with prefix, each through ss_cli_add_completion(). */
typedef void (*ss_cli_complete_fn)(ss_cli_t *cli, int argi,
				   const char *const *argv, const char *prefix);

typedef struct ss_cli_cmd {
	const char *words;   /* "module show" */
	const char *args;    /* "[NAME]" shown in help and usage */
	const char *summary; /* one line for help */
	ss_cli_fn fn;
	ss_cli_complete_fn complete; /* NULL: no argument completion */
} ss_cli_cmd_t;

/* Output to the console that ran the command (printf semantics). */
void ss_cli_printf(ss_cli_t *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Offers one completion candidate; only valid inside a complete callback. */
void ss_cli_add_completion(ss_cli_t *cli, const char *candidate);

/* Registers a table (ends with words == NULL) owned by owner (NULL: core);
 * released when the owner unloads. The table must outlive the registration.
 * Control loop only. Returns 0 or -EEXIST when a command's words collide. */
int ss_cli_register(const struct ss_module *owner, const ss_cli_cmd_t *cmds);

#endif
