/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The proxy module (RFC 3261 section 16 stateful proxy): descriptor,
 * configuration (domains, Record-Route, forking, no-answer timer, static
 * routes), the per-loop state, load/reload/unload and the console.
 */
#include "proxy_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/log.h>
#include <sipserver/service.h>

proxy_global_t proxy_g;

static const ss_cfg_attr_t rr_attrs[] = {
    {.name = "enable",
     .type = SS_CFG_BOOL,
     .def = "yes",
     .help = "insert Record-Route (with lr) to stay on the dialog's path"},
    {.name = NULL},
};

static const ss_cfg_attr_t nat_attrs[] = {
    {.name = "use_received",
     .type = SS_CFG_BOOL,
     .def = "no",
     .help = "send to the address a UDP REGISTER came from instead of its "
	     "Contact (UAs behind NAT). Off, the Contact decides, as RFC 3261 "
	     "and third-party registrations need; TCP and TLS bindings always "
	     "reuse their connection"},
    {.name = NULL},
};

static const ss_cfg_attr_t forking_attrs[] = {
    {.name = "mode",
     .type = SS_CFG_STR,
     .def = "q",
     .help = "q: equal q in parallel, q groups in descending order one "
	     "after the other; parallel: all contacts at once; sequential: "
	     "one contact at a time"},
    {.name = "max_branches",
     .type = SS_CFG_INT,
     .def = "16",
     .min = 1,
     .max = PROXY_MAX_TARGETS,
     .help = "contacts tried for one request"},
    {.name = NULL},
};

static const ss_cfg_attr_t timers_attrs[] = {
    {.name = "no_answer",
     .type = SS_CFG_INT,
     .def = "30000",
     .min = 0,
     .max = 3600000,
     .help = "ms an INVITE branch may ring without a final response "
	     "(RFC 3261 Timer C, 16.6 step 11); 0 disables it"},
    {.name = NULL},
};

static const ss_cfg_attr_t route_attrs[] = {
    {.name = "domain",
     .type = SS_CFG_STR,
     .flags = SS_CFG_REQUIRED,
     .help = "Request-URI host the route applies to"},
    {.name = "next_hop",
     .type = SS_CFG_STR,
     .flags = SS_CFG_REQUIRED,
     .help = "SIP URI to send to; with ;lr it is also pushed as a Route"},
    {.name = NULL},
};

static const ss_cfg_attr_t default_route_attrs[] = {
    {.name = "next_hop",
     .type = SS_CFG_STR,
     .flags = SS_CFG_REQUIRED,
     .help = "SIP URI for requests no other rule routes"},
    {.name = NULL},
};

static const ss_cfg_elem_t proxy_config[] = {
    {.name = "domain",
     .flags = SS_CFG_MULTI | SS_CFG_TEXT,
     .help = "a domain served here (location lookups), besides the "
	     "server's own addresses and localhost (repeatable)"},
    {.name = "record_route", .attrs = rr_attrs, .help = "Record-Route"},
    {.name = "forking", .attrs = forking_attrs, .help = "forking policy"},
    {.name = "nat", .attrs = nat_attrs, .help = "NAT traversal"},
    {.name = "timers", .attrs = timers_attrs, .help = "proxy timers"},
    {.name = "route",
     .flags = SS_CFG_MULTI,
     .attrs = route_attrs,
     .help = "static next hop for a foreign domain (repeatable)"},
    {.name = "default_route",
     .attrs = default_route_attrs,
     .flags = SS_CFG_MULTI,
     .help = "next hop for foreign domains without a route (instead of "
	     "RFC 3263 DNS)"},
    {.name = NULL},
};

proxy_loop_t *proxy_loop_here(void)
{
	ss_loop_t *l = ss_loop_current();
	unsigned i;

	if (!l || !proxy_g.loops)
		return NULL;
	i = ss_loop_index(l);
	return i < proxy_g.nloops ? &proxy_g.loops[i] : NULL;
}

const proxy_conf_t *proxy_conf(void)
{
	return __atomic_load_n(&proxy_g.conf, __ATOMIC_ACQUIRE);
}

ss_sip_msg_t *proxy_work_msg(ss_sip_msg_t *into, const ss_sip_msg_t *src)
{
	const ss_sip_parser_api_t *p = proxy_g.parser;
	const ss_sip_hdr_t *via = p->hdr(src, SS_SIP_HDR_VIA);
	ss_sip_error_t err;

	if (p->parse(into, src->buf, src->len, &err) < 0)
		return NULL;
	/* received/rport stamped on the top Via live in src's arena. */
	if (via && (via->flags & SS_SIP_HDR_F_EDITED)) {
		ss_sip_hdr_t *h = p->hdr(into, SS_SIP_HDR_VIA);

		if (!h || p->hdr_replace(into, h, via->value) < 0)
			return NULL;
	}
	return into;
}

/* ---- settings ---- */

static void route_free(proxy_route_t *r)
{
	free(r->domain);
	free(r->uri);
}

static void conf_free(proxy_conf_t *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nroutes; i++)
		route_free(&c->routes[i]);
	free(c->routes);
	route_free(&c->default_route);
	proxy_domains_free(c->domains);
	free(c);
}

/* Checks a next hop URI and fills r. */
static int route_set(proxy_route_t *r, const ss_cfg_node_t *n,
		     const char *domain)
{
	const char *uri = ss_cfg_str(n, "next_hop");
	char key[SS_SIP_HOST_MAX + 1];
	ss_sip_arena_t *a = malloc(sizeof(*a));
	ss_sip_uri_t u;
	int err = -EINVAL;

	if (!a)
		return -ENOMEM;
	proxy_g.parser->arena_init(a);
	if (proxy_g.parser->uri_parse(a, ss_str_c(uri), &u) < 0 ||
	    (u.scheme != SS_SIP_URI_SIP && u.scheme != SS_SIP_URI_SIPS)) {
		SS_LOG_ERR("%s: next_hop \"%s\" is not a SIP URI",
			   ss_cfg_where(n), uri);
		goto out;
	}
	if (domain && proxy_g.parser->host_key(ss_str_c(domain), key) < 0) {
		SS_LOG_ERR("%s: route: domain \"%s\" is not a host name",
			   ss_cfg_where(n), domain);
		goto out;
	}
	r->lr = u.lr;
	r->uri = strdup(uri);
	r->domain = domain ? strdup(key) : NULL;
	err = !r->uri || (domain && !r->domain) ? -ENOMEM : 0;
out:
	proxy_g.parser->arena_fini(a);
	free(a);
	return err;
}

static int conf_routes(proxy_conf_t *c, const ss_cfg_t *cfg)
{
	const ss_cfg_node_t *n;
	unsigned count = ss_cfg_count(cfg, "route");

	if (count) {
		c->routes = calloc(count, sizeof(*c->routes));
		if (!c->routes)
			return -ENOMEM;
	}
	for (n = ss_cfg_first(cfg, "route"); n; n = ss_cfg_next(n)) {
		const char *d = ss_cfg_str(n, "domain");

		if (strlen(d) > PROXY_HOST_MAX) {
			SS_LOG_ERR("%s: route: domain too long",
				   ss_cfg_where(n));
			return -EINVAL;
		}
		int err = route_set(&c->routes[c->nroutes], n, d);

		c->nroutes++;
		if (err)
			return err;
	}
	n = ss_cfg_first(cfg, "default_route");
	if (n && ss_cfg_next(n)) {
		SS_LOG_ERR("%s: only one default_route", ss_cfg_where(n));
		return -EINVAL;
	}
	return n ? route_set(&c->default_route, n, NULL) : 0;
}

static int conf_domains(proxy_conf_t *c, const ss_cfg_t *cfg)
{
	const ss_cfg_node_t *n;

	c->domains = proxy_domains_new();
	if (!c->domains)
		return -ENOMEM;
	for (n = ss_cfg_first(cfg, "domain"); n; n = ss_cfg_next(n)) {
		int err =
		    proxy_domains_add(c->domains, ss_str_c(ss_cfg_text(n)));

		if (err == -EINVAL)
			SS_LOG_ERR("%s: domain: \"%s\" is not a host name",
				   ss_cfg_where(n), ss_cfg_text(n));
		if (err)
			return err;
	}
	/* what the transport is reachable as is asked of it per request */
	return proxy_domains_add(c->domains, SS_STR("localhost"));
}

static proxy_conf_t *conf_build(const ss_cfg_t *cfg)
{
	const ss_cfg_node_t *f = ss_cfg_first(cfg, "forking");
	const char *mode = ss_cfg_str(f, "mode");
	proxy_conf_t *c = calloc(1, sizeof(*c));
	int err;

	if (!c) {
		SS_LOG_ERR("out of memory");
		return NULL;
	}
	c->record_route =
	    ss_cfg_bool(ss_cfg_first(cfg, "record_route"), "enable");
	c->use_received = ss_cfg_bool(ss_cfg_first(cfg, "nat"), "use_received");
	c->no_answer_ms =
	    (uint32_t)ss_cfg_int(ss_cfg_first(cfg, "timers"), "no_answer");
	c->max_branches = (unsigned)ss_cfg_int(f, "max_branches");
	if (strcmp(mode, "q") == 0) {
		c->fork_mode = PROXY_FORK_Q;
	} else if (strcmp(mode, "parallel") == 0) {
		c->fork_mode = PROXY_FORK_PARALLEL;
	} else if (strcmp(mode, "sequential") == 0) {
		c->fork_mode = PROXY_FORK_SEQUENTIAL;
	} else {
		SS_LOG_ERR("%s: forking: mode \"%s\" is not q, parallel or "
			   "sequential",
			   ss_cfg_where(f), mode);
		goto fail;
	}
	err = conf_domains(c, cfg);
	if (!err)
		err = conf_routes(c, cfg);
	if (err == -ENOMEM)
		SS_LOG_ERR("out of memory");
	if (err)
		goto fail;
	return c;
fail:
	conf_free(c);
	return NULL;
}

static const char *fork_mode_name(const proxy_conf_t *c)
{
	switch (c->fork_mode) {
	case PROXY_FORK_PARALLEL:
		return "parallel";
	case PROXY_FORK_SEQUENTIAL:
		return "sequential";
	case PROXY_FORK_Q:
		break;
	}
	return "by q";
}

static void quiesce(void *arg)
{
	(void)arg;
}

/* Publishes c and frees the settings it replaces once no worker still
 * reads them: code on the workers fetches the settings once per event
 * (publish, callback, timer) and never keeps them across events. */
static void conf_swap(proxy_conf_t *c)
{
	proxy_conf_t *old = __atomic_exchange_n((proxy_conf_t **)&proxy_g.conf,
						c, __ATOMIC_ACQ_REL);

	if (old) {
		ss_loop_run_on_workers(quiesce, NULL);
		conf_free(old);
	}
}

/* ---- per-loop state ---- */

static void loops_free(void)
{
	for (unsigned i = 0; proxy_g.loops && i < proxy_g.nloops; i++) {
		proxy_loop_t *lp = &proxy_g.loops[i];

		proxy_g.parser->msg_fini(&lp->req);
		proxy_g.parser->msg_fini(&lp->resp);
		free(lp->buf);
		free(lp->slots);
		free(lp->gen);
		free(lp->free_slots);
	}
	free(proxy_g.loops);
	proxy_g.loops = NULL;
	proxy_g.nloops = 0;
}

static int loops_init(void)
{
	unsigned n = ss_loop_count();

	proxy_g.loops = calloc(n ? n : 1, sizeof(*proxy_g.loops));
	if (!proxy_g.loops)
		return -ENOMEM;
	proxy_g.nloops = n;
	for (unsigned i = 0; i < n; i++) {
		proxy_loop_t *lp = &proxy_g.loops[i];

		proxy_g.parser->msg_init(&lp->req);
		proxy_g.parser->msg_init(&lp->resp);
		lp->buf = malloc(PROXY_BUF_SIZE);
		if (!lp->buf)
			return -ENOMEM;
	}
	return 0;
}

static void drain_one(void *arg)
{
	(void)arg;
	proxy_loop_t *lp = proxy_loop_here();

	if (lp)
		proxy_loop_drain(lp);
}

/* ---- load / reload / unload ---- */

static ss_load_result_t proxy_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	proxy_conf_t *c;

	proxy_g.self = self;
	proxy_g.parser = ss_service_get("parser", SS_SIP_PARSER_API_VERSION);
	proxy_g.txn = ss_service_get(SS_TXN_SERVICE, SS_TXN_API_VERSION);
	proxy_g.tp = ss_service_get("transport", SS_SIP_TRANSPORT_API_VERSION);
	proxy_g.loc =
	    ss_service_get(SS_LOCATION_SERVICE, SS_LOCATION_API_VERSION);
	proxy_g.dns = ss_service_get(SS_DNS_SERVICE, SS_DNS_API_VERSION);
	proxy_g.auth = ss_service_get(SS_AUTH_SERVICE, SS_AUTH_API_VERSION);
	if (!proxy_g.parser || !proxy_g.txn || !proxy_g.tp) {
		SS_LOG_ERR("needs the parser, transaction and transport "
			   "services");
		return SS_LOAD_FAIL;
	}
	c = conf_build(cfg);
	if (!c)
		return SS_LOAD_FAIL;
	if (loops_init() < 0 || proxy_loop_table_init() < 0) {
		SS_LOG_ERR("out of memory");
		conf_free(c);
		loops_free();
		return SS_LOAD_FAIL;
	}
	conf_swap(c);
	SS_LOG_NOTICE("record-route %s, forking %s, no-answer %u ms, %u "
		      "static route%s%s%s",
		      c->record_route ? "on" : "off", fork_mode_name(c),
		      c->no_answer_ms, c->nroutes, c->nroutes == 1 ? "" : "s",
		      proxy_g.loc ? "" : ", no location service",
		      proxy_g.dns ? "" : ", no DNS (numeric hosts only)");
	return SS_LOAD_OK;
}

static int proxy_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	proxy_conf_t *c;

	(void)self;
	c = conf_build(cfg);
	if (!c)
		return -EINVAL;
	conf_swap(c);
	return 0;
}

static void proxy_unload(ss_module_t *self)
{
	(void)self;
	ss_loop_run_on_workers(drain_one, NULL);
	conf_swap(NULL);
	proxy_loop_table_fini();
	loops_free();
}

/* ---- console ---- */

static void stats_sum(proxy_stats_t *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < proxy_g.nloops; i++) {
		const uint64_t *src = (const uint64_t *)&proxy_g.loops[i].st;
		uint64_t *dst = (uint64_t *)s;

		for (size_t k = 0; k < sizeof(*s) / sizeof(uint64_t); k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
}

static ss_cli_status_t cli_stats(ss_cli_t *cli, int argc,
				 const char *const *argv)
{
	proxy_stats_t s;

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	stats_sum(&s);
	ss_cli_printf(cli, "requests          %llu\n",
		      (unsigned long long)s.requests);
	ss_cli_printf(cli, "forwarded         %llu\n",
		      (unsigned long long)s.forwarded);
	ss_cli_printf(cli, "stateless acks    %llu\n",
		      (unsigned long long)s.stateless_acks);
	ss_cli_printf(cli, "stateless resps   %llu\n",
		      (unsigned long long)s.stateless_resps);
	for (int c = 1; c <= 6; c++)
		ss_cli_printf(cli, "responses %dxx     %llu\n", c,
			      (unsigned long long)s.responses[c]);
	ss_cli_printf(cli, "cancels           %llu\n",
		      (unsigned long long)s.cancels);
	ss_cli_printf(cli, "loops (482)       %llu\n",
		      (unsigned long long)s.loops_482);
	ss_cli_printf(cli, "max-forwards (483) %llu\n",
		      (unsigned long long)s.maxfwd_483);
	ss_cli_printf(cli, "proxy-require (420) %llu\n",
		      (unsigned long long)s.require_420);
	ss_cli_printf(cli, "unavailable (480) %llu\n",
		      (unsigned long long)s.not_found);
	ss_cli_printf(cli, "forks             %llu\n",
		      (unsigned long long)s.forks);
	ss_cli_printf(cli, "failovers         %llu\n",
		      (unsigned long long)s.failovers);
	ss_cli_printf(cli, "no-answer timeouts %llu\n",
		      (unsigned long long)s.timeouts);
	ss_cli_printf(cli, "contexts          %llu\n",
		      (unsigned long long)s.contexts);
	ss_cli_printf(cli, "live contexts     %llu\n",
		      (unsigned long long)s.live);
	ss_cli_printf(cli, "pending branches  %u\n", proxy_loop_table_count());
	return SS_CLI_OK;
}

static ss_cli_status_t cli_config(ss_cli_t *cli, int argc,
				  const char *const *argv)
{
	const proxy_conf_t *c = proxy_conf();

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	ss_cli_printf(cli, "record-route  %s\n",
		      c->record_route ? "on" : "off");
	ss_cli_printf(cli, "forking       %s, at most %u branches\n",
		      fork_mode_name(c), c->max_branches);
	ss_cli_printf(cli, "no-answer     %u ms\n", c->no_answer_ms);
	for (unsigned i = 0; i < c->nroutes; i++)
		ss_cli_printf(cli, "route         %s -> %s\n",
			      c->routes[i].domain, c->routes[i].uri);
	if (c->default_route.uri)
		ss_cli_printf(cli, "default route %s\n", c->default_route.uri);
	return SS_CLI_OK;
}

const ss_cli_cmd_t proxy_cli_commands[] = {
    {.words = "proxy show stats",
     .summary = "requests, responses by class, CANCELs, 482/483, forks",
     .fn = cli_stats},
    {.words = "proxy show config",
     .summary = "routing settings in force",
     .fn = cli_config},
    {.words = NULL},
};

static const ss_bus_sub_t proxy_subs[] = {
    {.topic = "sip.request.in",
     .priority = SS_SIP_PRIO_PROXY,
     .fn = proxy_on_request},
    {.topic = "sip.response.in",
     .priority = SS_SIP_PRIO_PROXY,
     .fn = proxy_on_stray_response},
    {.topic = NULL},
};

static const char *const proxy_requires[] = {"parser", SS_TXN_SERVICE,
					     "transport", NULL};
static const char *const proxy_optional[] = {
    SS_LOCATION_SERVICE, SS_DNS_SERVICE, SS_AUTH_SERVICE, NULL};

SS_MODULE(proxy) = {
    .abi = SS_MODULE_ABI,
    .name = "proxy",
    .version = "1.0",
    .description = "RFC 3261 stateful proxy: Record-Route, location, "
		   "forking, RFC 3263 DNS",
    .requires = proxy_requires,
    .optional = proxy_optional,
    .load = proxy_load,
    .reload = proxy_reload,
    .unload = proxy_unload,
    .commands = proxy_cli_commands,
    .subscriptions = proxy_subs,
    .config = proxy_config,
};
