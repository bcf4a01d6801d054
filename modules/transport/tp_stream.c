/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP and TLS around the connections: accepting under the limits, choosing
 * or opening the connection a message goes out on (RFC 3261 18.1 and
 * 18.2.2), and handing the bytes to the loop that owns it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sipserver/log.h>

#include "transport_int.h"

/* A send handed to the owner loop of its connection, with its own copy. */
typedef struct tp_send_task {
	ss_sip_dest_t dst;
	size_t len;
	char data[];
} tp_send_task_t;

static void tp_stream_accepted(tp_lsock_t *ls, int fd,
			       const ss_sip_addr_t *remote)
{
	char addr[INET6_ADDRSTRLEN + 8];
	tp_conn_t *c;
	int err;

	err =
	    tp_conn_new(ls->tl, fd, ls->l->info.proto, ls->l, remote, true, &c);
	if (err == 0)
		return;
	tp_addr_str(remote, addr, sizeof(addr));
	TP_ADD(ls->tl->stats[ls->l->index].refused, 1);
	if (err == -EMFILE)
		SS_LOG_NOTICE("%s: refused connection from %s: "
			      "max_connections reached",
			      ss_sip_proto_name(ls->l->info.proto), addr);
	else if (err == -EUSERS)
		SS_LOG_NOTICE("%s: refused connection from %s: "
			      "max_connections_per_source reached",
			      ss_sip_proto_name(ls->l->info.proto), addr);
	else
		SS_LOG_WARN("%s: connection from %s: %s",
			    ss_sip_proto_name(ls->l->info.proto), addr,
			    strerror(-err));
}

void tp_stream_on_accept(ss_io_t *io, unsigned events)
{
	tp_lsock_t *ls = io->arg;
	ss_sip_addr_t ra;

	(void)events;
	for (;;) {
		int fd;

		ra.len = sizeof(ra.sa);
		fd = accept4(ls->fd, (struct sockaddr *)&ra.sa, &ra.len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			tp_stream_accepted(ls, fd, &ra);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			SS_LOG_WARN("%s %s:%u: accept: %s",
				    ss_sip_proto_name(ls->l->info.proto),
				    ls->l->host, ls->l->info.port,
				    strerror(errno));
		return;
	}
}

/* Binds an outgoing socket to the listener's address (port left to the
 * kernel) so that peers see the address we advertise in Via. */
static int tp_stream_bind_local(int fd, const tp_listener_t *l)
{
	ss_sip_addr_t a = l->info.addr;

	if (a.sa.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a.sa)->sin6_port = 0;
	else
		((struct sockaddr_in *)&a.sa)->sin_port = 0;
	return bind(fd, (struct sockaddr *)&a.sa, a.len) < 0 ? -errno : 0;
}

/* Opens a connection to dst on the calling loop; data written before it
 * is up waits in its queue. */
static int tp_stream_connect(tp_loop_t *tl, const ss_sip_dest_t *dst,
			     tp_conn_t **out)
{
	int family = dst->addr.sa.ss_family;
	tp_listener_t *l = tp_listener_find(dst->proto, family);
	char addr[INET6_ADDRSTRLEN + 8];
	int fd, err;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	if (l && !l->wildcard) {
		err = tp_stream_bind_local(fd, l);
		if (err < 0)
			goto fail_fd;
	}
	if (connect(fd, (const struct sockaddr *)&dst->addr.sa, dst->addr.len) <
		0 &&
	    errno != EINPROGRESS) {
		err = -errno;
		goto fail_fd;
	}
	err = tp_conn_new(tl, fd, dst->proto, l, &dst->addr, false, out);
	if (err < 0)
		goto fail;
	return 0;
fail_fd:
	close(fd);
fail:
	SS_LOG_NOTICE("%s connect to %s: %s", ss_sip_proto_name(dst->proto),
		      tp_addr_str(&dst->addr, addr, sizeof(addr)),
		      strerror(-err));
	return err;
}

/* On the owner loop: the connection by id, else one to the same address
 * that this loop owns, else a new one. */
static int tp_stream_send_local(tp_loop_t *tl, uint64_t id,
				const ss_sip_dest_t *dst, const char *buf,
				size_t len)
{
	tp_loop_t *owner = NULL;
	tp_conn_t *c = NULL;
	int err;

	if (id)
		c = tp_table_get(&tp->table, id, &owner);
	if ((!c || owner != tl) && dst->addr.len) {
		id = tp_table_find_addr(&tp->table, dst->proto, &dst->addr,
					&owner);
		c = id && owner == tl ? tp_table_get(&tp->table, id, NULL)
				      : NULL;
	}
	if (!c) {
		if (!dst->addr.len)
			return -ENOTCONN;
		err = tp_stream_connect(tl, dst, &c);
		if (err < 0)
			return -ENOTCONN;
	}
	return tp_conn_write(c, buf, len);
}

static void tp_send_task_run(void *arg)
{
	tp_send_task_t *t = arg;
	tp_loop_t *tl = tp_loop_self();

	if (tp && tl)
		tp_stream_send_local(tl, t->dst.conn_id, &t->dst, t->data,
				     t->len);
	free(t);
}

static unsigned tp_addr_hash(const ss_sip_addr_t *a)
{
	const unsigned char *p = (const unsigned char *)&a->sa;
	unsigned h = 2166136261u;
	socklen_t i;

	for (i = 0; i < a->len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Finds the owner of the connection to use, then writes there: directly
 * when that is the calling loop (the common case: a response goes out on
 * the loop that read the request), else through a posted copy. A new
 * connection opens on the calling worker, or on a worker chosen by the
 * destination's hash when called off the workers. */
int tp_stream_send(const ss_sip_dest_t *dst, const char *buf, size_t len)
{
	tp_loop_t *cur = tp_loop_self();
	tp_loop_t *owner = NULL;
	tp_send_task_t *t;
	uint64_t id = 0;
	int err;

	if (dst->conn_id && tp_table_get(&tp->table, dst->conn_id, &owner))
		id = dst->conn_id;
	else if (dst->addr.len)
		id = tp_table_find_addr(&tp->table, dst->proto, &dst->addr,
					&owner);
	if (!id) {
		if (!dst->addr.len)
			return -ENOTCONN;
		owner = cur ? cur
			    : &tp->loops[tp_addr_hash(&dst->addr) % tp->nloops];
	}
	if (owner == cur)
		return tp_stream_send_local(cur, id, dst, buf, len);
	t = malloc(sizeof(*t) + len);
	if (!t)
		return -ENOMEM;
	t->dst = *dst;
	t->dst.conn_id = id;
	t->len = len;
	memcpy(t->data, buf, len);
	err = ss_loop_post(owner->loop, tp_send_task_run, t);
	if (err < 0)
		free(t);
	return err;
}
