/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the registrar module (RFC 3261 section 10, RFC 3327 Path):
 * its settings, the set of domains it serves, the services it calls and the
 * functions its files share. Nothing here is visible outside the module.
 */
#ifndef SS_REGISTRAR_REG_INT_H
#define SS_REGISTRAR_REG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipserver/bus.h>
#include <sipserver/cli.h>
#include <sipserver/sip/location.h>
#include <sipserver/sip/msg.h>
#include <sipserver/sip/parser.h>
#include <sipserver/sip/transaction.h>
#include <sipserver/sip/transport.h>

#define REG_HANDLER "registrar" /* rx->handled_by */

/* Contact values one REGISTER may carry. Beyond it the request is refused
 * with 403 before anything is looked up: no UA has a reason to send more,
 * and the location service refuses bigger updates anyway. */
#define REG_MAX_REQ_CONTACTS 64
/* User-Agent bytes kept per binding: enough to tell clients apart, short
 * enough not to dominate the memory of a binding. */
#define REG_UA_MAX 200
/* q of a Contact without one: RFC 3261 leaves it to the registrar; 1.0
 * makes such contacts rank with the best, which is what UAs expect. */
#define REG_DEFAULT_Q SS_LOC_Q_MAX

/* ---- served domains (reg_domain.c) ----------------------------------- */

/* An immutable set of host names, compared in the parser's host_key form
 * (case-insensitive, IPv6 literals canonical). */
typedef struct reg_domains reg_domains_t;

/* A new empty set, or NULL without memory. */
reg_domains_t *reg_domains_new(void);
/* Adds host (any spelling host_key accepts). 0, -EINVAL, -ENOMEM. Needs
 * reg_g.parser. */
int reg_domains_add(reg_domains_t *d, ss_str_t host);
/* True if host is in the set. Lock-free; any thread. */
bool reg_domains_has(const reg_domains_t *d, ss_str_t host);
/* True if host is in d or names the server itself (the transport's
 * host_is_local, when there is a transport). Lock-free; any thread. */
bool reg_domain_served(const reg_domains_t *d, ss_str_t host);
/* Number of names, and name i (0 <= i < count) for listing them. */
unsigned reg_domains_count(const reg_domains_t *d);
const char *reg_domains_name(const reg_domains_t *d, unsigned i);
/* Frees the set; NULL is ignored. */
void reg_domains_free(reg_domains_t *d);

/* ---- settings and shared state (registrar.c) ------------------------- */

/* What the configuration says; immutable once published, replaced as a
 * whole by reload and freed after every worker has moved past it. */
typedef struct reg_conf {
	uint32_t def_expires;  /* expiry of a Contact that names none */
	uint32_t min_expires;  /* shorter non-zero requests get 423 */
	uint32_t max_expires;  /* longer requests are shortened to it */
	unsigned max_contacts; /* bindings one AOR may hold */
	reg_domains_t *domains;
} reg_conf_t;

/* Counters, summed over every loop (relaxed atomics). The binding counts
 * come from the location service's change events, so they also cover
 * changes made from the console; the request counts are the registrar's. */
typedef struct reg_stats {
	uint64_t requests;  /* REGISTERs for our domains */
	uint64_t accepted;  /* 200 OK sent */
	uint64_t queries;   /* REGISTERs without Contact */
	uint64_t too_brief; /* 423 sent */
	uint64_t failures;  /* other final errors sent */
	uint64_t foreign;   /* REGISTERs for other domains, passed on */
	uint64_t added, refreshed, removed, expired; /* bindings */
} reg_stats_t;

#define REG_COUNT(field) \
	__atomic_add_fetch(&reg_g.st.field, 1, __ATOMIC_RELAXED)

/*
 * The module's state. The service pointers are bound by load() on the
 * control loop before the bus subscriptions exist and stay valid while the
 * module is loaded (they are in its requires list); conf is swapped
 * atomically by reload() and read with an acquire load by the workers.
 */
typedef struct reg_state {
	const ss_sip_parser_api_t *parser;
	const ss_sip_txn_api_t *txn;
	const ss_location_api_t *loc;
	const ss_sip_transport_api_t *tp; /* optional: NULL without it */
	reg_conf_t *conf;
	reg_stats_t st;
} reg_state_t;

extern reg_state_t reg_g;

/* The settings in force (borrowed until the current event is over). */
static inline const reg_conf_t *reg_conf(void)
{
	return __atomic_load_n(&reg_g.conf, __ATOMIC_ACQUIRE);
}

/* ---- REGISTER processing (reg_handle.c) ------------------------------ */

/*
 * The expiry of one Contact (RFC 3261 10.2.1.1, 10.3 step 7): its expires
 * parameter (param, -1 when absent), else the Expires header (hdr, -1 when
 * absent), else the configured default; capped at the maximum. 0 stays 0
 * (removal). Returns 0 with *out set, or -ERANGE when the chosen value is
 * non-zero and below the minimum (the caller answers 423).
 */
int reg_select_expires(const reg_conf_t *conf, int64_t param, int64_t hdr,
		       uint32_t *out);

/* The "sip.request.in" subscriber: consumes REGISTER for our domains
 * (SS_BUS_STOP), passes on everything else. Worker loop. */
ss_bus_verdict_t reg_on_request(ss_topic_t topic, void *msg, void *arg);

/* The SS_LOC_EVENT_TOPIC subscriber that keeps the binding counters. */
ss_bus_verdict_t reg_on_binding_event(ss_topic_t topic, void *msg, void *arg);

/* ---- responses (reg_reply.c) ----------------------------------------- */

/* What the 200 OK of a REGISTER needs once its change is committed. The
 * strings follow the struct in the same allocation. */
typedef struct reg_pending {
	ss_sip_txn_t *txn; /* reference held until the answer is sent */
	const char *aor;
	const char *path; /* Path to echo (UA supports path), or NULL */
} reg_pending_t;

/*
 * New pending answer for rx's transaction: takes a reference on rx->txn and
 * copies aor and path (NULL: nothing to echo). NULL without memory or
 * without a transaction. Freed by reg_apply_done().
 */
reg_pending_t *reg_pending_new(ss_sip_rx_t *rx, const char *aor,
			       const char *path);
/* Drops the reference and frees p (for when apply refused the update). */
void reg_pending_free(reg_pending_t *p);

/* The location service's completion for apply: answers 200 with the
 * contact list, or 500/503 when the change did not commit; frees arg (a
 * reg_pending_t). Runs on the loop that called apply. */
void reg_apply_done(void *arg, int result);

/*
 * Answers rx with 200 OK listing every live contact of aor with its
 * expires (and q below 1.0), a Date header (RFC 3261 10.3 step 8) and
 * path, if given, as the Path header. For queries, which change nothing.
 */
void reg_reply_ok_rx(ss_sip_rx_t *rx, const char *aor, const char *path);

/* Answers rx with an error and counts it: 423 as too_brief, others as
 * failures. extra_hdrs: complete header lines or NULL. */
void reg_reply_error(ss_sip_rx_t *rx, unsigned code, const char *reason,
		     const char *extra_hdrs);

/*
 * Writes the 200's header lines for the bindings of aor into buf (Contact
 * lines, Date, and "Path: path" when path is not NULL): returns the
 * length, or the size needed plus one (>= size) when buf is too small, or
 * -errno from the lookup. Exposed for the unit tests.
 */
ssize_t reg_ok_headers(const char *aor, const char *path, char *buf,
		       size_t size);

/* ---- console (registrar.c) ------------------------------------------- */

extern const ss_cli_cmd_t reg_cli_commands[];

#endif
