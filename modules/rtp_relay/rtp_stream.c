/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Relay sessions: their sockets on the owning loop, the packet path
 * (recvmmsg, symmetric latching, counters, sendmmsg), the loss estimate and
 * the inactivity timeout.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sipserver/log.h>

#include "rtp_int.h"

/* Single-writer counter update: a plain load and store, no locked RMW. */
static inline void rtp_stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* ---- addresses ---- */

static uint16_t addr_port(const rtp_addr_t *a)
{
	if (a->sa.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
}

static void addr_set_port(rtp_addr_t *a, uint16_t port)
{
	if (a->sa.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->sa)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&a->sa)->sin_port = htons(port);
}

static bool addr_same_ip(const struct sockaddr_storage *a,
			 const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr,
		      sizeof(struct in6_addr)) == 0;
}

static bool addr_same(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (!addr_same_ip(a, b))
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_port ==
		       ((const struct sockaddr_in *)b)->sin_port;
	return ((const struct sockaddr_in6 *)a)->sin6_port ==
	       ((const struct sockaddr_in6 *)b)->sin6_port;
}

static bool addr_unspecified(const rtp_addr_t *a)
{
	if (a->sa.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->sa)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
	    &((const struct sockaddr_in6 *)&a->sa)->sin6_addr);
}

/*
 * Turns an announced peer into the side's expected address. A missing,
 * zero-port or unspecified address leaves the side without one (len 0);
 * another family than the relay's is refused.
 */
static int peer_parse(const ss_rtp_peer_t *peer, int family, rtp_addr_t *out,
		      uint16_t *rtcp_port)
{
	memset(out, 0, sizeof(*out));
	*rtcp_port = 0;
	if (!peer || !peer->addr)
		return 0;
	if (peer->addr->sa_family != family)
		return -EAFNOSUPPORT;
	if (peer->len > sizeof(out->sa) ||
	    peer->len < (family == AF_INET ? sizeof(struct sockaddr_in)
					   : sizeof(struct sockaddr_in6)))
		return -EINVAL;
	memcpy(&out->sa, peer->addr, peer->len);
	out->len = peer->len;
	if (addr_port(out) == 0 || addr_unspecified(out)) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	*rtcp_port =
	    peer->rtcp_port ? peer->rtcp_port : (uint16_t)(addr_port(out) + 1);
	return 0;
}

/* Points both sockets of a side at its announced peer, unlatched. */
static void side_reset_targets(rtp_side_t *sd)
{
	unsigned k;

	for (k = 0; k < 2; k++) {
		sd->sock[k].latched = false;
		sd->sock[k].target = sd->expected;
	}
	if (sd->expected.len)
		addr_set_port(&sd->sock[RTP_KIND_RTCP].target,
			      sd->expected_rtcp_port);
}

/* ---- loss estimate ---- */

/*
 * RFC 3550 A.1 reduced to what a relay needs: a jump forward by d counts
 * d - 1 lost; a late packet within the misorder window fills one gap back
 * (a duplicate of an old one then hides a loss: it is an estimate); a jump
 * beyond the windows or a new SSRC restarts the count, as a sender that
 * restarted its sequence would otherwise look like thousands of losses.
 * 16-bit differences make the 65535 -> 0 wrap an ordinary step.
 */
int rtp_seq_update(rtp_seq_t *q, uint16_t seq, uint32_t ssrc)
{
	uint16_t ahead = (uint16_t)(seq - q->max_seq);
	uint16_t behind = (uint16_t)(q->max_seq - seq);

	if (!q->init || q->ssrc != ssrc) {
		q->init = true;
		q->ssrc = ssrc;
		q->max_seq = seq;
		return 0;
	}
	if (ahead == 0)
		return 0;
	if (ahead < 0x8000) {
		q->max_seq = seq;
		return ahead <= RTP_MAX_DROPOUT ? ahead - 1 : 0;
	}
	if (behind <= RTP_MAX_MISORDER)
		return -1;
	q->max_seq = seq;
	return 0;
}

static void side_count_rtp(rtp_side_t *sd, const unsigned char *p, size_t len)
{
	int d;

	/* RTCP multiplexed on the RTP port (RFC 5761): PT 200-204 with the
	 * marker bit make a second byte of 200-204; not part of the count. */
	if (len < 12 || (p[0] >> 6) != 2 || (p[1] >= 200 && p[1] <= 204))
		return;
	d = rtp_seq_update(&sd->seq, (uint16_t)(p[2] << 8 | p[3]),
			   (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
			       (uint32_t)p[10] << 8 | p[11]);
	if (d > 0)
		sd->lost += (uint64_t)d;
	else if (d < 0 && sd->lost)
		sd->lost--;
}

/* ---- the packet path ---- */

/*
 * Decides whether a packet from src on socket `in` is relayed, and latches.
 * The first source after allocation or set_peer becomes the target for
 * this socket's peer; a different source takes over only once the latched
 * one has been silent for RTP_RELATCH_MS. With strict checking, a source
 * whose IP differs from the announced peer's is dropped.
 */
static bool sock_accept(ss_rtp_session_t *s, rtp_sock_t *in,
			const struct sockaddr_storage *src, socklen_t len,
			uint64_t now)
{
	rtp_side_t *sd = &s->side[in->side];

	if (s->strict && sd->expected.len &&
	    !addr_same_ip(src, &sd->expected.sa))
		return false;
	if (in->latched && addr_same(src, &in->target.sa)) {
		in->last_src_ms = now;
		return true;
	}
	if (in->latched && now - in->last_src_ms < RTP_RELATCH_MS)
		return true;
	memcpy(&in->target.sa, src, len);
	in->target.len = len;
	in->latched = true;
	in->last_src_ms = now;
	/* RTP from elsewhere than announced means a NAT: RTCP that has not
	 * spoken yet most likely comes from the same address, port + 1. */
	if (in->kind == RTP_KIND_RTP && !sd->sock[RTP_KIND_RTCP].latched &&
	    !(sd->expected.len && addr_same(src, &sd->expected.sa))) {
		rtp_sock_t *rtcp = &sd->sock[RTP_KIND_RTCP];

		rtcp->target = in->target;
		addr_set_port(&rtcp->target,
			      (uint16_t)(addr_port(&in->target) + 1));
	}
	return true;
}

/* Sends tx[0..n) from fd; each sent one gets its msg_len set. A full
 * socket buffer drops the rest of the batch: RTP is not worth queueing. */
static void sock_send_batch(int fd, struct mmsghdr *tx, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		int r = sendmmsg(fd, tx + done, n - done, MSG_DONTWAIT);
		if (r > 0) {
			done += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS))
			return;
		/* the first datagram failed alone (ICMP refusal, route) */
		done++;
	}
}

/* Fills the next slot of the send batch with received buffer i. */
static void batch_add(rtp_loop_t *rl, unsigned m, unsigned i, unsigned len,
		      rtp_sock_t *out)
{
	rl->tx_iov[m].iov_base = rl->buf[i];
	rl->tx_iov[m].iov_len = len;
	rl->tx[m].msg_hdr.msg_iov = &rl->tx_iov[m];
	rl->tx[m].msg_hdr.msg_iovlen = 1;
	rl->tx[m].msg_hdr.msg_name = &out->target.sa;
	rl->tx[m].msg_hdr.msg_namelen = out->target.len;
	rl->tx[m].msg_len = 0;
}

/*
 * Reads one batch from a socket and relays it through the other side's
 * socket of the same kind. All packets of a batch share that output
 * socket and its target, so a single sendmmsg carries them. The buffers
 * are the loop's own: nothing is allocated per packet. Level-triggered
 * epoll brings us back if more than a batch is queued, which keeps one
 * busy stream from starving the others on the loop.
 */
static void sock_on_read(ss_io_t *io, unsigned events)
{
	rtp_sock_t *in = io->arg;
	ss_rtp_session_t *s = in->s;
	rtp_loop_t *rl = s->rl;
	rtp_side_t *sd = &s->side[in->side];
	rtp_sock_t *out = &s->side[in->side ^ 1].sock[in->kind];
	unsigned i, m = 0, accepted = 0, sent = 0;
	uint64_t now, bytes = 0;
	int n;

	(void)events;
	n = recvmmsg(io->fd, rl->rx, RTP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return; /* EAGAIN, or a pending ICMP error: nothing to read */
	now = ss_loop_now_ms(rl->loop);
	for (i = 0; i < (unsigned)n; i++) {
		struct msghdr *h = &rl->rx[i].msg_hdr;
		unsigned len = rl->rx[i].msg_len;

		if (in->kind == RTP_KIND_RTP) {
			sd->packets++;
			sd->bytes += len;
		} else {
			sd->rtcp_packets++;
			sd->rtcp_bytes += len;
		}
		if (!(h->msg_flags & MSG_TRUNC) &&
		    sock_accept(s, in, &rl->src[i], h->msg_namelen, now)) {
			accepted++;
			if (in->kind == RTP_KIND_RTP)
				side_count_rtp(sd, rl->buf[i], len);
			if (out->target.len)
				batch_add(rl, m++, i, len, out);
		}
		h->msg_namelen = sizeof(rl->src[i]);
	}
	if (accepted)
		sd->last_ms = now;
	if (m)
		sock_send_batch(out->io.fd, rl->tx, m);
	for (i = 0; i < m; i++) {
		sent += rl->tx[i].msg_len > 0;
		bytes += rl->tx[i].msg_len;
	}
	sd->dropped += (unsigned)n - sent;
	rtp_stat_add(&rl->relayed, sent);
	rtp_stat_add(&rl->relayed_bytes, bytes);
	if ((unsigned)n != sent)
		rtp_stat_add(&rl->dropped, (unsigned)n - sent);
}

/* ---- sockets and resources ---- */

static int sock_open(const rtp_addr_t *bind_addr, uint16_t port, int *fd_out)
{
	rtp_addr_t a = *bind_addr;
	int fd, err, one = 1;

	fd = socket(a.sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (a.sa.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	addr_set_port(&a, port);
	if (bind(fd, (const struct sockaddr *)&a.sa, a.len) < 0)
		goto fail;
	*fd_out = fd;
	return 0;
fail:
	err = -errno;
	close(fd);
	return err;
}

/*
 * Opens the RTP and RTCP sockets of a side on the first pair that binds.
 * A pair that another program holds goes back to the end of the pool and
 * the next is tried, a bounded number of times so that a range full of
 * foreign sockets fails fast instead of scanning.
 */
static int side_open(rtp_side_t *sd, rtp_state_t *st)
{
	unsigned attempt;

	for (attempt = 0; attempt < RTP_BIND_ATTEMPTS; attempt++) {
		uint32_t pair;
		uint16_t port;
		int fds[2];
		int err = rtp_ports_get(&st->ports, &pair);

		if (err < 0)
			return err;
		port = rtp_ports_port(&st->ports, pair);
		err = sock_open(&st->bind_addr, port, &fds[0]);
		if (err == 0) {
			err = sock_open(&st->bind_addr, (uint16_t)(port + 1),
					&fds[1]);
			if (err < 0)
				close(fds[0]);
		}
		if (err == 0) {
			sd->pair = pair;
			sd->has_pair = true;
			sd->port = port;
			sd->sock[RTP_KIND_RTP].io.fd = fds[0];
			sd->sock[RTP_KIND_RTCP].io.fd = fds[1];
			return 0;
		}
		rtp_ports_put(&st->ports, pair);
		if (err != -EADDRINUSE)
			return err;
	}
	SS_LOG_WARN("no free port pair binds after %d tries: are other "
		    "programs using the configured range?",
		    RTP_BIND_ATTEMPTS);
	return -ENOSPC;
}

/* Closes the sockets, returns the ports and leaves the active count: what
 * a timeout ends and what free finishes. Session's loop; idempotent. */
static void session_close(ss_rtp_session_t *s)
{
	rtp_state_t *st = rtp;
	unsigned i, k;

	for (i = 0; i < 2; i++) {
		rtp_side_t *sd = &s->side[i];

		for (k = 0; k < 2; k++) {
			ss_io_t *io = &sd->sock[k].io;

			if (io->fd < 0)
				continue;
			ss_io_stop(io);
			close(io->fd);
			io->fd = -1;
		}
		if (sd->has_pair) {
			rtp_ports_put(&st->ports, sd->pair);
			sd->has_pair = false;
		}
	}
	if (!s->ended) {
		s->ended = true;
		atomic_fetch_sub_explicit(&st->active, 1, memory_order_relaxed);
	}
}

static void session_destroy(ss_rtp_session_t *s)
{
	rtp_loop_t *rl = s->rl;

	session_close(s);
	ss_timer_stop(&s->timer);
	if (s->prev)
		s->prev->next = s->next;
	else
		rl->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	rl->nsessions--;
	free(s);
}

/* ---- the inactivity timer ---- */

static uint64_t session_last_activity(const ss_rtp_session_t *s)
{
	uint64_t last = s->created_ms;

	if (s->side[0].last_ms > last)
		last = s->side[0].last_ms;
	if (s->side[1].last_ms > last)
		last = s->side[1].last_ms;
	return last;
}

/*
 * Packets only stamp their side's last_ms; the timer is not pushed back
 * per packet. When it fires it measures the silence and, if the session
 * was active meanwhile, sleeps again for the remainder. After the end the
 * timer keeps polling slowly, for a free() whose post failed. It is armed
 * before the end callback, which may free the session (and stop it).
 */
static void session_on_timer(ss_timer_t *t)
{
	ss_rtp_session_t *s = t->arg;
	unsigned rel = atomic_load_explicit(&s->released, memory_order_acquire);
	uint64_t now, last, idle;

	if (rel == RTP_REL_ORPHAN) {
		session_destroy(s);
		return;
	}
	if (rel == RTP_REL_POSTED || s->ended) {
		ss_timer_start(t, RTP_REAP_MS);
		return;
	}
	now = ss_loop_now_ms(s->rl->loop);
	last = session_last_activity(s);
	idle = now > last ? now - last : 0;
	if (idle < s->timeout_ms) {
		ss_timer_start(t, s->timeout_ms - idle);
		return;
	}
	session_close(s);
	rtp_stat_add(&s->rl->timeouts, 1);
	SS_LOG_INFO("session %llu%s%s: no media for %llu ms, ended",
		    (unsigned long long)s->id, s->tag[0] ? " " : "", s->tag,
		    (unsigned long long)idle);
	ss_timer_start(t, RTP_REAP_MS);
	if (s->end)
		s->end(s, SS_RTP_END_TIMEOUT, s->arg);
}

/* ---- the service ---- */

static int session_set_peers(ss_rtp_session_t *s, const ss_rtp_params_t *p,
			     int family)
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		rtp_side_t *sd = &s->side[i];
		int err = peer_parse(&p->peer[i], family, &sd->expected,
				     &sd->expected_rtcp_port);
		if (err < 0)
			return err;
		side_reset_targets(sd);
	}
	return 0;
}

static ss_rtp_session_t *session_new(rtp_loop_t *rl, const ss_rtp_params_t *p)
{
	ss_rtp_session_t *s = calloc(1, sizeof(*s));
	unsigned i, k;

	if (!s)
		return NULL;
	s->rl = rl;
	s->ended = true; /* not counted as active yet */
	s->end = p->end;
	s->arg = p->arg;
	s->strict = __atomic_load_n(&rtp->set.strict, __ATOMIC_RELAXED);
	s->timeout_ms = p->timeout_ms ? p->timeout_ms
				      : __atomic_load_n(&rtp->set.timeout_ms,
							__ATOMIC_RELAXED);
	if (p->tag)
		snprintf(s->tag, sizeof(s->tag), "%s", p->tag);
	for (i = 0; i < 2; i++)
		for (k = 0; k < 2; k++) {
			rtp_sock_t *sk = &s->side[i].sock[k];

			sk->io.fd = -1;
			sk->s = s;
			sk->side = (uint8_t)i;
			sk->kind = (uint8_t)k;
		}
	ss_timer_init(&s->timer, rtp->self, session_on_timer, s);
	return s;
}

/* Takes a place under the session cap; false when it is reached. */
static bool session_reserve(rtp_state_t *st)
{
	unsigned max = __atomic_load_n(&st->set.max_sessions, __ATOMIC_RELAXED);

	if (atomic_fetch_add_explicit(&st->active, 1, memory_order_relaxed) <
	    max)
		return true;
	atomic_fetch_sub_explicit(&st->active, 1, memory_order_relaxed);
	return false;
}

static int session_open(ss_rtp_session_t *s, rtp_state_t *st)
{
	unsigned i, k;
	int err;

	for (i = 0; i < 2; i++) {
		err = side_open(&s->side[i], st);
		if (err < 0)
			return err;
	}
	for (i = 0; i < 2; i++)
		for (k = 0; k < 2; k++) {
			rtp_sock_t *sk = &s->side[i].sock[k];

			err = ss_io_start(&sk->io, sk->io.fd, SS_IO_READ,
					  sock_on_read, sk);
			if (err < 0)
				return err;
		}
	return 0;
}

int rtp_session_alloc(const ss_rtp_params_t *p, ss_rtp_session_t **out)
{
	rtp_state_t *st = rtp;
	rtp_loop_t *rl = rtp_loop_self();
	ss_rtp_session_t *s = NULL;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!st || atomic_load(&st->stopping))
		return -ESHUTDOWN;
	if (!p || !rl)
		return -EINVAL;
	s = session_new(rl, p);
	if (!s)
		return -ENOMEM;
	err = session_set_peers(s, p, st->family);
	if (err < 0)
		goto fail;
	if (!session_reserve(st)) {
		err = -ENOSPC;
		goto fail;
	}
	s->ended = false;
	err = session_open(s, st);
	if (err < 0)
		goto fail;
	s->id = atomic_fetch_add(&st->next_id, 1) + 1;
	s->created_ms = ss_loop_now_ms(rl->loop);
	s->next = rl->sessions;
	if (s->next)
		s->next->prev = s;
	rl->sessions = s;
	rl->nsessions++;
	ss_timer_start(&s->timer, s->timeout_ms);
	*out = s;
	return 0;
fail:
	if (err == -ENOSPC)
		atomic_fetch_add_explicit(&st->refused, 1,
					  memory_order_relaxed);
	SS_LOG_DEBUG("cannot allocate a session: %s", strerror(-err));
	session_close(s);
	free(s);
	return err;
}

int rtp_session_set_peer(ss_rtp_session_t *s, ss_rtp_side_t side,
			 const ss_rtp_peer_t *peer)
{
	rtp_addr_t addr;
	uint16_t rtcp_port;
	int err;

	if (!s || (side != SS_RTP_SIDE_A && side != SS_RTP_SIDE_B) || !rtp)
		return -EINVAL;
	assert(ss_loop_current() == s->rl->loop);
	err = peer_parse(peer, rtp->family, &addr, &rtcp_port);
	if (err < 0)
		return err;
	s->side[side].expected = addr;
	s->side[side].expected_rtcp_port = rtcp_port;
	side_reset_targets(&s->side[side]);
	return 0;
}

void rtp_session_local(const ss_rtp_session_t *s, ss_rtp_side_t side,
		       ss_rtp_local_t *out)
{
	const rtp_side_t *sd = &s->side[side & 1];

	out->host = rtp->set.advertise;
	out->family = rtp->family;
	out->rtp_port = sd->port;
	out->rtcp_port = (uint16_t)(sd->port + 1);
}

void rtp_session_stats(const ss_rtp_session_t *s, ss_rtp_stats_t *out)
{
	unsigned i;

	memset(out, 0, sizeof(*out));
	out->id = s->id;
	out->created_ms = s->created_ms;
	out->ended = s->ended;
	for (i = 0; i < 2; i++) {
		const rtp_side_t *sd = &s->side[i];
		const rtp_sock_t *rtp_sk = &sd->sock[RTP_KIND_RTP];
		ss_rtp_side_stats_t *o = &out->side[i];

		o->packets = sd->packets;
		o->bytes = sd->bytes;
		o->rtcp_packets = sd->rtcp_packets;
		o->rtcp_bytes = sd->rtcp_bytes;
		o->lost = sd->lost;
		o->dropped = sd->dropped;
		o->last_ms = sd->last_ms;
		o->latched = rtp_sk->latched;
		memcpy(&o->target, &rtp_sk->target.sa, sizeof(o->target));
		o->target_len = rtp_sk->target.len;
	}
}

ss_loop_t *rtp_session_loop(const ss_rtp_session_t *s)
{
	return s->rl->loop;
}

static void session_free_task(void *arg)
{
	session_destroy(arg);
}

void rtp_session_free(ss_rtp_session_t *s)
{
	int err;

	if (!s)
		return;
	if (ss_loop_current() == s->rl->loop) {
		session_destroy(s);
		return;
	}
	atomic_store_explicit(&s->released, RTP_REL_POSTED,
			      memory_order_release);
	err = ss_loop_post(s->rl->loop, session_free_task, s);
	if (err < 0) {
		SS_LOG_ERR("session %llu: cannot post its release (%s); its "
			   "timer will free it",
			   (unsigned long long)s->id, strerror(-err));
		atomic_store_explicit(&s->released, RTP_REL_ORPHAN,
				      memory_order_release);
	}
}

/* ---- per-loop context ---- */

int rtp_loop_init(rtp_loop_t *rl, ss_loop_t *loop, unsigned index)
{
	unsigned i;

	memset(rl, 0, sizeof(*rl));
	rl->loop = loop;
	rl->index = index;
	rl->buf = malloc(RTP_BATCH * sizeof(*rl->buf));
	if (!rl->buf)
		return -ENOMEM;
	for (i = 0; i < RTP_BATCH; i++) {
		struct msghdr *h = &rl->rx[i].msg_hdr;

		rl->rx_iov[i].iov_base = rl->buf[i];
		rl->rx_iov[i].iov_len = sizeof(rl->buf[i]);
		h->msg_name = &rl->src[i];
		h->msg_namelen = sizeof(rl->src[i]);
		h->msg_iov = &rl->rx_iov[i];
		h->msg_iovlen = 1;
	}
	return 0;
}

void rtp_loop_free(rtp_loop_t *rl)
{
	assert(!rl->sessions);
	free(rl->buf);
	rl->buf = NULL;
}

unsigned rtp_loop_purge(rtp_loop_t *rl)
{
	unsigned n = 0;

	while (rl->sessions) {
		session_destroy(rl->sessions);
		n++;
	}
	return n;
}
