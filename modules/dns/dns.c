/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dns module: its descriptor and config table, load/reload/unload of
 * the per-worker resolvers, the cache and the blocklist, and the `dns`
 * service vtable.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/config.h>
#include <sipserver/log.h>
#include <sipserver/service.h>

#include "dns_int.h"

/* Written by load and unload on the control loop only; the workers read
 * it while the module is loaded (ss_loop_run_on_workers orders both). */
dns_state_t *dns;

uint64_t dns_now_ms(void)
{
	return ss_loop_now_ms(ss_loop_current());
}

const char *dns_dest_str(const ss_sip_dest_t *d, char *buf, unsigned size)
{
	const struct sockaddr_in6 *s6 =
	    (const struct sockaddr_in6 *)&d->addr.sa;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&d->addr.sa;
	char ip[INET6_ADDRSTRLEN];

	if (d->addr.sa.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s [%s]:%u", ss_sip_proto_name(d->proto),
			 ip, ntohs(s6->sin6_port));
	} else if (d->addr.sa.ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s %s:%u", ss_sip_proto_name(d->proto), ip,
			 ntohs(s4->sin_port));
	} else {
		snprintf(buf, size, "-");
	}
	return buf;
}

/* ---- the service ---- */

static void dns_mark_failed(const ss_sip_dest_t *dest)
{
	if (!dns || !dest)
		return;
	SS_LOG_INFO("blocklisting %s", dns_dest_str(dest, (char[80]){0}, 80));
	dns_block_mark(&dns->block, dest, dns_now_ms());
}

static bool dns_is_blocked(const ss_sip_dest_t *dest)
{
	return dns && dest && dns_block_has(&dns->block, dest, dns_now_ms());
}

const ss_dns_api_t dns_api = {
    .version = SS_DNS_API_VERSION,
    .resolve = dns_query_resolve,
    .cancel = dns_query_cancel,
    .mark_failed = dns_mark_failed,
    .is_blocked = dns_is_blocked,
};

/* ---- settings ---- */

static int read_server(const ss_cfg_node_t *n, dns_server_t *s)
{
	const char *addr = ss_cfg_str(n, "address");
	size_t len = strlen(addr);
	unsigned char tmp[sizeof(struct in6_addr)];

	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
		addr++;
		len -= 2;
	}
	if (len >= sizeof(s->address))
		goto bad;
	memcpy(s->address, addr, len);
	s->address[len] = '\0';
	if (inet_pton(AF_INET, s->address, tmp) != 1 &&
	    inet_pton(AF_INET6, s->address, tmp) != 1)
		goto bad;
	s->port = (unsigned)ss_cfg_int(n, "port");
	return 0;
bad:
	SS_LOG_ERR("%s: server: address \"%s\" is not an IPv4 or IPv6 "
		   "address",
		   ss_cfg_where(n), ss_cfg_str(n, "address"));
	return -EINVAL;
}

static int read_settings(const ss_cfg_t *cfg, dns_settings_t *set)
{
	const ss_cfg_node_t *n;

	memset(set, 0, sizeof(*set));
	for (n = ss_cfg_first(cfg, "server"); n; n = ss_cfg_next(n)) {
		if (set->chan.nservers == DNS_MAX_SERVERS) {
			SS_LOG_ERR("%s: server: at most %d servers",
				   ss_cfg_where(n), DNS_MAX_SERVERS);
			return -EINVAL;
		}
		if (read_server(n, &set->chan.servers[set->chan.nservers++]))
			return -EINVAL;
	}
	n = ss_cfg_first(cfg, "timeouts");
	set->chan.timeout_ms = (unsigned)ss_cfg_int(n, "ms");
	set->chan.tries = (unsigned)ss_cfg_int(n, "tries");
	n = ss_cfg_first(cfg, "cache");
	set->cache_max = (unsigned)ss_cfg_int(n, "max_entries");
	set->min_ttl = (unsigned)ss_cfg_int(n, "min_ttl");
	set->max_ttl = (unsigned)ss_cfg_int(n, "max_ttl");
	set->query.negative_ttl = (uint32_t)ss_cfg_int(n, "negative_ttl");
	if (set->min_ttl > set->max_ttl) {
		SS_LOG_ERR("%s: cache: min_ttl %u exceeds max_ttl %u",
			   ss_cfg_where(n), set->min_ttl, set->max_ttl);
		return -EINVAL;
	}
	n = ss_cfg_first(cfg, "blocklist");
	set->block_duration = (unsigned)ss_cfg_int(n, "duration");
	n = ss_cfg_first(cfg, "lookup");
	set->query.ipv4 = ss_cfg_bool(n, "ipv4");
	set->query.ipv6 = ss_cfg_bool(n, "ipv6");
	set->query.prefer_ipv6 = ss_cfg_bool(n, "prefer_ipv6");
	if (!set->query.ipv4 && !set->query.ipv6) {
		SS_LOG_ERR("%s: lookup: ipv4 and ipv6 cannot both be off",
			   ss_cfg_where(n));
		return -EINVAL;
	}
	return 0;
}

/* ---- load, reload, unload ---- */

typedef struct worker_job {
	const dns_settings_t *set;
	dns_chan_t **chans; /* reload: one new channel per worker, or NULL */
	atomic_int err;
} worker_job_t;

static void create_on_worker(void *arg)
{
	worker_job_t *job = arg;
	int err = dns_res_create(ss_loop_index(ss_loop_current()),
				 &job->set->chan, &job->set->query);

	if (err)
		atomic_store(&job->err, err);
}

static void destroy_on_worker(void *arg)
{
	unsigned i = ss_loop_index(ss_loop_current());

	(void)arg;
	if (i < dns->nres && dns->res[i]) {
		dns_res_destroy(dns->res[i]);
		dns->res[i] = NULL;
	}
}

static void reconfigure_on_worker(void *arg)
{
	worker_job_t *job = arg;
	unsigned i = ss_loop_index(ss_loop_current());

	if (i < dns->nres && dns->res[i])
		dns_res_reconfigure(dns->res[i],
				    job->chans ? job->chans[i] : NULL,
				    &job->set->query);
}

static void state_free(dns_state_t *st)
{
	dns_cache_destroy(&st->cache);
	dns_block_destroy(&st->block);
	free(st->res);
	free(st);
	ares_library_cleanup();
}

static ss_load_result_t dns_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	worker_job_t job = {.err = 0};
	dns_state_t *st;
	int rc;

	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS) {
		SS_LOG_ERR("c-ares: %s", ares_strerror(rc));
		return SS_LOAD_FAIL;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		goto fail_lib;
	st->self = self;
	if (read_settings(cfg, &st->set))
		goto fail_state;
	if (dns_cache_init(&st->cache, st->set.cache_max, st->set.min_ttl,
			   st->set.max_ttl))
		goto fail_state;
	if (dns_block_init(&st->block, DNS_BLOCK_MAX,
			   st->set.block_duration * 1000ull))
		goto fail_cache;
	st->nres = ss_loop_count();
	st->res = calloc(st->nres ? st->nres : 1, sizeof(*st->res));
	if (!st->res)
		goto fail_block;
	dns = st;
	job.set = &st->set;
	ss_loop_run_on_workers(create_on_worker, &job);
	if (atomic_load(&job.err))
		goto fail_workers;
	rc = ss_service_provide(self, SS_DNS_SERVICE, SS_DNS_API_VERSION,
				&dns_api);
	if (rc) {
		SS_LOG_ERR("cannot provide service dns: %s", strerror(-rc));
		goto fail_workers;
	}
	SS_LOG_INFO("%u resolver(s), %u configured server(s)", st->nres,
		    st->set.chan.nservers);
	return SS_LOAD_OK;

fail_workers:
	ss_loop_run_on_workers(destroy_on_worker, NULL);
	dns = NULL;
	free(st->res);
	st->res = NULL;
fail_block:
	dns_block_destroy(&st->block);
fail_cache:
	dns_cache_destroy(&st->cache);
fail_state:
	free(st);
fail_lib:
	ares_library_cleanup();
	return SS_LOAD_FAIL;
}

static void discard_chans(dns_chan_t **chans, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		dns_chan_discard(chans[i]);
	free(chans);
}

/* Channels are made here first, so a bad server list fails the reload
 * before any worker changes; cache and blocklist limits apply in place. */
static int dns_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	worker_job_t job = {.err = 0};
	dns_settings_t set;

	(void)self;
	if (read_settings(cfg, &set))
		return -EINVAL;
	if (memcmp(&set.chan, &dns->set.chan, sizeof(set.chan)) != 0) {
		job.chans =
		    calloc(dns->nres ? dns->nres : 1, sizeof(*job.chans));
		if (!job.chans)
			return -ENOMEM;
		for (unsigned i = 0; i < dns->nres; i++) {
			job.chans[i] = dns_chan_new(&set.chan);
			if (!job.chans[i]) {
				discard_chans(job.chans, i);
				return -EINVAL;
			}
		}
	}
	dns->set = set;
	job.set = &dns->set;
	ss_loop_run_on_workers(reconfigure_on_worker, &job);
	free(job.chans);
	dns_cache_set_limits(&dns->cache, set.cache_max, set.min_ttl,
			     set.max_ttl);
	dns_block_set_duration(&dns->block, set.block_duration * 1000ull);
	return 0;
}

static void dns_unload(ss_module_t *self)
{
	(void)self;
	if (!dns)
		return;
	ss_loop_run_on_workers(destroy_on_worker, NULL);
	state_free(dns);
	dns = NULL;
}

/* ---- descriptor ---- */

static const ss_cfg_attr_t dns_server_attrs[] = {
    {.name = "address",
     .type = SS_CFG_STR,
     .flags = SS_CFG_REQUIRED,
     .help = "IPv4 or IPv6 address of a DNS server"},
    {.name = "port",
     .type = SS_CFG_INT,
     .def = "53",
     .min = 1,
     .max = 65535,
     .help = "its UDP/TCP port"},
    {.name = NULL},
};

static const ss_cfg_attr_t dns_cache_attrs[] = {
    {.name = "max_entries",
     .type = SS_CFG_INT,
     .def = "10000",
     .min = 0,
     .max = 10000000,
     .help = "answers kept (0: no cache)"},
    {.name = "min_ttl",
     .type = SS_CFG_INT,
     .def = "0",
     .min = 0,
     .max = 86400,
     .help = "shortest time an answer is kept, seconds"},
    {.name = "max_ttl",
     .type = SS_CFG_INT,
     .def = "3600",
     .min = 0,
     .max = 604800,
     .help = "longest time an answer is kept, seconds"},
    {.name = "negative_ttl",
     .type = SS_CFG_INT,
     .def = "30",
     .min = 0,
     .max = 86400,
     .help = "TTL of a negative answer without SOA, seconds"},
    {.name = NULL},
};

static const ss_cfg_attr_t dns_blocklist_attrs[] = {
    {.name = "duration",
     .type = SS_CFG_INT,
     .def = "30",
     .min = 0,
     .max = 86400,
     .help = "seconds a failed destination goes last (0: off)"},
    {.name = NULL},
};

static const ss_cfg_attr_t dns_timeouts_attrs[] = {
    {.name = "ms",
     .type = SS_CFG_INT,
     .def = "2000",
     .min = 10,
     .max = 60000,
     .help = "first retransmission timeout per query, ms"},
    {.name = "tries",
     .type = SS_CFG_INT,
     .def = "2",
     .min = 1,
     .max = 10,
     .help = "attempts per server"},
    {.name = NULL},
};

static const ss_cfg_attr_t dns_lookup_attrs[] = {
    {.name = "ipv4",
     .type = SS_CFG_BOOL,
     .def = "yes",
     .help = "ask A records"},
    {.name = "ipv6",
     .type = SS_CFG_BOOL,
     .def = "yes",
     .help = "ask AAAA records"},
    {.name = "prefer_ipv6",
     .type = SS_CFG_BOOL,
     .def = "no",
     .help = "list IPv6 addresses of a host before IPv4 ones"},
    {.name = NULL},
};

static const ss_cfg_elem_t dns_config[] = {
    {.name = "server",
     .flags = SS_CFG_MULTI,
     .attrs = dns_server_attrs,
     .help = "a DNS server (none: the system's resolv.conf)"},
    {.name = "cache", .attrs = dns_cache_attrs, .help = "answer cache"},
    {.name = "blocklist",
     .attrs = dns_blocklist_attrs,
     .help = "destinations reported as failed"},
    {.name = "timeouts",
     .attrs = dns_timeouts_attrs,
     .help = "query retransmissions"},
    {.name = "lookup", .attrs = dns_lookup_attrs, .help = "address families"},
    {.name = NULL},
};

static const char *const dns_provides[] = {SS_DNS_SERVICE, NULL};

SS_MODULE(dns) = {
    .abi = SS_MODULE_ABI,
    .name = "dns",
    .version = "1.0",
    .description = "RFC 3263 server location (NAPTR, SRV, A/AAAA) via c-ares",
    .provides = dns_provides,
    .load = dns_load,
    .reload = dns_reload,
    .unload = dns_unload,
    .commands = dns_commands,
    .config = dns_config,
};
