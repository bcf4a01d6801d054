/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The callee's leg, where the ALG is the UAC: our INVITE to the next hop
 * (or where the Request-URI resolves), its responses relayed to the
 * caller with the relay's SDP, the ACK of its 2xx (the UAC core's job,
 * RFC 3261 13.2.2.4) and CANCEL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/log.h>

#include "b2b_int.h"

/* Response headers of the callee's side the caller needs: when to retry,
 * where a redirect points, and the challenges of a proxy beyond us (the
 * caller's credentials are passed on with its next INVITE). */
static const ss_sip_hdr_id_t relayed_hdrs[] = {
    SS_SIP_HDR_RETRY_AFTER,	 SS_SIP_HDR_CONTACT,
    SS_SIP_HDR_WWW_AUTHENTICATE, SS_SIP_HDR_PROXY_AUTHENTICATE,
    SS_SIP_HDR_WARNING,		 SS_SIP_HDR_REASON,
};

static void out_response(ss_sip_txn_t *txn, ss_sip_rx_t *rx, unsigned code,
			 void *arg);

static int send_invite(b2b_call_t *c)
{
	b2b_leg_t *lg = &c->leg[B2B_OUT];
	char contact[600];
	ss_sip_txn_t *txn = NULL;
	ss_str_t sdp = ss_str_c(c->out_sdp);
	int err;

	lg->dest = c->first_dest;
	err = b2b_contact_for(&lg->dest, contact, sizeof(contact));
	if (err < 0)
		return err;
	free(lg->contact);
	lg->contact = strdup(contact);
	if (!lg->contact)
		return -ENOMEM;
	err = b2b_leg_send(c, B2B_OUT, "INVITE", ss_str_c(c->out_extra),
			   sdp.len ? SS_STR("application/sdp") : SS_STR_NULL,
			   sdp, out_response, c, &txn);
	lg->max_fwd = 0;
	free(c->out_extra);
	free(c->out_sdp);
	c->out_extra = c->out_sdp = NULL;
	if (err < 0)
		return err;
	c->inv_out = txn;
	err = b2b_call_linger(c, txn);
	b2b_g.txn->unref(&txn);
	return err;
}

static void dns_done(void *arg, int status, const ss_sip_dest_t *dests,
		     unsigned count)
{
	b2b_call_t *c = arg;
	int err = status;

	c->dnsq = NULL;
	b2b_call_ref(c);
	if (c->state != B2B_CALLING) {
		b2b_call_check_done(c);
	} else if (err < 0 || !count) {
		SS_LOG_NOTICE("call %llu: cannot resolve the next hop: %s",
			      (unsigned long long)c->id, strerror(-err));
		b2b_in_answer(c, err == -ENOENT ? 404 : 503, NULL, SS_STR_NULL,
			      SS_STR_NULL);
		c->state = B2B_ENDING;
		b2b_call_check_done(c);
	} else {
		c->first_dest = dests[0];
		err = send_invite(c);
		if (err < 0) {
			b2b_in_answer(c, 503, NULL, SS_STR_NULL, SS_STR_NULL);
			c->state = B2B_ENDING;
			b2b_call_check_done(c);
		}
	}
	b2b_call_unref(&c);
}

static int resolve(b2b_call_t *c, const ss_sip_uri_t *uri)
{
	ss_dns_target_t t = {.port = uri->port,
			     .secure = uri->scheme == SS_SIP_URI_SIPS};
	char host[256];

	if (!b2b_g.dns || uri->host.len >= sizeof(host))
		return -EHOSTUNREACH;
	memcpy(host, uri->host.s, uri->host.len);
	host[uri->host.len] = '\0';
	t.host = host;
	if (ss_str_caseeq_c(uri->transport, "udp"))
		t.proto = SS_SIP_UDP;
	else if (ss_str_caseeq_c(uri->transport, "tcp"))
		t.proto = SS_SIP_TCP;
	else if (ss_str_caseeq_c(uri->transport, "tls"))
		t.proto = SS_SIP_TLS;
	return b2b_g.dns->resolve(&t, dns_done, c, &c->dnsq);
}

int b2b_out_invite(b2b_call_t *c, const char *extra, ss_str_t sdp)
{
	const b2b_conf_t *conf = b2b_conf();
	ss_str_t target = conf->next_hop[0]
			      ? ss_str_c(conf->next_hop)
			      : ss_str_c(c->leg[B2B_OUT].remote_target);
	ss_sip_arena_t a;
	ss_sip_uri_t uri;
	int err;

	c->out_extra = strdup(extra);
	c->out_sdp = b2b_strndup(sdp);
	if (!c->out_extra || !c->out_sdp)
		return -ENOMEM;
	b2b_g.parser->arena_init(&a);
	err = b2b_g.parser->uri_parse(&a, target, &uri);
	if (err == 0) {
		err = b2b_dest_from_uri(&uri, &c->first_dest);
		if (err == -EAGAIN)
			err = resolve(c, &uri);
		else if (err == 0)
			err = send_invite(c);
	}
	b2b_g.parser->arena_fini(&a);
	return err == -EINVAL ? -EHOSTUNREACH : err;
}

void b2b_out_cancel(b2b_call_t *c)
{
	if (c->dnsq) {
		b2b_g.dns->cancel(c->dnsq);
		c->dnsq = NULL;
	}
	if (c->inv_out && b2b_g.txn->state(c->inv_out) != SS_TXN_TERMINATED)
		b2b_g.txn->cancel(c->inv_out);
}

void b2b_out_ack_2xx(b2b_call_t *c, b2b_leg_id_t leg, ss_sip_msg_t *msg,
		     uint32_t cseq, bool have_answer)
{
	b2b_leg_t *lg = &c->leg[leg];

	(void)msg;
	if (lg->ack_cseq == cseq && (lg->ack || lg->ack_deferred)) {
		/* A retransmission: our ACK got lost (or is not due yet). */
		if (lg->ack && !lg->ack_deferred)
			b2b_g.txn->send(&lg->dest, lg->ack, lg->ack_len);
		return;
	}
	if (have_answer) {
		if (b2b_leg_ack(c, leg, cseq, SS_STR_NULL) < 0)
			SS_LOG_WARN("call %llu: cannot send our ACK",
				    (unsigned long long)c->id);
		return;
	}
	lg->ack_deferred = true;
	lg->ack_cseq = cseq;
}

static void relayed_headers(ss_sip_msg_t *msg, char *buf, size_t size)
{
	const ss_sip_parser_api_t *p = b2b_g.parser;
	b2b_wbuf_t w = {buf, size - 1, 0};

	for (size_t i = 0; i < sizeof(relayed_hdrs) / sizeof(relayed_hdrs[0]);
	     i++)
		for (ss_sip_hdr_t *h = p->hdr(msg, relayed_hdrs[i]); h;
		     h = p->hdr_next(msg, h))
			b2b_putf(&w, "%s: %.*s\r\n",
				 p->hdr_name(relayed_hdrs[i]),
				 SS_STR_ARG(h->value));
	buf[w.len <= w.size ? w.len : 0] = '\0';
}

static void on_provisional(b2b_call_t *c, ss_sip_msg_t *msg, unsigned code)
{
	ssize_t n = 0;

	if (code == 100 || c->state != B2B_CALLING)
		return;
	/* Early media: the answer may come in a 18x. An offer there needs
	 * reliable provisionals, which we do not offer. */
	if (c->offer_in_invite && b2b_has_sdp(msg)) {
		n = b2b_sdp_relay(c, msg, B2B_OUT);
		if (n < 0) {
			SS_LOG_INFO("call %llu: early SDP dropped: %s",
				    (unsigned long long)c->id,
				    strerror((int)-n));
			n = 0;
		}
	}
	b2b_in_answer(c, code, NULL, (ss_str_t){c->bl->sdp, (size_t)n},
		      SS_STR_NULL);
}

static void on_2xx(b2b_call_t *c, ss_sip_msg_t *msg, unsigned code)
{
	const ss_sip_cseq_t *cs = b2b_g.parser->cseq(msg);
	uint32_t cseq = cs ? cs->seq : 1;
	b2b_leg_t *lg = &c->leg[B2B_OUT];
	ssize_t n;

	if (lg->established) {
		const ss_sip_name_addr_t *to =
		    b2b_g.parser->addr(msg, SS_SIP_HDR_TO, 0);

		if (to && ss_str_eq(to->tag, ss_str_c(lg->remote_tag)))
			b2b_out_ack_2xx(c, B2B_OUT, msg, cseq, true);
		else
			SS_LOG_INFO("call %llu: 2xx of another fork ignored",
				    (unsigned long long)c->id);
		return;
	}
	if (b2b_leg_from_response(c, B2B_OUT, msg) < 0) {
		SS_LOG_WARN("call %llu: unusable 2xx (no To tag?)",
			    (unsigned long long)c->id);
		return;
	}
	if (c->state != B2B_CALLING) {
		/* Cancelled or hung up meanwhile: take the call and end it. */
		b2b_out_ack_2xx(c, B2B_OUT, msg, cseq, true);
		b2b_dialog_bye(c, B2B_OUT);
		return;
	}
	n = b2b_sdp_relay(c, msg, B2B_OUT);
	if (n < 0 || (!n && !c->offer_in_invite)) {
		unsigned err = n < 0 ? b2b_sdp_error_code((int)n) : 488;

		b2b_out_ack_2xx(c, B2B_OUT, msg, cseq, true);
		b2b_in_answer(c, err, NULL, SS_STR_NULL, SS_STR_NULL);
		c->state = B2B_ENDING;
		b2b_dialog_bye(c, B2B_OUT);
		return;
	}
	b2b_out_ack_2xx(c, B2B_OUT, msg, cseq, c->offer_in_invite);
	c->state = B2B_ACCEPTED;
	b2b_in_answer(c, code, NULL, (ss_str_t){c->bl->sdp, (size_t)n},
		      SS_STR_NULL);
}

static void on_final(b2b_call_t *c, ss_sip_msg_t *msg, unsigned code)
{
	char hdrs[2048] = "";

	if (c->state != B2B_CALLING)
		return;
	if (msg)
		relayed_headers(msg, hdrs, sizeof(hdrs));
	/* The transaction layer's 503 means we could not reach the next
	 * hop; the caller hears it as ours. */
	b2b_in_answer(c, code, NULL, SS_STR_NULL, ss_str_c(hdrs));
	c->state = B2B_ENDING;
}

static void out_response(ss_sip_txn_t *txn, ss_sip_rx_t *rx, unsigned code,
			 void *arg)
{
	b2b_call_t *c = arg;
	ss_sip_msg_t *msg = rx ? rx->msg : NULL;

	(void)txn;
	b2b_call_ref(c);
	if (msg && code < 200)
		on_provisional(c, msg, code);
	else if (msg && code < 300)
		on_2xx(c, msg, code);
	else if (code >= 300 || !msg)
		on_final(c, msg, code);
	b2b_call_check_done(c);
	b2b_call_unref(&c);
}
