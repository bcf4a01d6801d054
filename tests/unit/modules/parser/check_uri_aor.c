/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the comparison forms of URI parts (uri_aor.c): host keys and
 * the address-of-record key the registrar stores bindings under and the
 * redirect server and proxy look them up by.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/sip/location.h>
#include <sipserver/sip/parser.h>

START_TEST(test_host_key)
{
	char out[SS_SIP_HOST_MAX + 1];
	char longname[SS_SIP_HOST_MAX + 2];

	ck_assert_int_eq(ss_sip_host_key(SS_STR("Example.COM"), out), 11);
	ck_assert_str_eq(out, "example.com");
	/* a fully qualified name's final dot names the same host */
	ck_assert_int_eq(ss_sip_host_key(SS_STR("example.com."), out), 11);
	ck_assert_str_eq(out, "example.com");
	/* IPv6 in any spelling, with or without brackets */
	ck_assert_int_gt(ss_sip_host_key(SS_STR("[2001:DB8:0:0::1]"), out), 0);
	ck_assert_str_eq(out, "[2001:db8::1]");
	ck_assert_int_gt(ss_sip_host_key(SS_STR("::1"), out), 0);
	ck_assert_str_eq(out, "[::1]");
	ck_assert_int_eq(ss_sip_host_key(SS_STR("[::1"), out), -EINVAL);
	ck_assert_int_eq(ss_sip_host_key(SS_STR("1.2.3.4:5060"), out), -EINVAL);
	ck_assert_int_eq(ss_sip_host_key(SS_STR("bad host"), out), -EINVAL);
	ck_assert_int_eq(ss_sip_host_key(SS_STR(""), out), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(ss_sip_host_key(ss_str_c(longname), out), -EINVAL);
	longname[SS_SIP_HOST_MAX] = '\0';
	ck_assert_int_eq(ss_sip_host_key(ss_str_c(longname), out),
			 SS_SIP_HOST_MAX);
	/* the service vtable reaches the same functions */
	ck_assert_ptr_eq(ss_sip_parser_api.host_key, ss_sip_host_key);
	ck_assert_ptr_eq(ss_sip_parser_api.aor_key, ss_sip_aor_key);
}
END_TEST

/* The key of text in out; the parse must succeed. */
static int key(const char *text, char *out, size_t size)
{
	ss_sip_arena_t *a = malloc(sizeof(*a));
	ss_sip_uri_t uri;
	int n;

	ck_assert_ptr_nonnull(a);
	ss_sip_arena_init(a);
	ck_assert_int_eq(ss_sip_uri_parse(a, ss_str_c(text), &uri), 0);
	n = ss_sip_aor_key(&uri, out, size);
	ss_sip_arena_fini(a);
	free(a);
	return n;
}

START_TEST(test_aor_key)
{
	char out[SS_LOC_MAX_AOR + 1];
	char big[700];

	ck_assert_int_eq(key("sip:Alice@Example.COM", out, sizeof(out)), 21);
	ck_assert_str_eq(out, "sip:Alice@example.com");
	/* port, URI parameters and headers are not part of the index */
	key("sip:bob@example.com:5070;transport=tcp;user=phone?x=y", out,
	    sizeof(out));
	ck_assert_str_eq(out, "sip:bob@example.com");
	/* sips and sip name the same resource (RFC 5630) */
	key("SIPS:bob@Example.com", out, sizeof(out));
	ck_assert_str_eq(out, "sip:bob@example.com");
	key("sips:Bob@Biloxi.Example.COM:5061;transport=tls", out, sizeof(out));
	ck_assert_str_eq(out, "sip:Bob@biloxi.example.com");
	key("sips:%61lice@Biloxi.Example.COM:5060;transport=tcp", out,
	    sizeof(out));
	ck_assert_str_eq(out, "sip:alice@biloxi.example.com");
	/* escapes decoded where the octet may stand plain, kept otherwise */
	key("sip:%61lice%2b1@example.com", out, sizeof(out));
	ck_assert_str_eq(out, "sip:alice+1@example.com");
	key("sip:a%40b%2fc%20d@example.com", out, sizeof(out));
	ck_assert_str_eq(out, "sip:a%40b/c%20d@example.com");
	key("sip:a%40b%7e@h", out, sizeof(out));
	ck_assert_str_eq(out, "sip:a%40b~@h");
	key("sip:x@[2001:DB8::0:1]", out, sizeof(out));
	ck_assert_str_eq(out, "sip:x@[2001:db8::1]");
	key("sip:+15551234@example.com;user=phone", out, sizeof(out));
	ck_assert_str_eq(out, "sip:+15551234@example.com");

	ck_assert_int_eq(key("sip:example.com", out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(key("tel:+15551234", out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(key("mailto:a@example.com", out, sizeof(out)),
			 -EINVAL);
	ck_assert_int_eq(key("sip:a@example.com", out, 10), -ENAMETOOLONG);
	memcpy(big, "sip:", 4);
	memset(big + 4, 'u', 500);
	strcpy(big + 504, "@example.com");
	ck_assert_int_eq(key(big, out, sizeof(out)), -ENAMETOOLONG);
	memset(big, 'u', sizeof(big));
	memcpy(big, "sip:", 4);
	strcpy(big + sizeof(big) - 4, "@h");
	ck_assert_int_eq(key(big, out, sizeof(out)), -ENAMETOOLONG);
	ck_assert_int_eq(ss_sip_aor_key(NULL, out, sizeof(out)), -EINVAL);
}
END_TEST

static Suite *aor_suite(void)
{
	Suite *s = suite_create("uri_aor");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_host_key);
	tcase_add_test(tc, test_aor_key);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(aor_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
