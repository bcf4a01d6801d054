/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Routing helpers of the proxy: Max-Forwards, Route preprocessing for
 * loose and strict routers, Record-Route insertion, served domains,
 * credentials consumed here, AORs and the numeric RFC 3263 fast path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_test.h"

#define HEAD                                                           \
	"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK74bf9\n"        \
	"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\n" \
	"To: Bob <sip:bob@biloxi.example.com>\n"                       \
	"Call-ID: 3848276298220188511@atlanta.example.com\n"           \
	"CSeq: 1 INVITE\n"

static ss_sip_msg_t msg;

static void setup(void)
{
	proxy_test_setup();
	ss_sip_msg_init(&msg);
}

static void teardown(void)
{
	ss_sip_msg_fini(&msg);
	proxy_test_teardown();
}

static int mf_of(ss_sip_msg_t *m)
{
	uint32_t v;

	ck_assert_int_eq(ss_sip_msg_uint(m, SS_SIP_HDR_MAX_FORWARDS, &v), 0);
	return (int)v;
}

START_TEST(test_maxfwd_decrement)
{
	proxy_test_parse(&msg,
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n" HEAD
			 "Max-Forwards: 70\nContent-Length: 0\n\n");
	ck_assert_int_eq(proxy_maxfwd_value(&msg), 70);
	ck_assert_int_eq(proxy_maxfwd_step(&msg), 0);
	ck_assert_int_eq(mf_of(&msg), 69);
	ck_assert_ptr_nonnull(
	    strstr(proxy_test_print(&msg), "\r\nMax-Forwards: 69\r\n"));
}
END_TEST

START_TEST(test_maxfwd_absent_adds_70)
{
	proxy_test_parse(&msg,
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n" HEAD
			 "Content-Length: 0\n\n");
	ck_assert_int_eq(proxy_maxfwd_value(&msg), PROXY_MF_DEFAULT);
	ck_assert_int_eq(proxy_maxfwd_step(&msg), 0);
	ck_assert_int_eq(mf_of(&msg), 70);
}
END_TEST

START_TEST(test_maxfwd_zero_and_bad)
{
	proxy_test_parse(&msg,
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n" HEAD
			 "Max-Forwards: 0\nContent-Length: 0\n\n");
	ck_assert_int_eq(proxy_maxfwd_value(&msg), 0);
	ck_assert_int_eq(proxy_maxfwd_step(&msg), -ELOOP);
	proxy_test_parse(&msg,
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n" HEAD
			 "Max-Forwards: 1\nContent-Length: 0\n\n");
	ck_assert_int_eq(proxy_maxfwd_step(&msg), 0);
	ck_assert_int_eq(mf_of(&msg), 0);
	proxy_test_parse(&msg,
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n" HEAD
			 "Max-Forwards: many\nContent-Length: 0\n\n");
	ck_assert_int_eq(proxy_maxfwd_value(&msg), -EINVAL);
	ck_assert_int_eq(proxy_maxfwd_step(&msg), -EINVAL);
}
END_TEST

START_TEST(test_loose_route_removed)
{
	const ss_sip_name_addr_t *r;

	proxy_test_parse(&msg,
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n" HEAD
			 "Route: <sip:127.0.0.2;lr>, <sip:127.0.0.3:5080;lr>\n"
			 "Content-Length: 0\n\n");
	ck_assert_int_eq(proxy_route_preprocess(proxy_test_conf(), &msg), 0);
	r = ss_sip_msg_addr(&msg, SS_SIP_HDR_ROUTE, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert(ss_str_eq(r->uri.raw, SS_STR("sip:127.0.0.3:5080;lr")));
	ck_assert_ptr_null(ss_sip_msg_addr(&msg, SS_SIP_HDR_ROUTE, 1));
	ck_assert(
	    ss_str_eq(msg.ruri_str, SS_STR("sip:bob@biloxi.example.com")));
}
END_TEST

START_TEST(test_double_record_route_consumed)
{
	proxy_test_parse(&msg, "BYE sip:alice@127.0.0.1:5061 SIP/2.0\n" HEAD
			       "Route: <sip:127.0.0.2:5070;transport=tcp;lr>\n"
			       "Route: <sip:127.0.0.2:5060;lr>\n"
			       "Content-Length: 0\n\n");
	ck_assert_int_eq(proxy_route_preprocess(proxy_test_conf(), &msg), 0);
	ck_assert_ptr_null(ss_sip_msg_hdr(&msg, SS_SIP_HDR_ROUTE));
	ck_assert_ptr_null(strstr(proxy_test_print(&msg), "Route:"));
}
END_TEST

START_TEST(test_route_for_someone_else_kept)
{
	/* Same address, another port: another server. */
	proxy_test_parse(&msg,
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n" HEAD
			 "Route: <sip:127.0.0.2:5090;lr>\n"
			 "Content-Length: 0\n\n");
	ck_assert_int_eq(proxy_route_preprocess(proxy_test_conf(), &msg), 0);
	ck_assert_ptr_nonnull(ss_sip_msg_addr(&msg, SS_SIP_HDR_ROUTE, 0));
}
END_TEST

START_TEST(test_strict_router_restored)
{
	const ss_sip_name_addr_t *r;

	/* A strict router before us put our Record-Route URI into the
	 * Request-URI and the remote target at the end of the Route set. */
	proxy_test_parse(&msg,
			 "BYE sip:127.0.0.2:5060;lr SIP/2.0\n" HEAD
			 "Route: <sip:p3.example.com;lr>,\n"
			 " <sip:bob@client.biloxi.example.com;transport=tcp>\n"
			 "Content-Length: 0\n\n");
	ck_assert_int_eq(proxy_route_preprocess(proxy_test_conf(), &msg), 0);
	ck_assert(ss_str_eq(
	    msg.ruri_str,
	    SS_STR("sip:bob@client.biloxi.example.com;transport=tcp")));
	r = ss_sip_msg_addr(&msg, SS_SIP_HDR_ROUTE, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert(ss_str_eq(r->uri.raw, SS_STR("sip:p3.example.com;lr")));
	ck_assert_ptr_null(ss_sip_msg_addr(&msg, SS_SIP_HDR_ROUTE, 1));
	ck_assert_ptr_nonnull(strstr(
	    proxy_test_print(&msg),
	    "BYE sip:bob@client.biloxi.example.com;transport=tcp SIP/2.0\r\n"));
}
END_TEST

START_TEST(test_strict_needs_route)
{
	/* Without a Route the Request-URI is simply addressed to us. */
	proxy_test_parse(&msg, "OPTIONS sip:127.0.0.2 SIP/2.0\n" HEAD
			       "Content-Length: 0\n\n");
	ck_assert_int_eq(proxy_route_preprocess(proxy_test_conf(), &msg), 0);
	ck_assert(ss_str_eq(msg.ruri_str, SS_STR("sip:127.0.0.2")));
}
END_TEST

START_TEST(test_record_route_insert)
{
	const char *out;

	proxy_test_parse(&msg,
			 "INVITE sip:bob@127.0.0.1:5090 SIP/2.0\n" HEAD
			 "Record-Route: <sip:ss1.atlanta.example.com;lr>\n"
			 "Content-Length: 0\n\n");
	ck_assert_int_eq(
	    proxy_record_route(&msg, proxy_g.tp->listener_for(SS_SIP_UDP, 0),
			       false),
	    0);
	out = proxy_test_print(&msg);
	ck_assert_ptr_nonnull(strstr(out,
				     "Record-Route: <sip:127.0.0.2:5060;lr>"
				     "\r\nRecord-Route: <sip:ss1.atlanta"));
	ck_assert_int_eq(
	    proxy_record_route(&msg, proxy_g.tp->listener_for(SS_SIP_TCP, 0),
			       false),
	    0);
	ck_assert_ptr_nonnull(
	    strstr(proxy_test_print(&msg),
		   "Record-Route: <sip:127.0.0.2:5070;transport=tcp;lr>\r\n"
		   "Record-Route: <sip:127.0.0.2:5060;lr>"));
	ck_assert_int_eq(proxy_record_route(&msg, NULL, false), -ENETUNREACH);
}
END_TEST

START_TEST(test_push_routes)
{
	const ss_sip_name_addr_t *r;

	proxy_test_parse(&msg, "INVITE sip:bob@127.0.0.1:5090 SIP/2.0\n" HEAD
			       "Route: <sip:last.example.com;lr>\n"
			       "Content-Length: 0\n\n");
	ck_assert_int_eq(
	    proxy_push_routes(&msg, SS_STR("<sip:p1.example.com;lr>,"
					   "<sip:p2.example.com;lr>")),
	    0);
	r = ss_sip_msg_addr(&msg, SS_SIP_HDR_ROUTE, 0);
	ck_assert(ss_str_eq(r->uri.raw, SS_STR("sip:p1.example.com;lr")));
	r = ss_sip_msg_addr(&msg, SS_SIP_HDR_ROUTE, 2);
	ck_assert(ss_str_eq(r->uri.raw, SS_STR("sip:last.example.com;lr")));
}
END_TEST

START_TEST(test_domains)
{
	proxy_conf_t *c = proxy_test_conf();
	ss_sip_arena_t a;
	ss_sip_uri_t u;
	static const struct {
		const char *uri;
		bool local, us;
	} cases[] = {
	    {"sip:bob@biloxi.example.com", true, true},
	    {"sip:bob@BILOXI.example.com.", true, true},
	    {"sip:bob@127.0.0.2", true, true},
	    {"sip:bob@127.0.0.2:5070", true, true},
	    {"sip:bob@127.0.0.2:5090", false, false},
	    {"sip:bob@localhost", true, true},
	    {"sip:bob@atlanta.example.com", false, false},
	    {"sips:bob@127.0.0.2", true, false}, /* no listener on 5061 */
	    {"tel:+15551234", false, false},
	};

	ss_sip_arena_init(&a);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(
		    ss_sip_uri_parse(&a, ss_str_c(cases[i].uri), &u), 0);
		ck_assert_msg(proxy_uri_is_local(c, &u) == cases[i].local,
			      "%s local", cases[i].uri);
		ck_assert_msg(proxy_uri_is_us(c, &u) == cases[i].us, "%s us",
			      cases[i].uri);
	}
	ss_sip_arena_fini(&a);
}
END_TEST

START_TEST(test_static_routes)
{
	proxy_conf_t *c = proxy_test_conf();
	proxy_route_t r[1] = {{.domain = strdup("atlanta.example.com"),
			       .uri = strdup("sip:127.0.0.3:5080;lr"),
			       .lr = true}};

	c->routes = malloc(sizeof(r));
	memcpy(c->routes, r, sizeof(r));
	c->nroutes = 1;
	ck_assert_ptr_eq(proxy_route_find(c, SS_STR("Atlanta.Example.com")),
			 &c->routes[0]);
	ck_assert_ptr_null(proxy_route_find(c, SS_STR("chicago.example.com")));
	c->default_route.uri = (char *)"sip:127.0.0.9";
	ck_assert_ptr_eq(proxy_route_find(c, SS_STR("chicago.example.com")),
			 &c->default_route);
	c->default_route.uri = NULL;
}
END_TEST

START_TEST(test_credentials_for_us_consumed)
{
	const char *out;

	proxy_test_parse(
	    &msg, "INVITE sip:bob@biloxi.example.com SIP/2.0\n" HEAD
		  "Proxy-Authorization: Digest username=\"alice\", "
		  "realm=\"atlanta.example.com\", nonce=\"x\", response=\"y\"\n"
		  "Proxy-Authorization: Digest username=\"alice\", "
		  "realm=\"biloxi.example.com\", nonce=\"z\", response=\"w\"\n"
		  "Content-Length: 0\n\n");
	proxy_consume_credentials(&msg, "atlanta.example.com");
	out = proxy_test_print(&msg);
	ck_assert_ptr_null(strstr(out, "realm=\"atlanta.example.com\""));
	ck_assert_ptr_nonnull(strstr(out, "realm=\"biloxi.example.com\""));
	proxy_consume_credentials(&msg, "");
	ck_assert_ptr_nonnull(
	    strstr(proxy_test_print(&msg), "realm=\"biloxi.example.com\""));
}
END_TEST

START_TEST(test_proxy_require)
{
	char buf[128];

	proxy_test_parse(&msg,
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n" HEAD
			 "Content-Length: 0\n\n");
	ck_assert(!proxy_unsupported(&msg, buf, sizeof(buf)));
	proxy_test_parse(&msg,
			 "INVITE sip:bob@biloxi.example.com SIP/2.0\n" HEAD
			 "Proxy-Require: foo\nProxy-Require: bar\n"
			 "Content-Length: 0\n\n");
	ck_assert(proxy_unsupported(&msg, buf, sizeof(buf)));
	ck_assert_str_eq(buf, "Unsupported: foo, bar\r\n");
}
END_TEST

START_TEST(test_numeric_destination)
{
	const struct sockaddr_in *sin;
	ss_sip_arena_t a;
	ss_sip_uri_t u;
	ss_sip_dest_t d;

	ss_sip_arena_init(&a);
	ck_assert_int_eq(
	    ss_sip_uri_parse(&a, SS_STR("sip:bob@127.0.0.1:5090"), &u), 0);
	ck_assert_int_eq(proxy_uri_dest(&u, &d), 0);
	sin = (const struct sockaddr_in *)&d.addr.sa;
	ck_assert_int_eq(d.proto, SS_SIP_UDP);
	ck_assert_int_eq(ntohs(sin->sin_port), 5090);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	ck_assert_int_eq(
	    ss_sip_uri_parse(&a, SS_STR("sip:[::1];transport=TCP"), &u), 0);
	ck_assert_int_eq(proxy_uri_dest(&u, &d), 0);
	ck_assert_int_eq(d.proto, SS_SIP_TCP);
	ck_assert_int_eq(d.addr.sa.ss_family, AF_INET6);
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("sips:10.0.0.1"), &u), 0);
	ck_assert_int_eq(proxy_uri_dest(&u, &d), 0);
	ck_assert_int_eq(d.proto, SS_SIP_TLS);
	ck_assert_int_eq(
	    ntohs(((const struct sockaddr_in *)&d.addr.sa)->sin_port), 5061);
	ck_assert_int_eq(
	    ss_sip_uri_parse(&a, SS_STR("sip:bob@biloxi.example.com"), &u), 0);
	ck_assert_int_eq(proxy_uri_dest(&u, &d), -EAGAIN);
	ss_sip_arena_fini(&a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("proxy_route");
	TCase *tc = tcase_create("route");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_maxfwd_decrement);
	tcase_add_test(tc, test_maxfwd_absent_adds_70);
	tcase_add_test(tc, test_maxfwd_zero_and_bad);
	tcase_add_test(tc, test_loose_route_removed);
	tcase_add_test(tc, test_double_record_route_consumed);
	tcase_add_test(tc, test_route_for_someone_else_kept);
	tcase_add_test(tc, test_strict_router_restored);
	tcase_add_test(tc, test_strict_needs_route);
	tcase_add_test(tc, test_record_route_insert);
	tcase_add_test(tc, test_push_routes);
	tcase_add_test(tc, test_domains);
	tcase_add_test(tc, test_static_routes);
	tcase_add_test(tc, test_credentials_for_us_consumed);
	tcase_add_test(tc, test_proxy_require);
	tcase_add_test(tc, test_numeric_destination);
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
