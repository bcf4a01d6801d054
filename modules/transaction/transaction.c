/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transaction module: its descriptor, configuration (<timers>,
 * <options>), the per-loop state set up at load and torn down at unload,
 * and the `transaction` service vtable.
 */
#include "txn_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <sipserver/log.h>
#include <sipserver/service.h>

txn_global_t txn_g;

static const ss_cfg_attr_t timers_attrs[] = {
    {"t1", SS_CFG_INT, "500", 1, 60000, 0,
     "RFC 3261 T1 in ms: round-trip estimate; first retransmission "
     "interval, 64*T1 is the transaction timeout (Timers B, F, H, J)."},
    {"t2", SS_CFG_INT, "4000", 1, 600000, 0,
     "RFC 3261 T2 in ms: longest retransmission interval of non-INVITE "
     "requests and INVITE responses."},
    {"t4", SS_CFG_INT, "5000", 0, 600000, 0,
     "RFC 3261 T4 in ms: how long a message may stay in the network "
     "(Timers I and K)."},
    {"trying", SS_CFG_INT, "200", 0, 60000, 0,
     "ms after which an INVITE the TU has not answered gets 100 Trying "
     "(RFC 3261 17.2.1)."},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

static const ss_cfg_attr_t options_attrs[] = {
    {"allow", SS_CFG_STR,
     "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, PRACK, UPDATE, "
     "SUBSCRIBE, NOTIFY, REFER, MESSAGE",
     0, 0, 0, "Allow header of OPTIONS answers and 501 responses."},
    {"accept", SS_CFG_STR, "application/sdp", 0, 0, 0,
     "Accept header of OPTIONS answers."},
    {"supported", SS_CFG_STR, "path", 0, 0, 0,
     "Supported header of OPTIONS answers."},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

static const ss_cfg_elem_t txn_config[] = {
    {"timers", 0, timers_attrs, "SIP timers (RFC 3261 17, table 4)."},
    {"options", 0, options_attrs,
     "What OPTIONS nobody else answered reports about this server."},
    {NULL, 0, NULL, NULL},
};

void txn_conf_defaults(txn_conf_t *c)
{
	memset(c, 0, sizeof(*c));
	c->t1 = 500;
	c->t2 = 4000;
	c->t4 = 5000;
	c->trying = 200;
	snprintf(c->allow, sizeof(c->allow), "%s", options_attrs[0].def);
	snprintf(c->accept, sizeof(c->accept), "%s", options_attrs[1].def);
	snprintf(c->supported, sizeof(c->supported), "%s",
		 options_attrs[2].def);
}

static int copy_attr(char *dst, size_t size, const ss_cfg_node_t *n,
		     const char *attr)
{
	const char *v = ss_cfg_str(n, attr);

	if (strlen(v) >= size || strpbrk(v, "\r\n")) {
		SS_LOG_ERR("%s: options: %s is too long or has a line break",
			   ss_cfg_where(n), attr);
		return -EINVAL;
	}
	snprintf(dst, size, "%s", v);
	return 0;
}

static txn_conf_t *conf_build(const ss_cfg_t *cfg)
{
	const ss_cfg_node_t *t = ss_cfg_first(cfg, "timers");
	const ss_cfg_node_t *o = ss_cfg_first(cfg, "options");
	txn_conf_t *c = calloc(1, sizeof(*c));

	if (!c) {
		SS_LOG_ERR("out of memory");
		return NULL;
	}
	c->t1 = (uint32_t)ss_cfg_int(t, "t1");
	c->t2 = (uint32_t)ss_cfg_int(t, "t2");
	c->t4 = (uint32_t)ss_cfg_int(t, "t4");
	c->trying = (uint32_t)ss_cfg_int(t, "trying");
	if (c->t2 < c->t1) {
		SS_LOG_ERR("%s: timers: t2 (%u) is smaller than t1 (%u)",
			   ss_cfg_where(t), c->t2, c->t1);
		goto fail;
	}
	if (copy_attr(c->allow, sizeof(c->allow), o, "allow") ||
	    copy_attr(c->accept, sizeof(c->accept), o, "accept") ||
	    copy_attr(c->supported, sizeof(c->supported), o, "supported"))
		goto fail;
	return c;
fail:
	free(c);
	return NULL;
}

static uint64_t random64(void)
{
	uint64_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint64_t)(uintptr_t)&v ^ (uint64_t)ss_loop_now_ms(NULL);
	return v | 1; /* xorshift needs a non-zero state */
}

static void loops_free(void)
{
	for (unsigned i = 0; txn_g.loops && i < txn_g.nloops; i++) {
		txn_loop_t *lt = &txn_g.loops[i];

		txn_table_fini(&lt->table);
		free(lt->buf);
		if (lt->scratch) {
			txn_g.parser->msg_fini(lt->scratch);
			free(lt->scratch);
		}
		if (lt->req_scratch) {
			txn_g.parser->msg_fini(lt->req_scratch);
			free(lt->req_scratch);
		}
	}
	free(txn_g.loops);
	txn_g.loops = NULL;
	txn_g.nloops = 0;
}

static int loop_init(txn_loop_t *lt, unsigned i)
{
	lt->index = i;
	lt->loop = ss_loop_worker(i);
	lt->rng = random64();
	lt->buf = malloc(TXN_BUF_SIZE);
	lt->scratch = malloc(sizeof(*lt->scratch));
	if (lt->scratch)
		txn_g.parser->msg_init(lt->scratch);
	lt->req_scratch = malloc(sizeof(*lt->req_scratch));
	if (lt->req_scratch)
		txn_g.parser->msg_init(lt->req_scratch);
	if (!lt->buf || !lt->scratch || !lt->req_scratch ||
	    txn_table_init(&lt->table) < 0)
		return -ENOMEM;
	return 0;
}

int txn_start(const ss_module_t *self, txn_conf_t *conf)
{
	unsigned n = ss_loop_count();

	txn_g.self = self;
	txn_g.parser = ss_service_get("parser", SS_SIP_PARSER_API_VERSION);
	txn_g.transport =
	    ss_service_get("transport", SS_SIP_TRANSPORT_API_VERSION);
	if (!txn_g.parser || !txn_g.transport) {
		SS_LOG_ERR("needs the %s service",
			   txn_g.parser ? "transport" : "parser");
		goto fail;
	}
	if (!n || n > 0xfff) {
		SS_LOG_ERR("needs between 1 and 4095 worker loops, not %u", n);
		goto fail;
	}
	txn_g.req_topic = ss_bus_topic("sip.request.in");
	txn_g.resp_topic = ss_bus_topic("sip.response.in");
	if (txn_g.req_topic < 0 || txn_g.resp_topic < 0)
		goto fail;
	txn_g.salt = (uint32_t)random64();
	txn_g.loops = aligned_alloc(64, n * sizeof(*txn_g.loops));
	if (!txn_g.loops)
		goto fail;
	memset(txn_g.loops, 0, n * sizeof(*txn_g.loops));
	txn_g.nloops = n;
	for (unsigned i = 0; i < n; i++)
		if (loop_init(&txn_g.loops[i], i) < 0)
			goto fail;
	__atomic_store_n(&txn_g.conf, conf, __ATOMIC_RELEASE);
	return 0;
fail:
	loops_free();
	free(conf);
	memset(&txn_g, 0, sizeof(txn_g));
	return -ENOMEM;
}

static void quiescent(void *arg)
{
}

static void drain_task(void *arg)
{
	txn_loop_t *lt = txn_loop_here();

	if (lt)
		txn_loop_drain(lt);
}

void txn_stop(void)
{
	/* Tasks we posted (ends of publishes, responses for another loop)
	 * run before the rendezvous task queued behind them; posting stops
	 * with the subscriptions, so this ends. */
	for (int i = 0;
	     i < 1000 && __atomic_load_n(&txn_g.tasks, __ATOMIC_ACQUIRE); i++)
		ss_loop_run_on_workers(quiescent, NULL);
	ss_loop_run_on_workers(drain_task, NULL);
	loops_free();
	free((void *)txn_g.conf);
	free((void *)txn_g.trace_filter);
	memset(&txn_g, 0, sizeof(txn_g));
}

/* ---- the service ---- */

static void api_set_cancel_cb(ss_sip_txn_t *txn, ss_txn_cancel_fn fn, void *arg)
{
	txn->u.srv.fn = fn;
	txn->u.srv.arg = arg;
}

static ss_sip_msg_t *api_request(ss_sip_txn_t *txn)
{
	return txn_request_msg(txn);
}

static void api_unref(ss_sip_txn_t **txn)
{
	if (*txn)
		txn_unref(*txn);
	*txn = NULL;
}

static ss_txn_state_t api_state(const ss_sip_txn_t *txn)
{
	return (ss_txn_state_t)txn->state;
}

static unsigned api_code(const ss_sip_txn_t *txn)
{
	return txn->last_code;
}

static const ss_sip_dest_t *api_peer(const ss_sip_txn_t *txn)
{
	return &txn->dest;
}

static ss_str_t api_branch(const ss_sip_txn_t *txn)
{
	return txn->key.branch;
}

static uint64_t api_id(const ss_sip_txn_t *txn)
{
	return txn->id;
}

static int api_send(const ss_sip_dest_t *dst, const char *buf, size_t len)
{
	return txn_send(txn_loop_here(), dst, buf, len);
}

const ss_sip_txn_api_t txn_api = {
    .version = SS_TXN_API_VERSION,
    .reply = txn_server_reply,
    .send_response = txn_server_send,
    .send_trying = txn_server_trying,
    .set_cancel_cb = api_set_cancel_cb,
    .request = api_request,
    .to_tag = txn_server_tag,
    .client_create = txn_client_create,
    .cancel = txn_client_cancel,
    .ref = txn_ref,
    .unref = api_unref,
    .state = api_state,
    .code = api_code,
    .peer = api_peer,
    .branch = api_branch,
    .id = api_id,
    .reply_stateless = txn_reply_stateless,
    .reply_rx = txn_reply_rx,
    .send = api_send,
};

/* ---- life cycle ---- */

static ss_load_result_t txn_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	txn_conf_t *conf = conf_build(cfg);

	if (!conf || txn_start(self, conf) < 0)
		return SS_LOAD_FAIL;
	if (ss_service_provide(self, SS_TXN_SERVICE, SS_TXN_API_VERSION,
			       &txn_api) < 0) {
		SS_LOG_ERR("another module already provides \"%s\"",
			   SS_TXN_SERVICE);
		txn_stop();
		return SS_LOAD_FAIL;
	}
	SS_LOG_INFO("T1 %u ms, T2 %u ms, T4 %u ms on %u loops", conf->t1,
		    conf->t2, conf->t4, txn_g.nloops);
	return SS_LOAD_OK;
}

/* New timer values apply to transactions created from now on; the old
 * settings are freed once no worker can be reading them. */
static int txn_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	const txn_conf_t *old = txn_g.conf;
	txn_conf_t *conf = conf_build(cfg);

	if (!conf)
		return -EINVAL;
	__atomic_store_n(&txn_g.conf, conf, __ATOMIC_RELEASE);
	ss_loop_run_on_workers(quiescent, NULL);
	free((void *)old);
	return 0;
}

static void txn_unload(ss_module_t *self)
{
	txn_stop();
}

static const ss_bus_sub_t txn_subscriptions[] = {
    {"sip.raw.in", -10, txn_on_raw, NULL},
    {"sip.request.in", SS_SIP_PRIO_TRANSACTION, txn_on_request, NULL},
    {"sip.request.in", SS_SIP_PRIO_CATCHALL, txn_on_request_last, NULL},
    {"sip.response.in", SS_SIP_PRIO_TRANSACTION, txn_on_response, NULL},
    {NULL, 0, NULL, NULL},
};

static const char *const txn_requires[] = {"parser", "transport", NULL};
static const char *const txn_provides[] = {SS_TXN_SERVICE, NULL};

SS_MODULE(transaction) = {
    .abi = SS_MODULE_ABI,
    .name = "transaction",
    .version = "1.0",
    .description = "RFC 3261 client and server transactions, CANCEL, "
		   "retransmissions, the end of the request chain",
    .requires = txn_requires,
    .provides = txn_provides,
    .load = txn_load,
    .reload = txn_reload,
    .unload = txn_unload,
    .commands = txn_cli_commands,
    .subscriptions = txn_subscriptions,
    .config = txn_config,
};
