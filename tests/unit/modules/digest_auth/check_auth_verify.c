/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of modules/digest_auth/auth_verify.c: challenges, the full check of
 * credentials against our own nonces (success, wrong password, uri
 * mismatch, expiry with stale, replay, forgery), failure accounting per
 * source, and the <require> policy. Time is a fake clock.
 */
#include "auth_int.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REALM "example.com"
#define RURI  "sip:example.com"

static char dir[64], path[128];
static uint64_t fake_now;
static auth_svc_t svc;
static auth_conf_t *conf;
static ss_sip_addr_t src;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static void setup(void)
{
	char err[256];

	snprintf(dir, sizeof(dir), "/tmp/authvXXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/auth.db", dir);
	ck_assert_int_eq(auth_crypto_init(), 0);
	conf = calloc(1, sizeof(*conf));
	conf->nonce_expires = 300;
	conf->algos[0] = "SHA-256";
	conf->algos[1] = "MD5";
	conf->nalgos = 2;
	ck_assert_int_eq(auth_key_init(&conf->key, ""), 0);
	memset(&svc, 0, sizeof(svc));
	auth_stats_init(&svc.stats);
	svc.conf = conf;
	svc.nc = auth_nc_new(1024);
	svc.users = auth_users_open(path, err, sizeof(err));
	ck_assert_msg(svc.users != NULL, "%s", err);
	svc.now_s = fake_clock;
	fake_now = 1700000000;
	ck_assert_int_eq(auth_users_add(svc.users, "alice", REALM, "secret"),
			 0);
	memset(&src, 0, sizeof(src));
	src.sa.ss_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7",
		  &((struct sockaddr_in *)&src.sa)->sin_addr);
	((struct sockaddr_in *)&src.sa)->sin_port = htons(5062);
	src.len = sizeof(struct sockaddr_in);
}

static void teardown(void)
{
	char p[160];

	auth_users_close(svc.users);
	auth_nc_free(svc.nc);
	auth_stats_destroy(&svc.stats);
	free(conf);
	auth_crypto_fini();
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path,
			 i == 0	  ? ""
			 : i == 1 ? "-wal"
				  : "-shm");
		unlink(p);
	}
	rmdir(dir);
}

/* The nonce of a fresh 401 challenge for realm. */
static void get_nonce(const char *realm, char *nonce)
{
	char buf[1024];
	const char *p;

	ck_assert_int_gt(auth_challenge(&svc, ss_str_c(realm), false, false,
					buf, sizeof(buf)),
			 0);
	p = strstr(buf, "nonce=\"");
	ck_assert_ptr_nonnull(p);
	memcpy(nonce, p + 7, AUTH_NONCE_LEN);
	nonce[AUTH_NONCE_LEN] = '\0';
}

typedef struct creds_in {
	const char *algo; /* "MD5", "SHA-256", "MD5-sess" ... */
	const char *user, *password, *realm, *method, *uri, *nonce;
	unsigned nc;
} creds_in_t;

/* Builds an Authorization value the way a client does. */
static void make_creds(const creds_in_t *in, char *out, size_t size)
{
	auth_algo_t a =
	    strncmp(in->algo, "SHA-256", 7) == 0 ? AUTH_SHA256 : AUTH_MD5;
	bool sess = strstr(in->algo, "-sess") != NULL;
	unsigned char ha1[AUTH_HASH_MAX], resp[AUTH_HASH_MAX];
	char hex[2 * AUTH_HASH_MAX + 1], nc[9];

	snprintf(nc, sizeof(nc), "%08x", in->nc);
	ck_assert_int_eq(auth_digest_ha1(a, ss_str_c(in->user),
					 ss_str_c(in->realm),
					 ss_str_c(in->password), ha1),
			 0);
	ck_assert_int_eq(auth_digest_response(
			     a, sess, ha1, ss_str_c(in->nonce), ss_str_c(nc),
			     SS_STR("0a4f113b"), SS_STR("auth"),
			     ss_str_c(in->method), ss_str_c(in->uri), resp),
			 0);
	auth_hex(resp, auth_algo_len(a), hex);
	snprintf(
	    out, size,
	    "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
	    "uri=\"%s\", response=\"%s\", algorithm=%s, cnonce=\"0a4f113b\","
	    " qop=auth, nc=%s",
	    in->user, in->realm, in->nonce, in->uri, hex, in->algo, nc);
}

static ss_auth_result_t verify(const char *method, const char *uri,
			       const char *creds, ss_auth_identity_t *who)
{
	ss_auth_request_t req = {
	    .method = ss_str_c(method),
	    .uri = ss_str_c(uri),
	    .credentials = ss_str_c(creds),
	    .realm = SS_STR(REALM),
	    .src = &src,
	};

	return auth_verify(&svc, &req, who);
}

/* Credentials of alice for REGISTER on a fresh nonce. */
static void alice(const char *algo, const char *password, unsigned nc,
		  char *nonce, char *out, size_t size)
{
	creds_in_t in = {algo,	     "alice", password, REALM,
			 "REGISTER", RURI,    nonce,	nc};

	if (!nonce[0])
		get_nonce(REALM, nonce);
	make_creds(&in, out, size);
}

START_TEST(test_challenge_format)
{
	char buf[1024], n1[AUTH_NONCE_LEN + 1], n2[AUTH_NONCE_LEN + 1];
	int len =
	    auth_challenge(&svc, SS_STR(REALM), false, false, buf, sizeof(buf));
	const char *second;

	ck_assert_int_eq(len, (int)strlen(buf));
	ck_assert_int_eq(strncmp(buf,
				 "WWW-Authenticate: Digest realm=\"" REALM
				 "\", nonce=\"",
				 50),
			 0);
	ck_assert_ptr_nonnull(
	    strstr(buf, "algorithm=SHA-256, qop=\"auth\"\r\n"));
	second = strstr(buf, "\r\n") + 2;
	ck_assert_int_eq(strncmp(second, "WWW-Authenticate: Digest", 24), 0);
	ck_assert_ptr_nonnull(
	    strstr(second, "algorithm=MD5, qop=\"auth\"\r\n"));
	ck_assert(strstr(buf, "algorithm=SHA-256") <
		  strstr(buf, "algorithm=MD5"));
	ck_assert_ptr_null(strstr(buf, "stale"));
	memcpy(n1, strstr(buf, "nonce=\"") + 7, AUTH_NONCE_LEN);
	memcpy(n2, strstr(second, "nonce=\"") + 7, AUTH_NONCE_LEN);
	ck_assert_int_eq(memcmp(n1, n2, AUTH_NONCE_LEN), 0);
	ck_assert_uint_eq(strlen(buf + len - 2), 2);

	len = auth_challenge(&svc, SS_STR(REALM), true, true, buf, sizeof(buf));
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(strncmp(buf, "Proxy-Authenticate: Digest", 26), 0);
	ck_assert_ptr_nonnull(strstr(buf, "qop=\"auth\", stale=true\r\n"));
	ck_assert_uint_eq(AUTH_GET(svc.stats.challenges), 2);
}
END_TEST

/* <algorithms offer="MD5"/>: one challenge, MD5 only, for clients that
 * answer only the first one. */
START_TEST(test_challenge_offer_order)
{
	char buf[1024];

	conf->algos[0] = "MD5";
	conf->nalgos = 1;
	ck_assert_int_gt(
	    auth_challenge(&svc, SS_STR(REALM), false, false, buf, sizeof(buf)),
	    0);
	ck_assert_ptr_nonnull(strstr(buf, "algorithm=MD5"));
	ck_assert_ptr_null(strstr(buf, "SHA-256"));
	ck_assert_ptr_null(strstr(strstr(buf, "\r\n") + 2, "Authenticate"));
	conf->algos[0] = "SHA-256";
	conf->nalgos = 2;
}
END_TEST

START_TEST(test_challenge_limits)
{
	char buf[1024];

	ck_assert_int_eq(
	    auth_challenge(&svc, SS_STR(REALM), false, false, buf, 100),
	    -ENOSPC);
	ck_assert_int_eq(auth_challenge(&svc, SS_STR("a\r\nX: y"), false, false,
					buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_int_gt(auth_challenge(&svc, SS_STR("we \"quote\" \\"), false,
					false, buf, sizeof(buf)),
			 0);
	ck_assert_ptr_nonnull(strstr(buf, "realm=\"we \\\"quote\\\" \\\\\""));
}
END_TEST

START_TEST(test_ok_both_algorithms)
{
	static const char *const algos[] = {"SHA-256", "MD5", "MD5-sess",
					    "SHA-256-sess"};
	ss_auth_identity_t who;

	for (int i = 0; i < 4; i++) {
		char nonce[AUTH_NONCE_LEN + 1] = "", creds[1024];

		alice(algos[i], "secret", 1, nonce, creds, sizeof(creds));
		memset(&who, 0, sizeof(who));
		ck_assert_msg(verify("REGISTER", RURI, creds, &who) ==
				  SS_AUTH_OK,
			      "%s refused", algos[i]);
		ck_assert_str_eq(who.user, "alice");
		ck_assert_str_eq(who.realm, REALM);
	}
	ck_assert_uint_eq(AUTH_GET(svc.stats.ok), 4);
	ck_assert_uint_eq(AUTH_GET(svc.stats.failed), 0);
}
END_TEST

START_TEST(test_nc_replay_refused)
{
	char nonce[AUTH_NONCE_LEN + 1] = "", creds[1024];

	alice("SHA-256", "secret", 1, nonce, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_OK);
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_REPLAY);
	alice("SHA-256", "secret", 2, nonce, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_OK);
	alice("SHA-256", "secret", 1, nonce, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_REPLAY);
	ck_assert_uint_eq(AUTH_GET(svc.stats.replays), 2);
}
END_TEST

START_TEST(test_wrong_password_counted_per_source)
{
	static auth_source_t out[AUTH_SOURCES];
	char nonce[AUTH_NONCE_LEN + 1] = "", creds[1024];
	char host[64];

	alice("MD5", "guess", 1, nonce, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_FAILED);
	alice("MD5", "guess2", 2, nonce, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_FAILED);
	/* The failures burnt no count: the right password still works. */
	alice("MD5", "secret", 1, nonce, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_OK);
	ck_assert_uint_eq(AUTH_GET(svc.stats.failed), 2);
	ck_assert_uint_eq(auth_stats_sources(&svc.stats, out), 1);
	ck_assert_uint_eq(out[0].failures, 2);
	ck_assert_str_eq(out[0].last_user, "alice");
	ck_assert_str_eq(auth_addr_str(&out[0].addr, host, sizeof(host)),
			 "192.0.2.7");
}
END_TEST

START_TEST(test_uri_mismatch)
{
	char nonce[AUTH_NONCE_LEN + 1] = "", creds[1024];
	creds_in_t in = {"SHA-256", "alice",  "secret",
			 REALM,	    "INVITE", "sip:bob@example.com",
			 nonce,	    1};

	get_nonce(REALM, nonce);
	make_creds(&in, creds, sizeof(creds));
	ck_assert_int_eq(verify("INVITE", "sip:carol@example.com", creds, NULL),
			 SS_AUTH_FAILED);
	/* Same credentials replayed with another method fail the response. */
	ck_assert_int_eq(verify("BYE", "sip:bob@example.com", creds, NULL),
			 SS_AUTH_FAILED);
	ck_assert_int_eq(verify("INVITE", "sip:bob@example.com", creds, NULL),
			 SS_AUTH_OK);
}
END_TEST

START_TEST(test_expired_is_stale)
{
	char nonce[AUTH_NONCE_LEN + 1] = "", creds[1024];

	alice("SHA-256", "secret", 1, nonce, creds, sizeof(creds));
	fake_now += 300;
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_OK);
	fake_now += 1;
	alice("SHA-256", "secret", 2, nonce, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_STALE);
	/* stale=true only for whoever knows the password. */
	alice("SHA-256", "wrong", 3, nonce, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_FAILED);
	ck_assert_uint_eq(AUTH_GET(svc.stats.stale), 1);
}
END_TEST

START_TEST(test_forged_nonces)
{
	char nonce[AUTH_NONCE_LEN + 1] = "", creds[1024];
	creds_in_t in = {"MD5",	     "alice", "secret", REALM,
			 "REGISTER", RURI,    nonce,	1};

	get_nonce(REALM, nonce);
	nonce[10] = nonce[10] == 'x' ? 'y' : 'x';
	make_creds(&in, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_FAILED);
	/* A nonce issued for another realm does not carry over. */
	get_nonce("other.example", nonce);
	make_creds(&in, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_FAILED);
	/* Nor one signed by another key (another instance, old process). */
	{
		auth_key_t k;
		uint64_t saved = fake_now;

		ck_assert_int_eq(auth_key_init(&k, ""), 0);
		ck_assert_int_eq(
		    auth_nonce_make(&k, SS_STR(REALM), saved, nonce), 0);
		make_creds(&in, creds, sizeof(creds));
		ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL),
				 SS_AUTH_FAILED);
	}
}
END_TEST

START_TEST(test_unknown_user)
{
	char nonce[AUTH_NONCE_LEN + 1] = "", creds[1024];
	creds_in_t in = {"MD5",	     "mallory", "secret", REALM,
			 "REGISTER", RURI,	nonce,	  1};

	get_nonce(REALM, nonce);
	make_creds(&in, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL), SS_AUTH_FAILED);
}
END_TEST

START_TEST(test_no_credentials)
{
	ss_auth_request_t req = {.method = SS_STR("REGISTER"),
				 .uri = SS_STR(RURI),
				 .realm = SS_STR(REALM)};
	char nonce[AUTH_NONCE_LEN + 1] = "", creds[1024];
	creds_in_t in = {"MD5",	     "alice", "secret", "other.example",
			 "REGISTER", RURI,    nonce,	1};

	ck_assert_int_eq(auth_verify(&svc, &req, NULL), SS_AUTH_NO_CREDENTIALS);
	ck_assert_int_eq(
	    verify("REGISTER", RURI, "Basic YWxpY2U6c2VjcmV0", NULL),
	    SS_AUTH_NO_CREDENTIALS);
	get_nonce("other.example", nonce);
	make_creds(&in, creds, sizeof(creds));
	ck_assert_int_eq(verify("REGISTER", RURI, creds, NULL),
			 SS_AUTH_NO_CREDENTIALS);
	ck_assert_uint_eq(AUTH_GET(svc.stats.failed), 0);
}
END_TEST

/* Everything RFC 7616 requires of qop=auth must be there. */
START_TEST(test_incomplete_credentials)
{
	char nonce[AUTH_NONCE_LEN + 1] = "";
	char good[1024], bad[1100];
	static const struct {
		const char *from, *to;
	} edits[] = {
	    {"qop=auth", "qop=auth-int"},
	    {", qop=auth", ""},
	    {"cnonce=\"0a4f113b\",", ""},
	    {", nc=00000001", ""},
	    {"username=\"alice\", ", ""},
	    {"algorithm=MD5", "algorithm=SHA-512-256"},
	    {"qop=auth", "qop=auth, userhash=true"},
	    {"nc=00000001", "nc=00000001, nc=00000002"},
	};

	alice("MD5", "secret", 1, nonce, good, sizeof(good));
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const char *at = strstr(good, edits[i].from);

		ck_assert_ptr_nonnull(at);
		snprintf(bad, sizeof(bad), "%.*s%s%s", (int)(at - good), good,
			 edits[i].to, at + strlen(edits[i].from));
		ck_assert_msg(verify("REGISTER", RURI, bad, NULL) ==
				  SS_AUTH_FAILED,
			      "accepted: %s", bad);
	}
	ck_assert_int_eq(verify("REGISTER", RURI, good, NULL), SS_AUTH_OK);
}
END_TEST

/* ---- policy --------------------------------------------------------- */

static bool need(const char *method, const char *domain, bool in_dialog,
		 char *realm)
{
	return auth_required(&svc, ss_str_c(method), ss_str_c(domain),
			     in_dialog, realm, SS_AUTH_NAME_MAX);
}

START_TEST(test_policy_default)
{
	char realm[SS_AUTH_NAME_MAX];

	ck_assert(need("REGISTER", "Example.COM", false, realm));
	ck_assert_str_eq(realm, "example.com");
	ck_assert(need("INVITE", "x.org", false, realm));
	ck_assert(!need("BYE", "x.org", true, realm));
	ck_assert(!need("ACK", "x.org", false, realm));
	ck_assert(!need("CANCEL", "x.org", false, realm));
	snprintf(conf->realm, sizeof(conf->realm), "Corp");
	ck_assert(need("MESSAGE", "x.org", false, realm));
	ck_assert_str_eq(realm, "Corp");
}
END_TEST

START_TEST(test_policy_rules)
{
	char realm[SS_AUTH_NAME_MAX];

	ck_assert_int_eq(auth_rule_parse(&conf->rules[0], "REGISTER",
					 "example.com, *.example.net", false),
			 0);
	ck_assert_int_eq(
	    auth_rule_parse(&conf->rules[1], "INVITE,MESSAGE", "*", true), 0);
	conf->nrules = 2;
	ck_assert(need("REGISTER", "example.com", false, realm));
	ck_assert(need("REGISTER", "EXAMPLE.com", false, realm));
	ck_assert(need("REGISTER", "sip.example.net", false, realm));
	ck_assert(!need("REGISTER", "example.net", false, realm));
	ck_assert(!need("REGISTER", "example.org", false, realm));
	ck_assert(!need("OPTIONS", "example.com", false, realm));
	ck_assert(need("INVITE", "anything.org", false, realm));
	ck_assert(need("INVITE", "anything.org", true, realm));
	ck_assert(!need("REGISTER", "example.com", true, realm));
	ck_assert(!need("ACK", "example.com", false, realm));
	ck_assert(need("message", "a.b", false, realm));
}
END_TEST

START_TEST(test_rule_parse_limits)
{
	char many[512] = "";
	auth_rule_t r;

	for (int i = 0; i < AUTH_RULE_MAX_ITEMS + 1; i++)
		strcat(many, "A,");
	ck_assert_int_eq(auth_rule_parse(&r, many, "", false), -EINVAL);
	ck_assert_int_eq(auth_rule_parse(&r, "", "", false), 0);
	ck_assert_uint_eq(r.nmethods, 0);
	ck_assert_int_eq(
	    auth_rule_parse(&r, " REGISTER ,\tINVITE ", "*", false), 0);
	ck_assert_uint_eq(r.nmethods, 2);
	ck_assert(ss_str_eq(r.methods[1], SS_STR("INVITE")));
	ck_assert_uint_eq(r.ndomains, 0);
}
END_TEST

static Suite *verify_suite(void)
{
	Suite *s = suite_create("auth_verify");
	TCase *tc = tcase_create("verify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_challenge_format);
	tcase_add_test(tc, test_challenge_offer_order);
	tcase_add_test(tc, test_challenge_limits);
	tcase_add_test(tc, test_ok_both_algorithms);
	tcase_add_test(tc, test_nc_replay_refused);
	tcase_add_test(tc, test_wrong_password_counted_per_source);
	tcase_add_test(tc, test_uri_mismatch);
	tcase_add_test(tc, test_expired_is_stale);
	tcase_add_test(tc, test_forged_nonces);
	tcase_add_test(tc, test_unknown_user);
	tcase_add_test(tc, test_no_credentials);
	tcase_add_test(tc, test_incomplete_credentials);
	suite_add_tcase(s, tc);
	tc = tcase_create("policy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_policy_default);
	tcase_add_test(tc, test_policy_rules);
	tcase_add_test(tc, test_rule_parse_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(verify_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
