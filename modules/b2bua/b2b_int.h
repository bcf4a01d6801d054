/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the b2bua module (the SIP ALG of RFC 3665 3.5) shared by its
 * files: settings, the per-loop state, the call with its two legs, the
 * cross-loop handles of server transactions, and the functions the files
 * call on each other.
 */
#ifndef SS_MOD_B2B_INT_H
#define SS_MOD_B2B_INT_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <sipserver/bus.h>
#include <sipserver/cli.h>
#include <sipserver/config.h>
#include <sipserver/loop.h>
#include <sipserver/module.h>
#include <sipserver/timer.h>
#include <sipserver/sip/dns.h>
#include <sipserver/sip/parser.h>
#include <sipserver/sip/rtp_relay.h>
#include <sipserver/sip/transaction.h>
#include <sipserver/sip/transport.h>

/*
 * Threading design.
 *
 * A call belongs to the worker loop that received the caller's INVITE: its
 * relay sessions, its client transactions and its timers live there, and
 * only that loop touches it, so calls take no lock and the refcount is a
 * plain integer. Each loop keeps its calls in its own hash table keyed by a
 * random 64-bit key. The tags we generate carry the key and the owner loop:
 *
 *     <key: 16 hex> <loop: 3 hex> <leg: 'a' caller side, 'b' callee side>
 *
 * so any in-dialog request (its To tag is one of ours) names its call. The
 * caller's requests come from the INVITE's source and reach the same loop
 * (SO_REUSEPORT hashes the source); the callee's may land on any loop. Such
 * a request is copied and posted to the owner (b2b_xreq_post), and its
 * server transaction, which must stay on the loop that created it, is
 * answered through a b2b_srv_t handle that posts back when needed.
 */

#define B2B_TAG_LEN	20 /* 16 + 3 + 1 */
#define B2B_MAX_STREAMS 8  /* m= lines of one SDP */
#define B2B_MAX_LINGER	4  /* INVITE client transactions kept per call */
#define B2B_BUF_SIZE	65536
#define B2B_SDP_MAX	8192
#define B2B_ALIASES_MAX 16
#define B2B_REAP_MS	1000

typedef enum b2b_leg_id {
	B2B_IN = 0,  /* the caller's dialog; relay side A */
	B2B_OUT = 1, /* the dialog we originate to the callee; relay side B */
} b2b_leg_id_t;

static inline b2b_leg_id_t b2b_other(b2b_leg_id_t l)
{
	return l == B2B_IN ? B2B_OUT : B2B_IN;
}

typedef enum b2b_state {
	B2B_CALLING = 0, /* our INVITE is out, no 2xx yet */
	B2B_ACCEPTED,	 /* 2xx sent to the caller, its ACK not yet in */
	B2B_CONFIRMED,	 /* both dialogs up */
	B2B_ENDING,	 /* BYE / CANCEL under way */
	B2B_ENDED,	 /* out of the table, waiting for its transactions */
	B2B_NSTATES
} b2b_state_t;

/* ---- settings ---- */

typedef struct b2b_alias {
	char host[256];
	unsigned port; /* 0: any */
} b2b_alias_t;

/* From <module name="b2bua">; immutable once published. */
typedef struct b2b_conf {
	bool accept_route, accept_ruri;
	b2b_alias_t aliases[B2B_ALIASES_MAX];
	unsigned naliases;
	char next_hop[512]; /* "" when none */
	bool anonymize_from;
	unsigned max_calls;
	unsigned retry_after; /* s, in 503s */
	uint32_t t1, t2;      /* our 2xx retransmissions (RFC 3261 13.3.1.4) */
} b2b_conf_t;

/* ---- cross-loop handles ---- */

/* A server transaction answered from the call's loop: txn lives on loop
 * `loop` and only that loop may touch it (reply, unref). */
typedef struct b2b_srv {
	ss_sip_txn_t *txn; /* a reference owned by the handle; NULL: none */
	ss_loop_t *loop;
} b2b_srv_t;

/* ---- a call ---- */

typedef struct b2b_call b2b_call_t;
typedef struct b2b_loop b2b_loop_t;

/* Our 2xx to an INVITE of a leg's peer, retransmitted until its ACK. */
typedef struct b2b_retx {
	b2b_srv_t srv;
	uint32_t cseq; /* the INVITE's, to match the ACK */
	uint32_t next_ms, elapsed_ms, interval_ms;
	char *hdrs, *body; /* extra headers and SDP of the 2xx */
	bool active;
} b2b_retx_t;

/* One of the two dialogs. Strings are owned (malloc). */
typedef struct b2b_leg {
	char *call_id;
	char *local_hdr;  /* our From/To value with our tag */
	char *remote_hdr; /* the peer's, with its tag */
	char *remote_tag;
	char *remote_target; /* Contact URI of the peer */
	char *routes;	     /* Route header values in order, or NULL */
	char *contact;	     /* our Contact value towards this leg */
	char local_tag[B2B_TAG_LEN + 1];
	uint32_t local_cseq, remote_cseq;
	unsigned max_fwd;   /* Max-Forwards of the next request; 0: 70 */
	ss_sip_dest_t dest; /* where in-dialog requests go */
	bool established;   /* remote tag and target known */
	bool gone;	    /* BYE sent and answered, or received */
	ss_sip_txn_t *bye;  /* our BYE while pending (the fwd holds it) */
	char *ack;	    /* our ACK of the peer's last 2xx, for resends */
	size_t ack_len;
	uint32_t ack_cseq;
	bool ack_deferred; /* 2xx had the offer: ACK waits for the answer */
	b2b_retx_t retx;
} b2b_leg_t;

/* A re-INVITE relayed from one leg to the other. */
typedef struct b2b_reinv {
	bool active;
	b2b_leg_id_t from;
	b2b_srv_t srv;	    /* the sender's transaction */
	ss_sip_txn_t *cli;  /* ours on the other leg (also in linger) */
	uint32_t from_cseq; /* the sender's, to match its ACK */
	bool offer;	    /* it carried an offer */
} b2b_reinv_t;

struct b2b_call {
	b2b_call_t *hnext;
	b2b_call_t *anext, **aprev; /* the loop's list of all its calls */
	b2b_loop_t *bl;
	uint64_t key;
	uint64_t id; /* console id */
	unsigned refs;
	b2b_state_t state;
	bool in_table, cancelled, offer_in_invite;
	uint64_t created_ms;
	b2b_leg_t leg[2];
	ss_rtp_session_t *rtp[B2B_MAX_STREAMS];
	unsigned nstreams;
	b2b_srv_t inv_in;      /* the caller's INVITE until answered */
	ss_sip_txn_t *inv_out; /* our INVITE (also in linger) */
	ss_sip_txn_t *linger[B2B_MAX_LINGER];
	ss_sip_dest_t first_dest; /* where our INVITE went */
	ss_dns_query_t *dnsq;
	char *in_hdrs;		   /* Contact + Record-Route of our 1xx/2xx */
	char *out_extra, *out_sdp; /* our INVITE's parts while DNS runs */
	b2b_reinv_t reinv;
	ss_timer_t t_retx; /* 2xx retransmissions of both legs */
	ss_timer_t t_reap; /* ENDED: polls linger */
};

/* State of one worker loop; only that loop touches it. */
struct b2b_loop {
	alignas(64) ss_loop_t *loop;
	unsigned index;
	b2b_call_t **tab;
	uint32_t mask;
	unsigned count;
	b2b_call_t *all; /* every call, ended ones included */
	uint64_t rng;
	char *buf;	     /* B2B_BUF_SIZE: messages being built */
	char *sdp;	     /* B2B_SDP_MAX: rewritten bodies */
	ss_sip_msg_t *txmsg; /* requests built here, parsed for sending */
	ss_sip_msg_t *rxmsg; /* requests posted from another loop */
};

/* Module state. Written on the control loop in load/unload and (conf) by
 * reload; read on the workers. */
typedef struct b2b_global {
	const ss_module_t *self;
	const ss_sip_parser_api_t *parser;
	const ss_sip_txn_api_t *txn;
	const ss_rtp_relay_api_t *rtp;
	const ss_sip_transport_api_t *transport;
	const ss_dns_api_t *dns; /* optional */
	const b2b_conf_t *conf;
	b2b_loop_t *loops;
	unsigned nloops;
	int tasks;	  /* posted tasks not yet run (atomic) */
	int fwds;	  /* non-INVITE client transactions pending (atomic) */
	unsigned active;  /* live calls (atomic) */
	uint64_t total;	  /* calls accepted (atomic) */
	uint64_t refused; /* INVITEs answered 4xx/5xx by us (atomic) */
	uint64_t next_id; /* console ids (atomic) */
} b2b_global_t;

extern b2b_global_t b2b_g;

static inline const b2b_conf_t *b2b_conf(void)
{
	return __atomic_load_n(&b2b_g.conf, __ATOMIC_ACQUIRE);
}

/* ---- b2bua.c ---- */

/* The defaults of every element. */
void b2b_conf_defaults(b2b_conf_t *c);
/* Starts the module on the running loops with conf (taken over) and the
 * services already looked up in b2b_g: what load() does after reading the
 * config; tests call it directly. Control loop. 0 or -errno. */
int b2b_start(const ss_module_t *self, b2b_conf_t *conf);
/* Ends every call and frees the loops. Control loop. */
void b2b_stop(void);
extern const ss_cli_cmd_t b2b_commands[];

/* ---- b2b_call.c ---- */

/* The calling thread's worker state, or NULL. */
b2b_loop_t *b2b_loop_here(void);
int b2b_loop_init(b2b_loop_t *bl, unsigned index);
void b2b_loop_fini(b2b_loop_t *bl);
uint64_t b2b_rand(b2b_loop_t *bl);
/* A new call on bl (refs 1, owned by the table once inserted). */
b2b_call_t *b2b_call_new(b2b_loop_t *bl);
int b2b_call_insert(b2b_call_t *c);
b2b_call_t *b2b_call_find(b2b_loop_t *bl, uint64_t key);
b2b_call_t *b2b_call_ref(b2b_call_t *c);
/* Drops a reference and clears *cp; frees the call on the last one. */
void b2b_call_unref(b2b_call_t **cp);
/* Decodes one of our tags: 0 with key, loop and leg, or -EINVAL. */
int b2b_tag_parse(ss_str_t tag, uint64_t *key, unsigned *loop,
		  b2b_leg_id_t *leg);
/* Writes the tag of leg into c->leg[leg].local_tag. */
void b2b_tag_make(b2b_call_t *c, b2b_leg_id_t leg);
/* Keeps an INVITE client transaction until it terminates (takes a new
 * reference of it and one of the call). 0 or -ENOSPC. */
int b2b_call_linger(b2b_call_t *c, ss_sip_txn_t *txn);
/* Ends the call if nothing is pending any more: out of the table, relay
 * sessions freed, then reaped once its transactions are over. */
void b2b_call_check_done(b2b_call_t *c);
/* Hangs up from any state: CANCEL or BYE on the out leg, 480 or BYE on
 * the caller's. why is logged. */
void b2b_call_hangup(b2b_call_t *c, const char *why);
/* The relay's end callback (arg: the call). */
void b2b_call_media_end(ss_rtp_session_t *s, ss_rtp_end_reason_t why,
			void *arg);
/* Hangs up every call of the calling loop (module unload, first step). */
void b2b_loop_hangup_all(b2b_loop_t *bl);
/* Frees every call of the calling loop whatever its state (unload, once
 * the pending BYEs were answered or the wait for them is over). */
void b2b_loop_drain(b2b_loop_t *bl);
/* Calls fn on each call of the loop (console). */
void b2b_loop_foreach(b2b_loop_t *bl, void (*fn)(b2b_call_t *c, void *arg),
		      void *arg);
const char *b2b_state_name(b2b_state_t s);
/* Counts a posted task (unload waits for all of them to have run). */
void b2b_task_posted(void);
void b2b_task_done(void);

/* ---- b2b_srv.c ---- */

/* A handle on rx's server transaction, with a new reference. */
void b2b_srv_take(b2b_srv_t *srv, ss_sip_txn_t *txn);
/* Replies through the handle from the calling loop (posted when the
 * transaction is another loop's; opts are copied then). 0 or -errno. */
int b2b_srv_reply(b2b_srv_t *srv, unsigned code, const char *reason,
		  const ss_sip_resp_opts_t *opts);
/* Drops the handle's reference (on the transaction's loop). */
void b2b_srv_release(b2b_srv_t *srv);
/* The subscriber on "sip.request.in": routes requests to their calls,
 * takes new INVITEs for us. */
ss_bus_verdict_t b2b_on_request(ss_topic_t topic, void *msg, void *arg);

/* ---- b2b_msg.c ---- */

/* A bounded writer: past size it only counts, so one check at the end. */
typedef struct b2b_wbuf {
	char *p;
	size_t size, len;
} b2b_wbuf_t;

void b2b_put(b2b_wbuf_t *w, const char *s, size_t n);
void b2b_put_str(b2b_wbuf_t *w, ss_str_t s);
void b2b_put_c(b2b_wbuf_t *w, const char *s);
void b2b_putf(b2b_wbuf_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *b2b_strndup(ss_str_t s);
/* Writes `name-addr` of na without its tag parameter. */
void b2b_put_name_addr(b2b_wbuf_t *w, const ss_sip_name_addr_t *na);
/* Destination of a sip/sips URI with a numeric host: 0, -EAGAIN when the
 * host is a name (needs DNS), -EINVAL otherwise. */
int b2b_dest_from_uri(const ss_sip_uri_t *uri, ss_sip_dest_t *dst);
/* Our Contact value for sending to dst, into buf. */
int b2b_contact_for(const ss_sip_dest_t *dst, char *buf, size_t size);
/*
 * Sends a new request on leg (From/To/Call-ID/Route of the dialog, the
 * next local CSeq) as a client transaction to leg->dest: method, optional
 * extra header lines, SDP body (ctype "application/sdp") or another body.
 * *out gets a new reference. 0 or -errno.
 */
int b2b_leg_send(b2b_call_t *c, b2b_leg_id_t leg, const char *method,
		 ss_str_t extra, ss_str_t ctype, ss_str_t body,
		 ss_txn_response_fn fn, void *arg, ss_sip_txn_t **out);
/* Builds and sends the ACK of the peer's 2xx with CSeq cseq on leg (body:
 * an SDP answer or empty), keeping it for resends. 0 or -errno. */
int b2b_leg_ack(b2b_call_t *c, b2b_leg_id_t leg, uint32_t cseq, ss_str_t body);
/* Sets leg's dialog from a 2xx (or 1xx with a tag) the peer sent to our
 * INVITE: remote tag, target and route set; a UAC's view (12.1.2). */
int b2b_leg_from_response(b2b_call_t *c, b2b_leg_id_t leg, ss_sip_msg_t *msg);
/* The "Contact + Record-Route" lines of our responses to the caller. */
char *b2b_in_resp_hdrs(b2b_call_t *c, ss_sip_msg_t *req);
/* Copies the leg's peer 2xx target into a destination: first Route when
 * loose-routing, else the Contact; a name falls back to fallback. */
void b2b_leg_set_dest(b2b_call_t *c, b2b_leg_id_t leg,
		      const ss_sip_dest_t *fallback);

/* ---- b2b_sdp.c ---- */

/* A stream as one side's SDP announces it. */
typedef struct b2b_stream {
	uint16_t port; /* 0: disabled */
	uint16_t rtcp_port;
	ss_sip_addr_t addr; /* c= address with the m= port */
} b2b_stream_t;

typedef struct b2b_sdp_info {
	unsigned n;
	b2b_stream_t s[B2B_MAX_STREAMS];
} b2b_sdp_info_t;

/*
 * Reads the streams of a parsed SDP for relaying to a relay of `family`:
 * 0, or -EPROTONOSUPPORT (no c= for a stream, address type other than the
 * relay's, a name or a multicast address: answer 488), -E2BIG (too many
 * m= lines: 488).
 */
int b2b_sdp_read(const ss_sdp_t *sdp, int family, b2b_sdp_info_t *out);

/* What the rewritten SDP advertises. */
typedef struct b2b_sdp_out {
	const char *host; /* relay address; NULL keeps the c= addresses */
	int family;
	unsigned n;
	uint16_t port[B2B_MAX_STREAMS]; /* 0 for a disabled stream */
} b2b_sdp_out_t;

/*
 * Writes body (parsed as sdp) with every c= address (session and media
 * level) and the o= address set to out->host, each m= port to
 * out->port[i], a=rtcp to the relay's RTCP port and ICE candidates
 * dropped. Returns the length or -ENOSPC.
 */
ssize_t b2b_sdp_write(const ss_sdp_t *sdp, ss_str_t body,
		      const b2b_sdp_out_t *out, char *buf, size_t size);

/*
 * The SDP of msg from side `from` for the call: makes sure the relay has a
 * session per active stream (allocating missing ones with from's peer),
 * sets from's peers, and writes the body for the other side into bl->sdp.
 * Returns its length, 0 when msg has no SDP body, or -errno: -EPROTO and
 * -EPROTONOSUPPORT/-E2BIG/-EAFNOSUPPORT (488), -ENOSPC (503), other (500).
 */
ssize_t b2b_sdp_relay(b2b_call_t *c, ss_sip_msg_t *msg, b2b_leg_id_t from);
/* Frees the call's relay sessions. */
void b2b_sdp_release(b2b_call_t *c);
/* The status an error of b2b_sdp_relay maps to (488, 503 or 500). */
unsigned b2b_sdp_error_code(int err);
/* True when msg carries an SDP body. */
bool b2b_has_sdp(ss_sip_msg_t *msg);

/* ---- b2b_leg_in.c ---- */

/* A new INVITE for us on the calling loop: the call is set up and the
 * INVITE sent on. Consumes rx (always returns STOP). */
ss_bus_verdict_t b2b_in_invite(b2b_loop_t *bl, ss_sip_rx_t *rx);
/* Answers the caller's INVITE (provisional or final) with the relay's SDP
 * if sdp.len; a 2xx starts its retransmissions. */
int b2b_in_answer(b2b_call_t *c, unsigned code, const char *reason,
		  ss_str_t sdp, ss_str_t extra);
/* Starts retransmitting the 2xx just sent through srv (taken over) to
 * leg's peer (RFC 3261 13.3.1.4) until the ACK with CSeq cseq. */
void b2b_retx_start(b2b_call_t *c, b2b_leg_id_t leg, b2b_srv_t *srv,
		    uint32_t cseq, const char *hdrs, ss_str_t body);
void b2b_retx_stop(b2b_leg_t *lg);
void b2b_retx_timer(ss_timer_t *t);

/* ---- b2b_leg_out.c ---- */

/* Sends our INVITE (extra header lines; body: the rewritten offer, or
 * empty) to the next hop or the Request-URI's destination, through DNS
 * when it is a name. 0 or -errno (the caller answers the caller). */
int b2b_out_invite(b2b_call_t *c, const char *extra, ss_str_t sdp);
/* Cancels our INVITE (or its DNS query). */
void b2b_out_cancel(b2b_call_t *c);
/* A 2xx that arrived for an INVITE of ours on leg: ACK (now or once the
 * answer is known) and resend on retransmissions. */
void b2b_out_ack_2xx(b2b_call_t *c, b2b_leg_id_t leg, ss_sip_msg_t *msg,
		     uint32_t cseq, bool have_answer);

/* ---- b2b_dialog.c ---- */

/* An in-dialog request of leg's peer for call c on its loop; srv is the
 * request's server transaction handle (taken over), empty for an ACK. */
void b2b_dialog_request(b2b_call_t *c, b2b_leg_id_t leg, ss_sip_msg_t *msg,
			b2b_srv_t *srv);
/* Sends BYE on leg unless it is gone or one is pending. */
void b2b_dialog_bye(b2b_call_t *c, b2b_leg_id_t leg);

#endif
