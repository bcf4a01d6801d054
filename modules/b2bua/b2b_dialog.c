/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Requests inside the two dialogs, mapped from one leg to the other: ACK
 * (ends our 2xx retransmissions, carries a late answer on), BYE (200 to the
 * sender, BYE on the other leg), re-INVITE (the SDP rewritten again and the
 * relay's peers updated), and the few other methods relayed as they are.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/log.h>

#include "b2b_int.h"

#define B2B_ALLOW \
	"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, MESSAGE, NOTIFY\r\n"

/* A non-INVITE client transaction of ours: a BYE, or a request relayed
 * from the other leg whose answer goes back through srv. */
typedef struct b2b_fwd {
	b2b_call_t *c;	  /* a reference */
	b2b_leg_id_t leg; /* the leg the request went out on */
	b2b_srv_t srv;
	bool bye;
} b2b_fwd_t;

/* Headers a relayed request needs to keep its meaning. */
static const ss_sip_hdr_id_t fwd_hdrs[] = {
    SS_SIP_HDR_EVENT,
    SS_SIP_HDR_SUBSCRIPTION_STATE,
    SS_SIP_HDR_CONTENT_DISPOSITION,
    SS_SIP_HDR_ACCEPT,
};

static b2b_fwd_t *fwd_new(b2b_call_t *c, b2b_leg_id_t leg, b2b_srv_t *srv)
{
	b2b_fwd_t *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->c = b2b_call_ref(c);
	f->leg = leg;
	if (srv) {
		f->srv = *srv;
		srv->txn = NULL;
	}
	__atomic_add_fetch(&b2b_g.fwds, 1, __ATOMIC_RELAXED);
	return f;
}

static void fwd_free(b2b_fwd_t *f)
{
	b2b_srv_release(&f->srv);
	b2b_call_unref(&f->c);
	free(f);
	__atomic_sub_fetch(&b2b_g.fwds, 1, __ATOMIC_RELAXED);
}

/* Non-INVITE: called once for the final response (or the failure). */
static void fwd_response(ss_sip_txn_t *txn, ss_sip_rx_t *rx, unsigned code,
			 void *arg)
{
	b2b_fwd_t *f = arg;
	b2b_call_t *c = f->c;

	(void)txn;
	(void)rx;
	if (code < 200)
		return;
	if (f->srv.txn)
		b2b_srv_reply(&f->srv, code, NULL, NULL);
	if (f->bye) {
		b2b_g.txn->unref(&c->leg[f->leg].bye);
		c->leg[f->leg].gone = true;
	} else if (code == 481 || code == 408) {
		/* RFC 3261 12.2.1.2: the dialog is gone. */
		b2b_call_hangup(c, "in-dialog request failed");
	}
	b2b_call_check_done(c);
	fwd_free(f);
}

void b2b_dialog_bye(b2b_call_t *c, b2b_leg_id_t leg)
{
	b2b_leg_t *lg = &c->leg[leg];
	b2b_fwd_t *f;
	int err = -ENOMEM;

	if (lg->gone || lg->bye || !lg->established)
		return;
	f = fwd_new(c, leg, NULL);
	if (f) {
		f->bye = true;
		err = b2b_leg_send(c, leg, "BYE", SS_STR_NULL, SS_STR_NULL,
				   SS_STR_NULL, fwd_response, f, &lg->bye);
	}
	if (err < 0) {
		SS_LOG_WARN("call %llu: cannot send BYE: %s",
			    (unsigned long long)c->id, strerror(-err));
		lg->gone = true;
		if (f)
			fwd_free(f);
	}
}

static void on_ack(b2b_call_t *c, b2b_leg_id_t leg, ss_sip_msg_t *msg)
{
	const ss_sip_cseq_t *cs = b2b_g.parser->cseq(msg);
	b2b_leg_t *lg = &c->leg[leg];
	b2b_leg_t *ol = &c->leg[b2b_other(leg)];
	ssize_t n;

	if (!cs || !lg->retx.active || lg->retx.cseq != cs->seq)
		return; /* a retransmitted ACK */
	b2b_retx_stop(lg);
	if (c->state == B2B_ACCEPTED && leg == B2B_IN)
		c->state = B2B_CONFIRMED;
	if (!ol->ack_deferred)
		return;
	/* The 2xx the sender ACKs carried the other side's offer: this ACK
	 * has the answer, which that side is waiting for in ours. */
	n = b2b_sdp_relay(c, msg, leg);
	if (n < 0 ||
	    b2b_leg_ack(c, b2b_other(leg), ol->ack_cseq,
			(ss_str_t){c->bl->sdp, n > 0 ? (size_t)n : 0}) < 0) {
		SS_LOG_NOTICE("call %llu: the answer in the ACK is unusable",
			      (unsigned long long)c->id);
		if (n < 0)
			b2b_leg_ack(c, b2b_other(leg), ol->ack_cseq,
				    SS_STR_NULL);
		b2b_call_hangup(c, "bad answer in ACK");
	}
}

static void on_bye(b2b_call_t *c, b2b_leg_id_t leg, b2b_srv_t *srv)
{
	b2b_srv_reply(srv, 200, NULL, NULL);
	b2b_srv_release(srv);
	c->leg[leg].gone = true;
	b2b_retx_stop(&c->leg[leg]);
	if (c->state == B2B_CALLING) {
		/* The caller ends an early dialog: as a CANCEL would. */
		c->state = B2B_ENDING;
		c->cancelled = true;
		b2b_out_cancel(c);
		b2b_in_answer(c, 487, NULL, SS_STR_NULL, SS_STR_NULL);
	} else if (c->state < B2B_ENDING) {
		c->state = B2B_ENDING;
		b2b_retx_stop(&c->leg[b2b_other(leg)]);
		b2b_dialog_bye(c, b2b_other(leg));
	}
	b2b_call_check_done(c);
}

/* A target refresh (RFC 3261 12.2.2): the peer's new Contact. */
static void refresh_target(b2b_call_t *c, b2b_leg_id_t leg, ss_sip_msg_t *msg)
{
	const ss_sip_name_addr_t *ct =
	    b2b_g.parser->addr(msg, SS_SIP_HDR_CONTACT, 0);
	b2b_leg_t *lg = &c->leg[leg];
	ss_sip_dest_t cur = lg->dest;
	char *t;

	if (!ct || leg == B2B_IN || !(t = b2b_strndup(ct->uri.raw)))
		return;
	free(lg->remote_target);
	lg->remote_target = t;
	b2b_leg_set_dest(c, leg, &cur);
}

static void reinv_response(ss_sip_txn_t *txn, ss_sip_rx_t *rx, unsigned code,
			   void *arg);

static void on_reinvite(b2b_call_t *c, b2b_leg_id_t leg, ss_sip_msg_t *msg,
			b2b_srv_t *srv)
{
	b2b_leg_id_t to = b2b_other(leg);
	ss_sip_resp_opts_t o = {0};
	ss_sip_txn_t *cli = NULL;
	ssize_t n;
	int err;

	if (c->reinv.active || c->leg[leg].retx.active ||
	    c->leg[to].retx.active) {
		b2b_srv_reply(srv, 491, NULL, NULL);
		goto done;
	}
	if (c->state != B2B_CONFIRMED) {
		o.extra_hdrs = SS_STR("Retry-After: 1\r\n");
		b2b_srv_reply(srv, 500, NULL, &o);
		goto done;
	}
	if (msg->body.len && !b2b_has_sdp(msg)) {
		o.extra_hdrs = SS_STR("Accept: application/sdp\r\n");
		b2b_srv_reply(srv, 415, NULL, &o);
		goto done;
	}
	n = b2b_sdp_relay(c, msg, leg);
	if (n < 0) {
		b2b_srv_reply(srv, b2b_sdp_error_code((int)n), NULL, NULL);
		goto done;
	}
	refresh_target(c, leg, msg);
	err = b2b_leg_send(c, to, "INVITE", SS_STR_NULL,
			   n ? SS_STR("application/sdp") : SS_STR_NULL,
			   (ss_str_t){c->bl->sdp, (size_t)n}, reinv_response, c,
			   &cli);
	if (err == 0 && b2b_call_linger(c, cli) < 0) {
		b2b_g.txn->cancel(cli);
		err = -ENOSPC;
	}
	if (err < 0) {
		b2b_g.txn->unref(&cli);
		b2b_srv_reply(srv, err == -ENOSPC ? 491 : 500, NULL, NULL);
		goto done;
	}
	c->reinv.active = true;
	c->reinv.from = leg;
	c->reinv.cli = cli;
	c->reinv.offer = n > 0;
	c->reinv.from_cseq = c->leg[leg].remote_cseq;
	c->reinv.srv = *srv;
	srv->txn = NULL;
	b2b_g.txn->unref(&cli);
	return;
done:
	b2b_srv_release(srv);
}

/* The leg a response to one of our re-INVITEs came on. */
static b2b_leg_id_t leg_of(b2b_call_t *c, ss_sip_msg_t *msg)
{
	ss_str_t cid = b2b_g.parser->call_id(msg);

	return ss_str_eq(cid, ss_str_c(c->leg[B2B_IN].call_id)) ? B2B_IN
								: B2B_OUT;
}

static void reinv_2xx(b2b_call_t *c, ss_sip_msg_t *msg, unsigned code)
{
	b2b_leg_id_t to = b2b_other(c->reinv.from);
	b2b_leg_t *fl = &c->leg[c->reinv.from];
	const ss_sip_cseq_t *cs = b2b_g.parser->cseq(msg);
	uint32_t cseq = cs ? cs->seq : 0;
	char hdrs[700];
	ssize_t n = b2b_sdp_relay(c, msg, to);

	b2b_out_ack_2xx(c, to, msg, cseq, c->reinv.offer || n < 0);
	c->reinv.active = false;
	if (n < 0) {
		b2b_srv_reply(&c->reinv.srv, b2b_sdp_error_code((int)n), NULL,
			      NULL);
		b2b_srv_release(&c->reinv.srv);
		return;
	}
	snprintf(hdrs, sizeof(hdrs), "Contact: %s\r\n", fl->contact);
	b2b_srv_reply(&c->reinv.srv, code, NULL,
		      &(ss_sip_resp_opts_t){
			  .extra_hdrs = ss_str_c(hdrs),
			  .ctype = n ? SS_STR("application/sdp") : SS_STR_NULL,
			  .body = {c->bl->sdp, (size_t)n}});
	b2b_retx_start(c, c->reinv.from, &c->reinv.srv, c->reinv.from_cseq,
		       hdrs, (ss_str_t){c->bl->sdp, (size_t)n});
}

/* cppcheck-suppress constParameter ; the type is ss_txn_response_fn */
static void reinv_response(ss_sip_txn_t *txn, ss_sip_rx_t *rx, unsigned code,
			   void *arg)
{
	b2b_call_t *c = arg;
	ss_sip_msg_t *msg = rx ? rx->msg : NULL;
	bool current = c->reinv.active && c->reinv.cli == txn;

	if (code < 200)
		return;
	b2b_call_ref(c);
	if (msg && code < 300) {
		const ss_sip_cseq_t *cs = b2b_g.parser->cseq(msg);

		if (current)
			reinv_2xx(c, msg, code);
		else if (cs)
			b2b_out_ack_2xx(c, leg_of(c, msg), msg, cs->seq, true);
	} else if (current) {
		c->reinv.active = false;
		b2b_srv_reply(&c->reinv.srv, code, NULL, NULL);
		b2b_srv_release(&c->reinv.srv);
		if (code == 481 || code == 408)
			b2b_call_hangup(c, "re-INVITE failed");
	}
	b2b_call_check_done(c);
	b2b_call_unref(&c);
}

static void on_other(b2b_call_t *c, b2b_leg_id_t leg, ss_sip_msg_t *msg,
		     b2b_srv_t *srv)
{
	const ss_sip_parser_api_t *p = b2b_g.parser;
	const ss_sip_hdr_t *ct = p->hdr(msg, SS_SIP_HDR_CONTENT_TYPE);
	char method[32], extra[1024];
	b2b_wbuf_t w = {extra, sizeof(extra) - 1, 0};
	b2b_fwd_t *f;
	int err = -ENOMEM;

	if (c->state != B2B_CONFIRMED && c->state != B2B_ACCEPTED) {
		b2b_srv_reply(srv, 481, NULL, NULL);
		b2b_srv_release(srv);
		return;
	}
	if (b2b_has_sdp(msg) || msg->method_str.len >= sizeof(method)) {
		b2b_srv_reply(srv, 488, NULL, NULL);
		b2b_srv_release(srv);
		return;
	}
	snprintf(method, sizeof(method), "%.*s", SS_STR_ARG(msg->method_str));
	for (size_t i = 0; i < sizeof(fwd_hdrs) / sizeof(fwd_hdrs[0]); i++)
		for (ss_sip_hdr_t *h = p->hdr(msg, fwd_hdrs[i]); h;
		     h = p->hdr_next(msg, h))
			b2b_putf(&w, "%s: %.*s\r\n", p->hdr_name(fwd_hdrs[i]),
				 SS_STR_ARG(h->value));
	f = fwd_new(c, b2b_other(leg), srv);
	if (f && w.len <= w.size)
		err = b2b_leg_send(c, b2b_other(leg), method,
				   (ss_str_t){extra, w.len},
				   ct ? ct->value : SS_STR_NULL, msg->body,
				   fwd_response, f, NULL);
	if (err < 0) {
		b2b_srv_reply(f ? &f->srv : srv, 500, NULL, NULL);
		b2b_srv_release(srv);
		if (f)
			fwd_free(f);
	}
}

void b2b_dialog_request(b2b_call_t *c, b2b_leg_id_t leg, ss_sip_msg_t *msg,
			b2b_srv_t *srv)
{
	const ss_sip_cseq_t *cs = b2b_g.parser->cseq(msg);
	b2b_leg_t *lg = &c->leg[leg];

	if (msg->method == SS_SIP_METHOD_ACK) {
		on_ack(c, leg, msg);
		b2b_srv_release(srv);
		return;
	}
	/* RFC 3261 12.2.2: CSeq must grow within a dialog. */
	if (!cs || (cs->seq <= lg->remote_cseq && lg->remote_cseq)) {
		b2b_srv_reply(srv, 500, "CSeq out of order", NULL);
		b2b_srv_release(srv);
		return;
	}
	lg->remote_cseq = cs->seq;
	switch (msg->method) {
	case SS_SIP_METHOD_BYE:
		on_bye(c, leg, srv);
		break;
	case SS_SIP_METHOD_INVITE:
		on_reinvite(c, leg, msg, srv);
		break;
	case SS_SIP_METHOD_INFO:
	case SS_SIP_METHOD_OPTIONS:
	case SS_SIP_METHOD_MESSAGE:
	case SS_SIP_METHOD_NOTIFY:
		on_other(c, leg, msg, srv);
		break;
	default:
		b2b_srv_reply(
		    srv, 501, NULL,
		    &(ss_sip_resp_opts_t){.extra_hdrs = SS_STR(B2B_ALLOW)});
		b2b_srv_release(srv);
		break;
	}
}
