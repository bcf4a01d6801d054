/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stream framing: Content-Length forms, keepalives, partial input and the
 * errors that close a connection.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <string.h>

#include "transport_int.h"

static int frame(const char *s, size_t max, tp_frame_t *f)
{
	return tp_frame_next(s, strlen(s), max, f);
}

START_TEST(frame_content_length_forms)
{
	static const char *const ok[] = {
	    "BYE sip:a SIP/2.0\r\nContent-Length: 3\r\n\r\nabc",
	    "BYE sip:a SIP/2.0\r\ncontent-length:3\r\n\r\nabc",
	    "BYE sip:a SIP/2.0\r\nCONTENT-LENGTH \t: 3 \r\n\r\nabc",
	    "BYE sip:a SIP/2.0\r\nl: 3\r\n\r\nabc",
	    "BYE sip:a SIP/2.0\r\nL:3\r\nVia: x\r\n\r\nabc",
	    "BYE sip:a SIP/2.0\nl: 3\n\nabc",
	    "BYE sip:a SIP/2.0\r\nl: 3\r\nContent-Length: 3\r\n\r\nabc",
	};
	tp_frame_t f;
	unsigned i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(frame(ok[i], 65535, &f), 1);
		ck_assert_uint_eq(f.len, strlen(ok[i]));
		ck_assert_uint_eq(f.skip, 0);
		ck_assert(!f.ping);
	}
}
END_TEST

START_TEST(frame_bad_content_length)
{
	static const char *const bad[] = {
	    "BYE sip:a SIP/2.0\r\nVia: x\r\n\r\n",
	    "BYE sip:a SIP/2.0\r\nContent-Length: \r\n\r\n",
	    "BYE sip:a SIP/2.0\r\nContent-Length: 1x\r\n\r\n",
	    "BYE sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n",
	    "BYE sip:a SIP/2.0\r\nl: 1\r\nl: 2\r\n\r\nab",
	    "BYE sip:a SIP/2.0\r\nContent-Length: "
	    "99999999999999999999999999\r\n\r\n",
	    /* the start line is not a header */
	    "l: 0 sip:a SIP/2.0\r\nVia: x\r\n\r\n",
	    /* a name that merely starts like one */
	    "BYE sip:a SIP/2.0\r\nContent-Lengthy: 0\r\nLocation: 0\r\n\r\n",
	};
	tp_frame_t f;
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(frame(bad[i], 65535, &f) == -EBADMSG, "%s",
			      bad[i]);
}
END_TEST

START_TEST(frame_partial)
{
	static const char msg[] = "INVITE sip:a SIP/2.0\r\nl: 4\r\n\r\nbody";
	tp_frame_t f;
	size_t n;

	for (n = 1; n < strlen(msg); n++)
		ck_assert_int_eq(tp_frame_next(msg, n, 65535, &f), 0);
	ck_assert_int_eq(tp_frame_next(msg, strlen(msg), 65535, &f), 1);
	ck_assert_uint_eq(f.len, strlen(msg));
}
END_TEST

START_TEST(frame_two_messages)
{
	static const char two[] = "BYE sip:a SIP/2.0\r\nl: 1\r\n\r\nX"
				  "ACK sip:a SIP/2.0\r\nl: 0\r\n\r\n";
	tp_frame_t f;

	ck_assert_int_eq(frame(two, 65535, &f), 1);
	ck_assert_uint_eq(f.len, 28);
	ck_assert_int_eq(frame(two + f.len, 65535, &f), 1);
	ck_assert_uint_eq(f.len, strlen(two) - 28);
}
END_TEST

START_TEST(frame_keepalives)
{
	tp_frame_t f;

	ck_assert_int_eq(frame("\r\n\r\nBYE", 65535, &f), 1);
	ck_assert_uint_eq(f.skip, 4);
	ck_assert(f.ping);
	ck_assert_uint_eq(f.len, 0);
	ck_assert_int_eq(frame("\r\nBYE", 65535, &f), 1);
	ck_assert_uint_eq(f.skip, 2);
	ck_assert(!f.ping);
	ck_assert_int_eq(frame("\nBYE", 65535, &f), 1);
	ck_assert_uint_eq(f.skip, 1);
	/* a possible ping in progress waits */
	ck_assert_int_eq(frame("\r", 65535, &f), 0);
	ck_assert_int_eq(frame("\r\n", 65535, &f), 0);
	ck_assert_int_eq(frame("\r\n\r", 65535, &f), 0);
	ck_assert_int_eq(frame("", 65535, &f), 0);
}
END_TEST

START_TEST(frame_oversize)
{
	static char hdr[3000];
	tp_frame_t f;

	ck_assert_int_eq(
	    frame("BYE sip:a SIP/2.0\r\nl: 2000\r\n\r\n", 2000, &f), -EMSGSIZE);
	ck_assert_int_eq(
	    frame("BYE sip:a SIP/2.0\r\nl: 1970\r\n\r\n", 2000, &f), 0);
	memset(hdr, 'X', sizeof(hdr) - 1);
	ck_assert_int_eq(tp_frame_next(hdr, 2000, 2000, &f), 0);
	ck_assert_int_eq(tp_frame_next(hdr, 2001, 2000, &f), -EMSGSIZE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tp_frame");
	TCase *tc = tcase_create("frame");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, frame_content_length_forms);
	tcase_add_test(tc, frame_bad_content_length);
	tcase_add_test(tc, frame_partial);
	tcase_add_test(tc, frame_two_messages);
	tcase_add_test(tc, frame_keepalives);
	tcase_add_test(tc, frame_oversize);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
