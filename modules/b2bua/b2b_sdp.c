/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SDP through the relay: reading the streams a side announces, rewriting a
 * body so that every address and port in it is the relay's, and keeping the
 * call's relay sessions (one per active m= line) in step with each offer
 * and answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sipserver/log.h>

#include "b2b_int.h"

static int conn_family(const ss_sdp_conn_t *conn)
{
	if (!ss_str_caseeq_c(conn->nettype, "IN"))
		return -1;
	if (ss_str_caseeq_c(conn->addrtype, "IP4"))
		return AF_INET;
	if (ss_str_caseeq_c(conn->addrtype, "IP6"))
		return AF_INET6;
	return -1;
}

/* The c= address as a socket address with port; numeric unicast only:
 * the relay has no resolver, and multicast ("/ttl") is not relayed. */
static int conn_addr(const ss_sdp_conn_t *conn, int family, uint16_t port,
		     ss_sip_addr_t *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->sa;
	char ip[INET6_ADDRSTRLEN];
	int fam = conn_family(conn);

	if (fam < 0 || (family && fam != family) || !conn->addr.len ||
	    conn->addr.len >= sizeof(ip) ||
	    memchr(conn->addr.s, '/', conn->addr.len))
		return -EPROTONOSUPPORT;
	memcpy(ip, conn->addr.s, conn->addr.len);
	ip[conn->addr.len] = '\0';
	memset(out, 0, sizeof(*out));
	if (fam == AF_INET) {
		if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1 ||
		    IN_MULTICAST(ntohl(sin->sin_addr.s_addr)))
			return -EPROTONOSUPPORT;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		out->len = sizeof(*sin);
	} else {
		if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) != 1 ||
		    IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr))
			return -EPROTONOSUPPORT;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		out->len = sizeof(*sin6);
	}
	return 0;
}

static uint16_t rtcp_port(const ss_sdp_attr_t *attrs)
{
	const ss_sdp_attr_t *a = ss_sdp_attr_find(attrs, "rtcp");
	unsigned v = 0;
	size_t i;

	if (!a || !a->value.s)
		return 0;
	for (i = 0; i < a->value.len && a->value.s[i] >= '0' &&
		    a->value.s[i] <= '9' && v <= 65535;
	     i++)
		v = v * 10 + (unsigned)(a->value.s[i] - '0');
	return v <= 65535 ? (uint16_t)v : 0;
}

int b2b_sdp_read(const ss_sdp_t *sdp, int family, b2b_sdp_info_t *out)
{
	const ss_sdp_media_t *m;
	int err;

	out->n = 0;
	for (m = sdp->media; m; m = m->next) {
		const ss_sdp_conn_t *conn =
		    m->conn.line.s ? &m->conn : &sdp->conn;
		b2b_stream_t *s;

		if (out->n == B2B_MAX_STREAMS)
			return -E2BIG;
		s = &out->s[out->n++];
		memset(s, 0, sizeof(*s));
		if (!m->port)
			continue; /* disabled: no address needed */
		if (!conn->line.s || m->nports != 1)
			return -EPROTONOSUPPORT;
		err = conn_addr(conn, family, m->port, &s->addr);
		if (err < 0)
			return err;
		if (!family)
			family = s->addr.sa.ss_family;
		s->port = m->port;
		s->rtcp_port = rtcp_port(m->attrs);
	}
	return out->n ? 0 : -EPROTONOSUPPORT;
}

static bool line_starts(ss_str_t line, const char *prefix)
{
	size_t n = strlen(prefix);

	return line.len >= n && memcmp(line.s, prefix, n) == 0;
}

/* ICE would hand the peers each other's addresses around the relay. */
static bool line_dropped(ss_str_t line)
{
	return line_starts(line, "a=candidate:") ||
	       line_starts(line, "a=remote-candidates:") ||
	       line_starts(line, "a=end-of-candidates");
}

static void put_conn(b2b_wbuf_t *w, const b2b_sdp_out_t *out)
{
	b2b_putf(w, "c=IN %s %s\r\n", out->family == AF_INET6 ? "IP6" : "IP4",
		 out->host);
}

/* One line of the body, rewritten when it is one the relay owns; cur is
 * the index of the m= section the line is in (-1: session level). */
static void write_line(b2b_wbuf_t *w, const ss_sdp_t *sdp, ss_str_t line,
		       const ss_sdp_media_t *m, int cur,
		       const b2b_sdp_out_t *out)
{
	uint16_t port = cur >= 0 && (unsigned)cur < out->n ? out->port[cur] : 0;

	if (out->host && line.s == sdp->origin_line.s) {
		b2b_put(w, "o=", 2);
		b2b_put_str(w, sdp->o_user);
		b2b_putf(w, " %.*s %.*s IN %s %s\r\n",
			 SS_STR_ARG(sdp->o_sess_id),
			 SS_STR_ARG(sdp->o_sess_version),
			 out->family == AF_INET6 ? "IP6" : "IP4", out->host);
	} else if (out->host && (line.s == sdp->conn.line.s ||
				 (m && line.s == m->conn.line.s))) {
		put_conn(w, out);
	} else if (m && line.s == m->line.s) {
		b2b_put(w, "m=", 2);
		b2b_put_str(w, m->media);
		b2b_putf(w, " %u ", port);
		b2b_put_str(w, m->proto);
		if (m->fmts.len)
			b2b_put(w, " ", 1);
		b2b_put_str(w, m->fmts);
		b2b_put(w, "\r\n", 2);
	} else if (line_starts(line, "a=rtcp:")) {
		/* The relay's RTCP is always RTP + 1 on its own address. */
		if (cur >= 0 && port)
			b2b_putf(w, "a=rtcp:%u\r\n", port + 1u);
	} else if (!line_dropped(line)) {
		b2b_put_str(w, line);
		b2b_put(w, "\r\n", 2);
	}
}

ssize_t b2b_sdp_write(const ss_sdp_t *sdp, ss_str_t body,
		      const b2b_sdp_out_t *out, char *buf, size_t size)
{
	const char *p = body.s, *end = body.s + body.len;
	const ss_sdp_media_t *m = NULL, *next = sdp->media;
	b2b_wbuf_t w = {buf, size, 0};
	int cur = -1;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		ss_str_t line;

		if (le > p && le[-1] == '\r')
			le--;
		line = (ss_str_t){p, (size_t)(le - p)};
		p = nl ? nl + 1 : end;
		if (!line.len)
			continue;
		if (next && line.s == next->line.s) {
			m = next;
			next = next->next;
			cur++;
		}
		write_line(&w, sdp, line, m, cur, out);
	}
	return w.len > size ? -ENOSPC : (ssize_t)w.len;
}

bool b2b_has_sdp(ss_sip_msg_t *msg)
{
	const ss_sip_parser_api_t *p = b2b_g.parser;
	ss_sip_hdr_t *h = p->hdr(msg, SS_SIP_HDR_CONTENT_TYPE);
	const ss_sip_token_t *t;

	if (!msg->body.len || !h)
		return false;
	t = (const ss_sip_token_t *)p->hdr_values(msg, h);
	return t && ss_str_caseeq_c(t->value, "application/sdp");
}

unsigned b2b_sdp_error_code(int err)
{
	switch (err) {
	case -ENOSPC:
		return 503;
	case -EPROTO:
	case -EPROTONOSUPPORT:
	case -E2BIG:
	case -EAFNOSUPPORT:
	case -EINVAL:
		return 488;
	default:
		return 500;
	}
}

static void peer_of(const b2b_stream_t *s, ss_rtp_peer_t *peer)
{
	peer->addr = (const struct sockaddr *)&s->addr.sa;
	peer->len = s->addr.len;
	peer->rtcp_port = s->rtcp_port;
}

/* Session i exists with from's peer set, allocating it when new. */
static int stream_relay(b2b_call_t *c, unsigned i, const b2b_stream_t *s,
			b2b_leg_id_t from)
{
	ss_rtp_params_t prm = {0};
	ss_rtp_peer_t peer;

	peer_of(s, &peer);
	if (c->rtp[i])
		return b2b_g.rtp->set_peer(c->rtp[i], (ss_rtp_side_t)from,
					   &peer);
	prm.peer[from] = peer;
	prm.end = b2b_call_media_end;
	prm.arg = c;
	prm.tag = c->leg[B2B_IN].call_id;
	return b2b_g.rtp->alloc(&prm, &c->rtp[i]);
}

ssize_t b2b_sdp_relay(b2b_call_t *c, ss_sip_msg_t *msg, b2b_leg_id_t from)
{
	b2b_sdp_out_t out = {.host = NULL};
	b2b_sdp_info_t info;
	ss_rtp_local_t loc;
	ss_sdp_t sdp;
	unsigned i;
	int err;

	if (!b2b_has_sdp(msg))
		return 0;
	if (b2b_g.parser->sdp_parse(&msg->arena, msg->body, &sdp) < 0)
		return -EPROTO;
	err = b2b_sdp_read(&sdp, 0, &info);
	if (err < 0)
		return err;
	out.n = info.n;
	for (i = 0; i < info.n; i++) {
		if (info.s[i].port) {
			err = stream_relay(c, i, &info.s[i], from);
			if (err < 0)
				return err;
			if (i >= c->nstreams)
				c->nstreams = i + 1;
		}
		if (!c->rtp[i])
			continue;
		b2b_g.rtp->local(c->rtp[i], (ss_rtp_side_t)b2b_other(from),
				 &loc);
		out.host = loc.host;
		out.family = loc.family;
		if (info.s[i].port)
			out.port[i] = loc.rtp_port;
	}
	return b2b_sdp_write(&sdp, msg->body, &out, c->bl->sdp, B2B_SDP_MAX);
}

void b2b_sdp_release(b2b_call_t *c)
{
	for (unsigned i = 0; i < B2B_MAX_STREAMS; i++) {
		b2b_g.rtp->free(c->rtp[i]);
		c->rtp[i] = NULL;
	}
	c->nstreams = 0;
}
