/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * digest_auth in the request pipeline: on "sip.request.in", before the
 * registrar and the proxy, requests the policy covers either pass with
 * valid credentials or get a 401/407 challenge (403 when the
 * authenticated user is not the one the request speaks for).
 */
#include "auth_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <sipserver/log.h>
#include <sipserver/sip/parser.h>
#include <sipserver/sip/transaction.h>
#include <sipserver/sip/transport.h>

#define AUTH_REPLY_MAX 16384

/* Bound in load() on the control loop before any worker calls us; txn is
 * NULL when no transaction layer is configured. */
static const ss_sip_parser_api_t *parser;
static const ss_sip_transport_api_t *transport;
static const ss_sip_txn_api_t *txn;

/*
 * Who this loop's subscriber authenticated in the publish under way. Reset
 * at the start of every request, so the subscribers after ours never see
 * the identity of an earlier message that lived at the same address.
 */
static __thread struct {
	const ss_sip_msg_t *msg;
	ss_auth_identity_t who;
} last_auth;

void auth_pipeline_bind(const ss_sip_parser_api_t *p,
			const ss_sip_transport_api_t *t,
			const ss_sip_txn_api_t *x)
{
	parser = p;
	transport = t;
	txn = x;
}

const ss_auth_identity_t *auth_pipeline_identity(const struct ss_sip_msg *m)
{
	return m && last_auth.msg == m ? &last_auth.who : NULL;
}

/* A To tag that depends only on the request, so that a retransmission
 * answered statelessly gets the same tag (RFC 3261 8.2.6.2). */
static ss_str_t make_tag(ss_sip_msg_t *msg, char *buf)
{
	const ss_sip_name_addr_t *from = parser->addr(msg, SS_SIP_HDR_FROM, 0);
	const ss_sip_cseq_t *cseq = parser->cseq(msg);
	ss_str_t parts[3] = {parser->call_id(msg),
			     from ? from->tag : SS_STR_NULL,
			     cseq ? cseq->method_str : SS_STR_NULL};
	uint64_t h = 14695981039346656037ull;

	for (int p = 0; p < 3; p++)
		for (size_t i = 0; i < parts[p].len; i++)
			h = (h ^ (unsigned char)parts[p].s[i]) *
			    1099511628211ull;
	snprintf(buf, 17, "%016llx", (unsigned long long)h);
	return (ss_str_t){buf, 16};
}

static uint16_t addr_port(const ss_sip_addr_t *a)
{
	if (a->sa.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
}

static void set_port(ss_sip_addr_t *a, uint16_t port)
{
	if (a->sa.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->sa)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&a->sa)->sin_port = htons(port);
}

/*
 * Where a response goes (RFC 3261 18.2.2, RFC 3581 4): over the connection
 * the request came on for streams; for UDP to the source address, on the
 * source port when the client asked for rport, else on the Via port. Also
 * records received/rport in the top Via, which the response copies.
 */
static void response_dest(ss_sip_rx_t *rx, ss_sip_dest_t *dst)
{
	const ss_sip_packet_t *pkt = rx->pkt;
	const ss_sip_via_t *via = parser->via(rx->msg, 0);
	char ip[INET6_ADDRSTRLEN];

	dst->proto = pkt->proto;
	dst->addr = pkt->src;
	dst->conn_id = pkt->conn_id;
	if (!via)
		return;
	auth_addr_str(&pkt->src, ip, sizeof(ip));
	{
		bool add_received =
		    !via->received.s && !ss_str_caseeq_c(via->host, ip);
		int rport =
		    via->rport && !via->rport_value ? addr_port(&pkt->src) : -1;

		if (pkt->proto == SS_SIP_UDP && !via->rport)
			set_port(&dst->addr, via->port ? via->port : 5060);
		if (add_received || rport >= 0)
			parser->via_set_received(
			    rx->msg, add_received ? ss_str_c(ip) : SS_STR_NULL,
			    rport);
	}
}

/*
 * Answers an INVITE through its transaction (it absorbs retransmissions,
 * retransmits the answer on UDP and takes the ACK), everything else
 * statelessly (RFC 3261 8.2.7): a challenged REGISTER then leaves nothing
 * behind, where a transaction would keep its 401 for Timer J (32 s on
 * UDP), which is most of the memory a registration storm costs. A
 * retransmitted request is simply challenged again, with the same To tag.
 * Without a transaction layer everything is answered statelessly here.
 */
static void reply(ss_sip_rx_t *rx, unsigned code, ss_str_t extra)
{
	char buf[AUTH_REPLY_MAX], tag[17];
	ss_sip_resp_opts_t opts = {.extra_hdrs = extra};
	ss_sip_dest_t dst;
	ssize_t n;
	int rc;

	if (txn) {
		rc = rx->msg->method == SS_SIP_METHOD_INVITE
			 ? txn->reply_rx(rx, code, NULL, &opts)
			 : txn->reply_stateless(rx, code, NULL, &opts);
		if (rc)
			SS_LOG_INFO("sending %u: %s", code, strerror(-rc));
		return;
	}
	opts.to_tag = make_tag(rx->msg, tag);
	response_dest(rx, &dst);
	n = parser->build_response(rx->msg, code, NULL, &opts, buf,
				   sizeof(buf));
	if (n < 0) {
		SS_LOG_WARN("%u to %.*s does not fit in %d bytes", code,
			    SS_STR_ARG(rx->msg->method_str), AUTH_REPLY_MAX);
		return;
	}
	rc = transport->send(&dst, buf, (size_t)n);
	if (rc)
		SS_LOG_INFO("sending %u: %s", code, strerror(-rc));
}

static void send_challenge(ss_sip_rx_t *rx, bool reg, ss_str_t realm,
			   bool stale)
{
	char hdrs[1024];
	int n = auth_challenge(&auth_g, realm, stale, !reg, hdrs, sizeof(hdrs));

	if (n < 0) {
		SS_LOG_WARN("cannot challenge for realm '%.*s': %s",
			    SS_STR_ARG(realm), strerror(-n));
		return;
	}
	reply(rx, reg ? 401 : 407, (ss_str_t){hdrs, (size_t)n});
}

/* Tries each credentials header in turn until one is for our realm. */
static ss_auth_result_t check(ss_sip_rx_t *rx, bool reg, ss_str_t realm,
			      ss_auth_identity_t *who)
{
	ss_sip_msg_t *msg = rx->msg;
	ss_auth_request_t req = {
	    .method = msg->method_str,
	    .uri = msg->ruri_str,
	    .realm = realm,
	    .src = &rx->pkt->src,
	};
	ss_sip_hdr_id_t id =
	    reg ? SS_SIP_HDR_AUTHORIZATION : SS_SIP_HDR_PROXY_AUTHORIZATION;
	ss_auth_result_t res = SS_AUTH_NO_CREDENTIALS;

	for (ss_sip_hdr_t *h = parser->hdr(msg, id);
	     h && res == SS_AUTH_NO_CREDENTIALS; h = parser->hdr_next(msg, h)) {
		req.credentials = h->value;
		res = auth_verify(&auth_g, &req, who);
	}
	if (res == SS_AUTH_NO_CREDENTIALS)
		AUTH_INC(auth_g.stats.no_credentials);
	return res;
}

/* The authenticated user must be the user part of the identity URI. */
static bool same_user(const ss_sip_uri_t *uri, const ss_auth_identity_t *who)
{
	char user[SS_AUTH_NAME_MAX];
	size_t n;

	if (uri->user.len >= sizeof(user))
		return false;
	n = ss_sip_unescape(user, uri->user);
	return n == strlen(who->user) && memcmp(user, who->user, n) == 0;
}

ss_bus_verdict_t auth_on_request(ss_topic_t topic, void *m, void *arg)
{
	ss_sip_rx_t *rx = m;
	ss_sip_msg_t *msg = rx->msg;
	const ss_sip_name_addr_t *to, *id;
	char realm[SS_AUTH_NAME_MAX];
	ss_auth_result_t res;
	bool reg;

	(void)topic;
	(void)arg;
	last_auth.msg = NULL;
	if (msg->method == SS_SIP_METHOD_ACK ||
	    msg->method == SS_SIP_METHOD_CANCEL)
		return SS_BUS_CONTINUE;
	reg = msg->method == SS_SIP_METHOD_REGISTER;
	to = parser->addr(msg, SS_SIP_HDR_TO, 0);
	id = reg ? to : parser->addr(msg, SS_SIP_HDR_FROM, 0);
	/* The parser answers 400 to requests without them. */
	if (!to || !id)
		return SS_BUS_CONTINUE;
	if (!auth_required(&auth_g, msg->method_str, id->uri.host,
			   to->tag.s != NULL, realm, sizeof(realm)))
		return SS_BUS_CONTINUE;
	res = check(rx, reg, ss_str_c(realm), &last_auth.who);
	if (res == SS_AUTH_OK) {
		const auth_conf_t *conf =
		    __atomic_load_n(&auth_g.conf, __ATOMIC_ACQUIRE);

		if (!conf->check_identity ||
		    same_user(&id->uri, &last_auth.who)) {
			last_auth.msg = msg;
			return SS_BUS_CONTINUE;
		}
		SS_LOG_NOTICE("%.*s: user %s may not act for %.*s",
			      SS_STR_ARG(msg->method_str), last_auth.who.user,
			      SS_STR_ARG(id->uri.raw));
		reply(rx, 403, SS_STR_NULL);
	} else {
		send_challenge(rx, reg, ss_str_c(realm),
			       res == SS_AUTH_STALE || res == SS_AUTH_REPLAY);
	}
	rx->handled_by = "digest_auth";
	return SS_BUS_STOP;
}
