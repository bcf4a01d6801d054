/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The b2bua's SDP handling: reading the streams of an offer, rewriting a
 * body to the relay's address and ports (session and media c=, several m=
 * lines, disabled streams, a=rtcp, ICE candidates), and keeping the relay
 * sessions in step, with what bad SDP and an exhausted relay get.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "b2b_test.h"

static b2b_loop_t bl;
static b2b_call_t call;

static void setup(void)
{
	fr_reset();
	memset(&b2b_g, 0, sizeof(b2b_g));
	b2b_g.parser = &ss_sip_parser_api;
	b2b_g.rtp = &fr_api;
	memset(&bl, 0, sizeof(bl));
	bl.sdp = malloc(B2B_SDP_MAX);
	memset(&call, 0, sizeof(call));
	call.bl = &bl;
	call.leg[B2B_IN].call_id = (char *)"c1";
}

static void teardown(void)
{
	b2b_sdp_release(&call);
	ck_assert_uint_eq(fr_live(), 0);
	free(bl.sdp);
}

/* Rewrites sdp (parsed) with out; returns the NUL-terminated result. */
static const char *rewrite(const char *sdp, const b2b_sdp_out_t *out)
{
	static char buf[4096];
	ss_sip_arena_t a;
	ss_sdp_t parsed;
	ssize_t n;

	ss_sip_arena_init(&a);
	ck_assert_int_eq(ss_sdp_parse(&a, ss_str_c(sdp), &parsed), 0);
	n = b2b_sdp_write(&parsed, ss_str_c(sdp), out, buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ss_sip_arena_fini(&a);
	return buf;
}

static const char *relay(const char *sdp, b2b_leg_id_t from, ssize_t *n)
{
	static char out[B2B_SDP_MAX + 1];
	ss_sip_msg_t msg;
	char *text;

	ss_sip_msg_init(&msg);
	text = bt_sdp_msg(&msg, sdp);
	*n = b2b_sdp_relay(&call, &msg, from);
	out[0] = '\0';
	if (*n > 0) {
		memcpy(out, bl.sdp, (size_t)*n);
		out[*n] = '\0';
	}
	ss_sip_msg_fini(&msg);
	free(text);
	return out;
}

START_TEST(session_level_c)
{
	b2b_sdp_out_t out = {
	    .host = "192.0.2.128", .family = AF_INET, .n = 1, .port = {2000}};
	const char *r = rewrite("v=0\r\n"
				"o=alice 2890844526 2890844526 IN IP4 "
				"client.atlanta.example.com\r\n"
				"s=-\r\nc=IN IP4 192.0.2.101\r\nt=0 0\r\n"
				"m=audio 49172 RTP/AVP 0\r\n"
				"a=rtpmap:0 PCMU/8000\r\n",
				&out);

	ck_assert_str_eq(r, "v=0\r\n"
			    "o=alice 2890844526 2890844526 IN IP4 "
			    "192.0.2.128\r\n"
			    "s=-\r\nc=IN IP4 192.0.2.128\r\nt=0 0\r\n"
			    "m=audio 2000 RTP/AVP 0\r\n"
			    "a=rtpmap:0 PCMU/8000\r\n");
}
END_TEST

START_TEST(media_level_several_m)
{
	b2b_sdp_out_t out = {.host = "192.0.2.128",
			     .family = AF_INET,
			     .n = 3,
			     .port = {2000, 0, 2004}};
	const char *r =
	    rewrite("v=0\n"
		    "o=- 1 1 IN IP4 10.0.0.1\n"
		    "s=-\nt=0 0\n"
		    "m=audio 49170 RTP/AVP 0 8\n"
		    "c=IN IP4 10.0.0.1\n"
		    "a=rtcp:49999 IN IP4 10.0.0.1\n"
		    "a=candidate:1 1 UDP 1 10.0.0.1 49170 typ host\n"
		    "m=video 0 RTP/AVP 31\n"
		    "c=IN IP4 10.0.0.2\n"
		    "m=video 51372/2 RTP/AVP 99\n"
		    "c=IN IP4 10.0.0.3\n"
		    "a=rtpmap:99 h263-1998/90000\n",
		    &out);

	/* Bare LFs become CRLF, ports per stream, the disabled one stays 0,
	 * RTCP follows the relay, candidates are gone. */
	ck_assert_str_eq(r, "v=0\r\n"
			    "o=- 1 1 IN IP4 192.0.2.128\r\n"
			    "s=-\r\nt=0 0\r\n"
			    "m=audio 2000 RTP/AVP 0 8\r\n"
			    "c=IN IP4 192.0.2.128\r\n"
			    "a=rtcp:2001\r\n"
			    "m=video 0 RTP/AVP 31\r\n"
			    "c=IN IP4 192.0.2.128\r\n"
			    "m=video 2004 RTP/AVP 99\r\n"
			    "c=IN IP4 192.0.2.128\r\n"
			    "a=rtpmap:99 h263-1998/90000\r\n");
}
END_TEST

START_TEST(ipv6_relay_writes_ip6)
{
	b2b_sdp_out_t out = {.host = "2001:db8::128",
			     .family = AF_INET6,
			     .n = 1,
			     .port = {3000}};
	const char *r = rewrite("v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\n"
				"c=IN IP6 2001:db8::1\r\nt=0 0\r\n"
				"m=audio 5004 RTP/AVP 0\r\n",
				&out);

	ck_assert_str_eq(r, "v=0\r\no=- 1 1 IN IP6 2001:db8::128\r\ns=-\r\n"
			    "c=IN IP6 2001:db8::128\r\nt=0 0\r\n"
			    "m=audio 3000 RTP/AVP 0\r\n");
}
END_TEST

START_TEST(write_too_small)
{
	const char *sdp = "v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 1 RTP/AVP 0\r\n";
	b2b_sdp_out_t out = {.host = "192.0.2.128", .family = AF_INET, .n = 1};
	ss_sip_arena_t a;
	ss_sdp_t parsed;
	char buf[16];

	ss_sip_arena_init(&a);
	ck_assert_int_eq(ss_sdp_parse(&a, ss_str_c(sdp), &parsed), 0);
	ck_assert_int_eq(
	    b2b_sdp_write(&parsed, ss_str_c(sdp), &out, buf, sizeof(buf)),
	    -ENOSPC);
	ss_sip_arena_fini(&a);
}
END_TEST

static int read_sdp(const char *sdp, int family, b2b_sdp_info_t *info)
{
	ss_sip_arena_t a;
	ss_sdp_t parsed;
	int rc;

	ss_sip_arena_init(&a);
	ck_assert_int_eq(ss_sdp_parse(&a, ss_str_c(sdp), &parsed), 0);
	rc = b2b_sdp_read(&parsed, family, info);
	ss_sip_arena_fini(&a);
	return rc;
}

START_TEST(read_streams)
{
	b2b_sdp_info_t info;
	const struct sockaddr_in *sin;

	ck_assert_int_eq(read_sdp("v=0\r\nc=IN IP4 192.0.2.101\r\n"
				  "m=audio 49172 RTP/AVP 0\r\n"
				  "a=rtcp:49999\r\n"
				  "m=video 0 RTP/AVP 31\r\n",
				  AF_INET, &info),
			 0);
	ck_assert_uint_eq(info.n, 2);
	sin = (const struct sockaddr_in *)&info.s[0].addr.sa;
	ck_assert_uint_eq(ntohs(sin->sin_port), 49172);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0xC0000265);
	ck_assert_uint_eq(info.s[0].rtcp_port, 49999);
	ck_assert_uint_eq(info.s[1].port, 0);
}
END_TEST

START_TEST(read_refuses)
{
	b2b_sdp_info_t info;

	/* No c= at all. */
	ck_assert_int_eq(read_sdp("v=0\r\nm=audio 1 RTP/AVP 0\r\n", 0, &info),
			 -EPROTONOSUPPORT);
	/* IPv6 for an IPv4 relay. */
	ck_assert_int_eq(read_sdp("v=0\r\nc=IN IP6 ::1\r\n"
				  "m=audio 1 RTP/AVP 0\r\n",
				  AF_INET, &info),
			 -EPROTONOSUPPORT);
	/* A name, multicast, an unknown address type. */
	ck_assert_int_eq(read_sdp("v=0\r\nc=IN IP4 host.example.com\r\n"
				  "m=audio 1 RTP/AVP 0\r\n",
				  0, &info),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(read_sdp("v=0\r\nc=IN IP4 224.2.1.1/127\r\n"
				  "m=audio 1 RTP/AVP 0\r\n",
				  0, &info),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(read_sdp("v=0\r\nc=IN X25 1234\r\n"
				  "m=audio 1 RTP/AVP 0\r\n",
				  0, &info),
			 -EPROTONOSUPPORT);
	/* No stream at all. */
	ck_assert_int_eq(read_sdp("v=0\r\nc=IN IP4 10.0.0.1\r\n", 0, &info),
			 -EPROTONOSUPPORT);
}
END_TEST

START_TEST(relay_offer_and_answer)
{
	ssize_t n;
	const char *r;

	r = relay("v=0\r\nc=IN IP4 192.0.2.101\r\n"
		  "m=audio 49172 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n"
		  "m=video 49174 RTP/AVP 31\r\n",
		  B2B_IN, &n);
	ck_assert_int_gt(n, 0);
	/* Two active streams: two sessions, the caller's peers on side A,
	 * the SDP for the callee carrying side B's ports. */
	ck_assert_uint_eq(fr.allocs, 2);
	ck_assert_uint_eq(call.nstreams, 3);
	ck_assert_ptr_null(call.rtp[1]);
	ck_assert_uint_eq(fr_peer_port(0, SS_RTP_SIDE_A), 49172);
	ck_assert(!fr.s[0].peer_set[SS_RTP_SIDE_B]);
	ck_assert_str_eq(r, "v=0\r\nc=IN IP4 192.0.2.128\r\n"
			    "m=audio 40002 RTP/AVP 0\r\n"
			    "m=video 0 RTP/AVP 31\r\n"
			    "m=video 40006 RTP/AVP 31\r\n");
	/* The answer sets side B's peers and is written with side A's. */
	r = relay("v=0\r\nc=IN IP4 192.0.2.201\r\n"
		  "m=audio 3456 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n"
		  "m=video 3458 RTP/AVP 31\r\n",
		  B2B_OUT, &n);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(fr.allocs, 2);
	ck_assert_uint_eq(fr_peer_port(0, SS_RTP_SIDE_B), 3456);
	ck_assert_uint_eq(fr_peer_port(1, SS_RTP_SIDE_B), 3458);
	ck_assert_str_eq(r, "v=0\r\nc=IN IP4 192.0.2.128\r\n"
			    "m=audio 40000 RTP/AVP 0\r\n"
			    "m=video 0 RTP/AVP 31\r\n"
			    "m=video 40004 RTP/AVP 31\r\n");
}
END_TEST

START_TEST(relay_bad_sdp_is_488_and_allocates_nothing)
{
	ssize_t n;

	relay("v=0\r\nm=audio 1 RTP/AVP 0\r\n", B2B_IN, &n);
	ck_assert_uint_eq(b2b_sdp_error_code((int)n), 488);
	relay("garbage", B2B_IN, &n);
	ck_assert_int_eq(n, -EPROTO);
	ck_assert_uint_eq(b2b_sdp_error_code((int)n), 488);
	/* An IPv6 offer to an IPv4 relay: the relay refuses the family. */
	relay("v=0\r\nc=IN IP6 2001:db8::1\r\nm=audio 5004 RTP/AVP 0\r\n",
	      B2B_IN, &n);
	ck_assert_int_eq(n, -EAFNOSUPPORT);
	ck_assert_uint_eq(b2b_sdp_error_code((int)n), 488);
	ck_assert_uint_eq(fr.allocs, 0);
}
END_TEST

START_TEST(relay_ipv6)
{
	ssize_t n;
	const char *r;

	fr.family = AF_INET6;
	r = relay("v=0\r\nc=IN IP6 2001:db8::1\r\nm=audio 5004 RTP/AVP 0\r\n",
		  B2B_IN, &n);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(r, "v=0\r\nc=IN IP6 2001:db8::128\r\n"
			    "m=audio 40002 RTP/AVP 0\r\n");
}
END_TEST

START_TEST(relay_exhausted_is_503)
{
	ssize_t n;

	fr.fail = -ENOSPC;
	relay("v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 1000 RTP/AVP 0\r\n", B2B_IN,
	      &n);
	ck_assert_int_eq(n, -ENOSPC);
	ck_assert_uint_eq(b2b_sdp_error_code((int)n), 503);
	ck_assert_uint_eq(fr_live(), 0);
}
END_TEST

START_TEST(no_body_is_no_sdp)
{
	ss_sip_msg_t msg;
	ss_sip_error_t err;
	const char *text = "INVITE sip:b@x SIP/2.0\r\nVia: SIP/2.0/UDP h;"
			   "branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\n"
			   "To: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
			   "Content-Length: 0\r\n\r\n";

	ss_sip_msg_init(&msg);
	ck_assert_int_eq(ss_sip_msg_parse(&msg, text, strlen(text), &err), 0);
	ck_assert(!b2b_has_sdp(&msg));
	ck_assert_int_eq(b2b_sdp_relay(&call, &msg, B2B_IN), 0);
	ss_sip_msg_fini(&msg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("b2b_sdp");
	TCase *tc = tcase_create("sdp");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, session_level_c);
	tcase_add_test(tc, media_level_several_m);
	tcase_add_test(tc, ipv6_relay_writes_ip6);
	tcase_add_test(tc, write_too_small);
	tcase_add_test(tc, read_streams);
	tcase_add_test(tc, read_refuses);
	tcase_add_test(tc, relay_offer_and_answer);
	tcase_add_test(tc, relay_bad_sdp_is_488_and_allocates_nothing);
	tcase_add_test(tc, relay_ipv6);
	tcase_add_test(tc, relay_exhausted_is_503);
	tcase_add_test(tc, no_body_is_no_sdp);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
