/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parser unit tests beyond the torture messages: start lines, header
 * names and compact forms, folding, multi-value headers, URIs (escapes,
 * IPv6, tel), error classification, arena growth, editing + serializing
 * and the response builder.
 */
#include "parser_test.h"

static ss_sip_msg_t msg;
static ss_sip_error_t err;

static void setup(void)
{
	ss_sip_msg_init(&msg);
}

static void teardown(void)
{
	ss_sip_msg_fini(&msg);
}

#define REQ_HEAD                                                       \
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport\r\n"  \
	"From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928\r\n" \
	"To: <sip:bob@biloxi.example.com>\r\n"                         \
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"         \
	"CSeq: 314159 INVITE\r\n"                                      \
	"Max-Forwards: 70\r\n"

static const char invite[] =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" REQ_HEAD
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\n";

static void parse_ok(const char *text)
{
	ck_assert_msg(ss_sip_msg_parse(&msg, text, strlen(text), &err) == 0,
		      "parse: %u %s", err.status, err.reason);
	ck_assert_msg(ss_sip_msg_check(&msg, &err) == 0, "check: %u %s",
		      err.status, err.reason);
}

static void parse_fails(const char *text, unsigned status, const char *reason)
{
	int rc = ss_sip_msg_parse(&msg, text, strlen(text), &err);

	if (rc == 0)
		rc = ss_sip_msg_check(&msg, &err);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_uint_eq(err.status, status);
	ck_assert_str_eq(err.reason, reason);
}

static char *print(void)
{
	static char out[32768];
	ssize_t n = ss_sip_msg_print(&msg, out, sizeof(out) - 1);

	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	return out;
}

START_TEST(test_names)
{
	for (unsigned id = 1; id < SS_SIP_HDR_COUNT; id++) {
		const char *n = ss_sip_hdr_name((ss_sip_hdr_id_t)id);
		char up[64];
		size_t i;

		ck_assert_ptr_nonnull(n);
		ck_assert_int_eq(ss_sip_hdr_lookup(n, strlen(n)), id);
		for (i = 0; i < sizeof(up) - 1 && n[i]; i++)
			up[i] = (char)((n[i] >= 'a' && n[i] <= 'z') ? n[i] - 32
								    : n[i]);
		ck_assert_int_eq(ss_sip_hdr_lookup(up, i), id);
	}
	ck_assert_int_eq(ss_sip_hdr_lookup("v", 1), SS_SIP_HDR_VIA);
	ck_assert_int_eq(ss_sip_hdr_lookup("I", 1), SS_SIP_HDR_CALL_ID);
	ck_assert_int_eq(ss_sip_hdr_lookup("k", 1), SS_SIP_HDR_SUPPORTED);
	ck_assert_int_eq(ss_sip_hdr_lookup("q", 1), SS_SIP_HDR_OTHER);
	ck_assert_int_eq(ss_sip_hdr_lookup("X-Foo", 5), SS_SIP_HDR_OTHER);
	ck_assert_int_eq(ss_sip_method_lookup("INVITE", 6),
			 SS_SIP_METHOD_INVITE);
	ck_assert_int_eq(ss_sip_method_lookup("invite", 6),
			 SS_SIP_METHOD_UNKNOWN);
	ck_assert_str_eq(ss_sip_method_name(SS_SIP_METHOD_PRACK), "PRACK");
	ck_assert_str_eq(ss_sip_reason_phrase(486), "Busy Here");
	ck_assert_str_eq(ss_sip_reason_phrase(499), "Request Failure");
}
END_TEST

START_TEST(test_start_lines)
{
	parse_ok(invite);
	ck_assert(msg.is_request);
	ck_assert_int_eq(msg.method, SS_SIP_METHOD_INVITE);
	ck_slice(msg.ruri_str, "sip:bob@biloxi.example.com");
	ck_slice(msg.version, "SIP/2.0");
	ck_slice(msg.body, "v=0\n");
	parse_ok("\r\n\r\nSIP/2.0 180 Ringing\r\n" REQ_HEAD "\r\n");
	ck_assert(!msg.is_request);
	ck_assert_uint_eq(msg.status, 180);
	ck_slice(msg.reason, "Ringing");
	parse_fails("SIP/2.0 99 Low\r\n" REQ_HEAD "\r\n", 400,
		    "Bad Status Code");
	parse_fails("SIP/2.0 700 High\r\n" REQ_HEAD "\r\n", 400,
		    "Bad Status Code");
	parse_fails("INVITE sip:a@b HTTP/1.1\r\n" REQ_HEAD "\r\n", 400,
		    "Bad SIP Version");
	parse_fails("INVITE sip:a@b SIP/3.0\r\n" REQ_HEAD "\r\n", 505,
		    "Version Not Supported");
	parse_fails("INVITE http://a SIP/2.0\r\n" REQ_HEAD "\r\n", 416,
		    "Unsupported URI Scheme");
	parse_fails("INVITE\r\n" REQ_HEAD "\r\n", 400, "Bad Request Line");
	ck_assert(!msg.is_request);
	parse_fails("<garbage>\r\n\r\n", 400, "Bad Request Line");
	parse_fails("", 400, "Missing Start Line");
}
END_TEST

START_TEST(test_framing_errors)
{
	parse_fails("OPTIONS sip:a@b SIP/2.0\r\n" REQ_HEAD, 400,
		    "Missing Empty Line");
	parse_fails("OPTIONS sip:a@b SIP/2.0\r\nNoColonHere\r\n\r\n", 400,
		    "Bad Header Line");
	parse_fails("OPTIONS sip:a@b SIP/2.0\r\n folded-first: x\r\n\r\n", 400,
		    "Bad Header Line");
	parse_fails("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: five\r\n\r\n",
		    400, "Bad Content-Length");
	parse_fails("OPTIONS sip:a@b SIP/2.0\r\nl: 99999999999\r\n\r\n", 413,
		    "Request Entity Too Large");
	/* Whatever framed before the error stays usable for the answer. */
	ck_assert(msg.is_request);
	ck_assert_uint_eq(msg.nhdrs, 1);
}
END_TEST

START_TEST(test_lf_only_and_folding)
{
	const ss_sip_name_addr_t *to;

	parse_ok("OPTIONS sip:a@example.com SIP/2.0\n"
		 "Via: SIP/2.0/UDP h.example.com\n\t;branch=z9hG4bK1\n"
		 "From: <sip:a@example.com>;tag=1\n"
		 "To:\n <sip:b@example.com>\n   ;tag=2\n"
		 "Call-ID: lf@h\nCSeq: 1 OPTIONS\n\n");
	ck_slice(ss_sip_msg_via(&msg, 0)->branch, "z9hG4bK1");
	to = ss_sip_msg_addr(&msg, SS_SIP_HDR_TO, 0);
	ck_slice(to->tag, "2");
	ck_slice(to->uri.user, "b");
	ck_assert_uint_eq(msg.body.len, 0);
}
END_TEST

START_TEST(test_multi_values)
{
	static const char m[] =
	    "INVITE sip:example.com SIP/2.0\r\n" REQ_HEAD
	    "v: SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bK2;received="
	    "2001:db8::1;ttl=3;maddr=224.2.0.1, SIP/2.0/UDP h3\r\n"
	    "m: <sip:a@h1;transport=tcp>;q=0.5;expires=60, "
	    "\"B, with comma\" <sip:b@h2>;q=1\r\n"
	    "Contact: sip:c@h3;expires=10\r\n"
	    "Supported: path, outbound ,gruu\r\n"
	    "k: timer\r\n"
	    "Allow:\r\n\r\n";
	static const char *sup[] = {"path", "outbound", "gruu", "timer"};
	ss_sip_iter_t it = SS_SIP_ITER_INIT;
	const ss_sip_name_addr_t *c;
	const ss_sip_value_t *v;
	const ss_sip_via_t *via;
	unsigned i = 0;

	parse_ok(m);
	ck_assert_uint_eq(ss_sip_msg_hdr_count(&msg, SS_SIP_HDR_VIA), 2);
	via = ss_sip_msg_via(&msg, 1);
	ck_slice(via->host, "[2001:db8::9]");
	ck_assert_uint_eq(via->port, 5061);
	ck_slice(via->received, "2001:db8::1");
	ck_slice(via->maddr, "224.2.0.1");
	ck_assert_int_eq(via->ttl, 3);
	ck_slice(ss_sip_msg_via(&msg, 2)->host, "h3");
	ck_assert_int_eq(ss_sip_msg_via(&msg, 2)->ttl, -1);
	ck_assert(ss_sip_msg_via(&msg, 0)->rport);
	c = ss_sip_msg_addr(&msg, SS_SIP_HDR_CONTACT, 0);
	ck_assert_int_eq(c->q, 500);
	ck_assert_int_eq(c->expires, 60);
	ck_slice(c->uri.transport, "tcp");
	c = ss_sip_msg_addr(&msg, SS_SIP_HDR_CONTACT, 1);
	ck_slice(c->display, "B, with comma");
	ck_assert_int_eq(c->q, 1000);
	ck_assert_int_eq(c->expires, -1);
	c = ss_sip_msg_addr(&msg, SS_SIP_HDR_CONTACT, 2);
	ck_slice(c->uri.user, "c");
	ck_assert_int_eq(c->expires, 10);
	ck_assert_ptr_null(ss_sip_msg_addr(&msg, SS_SIP_HDR_CONTACT, 3));
	while ((v = ss_sip_msg_next_value(&msg, SS_SIP_HDR_SUPPORTED, &it)))
		ck_slice(((const ss_sip_token_t *)v)->value, sup[i++]);
	ck_assert_uint_eq(i, 4);
	it = SS_SIP_ITER_INIT;
	ck_assert_ptr_null(ss_sip_msg_next_value(&msg, SS_SIP_HDR_ALLOW, &it));
	ck_assert_ptr_null(ss_sip_msg_addr(&msg, SS_SIP_HDR_VIA, 0));
}
END_TEST

START_TEST(test_bad_values)
{
	static const char m[] = "INVITE sip:a@b SIP/2.0\r\n" REQ_HEAD
				"Route: <sip:p1>, , <sip:p2>\r\n"
				"Record-Route: <sip:p1;lr>,\r\n"
				"Contact: *\r\n"
				"Contact: <sip:x@y>;q=2\r\n\r\n";
	ss_sip_iter_t it = SS_SIP_ITER_INIT;

	ck_assert_int_eq(ss_sip_msg_parse(&msg, m, strlen(m), &err), 0);
	ck_assert_ptr_null(ss_sip_msg_addr(&msg, SS_SIP_HDR_ROUTE, 0));
	ck_assert(ss_sip_msg_hdr(&msg, SS_SIP_HDR_ROUTE)->flags &
		  SS_SIP_HDR_F_BAD);
	ck_assert_ptr_null(ss_sip_msg_addr(&msg, SS_SIP_HDR_RECORD_ROUTE, 0));
	ck_assert(ss_sip_msg_addr(&msg, SS_SIP_HDR_CONTACT, 0)->star);
	/* Iteration stops at the line that does not parse (q > 1). */
	ck_assert_ptr_nonnull(
	    ss_sip_msg_next_value(&msg, SS_SIP_HDR_CONTACT, &it));
	ck_assert_ptr_null(
	    ss_sip_msg_next_value(&msg, SS_SIP_HDR_CONTACT, &it));
	ck_assert_int_eq(ss_sip_msg_check(&msg, &err), -EINVAL);
	ck_assert_str_eq(err.reason, "Bad Contact");
}
END_TEST

START_TEST(test_uris)
{
	ss_sip_arena_t a;
	ss_sip_uri_t u;

	ss_sip_arena_init(&a);
	ck_assert_int_eq(
	    ss_sip_uri_parse(&a,
			     SS_STR("sips:bob:pw@[2001:db8::1]:5071;"
				    "transport=tls;lr;maddr=10.0.0.1?Subj"
				    "ect=hi&Priority=urgent"),
			     &u),
	    0);
	ck_assert_int_eq(u.scheme, SS_SIP_URI_SIPS);
	ck_slice(u.user, "bob");
	ck_slice(u.password, "pw");
	ck_slice(u.host, "[2001:db8::1]");
	ck_assert_int_eq(u.host_type, SS_SIP_HOST_IPV6);
	ck_assert_uint_eq(u.port, 5071);
	ck_slice(u.transport, "tls");
	ck_assert(u.lr);
	ck_slice(u.maddr, "10.0.0.1");
	ck_slice(u.params_raw, "transport=tls;lr;maddr=10.0.0.1");
	ck_slice(u.headers, "Subject=hi&Priority=urgent");
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("SIP:10.1.2.3"), &u), 0);
	ck_assert_int_eq(u.scheme, SS_SIP_URI_SIP);
	ck_assert_int_eq(u.host_type, SS_SIP_HOST_IPV4);
	ck_absent(u.user);
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("sip:300.1.2.3"), &u), 0);
	ck_assert_int_eq(u.host_type, SS_SIP_HOST_NAME);
	ck_assert_int_eq(
	    ss_sip_uri_parse(&a,
			     SS_STR("tel:+1-201-555-0123;phone-context="
				    "example.com"),
			     &u),
	    0);
	ck_assert_int_eq(u.scheme, SS_SIP_URI_TEL);
	ck_slice(u.user, "+1-201-555-0123");
	ck_slice(ss_sip_param_find(u.params, "PHONE-CONTEXT")->value,
		 "example.com");
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("urn:service:sos"), &u),
			 0);
	ck_assert_int_eq(u.scheme, SS_SIP_URI_OTHER);
	ck_slice(u.opaque, "service:sos");
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("sip:a@b:70000"), &u),
			 -EINVAL);
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("sip:@b"), &u), -EINVAL);
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("sip:a@[::1"), &u),
			 -EINVAL);
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("sip:a%zz@b"), &u),
			 -EINVAL);
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("sip:a@b;=x"), &u),
			 -EINVAL);
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("sip:a@b c"), &u),
			 -EINVAL);
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("1sip:a"), &u), -EINVAL);
	ck_assert_int_eq(ss_sip_uri_parse(&a, SS_STR("tel:"), &u), -EINVAL);
	ss_sip_arena_fini(&a);
}
END_TEST

START_TEST(test_arena_growth)
{
	enum { N = 300 };
	size_t cap = 64 + N * 64 + 16;
	char *m = malloc(cap), *p = m;
	ss_sip_iter_t it = SS_SIP_ITER_INIT;
	unsigned n = 0;

	p += sprintf(p, "INVITE sip:a@b SIP/2.0\r\n" REQ_HEAD);
	for (int i = 0; i < N; i++)
		p += sprintf(p, "Route: <sip:proxy%d.example.com;lr>\r\n", i);
	p += sprintf(p, "Content-Length: 0\r\n\r\n");
	parse_ok(m);
	ck_assert_uint_gt(msg.cap, SS_SIP_MSG_INLINE_HDRS);
	while (ss_sip_msg_next_value(&msg, SS_SIP_HDR_ROUTE, &it))
		n++;
	ck_assert_uint_eq(n, N);
	ck_assert_ptr_nonnull(msg.arena.chain);
	ck_slice(ss_sip_msg_addr(&msg, SS_SIP_HDR_ROUTE, N - 1)->uri.host,
		 "proxy299.example.com");
	ck_assert_int_eq(strcmp(print(), m), 0);
	/* Reparsing reuses the message and frees the chained blocks. */
	parse_ok(invite);
	ck_assert_ptr_null(msg.arena.chain);
	ck_assert_uint_eq(msg.cap, SS_SIP_MSG_INLINE_HDRS);
	free(m);
}
END_TEST

START_TEST(test_edit_roundtrip)
{
	static const char want[] =
	    "INVITE sip:bob@192.0.2.4:5062 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc"
	    ";received=198.51.100.7;rport=40000\r\n"
	    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928\r\n"
	    "To: <sip:bob@biloxi.example.com>\r\n"
	    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	    "CSeq: 314159 INVITE\r\n"
	    "Max-Forwards: 69\r\n"
	    "Record-Route: <sip:proxy.example.com;lr>\r\n"
	    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 5\r\n"
	    "\r\n"
	    "hello";

	parse_ok(invite);
	ck_assert_int_eq(
	    ss_sip_msg_via_set_received(&msg, SS_STR("198.51.100.7"), 40000),
	    0);
	ck_slice(ss_sip_msg_via(&msg, 0)->received, "198.51.100.7");
	ck_assert_uint_eq(ss_sip_msg_via(&msg, 0)->rport_value, 40000);
	ck_assert_int_eq(ss_sip_msg_hdr_add(&msg, SS_SIP_HDR_VIA, SS_STR_NULL,
					    SS_STR("SIP/2.0/UDP proxy.example"
						   ".com;branch=z9hG4bKp1"),
					    SS_SIP_PREPEND),
			 0);
	ck_assert_int_eq(ss_sip_msg_hdr_replace(
			     &msg,
			     ss_sip_msg_hdr(&msg, SS_SIP_HDR_MAX_FORWARDS),
			     SS_STR("69")),
			 0);
	ck_assert_int_eq(
	    ss_sip_msg_hdr_add(&msg, SS_SIP_HDR_RECORD_ROUTE, SS_STR_NULL,
			       SS_STR("<sip:proxy.example.com;lr>"),
			       SS_SIP_PREPEND),
	    0);
	/* No Record-Route yet: prepend puts it on top; move it by hand. */
	ss_sip_msg_hdr_remove(&msg,
			      ss_sip_msg_hdr(&msg, SS_SIP_HDR_RECORD_ROUTE));
	ck_assert_int_eq(
	    ss_sip_msg_hdr_add(&msg, SS_SIP_HDR_OTHER, SS_STR("Record-Route"),
			       SS_STR("<sip:proxy.example.com;lr>"),
			       SS_SIP_APPEND),
	    0);
	ck_assert_int_eq(ss_sip_msg_set_ruri(&msg, SS_STR("sip:bob@192.0.2.4:"
							  "5062")),
			 0);
	ck_assert_int_eq(
	    ss_sip_msg_set_body(&msg, SS_STR("text/plain"), SS_STR("hello")),
	    0);
	/* set_body dropped the old Content-Length; the printer appends the
	 * new one after the last header, so put Contact/CT back in order. */
	ss_sip_msg_hdr_remove(&msg, ss_sip_msg_hdr(&msg, SS_SIP_HDR_CONTACT));
	ss_sip_msg_hdr_remove(&msg,
			      ss_sip_msg_hdr(&msg, SS_SIP_HDR_CONTENT_TYPE));
	ck_assert_int_eq(ss_sip_msg_hdr_add(&msg, SS_SIP_HDR_CONTACT,
					    SS_STR_NULL,
					    SS_STR("<sip:alice@pc33.atlanta."
						   "example.com>"),
					    SS_SIP_APPEND),
			 0);
	ck_assert_int_eq(ss_sip_msg_hdr_add(&msg, SS_SIP_HDR_CONTENT_TYPE,
					    SS_STR_NULL, SS_STR("text/plain"),
					    SS_SIP_APPEND),
			 0);
	ck_assert_str_eq(print(), want);
	/* The printed message parses back to the edited values. */
	{
		char copy[sizeof(want)];

		memcpy(copy, want, sizeof(want));
		parse_ok(copy);
		ck_slice(ss_sip_msg_ruri(&msg)->host, "192.0.2.4");
		ck_slice(ss_sip_msg_via(&msg, 0)->host, "proxy.example.com");
		ck_slice(msg.body, "hello");
	}
}
END_TEST

START_TEST(test_remove_first_value)
{
	parse_ok("OPTIONS sip:a@b SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP p1;branch=z9hG4bK1, SIP/2.0/UDP p2;"
		 "branch=z9hG4bK2\r\n"
		 "Via: SIP/2.0/UDP p3;branch=z9hG4bK3\r\n"
		 "From: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\n"
		 "Call-ID: x\r\nCSeq: 2 OPTIONS\r\nRoute: <sip:r1>\r\n\r\n");
	ck_assert_int_eq(ss_sip_msg_remove_first_value(&msg, SS_SIP_HDR_VIA),
			 0);
	ck_slice(ss_sip_msg_via(&msg, 0)->host, "p2");
	ck_assert_int_eq(ss_sip_msg_remove_first_value(&msg, SS_SIP_HDR_VIA),
			 0);
	ck_slice(ss_sip_msg_via(&msg, 0)->host, "p3");
	ck_assert_int_eq(ss_sip_msg_remove_first_value(&msg, SS_SIP_HDR_ROUTE),
			 0);
	ck_assert_int_eq(ss_sip_msg_remove_first_value(&msg, SS_SIP_HDR_ROUTE),
			 -ENOENT);
	ck_assert_str_eq(print(), "OPTIONS sip:a@b SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP p3;branch=z9hG4bK3\r\n"
				  "From: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\n"
				  "Call-ID: x\r\nCSeq: 2 OPTIONS\r\n"
				  "Content-Length: 0\r\n\r\n");
}
END_TEST

START_TEST(test_via_received_rewrite)
{
	parse_ok("OPTIONS sip:a@b SIP/2.0\r\n"
		 "v: SIP/2.0/UDP [2001:db8::5] ; rport ; branch=z9hG4bKq;"
		 "received=1.1.1.1 , SIP/2.0/UDP p2\r\n"
		 "f: <sip:a@b>;tag=1\r\nt: <sip:b@c>\r\n"
		 "i: x\r\nCSeq: 2 OPTIONS\r\nl: 0\r\n\r\n");
	ck_assert_int_eq(
	    ss_sip_msg_via_set_received(&msg, SS_STR("2001:db8::6"), 5090), 0);
	ck_slice(ss_sip_msg_hdr(&msg, SS_SIP_HDR_VIA)->value,
		 "SIP/2.0/UDP [2001:db8::5] ;branch=z9hG4bKq;received="
		 "2001:db8::6;rport=5090 , SIP/2.0/UDP p2");
	ck_slice(ss_sip_msg_via(&msg, 1)->host, "p2");
	ck_assert(strstr(print(), "\r\nv: SIP/2.0/UDP [2001:db8::5] ;branch"));
}
END_TEST

START_TEST(test_build_response)
{
	static const char want[] =
	    "SIP/2.0 486 Busy Here\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport\r\n"
	    "Via: SIP/2.0/UDP h2;branch=z9hG4bKdef\r\n"
	    "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928\r\n"
	    "To: <sip:bob@biloxi.example.com>;tag=xyz\r\n"
	    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	    "CSeq: 314159 INVITE\r\n"
	    "Timestamp: 54\r\n"
	    "Retry-After: 60\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 4\r\n"
	    "\r\n"
	    "busy";
	ss_sip_resp_opts_t o = {
	    .to_tag = SS_STR("xyz"),
	    .extra_hdrs = SS_STR("Retry-After: 60\r\n"),
	    .ctype = SS_STR("text/plain"),
	    .body = SS_STR("busy"),
	};
	char out[1024];
	ssize_t n;

	parse_ok(
	    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" REQ_HEAD
	    "Timestamp: 54\r\nv: SIP/2.0/UDP h2;branch=z9hG4bKdef\r\n\r\n");
	n = ss_sip_build_response(&msg, 486, NULL, &o, out, sizeof(out));
	ck_assert_int_eq(n, (ssize_t)strlen(want));
	ck_assert_int_eq(memcmp(out, want, (size_t)n), 0);
	ck_assert_int_eq(ss_sip_build_response(&msg, 486, NULL, &o, out, 40),
			 -ENOSPC);
	n = ss_sip_build_response(&msg, 100, "Trying",
				  &(ss_sip_resp_opts_t){.to_tag = o.to_tag},
				  out, sizeof(out));
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	ck_assert(strstr(out, "To: <sip:bob@biloxi.example.com>\r\n"));
	ck_assert(strstr(out, "Content-Length: 0\r\n\r\n"));
}
END_TEST

START_TEST(test_response_to_malformed)
{
	static const char bad[] = "OPTIONS sip:a@b SIP/7.0\r\n" REQ_HEAD "\r\n";
	char out[1024];
	ssize_t n;

	ck_assert_int_eq(ss_sip_msg_parse(&msg, bad, strlen(bad), &err),
			 -EINVAL);
	ck_assert_uint_eq(err.status, 505);
	n = ss_sip_build_response(&msg, err.status, err.reason,
				  &(ss_sip_resp_opts_t){.to_tag = SS_STR("t")},
				  out, sizeof(out) - 1);
	ck_assert_int_gt(n, 0);
	out[n] = '\0';
	ck_assert(strncmp(out, "SIP/2.0 505 Version Not Supported\r\nVia: ",
			  40) == 0);
	ck_assert(strstr(out, "To: <sip:bob@biloxi.example.com>;tag=t\r\n"));
	/* The answer parses as a valid response. */
	parse_ok(out);
	ck_assert_uint_eq(msg.status, 505);
}
END_TEST

START_TEST(test_uint_and_tokens)
{
	const ss_sip_token_t *t;
	uint32_t v;

	parse_ok("SUBSCRIBE sip:a@b SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		 "From: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\n"
		 "Call-ID: x\r\nCSeq: 4294967295 SUBSCRIBE\r\n"
		 "Expires: 4294967296\r\nMin-Expires: 60\r\n"
		 "o: presence;id=7\r\n"
		 "Call-Info: <http://x/a,b>;purpose=icon, <http://y>\r\n\r\n");
	ck_assert_uint_eq(ss_sip_msg_cseq(&msg)->seq, 4294967295u);
	ck_assert_int_eq(ss_sip_msg_uint(&msg, SS_SIP_HDR_EXPIRES, &v),
			 -ERANGE);
	ck_assert_int_eq(ss_sip_msg_uint(&msg, SS_SIP_HDR_MIN_EXPIRES, &v), 0);
	ck_assert_uint_eq(v, 60);
	t = (const ss_sip_token_t *)ss_sip_hdr_values(
	    &msg, ss_sip_msg_hdr(&msg, SS_SIP_HDR_EVENT));
	ck_slice(t->value, "presence");
	ck_slice(t->params->value, "7");
	t = (const ss_sip_token_t *)ss_sip_hdr_values(
	    &msg, ss_sip_msg_hdr(&msg, SS_SIP_HDR_CALL_INFO));
	ck_slice(t->value, "<http://x/a,b>");
	ck_slice(((const ss_sip_token_t *)t->v.next)->value, "<http://y>");
}
END_TEST

static Suite *parser_suite(void)
{
	Suite *s = suite_create("parser");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_start_lines);
	tcase_add_test(tc, test_framing_errors);
	tcase_add_test(tc, test_lf_only_and_folding);
	tcase_add_test(tc, test_multi_values);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_uris);
	tcase_add_test(tc, test_arena_growth);
	tcase_add_test(tc, test_edit_roundtrip);
	tcase_add_test(tc, test_remove_first_value);
	tcase_add_test(tc, test_via_received_rewrite);
	tcase_add_test(tc, test_build_response);
	tcase_add_test(tc, test_response_to_malformed);
	tcase_add_test(tc, test_uint_and_tokens);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(parser_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
