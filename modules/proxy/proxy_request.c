/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The proxy's "sip.request.in" subscriber: request validation (RFC 3261
 * 16.3), Route preprocessing (16.4), the target set (16.5) from the
 * location service or the Request-URI, and the stateless path of the ACK
 * of a 2xx.
 */
#include "proxy_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sipserver/log.h>

#define TARGET_STRS 8192 /* bytes of contact URIs and Paths per request */

/* The bindings of an AOR, copied out of the location shard lock. */
typedef struct collect {
	unsigned n, max;
	bool use_received; /* the conf's nat use_received */
	size_t used;
	struct {
		size_t uri, uri_len, path, path_len;
		uint16_t q;
		bool fixed;
		ss_sip_dest_t dst;
	} t[PROXY_MAX_TARGETS];
	char strs[TARGET_STRS];
} collect_t;

static size_t put(collect_t *c, const char *s, size_t n)
{
	size_t off = c->used;

	memcpy(c->strs + off, s, n);
	c->used += n;
	return off;
}

static int visit(void *arg, const ss_loc_contact_t *ct)
{
	collect_t *c = arg;
	size_t ul = strlen(ct->uri), pl = strlen(ct->path);

	if (c->n >= c->max)
		return 1;
	if (c->used + ul + pl > sizeof(c->strs) || !ul)
		return 0;
	c->t[c->n].uri_len = ul;
	c->t[c->n].uri = put(c, ct->uri, ul);
	c->t[c->n].path_len = pl;
	c->t[c->n].path = put(c, ct->path, pl);
	c->t[c->n].q = ct->q;
	/* A stream binding is reached over the connection it registered on
	 * (RFC 5626 in spirit); a UDP one at its Contact, unless the XML says
	 * the UAs sit behind NAT and only their source address works. */
	c->t[c->n].fixed =
	    ct->received[0] &&
	    (c->use_received ||
	     (ct->transport && ct->transport != SS_SIP_UDP)) &&
	    proxy_parse_hostport(ct->received, &c->t[c->n].dst.addr) == 0;
	if (c->t[c->n].fixed) {
		c->t[c->n].dst.proto =
		    ct->transport ? (ss_sip_proto_t)ct->transport : SS_SIP_UDP;
		c->t[c->n].dst.conn_id = ct->conn_id;
	}
	c->n++;
	return 0;
}

/* Answers rx and consumes it. */
static ss_bus_verdict_t answer(ss_sip_rx_t *rx, unsigned code,
			       const char *extra)
{
	ss_sip_resp_opts_t o = {.extra_hdrs = ss_str_c(extra)};

	if (rx->msg->method != SS_SIP_METHOD_ACK)
		proxy_g.txn->reply_rx(rx, code, NULL, extra ? &o : NULL);
	rx->handled_by = "proxy";
	return SS_BUS_STOP;
}

/* The ACK of a 2xx has no transaction: it is routed by its Route set or
 * Request-URI and sent statelessly (RFC 3261 16.11). */
static ss_bus_verdict_t forward_ack(proxy_loop_t *lp, const proxy_conf_t *c,
				    ss_sip_rx_t *rx, ss_sip_msg_t *msg)
{
	const ss_sip_parser_api_t *p = proxy_g.parser;
	const ss_sip_name_addr_t *r = p->addr(msg, SS_SIP_HDR_ROUTE, 0);
	const ss_sip_uri_t *ruri = p->ruri(msg);
	const proxy_route_t *sr = NULL;
	ss_sip_uri_t hop;
	ss_sip_dest_t dst;
	ss_str_t next;
	int err;

	rx->handled_by = "proxy";
	if (proxy_maxfwd_step(msg) < 0 || !ruri)
		return SS_BUS_STOP;
	next = r ? r->uri.raw : SS_STR_NULL;
	/* An ACK for one of our users without a Route would come back
	 * here: the 2xx it acknowledges named a contact, not us. */
	if (!next.len && proxy_uri_is_local(c, ruri))
		return SS_BUS_STOP;
	if (!next.len)
		sr = proxy_route_find(c, ruri->host);
	if (sr)
		next = ss_str_c(sr->uri);
	if (!next.len)
		next = ruri->raw;
	if (p->uri_parse(&msg->arena, next, &hop) < 0)
		return SS_BUS_STOP;
	err = proxy_uri_dest(&hop, &dst);
	if (!err)
		err = proxy_forward_stateless(lp, msg, &dst);
	else if (err == -EAGAIN)
		err = proxy_forward_stateless_dns(lp, msg, &hop);
	if (err)
		SS_LOG_INFO("cannot forward ACK to %.*s: %s", SS_STR_ARG(next),
			    strerror(-err));
	return SS_BUS_STOP;
}

/* Fills ctx's branches from the collected bindings. */
static void take_targets(proxy_ctx_t *ctx, const collect_t *c)
{
	char *strs = (char *)&ctx->br[ctx->nbranches];

	memcpy(strs, c->strs, c->used);
	for (unsigned i = 0; i < c->n; i++) {
		proxy_branch_t *b = &ctx->br[i];

		b->uri = (ss_str_t){strs + c->t[i].uri, c->t[i].uri_len};
		b->path = (ss_str_t){strs + c->t[i].path, c->t[i].path_len};
		b->q = c->t[i].q;
		b->has_fixed = c->t[i].fixed;
		b->fixed = c->t[i].dst;
	}
}

/* 16.5: the bindings of a local AOR, or the Request-URI itself. Returns
 * the number of targets, 0 when a local AOR has none. */
static int targets(const proxy_conf_t *c, ss_sip_msg_t *msg, bool local,
		   collect_t *col)
{
	const ss_sip_uri_t *ruri = proxy_g.parser->ruri(msg);
	char aor[SS_LOC_MAX_AOR + 1];

	col->n = 0;
	col->used = 0;
	col->max = c->max_branches;
	col->use_received = c->use_received;
	if (!local) {
		if (msg->ruri_str.len > sizeof(col->strs))
			return -ENOSPC;
		col->t[0].uri_len = msg->ruri_str.len;
		col->t[0].uri = put(col, msg->ruri_str.s, msg->ruri_str.len);
		col->t[0].path_len = 0;
		col->t[0].path = 0;
		col->t[0].q = SS_LOC_Q_MAX;
		col->t[0].fixed = false;
		col->n = 1;
		return 1;
	}
	if (!proxy_g.loc || proxy_g.parser->aor_key(ruri, aor, sizeof(aor)) < 0)
		return 0;
	proxy_g.loc->lookup(aor, visit, col);
	return (int)col->n;
}

/* Starts stateful forwarding of rx to the collected targets. */
static ss_bus_verdict_t proxy_stateful(proxy_loop_t *lp, ss_sip_rx_t *rx,
				       const collect_t *col, uint64_t hash)
{
	const ss_auth_identity_t *who =
	    proxy_g.auth ? proxy_g.auth->identity(rx->msg) : NULL;
	proxy_ctx_t *ctx = proxy_ctx_new(lp, rx->txn, col->n, col->used);

	rx->handled_by = "proxy";
	if (!ctx)
		return answer(rx, 500, NULL);
	take_targets(ctx, col);
	ctx->route_hash = hash;
	ctx->invite = rx->msg->method == SS_SIP_METHOD_INVITE;
	if (who)
		snprintf(ctx->realm, sizeof(ctx->realm), "%s", who->realm);
	/* RFC 3261 16.2: answer an INVITE at once so that the caller stops
	 * retransmitting while we look for the callee. */
	if (ctx->invite)
		proxy_g.txn->send_trying(ctx->stxn);
	if (proxy_ctx_start(ctx) < 0)
		proxy_ctx_advance(ctx); /* replies with the best it has */
	return SS_BUS_STOP;
}

/* 16.3 checks on the preprocessed copy; 0 or the status to answer. */
static unsigned validate(ss_sip_msg_t *msg, uint64_t hash, char *unsup,
			 size_t size, proxy_loop_t *lp)
{
	int mf = proxy_maxfwd_value(msg);

	if (mf < 0)
		return 400;
	if (mf == 0 && proxy_g.parser->hdr(msg, SS_SIP_HDR_MAX_FORWARDS)) {
		PROXY_INC(lp->st.maxfwd_483);
		return 483;
	}
	if (proxy_loop_detect(msg, hash)) {
		PROXY_INC(lp->st.loops_482);
		return 482;
	}
	if (proxy_unsupported(msg, unsup, size)) {
		PROXY_INC(lp->st.require_420);
		return 420;
	}
	return 0;
}

ss_bus_verdict_t proxy_on_request(ss_topic_t topic, void *m, void *arg)
{
	ss_sip_rx_t *rx = m;
	proxy_loop_t *lp = proxy_loop_here();
	const proxy_conf_t *c = proxy_conf();
	const ss_sip_uri_t *ruri;
	collect_t col;
	char unsup[256];
	ss_sip_msg_t *msg;
	bool routed, local;
	unsigned code;
	uint64_t hash;
	int n;

	(void)topic;
	(void)arg;
	if (!lp || !c || !rx->pkt || rx->msg->method == SS_SIP_METHOD_CANCEL)
		return SS_BUS_CONTINUE;
	msg = proxy_work_msg(&lp->req, rx->msg);
	if (!msg || proxy_route_preprocess(c, msg) < 0)
		return answer(rx, 500, NULL);
	ruri = proxy_g.parser->ruri(msg);
	if (!ruri)
		return answer(rx, 416, NULL);
	routed = proxy_g.parser->hdr(msg, SS_SIP_HDR_ROUTE) != NULL;
	/* A request for this server itself (no user part) is not ours to
	 * route: the catch-all answers OPTIONS and the like. */
	if (!routed && !ruri->user.len && proxy_uri_is_local(c, ruri))
		return SS_BUS_CONTINUE;
	local = !routed && proxy_uri_is_local(c, ruri);
	PROXY_INC(lp->st.requests);
	hash = proxy_route_hash(msg);
	code = validate(msg, hash, unsup, sizeof(unsup), lp);
	if (code)
		return answer(rx, code, code == 420 ? unsup : NULL);
	if (rx->msg->method == SS_SIP_METHOD_ACK)
		return forward_ack(lp, c, rx, msg);
	if (!rx->txn)
		return answer(rx, 500, NULL);
	n = targets(c, msg, local, &col);
	if (n < 0)
		return answer(rx, 500, NULL);
	if (n == 0) {
		/* RFC 3665 3.11: a user of ours who is not registered is
		 * temporarily unavailable. */
		PROXY_INC(lp->st.not_found);
		return answer(rx, 480, NULL);
	}
	return proxy_stateful(lp, rx, &col, hash);
}
