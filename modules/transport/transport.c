/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transport module: its descriptor and config table, start and stop of
 * the listeners on the worker loops, the `transport` service and the
 * console commands.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>

#include <sipserver/cli.h>
#include <sipserver/config.h>
#include <sipserver/log.h>
#include <sipserver/service.h>

#include "transport_int.h"

/* Written by load and unload on the control loop only; the workers read
 * it while the module is loaded (ss_loop_run_on_workers orders both). */
tp_state_t *tp;

const char *tp_addr_str(const ss_sip_addr_t *a, char *buf, size_t size)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->sa;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->sa;
	char ip[INET6_ADDRSTRLEN];

	if (a->sa.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	} else if (a->sa.ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(sin->sin_port));
	} else {
		snprintf(buf, size, "-");
	}
	return buf;
}

tp_loop_t *tp_loop_self(void)
{
	ss_loop_t *loop = ss_loop_current();
	unsigned i;

	if (!loop || !tp)
		return NULL;
	i = ss_loop_index(loop);
	return i < tp->nloops ? &tp->loops[i] : NULL;
}

tp_listener_t *tp_listener_find(ss_sip_proto_t proto, int family)
{
	unsigned i;

	for (i = 0; i < tp->nlisteners; i++)
		if (tp->listeners[i].info.proto == proto &&
		    tp->listeners[i].info.addr.sa.ss_family == family)
			return &tp->listeners[i];
	return NULL;
}

static int tp_api_send(const ss_sip_dest_t *dst, const char *buf, size_t len)
{
	if (!tp || !dst)
		return -EINVAL;
	if (dst->proto == SS_SIP_UDP)
		return tp_udp_send(dst, buf, len);
	if (dst->proto == SS_SIP_TCP || dst->proto == SS_SIP_TLS)
		return tp_stream_send(dst, buf, len);
	return -EPROTONOSUPPORT;
}

static const ss_sip_listener_info_t *tp_api_listener_for(ss_sip_proto_t proto,
							 int family)
{
	tp_listener_t *l = tp ? tp_listener_find(proto, family) : NULL;

	return l ? &l->info : NULL;
}

static const ss_sip_listener_info_t *tp_api_listener_at(unsigned i)
{
	return tp && i < tp->nlisteners ? &tp->listeners[i].info : NULL;
}

static bool tp_api_host_is_local(ss_str_t host, unsigned port)
{
	const tp_state_t *st = tp;

	return tp_locals_has(st ? __atomic_load_n(&st->locals, __ATOMIC_ACQUIRE)
				: NULL,
			     host, port);
}

const ss_sip_transport_api_t tp_api = {
    .version = SS_SIP_TRANSPORT_API_VERSION,
    .send = tp_api_send,
    .listener_for = tp_api_listener_for,
    .listener_at = tp_api_listener_at,
    .host_is_local = tp_api_host_is_local,
};

/* A snapshot of what the open listeners are reachable as. */
static tp_locals_t *tp_locals_snapshot(const tp_state_t *st)
{
	const ss_sip_listener_info_t *ls[TP_MAX_LISTENERS];

	for (unsigned i = 0; i < st->nlisteners; i++)
		ls[i] = &st->listeners[i].info;
	return tp_locals_build(ls, st->nlisteners);
}

static void tp_quiesce(void *arg)
{
	(void)arg;
}

/* Takes the interface addresses again (a wildcard listener serves the ones
 * added since) and frees the old snapshot once no worker reads it. */
static int tp_locals_refresh(tp_state_t *st)
{
	tp_locals_t *t = tp_locals_snapshot(st);

	if (!t)
		return -ENOMEM;
	t = __atomic_exchange_n(&st->locals, t, __ATOMIC_ACQ_REL);
	ss_loop_run_on_workers(tp_quiesce, NULL);
	tp_locals_free(t);
	return 0;
}

static int tp_check_settings(const tp_settings_t *set)
{
	if (set->lim.max_buffer < set->lim.max_message + 2) {
		SS_LOG_ERR("limits: max_buffer (%zu) must exceed max_message "
			   "(%zu) by at least 2 bytes",
			   set->lim.max_buffer, set->lim.max_message);
		return -EINVAL;
	}
	if (set->nlisten == 0 || set->nlisten > TP_MAX_LISTENERS) {
		SS_LOG_ERR("between 1 and %d <listen> elements are needed",
			   TP_MAX_LISTENERS);
		return -EINVAL;
	}
	if (set->lim.udp_batch == 0 || set->lim.max_connections == 0)
		return -EINVAL;
	return 0;
}

static int tp_open_all(tp_state_t *st)
{
	unsigned i;
	int err;

	st->loops = calloc(st->nloops, sizeof(*st->loops));
	if (!st->loops)
		return -ENOMEM;
	for (i = 0; i < st->nloops; i++) {
		err = tp_loop_init(&st->loops[i], i, &st->set.lim);
		if (err < 0)
			return err;
	}
	for (i = 0; i < st->set.nlisten; i++) {
		st->listeners[i].index = i;
		err = tp_listener_open(&st->listeners[i], &st->set.listen[i],
				       st->nloops);
		if (err < 0)
			return err;
		st->nlisteners++;
	}
	return 0;
}

int tp_start(const ss_module_t *self, const tp_settings_t *set)
{
	tp_state_t *st;
	unsigned i;
	int err;

	if (tp)
		return -EBUSY;
	err = tp_check_settings(set);
	if (err < 0)
		return err;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->self = self;
	st->set = *set;
	st->nloops = ss_loop_count();
	st->topic = ss_bus_topic("sip.raw.in");
	err = st->topic < 0 ? st->topic : st->nloops ? 0 : -ENXIO;
	if (err == 0)
		err = tp_table_init(&st->table, set->lim.max_connections);
	if (err == 0)
		err = tp_tls_init(st);
	/* the state is published before anything can fail half-way so that
	 * tp_stop() is the one undo path */
	tp = st;
	if (err == 0)
		err = tp_open_all(st);
	if (err == 0) {
		st->locals = tp_locals_snapshot(st);
		err = st->locals ? 0 : -ENOMEM;
	}
	if (err < 0)
		goto fail;
	ss_loop_run_on_workers(tp_loops_start_fn, NULL);
	for (i = 0; i < st->nloops; i++)
		if (st->loops[i].start_err < 0) {
			err = st->loops[i].start_err;
			goto fail;
		}
	return 0;
fail:
	tp_stop();
	return err;
}

void tp_stop(void)
{
	tp_state_t *st = tp;
	unsigned i;

	if (!st)
		return;
	if (st->loops)
		ss_loop_run_on_workers(tp_loops_stop_fn, NULL);
	for (i = 0; i < TP_MAX_LISTENERS; i++)
		tp_listener_close(&st->listeners[i], st->nloops);
	if (st->loops)
		for (i = 0; i < st->nloops; i++)
			tp_loop_free(&st->loops[i]);
	free(st->loops);
	tp_tls_free(st);
	tp_table_destroy(&st->table);
	tp = NULL;
	tp_locals_free(st->locals);
	free(st);
}

static const ss_cfg_attr_t tp_listen_attrs[] = {
    {.name = "transport",
     .type = SS_CFG_STR,
     .def = "udp",
     .help = "udp, tcp or tls"},
    {.name = "address",
     .type = SS_CFG_STR,
     .def = "127.0.0.1",
     .help = "IPv4 or IPv6 address to bind (0.0.0.0, :: for all)"},
    {.name = "port",
     .type = SS_CFG_INT,
     .min = 0,
     .max = 65535,
     .help = "port; default 5060, 5061 for tls; 0 lets the system pick"},
    {.name = NULL},
};

static const ss_cfg_attr_t tp_tls_attrs[] = {
    {.name = "certificate",
     .type = SS_CFG_STR,
     .def = "",
     .help = "PEM certificate chain (relative: under the state dir)"},
    {.name = "key", .type = SS_CFG_STR, .def = "", .help = "PEM private key"},
    {.name = "ca",
     .type = SS_CFG_STR,
     .def = "",
     .help = "PEM CA bundle for verification; empty: system store"},
    {.name = "verify",
     .type = SS_CFG_BOOL,
     .def = "no",
     .help = "verify peers' certificates (both directions)"},
    {.name = NULL},
};

static const ss_cfg_attr_t tp_limits_attrs[] = {
    {.name = "max_message",
     .type = SS_CFG_INT,
     .def = "65535",
     .min = 1024,
     .max = 16777216,
     .help = "largest message in bytes"},
    {.name = "max_connections",
     .type = SS_CFG_INT,
     .def = "4096",
     .min = 1,
     .max = 1048576,
     .help = "open TCP/TLS connections, in and out"},
    {.name = "max_connections_per_source",
     .type = SS_CFG_INT,
     .def = "64",
     .min = 1,
     .max = 1048576,
     .help = "incoming connections from one IP address"},
    {.name = "idle_timeout",
     .type = SS_CFG_INT,
     .def = "120000",
     .min = 100,
     .max = 86400000,
     .help = "ms without traffic before a connection is closed"},
    {.name = "max_buffer",
     .type = SS_CFG_INT,
     .def = "262144",
     .min = 4096,
     .max = 268435456,
     .help = "bytes buffered per connection, each direction"},
    {.name = NULL},
};

static const ss_cfg_attr_t tp_udp_attrs[] = {
    {.name = "batch",
     .type = SS_CFG_INT,
     .def = "32",
     .min = 1,
     .max = 1024,
     .help = "datagrams read per recvmmsg call"},
    {.name = NULL},
};

static const ss_cfg_elem_t tp_config[] = {
    {.name = "listen",
     .flags = SS_CFG_MULTI,
     .attrs = tp_listen_attrs,
     .help = "a SIP listener"},
    {.name = "tls", .attrs = tp_tls_attrs, .help = "TLS certificate"},
    {.name = "limits",
     .attrs = tp_limits_attrs,
     .help = "sizes, counts, timeouts"},
    {.name = "udp", .attrs = tp_udp_attrs, .help = "UDP tuning"},
    {.name = NULL},
};

static int tp_cfg_listen(const ss_cfg_node_t *n, tp_listen_cfg_t *lc)
{
	const char *proto = ss_cfg_str(n, "transport");
	const char *addr = ss_cfg_str(n, "address");

	if (strcasecmp(proto, "udp") == 0)
		lc->proto = SS_SIP_UDP;
	else if (strcasecmp(proto, "tcp") == 0)
		lc->proto = SS_SIP_TCP;
	else if (strcasecmp(proto, "tls") == 0)
		lc->proto = SS_SIP_TLS;
	else {
		SS_LOG_ERR("%s: listen: transport must be udp, tcp or tls, "
			   "not '%s'",
			   ss_cfg_where(n), proto);
		return -EINVAL;
	}
	if (strlen(addr) >= sizeof(lc->address)) {
		SS_LOG_ERR("%s: listen: bad address '%s'", ss_cfg_where(n),
			   addr);
		return -EINVAL;
	}
	snprintf(lc->address, sizeof(lc->address), "%s", addr);
	if (ss_cfg_has(n, "port"))
		lc->port = (unsigned)ss_cfg_int(n, "port");
	else
		lc->port = lc->proto == SS_SIP_TLS ? 5061 : 5060;
	return 0;
}

static int tp_cfg_path(const ss_cfg_node_t *n, const char *attr, char *out,
		       size_t size)
{
	const char *v = ss_cfg_str(n, attr);

	out[0] = '\0';
	if (!v[0])
		return 0;
	if (!ss_cfg_path(v, out, (unsigned)size)) {
		SS_LOG_ERR("%s: tls %s: path too long", ss_cfg_where(n), attr);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int tp_settings_from_cfg(const ss_cfg_t *cfg, tp_settings_t *set)
{
	const ss_cfg_node_t *n;
	int err;

	memset(set, 0, sizeof(*set));
	for (n = ss_cfg_first(cfg, "listen"); n; n = ss_cfg_next(n)) {
		if (set->nlisten == TP_MAX_LISTENERS) {
			SS_LOG_ERR("%s: more than %d listeners",
				   ss_cfg_where(n), TP_MAX_LISTENERS);
			return -EINVAL;
		}
		err = tp_cfg_listen(n, &set->listen[set->nlisten++]);
		if (err < 0)
			return err;
	}
	n = ss_cfg_first(cfg, "tls");
	if ((err = tp_cfg_path(n, "certificate", set->tls_cert,
			       sizeof(set->tls_cert))) < 0 ||
	    (err = tp_cfg_path(n, "key", set->tls_key, sizeof(set->tls_key))) <
		0 ||
	    (err = tp_cfg_path(n, "ca", set->tls_ca, sizeof(set->tls_ca))) < 0)
		return err;
	set->tls_verify = ss_cfg_bool(n, "verify");
	n = ss_cfg_first(cfg, "limits");
	set->lim.max_message = (size_t)ss_cfg_int(n, "max_message");
	set->lim.max_connections = (unsigned)ss_cfg_int(n, "max_connections");
	set->lim.max_per_source =
	    (unsigned)ss_cfg_int(n, "max_connections_per_source");
	set->lim.idle_ms = (unsigned)ss_cfg_int(n, "idle_timeout");
	set->lim.max_buffer = (size_t)ss_cfg_int(n, "max_buffer");
	set->lim.udp_batch =
	    (unsigned)ss_cfg_int(ss_cfg_first(cfg, "udp"), "batch");
	return 0;
}

static ss_load_result_t tp_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	tp_settings_t *set = malloc(sizeof(*set));
	ss_load_result_t res = SS_LOAD_FAIL;
	int err;

	if (!set)
		return SS_LOAD_FAIL;
	if (tp_settings_from_cfg(cfg, set) < 0)
		goto out;
	if (set->nlisten == 0) {
		SS_LOG_NOTICE("no <listen> configured: not loaded");
		res = SS_LOAD_DECLINE;
		goto out;
	}
	if (tp_start(self, set) < 0)
		goto out;
	err = ss_service_provide(self, "transport",
				 SS_SIP_TRANSPORT_API_VERSION, &tp_api);
	if (err < 0) {
		SS_LOG_ERR("cannot provide the transport service: %s",
			   strerror(-err));
		tp_stop();
		goto out;
	}
	res = SS_LOAD_OK;
out:
	free(set);
	return res;
}

/* Limits that are only read when a connection is made or a timer started
 * change in place; listeners, TLS and buffer sizes need unload and load
 * (they size the per-loop buffers and own the sockets in use). */
static int tp_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	tp_settings_t *set = malloc(sizeof(*set));
	tp_limits_t *cur;
	int err = -EINVAL;

	(void)self;
	if (!set || !tp)
		goto out;
	if (tp_settings_from_cfg(cfg, set) < 0)
		goto out;
	cur = &tp->set.lim;
	if (set->nlisten != tp->set.nlisten ||
	    memcmp(set->listen, tp->set.listen,
		   set->nlisten * sizeof(set->listen[0])) != 0 ||
	    strcmp(set->tls_cert, tp->set.tls_cert) != 0 ||
	    strcmp(set->tls_key, tp->set.tls_key) != 0 ||
	    strcmp(set->tls_ca, tp->set.tls_ca) != 0 ||
	    set->tls_verify != tp->set.tls_verify ||
	    set->lim.max_message != cur->max_message ||
	    set->lim.max_buffer != cur->max_buffer ||
	    set->lim.udp_batch != cur->udp_batch) {
		SS_LOG_WARN("listeners, tls, max_message, max_buffer and udp "
			    "batch change only by unloading and loading the "
			    "module; other limits are reloaded");
		err = -EBUSY;
		goto out;
	}
	__atomic_store_n(&cur->max_connections, set->lim.max_connections,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&cur->max_per_source, set->lim.max_per_source,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&cur->idle_ms, set->lim.idle_ms, __ATOMIC_RELAXED);
	err = tp_locals_refresh(tp);
out:
	free(set);
	return err;
}

static void tp_unload(ss_module_t *self)
{
	(void)self;
	tp_stop();
}

static void tp_sum_stats(unsigned li, tp_stats_t *sum)
{
	unsigned i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < tp->nloops; i++) {
		const tp_stats_t *s = &tp->loops[i].stats[li];

		sum->msgs_in += TP_GET(s->msgs_in);
		sum->bytes_in += TP_GET(s->bytes_in);
		sum->msgs_out += TP_GET(s->msgs_out);
		sum->bytes_out += TP_GET(s->bytes_out);
		sum->dropped += TP_GET(s->dropped);
		sum->refused += TP_GET(s->refused);
	}
}

static ss_cli_status_t tp_cli_transports(ss_cli_t *cli, int argc,
					 const char *const *argv)
{
	tp_stats_t s;
	unsigned i;

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	if (!tp) {
		ss_cli_printf(cli, "transport is not running\n");
		return SS_CLI_FAIL;
	}
	ss_cli_printf(cli, "%-5s %-30s %6s %10s %12s %10s %12s %8s %8s\n",
		      "proto", "address", "conns", "msgs-in", "bytes-in",
		      "msgs-out", "bytes-out", "dropped", "refused");
	for (i = 0; i < tp->nlisteners; i++) {
		const tp_listener_t *l = &tp->listeners[i];
		char addr[INET6_ADDRSTRLEN + 8];

		tp_sum_stats(i, &s);
		tp_addr_str(&l->info.addr, addr, sizeof(addr));
		ss_cli_printf(cli,
			      "%-5s %-30s %6u %10llu %12llu %10llu %12llu "
			      "%8llu %8llu\n",
			      ss_sip_proto_name(l->info.proto), addr,
			      l->info.proto == SS_SIP_UDP ? 0
							  : TP_GET(l->conns),
			      (unsigned long long)s.msgs_in,
			      (unsigned long long)s.bytes_in,
			      (unsigned long long)s.msgs_out,
			      (unsigned long long)s.bytes_out,
			      (unsigned long long)s.dropped,
			      (unsigned long long)s.refused);
	}
	tp_sum_stats(TP_MAX_LISTENERS, &s);
	ss_cli_printf(cli, "outgoing without listener: %llu msgs out\n",
		      (unsigned long long)s.msgs_out);
	return SS_CLI_OK;
}

typedef struct tp_cli_conn_ctx {
	ss_cli_t *cli;
	uint64_t now;
	unsigned n;
} tp_cli_conn_ctx_t;

static void tp_cli_conn_row(const tp_conn_t *c, void *arg)
{
	tp_cli_conn_ctx_t *ctx = arg;
	char remote[INET6_ADDRSTRLEN + 8], local[INET6_ADDRSTRLEN + 8];
	uint64_t age = ctx->now > c->created_ms ? ctx->now - c->created_ms : 0;

	ss_cli_printf(ctx->cli,
		      "%-8llu %-5s %-28s %-28s %4u %8llus %12llu %12llu%s\n",
		      (unsigned long long)c->id, ss_sip_proto_name(c->proto),
		      tp_addr_str(&c->remote, remote, sizeof(remote)),
		      tp_addr_str(&c->local, local, sizeof(local)),
		      c->tl->index, (unsigned long long)(age / 1000),
		      (unsigned long long)TP_GET(c->bytes_in),
		      (unsigned long long)TP_GET(c->bytes_out),
		      c->incoming ? "" : " out");
	ctx->n++;
}

static ss_cli_status_t tp_cli_connections(ss_cli_t *cli, int argc,
					  const char *const *argv)
{
	tp_cli_conn_ctx_t ctx = {.cli = cli};
	ss_loop_t *loop = ss_loop_current();

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	if (!tp) {
		ss_cli_printf(cli, "transport is not running\n");
		return SS_CLI_FAIL;
	}
	ctx.now = ss_loop_now_ms(loop ? loop : tp->loops[0].loop);
	ss_cli_printf(cli, "%-8s %-5s %-28s %-28s %4s %9s %12s %12s\n", "id",
		      "proto", "remote", "local", "loop", "age", "bytes-in",
		      "bytes-out");
	tp_table_foreach(&tp->table, tp_cli_conn_row, &ctx);
	ss_cli_printf(cli, "%u connection%s\n", ctx.n, ctx.n == 1 ? "" : "s");
	return SS_CLI_OK;
}

static const ss_cli_cmd_t tp_commands[] = {
    {.words = "sip show transports",
     .args = "",
     .summary = "listeners with their traffic",
     .fn = tp_cli_transports},
    {.words = "sip show connections",
     .args = "",
     .summary = "open TCP and TLS connections",
     .fn = tp_cli_connections},
    {.words = NULL},
};

static const char *const tp_provides[] = {"transport", NULL};

SS_MODULE(transport) = {
    .abi = SS_MODULE_ABI,
    .name = "transport",
    .version = "1.0",
    .description = "SIP over UDP, TCP and TLS",
    .provides = tp_provides,
    .load = tp_load,
    .reload = tp_reload,
    .unload = tp_unload,
    .commands = tp_commands,
    .config = tp_config,
};
