/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the rtp_relay module: settings, the port-pair pool, the per-loop
 * relay context, and the session with its two sides of two sockets each.
 */
#ifndef SS_MOD_RTP_INT_H
#define SS_MOD_RTP_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <sipserver/loop.h>
#include <sipserver/module.h>
#include <sipserver/timer.h>
#include <sipserver/sip/rtp_relay.h>

#define RTP_BATCH    32	  /* datagrams per recvmmsg/sendmmsg */
#define RTP_BUF_SIZE 2048 /* larger datagrams are dropped (MSG_TRUNC) */
/* A latched source that stayed silent this long yields to a new one: a NAT
 * rebinding is followed, a stray packet during a live stream is not. */
#define RTP_RELATCH_MS 1000
/* Timer period of a session that is ended or being freed from another
 * thread: if posting that free failed (out of memory), the timer does it. */
#define RTP_REAP_MS	  1000
#define RTP_BIND_ATTEMPTS 16 /* port pairs tried per side before -ENOSPC */
#define RTP_TAG_SIZE	  64
#define RTP_MAX_DROPOUT	  3000 /* RFC 3550 A.1: larger jumps restart */
#define RTP_MAX_MISORDER  100

typedef struct rtp_addr {
	struct sockaddr_storage sa;
	socklen_t len; /* 0: none */
} rtp_addr_t;

typedef struct rtp_settings {
	char ip[INET6_ADDRSTRLEN];
	char advertise[INET6_ADDRSTRLEN]; /* "" in config: same as ip */
	unsigned port_min, port_max;
	unsigned timeout_ms;
	unsigned max_sessions;
	bool strict;
} rtp_settings_t;

/* ---- rtp_ports.c: pairs (even RTP port, RTCP = RTP + 1) from a range ---- */

typedef struct rtp_ports {
	pthread_mutex_t lock; /* every loop allocates; held for O(1) steps */
	uint16_t base;	      /* first (even) RTP port */
	uint32_t npairs;
	uint32_t head, count; /* FIFO of free pair indices in ring */
	uint32_t *ring;
	uint8_t *taken; /* per pair: handed out (catches double puts) */
} rtp_ports_t;

/* Sets up the pool for [min, max]; pairs start at the first even port.
 * -EINVAL when the range holds no pair, -ENOMEM. */
int rtp_ports_init(rtp_ports_t *p, unsigned min, unsigned max);
void rtp_ports_destroy(rtp_ports_t *p);
/* Takes the least recently freed pair. 0 or -ENOSPC. Any thread. */
int rtp_ports_get(rtp_ports_t *p, uint32_t *pair);
/* Returns a pair taken with rtp_ports_get. Any thread. */
void rtp_ports_put(rtp_ports_t *p, uint32_t pair);
/* Free pairs now (a snapshot). Any thread. */
unsigned rtp_ports_free(rtp_ports_t *p);

static inline uint16_t rtp_ports_port(const rtp_ports_t *p, uint32_t pair)
{
	return (uint16_t)(p->base + 2 * pair);
}

/* ---- rtp_stream.c: sessions, sockets, relaying ---- */

typedef struct rtp_loop rtp_loop_t;

enum { RTP_KIND_RTP = 0, RTP_KIND_RTCP = 1 };

/* One socket of a side, with where its peer gets packets sent to. */
typedef struct rtp_sock {
	ss_io_t io; /* io.fd is -1 when closed */
	ss_rtp_session_t *s;
	uint8_t side, kind;
	bool latched;
	uint64_t last_src_ms; /* last packet from the latched source */
	rtp_addr_t target;    /* announced, then latched; len 0: none */
} rtp_sock_t;

/* RTP sequence tracking for the loss estimate (RFC 3550 A.1, simplified). */
typedef struct rtp_seq {
	uint32_t ssrc;
	uint16_t max_seq;
	bool init;
} rtp_seq_t;

/* How a free() from another thread reaches the session's loop. */
enum {
	RTP_REL_NONE = 0,
	RTP_REL_POSTED = 1, /* a task will free it: no more end callbacks */
	RTP_REL_ORPHAN = 2, /* the post failed: the session's timer frees it */
};

typedef struct rtp_side {
	rtp_sock_t sock[2]; /* RTP_KIND_RTP, RTP_KIND_RTCP */
	uint32_t pair;
	bool has_pair;
	uint16_t port;	     /* local RTP port, kept after the pair went back */
	rtp_addr_t expected; /* announced RTP address; len 0: unknown */
	uint16_t expected_rtcp_port;
	rtp_seq_t seq;
	/* received on this side; owned by the session's loop */
	uint64_t packets, bytes, rtcp_packets, rtcp_bytes, lost, dropped;
	uint64_t last_ms;
} rtp_side_t;

struct ss_rtp_session {
	uint64_t id;
	rtp_loop_t *rl;
	ss_rtp_session_t *prev, *next; /* rl's list */
	rtp_side_t side[2];
	ss_timer_t timer;
	uint32_t timeout_ms;
	uint64_t created_ms;
	ss_rtp_end_fn end;
	void *arg;
	bool strict;
	bool ended;	      /* relay side stopped: no sockets, no ports */
	atomic_uint released; /* RTP_REL_*: free() from another thread */
	char tag[RTP_TAG_SIZE];
};

/* Per-loop context: the loop's sessions and its batch buffers, touched by
 * that loop only, and counters it alone writes (others read them racily). */
struct rtp_loop {
	ss_loop_t *loop;
	unsigned index;
	ss_rtp_session_t *sessions;
	unsigned nsessions;
	_Atomic uint64_t relayed, relayed_bytes, dropped, timeouts;
	struct mmsghdr rx[RTP_BATCH], tx[RTP_BATCH];
	struct iovec rx_iov[RTP_BATCH], tx_iov[RTP_BATCH];
	struct sockaddr_storage src[RTP_BATCH];
	unsigned char (*buf)[RTP_BUF_SIZE];
} __attribute__((aligned(64)));

/* Prepares / frees the context of a loop. Control loop, before any
 * session exists on it and after the last one went. */
int rtp_loop_init(rtp_loop_t *rl, ss_loop_t *loop, unsigned index);
void rtp_loop_free(rtp_loop_t *rl);
/* Frees every session of the calling thread's loop without calling end
 * callbacks (their owners are gone). Returns how many there were. */
unsigned rtp_loop_purge(rtp_loop_t *rl);

/* The service entry points (see rtp_relay.h for threads and ownership). */
int rtp_session_alloc(const ss_rtp_params_t *p, ss_rtp_session_t **out);
int rtp_session_set_peer(ss_rtp_session_t *s, ss_rtp_side_t side,
			 const ss_rtp_peer_t *peer);
void rtp_session_local(const ss_rtp_session_t *s, ss_rtp_side_t side,
		       ss_rtp_local_t *out);
void rtp_session_stats(const ss_rtp_session_t *s, ss_rtp_stats_t *out);
ss_loop_t *rtp_session_loop(const ss_rtp_session_t *s);
void rtp_session_free(ss_rtp_session_t *s);

/* Counts one RTP header into the loss estimate: returns the sequence
 * numbers newly found missing (0 or more) or, as a negative value, how many
 * earlier gaps a late packet fills. Exposed for tests. */
int rtp_seq_update(rtp_seq_t *q, uint16_t seq, uint32_t ssrc);

/* ---- rtp_relay.c: module state ---- */

typedef struct rtp_state {
	const ss_module_t *self;
	rtp_settings_t set; /* timeout, strict, max_sessions: atomic access */
	int family;
	rtp_addr_t bind_addr; /* set.ip with port 0 */
	rtp_ports_t ports;
	unsigned nloops; /* workers + the control loop (last) */
	rtp_loop_t *loops;
	atomic_uint active;
	_Atomic uint64_t next_id, refused;
	atomic_bool stopping;
} rtp_state_t;

/* Set by rtp_start and cleared by rtp_stop on the control loop; workers
 * read it while the module is loaded. */
extern rtp_state_t *rtp;
extern const ss_rtp_relay_api_t rtp_api;

/* Starts the relay from settings (load, and tests without the loader).
 * Control loop, loops started. 0 or -errno. */
int rtp_start(const ss_module_t *self, const rtp_settings_t *set);
/* Frees every session on every loop and the state. Control loop. */
void rtp_stop(void);
/* The context of the calling thread's loop, or NULL. */
rtp_loop_t *rtp_loop_self(void);
/* "ip:port" / "[ip]:port" into buf; "-" when a->len is 0. */
const char *rtp_addr_str(const rtp_addr_t *a, char *buf, size_t size);

#endif
