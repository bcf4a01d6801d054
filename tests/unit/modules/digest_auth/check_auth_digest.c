/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of modules/digest_auth/auth_digest.c: the published RFC 7616 and
 * RFC 2617 example responses, the -sess variants, and the credentials
 * parser (quoting, escapes, case, duplicates, malformed input).
 */
#include "auth_int.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 7616 section 3.9.1. */
#define R7616_USER   "Mufasa"
#define R7616_PASS   "Circle of Life"
#define R7616_REALM  "http-auth@example.org"
#define R7616_NONCE  "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R7616_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define R7616_URI    "/dir/index.html"

static void setup(void)
{
	ck_assert_int_eq(auth_crypto_init(), 0);
}

static void teardown(void)
{
	auth_crypto_fini();
}

/* Response hex for the given inputs, computed through the module. */
static void response_hex(auth_algo_t algo, bool sess, const char *user,
			 const char *realm, const char *pass, const char *nonce,
			 const char *cnonce, const char *uri, char *hex)
{
	unsigned char ha1[AUTH_HASH_MAX], out[AUTH_HASH_MAX];

	ck_assert_int_eq(auth_digest_ha1(algo, ss_str_c(user), ss_str_c(realm),
					 ss_str_c(pass), ha1),
			 0);
	ck_assert_int_eq(auth_digest_response(
			     algo, sess, ha1, ss_str_c(nonce),
			     SS_STR("00000001"), ss_str_c(cnonce),
			     SS_STR("auth"), SS_STR("GET"), ss_str_c(uri), out),
			 0);
	auth_hex(out, auth_algo_len(algo), hex);
}

START_TEST(test_rfc7616_md5)
{
	char hex[2 * AUTH_HASH_MAX + 1];

	response_hex(AUTH_MD5, false, R7616_USER, R7616_REALM, R7616_PASS,
		     R7616_NONCE, R7616_CNONCE, R7616_URI, hex);
	ck_assert_str_eq(hex, "8ca523f5e9506fed4657c9700eebdbec");
}
END_TEST

START_TEST(test_rfc7616_sha256)
{
	char hex[2 * AUTH_HASH_MAX + 1];

	response_hex(AUTH_SHA256, false, R7616_USER, R7616_REALM, R7616_PASS,
		     R7616_NONCE, R7616_CNONCE, R7616_URI, hex);
	ck_assert_str_eq(hex, "753927fa0e85d155564e2e272a28d180"
			      "2ca10daf4496794697cf8db5856cb6c1");
}
END_TEST

/* The -sess variants on the same inputs (values cross-checked with an
 * independent implementation: Python's hashlib). */
START_TEST(test_sess_variants)
{
	char hex[2 * AUTH_HASH_MAX + 1];

	response_hex(AUTH_MD5, true, R7616_USER, R7616_REALM, R7616_PASS,
		     R7616_NONCE, R7616_CNONCE, R7616_URI, hex);
	ck_assert_str_eq(hex, "e783283f46242139c486a698fec7211d");
	response_hex(AUTH_SHA256, true, R7616_USER, R7616_REALM, R7616_PASS,
		     R7616_NONCE, R7616_CNONCE, R7616_URI, hex);
	ck_assert_str_eq(hex, "2fd51b3a77ad75bad6afad6003e818d7"
			      "67133c46d9e2749e7f5232ae1ea3efd7");
}
END_TEST

/* RFC 2617 section 3.5 (note the capital O in the password). */
START_TEST(test_rfc2617)
{
	char hex[2 * AUTH_HASH_MAX + 1];

	response_hex(AUTH_MD5, false, "Mufasa", "testrealm@host.com",
		     "Circle Of Life", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		     "0a4f113b", "/dir/index.html", hex);
	ck_assert_str_eq(hex, "6629fae49393a05397450978507c4ef1");
}
END_TEST

START_TEST(test_hex)
{
	unsigned char b[4];
	char hex[9];

	ck_assert_int_eq(auth_unhex(SS_STR("00fFa9"), b, 3), 0);
	ck_assert_int_eq(b[0], 0x00);
	ck_assert_int_eq(b[1], 0xff);
	ck_assert_int_eq(b[2], 0xa9);
	auth_hex(b, 3, hex);
	ck_assert_str_eq(hex, "00ffa9");
	ck_assert_int_eq(auth_unhex(SS_STR("00ff"), b, 3), -EINVAL);
	ck_assert_int_eq(auth_unhex(SS_STR("00fg00"), b, 3), -EINVAL);
}
END_TEST

static void assert_slice(ss_str_t got, const char *want)
{
	ck_assert_msg(got.s != NULL, "missing, expected '%s'", want);
	ck_assert_msg(ss_str_eq(got, ss_str_c(want)), "got '%.*s' want '%s'",
		      SS_STR_ARG(got), want);
}

/* The RFC 7616 SHA-256 Authorization header, as sent. */
START_TEST(test_parse_rfc_header)
{
	static const char v[] =
	    "Digest username=\"Mufasa\",\r\n realm=\"http-auth@example.org\","
	    "\r\n\turi=\"/dir/index.html\",\r\n algorithm=SHA-256,\r\n"
	    " nonce=\"" R7616_NONCE
	    "\",\r\n nc=00000001,\r\n cnonce=\"" R7616_CNONCE
	    "\",\r\n qop=auth,\r\n response=\"753927fa0e85d155"
	    "564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\",\r\n"
	    " opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
	auth_creds_t *c = malloc(sizeof(*c));

	ck_assert_int_eq(auth_creds_parse(SS_STR(v), c), 0);
	assert_slice(c->username, "Mufasa");
	assert_slice(c->realm, "http-auth@example.org");
	assert_slice(c->uri, "/dir/index.html");
	assert_slice(c->nonce, R7616_NONCE);
	assert_slice(c->cnonce, R7616_CNONCE);
	assert_slice(c->qop, "auth");
	assert_slice(c->nc_text, "00000001");
	assert_slice(c->opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
	ck_assert_uint_eq(c->nc, 1);
	ck_assert_int_eq(c->algo, AUTH_SHA256);
	ck_assert(!c->sess);
	ck_assert_uint_eq(c->response.len, 64);
	free(c);
}
END_TEST

START_TEST(test_parse_escapes_and_case)
{
	static const char v[] =
	    "dIgEsT UserName=\"Mu\\\"fa\\\\sa\" , REALM = \"a b\","
	    " Algorithm=md5-SESS, NC=0000001f, qop=\"auth\", "
	    "uri=\"sip:bob@example.com;transport=tcp\", x-ext=tok";
	auth_creds_t *c = malloc(sizeof(*c));

	ck_assert_int_eq(auth_creds_parse(SS_STR(v), c), 0);
	assert_slice(c->username, "Mu\"fa\\sa");
	assert_slice(c->realm, "a b");
	assert_slice(c->qop, "auth");
	assert_slice(c->uri, "sip:bob@example.com;transport=tcp");
	ck_assert_int_eq(c->algo, AUTH_MD5);
	ck_assert(c->sess);
	ck_assert_uint_eq(c->nc, 0x1f);
	free(c);
}
END_TEST

START_TEST(test_parse_empty_elements_and_unknown)
{
	static const char v[] =
	    "Digest ,, username=bob,,realm=\"r\" , foo=\"x\\\"y\", bar=1,";
	auth_creds_t *c = malloc(sizeof(*c));

	ck_assert_int_eq(auth_creds_parse(SS_STR(v), c), 0);
	assert_slice(c->username, "bob");
	assert_slice(c->realm, "r");
	ck_assert_ptr_null(c->nonce.s);
	ck_assert_int_eq(c->algo, AUTH_MD5);
	free(c);
}
END_TEST

START_TEST(test_parse_rejects)
{
	static const struct {
		const char *v;
		int rc;
	} cases[] = {
	    {"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", -ENOENT},
	    {"Digestive username=\"a\"", -ENOENT},
	    {"", -ENOENT},
	    {"Digest", -EINVAL},
	    {"Digest username=\"a\", username=\"b\"", -EINVAL},
	    {"Digest username=\"a\", USERNAME=b", -EINVAL},
	    {"Digest realm=\"a\", Realm=\"a\"", -EINVAL},
	    {"Digest username=\"a", -EINVAL},
	    {"Digest username=\"a\\", -EINVAL},
	    {"Digest username", -EINVAL},
	    {"Digest username=", -EINVAL},
	    {"Digest username=\"a\" realm=\"b\"", -EINVAL},
	    {"Digest username=\"a\x01\"", -EINVAL},
	    {"Digest nc=1", -EINVAL},
	    {"Digest nc=0000000g", -EINVAL},
	    {"Digest nc=00000000", -EINVAL},
	    {"Digest nc=000000001", -EINVAL},
	    {"Digest algorithm=SHA-512-256", -ENOTSUP},
	    {"Digest algorithm=MD5, algorithm=MD5", -EINVAL},
	    {"Digest userhash=maybe", -EINVAL},
	    {"Digest uri=sip:a@b", -EINVAL},
	};
	auth_creds_t *c = malloc(sizeof(*c));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(auth_creds_parse(ss_str_c(cases[i].v), c) ==
				  cases[i].rc,
			      "'%s' should give %d", cases[i].v, cases[i].rc);
	free(c);
}
END_TEST

START_TEST(test_parse_userhash)
{
	auth_creds_t *c = malloc(sizeof(*c));

	ck_assert_int_eq(auth_creds_parse(SS_STR("Digest userhash=true"), c),
			 0);
	ck_assert(c->userhash);
	ck_assert_int_eq(
	    auth_creds_parse(SS_STR("Digest userhash=\"FALSE\""), c), 0);
	ck_assert(!c->userhash);
	free(c);
}
END_TEST

/* Escaped strings longer than the scratch area are refused, not cut. */
START_TEST(test_parse_scratch_bound)
{
	auth_creds_t *c = malloc(sizeof(*c));
	size_t n = sizeof(c->scratch) + 64;
	char *v = malloc(n + 64);
	size_t o = (size_t)sprintf(v, "Digest username=\"\\\"");

	memset(v + o, 'a', n);
	strcpy(v + o + n, "\"");
	ck_assert_int_eq(auth_creds_parse(ss_str_c(v), c), -EINVAL);
	free(v);
	free(c);
}
END_TEST

/* Contexts are per thread: a second thread hashes correctly too, and
 * auth_crypto_fini() frees its contexts (checked under ASan/valgrind). */
static void *thread_hash(void *arg)
{
	char *hex = arg;

	response_hex(AUTH_MD5, false, "Mufasa", "testrealm@host.com",
		     "Circle Of Life", "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		     "0a4f113b", "/dir/index.html", hex);
	return NULL;
}

START_TEST(test_other_thread)
{
	char hex[2 * AUTH_HASH_MAX + 1];
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, thread_hash, hex), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_str_eq(hex, "6629fae49393a05397450978507c4ef1");
}
END_TEST

/* A second load generation works after the first one was torn down. */
START_TEST(test_reinit)
{
	char hex[2 * AUTH_HASH_MAX + 1];

	auth_crypto_fini();
	ck_assert_int_eq(auth_crypto_init(), 0);
	response_hex(AUTH_MD5, false, R7616_USER, R7616_REALM, R7616_PASS,
		     R7616_NONCE, R7616_CNONCE, R7616_URI, hex);
	ck_assert_str_eq(hex, "8ca523f5e9506fed4657c9700eebdbec");
}
END_TEST

static Suite *digest_suite(void)
{
	Suite *s = suite_create("auth_digest");
	TCase *tc = tcase_create("digest");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rfc7616_md5);
	tcase_add_test(tc, test_rfc7616_sha256);
	tcase_add_test(tc, test_sess_variants);
	tcase_add_test(tc, test_rfc2617);
	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_other_thread);
	tcase_add_test(tc, test_reinit);
	suite_add_tcase(s, tc);
	tc = tcase_create("credentials");
	tcase_add_test(tc, test_parse_rfc_header);
	tcase_add_test(tc, test_parse_escapes_and_case);
	tcase_add_test(tc, test_parse_empty_elements_and_unknown);
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_parse_userhash);
	tcase_add_test(tc, test_parse_scratch_bound);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(digest_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
