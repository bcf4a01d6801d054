/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `dns` service: RFC 3263 server location (NAPTR, SRV, A/AAAA) for a
 * SIP target given as plain values, asynchronous on the caller's worker
 * loop, with a TTL cache and a blocklist of destinations that failed.
 */
#ifndef SIPSERVER_SIP_DNS_H
#define SIPSERVER_SIP_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include <sipserver/sip/transport.h>

#define SS_DNS_SERVICE	   "dns"
#define SS_DNS_API_VERSION 1

/* Most destinations one resolution returns. */
#define SS_DNS_MAX_DESTS 24

/* Bit of a transport in ss_dns_target_t.protos. */
#define SS_DNS_PROTO_BIT(p) (1u << (p))
#define SS_DNS_PROTOS_ALL                                              \
	(SS_DNS_PROTO_BIT(SS_SIP_UDP) | SS_DNS_PROTO_BIT(SS_SIP_TCP) | \
	 SS_DNS_PROTO_BIT(SS_SIP_TLS))

/*
 * What to locate, taken from the Request-URI or the top Route. The module
 * recognizes numeric hosts itself (IPv4 dotted quad, IPv6 with or without
 * brackets). Borrowed for the resolve() call: everything is copied.
 */
typedef struct ss_dns_target {
	const char *host;     /* host part of the URI, e.g. "example.com" */
	uint16_t port;	      /* explicit port, 0 when the URI has none */
	ss_sip_proto_t proto; /* transport= parameter, 0 when absent */
	bool secure;	      /* sips: URI (TLS only, default port 5061) */
	/* Transports the caller can send on (SS_DNS_PROTO_BIT mask); 0
	 * means all of UDP, TCP and TLS. NAPTR and SRV records for other
	 * transports are ignored. */
	unsigned protos;
} ss_dns_target_t;

/*
 * Result callback. status is 0 with count >= 1 destinations in the order to
 * try them (RFC 3263 4.3: on a 503 or a timeout, try the next one), or a
 * negative error with count 0:
 *   -ENOENT     the name or the needed records do not exist (NXDOMAIN,
 *               no data, or SRV says the service is not offered);
 *   -ETIMEDOUT  no DNS server answered in time;
 *   -EIO        the servers answered with an error (SERVFAIL, REFUSED);
 *   -ENOMEM     out of memory;
 *   -ECANCELED  the dns module is unloading.
 * Destinations whose address failed recently (mark_failed) come last.
 * dests is borrowed for the call; dests[i].conn_id is 0.
 */
typedef void (*ss_dns_cb)(void *arg, int status, const ss_sip_dest_t *dests,
			  unsigned count);

typedef struct ss_dns_query ss_dns_query_t; /* a resolution in progress */

typedef struct ss_dns_api {
	unsigned version; /* SS_DNS_API_VERSION */
	/*
	 * Starts locating target. Worker loops only (the query and its
	 * callback live on the calling worker). Returns 0 and, when q is
	 * not NULL, a handle valid until the callback starts or cancel()
	 * returns; or a negative error (-EINVAL bad target or not on a
	 * worker, -ENOMEM) and the callback is never called.
	 * The callback is never called before resolve() returns, not even
	 * for a numeric host or a cache hit: those complete on the next
	 * iteration of the loop. It runs exactly once, on the same loop,
	 * unless the query is canceled.
	 */
	int (*resolve)(const ss_dns_target_t *target, ss_dns_cb cb, void *arg,
		       ss_dns_query_t **q);
	/* Cancels a query from its own loop: its callback is not called
	 * afterwards and the handle is invalid. A caller that may unload
	 * or free arg first must cancel its queries. */
	void (*cancel)(ss_dns_query_t *q);
	/* Reports that dest did not answer (timeout, 503, connect error):
	 * the address (with its transport and port) goes to the end of
	 * result lists for the configured blocklist duration. Any thread. */
	void (*mark_failed)(const ss_sip_dest_t *dest);
	/* True while dest is in the blocklist. Any thread. */
	bool (*is_blocked)(const ss_sip_dest_t *dest);
} ss_dns_api_t;

#endif
