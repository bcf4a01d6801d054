/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The b2bua module (SIP ALG, RFC 3665 3.5): descriptor, configuration
 * table and settings, start and stop across the worker loops, and the
 * console commands `b2bua show calls` and `b2bua hangup`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sipserver/log.h>
#include <sipserver/service.h>

#include "b2b_int.h"

b2b_global_t b2b_g;

/* ---- configuration ---- */

static const ss_cfg_attr_t accept_attrs[] = {
    {.name = "route",
     .type = SS_CFG_BOOL,
     .def = "yes",
     .help = "take INVITEs whose top Route names us (and consume it)"},
    {.name = "ruri",
     .type = SS_CFG_BOOL,
     .def = "no",
     .help = "take INVITEs whose Request-URI names us"},
    {.name = NULL},
};

static const ss_cfg_attr_t alias_attrs[] = {
    {.name = "host",
     .type = SS_CFG_STR,
     .flags = SS_CFG_REQUIRED,
     .help = "another name or address of this ALG"},
    {.name = "port",
     .type = SS_CFG_INT,
     .def = "0",
     .min = 0,
     .max = 65535,
     .help = "its port; 0 matches any"},
    {.name = NULL},
};

static const ss_cfg_attr_t next_hop_attrs[] = {
    {.name = "uri",
     .type = SS_CFG_STR,
     .def = "",
     .help = "every outgoing INVITE goes there as a Route (add ;lr); "
	     "empty: to the Request-URI, through DNS for a name"},
    {.name = NULL},
};

static const ss_cfg_attr_t privacy_attrs[] = {
    {.name = "anonymize_from",
     .type = SS_CFG_BOOL,
     .def = "no",
     .help = "replace the caller's From with an anonymous one"},
    {.name = NULL},
};

static const ss_cfg_attr_t limits_attrs[] = {
    {.name = "max_calls",
     .type = SS_CFG_INT,
     .def = "10000",
     .min = 1,
     .max = 10000000,
     .help = "calls at once; more get 503"},
    {.name = "retry_after",
     .type = SS_CFG_INT,
     .def = "5",
     .min = 1,
     .max = 86400,
     .help = "Retry-After of our 503s, in seconds"},
    {.name = NULL},
};

static const ss_cfg_attr_t timers_attrs[] = {
    {.name = "t1",
     .type = SS_CFG_INT,
     .def = "500",
     .min = 1,
     .max = 60000,
     .help = "first 2xx retransmission interval (ms); 64*T1 without an "
	     "ACK ends the call"},
    {.name = "t2",
     .type = SS_CFG_INT,
     .def = "4000",
     .min = 1,
     .max = 600000,
     .help = "longest 2xx retransmission interval (ms)"},
    {.name = NULL},
};

static const ss_cfg_elem_t b2b_config[] = {
    {.name = "accept", .attrs = accept_attrs, .help = "which INVITEs are ours"},
    {.name = "alias",
     .flags = SS_CFG_MULTI,
     .attrs = alias_attrs,
     .help = "names of this ALG besides its listeners"},
    {.name = "next_hop",
     .attrs = next_hop_attrs,
     .help = "static next hop of the outgoing legs"},
    {.name = "privacy", .attrs = privacy_attrs, .help = "anonymizer"},
    {.name = "limits", .attrs = limits_attrs, .help = "call cap"},
    {.name = "timers", .attrs = timers_attrs, .help = "2xx retransmission"},
    {.name = NULL},
};

void b2b_conf_defaults(b2b_conf_t *c)
{
	memset(c, 0, sizeof(*c));
	c->accept_route = true;
	c->max_calls = 10000;
	c->retry_after = 5;
	c->t1 = 500;
	c->t2 = 4000;
}

static int check_next_hop(const char *text, const ss_cfg_node_t *n)
{
	ss_sip_arena_t a;
	ss_sip_uri_t uri;
	int err;

	if (!text[0])
		return 0;
	b2b_g.parser->arena_init(&a);
	err = b2b_g.parser->uri_parse(&a, ss_str_c(text), &uri);
	if (!err && uri.scheme != SS_SIP_URI_SIP &&
	    uri.scheme != SS_SIP_URI_SIPS)
		err = -EINVAL;
	if (!err && uri.host_type == SS_SIP_HOST_NAME && !b2b_g.dns) {
		SS_LOG_ERR("%s: next_hop: '%s' is a name and the dns module "
			   "is not loaded",
			   ss_cfg_where(n), text);
		err = -EINVAL;
	} else if (err) {
		SS_LOG_ERR("%s: next_hop: '%s' is not a sip: URI",
			   ss_cfg_where(n), text);
	}
	b2b_g.parser->arena_fini(&a);
	return err;
}

static b2b_conf_t *conf_build(const ss_cfg_t *cfg)
{
	b2b_conf_t *c = malloc(sizeof(*c));
	const ss_cfg_node_t *n;

	if (!c)
		return NULL;
	b2b_conf_defaults(c);
	n = ss_cfg_first(cfg, "accept");
	c->accept_route = ss_cfg_bool(n, "route");
	c->accept_ruri = ss_cfg_bool(n, "ruri");
	for (n = ss_cfg_first(cfg, "alias"); n; n = ss_cfg_next(n)) {
		const char *h = ss_cfg_str(n, "host");

		if (c->naliases == B2B_ALIASES_MAX ||
		    strlen(h) >= sizeof(c->aliases[0].host)) {
			SS_LOG_ERR("%s: alias: at most %u aliases of up to "
				   "255 characters",
				   ss_cfg_where(n), B2B_ALIASES_MAX);
			goto fail;
		}
		snprintf(c->aliases[c->naliases].host,
			 sizeof(c->aliases[0].host), "%s", h);
		c->aliases[c->naliases++].port =
		    (unsigned)ss_cfg_int(n, "port");
	}
	n = ss_cfg_first(cfg, "next_hop");
	if (strlen(ss_cfg_str(n, "uri")) >= sizeof(c->next_hop) ||
	    check_next_hop(ss_cfg_str(n, "uri"), n) < 0)
		goto fail;
	snprintf(c->next_hop, sizeof(c->next_hop), "%s", ss_cfg_str(n, "uri"));
	c->anonymize_from =
	    ss_cfg_bool(ss_cfg_first(cfg, "privacy"), "anonymize_from");
	n = ss_cfg_first(cfg, "limits");
	c->max_calls = (unsigned)ss_cfg_int(n, "max_calls");
	c->retry_after = (unsigned)ss_cfg_int(n, "retry_after");
	n = ss_cfg_first(cfg, "timers");
	c->t1 = (uint32_t)ss_cfg_int(n, "t1");
	c->t2 = (uint32_t)ss_cfg_int(n, "t2");
	if (c->t2 < c->t1) {
		SS_LOG_ERR("%s: timers: t2 is below t1", ss_cfg_where(n));
		goto fail;
	}
	return c;
fail:
	free(c);
	return NULL;
}

/* ---- start and stop ---- */

static void loops_free(void)
{
	for (unsigned i = 0; b2b_g.loops && i < b2b_g.nloops; i++)
		b2b_loop_fini(&b2b_g.loops[i]);
	free(b2b_g.loops);
	b2b_g.loops = NULL;
	b2b_g.nloops = 0;
}

int b2b_start(const ss_module_t *self, b2b_conf_t *conf)
{
	unsigned n = ss_loop_count();

	b2b_g.self = self;
	if (!n || n > 0xfff) {
		SS_LOG_ERR("needs between 1 and 4095 worker loops, not %u", n);
		goto fail;
	}
	b2b_g.loops = aligned_alloc(64, n * sizeof(*b2b_g.loops));
	if (!b2b_g.loops)
		goto fail;
	memset(b2b_g.loops, 0, n * sizeof(*b2b_g.loops));
	b2b_g.nloops = n;
	for (unsigned i = 0; i < n; i++)
		if (b2b_loop_init(&b2b_g.loops[i], i) < 0)
			goto fail;
	__atomic_store_n(&b2b_g.conf, conf, __ATOMIC_RELEASE);
	return 0;
fail:
	loops_free();
	free(conf);
	return -ENOMEM;
}

static void quiescent(void *arg)
{
	(void)arg;
}

static void hangup_all_task(void *arg)
{
	b2b_loop_t *bl = b2b_loop_here();

	(void)arg;
	if (bl)
		b2b_loop_hangup_all(bl);
}

static void drain_task(void *arg)
{
	b2b_loop_t *bl = b2b_loop_here();

	(void)arg;
	if (bl)
		b2b_loop_drain(bl);
}

/*
 * Calls still up are hung up while the transaction layer (which we
 * require, so it unloads after us) can still send the BYEs, and their
 * answers are awaited for up to 2 s. What remains is then freed. An
 * INVITE client transaction may still hold our callback until its Timer
 * M (64*T1 after its 2xx): the transaction API offers no way to detach
 * it, so an unload with calls younger than that is not fully safe.
 */
void b2b_stop(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	if (!b2b_g.loops)
		return;
	ss_loop_run_on_workers(hangup_all_task, NULL);
	for (int i = 0;
	     i < 200 && (__atomic_load_n(&b2b_g.fwds, __ATOMIC_ACQUIRE) ||
			 __atomic_load_n(&b2b_g.tasks, __ATOMIC_ACQUIRE));
	     i++) {
		nanosleep(&ts, NULL);
		ss_loop_run_on_workers(quiescent, NULL);
	}
	ss_loop_run_on_workers(drain_task, NULL);
	for (int i = 0;
	     i < 1000 && __atomic_load_n(&b2b_g.tasks, __ATOMIC_ACQUIRE); i++)
		ss_loop_run_on_workers(quiescent, NULL);
	loops_free();
	free((void *)b2b_g.conf);
	memset(&b2b_g, 0, sizeof(b2b_g));
}

static ss_load_result_t b2b_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	b2b_conf_t *conf;

	b2b_g.parser = ss_service_get("parser", SS_SIP_PARSER_API_VERSION);
	b2b_g.transport =
	    ss_service_get("transport", SS_SIP_TRANSPORT_API_VERSION);
	b2b_g.txn = ss_service_get(SS_TXN_SERVICE, SS_TXN_API_VERSION);
	b2b_g.rtp =
	    ss_service_get(SS_RTP_RELAY_SERVICE, SS_RTP_RELAY_API_VERSION);
	b2b_g.dns = ss_service_get(SS_DNS_SERVICE, SS_DNS_API_VERSION);
	if (!b2b_g.parser || !b2b_g.transport || !b2b_g.txn || !b2b_g.rtp) {
		SS_LOG_ERR("needs the parser, transport, transaction and "
			   "rtp_relay services");
		return SS_LOAD_FAIL;
	}
	conf = conf_build(cfg);
	if (!conf || b2b_start(self, conf) < 0)
		return SS_LOAD_FAIL;
	SS_LOG_INFO("ALG on %u loops, next hop %s, at most %u calls",
		    b2b_g.nloops, conf->next_hop[0] ? conf->next_hop : "none",
		    conf->max_calls);
	return SS_LOAD_OK;
}

/* New settings apply to the next request; the old ones are freed once no
 * worker can be reading them. */
static int b2b_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	const b2b_conf_t *old = b2b_g.conf;
	b2b_conf_t *conf = conf_build(cfg);

	(void)self;
	if (!conf)
		return -EINVAL;
	__atomic_store_n(&b2b_g.conf, conf, __ATOMIC_RELEASE);
	ss_loop_run_on_workers(quiescent, NULL);
	free((void *)old);
	return 0;
}

static void b2b_unload(ss_module_t *self)
{
	(void)self;
	b2b_stop();
}

/* ---- console ---- */

typedef struct cli_buf {
	char *text;
	size_t len, cap;
	uint64_t now;
	unsigned calls;
	const char *match; /* hangup: id or Call-ID */
	const char *prefix;
} cli_buf_t;

static void __attribute__((format(printf, 2, 3)))
cli_append(cli_buf_t *b, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		size_t room = b->cap - b->len;
		char *t;
		int n;

		va_start(ap, fmt);
		n = vsnprintf(b->text ? b->text + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		t = realloc(b->text, b->cap * 2 + (size_t)n + 1024);
		if (!t)
			return;
		b->text = t;
		b->cap = b->cap * 2 + (size_t)n + 1024;
	}
}

static void show_call(b2b_call_t *c, void *arg)
{
	cli_buf_t *b = arg;
	ss_rtp_local_t a, z;

	cli_append(b, "%-8llu %-4u %-9s %6llus  %-36s %-34s",
		   (unsigned long long)c->id, c->bl->index,
		   b2b_state_name(c->state),
		   (unsigned long long)((b->now - c->created_ms) / 1000),
		   c->leg[B2B_IN].call_id ? c->leg[B2B_IN].call_id : "-",
		   c->leg[B2B_OUT].call_id ? c->leg[B2B_OUT].call_id : "-");
	for (unsigned i = 0; i < c->nstreams; i++) {
		if (!c->rtp[i])
			continue;
		b2b_g.rtp->local(c->rtp[i], SS_RTP_SIDE_A, &a);
		b2b_g.rtp->local(c->rtp[i], SS_RTP_SIDE_B, &z);
		cli_append(b, " %u/%u", a.rtp_port, z.rtp_port);
	}
	cli_append(b, "\n");
	b->calls++;
}

static void collect_task(void *arg)
{
	cli_buf_t *b = arg;
	b2b_loop_t *bl = b2b_loop_here();

	if (!bl)
		return;
	b->now = ss_loop_now_ms(bl->loop);
	b2b_loop_foreach(bl, show_call, b);
}

static ss_cli_status_t cli_show_calls(ss_cli_t *cli, int argc,
				      const char *const *argv)
{
	cli_buf_t b = {0};

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	if (!b2b_g.loops) {
		ss_cli_printf(cli, "b2bua is not running\n");
		return SS_CLI_FAIL;
	}
	ss_loop_run_on_workers(collect_task, &b);
	ss_cli_printf(cli, "%-8s %-4s %-9s %7s  %-36s %-34s %s\n", "id", "loop",
		      "state", "age", "caller Call-ID", "callee Call-ID",
		      "relay ports (caller/callee side)");
	if (b.text)
		ss_cli_printf(cli, "%s", b.text);
	ss_cli_printf(
	    cli, "%u call%s (%llu accepted, %llu refused)\n", b.calls,
	    b.calls == 1 ? "" : "s",
	    (unsigned long long)__atomic_load_n(&b2b_g.total, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&b2b_g.refused,
						__ATOMIC_RELAXED));
	free(b.text);
	return SS_CLI_OK;
}

static void hangup_one(b2b_call_t *c, void *arg)
{
	cli_buf_t *b = arg;
	char id[24];

	snprintf(id, sizeof(id), "%llu", (unsigned long long)c->id);
	if (c->state >= B2B_ENDING ||
	    (strcmp(b->match, id) != 0 &&
	     (!c->leg[B2B_IN].call_id ||
	      strcmp(b->match, c->leg[B2B_IN].call_id) != 0)))
		return;
	b->calls++;
	b2b_call_hangup(c, "console");
}

static void hangup_task(void *arg)
{
	b2b_loop_t *bl = b2b_loop_here();

	if (bl)
		b2b_loop_foreach(bl, hangup_one, arg);
}

static ss_cli_status_t cli_hangup(ss_cli_t *cli, int argc,
				  const char *const *argv)
{
	cli_buf_t b = {0};

	if (argc != 1)
		return SS_CLI_USAGE;
	if (!b2b_g.loops) {
		ss_cli_printf(cli, "b2bua is not running\n");
		return SS_CLI_FAIL;
	}
	b.match = argv[0];
	ss_loop_run_on_workers(hangup_task, &b);
	if (!b.calls) {
		ss_cli_printf(cli, "no live call %s\n", argv[0]);
		return SS_CLI_FAIL;
	}
	ss_cli_printf(cli, "hanging up call %s\n", argv[0]);
	return SS_CLI_OK;
}

static void complete_one(b2b_call_t *c, void *arg)
{
	cli_buf_t *b = arg;
	char id[24];

	snprintf(id, sizeof(id), "%llu", (unsigned long long)c->id);
	if (c->state < B2B_ENDING && !strncmp(id, b->prefix, strlen(b->prefix)))
		cli_append(b, "%s%c", id, '\0');
}

static void complete_task(void *arg)
{
	b2b_loop_t *bl = b2b_loop_here();

	if (bl)
		b2b_loop_foreach(bl, complete_one, arg);
}

static void cli_complete_call(ss_cli_t *cli, int argi, const char *const *argv,
			      const char *prefix)
{
	cli_buf_t b = {.prefix = prefix};

	(void)argv;
	if (argi != 0 || !b2b_g.loops)
		return;
	ss_loop_run_on_workers(complete_task, &b);
	for (size_t off = 0; off < b.len; off += strlen(b.text + off) + 1)
		ss_cli_add_completion(cli, b.text + off);
	free(b.text);
}

const ss_cli_cmd_t b2b_commands[] = {
    {.words = "b2bua show calls",
     .args = "",
     .summary = "calls through the ALG: both Call-IDs, state, relay ports",
     .fn = cli_show_calls},
    {.words = "b2bua hangup",
     .args = "CALL",
     .summary = "end a call (its id or the caller's Call-ID): BYE both legs",
     .fn = cli_hangup,
     .complete = cli_complete_call},
    {.words = NULL},
};

static const ss_bus_sub_t b2b_subscriptions[] = {
    {.topic = "sip.request.in",
     .priority = SS_SIP_PRIO_B2BUA,
     .fn = b2b_on_request},
    {.topic = NULL},
};

static const char *const b2b_requires[] = {
    "parser", "transport", SS_TXN_SERVICE, SS_RTP_RELAY_SERVICE, NULL};
static const char *const b2b_optional[] = {SS_DNS_SERVICE, NULL};

SS_MODULE(b2bua) = {
    .abi = SS_MODULE_ABI,
    .name = "b2bua",
    .version = "1.0",
    .description = "SIP ALG: two dialogs per call, SDP through the RTP "
		   "relay, topology hiding (RFC 3665 3.5)",
    .requires = b2b_requires,
    .optional = b2b_optional,
    .load = b2b_load,
    .reload = b2b_reload,
    .unload = b2b_unload,
    .commands = b2b_commands,
    .subscriptions = b2b_subscriptions,
    .config = b2b_config,
};
