/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UDP: batched receive with recvmmsg into the loop's preallocated slots,
 * one publish per datagram, and sendto from the calling worker's socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <sipserver/log.h>

#include "transport_int.h"

/* CRLF keepalives (RFC 5626 3.5.1 uses STUN on UDP, but many UAs send bare
 * CRLFs) carry no message: they are counted and dropped here. */
static bool tp_udp_is_keepalive(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != '\r' && p[i] != '\n' && p[i] != ' ' && p[i] != '\0')
			return false;
	return true;
}

static void tp_udp_deliver(tp_lsock_t *ls, tp_stats_t *st, unsigned i,
			   uint64_t now)
{
	tp_loop_t *tl = ls->tl;
	struct mmsghdr *m = &tl->msgs[i];
	size_t len = m->msg_len;
	ss_sip_packet_t pkt;

	if (len > tp->set.lim.max_message ||
	    (m->msg_hdr.msg_flags & MSG_TRUNC)) {
		TP_ADD(st->dropped, 1);
		SS_LOG_DEBUG("udp: dropped a datagram over %zu bytes",
			     tp->set.lim.max_message);
		return;
	}
	pkt.buf = tl->iov[i].iov_base;
	if (tp_udp_is_keepalive(pkt.buf, len)) {
		TP_ADD(st->dropped, 1);
		return;
	}
	pkt.buf[len] = '\0';
	pkt.len = len;
	pkt.proto = SS_SIP_UDP;
	memcpy(&pkt.src.sa, &tl->addrs[i], m->msg_hdr.msg_namelen);
	pkt.src.len = m->msg_hdr.msg_namelen;
	pkt.local = ls->l->info.addr;
	pkt.conn_id = 0;
	pkt.recv_ms = now;
	TP_ADD(st->msgs_in, 1);
	TP_ADD(st->bytes_in, len);
	ss_bus_publish(tp->topic, &pkt);
}

/* Reads batches until the socket has fewer datagrams than a batch, which
 * is right for level- and edge-triggered watchers alike. A slot holds
 * max_message + 1 bytes so an oversize datagram shows as such, plus the
 * NUL terminator. */
void tp_udp_on_read(ss_io_t *io, unsigned events)
{
	tp_lsock_t *ls = io->arg;
	tp_loop_t *tl = ls->tl;
	tp_stats_t *st = &tl->stats[ls->l->index];
	unsigned batch = tp->set.lim.udp_batch;
	uint64_t now;
	unsigned i;
	int n;

	(void)events;
	do {
		for (i = 0; i < batch; i++) {
			tl->iov[i].iov_len = tl->slot - 1;
			tl->msgs[i].msg_hdr.msg_namelen =
			    sizeof(struct sockaddr_storage);
			tl->msgs[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(ls->fd, tl->msgs, batch, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				SS_LOG_WARN("udp %s:%u: recvmmsg: %s",
					    ls->l->host, ls->l->info.port,
					    strerror(errno));
			return;
		}
		now = ss_loop_now_ms(tl->loop);
		for (i = 0; i < (unsigned)n; i++)
			tp_udp_deliver(ls, st, i, now);
	} while ((unsigned)n == batch);
}

/* sendto on one UDP socket from several threads is safe (each datagram is
 * atomic in the kernel), so a thread without a worker loop uses worker 0's
 * socket without a lock. Only the calling worker's counters are touched;
 * other threads' sends are counted on worker 0 racily, which only affects
 * the console's figures. */
int tp_udp_send(const ss_sip_dest_t *dst, const char *buf, size_t len)
{
	tp_listener_t *l = tp_listener_find(SS_SIP_UDP, dst->addr.sa.ss_family);
	tp_loop_t *tl = tp_loop_self();
	unsigned idx = tl ? tl->index : 0;
	tp_stats_t *st = &tp->loops[idx].stats[l ? l->index : 0];
	ssize_t n;

	if (!l)
		return -EAFNOSUPPORT;
	n = sendto(l->socks[idx].fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&dst->addr.sa, dst->addr.len);
	if (n < 0) {
		int err = -errno;

		TP_ADD(st->dropped, 1);
		SS_LOG_DEBUG("udp: sendto: %s", strerror(-err));
		return err;
	}
	TP_ADD(st->msgs_out, 1);
	TP_ADD(st->bytes_out, len);
	return 0;
}
