/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Request forwarding (RFC 3261 16.6) and the life of a response context:
 * branches started per forking group, the copy of the request each one
 * sends, RFC 3263 destinations with failover, Timer C, cancellation, and
 * stateless sends (the ACK of a 2xx).
 */
#define _GNU_SOURCE
#include "proxy_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/log.h>

#define VIA_MAX 512 /* room for the Via line of a stateless send */

/* A stateless send waiting for DNS: the message printed without our Via. */
typedef struct proxy_ack_job {
	struct proxy_ack_job *next, **pprev;
	proxy_loop_t *lp;
	ss_dns_query_t *query;
	char branch[32];
	size_t len;
	char buf[];
} proxy_ack_job_t;

unsigned proxy_fork_group(const uint16_t *q, unsigned n, unsigned from,
			  proxy_fork_mode_t mode)
{
	unsigned i;

	if (from >= n)
		return 0;
	if (mode == PROXY_FORK_PARALLEL)
		return n - from;
	if (mode == PROXY_FORK_SEQUENTIAL)
		return 1;
	for (i = from + 1; i < n && q[i] == q[from]; i++)
		;
	return i - from;
}

/* ---- branch handles ---- */

#define HANDLE_SHIFT (sizeof(uintptr_t) * 4)

static int handle_alloc(proxy_loop_t *lp, proxy_branch_t *b)
{
	uint32_t slot;

	if (!lp->nfree) {
		unsigned cap = lp->nslots ? lp->nslots * 2 : 64;
		proxy_branch_t **s = realloc(lp->slots, cap * sizeof(*s));
		uint32_t *g, *f;

		if (!s)
			return -ENOMEM;
		lp->slots = s;
		g = realloc(lp->gen, cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		lp->gen = g;
		f = realloc(lp->free_slots, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		lp->free_slots = f;
		for (unsigned i = lp->nslots; i < cap; i++) {
			lp->gen[i] = 1;
			lp->slots[i] = NULL;
			lp->free_slots[lp->nfree++] =
			    cap - 1 - (i - lp->nslots);
		}
		lp->nslots = cap;
	}
	slot = lp->free_slots[--lp->nfree];
	lp->slots[slot] = b;
	b->handle = ((uintptr_t)slot << HANDLE_SHIFT) |
		    (lp->gen[slot] & (((uintptr_t)1 << HANDLE_SHIFT) - 1));
	return 0;
}

static void handle_free(proxy_loop_t *lp, proxy_branch_t *b)
{
	uint32_t slot = (uint32_t)(b->handle >> HANDLE_SHIFT);

	if (!b->handle)
		return;
	lp->slots[slot] = NULL;
	lp->gen[slot]++;
	if (!(lp->gen[slot] & (((uintptr_t)1 << HANDLE_SHIFT) - 1)))
		lp->gen[slot] = 1; /* 0 would match a cleared handle */
	lp->free_slots[lp->nfree++] = slot;
	b->handle = 0;
}

proxy_branch_t *proxy_branch_from_handle(proxy_loop_t *lp, void *arg)
{
	uintptr_t h = (uintptr_t)arg;
	uint32_t slot = (uint32_t)(h >> HANDLE_SHIFT);

	if (!lp || slot >= lp->nslots || !lp->slots[slot] ||
	    (lp->gen[slot] & (((uintptr_t)1 << HANDLE_SHIFT) - 1)) !=
		(h & (((uintptr_t)1 << HANDLE_SHIFT) - 1)))
		return NULL;
	return lp->slots[slot];
}

/* ---- contexts ---- */

static void on_cancel(ss_sip_txn_t *invite, ss_sip_rx_t *cancel, void *arg);
static void timer_c_fired(ss_timer_t *t);

proxy_ctx_t *proxy_ctx_new(proxy_loop_t *lp, ss_sip_txn_t *stxn, unsigned n,
			   size_t strs_len)
{
	proxy_ctx_t *ctx =
	    calloc(1, sizeof(*ctx) + n * sizeof(proxy_branch_t) + strs_len);

	if (!ctx)
		return NULL;
	ctx->lp = lp;
	ctx->nbranches = n;
	for (unsigned i = 0; i < n; i++) {
		ctx->br[i].ctx = ctx;
		ss_timer_init(&ctx->br[i].timer_c, proxy_g.self, timer_c_fired,
			      &ctx->br[i]);
	}
	ctx->stxn = proxy_g.txn->ref(stxn);
	proxy_g.txn->set_cancel_cb(stxn, on_cancel, ctx);
	ctx->lnext = lp->ctxs;
	if (ctx->lnext)
		ctx->lnext->lpprev = &ctx->lnext;
	ctx->lpprev = &lp->ctxs;
	lp->ctxs = ctx;
	PROXY_INC(lp->st.contexts);
	PROXY_INC(lp->st.live);
	return ctx;
}

static void branch_release(proxy_branch_t *b)
{
	proxy_loop_t *lp = b->ctx->lp;

	ss_timer_stop(&b->timer_c);
	if (b->query) {
		proxy_g.dns->cancel(b->query);
		b->query = NULL;
	}
	if (b->registered) {
		proxy_loop_del(&b->lent);
		b->registered = false;
	}
	handle_free(lp, b);
	if (b->ctxn)
		proxy_g.txn->unref(&b->ctxn);
}

/* Frees ctx. Its client transactions live on; their late 2xx are
 * forwarded statelessly through the stale handle. */
static void ctx_destroy(proxy_ctx_t *ctx)
{
	for (unsigned i = 0; i < ctx->nbranches; i++)
		branch_release(&ctx->br[i]);
	if (ctx->stxn) {
		proxy_g.txn->set_cancel_cb(ctx->stxn, NULL, NULL);
		proxy_g.txn->unref(&ctx->stxn);
	}
	*ctx->lpprev = ctx->lnext;
	if (ctx->lnext)
		ctx->lnext->lpprev = ctx->lpprev;
	PROXY_ADD(ctx->lp->st.live, (uint64_t)-1);
	free(ctx->best);
	free(ctx->chal);
	free(ctx);
}

/* ---- building the request of a branch ---- */

static ss_str_t route_uri(const ss_sip_name_addr_t *r)
{
	return r ? r->uri.raw : SS_STR_NULL;
}

/*
 * The request for branch b in lp->req, edited per RFC 3261 16.6 steps
 * 2-6: Request-URI, Max-Forwards, Path and static routes as Route, the
 * credentials consumed here. *hop gets the URI to resolve (top Route or
 * Request-URI), parsed into the message arena. NULL on error.
 */
static ss_sip_msg_t *branch_build(proxy_branch_t *b, ss_sip_uri_t *hop)
{
	const ss_sip_parser_api_t *p = proxy_g.parser;
	proxy_ctx_t *ctx = b->ctx;
	ss_sip_msg_t *req = proxy_g.txn->request(ctx->stxn), *msg;
	const proxy_conf_t *c = proxy_conf();
	const ss_sip_uri_t *ruri;
	const proxy_route_t *sr = NULL;
	ss_str_t next;

	if (!req || !(msg = proxy_work_msg(&ctx->lp->req, req)))
		return NULL;
	if (proxy_route_preprocess(c, msg) < 0)
		return NULL;
	if (!ss_str_eq(msg->ruri_str, b->uri) && p->set_ruri(msg, b->uri) < 0)
		return NULL;
	if (proxy_maxfwd_step(msg) < 0 || proxy_push_routes(msg, b->path) < 0)
		return NULL;
	proxy_consume_credentials(msg, ctx->realm);
	ruri = p->ruri(msg);
	if (!ruri)
		return NULL;
	next = route_uri(p->addr(msg, SS_SIP_HDR_ROUTE, 0));
	if (!next.len && !proxy_uri_is_local(c, ruri))
		sr = proxy_route_find(c, ruri->host);
	if (sr) {
		if (sr->lr) {
			char v[PROXY_HOST_MAX + 512];
			int n = snprintf(v, sizeof(v), "<%s>", sr->uri);

			if (n < 0 || (size_t)n >= sizeof(v) ||
			    proxy_push_routes(msg, (ss_str_t){v, (size_t)n}))
				return NULL;
		}
		next = ss_str_c(sr->uri);
	}
	if (!next.len)
		next = ruri->raw;
	if (p->uri_parse(&msg->arena, next, hop) < 0)
		return NULL;
	return msg;
}

static bool wants_record_route(ss_sip_msg_t *msg)
{
	const ss_sip_name_addr_t *to =
	    proxy_g.parser->addr(msg, SS_SIP_HDR_TO, 0);

	/* Initial requests only: the route set of a dialog is fixed by the
	 * request that created it. */
	return msg->method != SS_SIP_METHOD_REGISTER && to && !to->tag.s;
}

/* Sends branch b's request to its current destination: Record-Route for
 * the listener that destination uses, a client transaction, the loop
 * entry and Timer C. 0 or -errno. */
static int branch_send(proxy_branch_t *b, ss_sip_msg_t *msg)
{
	proxy_ctx_t *ctx = b->ctx;
	const proxy_conf_t *c = proxy_conf();
	const ss_sip_dest_t *dst = &b->dests[b->dest_i];
	int err;

	if (c->record_route && wants_record_route(msg)) {
		const ss_sip_uri_t *ruri = proxy_g.parser->ruri(msg);

		err =
		    proxy_record_route(msg,
				       proxy_g.tp->listener_for(
					   dst->proto, dst->addr.sa.ss_family),
				       ruri && ruri->scheme == SS_SIP_URI_SIPS);
		if (err)
			return err;
	}
	if (!b->handle && (err = handle_alloc(ctx->lp, b)) < 0)
		return err;
	if (!b->registered) {
		proxy_loop_add(&b->lent, ctx->route_hash);
		b->registered = b->lent.pprev != NULL;
	}
	err = proxy_g.txn->client_create(msg, dst, proxy_on_response,
					 (void *)b->handle, &b->ctxn);
	if (err)
		return err;
	b->state = BR_CALLING;
	if (ctx->invite && c->no_answer_ms)
		ss_timer_start(&b->timer_c, c->no_answer_ms);
	PROXY_INC(ctx->lp->st.forwarded);
	return 0;
}

int proxy_forward_branch_next(proxy_branch_t *b)
{
	ss_sip_uri_t hop;
	int err = -ENETUNREACH;

	for (; b->dest_i < b->ndests; b->dest_i++) {
		ss_sip_msg_t *msg = branch_build(b, &hop);

		if (!msg)
			return -ENOMEM;
		err = branch_send(b, msg);
		if (!err)
			return 0;
		if (proxy_g.dns)
			proxy_g.dns->mark_failed(&b->dests[b->dest_i]);
		PROXY_INC(b->ctx->lp->st.failovers);
	}
	return err;
}

static void dns_done(void *arg, int status, const ss_sip_dest_t *dests,
		     unsigned count)
{
	proxy_branch_t *b = arg;
	proxy_ctx_t *ctx = b->ctx;

	b->query = NULL;
	if (ctx->cancelled || ctx->final_sent) {
		proxy_branch_finish(b, 487);
		proxy_ctx_advance(ctx);
		return;
	}
	if (status < 0 || !count) {
		SS_LOG_INFO("cannot locate %.*s: %s", SS_STR_ARG(b->uri),
			    strerror(-status));
		/* RFC 3263 has no server to try: 404 for a name that does
		 * not exist, 503 when DNS itself failed. */
		proxy_ctx_consider(ctx, NULL, status == -ENOENT ? 404 : 503);
		proxy_branch_finish(b, status == -ENOENT ? 404 : 503);
		proxy_ctx_advance(ctx);
		return;
	}
	b->ndests =
	    (uint8_t)(count < PROXY_MAX_DESTS ? count : PROXY_MAX_DESTS);
	memcpy(b->dests, dests, b->ndests * sizeof(*dests));
	b->dest_i = 0;
	if (proxy_forward_branch_next(b) < 0) {
		proxy_ctx_consider(ctx, NULL, 503);
		proxy_branch_finish(b, 503);
		proxy_ctx_advance(ctx);
	}
}

/* Fills a DNS target from a URI; host is written into hbuf. */
static int dns_target(const ss_sip_uri_t *u, ss_dns_target_t *t, char *hbuf)
{
	if (!u->host.len || u->host.len > PROXY_HOST_MAX)
		return -EINVAL;
	memcpy(hbuf, u->host.s, u->host.len);
	hbuf[u->host.len] = '\0';
	memset(t, 0, sizeof(*t));
	t->host = hbuf;
	t->port = u->port;
	t->secure = u->scheme == SS_SIP_URI_SIPS;
	if (ss_str_caseeq_c(u->transport, "udp"))
		t->proto = SS_SIP_UDP;
	else if (ss_str_caseeq_c(u->transport, "tcp"))
		t->proto = SS_SIP_TCP;
	else if (ss_str_caseeq_c(u->transport, "tls"))
		t->proto = SS_SIP_TLS;
	return 0;
}

/* Starts branch b: a fixed or numeric destination is sent at once, a
 * name goes through DNS. 0 when under way, else -errno. */
static int branch_start(proxy_branch_t *b)
{
	char host[PROXY_HOST_MAX + 1];
	ss_dns_target_t t;
	ss_sip_uri_t hop;
	ss_sip_msg_t *msg = branch_build(b, &hop);
	int err;

	if (!msg)
		return -ENOMEM;
	b->dest_i = 0;
	if (b->has_fixed && !b->path.len) {
		b->dests[0] = b->fixed;
		b->ndests = 1;
		return proxy_forward_branch_next(b);
	}
	err = proxy_uri_dest(&hop, &b->dests[0]);
	if (!err) {
		b->ndests = 1;
		return proxy_forward_branch_next(b);
	}
	if (err != -EAGAIN)
		return err;
	if (!proxy_g.dns)
		return -EHOSTUNREACH;
	err = dns_target(&hop, &t, host);
	if (!err)
		err = proxy_g.dns->resolve(&t, dns_done, b, &b->query);
	if (!err)
		b->state = BR_RESOLVING;
	return err;
}

void proxy_branch_finish(proxy_branch_t *b, unsigned code)
{
	if (b->state == BR_DONE)
		return;
	b->state = BR_DONE;
	b->code = code;
	ss_timer_stop(&b->timer_c);
	if (b->registered) {
		proxy_loop_del(&b->lent);
		b->registered = false;
	}
	if (b->query) {
		proxy_g.dns->cancel(b->query);
		b->query = NULL;
	}
}

/* Starts the next forking group; true if a branch is under way. */
static bool start_group(proxy_ctx_t *ctx)
{
	uint16_t q[PROXY_MAX_TARGETS];
	bool started = false;

	for (unsigned i = 0; i < ctx->nbranches; i++)
		q[i] = ctx->br[i].q;
	while (!started && ctx->next < ctx->nbranches) {
		unsigned g = proxy_fork_group(q, ctx->nbranches, ctx->next,
					      proxy_conf()->fork_mode);

		if (g > 1 || ctx->next > 0)
			PROXY_ADD(ctx->lp->st.forks, g);
		for (unsigned i = ctx->next; i < ctx->next + g; i++) {
			proxy_branch_t *b = &ctx->br[i];
			int err = branch_start(b);

			if (err) {
				SS_LOG_INFO("cannot forward to %.*s: %s",
					    SS_STR_ARG(b->uri), strerror(-err));
				proxy_ctx_consider(ctx, NULL, 503);
				proxy_branch_finish(b, 503);
			} else {
				started = true;
			}
		}
		ctx->next += g;
	}
	return started;
}

int proxy_ctx_start(proxy_ctx_t *ctx)
{
	if (!start_group(ctx))
		return -ENETUNREACH;
	return 0;
}

static bool any_pending(const proxy_ctx_t *ctx)
{
	for (unsigned i = 0; i < ctx->nbranches; i++)
		if (ctx->br[i].state != BR_DONE && ctx->br[i].state != BR_IDLE)
			return true;
	return false;
}

void proxy_ctx_advance(proxy_ctx_t *ctx)
{
	if (ctx->destroying || any_pending(ctx))
		return;
	if (!ctx->final_sent && !ctx->cancelled && start_group(ctx))
		return;
	ctx->destroying = true;
	if (!ctx->final_sent)
		proxy_ctx_reply_best(ctx);
	ctx_destroy(ctx);
}

void proxy_ctx_cancel_all(proxy_ctx_t *ctx)
{
	ctx->next = ctx->nbranches; /* no further group */
	for (unsigned i = 0; i < ctx->nbranches; i++) {
		proxy_branch_t *b = &ctx->br[i];

		if (b->state == BR_PROCEEDING) {
			/* Its 487 (or a crossing 2xx) ends it. */
			proxy_g.txn->cancel(b->ctxn);
			ss_timer_stop(&b->timer_c);
			continue;
		}
		/* RFC 3261 9.1: no CANCEL before a provisional response; the
		 * layer sends it if one comes. We stop waiting now. */
		if (b->ctxn && b->state == BR_CALLING)
			proxy_g.txn->cancel(b->ctxn);
		proxy_branch_finish(b, 487);
	}
}

/* RFC 3261 16.10: the layer answered the CANCEL with 200; the branches
 * are cancelled and the INVITE gets 487 once they end. */
static void on_cancel(ss_sip_txn_t *invite, ss_sip_rx_t *cancel, void *arg)
{
	proxy_ctx_t *ctx = arg;

	(void)invite;
	(void)cancel;
	if (ctx->cancelled || ctx->final_sent)
		return;
	PROXY_INC(ctx->lp->st.cancels);
	ctx->cancelled = true;
	proxy_ctx_cancel_all(ctx);
	proxy_ctx_advance(ctx);
}

/* Timer C (RFC 3261 16.6 step 11, 16.8): a branch rang too long. */
static void timer_c_fired(ss_timer_t *t)
{
	proxy_branch_t *b = t->arg;
	proxy_ctx_t *ctx = b->ctx;

	PROXY_INC(ctx->lp->st.timeouts);
	if (b->state == BR_PROCEEDING) {
		/* Its 487 will be ignored: to the caller it is no answer. */
		proxy_g.txn->cancel(b->ctxn);
		proxy_branch_finish(b, 480);
		proxy_ctx_consider(ctx, NULL, 480);
	} else if (b->state == BR_CALLING) {
		proxy_g.txn->cancel(b->ctxn);
		proxy_branch_finish(b, 408);
		proxy_ctx_consider(ctx, NULL, 408);
	}
	proxy_ctx_advance(ctx);
}

/* ---- stateless sends ---- */

/* Writes msg (printed without our Via) into lp->buf with our Via line
 * after the start line, and sends it to dst. */
static int send_with_via(proxy_loop_t *lp, const char *m, size_t len,
			 const char *branch, const ss_sip_dest_t *dst)
{
	const ss_sip_listener_info_t *l =
	    proxy_g.tp->listener_for(dst->proto, dst->addr.sa.ss_family);
	static const char *const names[] = {"UDP", "UDP", "TCP", "TLS"};
	const char *eol = memmem(m, len, "\r\n", 2);
	size_t sl;
	int n;

	if (!l)
		return -ENETUNREACH;
	if (!eol)
		return -EINVAL;
	sl = (size_t)(eol - m) + 2;
	if (sl + VIA_MAX + len > PROXY_BUF_SIZE)
		return -ENOSPC;
	memcpy(lp->buf, m, sl);
	n = snprintf(lp->buf + sl, VIA_MAX,
		     "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n",
		     names[(unsigned)dst->proto < 4 ? dst->proto : 0], l->host,
		     l->port, branch);
	if (n < 0 || n >= VIA_MAX)
		return -ENOSPC;
	memcpy(lp->buf + sl + (size_t)n, m + sl, len - sl);
	return proxy_g.txn->send(dst, lp->buf, len + (size_t)n);
}

/* RFC 3261 16.11: a stateless branch must be the same for every
 * retransmission, so it is derived from the incoming top branch. */
static void stateless_branch(ss_sip_msg_t *msg, char *out, size_t size)
{
	const ss_sip_via_t *v = proxy_g.parser->via(msg, 0);
	uint64_t h = 14695981039346656037ull;
	ss_str_t parts[2] = {v ? v->branch : SS_STR_NULL, msg->ruri_str};

	for (int i = 0; i < 2; i++)
		for (size_t j = 0; j < parts[i].len; j++)
			h = (h ^ (unsigned char)parts[i].s[j]) *
			    1099511628211ull;
	snprintf(out, size, "z9hG4bKpx%016llx", (unsigned long long)h);
}

int proxy_forward_stateless(proxy_loop_t *lp, ss_sip_msg_t *msg,
			    const ss_sip_dest_t *dst)
{
	char branch[32], *tmp = lp->buf + PROXY_BUF_SIZE / 2;
	ssize_t n;
	int err;

	stateless_branch(msg, branch, sizeof(branch));
	/* Printed into the upper half of the buffer: send_with_via builds
	 * the result in the lower half, which it cannot outgrow. */
	n = proxy_g.parser->print(msg, tmp, PROXY_BUF_SIZE / 2 - VIA_MAX);
	if (n < 0)
		return (int)n;
	err = send_with_via(lp, tmp, (size_t)n, branch, dst);
	if (!err)
		PROXY_INC(lp->st.stateless_acks);
	return err;
}

static void ack_job_free(proxy_ack_job_t *j)
{
	*j->pprev = j->next;
	if (j->next)
		j->next->pprev = j->pprev;
	free(j);
}

static void ack_dns_done(void *arg, int status, const ss_sip_dest_t *dests,
			 unsigned count)
{
	proxy_ack_job_t *j = arg;

	j->query = NULL;
	if (status == 0 && count)
		send_with_via(j->lp, j->buf, j->len, j->branch, &dests[0]);
	ack_job_free(j);
}

/* The stateless send of msg to a named hop: printed now, sent when DNS
 * answers (first destination; an ACK has no failover). */
int proxy_forward_stateless_dns(proxy_loop_t *lp, ss_sip_msg_t *msg,
				const ss_sip_uri_t *hop)
{
	char host[PROXY_HOST_MAX + 1];
	ss_dns_target_t t;
	proxy_ack_job_t *j;
	ssize_t n;
	int err;

	if (!proxy_g.dns)
		return -EHOSTUNREACH;
	err = dns_target(hop, &t, host);
	if (err)
		return err;
	n = proxy_g.parser->print(msg, lp->buf, PROXY_BUF_SIZE - VIA_MAX);
	if (n < 0)
		return (int)n;
	j = malloc(sizeof(*j) + (size_t)n);
	if (!j)
		return -ENOMEM;
	memcpy(j->buf, lp->buf, (size_t)n);
	j->len = (size_t)n;
	j->lp = lp;
	stateless_branch(msg, j->branch, sizeof(j->branch));
	j->next = lp->acks;
	if (j->next)
		j->next->pprev = &j->next;
	j->pprev = &lp->acks;
	lp->acks = j;
	err = proxy_g.dns->resolve(&t, ack_dns_done, j, &j->query);
	if (err)
		ack_job_free(j);
	return err;
}

void proxy_loop_drain(proxy_loop_t *lp)
{
	while (lp->ctxs) {
		lp->ctxs->destroying = true;
		ctx_destroy(lp->ctxs);
	}
	while (lp->acks) {
		if (lp->acks->query)
			proxy_g.dns->cancel(lp->acks->query);
		ack_job_free(lp->acks);
	}
}
