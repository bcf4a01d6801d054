/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 3263 section 4: from a SIP target to an ordered list of destinations
 * (transport, address, port). A query walks up to three phases, each a set
 * of lookups run in parallel: NAPTR, then SRV, then A/AAAA.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sipserver/log.h>

#include "dns_int.h"

/*
 * Design. A query is one allocation holding its lookups, the record sets
 * whose names later phases point into, and the result. A phase starts all
 * its lookups, each answered from the cache or by c-ares; `pending` counts
 * those not answered yet. query_run() advances phase by phase for as long
 * as nothing is pending, so answers that arrive synchronously (cache hits,
 * immediate c-ares failures) simply fall through to the next phase while
 * `driving` keeps lookup_done() from re-entering it.
 *
 *   target                      first phase
 *   numeric host                none: the address itself
 *   port given                  A/AAAA of the host, that port
 *   transport given             SRV _sip(s)._<t>.host, then A/AAAA
 *   otherwise                   NAPTR host, then SRV, then A/AAAA
 *
 * A NAPTR answer with usable records names the SRV lookups (in order and
 * preference); without, one SRV lookup per supported transport is tried.
 * Without any SRV record the host's A/AAAA on the default port is used.
 * A timeout only ends the query when every lookup of the phase timed out:
 * one answering server is reason enough to go on.
 *
 * The callback never runs inside resolve(): a query finished there is
 * handed to its loop with ss_loop_post.
 */

static void query_run(ss_dns_query_t *q);

/* Ranks errors so that the one reported is the most useful to act on. */
static int err_rank(int err)
{
	switch (err) {
	case -ENOMEM:
		return 5;
	case -ECANCELED:
		return 4;
	case -ETIMEDOUT:
		return 3;
	case -EIO:
		return 2;
	case 0:
		return 0;
	}
	return 1;
}

static void note_error(ss_dns_query_t *q, int err)
{
	if (err_rank(err) > err_rank(q->error))
		q->error = err;
}

/* Errors after which asking more names cannot help. */
static bool err_hard(int err)
{
	return err == -ETIMEDOUT || err == -EIO || err == -ENOMEM ||
	       err == -ECANCELED;
}

bool dns_host_numeric(const char *host, ss_sip_addr_t *a)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(host);

	memset(a, 0, sizeof(*a));
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		if (len - 2 >= sizeof(buf))
			return false;
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		a->len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		a->len = sizeof(*s6);
		return true;
	}
	return false;
}

static void add_dest(ss_dns_query_t *q, uint8_t proto, const ss_sip_addr_t *a,
		     uint16_t port)
{
	ss_sip_dest_t *d;
	unsigned i;

	if (q->ndests == SS_DNS_MAX_DESTS)
		return;
	d = &q->dests[q->ndests];
	memset(d, 0, sizeof(*d));
	d->proto = (ss_sip_proto_t)proto;
	d->addr = *a;
	if (a->sa.ss_family == AF_INET)
		((struct sockaddr_in *)&d->addr.sa)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&d->addr.sa)->sin6_port = htons(port);
	for (i = 0; i < q->ndests; i++)
		if (dns_dest_equal(&q->dests[i], d))
			return;
	q->ndests++;
}

static void add_rr_dest(ss_dns_query_t *q, const dns_lookup_t *lk,
			const dns_rr_t *rr)
{
	ss_sip_addr_t a;

	memset(&a, 0, sizeof(a));
	if (rr->family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&a.sa;

		s->sin_family = AF_INET;
		s->sin_addr = rr->ip.v4;
		a.len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a.sa;

		s->sin6_family = AF_INET6;
		s->sin6_addr = rr->ip.v6;
		a.len = sizeof(*s);
	}
	add_dest(q, lk->proto, &a, lk->port);
}

/* The transport when neither the URI nor DNS chose one: RFC 3263 4.1 says
 * UDP for sip and TCP (so TLS) for sips; a caller without UDP gets TCP. */
static uint8_t default_proto(const ss_dns_query_t *q)
{
	if (q->proto)
		return q->proto;
	if (q->secure)
		return SS_SIP_TLS;
	if (q->protos & SS_DNS_PROTO_BIT(SS_SIP_UDP))
		return SS_SIP_UDP;
	if (q->protos & SS_DNS_PROTO_BIT(SS_SIP_TCP))
		return SS_SIP_TCP;
	return SS_SIP_TLS;
}

static uint16_t default_port(uint8_t proto)
{
	return proto == SS_SIP_TLS ? DNS_DEFAULT_TLS_PORT : DNS_DEFAULT_PORT;
}

static void release_lookups(ss_dns_query_t *q)
{
	unsigned i;

	for (i = 0; i < q->nlk; i++)
		dns_rrset_unref(&q->lk[i].set);
	q->nlk = 0;
}

static void setup_lookup(ss_dns_query_t *q, const char *name, uint16_t type,
			 uint8_t proto, uint16_t port)
{
	dns_lookup_t *lk = &q->lk[q->nlk++];

	memset(lk, 0, sizeof(*lk));
	lk->q = q;
	lk->name = name;
	lk->type = type;
	lk->proto = proto;
	lk->port = port;
}

/* A/AAAA for every target, the preferred family first within each. */
static void setup_addr_phase(ss_dns_query_t *q)
{
	const dns_query_cfg_t *c = &q->res->cfg;
	uint16_t fam[2];
	unsigned nf = 0, i, f;

	if (c->ipv6 && c->prefer_ipv6)
		fam[nf++] = DNS_T_AAAA;
	if (c->ipv4)
		fam[nf++] = DNS_T_A;
	if (c->ipv6 && !c->prefer_ipv6)
		fam[nf++] = DNS_T_AAAA;
	q->phase = DNS_PH_ADDR;
	for (i = 0; i < q->ntargets; i++)
		for (f = 0; f < nf; f++)
			setup_lookup(q, q->targets[i].name, fam[f],
				     q->targets[i].proto, q->targets[i].port);
}

static void setup_host_addr(ss_dns_query_t *q, uint16_t port)
{
	uint8_t proto = default_proto(q);

	q->targets[0].name = q->host;
	q->targets[0].proto = proto;
	q->targets[0].port = port ? port : default_port(proto);
	q->ntargets = 1;
	setup_addr_phase(q);
}

static void setup_srv(ss_dns_query_t *q, uint8_t proto, const char *name)
{
	unsigned i = q->nlk;

	if (!name) {
		snprintf(q->srvname[i], sizeof(q->srvname[i]), "%s.%s",
			 proto == SS_SIP_UDP   ? "_sip._udp"
			 : proto == SS_SIP_TCP ? "_sip._tcp"
					       : "_sips._tcp",
			 q->host);
		name = q->srvname[i];
	}
	setup_lookup(q, name, DNS_T_SRV, proto, 0);
}

/* RFC 3263 4.1: the NAPTR order, then preference; only SIP services the
 * caller can use (dns_rrset keeps just those with the "S" flag). */
static unsigned naptr_pick(ss_dns_query_t *q)
{
	const dns_rrset_t *s = q->naptr;
	unsigned idx[DNS_MAX_RRS], n = 0, i, j;

	for (i = 0; i < s->n; i++) {
		const dns_rr_t *rr = &s->rr[i];

		if (!(q->protos & SS_DNS_PROTO_BIT(rr->proto)))
			continue;
		for (j = n; j > 0; j--) {
			const dns_rr_t *p = &s->rr[idx[j - 1]];

			if (p->prio < rr->prio ||
			    (p->prio == rr->prio && p->weight <= rr->weight))
				break;
			idx[j] = idx[j - 1];
		}
		idx[j] = i;
		n++;
	}
	for (i = 0; i < n && q->nlk < DNS_MAX_SRV_LOOKUPS; i++)
		setup_srv(q, s->rr[idx[i]].proto, s->rr[idx[i]].name);
	return q->nlk;
}

static void after_naptr(ss_dns_query_t *q)
{
	static const uint8_t order[] = {SS_SIP_UDP, SS_SIP_TCP, SS_SIP_TLS};
	dns_lookup_t *lk = &q->lk[0];
	unsigned i;

	if (err_hard(lk->status)) {
		note_error(q, lk->status);
		q->phase = DNS_PH_DONE;
		return;
	}
	q->naptr = lk->set;
	lk->set = NULL;
	release_lookups(q);
	q->phase = DNS_PH_SRV;
	if (q->naptr && !q->naptr->status && naptr_pick(q))
		return;
	/* RFC 3263 4.1: no NAPTR, so SRV for each transport we support;
	 * _sip for sip URIs (UDP, TCP), _sips._tcp for sips. */
	for (i = 0; i < sizeof(order); i++) {
		uint8_t p = order[i];

		if (!(q->protos & SS_DNS_PROTO_BIT(p)) ||
		    (p == SS_SIP_TLS) != q->secure)
			continue;
		setup_srv(q, p, NULL);
	}
	if (!q->nlk)
		setup_host_addr(q, 0);
}

static uint32_t res_random(void *res)
{
	return dns_res_random(res);
}

static void add_srv_targets(ss_dns_query_t *q, const dns_lookup_t *lk,
			    const dns_rrset_t *s)
{
	unsigned order[DNS_MAX_RRS], i, j;

	dns_srv_order(s, order, res_random, q->res);
	for (i = 0; i < s->n && q->ntargets < DNS_MAX_TARGETS; i++) {
		const dns_rr_t *rr = &s->rr[order[i]];
		dns_srv_target_t *t;

		/* RFC 2782: "." means the service is not offered there */
		if (!strcmp(rr->name, ".") || !rr->name[0])
			continue;
		for (j = 0; j < q->ntargets; j++) {
			t = &q->targets[j];
			if (t->port == rr->port && t->proto == lk->proto &&
			    !strcasecmp(t->name, rr->name))
				break;
		}
		if (j < q->ntargets)
			continue;
		t = &q->targets[q->ntargets++];
		t->name = rr->name;
		t->port = rr->port;
		t->proto = lk->proto;
	}
}

static void after_srv(ss_dns_query_t *q)
{
	unsigned i, nlk = q->nlk, hard = 0;
	bool found = false;

	q->ntargets = 0;
	for (i = 0; i < nlk; i++) {
		dns_lookup_t *lk = &q->lk[i];

		if (lk->status) {
			note_error(q, lk->status);
			hard += err_hard(lk->status);
			continue;
		}
		if (!lk->set->n)
			continue;
		found = true;
		q->srv[i] = lk->set;
		lk->set = NULL;
		add_srv_targets(q, lk, q->srv[i]);
	}
	release_lookups(q);
	if (q->ntargets) {
		setup_addr_phase(q);
	} else if (found) {
		note_error(q, -ENOENT);
		q->phase = DNS_PH_DONE;
	} else if (hard == nlk) {
		q->phase = DNS_PH_DONE;
	} else {
		/* RFC 3263 4.2: no SRV records, so A/AAAA on the default
		 * port */
		q->error = 0;
		setup_host_addr(q, 0);
	}
}

static void after_addr(ss_dns_query_t *q)
{
	unsigned i, j;

	for (i = 0; i < q->nlk; i++) {
		dns_lookup_t *lk = &q->lk[i];

		if (lk->status) {
			note_error(q, lk->status);
			continue;
		}
		for (j = 0; j < lk->set->n; j++)
			add_rr_dest(q, lk, &lk->set->rr[j]);
	}
	release_lookups(q);
	q->phase = DNS_PH_DONE;
}

static void next_phase(ss_dns_query_t *q)
{
	unsigned i;

	for (i = 0; i < q->nlk; i++) {
		if (q->lk[i].status == -ECANCELED || q->canceled) {
			note_error(q, -ECANCELED);
			release_lookups(q);
			q->phase = DNS_PH_DONE;
			return;
		}
	}
	switch (q->phase) {
	case DNS_PH_NAPTR:
		after_naptr(q);
		break;
	case DNS_PH_SRV:
		after_srv(q);
		break;
	case DNS_PH_ADDR:
		after_addr(q);
		break;
	case DNS_PH_DONE:
		break;
	}
}

static void query_free(ss_dns_query_t *q)
{
	unsigned i;

	release_lookups(q);
	dns_rrset_unref(&q->naptr);
	for (i = 0; i < DNS_MAX_SRV_LOOKUPS; i++)
		dns_rrset_unref(&q->srv[i]);
	free(q);
}

static void query_unlink(ss_dns_query_t *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		q->res->queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

static void query_deliver(ss_dns_query_t *q)
{
	int status = q->ndests ? 0 : q->error ? q->error : -ENOENT;

	query_unlink(q);
	if (status == -ENODATA)
		status = -ENOENT;
	if (q->ndests)
		dns_block_order(&dns->block, q->dests, q->ndests, dns_now_ms());
	if (!q->canceled)
		q->cb(q->arg, status, q->dests, q->ndests);
	query_free(q);
}

static void query_deliver_task(void *arg)
{
	ss_dns_query_t *q = arg;

	q->posted = false;
	query_deliver(q);
}

/* Starts the lookups of the phase just set up; answers that come at once
 * only count down `pending` while `driving` is set. */
static void query_issue(ss_dns_query_t *q)
{
	unsigned i, n = q->nlk;

	q->pending = n;
	for (i = 0; i < n; i++)
		dns_lookup_start(q->res, &q->lk[i]);
}

static void query_run(ss_dns_query_t *q)
{
	q->driving = true;
	while (!q->pending && q->phase != DNS_PH_DONE) {
		next_phase(q);
		if (q->phase != DNS_PH_DONE)
			query_issue(q);
	}
	q->driving = false;
	if (q->phase == DNS_PH_DONE && !q->pending && !q->starting)
		query_deliver(q);
}

void dns_query_lookup_done(dns_lookup_t *lk)
{
	ss_dns_query_t *q = lk->q;

	q->pending--;
	if (!q->pending && !q->driving)
		query_run(q);
}

void dns_query_abort(ss_dns_query_t *q)
{
	note_error(q, -ECANCELED);
	q->ndests = 0;
	q->posted = false;
	query_deliver(q);
}

/*
 * RFC 2782 within each priority: repeatedly draw r and take the first
 * remaining record (zero weights placed first) whose running sum reaches
 * r. The RFC draws r in [0, sum], which hands the first record an extra
 * 1/(sum+1) share; drawing in [1, sum] makes shares exactly proportional
 * to weights and leaves zero weights for last, the "very small chance"
 * the RFC asks for. Records all of weight 0 keep their order. Sets are
 * small (DNS_MAX_RRS), so the quadratic walk beats anything cleverer.
 */
void dns_srv_order(const dns_rrset_t *set, unsigned *order,
		   uint32_t (*rnd)(void *), void *rnd_arg)
{
	unsigned n = set->n, i, j, start, end;

	for (i = 0; i < n; i++) {
		const dns_rr_t *rr = &set->rr[i];

		for (j = i; j > 0; j--) {
			const dns_rr_t *p = &set->rr[order[j - 1]];

			if (p->prio < rr->prio ||
			    (p->prio == rr->prio &&
			     (p->weight == 0 || rr->weight != 0)))
				break;
			order[j] = order[j - 1];
		}
		order[j] = i;
	}
	for (start = 0; start < n; start = end) {
		for (end = start; end < n && set->rr[order[end]].prio ==
						 set->rr[order[start]].prio;
		     end++)
			;
		for (i = start; i + 1 < end; i++) {
			uint32_t sum = 0, run = 0, r;
			unsigned pick, tmp;

			for (j = i; j < end; j++)
				sum += set->rr[order[j]].weight;
			if (!sum)
				break;
			r = 1 + rnd(rnd_arg) % sum;
			for (pick = i; pick + 1 < end; pick++) {
				run += set->rr[order[pick]].weight;
				if (run >= r)
					break;
			}
			tmp = order[pick];
			memmove(&order[i + 1], &order[i],
				(pick - i) * sizeof(*order));
			order[i] = tmp;
		}
	}
}

/* ---- the service ---- */

static int query_setup(ss_dns_query_t *q, const ss_dns_target_t *t)
{
	size_t len = strlen(t->host);
	ss_sip_addr_t a;

	if (!len || len > DNS_NAME_MAX - 1 || t->proto > SS_SIP_TLS)
		return -EINVAL;
	if (t->secure && t->proto == SS_SIP_UDP)
		return -EINVAL; /* RFC 3261 26.2.2: SIPS is not over UDP */
	q->secure = t->secure;
	q->proto = t->secure && t->proto ? SS_SIP_TLS : (uint8_t)t->proto;
	q->port = t->port;
	q->protos =
	    (t->protos ? t->protos : SS_DNS_PROTOS_ALL) & SS_DNS_PROTOS_ALL;
	if (q->secure)
		q->protos &= SS_DNS_PROTO_BIT(SS_SIP_TLS);
	if (!q->protos && !q->proto)
		return -EINVAL;
	memcpy(q->host, t->host, len + 1);
	if (len > 1 && q->host[len - 1] == '.')
		q->host[len - 1] = '\0';
	if (dns_host_numeric(q->host, &a)) {
		uint8_t proto = default_proto(q);

		add_dest(q, proto, &a, q->port ? q->port : default_port(proto));
		q->phase = DNS_PH_DONE;
	} else if (q->port) {
		setup_host_addr(q, q->port);
	} else if (q->proto) {
		q->phase = DNS_PH_SRV;
		setup_srv(q, q->proto, NULL);
	} else {
		q->phase = DNS_PH_NAPTR;
		setup_lookup(q, q->host, DNS_T_NAPTR, 0, 0);
	}
	return 0;
}

int dns_query_resolve(const ss_dns_target_t *t, ss_dns_cb cb, void *arg,
		      ss_dns_query_t **out)
{
	dns_res_t *r = dns_res_self();
	ss_dns_query_t *q;
	int err;

	if (out)
		*out = NULL;
	if (!r || r->closing || !t || !t->host || !cb)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->res = r;
	q->cb = cb;
	q->arg = arg;
	err = query_setup(q, t);
	if (err) {
		free(q);
		return err;
	}
	q->next = r->queries;
	if (q->next)
		q->next->prev = q;
	r->queries = q;
	q->starting = true;
	q->driving = true;
	if (q->phase != DNS_PH_DONE)
		query_issue(q);
	q->driving = false;
	query_run(q);
	q->starting = false;
	if (q->phase == DNS_PH_DONE && !q->pending) {
		err = ss_loop_post(r->loop, query_deliver_task, q);
		if (err) {
			query_unlink(q);
			query_free(q);
			return err;
		}
		q->posted = true;
	}
	if (out)
		*out = q;
	return 0;
}

void dns_query_cancel(ss_dns_query_t *q)
{
	if (!q || q->canceled)
		return;
	q->canceled = true;
	if (!q->pending && !q->posted && !q->driving) {
		query_unlink(q);
		query_free(q);
	}
}
