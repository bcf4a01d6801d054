/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lazy header value parsing: a header line is split into its values and
 * each value parsed by its header's grammar (Via, name-addr, CSeq, token
 * with parameters) the first time someone asks, then cached on the entry.
 * LWS (SP, HT and the CRLF of folded lines) is allowed wherever RFC 3261
 * allows it.
 */
#include <errno.h>
#include <string.h>

#include "parser_int.h"

enum value_kind {
	K_RAW,	  /* one value: the whole text */
	K_VIA,	  /* list of Via */
	K_ADDR1,  /* one name-addr (From, To) */
	K_ADDRS,  /* list of name-addr */
	K_CSEQ,	  /* one CSeq */
	K_TOKEN1, /* one token with parameters */
	K_TOKENS, /* list of tokens with parameters */
};

static enum value_kind kind_of(unsigned id)
{
	switch (id) {
	case SS_SIP_HDR_VIA:
		return K_VIA;
	case SS_SIP_HDR_FROM:
	case SS_SIP_HDR_TO:
	case SS_SIP_HDR_REFER_TO:
	case SS_SIP_HDR_REFERRED_BY:
	case SS_SIP_HDR_REPLY_TO:
		return K_ADDR1;
	case SS_SIP_HDR_CONTACT:
	case SS_SIP_HDR_ROUTE:
	case SS_SIP_HDR_RECORD_ROUTE:
	case SS_SIP_HDR_PATH:
	case SS_SIP_HDR_SERVICE_ROUTE:
	case SS_SIP_HDR_P_ASSERTED_IDENTITY:
		return K_ADDRS;
	case SS_SIP_HDR_CSEQ:
		return K_CSEQ;
	case SS_SIP_HDR_CONTENT_TYPE:
	case SS_SIP_HDR_CONTENT_DISPOSITION:
	case SS_SIP_HDR_EVENT:
	case SS_SIP_HDR_SUBSCRIPTION_STATE:
	case SS_SIP_HDR_RETRY_AFTER:
	case SS_SIP_HDR_SESSION_EXPIRES:
		return K_TOKEN1;
	case SS_SIP_HDR_ALLOW:
	case SS_SIP_HDR_SUPPORTED:
	case SS_SIP_HDR_REQUIRE:
	case SS_SIP_HDR_PROXY_REQUIRE:
	case SS_SIP_HDR_UNSUPPORTED:
	case SS_SIP_HDR_ALLOW_EVENTS:
	case SS_SIP_HDR_ACCEPT:
	case SS_SIP_HDR_ACCEPT_ENCODING:
	case SS_SIP_HDR_ACCEPT_LANGUAGE:
	case SS_SIP_HDR_CONTENT_ENCODING:
	case SS_SIP_HDR_CONTENT_LANGUAGE:
	case SS_SIP_HDR_IN_REPLY_TO:
	case SS_SIP_HDR_CALL_INFO:
	case SS_SIP_HDR_ALERT_INFO:
	case SS_SIP_HDR_ERROR_INFO:
	case SS_SIP_HDR_WARNING:
	case SS_SIP_HDR_REASON:
		return K_TOKENS;
	default:
		return K_RAW;
	}
}

static size_t kind_size(enum value_kind k)
{
	switch (k) {
	case K_VIA:
		return sizeof(ss_sip_via_t);
	case K_ADDR1:
	case K_ADDRS:
		return sizeof(ss_sip_name_addr_t);
	case K_CSEQ:
		return sizeof(ss_sip_cseq_t);
	case K_TOKEN1:
	case K_TOKENS:
		return sizeof(ss_sip_token_t);
	default:
		return sizeof(ss_sip_value_t);
	}
}

/* gen-value = token / host / quoted-string */
static const char *gen_value(const char *p, const char *end)
{
	const char *b = p;

	if (p < end && *p == '"')
		return ss_sipp_scan_quoted(p, end);
	if (p < end && *p == '[') {
		const char *q = memchr(p, ']', (size_t)(end - p));

		return q ? q + 1 : NULL;
	}
	/* ':' too, for the bare IPv6address of via-received (RFC 3261
	 * 25.1), which is not a token. */
	while (p < end && (ss_sipp_is(*p, SS_C_TOKEN) || *p == ':'))
		p++;
	return p == b ? NULL : p;
}

const char *ss_sipp_hparams(ss_sip_arena_t *a, const char *p, const char *end,
			    ss_sip_param_t ***tail)
{
	for (;;) {
		const char *n, *ne, *v = NULL, *ve = NULL, *q;
		ss_sip_param_t *par;

		q = ss_sipp_skip_lws(p, end);
		if (q == end || *q != ';')
			return p;
		n = ss_sipp_skip_lws(q + 1, end);
		ne = ss_sipp_scan(n, end, SS_C_TOKEN);
		if (ne == n)
			return NULL;
		p = ne;
		q = ss_sipp_skip_lws(ne, end);
		if (q < end && *q == '=') {
			v = ss_sipp_skip_lws(q + 1, end);
			ve = gen_value(v, end);
			if (!ve)
				return NULL;
			p = ve;
		}
		par = ss_sip_arena_alloc(a, sizeof(*par));
		if (!par)
			return NULL;
		par->name = ss_sipp_slice(n, ne);
		par->value = v ? ss_sipp_slice(v, ve) : SS_STR_NULL;
		par->next = NULL;
		**tail = par;
		*tail = &par->next;
	}
}

static int via_pick_params(ss_sip_via_t *v)
{
	uint64_t n;
	int over;

	for (const ss_sip_param_t *p = v->params; p; p = p->next) {
		if (ss_str_caseeq_c(p->name, "branch")) {
			v->branch = p->value.s ? p->value : SS_STR("");
		} else if (ss_str_caseeq_c(p->name, "received")) {
			v->received = p->value;
		} else if (ss_str_caseeq_c(p->name, "maddr")) {
			v->maddr = p->value;
		} else if (ss_str_caseeq_c(p->name, "ttl")) {
			if (!p->value.s ||
			    ss_sipp_digits(
				p->value.s, p->value.s + p->value.len, 256, &n,
				&over) != p->value.s + p->value.len ||
			    n > 255)
				return -EINVAL;
			v->ttl = (int)n;
		} else if (ss_str_caseeq_c(p->name, "rport")) {
			v->rport = true;
			if (!p->value.s)
				continue;
			if (ss_sipp_digits(
				p->value.s, p->value.s + p->value.len, 65536,
				&n, &over) != p->value.s + p->value.len ||
			    n > 65535)
				return -EINVAL;
			v->rport_value = (uint16_t)n;
		}
	}
	return 0;
}

/* SLASH = SWS "/" SWS between the parts of sent-protocol. */
static const char *via_token(const char *p, const char *end, ss_str_t *out,
			     int slash)
{
	const char *b;

	if (slash) {
		p = ss_sipp_skip_lws(p, end);
		if (p == end || *p != '/')
			return NULL;
		p = ss_sipp_skip_lws(p + 1, end);
	}
	b = p;
	p = ss_sipp_scan(p, end, SS_C_TOKEN);
	if (p == b)
		return NULL;
	*out = ss_sipp_slice(b, p);
	return p;
}

static const char *parse_via(ss_sip_arena_t *a, const char *p, const char *end,
			     ss_sip_via_t *v)
{
	ss_sip_param_t **tail = &v->params;
	ss_sip_host_type_t ht;
	const char *q;
	uint64_t port;
	int over;

	v->ttl = -1;
	if (!(p = via_token(p, end, &v->proto_name, 0)) ||
	    !(p = via_token(p, end, &v->proto_version, 1)) ||
	    !(p = via_token(p, end, &v->transport, 1)))
		return NULL;
	q = ss_sipp_skip_lws(p, end);
	if (q == p)
		return NULL;
	p = ss_sipp_host(q, end, &v->host, &ht);
	if (!p)
		return NULL;
	q = ss_sipp_skip_lws(p, end);
	if (q < end && *q == ':') {
		q = ss_sipp_skip_lws(q + 1, end);
		p = ss_sipp_digits(q, end, 65536, &port, &over);
		if (!p || port > 65535)
			return NULL;
		v->port = (uint16_t)port;
	}
	p = ss_sipp_hparams(a, p, end, &tail);
	if (!p || via_pick_params(v) < 0)
		return NULL;
	return p;
}

/* qvalue = ("0" ["." 0*3DIGIT]) / ("1" ["." 0*3("0")]), in thousandths */
static int parse_q(ss_str_t s)
{
	int q, scale = 100;

	if (!s.len || (s.s[0] != '0' && s.s[0] != '1'))
		return -1;
	q = (s.s[0] - '0') * 1000;
	if (s.len == 1)
		return q;
	if (s.s[1] != '.' || s.len > 5)
		return -1;
	for (size_t i = 2; i < s.len; i++, scale /= 10) {
		if (!ss_sipp_is(s.s[i], SS_C_DIGIT))
			return -1;
		q += (s.s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

static int addr_pick_params(ss_sip_name_addr_t *na)
{
	uint64_t n;
	int over;

	for (const ss_sip_param_t *p = na->params; p; p = p->next) {
		if (ss_str_caseeq_c(p->name, "tag")) {
			if (!p->value.s)
				return -EINVAL;
			na->tag = p->value;
		} else if (ss_str_caseeq_c(p->name, "q")) {
			na->q = p->value.s ? parse_q(p->value) : -1;
			if (na->q < 0)
				return -EINVAL;
		} else if (ss_str_caseeq_c(p->name, "expires")) {
			/* RFC 3261 20.19: delta-seconds saturate at 2**32-1 */
			if (!p->value.s ||
			    ss_sipp_digits(p->value.s,
					   p->value.s + p->value.len,
					   UINT32_MAX, &n,
					   &over) != p->value.s + p->value.len)
				return -EINVAL;
			na->expires = (int64_t)n;
		}
	}
	return 0;
}

/*
 * display-name = *(token LWS) / quoted-string, followed by "<" URI ">"; a
 * token run not followed by "<" means the value is an addr-spec, whose URI
 * ends at the first ';', ',' or LWS and may not contain '?' (RFC 3261
 * 20.10). LWS directly inside the brackets is refused (badaspec).
 */
static const char *addr_uri(ss_sip_arena_t *a, const char *p, const char *end,
			    ss_sip_name_addr_t *na)
{
	const char *b = p, *q;

	if (p < end && *p == '"') {
		q = ss_sipp_scan_quoted(p, end);
		if (!q)
			return NULL;
		na->display = ss_sipp_slice(p + 1, q - 1);
		p = ss_sipp_skip_lws(q, end);
		if (p == end || *p != '<')
			return NULL;
	} else {
		for (q = p; q < end && ss_sipp_is(*q, SS_C_TOKEN | SS_C_LWS);)
			q++;
		if (q < end && *q == '<') {
			na->display = ss_sipp_trim(p, q);
			p = q;
		}
	}
	if (p < end && *p == '<') {
		const char *gt = memchr(p, '>', (size_t)(end - p));
		ss_str_t u;

		if (!gt)
			return NULL;
		u = ss_sipp_slice(p + 1, gt);
		for (size_t i = 0; i < u.len; i++)
			if (ss_sipp_is(u.s[i], SS_C_LWS))
				return NULL;
		if (ss_sip_uri_parse(a, u, &na->uri) < 0)
			return NULL;
		return gt + 1;
	}
	for (q = b;
	     q < end && *q != ';' && *q != ',' && !ss_sipp_is(*q, SS_C_LWS);
	     q++)
		if (*q == '?')
			return NULL;
	if (ss_sip_uri_parse(a, ss_sipp_slice(b, q), &na->uri) < 0)
		return NULL;
	return q;
}

static const char *parse_addr(ss_sip_arena_t *a, const char *p, const char *end,
			      ss_sip_name_addr_t *na, unsigned id)
{
	ss_sip_param_t **tail = &na->params;

	na->q = -1;
	na->expires = -1;
	if (id == SS_SIP_HDR_CONTACT && p < end && *p == '*') {
		na->star = true;
		p++;
	} else {
		p = addr_uri(a, p, end, na);
		if (!p)
			return NULL;
	}
	p = ss_sipp_hparams(a, p, end, &tail);
	if (!p || addr_pick_params(na) < 0)
		return NULL;
	return p;
}

static const char *parse_cseq(const char *p, const char *end, ss_sip_cseq_t *c)
{
	const char *q, *m;
	uint64_t n;
	int over;

	q = ss_sipp_digits(p, end, UINT32_MAX, &n, &over);
	if (!q || over || q - p > 10)
		return NULL;
	c->seq = (uint32_t)n;
	m = ss_sipp_skip_lws(q, end);
	if (m == q)
		return NULL;
	q = ss_sipp_scan(m, end, SS_C_TOKEN);
	if (q == m)
		return NULL;
	c->method_str = ss_sipp_slice(m, q);
	c->method = ss_sip_method_lookup(m, (size_t)(q - m));
	return q;
}

/* The value of a token list element: up to ';' or ',' outside quotes and
 * angle brackets (Call-Info's "<uri>;purpose=x", Warning's text). */
static const char *parse_token(ss_sip_arena_t *a, const char *p,
			       const char *end, ss_sip_token_t *t, int list)
{
	ss_sip_param_t **tail = &t->params;
	const char *b = p;

	while (p < end && *p != ';' && !(list && *p == ',')) {
		if (*p == '"') {
			p = ss_sipp_scan_quoted(p, end);
			if (!p)
				return NULL;
		} else if (*p == '<') {
			p = memchr(p, '>', (size_t)(end - p));
			if (!p)
				return NULL;
			p++;
		} else {
			p++;
		}
	}
	t->value = ss_sipp_trim(b, p);
	if (!t->value.len)
		return NULL;
	return ss_sipp_hparams(a, p, end, &tail);
}

static const char *parse_one(ss_sip_arena_t *a, enum value_kind k, unsigned id,
			     const char *p, const char *end, ss_sip_value_t *v)
{
	switch (k) {
	case K_VIA:
		return parse_via(a, p, end, (ss_sip_via_t *)v);
	case K_ADDR1:
	case K_ADDRS:
		return parse_addr(a, p, end, (ss_sip_name_addr_t *)v, id);
	case K_CSEQ:
		return parse_cseq(p, end, (ss_sip_cseq_t *)v);
	case K_TOKEN1:
	case K_TOKENS:
		return parse_token(a, p, end, (ss_sip_token_t *)v,
				   k == K_TOKENS);
	default:
		return end;
	}
}

/*
 * Splits a line into values and parses each. List kinds accept an empty
 * line (e.g. "Supported:") as no values; a trailing or doubled comma is
 * an error. Returns 0 (with *first, maybe NULL) or -EINVAL.
 */
static int parse_line(ss_sip_arena_t *a, unsigned id, ss_str_t text,
		      ss_sip_value_t **first)
{
	enum value_kind k = kind_of(id);
	int list = k == K_VIA || k == K_ADDRS || k == K_TOKENS;
	const char *p = text.s, *end = text.s + text.len;
	ss_sip_value_t **tail = first;

	*first = NULL;
	for (;;) {
		ss_sip_value_t *v;
		const char *b, *q;

		b = ss_sipp_skip_lws(p, end);
		if (b == end && (k == K_RAW || (list && !*first)))
			break;
		v = ss_sip_arena_alloc(a, kind_size(k));
		if (!v)
			return -ENOMEM;
		memset(v, 0, kind_size(k));
		q = parse_one(a, k, id, b, end, v);
		if (!q)
			return -EINVAL;
		v->raw = ss_sipp_trim(b, q);
		*tail = v;
		tail = &v->next;
		q = ss_sipp_skip_lws(q, end);
		if (q == end)
			break;
		if (!list || *q != ',')
			return -EINVAL;
		p = q + 1;
	}
	if (k == K_RAW && !*first) {
		ss_sip_value_t *v = ss_sip_arena_alloc(a, sizeof(*v));

		if (!v)
			return -ENOMEM;
		v->next = NULL;
		v->raw = ss_sipp_slice(text.s, text.s);
		*first = v;
	}
	return 0;
}

const ss_sip_value_t *ss_sip_hdr_values(ss_sip_msg_t *msg, ss_sip_hdr_t *h)
{
	ss_sip_value_t *first;

	if (h->flags & SS_SIP_HDR_F_PARSED)
		return h->parsed;
	if (h->flags & SS_SIP_HDR_F_BAD)
		return NULL;
	if (parse_line(&msg->arena, h->id, h->value, &first) < 0) {
		h->flags |= SS_SIP_HDR_F_BAD;
		return NULL;
	}
	h->parsed = first;
	h->flags |= SS_SIP_HDR_F_PARSED;
	return first;
}

const ss_sip_value_t *
ss_sip_msg_next_value(ss_sip_msg_t *msg, ss_sip_hdr_id_t id, ss_sip_iter_t *it)
{
	if (it->val && it->val->next)
		return it->val = it->val->next;
	for (unsigned i = it->idx; i < msg->nhdrs; i++) {
		ss_sip_hdr_t *h = &msg->hdrs[i];
		const ss_sip_value_t *v;

		if (h->id != id || (h->flags & SS_SIP_HDR_F_REMOVED))
			continue;
		v = ss_sip_hdr_values(msg, h);
		if (!v && (h->flags & SS_SIP_HDR_F_BAD))
			break;
		if (!v)
			continue;
		it->idx = i + 1;
		return it->val = v;
	}
	it->idx = msg->nhdrs;
	it->val = NULL;
	return NULL;
}

static const ss_sip_value_t *nth_value(ss_sip_msg_t *msg, ss_sip_hdr_id_t id,
				       unsigned idx)
{
	ss_sip_iter_t it = SS_SIP_ITER_INIT;
	const ss_sip_value_t *v;

	while ((v = ss_sip_msg_next_value(msg, id, &it)) && idx--)
		;
	return v;
}

const ss_sip_via_t *ss_sip_msg_via(ss_sip_msg_t *msg, unsigned idx)
{
	return (const ss_sip_via_t *)nth_value(msg, SS_SIP_HDR_VIA, idx);
}

const ss_sip_name_addr_t *ss_sip_msg_addr(ss_sip_msg_t *msg, ss_sip_hdr_id_t id,
					  unsigned idx)
{
	enum value_kind k = kind_of(id);

	if (k != K_ADDR1 && k != K_ADDRS)
		return NULL;
	return (const ss_sip_name_addr_t *)nth_value(msg, id, idx);
}

const ss_sip_cseq_t *ss_sip_msg_cseq(ss_sip_msg_t *msg)
{
	return (const ss_sip_cseq_t *)nth_value(msg, SS_SIP_HDR_CSEQ, 0);
}
