/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the redirect module (RFC 3261 8.3 and 21.3, RFC 3665 3.6):
 * its settings, the domains it answers for, the Contact set built from the
 * location service and the functions its files share.
 */
#ifndef SS_REDIRECT_REDIR_INT_H
#define SS_REDIRECT_REDIR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sipserver/bus.h>
#include <sipserver/cli.h>
#include <sipserver/sip/location.h>
#include <sipserver/sip/msg.h>
#include <sipserver/sip/parser.h>
#include <sipserver/sip/transaction.h>
#include <sipserver/sip/transport.h>

#define REDIR_HANDLER "redirect" /* rx->handled_by */

/* Contacts one answer may list (the <contacts max> ceiling). */
#define REDIR_MAX_CONTACTS 64
/* Bytes of contact URIs one answer may copy out of the location table and
 * bytes of Contact header lines it may send: a 3xx must fit a UDP
 * datagram with the rest of the response, so a set that does not is cut
 * after its best contacts rather than sent over a fragmenting path. */
#define REDIR_URI_SPACE	 6144
#define REDIR_HDRS_SPACE 8192

/* ---- served domains (redir_domain.c) --------------------------------- */

/* An immutable sorted set of host names in comparison form. */
typedef struct redir_domains redir_domains_t;

/*
 * Builds the set from the names in names[0..n) plus "localhost", in the
 * parser's host_key form (the registrar's too, so both modules agree on
 * which requests are for "our" domains). A name that is not a host is
 * reported through *bad (its index) with -EINVAL. Returns the set, or NULL
 * with *err set (-EINVAL, -ENOMEM). Needs redir_g.parser. Control loop.
 */
redir_domains_t *redir_domains_build(const char *const *names, unsigned n,
				     unsigned *bad, int *err);
/* True if host is in the set. Lock-free; any thread. */
bool redir_domains_has(const redir_domains_t *d, ss_str_t host);
/* True if host is in d or names the server itself (the transport's
 * host_is_local, when there is a transport). Lock-free; any thread. */
bool redir_domain_served(const redir_domains_t *d, ss_str_t host);
/* Number of names and name i, in sorted order, for listing them. */
unsigned redir_domains_count(const redir_domains_t *d);
const char *redir_domains_name(const redir_domains_t *d, unsigned i);
/* Frees the set; NULL is ignored. */
void redir_domains_free(redir_domains_t *d);

/* ---- settings and shared state (redirect.c) -------------------------- */

/* What the configuration says; immutable once published, replaced whole
 * by reload and freed after every worker has moved past it. */
typedef struct redir_conf {
	uint32_t methods;	/* bit (1 << ss_sip_method_t) per method */
	unsigned max_contacts;	/* contacts one answer lists */
	unsigned multiple_code; /* 300 or 302 when it lists several */
	redir_domains_t *domains;
} redir_conf_t;

/* Counters, summed over every loop (relaxed atomics). */
typedef struct redir_stats {
	uint64_t requests;    /* requests for our domains we answered */
	uint64_t moved;	      /* 302 sent */
	uint64_t multiple;    /* 300 sent */
	uint64_t not_found;   /* 404: no binding */
	uint64_t unavailable; /* 480: bindings, none usable */
	uint64_t contacts;    /* Contact values sent in 3xx answers */
	uint64_t truncated;   /* 3xx answers cut to fit or to max */
	uint64_t foreign;     /* requests for other domains, passed on */
	uint64_t errors;      /* answers that could not be sent */
} redir_stats_t;

#define REDIR_COUNT(field, n) \
	__atomic_add_fetch(&redir_g.st.field, (n), __ATOMIC_RELAXED)

/*
 * The module's state. The service pointers are bound by load() on the
 * control loop before the bus subscription exists and stay valid while the
 * module is loaded (they are in its requires list; transport is optional
 * and only read at load and reload); conf is swapped atomically by
 * reload() and read with an acquire load by the workers.
 */
typedef struct redir_state {
	const ss_sip_parser_api_t *parser;
	const ss_sip_txn_api_t *txn;
	const ss_location_api_t *loc;
	const ss_sip_transport_api_t *tp;
	redir_conf_t *conf;
	redir_stats_t st;
} redir_state_t;

extern redir_state_t redir_g;

/* The settings in force (borrowed until the current event is over). */
static inline const redir_conf_t *redir_conf(void)
{
	return __atomic_load_n(&redir_g.conf, __ATOMIC_ACQUIRE);
}

/* ---- the Contact set (redir_handle.c) -------------------------------- */

/* One contact kept for the answer; its URI is in the set's uris[]. */
typedef struct redir_contact {
	uint32_t off;	     /* URI offset in uris[] */
	uint32_t len;	     /* URI length */
	uint32_t expires_in; /* seconds left, >= 1 */
	uint16_t q;	     /* 0..SS_LOC_Q_MAX */
	uint16_t rank;	     /* order the location service listed it in */
} redir_contact_t;

/*
 * The contacts of one AOR as copied out of the location service, so that
 * the shard lock is held only while copying. Lives on the worker's stack
 * for one request.
 */
typedef struct redir_set {
	unsigned seen;	  /* live contacts the location service listed */
	unsigned n;	  /* contacts kept in c[] */
	unsigned dropped; /* unusable for this request (see filter) */
	bool truncated;	  /* more usable contacts than fit */
	bool secure;	  /* filter: keep sips: contacts only */
	unsigned max;	  /* filter: keep at most this many */
	size_t used;	  /* bytes of uris[] in use */
	redir_contact_t c[REDIR_MAX_CONTACTS];
	char uris[REDIR_URI_SPACE];
} redir_set_t;

/*
 * Fills set with the live contacts of aor (a location key, see the
 * parser's aor_key) through loc->lookup, keeping at most max of them and,
 * when secure (a sips: Request-URI, RFC 3261 26.2.2), only sips: ones, then
 * orders them by q, highest first, keeping the location service's order
 * among equal q (most recently registered first). Returns 0, or the
 * lookup's negative error.
 */
int redir_collect(redir_set_t *set, const ss_location_api_t *loc,
		  const char *aor, bool secure, unsigned max);

/*
 * The answer a collected set calls for:
 *   404 Not Found                when the location service listed nothing
 *                                (it keeps no trace of an AOR without
 *                                bindings, so an unknown AOR and one whose
 *                                bindings all expired look the same);
 *   480 Temporarily Unavailable  when it listed contacts but none may be
 *                                offered for this request (all dropped);
 *   302 Moved Temporarily        for one contact;
 *   conf->multiple_code          (300 or 302) for several.
 */
unsigned redir_status(const redir_conf_t *conf, const redir_set_t *set);

/*
 * Writes one "Contact: <uri>;q=Q;expires=N" line per kept contact into
 * buf, in the set's order. Contacts that do not fit are left out (the set
 * is then marked truncated). Returns the bytes written, NUL-terminated;
 * size must be at least 1.
 */
size_t redir_contact_lines(redir_set_t *set, char *buf, size_t size);

/* Drops from set the contacts whose location key is aor itself: sending
 * the caller back to the URI it just tried would loop. Uses arena for
 * parsing (the request's). */
void redir_drop_self(redir_set_t *set, const char *aor, ss_sip_arena_t *arena);

/* The "sip.request.in" subscriber: answers the configured methods for our
 * domains with 3xx/404/480 (SS_BUS_STOP) and passes everything else on.
 * Worker loop. */
ss_bus_verdict_t redir_on_request(ss_topic_t topic, void *msg, void *arg);

/* ---- console (redirect.c) -------------------------------------------- */

extern const ss_cli_cmd_t redir_cli_commands[];

#endif
