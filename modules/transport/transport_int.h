/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the transport module: settings, listeners, per-loop state,
 * stream connections and the functions the module's files share. Every
 * symbol declared here is hidden; the module exports only its descriptor.
 */
#ifndef SS_TRANSPORT_INT_H
#define SS_TRANSPORT_INT_H

#include <arpa/inet.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include <sipserver/bus.h>
#include <sipserver/loop.h>
#include <sipserver/module.h>
#include <sipserver/sip/transport.h>
#include <sipserver/timer.h>

#pragma GCC visibility push(hidden)

#define TP_MAX_LISTENERS 32

/* Counters written by one owner thread and read racily by the console:
 * relaxed atomics keep that well defined without a locked instruction. */
#define TP_ADD(field, n)                                                    \
	__atomic_store_n(&(field),                                          \
			 __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n), \
			 __ATOMIC_RELAXED)
#define TP_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

typedef struct tp_limits {
	size_t max_message; /* bytes of one message */
	size_t max_buffer;  /* bytes buffered per connection, each way */
	unsigned max_connections;
	unsigned max_per_source; /* incoming connections per remote IP */
	unsigned idle_ms;	 /* close a stream after this much silence */
	unsigned udp_batch;	 /* datagrams per recvmmsg */
} tp_limits_t;

typedef struct tp_listen_cfg {
	ss_sip_proto_t proto;
	char address[INET6_ADDRSTRLEN + 2];
	unsigned port;
} tp_listen_cfg_t;

/* Everything the module's config section says, as plain values. */
typedef struct tp_settings {
	tp_limits_t lim;
	unsigned nlisten;
	tp_listen_cfg_t listen[TP_MAX_LISTENERS];
	char tls_cert[PATH_MAX];
	char tls_key[PATH_MAX];
	char tls_ca[PATH_MAX]; /* "" : the system's default store */
	bool tls_verify;
} tp_settings_t;

/* Traffic of one listener as seen by one loop (no sharing, no contention). */
typedef struct tp_stats {
	uint64_t msgs_in, bytes_in;
	uint64_t msgs_out, bytes_out;
	uint64_t dropped; /* keepalives, oversize, send failures */
	uint64_t refused; /* connections over a limit */
} tp_stats_t;

struct tp_listener;
struct tp_loop;

/* One listener's socket on one worker loop (SO_REUSEPORT shards them). */
typedef struct tp_lsock {
	ss_io_t io;
	int fd;
	struct tp_listener *l;
	struct tp_loop *tl;
} tp_lsock_t;

typedef struct tp_listener {
	ss_sip_listener_info_t info; /* info.host points at host */
	char host[INET6_ADDRSTRLEN + 2];
	unsigned index;
	bool wildcard;	   /* bound to 0.0.0.0 or :: */
	tp_lsock_t *socks; /* [nloops] */
	unsigned conns;	   /* open connections, atomic */
} tp_listener_t;

typedef struct tp_wbuf {
	struct tp_wbuf *next;
	size_t len, off;
	char data[];
} tp_wbuf_t;

typedef enum tp_conn_state {
	TP_CONN_CONNECTING = 1,
	TP_CONN_HANDSHAKE,
	TP_CONN_OPEN,
} tp_conn_state_t;

/* A TCP or TLS connection. Owned by the loop that accepted or opened it:
 * only that loop touches it, except the table links (under the table's
 * stripe locks) and the counters (relaxed reads by the console). */
typedef struct tp_conn {
	uint64_t id;
	struct tp_conn *id_next;     /* table: chain by id */
	struct tp_conn *addr_next;   /* table: chain by remote IP */
	struct tp_conn *prev, *next; /* the owner loop's list */
	struct tp_loop *tl;
	tp_listener_t
	    *l; /* accepting listener; outgoing: matching one or NULL */
	ss_io_t io;
	ss_timer_t idle;
	int fd;
	ss_sip_proto_t proto;
	tp_conn_state_t state;
	bool incoming;
	bool dead;	       /* closed while a publish was running */
	bool read_wants_write; /* TLS: SSL_read asked for writability */
	bool write_blocked;    /* waiting for EPOLLOUT */
	unsigned events;       /* the mask the watcher has now */
	unsigned busy;	       /* publishes in progress on this connection */
	SSL *ssl;
	ss_sip_addr_t remote, local;
	char *rbuf;
	size_t rlen, rcap;
	tp_wbuf_t *wq_head, *wq_tail;
	size_t wq_bytes;
	uint64_t created_ms;
	uint64_t bytes_in, bytes_out, msgs_in, msgs_out;
} tp_conn_t;

/* State of one worker loop, touched only by that loop's thread once the
 * module is running (the console reads the counters racily). */
typedef struct tp_loop {
	ss_loop_t *loop;
	unsigned index;
	int start_err;	   /* first error of tp_loops_start on this loop */
	tp_stats_t *stats; /* [TP_MAX_LISTENERS + 1]; the last: no listener */
	tp_conn_t *conns;  /* owned connections */
	/* UDP receive batch, preallocated so reading never allocates */
	struct mmsghdr *msgs;
	struct iovec *iov;
	struct sockaddr_storage *addrs;
	char *bufs;
	size_t slot; /* bytes per datagram slot: max_message + 2 */
} tp_loop_t;

#define TP_TABLE_STRIPES 64

/* Connections by id and by remote IP, with striped locks so that loops
 * adding and removing their connections rarely meet. */
typedef struct tp_table {
	unsigned mask; /* buckets - 1 */
	tp_conn_t **by_id;
	tp_conn_t **by_addr;
	pthread_mutex_t id_locks[TP_TABLE_STRIPES];
	pthread_mutex_t addr_locks[TP_TABLE_STRIPES];
	unsigned count;	  /* atomic */
	uint64_t next_id; /* atomic */
} tp_table_t;

/* The running module. Created by load and destroyed by unload on the
 * control loop; workers only read it between the two. */
/* tp_local.c: the addresses the server is reachable as (immutable). */
typedef struct tp_locals tp_locals_t;
/* A snapshot of what listeners ls[0..n) are reachable as: their addresses,
 * the interface addresses of the family of a wildcard one, their ports.
 * NULL without memory. Control loop. */
tp_locals_t *tp_locals_build(const ss_sip_listener_info_t *const *ls,
			     unsigned n);
/* The host_is_local member of the service over t (NULL: localhost only,
 * and only with port 0). Lock-free; any thread. */
bool tp_locals_has(const tp_locals_t *t, ss_str_t host, unsigned port);
/* Frees t; NULL is ignored. */
void tp_locals_free(tp_locals_t *t);

typedef struct tp_state {
	const ss_module_t *self;
	tp_settings_t set;
	ss_topic_t topic;
	unsigned nloops;
	tp_loop_t *loops;
	unsigned nlisteners;
	tp_listener_t listeners[TP_MAX_LISTENERS];
	SSL_CTX *tls_server;
	SSL_CTX *tls_client;
	tp_table_t table;
	tp_locals_t *locals; /* atomic pointer: swapped by reload */
} tp_state_t;

extern tp_state_t *tp;

/* transport.c */
/* Starts the module from plain settings: sockets, loops, service. Control
 * loop. 0 or -errno (everything undone). self may be NULL in tests. */
int tp_start(const ss_module_t *self, const tp_settings_t *set);
/* Stops everything tp_start made. Control loop. Idempotent. */
void tp_stop(void);
/* The calling worker's state, or NULL off the worker loops. */
tp_loop_t *tp_loop_self(void);
/* First listener with proto and address family, or NULL. */
tp_listener_t *tp_listener_find(ss_sip_proto_t proto, int family);
/* "1.2.3.4:5060" or "[::1]:5060" into buf. */
const char *tp_addr_str(const ss_sip_addr_t *a, char *buf, size_t size);
extern const ss_sip_transport_api_t tp_api;

/* tp_listener.c */
/* Opens the sockets of listener l (one per worker) from its config. */
int tp_listener_open(tp_listener_t *l, const tp_listen_cfg_t *cfg,
		     unsigned nloops);
void tp_listener_close(tp_listener_t *l, unsigned nloops);
/* Per-loop allocation of the UDP batch and counters. */
int tp_loop_init(tp_loop_t *tl, unsigned index, const tp_limits_t *lim);
void tp_loop_free(tp_loop_t *tl);
/* On each worker: start / stop watching this loop's listener sockets.
 * Stopping also closes the loop's connections. */
void tp_loops_start_fn(void *arg);
void tp_loops_stop_fn(void *arg);

/* tp_udp.c */
void tp_udp_on_read(ss_io_t *io, unsigned events);
int tp_udp_send(const ss_sip_dest_t *dst, const char *buf, size_t len);

/* tp_stream.c */
void tp_stream_on_accept(ss_io_t *io, unsigned events);
int tp_stream_send(const ss_sip_dest_t *dst, const char *buf, size_t len);

/* tp_conn.c */
/* Makes a connection of fd (owned from here on: closed on failure) on the
 * calling loop tl, filed in the table under the limits; incoming ones are
 * accepted, outgoing ones connecting. 0, -EMFILE, -EUSERS or -errno. */
int tp_conn_new(tp_loop_t *tl, int fd, ss_sip_proto_t proto, tp_listener_t *l,
		const ss_sip_addr_t *remote, bool incoming, tp_conn_t **out);
/* Writes or queues one message. Owner loop. 0 or -errno; on an error
 * other than -ENOMEM the connection is closed. */
int tp_conn_write(tp_conn_t *c, const char *buf, size_t len);
/* Closes c; its memory goes at once, or when the event handler running on
 * it returns. why (may be NULL) is logged at debug level. Owner loop. */
void tp_conn_close(tp_conn_t *c, const char *why);

/* tp_frame.c */
typedef struct tp_frame {
	size_t skip; /* keepalive CR/LF bytes to drop first */
	size_t len;  /* then one message of len bytes (0: none yet) */
	bool ping;   /* the skipped bytes were a CRLFCRLF ping: pong */
} tp_frame_t;
/* Frames the start of a stream buffer. Returns 1 with f filled, 0 when more
 * bytes are needed, -EBADMSG (no or bad Content-Length) or -EMSGSIZE. */
int tp_frame_next(const char *buf, size_t len, size_t max_message,
		  tp_frame_t *f);

/* tp_tls.c */
/* Creates the server (when cert and key are set) and client contexts. */
int tp_tls_init(tp_state_t *st);
void tp_tls_free(tp_state_t *st);
/* Logs the OpenSSL error queue (then empties it) with a context line. */
void tp_tls_log_errors(const char *what, const ss_sip_addr_t *peer);

/* tp_conn_table.c */
int tp_table_init(tp_table_t *t, unsigned max_connections);
void tp_table_destroy(tp_table_t *t);
/* Gives c a fresh id and files it, enforcing the global limit and, when
 * per_source is not 0, the per-remote-IP limit for incoming connections.
 * 0, -EMFILE (global) or -EUSERS (per source). */
int tp_table_add(tp_table_t *t, tp_conn_t *c, unsigned max_total,
		 unsigned per_source);
void tp_table_del(tp_table_t *t, tp_conn_t *c);
/* Connection by id. The pointer may be used only on c->tl's loop (the
 * owner frees it); other threads may use the copied *owner. */
tp_conn_t *tp_table_get(tp_table_t *t, uint64_t id, tp_loop_t **owner);
/* A connection with proto to exactly addr: its id and owner, or 0. */
uint64_t tp_table_find_addr(tp_table_t *t, ss_sip_proto_t proto,
			    const ss_sip_addr_t *addr, tp_loop_t **owner);
/* Calls fn on each connection under its stripe lock (console). */
void tp_table_foreach(tp_table_t *t, void (*fn)(const tp_conn_t *c, void *a),
		      void *arg);
unsigned tp_table_count(tp_table_t *t);

#pragma GCC visibility pop

#endif
