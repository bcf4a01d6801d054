/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the transaction module shared by its files: the transaction
 * object, the per-loop state (hash table, counters, scratch buffers), the
 * module-wide settings and the functions the files call on each other.
 */
#ifndef SS_MOD_TXN_INT_H
#define SS_MOD_TXN_INT_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#include <sipserver/bus.h>
#include <sipserver/cli.h>
#include <sipserver/config.h>
#include <sipserver/loop.h>
#include <sipserver/module.h>
#include <sipserver/timer.h>
#include <sipserver/sip/parser.h>
#include <sipserver/sip/transaction.h>
#include <sipserver/sip/transport.h>

/*
 * Threading design.
 *
 * Every transaction belongs to the worker loop that created it and lives
 * in that loop's hash table; only that loop touches it, so the hot path
 * takes no lock and the refcount is a plain integer. A server transaction
 * is created on the loop that received its request: UDP listeners use
 * SO_REUSEPORT, which hashes the source, so a retransmission, the ACK and
 * the CANCEL of a request arrive on the same loop; a stream connection
 * belongs to one loop. A response to a client transaction may arrive on
 * any loop (another socket of the REUSEPORT group, another connection),
 * so the branch we generate names the owner loop:
 *
 *     z9hG4bK sS <loop: 3 hex> <process salt: 8 hex> <sequence: hex>
 *
 * A response whose top branch names another loop is copied and posted
 * there (ss_loop_post) and published again on "sip.response.in" on the
 * owner, where it is matched as if it had arrived there. The salt is
 * random per process, so branches of another instance (a spiral through
 * two servers on one host) are never taken for ours.
 */

#define TXN_MAGIC	    "z9hG4bK"
#define TXN_MAGIC_LEN	    7
#define TXN_BRANCH_MARK	    "z9hG4bKsS"
#define TXN_BRANCH_MARK_LEN 9
#define TXN_BRANCH_MAX	    48
#define TXN_TAG_LEN	    16	  /* tags we generate */
#define TXN_TAG_MAX	    64	  /* tags we record for ACK matching */
#define TXN_BUF_SIZE	    65536 /* largest message built or printed */
#define TXN_TIMER_D_MS	    32000 /* RFC 3261 17.1.1.2: at least 32 s */
#define TXN_TABLE_MIN	    1024  /* buckets per loop at start */
#define TXN_TRACE_CHUNK	    1800  /* bytes of a message per log line */

typedef enum txn_type {
	TXN_SERVER_INVITE = 0,
	TXN_SERVER_NONINVITE,
	TXN_CLIENT_INVITE,
	TXN_CLIENT_NONINVITE,
	TXN_NTYPES
} txn_type_t;

enum {
	TXN_F_RFC3261 = 1u << 0,  /* branch has the magic cookie */
	TXN_F_RELIABLE = 1u << 1, /* TCP or TLS: no retransmissions */
	TXN_F_IN_TABLE = 1u << 2,
	TXN_F_RESPONDED = 1u << 3,	/* a response went out / came in */
	TXN_F_FINAL = 1u << 4,		/* a final response went / came */
	TXN_F_CANCEL_PENDING = 1u << 5, /* cancel() before any 1xx */
	TXN_F_CANCELLED = 1u << 6,	/* CANCEL sent or received */
	TXN_F_RETIRED = 1u << 7,	/* final, TU gone: request dropped */
	TXN_F_TAG = 1u << 8,		/* to_tag[] holds our tag */
	TXN_F_PUBLISH_REF = 1u << 9,	/* the publish reference is held */
	TXN_F_STATELESS = 1u << 10,	/* its request answered statelessly */
};

/* The matching keys of a request or response (RFC 3261 17.1.3, 17.2.3),
 * slices of a message or of a transaction's own storage. */
typedef struct txn_key {
	ss_str_t branch;
	bool rfc3261;
	ss_str_t host; /* top Via sent-by */
	uint16_t port;
	ss_sip_method_t method; /* request method, CSeq method of a response */
	ss_str_t method_str;
	/* RFC 2543 fallback only */
	ss_str_t call_id, from_tag, to_tag, ruri, top_via;
	uint32_t cseq;
} txn_key_t;

typedef struct txn_loop txn_loop_t;

struct ss_sip_txn {
	struct ss_sip_txn *hnext; /* hash chain */
	struct ss_sip_txn *onext; /* the loop's publish-reference list */
	txn_loop_t *lt;
	uint64_t id;
	uint64_t created_ms;
	uint32_t hash;
	unsigned refs;
	unsigned flags; /* TXN_F_* */
	uint8_t type;	/* txn_type_t */
	uint8_t state;	/* ss_txn_state_t */
	unsigned last_code;
	uint32_t t1, t2, t4, retx_ms;
	uint32_t retransmits;
	txn_key_t key;		      /* slices of data[] */
	char to_tag[TXN_TAG_MAX + 1]; /* our responses' tag (TXN_F_TAG) */
	uint8_t tag_len;
	ss_str_t via_line; /* server: the stamped top Via line value */
	ss_timer_t t_retx; /* A, E, G; 100 Trying */
	ss_timer_t t_life; /* B, D, F, H, I, J, K, L, M */
	ss_sip_dest_t dest;
	char *out; /* server: last response; client: ACK of a non-2xx */
	size_t out_len, out_cap;
	ss_sip_msg_t *req_msg; /* what request() returned, till retired */
	union {
		struct {
			ss_txn_cancel_fn fn;
			void *arg;
		} srv;
		struct {
			ss_txn_response_fn fn;
			void *arg;
		} cli;
	} u;
	char *req; /* the request, NUL-terminated, malloc'd to its size */
	size_t req_len;
	alignas(max_align_t) char data[]; /* key strings, via_line */
};

/* Counters of one loop: written by the owner only (single writer, relaxed
 * stores), read racily by the console. */
typedef struct txn_stats {
	uint64_t created[TXN_NTYPES];
	int64_t live[TXN_NTYPES][SS_TXN_NSTATES];
	uint64_t timeouts, retransmits, absorbed, acks_absorbed;
	uint64_t cancels, cancels_481, cancels_sent, acks_sent;
	uint64_t resp_matched, resp_unmatched, resp_posted;
	uint64_t stateless, catchall, orphans, tp_errors;
	uint64_t msgs_in, bytes_in, msgs_out, bytes_out;
} txn_stats_t;

typedef struct txn_table {
	ss_sip_txn_t **b;
	uint32_t mask;
	unsigned count;
} txn_table_t;

/* State of one worker loop; only that loop writes it. */
struct txn_loop {
	alignas(64) ss_loop_t *loop;
	unsigned index;
	txn_table_t table;
	uint64_t seq;	       /* ids, branches */
	uint64_t rng;	       /* xorshift state for tags */
	ss_sip_txn_t *orphans; /* transactions holding a publish reference */
	bool orphans_posted;
	unsigned trace_depth;
	ss_sip_msg_t *scratch;	   /* responses posted from another loop */
	ss_sip_msg_t *req_scratch; /* a stored request parsed to reply */
	char *buf;		   /* TXN_BUF_SIZE bytes to build into */
	txn_stats_t st;
};

/* Settings from <timers> and <options>; immutable once published. */
typedef struct txn_conf {
	uint32_t t1, t2, t4, trying;
	char allow[256], accept[128], supported[128];
} txn_conf_t;

/* Module state. Written on the control loop in load/unload and (conf,
 * trace) by reload and the console; read on the workers. */
typedef struct txn_global {
	const ss_module_t *self;
	const ss_sip_parser_api_t *parser;
	const ss_sip_transport_api_t *transport;
	const txn_conf_t *conf;
	txn_loop_t *loops;
	unsigned nloops;
	uint32_t salt;
	ss_topic_t req_topic, resp_topic;
	int tasks;		  /* posted tasks not yet run (atomic) */
	int trace;		  /* sip set trace: one flag check when off */
	const char *trace_filter; /* NULL: everything */
} txn_global_t;

extern txn_global_t txn_g;

/* Single-writer counter update without a locked instruction. */
#define TXN_ADD(c, n)                                                         \
	__atomic_store_n(&(c), __atomic_load_n(&(c), __ATOMIC_RELAXED) + (n), \
			 __ATOMIC_RELAXED)
#define TXN_INC(c) TXN_ADD(c, 1)
#define TXN_GET(c) __atomic_load_n(&(c), __ATOMIC_RELAXED)

/* ---- transaction.c ---- */

/* Starts the layer with conf (taken over) on the running loops: what
 * load() does after reading the config; tests call it directly. self
 * owns the timers. 0 or -errno. Control loop. */
int txn_start(const ss_module_t *self, txn_conf_t *conf);
/* Frees every transaction and the loops' state. Control loop, after the
 * subscriptions are gone. */
void txn_stop(void);
/* The defaults of <timers> and <options>. */
void txn_conf_defaults(txn_conf_t *c);
extern const ss_sip_txn_api_t txn_api;

/* ---- txn_table.c ---- */

/* The calling thread's worker loop state, or NULL. */
txn_loop_t *txn_loop_here(void);
int txn_table_init(txn_table_t *t);
void txn_table_fini(txn_table_t *t);
void txn_table_insert(txn_loop_t *lt, ss_sip_txn_t *txn);
void txn_table_remove(txn_loop_t *lt, ss_sip_txn_t *txn);
/* Server transaction matching a request's key for method `method`
 * (INVITE for an ACK or a CANCEL looking for its INVITE). */
ss_sip_txn_t *txn_find_server(txn_loop_t *lt, const txn_key_t *k,
			      ss_sip_method_t method, bool ack);
/* Client transaction of a response's branch and CSeq method. */
ss_sip_txn_t *txn_find_client(txn_loop_t *lt, const txn_key_t *k);
/* Calls fn on each transaction of the loop (console snapshots). */
void txn_table_foreach(txn_loop_t *lt, void (*fn)(ss_sip_txn_t *txn, void *arg),
		       void *arg);

/* ---- txn_match.c ---- */

uint32_t txn_hash(ss_str_t s);
/* Fills k from a parsed message; -EINVAL without the needed headers. */
int txn_key_from_msg(ss_sip_msg_t *msg, txn_key_t *k);
/* Hash bucket key of k: the branch, or the Call-ID for RFC 2543 peers. */
uint32_t txn_key_hash(const txn_key_t *k);
bool txn_method_eq(const txn_key_t *a, ss_sip_method_t m, ss_str_t m_str);
/* Writes a branch naming loop lt into buf (TXN_BRANCH_MAX); its length. */
size_t txn_branch_make(txn_loop_t *lt, char *buf);
/* The loop a branch of ours names, or -1 if it is not ours. */
int txn_branch_loop(ss_str_t branch);
/* A random To tag into buf (TXN_TAG_LEN chars, NUL-terminated). */
void txn_tag_make(txn_loop_t *lt, char *buf);
/* Where responses to rx go (RFC 3261 18.2.2, RFC 3581). */
void txn_response_dest(ss_sip_msg_t *msg, const ss_sip_packet_t *pkt,
		       ss_sip_dest_t *dst);
/* Printable address "1.2.3.4:5060" / "[::1]:5060". */
const char *txn_addr_str(const ss_sip_addr_t *a, char *buf, size_t size);

/* ---- txn_obj.c ---- */

/* A new transaction of type with data_len bytes of storage and room for
 * a request of req_len bytes (txn->req, filled and NUL-terminated by the
 * caller), refs 0, not in the table, timers prepared. NULL on -ENOMEM. */
ss_sip_txn_t *txn_alloc(txn_loop_t *lt, txn_type_t type, size_t data_len,
			size_t req_len);
void txn_set_state(ss_sip_txn_t *txn, ss_txn_state_t state);
/* Ends a transaction: Terminated, timers stopped, out of the table, the
 * table's reference dropped (txn may be freed: hold one to touch it). */
void txn_terminate(ss_sip_txn_t *txn);
ss_sip_txn_t *txn_ref(ss_sip_txn_t *txn);
void txn_unref(ss_sip_txn_t *txn);
/* Holds a publish reference until the current event is over, then drops
 * it: a server transaction nobody kept nor answered is then ended. */
void txn_hold_publish_ref(ss_sip_txn_t *txn);
/* The stored request parsed on the heap for request() and provisional
 * replies: kept until txn is retired or freed. NULL on -ENOMEM, a bad
 * copy, or once retired. */
ss_sip_msg_t *txn_request_msg(ss_sip_txn_t *txn);
/* The stored request to build a message from right now: the heap copy
 * request() made if any, else parsed into the loop's req_scratch, valid
 * until the next call on this loop. Owner loop. 0, -EINVAL, -EALREADY
 * once retired. */
int txn_request_scratch(ss_sip_txn_t *txn, ss_sip_msg_t **out);
/* The Call-ID line of the stored request with its CRLF (compact form
 * too); SS_STR_NULL without one. A scan of the raw lines. */
ss_str_t txn_call_id_line(const ss_sip_txn_t *txn);
/* Called when only the table's reference is left on a transaction in
 * the table: drops request()'s parsed copy and, once a final response
 * went or came, whatever matching and retransmissions no longer need. */
void txn_retire(ss_sip_txn_t *txn);
/* Copies buf into txn->out. 0 or -ENOMEM. */
int txn_out_store(ss_sip_txn_t *txn, const char *buf, size_t len);
/* Sends through the transport with tracing and counters. */
int txn_send(txn_loop_t *lt, const ss_sip_dest_t *dst, const char *buf,
	     size_t len);
/* Frees every transaction of the calling loop, whatever its references:
 * the module is going away and its TUs are gone. Owner loop. */
void txn_loop_drain(txn_loop_t *lt);
/* Counts a task posted to a loop by this module (unload waits for 0). */
void txn_task_posted(void);
void txn_task_done(void);

/* ---- txn_server.c ---- */

ss_bus_verdict_t txn_on_request(ss_topic_t topic, void *msg, void *arg);
ss_bus_verdict_t txn_on_request_last(ss_topic_t topic, void *msg, void *arg);
int txn_server_reply(ss_sip_txn_t *txn, unsigned code, const char *reason,
		     const ss_sip_resp_opts_t *opts);
int txn_server_send(ss_sip_txn_t *txn, const char *buf, size_t len,
		    unsigned code);
int txn_server_trying(ss_sip_txn_t *txn);
ss_str_t txn_server_tag(ss_sip_txn_t *txn);
/* A server transaction lost its last TU reference without a final
 * response (see the unref doc in transaction.h). */
void txn_server_orphan(ss_sip_txn_t *txn);
void txn_server_timer_retx(ss_timer_t *t);
void txn_server_timer_life(ss_timer_t *t);
int txn_reply_stateless(ss_sip_rx_t *rx, unsigned code, const char *reason,
			const ss_sip_resp_opts_t *opts);
int txn_reply_rx(ss_sip_rx_t *rx, unsigned code, const char *reason,
		 const ss_sip_resp_opts_t *opts);

/* ---- txn_client.c ---- */

ss_bus_verdict_t txn_on_response(ss_topic_t topic, void *msg, void *arg);
int txn_client_create(ss_sip_msg_t *req, const ss_sip_dest_t *dst,
		      ss_txn_response_fn fn, void *arg, ss_sip_txn_t **out);
int txn_client_cancel(ss_sip_txn_t *txn);
void txn_client_timer_retx(ss_timer_t *t);
void txn_client_timer_life(ss_timer_t *t);

/* ---- txn_trace.c ---- */

/* Runs the rest of the chain under a nested publish so that the message
 * can be printed with the module that handled it. Only when tracing. */
ss_bus_verdict_t txn_trace_publish(txn_loop_t *lt, ss_topic_t topic,
				   ss_sip_rx_t *rx);
void txn_trace_out(const ss_sip_dest_t *dst, const char *buf, size_t len);
/* Counts a packet on "sip.raw.in" (subscriber before the parser). */
ss_bus_verdict_t txn_on_raw(ss_topic_t topic, void *msg, void *arg);

/* ---- txn_cli.c ---- */

extern const ss_cli_cmd_t txn_cli_commands[];
/* Sets `sip set trace`: on (filter NULL), off, or on with a filter.
 * Control loop. 0 or -ENOMEM. */
int txn_trace_set(bool on, const char *filter);

#endif
