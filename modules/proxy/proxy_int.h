/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the proxy module (RFC 3261 section 16) shared by its files:
 * settings, the per-loop state, the response context of one proxied
 * request with its branches, and the functions the files call on each
 * other.
 */
#ifndef SS_MOD_PROXY_INT_H
#define SS_MOD_PROXY_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <sipserver/bus.h>
#include <sipserver/cli.h>
#include <sipserver/config.h>
#include <sipserver/loop.h>
#include <sipserver/module.h>
#include <sipserver/timer.h>
#include <sipserver/sip/auth.h>
#include <sipserver/sip/dns.h>
#include <sipserver/sip/location.h>
#include <sipserver/sip/parser.h>
#include <sipserver/sip/transaction.h>
#include <sipserver/sip/transport.h>

#define PROXY_BUF_SIZE	  65536 /* largest message built or forwarded */
#define PROXY_MAX_TARGETS 16	/* branches of one request */
#define PROXY_MAX_DESTS	  6	/* RFC 3263 destinations kept per branch */
#define PROXY_HOST_MAX	  SS_SIP_HOST_MAX
#define PROXY_MF_DEFAULT  70 /* RFC 3261 8.1.1.6 */

typedef enum proxy_fork_mode {
	PROXY_FORK_Q = 0,      /* equal q in parallel, q groups serially */
	PROXY_FORK_PARALLEL,   /* every contact at once */
	PROXY_FORK_SEQUENTIAL, /* one contact at a time */
} proxy_fork_mode_t;

/* A static next hop: requests for `domain` (or any, for the default) go
 * to `uri`; a loose router (;lr) is also pushed as a Route. */
typedef struct proxy_route {
	char *domain; /* lower case; NULL for the default route */
	char *uri;
	bool lr;
} proxy_route_t;

typedef struct proxy_domains proxy_domains_t;

/* Settings; immutable once published, replaced whole by reload. */
typedef struct proxy_conf {
	bool record_route;
	bool use_received; /* UDP targets at the REGISTER's source address */
	proxy_fork_mode_t fork_mode;
	uint32_t no_answer_ms; /* Timer C; 0 disables it */
	unsigned max_branches;
	proxy_domains_t *domains;
	proxy_route_t *routes;
	unsigned nroutes;
	proxy_route_t default_route; /* uri NULL when none */
} proxy_conf_t;

/* Counters of one loop: written by the owner only (relaxed stores), read
 * racily by the console. */
typedef struct proxy_stats {
	uint64_t requests, forwarded, stateless_acks, stateless_resps;
	uint64_t responses[7]; /* by class, [0] unused */
	uint64_t cancels, loops_482, maxfwd_483, require_420, not_found;
	uint64_t forks, failovers, timeouts, contexts, live;
} proxy_stats_t;

typedef struct proxy_ctx proxy_ctx_t;
typedef struct proxy_branch proxy_branch_t;

/* One entry of the loop-detection table: the routing hash of a request
 * a pending branch sent. */
typedef struct proxy_loop_ent {
	struct proxy_loop_ent *next, **pprev;
	uint64_t hash; /* routing-relevant parts */
} proxy_loop_ent_t;

/* The state of one worker loop; only that loop touches it. */
typedef struct proxy_loop {
	ss_sip_msg_t req;  /* a request being built */
	ss_sip_msg_t resp; /* a response being forwarded */
	char *buf;	   /* PROXY_BUF_SIZE bytes to print into */
	/* Handles of live branches for client transaction callbacks: a
	 * callback arriving after its context ended finds a stale
	 * generation instead of freed memory. */
	proxy_branch_t **slots;
	uint32_t *gen;
	uint32_t *free_slots;
	unsigned nslots, nfree;
	proxy_ctx_t *ctxs;	    /* live contexts, for unload */
	struct proxy_ack_job *acks; /* stateless sends waiting for DNS */
	proxy_stats_t st;
} proxy_loop_t;

typedef enum proxy_br_state {
	BR_IDLE = 0,   /* waiting for its turn (serial forking) */
	BR_RESOLVING,  /* DNS query under way */
	BR_CALLING,    /* client transaction, no response yet */
	BR_PROCEEDING, /* a provisional response arrived */
	BR_DONE,       /* final response, or given up */
} proxy_br_state_t;

struct proxy_branch {
	proxy_ctx_t *ctx;
	ss_sip_txn_t *ctxn; /* client transaction: a reference */
	ss_dns_query_t *query;
	ss_timer_t timer_c;
	uintptr_t handle; /* slot << 32 | generation, the callback arg */
	uint8_t state;	  /* proxy_br_state_t */
	uint8_t ndests, dest_i;
	bool registered; /* lent is in the loop table */
	unsigned code;	 /* final code, 0 while pending */
	uint16_t q;
	ss_str_t uri;	     /* target Request-URI, in ctx->strs */
	ss_str_t path;	     /* Path of the binding, pushed as Route */
	ss_sip_dest_t fixed; /* the binding's received address */
	bool has_fixed;
	ss_sip_dest_t dests[PROXY_MAX_DESTS];
	proxy_loop_ent_t lent;
};

/*
 * The response context of one proxied request (RFC 3261 16.2): the server
 * transaction, the targets as branches, the best final response so far
 * and the challenges of every 401/407 for aggregation. Owned by the loop
 * of its server transaction; one allocation holds it, the branches and
 * the target strings.
 */
struct proxy_ctx {
	proxy_ctx_t *lnext, **lpprev; /* lp->ctxs */
	proxy_loop_t *lp;
	ss_sip_txn_t *stxn; /* server transaction: a reference */
	uint64_t route_hash;
	bool invite, cancelled, final_sent, destroying;
	unsigned nbranches, next; /* targets, the next not started */
	unsigned best_code;	  /* 0: no final response stored */
	char *best;		  /* the stored response, our Via removed */
	size_t best_len, best_cap;
	char *chal; /* aggregated challenges: "id\0value\0" */
	size_t chal_len, chal_cap;
	char realm[SS_AUTH_NAME_MAX]; /* credentials consumed here */
	proxy_branch_t br[];	      /* then the strings */
};

/* Module state: written on the control loop by load/reload/unload. */
typedef struct proxy_global {
	const ss_module_t *self;
	const ss_sip_parser_api_t *parser;
	const ss_sip_txn_api_t *txn;
	const ss_sip_transport_api_t *tp;
	const ss_location_api_t *loc; /* NULL: no location lookups */
	const ss_dns_api_t *dns;      /* NULL: numeric hosts only */
	const ss_auth_api_t *auth;    /* NULL: no credentials consumed */
	const proxy_conf_t *conf;     /* atomic pointer */
	proxy_loop_t *loops;
	unsigned nloops;
} proxy_global_t;

extern proxy_global_t proxy_g;

#define PROXY_ADD(c, n)                                                       \
	__atomic_store_n(&(c), __atomic_load_n(&(c), __ATOMIC_RELAXED) + (n), \
			 __ATOMIC_RELAXED)
#define PROXY_INC(c) PROXY_ADD(c, 1)
#define PROXY_GET(c) __atomic_load_n(&(c), __ATOMIC_RELAXED)

/* ---- proxy.c ---- */

/* The calling worker's state, or NULL off a worker loop. */
proxy_loop_t *proxy_loop_here(void);
/* Current settings (acquire load). */
const proxy_conf_t *proxy_conf(void);
/* Parses into lp's scratch `into` a copy of src that keeps the edited top
 * Via line (received/rport). Returns into, or NULL. */
ss_sip_msg_t *proxy_work_msg(ss_sip_msg_t *into, const ss_sip_msg_t *src);

/* ---- proxy_route.c ---- */

/* The configured domains, compared in the parser's host_key form; what
 * the transport is reachable as is asked of it per request. */
proxy_domains_t *proxy_domains_new(void);
/* 0, -EINVAL (not a host name or address) or -ENOMEM. */
int proxy_domains_add(proxy_domains_t *d, ss_str_t host);
bool proxy_domains_has(const proxy_domains_t *d, ss_str_t host);
void proxy_domains_free(proxy_domains_t *d);
/* True when uri's host is a served domain or names the server and its port
 * (absent: the scheme's default) is one of ours: a URI addressing this
 * proxy itself. */
bool proxy_uri_is_us(const proxy_conf_t *c, const ss_sip_uri_t *uri);
/* True when uri's domain is ours (location service applies): the host is
 * a served domain and any explicit port is one we listen on. */
bool proxy_uri_is_local(const proxy_conf_t *c, const ss_sip_uri_t *uri);
/*
 * RFC 3261 16.4 on msg: a Request-URI that is our own Record-Route value
 * (a strict router before us) is replaced by the last Route, which is
 * removed; then every top Route naming us is removed. 0 or -errno.
 */
int proxy_route_preprocess(const proxy_conf_t *c, ss_sip_msg_t *msg);
/*
 * RFC 3261 16.6 step 3: returns 0 and decrements Max-Forwards (or adds 70
 * when absent); -ELOOP when it is 0 (483), -EINVAL when malformed.
 */
int proxy_maxfwd_step(ss_sip_msg_t *msg);
/* Reads Max-Forwards without editing: its value, 70 when absent, -EINVAL
 * when malformed. */
int proxy_maxfwd_value(const ss_sip_msg_t *msg);
/* Adds "Record-Route: <sip:host:port;transport=x;lr>" for listener l at
 * the top. 0 or -errno. */
int proxy_record_route(ss_sip_msg_t *msg, const ss_sip_listener_info_t *l,
		       bool sips);
/* Pushes the comma separated route list at the top of the Route set. */
int proxy_push_routes(ss_sip_msg_t *msg, ss_str_t routes);
/* The static route for host, else the default, else NULL. */
const proxy_route_t *proxy_route_find(const proxy_conf_t *c, ss_str_t host);
/* Removes the Proxy-Authorization values for realm (consumed here). */
void proxy_consume_credentials(ss_sip_msg_t *msg, const char *realm);
/* Whether msg has a Proxy-Require; writes its values into buf as an
 * "Unsupported: ...\r\n" line when it does. */
bool proxy_unsupported(ss_sip_msg_t *msg, char *buf, size_t size);
/* Numeric fast path of RFC 3263: a URI whose host is an IP literal gives
 * its destination at once. 0, or -EAGAIN when the host is a name. */
int proxy_uri_dest(const ss_sip_uri_t *uri, ss_sip_dest_t *dst);
/* Parses "1.2.3.4:5060" / "[::1]:5060" into addr. 0 or -EINVAL. */
int proxy_parse_hostport(const char *s, ss_sip_addr_t *addr);

/* ---- proxy_loop.c ---- */

/* Routing hash of a preprocessed request (RFC 3261 16.6 step 8): what a
 * looped copy has in common with the original and a spiral does not. */
uint64_t proxy_route_hash(ss_sip_msg_t *msg);
/* RFC 3261 16.3 step 4: true when one of msg's Vias is ours and a request
 * with the same routing hash is pending here. */
bool proxy_loop_detect(ss_sip_msg_t *msg, uint64_t hash);
/* Records / forgets a branch's request, before it is sent and once it is
 * answered. Any loop; takes a stripe lock. */
void proxy_loop_add(proxy_loop_ent_t *e, uint64_t hash);
void proxy_loop_del(proxy_loop_ent_t *e);
int proxy_loop_table_init(void);
void proxy_loop_table_fini(void);
unsigned proxy_loop_table_count(void);

/* ---- proxy_request.c ---- */

ss_bus_verdict_t proxy_on_request(ss_topic_t topic, void *m, void *arg);

/* ---- proxy_forward.c ---- */

/* A new context for stxn with n targets and strs_len bytes of strings;
 * NULL on -ENOMEM. Takes its own reference on stxn. */
proxy_ctx_t *proxy_ctx_new(proxy_loop_t *lp, ss_sip_txn_t *stxn, unsigned n,
			   size_t strs_len);
/* Starts the first group of branches. Returns 0, or -errno when nothing
 * could be started (the caller answers). */
int proxy_ctx_start(proxy_ctx_t *ctx);
/* Starts the next branches when the running ones are done, or ends the
 * context with its best response. May free ctx. */
void proxy_ctx_advance(proxy_ctx_t *ctx);
/* Sends b's request to b->dests[b->dest_i], moving on to the next
 * destination while one refuses it. 0 or -errno. */
int proxy_forward_branch_next(proxy_branch_t *b);
/* Ends branch b (response received or given up), dropping its interest in
 * further responses but 2xx. */
void proxy_branch_finish(proxy_branch_t *b, unsigned code);
/* Cancels every pending branch (RFC 3261 16.10, 16.7 step 10). */
void proxy_ctx_cancel_all(proxy_ctx_t *ctx);
/* Handle <-> branch for client transaction callbacks. */
proxy_branch_t *proxy_branch_from_handle(proxy_loop_t *lp, void *arg);
/* Sends a request statelessly (ACK for 2xx): adds our Via with a branch
 * derived from the incoming one. 0 or -errno. */
int proxy_forward_stateless(proxy_loop_t *lp, ss_sip_msg_t *msg,
			    const ss_sip_dest_t *dst);

/* The same towards a named hop: printed now, sent to the first RFC 3263
 * destination when DNS answers. 0 or -errno. */
int proxy_forward_stateless_dns(proxy_loop_t *lp, ss_sip_msg_t *msg,
				const ss_sip_uri_t *hop);
/* Frees every context and pending send of the calling loop (unload). */
void proxy_loop_drain(proxy_loop_t *lp);

/* ---- proxy_response.c ---- */

/* Client transaction callback (arg is a branch handle). */
void proxy_on_response(ss_sip_txn_t *txn, ss_sip_rx_t *rx, unsigned code,
		       void *arg);
/* Responses no client transaction took: forwarded statelessly. */
ss_bus_verdict_t proxy_on_stray_response(ss_topic_t topic, void *m, void *arg);
/* RFC 3261 16.7 step 6: whether final code `cand` beats `best` (0: none). */
bool proxy_better_response(unsigned cand, unsigned best);
/* Keeps the final response rx (NULL: synthesized `code`) when it beats
 * ctx's best so far; 401/407 challenges are collected either way. */
void proxy_ctx_consider(proxy_ctx_t *ctx, ss_sip_rx_t *rx, unsigned code);
/* Sends ctx's best response upstream (408 when none, 487 when
 * cancelled, 500 for a 503). */
void proxy_ctx_reply_best(proxy_ctx_t *ctx);
/* Forwards rx upstream statelessly with our top Via removed. */
int proxy_forward_response_stateless(proxy_loop_t *lp, ss_sip_rx_t *rx);

/* ---- q-value grouping (proxy_forward.c) ---- */

/* Number of targets from index `from` that start together under mode:
 * q (run of equal q), parallel (all), sequential (one). q values of the
 * targets must be sorted descending. */
unsigned proxy_fork_group(const uint16_t *q, unsigned n, unsigned from,
			  proxy_fork_mode_t mode);

/* ---- console (proxy.c) ---- */

extern const ss_cli_cmd_t proxy_cli_commands[];

#endif
