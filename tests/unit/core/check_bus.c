/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of core/bus.c: topic table, priority order (stable for equal
 * priorities), STOP and CONTINUE, tables and owner release, changes during a
 * publish, posting to a worker loop, and publishers racing with writers.
 */
#include "bus_core.h"
#include "loop_core.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Each call appends "<tag>," to the trace. */
static char trace[512];

static ss_bus_verdict_t tag_continue(ss_topic_t topic, void *msg, void *arg)
{
	strcat(trace, arg);
	strcat(trace, ",");
	return SS_BUS_CONTINUE;
}

static ss_bus_verdict_t tag_stop(ss_topic_t topic, void *msg, void *arg)
{
	strcat(trace, arg);
	strcat(trace, "!,");
	return SS_BUS_STOP;
}

static void publish_traced(ss_topic_t topic, ss_bus_verdict_t expect)
{
	trace[0] = '\0';
	ck_assert_int_eq(ss_bus_publish(topic, NULL), expect);
}

static const struct ss_module *const mod_a = (const void *)&mod_a;
static const struct ss_module *const mod_b = (const void *)&mod_b;

static void teardown(void)
{
	if (ss_loop_control())
		ss_loops_shutdown();
	ss_bus_shutdown();
}

START_TEST(test_topics)
{
	ss_topic_t a = ss_bus_topic("sip.raw.in");
	ss_topic_t b = ss_bus_topic("sip.request.in");
	char name[32];
	unsigned i;

	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_int_ne(a, b);
	ck_assert_int_eq(ss_bus_topic("sip.raw.in"), a);
	ck_assert_str_eq(ss_bus_topic_name(a), "sip.raw.in");
	ck_assert_str_eq(ss_bus_topic_name(b), "sip.request.in");
	ck_assert_ptr_null(ss_bus_topic_name(-1));
	ck_assert_ptr_null(ss_bus_topic_name(b + 1));
	ck_assert_ptr_null(ss_bus_topic_name(SS_BUS_MAX_TOPICS));
	ck_assert_int_eq(ss_bus_topic(NULL), -EINVAL);
	ck_assert_int_eq(ss_bus_topic(""), -EINVAL);
	/* publishing on a topic nobody listens to, or a bad id, is a no-op */
	publish_traced(a, SS_BUS_CONTINUE);
	ck_assert_int_eq(ss_bus_publish(-3, NULL), SS_BUS_CONTINUE);
	ck_assert_int_eq(ss_bus_publish(SS_BUS_MAX_TOPICS, NULL),
			 SS_BUS_CONTINUE);
	for (i = 2; i < SS_BUS_MAX_TOPICS; i++) {
		snprintf(name, sizeof(name), "t%u", i);
		ck_assert_int_eq(ss_bus_topic(name), (ss_topic_t)i);
	}
	ck_assert_int_eq(ss_bus_topic("one.too.many"), -ENOSPC);
	ck_assert_int_eq(
	    ss_bus_subscribe(NULL, "one.too.many", 0, tag_continue, "x"),
	    -ENOSPC);
	ck_assert_int_eq(ss_bus_topic("t100"), 100);
}
END_TEST

START_TEST(test_priority_order)
{
	ss_topic_t t = ss_bus_topic("order");

	ck_assert_int_eq(
	    ss_bus_subscribe(NULL, "order", 30, tag_continue, "p30"), 0);
	ck_assert_int_eq(
	    ss_bus_subscribe(NULL, "order", 10, tag_continue, "p10a"), 0);
	ck_assert_int_eq(
	    ss_bus_subscribe(NULL, "order", 20, tag_continue, "p20"), 0);
	ck_assert_int_eq(
	    ss_bus_subscribe(NULL, "order", -5, tag_continue, "m5"), 0);
	ck_assert_int_eq(
	    ss_bus_subscribe(NULL, "order", 10, tag_continue, "p10b"), 0);
	ck_assert_int_eq(
	    ss_bus_subscribe(NULL, "order", 10, tag_continue, "p10c"), 0);
	ck_assert_int_eq(ss_bus_subscribe(NULL, "order", 0, NULL, "x"),
			 -EINVAL);
	publish_traced(t, SS_BUS_CONTINUE);
	ck_assert_str_eq(trace, "m5,p10a,p10b,p10c,p20,p30,");
}
END_TEST

static uint64_t info_published, info_stopped;
static unsigned info_subscribers;
static ss_topic_t info_topic;

static void topic_info_cb(const ss_bus_topic_info_t *info, void *arg)
{
	if (info->id != info_topic)
		return;
	ck_assert_str_eq(info->name, ss_bus_topic_name(info->id));
	info_published = info->published;
	info_stopped = info->stopped;
	info_subscribers = info->subscribers;
}

static void read_info(ss_topic_t topic)
{
	info_topic = topic;
	info_published = info_stopped = info_subscribers = 0;
	ss_bus_foreach_topic(topic_info_cb, NULL);
}

START_TEST(test_stop_and_counters)
{
	ss_topic_t t = ss_bus_topic("chain");

	ss_bus_subscribe(NULL, "chain", 1, tag_continue, "auth");
	ss_bus_subscribe(NULL, "chain", 2, tag_stop, "registrar");
	ss_bus_subscribe(NULL, "chain", 3, tag_continue, "proxy");
	publish_traced(t, SS_BUS_STOP);
	ck_assert_str_eq(trace, "auth,registrar!,");
	ck_assert_int_eq(ss_bus_unsubscribe("chain", tag_stop, "registrar"), 0);
	publish_traced(t, SS_BUS_CONTINUE);
	ck_assert_str_eq(trace, "auth,proxy,");
	read_info(t);
	ck_assert_uint_eq(info_published, 2);
	ck_assert_uint_eq(info_stopped, 1);
	ck_assert_uint_eq(info_subscribers, 2);
}
END_TEST

START_TEST(test_unsubscribe)
{
	ss_topic_t t = ss_bus_topic("unsub");
	static char arg1[] = "one", arg2[] = "two";

	ss_bus_subscribe(NULL, "unsub", 0, tag_continue, arg1);
	ss_bus_subscribe(NULL, "unsub", 0, tag_continue, arg2);
	ss_bus_subscribe(NULL, "unsub", 0, tag_continue, arg1);
	/* (fn, arg) removes one subscription at a time */
	ck_assert_int_eq(ss_bus_unsubscribe("unsub", tag_continue, arg1), 0);
	publish_traced(t, SS_BUS_CONTINUE);
	ck_assert_str_eq(trace, "two,one,");
	ck_assert_int_eq(ss_bus_unsubscribe("unsub", tag_stop, arg2), -ENOENT);
	ck_assert_int_eq(ss_bus_unsubscribe("nosuch", tag_continue, arg2),
			 -ENOENT);
	ck_assert_int_eq(ss_bus_unsubscribe("unsub", tag_continue, arg1), 0);
	ck_assert_int_eq(ss_bus_unsubscribe("unsub", tag_continue, arg2), 0);
	publish_traced(t, SS_BUS_CONTINUE);
	ck_assert_str_eq(trace, "");
	read_info(t);
	ck_assert_uint_eq(info_subscribers, 0);
}
END_TEST

static char sub_list[256];

static void subscriber_cb(int priority, const char *owner_name, void *arg)
{
	char one[64];

	snprintf(one, sizeof(one), "%d:%s,", priority, owner_name);
	strcat(sub_list, one);
}

static const ss_bus_sub_t table_a[] = {
    {.topic = "tbl.x", .priority = 50, .fn = tag_continue, .arg = "ax"},
    {.topic = "tbl.y", .priority = 5, .fn = tag_stop, .arg = "ay"},
    {.topic = "tbl.x", .priority = 0, .fn = tag_continue, .arg = "ax0"},
    {.topic = NULL},
};

/* Fails on its third entry: the first two must not stay subscribed. */
static const ss_bus_sub_t table_bad[] = {
    {.topic = "tbl.x", .priority = 1, .fn = tag_continue, .arg = "b1"},
    {.topic = "tbl.z", .priority = 1, .fn = tag_continue, .arg = "b2"},
    {.topic = "tbl.x", .priority = 1, .fn = NULL, .arg = "b3"},
    {.topic = NULL},
};

START_TEST(test_table_and_release)
{
	ss_topic_t x, y, z;

	ck_assert_int_eq(
	    ss_bus_subscribe(NULL, "tbl.x", 10, tag_continue, "core"), 0);
	ck_assert_int_eq(ss_bus_register_table(mod_a, table_a), 0);
	ck_assert_int_eq(ss_bus_register_table(mod_b, NULL), 0);
	/* owner NULL: the error names the owner, and these tests' owners
	 * are not real modules */
	ck_assert_int_eq(ss_bus_register_table(NULL, table_bad), -EINVAL);
	x = ss_bus_topic("tbl.x");
	y = ss_bus_topic("tbl.y");
	z = ss_bus_topic("tbl.z");
	publish_traced(x, SS_BUS_CONTINUE);
	ck_assert_str_eq(trace, "ax0,core,ax,");
	publish_traced(y, SS_BUS_STOP);
	ck_assert_str_eq(trace, "ay!,");
	publish_traced(z, SS_BUS_CONTINUE);
	ck_assert_str_eq(trace, "");

	ss_bus_release_owner(mod_a);
	publish_traced(x, SS_BUS_CONTINUE);
	ck_assert_str_eq(trace, "core,");
	publish_traced(y, SS_BUS_CONTINUE);
	ck_assert_str_eq(trace, "");
	ss_bus_release_owner(mod_a); /* nothing left: a no-op */

	sub_list[0] = '\0';
	ss_bus_foreach_subscriber(x, subscriber_cb, NULL);
	ck_assert_str_eq(sub_list, "10:core,");
	sub_list[0] = '\0';
	ss_bus_foreach_subscriber(-1, subscriber_cb, NULL);
	ss_bus_foreach_subscriber(y, subscriber_cb, NULL);
	ck_assert_str_eq(sub_list, "");
}
END_TEST

/* A subscriber that removes itself and its successor mid-publish: the
 * running publish finishes on the array it started with. */
static ss_bus_verdict_t self_remover(ss_topic_t topic, void *msg, void *arg)
{
	strcat(trace, "self,");
	ck_assert_int_eq(ss_bus_unsubscribe("live", self_remover, arg), 0);
	ck_assert_int_eq(ss_bus_unsubscribe("live", tag_continue, "next"), 0);
	ck_assert_int_eq(
	    ss_bus_subscribe(NULL, "live", 0, tag_continue, "added"), 0);
	return SS_BUS_CONTINUE;
}

START_TEST(test_change_during_publish)
{
	ss_topic_t t = ss_bus_topic("live");

	ss_bus_subscribe(NULL, "live", 1, self_remover, NULL);
	ss_bus_subscribe(NULL, "live", 2, tag_continue, "next");
	ss_bus_subscribe(NULL, "live", 3, tag_continue, "last");
	publish_traced(t, SS_BUS_CONTINUE);
	ck_assert_str_eq(trace, "self,next,last,");
	publish_traced(t, SS_BUS_CONTINUE);
	ck_assert_str_eq(trace, "added,last,");
}
END_TEST

/* ---- with loops ---- */

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static unsigned done_count;

static void done_add(void)
{
	pthread_mutex_lock(&done_lock);
	done_count++;
	pthread_cond_broadcast(&done_cond);
	pthread_mutex_unlock(&done_lock);
}

static void done_wait(unsigned n)
{
	struct timespec deadline;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 20;
	pthread_mutex_lock(&done_lock);
	while (done_count < n && err == 0)
		err = pthread_cond_timedwait(&done_cond, &done_lock, &deadline);
	pthread_mutex_unlock(&done_lock);
	ck_assert_msg(err == 0, "timed out waiting for %u events", n);
}

typedef struct posted {
	int value;
	ss_loop_t *seen_loop;
	int seen_value;
	bool released_after;
	bool delivered;
} posted_t;

static ss_bus_verdict_t posted_sub(ss_topic_t topic, void *msg, void *arg)
{
	posted_t *p = msg;

	p->seen_loop = ss_loop_current();
	p->seen_value = p->value;
	p->delivered = true;
	return SS_BUS_STOP;
}

static void posted_release(void *msg)
{
	posted_t *p = msg;

	p->released_after = p->delivered && ss_loop_current() == p->seen_loop;
	done_add();
}

START_TEST(test_post_to_worker)
{
	static posted_t p = {.value = 1234};
	ss_topic_t t;

	done_count = 0;
	ck_assert_int_eq(ss_loops_start(2), 0);
	t = ss_bus_topic("posted");
	ck_assert_int_eq(ss_bus_subscribe(NULL, "posted", 0, posted_sub, NULL),
			 0);
	ck_assert_int_eq(ss_bus_post(ss_loop_worker(1), t, &p, posted_release),
			 0);
	done_wait(1);
	ck_assert_ptr_eq(p.seen_loop, ss_loop_worker(1));
	ck_assert_int_eq(p.seen_value, 1234);
	ck_assert(p.released_after);
	ck_assert_int_eq(ss_bus_post(NULL, t, &p, NULL), -EINVAL);
	ck_assert_int_eq(ss_bus_post(ss_loop_worker(0), -1, &p, NULL), -EINVAL);
	read_info(t);
	ck_assert_uint_eq(info_published, 1);
	ck_assert_uint_eq(info_stopped, 1);
}
END_TEST

/*
 * Workers publish without pause while the control loop keeps replacing
 * the subscriber array: every publish sees a whole array (1 or 2 entries,
 * never a freed one; ASan checks the latter) and the per-loop counters add
 * up to the number of publishes.
 */
enum { STORM_PUBLISHES = 20000 };
static atomic_bool storm_stop;
static atomic_uint storm_bad, storm_published;
static ss_topic_t storm_topic;

static ss_bus_verdict_t storm_sub(ss_topic_t topic, void *msg, void *arg)
{
	(*(unsigned *)msg)++;
	return SS_BUS_CONTINUE;
}

static void storm_task(void *arg)
{
	unsigned i, calls;

	for (i = 0; i < 100; i++) {
		calls = 0;
		ss_bus_publish(storm_topic, &calls);
		if (calls < 1 || calls > 2)
			atomic_fetch_add(&storm_bad, 1);
	}
	if (atomic_fetch_add(&storm_published, 100) + 100 >= STORM_PUBLISHES ||
	    atomic_load(&storm_stop)) {
		done_add();
		return;
	}
	if (ss_loop_post(ss_loop_current(), storm_task, NULL))
		atomic_fetch_add(&storm_bad, 1);
}

START_TEST(test_publish_while_changing)
{
	static char keep[] = "keep", flip[] = "flip";
	unsigned rounds = 0;

	done_count = 0;
	atomic_store(&storm_stop, false);
	ck_assert_int_eq(ss_loops_start(2), 0);
	storm_topic = ss_bus_topic("storm");
	ck_assert_int_eq(ss_bus_subscribe(NULL, "storm", 0, storm_sub, keep),
			 0);
	ss_loop_post(ss_loop_worker(0), storm_task, NULL);
	ss_loop_post(ss_loop_worker(1), storm_task, NULL);
	while (atomic_load(&storm_published) < STORM_PUBLISHES / 2 ||
	       rounds < 50) {
		ck_assert_int_eq(ss_bus_subscribe(mod_a, "storm", rounds % 3,
						  storm_sub, flip),
				 0);
		if (rounds & 1)
			ss_bus_release_owner(mod_a);
		else
			ck_assert_int_eq(
			    ss_bus_unsubscribe("storm", storm_sub, flip), 0);
		rounds++;
	}
	atomic_store(&storm_stop, true);
	done_wait(2);
	ck_assert_uint_eq(atomic_load(&storm_bad), 0);
	read_info(storm_topic);
	ck_assert_uint_eq(info_published, atomic_load(&storm_published));
	ck_assert_uint_eq(info_subscribers, 1);
}
END_TEST

static Suite *bus_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_topics);
	tcase_add_test(tc, test_priority_order);
	tcase_add_test(tc, test_stop_and_counters);
	tcase_add_test(tc, test_unsubscribe);
	tcase_add_test(tc, test_table_and_release);
	tcase_add_test(tc, test_change_during_publish);
	tcase_add_test(tc, test_post_to_worker);
	tcase_add_test(tc, test_publish_while_changing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bus_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
