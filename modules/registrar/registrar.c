/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registrar module: descriptor, configuration (served domains, expiry
 * bounds, contact limit), load/reload/unload and the console commands.
 */
#include "reg_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/config.h>
#include <sipserver/log.h>
#include <sipserver/loop.h>
#include <sipserver/module.h>
#include <sipserver/service.h>

reg_state_t reg_g;

static const ss_cfg_attr_t expires_attrs[] = {
    {.name = "default",
     .type = SS_CFG_INT,
     .def = "3600",
     .min = 1,
     .max = 4294967295L,
     .help = "seconds for a Contact that names no expiry"},
    {.name = "min",
     .type = SS_CFG_INT,
     .def = "60",
     .min = 1,
     .max = 4294967295L,
     .help = "shorter non-zero requests are refused with 423 and this "
	     "value as Min-Expires"},
    {.name = "max",
     .type = SS_CFG_INT,
     .def = "86400",
     .min = 1,
     .max = 4294967295L,
     .help = "longer requests are granted this many seconds"},
    {.name = NULL},
};

static const ss_cfg_attr_t limits_attrs[] = {
    {.name = "max_contacts",
     .type = SS_CFG_INT,
     .def = "10",
     .min = 1,
     .max = 1000,
     .help = "bindings one address-of-record may hold (403 beyond)"},
    {.name = NULL},
};

static const ss_cfg_elem_t reg_config[] = {
    {.name = "domain",
     .flags = SS_CFG_MULTI | SS_CFG_TEXT,
     .help = "a domain registered here, besides the server's own addresses "
	     "and localhost (repeatable)"},
    {.name = "expires",
     .attrs = expires_attrs,
     .help = "registration lifetimes"},
    {.name = "limits", .attrs = limits_attrs, .help = "per-AOR limits"},
    {.name = NULL},
};

static void conf_free(reg_conf_t *c)
{
	if (!c)
		return;
	reg_domains_free(c->domains);
	free(c);
}

static int conf_domains(reg_conf_t *c, const ss_cfg_t *cfg)
{
	const ss_cfg_node_t *n;

	c->domains = reg_domains_new();
	if (!c->domains)
		return -ENOMEM;
	for (n = ss_cfg_first(cfg, "domain"); n; n = ss_cfg_next(n)) {
		int err = reg_domains_add(c->domains, ss_str_c(ss_cfg_text(n)));

		if (err == -EINVAL) {
			SS_LOG_ERR("%s: domain: \"%s\" is not a host name or "
				   "address",
				   ss_cfg_where(n), ss_cfg_text(n));
			return err;
		}
		if (err)
			return err;
	}
	/* what the transport is reachable as is asked of it per request */
	return reg_domains_add(c->domains, SS_STR("localhost"));
}

static reg_conf_t *conf_build(const ss_cfg_t *cfg)
{
	const ss_cfg_node_t *ex = ss_cfg_first(cfg, "expires");
	const ss_cfg_node_t *lim = ss_cfg_first(cfg, "limits");
	reg_conf_t *c = calloc(1, sizeof(*c));
	int err;

	if (!c) {
		SS_LOG_ERR("out of memory");
		return NULL;
	}
	c->def_expires = (uint32_t)ss_cfg_int(ex, "default");
	c->min_expires = (uint32_t)ss_cfg_int(ex, "min");
	c->max_expires = (uint32_t)ss_cfg_int(ex, "max");
	c->max_contacts = (unsigned)ss_cfg_int(lim, "max_contacts");
	if (c->min_expires > c->max_expires ||
	    c->def_expires < c->min_expires ||
	    c->def_expires > c->max_expires) {
		SS_LOG_ERR("%s: expires: need min <= default <= max (%u, %u, "
			   "%u)",
			   ss_cfg_where(ex), c->min_expires, c->def_expires,
			   c->max_expires);
		goto fail;
	}
	err = conf_domains(c, cfg);
	if (err == -ENOMEM)
		SS_LOG_ERR("out of memory for the domains");
	if (err)
		goto fail;
	return c;
fail:
	conf_free(c);
	return NULL;
}

static void quiesce(void *arg)
{
	(void)arg;
}

/* Publishes c and frees the settings it replaces once no worker can
 * still be reading them. Control loop. */
static void conf_swap(reg_conf_t *c)
{
	reg_conf_t *old = __atomic_exchange_n(&reg_g.conf, c, __ATOMIC_ACQ_REL);

	if (old) {
		ss_loop_run_on_workers(quiesce, NULL);
		conf_free(old);
	}
}

static void log_settings(const reg_conf_t *c)
{
	SS_LOG_NOTICE("%u domain%s, expires %u..%u (default %u), "
		      "at most %u contacts per AOR",
		      reg_domains_count(c->domains),
		      reg_domains_count(c->domains) == 1 ? "" : "s",
		      c->min_expires, c->max_expires, c->def_expires,
		      c->max_contacts);
}

static ss_load_result_t reg_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	reg_conf_t *c;

	(void)self;
	reg_g.parser = ss_service_get("parser", SS_SIP_PARSER_API_VERSION);
	reg_g.txn = ss_service_get(SS_TXN_SERVICE, SS_TXN_API_VERSION);
	reg_g.loc =
	    ss_service_get(SS_LOCATION_SERVICE, SS_LOCATION_API_VERSION);
	reg_g.tp = ss_service_get("transport", SS_SIP_TRANSPORT_API_VERSION);
	if (!reg_g.parser || !reg_g.txn || !reg_g.loc) {
		SS_LOG_ERR("needs the parser, transaction and "
			   "location services");
		return SS_LOAD_FAIL;
	}
	c = conf_build(cfg);
	if (!c)
		return SS_LOAD_FAIL;
	memset(&reg_g.st, 0, sizeof(reg_g.st));
	conf_swap(c);
	log_settings(c);
	return SS_LOAD_OK;
}

static int reg_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	reg_conf_t *c;

	(void)self;
	reg_g.tp = ss_service_get("transport", SS_SIP_TRANSPORT_API_VERSION);
	c = conf_build(cfg);
	if (!c)
		return -EINVAL;
	conf_swap(c);
	log_settings(c);
	return 0;
}

/* Answers still waiting for their commit run registrar code on the
 * workers: let them all run before the code goes away. */
static void reg_unload(ss_module_t *self)
{
	(void)self;
	reg_g.loc->sync();
	ss_loop_run_on_workers(quiesce, NULL);
	conf_free(__atomic_exchange_n(&reg_g.conf, NULL, __ATOMIC_ACQ_REL));
}

/* ---- console ------------------------------------------------------------ */

typedef struct show_ctx {
	ss_cli_t *cli;
	unsigned n;
} show_ctx_t;

static int show_contact(void *arg, const ss_loc_contact_t *c)
{
	show_ctx_t *s = arg;

	ss_cli_printf(s->cli, "  <%s>;expires=%u q=%u.%03u\n", c->uri,
		      c->expires_in, c->q / 1000u, c->q % 1000u);
	s->n++;
	return 0;
}

static void show_settings(ss_cli_t *cli)
{
	const reg_conf_t *c = reg_conf();
	unsigned i;

	ss_cli_printf(cli,
		      "expires: default %u, min %u, max %u\n"
		      "max contacts per AOR: %u\ndomains:",
		      c->def_expires, c->min_expires, c->max_expires,
		      c->max_contacts);
	for (i = 0; i < reg_domains_count(c->domains); i++)
		ss_cli_printf(cli, " %s", reg_domains_name(c->domains, i));
	ss_cli_printf(cli, "%s\n",
		      reg_g.tp ? " and the listener addresses" : "");
}

/* With an AOR: the contacts a REGISTER query would list, under the index
 * the registrar computes for it. Without: the settings and domains. */
static ss_cli_status_t cmd_show(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	show_ctx_t s = {cli, 0};
	char aor[SS_LOC_MAX_AOR + 1];
	ss_sip_arena_t *arena;
	ss_sip_uri_t uri;
	int err;

	if (argc > 1)
		return SS_CLI_USAGE;
	if (argc == 0) {
		show_settings(cli);
		return SS_CLI_OK;
	}
	/* an arena is too big for the control loop's stack to be polite */
	arena = malloc(sizeof(*arena));
	if (!arena)
		return SS_CLI_FAIL;
	reg_g.parser->arena_init(arena);
	err = reg_g.parser->uri_parse(arena, ss_str_c(argv[0]), &uri);
	if (!err)
		err = reg_g.parser->aor_key(&uri, aor, sizeof(aor));
	reg_g.parser->arena_fini(arena);
	free(arena);
	if (err < 0) {
		ss_cli_printf(cli,
			      "registrar: %s is not a sip: or sips: "
			      "address-of-record with a user\n",
			      argv[0]);
		return SS_CLI_FAIL;
	}
	ss_cli_printf(cli, "%s:\n", aor);
	reg_g.loc->lookup(aor, show_contact, &s);
	if (!s.n)
		ss_cli_printf(cli, "  no contacts\n");
	return SS_CLI_OK;
}

static uint64_t rd(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static ss_cli_status_t cmd_stats(ss_cli_t *cli, int argc,
				 const char *const *argv)
{
	const reg_stats_t *st = &reg_g.st;

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	ss_cli_printf(
	    cli,
	    "requests: %llu (other domains passed on: %llu)\n"
	    "accepted: %llu  queries: %llu  423: %llu  failures: %llu\n"
	    "bindings: registrations %llu  refreshes %llu  removals %llu  "
	    "expired %llu\n",
	    (unsigned long long)rd(&st->requests),
	    (unsigned long long)rd(&st->foreign),
	    (unsigned long long)rd(&st->accepted),
	    (unsigned long long)rd(&st->queries),
	    (unsigned long long)rd(&st->too_brief),
	    (unsigned long long)rd(&st->failures),
	    (unsigned long long)rd(&st->added),
	    (unsigned long long)rd(&st->refreshed),
	    (unsigned long long)rd(&st->removed),
	    (unsigned long long)rd(&st->expired));
	return SS_CLI_OK;
}

const ss_cli_cmd_t reg_cli_commands[] = {
    {.words = "registrar show",
     .args = "[AOR]",
     .summary = "settings and domains, or the contacts of an AOR",
     .fn = cmd_show},
    {.words = "registrar show stats",
     .args = "",
     .summary = "REGISTER outcomes and binding changes",
     .fn = cmd_stats},
    {.words = NULL},
};

static const ss_bus_sub_t reg_subscriptions[] = {
    {"sip.request.in", SS_SIP_PRIO_REGISTRAR, reg_on_request, NULL},
    {SS_LOC_EVENT_TOPIC, 0, reg_on_binding_event, NULL},
    {NULL, 0, NULL, NULL},
};

static const char *const reg_requires[] = {"parser", SS_TXN_SERVICE,
					   SS_LOCATION_SERVICE, NULL};
static const char *const reg_optional[] = {"transport", NULL};

SS_MODULE(registrar) = {
    .abi = SS_MODULE_ABI,
    .name = "registrar",
    .version = "1.0",
    .description = "RFC 3261 registrar: REGISTER for our domains into the "
		   "location service, Path (RFC 3327)",
    .requires = reg_requires,
    .optional = reg_optional,
    .load = reg_load,
    .reload = reg_reload,
    .unload = reg_unload,
    .commands = reg_cli_commands,
    .subscriptions = reg_subscriptions,
    .config = reg_config,
};
