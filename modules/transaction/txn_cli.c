/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Console commands: `transaction show [summary|all|ID]`, `sip show stats`
 * and `sip set trace on|off|FILTER`. Counters are read racily (they are
 * single-writer per loop); transactions themselves are read on their own
 * loop through ss_loop_run_on_workers.
 */
#include "txn_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CLI_MAX_ROWS 200

static const char *const type_names[TXN_NTYPES] = {
    "server INVITE", "server non-INVITE", "client INVITE", "client non-INVITE"};
static const char *const state_names[SS_TXN_NSTATES] = {
    "Calling",	 "Trying",   "Proceeding", "Completed",
    "Confirmed", "Accepted", "Terminated"};

/* The counters from `timeouts` to the end of txn_stats_t are all
 * uint64_t: summed as an array. */
static void stats_sum(txn_stats_t *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < txn_g.nloops; i++) {
		txn_stats_t *s = &txn_g.loops[i].st;
		uint64_t *d = (uint64_t *)&sum->timeouts;
		uint64_t *v = (uint64_t *)&s->timeouts;
		size_t n = (sizeof(*s) - offsetof(txn_stats_t, timeouts)) /
			   sizeof(uint64_t);

		for (unsigned t = 0; t < TXN_NTYPES; t++) {
			sum->created[t] += TXN_GET(s->created[t]);
			for (unsigned st = 0; st < SS_TXN_NSTATES; st++)
				sum->live[t][st] += TXN_GET(s->live[t][st]);
		}
		for (size_t k = 0; k < n; k++)
			d[k] += TXN_GET(v[k]);
	}
}

static void show_summary(ss_cli_t *cli)
{
	txn_stats_t s;

	stats_sum(&s);
	ss_cli_printf(cli, "%-18s %8s", "type", "created");
	for (unsigned st = 0; st < SS_TXN_TERMINATED; st++)
		ss_cli_printf(cli, " %10s", state_names[st]);
	ss_cli_printf(cli, "\n");
	for (unsigned t = 0; t < TXN_NTYPES; t++) {
		ss_cli_printf(cli, "%-18s %8llu", type_names[t],
			      (unsigned long long)s.created[t]);
		for (unsigned st = 0; st < SS_TXN_TERMINATED; st++)
			ss_cli_printf(cli, " %10lld", (long long)s.live[t][st]);
		ss_cli_printf(cli, "\n");
	}
	ss_cli_printf(
	    cli,
	    "timeouts: %llu  retransmissions: %llu  absorbed: %llu  "
	    "ACKs absorbed: %llu\n"
	    "CANCEL matched: %llu  CANCEL 481: %llu  CANCEL sent: "
	    "%llu  ACKs sent: %llu\n"
	    "responses matched: %llu  unmatched: %llu  to another "
	    "loop: %llu\n"
	    "stateless replies: %llu  catch-all replies: %llu  "
	    "abandoned: %llu  send errors: %llu\n",
	    (unsigned long long)s.timeouts, (unsigned long long)s.retransmits,
	    (unsigned long long)s.absorbed, (unsigned long long)s.acks_absorbed,
	    (unsigned long long)s.cancels, (unsigned long long)s.cancels_481,
	    (unsigned long long)s.cancels_sent, (unsigned long long)s.acks_sent,
	    (unsigned long long)s.resp_matched,
	    (unsigned long long)s.resp_unmatched,
	    (unsigned long long)s.resp_posted, (unsigned long long)s.stateless,
	    (unsigned long long)s.catchall, (unsigned long long)s.orphans,
	    (unsigned long long)s.tp_errors);
}

/* One transaction as the console shows it, copied on its loop. */
typedef struct cli_row {
	uint64_t id, age_ms;
	uint8_t type, state;
	unsigned code, retransmits;
	char method[24], peer[64], branch[80], call_id[80], first[120];
} cli_row_t;

typedef struct cli_collect {
	uint64_t want; /* UINT64_MAX: all */
	unsigned n;
	bool more;
	cli_row_t rows[CLI_MAX_ROWS];
} cli_collect_t;

static void copy_str(char *dst, size_t size, ss_str_t s)
{
	if (!s.s)
		s = SS_STR("");
	snprintf(dst, size, "%.*s", SS_STR_ARG(s));
}

/* The Call-ID of the stored request (only RFC 2543 keys keep it): the
 * value of its raw line is good enough for the console. */
static ss_str_t raw_call_id(const ss_sip_txn_t *txn)
{
	ss_str_t l = txn_call_id_line(txn);
	const char *p, *end;

	if (!l.s)
		return txn->key.call_id;
	end = l.s + l.len;
	p = memchr(l.s, ':', l.len); /* the line starts with its name */
	for (p++; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	while (end > p && (end[-1] == '\r' || end[-1] == '\n'))
		end--;
	return (ss_str_t){p, (size_t)(end - p)};
}

static void collect_one(ss_sip_txn_t *txn, void *arg)
{
	cli_collect_t *c = arg;
	const char *eol;
	cli_row_t *r;

	if (c->want != UINT64_MAX && txn->id != c->want)
		return;
	if (c->n == CLI_MAX_ROWS) {
		c->more = true;
		return;
	}
	r = &c->rows[c->n++];
	r->id = txn->id;
	r->age_ms = ss_loop_now_ms(txn->lt->loop) - txn->created_ms;
	r->type = txn->type;
	r->state = txn->state;
	r->code = txn->last_code;
	r->retransmits = txn->retransmits;
	copy_str(r->method, sizeof(r->method), txn->key.method_str);
	txn_addr_str(&txn->dest.addr, r->peer, sizeof(r->peer));
	copy_str(r->branch, sizeof(r->branch), txn->key.branch);
	copy_str(r->call_id, sizeof(r->call_id), raw_call_id(txn));
	eol = memchr(txn->req, '\r', txn->req_len);
	copy_str(r->first, sizeof(r->first),
		 (ss_str_t){txn->req,
			    eol ? (size_t)(eol - txn->req) : txn->req_len});
}

static void collect_task(void *arg)
{
	txn_loop_t *lt = txn_loop_here();

	if (lt)
		txn_table_foreach(lt, collect_one, arg);
}

static void print_id(ss_cli_t *cli, uint64_t id, const char *end)
{
	ss_cli_printf(cli, "%u.%llu%s", (unsigned)(id >> 48),
		      (unsigned long long)(id & 0xffffffffffffull), end);
}

static ss_cli_status_t show_list(ss_cli_t *cli, uint64_t want)
{
	cli_collect_t *c = calloc(1, sizeof(*c));

	if (!c) {
		ss_cli_printf(cli, "out of memory\n");
		return SS_CLI_FAIL;
	}
	c->want = want;
	ss_loop_run_on_workers(collect_task, c);
	if (want != UINT64_MAX && c->n == 1) {
		cli_row_t *r = &c->rows[0];

		ss_cli_printf(cli, "id:          ");
		print_id(cli, r->id, "\n");
		ss_cli_printf(cli,
			      "type:        %s\nstate:       %s\n"
			      "method:      %s\nrequest:     %s\n"
			      "last code:   %u\nretransmits: %u\n"
			      "age:         %llu ms\npeer:        %s\n"
			      "branch:      %s\ncall-id:     %s\n",
			      type_names[r->type], state_names[r->state],
			      r->method, r->first, r->code, r->retransmits,
			      (unsigned long long)r->age_ms, r->peer, r->branch,
			      r->call_id[0] ? r->call_id : "-");
	} else if (want != UINT64_MAX) {
		ss_cli_printf(cli, "no such transaction\n");
		free(c);
		return SS_CLI_FAIL;
	} else {
		ss_cli_printf(cli, "%-12s %-18s %-10s %-10s %4s %8s %s\n", "id",
			      "type", "state", "method", "code", "age-ms",
			      "peer");
		for (unsigned i = 0; i < c->n; i++) {
			cli_row_t *r = &c->rows[i];
			char id[32];

			snprintf(
			    id, sizeof(id), "%u.%llu", (unsigned)(r->id >> 48),
			    (unsigned long long)(r->id & 0xffffffffffffull));
			ss_cli_printf(cli,
				      "%-12s %-18s %-10s %-10s %4u %8llu %s\n",
				      id, type_names[r->type],
				      state_names[r->state], r->method, r->code,
				      (unsigned long long)r->age_ms, r->peer);
		}
		ss_cli_printf(cli, "%u transaction%s%s\n", c->n,
			      c->n == 1 ? "" : "s",
			      c->more ? " shown (more not listed)" : "");
	}
	free(c);
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_show(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	unsigned loop;
	unsigned long long seq;
	char tail;

	if (argc > 1)
		return SS_CLI_USAGE;
	if (!txn_g.loops) {
		ss_cli_printf(cli, "transaction layer is not running\n");
		return SS_CLI_FAIL;
	}
	if (argc == 0 || strcmp(argv[0], "summary") == 0) {
		show_summary(cli);
		return SS_CLI_OK;
	}
	if (strcmp(argv[0], "all") == 0)
		return show_list(cli, UINT64_MAX);
	if (sscanf(argv[0], "%u.%llu%c", &loop, &seq, &tail) != 2 ||
	    loop >= txn_g.nloops || seq > 0xffffffffffffull)
		return SS_CLI_USAGE;
	return show_list(cli, (uint64_t)loop << 48 | seq);
}

static void complete_show(ss_cli_t *cli, int argi, const char *const *argv,
			  const char *prefix)
{
	static const char *const words[] = {"summary", "all"};

	if (argi != 0)
		return;
	for (unsigned i = 0; i < 2; i++)
		if (strncmp(words[i], prefix, strlen(prefix)) == 0)
			ss_cli_add_completion(cli, words[i]);
}

static ss_cli_status_t cmd_stats(ss_cli_t *cli, int argc,
				 const char *const *argv)
{
	ss_sip_parser_stats_t ps = {0};
	txn_stats_t s;
	uint64_t live = 0;

	if (argc)
		return SS_CLI_USAGE;
	if (!txn_g.loops) {
		ss_cli_printf(cli, "transaction layer is not running\n");
		return SS_CLI_FAIL;
	}
	stats_sum(&s);
	for (unsigned t = 0; t < TXN_NTYPES; t++)
		for (unsigned st = 0; st < SS_TXN_TERMINATED; st++)
			live += (uint64_t)s.live[t][st];
	ss_cli_printf(
	    cli,
	    "transport:   %llu messages in (%llu bytes), %llu out "
	    "(%llu bytes), %llu send errors\n",
	    (unsigned long long)s.msgs_in, (unsigned long long)s.bytes_in,
	    (unsigned long long)s.msgs_out, (unsigned long long)s.bytes_out,
	    (unsigned long long)s.tp_errors);
	if (txn_g.parser->stats) {
		txn_g.parser->stats(&ps);
		ss_cli_printf(cli,
			      "parser:      %llu requests, %llu responses, "
			      "%llu rejected, %llu dropped\n",
			      (unsigned long long)ps.requests,
			      (unsigned long long)ps.responses,
			      (unsigned long long)ps.malformed,
			      (unsigned long long)ps.dropped);
	}
	ss_cli_printf(cli,
		      "transaction: %llu server, %llu client created, %llu "
		      "live, %llu timeouts, %llu retransmissions, %llu "
		      "absorbed\n",
		      (unsigned long long)(s.created[TXN_SERVER_INVITE] +
					   s.created[TXN_SERVER_NONINVITE]),
		      (unsigned long long)(s.created[TXN_CLIENT_INVITE] +
					   s.created[TXN_CLIENT_NONINVITE]),
		      (unsigned long long)live, (unsigned long long)s.timeouts,
		      (unsigned long long)s.retransmits,
		      (unsigned long long)s.absorbed);
	ss_cli_printf(cli, "per listener: sip show transports; per state: "
			   "transaction show summary\n");
	return SS_CLI_OK;
}

static void quiescent(void *arg)
{
}

int txn_trace_set(bool on, const char *filter)
{
	const char *old = txn_g.trace_filter;
	char *f = NULL;

	if (filter && !(f = strdup(filter)))
		return -ENOMEM;
	__atomic_store_n(&txn_g.trace, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&txn_g.trace_filter, (const char *)f,
			 __ATOMIC_RELEASE);
	ss_loop_run_on_workers(quiescent, NULL);
	free((void *)old);
	__atomic_store_n(&txn_g.trace, on ? 1 : 0, __ATOMIC_RELAXED);
	return 0;
}

static ss_cli_status_t cmd_trace(ss_cli_t *cli, int argc,
				 const char *const *argv)
{
	bool off;

	if (argc != 1)
		return SS_CLI_USAGE;
	off = strcmp(argv[0], "off") == 0;
	if (txn_trace_set(!off,
			  off || strcmp(argv[0], "on") == 0 ? NULL : argv[0])) {
		ss_cli_printf(cli, "out of memory\n");
		return SS_CLI_FAIL;
	}
	if (off)
		ss_cli_printf(cli, "SIP trace off\n");
	else
		ss_cli_printf(cli, "SIP trace on%s%s (log level notice)\n",
			      txn_g.trace_filter ? " for " : "",
			      txn_g.trace_filter ? txn_g.trace_filter : "");
	return SS_CLI_OK;
}

static void complete_trace(ss_cli_t *cli, int argi, const char *const *argv,
			   const char *prefix)
{
	static const char *const words[] = {"on", "off"};

	if (argi != 0)
		return;
	for (unsigned i = 0; i < 2; i++)
		if (strncmp(words[i], prefix, strlen(prefix)) == 0)
			ss_cli_add_completion(cli, words[i]);
}

const ss_cli_cmd_t txn_cli_commands[] = {
    {"transaction show", "[summary|all|ID]",
     "transactions per type and state, counters; all of them; one", cmd_show,
     complete_show},
    {"sip show stats", "", "transport, parser and transaction counters",
     cmd_stats, NULL},
    {"sip set trace", "on|off|FILTER",
     "print SIP messages in and out (FILTER: a substring of the message "
     "or an address)",
     cmd_trace, complete_trace},
    {NULL, NULL, NULL, NULL, NULL},
};
