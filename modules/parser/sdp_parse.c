/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SDP parsing (RFC 4566), on demand from a body: v=, o=, s=, c=, m= and a=
 * lines into slices; other lines are skipped. Lines end in CRLF or, as
 * many stacks send, a bare LF.
 */
#include <errno.h>
#include <string.h>

#include "parser_int.h"

/* Next SP-separated field of [*p, end); empty slice when none is left. */
static ss_str_t field(const char **p, const char *end)
{
	const char *b = *p, *e;

	while (b < end && *b == ' ')
		b++;
	for (e = b; e < end && *e != ' '; e++)
		;
	*p = e;
	return ss_sipp_slice(b, e);
}

static int parse_conn(ss_str_t line, const char *v, ss_sdp_conn_t *c)
{
	const char *end = line.s + line.len;

	c->line = line;
	c->nettype = field(&v, end);
	c->addrtype = field(&v, end);
	c->addr = field(&v, end);
	return c->addr.len ? 0 : -EINVAL;
}

static int parse_origin(ss_sdp_t *sdp, ss_str_t line, const char *v)
{
	const char *end = line.s + line.len;

	sdp->origin_line = line;
	sdp->o_user = field(&v, end);
	sdp->o_sess_id = field(&v, end);
	sdp->o_sess_version = field(&v, end);
	sdp->o_nettype = field(&v, end);
	sdp->o_addrtype = field(&v, end);
	sdp->o_addr = field(&v, end);
	return sdp->o_addr.len ? 0 : -EINVAL;
}

static int parse_media(ss_sdp_media_t *m, ss_str_t line, const char *v)
{
	const char *end = line.s + line.len, *q;
	ss_str_t port;
	uint64_t n;
	int over;

	m->line = line;
	m->media = field(&v, end);
	port = field(&v, end);
	q = ss_sipp_digits(port.s, port.s + port.len, 65536, &n, &over);
	if (!q || n > 65535)
		return -EINVAL;
	m->port = (uint16_t)n;
	m->nports = 1;
	if (q < port.s + port.len) {
		if (*q != '/' || ss_sipp_digits(q + 1, port.s + port.len, 65536,
						&n, &over) != port.s + port.len)
			return -EINVAL;
		m->nports = (unsigned)n;
	}
	m->proto = field(&v, end);
	while (v < end && *v == ' ')
		v++;
	m->fmts = ss_sipp_slice(v, end);
	return m->proto.len ? 0 : -EINVAL;
}

static int add_attr(ss_sip_arena_t *a, ss_sdp_attr_t ***tail, ss_str_t line,
		    const char *v)
{
	const char *end = line.s + line.len;
	const char *colon = memchr(v, ':', (size_t)(end - v));
	ss_sdp_attr_t *at = ss_sip_arena_alloc(a, sizeof(*at));

	if (!at)
		return -ENOMEM;
	at->line = line;
	at->name = ss_sipp_slice(v, colon ? colon : end);
	at->value = colon ? ss_sipp_slice(colon + 1, end) : SS_STR_NULL;
	at->next = NULL;
	**tail = at;
	*tail = &at->next;
	return at->name.len ? 0 : -EINVAL;
}

static int sdp_line(ss_sip_arena_t *a, ss_sdp_t *sdp, ss_str_t line,
		    ss_sdp_media_t **cur, ss_sdp_attr_t ***atail)
{
	const char *v = line.s + 2;
	ss_sdp_media_t *m;

	switch (line.s[0]) {
	case 'o':
		return parse_origin(sdp, line, v);
	case 's':
		sdp->session_name = ss_sipp_slice(v, line.s + line.len);
		return 0;
	case 'c':
		return parse_conn(line, v, *cur ? &(*cur)->conn : &sdp->conn);
	case 'a':
		return add_attr(a, atail, line, v);
	case 'm':
		m = ss_sip_arena_alloc(a, sizeof(*m));
		if (!m)
			return -ENOMEM;
		memset(m, 0, sizeof(*m));
		if (*cur)
			(*cur)->next = m;
		else
			sdp->media = m;
		*cur = m;
		*atail = &m->attrs;
		sdp->nmedia++;
		return parse_media(m, line, v);
	default:
		return 0;
	}
}

int ss_sdp_parse(ss_sip_arena_t *a, ss_str_t body, ss_sdp_t *sdp)
{
	const char *p, *end;
	ss_sdp_attr_t **atail = &sdp->attrs;
	ss_sdp_media_t *cur = NULL;
	int rc;

	memset(sdp, 0, sizeof(*sdp));
	if (body.len < 4 || memcmp(body.s, "v=0", 3) != 0)
		return -EINVAL;
	p = body.s;
	end = body.s + body.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) { /* a blank line, as trailing CRLFs give */
			p = nl ? nl + 1 : end;
			continue;
		}
		if (le - p < 2 || p[1] != '=' || !ss_sipp_is(p[0], SS_C_ALPHA))
			return -EINVAL;
		if (p[0] == 'm' && cur)
			cur->text.len = (size_t)(p - cur->text.s);
		rc = sdp_line(a, sdp, ss_sipp_slice(p, le), &cur, &atail);
		if (rc < 0)
			return rc;
		if (p[0] == 'm')
			cur->text.s = p;
		p = nl ? nl + 1 : end;
	}
	if (cur)
		cur->text.len = (size_t)(end - cur->text.s);
	return 0;
}
