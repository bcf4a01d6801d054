/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What identifies a transaction: the matching keys taken from a message
 * (RFC 3261 17.1.3 and 17.2.3 with the RFC 2543 fallback), the branches and
 * To tags we generate, and where a response to a request goes.
 */
#include "txn_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

uint32_t txn_hash(ss_str_t s)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < s.len; i++)
		h = (h ^ (unsigned char)s.s[i]) * 16777619u;
	return h;
}

int txn_key_from_msg(ss_sip_msg_t *msg, txn_key_t *k)
{
	const ss_sip_parser_api_t *p = txn_g.parser;
	const ss_sip_via_t *via = p->via(msg, 0);
	const ss_sip_cseq_t *cseq = p->cseq(msg);
	const ss_sip_name_addr_t *from, *to;

	memset(k, 0, sizeof(*k));
	if (!via || !cseq)
		return -EINVAL;
	k->branch = via->branch;
	k->rfc3261 = via->branch.len > TXN_MAGIC_LEN &&
		     memcmp(via->branch.s, TXN_MAGIC, TXN_MAGIC_LEN) == 0;
	k->host = via->host;
	k->port = via->port;
	k->cseq = cseq->seq;
	if (msg->is_request) {
		k->method = msg->method;
		k->method_str = msg->method_str;
	} else {
		k->method = cseq->method;
		k->method_str = cseq->method_str;
	}
	if (k->rfc3261 || !msg->is_request)
		return 0;
	/* RFC 2543 peers: the transaction is named by the request's own
	 * fields. Those of a retransmission are byte-identical. */
	from = p->addr(msg, SS_SIP_HDR_FROM, 0);
	to = p->addr(msg, SS_SIP_HDR_TO, 0);
	k->call_id = p->call_id(msg);
	k->from_tag = from ? from->tag : SS_STR_NULL;
	k->to_tag = to ? to->tag : SS_STR_NULL;
	k->ruri = msg->ruri_str;
	k->top_via = via->v.raw;
	return k->call_id.s ? 0 : -EINVAL;
}

uint32_t txn_key_hash(const txn_key_t *k)
{
	return txn_hash(k->rfc3261 || !k->call_id.s ? k->branch : k->call_id);
}

bool txn_method_eq(const txn_key_t *a, ss_sip_method_t m, ss_str_t m_str)
{
	if (a->method != m)
		return false;
	return m != SS_SIP_METHOD_UNKNOWN || ss_str_eq(a->method_str, m_str);
}

static void put_hex(char *p, uint64_t v, unsigned digits)
{
	while (digits--) {
		p[digits] = "0123456789abcdef"[v & 15];
		v >>= 4;
	}
}

size_t txn_branch_make(txn_loop_t *lt, char *buf)
{
	int n;

	memcpy(buf, TXN_BRANCH_MARK, TXN_BRANCH_MARK_LEN);
	put_hex(buf + TXN_BRANCH_MARK_LEN, lt->index, 3);
	put_hex(buf + TXN_BRANCH_MARK_LEN + 3, txn_g.salt, 8);
	n = snprintf(buf + TXN_BRANCH_MARK_LEN + 11,
		     TXN_BRANCH_MAX - TXN_BRANCH_MARK_LEN - 11, "%llx",
		     (unsigned long long)++lt->seq);
	return TXN_BRANCH_MARK_LEN + 11 + (size_t)n;
}

static int hex_val(ss_str_t s, size_t off, unsigned digits, uint32_t *out)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < digits; i++) {
		int d = ss_sip_hexval((unsigned char)s.s[off + i]);

		if (d < 0)
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

int txn_branch_loop(ss_str_t branch)
{
	uint32_t idx, salt;

	if (branch.len <= TXN_BRANCH_MARK_LEN + 11 ||
	    memcmp(branch.s, TXN_BRANCH_MARK, TXN_BRANCH_MARK_LEN) != 0 ||
	    hex_val(branch, TXN_BRANCH_MARK_LEN, 3, &idx) ||
	    hex_val(branch, TXN_BRANCH_MARK_LEN + 3, 8, &salt) ||
	    salt != txn_g.salt || idx >= txn_g.nloops)
		return -1;
	return (int)idx;
}

/* xorshift64*: tags need to be unpredictable enough to be unique
 * (RFC 3261 19.3), not cryptographic; the state is seeded at start. */
void txn_tag_make(txn_loop_t *lt, char *buf)
{
	uint64_t x = lt->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	lt->rng = x;
	put_hex(buf, x * 0x2545f4914f6cdd1dull, TXN_TAG_LEN);
	buf[TXN_TAG_LEN] = '\0';
}

static void addr_set_port(ss_sip_addr_t *a, uint16_t port)
{
	if (a->sa.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->sa)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&a->sa)->sin_port = htons(port);
}

/*
 * RFC 3261 18.2.2 with RFC 3581: over a stream, back on the request's
 * connection (the transport falls back to the source address if it is
 * gone); over UDP to the source address, at the source port when the
 * client asked for rport, else at the sent-by port. maddr (multicast) is
 * not supported: the source address is used.
 */
void txn_response_dest(ss_sip_msg_t *msg, const ss_sip_packet_t *pkt,
		       ss_sip_dest_t *dst)
{
	const ss_sip_via_t *via = msg ? txn_g.parser->via(msg, 0) : NULL;

	memset(dst, 0, sizeof(*dst));
	dst->proto = pkt->proto;
	dst->addr = pkt->src;
	dst->conn_id = pkt->conn_id;
	if (pkt->proto != SS_SIP_UDP || !via || via->rport)
		return;
	addr_set_port(&dst->addr, via->port ? via->port : 5060);
}

const char *txn_addr_str(const ss_sip_addr_t *a, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->sa.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&a->sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else if (a->sa.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&a->sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(in->sin_port));
	} else {
		snprintf(buf, size, "?");
	}
	return buf;
}
