/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pointer+length strings (pjsip's pj_str_t): every parsed SIP element is a
 * slice of the receive buffer or of a message arena, never NUL-terminated.
 */
#ifndef SIPSERVER_SIP_STR_H
#define SIPSERVER_SIP_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct ss_str {
	const char *s;
	size_t len;
} ss_str_t;

/* A slice of a string literal. */
#define SS_STR(lit) ((ss_str_t){(lit), sizeof(lit) - 1})
/* The empty slice; s == NULL also means "absent" where a doc says so. */
#define SS_STR_NULL ((ss_str_t){NULL, 0})
/* printf("%.*s", SS_STR_ARG(x)) */
#define SS_STR_ARG(x) (int)(x).len, (x).s

/* A slice of a NUL-terminated string (NULL gives the empty slice). */
static inline ss_str_t ss_str_c(const char *c)
{
	return (ss_str_t){c, c ? strlen(c) : 0};
}

static inline bool ss_str_eq(ss_str_t a, ss_str_t b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0);
}

static inline int ss_ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* ASCII case-insensitive equality: SIP tokens, header names, schemes. */
static inline bool ss_str_caseeq(ss_str_t a, ss_str_t b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (ss_ascii_lower((unsigned char)a.s[i]) !=
		    ss_ascii_lower((unsigned char)b.s[i]))
			return false;
	return true;
}

static inline bool ss_str_caseeq_c(ss_str_t a, const char *c)
{
	return ss_str_caseeq(a, ss_str_c(c));
}

#endif
