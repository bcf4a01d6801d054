/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Server transactions (RFC 3261 17.2, RFC 6026): the first subscriber of
 * "sip.request.in" (retransmissions, ACK of non-2xx, CANCEL), the INVITE
 * and non-INVITE state machines with timers G, H, I, J, L and 100 Trying,
 * the TU's reply functions, and the stateless reply helpers.
 */
#include "txn_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sipserver/log.h>

static bool ours_only(const txn_loop_t *lt, const ss_sip_txn_t *txn)
{
	return txn_loop_here() == lt && txn->lt == lt;
}

static ss_str_t put_str(char **p, ss_str_t s)
{
	ss_str_t r = {NULL, s.len};

	if (!s.s)
		return SS_STR_NULL;
	r.s = *p;
	memcpy(*p, s.s, s.len);
	*p += s.len;
	return r;
}

static size_t key_size(const txn_key_t *k)
{
	return k->branch.len + k->host.len + k->method_str.len +
	       k->call_id.len + k->from_tag.len + k->to_tag.len + k->ruri.len +
	       k->top_via.len;
}

/* Copies the keys into the transaction's storage at *p. */
static void key_copy(txn_key_t *dst, const txn_key_t *k, char **p)
{
	*dst = *k;
	dst->branch = put_str(p, k->branch);
	dst->host = put_str(p, k->host);
	dst->method_str = put_str(p, k->method_str);
	dst->call_id = put_str(p, k->call_id);
	dst->from_tag = put_str(p, k->from_tag);
	dst->to_tag = put_str(p, k->to_tag);
	dst->ruri = put_str(p, k->ruri);
	dst->top_via = put_str(p, k->top_via);
}

/*
 * A new server transaction for rx's request: the object with its keys,
 * and a copy of the request sized to it. The table holds a reference;
 * with publish, so does the publish under way until its event is over.
 */
static ss_sip_txn_t *server_create(txn_loop_t *lt, ss_sip_rx_t *rx,
				   const txn_key_t *k, bool publish)
{
	ss_sip_msg_t *msg = rx->msg;
	const ss_sip_hdr_t *via = txn_g.parser->hdr(msg, SS_SIP_HDR_VIA);
	ss_str_t line = SS_STR_NULL;
	bool invite = msg->method == SS_SIP_METHOD_INVITE;
	ss_sip_txn_t *txn;
	char *p;

	/* The parser stamped received/rport on the top Via: responses copy
	 * it, so the stored request keeps the stamped line. */
	if (via && (via->flags & SS_SIP_HDR_F_EDITED))
		line = via->value;
	txn = txn_alloc(lt, invite ? TXN_SERVER_INVITE : TXN_SERVER_NONINVITE,
			key_size(k) + line.len, msg->len);
	if (!txn) {
		SS_LOG_WARN("out of memory for a server transaction");
		return NULL;
	}
	memcpy(txn->req, msg->buf, msg->len);
	txn->req[msg->len] = '\0';
	p = txn->data;
	key_copy(&txn->key, k, &p);
	txn->via_line = put_str(&p, line);
	if (k->rfc3261)
		txn->flags |= TXN_F_RFC3261;
	if (rx->pkt->proto != SS_SIP_UDP)
		txn->flags |= TXN_F_RELIABLE;
	txn->hash = txn_key_hash(&txn->key);
	txn_response_dest(msg, rx->pkt, &txn->dest);
	txn->refs = 1;
	txn_table_insert(lt, txn);
	if (publish)
		txn_hold_publish_ref(txn);
	if (invite)
		ss_timer_start(
		    &txn->t_retx,
		    __atomic_load_n(&txn_g.conf, __ATOMIC_ACQUIRE)->trying);
	return txn;
}

/* Entering the state a final response leads to. May end txn. */
static void server_final(ss_sip_txn_t *txn, unsigned code)
{
	bool reliable = txn->flags & TXN_F_RELIABLE;

	txn->flags |= TXN_F_FINAL;
	ss_timer_stop(&txn->t_retx);
	if (txn->type == TXN_SERVER_INVITE && code < 300) {
		txn_set_state(txn, SS_TXN_ACCEPTED);
		ss_timer_start(&txn->t_life, 64u * txn->t1); /* L */
		return;
	}
	txn_set_state(txn, SS_TXN_COMPLETED);
	if (txn->type == TXN_SERVER_INVITE) {
		if (!reliable) {
			txn->retx_ms = txn->t1;
			ss_timer_start(&txn->t_retx, txn->retx_ms); /* G */
		}
		ss_timer_start(&txn->t_life, 64u * txn->t1); /* H */
		return;
	}
	if (reliable)
		txn_terminate(txn); /* J = 0 */
	else
		ss_timer_start(&txn->t_life, 64u * txn->t1); /* J */
}

/*
 * Sends a response through txn and drives its state. The response is kept
 * for retransmitted requests, except the 2xx of an INVITE: in Accepted the
 * TU retransmits it (RFC 6026 8.5), and its 2xx go out unchanged.
 */
static int server_respond(ss_sip_txn_t *txn, const char *buf, size_t len,
			  unsigned code)
{
	bool final = code >= 200;
	int rc;

	if (code < 100 || code > 699)
		return -EINVAL;
	if (txn->state == SS_TXN_ACCEPTED && final && code < 300)
		return txn_send(txn->lt, &txn->dest, buf, len);
	if ((txn->flags & TXN_F_FINAL) || txn->state == SS_TXN_TERMINATED)
		return -EALREADY;
	if (!(txn->type == TXN_SERVER_INVITE && final && code < 300)) {
		rc = txn_out_store(txn, buf, len);
		if (rc < 0)
			return rc;
	}
	txn->last_code = code;
	txn->flags |= TXN_F_RESPONDED;
	ss_timer_stop(&txn->t_retx); /* no 100 Trying after this */
	rc = txn_send(txn->lt, &txn->dest, buf, len);
	if (rc < 0) {
		/* RFC 3261 17.2.4: the transport failed; the TU hears it
		 * from the return code. */
		SS_LOG_INFO("cannot send %u of transaction %llx: %s", code,
			    (unsigned long long)txn->id, strerror(-rc));
		txn->flags |= TXN_F_FINAL;
		txn_terminate(txn);
		return rc;
	}
	if (final)
		server_final(txn, code);
	else if (txn->type == TXN_SERVER_NONINVITE)
		txn_set_state(txn, SS_TXN_PROCEEDING);
	return 0;
}

ss_str_t txn_server_tag(ss_sip_txn_t *txn)
{
	if (txn->key.to_tag.s)
		return txn->key.to_tag;
	if (!(txn->flags & TXN_F_TAG)) {
		txn_tag_make(txn->lt, txn->to_tag);
		txn->tag_len = TXN_TAG_LEN;
		txn->flags |= TXN_F_TAG;
	}
	return (ss_str_t){txn->to_tag, txn->tag_len};
}

/*
 * True when rx_msg, the request txn was created from, still holds every
 * header a response copies (ss_sip_build_response: Via, From, To, Call-ID,
 * CSeq, Timestamp) as txn stored it: none of those edited, added or
 * removed since, apart from the received/rport stamp on the top Via that
 * the stored request carries too (via_line). A response built from it is
 * then the one the stored request would give, without parsing that again.
 */
static bool rx_msg_pristine(const ss_sip_txn_t *txn, const ss_sip_msg_t *msg)
{
	bool top_via = true;

	for (unsigned i = 0; i < msg->nhdrs; i++) {
		const ss_sip_hdr_t *h = &msg->hdrs[i];
		bool edited = h->flags & SS_SIP_HDR_F_EDITED;

		switch (h->id) {
		case SS_SIP_HDR_VIA:
		case SS_SIP_HDR_FROM:
		case SS_SIP_HDR_TO:
		case SS_SIP_HDR_CALL_ID:
		case SS_SIP_HDR_CSEQ:
		case SS_SIP_HDR_TIMESTAMP:
			break;
		default:
			continue;
		}
		if (h->flags & SS_SIP_HDR_F_REMOVED)
			return false;
		if (h->id == SS_SIP_HDR_VIA && top_via) {
			top_via = false;
			if (edited != (txn->via_line.len != 0) ||
			    (edited && !ss_str_eq(h->value, txn->via_line)))
				return false;
			continue;
		}
		if (edited)
			return false;
	}
	return true;
}

/* Builds the response to msg, the request of txn, and sends it. */
static int server_reply_from(ss_sip_txn_t *txn, ss_sip_msg_t *msg,
			     unsigned code, const char *reason,
			     const ss_sip_resp_opts_t *opts)
{
	txn_loop_t *lt = txn->lt;
	ss_sip_resp_opts_t o = {0};
	ssize_t n;

	if (opts)
		o = *opts;
	if (code != 100 && !txn->key.to_tag.s && o.to_tag.len &&
	    o.to_tag.len <= TXN_TAG_MAX && !(txn->flags & TXN_F_TAG)) {
		memcpy(txn->to_tag, o.to_tag.s, o.to_tag.len);
		txn->tag_len = (uint8_t)o.to_tag.len;
		txn->flags |= TXN_F_TAG;
	}
	if (code != 100 && !o.to_tag.len)
		o.to_tag = txn_server_tag(txn);
	n = txn_g.parser->build_response(msg, code, reason, &o, lt->buf,
					 TXN_BUF_SIZE);
	if (n < 0)
		return (int)n;
	return server_respond(txn, lt->buf, (size_t)n, code);
}

/* rx_msg: the request txn was created from, still in its publish, or
 * NULL; used instead of the stored request when it is unchanged. */
static int server_reply(ss_sip_txn_t *txn, ss_sip_msg_t *rx_msg, unsigned code,
			const char *reason, const ss_sip_resp_opts_t *opts)
{
	ss_sip_msg_t *msg;
	int rc;

	if (!ours_only(txn->lt, txn))
		return -EXDEV;
	if (((txn->flags & TXN_F_FINAL) && txn->state != SS_TXN_ACCEPTED) ||
	    txn->state == SS_TXN_TERMINATED)
		return -EALREADY;
	if (rx_msg && !txn->req_msg && rx_msg_pristine(txn, rx_msg))
		return server_reply_from(txn, rx_msg, code, reason, opts);
	/* After a provisional response the TU is still at work and usually
	 * asks for request() (a proxy builds its branches from it): parse
	 * the copy it will get; it goes when the transaction is retired. */
	if (code < 200) {
		msg = txn_request_msg(txn);
		return msg ? server_reply_from(txn, msg, code, reason, opts)
			   : -ENOMEM;
	}
	rc = txn_request_scratch(txn, &msg);
	if (rc < 0)
		return rc;
	return server_reply_from(txn, msg, code, reason, opts);
}

int txn_server_reply(ss_sip_txn_t *txn, unsigned code, const char *reason,
		     const ss_sip_resp_opts_t *opts)
{
	return server_reply(txn, NULL, code, reason, opts);
}

int txn_server_send(ss_sip_txn_t *txn, const char *buf, size_t len,
		    unsigned code)
{
	if (!ours_only(txn->lt, txn))
		return -EXDEV;
	return server_respond(txn, buf, len, code);
}

int txn_server_trying(ss_sip_txn_t *txn)
{
	if (txn->flags & TXN_F_RESPONDED)
		return -EALREADY;
	return txn_server_reply(txn, 100, NULL, NULL);
}

void txn_server_orphan(ss_sip_txn_t *txn)
{
	/* A TU that answered statelessly (a challenge) did not abandon it. */
	if (!(txn->flags & TXN_F_STATELESS))
		TXN_INC(txn->lt->st.orphans);
	if (!(txn->flags & TXN_F_RESPONDED)) {
		txn_terminate(txn);
		return;
	}
	SS_LOG_WARN("transaction %llx was left after a %u without a final "
		    "response: answering 500",
		    (unsigned long long)txn->id, txn->last_code);
	txn_ref(txn);
	if (txn_server_reply(txn, 500, NULL, NULL) < 0)
		txn_terminate(txn);
	txn_unref(txn);
}

/* 100 Trying (INVITE, nothing sent yet) or Timer G. */
void txn_server_timer_retx(ss_timer_t *t)
{
	ss_sip_txn_t *txn = t->arg;

	if (txn->state == SS_TXN_PROCEEDING) {
		if (!(txn->flags & TXN_F_RESPONDED))
			txn_server_trying(txn);
		return;
	}
	if (txn->state != SS_TXN_COMPLETED || !txn->out_len)
		return;
	TXN_INC(txn->lt->st.retransmits);
	txn->retransmits++;
	txn_send(txn->lt, &txn->dest, txn->out, txn->out_len);
	txn->retx_ms = txn->retx_ms * 2 < txn->t2 ? txn->retx_ms * 2 : txn->t2;
	ss_timer_start(&txn->t_retx, txn->retx_ms);
}

/* Timers H (no ACK: the TU is told by the counters and the log), I, J, L. */
void txn_server_timer_life(ss_timer_t *t)
{
	ss_sip_txn_t *txn = t->arg;

	if (txn->type == TXN_SERVER_INVITE && txn->state == SS_TXN_COMPLETED) {
		TXN_INC(txn->lt->st.timeouts);
		SS_LOG_DEBUG("no ACK for the %u of transaction %llx",
			     txn->last_code, (unsigned long long)txn->id);
	}
	txn_terminate(txn);
}

/* A retransmitted request: the last response again, never the TU. */
static ss_bus_verdict_t server_absorb(txn_loop_t *lt, ss_sip_txn_t *txn,
				      ss_sip_rx_t *rx)
{
	TXN_INC(lt->st.absorbed);
	if (txn->out_len && (txn->state == SS_TXN_COMPLETED ||
			     txn->state == SS_TXN_PROCEEDING)) {
		TXN_INC(lt->st.retransmits);
		txn->retransmits++;
		txn_send(lt, &txn->dest, txn->out, txn->out_len);
	}
	rx->handled_by = SS_TXN_HANDLER;
	return SS_BUS_STOP;
}

/* RFC 3261 17.2.1: the ACK of a non-2xx final response ends the INVITE
 * hop by hop; an ACK for a 2xx matches nothing and goes to the TU. */
static ss_bus_verdict_t server_ack(txn_loop_t *lt, ss_sip_rx_t *rx,
				   const txn_key_t *k)
{
	ss_sip_txn_t *txn = txn_find_server(lt, k, SS_SIP_METHOD_INVITE, true);

	if (!txn ||
	    (txn->state != SS_TXN_COMPLETED && txn->state != SS_TXN_CONFIRMED))
		return SS_BUS_CONTINUE;
	TXN_INC(lt->st.acks_absorbed);
	rx->handled_by = SS_TXN_HANDLER;
	if (txn->state == SS_TXN_CONFIRMED)
		return SS_BUS_STOP;
	txn_set_state(txn, SS_TXN_CONFIRMED);
	ss_timer_stop(&txn->t_retx);
	if (txn->flags & TXN_F_RELIABLE)
		txn_terminate(txn); /* I = 0 */
	else
		ss_timer_start(&txn->t_life, txn->t4); /* I */
	return SS_BUS_STOP;
}

/* Tells the INVITE's owner, or answers 487 when it has no callback. */
static void cancel_invite(ss_sip_txn_t *inv, ss_sip_rx_t *rx)
{
	if ((inv->flags & (TXN_F_FINAL | TXN_F_CANCELLED)) ||
	    inv->state == SS_TXN_TERMINATED)
		return;
	inv->flags |= TXN_F_CANCELLED;
	txn_ref(inv);
	if (inv->u.srv.fn)
		inv->u.srv.fn(inv, rx, inv->u.srv.arg);
	else
		txn_server_reply(inv, 487, NULL, NULL);
	txn_unref(inv);
}

/*
 * RFC 3261 9.2: a CANCEL is its own non-INVITE transaction, answered here
 * with 200 when it matches an INVITE server transaction (whose owner is
 * then told) and with 481 otherwise. A CANCEL is matched on the loop that
 * received it, which is the INVITE's as long as both come from the same
 * source address and port (or connection) - what RFC 3261 9.1 requires of
 * the canceller.
 */
static ss_bus_verdict_t server_cancel(txn_loop_t *lt, ss_sip_rx_t *rx,
				      const txn_key_t *k)
{
	ss_sip_txn_t *inv,
	    *c = txn_find_server(lt, k, SS_SIP_METHOD_CANCEL, false);
	unsigned code;

	if (c)
		return server_absorb(lt, c, rx);
	inv = txn_find_server(lt, k, SS_SIP_METHOD_INVITE, false);
	code = inv ? 200 : 481;
	c = server_create(lt, rx, k, false);
	if (c) {
		txn_ref(c);
		txn_server_reply(c, code, NULL, NULL);
		txn_unref(c);
	} else {
		txn_reply_stateless(rx, code, NULL, NULL);
	}
	if (inv) {
		TXN_INC(lt->st.cancels);
		cancel_invite(inv, rx);
	} else {
		TXN_INC(lt->st.cancels_481);
	}
	rx->handled_by = SS_TXN_HANDLER;
	return SS_BUS_STOP;
}

ss_bus_verdict_t txn_on_request(ss_topic_t topic, void *m, void *arg)
{
	ss_sip_rx_t *rx = m;
	txn_loop_t *lt = txn_loop_here();
	ss_sip_txn_t *txn;
	txn_key_t k;

	if (!lt || !rx->pkt)
		return SS_BUS_CONTINUE;
	if (__atomic_load_n(&txn_g.trace, __ATOMIC_RELAXED) && !lt->trace_depth)
		return txn_trace_publish(lt, topic, rx);
	if (txn_key_from_msg(rx->msg, &k) < 0)
		return SS_BUS_CONTINUE;
	if (k.method == SS_SIP_METHOD_ACK)
		return server_ack(lt, rx, &k);
	if (k.method == SS_SIP_METHOD_CANCEL)
		return server_cancel(lt, rx, &k);
	txn = txn_find_server(lt, &k, k.method, false);
	if (txn)
		return server_absorb(lt, txn, rx);
	rx->txn = server_create(lt, rx, &k, true);
	return SS_BUS_CONTINUE;
}

/* ---- stateless answers and the catch-all ---- */

/* A To tag that depends only on the request (FNV-1a of Call-ID, From tag,
 * CSeq and top branch), so a retransmission gets the same one. */
static ss_str_t stateless_tag(ss_sip_msg_t *msg, char *buf)
{
	const ss_sip_parser_api_t *p = txn_g.parser;
	const ss_sip_name_addr_t *from = p->addr(msg, SS_SIP_HDR_FROM, 0);
	const ss_sip_via_t *via = p->via(msg, 0);
	const ss_sip_hdr_t *cseq = p->hdr(msg, SS_SIP_HDR_CSEQ);
	ss_str_t parts[4] = {p->call_id(msg), from ? from->tag : SS_STR_NULL,
			     cseq ? cseq->value : SS_STR_NULL,
			     via ? via->branch : SS_STR_NULL};
	uint64_t h = 14695981039346656037ull;

	for (int i = 0; i < 4; i++)
		for (size_t j = 0; j < parts[i].len; j++)
			h = (h ^ (unsigned char)parts[i].s[j]) *
			    1099511628211ull;
	snprintf(buf, TXN_TAG_LEN + 1, "%016llx", (unsigned long long)h);
	return (ss_str_t){buf, TXN_TAG_LEN};
}

int txn_reply_stateless(ss_sip_rx_t *rx, unsigned code, const char *reason,
			const ss_sip_resp_opts_t *opts)
{
	txn_loop_t *lt = txn_loop_here();
	ss_sip_resp_opts_t o = {0};
	/* cppcheck-suppress variableScope ; o.to_tag points into it */
	char tag[TXN_TAG_LEN + 1], small[4096];
	char *buf = lt ? lt->buf : small;
	size_t size = lt ? TXN_BUF_SIZE : sizeof(small);
	ss_sip_dest_t dst;
	ssize_t n;

	if (!rx->pkt || rx->msg->method == SS_SIP_METHOD_ACK)
		return -EINVAL;
	if (opts)
		o = *opts;
	if (!o.to_tag.len && code != 100)
		o.to_tag = stateless_tag(rx->msg, tag);
	n = txn_g.parser->build_response(rx->msg, code, reason, &o, buf, size);
	if (n < 0)
		return (int)n;
	txn_response_dest(rx->msg, rx->pkt, &dst);
	if (lt)
		TXN_INC(lt->st.stateless);
	if (rx->txn && ((ss_sip_txn_t *)rx->txn)->lt == lt)
		((ss_sip_txn_t *)rx->txn)->flags |= TXN_F_STATELESS;
	return txn_send(lt, &dst, buf, (size_t)n);
}

int txn_reply_rx(ss_sip_rx_t *rx, unsigned code, const char *reason,
		 const ss_sip_resp_opts_t *opts)
{
	if (rx->txn)
		return server_reply(rx->txn, rx->msg, code, reason, opts);
	return txn_reply_stateless(rx, code, reason, opts);
}

/* An OPTIONS is for us when its Request-URI has no user part or names one
 * of our listeners (RFC 3261 11.2). */
static bool options_for_us(ss_sip_msg_t *msg)
{
	const ss_sip_uri_t *uri = txn_g.parser->ruri(msg);
	const ss_sip_listener_info_t *l;

	if (!uri || !uri->user.len)
		return true;
	for (unsigned i = 0; (l = txn_g.transport->listener_at(i)); i++)
		if (ss_str_caseeq_c(uri->host, l->host) &&
		    (!uri->port || uri->port == l->port))
			return true;
	return false;
}

/*
 * The end of the request chain: a request nobody consumed. OPTIONS for us
 * gets 200 with our capabilities; an unknown method 501; a request inside
 * a dialog (To tag) 481, since no module keeps that dialog; any other 404,
 * since no module knows where to route it. ACK is never answered.
 */
ss_bus_verdict_t txn_on_request_last(ss_topic_t topic, void *m, void *arg)
{
	ss_sip_rx_t *rx = m;
	ss_sip_msg_t *msg = rx->msg;
	const txn_conf_t *conf = __atomic_load_n(&txn_g.conf, __ATOMIC_ACQUIRE);
	const ss_sip_name_addr_t *to;
	ss_sip_resp_opts_t o = {0};
	ss_sip_txn_t *txn = rx->txn;
	txn_loop_t *lt = txn_loop_here();
	char hdrs[600];
	unsigned code;
	int n;

	if (msg->method == SS_SIP_METHOD_ACK || !rx->pkt ||
	    (txn && (txn->flags & TXN_F_FINAL)))
		return SS_BUS_CONTINUE;
	to = txn_g.parser->addr(msg, SS_SIP_HDR_TO, 0);
	n = snprintf(hdrs, sizeof(hdrs), "Allow: %s\r\n", conf->allow);
	if (msg->method == SS_SIP_METHOD_OPTIONS && options_for_us(msg)) {
		code = 200;
		snprintf(hdrs + n, sizeof(hdrs) - (size_t)n,
			 "Accept: %s\r\nSupported: %s\r\n", conf->accept,
			 conf->supported);
	} else if (msg->method == SS_SIP_METHOD_UNKNOWN) {
		code = 501;
	} else {
		code = to && to->tag.s ? 481 : 404;
		hdrs[0] = '\0';
	}
	o.extra_hdrs = ss_str_c(hdrs);
	if (lt)
		TXN_INC(lt->st.catchall);
	txn_reply_rx(rx, code, NULL, &o);
	rx->handled_by = SS_TXN_HANDLER;
	return SS_BUS_STOP;
}
