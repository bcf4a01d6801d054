/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Response processing (RFC 3261 16.7): provisional and 2xx responses
 * forwarded at once, the best final response chosen among the branches
 * (6xx first, then the lowest class), 401/407 challenges aggregated,
 * failover to the next destination, and responses that match no client
 * transaction forwarded statelessly along their Via.
 */
#define _GNU_SOURCE
#include "proxy_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/log.h>

/* RFC 3261 16.7 step 6 preferences within a class: responses that let
 * the caller retry (credentials, extensions, an address). */
static int preference(unsigned code)
{
	switch (code) {
	case 401:
	case 407:
		return 3;
	case 415:
	case 420:
	case 484:
		return 2;
	case 408:
	case 503:
		return 0; /* synthesized by us or a failed hop */
	default:
		return 1;
	}
}

bool proxy_better_response(unsigned cand, unsigned best)
{
	unsigned cc = cand / 100, bc = best / 100;

	if (!best)
		return true;
	if (bc == 6)
		return false;
	if (cc == 6)
		return true;
	if (cc != bc)
		return cc < bc;
	return preference(cand) > preference(best);
}

static int buf_put(char **buf, size_t *len, size_t *cap, const char *s,
		   size_t n)
{
	if (*len + n > *cap) {
		size_t c = *cap ? *cap : 512;
		char *p;

		while (c < *len + n)
			c *= 2;
		p = realloc(*buf, c);
		if (!p)
			return -ENOMEM;
		*buf = p;
		*cap = c;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	return 0;
}

/* Keeps the challenges of a 401/407 as "<id>value\0" records. */
static void keep_challenges(proxy_ctx_t *ctx, ss_sip_msg_t *msg)
{
	static const ss_sip_hdr_id_t ids[] = {SS_SIP_HDR_WWW_AUTHENTICATE,
					      SS_SIP_HDR_PROXY_AUTHENTICATE};
	const ss_sip_parser_api_t *p = proxy_g.parser;

	for (int i = 0; i < 2; i++)
		for (ss_sip_hdr_t *h = p->hdr(msg, ids[i]); h;
		     h = p->hdr_next(msg, h)) {
			char id = (char)ids[i];

			if (buf_put(&ctx->chal, &ctx->chal_len, &ctx->chal_cap,
				    &id, 1) ||
			    buf_put(&ctx->chal, &ctx->chal_len, &ctx->chal_cap,
				    h->value.s, h->value.len) ||
			    buf_put(&ctx->chal, &ctx->chal_len, &ctx->chal_cap,
				    "", 1))
				return;
		}
}

/* The response in lp->resp without our Via, printed into lp->buf. */
static ssize_t strip_and_print(proxy_loop_t *lp, ss_sip_msg_t *resp)
{
	ss_sip_msg_t *m = proxy_work_msg(&lp->resp, resp);

	if (!m || proxy_g.parser->remove_first_value(m, SS_SIP_HDR_VIA) < 0)
		return -EINVAL;
	return proxy_g.parser->print(m, lp->buf, PROXY_BUF_SIZE);
}

void proxy_ctx_consider(proxy_ctx_t *ctx, ss_sip_rx_t *rx, unsigned code)
{
	ssize_t n;

	if (rx && (code == 401 || code == 407))
		keep_challenges(ctx, rx->msg);
	if (!proxy_better_response(code, ctx->best_code))
		return;
	ctx->best_code = code;
	ctx->best_len = 0;
	if (!rx)
		return; /* synthesized: reply() builds it */
	n = strip_and_print(ctx->lp, rx->msg);
	if (n < 0 || buf_put(&ctx->best, &ctx->best_len, &ctx->best_cap,
			     ctx->lp->buf, (size_t)n) < 0)
		ctx->best_len = 0;
}

/* The stored 401/407 with the challenges of every branch (16.7 step 7). */
static ssize_t aggregate(proxy_ctx_t *ctx)
{
	static const ss_sip_hdr_id_t ids[] = {SS_SIP_HDR_WWW_AUTHENTICATE,
					      SS_SIP_HDR_PROXY_AUTHENTICATE};
	const ss_sip_parser_api_t *p = proxy_g.parser;
	proxy_loop_t *lp = ctx->lp;
	ss_sip_error_t err;
	ss_sip_msg_t *m = &lp->resp;

	if (p->parse(m, ctx->best, ctx->best_len, &err) < 0)
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		ss_sip_hdr_t *h;

		while ((h = p->hdr(m, ids[i])) != NULL)
			p->hdr_remove(m, h);
	}
	for (size_t off = 0; off < ctx->chal_len;) {
		ss_sip_hdr_id_t id = (ss_sip_hdr_id_t)ctx->chal[off];
		size_t vl = strlen(ctx->chal + off + 1);

		if (p->hdr_add(m, id, SS_STR_NULL,
			       (ss_str_t){ctx->chal + off + 1, vl},
			       SS_SIP_APPEND) < 0)
			return -ENOMEM;
		off += vl + 2;
	}
	return p->print(m, lp->buf, PROXY_BUF_SIZE);
}

void proxy_ctx_reply_best(proxy_ctx_t *ctx)
{
	const ss_sip_txn_api_t *t = proxy_g.txn;
	unsigned code = ctx->best_code;
	int err = -EINVAL;

	ctx->final_sent = true;
	if (ctx->cancelled) {
		t->reply(ctx->stxn, 487, NULL, NULL);
		return;
	}
	if (!code)
		code = 408; /* no final response at all (16.7 step 6) */
	/* A 503 would tell the caller that we are overloaded. */
	if (code == 503)
		code = 500;
	if (ctx->best_len && code == ctx->best_code) {
		ssize_t n = (code == 401 || code == 407) && ctx->chal_len
				? aggregate(ctx)
				: -1;

		err = n >= 0 ? t->send_response(ctx->stxn, ctx->lp->buf,
						(size_t)n, code)
			     : t->send_response(ctx->stxn, ctx->best,
						ctx->best_len, code);
	}
	if (err < 0 && err != -EALREADY)
		t->reply(ctx->stxn, code, NULL, NULL);
}

/* Sends a provisional or 2xx response upstream at once (16.7 step 5). */
static void forward_now(proxy_ctx_t *ctx, ss_sip_rx_t *rx, unsigned code)
{
	ssize_t n = strip_and_print(ctx->lp, rx->msg);
	int err;

	if (n < 0)
		return;
	err = proxy_g.txn->send_response(ctx->stxn, ctx->lp->buf, (size_t)n,
					 code);
	/* A 2xx after another final response still reaches the caller:
	 * it establishes a dialog the caller must end. */
	if (err == -EALREADY && code < 300)
		proxy_forward_response_stateless(ctx->lp, rx);
}

/* A failed hop (408, 503, no answer, transport error) with another
 * RFC 3263 destination left: the request goes there (RFC 3263 4.3). */
static bool failover(proxy_branch_t *b, const ss_sip_rx_t *rx, unsigned code)
{
	proxy_ctx_t *ctx = b->ctx;

	if ((rx && code != 503 && code != 408) || ctx->cancelled ||
	    ctx->final_sent)
		return false;
	if (proxy_g.dns)
		proxy_g.dns->mark_failed(&b->dests[b->dest_i]);
	if (b->dest_i + 1 >= b->ndests)
		return false;
	proxy_g.txn->unref(&b->ctxn);
	ss_timer_stop(&b->timer_c);
	b->dest_i++;
	PROXY_INC(ctx->lp->st.failovers);
	return proxy_forward_branch_next(b) == 0;
}

static void on_provisional(proxy_branch_t *b, ss_sip_rx_t *rx, unsigned code)
{
	proxy_ctx_t *ctx = b->ctx;

	if (b->state == BR_DONE || !rx)
		return;
	if (b->state == BR_CALLING)
		b->state = BR_PROCEEDING;
	if (code == 100)
		return; /* hop by hop */
	if (ss_timer_pending(&b->timer_c))
		ss_timer_start(&b->timer_c, proxy_conf()->no_answer_ms);
	if (!ctx->final_sent && !ctx->cancelled)
		forward_now(ctx, rx, code);
}

static void on_final(proxy_branch_t *b, ss_sip_rx_t *rx, unsigned code)
{
	proxy_ctx_t *ctx = b->ctx;

	if (code < 300) {
		if (rx)
			forward_now(ctx, rx, code);
		proxy_branch_finish(b, code);
		if (!ctx->final_sent) {
			ctx->final_sent = true;
			proxy_ctx_cancel_all(ctx); /* 16.7 step 10 */
		}
		proxy_ctx_advance(ctx);
		return;
	}
	if (b->state == BR_DONE)
		return; /* a branch we gave up: its 487 or timeout */
	if (failover(b, rx, code))
		return;
	proxy_ctx_consider(ctx, rx, code);
	proxy_branch_finish(b, code);
	if (code >= 600 && !ctx->final_sent) {
		proxy_ctx_reply_best(ctx);
		proxy_ctx_cancel_all(ctx);
	}
	proxy_ctx_advance(ctx);
}

void proxy_on_response(ss_sip_txn_t *txn, ss_sip_rx_t *rx, unsigned code,
		       void *arg)
{
	proxy_loop_t *lp = proxy_loop_here();
	proxy_branch_t *b = proxy_branch_from_handle(lp, arg);

	(void)txn;
	if (lp && code >= 100 && code < 700)
		PROXY_INC(lp->st.responses[code / 100]);
	if (!b) {
		/* The context is over; a 2xx still goes to the caller. */
		if (lp && rx && code >= 200 && code < 300)
			proxy_forward_response_stateless(lp, rx);
		return;
	}
	if (code < 200)
		on_provisional(b, rx, code);
	else
		on_final(b, rx, code);
}

/* ---- stateless response forwarding ---- */

int proxy_forward_response_stateless(proxy_loop_t *lp, ss_sip_rx_t *rx)
{
	const ss_sip_parser_api_t *p = proxy_g.parser;
	ss_sip_msg_t *m = proxy_work_msg(&lp->resp, rx->msg);
	const ss_sip_via_t *v;
	char hp[PROXY_HOST_MAX + 16];
	ss_sip_dest_t dst = {0};
	ss_str_t host;
	ssize_t n;

	if (!m || p->remove_first_value(m, SS_SIP_HDR_VIA) < 0 ||
	    !(v = p->via(m, 0)))
		return -EINVAL;
	/* RFC 3261 18.2.2 and RFC 3581: received and rport win. */
	host = v->received.len ? v->received : v->host;
	if (host.len > PROXY_HOST_MAX)
		return -EINVAL;
	snprintf(hp, sizeof(hp), "%.*s:%u", SS_STR_ARG(host),
		 (unsigned)(v->rport_value ? v->rport_value
			    : v->port	   ? v->port
					   : 5060));
	if (proxy_parse_hostport(hp, &dst.addr) < 0)
		return -EHOSTUNREACH; /* a name: not worth a DNS query */
	dst.proto = ss_str_caseeq_c(v->transport, "TCP")   ? SS_SIP_TCP
		    : ss_str_caseeq_c(v->transport, "TLS") ? SS_SIP_TLS
							   : SS_SIP_UDP;
	n = p->print(m, lp->buf, PROXY_BUF_SIZE);
	if (n < 0)
		return (int)n;
	PROXY_INC(lp->st.stateless_resps);
	return proxy_g.txn->send(&dst, lp->buf, (size_t)n);
}

/* Whether the top Via of a response is one of our listeners. */
static bool top_via_ours(ss_sip_msg_t *msg)
{
	const ss_sip_via_t *v = proxy_g.parser->via(msg, 0);
	const ss_sip_listener_info_t *l;
	unsigned port;

	if (!v)
		return false;
	port = v->port ? v->port : 5060;
	for (unsigned i = 0; (l = proxy_g.tp->listener_at(i)); i++)
		if (l->port == port && l->host &&
		    ss_str_caseeq_c(v->host, l->host))
			return true;
	return false;
}

ss_bus_verdict_t proxy_on_stray_response(ss_topic_t topic, void *m, void *arg)
{
	ss_sip_rx_t *rx = m;
	proxy_loop_t *lp = proxy_loop_here();

	(void)topic;
	(void)arg;
	if (!lp || !rx->msg || rx->msg->is_request || !top_via_ours(rx->msg) ||
	    !proxy_g.parser->via(rx->msg, 1))
		return SS_BUS_CONTINUE;
	if (rx->msg->status >= 100 && rx->msg->status < 700)
		PROXY_INC(lp->st.responses[rx->msg->status / 100]);
	proxy_forward_response_stateless(lp, rx);
	rx->handled_by = "proxy";
	return SS_BUS_STOP;
}
