/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private types of the dns module: record sets, the TTL cache and the
 * blocklist shared by all loops, the per-worker c-ares resolvers, and the
 * RFC 3263 query that walks NAPTR, SRV and A/AAAA.
 */
#ifndef SS_MODULES_DNS_INT_H
#define SS_MODULES_DNS_INT_H

#include <ares.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <sipserver/loop.h>
#include <sipserver/module.h>
#include <sipserver/sip/dns.h>
#include <sipserver/timer.h>

#define DNS_NAME_MAX	     255 /* presentation form, NUL excluded */
#define DNS_MAX_SERVERS	     8
#define DNS_CACHE_STRIPES    16 /* power of two */
#define DNS_MAX_SRV_LOOKUPS  4	/* SRV names asked per query */
#define DNS_MAX_TARGETS	     8	/* SRV targets whose addresses are asked */
#define DNS_MAX_LOOKUPS	     (2 * DNS_MAX_TARGETS)
#define DNS_MAX_RRS	     32	  /* records kept per answer */
#define DNS_BLOCK_MAX	     1024 /* blocklist entries */
#define DNS_DEFAULT_PORT     5060
#define DNS_DEFAULT_TLS_PORT 5061

enum { DNS_T_A = 1, DNS_T_AAAA = 28, DNS_T_SRV = 33, DNS_T_NAPTR = 35 };

/* ---- record sets (dns_rrset.c) ---- */

/* One record, the fields its type uses. */
typedef struct dns_rr {
	uint16_t prio;	  /* SRV priority, NAPTR order */
	uint16_t weight;  /* SRV weight, NAPTR preference */
	uint16_t port;	  /* SRV port */
	uint8_t proto;	  /* NAPTR: transport of the service */
	uint8_t family;	  /* A: AF_INET, AAAA: AF_INET6 */
	const char *name; /* SRV target, NAPTR replacement (in the set) */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} ip;
} dns_rr_t;

/*
 * The answer to one question, positive (n >= 0 records; NAPTR keeps only
 * SIP services with the "S" flag) or negative (status -ENOENT for NXDOMAIN,
 * -ENODATA for no record of the type). Immutable once built and shared by
 * reference count between the cache and the queries reading it.
 */
typedef struct dns_rrset {
	atomic_uint refs;
	uint16_t type;
	int status;
	uint32_t ttl; /* seconds, as the answer gave it */
	unsigned n;
	dns_rr_t rr[]; /* followed by the names */
} dns_rrset_t;

/* Builds the set for an answer of c-ares status ares_status to a question
 * of type. Returns 0 and a new reference in *out, or a negative error for
 * answers that are not cacheable (-ETIMEDOUT, -EIO, -ENOMEM, -ECANCELED).
 * neg_ttl is the TTL of a negative answer that carries no SOA. */
int dns_rrset_from_answer(uint16_t type, int ares_status,
			  const unsigned char *abuf, int alen, uint32_t neg_ttl,
			  dns_rrset_t **out);
/* Minimum TTL of the answer records, or for an answer without any, of the
 * SOA in the authority section (RFC 2308). false when there is neither. */
bool dns_wire_ttl(const unsigned char *abuf, int alen, uint32_t *ttl);
dns_rrset_t *dns_rrset_ref(dns_rrset_t *set);
/* Drops a reference and clears the caller's pointer. */
void dns_rrset_unref(dns_rrset_t **set);
const char *dns_type_name(uint16_t type);

/* ---- cache and blocklist (dns_cache.c) ---- */

typedef struct dns_centry dns_centry_t;

typedef struct dns_stripe {
	pthread_mutex_t lock;
	dns_centry_t **buckets;
	unsigned nbuckets; /* power of two */
	unsigned count;
	dns_centry_t *lru_head, *lru_tail; /* head: most recently used */
} dns_stripe_t;

/* Answers by (name, type), striped by hash so that loops rarely contend;
 * each stripe holds at most max_entries / DNS_CACHE_STRIPES entries and
 * drops its least recently used one to make room. */
typedef struct dns_cache {
	dns_stripe_t stripes[DNS_CACHE_STRIPES];
	atomic_uint per_stripe; /* 0: caching off */
	atomic_uint min_ttl, max_ttl;
	atomic_ulong hits, misses;
} dns_cache_t;

int dns_cache_init(dns_cache_t *c, unsigned max_entries, unsigned min_ttl,
		   unsigned max_ttl);
void dns_cache_destroy(dns_cache_t *c);
/* New limits; entries over the bound go at once. Any thread. */
void dns_cache_set_limits(dns_cache_t *c, unsigned max_entries,
			  unsigned min_ttl, unsigned max_ttl);
/* The live set for (name, type) (name compared without case), as a new
 * reference, or NULL. Any thread. */
dns_rrset_t *dns_cache_get(dns_cache_t *c, const char *name, uint16_t type,
			   uint64_t now_ms);
/* Stores set (takes its own reference) for its TTL clamped to
 * [min_ttl, max_ttl]; a TTL of 0 after clamping stores nothing. */
void dns_cache_put(dns_cache_t *c, const char *name, dns_rrset_t *set,
		   uint64_t now_ms);
void dns_cache_flush(dns_cache_t *c);
/* Calls fn for each live entry, one stripe lock held at a time: fn must
 * not call back into the cache. Returns the number of entries seen. */
unsigned dns_cache_foreach(dns_cache_t *c, uint64_t now_ms,
			   void (*fn)(void *arg, const char *name,
				      const dns_rrset_t *set,
				      uint64_t expires_ms),
			   void *arg);

typedef struct dns_block_entry {
	ss_sip_dest_t dest;
	uint64_t until_ms;
} dns_block_entry_t;

/* Destinations that failed, each for `duration` ms; bounded (the entry
 * nearest to expiry gives way). One lock: it holds a handful of entries. */
typedef struct dns_blocklist {
	pthread_mutex_t lock;
	dns_block_entry_t *e;
	unsigned n, max;
	uint64_t duration_ms;
} dns_blocklist_t;

int dns_block_init(dns_blocklist_t *b, unsigned max, uint64_t duration_ms);
void dns_block_destroy(dns_blocklist_t *b);
void dns_block_set_duration(dns_blocklist_t *b, uint64_t duration_ms);
void dns_block_mark(dns_blocklist_t *b, const ss_sip_dest_t *d,
		    uint64_t now_ms);
bool dns_block_has(dns_blocklist_t *b, const ss_sip_dest_t *d, uint64_t now_ms);
/* Moves blocked destinations to the end, keeping the order within the
 * two groups. */
void dns_block_order(dns_blocklist_t *b, ss_sip_dest_t *d, unsigned n,
		     uint64_t now_ms);
void dns_block_flush(dns_blocklist_t *b);
/* Copies up to max live entries into out; returns how many. */
unsigned dns_block_snapshot(dns_blocklist_t *b, dns_block_entry_t *out,
			    unsigned max, uint64_t now_ms);
bool dns_dest_equal(const ss_sip_dest_t *a, const ss_sip_dest_t *b);

/* ---- settings and module state (dns.c) ---- */

typedef struct dns_server {
	char address[64];
	unsigned port;
} dns_server_t;

/* What a channel is built from; a change makes new channels. */
typedef struct dns_chan_cfg {
	dns_server_t servers[DNS_MAX_SERVERS];
	unsigned nservers; /* 0: the system's resolv.conf */
	unsigned timeout_ms, tries;
} dns_chan_cfg_t;

/* What a query reads; each resolver keeps its own copy. */
typedef struct dns_query_cfg {
	bool ipv4, ipv6, prefer_ipv6;
	uint32_t negative_ttl;
} dns_query_cfg_t;

typedef struct dns_settings {
	dns_chan_cfg_t chan;
	dns_query_cfg_t query;
	unsigned cache_max, min_ttl, max_ttl;
	unsigned block_duration; /* seconds */
} dns_settings_t;

typedef struct dns_res dns_res_t;

/* The module while loaded. Written by load/reload/unload on the control
 * loop; the workers read it between (ss_loop_run_on_workers orders both). */
typedef struct dns_state {
	ss_module_t *self;
	dns_settings_t set;
	dns_cache_t cache;
	dns_blocklist_t block;
	dns_res_t **res; /* one per worker */
	unsigned nres;
} dns_state_t;

extern dns_state_t *dns;
extern const ss_dns_api_t dns_api;

/* Monotonic ms: the calling loop's cached clock, or the system's. */
uint64_t dns_now_ms(void);
/* "udp 192.0.2.1:5060" style text of a destination. */
const char *dns_dest_str(const ss_sip_dest_t *d, char *buf, unsigned size);

/* Console commands (dns_cli.c). */
extern const ss_cli_cmd_t dns_commands[];

/* ---- resolvers (dns_resolver.c) ---- */

typedef struct dns_chan dns_chan_t;
typedef struct dns_lookup dns_lookup_t;

typedef struct dns_res_stats {
	atomic_ulong queries, sent, answers, failures, timeouts;
} dns_res_stats_t;

struct dns_res {
	ss_loop_t *loop;
	dns_chan_t *chan;	 /* new lookups go here */
	dns_chan_t *old;	 /* previous settings, freed once drained */
	ss_timer_t reap;	 /* frees `old` outside c-ares callbacks */
	ss_dns_query_t *queries; /* live queries, for unload */
	dns_query_cfg_t cfg;
	uint64_t rnd; /* xorshift64 state for SRV weights */
	bool closing; /* being destroyed: resolve() refuses */
	dns_res_stats_t st;
};

/* Creates the resolver of the calling worker (dns->res[index]) from cfg.
 * Runs on that worker. Returns 0 or a negative error. */
int dns_res_create(unsigned index, const dns_chan_cfg_t *ccfg,
		   const dns_query_cfg_t *qcfg);
/* A channel for cfg, not yet attached to a resolver: reload makes them
 * all on the control loop first so that it can fail without a change.
 * NULL on error (logged). dns_chan_discard frees one never attached. */
dns_chan_t *dns_chan_new(const dns_chan_cfg_t *cfg);
void dns_chan_discard(dns_chan_t *c);
/* Switches the calling worker's resolver to new settings and, when c is
 * not NULL, to channel c (taken over); lookups in flight finish on the
 * old channel. Runs on that worker. */
void dns_res_reconfigure(dns_res_t *r, dns_chan_t *c,
			 const dns_query_cfg_t *qcfg);
/* Cancels everything (callbacks get -ECANCELED) and frees the resolver.
 * Runs on its worker. */
void dns_res_destroy(dns_res_t *r);
/* The calling worker's resolver, or NULL off the workers. */
dns_res_t *dns_res_self(void);
uint32_t dns_res_random(dns_res_t *r);

/* One question of a query: answered from the cache or by c-ares. */
struct dns_lookup {
	ss_dns_query_t *q;
	dns_chan_t *chan; /* while c-ares holds it */
	const char *name; /* borrowed from the query */
	uint16_t type;
	uint16_t port;	  /* address phase: port of the destinations */
	uint8_t proto;	  /* SRV and address phases: transport */
	int status;	  /* 0, or the lookup's error once done */
	dns_rrset_t *set; /* answer, positive or negative */
};

/* Starts lk (its q, name and type set): from the cache when it holds the
 * answer, else through c-ares. Calls dns_query_lookup_done(lk) once, maybe
 * before returning. */
void dns_lookup_start(dns_res_t *r, dns_lookup_t *lk);

/* ---- RFC 3263 (dns_rfc3263.c) ---- */

enum dns_phase { DNS_PH_NAPTR, DNS_PH_SRV, DNS_PH_ADDR, DNS_PH_DONE };

typedef struct dns_srv_target {
	const char *name; /* in an SRV set the query holds */
	uint16_t port;
	uint8_t proto;
} dns_srv_target_t;

struct ss_dns_query {
	dns_res_t *res;
	ss_dns_query_t *prev, *next; /* res->queries */
	ss_dns_cb cb;
	void *arg;
	char host[DNS_NAME_MAX + 1];
	uint16_t port;
	uint8_t proto;
	bool secure;
	unsigned protos;
	enum dns_phase phase;
	unsigned nlk, pending; /* lookups of the phase, and still running */
	bool canceled, driving, starting, posted;
	int error; /* the most telling error met so far */
	dns_lookup_t lk[DNS_MAX_LOOKUPS];
	/* sets whose names later phases point into */
	dns_rrset_t *naptr, *srv[DNS_MAX_SRV_LOOKUPS];
	char srvname[DNS_MAX_SRV_LOOKUPS][DNS_NAME_MAX + 12];
	dns_srv_target_t targets[DNS_MAX_TARGETS];
	unsigned ntargets;
	ss_sip_dest_t dests[SS_DNS_MAX_DESTS];
	unsigned ndests;
};

/* The service's resolve() and cancel() (see sip/dns.h). */
int dns_query_resolve(const ss_dns_target_t *t, ss_dns_cb cb, void *arg,
		      ss_dns_query_t **out);
void dns_query_cancel(ss_dns_query_t *q);
/* Called by dns_lookup_start when lk has its answer. Loop of the query. */
void dns_query_lookup_done(dns_lookup_t *lk);
/* Ends q with status on module unload (the callback gets -ECANCELED). */
void dns_query_abort(ss_dns_query_t *q);
/* RFC 2782 order of an SRV set: by priority, weighted random within one.
 * Writes the indexes into order[] (n of them) using rnd for the draws. */
void dns_srv_order(const dns_rrset_t *set, unsigned *order,
		   uint32_t (*rnd)(void *), void *rnd_arg);
/* Parses a literal IPv4/IPv6 host (brackets allowed) into a; false for a
 * name. */
bool dns_host_numeric(const char *host, ss_sip_addr_t *a);

#endif
