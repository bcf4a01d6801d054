/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Building what the ALG sends as a UA on either leg: requests inside a
 * dialog (and our first INVITE, which uses the same shape), the ACK of a
 * 2xx, the dialog state a 2xx gives a UAC, and destinations from URIs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/log.h>

#include "b2b_int.h"

void b2b_put(b2b_wbuf_t *w, const char *s, size_t n)
{
	if (w->len + n <= w->size)
		memcpy(w->p + w->len, s, n);
	w->len += n;
}

void b2b_put_str(b2b_wbuf_t *w, ss_str_t s)
{
	if (s.len)
		b2b_put(w, s.s, s.len);
}

void b2b_put_c(b2b_wbuf_t *w, const char *s)
{
	b2b_put(w, s, strlen(s));
}

void b2b_putf(b2b_wbuf_t *w, const char *fmt, ...)
{
	size_t room = w->len < w->size ? w->size - w->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? w->p + w->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n;
}

char *b2b_strndup(ss_str_t s)
{
	char *d = malloc(s.len + 1);

	if (d) {
		if (s.len)
			memcpy(d, s.s, s.len);
		d[s.len] = '\0';
	}
	return d;
}

void b2b_put_name_addr(b2b_wbuf_t *w, const ss_sip_name_addr_t *na)
{
	const ss_sip_param_t *p;

	if (na->display.len) {
		b2b_put(w, "\"", 1);
		b2b_put_str(w, na->display);
		b2b_put(w, "\" ", 2);
	}
	b2b_put(w, "<", 1);
	b2b_put_str(w, na->uri.raw);
	b2b_put(w, ">", 1);
	for (p = na->params; p; p = p->next) {
		if (ss_str_caseeq_c(p->name, "tag"))
			continue;
		b2b_put(w, ";", 1);
		b2b_put_str(w, p->name);
		if (p->value.s) {
			b2b_put(w, "=", 1);
			b2b_put_str(w, p->value);
		}
	}
}

static ss_sip_proto_t proto_of(const ss_sip_uri_t *uri)
{
	if (uri->scheme == SS_SIP_URI_SIPS ||
	    ss_str_caseeq_c(uri->transport, "tls"))
		return SS_SIP_TLS;
	if (ss_str_caseeq_c(uri->transport, "tcp"))
		return SS_SIP_TCP;
	return SS_SIP_UDP;
}

int b2b_dest_from_uri(const ss_sip_uri_t *uri, ss_sip_dest_t *dst)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&dst->addr.sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&dst->addr.sa;
	ss_str_t host = uri->host;
	char ip[INET6_ADDRSTRLEN];
	uint16_t port;

	if (uri->scheme != SS_SIP_URI_SIP && uri->scheme != SS_SIP_URI_SIPS)
		return -EINVAL;
	if (uri->host_type == SS_SIP_HOST_NAME)
		return -EAGAIN;
	memset(dst, 0, sizeof(*dst));
	dst->proto = proto_of(uri);
	port = uri->port ? uri->port : dst->proto == SS_SIP_TLS ? 5061 : 5060;
	if (uri->host_type == SS_SIP_HOST_IPV6 && host.len >= 2) {
		host.s++;
		host.len -= 2;
	}
	if (host.len >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, host.s, host.len);
	ip[host.len] = '\0';
	if (uri->host_type == SS_SIP_HOST_IPV4 &&
	    inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		dst->addr.len = sizeof(*sin);
		return 0;
	}
	if (uri->host_type == SS_SIP_HOST_IPV6 &&
	    inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		dst->addr.len = sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

int b2b_contact_for(const ss_sip_dest_t *dst, char *buf, size_t size)
{
	const ss_sip_listener_info_t *l =
	    b2b_g.transport->listener_for(dst->proto, dst->addr.sa.ss_family);
	int n;

	if (!l)
		return -ENETUNREACH;
	n = snprintf(buf, size, "<sip:b2bua@%s:%u%s>", l->host, l->port,
		     dst->proto == SS_SIP_TCP	? ";transport=tcp"
		     : dst->proto == SS_SIP_TLS ? ";transport=tls"
						: "");
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

/* The dialog lines every request of a leg carries, after the start line. */
static void put_dialog(b2b_wbuf_t *w, const b2b_leg_t *lg, uint32_t cseq,
		       const char *method)
{
	if (lg->routes)
		b2b_putf(w, "Route: %s\r\n", lg->routes);
	b2b_putf(w,
		 "Max-Forwards: %u\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
		 "CSeq: %u %s\r\n",
		 lg->max_fwd ? lg->max_fwd : 70u, lg->local_hdr, lg->remote_hdr,
		 lg->call_id, cseq, method);
}

static void put_body(b2b_wbuf_t *w, ss_str_t ctype, ss_str_t body)
{
	if (body.len) {
		b2b_put_c(w, "Content-Type: ");
		b2b_put_str(w, ctype);
		b2b_put(w, "\r\n", 2);
	}
	b2b_putf(w, "Content-Length: %zu\r\n\r\n", body.len);
	b2b_put_str(w, body);
}

int b2b_leg_send(b2b_call_t *c, b2b_leg_id_t leg, const char *method,
		 ss_str_t extra, ss_str_t ctype, ss_str_t body,
		 ss_txn_response_fn fn, void *arg, ss_sip_txn_t **out)
{
	b2b_loop_t *bl = c->bl;
	b2b_leg_t *lg = &c->leg[leg];
	b2b_wbuf_t w = {bl->buf, B2B_BUF_SIZE, 0};
	ss_sip_error_t perr;

	b2b_putf(&w, "%s %s SIP/2.0\r\n", method, lg->remote_target);
	put_dialog(&w, lg, ++lg->local_cseq, method);
	if (!strcmp(method, "INVITE"))
		b2b_putf(&w, "Contact: %s\r\n", lg->contact);
	b2b_put_str(&w, extra);
	put_body(&w, ctype, body);
	if (w.len > w.size)
		return -ENOSPC;
	if (b2b_g.parser->parse(bl->txmsg, bl->buf, w.len, &perr) < 0) {
		SS_LOG_WARN("call %llu: the %s we built does not parse: %s",
			    (unsigned long long)c->id, method, perr.reason);
		return -EINVAL;
	}
	return b2b_g.txn->client_create(bl->txmsg, &lg->dest, fn, arg, out);
}

int b2b_leg_ack(b2b_call_t *c, b2b_leg_id_t leg, uint32_t cseq, ss_str_t body)
{
	b2b_leg_t *lg = &c->leg[leg];
	b2b_wbuf_t w = {c->bl->buf, B2B_BUF_SIZE, 0};
	const ss_sip_listener_info_t *l = b2b_g.transport->listener_for(
	    lg->dest.proto, lg->dest.addr.sa.ss_family);
	const char *proto = lg->dest.proto == SS_SIP_TCP   ? "TCP"
			    : lg->dest.proto == SS_SIP_TLS ? "TLS"
							   : "UDP";
	char *ack;

	if (!l)
		return -ENETUNREACH;
	b2b_putf(&w, "ACK %s SIP/2.0\r\n", lg->remote_target);
	b2b_putf(&w, "Via: SIP/2.0/%s %s:%u;branch=z9hG4bKb2%016llx;rport\r\n",
		 proto, l->host, l->port, (unsigned long long)b2b_rand(c->bl));
	put_dialog(&w, lg, cseq, "ACK");
	put_body(&w, SS_STR("application/sdp"), body);
	if (w.len > w.size)
		return -ENOSPC;
	ack = malloc(w.len);
	if (!ack)
		return -ENOMEM;
	memcpy(ack, w.p, w.len);
	free(lg->ack);
	lg->ack = ack;
	lg->ack_len = w.len;
	lg->ack_cseq = cseq;
	lg->ack_deferred = false;
	return b2b_g.txn->send(&lg->dest, lg->ack, lg->ack_len);
}

/* The route set of a UAC: the Record-Route values in reverse order. */
static char *route_set(ss_sip_msg_t *msg)
{
	const ss_sip_value_t *vals[64];
	ss_sip_iter_t it = SS_SIP_ITER_INIT;
	const ss_sip_value_t *v;
	b2b_wbuf_t w = {NULL, 0, 0};
	unsigned n = 0, i;
	char *s;

	while (n < 64 && (v = b2b_g.parser->next_value(
			      msg, SS_SIP_HDR_RECORD_ROUTE, &it)))
		vals[n++] = v;
	if (!n)
		return NULL;
	for (i = 0; i < n; i++)
		w.size += vals[i]->raw.len + 2;
	s = malloc(w.size + 1);
	if (!s)
		return NULL;
	w.p = s;
	for (i = n; i-- > 0;) {
		b2b_put_str(&w, vals[i]->raw);
		if (i)
			b2b_put(&w, ", ", 2);
	}
	s[w.len] = '\0';
	return s;
}

static int set_str(char **dst, ss_str_t v)
{
	char *s = b2b_strndup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int b2b_leg_from_response(b2b_call_t *c, b2b_leg_id_t leg, ss_sip_msg_t *msg)
{
	const ss_sip_parser_api_t *p = b2b_g.parser;
	const ss_sip_name_addr_t *to = p->addr(msg, SS_SIP_HDR_TO, 0);
	const ss_sip_name_addr_t *ct = p->addr(msg, SS_SIP_HDR_CONTACT, 0);
	const ss_sip_hdr_t *toh = p->hdr(msg, SS_SIP_HDR_TO);
	b2b_leg_t *lg = &c->leg[leg];

	if (!to || !toh || !to->tag.s)
		return -EINVAL;
	if (set_str(&lg->remote_hdr, toh->value) < 0 ||
	    set_str(&lg->remote_tag, to->tag) < 0 ||
	    (ct && set_str(&lg->remote_target, ct->uri.raw) < 0))
		return -ENOMEM;
	free(lg->routes);
	lg->routes = route_set(msg);
	lg->established = true;
	b2b_leg_set_dest(c, leg, &c->first_dest);
	return 0;
}

/* The URI of the first name-addr in a Route list ("<sip:x;lr>, ..."). */
static ss_str_t first_route_uri(const char *routes)
{
	const char *lt = strchr(routes, '<'), *gt;

	if (!lt || !(gt = strchr(lt, '>')))
		return SS_STR_NULL;
	return (ss_str_t){lt + 1, (size_t)(gt - lt - 1)};
}

void b2b_leg_set_dest(b2b_call_t *c, b2b_leg_id_t leg,
		      const ss_sip_dest_t *fallback)
{
	b2b_leg_t *lg = &c->leg[leg];
	ss_str_t text = lg->routes ? first_route_uri(lg->routes)
				   : ss_str_c(lg->remote_target);
	ss_sip_arena_t a;
	ss_sip_uri_t uri;
	ss_sip_dest_t d = *fallback;
	int err = -EINVAL;

	b2b_g.parser->arena_init(&a);
	if (text.len && b2b_g.parser->uri_parse(&a, text, &uri) == 0)
		err = b2b_dest_from_uri(&uri, &d);
	b2b_g.parser->arena_fini(&a);
	lg->dest = err == 0 ? d : *fallback;
}

char *b2b_in_resp_hdrs(b2b_call_t *c, ss_sip_msg_t *req)
{
	const ss_sip_parser_api_t *p = b2b_g.parser;
	const ss_sip_hdr_t *h;
	b2b_wbuf_t w = {NULL, 0, 0};
	char *s;
	int pass;

	/* Two passes: measure, then write. */
	for (pass = 0; pass < 2; pass++) {
		w.len = 0;
		b2b_putf(&w, "Contact: %s\r\n", c->leg[B2B_IN].contact);
		for (h = p->hdr(req, SS_SIP_HDR_RECORD_ROUTE); h;
		     h = p->hdr_next(req, h)) {
			b2b_put_c(&w, "Record-Route: ");
			b2b_put_str(&w, h->value);
			b2b_put(&w, "\r\n", 2);
		}
		if (pass)
			break;
		s = malloc(w.len + 1);
		if (!s)
			return NULL;
		w.p = s;
		w.size = w.len;
	}
	w.p[w.len] = '\0';
	return w.p;
}
