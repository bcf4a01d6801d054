/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Message framing: the start line, the header lines (names resolved to
 * ids, values left unparsed) and the body by Content-Length, in one pass
 * over the buffer without copying. Errors are classified as RFC 3261 and
 * RFC 4475 want them answered: 400 with a reason naming the problem, 505
 * for another SIP version, 416 for an unsupported Request-URI scheme.
 */
#include <errno.h>
#include <string.h>

#include "parser_int.h"

#define MAX_CONTENT_LENGTH (1u << 30)

void ss_sip_msg_init(ss_sip_msg_t *msg)
{
	ss_sip_arena_init(&msg->arena);
	msg->hdrs = msg->hdr_inline;
	msg->cap = SS_SIP_MSG_INLINE_HDRS;
	msg->nhdrs = 0;
	msg->buf = NULL;
	msg->len = 0;
}

void ss_sip_msg_fini(ss_sip_msg_t *msg)
{
	ss_sip_arena_fini(&msg->arena);
	msg->hdrs = msg->hdr_inline;
	msg->nhdrs = 0;
}

static void msg_reset(ss_sip_msg_t *msg, const char *buf, size_t len)
{
	ss_sip_arena_reset(&msg->arena);
	msg->hdrs = msg->hdr_inline;
	msg->cap = SS_SIP_MSG_INLINE_HDRS;
	msg->nhdrs = 0;
	msg->buf = buf;
	msg->len = len;
	msg->is_request = false;
	msg->method = SS_SIP_METHOD_UNKNOWN;
	msg->method_str = msg->ruri_str = msg->reason = SS_STR_NULL;
	msg->version = msg->start_line = msg->body = SS_STR_NULL;
	msg->ruri = NULL;
	msg->status = 0;
	msg->flags = 0;
}

/* The first error found is the one reported. */
static int fail(ss_sip_error_t *err, unsigned status, const char *reason)
{
	if (!err->status) {
		err->status = status;
		err->reason = reason;
	}
	return -EINVAL;
}

ss_sip_hdr_t *ss_sipp_hdr_insert(ss_sip_msg_t *msg, unsigned pos)
{
	ss_sip_hdr_t *h;

	if (msg->nhdrs == msg->cap) {
		ss_sip_hdr_t *grown;

		if (msg->cap >= SS_SIP_MSG_MAX_HDRS)
			return NULL;
		grown = ss_sip_arena_alloc(&msg->arena,
					   2 * msg->cap * sizeof(*grown));
		if (!grown)
			return NULL;
		memcpy(grown, msg->hdrs, msg->nhdrs * sizeof(*grown));
		msg->hdrs = grown;
		msg->cap *= 2;
	}
	h = &msg->hdrs[pos];
	if (pos < msg->nhdrs)
		memmove(h + 1, h, (msg->nhdrs - pos) * sizeof(*h));
	msg->nhdrs++;
	memset(h, 0, sizeof(*h));
	return h;
}

static void status_line(ss_sip_msg_t *msg, const char *s, const char *e,
			ss_sip_error_t *err)
{
	const char *sp = memchr(s, ' ', (size_t)(e - s)), *c;

	msg->is_request = false;
	if (!sp) {
		fail(err, 400, "Bad Status Line");
		return;
	}
	msg->version = ss_sipp_slice(s, sp);
	if (!ss_str_caseeq_c(msg->version, "SIP/2.0"))
		fail(err, 505, "Version Not Supported");
	c = sp + 1;
	if (e - c < 3 || !ss_sipp_is(c[0], SS_C_DIGIT) ||
	    !ss_sipp_is(c[1], SS_C_DIGIT) || !ss_sipp_is(c[2], SS_C_DIGIT) ||
	    (e - c > 3 && c[3] != ' ')) {
		fail(err, 400, "Bad Status Code");
		return;
	}
	msg->status =
	    (unsigned)((c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0'));
	if (msg->status < 100 || msg->status > 699)
		fail(err, 400, "Bad Status Code");
	msg->reason = e - c > 3 ? ss_sipp_slice(c + 4, e) : ss_sipp_slice(e, e);
}

/* Request-URI scheme: 400 when it is not even a scheme, 416 when we do
 * not speak it. The full URI is parsed later, on demand. */
static void ruri_scheme(ss_str_t u, ss_sip_error_t *err)
{
	const char *se;

	if (!u.len || !ss_sipp_is(u.s[0], SS_C_ALPHA)) {
		fail(err, 400, "Bad Request-URI");
		return;
	}
	se = ss_sipp_scan(u.s + 1, u.s + u.len, SS_C_SCHEME);
	if (se == u.s + u.len || *se != ':') {
		fail(err, 400, "Bad Request-URI");
		return;
	}
	u.len = (size_t)(se - u.s);
	if (!ss_str_caseeq_c(u, "sip") && !ss_str_caseeq_c(u, "sips") &&
	    !ss_str_caseeq_c(u, "tel"))
		fail(err, 416, "Unsupported URI Scheme");
}

/*
 * Request-Line = Method SP Request-URI SP SIP-Version. The version is taken
 * after the last SP so that LWS inside the URI (lwsruri) or doubled SPs
 * (lwsstart, trws) read as a bad URI or version, never as a 505.
 */
static void request_line(ss_sip_msg_t *msg, const char *s, const char *e,
			 ss_sip_error_t *err)
{
	const char *m = ss_sipp_scan(s, e, SS_C_TOKEN), *last;
	ss_str_t v;

	if (m == s || m == e || *m != ' ') {
		fail(err, 400, "Bad Request Line");
		return;
	}
	msg->is_request = true;
	msg->method_str = ss_sipp_slice(s, m);
	msg->method = ss_sip_method_lookup(s, (size_t)(m - s));
	for (last = e - 1; last > m && *last != ' '; last--)
		;
	if (last == m) {
		fail(err, 400, "Bad Request Line");
		return;
	}
	msg->ruri_str = ss_sipp_slice(m + 1, last);
	v = msg->version = ss_sipp_slice(last + 1, e);
	for (size_t i = 0; i < msg->ruri_str.len; i++)
		if (ss_sipp_is(msg->ruri_str.s[i], SS_C_LWS))
			fail(err, 400, "Bad Request-URI");
	if (v.len < 5 || !ss_str_caseeq_c((ss_str_t){v.s, 4}, "SIP/"))
		fail(err, 400, "Bad SIP Version");
	else if (!ss_str_caseeq_c(v, "SIP/2.0"))
		fail(err, 505, "Version Not Supported");
	ruri_scheme(msg->ruri_str, err);
}

static int content_length(ss_str_t v, size_t *cl, ss_sip_error_t *err)
{
	uint64_t n;
	int over;
	const char *e =
	    ss_sipp_digits(v.s, v.s + v.len, MAX_CONTENT_LENGTH + 1, &n, &over);

	if (!e || e != v.s + v.len)
		return fail(err, 400, "Bad Content-Length");
	if (n > MAX_CONTENT_LENGTH)
		return fail(err, 413, "Request Entity Too Large");
	*cl = (size_t)n;
	return 0;
}

/* One header field: name, optional WSP, ':' and the value, which ends at
 * a line end not followed by SP/HT (folding, RFC 3261 7.3.1). */
static const char *header_line(ss_sip_msg_t *msg, const char *p,
			       const char *end, ss_sip_error_t *err)
{
	const char *nl = p, *ne, *c;
	ss_sip_hdr_t *h;

	for (;;) {
		nl = memchr(nl, '\n', (size_t)(end - nl));
		if (!nl) {
			fail(err, 400, "Missing Empty Line");
			return NULL;
		}
		if (nl + 1 < end && (nl[1] == ' ' || nl[1] == '\t')) {
			nl++;
			continue;
		}
		break;
	}
	ne = ss_sipp_scan(p, nl, SS_C_TOKEN);
	for (c = ne; c < nl && (*c == ' ' || *c == '\t'); c++)
		;
	if (ne == p || c == nl || *c != ':') {
		fail(err, 400, "Bad Header Line");
		return NULL;
	}
	h = ss_sipp_hdr_insert(msg, msg->nhdrs);
	if (!h) {
		fail(err, 400, "Too Many Headers");
		return NULL;
	}
	h->name = ss_sipp_slice(p, ne);
	h->id = (uint16_t)ss_sip_hdr_lookup(p, (size_t)(ne - p));
	h->value = ss_sipp_trim(c + 1, nl);
	h->raw = ss_sipp_slice(p, nl + 1);
	return nl + 1;
}

static int headers_and_body(ss_sip_msg_t *msg, const char *p, const char *end,
			    ss_sip_error_t *err)
{
	size_t cl = 0;
	int have_cl = 0;

	for (;;) {
		if (p == end)
			return fail(err, 400, "Missing Empty Line");
		if (*p == '\n' || (*p == '\r' && end - p > 1 && p[1] == '\n')) {
			p += *p == '\n' ? 1 : 2;
			break;
		}
		if (*p == ' ' || *p == '\t')
			return fail(err, 400, "Bad Header Line");
		p = header_line(msg, p, end, err);
		if (!p)
			return -EINVAL;
		if (msg->hdrs[msg->nhdrs - 1].id == SS_SIP_HDR_CONTENT_LENGTH) {
			if (have_cl++)
				return fail(err, 400,
					    "Multiple Content-Length");
			if (content_length(msg->hdrs[msg->nhdrs - 1].value, &cl,
					   err) < 0)
				return -EINVAL;
		}
	}
	if (have_cl && cl > (size_t)(end - p))
		return fail(err, 400, "Content-Length Exceeds Body");
	msg->body = ss_sipp_slice(p, have_cl ? p + cl : end);
	return 0;
}

int ss_sip_msg_parse(ss_sip_msg_t *msg, const char *buf, size_t len,
		     ss_sip_error_t *err)
{
	const char *p = buf, *end = buf + len, *nl, *le;

	msg_reset(msg, buf, len);
	err->status = 0;
	err->reason = NULL;
	/* RFC 3261 7.5: CRLFs before the start line are ignored. */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
	if (!nl)
		return fail(err, 400, "Missing Start Line");
	le = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
	msg->start_line = ss_sipp_slice(p, le);
	if (le - p >= 4 && ss_str_caseeq_c((ss_str_t){p, 4}, "SIP/"))
		status_line(msg, p, le, err);
	else
		request_line(msg, p, le, err);
	if (headers_and_body(msg, nl + 1, end, err) < 0 || err->status)
		return -EINVAL;
	return 0;
}

ss_sip_hdr_t *ss_sip_msg_hdr(const ss_sip_msg_t *msg, ss_sip_hdr_id_t id)
{
	for (unsigned i = 0; i < msg->nhdrs; i++)
		if (msg->hdrs[i].id == id &&
		    !(msg->hdrs[i].flags & SS_SIP_HDR_F_REMOVED))
			return &msg->hdrs[i];
	return NULL;
}

ss_sip_hdr_t *ss_sip_msg_hdr_next(const ss_sip_msg_t *msg,
				  const ss_sip_hdr_t *h)
{
	for (unsigned i = (unsigned)(h - msg->hdrs) + 1; i < msg->nhdrs; i++) {
		const ss_sip_hdr_t *n = &msg->hdrs[i];

		if (n->id != h->id || (n->flags & SS_SIP_HDR_F_REMOVED))
			continue;
		if (h->id == SS_SIP_HDR_OTHER &&
		    !ss_str_caseeq(n->name, h->name))
			continue;
		return &msg->hdrs[i];
	}
	return NULL;
}

ss_sip_hdr_t *ss_sip_msg_hdr_by_name(const ss_sip_msg_t *msg, ss_str_t name)
{
	ss_sip_hdr_id_t id = ss_sip_hdr_lookup(name.s, name.len);

	if (id != SS_SIP_HDR_OTHER)
		return ss_sip_msg_hdr(msg, id);
	for (unsigned i = 0; i < msg->nhdrs; i++)
		if (msg->hdrs[i].id == SS_SIP_HDR_OTHER &&
		    !(msg->hdrs[i].flags & SS_SIP_HDR_F_REMOVED) &&
		    ss_str_caseeq(msg->hdrs[i].name, name))
			return &msg->hdrs[i];
	return NULL;
}

unsigned ss_sip_msg_hdr_count(const ss_sip_msg_t *msg, ss_sip_hdr_id_t id)
{
	unsigned n = 0;

	for (unsigned i = 0; i < msg->nhdrs; i++)
		if (msg->hdrs[i].id == id &&
		    !(msg->hdrs[i].flags & SS_SIP_HDR_F_REMOVED))
			n++;
	return n;
}

ss_str_t ss_sip_msg_call_id(const ss_sip_msg_t *msg)
{
	const ss_sip_hdr_t *h = ss_sip_msg_hdr(msg, SS_SIP_HDR_CALL_ID);

	return h ? h->value : SS_STR_NULL;
}

int ss_sip_msg_uint(const ss_sip_msg_t *msg, ss_sip_hdr_id_t id, uint32_t *out)
{
	const ss_sip_hdr_t *h = ss_sip_msg_hdr(msg, id);
	const char *e;
	uint64_t n;
	int over;

	if (!h)
		return -ENOENT;
	e = ss_sipp_digits(h->value.s, h->value.s + h->value.len, UINT32_MAX,
			   &n, &over);
	if (!e || e != h->value.s + h->value.len)
		return -EINVAL;
	*out = (uint32_t)n;
	return over ? -ERANGE : 0;
}

const ss_sip_uri_t *ss_sip_msg_ruri(ss_sip_msg_t *msg)
{
	ss_sip_uri_t *u;

	if (msg->ruri || !msg->is_request || !msg->ruri_str.len)
		return msg->ruri;
	u = ss_sip_arena_alloc(&msg->arena, sizeof(*u));
	if (!u || ss_sip_uri_parse(&msg->arena, msg->ruri_str, u) < 0)
		return NULL;
	msg->ruri = u;
	return u;
}
