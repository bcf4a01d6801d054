/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the location module on real core loops: the service vtable
 * (completion on the caller's loop after commit), events, the expiry sweep,
 * console commands, load failures on bad database files, and kill -9 at the
 * N-th acknowledgement losing no acknowledged binding.
 */
#include "loc_int.h"

#include "cli_core.h"
#include "config_core.h"
#include "loop_core.h"
#include "service_core.h"

#include <sipserver/module.h>

#include <check.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern const ss_module_desc_t location_LTX_ss_module;

static char dir[64];
static char dbpath[128];
static ss_config_t *conf;
static ss_cfg_t *cfg;
static const ss_location_api_t *api;

static void reset_state(void);

static void setup(void)
{
	reset_state();
	snprintf(dir, sizeof(dir), "/tmp/check_location_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/location.db", dir);
	ck_assert_int_eq(ss_config_set_statedir(dir), 0);
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
}

/* Loads the module the way the loader does, with `children` as the body of
 * its <module> section. */
static ss_load_result_t load_with(const char *children)
{
	char xml[2048], err[512] = "";
	const ss_config_section_t *sect;
	ss_load_result_t res;

	snprintf(xml, sizeof(xml),
		 "<sipserver><modules><module name=\"location\">%s</module>"
		 "</modules></sipserver>",
		 children);
	conf =
	    ss_config_load_memory(xml, strlen(xml), "test", err, sizeof(err));
	ck_assert_msg(conf != NULL, "%s", err);
	sect = ss_config_module_find(conf, "location");
	cfg = ss_cfg_build(sect, location_LTX_ss_module.config, "location", err,
			   sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	res = location_LTX_ss_module.load(NULL, cfg);
	api = res == SS_LOAD_OK
		  ? ss_service_get(SS_LOCATION_SERVICE, SS_LOCATION_API_VERSION)
		  : NULL;
	return res;
}

static void unload(void)
{
	location_LTX_ss_module.unload(NULL);
	ss_service_release_owner(NULL);
	ss_cfg_free(cfg);
	ss_config_free(conf);
	cfg = NULL;
	conf = NULL;
	api = NULL;
}

static ss_loc_update_t one(const char *aor, ss_loc_contact_update_t *c,
			   const char *uri, uint32_t expires, uint32_t cseq)
{
	ss_loc_update_t u = {.aor = aor,
			     .call_id = "cid@host",
			     .cseq = cseq,
			     .ncontacts = 1,
			     .contacts = c,
			     .received = "127.0.0.1:5070",
			     .transport = 1,
			     .user_agent = "check"};

	memset(c, 0, sizeof(*c));
	c->uri = uri;
	c->expires = expires;
	c->q = 1000;
	return u;
}

/* ---- completion on the caller's loop ---- */

static int done_result = 99;
static ss_loop_t *done_loop;
static unsigned seen_count;

static int count_fn(void *arg, const ss_loc_contact_t *c)
{
	if (strcmp(c->uri, "sip:w@127.0.0.1:5070") == 0 &&
	    strcmp(c->received, "127.0.0.1:5070") == 0 && c->expires_in > 0)
		seen_count++;
	return 0;
}

static void worker_done(void *arg, int result)
{
	done_result = result;
	done_loop = ss_loop_current();
	api->lookup("sip:w@example.com", count_fn, NULL);
	ss_loops_request_stop(0);
}

static void worker_apply(void *arg)
{
	ss_loc_contact_update_t c;
	ss_loc_update_t u =
	    one("sip:w@example.com", &c, "sip:w@127.0.0.1:5070", 60, 1);

	if (api->apply(&u, worker_done, NULL) != 0)
		ss_loops_request_stop(1);
}

START_TEST(test_done_on_caller_loop)
{
	ck_assert_int_eq(ss_loops_start(2), 0);
	ck_assert_int_eq(load_with(""), SS_LOAD_OK);
	ck_assert_ptr_nonnull(api);
	ck_assert_int_eq(ss_loop_post(ss_loop_worker(1), worker_apply, NULL),
			 0);
	ck_assert_int_eq(ss_loop_control_run(), 0);
	ck_assert_int_eq(done_result, SS_LOC_OK);
	ck_assert_ptr_eq(done_loop, ss_loop_worker(1));
	ck_assert_uint_eq(seen_count, 1);
	ck_assert_uint_eq(api->count("SIP:w@EXAMPLE.com"), 1);
	unload();
	ss_loops_shutdown();
}
END_TEST

/* ---- the commit window ---- */

#define WINDOW_AORS 8

static unsigned window_done, window_per_event, window_next;
static uint64_t window_applied_ms, window_done_ms;

static void window_count(void *arg, int result)
{
	ck_assert_int_eq(result, SS_LOC_OK);
	if (++window_done == WINDOW_AORS) {
		window_done_ms = ss_loop_now_ms(ss_loop_current());
		ss_loops_request_stop(0);
	}
}

static void window_apply_one(const char *aor_user, ss_loc_done_fn done)
{
	char aor[64], uri[64];
	ss_loc_contact_update_t c;
	ss_loc_update_t u;

	snprintf(aor, sizeof(aor), "sip:%s@example.com", aor_user);
	snprintf(uri, sizeof(uri), "sip:%s@127.0.0.1:5070", aor_user);
	u = one(aor, &c, uri, 60, 1);
	if (api->apply(&u, done, NULL) != 0)
		ss_loops_request_stop(1);
}

/* Queues WINDOW_AORS changes of distinct AORs, window_per_event per
 * event of worker 0 (the rest as further tasks). */
static void window_apply(void *arg)
{
	if (window_next == 0)
		window_applied_ms = ss_loop_now_ms(ss_loop_current());
	for (unsigned i = 0; i < window_per_event && window_next < WINDOW_AORS;
	     i++, window_next++) {
		char user[16];

		snprintf(user, sizeof(user), "win%u", window_next);
		window_apply_one(user, window_count);
	}
	if (window_next < WINDOW_AORS)
		ck_assert_int_eq(
		    ss_loop_post(ss_loop_current(), window_apply, NULL), 0);
}

/* The writer thread commits whatever it finds queued when it wakes, as it
 * may at its start: one change committed first sees it asleep. */
static void window_warmed(void *arg, int result)
{
	ck_assert_int_eq(result, SS_LOC_OK);
	window_apply(NULL);
}

static void window_warm(void *arg)
{
	window_apply_one("warm", window_warmed);
}

static loc_writer_stats_t window_run(const char *children, unsigned per_event)
{
	loc_writer_stats_t st;

	window_done = window_next = 0;
	window_per_event = per_event;
	ck_assert_int_eq(ss_loops_start(1), 0);
	ck_assert_int_eq(load_with(children), SS_LOAD_OK);
	ck_assert_int_eq(ss_loop_post(ss_loop_worker(0), window_warm, NULL), 0);
	ck_assert_int_eq(ss_loop_control_run(), 0);
	ck_assert_uint_eq(window_done, WINDOW_AORS);
	loc_writer_get_stats(loc_current()->writer, &st);
	unload();
	ss_loops_shutdown();
	return st;
}

/* Changes queued by separate events inside one window share one commit,
 * and none is acknowledged before the window is over. */
START_TEST(test_commit_window_groups_events)
{
	loc_writer_stats_t st =
	    window_run("<database commit_window=\"50\"/>", 1);

	ck_assert_uint_eq(st.requests, 1 + WINDOW_AORS);
	ck_assert_uint_eq(st.commits, 1 + 1);
	ck_assert_uint_ge(window_done_ms - window_applied_ms, 49);
}
END_TEST

/* Without a window each event commits its own changes at its end. */
START_TEST(test_commit_window_zero_commits_per_event)
{
	loc_writer_stats_t st =
	    window_run("<database commit_window=\"0\"/>", 2);

	ck_assert_uint_eq(st.requests, 1 + WINDOW_AORS);
	ck_assert_uint_eq(st.commits, 1 + WINDOW_AORS / 2);
}
END_TEST

/* ---- synchronous rejections, events, expiry ---- */

static ss_loc_event_t events[16];
static char event_uri[16][64];
static unsigned nevents;
static ss_loc_event_kind_t stop_on;

static ss_bus_verdict_t on_event(ss_topic_t topic, void *msg, void *arg)
{
	const ss_loc_event_t *ev = msg;

	if (nevents < 16) {
		events[nevents] = *ev;
		snprintf(event_uri[nevents], sizeof(event_uri[0]), "%s",
			 ev->uri);
		nevents++;
	}
	if (ev->kind == stop_on)
		ss_loops_request_stop(0);
	return SS_BUS_CONTINUE;
}

static unsigned ndone;

static void count_done(void *arg, int result)
{
	ck_assert_int_eq(result, SS_LOC_OK);
	if (++ndone == (unsigned)(uintptr_t)arg)
		ss_loops_request_stop(0);
}

static uint32_t fake_now;

static uint32_t fake_clock(void)
{
	return __atomic_load_n(&fake_now, __ATOMIC_RELAXED);
}

START_TEST(test_events_rejects_expiry)
{
	ss_loc_contact_update_t c;
	ss_loc_update_t u;

	fake_now = 1700000000;
	loc_clock_set(fake_clock);
	ck_assert_int_eq(ss_loops_start(1), 0);
	ck_assert_int_eq(load_with("<limits max_contacts=\"1\"/>"
				   "<expiry sweep_interval=\"10\"/>"),
			 SS_LOAD_OK);
	ck_assert_int_eq(
	    ss_bus_subscribe(NULL, SS_LOC_EVENT_TOPIC, 0, on_event, NULL), 0);

	u = one("sip:e@example.com", &c, "sip:e@1", 30, 5);
	ck_assert_int_eq(api->apply(&u, count_done, (void *)1), 0);
	ck_assert_uint_eq(nevents, 1);
	ck_assert_int_eq(events[0].kind, SS_LOC_EV_ADDED);
	ck_assert_str_eq(event_uri[0], "sip:e@1");
	ck_assert_uint_eq(events[0].expires_in, 30);
	ck_assert_uint_eq(events[0].count, 1);
	ck_assert_int_eq(ss_loop_control_run(), 0);

	/* rejected: nothing changes, no completion, no event */
	ck_assert_int_eq(api->apply(&u, count_done, NULL), SS_LOC_E_CSEQ);
	u = one("sip:e@example.com", &c, "sip:e@2", 30, 6);
	ck_assert_int_eq(api->apply(&u, count_done, NULL), SS_LOC_E_TOO_MANY);
	u.aor = "not a uri";
	ck_assert_int_eq(api->apply(&u, count_done, NULL), SS_LOC_E_INVAL);
	ck_assert_int_eq(
	    api->remove("sip:e@example.com", "sip:e@9", NULL, NULL), -ENOENT);
	ck_assert_uint_eq(nevents, 1);
	ck_assert_uint_eq(ndone, 1);

	/* the sweep timer expires it and publishes the event */
	stop_on = SS_LOC_EV_EXPIRED;
	__atomic_store_n(&fake_now, fake_now + 31, __ATOMIC_RELAXED);
	ck_assert_uint_eq(api->count("sip:e@example.com"), 0);
	ck_assert_int_eq(ss_loop_control_run(), 0);
	ck_assert_uint_eq(nevents, 2);
	ck_assert_int_eq(events[1].kind, SS_LOC_EV_EXPIRED);
	ck_assert_uint_eq(events[1].count, 0);
	/* and its row is deleted */
	api->sync();
	unload();
	ss_loops_shutdown();
	loc_clock_set(NULL);
}
END_TEST

/* ---- console ---- */

static char out[8192];
static size_t outlen;
static char cands[16][128];
static unsigned ncands;

static void sink_write(void *arg, const char *text, size_t len)
{
	if (outlen + len < sizeof(out)) {
		memcpy(out + outlen, text, len);
		outlen += len;
		out[outlen] = '\0';
	}
}

static void sink_candidate(void *arg, const char *word)
{
	if (ncands < 16)
		snprintf(cands[ncands++], sizeof(cands[0]), "%s", word);
}

static ss_cli_status_t run(ss_cli_t *cli, const char *line)
{
	outlen = 0;
	out[0] = '\0';
	return ss_cli_execute(cli, line);
}

START_TEST(test_console)
{
	ss_cli_sink_t sink = {sink_write, sink_candidate, NULL};
	ss_loc_contact_update_t c;
	ss_loc_update_t u;
	ss_cli_t *cli;

	ck_assert_int_eq(ss_loops_start(1), 0);
	ck_assert_int_eq(load_with("<database synchronous=\"full\"/>"),
			 SS_LOAD_OK);
	ck_assert_int_eq(ss_cli_register(NULL, loc_cli_commands), 0);
	cli = ss_cli_new(&sink);
	ck_assert_ptr_nonnull(cli);
	u = one("sip:alice@example.com", &c, "sip:alice@192.0.2.1", 3600, 1);
	ck_assert_int_eq(api->apply(&u, count_done, (void *)1), 0);
	u = one("sip:bob@example.com", &c, "sip:bob@192.0.2.2", 3600, 1);
	ck_assert_int_eq(api->apply(&u, count_done, (void *)2), 0);
	ck_assert_int_eq(ss_loop_control_run(), 0);

	ck_assert_int_eq(run(cli, "location show sip:alice@example.com"),
			 SS_CLI_OK);
	ck_assert_msg(strstr(out, "sip:alice@192.0.2.1 q=1.000") != NULL, "%s",
		      out);
	ck_assert_msg(strstr(out, "received 127.0.0.1:5070/udp") != NULL, "%s",
		      out);
	ck_assert_int_eq(run(cli, "location show"), SS_CLI_OK);
	ck_assert_msg(strstr(out, "2 AORs, 2 bindings") != NULL, "%s", out);
	ck_assert_int_eq(run(cli, "location show sip:nobody@example.com"),
			 SS_CLI_FAIL);
	ck_assert_int_eq(run(cli, "location stats"), SS_CLI_OK);
	ck_assert_msg(strstr(out, "bindings 2") != NULL &&
			  strstr(out, "synchronous full") != NULL &&
			  strstr(out, "commit window 10 ms") != NULL,
		      "%s", out);

	ncands = 0;
	ss_cli_complete(cli, "location show sip:al");
	ck_assert_uint_eq(ncands, 1);
	ck_assert_str_eq(cands[0], "sip:alice@example.com");
	ncands = 0;
	ss_cli_complete(cli, "location remove sip:bob@example.com sip:b");
	ck_assert_uint_eq(ncands, 1);
	ck_assert_str_eq(cands[0], "sip:bob@192.0.2.2");

	ck_assert_int_eq(run(cli, "location remove sip:alice@example.com "
				  "sip:alice@192.0.2.9"),
			 SS_CLI_FAIL);
	ck_assert_int_eq(run(cli, "location remove sip:alice@example.com"),
			 SS_CLI_OK);
	ck_assert_msg(strstr(out, "removed 1 binding of") != NULL, "%s", out);
	ck_assert_uint_eq(api->count("sip:alice@example.com"), 0);
	ck_assert_int_eq(run(cli, "location remove"), SS_CLI_USAGE);
	ss_cli_free(cli);
	ss_cli_release_owner(NULL);
	unload();

	/* the console's removal was committed: a restart does not bring
	 * alice back */
	ck_assert_int_eq(load_with(""), SS_LOAD_OK);
	ck_assert_uint_eq(api->count("sip:alice@example.com"), 0);
	ck_assert_uint_eq(api->count("sip:bob@example.com"), 1);
	unload();
	ss_loops_shutdown();
}
END_TEST

/* ---- load failures ---- */

START_TEST(test_load_fails_corrupt)
{
	int fd = open(dbpath, O_WRONLY | O_CREAT, 0600);
	unsigned i;

	ck_assert_int_ge(fd, 0);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(write(fd, "garbage garbage garbage!", 24), 24);
	close(fd);
	ck_assert_int_eq(ss_loops_start(1), 0);
	ck_assert_int_eq(load_with(""), SS_LOAD_FAIL);
	ck_assert_ptr_null(ss_service_get(SS_LOCATION_SERVICE, 1));
	ss_cfg_free(cfg);
	ss_config_free(conf);
	ss_loops_shutdown();
}
END_TEST

START_TEST(test_load_fails_locked)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(ss_loops_start(1), 0);
	ck_assert_int_eq(load_with(""), SS_LOAD_FAIL);
	ck_assert_ptr_null(ss_service_get(SS_LOCATION_SERVICE, 1));
	ss_cfg_free(cfg);
	ss_config_free(conf);
	sqlite3_close(db);
	ss_loops_shutdown();
}
END_TEST

START_TEST(test_bad_synchronous)
{
	ck_assert_int_eq(ss_loops_start(1), 0);
	ck_assert_int_eq(load_with("<database synchronous=\"sometimes\"/>"),
			 SS_LOAD_FAIL);
	ss_cfg_free(cfg);
	ss_config_free(conf);
	ss_loops_shutdown();
}
END_TEST

/* ---- unload drains ---- */

START_TEST(test_unload_runs_pending_completions)
{
	ss_loc_contact_update_t c;
	ss_loc_update_t u;
	unsigned i;

	ck_assert_int_eq(ss_loops_start(1), 0);
	ck_assert_int_eq(load_with(""), SS_LOAD_OK);
	ck_assert_int_eq(ss_loop_post(ss_loop_worker(0), worker_apply, NULL),
			 0);
	/* wait for the worker to have applied it */
	for (i = 0; api->count("sip:w@example.com") == 0; i++)
		sched_yield();
	unload();
	ck_assert_int_eq(done_result, SS_LOC_OK);
	ck_assert_ptr_eq(done_loop, ss_loop_worker(0));

	ck_assert_int_eq(load_with(""), SS_LOAD_OK);
	ck_assert_uint_eq(api->count("sip:w@example.com"), 1);
	u = one("sip:w@example.com", &c, "sip:w@127.0.0.1:5070", 60, 1);
	/* the stored CSeq came back with the binding */
	ck_assert_int_eq(api->apply(&u, NULL, NULL), SS_LOC_E_CSEQ);
	unload();
	ss_loops_shutdown();
}
END_TEST

/* ---- kill -9 ---- */

#define CRASH_ACK    300 /* the child dies at this acknowledgement */
#define CRASH_TOTAL  600 /* applies it would issue */
#define CRASH_WINDOW 40	 /* applies in flight */

static int ack_fd;
static unsigned issued, acked;

static void crash_issue(void);

static void crash_done(void *arg, int result)
{
	uint32_t idx = (uint32_t)(uintptr_t)arg;

	if (result != SS_LOC_OK)
		_exit(3);
	/* The pipe keeps what was written even when the writer dies. */
	if (write(ack_fd, &idx, sizeof(idx)) != sizeof(idx))
		_exit(4);
	if (++acked == CRASH_ACK)
		kill(getpid(), SIGKILL);
	crash_issue();
}

static void crash_issue(void)
{
	char aor[64], uri[64];
	ss_loc_contact_update_t c;
	ss_loc_update_t u;

	if (issued == CRASH_TOTAL)
		return;
	snprintf(aor, sizeof(aor), "sip:k%u@example.com", issued % 250);
	snprintf(uri, sizeof(uri), "sip:k%u@192.0.2.5", issued);
	u = one(aor, &c, uri, 3600, issued + 1);
	if (api->apply(&u, crash_done, (void *)(uintptr_t)issued) != 0)
		_exit(5);
	issued++;
}

static void crash_start(void *arg)
{
	unsigned i;

	for (i = 0; i < CRASH_WINDOW; i++)
		crash_issue();
}

static void crash_child(void)
{
	if (ss_loops_start(1) != 0 || load_with("") != SS_LOAD_OK)
		_exit(2);
	ss_loop_post(ss_loop_worker(0), crash_start, NULL);
	ss_loop_control_run();
	_exit(6);
}

static int load_row(void *arg, const char *key, size_t klen,
		    const loc_row_t *row)
{
	return loc_table_load(arg, key, klen, row, loc_now());
}

typedef struct find {
	const char *uri;
	bool found;
} find_t;

static int find_fn(void *arg, const ss_loc_contact_t *c)
{
	find_t *f = arg;

	if (strcmp(c->uri, f->uri) == 0)
		f->found = true;
	return 0;
}

START_TEST(test_kill9_keeps_acknowledged)
{
	int fds[2], status;
	uint32_t idx;
	unsigned n = 0;
	char err[512] = "";
	loc_table_t *t;
	loc_store_t *s;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		ack_fd = fds[1];
		crash_child();
	}
	close(fds[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "child status %d", status);

	t = loc_table_new(16, 1000);
	s = loc_store_open(dbpath, false, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_msg(
	    loc_store_load(s, loc_now(), load_row, t, err, sizeof(err)) == 0,
	    "%s", err);
	while (read(fds[0], &idx, sizeof(idx)) == sizeof(idx)) {
		char aor[64], key[SS_LOC_MAX_AOR + 1], uri[64];
		find_t f = {uri, false};
		int klen;

		snprintf(aor, sizeof(aor), "sip:k%u@example.com", idx % 250);
		snprintf(uri, sizeof(uri), "sip:k%u@192.0.2.5", idx);
		klen = loc_aor_canon(aor, key, sizeof(key));
		loc_table_lookup(t, key, (size_t)klen, loc_now(), find_fn, &f);
		ck_assert_msg(f.found, "acknowledged %s of %s lost", uri, aor);
		n++;
	}
	close(fds[0]);
	ck_assert_uint_eq(n, CRASH_ACK);
	loc_store_close(s);
	loc_table_free(t);
}
END_TEST

/* Each test starts from zero even when Check does not fork (CK_FORK=no,
 * as under valgrind). */
static void reset_state(void)
{
	done_result = 99;
	done_loop = NULL;
	seen_count = 0;
	nevents = 0;
	stop_on = 0;
	ndone = 0;
	outlen = 0;
	ncands = 0;
	issued = acked = 0;
}

static Suite *location_suite(void)
{
	Suite *s = suite_create("location module");
	TCase *tc = tcase_create("module");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_done_on_caller_loop);
	tcase_add_test(tc, test_commit_window_groups_events);
	tcase_add_test(tc, test_commit_window_zero_commits_per_event);
	tcase_add_test(tc, test_events_rejects_expiry);
	tcase_add_test(tc, test_console);
	tcase_add_test(tc, test_load_fails_corrupt);
	tcase_add_test(tc, test_load_fails_locked);
	tcase_add_test(tc, test_bad_synchronous);
	tcase_add_test(tc, test_unload_runs_pending_completions);
	tcase_add_test(tc, test_kill9_keeps_acknowledged);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(location_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
