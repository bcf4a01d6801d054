/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parser module: turns each "sip.raw.in" packet into a message, stamps
 * received/rport on the top Via of requests, publishes "sip.request.in" or
 * "sip.response.in", answers malformed requests itself (400/413/416/505)
 * and drops what cannot be answered. Provides the `parser` service.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>

#include <sipserver/sipserver.h>
#include <sipserver/sip/transport.h>

#include "parser_int.h"

#define SHARDS 64 /* counter shards, indexed by worker loop */

/* One cache line per loop, so counting never bounces lines between the
 * workers; the console sums the shards. */
typedef struct counters {
	alignas(64) atomic_uint_fast64_t v[4];
} counters_t;

enum { C_REQ, C_RESP, C_MALFORMED, C_DROPPED };

/* Written in load/reload on the control loop while no worker runs our
 * subscription (the core registers it after load and quiesces on reload);
 * read-only on the workers. */
static struct {
	ss_topic_t req_topic, resp_topic;
	const ss_sip_transport_api_t *transport;
	size_t max_size;
	ss_sip_parser_api_t api;
	counters_t cnt[SHARDS];
} P;

static void count(int which)
{
	ss_loop_t *loop = ss_loop_current();
	unsigned shard = loop ? ss_loop_index(loop) % SHARDS : 0;

	atomic_fetch_add_explicit(&P.cnt[shard].v[which], 1,
				  memory_order_relaxed);
}

static void parser_stats(ss_sip_parser_stats_t *out)
{
	uint64_t sum[4] = {0};

	for (unsigned s = 0; s < SHARDS; s++)
		for (unsigned i = 0; i < 4; i++)
			sum[i] += atomic_load_explicit(&P.cnt[s].v[i],
						       memory_order_relaxed);
	out->requests = sum[C_REQ];
	out->responses = sum[C_RESP];
	out->malformed = sum[C_MALFORMED];
	out->dropped = sum[C_DROPPED];
}

/* Dotted quad of 4 bytes into ip (at least INET_ADDRSTRLEN); what
 * inet_ntop writes, without its sprintf, once per request. */
static void ipv4_text(const unsigned char *b, char *ip)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (v >= 100)
			*ip++ = (char)('0' + v / 100);
		if (v >= 10)
			*ip++ = (char)('0' + v / 10 % 10);
		*ip++ = (char)('0' + v % 10);
		*ip++ = i < 3 ? '.' : '\0';
	}
}

/* The source address as text (IPv4-mapped IPv6 shown as IPv4) and port. */
static int src_text(const ss_sip_addr_t *a, char *ip, size_t size,
		    unsigned *port)
{
	if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&a->sa;

		*port = ntohs(in->sin_port);
		if (size < INET_ADDRSTRLEN)
			return -EINVAL;
		ipv4_text((const unsigned char *)&in->sin_addr, ip);
		return 0;
	}
	if (a->sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&a->sa;

		*port = ntohs(in6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12],
					 ip, (socklen_t)size)
				   ? 0
				   : -EINVAL;
		return inet_ntop(AF_INET6, &in6->sin6_addr, ip, (socklen_t)size)
			   ? 0
			   : -EINVAL;
	}
	return -EAFNOSUPPORT;
}

/* True when the Via host is literally the address the packet came from. */
static bool host_is(ss_str_t host, const char *ip)
{
	char h[INET6_ADDRSTRLEN + 2];
	unsigned char a[16], b[16];
	int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;

	if (host.len && host.s[0] == '[') {
		host.s++;
		host.len -= 2;
	}
	if (host.len >= sizeof(h))
		return false;
	/* The usual case, a client writing its own address as we do. */
	if (host.len == strlen(ip) && memcmp(host.s, ip, host.len) == 0)
		return true;
	memcpy(h, host.s, host.len);
	h[host.len] = '\0';
	return inet_pton(fam, h, a) == 1 && inet_pton(fam, ip, b) == 1 &&
	       memcmp(a, b, fam == AF_INET ? 4 : 16) == 0;
}

/* RFC 3261 18.2.1 and RFC 3581 4: received= when the sent-by is not the
 * source (or rport asks for it), rport=<source port> when rport is there. */
static void stamp_via(ss_sip_msg_t *msg, const ss_sip_packet_t *pkt)
{
	const ss_sip_via_t *via = ss_sip_msg_via(msg, 0);
	char ip[INET6_ADDRSTRLEN];
	unsigned port;
	bool differs;

	if (!via || src_text(&pkt->src, ip, sizeof(ip), &port) < 0)
		return;
	differs = !host_is(via->host, ip);
	if (!differs && !via->rport)
		return;
	if (ss_sip_msg_via_set_received(msg, ss_str_c(ip),
					via->rport ? (int)port : -1) < 0)
		SS_LOG_WARN("cannot stamp Via of request from %s:%u", ip, port);
}

/* A stable To tag for stateless error answers, so that retransmissions
 * of the same bad request get the same response (FNV-1a of its keys). */
static void error_tag(ss_sip_msg_t *msg, char tag[17])
{
	static const ss_sip_hdr_id_t keys[] = {
	    SS_SIP_HDR_VIA, SS_SIP_HDR_CALL_ID, SS_SIP_HDR_CSEQ,
	    SS_SIP_HDR_FROM};
	uint64_t h = 0xcbf29ce484222325ull;

	for (unsigned k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const ss_sip_hdr_t *hd = ss_sip_msg_hdr(msg, keys[k]);

		for (size_t i = 0; hd && i < hd->value.len; i++)
			h = (h ^ (unsigned char)hd->value.s[i]) *
			    0x100000001b3ull;
	}
	for (int i = 15; i >= 0; i--, h >>= 4)
		tag[i] = "0123456789abcdef"[h & 15];
	tag[16] = '\0';
}

/*
 * Answers a request that failed parsing or validation. Its Via cannot be
 * trusted, so the answer goes back where the packet came from (over its
 * connection for streams). Without any Via there is nothing the client
 * could match the answer to, and an ACK is never answered.
 */
static void reject(ss_sip_msg_t *msg, const ss_sip_packet_t *pkt,
		   const ss_sip_error_t *err)
{
	char tag[17], out[4096];
	ss_sip_resp_opts_t opts = {.to_tag = {tag, 16}};
	ss_sip_dest_t dst = {
	    .proto = pkt->proto, .addr = pkt->src, .conn_id = pkt->conn_id};
	ssize_t n;

	count(C_MALFORMED);
	SS_LOG_DEBUG("rejecting request: %u %s", err->status, err->reason);
	if (!P.transport || !ss_sip_msg_hdr(msg, SS_SIP_HDR_VIA) ||
	    msg->method == SS_SIP_METHOD_ACK)
		return;
	error_tag(msg, tag);
	n = ss_sip_build_response(msg, err->status, err->reason, &opts, out,
				  sizeof(out));
	if (n < 0 || P.transport->send(&dst, out, (size_t)n) < 0)
		SS_LOG_DEBUG("could not answer a malformed request");
}

static ss_bus_verdict_t on_raw(ss_topic_t topic, void *arg_msg, void *arg)
{
	const ss_sip_packet_t *pkt = arg_msg;
	ss_sip_error_t err;
	ss_sip_msg_t msg;
	ss_sip_rx_t rx = {.msg = &msg, .pkt = pkt};
	int rc;

	ss_sip_msg_init(&msg);
	rc = ss_sip_msg_parse(&msg, pkt->buf, pkt->len, &err);
	if (rc == 0 && pkt->len > P.max_size) {
		err.status = 413;
		err.reason = "Request Entity Too Large";
		rc = -EMSGSIZE;
	}
	if (rc == 0)
		rc = ss_sip_msg_check(&msg, &err);
	if (rc < 0 && msg.is_request) {
		reject(&msg, pkt, &err);
	} else if (rc < 0) {
		count(C_DROPPED);
	} else if (msg.is_request) {
		count(C_REQ);
		stamp_via(&msg, pkt);
		ss_bus_publish(P.req_topic, &rx);
	} else {
		count(C_RESP);
		ss_bus_publish(P.resp_topic, &rx);
	}
	ss_sip_msg_fini(&msg);
	/* Later "sip.raw.in" subscribers (captures) still see the packet. */
	return SS_BUS_CONTINUE;
}

static ss_cli_status_t cli_show(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	ss_sip_parser_stats_t st;

	if (argc)
		return SS_CLI_USAGE;
	parser_stats(&st);
	ss_cli_printf(cli, "requests parsed:    %llu\n",
		      (unsigned long long)st.requests);
	ss_cli_printf(cli, "responses parsed:   %llu\n",
		      (unsigned long long)st.responses);
	ss_cli_printf(cli, "requests rejected:  %llu\n",
		      (unsigned long long)st.malformed);
	ss_cli_printf(cli, "dropped (unparsed): %llu\n",
		      (unsigned long long)st.dropped);
	ss_cli_printf(cli, "max message size:   %zu\n", P.max_size);
	return SS_CLI_OK;
}

static int configure(const ss_cfg_t *cfg)
{
	const ss_cfg_node_t *n = ss_cfg_first(cfg, "limits");

	P.max_size = n ? (size_t)ss_cfg_int(n, "max_size") : 65535;
	return 0;
}

static ss_load_result_t parser_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	int rc;

	configure(cfg);
	P.req_topic = ss_bus_topic("sip.request.in");
	P.resp_topic = ss_bus_topic("sip.response.in");
	if (P.req_topic < 0 || P.resp_topic < 0) {
		SS_LOG_ERR("cannot create the sip.*.in topics");
		return SS_LOAD_FAIL;
	}
	P.transport = ss_service_get("transport", SS_SIP_TRANSPORT_API_VERSION);
	if (!P.transport)
		SS_LOG_NOTICE("no transport service: malformed requests will "
			      "be counted, not answered");
	P.api = ss_sip_parser_api;
	P.api.stats = parser_stats;
	rc = ss_service_provide(self, "parser", SS_SIP_PARSER_API_VERSION,
				&P.api);
	if (rc < 0) {
		SS_LOG_ERR("cannot provide the parser service: %s",
			   strerror(-rc));
		return SS_LOAD_FAIL;
	}
	return SS_LOAD_OK;
}

static int parser_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	return configure(cfg);
}

static void parser_unload(ss_module_t *self)
{
	P.transport = NULL;
}

static const ss_cfg_attr_t limits_attrs[] = {
    {.name = "max_size",
     .type = SS_CFG_INT,
     .def = "65535",
     .min = 512,
     .max = 1 << 24,
     .help = "largest message accepted, in bytes; bigger requests get "
	     "413"},
    {.name = NULL},
};

static const ss_cfg_elem_t parser_config[] = {
    {.name = "limits", .attrs = limits_attrs, .help = "message size limit"},
    {.name = NULL},
};

static const ss_cli_cmd_t parser_commands[] = {
    {.words = "sip show parser",
     .args = "",
     .summary = "SIP parser counters",
     .fn = cli_show},
    {.words = NULL},
};

static const ss_bus_sub_t parser_subs[] = {
    {.topic = "sip.raw.in", .priority = 0, .fn = on_raw},
    {.topic = NULL},
};

static const char *const parser_optional[] = {"transport", NULL};
static const char *const parser_provides[] = {"parser", NULL};

SS_MODULE(parser) = {
    .abi = SS_MODULE_ABI,
    .name = "parser",
    .version = "1.0",
    .description = "RFC 3261 message parser and serializer",
    .optional = parser_optional,
    .provides = parser_provides,
    .load = parser_load,
    .reload = parser_reload,
    .unload = parser_unload,
    .commands = parser_commands,
    .subscriptions = parser_subs,
    .config = parser_config,
};
