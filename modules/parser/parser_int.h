/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parser-private: the RFC 3261 character classes as one lookup table, the
 * scanning helpers every parsing file uses, and the cross-file functions of
 * the parser sources (prefix ss_sipp_).
 */
#ifndef SS_PARSER_INT_H
#define SS_PARSER_INT_H

#include <stdint.h>
#include <sipserver/sip/parser.h>

enum {
	SS_C_TOKEN = 1u << 0,  /* token (RFC 3261 25.1) */
	SS_C_UNRES = 1u << 1,  /* unreserved: alphanum / mark */
	SS_C_USER = 1u << 2,   /* unreserved / user-unreserved */
	SS_C_PASS = 1u << 3,   /* password characters */
	SS_C_PARAM = 1u << 4,  /* paramchar without escaped */
	SS_C_HNV = 1u << 5,    /* hname/hvalue characters, '=' and '&' */
	SS_C_HOST = 1u << 6,   /* hostname characters (and '_', leniently) */
	SS_C_SCHEME = 1u << 7, /* scheme characters after the first ALPHA */
	SS_C_URIC = 1u << 8,   /* uric and '#', for opaque absoluteURIs */
	SS_C_DIGIT = 1u << 9,
	SS_C_LWS = 1u << 10, /* SP HT CR LF: LWS once lines are framed */
	SS_C_TEL = 1u << 11, /* tel number digits and visual separators */
	SS_C_ALPHA = 1u << 12,
};

/* Parser-private: class bits of each byte. */
extern const uint16_t ss_sipp_ctype[256];

static inline int ss_sipp_is(char c, unsigned mask)
{
	return ss_sipp_ctype[(unsigned char)c] & mask;
}

static inline const char *ss_sipp_skip_lws(const char *p, const char *end)
{
	while (p < end && ss_sipp_is(*p, SS_C_LWS))
		p++;
	return p;
}

static inline const char *ss_sipp_scan(const char *p, const char *end,
				       unsigned mask)
{
	while (p < end && ss_sipp_is(*p, mask))
		p++;
	return p;
}

/* Like ss_sipp_scan, also accepting "%" HEX HEX escapes. */
static inline const char *ss_sipp_scan_esc(const char *p, const char *end,
					   unsigned mask)
{
	while (p < end) {
		if (ss_sipp_is(*p, mask))
			p++;
		else if (*p == '%' && end - p >= 3 &&
			 ss_sip_hexval((unsigned char)p[1]) >= 0 &&
			 ss_sip_hexval((unsigned char)p[2]) >= 0)
			p += 3;
		else
			break;
	}
	return p;
}

static inline ss_str_t ss_sipp_slice(const char *b, const char *e)
{
	return (ss_str_t){b, (size_t)(e - b)};
}

/* Trims LWS off both ends of [b, e). */
static inline ss_str_t ss_sipp_trim(const char *b, const char *e)
{
	while (b < e && ss_sipp_is(*b, SS_C_LWS))
		b++;
	while (e > b && ss_sipp_is(e[-1], SS_C_LWS))
		e--;
	return ss_sipp_slice(b, e);
}

/* p at '"': returns the byte after the closing quote, or NULL. */
const char *ss_sipp_scan_quoted(const char *p, const char *end);

/* Parses 1*DIGIT of [p, end) into *out, saturating at max; returns the
 * end of the digits or NULL when there are none. *over tells saturation. */
const char *ss_sipp_digits(const char *p, const char *end, uint64_t max,
			   uint64_t *out, int *over);

/* Host (name, IPv4 or [IPv6]) at p: returns its end or NULL. */
const char *ss_sipp_host(const char *p, const char *end, ss_str_t *host,
			 ss_sip_host_type_t *type);

/* ";name[=value]" header parameters (generic-param) from p; appends to
 * *tail. Returns where they end or NULL on a syntax error or no memory. */
const char *ss_sipp_hparams(ss_sip_arena_t *a, const char *p, const char *end,
			    ss_sip_param_t ***tail);

/* Makes room for an entry at index pos (shifting the later ones) and
 * returns it zeroed, or NULL at SS_SIP_MSG_MAX_HDRS or without memory. */
ss_sip_hdr_t *ss_sipp_hdr_insert(ss_sip_msg_t *msg, unsigned pos);

#endif
