/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console server: a UNIX stream socket on the control loop. Each
 * attached console is a session with its own command context, read buffer,
 * write queue and log sink; nothing here ever blocks the control loop on a
 * slow client.
 */
#define _GNU_SOURCE /* accept4 */
#include "console.h"

#include "cli_core.h"
#include "config_core.h"
#include "log_core.h"
#include "loop_core.h"
#include "server.h"

#include <sipserver/log.h>
#include <sipserver/loop.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_SESSIONS 32
/* A session whose unsent output grows past this is dropped: a client that
 * does not read must not make the server hold unbounded memory. */
#define OUT_MAX (8u << 20)
/* Log lines stay in the session's log queue (and are dropped, counted, when
 * it is full) while this much output is waiting, so a slow console loses
 * log lines rather than its connection. */
#define OUT_LOG_HIGH	 (256u << 10)
#define LOGQ_SIZE	 (64u << 10)
#define FLUSH_AT_STOP_MS 500

typedef struct con_buf {
	char *data;
	size_t off, len, cap; /* bytes [off, len) are pending */
} con_buf_t;

typedef struct con_session {
	struct con_session *next;
	ss_io_t io;
	int fd;
	ss_cli_t *cli;
	con_buf_t in;
	con_buf_t out;
	con_buf_t cands; /* candidates of the completion being answered */
	int verbose;
	bool oneshot;
	bool started; /* first frame seen */
	bool sink_on; /* registered as a log sink */
	bool dead;
	bool want_write;
	/* Filled by the log sink on any thread, drained on the control loop.
	 * The buffer is allocated once so the sink never allocates. */
	pthread_mutex_t lock;
	char *logq;
	size_t logq_len;
	unsigned long dropped;
} con_session_t;

/* Owned by the control loop, except wake_fd and wake_pending which log
 * sinks use from any thread while the server runs. */
static struct {
	bool running;
	int fd;
	ss_io_t io;
	int wake_fd;
	ss_io_t wake_io;
	atomic_bool wake_pending;
	con_session_t *sessions;
	unsigned nsessions;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} srv = {.fd = -1, .wake_fd = -1};

/* --- buffers ------------------------------------------------------------ */

static int buf_reserve(con_buf_t *b, size_t more)
{
	size_t need, cap;
	char *data;

	if (b->off && b->off == b->len)
		b->off = b->len = 0;
	if (b->len + more <= b->cap)
		return 0;
	if (b->off) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->len + more <= b->cap)
			return 0;
	}
	need = b->len + more;
	cap = b->cap ? b->cap : 1024;
	while (cap < need)
		cap *= 2;
	data = realloc(b->data, cap);
	if (!data)
		return -ENOMEM;
	b->data = data;
	b->cap = cap;
	return 0;
}

static void put_header(char *p, int type, size_t len)
{
	uint32_t n = htonl((uint32_t)len);

	p[0] = (char)type;
	memcpy(p + 1, &n, 4);
}

/* Queues one frame for the client; a session whose queue overflows dies. */
static void queue_frame(con_session_t *s, int type, const void *data,
			size_t len)
{
	if (s->dead)
		return;
	if (s->out.len - s->out.off + SS_CONSOLE_HDR + len > OUT_MAX ||
	    buf_reserve(&s->out, SS_CONSOLE_HDR + len) < 0) {
		s->dead = true;
		return;
	}
	put_header(s->out.data + s->out.len, type, len);
	memcpy(s->out.data + s->out.len + SS_CONSOLE_HDR, data, len);
	s->out.len += SS_CONSOLE_HDR + len;
}

/* --- log streaming ------------------------------------------------------ */

static void wake_control(void)
{
	uint64_t one = 1;

	if (!atomic_exchange(&srv.wake_pending, true) &&
	    write(srv.wake_fd, &one, sizeof(one)) < 0)
		atomic_store(&srv.wake_pending, false);
}

/* Log sink: any thread, log lock held. Copies the line as a ready LOG frame
 * into the session's fixed queue and wakes the control loop, which owns the
 * socket. */
static void session_log(void *arg, int level, const char *line)
{
	con_session_t *s = arg;
	size_t len = strlen(line) + 1;

	pthread_mutex_lock(&s->lock);
	if (s->logq_len + SS_CONSOLE_HDR + len > LOGQ_SIZE) {
		s->dropped++;
	} else {
		char *p = s->logq + s->logq_len;

		put_header(p, SS_CONSOLE_LOG, len);
		memcpy(p + SS_CONSOLE_HDR, line, len - 1);
		p[SS_CONSOLE_HDR + len - 1] = '\n';
		s->logq_len += SS_CONSOLE_HDR + len;
	}
	pthread_mutex_unlock(&s->lock);
	wake_control();
}

/* Moves queued log frames to the output unless the client is behind. */
static void drain_log(con_session_t *s)
{
	unsigned long dropped;

	if (s->dead || s->out.len - s->out.off > OUT_LOG_HIGH)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->logq_len && buf_reserve(&s->out, s->logq_len) == 0) {
		memcpy(s->out.data + s->out.len, s->logq, s->logq_len);
		s->out.len += s->logq_len;
		s->logq_len = 0;
	}
	dropped = s->dropped;
	s->dropped = 0;
	pthread_mutex_unlock(&s->lock);
	if (dropped) {
		char note[64];
		int n = snprintf(note, sizeof(note),
				 "[%lu log lines dropped: console too slow]\n",
				 dropped);
		queue_frame(s, SS_CONSOLE_LOG, note, (size_t)n);
	}
}

static void set_session_level(con_session_t *s, int level)
{
	s->verbose = level;
	if (s->sink_on)
		ss_log_sink_set_level(session_log, s, level);
}

/* --- sessions ----------------------------------------------------------- */

static void session_write(void *arg, const char *text, size_t len)
{
	con_session_t *s = arg;

	/* Log lines the command caused on this thread come before its
	 * output, in the order they happened. */
	drain_log(s);
	queue_frame(s, SS_CONSOLE_OUTPUT, text, len);
}

static void session_candidate(void *arg, const char *word)
{
	con_session_t *s = arg;
	size_t len = strlen(word) + 1;

	if (s->cands.len + len <= SS_CONSOLE_MAX_FRAME &&
	    buf_reserve(&s->cands, len) == 0) {
		memcpy(s->cands.data + s->cands.len, word, len);
		s->cands.len += len;
	}
}

static void flush_out(con_session_t *s)
{
	while (!s->dead && s->out.off < s->out.len) {
		ssize_t n =
		    send(s->fd, s->out.data + s->out.off,
			 s->out.len - s->out.off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			s->out.off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		s->dead = true;
	}
	if (s->dead)
		return;
	if (s->out.off == s->out.len)
		s->out.off = s->out.len = 0;
	if ((s->out.len != 0) != s->want_write) {
		s->want_write = s->out.len != 0;
		if (ss_io_modify(&s->io,
				 SS_IO_READ |
				     (s->want_write ? SS_IO_WRITE : 0)) < 0)
			s->dead = true;
	}
}

static void session_free(con_session_t *s)
{
	con_session_t **pp = &srv.sessions;

	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	srv.nsessions--;
	ss_io_stop(&s->io);
	/* After this no sink call is running or will run for s. */
	if (s->sink_on)
		ss_log_sink_remove(session_log, s);
	close(s->fd);
	ss_cli_free(s->cli);
	pthread_mutex_destroy(&s->lock);
	free(s->logq);
	free(s->in.data);
	free(s->out.data);
	free(s->cands.data);
	free(s);
}

static int default_verbose(void)
{
	const ss_config_t *cfg = ss_server_config();

	return cfg ? ss_config_core(cfg)->verbose : SS_LOG_NOTICE;
}

/* The first frame decides the session's kind: a HELLO with the one-shot
 * flag (-rx) starts quiet, anything else at the configured verbosity. Only
 * then does the session become a log sink, so a one-shot client never sees
 * lines logged before it said what it is. */
static void greet(con_session_t *s, int type, const char *p, size_t len)
{
	s->started = true;
	if (type == SS_CONSOLE_HELLO && len >= 1 && (p[0] & SS_CONSOLE_ONESHOT))
		s->oneshot = true;
	s->verbose = s->oneshot ? 0 : default_verbose();
	if (ss_log_sink_add(session_log, s, s->verbose) < 0) {
		SS_LOG_WARN("console: too many log sinks, session gets no "
			    "log lines");
		return;
	}
	s->sink_on = true;
}

static void run_command(con_session_t *s, const char *p, size_t len)
{
	char *line = strndup(p, len);
	char st;

	if (!line) {
		s->dead = true;
		return;
	}
	st = (char)ss_cli_execute(s->cli, line);
	free(line);
	drain_log(s);
	queue_frame(s, SS_CONSOLE_STATUS, &st, 1);
}

static void run_complete(con_session_t *s, const char *p, size_t len)
{
	char *line = strndup(p, len);

	if (!line) {
		s->dead = true;
		return;
	}
	s->cands.off = s->cands.len = 0;
	ss_cli_complete(s->cli, line);
	free(line);
	queue_frame(s, SS_CONSOLE_CANDS, s->cands.data, s->cands.len);
}

static void set_verbose_frame(con_session_t *s, const char *p, size_t len)
{
	char num[16];
	char *end;
	long level;

	if (len == 0 || len >= sizeof(num))
		return;
	memcpy(num, p, len);
	num[len] = '\0';
	level = strtol(num, &end, 10);
	if (*end == '\0' && level >= 0 && level <= SS_LOG_DEBUG)
		set_session_level(s, (int)level);
}

static void handle_frame(con_session_t *s, int type, const char *p, size_t len)
{
	if (!s->started)
		greet(s, type, p, len);
	switch (type) {
	case SS_CONSOLE_HELLO:
		break;
	case SS_CONSOLE_COMMAND:
		run_command(s, p, len);
		break;
	case SS_CONSOLE_COMPLETE:
		run_complete(s, p, len);
		break;
	case SS_CONSOLE_VERBOSE:
		set_verbose_frame(s, p, len);
		break;
	default:
		SS_LOG_DEBUG("console: unknown frame type %d, closing", type);
		s->dead = true;
	}
}

/* Handles every complete frame in the read buffer. */
static void handle_input(con_session_t *s)
{
	while (!s->dead && s->in.len - s->in.off >= SS_CONSOLE_HDR) {
		const char *h = s->in.data + s->in.off;
		uint32_t n;

		memcpy(&n, h + 1, 4);
		n = ntohl(n);
		if (n > SS_CONSOLE_MAX_FRAME) {
			SS_LOG_DEBUG("console: oversized frame, closing");
			s->dead = true;
			break;
		}
		if (s->in.len - s->in.off < SS_CONSOLE_HDR + n)
			break;
		s->in.off += SS_CONSOLE_HDR + n;
		handle_frame(s, h[0], h + SS_CONSOLE_HDR, n);
	}
}

static void read_input(con_session_t *s)
{
	for (;;) {
		ssize_t n;

		if (buf_reserve(&s->in, 4096) < 0) {
			s->dead = true;
			return;
		}
		n = recv(s->fd, s->in.data + s->in.len, s->in.cap - s->in.len,
			 MSG_DONTWAIT);
		if (n > 0) {
			s->in.len += (size_t)n;
			handle_input(s);
			if (s->dead)
				return;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* EOF or error: what the client sent has been handled. */
		s->dead = true;
		return;
	}
}

static void session_io(ss_io_t *io, unsigned events)
{
	con_session_t *s = io->arg;

	if (events & (SS_IO_READ | SS_IO_ERROR))
		read_input(s);
	if (!s->dead) {
		flush_out(s);
		drain_log(s);
		flush_out(s);
	}
	if (s->dead)
		session_free(s);
}

static void new_session(int fd)
{
	static const ss_cli_sink_t sink_tmpl = {.write = session_write,
						.candidate = session_candidate};
	ss_cli_sink_t sink = sink_tmpl;
	con_session_t *s;

	if (srv.nsessions >= MAX_SESSIONS) {
		SS_LOG_WARN("console: %u consoles attached, refusing another",
			    srv.nsessions);
		close(fd);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail_close;
	s->fd = fd;
	sink.arg = s;
	s->logq = malloc(LOGQ_SIZE);
	s->cli = ss_cli_new(&sink);
	if (!s->logq || !s->cli ||
	    ss_io_start(&s->io, fd, SS_IO_READ, session_io, s) < 0)
		goto fail;
	pthread_mutex_init(&s->lock, NULL);
	s->next = srv.sessions;
	srv.sessions = s;
	srv.nsessions++;
	return;
fail:
	ss_cli_free(s->cli);
	free(s->logq);
	free(s);
fail_close:
	SS_LOG_WARN("console: cannot set up a session");
	close(fd);
}

static void accept_io(ss_io_t *io, unsigned events)
{
	for (;;) {
		int fd =
		    accept4(srv.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			new_session(fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			SS_LOG_WARN("console: accept: %s", strerror(errno));
		return;
	}
}

static void wake_io(ss_io_t *io, unsigned events)
{
	uint64_t v;
	con_session_t *s, *next;

	if (read(srv.wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		SS_LOG_WARN("console: eventfd read: %s", strerror(errno));
	/* Cleared before draining: a line queued from now on wakes us again. */
	atomic_store(&srv.wake_pending, false);
	for (s = srv.sessions; s; s = next) {
		next = s->next;
		drain_log(s);
		flush_out(s);
		if (s->dead)
			session_free(s);
	}
}

/* --- start / stop ------------------------------------------------------- */

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* Makes path free to bind: a socket a server answers on means another
 * sipserver runs; one nobody answers on is a leftover of a crash. */
static int claim_path(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct stat st;
	int rc, err;

	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	err = errno;
	close(fd);
	if (rc == 0) {
		SS_LOG_ERR("another sipserver is running with console %s",
			   sa->sun_path);
		return -EADDRINUSE;
	}
	if (err == ENOENT)
		return 0;
	if (lstat(sa->sun_path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		SS_LOG_ERR("console %s exists and is not a socket",
			   sa->sun_path);
		return -EEXIST;
	}
	if (err != ECONNREFUSED) {
		SS_LOG_ERR("console %s: %s", sa->sun_path, strerror(err));
		return -err;
	}
	if (unlink(sa->sun_path) < 0 && errno != ENOENT) {
		rc = -errno;
		SS_LOG_ERR("console %s: cannot remove stale socket: %s",
			   sa->sun_path, strerror(errno));
		return rc;
	}
	SS_LOG_INFO("console: removed stale socket %s", sa->sun_path);
	return 0;
}

/* Binds and listens. The socket file is created with the umask's mode and
 * then narrowed: with the usual umasks nobody outside the group can connect
 * in between, since connecting needs write permission. */
static int open_listener(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		goto fail;
	if (chmod(sa->sun_path, 0660) < 0 || listen(fd, 16) < 0) {
		rc = -errno;
		unlink(sa->sun_path);
		close(fd);
		return rc;
	}
	return fd;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

int ss_console_server_start(const char *path)
{
	struct sockaddr_un sa;
	int rc;

	if (srv.running)
		return -EALREADY;
	if (!ss_loop_current()) {
		SS_LOG_ERR("console: must start on the control loop");
		return -EINVAL;
	}
	rc = fill_addr(&sa, path);
	if (rc < 0) {
		SS_LOG_ERR("console path too long: %s", path);
		return rc;
	}
	rc = claim_path(&sa);
	if (rc < 0)
		return rc;
	srv.fd = open_listener(&sa);
	if (srv.fd < 0) {
		rc = srv.fd;
		SS_LOG_ERR("console %s: %s", path, strerror(-rc));
		goto fail;
	}
	strcpy(srv.path, sa.sun_path);
	srv.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv.wake_fd < 0) {
		rc = -errno;
		goto fail_unlink;
	}
	atomic_store(&srv.wake_pending, false);
	rc = ss_io_start(&srv.io, srv.fd, SS_IO_READ, accept_io, NULL);
	if (rc < 0)
		goto fail_unlink;
	rc = ss_io_start(&srv.wake_io, srv.wake_fd, SS_IO_READ, wake_io, NULL);
	if (rc < 0)
		goto fail_io;
	srv.running = true;
	SS_LOG_INFO("console listening on %s", path);
	return 0;
fail_io:
	ss_io_stop(&srv.io);
fail_unlink:
	SS_LOG_ERR("console %s: %s", path, strerror(-rc));
	if (srv.wake_fd >= 0)
		close(srv.wake_fd);
	srv.wake_fd = -1;
	unlink(srv.path);
	close(srv.fd);
fail:
	srv.fd = -1;
	return rc;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Gives each client a last chance to get what is queued (the status of a
 * `core stop`, for instance), bounded in time for all sessions together. */
static void final_flush(void)
{
	uint64_t deadline = now_ms() + FLUSH_AT_STOP_MS;

	for (con_session_t *s = srv.sessions; s; s = s->next) {
		drain_log(s);
		for (;;) {
			uint64_t now = now_ms();
			struct pollfd p = {.fd = s->fd, .events = POLLOUT};

			flush_out(s);
			if (s->dead || s->out.len == 0 || now >= deadline)
				break;
			if (poll(&p, 1, (int)(deadline - now)) <= 0)
				break;
		}
	}
}

void ss_console_server_stop(void)
{
	if (!srv.running)
		return;
	ss_io_stop(&srv.io);
	ss_io_stop(&srv.wake_io);
	close(srv.fd);
	unlink(srv.path);
	final_flush();
	while (srv.sessions)
		session_free(srv.sessions);
	close(srv.wake_fd);
	srv.fd = srv.wake_fd = -1;
	srv.running = false;
}

int ss_console_session_set_verbose(const ss_cli_t *cli, int level)
{
	for (con_session_t *s = srv.sessions; s; s = s->next) {
		if (s->cli != cli)
			continue;
		if (s->oneshot)
			return -ENOTTY;
		set_session_level(s, level);
		return 0;
	}
	return -ENOTTY;
}
