/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-loop transaction table: a chained hash table keyed by branch
 * (Call-ID for RFC 2543 peers), owned by one worker loop and therefore
 * lock-free. It doubles when it holds more transactions than buckets; the
 * rehash is O(n) at once, which at a load factor of one costs less than a
 * bucket walk per lookup would over the table's lifetime.
 */
#include "txn_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

txn_loop_t *txn_loop_here(void)
{
	ss_loop_t *loop = ss_loop_current();
	unsigned i;

	if (!loop || !txn_g.loops)
		return NULL;
	i = ss_loop_index(loop);
	return i < txn_g.nloops ? &txn_g.loops[i] : NULL;
}

int txn_table_init(txn_table_t *t)
{
	t->b = calloc(TXN_TABLE_MIN, sizeof(*t->b));
	if (!t->b)
		return -ENOMEM;
	t->mask = TXN_TABLE_MIN - 1;
	t->count = 0;
	return 0;
}

void txn_table_fini(txn_table_t *t)
{
	free(t->b);
	t->b = NULL;
	t->count = 0;
}

static void table_grow(txn_table_t *t)
{
	uint32_t n = (t->mask + 1) * 2, i;
	ss_sip_txn_t **b = calloc(n, sizeof(*b));

	if (!b)
		return; /* longer chains, still correct */
	for (i = 0; i <= t->mask; i++) {
		ss_sip_txn_t *x = t->b[i], *next;

		for (; x; x = next) {
			next = x->hnext;
			x->hnext = b[x->hash & (n - 1)];
			b[x->hash & (n - 1)] = x;
		}
	}
	free(t->b);
	t->b = b;
	t->mask = n - 1;
}

void txn_table_insert(txn_loop_t *lt, ss_sip_txn_t *txn)
{
	txn_table_t *t = &lt->table;
	ss_sip_txn_t **head;

	if (t->count >= t->mask + 1 && t->mask < (1u << 24))
		table_grow(t);
	head = &t->b[txn->hash & t->mask];
	txn->hnext = *head;
	*head = txn;
	t->count++;
	txn->flags |= TXN_F_IN_TABLE;
}

void txn_table_remove(txn_loop_t *lt, ss_sip_txn_t *txn)
{
	txn_table_t *t = &lt->table;
	ss_sip_txn_t **pp = &t->b[txn->hash & t->mask];

	if (!(txn->flags & TXN_F_IN_TABLE))
		return;
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == txn) {
			*pp = txn->hnext;
			txn->hnext = NULL;
			t->count--;
			break;
		}
	}
	txn->flags &= ~TXN_F_IN_TABLE;
}

static bool is_server(const ss_sip_txn_t *x)
{
	return x->type == TXN_SERVER_INVITE || x->type == TXN_SERVER_NONINVITE;
}

/* RFC 3261 17.2.3: branch, sent-by and method (ACK and CANCEL look for
 * their INVITE: the caller passes INVITE). */
static bool match_3261(const ss_sip_txn_t *x, const txn_key_t *k,
		       ss_sip_method_t method)
{
	const txn_key_t *xk = &x->key;

	return (x->flags & TXN_F_RFC3261) && ss_str_eq(xk->branch, k->branch) &&
	       xk->port == k->port && ss_str_caseeq(xk->host, k->host) &&
	       txn_method_eq(xk, method, k->method_str);
}

/*
 * RFC 3261 17.2.3 for requests without the magic cookie: Request-URI,
 * tags, Call-ID, CSeq and top Via of the request. An ACK carries the To
 * tag of our response instead; a CANCEL's To tag and CSeq method are not
 * compared (RFC 3261 9.2). The tag of a response the TU built itself
 * (send_response) is not known here, so such an ACK matches without it.
 */
static bool match_2543(const ss_sip_txn_t *x, const txn_key_t *k,
		       ss_sip_method_t method, bool ack)
{
	const txn_key_t *xk = &x->key;
	bool cancel =
	    k->method == SS_SIP_METHOD_CANCEL && method == SS_SIP_METHOD_INVITE;

	if ((x->flags & TXN_F_RFC3261) || xk->cseq != k->cseq ||
	    !ss_str_eq(xk->call_id, k->call_id) ||
	    !ss_str_eq(xk->from_tag, k->from_tag) ||
	    !ss_str_eq(xk->ruri, k->ruri) ||
	    !ss_str_eq(xk->top_via, k->top_via))
		return false;
	if (ack) {
		ss_str_t ours = (x->flags & TXN_F_TAG)
				    ? (ss_str_t){x->to_tag, x->tag_len}
				    : xk->to_tag;

		if (x->type != TXN_SERVER_INVITE)
			return false;
		return !ours.s || ss_str_eq(ours, k->to_tag);
	}
	if (!cancel && !ss_str_eq(xk->to_tag, k->to_tag))
		return false;
	return txn_method_eq(xk, method, k->method_str);
}

ss_sip_txn_t *txn_find_server(txn_loop_t *lt, const txn_key_t *k,
			      ss_sip_method_t method, bool ack)
{
	ss_sip_txn_t *x = lt->table.b[txn_key_hash(k) & lt->table.mask];

	for (; x; x = x->hnext) {
		if (!is_server(x) || x->state == SS_TXN_TERMINATED)
			continue;
		if (k->rfc3261 ? match_3261(x, k, method)
			       : match_2543(x, k, method, ack))
			return x;
	}
	return NULL;
}

/* RFC 3261 17.1.3: the branch we generated and the CSeq method. */
ss_sip_txn_t *txn_find_client(txn_loop_t *lt, const txn_key_t *k)
{
	ss_sip_txn_t *x = lt->table.b[txn_hash(k->branch) & lt->table.mask];

	for (; x; x = x->hnext)
		if (!is_server(x) && x->state != SS_TXN_TERMINATED &&
		    ss_str_eq(x->key.branch, k->branch) &&
		    txn_method_eq(&x->key, k->method, k->method_str))
			return x;
	return NULL;
}

void txn_table_foreach(txn_loop_t *lt, void (*fn)(ss_sip_txn_t *txn, void *arg),
		       void *arg)
{
	txn_table_t *t = &lt->table;

	for (uint32_t i = 0; t->b && i <= t->mask; i++)
		for (ss_sip_txn_t *x = t->b[i]; x; x = x->hnext)
			fn(x, arg);
}
