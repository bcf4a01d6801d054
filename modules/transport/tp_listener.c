/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Listening sockets and per-loop state. Every listener, UDP or stream, has
 * one socket per worker loop bound with SO_REUSEPORT: the kernel spreads
 * datagrams and incoming connections across the workers, and each loop
 * reads and accepts only on its own socket, so nothing is shared on the
 * receive path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sipserver/log.h>

#include "transport_int.h"

/* Parses "1.2.3.4", "::1" or "[::1]" with port into a. */
static int tp_parse_addr(const char *text, unsigned port, ss_sip_addr_t *a)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(text);
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->sa;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		a->len = sizeof(*sin);
		return 0;
	}
	if (n >= 2 && n < sizeof(tmp) && text[0] == '[' && text[n - 1] == ']') {
		memcpy(tmp, text + 1, n - 2);
		tmp[n - 2] = '\0';
		text = tmp;
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1)
		return -EINVAL;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	a->len = sizeof(*sin6);
	return 0;
}

static int tp_socket_bind(const tp_listener_t *l, const ss_sip_addr_t *a)
{
	int type = l->info.proto == SS_SIP_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int one = 1;
	int fd, err;

	fd = socket(a->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (a->sa.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0)
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

static void tp_listener_describe(tp_listener_t *l)
{
	const struct sockaddr_in6 *sin6 =
	    (const struct sockaddr_in6 *)&l->info.addr.sa;
	const struct sockaddr_in *sin =
	    (const struct sockaddr_in *)&l->info.addr.sa;
	char ip[INET6_ADDRSTRLEN];

	if (l->info.addr.sa.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(l->host, sizeof(l->host), "[%s]", ip);
		l->info.port = ntohs(sin6->sin6_port);
		l->wildcard = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
	} else {
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(l->host, sizeof(l->host), "%s", ip);
		l->info.port = ntohs(sin->sin_port);
		l->wildcard = sin->sin_addr.s_addr == htonl(INADDR_ANY);
	}
	l->info.host = l->host;
}

/* The first socket binds the configured port; when that is 0 the kernel
 * picks one and the other workers' sockets join it on that port. */
int tp_listener_open(tp_listener_t *l, const tp_listen_cfg_t *cfg,
		     unsigned nloops)
{
	ss_sip_addr_t a;
	unsigned i;
	int fd, err;

	l->info.proto = cfg->proto;
	err = tp_parse_addr(cfg->address, cfg->port, &a);
	if (err < 0) {
		SS_LOG_ERR("listen %s: bad address '%s'",
			   ss_sip_proto_name(cfg->proto), cfg->address);
		return err;
	}
	l->socks = calloc(nloops, sizeof(*l->socks));
	if (!l->socks)
		return -ENOMEM;
	for (i = 0; i < nloops; i++)
		l->socks[i].fd = -1;
	for (i = 0; i < nloops; i++) {
		fd = tp_socket_bind(l, &a);
		if (fd < 0) {
			err = fd;
			SS_LOG_ERR("listen %s %s port %u: %s",
				   ss_sip_proto_name(cfg->proto), cfg->address,
				   cfg->port, strerror(-err));
			goto fail;
		}
		l->socks[i].fd = fd;
		l->socks[i].l = l;
		if (i == 0) {
			a.len = sizeof(a.sa);
			if (getsockname(fd, (struct sockaddr *)&a.sa, &a.len) <
			    0) {
				err = -errno;
				goto fail;
			}
		}
	}
	l->info.addr = a;
	tp_listener_describe(l);
	SS_LOG_NOTICE("listening on %s %s:%u%s",
		      ss_sip_proto_name(l->info.proto), l->host, l->info.port,
		      cfg->port == 0 ? " (port chosen by the system)" : "");
	return 0;
fail:
	tp_listener_close(l, nloops);
	return err;
}

void tp_listener_close(tp_listener_t *l, unsigned nloops)
{
	unsigned i;

	if (!l->socks)
		return;
	for (i = 0; i < nloops; i++)
		if (l->socks[i].fd >= 0)
			close(l->socks[i].fd);
	free(l->socks);
	l->socks = NULL;
}

int tp_loop_init(tp_loop_t *tl, unsigned index, const tp_limits_t *lim)
{
	unsigned n = lim->udp_batch;
	unsigned i;

	memset(tl, 0, sizeof(*tl));
	tl->index = index;
	tl->loop = ss_loop_worker(index);
	tl->slot = lim->max_message + 2;
	tl->stats = calloc(TP_MAX_LISTENERS + 1, sizeof(*tl->stats));
	tl->msgs = calloc(n, sizeof(*tl->msgs));
	tl->iov = calloc(n, sizeof(*tl->iov));
	tl->addrs = calloc(n, sizeof(*tl->addrs));
	tl->bufs = malloc(n * tl->slot);
	if (!tl->stats || !tl->msgs || !tl->iov || !tl->addrs || !tl->bufs) {
		tp_loop_free(tl);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		tl->iov[i].iov_base = tl->bufs + i * tl->slot;
		tl->msgs[i].msg_hdr.msg_iov = &tl->iov[i];
		tl->msgs[i].msg_hdr.msg_iovlen = 1;
		tl->msgs[i].msg_hdr.msg_name = &tl->addrs[i];
	}
	return 0;
}

void tp_loop_free(tp_loop_t *tl)
{
	free(tl->stats);
	free(tl->msgs);
	free(tl->iov);
	free(tl->addrs);
	free(tl->bufs);
	tl->stats = NULL;
	tl->msgs = NULL;
	tl->iov = NULL;
	tl->addrs = NULL;
	tl->bufs = NULL;
}

void tp_loops_start_fn(void *arg)
{
	tp_loop_t *tl = tp_loop_self();
	unsigned i;

	(void)arg;
	if (!tl)
		return;
	for (i = 0; i < tp->nlisteners; i++) {
		tp_lsock_t *ls = &tp->listeners[i].socks[tl->index];
		int err;
		ss_io_cb cb = ls->l->info.proto == SS_SIP_UDP
				  ? tp_udp_on_read
				  : tp_stream_on_accept;

		ls->tl = tl;
		err = ss_io_start(&ls->io, ls->fd, SS_IO_READ, cb, ls);
		if (err < 0) {
			ls->tl = NULL;
			if (!tl->start_err)
				tl->start_err = err;
			SS_LOG_ERR("worker %u: cannot watch listener %u: %s",
				   tl->index, i, strerror(-err));
		}
	}
}

void tp_loops_stop_fn(void *arg)
{
	tp_loop_t *tl = tp_loop_self();
	unsigned i;

	(void)arg;
	if (!tl)
		return;
	for (i = 0; i < tp->nlisteners; i++) {
		tp_lsock_t *ls = &tp->listeners[i].socks[tl->index];

		if (ls->tl)
			ss_io_stop(&ls->io);
		ls->tl = NULL;
	}
	while (tl->conns)
		tp_conn_close(tl->conns, NULL);
}
