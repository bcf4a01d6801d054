/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the transport module's tests (see tp_test.h).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <sipserver/log.h>

#include "log_core.h"
#include "loop_core.h"
#include "tp_test.h"

const char *tpt_echo_reply;
int tpt_echo_result = 1;

static pthread_mutex_t tpt_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tpt_cond = PTHREAD_COND_INITIALIZER;
static tpt_pkt_t tpt_pkts[TPT_MAX_PKTS];
static unsigned tpt_npkts;

void tpt_settings(tp_settings_t *set)
{
	memset(set, 0, sizeof(*set));
	set->lim.max_message = 65535;
	set->lim.max_buffer = 262144;
	set->lim.max_connections = 4096;
	set->lim.max_per_source = 64;
	set->lim.idle_ms = 120000;
	set->lim.udp_batch = 32;
}

void tpt_add_listen(tp_settings_t *set, ss_sip_proto_t proto, const char *addr)
{
	tp_listen_cfg_t *l = &set->listen[set->nlisten++];

	l->proto = proto;
	snprintf(l->address, sizeof(l->address), "%s", addr);
	l->port = 0;
}

static ss_bus_verdict_t tpt_on_packet(ss_topic_t topic, void *msg, void *arg)
{
	const ss_sip_packet_t *pkt = msg;
	tpt_pkt_t *p;

	(void)topic;
	(void)arg;
	if (tpt_echo_reply) {
		ss_sip_dest_t dst = {.proto = pkt->proto,
				     .addr = pkt->src,
				     .conn_id = pkt->conn_id};

		tpt_echo_result =
		    tp_api.send(&dst, tpt_echo_reply, strlen(tpt_echo_reply));
	}
	pthread_mutex_lock(&tpt_lock);
	if (tpt_npkts < TPT_MAX_PKTS) {
		p = &tpt_pkts[tpt_npkts];
		p->buf = malloc(pkt->len + 1);
		memcpy(p->buf, pkt->buf, pkt->len);
		p->buf[pkt->len] = '\0';
		p->len = pkt->len;
		p->nul_ok = pkt->buf[pkt->len] == '\0';
		p->proto = pkt->proto;
		p->src = pkt->src;
		p->local = pkt->local;
		p->conn_id = pkt->conn_id;
		p->loop_index = ss_loop_index(ss_loop_current());
		tpt_npkts++;
	}
	pthread_cond_broadcast(&tpt_cond);
	pthread_mutex_unlock(&tpt_lock);
	return SS_BUS_CONTINUE;
}

void tpt_start(const tp_settings_t *set)
{
	const char *v = getenv("TPT_VERBOSE");

	ss_log_init(v ? atoi(v) : SS_LOG_WARNING, false);
	ck_assert_int_eq(ss_loops_start(2), 0);
	ck_assert_int_eq(
	    ss_bus_subscribe(NULL, "sip.raw.in", 0, tpt_on_packet, NULL), 0);
	ck_assert_int_eq(tp_start(NULL, set), 0);
}

void tpt_stop(void)
{
	unsigned i;

	tp_stop();
	ck_assert_ptr_null(tp);
	ss_bus_unsubscribe("sip.raw.in", tpt_on_packet, NULL);
	ss_loops_shutdown();
	for (i = 0; i < tpt_npkts; i++)
		free(tpt_pkts[i].buf);
	tpt_npkts = 0;
	ss_log_shutdown();
}

static void tpt_deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

bool tpt_wait_pkts(unsigned n)
{
	struct timespec ts;
	bool ok;

	tpt_deadline(&ts, TPT_TIMEOUT_MS);
	pthread_mutex_lock(&tpt_lock);
	while (tpt_npkts < n &&
	       pthread_cond_timedwait(&tpt_cond, &tpt_lock, &ts) == 0)
		;
	ok = tpt_npkts >= n;
	pthread_mutex_unlock(&tpt_lock);
	return ok;
}

tpt_pkt_t *tpt_pkt(unsigned i)
{
	tpt_pkt_t *p;

	pthread_mutex_lock(&tpt_lock);
	p = i < tpt_npkts ? &tpt_pkts[i] : NULL;
	pthread_mutex_unlock(&tpt_lock);
	return p;
}

unsigned tpt_pkt_count(void)
{
	unsigned n;

	pthread_mutex_lock(&tpt_lock);
	n = tpt_npkts;
	pthread_mutex_unlock(&tpt_lock);
	return n;
}

/* The table has no event to wait on: a connection leaves it on its owner
 * loop. Polling the count on each worker through the loops' own sync
 * point makes every check see the workers' completed work. */
static void tpt_noop(void *arg)
{
	(void)arg;
}

bool tpt_wait_conns(unsigned n)
{
	unsigned i;

	for (i = 0; i < TPT_TIMEOUT_MS; i++) {
		ss_loop_run_on_workers(tpt_noop, NULL);
		if (tp_table_count(&tp->table) == n)
			return true;
		usleep(1000);
	}
	return false;
}

const ss_sip_addr_t *tpt_listener_addr(unsigned i)
{
	const ss_sip_listener_info_t *info = tp_api.listener_at(i);

	ck_assert_ptr_nonnull(info);
	return &info->addr;
}

static void tpt_timeouts(int fd)
{
	struct timeval tv = {.tv_sec = TPT_TIMEOUT_MS / 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int tpt_udp_client(int family)
{
	int fd = socket(family, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	tpt_timeouts(fd);
	return fd;
}

int tpt_tcp_connect(const ss_sip_addr_t *to)
{
	int fd = socket(to->sa.ss_family, SOCK_STREAM, 0);
	int one = 1;

	ck_assert_int_ge(fd, 0);
	tpt_timeouts(fd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ck_assert_int_eq(connect(fd, (const struct sockaddr *)&to->sa, to->len),
			 0);
	return fd;
}

void tpt_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		ck_assert_int_gt(n, 0);
		p += n;
		len -= (size_t)n;
	}
}

bool tpt_recv_exact(int fd, char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = recv(fd, buf, len, 0);
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

bool tpt_wait_closed(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, 0);

	return n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE));
}

void tpt_sockname(int fd, ss_sip_addr_t *a)
{
	a->len = sizeof(a->sa);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a->sa, &a->len),
			 0);
}

bool tpt_same_addr(const ss_sip_addr_t *a, const ss_sip_addr_t *b)
{
	if (a->sa.ss_family != b->sa.ss_family)
		return false;
	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *x =
		    (const struct sockaddr_in *)&a->sa;
		const struct sockaddr_in *y =
		    (const struct sockaddr_in *)&b->sa;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->sa;
	const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&b->sa;

	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

uint64_t tpt_stat(unsigned li, size_t offset)
{
	uint64_t sum = 0;
	unsigned i;

	ss_loop_run_on_workers(tpt_noop, NULL);
	for (i = 0; i < tp->nloops; i++)
		sum +=
		    *(const uint64_t *)((const char *)&tp->loops[i].stats[li] +
					offset);
	return sum;
}
