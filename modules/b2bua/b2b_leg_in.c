/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The caller's leg, where the ALG is the UAS: taking an INVITE (checks,
 * the call and both dialogs set up, the offer through the relay), its
 * CANCEL, the answers relayed to the caller, and the retransmission of our
 * 2xx responses until their ACK (RFC 3261 13.3.1.4) on either leg.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/log.h>

#include "b2b_int.h"

/* Headers of the caller's INVITE that concern the far end and reveal
 * nothing of the caller's network: credentials for the next proxy (the
 * digest covers method and Request-URI, which we keep) and the call's
 * description. */
static const ss_sip_hdr_id_t passed_hdrs[] = {
    SS_SIP_HDR_PROXY_AUTHORIZATION,
    SS_SIP_HDR_AUTHORIZATION,
    SS_SIP_HDR_ALLOW,
    SS_SIP_HDR_SUBJECT,
    SS_SIP_HDR_PRIORITY,
    SS_SIP_HDR_ACCEPT,
    SS_SIP_HDR_CONTENT_DISPOSITION,
    SS_SIP_HDR_ALERT_INFO,
};

static void reject(ss_sip_rx_t *rx, unsigned code, const char *extra)
{
	ss_sip_resp_opts_t o = {.extra_hdrs = ss_str_c(extra)};

	__atomic_add_fetch(&b2b_g.refused, 1, __ATOMIC_RELAXED);
	b2b_g.txn->reply_rx(rx, code, NULL, &o);
}

/* A reason to refuse the INVITE before any call exists: 0 or a code with
 * its extra header lines in buf. */
static unsigned precheck(ss_sip_msg_t *msg, char *buf, size_t size)
{
	const ss_sip_parser_api_t *p = b2b_g.parser;
	const ss_sip_hdr_t *req = p->hdr(msg, SS_SIP_HDR_REQUIRE);
	const b2b_conf_t *conf = b2b_conf();
	uint32_t mf = 70;

	buf[0] = '\0';
	if (__atomic_load_n(&b2b_g.active, __ATOMIC_RELAXED) >=
	    conf->max_calls) {
		snprintf(buf, size, "Retry-After: %u\r\n", conf->retry_after);
		return 503;
	}
	if (req) {
		snprintf(buf, size, "Unsupported: %.*s\r\n",
			 SS_STR_ARG(req->value));
		return 420;
	}
	if (msg->body.len && !b2b_has_sdp(msg)) {
		snprintf(buf, size, "Accept: application/sdp\r\n");
		return 415;
	}
	if (p->uint_value(msg, SS_SIP_HDR_MAX_FORWARDS, &mf) == 0 && mf == 0)
		return 483;
	return 0;
}

static char *dup_with_tag(ss_str_t value, const char *tag)
{
	size_t n = value.len + 5 + strlen(tag) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%.*s;tag=%s", SS_STR_ARG(value), tag);
	return s;
}

/* The caller's dialog as its UAS sees it (RFC 3261 12.1.1): requests to
 * the caller go back where the INVITE came from. */
static int in_leg_setup(b2b_call_t *c, ss_sip_rx_t *rx)
{
	const ss_sip_parser_api_t *p = b2b_g.parser;
	ss_sip_msg_t *msg = rx->msg;
	const ss_sip_name_addr_t *from = p->addr(msg, SS_SIP_HDR_FROM, 0);
	const ss_sip_name_addr_t *ct = p->addr(msg, SS_SIP_HDR_CONTACT, 0);
	const ss_sip_hdr_t *fh = p->hdr(msg, SS_SIP_HDR_FROM);
	const ss_sip_hdr_t *th = p->hdr(msg, SS_SIP_HDR_TO);
	const ss_sip_cseq_t *cseq = p->cseq(msg);
	b2b_leg_t *lg = &c->leg[B2B_IN];
	char contact[600];

	if (!from || !fh || !th || !cseq)
		return -EINVAL;
	b2b_tag_make(c, B2B_IN);
	lg->dest.proto = rx->pkt->proto;
	lg->dest.addr = rx->pkt->src;
	lg->dest.conn_id = rx->pkt->conn_id;
	lg->remote_cseq = cseq->seq;
	lg->established = true;
	if (b2b_contact_for(&lg->dest, contact, sizeof(contact)) < 0)
		return -ENETUNREACH;
	lg->call_id = b2b_strndup(p->call_id(msg));
	lg->remote_hdr = b2b_strndup(fh->value);
	lg->remote_tag = b2b_strndup(from->tag);
	lg->local_hdr = dup_with_tag(th->value, lg->local_tag);
	lg->remote_target = b2b_strndup(ct ? ct->uri.raw : from->uri.raw);
	lg->contact = strdup(contact);
	if (!lg->call_id || !lg->remote_hdr || !lg->remote_tag ||
	    !lg->local_hdr || !lg->remote_target || !lg->contact)
		return -ENOMEM;
	return 0;
}

/* The Route values left after ours, joined, or NULL. */
static char *rest_routes(ss_sip_msg_t *msg)
{
	const ss_sip_parser_api_t *p = b2b_g.parser;
	ss_sip_iter_t it = SS_SIP_ITER_INIT;
	const ss_sip_value_t *v;
	b2b_wbuf_t w = {NULL, 0, 0};
	char *s;

	while ((v = p->next_value(msg, SS_SIP_HDR_ROUTE, &it)))
		w.size += v->raw.len + 2;
	if (!w.size || !(s = malloc(w.size + 1)))
		return NULL;
	w.p = s;
	it = SS_SIP_ITER_INIT;
	while ((v = p->next_value(msg, SS_SIP_HDR_ROUTE, &it))) {
		if (w.len)
			b2b_put(&w, ", ", 2);
		b2b_put_str(&w, v->raw);
	}
	s[w.len] = '\0';
	return s;
}

/* Our dialog towards the callee, before its answer: a new Call-ID and
 * From tag; From is the caller's (or anonymous), To and Request-URI are
 * kept; our next hop goes first in the route set. */
static int out_leg_setup(b2b_call_t *c, ss_sip_msg_t *msg)
{
	const ss_sip_parser_api_t *p = b2b_g.parser;
	const b2b_conf_t *conf = b2b_conf();
	const ss_sip_name_addr_t *from = p->addr(msg, SS_SIP_HDR_FROM, 0);
	const ss_sip_hdr_t *th = p->hdr(msg, SS_SIP_HDR_TO);
	b2b_leg_t *lg = &c->leg[B2B_OUT];
	char buf[2048], *rest = rest_routes(msg);
	b2b_wbuf_t w = {buf, sizeof(buf) - 1, 0};
	uint32_t mf = 70;

	b2b_tag_make(c, B2B_OUT);
	if (conf->anonymize_from)
		b2b_put_c(&w,
			  "\"Anonymous\" <sip:anonymous@anonymous.invalid>");
	else
		b2b_put_name_addr(&w, from);
	b2b_putf(&w, ";tag=%s", lg->local_tag);
	if (w.len > w.size) {
		free(rest);
		return -ENOSPC;
	}
	buf[w.len] = '\0';
	lg->local_hdr = strdup(buf);
	snprintf(buf, sizeof(buf), "%016llx%016llx",
		 (unsigned long long)b2b_rand(c->bl),
		 (unsigned long long)b2b_rand(c->bl));
	lg->call_id = strdup(buf);
	lg->remote_hdr = b2b_strndup(th->value);
	lg->remote_target = b2b_strndup(msg->ruri_str);
	if (conf->next_hop[0]) {
		int n = snprintf(buf, sizeof(buf), "<%s>%s%s", conf->next_hop,
				 rest ? ", " : "", rest ? rest : "");
		free(rest);
		rest = n > 0 && (size_t)n < sizeof(buf) ? strdup(buf) : NULL;
	}
	lg->routes = rest;
	if (p->uint_value(msg, SS_SIP_HDR_MAX_FORWARDS, &mf) == 0 && mf <= 70)
		lg->max_fwd = mf - 1 ? mf - 1 : 1;
	if (!lg->local_hdr || !lg->call_id || !lg->remote_hdr ||
	    !lg->remote_target || (conf->next_hop[0] && !lg->routes))
		return -ENOMEM;
	return 0;
}

static char *passed_headers(ss_sip_msg_t *msg)
{
	const ss_sip_parser_api_t *p = b2b_g.parser;
	b2b_wbuf_t w = {NULL, 0, 0};
	char *s = NULL;

	for (int pass = 0; pass < 2; pass++) {
		w.len = 0;
		for (size_t i = 0;
		     i < sizeof(passed_hdrs) / sizeof(passed_hdrs[0]); i++)
			for (ss_sip_hdr_t *h = p->hdr(msg, passed_hdrs[i]); h;
			     h = p->hdr_next(msg, h))
				b2b_putf(&w, "%s: %.*s\r\n",
					 p->hdr_name(passed_hdrs[i]),
					 SS_STR_ARG(h->value));
		if (pass)
			break;
		if (!(s = malloc(w.len + 1)))
			return NULL;
		w.p = s;
		w.size = w.len;
	}
	s[w.len] = '\0';
	return s;
}

/* Everything after the checks; the call is counted and answers the
 * caller itself from here on. 0 or a status to answer. */
static unsigned in_setup(b2b_call_t *c, ss_sip_rx_t *rx)
{
	ss_sip_msg_t *msg = rx->msg;
	char *extra;
	ssize_t n;
	int err;

	if (in_leg_setup(c, rx) < 0 || out_leg_setup(c, msg) < 0 ||
	    !(c->in_hdrs = b2b_in_resp_hdrs(c, msg)))
		return 500;
	c->offer_in_invite = b2b_has_sdp(msg);
	n = b2b_sdp_relay(c, msg, B2B_IN);
	if (n < 0) {
		SS_LOG_INFO("call %llu: offer refused: %s",
			    (unsigned long long)c->id, strerror((int)-n));
		return b2b_sdp_error_code((int)n);
	}
	extra = passed_headers(msg);
	if (!extra)
		return 500;
	err = b2b_out_invite(c, extra, (ss_str_t){c->bl->sdp, (size_t)n});
	free(extra);
	if (err < 0) {
		SS_LOG_NOTICE("call %llu: cannot send the INVITE on: %s",
			      (unsigned long long)c->id, strerror(-err));
		return err == -EHOSTUNREACH ? 404 : 503;
	}
	return 0;
}

static void in_cancel(ss_sip_txn_t *inv, ss_sip_rx_t *cancel, void *arg)
{
	b2b_call_t *c = arg;

	(void)inv;
	(void)cancel;
	if (c->state != B2B_CALLING)
		return;
	b2b_call_ref(c);
	c->state = B2B_ENDING;
	c->cancelled = true;
	b2b_out_cancel(c);
	b2b_in_answer(c, 487, NULL, SS_STR_NULL, SS_STR_NULL);
	b2b_call_check_done(c);
	b2b_call_unref(&c);
}

ss_bus_verdict_t b2b_in_invite(b2b_loop_t *bl, ss_sip_rx_t *rx)
{
	char extra[512];
	unsigned code = precheck(rx->msg, extra, sizeof(extra));
	b2b_call_t *c;

	if (!code && !rx->txn)
		code = 500;
	if (code) {
		reject(rx, code, extra);
		return SS_BUS_STOP;
	}
	c = b2b_call_new(bl);
	if (!c) {
		reject(rx, 500, "");
		return SS_BUS_STOP;
	}
	__atomic_add_fetch(&b2b_g.active, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&b2b_g.total, 1, __ATOMIC_RELAXED);
	b2b_srv_take(&c->inv_in, rx->txn);
	b2b_g.txn->set_cancel_cb(rx->txn, in_cancel, c);
	b2b_g.txn->send_trying(rx->txn);
	b2b_call_insert(c);
	code = in_setup(c, rx);
	if (code) {
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n",
			 b2b_conf()->retry_after);
		__atomic_add_fetch(&b2b_g.refused, 1, __ATOMIC_RELAXED);
		b2b_in_answer(c, code, NULL, SS_STR_NULL,
			      code == 503 ? ss_str_c(extra) : SS_STR_NULL);
		c->state = B2B_ENDING;
		b2b_out_cancel(c);
		b2b_call_check_done(c);
	}
	return SS_BUS_STOP;
}

int b2b_in_answer(b2b_call_t *c, unsigned code, const char *reason,
		  ss_str_t sdp, ss_str_t extra)
{
	b2b_leg_t *lg = &c->leg[B2B_IN];
	ss_sip_resp_opts_t o = {.to_tag = ss_str_c(lg->local_tag)};
	char *hdrs = NULL;
	int err;

	if (code < 300 && c->in_hdrs) {
		size_t n = strlen(c->in_hdrs) + extra.len;

		hdrs = malloc(n + 1);
		if (!hdrs)
			return -ENOMEM;
		snprintf(hdrs, n + 1, "%s%.*s", c->in_hdrs, SS_STR_ARG(extra));
		o.extra_hdrs = ss_str_c(hdrs);
	} else {
		o.extra_hdrs = extra;
	}
	if (sdp.len) {
		o.ctype = SS_STR("application/sdp");
		o.body = sdp;
	}
	err = b2b_srv_reply(&c->inv_in, code, reason, &o);
	if (code >= 200 && code < 300 && err == 0)
		b2b_retx_start(c, B2B_IN, &c->inv_in, lg->remote_cseq,
			       o.extra_hdrs.s, sdp);
	else if (code >= 200)
		b2b_srv_release(&c->inv_in);
	free(hdrs);
	return err;
}

/* ---- 2xx retransmissions ---- */

static void retx_arm(b2b_call_t *c)
{
	uint32_t next = 0;

	for (int i = 0; i < 2; i++) {
		const b2b_retx_t *r = &c->leg[i].retx;

		if (r->active && (!next || r->next_ms < next))
			next = r->next_ms;
	}
	if (next)
		ss_timer_start(&c->t_retx, next);
	else
		ss_timer_stop(&c->t_retx);
}

void b2b_retx_start(b2b_call_t *c, b2b_leg_id_t leg, b2b_srv_t *srv,
		    uint32_t cseq, const char *hdrs, ss_str_t body)
{
	b2b_leg_t *lg = &c->leg[leg];
	b2b_retx_t *r = &lg->retx;

	b2b_retx_stop(lg);
	r->srv = *srv;
	srv->txn = NULL;
	r->cseq = cseq;
	r->hdrs = hdrs ? strdup(hdrs) : NULL;
	r->body = b2b_strndup(body);
	r->next_ms = r->interval_ms = b2b_conf()->t1;
	r->elapsed_ms = 0;
	r->active = true;
	retx_arm(c);
}

void b2b_retx_stop(b2b_leg_t *lg)
{
	b2b_retx_t *r = &lg->retx;

	b2b_srv_release(&r->srv);
	free(r->hdrs);
	free(r->body);
	r->hdrs = r->body = NULL;
	r->active = false;
}

/* One step of a leg's retransmission; false when it gave up. The timer
 * is shared by both legs: each runs on its own schedule by subtracting
 * the interval that just elapsed. */
static bool retx_step(b2b_call_t *c, b2b_leg_t *lg, uint32_t elapsed)
{
	const b2b_conf_t *conf = b2b_conf();
	b2b_retx_t *r = &lg->retx;
	ss_sip_resp_opts_t o = {.to_tag = ss_str_c(lg->local_tag)};

	r->elapsed_ms += elapsed;
	if (r->next_ms > elapsed) {
		r->next_ms -= elapsed;
		return true;
	}
	if (r->elapsed_ms >= 64u * conf->t1) {
		SS_LOG_NOTICE("call %llu: no ACK for our 2xx: hanging up",
			      (unsigned long long)c->id);
		b2b_retx_stop(lg);
		return false;
	}
	o.extra_hdrs = ss_str_c(r->hdrs);
	if (r->body) {
		o.body = ss_str_c(r->body);
		o.ctype = o.body.len ? SS_STR("application/sdp") : SS_STR_NULL;
	}
	b2b_srv_reply(&r->srv, 200, NULL, &o);
	r->interval_ms =
	    r->interval_ms * 2 < conf->t2 ? r->interval_ms * 2 : conf->t2;
	r->next_ms = r->interval_ms;
	return true;
}

void b2b_retx_timer(ss_timer_t *t)
{
	b2b_call_t *c = t->arg;
	uint32_t elapsed = UINT32_MAX;
	bool gave_up = false;

	for (int i = 0; i < 2; i++)
		if (c->leg[i].retx.active && c->leg[i].retx.next_ms < elapsed)
			elapsed = c->leg[i].retx.next_ms;
	if (elapsed == UINT32_MAX)
		return;
	b2b_call_ref(c);
	for (int i = 0; i < 2; i++)
		if (c->leg[i].retx.active && !retx_step(c, &c->leg[i], elapsed))
			gave_up = true;
	retx_arm(c);
	if (gave_up)
		b2b_call_hangup(c, "no ACK");
	b2b_call_unref(&c);
}
