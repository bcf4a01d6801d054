/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the console server and client (core/console_server.c,
 * core/console_client.c) over a real UNIX socket: the control loop runs on
 * the test's thread, the client side on a second thread.
 */
#include "cli_core.h"
#include "console.h"
#include "log_core.h"
#include "loop_core.h"
#include "module_loader.h"

#include <sipserver/log.h>

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Guards a read against a broken server; a passing test never waits it. */
#define IO_TIMEOUT_MS 10000

static char dir[64];
static char sock_path[128];

/* --- commands the server runs ------------------------------------------- */

static ss_cli_status_t cmd_echo(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	ss_cli_printf(cli, "echo:%d", argc);
	for (int i = 0; i < argc; i++)
		ss_cli_printf(cli, "[%s]", argv[i]);
	ss_cli_printf(cli, "\n");
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_fail(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	ss_cli_printf(cli, "it failed\n");
	return SS_CLI_FAIL;
}

static ss_cli_status_t cmd_usage(ss_cli_t *cli, int argc,
				 const char *const *argv)
{
	return SS_CLI_USAGE;
}

static void complete_fruit(ss_cli_t *cli, int argi, const char *const *argv,
			   const char *prefix)
{
	ss_cli_add_completion(cli, "apple");
	ss_cli_add_completion(cli, "apricot");
	ss_cli_add_completion(cli, "banana");
}

static ss_cli_status_t cmd_log(ss_cli_t *cli, int argc, const char *const *argv)
{
	if (argc != 2)
		return SS_CLI_USAGE;
	SS_LOG(atoi(argv[0]), "%s", argv[1]);
	return SS_CLI_OK;
}

typedef struct log_job {
	int level;
	char text[64];
} log_job_t;

static void log_on_worker(void *arg)
{
	log_job_t *job = arg;

	SS_LOG(job->level, "%s", job->text);
	free(job);
}

static ss_cli_status_t cmd_log_worker(ss_cli_t *cli, int argc,
				      const char *const *argv)
{
	log_job_t *job;

	if (argc != 2)
		return SS_CLI_USAGE;
	job = calloc(1, sizeof(*job));
	ck_assert_ptr_nonnull(job);
	job->level = atoi(argv[0]);
	snprintf(job->text, sizeof(job->text), "%s", argv[1]);
	ck_assert_int_eq(ss_loop_post(ss_loop_worker(0), log_on_worker, job),
			 0);
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_setverbose(ss_cli_t *cli, int argc,
				      const char *const *argv)
{
	if (argc != 1)
		return SS_CLI_USAGE;
	ss_cli_printf(cli, "rc=%d\n",
		      ss_console_session_set_verbose(cli, atoi(argv[0])));
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_flood(ss_cli_t *cli, int argc,
				 const char *const *argv)
{
	static char line[1024];

	memset(line, 'f', sizeof(line) - 2);
	line[sizeof(line) - 2] = '\n';
	for (int i = 0; i < 9 * 1024; i++)
		ss_cli_printf(cli, "%s", line);
	return SS_CLI_OK;
}

static void stop_server_task(void *arg)
{
	ss_console_server_stop();
}

static ss_cli_status_t cmd_stopserver(ss_cli_t *cli, int argc,
				      const char *const *argv)
{
	ss_cli_printf(cli, "stopping\n");
	ck_assert_int_eq(
	    ss_loop_post(ss_loop_control(), stop_server_task, NULL), 0);
	return SS_CLI_OK;
}

static const ss_cli_cmd_t test_cmds[] = {
    {"test echo", "[ARG...]", "print arguments", cmd_echo, NULL},
    {"test fail", "", "fail", cmd_fail, NULL},
    {"test usage", "N", "always usage", cmd_usage, NULL},
    {"test pick", "FRUIT", "complete fruit", cmd_echo, complete_fruit},
    {"test log", "LEVEL TEXT", "log on the control loop", cmd_log, NULL},
    {"test log worker", "LEVEL TEXT", "log on worker 0", cmd_log_worker, NULL},
    {"test setverbose", "N", "set session verbosity", cmd_setverbose, NULL},
    {"test flood", "", "9 MiB of output", cmd_flood, NULL},
    {"test stopserver", "", "stop the console server", cmd_stopserver, NULL},
    {NULL},
};

/* --- fixture ------------------------------------------------------------ */

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ss-console-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/console.sock", dir);
	ss_log_init(0, false);
	ck_assert_int_eq(ss_loops_start(1), 0);
	ck_assert_int_eq(ss_cli_register(NULL, test_cmds), 0);
	ck_assert_int_eq(ss_console_server_start(sock_path), 0);
}

static void teardown(void)
{
	char hist[192];

	ss_console_server_stop();
	ss_loops_shutdown();
	ss_cli_shutdown();
	ss_log_shutdown();
	snprintf(hist, sizeof(hist), "%s/.sipserver_history", dir);
	unlink(hist);
	rmdir(dir);
}

typedef struct client_job {
	void (*fn)(void *arg);
	void *arg;
} client_job_t;

static void *client_main(void *p)
{
	client_job_t *job = p;

	job->fn(job->arg);
	ss_loops_request_stop(0);
	return NULL;
}

/* Runs fn on a client thread while the control loop runs here. */
static void with_client(void (*fn)(void *arg), void *arg)
{
	client_job_t job = {fn, arg};
	pthread_t th;

	ck_assert_int_eq(pthread_create(&th, NULL, client_main, &job), 0);
	ck_assert_int_eq(ss_loop_control_run(), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
}

/* --- capturing stdout / stderr of the client functions ------------------ */

typedef struct capture {
	int target, saved, fd;
} capture_t;

static void capture_start(capture_t *c, int target)
{
	char path[] = "/tmp/ss-console-cap-XXXXXX";

	fflush(stdout);
	fflush(stderr);
	c->target = target;
	c->fd = mkstemp(path);
	unlink(path);
	c->saved = dup(target);
	dup2(c->fd, target);
}

/* Restores the descriptor and returns what was written (caller frees). */
static char *capture_end(capture_t *c)
{
	char *buf = calloc(1, 1 << 16);
	ssize_t n;

	fflush(stdout);
	fflush(stderr);
	dup2(c->saved, c->target);
	close(c->saved);
	lseek(c->fd, 0, SEEK_SET);
	n = read(c->fd, buf, (1 << 16) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(c->fd);
	return buf;
}

/* --- a raw protocol client ---------------------------------------------- */

static int raw_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int raw_send(int fd, int type, const char *data, size_t len)
{
	char buf[512];
	uint32_t n = htonl((uint32_t)len);

	if (len + SS_CONSOLE_HDR > sizeof(buf))
		return -1;
	buf[0] = (char)type;
	memcpy(buf + 1, &n, 4);
	memcpy(buf + SS_CONSOLE_HDR, data, len);
	return send(fd, buf, SS_CONSOLE_HDR + len, MSG_NOSIGNAL) ==
		       (ssize_t)(SS_CONSOLE_HDR + len)
		   ? 0
		   : -1;
}

static int raw_send_str(int fd, int type, const char *s)
{
	return raw_send(fd, type, s, strlen(s));
}

static int read_full(int fd, char *p, size_t len)
{
	while (len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, IO_TIMEOUT_MS) <= 0)
			return -1;
		n = recv(fd, p, len, 0);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one frame; payload is NUL-terminated in buf (truncated to cap).
 * Returns the payload length or -1 on EOF, timeout or error. */
static long raw_recv(int fd, int *type, char *buf, size_t cap)
{
	char hdr[SS_CONSOLE_HDR];
	uint32_t n;
	char *tmp;

	if (read_full(fd, hdr, sizeof(hdr)) < 0)
		return -1;
	memcpy(&n, hdr + 1, 4);
	n = ntohl(n);
	tmp = malloc(n + 1);
	if (!tmp || read_full(fd, tmp, n) < 0) {
		free(tmp);
		return -1;
	}
	*type = hdr[0];
	memcpy(buf, tmp, n < cap ? n : cap - 1);
	buf[n < cap ? n : cap - 1] = '\0';
	free(tmp);
	return (long)n;
}

/* Runs a command and collects its output and log frames until its status.
 * Returns the status or -1. */
static int raw_command(int fd, const char *line, char *output, size_t ocap,
		       char *logs, size_t lcap)
{
	char buf[4096];
	int type;

	output[0] = logs[0] = '\0';
	if (raw_send_str(fd, SS_CONSOLE_COMMAND, line) < 0)
		return -1;
	for (;;) {
		if (raw_recv(fd, &type, buf, sizeof(buf)) < 0)
			return -1;
		if (type == SS_CONSOLE_STATUS)
			return buf[0];
		if (type == SS_CONSOLE_OUTPUT)
			strncat(output, buf, ocap - strlen(output) - 1);
		else if (type == SS_CONSOLE_LOG)
			strncat(logs, buf, lcap - strlen(logs) - 1);
	}
}

/* Waits for a LOG frame containing text, skipping other frames. */
static bool raw_wait_log(int fd, const char *text)
{
	char buf[4096];
	int type;

	while (raw_recv(fd, &type, buf, sizeof(buf)) >= 0)
		if (type == SS_CONSOLE_LOG && strstr(buf, text))
			return true;
	return false;
}

/* --- one-shot exec ------------------------------------------------------ */

typedef struct exec_job {
	const char *cmd;
	int status;
	char *out;
	char *err;
} exec_job_t;

static void exec_client(void *arg)
{
	exec_job_t *job = arg;
	capture_t out, err;

	capture_start(&out, STDOUT_FILENO);
	capture_start(&err, STDERR_FILENO);
	job->status = ss_console_client_exec(sock_path, job->cmd);
	job->err = capture_end(&err);
	job->out = capture_end(&out);
}

static void exec_and_check(const char *cmd, int status, const char *out)
{
	exec_job_t job = {.cmd = cmd};

	with_client(exec_client, &job);
	ck_assert_int_eq(job.status, status);
	ck_assert_str_eq(job.out, out);
	ck_assert_str_eq(job.err, "");
	free(job.out);
	free(job.err);
}

START_TEST(test_exec_ok)
{
	exec_and_check("test echo a 'b c'", 0, "echo:2[a][b c]\n");
	exec_and_check("  test   echo  ", 0, "echo:0\n");
}
END_TEST

START_TEST(test_exec_status)
{
	exec_and_check("test fail", 1, "it failed\n");
	exec_and_check("test usage", 2, "Usage: test usage N\n");
	exec_and_check("no such thing", 2,
		       "No such command 'no such thing' (type 'help' for the "
		       "list)\n");
}
END_TEST

START_TEST(test_exec_no_server)
{
	char missing[192], expect[512];
	exec_job_t job = {.cmd = "test echo"};

	snprintf(missing, sizeof(missing), "%s/none.sock", dir);
	snprintf(expect, sizeof(expect),
		 "Unable to connect to sipserver at %s: No such file or "
		 "directory. Is it running?\n",
		 missing);
	{
		capture_t err;

		capture_start(&err, STDERR_FILENO);
		job.status = ss_console_client_exec(missing, job.cmd);
		job.err = capture_end(&err);
	}
	ck_assert_int_eq(job.status, 1);
	ck_assert_str_eq(job.err, expect);
	free(job.err);
}
END_TEST

/* --- completion --------------------------------------------------------- */

typedef struct raw_job {
	int ok;
	char a[4096], b[4096], c[4096], d[4096], e[512];
	int st1, st2, st3;
} raw_job_t;

/* Candidates of a completion request, NUL separators shown as ','. */
static void raw_complete(int fd, const char *line, char *out, size_t cap)
{
	char buf[4096];
	long n;
	int type = 0;

	out[0] = '\0';
	if (raw_send_str(fd, SS_CONSOLE_COMPLETE, line) < 0)
		return;
	do
		n = raw_recv(fd, &type, buf, sizeof(buf));
	while (n >= 0 && type != SS_CONSOLE_CANDS);
	for (long i = 0; i < n && (size_t)i + 1 < cap; i++)
		out[i] = buf[i] ? buf[i] : ',';
	out[n > 0 && (size_t)n < cap ? n : 0] = '\0';
}

static void completion_client(void *arg)
{
	raw_job_t *job = arg;
	int fd = raw_connect();

	if (fd < 0)
		return;
	raw_complete(fd, "te", job->a, sizeof(job->a));
	raw_complete(fd, "test p", job->b, sizeof(job->b));
	raw_complete(fd, "test pick ap", job->c, sizeof(job->c));
	raw_complete(fd, "bogus ", job->d, sizeof(job->d));
	job->ok = 1;
	close(fd);
}

START_TEST(test_completion)
{
	raw_job_t job = {0};

	with_client(completion_client, &job);
	ck_assert_int_eq(job.ok, 1);
	ck_assert_str_eq(job.a, "test,");
	ck_assert_str_eq(job.b, "pick,");
	ck_assert_str_eq(job.c, "apple,apricot,");
	ck_assert_str_eq(job.d, "");
}
END_TEST

/* --- log streaming ------------------------------------------------------ */

static void log_client(void *arg)
{
	raw_job_t *job = arg;
	char out[1024];
	const char flags = 0;
	int fd = raw_connect();

	if (fd < 0 || raw_send(fd, SS_CONSOLE_HELLO, &flags, 1) < 0)
		goto out;
	/* Default verbosity without a config: NOTICE. */
	job->st1 = raw_command(fd, "test log 4 hidden-info", out, sizeof(out),
			       job->a, sizeof(job->a));
	raw_command(fd, "test log 3 shown-notice", out, sizeof(out), job->b,
		    sizeof(job->b));
	/* A worker's line reaches the session through the control loop. */
	raw_command(fd, "test log worker 2 from-worker", out, sizeof(out),
		    job->c, sizeof(job->c));
	if (!strstr(job->c, "from-worker") && !raw_wait_log(fd, "from-worker"))
		goto out;
	raw_send_str(fd, SS_CONSOLE_VERBOSE, "5");
	job->st2 = raw_command(fd, "test log 5 now-debug", out, sizeof(out),
			       job->d, sizeof(job->d));
	/* The session hook used by `core set verbose`. */
	raw_command(fd, "test setverbose 1", job->e, sizeof(job->e), out,
		    sizeof(out));
	job->st3 = raw_command(fd, "test log 2 warning-after-1", out,
			       sizeof(out), job->c, sizeof(job->c));
	job->ok = 1;
out:
	if (fd >= 0)
		close(fd);
}

START_TEST(test_log_stream)
{
	raw_job_t job = {0};

	with_client(log_client, &job);
	ck_assert_int_eq(job.ok, 1);
	ck_assert_int_eq(job.st1, 0);
	ck_assert_str_eq(job.a, "");
	ck_assert_ptr_nonnull(strstr(job.b, "NOTICE[core] shown-notice\n"));
	ck_assert_ptr_nonnull(strstr(job.d, "DEBUG[core] "));
	ck_assert_ptr_nonnull(strstr(job.d, "now-debug\n"));
	ck_assert_str_eq(job.e, "rc=0\n");
	ck_assert_str_eq(job.c, "");
}
END_TEST

static void oneshot_client(void *arg)
{
	raw_job_t *job = arg;
	const char flags = SS_CONSOLE_ONESHOT;
	int fd = raw_connect();

	if (fd < 0 || raw_send(fd, SS_CONSOLE_HELLO, &flags, 1) < 0)
		goto out;
	job->st1 = raw_command(fd, "test log 1 an-error", job->a,
			       sizeof(job->a), job->b, sizeof(job->b));
	job->st2 = raw_command(fd, "test setverbose 3", job->c, sizeof(job->c),
			       job->d, sizeof(job->d));
	job->ok = 1;
out:
	if (fd >= 0)
		close(fd);
}

START_TEST(test_oneshot_quiet)
{
	raw_job_t job = {0};
	char expect[32];

	with_client(oneshot_client, &job);
	ck_assert_int_eq(job.ok, 1);
	ck_assert_int_eq(job.st1, 0);
	ck_assert_str_eq(job.a, "");
	ck_assert_str_eq(job.b, "");
	/* A one-shot session has no verbosity of its own. */
	snprintf(expect, sizeof(expect), "rc=%d\n", -ENOTTY);
	ck_assert_str_eq(job.c, expect);
}
END_TEST

/* --- slow or greedy clients --------------------------------------------- */

static void flood_client(void *arg)
{
	raw_job_t *job = arg;
	char buf[4096];
	int type;

	int fd = raw_connect();

	if (fd < 0 || raw_send_str(fd, SS_CONSOLE_COMMAND, "test flood") < 0)
		goto out;
	/* The session is dropped: the status never comes. */
	job->st1 = 0;
	while (raw_recv(fd, &type, buf, sizeof(buf)) >= 0)
		if (type == SS_CONSOLE_STATUS)
			job->st1 = 1;
	job->ok = 1;
out:
	if (fd >= 0)
		close(fd);
}

START_TEST(test_drop_overflow)
{
	raw_job_t job = {0};

	with_client(flood_client, &job);
	ck_assert_int_eq(job.ok, 1);
	ck_assert_int_eq(job.st1, 0);
	/* The server still serves others. */
	exec_and_check("test echo after", 0, "echo:1[after]\n");
}
END_TEST

/* --- the socket itself -------------------------------------------------- */

START_TEST(test_socket_mode)
{
	struct stat st;

	ck_assert_int_eq(stat(sock_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0660);
}
END_TEST

static int listen_at(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

START_TEST(test_second_server_refused)
{
	char other[192], junk[192];
	struct stat st;
	int fd;

	/* This process already serves sock_path. */
	ck_assert_int_eq(ss_console_server_start(sock_path), -EALREADY);
	ss_console_server_stop();
	ck_assert_int_eq(stat(sock_path, &st), -1);

	/* Another server answers on the path: refused, its socket kept. */
	snprintf(other, sizeof(other), "%s/other.sock", dir);
	fd = listen_at(other);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(ss_console_server_start(other), -EADDRINUSE);
	ck_assert_int_eq(stat(other, &st), 0);
	close(fd);

	/* Nobody answers any more: the stale socket is replaced. */
	ck_assert_int_eq(ss_console_server_start(other), 0);
	ck_assert_int_eq(stat(other, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	ss_console_server_stop();
	ck_assert_int_eq(stat(other, &st), -1);

	/* A file that is not a socket is never removed. */
	snprintf(junk, sizeof(junk), "%s/junk", dir);
	fd = open(junk, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(ss_console_server_start(junk), -EEXIST);
	ck_assert_int_eq(stat(junk, &st), 0);
	unlink(junk);

	/* Serving again on the original path works. */
	ck_assert_int_eq(ss_console_server_start(sock_path), 0);
	exec_and_check("test echo again", 0, "echo:1[again]\n");
}
END_TEST

/* --- the interactive client (stdin not a terminal) ---------------------- */

typedef struct inter_job {
	const char *input;
	bool keep_open; /* leave stdin open: the client must end on EOF
			   from the server */
	int status;
	char *out;
} inter_job_t;

static void interactive_client(void *arg)
{
	inter_job_t *job = arg;
	int p[2], saved_in = dup(STDIN_FILENO);
	capture_t out;

	if (pipe(p) < 0)
		return;
	if (write(p[1], job->input, strlen(job->input)) < 0)
		return;
	if (!job->keep_open)
		close(p[1]);
	dup2(p[0], STDIN_FILENO);
	close(p[0]);
	capture_start(&out, STDOUT_FILENO);
	job->status = ss_console_client_interactive(sock_path);
	job->out = capture_end(&out);
	dup2(saved_in, STDIN_FILENO);
	close(saved_in);
	if (job->keep_open)
		close(p[1]);
}

START_TEST(test_interactive)
{
	inter_job_t job = {.input = "test echo x\n\ntest fail\nquit\n"
				    "test echo never\n"};
	char hist[192], buf[256] = "";
	FILE *f;

	setenv("HOME", dir, 1);
	with_client(interactive_client, &job);
	ck_assert_int_eq(job.status, 0);
	ck_assert_ptr_nonnull(strstr(job.out, "echo:1[x]\nit failed\n"));
	ck_assert_ptr_null(strstr(job.out, "never"));
	snprintf(hist, sizeof(hist), "%s/.sipserver_history", dir);
	f = fopen(hist, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_gt(fread(buf, 1, sizeof(buf) - 1, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "test\\040echo\\040x"));
	free(job.out);
}
END_TEST

START_TEST(test_interactive_server_gone)
{
	inter_job_t job = {.input = "test stopserver\n", .keep_open = true};
	char expect[256];

	setenv("HOME", dir, 1);
	with_client(interactive_client, &job);
	ck_assert_int_eq(job.status, 0);
	snprintf(expect, sizeof(expect),
		 "stopping\nDisconnected: sipserver at %s closed the "
		 "console\n",
		 sock_path);
	ck_assert_str_eq(job.out, expect);
	free(job.out);
}
END_TEST

/* --- the core's own commands -------------------------------------------- */

static char moddir[128];

/* The console fixture plus the core's commands and a module directory with
 * two (unloadable) candidates for completion. */
static void setup_core(void)
{
	char file[192];
	int fd;

	setup();
	snprintf(moddir, sizeof(moddir), "%s/mods", dir);
	ck_assert_int_eq(mkdir(moddir, 0700), 0);
	snprintf(file, sizeof(file), "%s/alpha.so", moddir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(file, sizeof(file), "%s/beta.la", moddir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(ss_modules_init(moddir), 0);
	ck_assert_int_eq(ss_cli_core_commands_register(), 0);
}

static void teardown_core(void)
{
	char file[192];

	ss_modules_shutdown();
	snprintf(file, sizeof(file), "%s/alpha.so", moddir);
	unlink(file);
	snprintf(file, sizeof(file), "%s/beta.la", moddir);
	unlink(file);
	rmdir(moddir);
	teardown();
}

/* Runs cmd one-shot and checks the status and that out is in the output. */
static void exec_contains(const char *cmd, int status, const char *out)
{
	exec_job_t job = {.cmd = cmd};

	with_client(exec_client, &job);
	ck_assert_msg(job.status == status, "%s: status %d, output: %s", cmd,
		      job.status, job.out);
	ck_assert_msg(strstr(job.out, out), "%s: output: %s", cmd, job.out);
	free(job.out);
	free(job.err);
}

START_TEST(test_core_help)
{
	exec_contains("help", 0, "  core stop [now|gracefully]  ");
	exec_contains("help", 0, "  test echo [ARG...]  ");
	exec_contains("help core show", 0,
		      "core show uptime\n    Time since the server started "
		      "(from core)\n");
	exec_contains("help mod", 0, "module load NAME\n");
	exec_contains("help nosuch", 1, "No command starts with 'nosuch'");
}
END_TEST

START_TEST(test_core_show)
{
	exec_job_t job = {.cmd = "core show uptime"};
	unsigned long h;
	unsigned m, sec;
	char nl;

	with_client(exec_client, &job);
	ck_assert_int_eq(job.status, 0);
	ck_assert_int_eq(
	    sscanf(job.out, "Uptime: %lu:%2u:%2u%c", &h, &m, &sec, &nl), 4);
	ck_assert(m < 60 && sec < 60 && nl == '\n');
	free(job.out);
	free(job.err);
	exec_contains("core show uptime now", 2, "Usage: core show uptime\n");
	exec_contains("core show workers", 0, "\ncontrol ");
	exec_contains("core show workers", 0, "\n0 ");
	exec_contains("core show timers", 0, "\ntotal ");
	exec_contains("core show bus", 0, "Topic");
	exec_contains("module show", 0,
		      "Name  Version  Provides  Used by  "
		      "Description\n0 modules loaded\n");
	exec_contains("config show", 1, "No configuration is loaded\n");
}
END_TEST

START_TEST(test_core_modules)
{
	exec_contains("module load", 2, "Usage: module load NAME\n");
	exec_contains("module load a b", 2, "Usage: module load NAME\n");
	exec_contains("module load alpha", 1, "alpha");
	exec_contains("module unload nosuch", 1, "nosuch");
	exec_contains("module reload", 2, "Usage: module reload NAME\n");
}
END_TEST

START_TEST(test_core_verbose)
{
	exec_contains("core set verbose 6", 2, "Usage: core set verbose N\n");
	exec_contains("core set verbose x", 2, "Usage: core set verbose N\n");
	exec_contains("core set verbose", 2, "Usage: core set verbose N\n");
	/* A one-shot session has no log stream: stderr's level changes. */
	exec_contains("core set verbose 2", 0,
		      "Log level on stderr is now 2 (WARNING)\n");
	ck_assert_int_eq(ss_log_stderr_level(), 2);
	ss_log_set_stderr_level(0);
}
END_TEST

static void verbose_client(void *arg)
{
	raw_job_t *job = arg;
	char out[1024];
	const char flags = 0;
	int fd = raw_connect();

	if (fd < 0 || raw_send(fd, SS_CONSOLE_HELLO, &flags, 1) < 0)
		goto out;
	job->st1 = raw_command(fd, "core set verbose 5", job->a, sizeof(job->a),
			       out, sizeof(out));
	job->st2 = raw_command(fd, "test log 5 debug-now-visible", out,
			       sizeof(out), job->b, sizeof(job->b));
	raw_complete(fd, "core set verbose ", job->c, sizeof(job->c));
	raw_complete(fd, "module load ", job->d, sizeof(job->d));
	raw_complete(fd, "help core s", job->e, sizeof(job->e));
	job->ok = 1;
out:
	if (fd >= 0)
		close(fd);
}

START_TEST(test_core_session)
{
	raw_job_t job = {0};

	with_client(verbose_client, &job);
	ck_assert_int_eq(job.ok, 1);
	ck_assert_int_eq(job.st1, 0);
	ck_assert_str_eq(job.a, "Console verbosity is now 5 (DEBUG)\n");
	ck_assert_ptr_nonnull(strstr(job.b, "debug-now-visible\n"));
	ck_assert_int_eq(ss_log_stderr_level(), 0);
	ck_assert_str_eq(job.c, "0,1,2,3,4,5,");
	ck_assert_str_eq(job.d, "alpha,beta,");
	ck_assert_str_eq(job.e, "set,show,stop,");
}
END_TEST

START_TEST(test_core_stop)
{
	exec_contains("core stop later", 2,
		      "Usage: core stop [now|gracefully]\n");
	/* Stops the control loop; the status still reaches the client. */
	exec_contains("core stop now", 0, "Stopping sipserver now\n");
}
END_TEST

static Suite *console_suite(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_exec_ok);
	tcase_add_test(tc, test_exec_status);
	tcase_add_test(tc, test_exec_no_server);
	tcase_add_test(tc, test_completion);
	tcase_add_test(tc, test_log_stream);
	tcase_add_test(tc, test_oneshot_quiet);
	tcase_add_test(tc, test_drop_overflow);
	tcase_add_test(tc, test_socket_mode);
	tcase_add_test(tc, test_second_server_refused);
	tcase_add_test(tc, test_interactive);
	tcase_add_test(tc, test_interactive_server_gone);
	suite_add_tcase(s, tc);

	tc = tcase_create("core_commands");
	tcase_add_checked_fixture(tc, setup_core, teardown_core);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_core_help);
	tcase_add_test(tc, test_core_show);
	tcase_add_test(tc, test_core_modules);
	tcase_add_test(tc, test_core_verbose);
	tcase_add_test(tc, test_core_session);
	tcase_add_test(tc, test_core_stop);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(console_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
