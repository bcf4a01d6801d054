/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the parser unit tests: fixture loading, slice asserts. */
#ifndef SS_TEST_PARSER_TEST_H
#define SS_TEST_PARSER_TEST_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sipserver/sip/parser.h>

#ifndef SS_SRCDIR
#define SS_SRCDIR "."
#endif

/* Reads tests/data/sip/<rel> into a malloc'd buffer (NUL-terminated, like
 * the transport's buffers); the caller frees it. */
static inline char *fixture_load(const char *rel, size_t *len)
{
	char path[512];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/sip/%s", SS_SRCDIR, rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

#define ck_slice(sl, want)                                                    \
	do {                                                                  \
		ss_str_t s_ = (sl);                                           \
		const char *w_ = (want);                                      \
		ck_assert_msg(s_.s &&ss_str_eq(s_, ss_str_c(w_)),             \
			      "%s: got '%.*s' want '%s'", #sl,                \
			      s_.s ? (int)s_.len : 6, s_.s ? s_.s : "(null)", \
			      w_);                                            \
	} while (0)

/* Binary-safe variant for expected values holding NUL bytes. */
#define ck_slice_bin(sl, want, wlen)                                    \
	do {                                                            \
		ss_str_t s_ = (sl);                                     \
		ck_assert_uint_eq(s_.len, (wlen));                      \
		ck_assert_msg(s_.s &&memcmp(s_.s, (want), (wlen)) == 0, \
			      "%s differs", #sl);                       \
	} while (0)

#define ck_absent(sl) ck_assert_ptr_null((sl).s)

#endif
