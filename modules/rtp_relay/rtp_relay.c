/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rtp_relay module: its descriptor and config table, start and stop of
 * the relay state across the loops, the `rtp_relay` service vtable and the
 * console commands.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sipserver/cli.h>
#include <sipserver/config.h>
#include <sipserver/log.h>
#include <sipserver/service.h>

#include "rtp_int.h"

rtp_state_t *rtp;

const ss_rtp_relay_api_t rtp_api = {
    .version = SS_RTP_RELAY_API_VERSION,
    .alloc = rtp_session_alloc,
    .set_peer = rtp_session_set_peer,
    .local = rtp_session_local,
    .stats = rtp_session_stats,
    .loop = rtp_session_loop,
    .free = rtp_session_free,
};

rtp_loop_t *rtp_loop_self(void)
{
	ss_loop_t *loop = ss_loop_current();
	unsigned i;

	if (!loop || !rtp)
		return NULL;
	i = ss_loop_index(loop);
	return i < rtp->nloops ? &rtp->loops[i] : NULL;
}

const char *rtp_addr_str(const rtp_addr_t *a, char *buf, size_t size)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->sa;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->sa;
	char ip[INET6_ADDRSTRLEN];

	if (!a->len)
		snprintf(buf, size, "-");
	else if (a->sa.ss_family == AF_INET6)
		snprintf(buf, size, "[%s]:%u",
			 inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip)),
			 ntohs(sin6->sin6_port));
	else
		snprintf(buf, size, "%s:%u",
			 inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip)),
			 ntohs(sin->sin_port));
	return buf;
}

/* Fills the bind address and family from set->ip and makes sure the host
 * has it, so a wrong address fails the load instead of every call. */
static int rtp_parse_address(rtp_state_t *st)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&st->bind_addr.sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&st->bind_addr.sa;
	unsigned char probe[sizeof(struct in6_addr)];
	rtp_settings_t *set = &st->set;
	int fd, err = 0;

	memset(&st->bind_addr, 0, sizeof(st->bind_addr));
	if (inet_pton(AF_INET, set->ip, &sin->sin_addr) == 1) {
		st->family = sin->sin_family = AF_INET;
		st->bind_addr.len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, set->ip, &sin6->sin6_addr) == 1) {
		st->family = sin6->sin6_family = AF_INET6;
		st->bind_addr.len = sizeof(*sin6);
	} else {
		SS_LOG_ERR("address: ip '%s' is not an IPv4 or IPv6 address",
			   set->ip);
		return -EINVAL;
	}
	if (!set->advertise[0]) {
		if ((st->family == AF_INET &&
		     sin->sin_addr.s_addr == htonl(INADDR_ANY)) ||
		    (st->family == AF_INET6 &&
		     IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))) {
			SS_LOG_ERR("address: binding to the wildcard %s needs "
				   "an advertise address for the SDP",
				   set->ip);
			return -EINVAL;
		}
		snprintf(set->advertise, sizeof(set->advertise), "%s", set->ip);
	} else if (inet_pton(st->family, set->advertise, probe) != 1) {
		SS_LOG_ERR("address: advertise '%s' is not an address of the "
			   "same family as ip '%s'",
			   set->advertise, set->ip);
		return -EINVAL;
	}
	fd = socket(st->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (const struct sockaddr *)&st->bind_addr.sa,
			   st->bind_addr.len) < 0) {
		err = -errno;
		SS_LOG_ERR("address: cannot bind to %s: %s", set->ip,
			   strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	return err;
}

static int rtp_loops_init(rtp_state_t *st)
{
	unsigned i, workers = ss_loop_count();

	st->loops = aligned_alloc(64, (workers + 1) * sizeof(*st->loops));
	if (!st->loops)
		return -ENOMEM;
	for (i = 0; i <= workers; i++) {
		ss_loop_t *loop =
		    i < workers ? ss_loop_worker(i) : ss_loop_control();
		int err = rtp_loop_init(&st->loops[i], loop, i);
		if (err < 0)
			return err;
		st->nloops++;
	}
	return 0;
}

static void rtp_state_free(rtp_state_t *st)
{
	unsigned i;

	for (i = 0; i < st->nloops; i++)
		rtp_loop_free(&st->loops[i]);
	free(st->loops);
	rtp_ports_destroy(&st->ports);
	free(st);
}

int rtp_start(const ss_module_t *self, const rtp_settings_t *set)
{
	rtp_state_t *st;
	int err;

	if (rtp)
		return -EBUSY;
	if (!ss_loop_control() || !set->max_sessions || !set->timeout_ms)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->self = self;
	st->set = *set;
	err = rtp_parse_address(st);
	if (err < 0)
		goto fail;
	err = rtp_ports_init(&st->ports, set->port_min, set->port_max);
	if (err < 0) {
		SS_LOG_ERR("ports: the range %u-%u holds no RTP/RTCP pair",
			   set->port_min, set->port_max);
		goto fail;
	}
	if (set->max_sessions > st->ports.npairs / 2)
		SS_LOG_NOTICE("ports %u-%u hold %u sessions, fewer than "
			      "max_sessions (%u)",
			      set->port_min, set->port_max,
			      st->ports.npairs / 2, set->max_sessions);
	err = rtp_loops_init(st);
	if (err < 0)
		goto fail;
	rtp = st;
	return 0;
fail:
	rtp_state_free(st);
	return err;
}

static void rtp_purge_task(void *arg)
{
	rtp_loop_t *rl = rtp_loop_self();
	unsigned n = rl ? rtp_loop_purge(rl) : 0;

	(void)arg;
	if (n)
		SS_LOG_WARN("loop %u: %u session%s never freed by their "
			    "owner, closed now",
			    rl->index, n, n == 1 ? "" : "s");
}

/*
 * Sessions left at stop belong to owners that are gone (the modules that
 * need rtp_relay unload first): each loop closes its own, without end
 * callbacks, as the owners' code may be unloaded. A free() posted before
 * this ran first on its loop, since the purge is queued behind it.
 */
void rtp_stop(void)
{
	rtp_state_t *st = rtp;

	if (!st)
		return;
	atomic_store(&st->stopping, true);
	ss_loop_run_on_workers(rtp_purge_task, NULL);
	rtp_purge_task(NULL);
	rtp = NULL;
	rtp_state_free(st);
}

/* ---- configuration ---- */

static const ss_cfg_attr_t rtp_ports_attrs[] = {
    {.name = "min",
     .type = SS_CFG_INT,
     .def = "20000",
     .min = 1024,
     .max = 65535,
     .help = "lowest port (RTP ports are even, RTCP = RTP + 1)"},
    {.name = "max",
     .type = SS_CFG_INT,
     .def = "30000",
     .min = 1025,
     .max = 65535,
     .help = "highest port"},
    {.name = NULL},
};

static const ss_cfg_attr_t rtp_address_attrs[] = {
    {.name = "ip",
     .type = SS_CFG_STR,
     .def = "127.0.0.1",
     .help = "IPv4 or IPv6 address the relay binds"},
    {.name = "advertise",
     .type = SS_CFG_STR,
     .def = "",
     .help = "address written into the SDP; empty: the ip"},
    {.name = NULL},
};

static const ss_cfg_attr_t rtp_timeout_attrs[] = {
    {.name = "ms",
     .type = SS_CFG_INT,
     .def = "60000",
     .min = 100,
     .max = 86400000,
     .help = "ms without a packet before a session ends"},
    {.name = NULL},
};

static const ss_cfg_attr_t rtp_limits_attrs[] = {
    {.name = "max_sessions",
     .type = SS_CFG_INT,
     .def = "1000",
     .min = 1,
     .max = 1000000,
     .help = "relay sessions at once; more are refused (503)"},
    {.name = NULL},
};

static const ss_cfg_attr_t rtp_latching_attrs[] = {
    {.name = "strict",
     .type = SS_CFG_BOOL,
     .def = "no",
     .help = "drop packets whose source IP is not the SDP's"},
    {.name = NULL},
};

static const ss_cfg_elem_t rtp_config[] = {
    {.name = "ports", .attrs = rtp_ports_attrs, .help = "port range"},
    {.name = "address",
     .attrs = rtp_address_attrs,
     .help = "bind and advertised address"},
    {.name = "timeout",
     .attrs = rtp_timeout_attrs,
     .help = "inactivity timeout"},
    {.name = "limits", .attrs = rtp_limits_attrs, .help = "session cap"},
    {.name = "latching",
     .attrs = rtp_latching_attrs,
     .help = "symmetric RTP source handling"},
    {.name = NULL},
};

static int rtp_settings_from_cfg(const ss_cfg_t *cfg, rtp_settings_t *set)
{
	const ss_cfg_node_t *n;
	const char *ip, *adv;

	memset(set, 0, sizeof(*set));
	n = ss_cfg_first(cfg, "ports");
	set->port_min = (unsigned)ss_cfg_int(n, "min");
	set->port_max = (unsigned)ss_cfg_int(n, "max");
	if (set->port_min >= set->port_max) {
		SS_LOG_ERR("%s: ports: min (%u) must be below max (%u)",
			   ss_cfg_where(n), set->port_min, set->port_max);
		return -EINVAL;
	}
	n = ss_cfg_first(cfg, "address");
	ip = ss_cfg_str(n, "ip");
	adv = ss_cfg_str(n, "advertise");
	if (strlen(ip) >= sizeof(set->ip) ||
	    strlen(adv) >= sizeof(set->advertise)) {
		SS_LOG_ERR("%s: address: not an IP address", ss_cfg_where(n));
		return -EINVAL;
	}
	snprintf(set->ip, sizeof(set->ip), "%s", ip);
	snprintf(set->advertise, sizeof(set->advertise), "%s", adv);
	set->timeout_ms =
	    (unsigned)ss_cfg_int(ss_cfg_first(cfg, "timeout"), "ms");
	set->max_sessions =
	    (unsigned)ss_cfg_int(ss_cfg_first(cfg, "limits"), "max_sessions");
	set->strict = ss_cfg_bool(ss_cfg_first(cfg, "latching"), "strict");
	return 0;
}

static ss_load_result_t rtp_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	rtp_settings_t set;
	int err;

	if (rtp_settings_from_cfg(cfg, &set) < 0 || rtp_start(self, &set) < 0)
		return SS_LOAD_FAIL;
	err = ss_service_provide(self, SS_RTP_RELAY_SERVICE,
				 SS_RTP_RELAY_API_VERSION, &rtp_api);
	if (err < 0) {
		SS_LOG_ERR("cannot provide the rtp_relay service: %s",
			   strerror(-err));
		rtp_stop();
		return SS_LOAD_FAIL;
	}
	SS_LOG_INFO("relaying on %s ports %u-%u (advertised as %s)",
		    rtp->set.ip, set.port_min, set.port_max,
		    rtp->set.advertise);
	return SS_LOAD_OK;
}

/* Timeout, strict checking and the cap apply to sessions allocated from
 * now on; the address and the port range own live sockets and change only
 * by unloading and loading the module. */
static int rtp_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	rtp_settings_t set;
	rtp_settings_t *cur;
	const char *adv;

	(void)self;
	if (!rtp || rtp_settings_from_cfg(cfg, &set) < 0)
		return -EINVAL;
	cur = &rtp->set;
	adv = set.advertise[0] ? set.advertise : set.ip;
	if (strcmp(set.ip, cur->ip) != 0 || set.port_min != cur->port_min ||
	    set.port_max != cur->port_max || strcmp(adv, cur->advertise) != 0) {
		SS_LOG_WARN("address and ports change only by unloading and "
			    "loading the module; timeout, limits and latching "
			    "are reloaded");
		return -EBUSY;
	}
	__atomic_store_n(&cur->timeout_ms, set.timeout_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&cur->max_sessions, set.max_sessions,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&cur->strict, set.strict, __ATOMIC_RELAXED);
	return 0;
}

static void rtp_unload(ss_module_t *self)
{
	(void)self;
	rtp_stop();
}

/* ---- console ---- */

/* Text gathered from the loops for one command; the console prints it. */
typedef struct rtp_cli_buf {
	char *text;
	size_t len, cap;
	uint64_t now;
	unsigned sessions;
	bool oom;
} rtp_cli_buf_t;

static void __attribute__((format(printf, 2, 3)))
rtp_cli_append(rtp_cli_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	char *t;

	for (;;) {
		size_t room = b->cap - b->len;
		int n;

		va_start(ap, fmt);
		n = vsnprintf(b->text ? b->text + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0 || b->oom)
			return;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		room = b->cap * 2 + (size_t)n + 1024;
		t = realloc(b->text, room);
		if (!t) {
			b->oom = true;
			return;
		}
		b->text = t;
		b->cap = room;
	}
}

static const char *rtp_side_state(const ss_rtp_session_t *s,
				  const rtp_side_t *sd)
{
	if (s->ended)
		return "ended";
	if (sd->sock[RTP_KIND_RTP].latched)
		return "latched";
	return sd->sock[RTP_KIND_RTP].target.len ? "sdp" : "none";
}

static void rtp_cli_session(rtp_cli_buf_t *b, const ss_rtp_session_t *s,
			    unsigned loop)
{
	uint64_t last = s->created_ms, age, idle;
	char peer[INET6_ADDRSTRLEN + 8];
	unsigned i;

	for (i = 0; i < 2; i++)
		if (s->side[i].last_ms > last)
			last = s->side[i].last_ms;
	age = b->now > s->created_ms ? b->now - s->created_ms : 0;
	idle = b->now > last ? b->now - last : 0;
	for (i = 0; i < 2; i++) {
		const rtp_side_t *sd = &s->side[i];

		if (i == 0)
			rtp_cli_append(b, "%-8llu %-4u %6llus %6llus ",
				       (unsigned long long)s->id, loop,
				       (unsigned long long)(age / 1000),
				       (unsigned long long)(idle / 1000));
		else
			rtp_cli_append(b, "%-8s %-4s %7s %7s ", "", "", "", "");
		rtp_cli_append(
		    b, "%s->%s %5u %-28s %-7s %10llu %12llu %7llu %7llu %6llu",
		    i ? "B" : "A", i ? "A" : "B", sd->port,
		    rtp_addr_str(&sd->sock[RTP_KIND_RTP].target, peer,
				 sizeof(peer)),
		    rtp_side_state(s, sd), (unsigned long long)sd->packets,
		    (unsigned long long)sd->bytes, (unsigned long long)sd->lost,
		    (unsigned long long)sd->dropped,
		    (unsigned long long)sd->rtcp_packets);
		rtp_cli_append(b, "%s%s\n", i == 0 && s->tag[0] ? " " : "",
			       i == 0 ? s->tag : "");
	}
	b->sessions++;
}

/* Runs on each loop in turn (ss_loop_run_on_workers serializes them), so
 * every session is read by its own loop and the buffer by one at a time. */
static void rtp_cli_collect(void *arg)
{
	rtp_cli_buf_t *b = arg;
	rtp_loop_t *rl = rtp_loop_self();
	const ss_rtp_session_t *s;

	if (!rl)
		return;
	b->now = ss_loop_now_ms(rl->loop);
	for (s = rl->sessions; s; s = s->next)
		rtp_cli_session(b, s, rl->index);
}

static ss_cli_status_t rtp_cli_streams(ss_cli_t *cli, int argc,
				       const char *const *argv)
{
	rtp_cli_buf_t b = {0};

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	if (!rtp) {
		ss_cli_printf(cli, "rtp_relay is not running\n");
		return SS_CLI_FAIL;
	}
	ss_loop_run_on_workers(rtp_cli_collect, &b);
	rtp_cli_collect(&b);
	ss_cli_printf(cli,
		      "%-8s %-4s %7s %7s %-4s %5s %-28s %-7s %10s %12s %7s "
		      "%7s %6s tag\n",
		      "id", "loop", "age", "idle", "dir", "port", "peer",
		      "state", "packets", "bytes", "lost", "dropped", "rtcp");
	if (b.text)
		ss_cli_printf(cli, "%s", b.text);
	ss_cli_printf(cli, "%u session%s%s\n", b.sessions,
		      b.sessions == 1 ? "" : "s",
		      b.oom ? " (list cut short: out of memory)" : "");
	free(b.text);
	return SS_CLI_OK;
}

static ss_cli_status_t rtp_cli_stats(ss_cli_t *cli, int argc,
				     const char *const *argv)
{
	uint64_t relayed = 0, bytes = 0, dropped = 0, timeouts = 0;
	rtp_state_t *st = rtp;
	unsigned i;

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	if (!st) {
		ss_cli_printf(cli, "rtp_relay is not running\n");
		return SS_CLI_FAIL;
	}
	for (i = 0; i < st->nloops; i++) {
		relayed += atomic_load_explicit(&st->loops[i].relayed,
						memory_order_relaxed);
		bytes += atomic_load_explicit(&st->loops[i].relayed_bytes,
					      memory_order_relaxed);
		dropped += atomic_load_explicit(&st->loops[i].dropped,
						memory_order_relaxed);
		timeouts += atomic_load_explicit(&st->loops[i].timeouts,
						 memory_order_relaxed);
	}
	ss_cli_printf(cli,
		      "sessions: %u active (max %u), %llu total, %llu refused, "
		      "%llu timed out\n",
		      atomic_load(&st->active),
		      __atomic_load_n(&st->set.max_sessions, __ATOMIC_RELAXED),
		      (unsigned long long)atomic_load(&st->next_id),
		      (unsigned long long)atomic_load(&st->refused),
		      (unsigned long long)timeouts);
	ss_cli_printf(cli, "ports: %u of %u pairs free (%u-%u on %s, SDP %s)\n",
		      rtp_ports_free(&st->ports), st->ports.npairs,
		      st->set.port_min, st->set.port_max, st->set.ip,
		      st->set.advertise);
	ss_cli_printf(cli, "packets: %llu relayed (%llu bytes), %llu dropped\n",
		      (unsigned long long)relayed, (unsigned long long)bytes,
		      (unsigned long long)dropped);
	return SS_CLI_OK;
}

static const ss_cli_cmd_t rtp_commands[] = {
    {.words = "rtp show streams",
     .args = "",
     .summary = "relay sessions with their peers and counters",
     .fn = rtp_cli_streams},
    {.words = "rtp show stats",
     .args = "",
     .summary = "relay totals: sessions, ports, packets, timeouts",
     .fn = rtp_cli_stats},
    {.words = NULL},
};

static const char *const rtp_provides[] = {SS_RTP_RELAY_SERVICE, NULL};

SS_MODULE(rtp_relay) = {
    .abi = SS_MODULE_ABI,
    .name = "rtp_relay",
    .version = "1.0",
    .description = "RTP/RTCP relay with symmetric latching",
    .provides = rtp_provides,
    .load = rtp_load,
    .reload = rtp_reload,
    .unload = rtp_unload,
    .commands = rtp_commands,
    .config = rtp_config,
};
