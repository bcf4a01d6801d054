/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The b2bua's place in the request pipeline: the "sip.request.in"
 * subscriber that takes INVITEs addressed to this ALG and routes in-dialog
 * requests to their call's loop, and the server transaction handles that
 * let a call answer a request received on another loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/log.h>

#include "b2b_int.h"

/* ---- server transaction handles ---- */

void b2b_srv_take(b2b_srv_t *srv, ss_sip_txn_t *txn)
{
	srv->txn = txn ? b2b_g.txn->ref(txn) : NULL;
	srv->loop = ss_loop_current();
}

/* A reply to run on the transaction's loop, with copies of the options. */
typedef struct srv_post {
	ss_sip_txn_t *txn;
	unsigned code;
	const char *reason;
	bool release;
	size_t lens[4];
	char data[]; /* to_tag, extra_hdrs, ctype, body */
} srv_post_t;

static void srv_post_run(void *arg)
{
	srv_post_t *sp = arg;
	ss_sip_resp_opts_t o;
	const char *p = sp->data;
	ss_str_t *f[4] = {&o.to_tag, &o.extra_hdrs, &o.ctype, &o.body};

	for (int i = 0; i < 4; i++) {
		*f[i] = (ss_str_t){p, sp->lens[i]};
		p += sp->lens[i];
	}
	if (sp->code)
		b2b_g.txn->reply(sp->txn, sp->code, sp->reason, &o);
	if (sp->release)
		b2b_g.txn->unref(&sp->txn);
	free(sp);
	b2b_task_done();
}

static int srv_post(b2b_srv_t *srv, unsigned code, const char *reason,
		    const ss_sip_resp_opts_t *opts, bool release)
{
	ss_sip_resp_opts_t o = opts ? *opts : (ss_sip_resp_opts_t){0};
	const ss_str_t f[4] = {o.to_tag, o.extra_hdrs, o.ctype, o.body};
	size_t total = 0;
	srv_post_t *sp;
	char *p;

	for (int i = 0; i < 4; i++)
		total += f[i].len;
	sp = malloc(sizeof(*sp) + total);
	if (!sp)
		return -ENOMEM;
	sp->txn = srv->txn;
	sp->code = code;
	sp->reason = reason;
	sp->release = release;
	p = sp->data;
	for (int i = 0; i < 4; i++) {
		sp->lens[i] = f[i].len;
		if (f[i].len)
			memcpy(p, f[i].s, f[i].len);
		p += f[i].len;
	}
	b2b_task_posted();
	if (ss_loop_post(srv->loop, srv_post_run, sp) < 0) {
		b2b_task_done();
		free(sp);
		return -ENOMEM;
	}
	return 0;
}

int b2b_srv_reply(b2b_srv_t *srv, unsigned code, const char *reason,
		  const ss_sip_resp_opts_t *opts)
{
	if (!srv->txn)
		return -ENOENT;
	if (ss_loop_current() == srv->loop)
		return b2b_g.txn->reply(srv->txn, code, reason, opts);
	return srv_post(srv, code, reason, opts, false);
}

void b2b_srv_release(b2b_srv_t *srv)
{
	if (!srv->txn)
		return;
	if (ss_loop_current() == srv->loop)
		b2b_g.txn->unref(&srv->txn);
	else if (srv_post(srv, 0, NULL, NULL, true) < 0)
		SS_LOG_ERR("cannot post the release of a transaction: leaked");
	srv->txn = NULL;
}

/* ---- in-dialog requests ---- */

/* A request for a call of another loop, copied. */
typedef struct xreq {
	b2b_srv_t srv;
	uint64_t key;
	b2b_leg_id_t leg;
	ss_sip_packet_t pkt;
	char buf[];
} xreq_t;

/* The request really belongs to the leg its To tag names: same Call-ID
 * and the peer's tag once known. */
static bool request_matches(b2b_call_t *c, b2b_leg_id_t leg, ss_sip_msg_t *msg)
{
	const b2b_leg_t *lg = &c->leg[leg];
	const ss_sip_name_addr_t *from =
	    b2b_g.parser->addr(msg, SS_SIP_HDR_FROM, 0);
	ss_str_t cid = b2b_g.parser->call_id(msg);

	if (c->state == B2B_ENDED || !lg->call_id ||
	    !ss_str_eq(cid, ss_str_c(lg->call_id)) || !from)
		return false;
	return !lg->remote_tag ||
	       ss_str_eq(from->tag, ss_str_c(lg->remote_tag));
}

static void dispatch(b2b_loop_t *bl, uint64_t key, b2b_leg_id_t leg,
		     ss_sip_msg_t *msg, b2b_srv_t *srv)
{
	b2b_call_t *c = b2b_call_find(bl, key);

	if (c && request_matches(c, leg, msg)) {
		b2b_call_ref(c);
		b2b_dialog_request(c, leg, msg, srv);
		b2b_call_unref(&c);
		return;
	}
	/* Gone meanwhile (the check before posting saw no table). */
	b2b_srv_reply(srv, 481, NULL, NULL);
	b2b_srv_release(srv);
}

static void xreq_run(void *arg)
{
	xreq_t *x = arg;
	b2b_loop_t *bl = b2b_loop_here();
	ss_sip_error_t err;

	if (bl && b2b_g.parser->parse(bl->rxmsg, x->buf, x->pkt.len, &err) == 0)
		dispatch(bl, x->key, x->leg, bl->rxmsg, &x->srv);
	else
		b2b_srv_release(&x->srv);
	free(x);
	b2b_task_done();
}

static int xreq_post(b2b_loop_t *to, ss_sip_rx_t *rx, uint64_t key,
		     b2b_leg_id_t leg)
{
	const ss_sip_packet_t *pkt = rx->pkt;
	xreq_t *x = malloc(sizeof(*x) + pkt->len + 1);

	if (!x)
		return -ENOMEM;
	b2b_srv_take(&x->srv, rx->txn);
	x->key = key;
	x->leg = leg;
	x->pkt = *pkt;
	x->pkt.buf = x->buf;
	memcpy(x->buf, pkt->buf, pkt->len);
	x->buf[pkt->len] = '\0';
	b2b_task_posted();
	if (ss_loop_post(to->loop, xreq_run, x) < 0) {
		b2b_task_done();
		b2b_srv_release(&x->srv);
		free(x);
		return -ENOMEM;
	}
	return 0;
}

/* ---- is it for us? ---- */

static bool host_is_us(const ss_sip_uri_t *uri)
{
	const b2b_conf_t *conf = b2b_conf();
	const ss_sip_listener_info_t *l;
	unsigned port = uri->port ? uri->port : 5060, i;

	if (uri->scheme != SS_SIP_URI_SIP && uri->scheme != SS_SIP_URI_SIPS)
		return false;
	for (i = 0; (l = b2b_g.transport->listener_at(i)); i++)
		if (ss_str_caseeq_c(uri->host, l->host) &&
		    (port == l->port ||
		     (!uri->port && l->proto == SS_SIP_TLS && l->port == 5061)))
			return true;
	for (i = 0; i < conf->naliases; i++)
		if (ss_str_caseeq_c(uri->host, conf->aliases[i].host) &&
		    (!conf->aliases[i].port || conf->aliases[i].port == port))
			return true;
	return false;
}

/* An INVITE is ours when its top Route names us (the caller's pre-loaded
 * Route, which is consumed) or, if configured, its Request-URI does. */
static bool invite_for_us(ss_sip_msg_t *msg)
{
	const b2b_conf_t *conf = b2b_conf();
	const ss_sip_name_addr_t *r =
	    b2b_g.parser->addr(msg, SS_SIP_HDR_ROUTE, 0);
	const ss_sip_uri_t *ruri;

	if (r) {
		if (!conf->accept_route || !host_is_us(&r->uri))
			return false;
		return b2b_g.parser->remove_first_value(msg,
							SS_SIP_HDR_ROUTE) == 0;
	}
	ruri = b2b_g.parser->ruri(msg);
	return conf->accept_ruri && ruri && host_is_us(ruri);
}

ss_bus_verdict_t b2b_on_request(ss_topic_t topic, void *m, void *arg)
{
	ss_sip_rx_t *rx = m;
	ss_sip_msg_t *msg = rx->msg;
	b2b_loop_t *bl = b2b_loop_here();
	const ss_sip_name_addr_t *to;
	b2b_leg_id_t leg;
	unsigned loop;
	uint64_t key;
	b2b_srv_t srv;

	(void)topic;
	(void)arg;
	if (!bl || !rx->pkt ||
	    !(to = b2b_g.parser->addr(msg, SS_SIP_HDR_TO, 0)))
		return SS_BUS_CONTINUE;
	if (!to->tag.s) {
		if (msg->method != SS_SIP_METHOD_INVITE || !invite_for_us(msg))
			return SS_BUS_CONTINUE;
		rx->handled_by = "b2bua";
		return b2b_in_invite(bl, rx);
	}
	if (b2b_tag_parse(to->tag, &key, &loop, &leg) < 0 ||
	    loop >= b2b_g.nloops)
		return SS_BUS_CONTINUE;
	if (loop != bl->index) {
		if (xreq_post(&b2b_g.loops[loop], rx, key, leg) < 0)
			return SS_BUS_CONTINUE;
	} else {
		b2b_call_t *c = b2b_call_find(bl, key);

		if (!c || !request_matches(c, leg, msg))
			return SS_BUS_CONTINUE; /* the catch-all says 481 */
		b2b_srv_take(&srv, rx->txn);
		dispatch(bl, key, leg, msg, &srv);
	}
	rx->handled_by = "b2bua";
	return SS_BUS_STOP;
}
