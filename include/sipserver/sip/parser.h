/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SIP parser and serializer, and the `parser` service through which
 * every other module reaches it.
 *
 * Modules are separate .so files that export only their descriptor, so a
 * module cannot call the functions below directly: it fetches the service
 * in load() (ss_service_get("parser", SS_SIP_PARSER_API_VERSION)) and calls
 * through the vtable, like Kamailio's bound module APIs. One copy of the
 * code serves the whole process. The plain prototypes are for the parser
 * module itself and for programs linked with its sources (unit tests, the
 * fuzzer, the benchmark); such programs can also use &ss_sip_parser_api.
 *
 * Threading: a message and its arena belong to the loop handling it; the
 * functions keep no global mutable state and are safe on any loop.
 */
#ifndef SIPSERVER_SIP_PARSER_H
#define SIPSERVER_SIP_PARSER_H

#include <stdint.h>
#include <sys/types.h>
#include <sipserver/sip/msg.h>
#include <sipserver/sip/sdp.h>
#include <sipserver/sip/uri.h>

/* Why a message was rejected: the status to answer a request with (400,
 * 413, 416, 505) and a reason phrase naming the problem (static string). */
typedef struct ss_sip_error {
	unsigned status;
	const char *reason;
} ss_sip_error_t;

/* Where ss_sip_msg_hdr_add() puts a header: before the first / after the
 * last header with the same id (at the top / bottom when there is none). */
typedef enum ss_sip_where {
	SS_SIP_PREPEND = 0,
	SS_SIP_APPEND = 1,
} ss_sip_where_t;

/* Optional parts of a response built by ss_sip_build_response(). */
typedef struct ss_sip_resp_opts {
	ss_str_t to_tag;     /* added to To when it has none (not for 100) */
	ss_str_t extra_hdrs; /* complete "Name: value\r\n" lines */
	ss_str_t ctype;	     /* Content-Type of body; empty: no body */
	ss_str_t body;
} ss_sip_resp_opts_t;

/* ---- arena ---- */

void ss_sip_arena_init(ss_sip_arena_t *a);
/* Aligned memory living until reset/fini, or NULL past SS_SIP_ARENA_MAX. */
void *ss_sip_arena_alloc(ss_sip_arena_t *a, size_t size);
/* Copies len bytes into the arena; .s == NULL on failure. */
ss_str_t ss_sip_arena_dup(ss_sip_arena_t *a, const char *s, size_t len);
/* Frees chained blocks and rewinds the inline block. */
void ss_sip_arena_reset(ss_sip_arena_t *a);
void ss_sip_arena_fini(ss_sip_arena_t *a);

/* ---- names ---- */

/* Header id of a name (long or compact form, any case); OTHER if unknown. */
ss_sip_hdr_id_t ss_sip_hdr_lookup(const char *name, size_t len);
/* Canonical long name of a well-known header, NULL for OTHER. */
const char *ss_sip_hdr_name(ss_sip_hdr_id_t id);
/* Method id of a method token (case-sensitive, RFC 3261 7.1). */
ss_sip_method_t ss_sip_method_lookup(const char *s, size_t len);
const char *ss_sip_method_name(ss_sip_method_t m);
/* Default reason phrase of a status code ("Not Found"), never NULL. */
const char *ss_sip_reason_phrase(unsigned code);

/* ---- parsing ---- */

/* Prepares an embedded or stack message; cheap (no memset of the arrays). */
void ss_sip_msg_init(ss_sip_msg_t *msg);
/* Releases what parsing allocated beyond the inline blocks. */
void ss_sip_msg_fini(ss_sip_msg_t *msg);

/*
 * Parses the start line and frames the header lines and body of buf (len
 * bytes, borrowed; need not be NUL-terminated) into msg, resetting it
 * first. Header values are not parsed yet. Octets after Content-Length
 * bytes of body are ignored (RFC 3261 18.3). Returns 0, -EINVAL with *err
 * set (msg->is_request tells whether an answer is possible; the headers
 * framed so far stay usable to build it), or -ENOMEM.
 */
int ss_sip_msg_parse(ss_sip_msg_t *msg, const char *buf, size_t len,
		     ss_sip_error_t *err);

/*
 * Validates what every SIP element relies on: one From, To, Call-ID and
 * CSeq that parse, a Via that parses, CSeq method matching the request
 * method, a supported Request-URI scheme without headers, a sane
 * Max-Forwards and parseable Contacts. Returns 0 or -EINVAL with *err.
 */
int ss_sip_msg_check(ss_sip_msg_t *msg, ss_sip_error_t *err);

/* ---- access (entries are borrowed; editing may move them) ---- */

ss_sip_hdr_t *ss_sip_msg_hdr(const ss_sip_msg_t *msg, ss_sip_hdr_id_t id);
/* Next entry with the same id (same name for OTHER), or NULL. */
ss_sip_hdr_t *ss_sip_msg_hdr_next(const ss_sip_msg_t *msg,
				  const ss_sip_hdr_t *h);
/* First entry whose name matches (compact forms resolve to their id). */
ss_sip_hdr_t *ss_sip_msg_hdr_by_name(const ss_sip_msg_t *msg, ss_str_t name);
unsigned ss_sip_msg_hdr_count(const ss_sip_msg_t *msg, ss_sip_hdr_id_t id);

/*
 * Values of one header line, parsed on first call and cached: a chain of
 * ss_sip_via_t, ss_sip_name_addr_t, ss_sip_cseq_t, ss_sip_token_t or, for
 * other headers, one ss_sip_value_t holding the whole value. NULL if the
 * line does not parse (or is empty). Values live in the message arena.
 */
const ss_sip_value_t *ss_sip_hdr_values(ss_sip_msg_t *msg, ss_sip_hdr_t *h);
/* Next value of header id across lines and commas; NULL at the end or on
 * a line that does not parse. Start with a zeroed iterator. */
const ss_sip_value_t *
ss_sip_msg_next_value(ss_sip_msg_t *msg, ss_sip_hdr_id_t id, ss_sip_iter_t *it);
/* The idx-th Via value (0 is the top one), or NULL. */
const ss_sip_via_t *ss_sip_msg_via(ss_sip_msg_t *msg, unsigned idx);
/* The idx-th value of a name-addr header (From, To, Contact, Route...). */
const ss_sip_name_addr_t *ss_sip_msg_addr(ss_sip_msg_t *msg, ss_sip_hdr_id_t id,
					  unsigned idx);
const ss_sip_cseq_t *ss_sip_msg_cseq(ss_sip_msg_t *msg);
/* Call-ID value; .s == NULL when absent. */
ss_str_t ss_sip_msg_call_id(const ss_sip_msg_t *msg);
/* Unsigned 32-bit value of the first header id (Max-Forwards, Expires,
 * Content-Length...): 0, -ENOENT, -EINVAL or -ERANGE. */
int ss_sip_msg_uint(const ss_sip_msg_t *msg, ss_sip_hdr_id_t id, uint32_t *out);
/* The parsed Request-URI (cached), or NULL for responses and bad URIs. */
const ss_sip_uri_t *ss_sip_msg_ruri(ss_sip_msg_t *msg);

/* Parses a URI (sip, sips, tel or any absoluteURI) from text; parameter
 * lists come from a. Returns 0, -EINVAL or -ENOMEM. */
int ss_sip_uri_parse(ss_sip_arena_t *a, ss_str_t text, ss_sip_uri_t *uri);

/* Longest host name a host or AOR key holds (RFC 1035), NUL excluded. */
#define SS_SIP_HOST_MAX 255

/*
 * Writes the comparison form of a host into out: lower case, one final
 * dot of a fully qualified name dropped, an IPv6 literal (with or without
 * brackets) as "[RFC 5952 form]". Returns its length, or -EINVAL for an
 * empty host, one longer than SS_SIP_HOST_MAX or one with a character no
 * host name or address has. out holds SS_SIP_HOST_MAX + 1 bytes and is
 * NUL-terminated. Any thread.
 */
int ss_sip_host_key(ss_str_t host, char *out);

/*
 * Writes the index key of an address-of-record (RFC 3261 10.3 step 5) into
 * out: "sip:user@host" for a sip or sips URI (RFC 5630: both name the same
 * resource), the user part with escapes decoded where the decoded octet
 * may stand unescaped (others kept as upper-case %HH), the host in
 * ss_sip_host_key form, port and parameters dropped. The registrar stores
 * bindings under this key and every lookup must build it the same way.
 * Returns the length (out NUL-terminated), or -EINVAL (NULL uri, another
 * scheme, no user, bad host) or -ENAMETOOLONG (does not fit in size).
 * Any thread.
 */
int ss_sip_aor_key(const ss_sip_uri_t *uri, char *out, size_t size);

/* Parses an SDP body; lists come from a. 0, -EINVAL or -ENOMEM. */
int ss_sdp_parse(ss_sip_arena_t *a, ss_str_t body, ss_sdp_t *sdp);

/* ---- editing (values are copied into the arena) ---- */

/* Adds "name: value"; name.len == 0 uses the canonical name of id.
 * Returns 0, -EINVAL or -ENOMEM. Invalidates ss_sip_hdr_t pointers. */
int ss_sip_msg_hdr_add(ss_sip_msg_t *msg, ss_sip_hdr_id_t id, ss_str_t name,
		       ss_str_t value, ss_sip_where_t where);
void ss_sip_msg_hdr_remove(ss_sip_msg_t *msg, ss_sip_hdr_t *h);
int ss_sip_msg_hdr_replace(ss_sip_msg_t *msg, ss_sip_hdr_t *h, ss_str_t value);
/* Removes the first value of id (the top Via or Route), keeping the other
 * values of its line. 0, -ENOENT, -EINVAL or -ENOMEM. */
int ss_sip_msg_remove_first_value(ss_sip_msg_t *msg, ss_sip_hdr_id_t id);
int ss_sip_msg_set_ruri(ss_sip_msg_t *msg, ss_str_t uri);
/* Replaces the body; ctype.len == 0 removes Content-Type. */
int ss_sip_msg_set_body(ss_sip_msg_t *msg, ss_str_t ctype, ss_str_t body);
/* Sets received= (when received.len) and rport=N (when rport >= 0) on the
 * top Via, replacing earlier ones (RFC 3261 18.2.1, RFC 3581 4). */
int ss_sip_msg_via_set_received(ss_sip_msg_t *msg, ss_str_t received,
				int rport);

/* ---- serializing ---- */

/*
 * Writes the message into buf: untouched lines are copied verbatim in runs,
 * edited ones rebuilt; Content-Length is recomputed when the body changed
 * or was absent. Returns the length, or -ENOSPC if size is too small.
 */
ssize_t ss_sip_msg_print(const ss_sip_msg_t *msg, char *buf, size_t size);

/*
 * Builds a response to req (RFC 3261 8.2.6): copies every Via, From, To
 * (adding opts->to_tag if To has none), Call-ID, CSeq and Timestamp, then
 * opts' extra headers, Content-Length and body. Headers req lacks are
 * skipped, so it also answers requests that failed parsing. reason NULL
 * picks the default phrase. Returns the length or -ENOSPC.
 */
ssize_t ss_sip_build_response(ss_sip_msg_t *req, unsigned code,
			      const char *reason,
			      const ss_sip_resp_opts_t *opts, char *buf,
			      size_t size);

/* ---- the service ---- */

#define SS_SIP_PARSER_API_VERSION 1

/* Counters of the parser module (sums over all loops). */
typedef struct ss_sip_parser_stats {
	uint64_t requests;  /* parsed and published */
	uint64_t responses; /* parsed and published */
	uint64_t malformed; /* requests rejected with an error response */
	uint64_t dropped;   /* responses / garbage that could not be parsed */
} ss_sip_parser_stats_t;

/* The `parser` service: the functions above, same contracts. */
typedef struct ss_sip_parser_api {
	unsigned version;
	void (*msg_init)(ss_sip_msg_t *msg);
	void (*msg_fini)(ss_sip_msg_t *msg);
	int (*parse)(ss_sip_msg_t *msg, const char *buf, size_t len,
		     ss_sip_error_t *err);
	int (*check)(ss_sip_msg_t *msg, ss_sip_error_t *err);
	ss_sip_hdr_t *(*hdr)(const ss_sip_msg_t *msg, ss_sip_hdr_id_t id);
	ss_sip_hdr_t *(*hdr_next)(const ss_sip_msg_t *msg,
				  const ss_sip_hdr_t *h);
	ss_sip_hdr_t *(*hdr_by_name)(const ss_sip_msg_t *msg, ss_str_t name);
	unsigned (*hdr_count)(const ss_sip_msg_t *msg, ss_sip_hdr_id_t id);
	const ss_sip_value_t *(*hdr_values)(ss_sip_msg_t *msg, ss_sip_hdr_t *h);
	const ss_sip_value_t *(*next_value)(ss_sip_msg_t *msg,
					    ss_sip_hdr_id_t id,
					    ss_sip_iter_t *it);
	const ss_sip_via_t *(*via)(ss_sip_msg_t *msg, unsigned idx);
	const ss_sip_name_addr_t *(*addr)(ss_sip_msg_t *msg, ss_sip_hdr_id_t id,
					  unsigned idx);
	const ss_sip_cseq_t *(*cseq)(ss_sip_msg_t *msg);
	ss_str_t (*call_id)(const ss_sip_msg_t *msg);
	int (*uint_value)(const ss_sip_msg_t *msg, ss_sip_hdr_id_t id,
			  uint32_t *out);
	const ss_sip_uri_t *(*ruri)(ss_sip_msg_t *msg);
	int (*uri_parse)(ss_sip_arena_t *a, ss_str_t text, ss_sip_uri_t *uri);
	int (*sdp_parse)(ss_sip_arena_t *a, ss_str_t body, ss_sdp_t *sdp);
	int (*hdr_add)(ss_sip_msg_t *msg, ss_sip_hdr_id_t id, ss_str_t name,
		       ss_str_t value, ss_sip_where_t where);
	void (*hdr_remove)(ss_sip_msg_t *msg, ss_sip_hdr_t *h);
	int (*hdr_replace)(ss_sip_msg_t *msg, ss_sip_hdr_t *h, ss_str_t value);
	int (*remove_first_value)(ss_sip_msg_t *msg, ss_sip_hdr_id_t id);
	int (*set_ruri)(ss_sip_msg_t *msg, ss_str_t uri);
	int (*set_body)(ss_sip_msg_t *msg, ss_str_t ctype, ss_str_t body);
	int (*via_set_received)(ss_sip_msg_t *msg, ss_str_t received,
				int rport);
	ssize_t (*print)(const ss_sip_msg_t *msg, char *buf, size_t size);
	ssize_t (*build_response)(ss_sip_msg_t *req, unsigned code,
				  const char *reason,
				  const ss_sip_resp_opts_t *opts, char *buf,
				  size_t size);
	void (*arena_init)(ss_sip_arena_t *a);
	void *(*arena_alloc)(ss_sip_arena_t *a, size_t size);
	ss_str_t (*arena_dup)(ss_sip_arena_t *a, const char *s, size_t len);
	void (*arena_fini)(ss_sip_arena_t *a);
	ss_sip_hdr_id_t (*hdr_lookup)(const char *name, size_t len);
	const char *(*hdr_name)(ss_sip_hdr_id_t id);
	ss_sip_method_t (*method_lookup)(const char *s, size_t len);
	const char *(*method_name)(ss_sip_method_t m);
	const char *(*reason_phrase)(unsigned code);
	/* Module counters; NULL in programs that link the sources. */
	void (*stats)(ss_sip_parser_stats_t *out);
	/* Appended members: callers built against an older header never
	 * reach them. */
	int (*aor_key)(const ss_sip_uri_t *uri, char *out, size_t size);
	int (*host_key)(ss_str_t host, char *out);
} ss_sip_parser_api_t;

/* The functions above as a vtable (stats == NULL): what the module
 * publishes, and what tests of other modules can use without it. */
extern const ss_sip_parser_api_t ss_sip_parser_api;

#endif
