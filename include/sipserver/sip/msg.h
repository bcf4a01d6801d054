/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SIP message every SIP module shares: start line, header entries that
 * are slices of the receive buffer and get parsed when first asked for, the
 * body, a per-message arena, and the parsed header value types (Via,
 * name-addr, CSeq, tokens). The functions working on them are in parser.h.
 */
#ifndef SIPSERVER_SIP_MSG_H
#define SIPSERVER_SIP_MSG_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sipserver/sip/str.h>
#include <sipserver/sip/transport.h>
#include <sipserver/sip/uri.h>

typedef enum ss_sip_method {
	SS_SIP_METHOD_UNKNOWN = 0, /* an extension method: see method_str */
	SS_SIP_METHOD_INVITE,
	SS_SIP_METHOD_ACK,
	SS_SIP_METHOD_BYE,
	SS_SIP_METHOD_CANCEL,
	SS_SIP_METHOD_REGISTER,
	SS_SIP_METHOD_OPTIONS,
	SS_SIP_METHOD_INFO,
	SS_SIP_METHOD_PRACK,
	SS_SIP_METHOD_UPDATE,
	SS_SIP_METHOD_SUBSCRIBE,
	SS_SIP_METHOD_NOTIFY,
	SS_SIP_METHOD_REFER,
	SS_SIP_METHOD_MESSAGE,
	SS_SIP_METHOD_PUBLISH,
	SS_SIP_METHOD_COUNT
} ss_sip_method_t;

/*
 * Well-known header fields. Names are matched case-insensitively and the
 * compact forms of RFC 3261 7.3.3 and later RFCs map to the same id
 * (v Via, f From, t To, i Call-ID, m Contact, l Content-Length,
 * c Content-Type, e Content-Encoding, s Subject, k Supported, o Event,
 * u Allow-Events, r Refer-To, b Referred-By, x Session-Expires).
 */
typedef enum ss_sip_hdr_id {
	SS_SIP_HDR_OTHER = 0, /* an extension header: compare names */
	SS_SIP_HDR_VIA,
	SS_SIP_HDR_FROM,
	SS_SIP_HDR_TO,
	SS_SIP_HDR_CALL_ID,
	SS_SIP_HDR_CSEQ,
	SS_SIP_HDR_CONTACT,
	SS_SIP_HDR_MAX_FORWARDS,
	SS_SIP_HDR_ROUTE,
	SS_SIP_HDR_RECORD_ROUTE,
	SS_SIP_HDR_CONTENT_LENGTH,
	SS_SIP_HDR_CONTENT_TYPE,
	SS_SIP_HDR_EXPIRES,
	SS_SIP_HDR_MIN_EXPIRES,
	SS_SIP_HDR_AUTHORIZATION,
	SS_SIP_HDR_PROXY_AUTHORIZATION,
	SS_SIP_HDR_WWW_AUTHENTICATE,
	SS_SIP_HDR_PROXY_AUTHENTICATE,
	SS_SIP_HDR_AUTHENTICATION_INFO,
	SS_SIP_HDR_ALLOW,
	SS_SIP_HDR_SUPPORTED,
	SS_SIP_HDR_REQUIRE,
	SS_SIP_HDR_PROXY_REQUIRE,
	SS_SIP_HDR_UNSUPPORTED,
	SS_SIP_HDR_USER_AGENT,
	SS_SIP_HDR_SERVER,
	SS_SIP_HDR_PATH,
	SS_SIP_HDR_SERVICE_ROUTE,
	SS_SIP_HDR_EVENT,
	SS_SIP_HDR_ALLOW_EVENTS,
	SS_SIP_HDR_SUBSCRIPTION_STATE,
	SS_SIP_HDR_SUBJECT,
	SS_SIP_HDR_ACCEPT,
	SS_SIP_HDR_ACCEPT_ENCODING,
	SS_SIP_HDR_ACCEPT_LANGUAGE,
	SS_SIP_HDR_CONTENT_ENCODING,
	SS_SIP_HDR_CONTENT_DISPOSITION,
	SS_SIP_HDR_CONTENT_LANGUAGE,
	SS_SIP_HDR_MIME_VERSION,
	SS_SIP_HDR_RETRY_AFTER,
	SS_SIP_HDR_DATE,
	SS_SIP_HDR_TIMESTAMP,
	SS_SIP_HDR_ORGANIZATION,
	SS_SIP_HDR_WARNING,
	SS_SIP_HDR_PRIORITY,
	SS_SIP_HDR_REPLY_TO,
	SS_SIP_HDR_IN_REPLY_TO,
	SS_SIP_HDR_CALL_INFO,
	SS_SIP_HDR_ALERT_INFO,
	SS_SIP_HDR_ERROR_INFO,
	SS_SIP_HDR_REFER_TO,
	SS_SIP_HDR_REFERRED_BY,
	SS_SIP_HDR_RSEQ,
	SS_SIP_HDR_RACK,
	SS_SIP_HDR_REASON,
	SS_SIP_HDR_SESSION_EXPIRES,
	SS_SIP_HDR_MIN_SE,
	SS_SIP_HDR_P_ASSERTED_IDENTITY,
	SS_SIP_HDR_COUNT
} ss_sip_hdr_id_t;

/*
 * The per-message arena: parsed values, edited header values and grown
 * header arrays are carved from it. The inline block covers the common
 * message; bigger ones chain malloc'd blocks, freed when the message is
 * reset or finished. Not thread-safe: a message belongs to one loop.
 */
#define SS_SIP_ARENA_INLINE 4096
#define SS_SIP_ARENA_MAX    (4u << 20) /* bounds what hostile input can cost */

typedef struct ss_sip_arena_blk {
	struct ss_sip_arena_blk *next;
	size_t size;
	alignas(max_align_t) char data[];
} ss_sip_arena_blk_t;

typedef struct ss_sip_arena {
	char *cur;    /* next free byte of the current block */
	char *end;    /* end of the current block */
	size_t total; /* bytes of chained blocks, checked against the max */
	ss_sip_arena_blk_t *chain;
	alignas(max_align_t) char block[SS_SIP_ARENA_INLINE];
} ss_sip_arena_t;

/* Flags of a header entry. */
enum {
	SS_SIP_HDR_F_REMOVED = 1u << 0, /* skipped by getters and printer */
	SS_SIP_HDR_F_EDITED = 1u << 1,	/* printed from name + value */
	SS_SIP_HDR_F_PARSED = 1u << 2,	/* parsed holds the values */
	SS_SIP_HDR_F_BAD = 1u << 3,	/* parsing failed; parsed is NULL */
};

/* One header line as received (or added by a module). */
typedef struct ss_sip_hdr {
	uint16_t id;	/* ss_sip_hdr_id_t */
	uint16_t flags; /* SS_SIP_HDR_F_* */
	ss_str_t name;	/* as written: may be a compact form */
	ss_str_t value; /* trimmed; folded lines keep their CRLF + WSP */
	ss_str_t raw;	/* the whole line with its CRLF, for verbatim copy */
	struct ss_sip_value *parsed; /* first value, once parsed */
} ss_sip_hdr_t;

/* The head every parsed value starts with; values of one header line are
 * chained by next ("Via: a, b" gives two). */
typedef struct ss_sip_value {
	struct ss_sip_value *next;
	ss_str_t raw; /* this value's text, without the separating comma */
} ss_sip_value_t;

/* Via (RFC 3261 20.42, RFC 3581 rport). */
typedef struct ss_sip_via {
	ss_sip_value_t v;
	ss_str_t proto_name;		  /* "SIP" */
	ss_str_t proto_version;		  /* "2.0" */
	ss_str_t transport;		  /* "UDP", "TCP", "TLS", "SCTP", ... */
	ss_str_t host;			  /* sent-by host; IPv6 in brackets */
	uint16_t port;			  /* sent-by port, 0 when absent */
	bool rport;			  /* rport parameter present */
	uint16_t rport_value;		  /* its value, 0 when it has none */
	int ttl;			  /* -1 when absent */
	ss_str_t branch, received, maddr; /* s == NULL when absent */
	ss_sip_param_t *params;		  /* all parameters in order */
} ss_sip_via_t;

/* name-addr / addr-spec with parameters: From, To, Contact, Route,
 * Record-Route, Path, Service-Route, Reply-To, Refer-To, Referred-By,
 * P-Asserted-Identity. */
typedef struct ss_sip_name_addr {
	ss_sip_value_t v;
	ss_str_t display; /* without quotes, quoted-pairs kept; may be empty */
	ss_sip_uri_t uri;
	bool star;		/* Contact: * */
	ss_str_t tag;		/* s == NULL when absent */
	int q;			/* Contact q in thousandths, -1 when absent */
	int64_t expires;	/* Contact expires, -1 when absent */
	ss_sip_param_t *params; /* header parameters (not the URI's) */
} ss_sip_name_addr_t;

typedef struct ss_sip_cseq {
	ss_sip_value_t v;
	uint32_t seq;
	ss_sip_method_t method;
	ss_str_t method_str;
} ss_sip_cseq_t;

/* A token or media type with parameters: the values of list headers
 * (Allow, Supported, Require, Accept...) and of Content-Type, Event,
 * Subscription-State, Content-Disposition, Retry-After. */
typedef struct ss_sip_token {
	ss_sip_value_t v;
	ss_str_t value; /* before the first ';' ("application/sdp") */
	ss_sip_param_t *params;
} ss_sip_token_t;

/* Message flags. */
enum {
	SS_SIP_MSG_F_RURI_EDITED = 1u
				   << 0, /* start line rebuilt when printed */
	SS_SIP_MSG_F_BODY_EDITED = 1u << 1, /* Content-Length recomputed */
};

#define SS_SIP_MSG_INLINE_HDRS 32
#define SS_SIP_MSG_MAX_HDRS    512

/*
 * A parsed message. It borrows the buffer it was parsed from: slices stay
 * valid while that buffer does (for a received packet, the publish call).
 * Embed or put it on the stack, call ss_sip_msg_init() once, then parse
 * any number of messages into it and ss_sip_msg_fini() at the end. Never
 * copy the struct: the arena and header array point into it.
 */
typedef struct ss_sip_msg {
	const char *buf;
	size_t len;
	bool is_request;
	/* request line */
	ss_sip_method_t method;
	ss_str_t method_str;
	ss_str_t ruri_str;
	ss_sip_uri_t *ruri; /* parsed on first ss_sip_msg_ruri() */
	/* status line */
	unsigned status;
	ss_str_t reason;
	ss_str_t version;    /* "SIP/2.0" */
	ss_str_t start_line; /* without its CRLF */
	unsigned flags;	     /* SS_SIP_MSG_F_* */
	ss_sip_hdr_t *hdrs;  /* hdr_inline or a grown copy in the arena */
	unsigned nhdrs, cap;
	ss_str_t body;
	ss_sip_hdr_t hdr_inline[SS_SIP_MSG_INLINE_HDRS];
	ss_sip_arena_t arena;
} ss_sip_msg_t;

/* Iteration state over all values of one header id across lines. Zero it
 * (or use SS_SIP_ITER_INIT) before the first call. */
typedef struct ss_sip_iter {
	unsigned idx;
	const ss_sip_value_t *val;
} ss_sip_iter_t;

#define SS_SIP_ITER_INIT ((ss_sip_iter_t){0, NULL})

/*
 * What the parser module publishes on "sip.request.in" and
 * "sip.response.in" on the loop that received the packet. Borrowed for the
 * publish call, like the packet: copy what must outlive it. A subscriber
 * that consumes the message (returns SS_BUS_STOP) sets handled_by to its
 * module name for tracing; the transaction layer may hang its transaction
 * on txn for the subscribers after it.
 */
typedef struct ss_sip_rx {
	ss_sip_msg_t *msg;
	const ss_sip_packet_t *pkt;
	const char *handled_by;
	void *txn;
} ss_sip_rx_t;

#endif
