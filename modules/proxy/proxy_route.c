/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Routing information of the proxy: the domains it serves, whether a URI
 * names this proxy, Route preprocessing for strict and loose routers
 * (RFC 3261 16.4), Max-Forwards, Record-Route, static next hops, the
 * credentials consumed here and the numeric fast path of RFC 3263.
 */
#define _GNU_SOURCE
#include "proxy_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A small set: served domains are few, so a linear scan over names of
 * known length beats hashing on the hot path. */
struct proxy_domains {
	char **names;
	size_t *lens;
	unsigned count, cap;
};

proxy_domains_t *proxy_domains_new(void)
{
	return calloc(1, sizeof(proxy_domains_t));
}

int proxy_domains_add(proxy_domains_t *d, ss_str_t host)
{
	char canon[SS_SIP_HOST_MAX + 1];
	int len = proxy_g.parser->host_key(host, canon);

	if (len < 0)
		return len;
	if (proxy_domains_has(d, host))
		return 0;
	if (d->count == d->cap) {
		unsigned cap = d->cap ? d->cap * 2 : 8;
		char **n = realloc(d->names, cap * sizeof(*n));
		size_t *l;

		if (!n)
			return -ENOMEM;
		d->names = n;
		l = realloc(d->lens, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		d->lens = l;
		d->cap = cap;
	}
	d->names[d->count] = strdup(canon);
	if (!d->names[d->count])
		return -ENOMEM;
	d->lens[d->count++] = (size_t)len;
	return 0;
}

bool proxy_domains_has(const proxy_domains_t *d, ss_str_t host)
{
	char canon[SS_SIP_HOST_MAX + 1];
	int len;

	if (!d || (len = proxy_g.parser->host_key(host, canon)) < 0)
		return false;
	for (unsigned i = 0; i < d->count; i++)
		if (d->lens[i] == (size_t)len &&
		    memcmp(d->names[i], canon, (size_t)len) == 0)
			return true;
	return false;
}

void proxy_domains_free(proxy_domains_t *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->count; i++)
		free(d->names[i]);
	free(d->names);
	free(d->lens);
	free(d);
}

static bool uri_secure(const ss_sip_uri_t *uri)
{
	return uri->scheme == SS_SIP_URI_SIPS ||
	       ss_str_caseeq_c(uri->transport, "tls");
}

/* Whether one of our listeners has port. */
static bool port_is_ours(unsigned port)
{
	const ss_sip_listener_info_t *l;

	if (!proxy_g.tp)
		return false;
	for (unsigned i = 0; (l = proxy_g.tp->listener_at(i)); i++)
		if (l->port == port)
			return true;
	return false;
}

/* Whether host and port (0: any) name a served domain on one of our ports
 * or, asked of the transport, this server itself. */
static bool served(const proxy_conf_t *c, ss_str_t host, unsigned port)
{
	if (proxy_domains_has(c->domains, host))
		return !port || port_is_ours(port);
	return proxy_g.tp && proxy_g.tp->host_is_local(host, port);
}

bool proxy_uri_is_us(const proxy_conf_t *c, const ss_sip_uri_t *uri)
{
	if (!uri ||
	    (uri->scheme != SS_SIP_URI_SIP && uri->scheme != SS_SIP_URI_SIPS))
		return false;
	return served(c, uri->host,
		      uri->port		? uri->port
		      : uri_secure(uri) ? 5061
					: 5060);
}

bool proxy_uri_is_local(const proxy_conf_t *c, const ss_sip_uri_t *uri)
{
	if (!uri ||
	    (uri->scheme != SS_SIP_URI_SIP && uri->scheme != SS_SIP_URI_SIPS))
		return false;
	return served(c, uri->host, uri->port);
}

/* The last Route value: its line and its value. */
static const ss_sip_name_addr_t *last_route(ss_sip_msg_t *msg,
					    ss_sip_hdr_t **line)
{
	const ss_sip_parser_api_t *p = proxy_g.parser;
	const ss_sip_value_t *v, *last = NULL;
	ss_sip_hdr_t *h;

	*line = NULL;
	for (h = p->hdr(msg, SS_SIP_HDR_ROUTE); h; h = p->hdr_next(msg, h)) {
		for (v = p->hdr_values(msg, h); v; v = v->next) {
			last = v;
			*line = h;
		}
	}
	return (const ss_sip_name_addr_t *)last;
}

/* Removes the last value of line h (the last Route of the request). */
static int remove_last_value(ss_sip_msg_t *msg, ss_sip_hdr_t *h,
			     const ss_sip_value_t *last)
{
	const ss_sip_value_t *v = proxy_g.parser->hdr_values(msg, h);
	const char *end;

	if (v == last) {
		proxy_g.parser->hdr_remove(msg, h);
		return 0;
	}
	while (v->next != last)
		v = v->next;
	end = v->raw.s + v->raw.len;
	return proxy_g.parser->hdr_replace(
	    msg, h, (ss_str_t){h->value.s, (size_t)(end - h->value.s)});
}

int proxy_route_preprocess(const proxy_conf_t *c, ss_sip_msg_t *msg)
{
	const ss_sip_parser_api_t *p = proxy_g.parser;
	const ss_sip_uri_t *ruri = p->ruri(msg);
	const ss_sip_name_addr_t *r;
	ss_sip_hdr_t *line;
	int err;

	/* A strict router put our Record-Route URI (no user part) in the
	 * Request-URI and the real one in the last Route (16.4). */
	if (ruri && !ruri->user.len && proxy_uri_is_us(c, ruri) &&
	    (r = last_route(msg, &line)) != NULL) {
		err = p->set_ruri(msg, r->uri.raw);
		if (!err)
			err = remove_last_value(msg, line, &r->v);
		if (err)
			return err;
	}
	/* Loose routing: a Route naming us is consumed. Two in a row are
	 * ours after double record-routing. */
	while ((r = p->addr(msg, SS_SIP_HDR_ROUTE, 0)) != NULL &&
	       proxy_uri_is_us(c, &r->uri)) {
		err = p->remove_first_value(msg, SS_SIP_HDR_ROUTE);
		if (err)
			return err;
	}
	return 0;
}

int proxy_maxfwd_value(const ss_sip_msg_t *msg)
{
	uint32_t v;
	int err = proxy_g.parser->uint_value(msg, SS_SIP_HDR_MAX_FORWARDS, &v);

	if (err == -ENOENT)
		return PROXY_MF_DEFAULT;
	if (err < 0 || v > 255)
		return err < 0 && err != -ERANGE ? -EINVAL : 255;
	return (int)v;
}

int proxy_maxfwd_step(ss_sip_msg_t *msg)
{
	const ss_sip_parser_api_t *p = proxy_g.parser;
	ss_sip_hdr_t *h = p->hdr(msg, SS_SIP_HDR_MAX_FORWARDS);
	int v = proxy_maxfwd_value(msg);
	char num[8];
	int n;

	if (v < 0)
		return v;
	if (h && v == 0)
		return -ELOOP;
	n = snprintf(num, sizeof(num), "%d", h ? v - 1 : PROXY_MF_DEFAULT);
	if (h)
		return p->hdr_replace(msg, h, (ss_str_t){num, (size_t)n});
	return p->hdr_add(msg, SS_SIP_HDR_MAX_FORWARDS, SS_STR_NULL,
			  (ss_str_t){num, (size_t)n}, SS_SIP_APPEND);
}

int proxy_record_route(ss_sip_msg_t *msg, const ss_sip_listener_info_t *l,
		       bool sips)
{
	static const char *const tp[] = {"", "", ";transport=tcp",
					 ";transport=tls"};
	char v[PROXY_HOST_MAX + 64];
	int n;

	if (!l || !l->host)
		return -ENETUNREACH;
	n = snprintf(v, sizeof(v), "<%s:%s:%u%s;lr>", sips ? "sips" : "sip",
		     l->host, l->port,
		     (unsigned)l->proto < 4 && !sips ? tp[l->proto] : "");
	if (n < 0 || (size_t)n >= sizeof(v))
		return -ENOSPC;
	return proxy_g.parser->hdr_add(msg, SS_SIP_HDR_RECORD_ROUTE,
				       SS_STR_NULL, (ss_str_t){v, (size_t)n},
				       SS_SIP_PREPEND);
}

int proxy_push_routes(ss_sip_msg_t *msg, ss_str_t routes)
{
	if (!routes.len)
		return 0;
	return proxy_g.parser->hdr_add(msg, SS_SIP_HDR_ROUTE, SS_STR_NULL,
				       routes, SS_SIP_PREPEND);
}

const proxy_route_t *proxy_route_find(const proxy_conf_t *c, ss_str_t host)
{
	char canon[SS_SIP_HOST_MAX + 1];
	int len = proxy_g.parser->host_key(host, canon);

	for (unsigned i = 0; len > 0 && i < c->nroutes; i++)
		if (strcmp(c->routes[i].domain, canon) == 0)
			return &c->routes[i];
	return c->default_route.uri ? &c->default_route : NULL;
}

/* The realm parameter of a credentials value, or an empty slice. */
static ss_str_t cred_realm(ss_str_t v)
{
	const char *s = v.s, *end = v.s + v.len;

	while (s < end) {
		const char *q;

		s = memmem(s, (size_t)(end - s), "realm", 5);
		if (!s)
			break;
		q = s + 5;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < end && *q == '=' &&
		    (s == v.s || s[-1] == ' ' || s[-1] == ',' ||
		     s[-1] == '\t')) {
			const char *b, *e;

			for (b = q + 1; b < end && (*b == ' ' || *b == '\t');)
				b++;
			if (b < end && *b == '"') {
				b++;
				e = memchr(b, '"', (size_t)(end - b));
				return e ? (ss_str_t){b, (size_t)(e - b)}
					 : SS_STR_NULL;
			}
			for (e = b; e < end && *e != ',' && *e != ' ';)
				e++;
			return (ss_str_t){b, (size_t)(e - b)};
		}
		s += 5;
	}
	return SS_STR_NULL;
}

void proxy_consume_credentials(ss_sip_msg_t *msg, const char *realm)
{
	const ss_sip_parser_api_t *p = proxy_g.parser;
	ss_sip_hdr_t *h, *next;

	if (!realm || !realm[0])
		return;
	for (h = p->hdr(msg, SS_SIP_HDR_PROXY_AUTHORIZATION); h; h = next) {
		next = p->hdr_next(msg, h);
		if (ss_str_eq(cred_realm(h->value), ss_str_c(realm)))
			p->hdr_remove(msg, h);
	}
}

bool proxy_unsupported(ss_sip_msg_t *msg, char *buf, size_t size)
{
	const ss_sip_parser_api_t *p = proxy_g.parser;
	ss_sip_hdr_t *h = p->hdr(msg, SS_SIP_HDR_PROXY_REQUIRE);
	size_t n;

	if (!h)
		return false;
	n = (size_t)snprintf(buf, size, "Unsupported: ");
	for (; h && n < size; h = p->hdr_next(msg, h))
		n += (size_t)snprintf(buf + n, size - n, "%s%.*s",
				      n > 13 ? ", " : "", SS_STR_ARG(h->value));
	if (n + 3 > size)
		n = size - 3;
	memcpy(buf + n, "\r\n", 3);
	return true;
}

int proxy_parse_hostport(const char *s, ss_sip_addr_t *addr)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	unsigned long port = 5060;
	size_t hl;

	memset(addr, 0, sizeof(*addr));
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (!e)
			return -EINVAL;
		hl = (size_t)(e - s - 1);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		colon = e[1] == ':' ? e + 1 : NULL;
	} else {
		colon = strrchr(s, ':');
		hl = colon ? (size_t)(colon - s) : strlen(s);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	if (colon) {
		char *end;

		port = strtoul(colon + 1, &end, 10);
		if (*end || port == 0 || port > 65535)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, host,
		      &((struct sockaddr_in *)&addr->sa)->sin_addr) == 1) {
		struct sockaddr_in *a = (struct sockaddr_in *)&addr->sa;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		addr->len = sizeof(*a);
		return 0;
	}
	if (inet_pton(AF_INET6, host,
		      &((struct sockaddr_in6 *)&addr->sa)->sin6_addr) == 1) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&addr->sa;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		addr->len = sizeof(*a);
		return 0;
	}
	return -EINVAL;
}

int proxy_uri_dest(const ss_sip_uri_t *uri, ss_sip_dest_t *dst)
{
	char hp[INET6_ADDRSTRLEN + 16];
	bool secure = uri_secure(uri);
	ss_str_t host = uri->host;
	int n;

	memset(dst, 0, sizeof(*dst));
	if (uri->host_type != SS_SIP_HOST_IPV4 &&
	    uri->host_type != SS_SIP_HOST_IPV6)
		return -EAGAIN;
	/* RFC 3263 4.1, 4.2: a numeric host without transport= is UDP (TLS
	 * for sips) on the scheme's default port. */
	if (secure)
		dst->proto = SS_SIP_TLS;
	else if (ss_str_caseeq_c(uri->transport, "tcp"))
		dst->proto = SS_SIP_TCP;
	else
		dst->proto = SS_SIP_UDP;
	n = snprintf(hp, sizeof(hp), "%.*s:%u", SS_STR_ARG(host),
		     (unsigned)(uri->port ? uri->port
				: secure  ? 5061
					  : 5060));
	if (n < 0 || (size_t)n >= sizeof(hp))
		return -EINVAL;
	return proxy_parse_hostport(hp, &dst->addr);
}
