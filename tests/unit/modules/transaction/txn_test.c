/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the transaction module's tests (see txn_test.h).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <sipserver/service.h>

#include "bus_core.h"
#include "log_core.h"
#include "loop_core.h"
#include "service_core.h"
#include "txn_test.h"

extern const ss_module_desc_t transaction_LTX_ss_module;

tt_tu_t tt_tu;
int tt_send_error;

static pthread_mutex_t tt_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tt_cond = PTHREAD_COND_INITIALIZER;
static tt_sent_t tt_sents[TT_MAX_SENT];
static unsigned tt_nsent;

/* ---- fake transport ---- */

static ss_sip_listener_info_t tt_listeners[2];

static int fake_send(const ss_sip_dest_t *dst, const char *buf, size_t len)
{
	if (__atomic_load_n(&tt_send_error, __ATOMIC_RELAXED))
		return tt_send_error;
	pthread_mutex_lock(&tt_lock);
	if (tt_nsent < TT_MAX_SENT) {
		tt_sent_t *s = &tt_sents[tt_nsent++];

		s->buf = malloc(len + 1);
		memcpy(s->buf, buf, len);
		s->buf[len] = '\0';
		s->len = len;
		s->dst = *dst;
	}
	pthread_cond_broadcast(&tt_cond);
	pthread_mutex_unlock(&tt_lock);
	return 0;
}

static const ss_sip_listener_info_t *fake_listener_for(ss_sip_proto_t proto,
						       int family)
{
	return proto == SS_SIP_UDP ? &tt_listeners[0] : &tt_listeners[1];
}

static const ss_sip_listener_info_t *fake_listener_at(unsigned i)
{
	return i < 2 ? &tt_listeners[i] : NULL;
}

static const ss_sip_transport_api_t fake_transport = {
    .version = SS_SIP_TRANSPORT_API_VERSION,
    .send = fake_send,
    .listener_for = fake_listener_for,
    .listener_at = fake_listener_at,
};

static void set_addr(ss_sip_addr_t *a, unsigned port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&a->sa;

	memset(a, 0, sizeof(*a));
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &in->sin_addr);
	a->len = sizeof(*in);
}

/* ---- the test TU ---- */

static void tu_cancel(ss_sip_txn_t *inv, ss_sip_rx_t *cancel, void *arg)
{
	tt_tu.cancels++;
	txn_api.reply(inv, 487, NULL, NULL);
}

static ss_bus_verdict_t tu_on_request(ss_topic_t topic, void *m, void *arg)
{
	ss_sip_rx_t *rx = m;

	tt_tu.seen++;
	tt_tu.last_had_txn = rx->txn != NULL;
	tt_tu.last_method = rx->msg->method;
	switch (tt_tu.mode) {
	case TT_PASS:
		return SS_BUS_CONTINUE;
	case TT_KEEP:
		if (rx->txn) {
			tt_tu.kept = txn_api.ref(rx->txn);
			if (tt_tu.set_cancel_cb)
				txn_api.set_cancel_cb(rx->txn, tu_cancel, NULL);
		}
		break;
	case TT_REPLY:
		txn_api.reply_rx(rx, tt_tu.reply_code, NULL, NULL);
		break;
	case TT_STATELESS:
		txn_api.reply_stateless(rx, 401, NULL, NULL);
		break;
	}
	rx->handled_by = "test";
	return SS_BUS_STOP;
}

void tt_start_core(void)
{
	const char *v = getenv("TT_VERBOSE");

	ss_log_init(v ? atoi(v) : 0, false);
	memset(&tt_tu, 0, sizeof(tt_tu));
	tt_send_error = 0;
	set_addr(&tt_listeners[0].addr, 5060);
	tt_listeners[0].proto = SS_SIP_UDP;
	tt_listeners[0].host = "127.0.0.1";
	tt_listeners[0].port = 5060;
	tt_listeners[1] = tt_listeners[0];
	tt_listeners[1].proto = SS_SIP_TCP;
	ck_assert_int_eq(ss_loops_start(2), 0);
	ck_assert_int_eq(ss_service_provide(NULL, "parser",
					    SS_SIP_PARSER_API_VERSION,
					    &ss_sip_parser_api),
			 0);
	ck_assert_int_eq(ss_service_provide(NULL, "transport",
					    SS_SIP_TRANSPORT_API_VERSION,
					    &fake_transport),
			 0);
}

void tt_start(unsigned t1_ms)
{
	txn_conf_t *conf = malloc(sizeof(*conf));

	tt_start_core();
	txn_conf_defaults(conf);
	conf->t1 = t1_ms;
	conf->t2 = 4 * t1_ms;
	conf->t4 = 3 * t1_ms;
	conf->trying = 3 * t1_ms;
	ck_assert_int_eq(txn_start(NULL, conf), 0);
	ck_assert_int_eq(ss_bus_register_table(
			     NULL, transaction_LTX_ss_module.subscriptions),
			 0);
	tt_subscribe_tu();
}

void tt_subscribe_tu(void)
{
	ck_assert_int_eq(ss_bus_subscribe(NULL, "sip.request.in",
					  SS_SIP_PRIO_REGISTRAR, tu_on_request,
					  NULL),
			 0);
}

static void drop_kept(void *arg)
{
	txn_api.unref(&tt_tu.kept);
}

void tt_stop(void)
{
	if (tt_tu.kept)
		tt_run_on(tt_tu.kept->lt->index, drop_kept, NULL);
	ss_bus_release_owner(NULL);
	if (txn_g.loops)
		txn_stop();
	ss_loops_shutdown();
	ss_service_release_owner(NULL);
	for (unsigned i = 0; i < tt_nsent; i++)
		free(tt_sents[i].buf);
	tt_nsent = 0;
	ss_log_shutdown();
}

/* ---- running things on a worker ---- */

typedef struct tt_call {
	void (*fn)(void *arg);
	void *arg;
	bool done;
} tt_call_t;

static void call_task(void *arg)
{
	tt_call_t *c = arg;

	c->fn(c->arg);
	pthread_mutex_lock(&tt_lock);
	c->done = true;
	pthread_cond_broadcast(&tt_cond);
	pthread_mutex_unlock(&tt_lock);
}

void tt_run_on(unsigned idx, void (*fn)(void *arg), void *arg)
{
	tt_call_t c = {fn, arg, false};

	ck_assert_int_eq(ss_loop_post(ss_loop_worker(idx), call_task, &c), 0);
	pthread_mutex_lock(&tt_lock);
	while (!c.done)
		pthread_cond_wait(&tt_cond, &tt_lock);
	pthread_mutex_unlock(&tt_lock);
}

typedef struct tt_inj {
	const char *text;
	ss_sip_proto_t proto;
	unsigned port;
} tt_inj_t;

static void inject_task(void *arg)
{
	tt_inj_t *in = arg;
	ss_sip_packet_t pkt = {.buf = (char *)in->text,
			       .len = strlen(in->text),
			       .proto = in->proto,
			       .conn_id = in->proto == SS_SIP_UDP ? 0 : 7};
	ss_sip_msg_t msg;
	ss_sip_rx_t rx = {.msg = &msg, .pkt = &pkt};
	ss_sip_error_t err;

	set_addr(&pkt.src, in->port);
	set_addr(&pkt.local, 5060);
	ss_sip_msg_init(&msg);
	ck_assert_int_eq(ss_sip_msg_parse(&msg, pkt.buf, pkt.len, &err), 0);
	ck_assert_int_eq(ss_sip_msg_check(&msg, &err), 0);
	ss_bus_publish(msg.is_request ? txn_g.req_topic : txn_g.resp_topic,
		       &rx);
	ss_sip_msg_fini(&msg);
}

void tt_inject(unsigned idx, const char *text, ss_sip_proto_t proto,
	       unsigned src_port)
{
	tt_inj_t in = {text, proto, src_port};

	tt_run_on(idx, inject_task, &in);
}

/* ---- waiting ---- */

static void deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += TT_TIMEOUT_MS / 1000;
}

bool tt_wait_sent(unsigned n)
{
	struct timespec ts;
	bool ok;

	deadline(&ts);
	pthread_mutex_lock(&tt_lock);
	while (tt_nsent < n &&
	       pthread_cond_timedwait(&tt_cond, &tt_lock, &ts) == 0)
		;
	ok = tt_nsent >= n;
	pthread_mutex_unlock(&tt_lock);
	return ok;
}

unsigned tt_sent_count(void)
{
	unsigned n;

	pthread_mutex_lock(&tt_lock);
	n = tt_nsent;
	pthread_mutex_unlock(&tt_lock);
	return n;
}

const tt_sent_t *tt_sent(unsigned i)
{
	const tt_sent_t *s;

	pthread_mutex_lock(&tt_lock);
	s = i < tt_nsent ? &tt_sents[i] : NULL;
	pthread_mutex_unlock(&tt_lock);
	ck_assert_ptr_nonnull(s);
	return s;
}

unsigned tt_sent_code(unsigned i)
{
	const tt_sent_t *s = tt_sent(i);

	if (strncmp(s->buf, "SIP/2.0 ", 8) != 0)
		return 0;
	return (unsigned)atoi(s->buf + 8);
}

typedef struct tt_cond_call {
	bool (*cond)(void *arg);
	void *arg;
	bool result;
} tt_cond_call_t;

static void cond_task(void *arg)
{
	tt_cond_call_t *c = arg;

	c->result = c->cond(c->arg);
}

/* Conditions on loop state have no event to wait on: they are polled on
 * the loop itself, each poll a round trip through its queue. */
bool tt_wait_on(unsigned idx, bool (*cond)(void *arg), void *arg)
{
	tt_cond_call_t c = {cond, arg, false};

	for (unsigned i = 0; i < TT_TIMEOUT_MS; i++) {
		tt_run_on(idx, cond_task, &c);
		if (c.result)
			return true;
		usleep(1000);
	}
	return false;
}

typedef struct tt_count {
	unsigned idx, n;
} tt_count_t;

static bool table_is(void *arg)
{
	tt_count_t *c = arg;

	return txn_g.loops[c->idx].table.count == c->n;
}

unsigned tt_table_count(unsigned idx)
{
	return __atomic_load_n(&txn_g.loops[idx].table.count, __ATOMIC_RELAXED);
}

bool tt_wait_table(unsigned idx, unsigned n)
{
	tt_count_t c = {idx, n};

	return tt_wait_on(idx, table_is, &c);
}

const char *tt_header(unsigned i, const char *name, char *buf, size_t size)
{
	const tt_sent_t *s = tt_sent(i);
	size_t nl = strlen(name);
	const char *p = s->buf, *eol;

	buf[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			eol = strstr(p, "\r\n");
			snprintf(buf, size, "%.*s", (int)(eol - p), p);
			return buf;
		}
	}
	return NULL;
}
