/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One TCP or TLS connection on its owner loop: non-blocking connect and TLS
 * handshake, reading and framing into a per-connection buffer, the write
 * queue, the idle timer, and close.
 *
 * A connection may be closed while one of its messages is being published
 * (a subscriber's send fails, say). Event handlers therefore hold `busy`
 * and a close only marks it dead, unlinks it and releases the socket; the
 * memory goes when the outermost handler returns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include <sipserver/log.h>

#include "transport_int.h"

#define TP_RBUF_INITIAL 4096

static tp_stats_t *tp_conn_stats(const tp_conn_t *c)
{
	return &c->tl->stats[c->l ? c->l->index : TP_MAX_LISTENERS];
}

static void tp_conn_free(tp_conn_t *c)
{
	tp_wbuf_t *w;

	while ((w = c->wq_head) != NULL) {
		c->wq_head = w->next;
		free(w);
	}
	free(c->rbuf);
	free(c);
}

void tp_conn_close(tp_conn_t *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = true;
	if (why) {
		char addr[INET6_ADDRSTRLEN + 8];

		SS_LOG_DEBUG("%s connection %llu with %s closed: %s",
			     ss_sip_proto_name(c->proto),
			     (unsigned long long)c->id,
			     tp_addr_str(&c->remote, addr, sizeof(addr)), why);
	}
	ss_io_stop(&c->io);
	ss_timer_stop(&c->idle);
	if (c->ssl) {
		if (c->state == TP_CONN_OPEN)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
		ERR_clear_error();
	}
	close(c->fd);
	c->fd = -1;
	tp_table_del(&tp->table, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->tl->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	if (c->l)
		__atomic_sub_fetch(&c->l->conns, 1, __ATOMIC_RELAXED);
	if (!c->busy)
		tp_conn_free(c);
}

/* Watches for writability only while something waits for it: a connect, a
 * blocked write, or an SSL_read that needs to write (TLS key update). */
static void tp_conn_events(tp_conn_t *c)
{
	unsigned ev = SS_IO_READ;

	if (c->state == TP_CONN_CONNECTING || c->write_blocked ||
	    c->read_wants_write)
		ev |= SS_IO_WRITE;
	if (ev != c->events && ss_io_modify(&c->io, ev) == 0)
		c->events = ev;
}

/* Bytes read (> 0), 0 at end of stream, -EAGAIN, or another -errno. */
static ssize_t tp_conn_raw_read(tp_conn_t *c, char *buf, size_t len)
{
	ssize_t n;
	int e;

	if (!c->ssl) {
		n = recv(c->fd, buf, len, MSG_DONTWAIT);
		if (n < 0)
			return errno == EINTR || errno == EWOULDBLOCK ? -EAGAIN
								      : -errno;
		return n;
	}
	ERR_clear_error();
	n = SSL_read(c->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (n > 0)
		return n;
	e = SSL_get_error(c->ssl, (int)n);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		c->read_wants_write = true;
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		return ERR_peek_error() == 0 && errno == 0 ? 0 : -EIO;
	default:
		tp_tls_log_errors("read", &c->remote);
		return -EPROTO;
	}
}

/* Bytes written (> 0), -EAGAIN (write_blocked says whether EPOLLOUT is
 * the thing to wait for), or another -errno. */
static ssize_t tp_conn_raw_write(tp_conn_t *c, const char *buf, size_t len)
{
	ssize_t n;
	int e;

	if (!c->ssl) {
		n = send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0) {
			c->write_blocked = false;
			return n;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			c->write_blocked = true;
			return -EAGAIN;
		}
		return -errno;
	}
	ERR_clear_error();
	n = SSL_write(c->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
	if (n > 0) {
		c->write_blocked = false;
		return n;
	}
	e = SSL_get_error(c->ssl, (int)n);
	if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
		c->write_blocked = e == SSL_ERROR_WANT_WRITE;
		return -EAGAIN;
	}
	tp_tls_log_errors("write", &c->remote);
	return -EPIPE;
}

static void tp_conn_wrote(tp_conn_t *c, size_t n)
{
	TP_ADD(c->bytes_out, n);
	TP_ADD(tp_conn_stats(c)->bytes_out, n);
	ss_timer_start(&c->idle, tp->set.lim.idle_ms);
}

/* Writes queued data until the kernel (or TLS) pushes back. Returns 0, or
 * -1 when the connection was closed. */
static int tp_conn_flush(tp_conn_t *c)
{
	tp_wbuf_t *w;

	while ((w = c->wq_head) != NULL) {
		ssize_t n =
		    tp_conn_raw_write(c, w->data + w->off, w->len - w->off);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			tp_conn_close(c, strerror((int)-n));
			return -1;
		}
		w->off += (size_t)n;
		c->wq_bytes -= (size_t)n;
		tp_conn_wrote(c, (size_t)n);
		if (w->off == w->len) {
			c->wq_head = w->next;
			if (!c->wq_head)
				c->wq_tail = NULL;
			free(w);
		}
	}
	tp_conn_events(c);
	return 0;
}

static int tp_conn_enqueue(tp_conn_t *c, const char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN + 8];
	tp_wbuf_t *w;

	if (c->wq_bytes + len > tp->set.lim.max_buffer) {
		SS_LOG_WARN("%s connection %llu with %s: over %zu bytes "
			    "waiting to be written, closing",
			    ss_sip_proto_name(c->proto),
			    (unsigned long long)c->id,
			    tp_addr_str(&c->remote, addr, sizeof(addr)),
			    tp->set.lim.max_buffer);
		tp_conn_close(c, NULL);
		return -ENOBUFS;
	}
	w = malloc(sizeof(*w) + len);
	if (!w)
		return -ENOMEM;
	w->next = NULL;
	w->len = len;
	w->off = 0;
	memcpy(w->data, buf, len);
	if (c->wq_tail)
		c->wq_tail->next = w;
	else
		c->wq_head = w;
	c->wq_tail = w;
	c->wq_bytes += len;
	if (c->state == TP_CONN_OPEN)
		tp_conn_events(c);
	return 0;
}

int tp_conn_write(tp_conn_t *c, const char *buf, size_t len)
{
	if (c->dead)
		return -ENOTCONN;
	/* partial writes (short send, one TLS record) continue at once;
	 * only a push back leaves the rest for the queue */
	while (len && c->state == TP_CONN_OPEN && !c->wq_head) {
		ssize_t n = tp_conn_raw_write(c, buf, len);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			tp_conn_close(c, strerror((int)-n));
			return (int)n;
		}
		tp_conn_wrote(c, (size_t)n);
		buf += n;
		len -= (size_t)n;
	}
	if (len && tp_conn_enqueue(c, buf, len) < 0)
		return -ENOBUFS;
	TP_ADD(c->msgs_out, 1);
	TP_ADD(tp_conn_stats(c)->msgs_out, 1);
	return 0;
}

/* Publishes buf[0..len) with a NUL after it; the byte it covers belongs to
 * the next message and is put back. */
static void tp_conn_deliver(tp_conn_t *c, char *buf, size_t len)
{
	ss_sip_packet_t pkt;
	char save = buf[len];

	buf[len] = '\0';
	pkt.buf = buf;
	pkt.len = len;
	pkt.proto = c->proto;
	pkt.src = c->remote;
	pkt.local = c->local;
	pkt.conn_id = c->id;
	pkt.recv_ms = ss_loop_now_ms(c->tl->loop);
	TP_ADD(c->msgs_in, 1);
	TP_ADD(tp_conn_stats(c)->msgs_in, 1);
	ss_bus_publish(tp->topic, &pkt);
	buf[len] = save;
}

static void tp_conn_frame_error(tp_conn_t *c, int err)
{
	char addr[INET6_ADDRSTRLEN + 8];

	SS_LOG_WARN("%s connection %llu with %s: %s, closing",
		    ss_sip_proto_name(c->proto), (unsigned long long)c->id,
		    tp_addr_str(&c->remote, addr, sizeof(addr)),
		    err == -EMSGSIZE
			? "message over max_message"
			: "message without a valid Content-Length");
	tp_conn_close(c, NULL);
}

/* Delivers every complete message in the buffer and keeps the rest at its
 * start. Returns 0, or -1 when the connection was closed. */
static int tp_conn_frame(tp_conn_t *c)
{
	size_t off = 0;
	tp_frame_t f;

	while (off < c->rlen && !c->dead) {
		int r = tp_frame_next(c->rbuf + off, c->rlen - off,
				      tp->set.lim.max_message, &f);
		if (r == 0)
			break;
		if (r < 0) {
			tp_conn_frame_error(c, r);
			return -1;
		}
		off += f.skip;
		if (f.ping)
			tp_conn_write(c, "\r\n", 2);
		if (f.len) {
			tp_conn_deliver(c, c->rbuf + off, f.len);
			off += f.len;
		}
	}
	if (c->dead)
		return -1;
	if (off) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return 0;
}

/* Grows the read buffer by doubling up to max_buffer; one byte always
 * stays free for the NUL put after a message. */
static int tp_conn_grow(tp_conn_t *c)
{
	size_t cap = c->rcap ? c->rcap * 2 : TP_RBUF_INITIAL;
	char *p;

	if (c->rcap >= tp->set.lim.max_buffer)
		return -ENOBUFS;
	if (cap > tp->set.lim.max_buffer)
		cap = tp->set.lim.max_buffer;
	p = realloc(c->rbuf, cap);
	if (!p)
		return -ENOMEM;
	c->rbuf = p;
	c->rcap = cap;
	return 0;
}

/* Reads until the socket (and TLS' own buffer) is empty, framing as it
 * goes so that the buffer only holds one partial message between reads. */
static int tp_conn_read(tp_conn_t *c)
{
	for (;;) {
		ssize_t n;

		if (c->rcap - c->rlen < 2 && tp_conn_grow(c) < 0) {
			tp_conn_close(c, "read buffer limit");
			return -1;
		}
		n = tp_conn_raw_read(c, c->rbuf + c->rlen,
				     c->rcap - c->rlen - 1);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0) {
			tp_conn_close(c, n == 0 ? "closed by peer"
						: strerror((int)-n));
			return -1;
		}
		c->rlen += (size_t)n;
		TP_ADD(c->bytes_in, n);
		TP_ADD(tp_conn_stats(c)->bytes_in, n);
		ss_timer_start(&c->idle, tp->set.lim.idle_ms);
		if (tp_conn_frame(c) < 0)
			return -1;
	}
}

static void tp_conn_handshake(tp_conn_t *c)
{
	int r, e;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->state = TP_CONN_OPEN;
		c->write_blocked = false;
		if (tp_conn_flush(c) == 0 && tp_conn_read(c) == 0)
			tp_conn_events(c);
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->write_blocked = e == SSL_ERROR_WANT_WRITE;
		tp_conn_events(c);
		return;
	}
	tp_tls_log_errors("handshake", &c->remote);
	tp_conn_close(c, "TLS handshake failed");
}

static void tp_conn_connected(tp_conn_t *c)
{
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		soerr = errno;
	if (soerr) {
		char addr[INET6_ADDRSTRLEN + 8];

		SS_LOG_NOTICE("%s connect to %s: %s",
			      ss_sip_proto_name(c->proto),
			      tp_addr_str(&c->remote, addr, sizeof(addr)),
			      strerror(soerr));
		tp_conn_close(c, NULL);
		return;
	}
	c->local.len = sizeof(c->local.sa);
	getsockname(c->fd, (struct sockaddr *)&c->local.sa, &c->local.len);
	if (c->ssl) {
		c->state = TP_CONN_HANDSHAKE;
		tp_conn_handshake(c);
		return;
	}
	c->state = TP_CONN_OPEN;
	tp_conn_flush(c);
}

static void tp_conn_on_io(ss_io_t *io, unsigned events)
{
	tp_conn_t *c = io->arg;

	c->busy++;
	switch (c->state) {
	case TP_CONN_CONNECTING:
		tp_conn_connected(c);
		break;
	case TP_CONN_HANDSHAKE:
		tp_conn_handshake(c);
		break;
	case TP_CONN_OPEN:
		if ((events & (SS_IO_READ | SS_IO_ERROR)) ||
		    (c->read_wants_write && (events & SS_IO_WRITE))) {
			c->read_wants_write = false;
			if (tp_conn_read(c) < 0)
				break;
		}
		if (c->wq_head)
			tp_conn_flush(c);
		else
			tp_conn_events(c);
		break;
	}
	if (--c->busy == 0 && c->dead)
		tp_conn_free(c);
}

static void tp_conn_on_idle(ss_timer_t *t)
{
	tp_conn_close(t->arg, "idle timeout");
}

static int tp_conn_tls_setup(tp_conn_t *c)
{
	SSL_CTX *ctx = c->incoming ? tp->tls_server : tp->tls_client;

	if (!ctx)
		return -EPROTONOSUPPORT;
	c->ssl = SSL_new(ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
		tp_tls_log_errors("setup", &c->remote);
		return -ENOMEM;
	}
	if (c->incoming)
		SSL_set_accept_state(c->ssl);
	else
		SSL_set_connect_state(c->ssl);
	return 0;
}

int tp_conn_new(tp_loop_t *tl, int fd, ss_sip_proto_t proto, tp_listener_t *l,
		const ss_sip_addr_t *remote, bool incoming, tp_conn_t **out)
{
	const tp_limits_t *lim = &tp->set.lim;
	tp_conn_t *c = calloc(1, sizeof(*c));
	int err = -ENOMEM;

	if (!c)
		goto fail_fd;
	c->fd = fd;
	c->tl = tl;
	c->l = l;
	c->proto = proto;
	c->remote = *remote;
	c->incoming = incoming;
	c->created_ms = ss_loop_now_ms(tl->loop);
	c->state = incoming ? TP_CONN_OPEN : TP_CONN_CONNECTING;
	c->local.len = sizeof(c->local.sa);
	getsockname(fd, (struct sockaddr *)&c->local.sa, &c->local.len);
	if (proto == SS_SIP_TLS) {
		err = tp_conn_tls_setup(c);
		if (err < 0)
			goto fail;
		if (incoming)
			c->state = TP_CONN_HANDSHAKE;
	}
	err = tp_table_add(&tp->table, c, lim->max_connections,
			   incoming ? lim->max_per_source : 0);
	if (err < 0)
		goto fail;
	c->events =
	    SS_IO_READ | (c->state == TP_CONN_CONNECTING ? SS_IO_WRITE : 0);
	err = ss_io_start(&c->io, fd, c->events, tp_conn_on_io, c);
	if (err < 0) {
		tp_table_del(&tp->table, c);
		goto fail;
	}
	ss_timer_init(&c->idle, tp->self, tp_conn_on_idle, c);
	ss_timer_start(&c->idle, lim->idle_ms);
	c->next = tl->conns;
	if (tl->conns)
		tl->conns->prev = c;
	tl->conns = c;
	if (l)
		__atomic_add_fetch(&l->conns, 1, __ATOMIC_RELAXED);
	*out = c;
	return 0;
fail:
	SSL_free(c->ssl);
	free(c);
fail_fd:
	close(fd);
	return err;
}
