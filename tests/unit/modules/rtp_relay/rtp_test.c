/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the rtp_relay tests (see rtp_test.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <sipserver/log.h>

#include "log_core.h"
#include "loop_core.h"
#include "rtp_test.h"

static bool rtpt_port_binds(unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool ok;

	ck_assert_int_ge(fd, 0);
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* Each test runs in its own process: a range derived from the pid keeps
 * parallel test programs apart, and probing skips ranges in use. */
void rtpt_settings(rtp_settings_t *set, unsigned npairs)
{
	unsigned span = 2 * npairs, base, tries, p;

	memset(set, 0, sizeof(*set));
	snprintf(set->ip, sizeof(set->ip), "127.0.0.1");
	set->timeout_ms = 60000;
	set->max_sessions = 1000;
	base = 20000 + ((unsigned)getpid() * 2 * 64) % (10000 - span);
	for (tries = 0; tries < 100; tries++) {
		base &= ~1u;
		for (p = base; p < base + span && rtpt_port_binds(p); p++)
			;
		if (p == base + span)
			break;
		base = 20000 + (base - 20000 + span + 2) % (10000 - span);
	}
	ck_assert_uint_lt(tries, 100);
	set->port_min = base;
	set->port_max = base + span - 1;
}

void rtpt_start(const rtp_settings_t *set)
{
	const char *v = getenv("RTPT_VERBOSE");

	ss_log_init(v ? atoi(v) : SS_LOG_WARNING, false);
	ck_assert_int_eq(ss_loops_start(2), 0);
	ck_assert_int_eq(rtp_start(NULL, set), 0);
}

void rtpt_stop(void)
{
	unsigned i;

	ck_assert_ptr_nonnull(rtp);
	for (i = 0; i < ss_loop_count(); i++)
		rtpt_sync(ss_loop_worker(i));
	ck_assert_uint_eq(atomic_load(&rtp->active), 0);
	ck_assert_uint_eq(rtpt_ports_free(), rtp->ports.npairs);
	rtp_stop();
	ck_assert_ptr_null(rtp);
	ss_loops_shutdown();
	ss_log_shutdown();
}

typedef struct rtpt_call {
	void (*fn)(void *arg);
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
} rtpt_call_t;

static void rtpt_call_task(void *arg)
{
	rtpt_call_t *c = arg;

	c->fn(c->arg);
	pthread_mutex_lock(&c->lock);
	c->done = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void rtpt_deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void rtpt_run_on(ss_loop_t *loop, void (*fn)(void *arg), void *arg)
{
	rtpt_call_t c = {.fn = fn,
			 .arg = arg,
			 .lock = PTHREAD_MUTEX_INITIALIZER,
			 .cond = PTHREAD_COND_INITIALIZER};
	struct timespec ts;

	if (loop == ss_loop_current()) {
		fn(arg);
		return;
	}
	ck_assert_int_eq(ss_loop_post(loop, rtpt_call_task, &c), 0);
	rtpt_deadline(&ts, RTPT_TIMEOUT_MS);
	pthread_mutex_lock(&c.lock);
	while (!c.done && pthread_cond_timedwait(&c.cond, &c.lock, &ts) == 0)
		;
	pthread_mutex_unlock(&c.lock);
	ck_assert_msg(c.done, "loop %u did not run the call in time",
		      ss_loop_index(loop));
}

static void rtpt_noop(void *arg)
{
	(void)arg;
}

void rtpt_sync(ss_loop_t *loop)
{
	rtpt_run_on(loop, rtpt_noop, NULL);
}

typedef struct rtpt_alloc_call {
	const ss_rtp_params_t *p;
	ss_rtp_session_t *s;
	ss_rtp_side_t side;
	const ss_rtp_peer_t *peer;
	ss_rtp_stats_t *st;
	int err;
} rtpt_alloc_call_t;

static void rtpt_alloc_task(void *arg)
{
	rtpt_alloc_call_t *c = arg;

	c->err = rtp_api.alloc(c->p, &c->s);
}

int rtpt_alloc(ss_loop_t *loop, const ss_rtp_params_t *p,
	       ss_rtp_session_t **out)
{
	rtpt_alloc_call_t c = {.p = p};

	rtpt_run_on(loop, rtpt_alloc_task, &c);
	*out = c.s;
	if (c.err == 0)
		ck_assert_ptr_eq(rtp_api.loop(c.s), loop);
	return c.err;
}

static void rtpt_stats_task(void *arg)
{
	rtpt_alloc_call_t *c = arg;

	rtp_api.stats(c->s, c->st);
}

void rtpt_stats(ss_rtp_session_t *s, ss_rtp_stats_t *st)
{
	rtpt_alloc_call_t c = {.s = s, .st = st};

	rtpt_run_on(rtp_api.loop(s), rtpt_stats_task, &c);
}

static void rtpt_set_peer_task(void *arg)
{
	rtpt_alloc_call_t *c = arg;

	c->err = rtp_api.set_peer(c->s, c->side, c->peer);
}

int rtpt_set_peer(ss_rtp_session_t *s, ss_rtp_side_t side,
		  const ss_rtp_peer_t *peer)
{
	rtpt_alloc_call_t c = {.s = s, .side = side, .peer = peer};

	rtpt_run_on(rtp_api.loop(s), rtpt_set_peer_task, &c);
	return c.err;
}

static void rtpt_free_task(void *arg)
{
	rtp_api.free(arg);
}

void rtpt_free_on_loop(ss_rtp_session_t *s)
{
	rtpt_run_on(rtp_api.loop(s), rtpt_free_task, s);
}

unsigned rtpt_ports_free(void)
{
	return rtp_ports_free(&rtp->ports);
}

int rtpt_socket(const char *ip, rtp_addr_t *addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&addr->sa;
	struct timeval tv = {.tv_sec = RTPT_TIMEOUT_MS / 1000};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(addr, 0, sizeof(*addr));
	sin->sin_family = AF_INET;
	ck_assert_int_eq(
	    inet_pton(AF_INET, ip ? ip : "127.0.0.1", &sin->sin_addr), 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0);
	addr->len = sizeof(addr->sa);
	ck_assert_int_eq(
	    getsockname(fd, (struct sockaddr *)&addr->sa, &addr->len), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

ss_rtp_peer_t rtpt_peer(const rtp_addr_t *a, uint16_t rtcp_port)
{
	ss_rtp_peer_t p = {.addr = (const struct sockaddr *)&a->sa,
			   .len = a->len,
			   .rtcp_port = rtcp_port};

	return p;
}

void rtpt_relay_addr(ss_rtp_session_t *s, ss_rtp_side_t side, bool rtcp,
		     rtp_addr_t *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->sa;
	ss_rtp_local_t l;

	rtp_api.local(s, side, &l);
	ck_assert_int_eq(l.family, AF_INET);
	ck_assert_uint_eq(l.rtp_port % 2, 0);
	ck_assert_uint_eq(l.rtcp_port, l.rtp_port + 1);
	memset(out, 0, sizeof(*out));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(rtcp ? l.rtcp_port : l.rtp_port);
	ck_assert_int_eq(inet_pton(AF_INET, l.host, &sin->sin_addr), 1);
	out->len = sizeof(*sin);
}

void rtpt_rtp(unsigned char *buf, size_t len, uint16_t seq, uint32_t ssrc)
{
	size_t i;

	ck_assert_uint_ge(len, 12);
	buf[0] = 0x80;
	buf[1] = 0;
	buf[2] = (unsigned char)(seq >> 8);
	buf[3] = (unsigned char)seq;
	buf[4] = buf[5] = buf[6] = buf[7] = 0;
	buf[8] = (unsigned char)(ssrc >> 24);
	buf[9] = (unsigned char)(ssrc >> 16);
	buf[10] = (unsigned char)(ssrc >> 8);
	buf[11] = (unsigned char)ssrc;
	for (i = 12; i < len; i++)
		buf[i] = (unsigned char)(seq + i);
}

void rtpt_send(int fd, const void *buf, size_t len, const rtp_addr_t *to)
{
	ck_assert_int_eq(
	    sendto(fd, buf, len, 0, (const struct sockaddr *)&to->sa, to->len),
	    (ssize_t)len);
}

long rtpt_recv(int fd, void *buf, size_t size, rtp_addr_t *from)
{
	ssize_t n;

	from->len = sizeof(from->sa);
	do
		n = recvfrom(fd, buf, size, 0, (struct sockaddr *)&from->sa,
			     &from->len);
	while (n < 0 && errno == EINTR);
	return n;
}

bool rtpt_same_addr(const rtp_addr_t *a, const rtp_addr_t *b)
{
	const struct sockaddr_in *x = (const struct sockaddr_in *)&a->sa;
	const struct sockaddr_in *y = (const struct sockaddr_in *)&b->sa;

	return x->sin_family == y->sin_family && x->sin_port == y->sin_port &&
	       x->sin_addr.s_addr == y->sin_addr.s_addr;
}

uint16_t rtpt_port(const rtp_addr_t *a)
{
	return ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
}
