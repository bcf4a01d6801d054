/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * URI parsing: sip/sips (RFC 3261 19.1.1 and 25.1), tel (RFC 3966) and any
 * other absoluteURI kept opaque. Parts are slices of the input; escapes are
 * validated but left as received (see ss_sip_unescape()).
 */
#include <errno.h>
#include <string.h>

#include "parser_int.h"

static const char *uri_params(ss_sip_arena_t *a, const char *p, const char *end,
			      ss_sip_uri_t *uri)
{
	ss_sip_param_t **tail = &uri->params;

	if (p < end && *p == ';')
		uri->params_raw.s = p + 1;
	while (p < end && *p == ';') {
		const char *n = p + 1, *ne, *v = NULL, *ve = NULL;
		ss_sip_param_t *par;

		ne = ss_sipp_scan_esc(n, end, SS_C_PARAM);
		if (ne == n)
			return NULL;
		p = ne;
		if (p < end && *p == '=') {
			v = p + 1;
			ve = ss_sipp_scan_esc(v, end, SS_C_PARAM);
			if (ve == v)
				return NULL;
			p = ve;
		}
		par = ss_sip_arena_alloc(a, sizeof(*par));
		if (!par)
			return NULL;
		par->name = ss_sipp_slice(n, ne);
		par->value = v ? ss_sipp_slice(v, ve) : SS_STR_NULL;
		par->next = NULL;
		*tail = par;
		tail = &par->next;
		if (ss_str_caseeq_c(par->name, "transport"))
			uri->transport = par->value;
		else if (ss_str_caseeq_c(par->name, "maddr"))
			uri->maddr = par->value;
		else if (ss_str_caseeq_c(par->name, "user"))
			uri->user_param = par->value;
		else if (ss_str_caseeq_c(par->name, "method"))
			uri->method = par->value;
		else if (ss_str_caseeq_c(par->name, "lr"))
			uri->lr = true;
	}
	if (uri->params_raw.s)
		uri->params_raw.len = (size_t)(p - uri->params_raw.s);
	return p;
}

/*
 * The user part may hold ';', '?' and ',' (intmeth, semiuri), so userinfo
 * is found by its '@', which can appear nowhere else unescaped.
 */
static int sip_uri(ss_sip_arena_t *a, const char *p, const char *end,
		   ss_sip_uri_t *uri)
{
	const char *at = memchr(p, '@', (size_t)(end - p));
	uint64_t port;
	int over;

	if (at) {
		const char *ue = ss_sipp_scan_esc(p, at, SS_C_USER);

		if (ue == p)
			return -EINVAL;
		uri->user = ss_sipp_slice(p, ue);
		if (ue < at) {
			const char *pe;

			if (*ue != ':')
				return -EINVAL;
			pe = ss_sipp_scan_esc(ue + 1, at, SS_C_PASS);
			if (pe != at)
				return -EINVAL;
			uri->password = ss_sipp_slice(ue + 1, at);
		}
		p = at + 1;
	}
	p = ss_sipp_host(p, end, &uri->host, &uri->host_type);
	if (!p)
		return -EINVAL;
	if (p < end && *p == ':') {
		p = ss_sipp_digits(p + 1, end, 65536, &port, &over);
		if (!p || port > 65535)
			return -EINVAL;
		uri->port = (uint16_t)port;
	}
	/* A bad parameter and an exhausted arena both reject the URI. */
	p = uri_params(a, p, end, uri);
	if (!p)
		return -EINVAL;
	if (p < end && *p == '?') {
		const char *he = ss_sipp_scan_esc(p + 1, end, SS_C_HNV);

		uri->headers = ss_sipp_slice(p + 1, he);
		p = he;
	}
	return p == end ? 0 : -EINVAL;
}

static int tel_uri(ss_sip_arena_t *a, const char *p, const char *end,
		   ss_sip_uri_t *uri)
{
	const char *ne = ss_sipp_scan(p, end, SS_C_TEL);

	if (ne == p)
		return -EINVAL;
	uri->user = ss_sipp_slice(p, ne);
	p = uri_params(a, ne, end, uri);
	if (!p)
		return -EINVAL;
	return p == end ? 0 : -EINVAL;
}

int ss_sip_uri_parse(ss_sip_arena_t *a, ss_str_t text, ss_sip_uri_t *uri)
{
	const char *p, *end, *se;
	int rc;

	memset(uri, 0, sizeof(*uri));
	uri->raw = text;
	if (!text.len || !ss_sipp_is(*text.s, SS_C_ALPHA))
		return -EINVAL;
	p = text.s;
	end = text.s + text.len;
	se = ss_sipp_scan(p + 1, end, SS_C_SCHEME);
	if (se == end || *se != ':')
		return -EINVAL;
	uri->scheme_str = ss_sipp_slice(p, se);
	p = se + 1;
	if (ss_str_caseeq_c(uri->scheme_str, "sip"))
		uri->scheme = SS_SIP_URI_SIP;
	else if (ss_str_caseeq_c(uri->scheme_str, "sips"))
		uri->scheme = SS_SIP_URI_SIPS;
	else if (ss_str_caseeq_c(uri->scheme_str, "tel"))
		uri->scheme = SS_SIP_URI_TEL;
	else
		uri->scheme = SS_SIP_URI_OTHER;

	switch (uri->scheme) {
	case SS_SIP_URI_SIP:
	case SS_SIP_URI_SIPS:
		rc = sip_uri(a, p, end, uri);
		break;
	case SS_SIP_URI_TEL:
		rc = tel_uri(a, p, end, uri);
		break;
	default:
		uri->opaque = ss_sipp_slice(p, end);
		rc = (p < end && ss_sipp_scan_esc(p, end, SS_C_URIC) == end)
			 ? 0
			 : -EINVAL;
		break;
	}
	return rc;
}
