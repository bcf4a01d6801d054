/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Core-private: the console. The server side listens on a UNIX socket and
 * runs commands for attached consoles on the control loop, streaming log
 * lines to each at its own verbosity; the client side is `sipserver -r`,
 * `-rx CMD` and the terminal of `-c`.
 */
#ifndef SS_CORE_CONSOLE_H
#define SS_CORE_CONSOLE_H

#include <sipserver/cli.h>

/*
 * Wire protocol, both directions: frames of one type byte, a 4-byte length
 * in network order and that many payload bytes.
 *
 * client -> server
 *   HELLO    1 byte: flags (SS_CONSOLE_ONESHOT); optional, first frame
 *   COMMAND  the command line
 *   COMPLETE the line up to the cursor
 *   VERBOSE  the new verbosity as decimal text
 * server -> client
 *   OUTPUT   command output text
 *   LOG      one log line, newline-terminated
 *   CANDS    completion candidates, each NUL-terminated (may be empty)
 *   STATUS   1 byte: the ss_cli_status_t of the command that just ended
 */
enum {
	SS_CONSOLE_HELLO = 'H',
	SS_CONSOLE_COMMAND = 'C',
	SS_CONSOLE_COMPLETE = 'T',
	SS_CONSOLE_VERBOSE = 'V',
	SS_CONSOLE_OUTPUT = 'O',
	SS_CONSOLE_LOG = 'L',
	SS_CONSOLE_CANDS = 'K',
	SS_CONSOLE_STATUS = 'E',
};

#define SS_CONSOLE_HDR	     5
#define SS_CONSOLE_ONESHOT   0x01 /* HELLO flag: -rx, verbosity starts at 0 */
#define SS_CONSOLE_MAX_FRAME (1u << 20)

/* Listens on path (mode 0660). A stale socket nobody answers on is
 * replaced; a live one means another server runs: -EADDRINUSE and an error
 * logged. Call on the control loop's thread after ss_loops_start. 0 or
 * -errno. */
int ss_console_server_start(const char *path);
/* Flushes what can be sent without waiting long (at most 0.5 s in all),
 * closes every session and removes the socket. Control loop's thread,
 * before ss_loops_shutdown; never from inside a console command (it frees
 * the session running it): post it to the control loop instead.
 * Idempotent. */
void ss_console_server_stop(void);

/* Sets the log verbosity (0..5) of the interactive console session that
 * owns cli. -ENOTTY when cli belongs to no interactive session (a one-shot
 * -rx session or a console that is not on the socket): the caller then
 * changes the stderr level instead. Control loop. */
int ss_console_session_set_verbose(const ss_cli_t *cli, int level);

/* Connects to the server at path, runs cmd, writes its output to stdout and
 * returns its status as an exit code (0 ok, 1 failed, 2 usage). When no
 * server answers, prints why to stderr and returns 1. Thread-safe: all
 * state is on the caller's stack. */
int ss_console_client_exec(const char *path, const char *cmd);
/* Interactive console on the terminal (libedit): history in
 * ~/.sipserver_history, tab completion asked from the server, log lines
 * printed above the prompt. Returns 0 on exit, quit, Ctrl-D or when the
 * server goes away; 1 when it cannot connect. Meant for the main thread
 * (-r) or one extra thread (-c); no state is shared with the server side.
 * One at a time per process: libedit's signal handling is process-wide. */
int ss_console_client_interactive(const char *path);

#endif
