/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main(): command line, choosing the config, starting the loops, modules and
 * console, and the orderly way down. Remote console modes (-r, -rx) only read
 * the config to find the console socket.
 */
#include "config.h"

#include "cli_core.h"
#include "config_core.h"
#include "console.h"
#include "log_core.h"
#include "loop_core.h"
#include "module_loader.h"
#include "server.h"
#include "bus_core.h"
#include "service_core.h"

#include <sipserver/log.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum run_mode {
	MODE_DAEMON,	 /* no option: detach */
	MODE_FOREGROUND, /* -f */
	MODE_CONSOLE,	 /* -c */
	MODE_REMOTE,	 /* -r */
	MODE_REMOTE_EXEC /* -rx CMD */
} run_mode_t;

typedef struct options {
	run_mode_t mode;
	const char *config; /* -C, or NULL */
	const char *command;
	int verbose_bump;
} options_t;

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: sipserver [-C FILE] [-f | -c | -r | -rx COMMAND] [-v...]\n"
	    "  -C FILE  configuration file (default: configs/sipserver.xml"
	    " of the build tree,\n"
	    "           else " SS_SYSCONFDIR "/sipserver.xml, else the"
	    " embedded default)\n"
	    "  -f       run in the foreground, logging to stderr\n"
	    "  -c       run in the foreground with a console on this"
	    " terminal\n"
	    "  -r       attach a console to the running server\n"
	    "  -rx CMD  run one console command on the running server;"
	    " exit status is the command's\n"
	    "  -v       more verbose (repeatable)\n"
	    "  -V       print the version\n");
}

static int parse_options(int argc, char **argv, options_t *o)
{
	bool remote = false;
	int c;

	*o = (options_t){.mode = MODE_DAEMON};
	while ((c = getopt(argc, argv, "C:fcrx:vVh")) != -1) {
		switch (c) {
		case 'C':
			o->config = optarg;
			break;
		case 'f':
			o->mode = MODE_FOREGROUND;
			break;
		case 'c':
			o->mode = MODE_CONSOLE;
			break;
		case 'r':
			remote = true;
			break;
		case 'x':
			o->command = optarg;
			break;
		case 'v':
			o->verbose_bump++;
			break;
		case 'V':
			printf("sipserver %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || (o->command && !remote)) {
		usage(stderr);
		return -1;
	}
	if (remote)
		o->mode = o->command ? MODE_REMOTE_EXEC : MODE_REMOTE;
	return 0;
}

/* True when this binary is the one built in the build tree, so that the
 * build tree's config, modules and var/ are used without `make install`. */
static bool running_from_build_tree(void)
{
	char exe[PATH_MAX], tree[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t len;

	if (n <= 0 || !realpath(SS_BUILDDIR, tree))
		return false;
	exe[n] = '\0';
	len = strlen(tree);
	return strncmp(exe, tree, len) == 0 && exe[len] == '/';
}

/* -C FILE, else the build tree's or the installed file, else NULL for the
 * embedded default. */
static const char *choose_config_path(const options_t *o)
{
	static const char installed[] = SS_SYSCONFDIR "/sipserver.xml";
	static const char in_tree[] = SS_SRCDIR "/configs/sipserver.xml";

	if (o->config)
		return o->config;
	if (running_from_build_tree() && access(in_tree, R_OK) == 0)
		return in_tree;
	if (access(installed, R_OK) == 0)
		return installed;
	return NULL;
}

static ss_config_t *load_config(const char *path)
{
	char err[1024] = "";
	ss_config_t *cfg;

	if (path) {
		cfg = ss_config_load_file(path, err, sizeof(err));
	} else {
		const char *xml = ss_config_default_xml();

		cfg = ss_config_load_memory(
		    xml, strlen(xml), "embedded default", err, sizeof(err));
	}
	if (!cfg)
		fprintf(stderr, "sipserver: %s\n", err);
	return cfg;
}

static int run_remote(const options_t *o, const ss_config_t *cfg)
{
	const char *sock = ss_config_core(cfg)->console;

	if (o->mode == MODE_REMOTE_EXEC)
		return ss_console_client_exec(sock, o->command);
	return ss_console_client_interactive(sock);
}

/* Signals arrive through a signalfd on the control loop, so their handling
 * runs as ordinary loop code: SIGTERM/SIGINT stop, SIGHUP reloads. They are
 * blocked before any thread starts so that every worker inherits the mask. */
static ss_io_t signal_io;

static void on_signal(ss_io_t *io, unsigned events)
{
	struct signalfd_siginfo si;
	char err[1024];

	while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			SS_LOG_NOTICE("SIGHUP: reloading the config");
			ss_server_config_reload(err, sizeof(err));
		} else {
			SS_LOG_NOTICE("signal %u: stopping", si.ssi_signo);
			ss_server_stop(true);
		}
	}
}

static int block_signals(sigset_t *set)
{
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	return pthread_sigmask(SIG_BLOCK, set, NULL) == 0 ? 0 : -errno;
}

static int watch_signals(const sigset_t *set)
{
	int fd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	return ss_io_start(&signal_io, fd, SS_IO_READ, on_signal, NULL);
}

/* Detaches from the terminal. The parent waits on a pipe until the child
 * says whether it started, so `sipserver` exits non-zero on a failed start
 * just like -f would. Returns the write end of the pipe in the child. */
static int daemonize(void)
{
	int p[2], null;
	char status = 1;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(p[0]);
	setsid();
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	return p[1];
}

static void report_ready(int fd, char status)
{
	if (fd < 0)
		return;
	if (write(fd, &status, 1) != 1)
		SS_LOG_WARN("could not report start-up status to the parent");
	close(fd);
}

static void *foreground_console(void *arg)
{
	const char *sock = arg;

	ss_console_client_interactive(sock);
	ss_server_stop(true);
	return NULL;
}

static unsigned worker_count(const ss_core_settings_t *s)
{
	long n;

	if (s->workers > 0)
		return s->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* Loads the configured modules and opens the console; logs what failed. */
static int start_services(ss_config_t *cfg, const sigset_t *sigs)
{
	const ss_core_settings_t *s = ss_config_core(cfg);
	char err[1024] = "";

	if (ss_cli_core_commands_register() < 0 ||
	    ss_modules_init(s->module_path) < 0)
		return -1;
	ss_modules_set_config(cfg);
	if (ss_modules_apply(cfg, err, sizeof(err)) < 0) {
		SS_LOG_ERR("%s", err);
		return -1;
	}
	if (ss_console_server_start(s->console) < 0)
		return -1;
	if (watch_signals(sigs) < 0) {
		SS_LOG_ERR("signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void stop_services(bool graceful)
{
	ss_console_server_stop();
	if (signal_io.loop) {
		ss_io_stop(&signal_io);
		close(signal_io.fd);
	}
	if (graceful)
		ss_modules_unload_all();
	ss_loops_shutdown();
	if (!graceful)
		return;
	ss_modules_shutdown();
	ss_cli_shutdown();
	ss_bus_shutdown();
	ss_service_shutdown();
}

static int run_server(const options_t *o, ss_config_t *cfg, const char *path)
{
	const ss_core_settings_t *s = ss_config_core(cfg);
	int level = s->verbose + o->verbose_bump, ready_fd = -1, status;
	pthread_t console_thread;
	bool console_started = false;
	sigset_t sigs;

	if (o->mode == MODE_DAEMON && (ready_fd = daemonize()) < 0) {
		perror("sipserver: fork");
		return 1;
	}
	ss_log_init(o->mode == MODE_DAEMON ? 0 : level,
		    s->syslog || o->mode == MODE_DAEMON);
	if (ss_config_set_statedir(s->statedir) < 0 ||
	    block_signals(&sigs) < 0 || ss_loops_start(worker_count(s)) < 0) {
		SS_LOG_ERR("cannot start: state directory %s or worker threads",
			   s->statedir);
		report_ready(ready_fd, 1);
		return 1;
	}
	ss_server_init(cfg, path);
	if (start_services(cfg, &sigs) < 0) {
		report_ready(ready_fd, 1);
		stop_services(true);
		ss_server_shutdown();
		return 1;
	}
	SS_LOG_NOTICE("sipserver %s ready: %u workers, config %s, console %s",
		      PACKAGE_VERSION, ss_loop_count(), ss_config_source(cfg),
		      s->console);
	report_ready(ready_fd, 0);
	if (o->mode == MODE_CONSOLE) {
		if (pthread_create(&console_thread, NULL, foreground_console,
				   (void *)s->console) == 0) {
			console_started = true;
			ss_log_set_stderr_level(0);
		}
	}
	status = ss_loop_control_run();
	if (console_started) {
		ss_console_server_stop();
		pthread_join(console_thread, NULL);
	}
	SS_LOG_NOTICE("sipserver stopping (%s)",
		      ss_server_stop_is_graceful() ? "gracefully" : "now");
	stop_services(ss_server_stop_is_graceful());
	ss_server_shutdown();
	ss_log_shutdown();
	return status;
}

int main(int argc, char **argv)
{
	const char *path;
	ss_config_t *cfg;
	options_t o;
	int status;

	if (parse_options(argc, argv, &o) < 0)
		return 2;
	path = choose_config_path(&o);
	cfg = load_config(path);
	if (!cfg)
		return 1;
	if (o.mode == MODE_REMOTE || o.mode == MODE_REMOTE_EXEC) {
		status = run_remote(&o, cfg);
		ss_config_free(cfg);
		return status;
	}
	return run_server(&o, cfg, path);
}
