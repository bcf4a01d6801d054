/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Relay sessions on real loops: packets between two peer sockets through
 * the relay both ways, RTCP, symmetric latching, strict source checks,
 * counters and loss, the inactivity timeout, port exhaustion and reuse.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop_core.h"
#include "rtp_test.h"

#define PKT_LEN 172 /* 20 ms of G.711 */

/* Two peers with RTP and RTCP sockets each and a session between them. */
typedef struct fx {
	int a, a_rtcp, b, b_rtcp;
	rtp_addr_t aa, aa_rtcp, ba, ba_rtcp;
	ss_rtp_session_t *s;
	rtp_addr_t ra, ra_rtcp, rb, rb_rtcp; /* the relay's sides */
} fx_t;

static void fx_open(fx_t *f, ss_loop_t *loop, ss_rtp_params_t *p)
{
	f->a = rtpt_socket(NULL, &f->aa);
	f->a_rtcp = rtpt_socket(NULL, &f->aa_rtcp);
	f->b = rtpt_socket(NULL, &f->ba);
	f->b_rtcp = rtpt_socket(NULL, &f->ba_rtcp);
	if (!p->peer[0].addr)
		p->peer[0] = rtpt_peer(&f->aa, rtpt_port(&f->aa_rtcp));
	if (!p->peer[1].addr)
		p->peer[1] = rtpt_peer(&f->ba, rtpt_port(&f->ba_rtcp));
	ck_assert_int_eq(rtpt_alloc(loop, p, &f->s), 0);
	rtpt_relay_addr(f->s, SS_RTP_SIDE_A, false, &f->ra);
	rtpt_relay_addr(f->s, SS_RTP_SIDE_A, true, &f->ra_rtcp);
	rtpt_relay_addr(f->s, SS_RTP_SIDE_B, false, &f->rb);
	rtpt_relay_addr(f->s, SS_RTP_SIDE_B, true, &f->rb_rtcp);
}

static void fx_close(fx_t *f)
{
	rtpt_free_on_loop(f->s);
	close(f->a);
	close(f->a_rtcp);
	close(f->b);
	close(f->b_rtcp);
}

/* Sends an RTP packet from fd to `to` and expects it at rx_fd, sent from
 * the relay address `via`, unchanged. */
static void relay_one(int fd, const rtp_addr_t *to, int rx_fd,
		      const rtp_addr_t *via, uint16_t seq, uint32_t ssrc)
{
	unsigned char pkt[PKT_LEN], got[4096];
	rtp_addr_t from;
	long n;

	rtpt_rtp(pkt, sizeof(pkt), seq, ssrc);
	rtpt_send(fd, pkt, sizeof(pkt), to);
	n = rtpt_recv(rx_fd, got, sizeof(got), &from);
	ck_assert_int_eq(n, sizeof(pkt));
	ck_assert_mem_eq(got, pkt, sizeof(pkt));
	ck_assert_msg(rtpt_same_addr(&from, via), "came from port %u, not %u",
		      rtpt_port(&from), rtpt_port(via));
}

/* Polls the session's counters (read on its loop) until side's dropped
 * count reaches n: a packet the relay drops leaves nothing else to wait
 * for. */
static void wait_dropped(ss_rtp_session_t *s, unsigned side, uint64_t n)
{
	ss_rtp_stats_t st;
	unsigned i;

	for (i = 0; i < RTPT_TIMEOUT_MS; i++) {
		rtpt_stats(s, &st);
		if (st.side[side].dropped >= n)
			break;
		usleep(1000);
	}
	ck_assert_uint_eq(st.side[side].dropped, n);
}

START_TEST(relays_both_directions)
{
	ss_rtp_params_t p = {.tag = "call-1@test"};
	unsigned char pkt[64] = {0x81, 200}, got[128];
	rtp_settings_t set;
	ss_rtp_stats_t st;
	rtp_addr_t from;
	fx_t f;

	rtpt_settings(&set, 8);
	rtpt_start(&set);
	fx_open(&f, ss_loop_worker(1), &p);
	ck_assert_uint_eq(rtpt_ports_free(), 6);

	relay_one(f.a, &f.ra, f.b, &f.rb, 1, 0x1111);
	relay_one(f.b, &f.rb, f.a, &f.ra, 7, 0x2222);
	relay_one(f.a, &f.ra, f.b, &f.rb, 2, 0x1111);

	/* RTCP goes port+1 to port+1, to the announced a=rtcp ports */
	rtpt_send(f.a_rtcp, pkt, sizeof(pkt), &f.ra_rtcp);
	ck_assert_int_eq(rtpt_recv(f.b_rtcp, got, sizeof(got), &from),
			 sizeof(pkt));
	ck_assert(rtpt_same_addr(&from, &f.rb_rtcp));
	rtpt_send(f.b_rtcp, pkt, sizeof(pkt), &f.rb_rtcp);
	ck_assert_int_eq(rtpt_recv(f.a_rtcp, got, sizeof(got), &from),
			 sizeof(pkt));
	ck_assert(rtpt_same_addr(&from, &f.ra_rtcp));

	rtpt_stats(f.s, &st);
	ck_assert_uint_ne(st.id, 0);
	ck_assert(!st.ended);
	ck_assert_uint_eq(st.side[0].packets, 2);
	ck_assert_uint_eq(st.side[0].bytes, 2 * PKT_LEN);
	ck_assert_uint_eq(st.side[0].rtcp_packets, 1);
	ck_assert_uint_eq(st.side[0].rtcp_bytes, sizeof(pkt));
	ck_assert_uint_eq(st.side[1].packets, 1);
	ck_assert_uint_eq(st.side[1].rtcp_packets, 1);
	ck_assert_uint_eq(st.side[0].lost + st.side[1].lost, 0);
	ck_assert_uint_eq(st.side[0].dropped + st.side[1].dropped, 0);
	ck_assert(st.side[0].latched && st.side[1].latched);
	ck_assert_uint_ge(st.side[0].last_ms, st.created_ms);
	ck_assert_uint_eq(atomic_load(&rtp->loops[1].relayed), 5);
	ck_assert_uint_eq(atomic_load(&rtp->loops[0].relayed), 0);
	fx_close(&f);
	rtpt_stop();
}
END_TEST

START_TEST(latches_to_real_source)
{
	ss_rtp_params_t p = {0};
	rtp_settings_t set;
	ss_rtp_stats_t st;
	rtp_addr_t decoy_addr, a2_addr, a3_addr;
	int decoy, a2, a3;
	fx_t f;

	rtpt_settings(&set, 8);
	rtpt_start(&set);
	/* the SDP of A names a socket that A will not send from (NAT) */
	decoy = rtpt_socket(NULL, &decoy_addr);
	a2 = rtpt_socket(NULL, &a2_addr);
	a3 = rtpt_socket(NULL, &a3_addr);
	p.peer[0] = rtpt_peer(&decoy_addr, 0);
	fx_open(&f, ss_loop_worker(0), &p);

	/* before A spoke, the SDP address is the target */
	relay_one(f.b, &f.rb, decoy, &f.ra, 1, 0xb);
	/* A speaks from a2: relayed, and A latches to a2 */
	relay_one(a2, &f.ra, f.b, &f.rb, 1, 0xa);
	relay_one(f.b, &f.rb, a2, &f.ra, 2, 0xb);
	rtpt_stats(f.s, &st);
	ck_assert(st.side[0].latched);
	ck_assert_uint_eq(st.side[0].target_len, a2_addr.len);
	ck_assert_mem_eq(&st.side[0].target, &a2_addr.sa, a2_addr.len);

	/* another source while a2 is live is relayed but does not steal
	 * the latch */
	relay_one(a3, &f.ra, f.b, &f.rb, 2, 0xa);
	relay_one(f.b, &f.rb, a2, &f.ra, 3, 0xb);
	rtpt_stats(f.s, &st);
	ck_assert_mem_eq(&st.side[0].target, &a2_addr.sa, a2_addr.len);
	ck_assert_uint_eq(st.side[0].packets, 2);
	ck_assert_uint_eq(st.side[0].dropped, 0);

	fx_close(&f);
	close(decoy);
	close(a2);
	close(a3);
	rtpt_stop();
}
END_TEST

START_TEST(strict_source_check)
{
	ss_rtp_params_t p = {0};
	unsigned char pkt[PKT_LEN], got[256];
	rtp_settings_t set;
	ss_rtp_stats_t st;
	rtp_addr_t spoof_addr, from;
	int spoof;
	fx_t f;

	rtpt_settings(&set, 8);
	set.strict = true;
	rtpt_start(&set);
	fx_open(&f, ss_loop_worker(0), &p);
	spoof = rtpt_socket("127.0.0.2", &spoof_addr);

	/* the spoofed packet is queued first on the relay's socket; the
	 * first one to come out must be A's */
	rtpt_rtp(pkt, sizeof(pkt), 99, 0xbad);
	rtpt_send(spoof, pkt, sizeof(pkt), &f.ra);
	rtpt_rtp(pkt, sizeof(pkt), 1, 0xa);
	rtpt_send(f.a, pkt, sizeof(pkt), &f.ra);
	ck_assert_int_eq(rtpt_recv(f.b, got, sizeof(got), &from), sizeof(pkt));
	ck_assert_mem_eq(got, pkt, sizeof(pkt));
	rtpt_stats(f.s, &st);
	ck_assert_uint_eq(st.side[0].packets, 2);
	ck_assert_uint_eq(st.side[0].dropped, 1);
	ck_assert_mem_eq(&st.side[0].target, &f.aa.sa, f.aa.len);

	close(spoof);
	fx_close(&f);
	rtpt_stop();
}
END_TEST

START_TEST(counts_packets_and_loss)
{
	static const uint16_t seqs[] = {10, 11, 12, 14, 15};
	unsigned char big[3000] = {0x80}, mux[32] = {0x80, 200, 0, 100};
	unsigned char got[256];
	ss_rtp_params_t p = {0};
	rtp_settings_t set;
	ss_rtp_stats_t st;
	rtp_addr_t from;
	unsigned i;
	fx_t f;

	rtpt_settings(&set, 8);
	rtpt_start(&set);
	fx_open(&f, ss_loop_worker(0), &p);
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		relay_one(f.a, &f.ra, f.b, &f.rb, seqs[i], 0x5eed);
	rtpt_stats(f.s, &st);
	ck_assert_uint_eq(st.side[0].packets, 5);
	ck_assert_uint_eq(st.side[0].bytes, 5 * PKT_LEN);
	ck_assert_uint_eq(st.side[0].lost, 1);
	ck_assert_uint_eq(st.side[1].packets, 0);

	/* RTCP multiplexed on the RTP port is relayed, not counted as RTP
	 * sequence; an oversized datagram is dropped */
	rtpt_send(f.a, mux, sizeof(mux), &f.ra);
	ck_assert_int_eq(rtpt_recv(f.b, got, sizeof(got), &from), sizeof(mux));
	rtpt_send(f.a, big, sizeof(big), &f.ra);
	wait_dropped(f.s, 0, 1);

	/* a new SSRC restarts the count; the 16-bit wrap is no loss; a late
	 * packet fills its gap */
	relay_one(f.a, &f.ra, f.b, &f.rb, 65534, 0x77);
	relay_one(f.a, &f.ra, f.b, &f.rb, 65535, 0x77);
	relay_one(f.a, &f.ra, f.b, &f.rb, 0, 0x77);
	rtpt_stats(f.s, &st);
	ck_assert_uint_eq(st.side[0].lost, 1);
	relay_one(f.a, &f.ra, f.b, &f.rb, 2, 0x77);
	rtpt_stats(f.s, &st);
	ck_assert_uint_eq(st.side[0].lost, 2);
	relay_one(f.a, &f.ra, f.b, &f.rb, 1, 0x77);
	rtpt_stats(f.s, &st);
	ck_assert_uint_eq(st.side[0].lost, 1);
	relay_one(f.a, &f.ra, f.b, &f.rb, 5, 0x77);
	rtpt_stats(f.s, &st);
	ck_assert_uint_eq(st.side[0].lost, 3);
	ck_assert_uint_eq(st.side[0].packets, 13); /* mux, big */
	ck_assert_uint_eq(st.side[0].dropped, 1);
	fx_close(&f);
	rtpt_stop();
}
END_TEST

START_TEST(unknown_peer_waits_for_latch)
{
	ss_rtp_params_t p = {0};
	ss_rtp_peer_t hold;
	struct sockaddr_in any = {.sin_family = AF_INET,
				  .sin_port = htons(4000)};
	rtp_addr_t b2_addr;
	rtp_settings_t set;
	ss_rtp_stats_t st;
	int b2;
	fx_t f;

	rtpt_settings(&set, 8);
	rtpt_start(&set);
	/* B is not known yet (offer sent, no answer): "not known" peer */
	p.peer[1] = (ss_rtp_peer_t){.addr = (struct sockaddr *)&any,
				    .len = sizeof(any)};
	fx_open(&f, ss_loop_worker(0), &p);
	rtpt_stats(f.s, &st);
	ck_assert_uint_eq(st.side[1].target_len, 0);

	relay_one(f.b, &f.rb, f.a, &f.ra, 1, 0xb); /* B latches */
	relay_one(f.a, &f.ra, f.b, &f.rb, 1, 0xa);
	/* an answer moves B elsewhere and forgets the latch */
	b2 = rtpt_socket(NULL, &b2_addr);
	hold = rtpt_peer(&b2_addr, 0);
	ck_assert_int_eq(rtpt_set_peer(f.s, SS_RTP_SIDE_B, &hold), 0);
	rtpt_stats(f.s, &st);
	ck_assert(!st.side[1].latched);
	relay_one(f.a, &f.ra, b2, &f.rb, 2, 0xa);
	/* hold (0.0.0.0) leaves B without a target: A's packets drop */
	hold = (ss_rtp_peer_t){.addr = (struct sockaddr *)&any,
			       .len = sizeof(any)};
	ck_assert_int_eq(rtpt_set_peer(f.s, SS_RTP_SIDE_B, &hold), 0);
	{
		unsigned char pkt[PKT_LEN];

		rtpt_rtp(pkt, sizeof(pkt), 3, 0xa);
		rtpt_send(f.a, pkt, sizeof(pkt), &f.ra);
	}
	wait_dropped(f.s, 0, 1);
	ck_assert_int_eq(rtpt_set_peer(f.s, 2, &hold), -EINVAL);
	close(b2);
	fx_close(&f);
	rtpt_stop();
}
END_TEST

/* ---- the inactivity timeout ---- */

/* What the end callback saw. */
typedef struct end_log {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned calls;
	ss_rtp_end_reason_t why;
	ss_loop_t *loop;
	uint64_t at_ms;
	unsigned ports_free;
	bool free_in_callback;
} end_log_t;

static end_log_t ended = {.lock = PTHREAD_MUTEX_INITIALIZER,
			  .cond = PTHREAD_COND_INITIALIZER};

static void on_end(ss_rtp_session_t *s, ss_rtp_end_reason_t why, void *arg)
{
	pthread_mutex_lock(&ended.lock);
	ck_assert_ptr_eq(arg, &ended);
	ended.calls++;
	ended.why = why;
	ended.loop = ss_loop_current();
	ended.at_ms = ss_loop_now_ms(ended.loop);
	ended.ports_free = rtpt_ports_free();
	if (ended.free_in_callback)
		rtp_api.free(s);
	pthread_cond_broadcast(&ended.cond);
	pthread_mutex_unlock(&ended.lock);
}

static void wait_end(unsigned calls)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += RTPT_TIMEOUT_MS / 1000;
	pthread_mutex_lock(&ended.lock);
	while (ended.calls < calls &&
	       pthread_cond_timedwait(&ended.cond, &ended.lock, &ts) == 0)
		;
	ck_assert_uint_eq(ended.calls, calls);
	pthread_mutex_unlock(&ended.lock);
}

/* The loops' clock; a worker's cached time is stale while it sleeps. */
static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

START_TEST(inactivity_timeout_ends_session)
{
	ss_rtp_params_t p = {.timeout_ms = 400, .end = on_end, .arg = &ended};
	rtp_settings_t set;
	ss_rtp_stats_t st;
	ss_loop_t *w0;
	fx_t f;

	rtpt_settings(&set, 8);
	rtpt_start(&set);
	w0 = ss_loop_worker(0);
	fx_open(&f, w0, &p);
	rtpt_stats(f.s, &st);
	/* media 150 ms after the start: the timeout counts from there (the
	 * margins leave room for slow runs under valgrind) */
	while (mono_ms() < st.created_ms + 150)
		usleep(1000);
	relay_one(f.a, &f.ra, f.b, &f.rb, 1, 0xa);
	wait_end(1);
	ck_assert_int_eq(ended.why, SS_RTP_END_TIMEOUT);
	ck_assert_ptr_eq(ended.loop, w0);
	ck_assert_uint_eq(ended.ports_free, rtp->ports.npairs);
	rtpt_stats(f.s, &st);
	ck_assert(st.ended);
	ck_assert_uint_ge(st.side[0].last_ms, st.created_ms + 150);
	ck_assert_uint_ge(ended.at_ms, st.side[0].last_ms + 400);
	ck_assert_uint_eq(atomic_load(&rtp->active), 0);
	ck_assert_uint_eq(atomic_load(&rtp->loops[0].timeouts), 1);
	/* the owner still frees it, here from another thread */
	rtp_api.free(f.s);
	rtpt_sync(w0);
	ck_assert_uint_eq(rtp->loops[0].nsessions, 0);

	/* an owner may free the session inside the callback */
	ended.free_in_callback = true;
	p.timeout_ms = 20;
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(1), &p, &f.s), 0);
	wait_end(2);
	rtpt_sync(ss_loop_worker(1));
	ck_assert_uint_eq(rtp->loops[1].nsessions, 0);
	close(f.a);
	close(f.a_rtcp);
	close(f.b);
	close(f.b_rtcp);
	rtpt_stop();
}
END_TEST

/* ---- ports ---- */

static void alloc_all(ss_rtp_session_t **s, unsigned n, uint8_t *seen,
		      unsigned base)
{
	ss_rtp_params_t p = {0};
	ss_rtp_local_t l;
	unsigned i, k;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(rtpt_alloc(ss_loop_worker(i % 2), &p, &s[i]),
				 0);
		for (k = 0; k < 2; k++) {
			rtp_api.local(s[i], k, &l);
			ck_assert_str_eq(l.host, "127.0.0.1");
			ck_assert_uint_eq(seen[(l.rtp_port - base) / 2], 0);
			seen[(l.rtp_port - base) / 2] = 1;
		}
	}
}

START_TEST(port_exhaustion_and_reuse)
{
	ss_rtp_session_t *s[2], *extra;
	ss_rtp_params_t p = {0};
	rtp_settings_t set;
	uint8_t seen[4];
	unsigned round;

	rtpt_settings(&set, 4);
	rtpt_start(&set);
	ck_assert_uint_eq(rtp->ports.npairs, 4);
	for (round = 0; round < 2; round++) {
		memset(seen, 0, sizeof(seen));
		alloc_all(s, 2, seen, set.port_min);
		ck_assert_uint_eq(rtpt_ports_free(), 0);
		extra = (ss_rtp_session_t *)&p;
		ck_assert_int_eq(rtpt_alloc(ss_loop_worker(0), &p, &extra),
				 -ENOSPC);
		ck_assert_ptr_null(extra);
		ck_assert_uint_eq(atomic_load(&rtp->active), 2);
		ck_assert_uint_eq(atomic_load(&rtp->refused), round + 1);
		/* one freed on its loop, one from this thread */
		rtpt_free_on_loop(s[0]);
		rtp_api.free(s[1]);
		rtpt_sync(ss_loop_worker(1));
		ck_assert_uint_eq(rtpt_ports_free(), 4);
		ck_assert_uint_eq(atomic_load(&rtp->active), 0);
	}
	rtpt_stop();
}
END_TEST

START_TEST(failed_alloc_returns_its_ports)
{
	ss_rtp_session_t *s, *t;
	ss_rtp_params_t p = {0};
	rtp_settings_t set;

	rtpt_settings(&set, 3);
	rtpt_start(&set);
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(0), &p, &s), 0);
	/* side A gets the last pair, side B finds none */
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(0), &p, &t), -ENOSPC);
	ck_assert_uint_eq(rtpt_ports_free(), 1);
	ck_assert_uint_eq(atomic_load(&rtp->active), 1);
	rtpt_free_on_loop(s);
	rtpt_stop();
}
END_TEST

START_TEST(session_cap)
{
	ss_rtp_session_t *s, *t;
	ss_rtp_params_t p = {0};
	rtp_settings_t set;

	rtpt_settings(&set, 8);
	set.max_sessions = 1;
	rtpt_start(&set);
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(0), &p, &s), 0);
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(1), &p, &t), -ENOSPC);
	ck_assert_uint_eq(rtpt_ports_free(), 6);
	rtpt_free_on_loop(s);
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(1), &p, &t), 0);
	rtpt_free_on_loop(t);
	rtpt_stop();
}
END_TEST

START_TEST(busy_port_is_skipped)
{
	ss_rtp_session_t *s;
	ss_rtp_params_t p = {0};
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	rtp_settings_t set;
	ss_rtp_local_t la, lb;
	int fd;

	rtpt_settings(&set, 4);
	rtpt_start(&set);
	/* another program holds the RTCP port of the first pair */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_port = htons((uint16_t)(set.port_min + 1));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(0), &p, &s), 0);
	rtp_api.local(s, SS_RTP_SIDE_A, &la);
	rtp_api.local(s, SS_RTP_SIDE_B, &lb);
	ck_assert_uint_eq(la.rtp_port, set.port_min + 2);
	ck_assert_uint_eq(lb.rtp_port, set.port_min + 4);
	ck_assert_uint_eq(rtpt_ports_free(), 2);
	rtpt_free_on_loop(s);
	close(fd);
	rtpt_stop();
}
END_TEST

START_TEST(alloc_refusals)
{
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons(4000),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	ss_rtp_params_t p = {0};
	ss_rtp_session_t *s;
	rtp_settings_t set;

	rtpt_settings(&set, 4);
	rtpt_start(&set);
	p.peer[0] =
	    (ss_rtp_peer_t){.addr = (struct sockaddr *)&v6, .len = sizeof(v6)};
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(0), &p, &s), -EAFNOSUPPORT);
	p.peer[0].addr = NULL;
	ck_assert_int_eq(rtp_api.alloc(&p, NULL), -EINVAL);
	ck_assert_uint_eq(rtpt_ports_free(), 4);
	rtp_api.free(NULL);
	rtpt_stop();
	/* no relay running */
	ck_assert_int_eq(rtp_api.alloc(&p, &s), -ESHUTDOWN);
}
END_TEST

/* ---- the loss estimator alone ---- */

START_TEST(seq_estimator)
{
	rtp_seq_t q = {0};

	ck_assert_int_eq(rtp_seq_update(&q, 100, 1), 0);
	ck_assert_int_eq(rtp_seq_update(&q, 101, 1), 0);
	ck_assert_int_eq(rtp_seq_update(&q, 101, 1), 0);  /* duplicate */
	ck_assert_int_eq(rtp_seq_update(&q, 105, 1), 3);  /* 102-104 */
	ck_assert_int_eq(rtp_seq_update(&q, 103, 1), -1); /* late */
	ck_assert_int_eq(rtp_seq_update(&q, 9000, 1), 0); /* restart */
	ck_assert_int_eq(rtp_seq_update(&q, 9001, 1), 0);
	ck_assert_int_eq(rtp_seq_update(&q, 1000, 1), 0); /* far back */
	ck_assert_int_eq(rtp_seq_update(&q, 1002, 1), 1);
	ck_assert_int_eq(rtp_seq_update(&q, 65535, 2), 0); /* new SSRC */
	ck_assert_int_eq(rtp_seq_update(&q, 1, 2), 1);	   /* wraps */
	ck_assert_int_eq(rtp_seq_update(&q, 0, 2), -1);
	ck_assert_int_eq(rtp_seq_update(&q, 2, 2), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rtp_stream");
	TCase *tc = tcase_create("relay");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, seq_estimator);
	tcase_add_test(tc, relays_both_directions);
	tcase_add_test(tc, latches_to_real_source);
	tcase_add_test(tc, strict_source_check);
	tcase_add_test(tc, counts_packets_and_loss);
	tcase_add_test(tc, unknown_peer_waits_for_latch);
	tcase_add_test(tc, inactivity_timeout_ends_session);
	tcase_add_test(tc, port_exhaustion_and_reuse);
	tcase_add_test(tc, failed_alloc_returns_its_ports);
	tcase_add_test(tc, session_cap);
	tcase_add_test(tc, busy_port_is_skipped);
	tcase_add_test(tc, alloc_refusals);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
