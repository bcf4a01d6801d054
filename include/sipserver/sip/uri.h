/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIP, SIPS and tel URIs (RFC 3261 19.1, RFC 3966) and the generic
 * ";name=value" parameter lists shared by URIs and header fields. All parts
 * are slices of the text the URI was parsed from, escapes left as received.
 */
#ifndef SIPSERVER_SIP_URI_H
#define SIPSERVER_SIP_URI_H

#include <stdbool.h>
#include <stdint.h>
#include <sipserver/sip/str.h>

struct ss_sip_arena;

/* One parameter. value.s == NULL for a parameter without "=value" (";lr");
 * a quoted value keeps its quotes. Lists live in the owner's arena. */
typedef struct ss_sip_param {
	ss_str_t name;
	ss_str_t value;
	struct ss_sip_param *next;
} ss_sip_param_t;

typedef enum ss_sip_uri_scheme {
	SS_SIP_URI_NONE = 0,
	SS_SIP_URI_SIP,
	SS_SIP_URI_SIPS,
	SS_SIP_URI_TEL,
	SS_SIP_URI_OTHER, /* syntactically valid absoluteURI, kept opaque */
} ss_sip_uri_scheme_t;

typedef enum ss_sip_host_type {
	SS_SIP_HOST_NONE = 0,
	SS_SIP_HOST_NAME,
	SS_SIP_HOST_IPV4,
	SS_SIP_HOST_IPV6, /* host keeps its brackets: "[2001:db8::1]" */
} ss_sip_host_type_t;

typedef struct ss_sip_uri {
	ss_sip_uri_scheme_t scheme;
	ss_sip_host_type_t host_type;
	ss_str_t raw;	     /* the whole URI */
	ss_str_t scheme_str; /* as written ("SIP", "tel", "soap.beep") */
	ss_str_t user;	     /* sip: userinfo user; tel: the number */
	ss_str_t password;   /* s == NULL when absent */
	ss_str_t host;
	uint16_t port;	     /* 0 when absent */
	ss_str_t params_raw; /* after the first ';', without it */
	ss_sip_param_t *params;
	ss_str_t headers; /* after '?', without it; s == NULL when absent */
	ss_str_t opaque;  /* SS_SIP_URI_OTHER: everything after "scheme:" */
	/* Picked out of params while parsing (s == NULL when absent). */
	ss_str_t transport, maddr, user_param, method;
	bool lr;
} ss_sip_uri_t;

/* First parameter named name (ASCII case-insensitive), or NULL. */
static inline const ss_sip_param_t *ss_sip_param_find(const ss_sip_param_t *p,
						      const char *name)
{
	for (; p; p = p->next)
		if (ss_str_caseeq_c(p->name, name))
			return p;
	return NULL;
}

static inline int ss_sip_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ss_ascii_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decodes %HH escapes of src into dst (at least src.len bytes) and returns
 * the decoded length. Decoding is single-pass: "%2541" gives "%41". A '%'
 * not followed by two hex digits is copied as is. The result may contain
 * NUL bytes ("%00"), so treat it as a length-delimited buffer.
 */
static inline size_t ss_sip_unescape(char *dst, ss_str_t src)
{
	size_t n = 0;

	for (size_t i = 0; i < src.len; i++) {
		int hi, lo;

		if (src.s[i] == '%' && i + 2 < src.len &&
		    (hi = ss_sip_hexval((unsigned char)src.s[i + 1])) >= 0 &&
		    (lo = ss_sip_hexval((unsigned char)src.s[i + 2])) >= 0) {
			dst[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			dst[n++] = src.s[i];
		}
	}
	return n;
}

#endif
