/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Console commands of the dns module: the cache, the blocklist, resolver
 * counters, and `dns resolve` which runs a resolution on worker 0 and
 * waits (bounded) for it, the console API being synchronous.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sipserver/cli.h>

#include "dns_int.h"

static void print_set(void *arg, const char *name, const dns_rrset_t *s,
		      uint64_t expires_ms)
{
	ss_cli_t *cli = arg;
	uint64_t now = dns_now_ms();
	char ip[INET6_ADDRSTRLEN];
	unsigned i;

	ss_cli_printf(cli, "%-40s %-5s %6llus ", name, dns_type_name(s->type),
		      (unsigned long long)((expires_ms - now + 999) / 1000));
	if (s->status)
		ss_cli_printf(cli, "%s",
			      s->status == -ENOENT ? "NXDOMAIN" : "NODATA");
	for (i = 0; i < s->n; i++) {
		const dns_rr_t *rr = &s->rr[i];

		if (i)
			ss_cli_printf(cli, ", ");
		switch (s->type) {
		case DNS_T_NAPTR:
			ss_cli_printf(cli, "%u %u %s %s", rr->prio, rr->weight,
				      ss_sip_proto_name(rr->proto), rr->name);
			break;
		case DNS_T_SRV:
			ss_cli_printf(cli, "%u %u %u %s", rr->prio, rr->weight,
				      rr->port, rr->name);
			break;
		default:
			inet_ntop(rr->family, &rr->ip, ip, sizeof(ip));
			ss_cli_printf(cli, "%s", ip);
		}
	}
	ss_cli_printf(cli, "\n");
}

static ss_cli_status_t cmd_show_cache(ss_cli_t *cli, int argc,
				      const char *const *argv)
{
	unsigned n;

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	n = dns_cache_foreach(&dns->cache, dns_now_ms(), print_set, cli);
	ss_cli_printf(cli, "%u entr%s (limit %u), %lu hits, %lu misses\n", n,
		      n == 1 ? "y" : "ies", dns->set.cache_max,
		      (unsigned long)atomic_load(&dns->cache.hits),
		      (unsigned long)atomic_load(&dns->cache.misses));
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_show_blocklist(ss_cli_t *cli, int argc,
					  const char *const *argv)
{
	dns_block_entry_t *e;
	uint64_t now = dns_now_ms();
	unsigned n, i;
	char buf[80];

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	e = calloc(DNS_BLOCK_MAX, sizeof(*e));
	if (!e) {
		ss_cli_printf(cli, "out of memory\n");
		return SS_CLI_FAIL;
	}
	n = dns_block_snapshot(&dns->block, e, DNS_BLOCK_MAX, now);
	for (i = 0; i < n; i++)
		ss_cli_printf(
		    cli, "%-50s %6llus left\n",
		    dns_dest_str(&e[i].dest, buf, sizeof(buf)),
		    (unsigned long long)((e[i].until_ms - now + 999) / 1000));
	ss_cli_printf(cli, "%u blocked destination%s (duration %us)\n", n,
		      n == 1 ? "" : "s", dns->set.block_duration);
	free(e);
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_show_stats(ss_cli_t *cli, int argc,
				      const char *const *argv)
{
	unsigned i;

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	ss_cli_printf(cli, "%-8s %10s %10s %10s %10s %10s\n", "worker",
		      "lookups", "sent", "answers", "failures", "timeouts");
	/* Read racily: counters with a single writer each, for display. */
	for (i = 0; i < dns->nres; i++) {
		const dns_res_stats_t *st = &dns->res[i]->st;

		ss_cli_printf(cli, "%-8u %10lu %10lu %10lu %10lu %10lu\n", i,
			      (unsigned long)atomic_load(&st->queries),
			      (unsigned long)atomic_load(&st->sent),
			      (unsigned long)atomic_load(&st->answers),
			      (unsigned long)atomic_load(&st->failures),
			      (unsigned long)atomic_load(&st->timeouts));
	}
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_flush(ss_cli_t *cli, int argc,
				 const char *const *argv)
{
	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	dns_cache_flush(&dns->cache);
	dns_block_flush(&dns->block);
	ss_cli_printf(cli, "cache and blocklist flushed\n");
	return SS_CLI_OK;
}

/* ---- dns resolve ---- */

/* Shared by the console (waiting) and worker 0 (resolving); the last of
 * the two to let go frees it, so a console that gave up is harmless. */
typedef struct cli_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	bool done;
	int status;
	unsigned n;
	ss_sip_dest_t dests[SS_DNS_MAX_DESTS];
	ss_dns_target_t target;
	char host[DNS_NAME_MAX + 1];
} cli_wait_t;

static void wait_put(cli_wait_t *w)
{
	bool last;

	pthread_mutex_lock(&w->lock);
	last = --w->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (!last)
		return;
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void wait_done(void *arg, int status, const ss_sip_dest_t *dests,
		      unsigned count)
{
	cli_wait_t *w = arg;

	pthread_mutex_lock(&w->lock);
	w->status = status;
	w->n = count;
	if (count)
		memcpy(w->dests, dests, count * sizeof(*dests));
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	wait_put(w);
}

static void wait_start_task(void *arg)
{
	cli_wait_t *w = arg;
	int err = dns_query_resolve(&w->target, wait_done, w, NULL);

	if (err)
		wait_done(w, err, NULL, 0);
}

/* sip:/sips: URI or bare host, with optional user@, :port and
 * ;transport=. Only what RFC 3263 reads is kept. */
static int parse_target(const char *s, cli_wait_t *w)
{
	ss_dns_target_t *t = &w->target;
	const char *p, *end, *params;
	size_t len;

	memset(t, 0, sizeof(*t));
	if (!strncasecmp(s, "sips:", 5)) {
		t->secure = true;
		s += 5;
	} else if (!strncasecmp(s, "sip:", 4)) {
		s += 4;
	}
	params = strchr(s, ';');
	end = params ? params : s + strlen(s);
	p = memchr(s, '@', (size_t)(end - s));
	if (p)
		s = p + 1;
	if (*s == '[') {
		p = memchr(s, ']', (size_t)(end - s));
		if (!p)
			return -EINVAL;
		p++;
	} else {
		p = memchr(s, ':', (size_t)(end - s));
		p = p ? p : end;
	}
	len = (size_t)(p - s);
	if (!len || len > DNS_NAME_MAX)
		return -EINVAL;
	memcpy(w->host, s, len);
	w->host[len] = '\0';
	t->host = w->host;
	if (p < end && *p == ':') {
		char *e;
		unsigned long port = strtoul(p + 1, &e, 10);

		if (e != end || !port || port > 65535)
			return -EINVAL;
		t->port = (uint16_t)port;
	} else if (p != end) {
		return -EINVAL;
	}
	for (p = params; p; p = strchr(p + 1, ';')) {
		if (strncasecmp(p, ";transport=", 11))
			continue;
		p += 11;
		if (!strncasecmp(p, "udp", 3))
			t->proto = SS_SIP_UDP;
		else if (!strncasecmp(p, "tcp", 3))
			t->proto = SS_SIP_TCP;
		else if (!strncasecmp(p, "tls", 3))
			t->proto = SS_SIP_TLS;
		else
			return -EINVAL;
	}
	return 0;
}

/* Long enough for c-ares to give up on every phase: each try waits twice
 * as long as the one before, and a query has at most three phases. */
static unsigned wait_bound_ms(void)
{
	const dns_chan_cfg_t *c = &dns->set.chan;
	unsigned servers = c->nservers ? c->nservers : 3;
	uint64_t ms =
	    (uint64_t)c->timeout_ms * ((1u << c->tries) - 1) * servers * 3 +
	    1000;

	return ms > 120000 ? 120000 : (unsigned)ms;
}

static bool wait_for(cli_wait_t *w, unsigned ms)
{
	struct timespec ts;
	bool done;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->done && pthread_cond_timedwait(&w->cond, &w->lock, &ts) == 0)
		;
	done = w->done;
	pthread_mutex_unlock(&w->lock);
	return done;
}

static cli_wait_t *wait_new(void)
{
	cli_wait_t *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;

	if (!w)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	w->refs = 2;
	return w;
}

static void print_result(ss_cli_t *cli, const cli_wait_t *w)
{
	char buf[80];
	unsigned i;

	for (i = 0; i < w->n; i++)
		ss_cli_printf(
		    cli, "%2u. %s%s\n", i + 1,
		    dns_dest_str(&w->dests[i], buf, sizeof(buf)),
		    dns_block_has(&dns->block, &w->dests[i], dns_now_ms())
			? " (blocklisted)"
			: "");
}

static ss_cli_status_t cmd_resolve(ss_cli_t *cli, int argc,
				   const char *const *argv)
{
	ss_cli_status_t rc = SS_CLI_FAIL;
	cli_wait_t *w;
	unsigned ms;

	if (argc != 1)
		return SS_CLI_USAGE;
	if (!dns->nres || !dns->res[0]) {
		ss_cli_printf(cli, "no worker loop to resolve on\n");
		return SS_CLI_FAIL;
	}
	w = wait_new();
	if (!w) {
		ss_cli_printf(cli, "out of memory\n");
		return SS_CLI_FAIL;
	}
	if (parse_target(argv[0], w)) {
		w->refs = 1;
		wait_put(w);
		return SS_CLI_USAGE;
	}
	if (ss_loop_post(ss_loop_worker(0), wait_start_task, w)) {
		ss_cli_printf(cli, "cannot reach worker 0\n");
		w->refs = 1;
		wait_put(w);
		return SS_CLI_FAIL;
	}
	ms = wait_bound_ms();
	if (!wait_for(w, ms))
		ss_cli_printf(cli, "%s: no result within %u ms\n", argv[0], ms);
	else if (w->status)
		ss_cli_printf(cli, "%s: %s\n", argv[0], strerror(-w->status));
	else {
		print_result(cli, w);
		rc = SS_CLI_OK;
	}
	wait_put(w);
	return rc;
}

const ss_cli_cmd_t dns_commands[] = {
    {.words = "dns show cache",
     .summary = "cached DNS answers with their remaining TTL",
     .fn = cmd_show_cache},
    {.words = "dns show blocklist",
     .summary = "destinations reported as failed, listed last",
     .fn = cmd_show_blocklist},
    {.words = "dns show stats",
     .summary = "lookups, queries sent, answers and errors per worker",
     .fn = cmd_show_stats},
    {.words = "dns flush",
     .summary = "empty the DNS cache and the blocklist",
     .fn = cmd_flush},
    {.words = "dns resolve",
     .args = "TARGET",
     .summary = "RFC 3263 destinations of a host or sip:/sips: URI",
     .fn = cmd_resolve},
    {.words = NULL},
};
