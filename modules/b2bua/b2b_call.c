/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The call object: per-loop table keyed by the random key in our tags,
 * references, the end of a call (out of the table, relay released, then
 * reaped once its INVITE transactions can deliver nothing more), hangup
 * from any state, and the per-loop state it lives in.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <sipserver/log.h>

#include "b2b_int.h"

#define B2B_TABLE_MIN 256

static const char *const state_names[B2B_NSTATES] = {
    [B2B_CALLING] = "calling",	   [B2B_ACCEPTED] = "accepted",
    [B2B_CONFIRMED] = "confirmed", [B2B_ENDING] = "ending",
    [B2B_ENDED] = "ended",
};

const char *b2b_state_name(b2b_state_t s)
{
	return s < B2B_NSTATES ? state_names[s] : "?";
}

void b2b_task_posted(void)
{
	__atomic_add_fetch(&b2b_g.tasks, 1, __ATOMIC_RELEASE);
}

void b2b_task_done(void)
{
	__atomic_sub_fetch(&b2b_g.tasks, 1, __ATOMIC_RELEASE);
}

b2b_loop_t *b2b_loop_here(void)
{
	ss_loop_t *loop = ss_loop_current();
	unsigned i;

	if (!loop || !b2b_g.loops)
		return NULL;
	i = ss_loop_index(loop);
	return i < b2b_g.nloops ? &b2b_g.loops[i] : NULL;
}

/* xorshift64*: tags and keys need to be unpredictable enough not to
 * collide, not to resist an attacker who sees them anyway. */
uint64_t b2b_rand(b2b_loop_t *bl)
{
	uint64_t x = bl->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	bl->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static ss_sip_msg_t *msg_new(void)
{
	ss_sip_msg_t *m = malloc(sizeof(*m));

	if (m)
		b2b_g.parser->msg_init(m);
	return m;
}

static void msg_free(ss_sip_msg_t *m)
{
	if (m) {
		b2b_g.parser->msg_fini(m);
		free(m);
	}
}

int b2b_loop_init(b2b_loop_t *bl, unsigned index)
{
	memset(bl, 0, sizeof(*bl));
	bl->index = index;
	bl->loop = ss_loop_worker(index);
	if (getrandom(&bl->rng, sizeof(bl->rng), 0) != sizeof(bl->rng))
		bl->rng = (uint64_t)(uintptr_t)bl ^ 0x9E3779B97F4A7C15ull;
	bl->rng |= 1;
	bl->mask = B2B_TABLE_MIN - 1;
	bl->tab = calloc(B2B_TABLE_MIN, sizeof(*bl->tab));
	bl->buf = malloc(B2B_BUF_SIZE);
	bl->sdp = malloc(B2B_SDP_MAX);
	bl->txmsg = msg_new();
	bl->rxmsg = msg_new();
	if (!bl->tab || !bl->buf || !bl->sdp || !bl->txmsg || !bl->rxmsg)
		return -ENOMEM;
	return 0;
}

void b2b_loop_fini(b2b_loop_t *bl)
{
	free(bl->tab);
	free(bl->buf);
	free(bl->sdp);
	msg_free(bl->txmsg);
	msg_free(bl->rxmsg);
	memset(bl, 0, sizeof(*bl));
}

/* ---- table ---- */

static void table_grow(b2b_loop_t *bl)
{
	uint32_t nmask = bl->mask * 2 + 1;
	b2b_call_t **nt = calloc((size_t)nmask + 1, sizeof(*nt));

	if (!nt)
		return; /* longer chains, still correct */
	for (uint32_t i = 0; i <= bl->mask; i++) {
		b2b_call_t *c = bl->tab[i], *next;

		for (; c; c = next) {
			next = c->hnext;
			c->hnext = nt[c->key & nmask];
			nt[c->key & nmask] = c;
		}
	}
	free(bl->tab);
	bl->tab = nt;
	bl->mask = nmask;
}

b2b_call_t *b2b_call_find(b2b_loop_t *bl, uint64_t key)
{
	b2b_call_t *c;

	for (c = bl->tab[key & bl->mask]; c; c = c->hnext)
		if (c->key == key)
			return c;
	return NULL;
}

int b2b_call_insert(b2b_call_t *c)
{
	b2b_loop_t *bl = c->bl;

	if (bl->count >= 2u * (bl->mask + 1))
		table_grow(bl);
	c->hnext = bl->tab[c->key & bl->mask];
	bl->tab[c->key & bl->mask] = c;
	c->in_table = true;
	bl->count++;
	return 0;
}

static void table_remove(b2b_call_t *c)
{
	b2b_loop_t *bl = c->bl;
	b2b_call_t **pp = &bl->tab[c->key & bl->mask];

	if (!c->in_table)
		return;
	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	c->in_table = false;
	bl->count--;
}

/* ---- tags ---- */

void b2b_tag_make(b2b_call_t *c, b2b_leg_id_t leg)
{
	snprintf(c->leg[leg].local_tag, sizeof(c->leg[leg].local_tag),
		 "%016llx%03x%c", (unsigned long long)c->key,
		 c->bl->index & 0xfffu, leg == B2B_IN ? 'a' : 'b');
}

static int hexval(ss_str_t s, size_t off, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	for (size_t i = off; i < off + n; i++) {
		int d = ss_sip_hexval((unsigned char)s.s[i]);

		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return 0;
}

int b2b_tag_parse(ss_str_t tag, uint64_t *key, unsigned *loop,
		  b2b_leg_id_t *leg)
{
	uint64_t l;

	if (tag.len != B2B_TAG_LEN || hexval(tag, 0, 16, key) < 0 ||
	    hexval(tag, 16, 3, &l) < 0 ||
	    (tag.s[19] != 'a' && tag.s[19] != 'b'))
		return -EINVAL;
	*loop = (unsigned)l;
	*leg = tag.s[19] == 'a' ? B2B_IN : B2B_OUT;
	return 0;
}

/* ---- life ---- */

b2b_call_t *b2b_call_new(b2b_loop_t *bl)
{
	b2b_call_t *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->bl = bl;
	c->refs = 1;
	c->state = B2B_CALLING;
	c->created_ms = ss_loop_now_ms(bl->loop);
	do
		c->key = b2b_rand(bl);
	while (!c->key || b2b_call_find(bl, c->key));
	c->id = __atomic_add_fetch(&b2b_g.next_id, 1, __ATOMIC_RELAXED);
	c->anext = bl->all;
	if (bl->all)
		bl->all->aprev = &c->anext;
	c->aprev = &bl->all;
	bl->all = c;
	ss_timer_init(&c->t_retx, b2b_g.self, b2b_retx_timer, c);
	ss_timer_init(&c->t_reap, b2b_g.self, NULL, c);
	return c;
}

b2b_call_t *b2b_call_ref(b2b_call_t *c)
{
	c->refs++;
	return c;
}

static void leg_free(b2b_leg_t *lg)
{
	free(lg->call_id);
	free(lg->local_hdr);
	free(lg->remote_hdr);
	free(lg->remote_tag);
	free(lg->remote_target);
	free(lg->routes);
	free(lg->contact);
	free(lg->ack);
	b2b_retx_stop(lg);
}

static void call_free(b2b_call_t *c)
{
	if (c->anext)
		c->anext->aprev = c->aprev;
	*c->aprev = c->anext;
	table_remove(c);
	ss_timer_stop(&c->t_retx);
	ss_timer_stop(&c->t_reap);
	if (c->dnsq)
		b2b_g.dns->cancel(c->dnsq);
	b2b_sdp_release(c);
	b2b_srv_release(&c->inv_in);
	b2b_srv_release(&c->reinv.srv);
	for (unsigned i = 0; i < B2B_MAX_LINGER; i++)
		b2b_g.txn->unref(&c->linger[i]);
	leg_free(&c->leg[B2B_IN]);
	leg_free(&c->leg[B2B_OUT]);
	free(c->in_hdrs);
	free(c->out_extra);
	free(c->out_sdp);
	free(c);
}

void b2b_call_unref(b2b_call_t **cp)
{
	b2b_call_t *c = *cp;

	*cp = NULL;
	if (c && --c->refs == 0)
		call_free(c);
}

/* Drops the transactions that can deliver nothing more; true when none
 * is left. */
static bool linger_purge(b2b_call_t *c)
{
	bool empty = true;

	for (unsigned i = 0; i < B2B_MAX_LINGER; i++) {
		if (!c->linger[i])
			continue;
		if (b2b_g.txn->state(c->linger[i]) == SS_TXN_TERMINATED) {
			if (c->inv_out == c->linger[i])
				c->inv_out = NULL;
			if (c->reinv.cli == c->linger[i])
				c->reinv.cli = NULL;
			b2b_g.txn->unref(&c->linger[i]);
		} else {
			empty = false;
		}
	}
	return empty;
}

int b2b_call_linger(b2b_call_t *c, ss_sip_txn_t *txn)
{
	linger_purge(c);
	for (unsigned i = 0; i < B2B_MAX_LINGER; i++)
		if (!c->linger[i]) {
			c->linger[i] = b2b_g.txn->ref(txn);
			return 0;
		}
	return -ENOSPC;
}

/*
 * An INVITE client transaction calls back with every 2xx until Timer M
 * and the API cannot detach its callback, so an ended call stays
 * allocated (answering those 2xx with its ACK) until they terminate.
 */
static void reap_timer(ss_timer_t *t)
{
	b2b_call_t *c = t->arg;

	if (!linger_purge(c)) {
		ss_timer_start(&c->t_reap, B2B_REAP_MS);
		return;
	}
	b2b_call_unref(&c);
}

static void call_end(b2b_call_t *c)
{
	uint64_t age = ss_loop_now_ms(c->bl->loop) - c->created_ms;

	SS_LOG_DEBUG("call %llu ended after %llu ms", (unsigned long long)c->id,
		     (unsigned long long)age);
	c->state = B2B_ENDED;
	table_remove(c);
	b2b_sdp_release(c);
	ss_timer_stop(&c->t_retx);
	b2b_retx_stop(&c->leg[B2B_IN]);
	b2b_retx_stop(&c->leg[B2B_OUT]);
	b2b_srv_release(&c->inv_in);
	__atomic_sub_fetch(&b2b_g.active, 1, __ATOMIC_RELAXED);
	c->t_reap.cb = reap_timer;
	reap_timer(&c->t_reap);
}

void b2b_call_check_done(b2b_call_t *c)
{
	if (c->state != B2B_ENDING)
		return;
	if (c->dnsq || c->reinv.active || c->leg[B2B_IN].bye ||
	    c->leg[B2B_OUT].bye)
		return;
	/* Our INVITE still ringing: its 487 (or a 2xx to BYE) comes. */
	if (c->inv_out && b2b_g.txn->code(c->inv_out) < 200 &&
	    b2b_g.txn->state(c->inv_out) != SS_TXN_TERMINATED)
		return;
	call_end(c);
}

void b2b_call_hangup(b2b_call_t *c, const char *why)
{
	if (c->state >= B2B_ENDING)
		return;
	SS_LOG_INFO("call %llu (%s): hanging up: %s", (unsigned long long)c->id,
		    c->leg[B2B_IN].call_id, why);
	b2b_call_ref(c);
	if (c->state == B2B_CALLING) {
		c->state = B2B_ENDING;
		c->cancelled = true;
		b2b_out_cancel(c);
		b2b_in_answer(c, 480, NULL, SS_STR_NULL, SS_STR_NULL);
	} else {
		c->state = B2B_ENDING;
		b2b_retx_stop(&c->leg[B2B_IN]);
		b2b_retx_stop(&c->leg[B2B_OUT]);
		b2b_dialog_bye(c, B2B_IN);
		b2b_dialog_bye(c, B2B_OUT);
	}
	b2b_call_check_done(c);
	b2b_call_unref(&c);
}

void b2b_call_media_end(ss_rtp_session_t *s, ss_rtp_end_reason_t why, void *arg)
{
	b2b_call_t *c = arg;

	(void)s;
	b2b_call_hangup(c, why == SS_RTP_END_TIMEOUT ? "media timeout"
						     : "media ended");
}

void b2b_loop_foreach(b2b_loop_t *bl, void (*fn)(b2b_call_t *c, void *arg),
		      void *arg)
{
	for (uint32_t i = 0; i <= bl->mask; i++)
		for (b2b_call_t *c = bl->tab[i]; c; c = c->hnext)
			fn(c, arg);
}

void b2b_loop_hangup_all(b2b_loop_t *bl)
{
	b2b_call_t *c, *next;

	for (c = bl->all; c; c = next) {
		next = c->anext;
		b2b_call_hangup(c, "module unloading");
	}
}

/* Unload, after the hangups: frees every call whatever it still waits
 * for. Its INVITE client transactions lose our references but keep our
 * callback (see b2b_stop). */
void b2b_loop_drain(b2b_loop_t *bl)
{
	while (bl->all) {
		b2b_call_t *c = bl->all;

		if (c->state != B2B_ENDED)
			__atomic_sub_fetch(&b2b_g.active, 1, __ATOMIC_RELAXED);
		call_free(c);
	}
}
