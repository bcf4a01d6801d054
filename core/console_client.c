/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console client: one command and its exit status (-rx), or an
 * interactive libedit session (-r, and the terminal of -c) with history,
 * completion answered by the server and log lines printed above the prompt.
 */
#include "console.h"

#include <histedit.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <wchar.h>

#define PROMPT	     "sipserver> "
#define HISTORY_FILE ".sipserver_history"
#define HISTORY_SIZE 1000

/* One connection and its receive buffer; frames handed out point into the
 * buffer and stay valid until the next conn_frame() call. */
typedef struct con_conn {
	int fd;
	char *buf;
	size_t off, len, cap;
} con_conn_t;

typedef struct con_client {
	con_conn_t conn;
	EditLine *el;
	History *hist;
	mbstate_t mbs;
	bool tty;
	bool editing; /* inside el_gets: the prompt is on screen */
	bool gone;    /* the server closed the connection */
} con_client_t;

/* --- connection --------------------------------------------------------- */

static int conn_open(con_conn_t *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	*c = (con_conn_t){.fd = -1};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(c->fd);
		c->fd = -1;
		return rc;
	}
	return 0;
}

static void conn_close(con_conn_t *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	*c = (con_conn_t){.fd = -1};
}

static int conn_send(con_conn_t *c, int type, const void *data, size_t len)
{
	char hdr[SS_CONSOLE_HDR];
	uint32_t n = htonl((uint32_t)len);
	struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)data, len}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};

	hdr[0] = (char)type;
	memcpy(hdr + 1, &n, 4);
	while (msg.msg_iovlen) {
		ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		while (msg.msg_iovlen && (size_t)w >= msg.msg_iov->iov_len) {
			w -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			msg.msg_iov->iov_base =
			    (char *)msg.msg_iov->iov_base + w;
			msg.msg_iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Next frame from the server: 1 with a frame, 0 when none is complete and
 * block is false, -1 on EOF, error or a malformed frame. */
static int conn_frame(con_conn_t *c, bool block, int *type, const char **p,
		      size_t *n)
{
	for (;;) {
		size_t have = c->len - c->off;
		uint32_t len;
		ssize_t r;

		if (have >= SS_CONSOLE_HDR) {
			memcpy(&len, c->buf + c->off + 1, 4);
			len = ntohl(len);
			if (len > SS_CONSOLE_MAX_FRAME)
				return -1;
			if (have >= SS_CONSOLE_HDR + len) {
				*type = c->buf[c->off];
				*p = c->buf + c->off + SS_CONSOLE_HDR;
				*n = len;
				c->off += SS_CONSOLE_HDR + len;
				return 1;
			}
		}
		if (c->off) {
			memmove(c->buf, c->buf + c->off, have);
			c->off = 0;
			c->len = have;
		}
		if (c->cap - c->len < 4096) {
			size_t cap = c->cap ? 2 * c->cap : 16384;
			char *b = realloc(c->buf, cap);

			if (!b)
				return -1;
			c->buf = b;
			c->cap = cap;
		}
		r = recv(c->fd, c->buf + c->len, c->cap - c->len,
			 block ? 0 : MSG_DONTWAIT);
		if (r > 0)
			c->len += (size_t)r;
		else if (r < 0 && errno == EINTR)
			continue;
		else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		else
			return -1;
	}
}

static void print_connect_error(const char *path, int err)
{
	fprintf(stderr,
		"Unable to connect to sipserver at %s: %s. Is it "
		"running?\n",
		path, strerror(-err));
}

/* --- one-shot ----------------------------------------------------------- */

int ss_console_client_exec(const char *path, const char *cmd)
{
	const char flags = SS_CONSOLE_ONESHOT;
	con_conn_t c;
	int status = 1, rc, type;
	const char *p;
	size_t n;

	rc = conn_open(&c, path);
	if (rc < 0) {
		print_connect_error(path, rc);
		return 1;
	}
	if (conn_send(&c, SS_CONSOLE_HELLO, &flags, 1) < 0 ||
	    conn_send(&c, SS_CONSOLE_COMMAND, cmd, strlen(cmd)) < 0)
		goto lost;
	for (;;) {
		if (conn_frame(&c, true, &type, &p, &n) <= 0)
			goto lost;
		if (type == SS_CONSOLE_OUTPUT || type == SS_CONSOLE_LOG) {
			fwrite(p, 1, n, stdout);
		} else if (type == SS_CONSOLE_STATUS) {
			status = n ? (unsigned char)p[0] : SS_CLI_FAIL;
			break;
		}
	}
	if (status > SS_CLI_USAGE)
		status = SS_CLI_FAIL;
	goto out;
lost:
	fprintf(stderr,
		"Connection to sipserver at %s lost before the "
		"command finished\n",
		path);
	status = 1;
out:
	fflush(stdout);
	conn_close(&c);
	return status;
}

/* --- interactive: output ------------------------------------------------ */

/* Prints asynchronous text (log lines) without mangling the line being
 * edited: clear the prompt line, print, let libedit redraw it. */
static void print_above(con_client_t *cl, const char *text, size_t len)
{
	bool redraw = cl->editing && cl->tty;

	if (redraw)
		fputs("\r\033[K", stdout);
	fwrite(text, 1, len, stdout);
	fflush(stdout);
	if (redraw)
		el_set(cl->el, EL_REFRESH);
}

/* Prints whatever complete frames the server sent while we were idle.
 * Returns -1 when the server went away. */
static int pump(con_client_t *cl)
{
	const char *p;
	size_t n;
	int type, rc;

	while ((rc = conn_frame(&cl->conn, false, &type, &p, &n)) > 0)
		if (type == SS_CONSOLE_LOG || type == SS_CONSOLE_OUTPUT)
			print_above(cl, p, n);
	return rc < 0 ? -1 : 0;
}

/* libedit's character source: waits on the terminal and the server at once
 * so that log lines show up while the operator is typing. */
static int client_getc(EditLine *el, wchar_t *wc)
{
	con_client_t *cl = NULL;

	el_get(el, EL_CLIENTDATA, &cl);
	for (;;) {
		struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
				      {.fd = cl->conn.fd, .events = POLLIN}};
		char ch;
		ssize_t n;
		size_t r;

		if (cl->gone)
			return 0;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[1].revents && pump(cl) < 0) {
			cl->gone = true;
			return 0;
		}
		if (!p[0].revents)
			continue;
		n = read(STDIN_FILENO, &ch, 1);
		if (n == 0)
			return 0;
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -1;
		r = mbrtowc(wc, &ch, 1, &cl->mbs);
		if (r == (size_t)-2)
			continue;
		if (r == (size_t)-1) {
			memset(&cl->mbs, 0, sizeof(cl->mbs));
			*wc = (wchar_t)(unsigned char)ch;
		}
		return 1;
	}
}

/* --- interactive: completion -------------------------------------------- */

/* Start of the word the cursor is in: after the last separator that is
 * neither quoted nor escaped (the server's tokenizer rules). */
static const char *last_word_start(const char *line)
{
	const char *start = line;
	char q = 0;

	for (const char *p = line; *p; p++) {
		if (q) {
			if (*p == q)
				q = 0;
			else if (q == '"' && *p == '\\' &&
				 (p[1] == '"' || p[1] == '\\'))
				p++;
		} else if (*p == '\\') {
			if (p[1])
				p++;
		} else if (*p == '\'' || *p == '"') {
			q = *p;
		} else if (*p == ' ' || *p == '\t') {
			start = p + 1;
		}
	}
	return start;
}

/* Decodes the word the cursor is in into out, the prefix the server
 * completed; *quote is the quote still open at the cursor, or 0. */
static size_t last_word(const char *line, char *out, size_t size, char *quote)
{
	char q = 0;
	size_t n = 0;

	for (const char *p = last_word_start(line); *p && n + 1 < size; p++) {
		if (q) {
			if (*p == q) {
				q = 0;
				continue;
			}
			if (q == '"' && *p == '\\' &&
			    (p[1] == '"' || p[1] == '\\'))
				p++;
			out[n++] = *p;
		} else if (*p == '\'' || *p == '"') {
			q = *p;
		} else if (*p == '\\') {
			if (p[1])
				out[n++] = *++p;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	*quote = q;
	return n;
}

/* Inserts text at the cursor, escaped for the quoting in force; finish
 * closes the quote and adds the separator after a unique match. */
static void insert_text(EditLine *el, const char *text, char quote, bool finish)
{
	char buf[1024];
	size_t n = 0;

	for (; *text && n + 4 < sizeof(buf); text++) {
		if ((!quote && strchr(" \t\\'\"", *text)) ||
		    (quote == '"' && strchr("\\\"", *text)))
			buf[n++] = '\\';
		buf[n++] = *text;
	}
	if (finish) {
		if (quote)
			buf[n++] = quote;
		buf[n++] = ' ';
	}
	buf[n] = '\0';
	if (n)
		el_insertstr(el, buf);
}

static unsigned terminal_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* Lists candidates in columns, down then across, like a shell. */
static void list_candidates(const char *const *v, size_t count)
{
	size_t width = 0, cols, rows;

	for (size_t i = 0; i < count; i++)
		if (strlen(v[i]) > width)
			width = strlen(v[i]);
	width += 2;
	cols = terminal_width() / width;
	if (cols == 0)
		cols = 1;
	rows = (count + cols - 1) / cols;
	fputc('\n', stdout);
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < cols && c * rows + r < count; c++) {
			size_t i = c * rows + r;
			bool last = c + 1 == cols || i + rows >= count;

			printf("%-*s", last ? 0 : (int)width, v[i]);
		}
		fputc('\n', stdout);
	}
	fflush(stdout);
}

/* Acts on the server's answer: one candidate is inserted whole, several
 * extend the word to their common prefix or, when that adds nothing, are
 * listed. */
static unsigned char apply_candidates(EditLine *el, const char *p, size_t n,
				      const char *word, size_t plen, char quote)
{
	const char **v;
	size_t count = 0, lcp = 0, i = 0;
	unsigned char ret = CC_REDISPLAY;

	for (const char *q = p; q < p + n; q += strlen(q) + 1)
		count++;
	if (count == 0)
		return CC_REFRESH_BEEP;
	v = malloc(count * sizeof(*v));
	if (!v)
		return CC_ERROR;
	for (const char *q = p; q < p + n; q += strlen(q) + 1)
		v[i++] = q;
	lcp = strlen(v[0]);
	for (i = 1; i < count; i++) {
		size_t k = 0;

		while (k < lcp && v[i][k] == v[0][k])
			k++;
		lcp = k;
	}
	if (lcp < plen || strncmp(v[0], word, plen) != 0) {
		list_candidates(v, count);
	} else if (count == 1) {
		insert_text(el, v[0] + plen, quote, true);
		ret = CC_REFRESH;
	} else if (lcp > plen) {
		char *ext = strndup(v[0] + plen, lcp - plen);

		if (ext)
			insert_text(el, ext, quote, false);
		free(ext);
		ret = CC_REFRESH;
	} else {
		list_candidates(v, count);
	}
	free(v);
	return ret;
}

/* Bound to Tab: asks the server for the candidates of the word before the
 * cursor, printing any log line that arrives meanwhile. */
static unsigned char client_complete(EditLine *el, int ch)
{
	con_client_t *cl = NULL;
	const LineInfo *li = el_line(el);
	char word[1024], quote;
	const char *p;
	size_t n, plen;
	char *line;
	int type, rc;

	el_get(el, EL_CLIENTDATA, &cl);
	line = strndup(li->buffer, (size_t)(li->cursor - li->buffer));
	if (!line)
		return CC_ERROR;
	plen = last_word(line, word, sizeof(word), &quote);
	rc = conn_send(&cl->conn, SS_CONSOLE_COMPLETE, line, strlen(line));
	free(line);
	if (rc < 0)
		goto gone;
	for (;;) {
		if (conn_frame(&cl->conn, true, &type, &p, &n) <= 0)
			goto gone;
		if (type == SS_CONSOLE_CANDS)
			return apply_candidates(el, p, n, word, plen, quote);
		if (type == SS_CONSOLE_LOG || type == SS_CONSOLE_OUTPUT)
			print_above(cl, p, n);
	}
gone:
	cl->gone = true;
	return CC_EOF;
}

/* --- interactive: the session ------------------------------------------- */

static char *prompt(EditLine *el)
{
	static char text[] = PROMPT;

	return text;
}

static int setup_editor(con_client_t *cl, const char *histfile)
{
	HistEvent ev;

	cl->hist = history_init();
	cl->el = el_init("sipserver", stdin, stdout, stderr);
	if (!cl->hist || !cl->el)
		return -ENOMEM;
	history(cl->hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history(cl->hist, &ev, H_SETUNIQUE, 1);
	if (*histfile)
		history(cl->hist, &ev, H_LOAD, histfile);
	el_set(cl->el, EL_CLIENTDATA, cl);
	el_set(cl->el, EL_EDITOR, "emacs");
	el_set(cl->el, EL_PROMPT, prompt);
	el_set(cl->el, EL_HIST, history, cl->hist);
	el_set(cl->el, EL_GETCFN, client_getc);
	/* Restores the terminal if a signal ends the process mid-edit. */
	el_set(cl->el, EL_SIGNAL, 1);
	/* The wide call: the narrow one leaks its converted copies. */
	el_wset(cl->el, EL_ADDFN, L"ss-complete", L"Complete from sipserver",
		client_complete);
	el_set(cl->el, EL_BIND, "^I", "ss-complete", NULL);
	el_source(cl->el, NULL);
	return 0;
}

/* Sends a command and prints its output up to its status; -1 when the
 * server went away. */
static int run_command(con_client_t *cl, const char *line)
{
	const char *p;
	size_t n;
	int type;

	if (conn_send(&cl->conn, SS_CONSOLE_COMMAND, line, strlen(line)) < 0)
		return -1;
	for (;;) {
		if (conn_frame(&cl->conn, true, &type, &p, &n) <= 0)
			return -1;
		if (type == SS_CONSOLE_OUTPUT || type == SS_CONSOLE_LOG)
			fwrite(p, 1, n, stdout);
		else if (type == SS_CONSOLE_STATUS)
			break;
	}
	fflush(stdout);
	return 0;
}

/* Strips leading and trailing blanks (and the newline) in place. */
static char *trim(char *s)
{
	size_t n;

	s += strspn(s, " \t\r\n");
	n = strlen(s);
	while (n && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
	return s;
}

static void read_eval_loop(con_client_t *cl)
{
	HistEvent ev;

	while (!cl->gone) {
		const char *got;
		char *copy, *line;
		int count;

		cl->editing = true;
		got = el_gets(cl->el, &count);
		cl->editing = false;
		if (!got) {
			if (cl->tty && !cl->gone)
				fputc('\n', stdout);
			break;
		}
		copy = strdup(got);
		if (!copy)
			break;
		line = trim(copy);
		if (strcmp(line, "exit") == 0 || strcmp(line, "quit") == 0) {
			free(copy);
			break;
		}
		if (*line) {
			history(cl->hist, &ev, H_ENTER, line);
			if (run_command(cl, line) < 0)
				cl->gone = true;
		}
		free(copy);
	}
}

int ss_console_client_interactive(const char *path)
{
	con_client_t cl = {.conn.fd = -1};
	char histfile[PATH_MAX] = "";
	const char flags = 0;
	const char *home = getenv("HOME");
	HistEvent ev;
	int rc;

	rc = conn_open(&cl.conn, path);
	if (rc < 0) {
		print_connect_error(path, rc);
		return 1;
	}
	cl.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (home && *home)
		snprintf(histfile, sizeof(histfile), "%s/%s", home,
			 HISTORY_FILE);
	rc = 1;
	if (setup_editor(&cl, histfile) < 0) {
		fprintf(stderr, "sipserver: cannot set up the line editor\n");
		goto out;
	}
	if (conn_send(&cl.conn, SS_CONSOLE_HELLO, &flags, 1) < 0)
		cl.gone = true;
	else if (cl.tty)
		printf("Connected to sipserver at %s; 'help' lists the "
		       "commands, 'exit' leaves.\n",
		       path);
	read_eval_loop(&cl);
	if (cl.gone)
		printf("Disconnected: sipserver at %s closed the console\n",
		       path);
	fflush(stdout);
	if (*histfile)
		history(cl.hist, &ev, H_SAVE, histfile);
	rc = 0;
out:
	if (cl.el)
		el_end(cl.el);
	if (cl.hist)
		history_end(cl.hist);
	conn_close(&cl.conn);
	return rc;
}
