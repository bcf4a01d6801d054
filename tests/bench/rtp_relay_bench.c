/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Benchmark of the RTP relay on loopback: packets per second per core of
 * the relay's worker (CPU time of its thread) with many sessions, and the
 * latency the relay adds (median and p99 of timestamped packets through it
 * against the same packets sent directly).
 * Usage: rtp_relay_bench [SESSIONS [SECONDS]] (default 64 sessions, 3 s).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
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
#include "rtp_int.h"

#define PKT_LEN	    172 /* G.711, 20 ms */
#define LAT_SAMPLES 20000
#define SEND_BATCH  32

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "rtp_relay_bench: %s: %s\n", what, strerror(err));
	exit(1);
}

/* CPU time of a thread of this process, from the scheduler's account. */
static uint64_t thread_cpu_ns(int tid)
{
	unsigned long long ns = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

static int udp_socket(struct sockaddr_in *a, int rcvbuf)
{
	socklen_t len = sizeof(*a);
	struct timeval tv = {.tv_usec = 300000};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket", errno);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) < 0)
		die("bind", errno);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

/* ---- sessions, made on the worker loop ---- */

typedef struct bench_alloc {
	ss_rtp_params_t p;
	ss_rtp_session_t **s;
	unsigned n;
	int err;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
} bench_alloc_t;

static void alloc_task(void *arg)
{
	bench_alloc_t *b = arg;
	unsigned i;

	for (i = 0; i < b->n && !b->err; i++)
		b->err = rtp_api.alloc(&b->p, &b->s[i]);
	pthread_mutex_lock(&b->lock);
	b->done = true;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

static void sessions_alloc(ss_rtp_session_t **s, unsigned n,
			   const struct sockaddr_in *a,
			   const struct sockaddr_in *b)
{
	bench_alloc_t c = {.s = s,
			   .n = n,
			   .lock = PTHREAD_MUTEX_INITIALIZER,
			   .cond = PTHREAD_COND_INITIALIZER};

	c.p.peer[0] =
	    (ss_rtp_peer_t){(const struct sockaddr *)a, sizeof(*a), 0};
	c.p.peer[1] =
	    (ss_rtp_peer_t){(const struct sockaddr *)b, sizeof(*b), 0};
	if (ss_loop_post(ss_loop_worker(0), alloc_task, &c) < 0)
		die("post", ENOMEM);
	pthread_mutex_lock(&c.lock);
	while (!c.done)
		pthread_cond_wait(&c.cond, &c.lock);
	pthread_mutex_unlock(&c.lock);
	if (c.err)
		die("alloc", -c.err);
}

static void relay_addr(ss_rtp_session_t *s, ss_rtp_side_t side,
		       struct sockaddr_in *out)
{
	ss_rtp_local_t l;

	rtp_api.local(s, side, &l);
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons(l.rtp_port);
	inet_pton(AF_INET, l.host, &out->sin_addr);
}

/* ---- throughput ---- */

typedef struct rx_ctx {
	int fd;
	uint64_t got;
	volatile bool stop;
} rx_ctx_t;

static void *rx_main(void *arg)
{
	static unsigned char bufs[SEND_BATCH][PKT_LEN + 64];
	struct mmsghdr m[SEND_BATCH];
	struct iovec iov[SEND_BATCH];
	rx_ctx_t *rx = arg;
	unsigned i;

	memset(m, 0, sizeof(m));
	for (i = 0; i < SEND_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	while (!rx->stop) {
		int n = recvmmsg(rx->fd, m, SEND_BATCH, MSG_WAITFORONE, NULL);

		if (n > 0)
			rx->got += (unsigned)n;
	}
	return NULL;
}

static void bench_throughput(unsigned nsess, double seconds)
{
	ss_rtp_session_t **s = calloc(nsess, sizeof(*s));
	struct sockaddr_in aa, ba, *dst = calloc(nsess, sizeof(*dst));
	unsigned char pkt[PKT_LEN] = {0x80};
	struct mmsghdr m[SEND_BATCH];
	struct iovec iov = {pkt, sizeof(pkt)};
	uint64_t sent = 0, t0, t1, cpu0, cpu1, ev0;
	ss_loop_stats_t ls;
	rx_ctx_t rx = {0};
	pthread_t rxt;
	unsigned i, k = 0;
	int a;

	if (!s || !dst)
		die("calloc", ENOMEM);
	a = udp_socket(&aa, 0);
	rx.fd = udp_socket(&ba, 8 << 20);
	sessions_alloc(s, nsess, &aa, &ba);
	for (i = 0; i < nsess; i++)
		relay_addr(s[i], SS_RTP_SIDE_A, &dst[i]);
	memset(m, 0, sizeof(m));
	pthread_create(&rxt, NULL, rx_main, &rx);
	ss_loop_get_stats(ss_loop_worker(0), &ls);
	cpu0 = thread_cpu_ns(ls.tid);
	ev0 = ls.events;
	t0 = now_ns();
	t1 = t0 + (uint64_t)(seconds * 1e9);
	while (now_ns() < t1) {
		for (i = 0; i < SEND_BATCH; i++, k = (k + 1) % nsess) {
			m[i].msg_hdr.msg_iov = &iov;
			m[i].msg_hdr.msg_iovlen = 1;
			m[i].msg_hdr.msg_name = &dst[k];
			m[i].msg_hdr.msg_namelen = sizeof(dst[k]);
		}
		int n = sendmmsg(a, m, SEND_BATCH, 0);

		if (n > 0)
			sent += (unsigned)n;
	}
	t1 = now_ns();
	/* let the relay drain what is queued before reading its clock */
	usleep(200000);
	ss_loop_get_stats(ss_loop_worker(0), &ls);
	cpu1 = thread_cpu_ns(ls.tid);
	rx.stop = true;
	pthread_join(rxt, NULL);
	{
		uint64_t relayed = atomic_load(&rtp->loops[0].relayed);
		double cpu_s = (double)(cpu1 - cpu0) / 1e9;
		double wall = (double)(t1 - t0) / 1e9;

		printf("throughput: %u sessions, %d-byte RTP, %.1f s\n", nsess,
		       PKT_LEN, wall);
		printf("  offered %.0f pkt/s, relayed %.0f pkt/s, received "
		       "%.0f pkt/s\n",
		       (double)sent / wall, (double)relayed / wall,
		       (double)rx.got / wall);
		printf("  relay worker CPU %.2f s: %.0f pkt/s per core "
		       "(%.2f us/pkt), %.1f pkt per wake-up\n",
		       cpu_s, cpu_s > 0 ? (double)relayed / cpu_s : 0.0,
		       relayed ? cpu_s * 1e6 / (double)relayed : 0.0,
		       ls.events > ev0
			   ? (double)relayed / (double)(ls.events - ev0)
			   : 0.0);
	}
	for (i = 0; i < nsess; i++)
		rtp_api.free(s[i]);
	close(a);
	close(rx.fd);
	free(s);
	free(dst);
}

/* ---- latency ---- */

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* One packet in flight at a time from fd to `to`, read back at rx_fd:
 * fills lat[] with one-way times in ns. */
static unsigned ping(int fd, const struct sockaddr_in *to, int rx_fd,
		     uint64_t *lat, unsigned n)
{
	unsigned char pkt[PKT_LEN] = {0x80}, got[PKT_LEN + 64];
	unsigned i, ok = 0;
	uint64_t t;

	for (i = 0; i < n; i++) {
		pkt[2] = (unsigned char)(i >> 8);
		pkt[3] = (unsigned char)i;
		t = now_ns();
		memcpy(pkt + 12, &t, sizeof(t));
		if (sendto(fd, pkt, sizeof(pkt), 0, (const struct sockaddr *)to,
			   sizeof(*to)) != sizeof(pkt))
			continue;
		if (recv(rx_fd, got, sizeof(got), 0) != sizeof(pkt))
			continue;
		memcpy(&t, got + 12, sizeof(t));
		lat[ok++] = now_ns() - t;
	}
	qsort(lat, ok, sizeof(*lat), cmp_u64);
	return ok;
}

static void bench_latency(void)
{
	static uint64_t direct[LAT_SAMPLES], relayed[LAT_SAMPLES];
	struct sockaddr_in aa, ba, ra;
	ss_rtp_session_t *s;
	unsigned nd, nr;
	int a, b;

	a = udp_socket(&aa, 0);
	b = udp_socket(&ba, 0);
	sessions_alloc(&s, 1, &aa, &ba);
	relay_addr(s, SS_RTP_SIDE_A, &ra);
	ping(a, &ba, b, direct, 1000); /* warm up both paths */
	ping(a, &ra, b, relayed, 1000);
	nd = ping(a, &ba, b, direct, LAT_SAMPLES);
	nr = ping(a, &ra, b, relayed, LAT_SAMPLES);
	if (!nd || !nr)
		die("latency", ETIMEDOUT);
	printf("latency (one way, %u packets one at a time):\n", nr);
	printf("  direct   median %6.1f us  p99 %6.1f us\n",
	       (double)direct[nd / 2] / 1e3,
	       (double)direct[nd * 99 / 100] / 1e3);
	printf("  relayed  median %6.1f us  p99 %6.1f us\n",
	       (double)relayed[nr / 2] / 1e3,
	       (double)relayed[nr * 99 / 100] / 1e3);
	printf(
	    "  added    median %6.1f us  p99 %6.1f us\n",
	    ((double)relayed[nr / 2] - (double)direct[nd / 2]) / 1e3,
	    ((double)relayed[nr * 99 / 100] - (double)direct[nd * 99 / 100]) /
		1e3);
	rtp_api.free(s);
	close(a);
	close(b);
}

int main(int argc, char **argv)
{
	unsigned nsess = argc > 1 ? (unsigned)atoi(argv[1]) : 64;
	double seconds = argc > 2 ? atof(argv[2]) : 3.0;
	rtp_settings_t set = {.ip = "127.0.0.1",
			      .port_min = 20000,
			      .port_max = 30000,
			      .timeout_ms = 60000,
			      .max_sessions = 10000};
	int err;

	if (nsess == 0 || nsess > 2000 || seconds <= 0) {
		fprintf(stderr, "usage: %s [SESSIONS (1-2000) [SECONDS]]\n",
			argv[0]);
		return 2;
	}
	ss_log_init(SS_LOG_WARNING, false);
	err = ss_loops_start(1);
	if (err == 0)
		err = rtp_start(NULL, &set);
	if (err)
		die("start", -err);
	printf("rtp_relay_bench: 1 worker loop, %ld CPUs\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	bench_throughput(nsess, seconds);
	bench_latency();
	rtp_stop();
	ss_loops_shutdown();
	ss_log_shutdown();
	return 0;
}
