/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transaction object: allocation, state bookkeeping, references and
 * termination, the stored request parsed on demand, retiring what a
 * lingering transaction no longer needs, and the send path that every
 * outgoing message of the layer takes (counters, trace).
 */
#define _GNU_SOURCE
#include "txn_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sipserver/log.h>

ss_sip_txn_t *txn_alloc(txn_loop_t *lt, txn_type_t type, size_t data_len,
			size_t req_len)
{
	const txn_conf_t *conf = __atomic_load_n(&txn_g.conf, __ATOMIC_ACQUIRE);
	ss_sip_txn_t *txn = malloc(sizeof(*txn) + data_len);
	bool client = type == TXN_CLIENT_INVITE || type == TXN_CLIENT_NONINVITE;

	if (!txn)
		return NULL;
	memset(txn, 0, sizeof(*txn));
	/* Apart from the object, so that retiring can give it back. */
	txn->req = malloc(req_len + 1);
	if (!txn->req) {
		free(txn);
		return NULL;
	}
	txn->req_len = req_len;
	txn->lt = lt;
	txn->type = (uint8_t)type;
	txn->id = (uint64_t)lt->index << 48 | (++lt->seq & 0xffffffffffffull);
	txn->created_ms = ss_loop_now_ms(lt->loop);
	txn->t1 = conf->t1;
	txn->t2 = conf->t2;
	txn->t4 = conf->t4;
	txn->state = type == TXN_CLIENT_INVITE	 ? SS_TXN_CALLING
		     : type == TXN_SERVER_INVITE ? SS_TXN_PROCEEDING
						 : SS_TXN_TRYING;
	ss_timer_init(&txn->t_retx, txn_g.self,
		      client ? txn_client_timer_retx : txn_server_timer_retx,
		      txn);
	ss_timer_init(&txn->t_life, txn_g.self,
		      client ? txn_client_timer_life : txn_server_timer_life,
		      txn);
	TXN_INC(lt->st.created[type]);
	TXN_INC(lt->st.live[type][txn->state]);
	return txn;
}

void txn_set_state(ss_sip_txn_t *txn, ss_txn_state_t state)
{
	txn_stats_t *st = &txn->lt->st;

	if (txn->state == state)
		return;
	TXN_ADD(st->live[txn->type][txn->state], -1);
	TXN_INC(st->live[txn->type][state]);
	txn->state = (uint8_t)state;
}

static void txn_free(ss_sip_txn_t *txn)
{
	ss_timer_stop(&txn->t_retx);
	ss_timer_stop(&txn->t_life);
	TXN_ADD(txn->lt->st.live[txn->type][txn->state], -1);
	if (txn->req_msg) {
		txn_g.parser->msg_fini(txn->req_msg);
		free(txn->req_msg);
	}
	free(txn->out);
	free(txn->req);
	free(txn);
}

void txn_terminate(ss_sip_txn_t *txn)
{
	bool in_table = txn->flags & TXN_F_IN_TABLE;

	ss_timer_stop(&txn->t_retx);
	ss_timer_stop(&txn->t_life);
	txn_set_state(txn, SS_TXN_TERMINATED);
	if (!in_table)
		return;
	txn_table_remove(txn->lt, txn);
	txn_unref(txn);
}

ss_sip_txn_t *txn_ref(ss_sip_txn_t *txn)
{
	txn->refs++;
	return txn;
}

static bool server_unanswered(const ss_sip_txn_t *txn)
{
	return (txn->type == TXN_SERVER_INVITE ||
		txn->type == TXN_SERVER_NONINVITE) &&
	       (txn->flags & TXN_F_IN_TABLE) && !(txn->flags & TXN_F_FINAL);
}

void txn_unref(ss_sip_txn_t *txn)
{
	if (--txn->refs == 0) {
		txn_free(txn);
		return;
	}
	if (txn->refs != 1 || !(txn->flags & TXN_F_IN_TABLE) ||
	    (txn->flags & TXN_F_PUBLISH_REF))
		return;
	/* Only the table's reference is left: nobody will ever answer. The
	 * orphan's 500 comes back here through its own reference. */
	if (server_unanswered(txn))
		txn_server_orphan(txn);
	else
		txn_retire(txn);
}

/* Runs after the event that published the requests is over: the publish
 * references end there, as rx->txn did. */
static void publish_refs_drop(void *arg)
{
	txn_loop_t *lt = arg;
	ss_sip_txn_t *list = lt->orphans, *next;

	lt->orphans = NULL;
	lt->orphans_posted = false;
	for (; list; list = next) {
		next = list->onext;
		list->onext = NULL;
		list->flags &= ~TXN_F_PUBLISH_REF;
		txn_unref(list);
	}
	txn_task_done();
}

void txn_hold_publish_ref(ss_sip_txn_t *txn)
{
	txn_loop_t *lt = txn->lt;

	txn_ref(txn);
	txn->flags |= TXN_F_PUBLISH_REF;
	txn->onext = lt->orphans;
	lt->orphans = txn;
	if (lt->orphans_posted)
		return;
	txn_task_posted();
	if (ss_loop_post(lt->loop, publish_refs_drop, lt) == 0) {
		lt->orphans_posted = true;
		return;
	}
	/* Cannot defer: keep the transaction as if the TU had kept it; it
	 * is released with the next batch. */
	txn_task_done();
	SS_LOG_WARN("cannot queue the end of a publish; retrying later");
}

/* Parses the stored request into msg with the received/rport stamp the
 * request had on its top Via; txn keeps nothing of msg. */
static int request_parse(ss_sip_txn_t *txn, ss_sip_msg_t *msg)
{
	const ss_sip_parser_api_t *p = txn_g.parser;
	ss_sip_error_t err;

	if (p->parse(msg, txn->req, txn->req_len, &err) < 0)
		goto fail;
	if (txn->via_line.len) {
		ss_sip_hdr_t *h = p->hdr(msg, SS_SIP_HDR_VIA);

		if (!h || p->hdr_replace(msg, h, txn->via_line) < 0)
			goto fail;
	}
	return 0;
fail:
	SS_LOG_WARN("cannot re-parse the request of transaction %llx",
		    (unsigned long long)txn->id);
	return -EINVAL;
}

ss_sip_msg_t *txn_request_msg(ss_sip_txn_t *txn)
{
	const ss_sip_parser_api_t *p = txn_g.parser;
	ss_sip_msg_t *msg;

	if (txn->req_msg)
		return txn->req_msg;
	if (txn->flags & TXN_F_RETIRED)
		return NULL;
	msg = malloc(sizeof(*msg));
	if (!msg)
		return NULL;
	p->msg_init(msg);
	if (request_parse(txn, msg) < 0) {
		p->msg_fini(msg);
		free(msg);
		return NULL;
	}
	txn->req_msg = msg;
	return msg;
}

/*
 * A message struct is about 6 KiB whatever the size of the request (its
 * arena and header slots are inline), so a transaction that kept one
 * while it waits for a final response or lingers after it would cost ten
 * times its request. Final replies and the ACK/CANCEL of a client INVITE
 * parse into one scratch message per loop instead: a re-parse of a
 * request that is still in the cache, and no allocation.
 */
int txn_request_scratch(ss_sip_txn_t *txn, ss_sip_msg_t **out)
{
	int rc;

	*out = NULL;
	if (txn->req_msg) {
		*out = txn->req_msg;
		return 0;
	}
	if (txn->flags & TXN_F_RETIRED)
		return -EALREADY;
	rc = request_parse(txn, txn->lt->req_scratch);
	if (rc == 0)
		*out = txn->lt->req_scratch;
	return rc;
}

ss_str_t txn_call_id_line(const ss_sip_txn_t *txn)
{
	const char *p = txn->req, *end = txn->req + txn->req_len, *eol;

	while ((p = memchr(p, '\n', (size_t)(end - p))) && ++p < end) {
		if (strncasecmp(p, "Call-ID:", 8) != 0 &&
		    strncasecmp(p, "i:", 2) != 0)
			continue;
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		return (ss_str_t){p, eol ? (size_t)(eol + 2 - p)
					 : (size_t)(end - p)};
	}
	return SS_STR_NULL;
}

/*
 * A transaction that has its final response and no TU lingers for
 * retransmissions (Timers D, H, I, J, K, L, M: up to 32 s, far longer
 * than most calls take to set up) and needs only its keys, its timers
 * and the response or ACK it may send again. What else it holds goes:
 * request()'s parsed copy, the request itself but for its first line
 * and Call-ID (what `transaction show` prints), and after a 2xx to an
 * INVITE the stored provisional response, which Accepted never resends.
 * Without a final response only request()'s copy goes: the request is
 * still retransmitted or answered.
 */
void txn_retire(ss_sip_txn_t *txn)
{
	const char *eol;
	ss_str_t cid;
	size_t keep;
	char *n;

	if (txn->req_msg) {
		txn_g.parser->msg_fini(txn->req_msg);
		free(txn->req_msg);
		txn->req_msg = NULL;
	}
	if (!(txn->flags & TXN_F_FINAL) || (txn->flags & TXN_F_RETIRED))
		return;
	txn->flags |= TXN_F_RETIRED;
	if (txn->state == SS_TXN_ACCEPTED) {
		free(txn->out);
		txn->out = NULL;
		txn->out_len = txn->out_cap = 0;
	}
	eol = memmem(txn->req, txn->req_len, "\r\n", 2);
	keep = eol ? (size_t)(eol + 2 - txn->req) : txn->req_len;
	cid = txn_call_id_line(txn);
	if (cid.s && cid.s != txn->req + keep)
		memmove(txn->req + keep, cid.s, cid.len);
	keep += cid.len;
	txn->req[keep] = '\0';
	txn->req_len = keep;
	/* Shrinking in place: a failure leaves the bigger block, still fine. */
	n = realloc(txn->req, keep + 1);
	if (n)
		txn->req = n;
}

int txn_out_store(ss_sip_txn_t *txn, const char *buf, size_t len)
{
	if (len > txn->out_cap) {
		char *n = realloc(txn->out, len);

		if (!n)
			return -ENOMEM;
		txn->out = n;
		txn->out_cap = len;
	}
	memcpy(txn->out, buf, len);
	txn->out_len = len;
	return 0;
}

int txn_send(txn_loop_t *lt, const ss_sip_dest_t *dst, const char *buf,
	     size_t len)
{
	int rc;

	if (__atomic_load_n(&txn_g.trace, __ATOMIC_RELAXED))
		txn_trace_out(dst, buf, len);
	rc = txn_g.transport->send(dst, buf, len);
	if (!lt)
		return rc;
	if (rc < 0) {
		TXN_INC(lt->st.tp_errors);
		return rc;
	}
	TXN_INC(lt->st.msgs_out);
	TXN_ADD(lt->st.bytes_out, len);
	return 0;
}

static void drain_one(ss_sip_txn_t *txn, void *arg)
{
	ss_sip_txn_t **list = arg;

	txn->onext = *list;
	*list = txn;
}

void txn_loop_drain(txn_loop_t *lt)
{
	ss_sip_txn_t *list = NULL, *next;

	for (ss_sip_txn_t *x = lt->orphans; x; x = next) {
		next = x->onext;
		x->flags &= ~TXN_F_PUBLISH_REF;
		if (--x->refs == 0 && !(x->flags & TXN_F_IN_TABLE))
			txn_free(x);
	}
	lt->orphans = NULL;
	txn_table_foreach(lt, drain_one, &list);
	for (; list; list = next) {
		next = list->onext;
		txn_table_remove(lt, list);
		txn_free(list);
	}
}

void txn_task_posted(void)
{
	__atomic_add_fetch(&txn_g.tasks, 1, __ATOMIC_RELAXED);
}

void txn_task_done(void)
{
	__atomic_sub_fetch(&txn_g.tasks, 1, __ATOMIC_RELEASE);
}
