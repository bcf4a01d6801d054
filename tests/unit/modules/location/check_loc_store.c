/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the location store and its group-commit writer: bindings
 * survive close and reopen with every field, many updates share one commit,
 * and corrupt, locked or too-new database files fail with a clear error.
 */
#include "loc_int.h"

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char dbpath[128];
static uint32_t fake_now;

static uint32_t fake_clock(void)
{
	return __atomic_load_n(&fake_now, __ATOMIC_RELAXED);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_loc_store_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/location.db", dir);
	fake_now = 1700000000;
	loc_clock_set(fake_clock);
}

static void teardown(void)
{
	char p[160];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	rmdir(dir);
	loc_clock_set(NULL);
}

/* Counts completions; the writer runs them on its own thread here since
 * the test threads have no loop. */
typedef struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned done, failed;
} waiter_t;

static waiter_t w8 = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
		      0};

static void on_done(void *arg, int result)
{
	pthread_mutex_lock(&w8.lock);
	w8.done++;
	if (result != SS_LOC_OK)
		w8.failed++;
	pthread_cond_broadcast(&w8.cond);
	pthread_mutex_unlock(&w8.lock);
}

static void wait_done(unsigned n)
{
	pthread_mutex_lock(&w8.lock);
	while (w8.done < n)
		pthread_cond_wait(&w8.cond, &w8.lock);
	pthread_mutex_unlock(&w8.lock);
}

static loc_table_t *tab;
static loc_store_t *store;
static loc_writer_t *writer;

static void open_all(void)
{
	char err[512] = "";

	tab = loc_table_new(16, 10);
	ck_assert_ptr_nonnull(tab);
	store = loc_store_open(dbpath, false, err, sizeof(err));
	ck_assert_msg(store != NULL, "%s", err);
	writer = loc_writer_start(store, tab, NULL, 0);
	ck_assert_ptr_nonnull(writer);
}

static void close_all(void)
{
	loc_writer_stop(writer);
	loc_store_close(store);
	loc_table_free(tab);
	writer = NULL;
	store = NULL;
	tab = NULL;
}

static int load_row(void *arg, const char *key, size_t klen,
		    const loc_row_t *row)
{
	return loc_table_load(arg, key, klen, row, loc_now());
}

/* Reopens the database into a fresh table (the restart). */
static void reopen(void)
{
	char err[512] = "";

	tab = loc_table_new(16, 10);
	store = loc_store_open(dbpath, false, err, sizeof(err));
	ck_assert_msg(store != NULL, "%s", err);
	ck_assert_msg(loc_store_load(store, loc_now(), load_row, tab, err,
				     sizeof(err)) == 0,
		      "%s", err);
	writer = loc_writer_start(store, tab, NULL, 0);
}

/* What location.c does for one REGISTER with one contact. */
static int submit(const char *aor, const char *uri, uint32_t expires,
		  uint32_t cseq, uint32_t reg_id, ss_loc_done_fn done)
{
	ss_loc_contact_update_t c = {.uri = uri,
				     .expires = expires,
				     .q = (uint16_t)(cseq % 1001),
				     .instance = reg_id ? "<urn:uuid:x>" : NULL,
				     .reg_id = reg_id};
	ss_loc_update_t u = {.aor = aor,
			     .call_id = "call-1",
			     .cseq = cseq,
			     .ncontacts = 1,
			     .contacts = &c,
			     .path = "<sip:edge.example.com;lr>",
			     .received = "198.51.100.7:5062",
			     .transport = 2,
			     .user_agent = "phone/1.0"};
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon(aor, key, sizeof(key));
	loc_wreq_t *r = loc_wreq_new(key, (size_t)klen, done, NULL);
	loc_report_t rep;
	int err;

	ck_assert_ptr_nonnull(r);
	err = loc_table_apply(tab, key, (size_t)klen, &u, loc_now(), &rep);
	loc_dead_free(&rep.dead);
	if (err)
		loc_wreq_free(r);
	else
		loc_writer_submit(writer, r);
	return err;
}

START_TEST(test_reload_every_field)
{
	loc_table_stats_t st;
	loc_snap_t snap = {0};
	unsigned i;

	w8.done = w8.failed = 0;
	open_all();
	for (i = 0; i < 200; i++) {
		char aor[64], uri[64];

		snprintf(aor, sizeof(aor), "sip:user%u@example.com", i);
		snprintf(uri, sizeof(uri), "sip:user%u@192.0.2.1:5060", i);
		ck_assert_int_eq(submit(aor, uri, 3600, 1, 0, on_done), 0);
		snprintf(uri, sizeof(uri), "sip:user%u@192.0.2.2;ob", i);
		ck_assert_int_eq(submit(aor, uri, 1800, 2, 7, on_done), 0);
	}
	wait_done(400);
	ck_assert_uint_eq(w8.failed, 0);
	close_all();

	reopen();
	loc_table_stats(tab, &st);
	ck_assert_uint_eq(st.aors, 200);
	ck_assert_uint_eq(st.bindings, 400);
	ck_assert_int_eq(loc_table_snapshot(tab, "sip:user42@example.com", 22,
					    loc_now(), &snap),
			 0);
	ck_assert_uint_eq(snap.nrows, 2);
	/* q 2 sorts before q 1 */
	ck_assert_str_eq(snap.rows[0].uri, "sip:user42@192.0.2.2;ob");
	ck_assert_uint_eq(snap.rows[0].q, 2);
	ck_assert_int_eq(snap.rows[0].expires, (int64_t)fake_now + 1800);
	ck_assert_uint_eq(snap.rows[0].cseq, 2);
	ck_assert_uint_eq(snap.rows[0].reg_id, 7);
	ck_assert_str_eq(snap.rows[0].instance, "<urn:uuid:x>");
	ck_assert_str_eq(snap.rows[0].call_id, "call-1");
	ck_assert_str_eq(snap.rows[0].path, "<sip:edge.example.com;lr>");
	ck_assert_str_eq(snap.rows[0].received, "198.51.100.7:5062");
	ck_assert_uint_eq(snap.rows[0].transport, 2);
	ck_assert_str_eq(snap.rows[0].user_agent, "phone/1.0");
	ck_assert_str_eq(snap.rows[1].uri, "sip:user42@192.0.2.1:5060");
	ck_assert_str_eq(snap.rows[1].instance, "");
	loc_snap_fini(&snap);
	close_all();
}
END_TEST

/* The first completion runs on the writer thread before it takes its next
 * batch: everything queued from there must go into one transaction. */
#define GROUP 1000
static void on_first(void *arg, int result)
{
	unsigned i;

	for (i = 0; i < GROUP; i++) {
		char aor[64], uri[64];

		snprintf(aor, sizeof(aor), "sip:g%u@example.com", i % 100);
		snprintf(uri, sizeof(uri), "sip:c%u@192.0.2.9", i);
		submit(aor, uri, 600, i + 10, 0, on_done);
	}
	on_done(arg, result);
}

START_TEST(test_group_commit)
{
	loc_writer_stats_t ws;
	loc_table_stats_t st;

	w8.done = w8.failed = 0;
	open_all();
	loc_table_set_max_contacts(tab, 1000);
	ck_assert_int_eq(
	    submit("sip:first@example.com", "sip:first@1", 60, 1, 0, on_first),
	    0);
	wait_done(GROUP + 1);
	ck_assert_uint_eq(w8.failed, 0);
	loc_writer_get_stats(writer, &ws);
	ck_assert_uint_eq(ws.batches, 2);
	ck_assert_uint_eq(ws.commits, 2);
	ck_assert_uint_eq(ws.requests, GROUP + 1);
	ck_assert_uint_eq(ws.max_batch, GROUP);
	/* 1000 updates of 100 AORs: each AOR written once */
	ck_assert_uint_eq(ws.aors_written, 1 + 100);
	close_all();

	reopen();
	loc_table_stats(tab, &st);
	ck_assert_uint_eq(st.bindings, GROUP + 1);
	ck_assert_uint_eq(st.aors, 101);
	close_all();
}
END_TEST

START_TEST(test_sync_and_removal_persist)
{
	char key[] = "sip:r@example.com";
	loc_dead_t dead = {NULL, 0};
	loc_table_stats_t st;
	loc_wreq_t *r;

	open_all();
	ck_assert_int_eq(submit(key, "sip:r@1", 60, 1, 0, NULL), 0);
	ck_assert_int_eq(submit(key, "sip:r@2", 60, 2, 0, NULL), 0);
	ck_assert_int_eq(submit("sip:s@example.com", "sip:s@1", 60, 1, 0, NULL),
			 0);
	loc_writer_sync(writer);
	r = loc_wreq_new(key, strlen(key), NULL, NULL);
	ck_assert_uint_eq(
	    loc_table_remove(tab, key, strlen(key), "sip:r@1", &dead), 1);
	loc_writer_submit(writer, r);
	loc_dead_free(&dead);
	loc_writer_sync(writer);
	close_all();

	reopen();
	loc_table_stats(tab, &st);
	ck_assert_uint_eq(st.bindings, 2);
	ck_assert_uint_eq(loc_table_count(tab, key, strlen(key), loc_now()), 1);
	close_all();
}
END_TEST

static long count_rows(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long n = -1;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM location",
					    -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

START_TEST(test_expired_dropped_at_load)
{
	loc_table_stats_t st;

	open_all();
	ck_assert_int_eq(submit("sip:e@x", "sip:e@1", 10, 1, 0, NULL), 0);
	ck_assert_int_eq(submit("sip:e@x", "sip:e@2", 100, 2, 0, NULL), 0);
	loc_writer_sync(writer);
	close_all();
	ck_assert_int_eq(count_rows(), 2);

	fake_now += 50;
	reopen();
	loc_table_stats(tab, &st);
	ck_assert_uint_eq(st.bindings, 1);
	close_all();
	ck_assert_int_eq(count_rows(), 1);
}
END_TEST

static void write_file(const char *path, off_t at, const char *data, size_t len,
		       unsigned times)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(lseek(fd, at, SEEK_SET), at);
	while (times--)
		ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

START_TEST(test_corrupt_garbage)
{
	static const char junk[] = "this is no SQLite database, just text.";
	char err[512] = "", want[256];

	write_file(dbpath, 0, junk, sizeof(junk), 200);
	ck_assert_ptr_null(loc_store_open(dbpath, false, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "location: database %s is corrupt: ", dbpath);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
}
END_TEST

START_TEST(test_corrupt_pages)
{
	char err[512] = "", junk[512];
	loc_store_t *s;
	unsigned i;

	open_all();
	loc_table_set_max_contacts(tab, 1000);
	for (i = 0; i < 3000; i++) {
		char aor[64];

		snprintf(aor, sizeof(aor), "sip:p%u@example.com", i);
		ck_assert_int_eq(
		    submit(aor, "sip:p@192.0.2.3", 600, 1, 0, NULL), 0);
	}
	loc_writer_sync(writer);
	close_all();
	/* keep the header page, scribble over the table's pages */
	memset(junk, 0xa5, sizeof(junk));
	write_file(dbpath, 4096, junk, sizeof(junk), 64);

	s = loc_store_open(dbpath, false, err, sizeof(err));
	if (s) {
		tab = loc_table_new(4, 10);
		ck_assert_int_lt(loc_store_load(s, loc_now(), load_row, tab,
						err, sizeof(err)),
				 0);
		loc_store_close(s);
		loc_table_free(tab);
		tab = NULL;
	}
	ck_assert_msg(strstr(err, "is corrupt: ") != NULL, "%s", err);
}
END_TEST

static void expect_locked(void)
{
	char err[512] = "", want[256];

	ck_assert_ptr_null(loc_store_open(dbpath, false, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "location: database %s is locked by another process", dbpath);
	ck_assert_str_eq(err, want);
}

START_TEST(test_locked_new_file)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
			 SQLITE_OK);
	expect_locked();
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_locked_wal_file)
{
	sqlite3 *db;

	open_all();
	ck_assert_int_eq(submit("sip:l@x", "sip:l@1", 60, 1, 0, NULL), 0);
	loc_writer_sync(writer);
	close_all();
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
			 SQLITE_OK);
	expect_locked();
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_second_opener_locked)
{
	open_all();
	expect_locked();
	close_all();
}
END_TEST

START_TEST(test_newer_schema)
{
	char err[512] = "";
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(
	    sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_null(loc_store_open(dbpath, false, err, sizeof(err)));
	ck_assert_msg(strstr(err, "schema version 99") != NULL, "%s", err);
}
END_TEST

START_TEST(test_missing_directory)
{
	char err[512] = "", path[160];

	snprintf(path, sizeof(path), "%s/no/such/dir/x.db", dir);
	ck_assert_ptr_null(loc_store_open(path, true, err, sizeof(err)));
	ck_assert_msg(strstr(err, path) != NULL, "%s", err);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("location store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_reload_every_field);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_sync_and_removal_persist);
	tcase_add_test(tc, test_expired_dropped_at_load);
	tcase_add_test(tc, test_corrupt_garbage);
	tcase_add_test(tc, test_corrupt_pages);
	tcase_add_test(tc, test_locked_new_file);
	tcase_add_test(tc, test_locked_wal_file);
	tcase_add_test(tc, test_second_opener_locked);
	tcase_add_test(tc, test_newer_schema);
	tcase_add_test(tc, test_missing_directory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
