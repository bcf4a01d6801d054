/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Client transactions (RFC 3261 17.1, RFC 6026): creation with our Via,
 * retransmission (Timers A, E) and timeouts (B, F), the ACK of a non-2xx
 * final response (17.1.1.3), CANCEL (9.1), Timers D, K, M, and the first
 * subscriber of "sip.response.in", which routes responses to the loop
 * their branch names.
 */
#define _GNU_SOURCE
#include "txn_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/log.h>

#define TXN_VIA_MAX 512 /* room reserved for our Via line */

/* A response copied for its owner loop. */
typedef struct txn_fwd {
	ss_sip_packet_t pkt;
	char buf[];
} txn_fwd_t;

typedef struct wbuf {
	char *p;
	size_t size, len;
} wbuf_t;

static void put(wbuf_t *w, const char *s, size_t n)
{
	if (w->len + n <= w->size)
		memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void put_s(wbuf_t *w, ss_str_t s)
{
	put(w, s.s, s.len);
}

static void put_c(wbuf_t *w, const char *s)
{
	put(w, s, strlen(s));
}

static void put_hdr(wbuf_t *w, const char *name, ss_str_t value)
{
	put_c(w, name);
	put(w, ": ", 2);
	put_s(w, value);
	put(w, "\r\n", 2);
}

static void deliver(ss_sip_txn_t *txn, ss_sip_rx_t *rx, unsigned code)
{
	if (txn->u.cli.fn)
		txn->u.cli.fn(txn, rx, code, txn->u.cli.arg);
}

/* Ends txn and tells its owner with a synthesized code (408, 503). */
static void client_fail(ss_sip_txn_t *txn, unsigned code)
{
	txn->flags |= TXN_F_FINAL;
	txn->last_code = code;
	txn_ref(txn);
	txn_terminate(txn);
	deliver(txn, NULL, code);
	txn_unref(txn);
}

/*
 * Starts a client transaction for the complete message buf: the object
 * with its keys and a copy of the bytes; the table holds a reference. Returns
 * it borrowed, or NULL with *err.
 */
static ss_sip_txn_t *client_start(txn_loop_t *lt, const char *buf, size_t len,
				  ss_str_t branch, ss_sip_method_t method,
				  ss_str_t method_str, const ss_sip_dest_t *dst,
				  int *err)
{
	bool invite = method == SS_SIP_METHOD_INVITE;
	ss_sip_txn_t *txn;
	char *p;

	txn = txn_alloc(lt, invite ? TXN_CLIENT_INVITE : TXN_CLIENT_NONINVITE,
			branch.len + method_str.len, len);
	if (!txn) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(txn->req, buf, len);
	txn->req[len] = '\0';
	p = txn->data;
	memcpy(p, branch.s, branch.len);
	txn->key.branch = (ss_str_t){p, branch.len};
	p += branch.len;
	memcpy(p, method_str.s, method_str.len);
	txn->key.method_str = (ss_str_t){p, method_str.len};
	txn->key.method = method;
	txn->key.rfc3261 = true;
	txn->flags |= TXN_F_RFC3261;
	if (dst->proto != SS_SIP_UDP)
		txn->flags |= TXN_F_RELIABLE;
	txn->hash = txn_hash(txn->key.branch);
	txn->dest = *dst;
	txn->refs = 1;
	txn_table_insert(lt, txn);
	*err = txn_send(lt, &txn->dest, txn->req, txn->req_len);
	if (*err < 0) {
		txn_terminate(txn);
		return NULL;
	}
	if (!(txn->flags & TXN_F_RELIABLE)) {
		txn->retx_ms = txn->t1;
		ss_timer_start(&txn->t_retx, txn->retx_ms); /* A, E */
	}
	ss_timer_start(&txn->t_life, 64u * txn->t1); /* B, F */
	return txn;
}

/* Prints req with our Via line inserted after the start line, so that it
 * is the top Via whatever Via lines req has; req is not modified. */
static ssize_t print_with_via(txn_loop_t *lt, ss_sip_msg_t *req,
			      const ss_sip_dest_t *dst, ss_str_t branch,
			      char **start)
{
	const ss_sip_listener_info_t *l =
	    txn_g.transport->listener_for(dst->proto, dst->addr.sa.ss_family);
	char via[TXN_VIA_MAX], *body = lt->buf + TXN_VIA_MAX;
	const char *eol;
	ssize_t n;
	int vlen;
	size_t sl;

	if (!l)
		return -ENETUNREACH;
	vlen = snprintf(via, sizeof(via),
			"Via: SIP/2.0/%s %s:%u;branch=%.*s;rport\r\n",
			ss_sip_proto_via_name(dst->proto), l->host, l->port,
			SS_STR_ARG(branch));
	if (vlen < 0 || (size_t)vlen >= sizeof(via))
		return -ENOSPC;
	n = txn_g.parser->print(req, body, TXN_BUF_SIZE - TXN_VIA_MAX);
	if (n < 0)
		return n;
	eol = memmem(body, (size_t)n, "\r\n", 2);
	if (!eol)
		return -EINVAL;
	sl = (size_t)(eol - body) + 2;
	*start = body - vlen;
	memmove(*start, body, sl);
	memcpy(*start + sl, via, (size_t)vlen);
	return n + vlen;
}

int txn_client_create(ss_sip_msg_t *req, const ss_sip_dest_t *dst,
		      ss_txn_response_fn fn, void *arg, ss_sip_txn_t **out)
{
	txn_loop_t *lt = txn_loop_here();
	char branch[TXN_BRANCH_MAX], *start;
	ss_str_t b;
	ss_sip_txn_t *txn;
	ssize_t n;
	int err;

	if (out)
		*out = NULL;
	if (!lt)
		return -EXDEV;
	if (!req->is_request || req->method == SS_SIP_METHOD_ACK)
		return -EINVAL;
	b = (ss_str_t){branch, txn_branch_make(lt, branch)};
	n = print_with_via(lt, req, dst, b, &start);
	if (n < 0)
		return (int)n;
	txn = client_start(lt, start, (size_t)n, b, req->method,
			   req->method_str, dst, &err);
	if (!txn)
		return err;
	txn->u.cli.fn = fn;
	txn->u.cli.arg = arg;
	if (out)
		*out = txn_ref(txn);
	return 0;
}

/*
 * The ACK of a non-2xx (RFC 3261 17.1.1.3) and the CANCEL (9.1) share
 * their shape: the INVITE's Request-URI, our Via alone, its Route set,
 * From, Call-ID and CSeq number; the To of the response (ACK) or of the
 * INVITE (CANCEL).
 */
static ssize_t build_hop(ss_sip_txn_t *txn, const char *method, ss_str_t to,
			 char *buf, size_t size)
{
	const ss_sip_parser_api_t *p = txn_g.parser;
	ss_sip_msg_t *inv;
	const ss_sip_hdr_t *h;
	wbuf_t w = {buf, size, 0};
	char cseq[48];
	int rc = txn_request_scratch(txn, &inv);

	if (rc < 0)
		return rc;
	put_c(&w, method);
	put(&w, " ", 1);
	put_s(&w, inv->ruri_str);
	put_c(&w, " SIP/2.0\r\n");
	h = p->hdr(inv, SS_SIP_HDR_VIA);
	if (h)
		put_hdr(&w, "Via", h->value);
	for (h = p->hdr(inv, SS_SIP_HDR_ROUTE); h; h = p->hdr_next(inv, h))
		put_hdr(&w, "Route", h->value);
	if ((h = p->hdr(inv, SS_SIP_HDR_FROM)))
		put_hdr(&w, "From", h->value);
	if (!to.s && (h = p->hdr(inv, SS_SIP_HDR_TO)))
		to = h->value;
	put_hdr(&w, "To", to);
	put_hdr(&w, "Call-ID", p->call_id(inv));
	snprintf(cseq, sizeof(cseq), "%u %s",
		 p->cseq(inv) ? p->cseq(inv)->seq : 0, method);
	put_hdr(&w, "CSeq", ss_str_c(cseq));
	put_c(&w, "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
	return w.len > size ? -ENOSPC : (ssize_t)w.len;
}

static void send_ack(ss_sip_txn_t *txn, ss_sip_rx_t *rx)
{
	txn_loop_t *lt = txn->lt;
	const ss_sip_hdr_t *to = txn_g.parser->hdr(rx->msg, SS_SIP_HDR_TO);
	ssize_t n = build_hop(txn, "ACK", to ? to->value : SS_STR_NULL, lt->buf,
			      TXN_BUF_SIZE);

	if (n < 0 || txn_out_store(txn, lt->buf, (size_t)n) < 0) {
		SS_LOG_WARN("cannot build the ACK of transaction %llx",
			    (unsigned long long)txn->id);
		return;
	}
	TXN_INC(lt->st.acks_sent);
	txn_send(lt, &txn->dest, txn->out, txn->out_len);
}

static int send_cancel(ss_sip_txn_t *txn)
{
	txn_loop_t *lt = txn->lt;
	ss_sip_txn_t *c;
	ssize_t n;
	int err;

	txn->flags &= ~TXN_F_CANCEL_PENDING;
	txn->flags |= TXN_F_CANCELLED;
	n = build_hop(txn, "CANCEL", SS_STR_NULL, lt->buf, TXN_BUF_SIZE);
	if (n < 0)
		return (int)n;
	c = client_start(lt, lt->buf, (size_t)n, txn->key.branch,
			 SS_SIP_METHOD_CANCEL, SS_STR("CANCEL"), &txn->dest,
			 &err);
	if (!c)
		return err;
	TXN_INC(lt->st.cancels_sent);
	/* RFC 3261 9.1: no final response 64*T1 after the CANCEL ends it. */
	ss_timer_start(&txn->t_life, 64u * txn->t1);
	return 0;
}

int txn_client_cancel(ss_sip_txn_t *txn)
{
	if (txn->type != TXN_CLIENT_INVITE)
		return -EINVAL;
	if (txn_loop_here() != txn->lt)
		return -EXDEV;
	if ((txn->flags & TXN_F_FINAL) || txn->state == SS_TXN_TERMINATED)
		return -EALREADY;
	if (txn->flags & (TXN_F_CANCELLED | TXN_F_CANCEL_PENDING))
		return 0;
	if (txn->state == SS_TXN_CALLING) {
		txn->flags |= TXN_F_CANCEL_PENDING;
		return 0;
	}
	return send_cancel(txn);
}

/* Completed (D, K: zero on a stream) or Accepted (M). */
static void client_linger(ss_sip_txn_t *txn, ss_txn_state_t state, uint32_t ms)
{
	txn->flags |= TXN_F_FINAL;
	ss_timer_stop(&txn->t_retx);
	txn_set_state(txn, state);
	if (ms)
		ss_timer_start(&txn->t_life, ms);
	else
		txn_terminate(txn);
}

static void invite_response(ss_sip_txn_t *txn, ss_sip_rx_t *rx, unsigned code)
{
	bool reliable = txn->flags & TXN_F_RELIABLE;

	if (txn->state == SS_TXN_ACCEPTED) {
		if (code >= 200 && code < 300)
			deliver(txn, rx, code); /* a fork or a retransmission */
		return;
	}
	if (txn->state == SS_TXN_COMPLETED) {
		if (code >= 300 && txn->out_len)
			txn_send(txn->lt, &txn->dest, txn->out, txn->out_len);
		return;
	}
	txn->last_code = code;
	if (code < 200) {
		if (txn->state == SS_TXN_CALLING) {
			ss_timer_stop(&txn->t_retx);
			ss_timer_stop(&txn->t_life); /* B */
			txn_set_state(txn, SS_TXN_PROCEEDING);
		}
		deliver(txn, rx, code);
		if ((txn->flags & TXN_F_CANCEL_PENDING) &&
		    txn->state == SS_TXN_PROCEEDING && send_cancel(txn) < 0)
			SS_LOG_WARN(
			    "cannot send the CANCEL of transaction %llx",
			    (unsigned long long)txn->id);
		return;
	}
	if (code < 300) {
		client_linger(txn, SS_TXN_ACCEPTED, 64u * txn->t1); /* M */
	} else {
		send_ack(txn, rx);
		client_linger(txn, SS_TXN_COMPLETED,
			      reliable ? 0 : TXN_TIMER_D_MS);
	}
	deliver(txn, rx, code);
}

static void noninvite_response(ss_sip_txn_t *txn, ss_sip_rx_t *rx,
			       unsigned code)
{
	if (txn->state == SS_TXN_COMPLETED)
		return; /* retransmitted final: absorbed */
	txn->last_code = code;
	if (code < 200) {
		txn_set_state(txn, SS_TXN_PROCEEDING);
	} else {
		ss_timer_stop(&txn->t_life);
		client_linger(txn, SS_TXN_COMPLETED,
			      (txn->flags & TXN_F_RELIABLE) ? 0 : txn->t4);
	}
	deliver(txn, rx, code);
}

static void client_response(ss_sip_txn_t *txn, ss_sip_rx_t *rx)
{
	unsigned code = rx->msg->status;

	if (code < 100 || code > 699)
		return;
	txn->flags |= TXN_F_RESPONDED;
	txn_ref(txn); /* the owner may drop its reference in the callback */
	if (txn->type == TXN_CLIENT_INVITE)
		invite_response(txn, rx, code);
	else
		noninvite_response(txn, rx, code);
	txn_unref(txn);
}

/* A, E: retransmit (UDP only; never started on streams). */
void txn_client_timer_retx(ss_timer_t *t)
{
	ss_sip_txn_t *txn = t->arg;
	txn_loop_t *lt = txn->lt;

	if (txn->state == SS_TXN_CALLING) {
		txn->retx_ms *= 2;
	} else if (txn->state == SS_TXN_TRYING) {
		txn->retx_ms =
		    txn->retx_ms * 2 < txn->t2 ? txn->retx_ms * 2 : txn->t2;
	} else if (txn->state == SS_TXN_PROCEEDING &&
		   txn->type == TXN_CLIENT_NONINVITE) {
		txn->retx_ms = txn->t2;
	} else {
		return;
	}
	TXN_INC(lt->st.retransmits);
	txn->retransmits++;
	if (txn_send(lt, &txn->dest, txn->req, txn->req_len) < 0) {
		client_fail(txn, 503);
		return;
	}
	ss_timer_start(&txn->t_retx, txn->retx_ms);
}

/* B, F, the CANCEL timeout (408); D, K, M (end). */
void txn_client_timer_life(ss_timer_t *t)
{
	ss_sip_txn_t *txn = t->arg;

	if (txn->state == SS_TXN_COMPLETED || txn->state == SS_TXN_ACCEPTED) {
		txn_terminate(txn);
		return;
	}
	TXN_INC(txn->lt->st.timeouts);
	client_fail(txn, 408);
}

/* On the owner loop: publish the copy as if it had arrived here. */
static void fwd_run(void *arg)
{
	txn_fwd_t *f = arg;
	txn_loop_t *lt = txn_loop_here();
	ss_sip_error_t err;
	ss_sip_rx_t rx = {.pkt = &f->pkt};

	if (lt &&
	    txn_g.parser->parse(lt->scratch, f->buf, f->pkt.len, &err) == 0) {
		rx.msg = lt->scratch;
		ss_bus_publish(txn_g.resp_topic, &rx);
	}
	free(f);
	txn_task_done();
}

static int fwd_post(txn_loop_t *to, const ss_sip_packet_t *pkt)
{
	txn_fwd_t *f = malloc(sizeof(*f) + pkt->len + 1);
	int rc;

	if (!f)
		return -ENOMEM;
	f->pkt = *pkt;
	f->pkt.buf = f->buf;
	memcpy(f->buf, pkt->buf, pkt->len);
	f->buf[pkt->len] = '\0';
	txn_task_posted();
	rc = ss_loop_post(to->loop, fwd_run, f);
	if (rc < 0) {
		txn_task_done();
		free(f);
	}
	return rc;
}

ss_bus_verdict_t txn_on_response(ss_topic_t topic, void *m, void *arg)
{
	ss_sip_rx_t *rx = m;
	txn_loop_t *lt = txn_loop_here();
	const ss_sip_via_t *via;
	const ss_sip_cseq_t *cseq;
	txn_key_t k = {0};
	int idx;

	if (!lt || !rx->pkt)
		return SS_BUS_CONTINUE;
	if (__atomic_load_n(&txn_g.trace, __ATOMIC_RELAXED) && !lt->trace_depth)
		return txn_trace_publish(lt, topic, rx);
	via = txn_g.parser->via(rx->msg, 0);
	cseq = txn_g.parser->cseq(rx->msg);
	idx = via && cseq ? txn_branch_loop(via->branch) : -1;
	if (idx >= 0 && (unsigned)idx != lt->index &&
	    fwd_post(&txn_g.loops[idx], rx->pkt) == 0) {
		TXN_INC(lt->st.resp_posted);
		rx->handled_by = SS_TXN_HANDLER;
		return SS_BUS_STOP;
	}
	if (idx >= 0) {
		k.branch = via->branch;
		k.method = cseq->method;
		k.method_str = cseq->method_str;
		ss_sip_txn_t *txn = txn_find_client(lt, &k);

		if (txn) {
			TXN_INC(lt->st.resp_matched);
			client_response(txn, rx);
			rx->handled_by = SS_TXN_HANDLER;
			return SS_BUS_STOP;
		}
	}
	TXN_INC(lt->st.resp_unmatched);
	return SS_BUS_CONTINUE;
}
