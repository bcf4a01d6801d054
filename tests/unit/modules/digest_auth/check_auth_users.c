/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of modules/digest_auth/auth_users.c on a temporary SQLite file:
 * add, passwd, remove, list, persistence across reopen, the file's mode,
 * and that the file holds HA1 values but never a password.
 */
#define _GNU_SOURCE
#include "auth_int.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

static char dir[64];
static char path[128];

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/authXXXXXX", tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/auth.db", dir);
	ck_assert_int_eq(auth_crypto_init(), 0);
}

static void teardown(void)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};

	for (int i = 0; i < 3; i++) {
		char p[160];

		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		unlink(p);
	}
	rmdir(dir);
	auth_crypto_fini();
}

static auth_users_t *open_db(void)
{
	char err[256] = "";
	auth_users_t *u = auth_users_open(path, err, sizeof(err));

	ck_assert_msg(u != NULL, "open: %s", err);
	return u;
}

static void expect_ha1(auth_users_t *u, const char *user, const char *realm,
		       const char *password)
{
	for (int a = 0; a < AUTH_ALGO_COUNT; a++) {
		unsigned char want[AUTH_HASH_MAX], got[AUTH_HASH_MAX];

		ck_assert_int_eq(auth_digest_ha1((auth_algo_t)a, ss_str_c(user),
						 ss_str_c(realm),
						 ss_str_c(password), want),
				 0);
		ck_assert_int_eq(auth_users_lookup(u, ss_str_c(user),
						   ss_str_c(realm),
						   (auth_algo_t)a, got),
				 0);
		ck_assert_int_eq(
		    memcmp(want, got, auth_algo_len((auth_algo_t)a)), 0);
	}
}

START_TEST(test_add_passwd_remove)
{
	auth_users_t *u = open_db();
	unsigned char ha1[AUTH_HASH_MAX];
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq(auth_users_count(u), 0);
	ck_assert_int_eq(auth_users_add(u, "alice", "example.com", "pw1"), 0);
	ck_assert_int_eq(auth_users_add(u, "alice", "example.com", "x"),
			 -EEXIST);
	ck_assert_uint_eq(auth_users_count(u), 1);
	expect_ha1(u, "alice", "example.com", "pw1");
	ck_assert_int_eq(auth_users_lookup(u, SS_STR("alice"),
					   SS_STR("example.org"), AUTH_MD5,
					   ha1),
			 -ENOENT);
	ck_assert_int_eq(auth_users_lookup(u, SS_STR("alic"),
					   SS_STR("example.com"), AUTH_MD5,
					   ha1),
			 -ENOENT);

	ck_assert_int_eq(auth_users_passwd(u, "alice", "example.com", "pw2"),
			 0);
	expect_ha1(u, "alice", "example.com", "pw2");
	ck_assert_int_eq(auth_users_passwd(u, "bob", "example.com", "pw"),
			 -ENOENT);

	ck_assert_int_eq(auth_users_remove(u, "alice", "example.com"), 0);
	ck_assert_int_eq(auth_users_remove(u, "alice", "example.com"), -ENOENT);
	ck_assert_uint_eq(auth_users_count(u), 0);
	ck_assert_int_eq(auth_users_lookup(u, SS_STR("alice"),
					   SS_STR("example.com"), AUTH_SHA256,
					   ha1),
			 -ENOENT);
	auth_users_close(u);
}
END_TEST

START_TEST(test_invalid)
{
	auth_users_t *u = open_db();
	char longname[SS_AUTH_NAME_MAX + 1];

	memset(longname, 'a', SS_AUTH_NAME_MAX);
	longname[SS_AUTH_NAME_MAX] = '\0';
	ck_assert_int_eq(auth_users_add(u, "", "example.com", "pw"), -EINVAL);
	ck_assert_int_eq(auth_users_add(u, "a", "", "pw"), -EINVAL);
	ck_assert_int_eq(auth_users_add(u, "a", "example.com", ""), -EINVAL);
	ck_assert_int_eq(auth_users_add(u, "a\nb", "example.com", "pw"),
			 -EINVAL);
	ck_assert_int_eq(auth_users_add(u, longname, "example.com", "pw"),
			 -EINVAL);
	ck_assert_int_eq(auth_users_remove(u, "", "example.com"), -EINVAL);
	ck_assert_uint_eq(auth_users_count(u), 0);
	auth_users_close(u);
}
END_TEST

typedef struct listing {
	char text[512];
	unsigned n;
} listing_t;

static void collect(const char *user, const char *realm, void *arg)
{
	listing_t *l = arg;
	size_t o = strlen(l->text);

	snprintf(l->text + o, sizeof(l->text) - o, "%s@%s;", user, realm);
	l->n++;
}

START_TEST(test_list_and_reopen)
{
	auth_users_t *u = open_db();
	listing_t l = {"", 0};

	ck_assert_int_eq(auth_users_add(u, "carol", "b.example", "p3"), 0);
	ck_assert_int_eq(auth_users_add(u, "bob", "a.example", "p2"), 0);
	ck_assert_int_eq(auth_users_add(u, "alice", "b.example", "p1"), 0);
	ck_assert_int_eq(auth_users_foreach(u, collect, &l), 0);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.text,
			 "bob@a.example;alice@b.example;carol@b.example;");
	auth_users_close(u);

	u = open_db();
	ck_assert_uint_eq(auth_users_count(u), 3);
	expect_ha1(u, "alice", "b.example", "p1");
	expect_ha1(u, "bob", "a.example", "p2");
	expect_ha1(u, "carol", "b.example", "p3");
	auth_users_close(u);
}
END_TEST

/* Reads a file fully; NULL-safe for files that do not exist. */
static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	return buf;
}

static bool db_files_contain(const char *needle)
{
	static const char *const suffixes[] = {"", "-wal"};
	bool found = false;

	for (int i = 0; i < 2 && !found; i++) {
		char p[160];
		size_t len;
		char *buf;

		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		buf = slurp(p, &len);
		if (buf)
			found = memmem(buf, len, needle, strlen(needle));
		free(buf);
	}
	return found;
}

/* The database holds HA1 hex (found, which proves the search works) and
 * never the password, neither while open (WAL) nor after close. */
START_TEST(test_only_ha1_stored)
{
	static const char pass[] = "Zebra-Pass-9137";
	auth_users_t *u = open_db();
	unsigned char ha1[AUTH_HASH_MAX];
	char hex[2 * AUTH_HASH_MAX + 1];

	ck_assert_int_eq(auth_users_add(u, "dave", "example.com", pass), 0);
	ck_assert_int_eq(auth_users_passwd(u, "dave", "example.com", pass), 0);
	ck_assert(!db_files_contain(pass));
	auth_users_close(u);
	ck_assert_int_eq(auth_digest_ha1(AUTH_SHA256, SS_STR("dave"),
					 SS_STR("example.com"), ss_str_c(pass),
					 ha1),
			 0);
	auth_hex(ha1, 32, hex);
	ck_assert(db_files_contain(hex));
	ck_assert(!db_files_contain(pass));
}
END_TEST

/* A damaged row is skipped at load; the rest still loads. */
START_TEST(test_damaged_row)
{
	auth_users_t *u = open_db();
	sqlite3 *db;

	ck_assert_int_eq(auth_users_add(u, "erin", "example.com", "pw"), 0);
	auth_users_close(u);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
				      "INSERT INTO auth_users VALUES"
				      " ('bad', 'example.com', 'zz', 'zz')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	u = open_db();
	ck_assert_uint_eq(auth_users_count(u), 1);
	expect_ha1(u, "erin", "example.com", "pw");
	auth_users_close(u);
}
END_TEST

START_TEST(test_open_failure)
{
	char err[256] = "";

	ck_assert_ptr_null(
	    auth_users_open("/nonexistent-dir/x/auth.db", err, sizeof(err)));
	ck_assert(strstr(err, "/nonexistent-dir/x/auth.db") != NULL);
}
END_TEST

static Suite *users_suite(void)
{
	Suite *s = suite_create("auth_users");
	TCase *tc = tcase_create("users");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_add_passwd_remove);
	tcase_add_test(tc, test_invalid);
	tcase_add_test(tc, test_list_and_reopen);
	tcase_add_test(tc, test_only_ha1_stored);
	tcase_add_test(tc, test_damaged_row);
	tcase_add_test(tc, test_open_failure);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(users_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
