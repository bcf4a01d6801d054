/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The two URI operations the location table needs without a SIP parser: the
 * table key of an AOR, and contact URI equality for matching a REGISTER's
 * Contact against stored bindings.
 */
#include "loc_int.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#define URI_MAX_PARAMS 16

/* Where the parts of "scheme:user@host:port;params?headers" start. */
typedef struct uri_parts {
	const char *s;
	size_t scheme_end;     /* index of ':' */
	size_t user, user_end; /* user_end == user when there is no '@' */
	size_t host, host_end;
	size_t params_end; /* '?' or end */
	size_t len;
} uri_parts_t;

static int uri_split(const char *s, uri_parts_t *p)
{
	const char *colon = strchr(s, ':');
	size_t i;

	p->s = s;
	p->len = strlen(s);
	if (!colon || colon == s)
		return -EINVAL;
	p->scheme_end = (size_t)(colon - s);
	for (i = 0; i < p->scheme_end; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("+-.", s[i]))
			return -EINVAL;
	p->user = p->scheme_end + 1;
	/* The user part ends at the first '@' before any ';' or '?' of the
	 * host part; without one the URI has no user part. */
	p->user_end = p->user;
	for (i = p->user; i < p->len && s[i] != '@'; i++)
		;
	if (i < p->len)
		p->user_end = i;
	p->host = p->user_end == p->user ? p->user : p->user_end + 1;
	for (i = p->host; i < p->len && s[i] != ';' && s[i] != '?'; i++)
		;
	p->host_end = i;
	for (; i < p->len && s[i] != '?'; i++)
		;
	p->params_end = i;
	return p->host_end > p->host ? 0 : -EINVAL;
}

int loc_aor_canon(const char *aor, char *out, size_t size)
{
	uri_parts_t p;
	size_t i;

	if (!aor || uri_split(aor, &p) < 0 || p.len >= size ||
	    p.len > SS_LOC_MAX_AOR)
		return -EINVAL;
	for (i = 0; i < p.len; i++) {
		unsigned char c = (unsigned char)aor[i];

		if (c <= ' ' || c == 0x7f)
			return -EINVAL;
		if (i < p.scheme_end || (i >= p.host && i < p.host_end))
			c = (unsigned char)tolower(c);
		out[i] = (char)c;
	}
	out[p.len] = '\0';
	return (int)p.len;
}

typedef struct uri_param {
	const char *name, *value;
	size_t nlen, vlen;
} uri_param_t;

/* Splits ";a=b;c" in [from, to) into params; -E2BIG beyond the array. */
static int params_split(const char *s, size_t from, size_t to, uri_param_t *pv)
{
	int n = 0;
	size_t i = from;

	while (i < to) {
		size_t start = ++i, eq = 0;

		while (i < to && s[i] != ';') {
			if (s[i] == '=' && !eq)
				eq = i;
			i++;
		}
		if (n == URI_MAX_PARAMS)
			return -E2BIG;
		pv[n].name = s + start;
		pv[n].nlen = (eq ? eq : i) - start;
		pv[n].value = eq ? s + eq + 1 : "";
		pv[n].vlen = eq ? i - eq - 1 : 0;
		n++;
	}
	return n;
}

static bool span_caseeq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && strncasecmp(a, b, alen) == 0;
}

/* Parameters compare as sets: the order a UA writes them in carries no
 * meaning, and UAs do reorder them between refreshes. */
static bool params_equal(const uri_parts_t *a, const uri_parts_t *b)
{
	uri_param_t pa[URI_MAX_PARAMS], pb[URI_MAX_PARAMS];
	int na = params_split(a->s, a->host_end, a->params_end, pa);
	int nb = params_split(b->s, b->host_end, b->params_end, pb);
	int i, j;

	if (na < 0 || nb < 0)
		return span_caseeq(
		    a->s + a->host_end, a->params_end - a->host_end,
		    b->s + b->host_end, b->params_end - b->host_end);
	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (span_caseeq(pa[i].name, pa[i].nlen, pb[j].name,
					pb[j].nlen) &&
			    span_caseeq(pa[i].value, pa[i].vlen, pb[j].value,
					pb[j].vlen))
				break;
		if (j == nb)
			return false;
	}
	return true;
}

bool loc_uri_equal(const char *a, const char *b)
{
	uri_parts_t pa, pb;

	if (strcmp(a, b) == 0)
		return true;
	if (uri_split(a, &pa) < 0 || uri_split(b, &pb) < 0)
		return false;
	return span_caseeq(a, pa.scheme_end, b, pb.scheme_end) &&
	       pa.user_end - pa.user == pb.user_end - pb.user &&
	       memcmp(a + pa.user, b + pb.user, pa.user_end - pa.user) == 0 &&
	       span_caseeq(a + pa.host, pa.host_end - pa.host, b + pb.host,
			   pb.host_end - pb.host) &&
	       params_equal(&pa, &pb);
}
