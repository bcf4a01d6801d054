/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `rtp_relay` service: RTP/RTCP relay sessions for a B2BUA or SIP ALG.
 * A session joins two sides, each with its own local port pair; the caller
 * gives addresses and ports taken from the SDP and puts the relay's own
 * (ss_rtp_local_t) into the SDP it forwards. No SIP or SDP types here.
 */
#ifndef SIPSERVER_SIP_RTP_RELAY_H
#define SIPSERVER_SIP_RTP_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <sipserver/loop.h>

#define SS_RTP_RELAY_SERVICE	 "rtp_relay"
#define SS_RTP_RELAY_API_VERSION 1

typedef struct ss_rtp_session ss_rtp_session_t; /* opaque */

/*
 * Side A faces one party, side B the other. Packets that A's peer sends to
 * side A's local RTP (RTCP) port leave from side B's local RTP (RTCP) port
 * towards B's peer, and the reverse. So the SDP sent to party A carries side
 * A's local address, the SDP sent to party B carries side B's.
 */
typedef enum ss_rtp_side {
	SS_RTP_SIDE_A = 0,
	SS_RTP_SIDE_B = 1,
} ss_rtp_side_t;

typedef enum ss_rtp_end_reason {
	SS_RTP_END_TIMEOUT = 1, /* no packet on any socket for timeout_ms */
} ss_rtp_end_reason_t;

/*
 * Runs once, on the session's loop, when the relay ends a session by itself.
 * The sockets are closed and the ports back in the pool; the session's
 * counters are still readable (stats). The owner must still call free(),
 * from inside the callback or later.
 */
typedef void (*ss_rtp_end_fn)(ss_rtp_session_t *s, ss_rtp_end_reason_t why,
			      void *arg);

/*
 * A side's peer as the SDP announces it: the RTP address (c= address and m=
 * port) and the RTCP port (a=rtcp, or 0 for RTP port + 1). It is the target
 * until the peer's own packets show where it really sends from (symmetric
 * latching). addr NULL, a zero port or an unspecified address (0.0.0.0, ::,
 * as in an old-style hold) mean "not known": packets for that side are then
 * dropped until the peer sends something and gets latched. The family must
 * be the relay's.
 */
typedef struct ss_rtp_peer {
	const struct sockaddr *addr; /* borrowed for the call */
	socklen_t len;
	uint16_t rtcp_port;
} ss_rtp_peer_t;

typedef struct ss_rtp_params {
	ss_rtp_peer_t peer[2]; /* indexed by ss_rtp_side_t */
	uint32_t timeout_ms;   /* inactivity timeout; 0: the configured one */
	ss_rtp_end_fn end;     /* may be NULL */
	void *arg;
	const char *tag; /* console label (a Call-ID); copied; or NULL */
} ss_rtp_params_t;

/* What to put in the SDP for a side: "c=IN IP4 <host>" and "m=... <port>". */
typedef struct ss_rtp_local {
	const char *host; /* the advertised address; valid while loaded */
	int family;	  /* AF_INET or AF_INET6 */
	uint16_t rtp_port;
	uint16_t rtcp_port; /* always rtp_port + 1 */
} ss_rtp_local_t;

/*
 * Traffic that one side's peer sent, i.e. one direction: side A's counters
 * are A->B. Datagrams on the RTP port count as RTP (RTCP multiplexed there
 * included, though it does not enter the loss estimate).
 */
typedef struct ss_rtp_side_stats {
	uint64_t packets, bytes;	   /* received on the RTP port */
	uint64_t rtcp_packets, rtcp_bytes; /* received on the RTCP port */
	uint64_t lost;	  /* RTP sequence numbers never seen (estimate) */
	uint64_t dropped; /* of those received, not relayed: no target,
			     strict source check, oversized, send error */
	uint64_t last_ms; /* loop time of the last accepted packet; 0: none */
	bool latched;	  /* target learnt from the peer's packets */
	struct sockaddr_storage target; /* where the RTP goes to this peer */
	socklen_t target_len;		/* 0: no target */
} ss_rtp_side_stats_t;

typedef struct ss_rtp_stats {
	uint64_t id;
	uint64_t created_ms; /* loop time */
	bool ended;	     /* ended by the relay (timeout) */
	ss_rtp_side_stats_t side[2];
} ss_rtp_stats_t;

/*
 * The `rtp_relay` service vtable.
 *
 * Threads: a session belongs to the loop that allocated it (a worker loop in
 * a server; the control loop works too). Its sockets, timer and counters are
 * touched only there, so the packet path takes no lock. alloc, set_peer and
 * stats must run on that loop; local may run anywhere; free may run anywhere
 * (from another thread the teardown is posted to the session's loop).
 */
typedef struct ss_rtp_relay_api {
	unsigned version; /* SS_RTP_RELAY_API_VERSION */
	/*
	 * Allocates a session with two port pairs on the calling thread's
	 * loop and starts relaying and its inactivity timer. *out is a new
	 * session to release with free() exactly once.
	 * Returns 0; -ENOSPC when the session cap is reached or no port pair
	 * is free (a B2BUA answers 503 with Retry-After); -EAFNOSUPPORT when
	 * a peer's family is not the relay's; -EINVAL for bad arguments or a
	 * thread without a loop; -ESHUTDOWN when the relay is stopping; or
	 * another -errno from the socket calls.
	 */
	int (*alloc)(const ss_rtp_params_t *params, ss_rtp_session_t **out);
	/*
	 * Replaces the announced peer of one side (an SDP answer or a
	 * re-INVITE) and forgets what was latched for it. Session's loop
	 * only. Returns 0, -EINVAL or -EAFNOSUPPORT (the side is unchanged).
	 */
	int (*set_peer)(ss_rtp_session_t *s, ss_rtp_side_t side,
			const ss_rtp_peer_t *peer);
	/* The address and ports to advertise for a side. Any thread. */
	void (*local)(const ss_rtp_session_t *s, ss_rtp_side_t side,
		      ss_rtp_local_t *out);
	/* A copy of the session's counters. Session's loop only. */
	void (*stats)(const ss_rtp_session_t *s, ss_rtp_stats_t *out);
	/* The loop that owns the session (to post work to it). Any thread. */
	ss_loop_t *(*loop)(const ss_rtp_session_t *s);
	/*
	 * Stops relaying, closes the sockets, returns the ports and frees
	 * the session. NULL is ignored. Any thread: on the session's loop
	 * (inside the end callback too) everything happens before the call
	 * returns and the end callback never runs afterwards. From another
	 * thread the work is posted to the session's loop; no end callback
	 * starts after the call, but one the loop had already begun may
	 * still be running. The pointer is dead either way.
	 */
	void (*free)(ss_rtp_session_t *s);
} ss_rtp_relay_api_t;

#endif
