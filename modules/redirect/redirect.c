/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The redirect module: descriptor, configuration (served domains, methods,
 * Contact set size, 300 or 302), load/reload/unload and the console
 * commands.
 */
#include "redir_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/config.h>
#include <sipserver/log.h>
#include <sipserver/loop.h>
#include <sipserver/module.h>
#include <sipserver/service.h>

redir_state_t redir_g;

static const ss_cfg_attr_t contacts_attrs[] = {
    {.name = "max",
     .type = SS_CFG_INT,
     .def = "10",
     .min = 1,
     .max = REDIR_MAX_CONTACTS,
     .help = "contacts one answer lists, best q first"},
    {.name = "multiple",
     .type = SS_CFG_INT,
     .def = "302",
     .min = 300,
     .max = 302,
     .help = "status when several contacts are listed: 302 (Moved "
	     "Temporarily) or 300 (Multiple Choices); one contact always "
	     "gets 302"},
    {.name = NULL},
};

static const ss_cfg_elem_t redir_config[] = {
    {.name = "domain",
     .flags = SS_CFG_MULTI | SS_CFG_TEXT,
     .help = "a domain answered here, besides the server's own addresses "
	     "and localhost (repeatable)"},
    {.name = "methods",
     .flags = SS_CFG_TEXT,
     .help = "out-of-dialog methods answered with the Contact set, comma "
	     "separated; default INVITE. ACK and CANCEL never are"},
    {.name = "contacts",
     .attrs = contacts_attrs,
     .help = "the Contact set of an answer"},
    {.name = NULL},
};

static void conf_free(redir_conf_t *c)
{
	if (!c)
		return;
	redir_domains_free(c->domains);
	free(c);
}

/* "INVITE, OPTIONS" into a method bit mask; 0 on a bad list (logged). */
static uint32_t parse_methods(const ss_cfg_node_t *n)
{
	const char *s = ss_cfg_text(n);
	uint32_t mask = 0;

	if (!*s)
		s = "INVITE";
	while (*s) {
		size_t len = strcspn(s, ", \t\r\n");

		if (len) {
			ss_sip_method_t m =
			    redir_g.parser->method_lookup(s, len);

			if (m == SS_SIP_METHOD_UNKNOWN ||
			    m == SS_SIP_METHOD_ACK ||
			    m == SS_SIP_METHOD_CANCEL) {
				SS_LOG_ERR("%s: methods: %.*s %s",
					   ss_cfg_where(n), (int)len, s,
					   m == SS_SIP_METHOD_UNKNOWN
					       ? "is not a SIP method"
					       : "is never redirected");
				return 0;
			}
			mask |= 1u << m;
		}
		s += len;
		s += strspn(s, ", \t\r\n");
	}
	return mask;
}

static int conf_domains(redir_conf_t *c, const ss_cfg_t *cfg)
{
	unsigned n = ss_cfg_count(cfg, "domain"), i = 0, bad = 0;
	const char **names = calloc(n ? n : 1, sizeof(*names));
	const ss_cfg_node_t *node;
	int err;

	if (!names)
		return -ENOMEM;
	for (node = ss_cfg_first(cfg, "domain"); node && i < n;
	     node = ss_cfg_next(node))
		names[i++] = ss_cfg_text(node);
	c->domains = redir_domains_build(names, i, &bad, &err);
	if (err == -EINVAL) {
		const ss_cfg_node_t *bad_node;

		for (bad_node = ss_cfg_first(cfg, "domain"), i = 0;
		     bad_node && i < bad; bad_node = ss_cfg_next(bad_node))
			i++;
		SS_LOG_ERR("%s: domain: \"%s\" is not a host name or address",
			   bad_node ? ss_cfg_where(bad_node) : "config",
			   bad_node ? ss_cfg_text(bad_node) : "");
	} else if (err) {
		SS_LOG_ERR("redirect: out of memory for the domains");
	}
	free(names);
	return err;
}

static redir_conf_t *conf_build(const ss_cfg_t *cfg)
{
	const ss_cfg_node_t *ct = ss_cfg_first(cfg, "contacts");
	redir_conf_t *c = calloc(1, sizeof(*c));

	if (!c) {
		SS_LOG_ERR("redirect: out of memory");
		return NULL;
	}
	c->methods = parse_methods(ss_cfg_first(cfg, "methods"));
	if (!c->methods)
		goto fail;
	c->max_contacts = (unsigned)ss_cfg_int(ct, "max");
	c->multiple_code = (unsigned)ss_cfg_int(ct, "multiple");
	if (c->multiple_code != 300 && c->multiple_code != 302) {
		SS_LOG_ERR("%s: contacts: multiple must be 300 or 302, not %u",
			   ss_cfg_where(ct), c->multiple_code);
		goto fail;
	}
	if (conf_domains(c, cfg))
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

/* Publishes c and frees the settings it replaces once no worker can still
 * be reading them. Control loop. */
static void conf_swap(redir_conf_t *c)
{
	redir_conf_t *old =
	    __atomic_exchange_n(&redir_g.conf, c, __ATOMIC_ACQ_REL);

	if (old) {
		ss_loop_run_on_workers(quiesce, NULL);
		conf_free(old);
	}
}

static void log_settings(const redir_conf_t *c)
{
	SS_LOG_NOTICE("redirect: %u domain%s, up to %u contacts, %u for "
		      "several",
		      redir_domains_count(c->domains),
		      redir_domains_count(c->domains) == 1 ? "" : "s",
		      c->max_contacts, c->multiple_code);
}

static ss_load_result_t redir_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	redir_conf_t *c;

	(void)self;
	redir_g.parser = ss_service_get("parser", SS_SIP_PARSER_API_VERSION);
	redir_g.txn = ss_service_get(SS_TXN_SERVICE, SS_TXN_API_VERSION);
	redir_g.loc =
	    ss_service_get(SS_LOCATION_SERVICE, SS_LOCATION_API_VERSION);
	redir_g.tp = ss_service_get("transport", SS_SIP_TRANSPORT_API_VERSION);
	if (!redir_g.parser || !redir_g.txn || !redir_g.loc) {
		SS_LOG_ERR("redirect: needs the parser, transaction and "
			   "location services");
		return SS_LOAD_FAIL;
	}
	c = conf_build(cfg);
	if (!c)
		return SS_LOAD_FAIL;
	memset(&redir_g.st, 0, sizeof(redir_g.st));
	conf_swap(c);
	log_settings(c);
	return SS_LOAD_OK;
}

static int redir_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	redir_conf_t *c;

	(void)self;
	redir_g.tp = ss_service_get("transport", SS_SIP_TRANSPORT_API_VERSION);
	c = conf_build(cfg);
	if (!c)
		return -EINVAL;
	conf_swap(c);
	log_settings(c);
	return 0;
}

/* The subscription is gone and no worker runs our code any more. */
static void redir_unload(ss_module_t *self)
{
	(void)self;
	conf_free(__atomic_exchange_n(&redir_g.conf, NULL, __ATOMIC_ACQ_REL));
}

/* ---- console ------------------------------------------------------------ */

static ss_cli_status_t cmd_show(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	const redir_conf_t *c = redir_conf();
	unsigned i;

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	ss_cli_printf(cli, "methods:");
	for (i = 1; i < SS_SIP_METHOD_COUNT; i++)
		if (c->methods & (1u << i))
			ss_cli_printf(
			    cli, " %s",
			    redir_g.parser->method_name((ss_sip_method_t)i));
	ss_cli_printf(cli, "\ncontacts: at most %u, %u when several\ndomains:",
		      c->max_contacts, c->multiple_code);
	for (i = 0; i < redir_domains_count(c->domains); i++)
		ss_cli_printf(cli, " %s", redir_domains_name(c->domains, i));
	ss_cli_printf(cli, "%s\n",
		      redir_g.tp ? " and the listener addresses" : "");
	return SS_CLI_OK;
}

static uint64_t rd(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static ss_cli_status_t cmd_stats(ss_cli_t *cli, int argc,
				 const char *const *argv)
{
	const redir_stats_t *st = &redir_g.st;

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	ss_cli_printf(cli,
		      "requests: %llu (other domains passed on: %llu)\n"
		      "302: %llu  300: %llu  404: %llu  480: %llu  "
		      "send errors: %llu\n"
		      "contacts listed: %llu  answers cut short: %llu\n",
		      (unsigned long long)rd(&st->requests),
		      (unsigned long long)rd(&st->foreign),
		      (unsigned long long)rd(&st->moved),
		      (unsigned long long)rd(&st->multiple),
		      (unsigned long long)rd(&st->not_found),
		      (unsigned long long)rd(&st->unavailable),
		      (unsigned long long)rd(&st->errors),
		      (unsigned long long)rd(&st->contacts),
		      (unsigned long long)rd(&st->truncated));
	return SS_CLI_OK;
}

/* The answer an INVITE to URI would get now, without sending anything. */
static ss_cli_status_t cmd_lookup(ss_cli_t *cli, int argc,
				  const char *const *argv)
{
	const redir_conf_t *c = redir_conf();
	char aor[SS_LOC_MAX_AOR + 1];
	ss_sip_arena_t *arena = NULL;
	redir_set_t *set = NULL;
	char *hdrs = NULL;
	ss_sip_uri_t uri;
	ss_cli_status_t st = SS_CLI_FAIL;
	unsigned code;
	int err;

	if (argc != 1)
		return SS_CLI_USAGE;
	arena = malloc(sizeof(*arena));
	set = malloc(sizeof(*set));
	hdrs = malloc(REDIR_HDRS_SPACE);
	if (!arena || !set || !hdrs)
		goto fail;
	redir_g.parser->arena_init(arena);
	err = redir_g.parser->uri_parse(arena, ss_str_c(argv[0]), &uri);
	if (!err)
		err = redir_g.parser->aor_key(&uri, aor, sizeof(aor));
	if (err < 0) {
		ss_cli_printf(cli,
			      "redirect: %s is not a sip: or sips: URI "
			      "with a user\n",
			      argv[0]);
		goto fini;
	}
	if (!redir_domain_served(c->domains, uri.host))
		ss_cli_printf(cli, "(not one of our domains: passed on)\n");
	err = redir_collect(set, redir_g.loc, aor,
			    uri.scheme == SS_SIP_URI_SIPS, c->max_contacts);
	if (err < 0) {
		ss_cli_printf(cli, "redirect: lookup: %s\n", strerror(-err));
		goto fini;
	}
	redir_drop_self(set, aor, arena);
	redir_contact_lines(set, hdrs, REDIR_HDRS_SPACE);
	code = redir_status(c, set);
	ss_cli_printf(cli, "%s: %u %s\n%s", aor, code,
		      redir_g.parser->reason_phrase(code), hdrs);
	st = SS_CLI_OK;
fini:
	redir_g.parser->arena_fini(arena);
fail:
	free(hdrs);
	free(set);
	free(arena);
	return st;
}

const ss_cli_cmd_t redir_cli_commands[] = {
    {.words = "redirect show",
     .args = "",
     .summary = "methods, Contact set settings and served domains",
     .fn = cmd_show},
    {.words = "redirect show stats",
     .args = "",
     .summary = "answers sent: 302/300 with their contacts, 404, 480",
     .fn = cmd_stats},
    {.words = "redirect lookup",
     .args = "URI",
     .summary = "the answer and Contact set a request to URI gets now",
     .fn = cmd_lookup},
    {.words = NULL},
};

static const ss_bus_sub_t redir_subscriptions[] = {
    {"sip.request.in", SS_SIP_PRIO_REDIRECT, redir_on_request, NULL},
    {NULL, 0, NULL, NULL},
};

static const char *const redir_requires[] = {"parser", SS_TXN_SERVICE,
					     SS_LOCATION_SERVICE, NULL};
static const char *const redir_optional[] = {"transport", NULL};

SS_MODULE(redirect) = {
    .abi = SS_MODULE_ABI,
    .name = "redirect",
    .version = "1.0",
    .description = "redirect server: 3xx with the Contact set of the "
		   "location service (RFC 3261 8.3, RFC 3665 3.6)",
    .requires = redir_requires,
    .optional = redir_optional,
    .load = redir_load,
    .reload = redir_reload,
    .unload = redir_unload,
    .commands = redir_cli_commands,
    .subscriptions = redir_subscriptions,
    .config = redir_config,
};
