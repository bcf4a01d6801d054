/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of modules/digest_auth/auth_nonce.c: nonce round trip, tampering,
 * realm and key binding, shared secrets, and the nonce-count table (replay,
 * eviction with the forgotten mark, concurrent use).
 */
#include "auth_int.h"

#include <check.h>
#include <errno.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

static auth_key_t key;

static void setup(void)
{
	ck_assert_int_eq(auth_crypto_init(), 0);
	ck_assert_int_eq(auth_key_init(&key, ""), 0);
}

static void teardown(void)
{
	auth_crypto_fini();
}

/* auth_hmac (precomputed pads) equals OpenSSL's own HMAC-SHA256 of
 * data || realm, for a key change and repeated use on one thread. */
START_TEST(test_hmac_matches_openssl)
{
	static const char *const datas[] = {
	    "", "x", "0123456789abcdef",
	    "a longer message that spans more "
	    "than one SHA-256 block of sixty-four "
	    "bytes, to be sure"};
	auth_key_t k2;

	ck_assert_int_eq(auth_key_init(&k2, "another secret"), 0);
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < 2 * 4; i++) {
			const auth_key_t *k = i & 1 ? &k2 : &key;
			const char *d = datas[i / 2];
			unsigned char ours[32], ref[32], buf[256];
			unsigned int rlen = 0;
			size_t dl = strlen(d);

			memcpy(buf, d, dl);
			memcpy(buf + dl, "realm.example", 13);
			ck_assert_ptr_nonnull(HMAC(EVP_sha256(), k->bytes,
						   AUTH_KEY_LEN, buf, dl + 13,
						   ref, &rlen));
			ck_assert_uint_eq(rlen, 32);
			ck_assert_int_eq(auth_hmac(k, (const unsigned char *)d,
						   dl, SS_STR("realm.example"),
						   ours),
					 0);
			ck_assert_mem_eq(ours, ref, 32);
		}
	}
}
END_TEST

START_TEST(test_round_trip)
{
	char nonce[AUTH_NONCE_LEN + 1];
	auth_nonce_info_t info;

	ck_assert_int_eq(
	    auth_nonce_make(&key, SS_STR("example.com"), 1700000000, nonce), 0);
	ck_assert_uint_eq(strlen(nonce), AUTH_NONCE_LEN);
	ck_assert_uint_eq(strspn(nonce,
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz0123456789-_"),
			  AUTH_NONCE_LEN);
	ck_assert_int_eq(auth_nonce_check(&key, ss_str_c(nonce),
					  SS_STR("example.com"), &info),
			 0);
	ck_assert_uint_eq(info.issued, 1700000000);
}
END_TEST

/* Every single-character change of a nonce is refused, including the
 * last character whose two low bits carry nothing. */
START_TEST(test_tampered)
{
	char nonce[AUTH_NONCE_LEN + 1];
	auth_nonce_info_t info;

	ck_assert_int_eq(
	    auth_nonce_make(&key, SS_STR("example.com"), 1000, nonce), 0);
	for (size_t i = 0; i < AUTH_NONCE_LEN; i++) {
		char bad[AUTH_NONCE_LEN + 1];

		memcpy(bad, nonce, sizeof(bad));
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		ck_assert_msg(auth_nonce_check(&key, ss_str_c(bad),
					       SS_STR("example.com"),
					       &info) == -EINVAL,
			      "change at %zu accepted", i);
	}
	ck_assert_int_eq(auth_nonce_check(&key, (ss_str_t){nonce, 42},
					  SS_STR("example.com"), &info),
			 -EINVAL);
	nonce[5] = '+';
	ck_assert_int_eq(auth_nonce_check(&key, ss_str_c(nonce),
					  SS_STR("example.com"), &info),
			 -EINVAL);
	ck_assert_int_eq(
	    auth_nonce_check(&key, SS_STR(""), SS_STR("example.com"), &info),
	    -EINVAL);
}
END_TEST

START_TEST(test_bound_to_realm_and_key)
{
	char nonce[AUTH_NONCE_LEN + 1];
	auth_nonce_info_t info;
	auth_key_t other;

	ck_assert_int_eq(auth_key_init(&other, ""), 0);
	ck_assert_uint_ne(other.gen, key.gen);
	ck_assert_int_eq(
	    auth_nonce_make(&key, SS_STR("a.example"), 1000, nonce), 0);
	ck_assert_int_eq(
	    auth_nonce_check(&key, ss_str_c(nonce), SS_STR("b.example"), &info),
	    -EINVAL);
	ck_assert_int_eq(auth_nonce_check(&other, ss_str_c(nonce),
					  SS_STR("a.example"), &info),
			 -EINVAL);
	/* Switching keys back and forth on one thread rekeys its MAC. */
	ck_assert_int_eq(
	    auth_nonce_check(&key, ss_str_c(nonce), SS_STR("a.example"), &info),
	    0);
}
END_TEST

/* Instances configured with one secret accept each other's nonces. */
START_TEST(test_shared_secret)
{
	char nonce[AUTH_NONCE_LEN + 1];
	auth_nonce_info_t info;
	auth_key_t a, b, c;

	ck_assert_int_eq(auth_key_init(&a, "s3cret"), 0);
	ck_assert_int_eq(auth_key_init(&b, "s3cret"), 0);
	ck_assert_int_eq(auth_key_init(&c, "other"), 0);
	ck_assert_int_eq(memcmp(a.bytes, b.bytes, AUTH_KEY_LEN), 0);
	ck_assert_int_eq(auth_nonce_make(&a, SS_STR("r"), 42, nonce), 0);
	ck_assert_int_eq(
	    auth_nonce_check(&b, ss_str_c(nonce), SS_STR("r"), &info), 0);
	ck_assert_int_eq(
	    auth_nonce_check(&c, ss_str_c(nonce), SS_STR("r"), &info), -EINVAL);
}
END_TEST

static int cmp_nonce(const void *a, const void *b)
{
	return strcmp(a, b);
}

START_TEST(test_unique)
{
	enum { N = 2000 };
	char(*nonces)[AUTH_NONCE_LEN + 1] = malloc(N * sizeof(*nonces));

	for (int i = 0; i < N; i++)
		ck_assert_int_eq(
		    auth_nonce_make(&key, SS_STR("r"), 7, nonces[i]), 0);
	qsort(nonces, N, sizeof(*nonces), cmp_nonce);
	for (int i = 1; i < N; i++)
		ck_assert(strcmp(nonces[i - 1], nonces[i]) != 0);
	free(nonces);
}
END_TEST

START_TEST(test_nc_replay)
{
	auth_nc_t *t = auth_nc_new(1024);
	auth_nonce_info_t a = {.issued = 100, .tag = 0x1234567890abcdefull};
	auth_nonce_info_t b = {.issued = 100, .tag = 0x0fedcba987654321ull};

	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(auth_nc_slots(t), 1024);
	ck_assert_int_eq(auth_nc_use(t, &a, 400, 1), AUTH_NC_OK);
	ck_assert_int_eq(auth_nc_use(t, &a, 400, 1), AUTH_NC_REPLAY);
	ck_assert_int_eq(auth_nc_use(t, &a, 400, 3), AUTH_NC_OK);
	ck_assert_int_eq(auth_nc_use(t, &a, 400, 2), AUTH_NC_REPLAY);
	ck_assert_int_eq(auth_nc_use(t, &a, 400, 3), AUTH_NC_REPLAY);
	ck_assert_int_eq(auth_nc_use(t, &b, 400, 1), AUTH_NC_OK);
	ck_assert_int_eq(auth_nc_use(t, &a, 400, 4), AUTH_NC_OK);
	ck_assert_uint_eq(auth_nc_live(t, 399), 2);
	ck_assert_uint_eq(auth_nc_live(t, 400), 0);
	auth_nc_free(t);
}
END_TEST

/*
 * Nine nonces in one set of eight ways: the one expiring first is evicted
 * and the set's mark rises to its issue time, so it (and any older nonce
 * of the set) comes back FORGOTTEN, never accepted again; a newer nonce is
 * still accepted, and the survivors keep their counts.
 */
START_TEST(test_nc_eviction)
{
	auth_nc_t *t = auth_nc_new(1024); /* 128 sets */
	auth_nonce_info_t n[9];

	for (int i = 0; i < 9; i++) {
		n[i] = (auth_nonce_info_t){.issued = 100 + (uint64_t)i,
					   .tag = 5 + 128 * (uint64_t)i};
		ck_assert_int_eq(auth_nc_use(t, &n[i], 400 + (uint64_t)i, 1),
				 AUTH_NC_OK);
	}
	ck_assert_int_eq(auth_nc_use(t, &n[0], 400, 2), AUTH_NC_FORGOTTEN);
	ck_assert_int_eq(auth_nc_use(t, &n[1], 401, 1), AUTH_NC_REPLAY);
	ck_assert_int_eq(auth_nc_use(t, &n[8], 408, 1), AUTH_NC_REPLAY);
	{
		auth_nonce_info_t older = {.issued = 99, .tag = 5 + 128 * 20};
		auth_nonce_info_t newer = {.issued = 150, .tag = 5 + 128 * 21};

		ck_assert_int_eq(auth_nc_use(t, &older, 399, 1),
				 AUTH_NC_FORGOTTEN);
		ck_assert_int_eq(auth_nc_use(t, &newer, 450, 1), AUTH_NC_OK);
	}
	auth_nc_free(t);
}
END_TEST

enum { NC_THREADS = 4, NC_COUNTS = 5000 };

static auth_nc_t *shared_t;
static unsigned accepted[NC_COUNTS + 1];

static void *nc_worker(void *arg)
{
	auth_nonce_info_t n = {.issued = 1, .tag = 77};

	(void)arg;
	for (uint32_t nc = 1; nc <= NC_COUNTS; nc++)
		if (auth_nc_use(shared_t, &n, 1000, nc) == AUTH_NC_OK)
			__atomic_fetch_add(&accepted[nc], 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Threads racing with the same counts: no count is ever accepted twice. */
START_TEST(test_nc_concurrent)
{
	pthread_t th[NC_THREADS];
	unsigned total = 0;

	shared_t = auth_nc_new(4096);
	memset(accepted, 0, sizeof(accepted));
	for (int i = 0; i < NC_THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, nc_worker, NULL),
				 0);
	for (int i = 0; i < NC_THREADS; i++)
		pthread_join(th[i], NULL);
	for (int nc = 1; nc <= NC_COUNTS; nc++) {
		ck_assert_uint_le(accepted[nc], 1);
		total += accepted[nc];
	}
	ck_assert_uint_ge(total, 1);
	ck_assert_uint_eq(accepted[NC_COUNTS], 1);
	auth_nc_free(shared_t);
}
END_TEST

static Suite *nonce_suite(void)
{
	Suite *s = suite_create("auth_nonce");
	TCase *tc = tcase_create("nonce");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hmac_matches_openssl);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_tampered);
	tcase_add_test(tc, test_bound_to_realm_and_key);
	tcase_add_test(tc, test_shared_secret);
	tcase_add_test(tc, test_unique);
	suite_add_tcase(s, tc);
	tc = tcase_create("nc");
	tcase_add_test(tc, test_nc_replay);
	tcase_add_test(tc, test_nc_eviction);
	tcase_add_test(tc, test_nc_concurrent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(nonce_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
