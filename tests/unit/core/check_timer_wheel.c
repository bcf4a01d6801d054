/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of core/timer_wheel.c on a virtual clock: exact firing times and
 * order, cancel, re-arming from callbacks, every level boundary, the
 * overflow list, a million timers, purge by owner and next_timeout bounds.
 */
#include "timer_wheel.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

/* A virtual-clock timer: when it must fire and whether it did. */
typedef struct vtimer {
	ss_timer_t t;
	uint64_t due; /* the tick it must fire at */
	unsigned fired;
} vtimer_t;

static ss_wheel_t wheel;
static uint64_t last_fired; /* due of the latest firing, for order */
static unsigned fire_count;
/* Misfirings, counted rather than asserted in the callback: Check records
 * the location of every passing assertion, too slow for a million. */
static unsigned wrong_tick, out_of_order, fired_pending;

static uint64_t rng_state;

/* xorshift64*: a fixed seed makes every run file the same timers. */
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static void check_fire(ss_timer_t *t)
{
	vtimer_t *v = t->arg;

	wrong_tick += wheel.now != v->due;
	out_of_order += v->due < last_fired;
	fired_pending += ss_timer_pending(t);
	last_fired = v->due;
	v->fired++;
	fire_count++;
}

static void setup(uint64_t start)
{
	ss_wheel_init(&wheel, start);
	last_fired = 0;
	fire_count = 0;
	wrong_tick = out_of_order = fired_pending = 0;
	rng_state = UINT64_C(0x9e3779b97f4a7c15);
}

static void vt_add(vtimer_t *v, uint64_t due, const struct ss_module *owner)
{
	ss_timer_init(&v->t, owner, check_fire, v);
	v->due = due <= wheel.now ? wheel.now + 1 : due;
	v->fired = 0;
	ss_wheel_add(&wheel, &v->t, due);
}

/* Checked teardown: runs in each test's process after it. */
static void check_no_misfire(void)
{
	ck_assert_uint_eq(wrong_tick, 0);
	ck_assert_uint_eq(out_of_order, 0);
	ck_assert_uint_eq(fired_pending, 0);
}

/* Counts the timers of v[0..n) that did not fire exactly `times`. */
static unsigned count_fired_not(const vtimer_t *v, unsigned n, unsigned times)
{
	unsigned i, bad = 0;

	for (i = 0; i < n; i++)
		bad += v[i].fired != times;
	return bad;
}

/* Advances in random steps of at most max_step to `end`. */
static void advance_randomly(uint64_t end, uint64_t max_step)
{
	while (wheel.now < end) {
		uint64_t step = 1 + rng() % max_step;

		ss_wheel_advance(
		    &wheel, wheel.now + step > end ? end : wheel.now + step);
	}
}

START_TEST(test_random_order)
{
	enum { N = 20000 };
	vtimer_t *v = calloc(N, sizeof(*v));
	unsigned i;

	setup(12345);
	for (i = 0; i < N; i++)
		vt_add(&v[i], wheel.now + rng() % (1u << 22), NULL);
	ck_assert_uint_eq(wheel.pending, N);
	advance_randomly(wheel.now + (1u << 22), 5000);
	ck_assert_uint_eq(fire_count, N);
	ck_assert_uint_eq(wheel.pending, 0);
	ck_assert_uint_eq(count_fired_not(v, N, 1), 0);
	free(v);
}
END_TEST

START_TEST(test_one_advance_orders_all)
{
	enum { N = 5000 };
	vtimer_t *v = calloc(N, sizeof(*v));
	unsigned i, fired;

	setup(0);
	for (i = 0; i < N; i++)
		vt_add(&v[i], 1 + rng() % 100000, NULL);
	fired = ss_wheel_advance(&wheel, 100000);
	ck_assert_uint_eq(fired, N);
	ck_assert_uint_eq(fire_count, N);
	free(v);
}
END_TEST

START_TEST(test_never_early)
{
	vtimer_t v;
	uint64_t due = 777777;

	setup(1000);
	vt_add(&v, due, NULL);
	ck_assert_uint_eq(ss_wheel_advance(&wheel, due - 1), 0);
	ck_assert_uint_eq(v.fired, 0);
	ck_assert(ss_timer_pending(&v.t));
	ck_assert_uint_eq(ss_wheel_advance(&wheel, due), 1);
	ck_assert_uint_eq(v.fired, 1);
	ck_assert_uint_eq(ss_wheel_advance(&wheel, due + 100000), 0);
}
END_TEST

START_TEST(test_past_fires_next_tick)
{
	vtimer_t a, b;

	setup(500);
	vt_add(&a, 500, NULL);
	vt_add(&b, 3, NULL);
	ck_assert_uint_eq(ss_wheel_next_timeout(&wheel), 1);
	ck_assert_uint_eq(ss_wheel_advance(&wheel, 501), 2);
	ck_assert_uint_eq(a.fired + b.fired, 2);
}
END_TEST

/* Distances around every level's span, and the overflow list. */
static const uint64_t boundaries[] = {
    1,
    2,
    62,
    63,
    64,
    65,
    127,
    128,
    4095,
    4096,
    4097,
    (UINT64_C(1) << 18) - 1,
    UINT64_C(1) << 18,
    (UINT64_C(1) << 18) + 1,
    (UINT64_C(1) << 24) - 1,
    UINT64_C(1) << 24,
    (UINT64_C(1) << 24) + 1,
    (UINT64_C(1) << 30) - 1,
    UINT64_C(1) << 30,
    (UINT64_C(1) << 30) + 1,
    (UINT64_C(1) << 36) - 1,
    UINT64_C(1) << 36,
    (UINT64_C(1) << 36) + 1,
    (UINT64_C(1) << 37) + 12345,
    (UINT64_C(1) << 42) + 3,
};

#define NBOUND (sizeof(boundaries) / sizeof(boundaries[0]))

/* Starts: aligned to every level, just before and after wraps. */
static const uint64_t starts[] = {
    0,
    1,
    63,
    64,
    4095,
    4096,
    (UINT64_C(1) << 18) - 1,
    (UINT64_C(1) << 24) + 7,
    (UINT64_C(1) << 30) - 2,
    (UINT64_C(1) << 36) - 1,
    (UINT64_C(1) << 36),
    (UINT64_C(5) << 36) + 0x12345,
};

START_TEST(test_level_boundaries)
{
	vtimer_t v[NBOUND];
	unsigned i;

	setup(starts[_i]);
	for (i = 0; i < NBOUND; i++)
		vt_add(&v[i], starts[_i] + boundaries[i], NULL);
	for (i = 0; i < NBOUND; i++) {
		ss_wheel_advance(&wheel, v[i].due - 1);
		ck_assert_msg(v[i].fired == 0, "start %llu delta %llu early",
			      (unsigned long long)starts[_i],
			      (unsigned long long)boundaries[i]);
		ss_wheel_advance(&wheel, v[i].due);
		ck_assert_msg(v[i].fired == 1, "start %llu delta %llu missed",
			      (unsigned long long)starts[_i],
			      (unsigned long long)boundaries[i]);
	}
	ck_assert_uint_eq(fire_count, NBOUND);
	ck_assert_uint_eq(wheel.pending, 0);
}
END_TEST

/* Log-uniform distances up to 2^40 exercise every level and the overflow
 * list together, advanced in steps that cross many wraps at once. */
START_TEST(test_wrap_all_levels)
{
	enum { N = 4000 };
	vtimer_t *v = calloc(N, sizeof(*v));
	unsigned i;
	uint64_t end = 0;

	setup((UINT64_C(1) << 36) - 100);
	for (i = 0; i < N; i++) {
		unsigned bits = (unsigned)(rng() % 41);
		uint64_t d = bits ? rng() & ((UINT64_C(1) << bits) - 1) : 0;

		vt_add(&v[i], wheel.now + d, NULL);
		if (v[i].due > end)
			end = v[i].due;
	}
	while (wheel.now < end) {
		unsigned bits = (unsigned)(rng() % 38);

		ss_wheel_advance(&wheel,
				 wheel.now + 1 +
				     (rng() & ((UINT64_C(1) << bits) - 1)));
	}
	ck_assert_uint_eq(fire_count, N);
	ck_assert_uint_eq(count_fired_not(v, N, 1), 0);
	free(v);
}
END_TEST

START_TEST(test_million)
{
	enum { N = 1000000 };
	const uint64_t span = UINT64_C(1) << 23;
	vtimer_t *v = malloc(N * sizeof(*v));
	unsigned i;

	ck_assert_ptr_nonnull(v);
	setup(98765);
	for (i = 0; i < N; i++)
		vt_add(&v[i], wheel.now + 1 + rng() % span, NULL);
	ck_assert_uint_eq(wheel.pending, N);
	advance_randomly(wheel.now + span, 20000);
	ck_assert_uint_eq(fire_count, N);
	ck_assert_uint_eq(wheel.pending, 0);
	ck_assert_uint_eq(count_fired_not(v, N, 1), 0);
	free(v);
}
END_TEST

START_TEST(test_cancel)
{
	enum { N = 3000 };
	vtimer_t *v = calloc(N, sizeof(*v));
	unsigned i;

	setup(40);
	for (i = 0; i < N; i++)
		vt_add(&v[i], wheel.now + 1 + rng() % 200000, NULL);
	for (i = 0; i < N; i += 2)
		ss_wheel_del(&wheel, &v[i].t);
	ck_assert_uint_eq(wheel.pending, N / 2);
	advance_randomly(wheel.now + 100000, 3000);
	/* Cancel what is left of the odd ones half-way. */
	for (i = 1; i < N; i += 2)
		if (ss_timer_pending(&v[i].t))
			ss_wheel_del(&wheel, &v[i].t);
		else
			ck_assert_uint_le(v[i].due, wheel.now);
	ck_assert_uint_eq(wheel.pending, 0);
	ck_assert_int_eq(ss_wheel_next_timeout(&wheel), -1);
	ss_wheel_advance(&wheel, wheel.now + 200000);
	for (i = 0; i < N; i++)
		ck_assert_uint_eq(v[i].fired, (i & 1) && v[i].due <= 100040);
	free(v);
}
END_TEST

/* A callback that cancels its neighbours at the same tick and later. */
static vtimer_t *victims[2];
static unsigned cancelled[2];

static void cancel_cb(ss_timer_t *t)
{
	unsigned i;

	check_fire(t);
	for (i = 0; i < 2; i++) {
		if (ss_timer_pending(&victims[i]->t)) {
			ss_wheel_del(&wheel, &victims[i]->t);
			cancelled[i]++;
		}
	}
}

START_TEST(test_cancel_from_callback)
{
	vtimer_t a, same, later, killer;

	setup(0);
	/* Same-tick order is unspecified: the victim at the killer's tick
	 * either fired before it or was cancelled, never both, never late. */
	vt_add(&same, 100, NULL);
	vt_add(&later, 101, NULL);
	vt_add(&killer, 100, NULL);
	killer.t.cb = cancel_cb;
	vt_add(&a, 100, NULL);
	victims[0] = &same;
	victims[1] = &later;
	ss_wheel_advance(&wheel, 1000);
	ck_assert_uint_eq(killer.fired, 1);
	ck_assert_uint_eq(a.fired, 1);
	ck_assert_uint_eq(later.fired, 0);
	ck_assert_uint_eq(same.fired + cancelled[0], 1);
	ck_assert_uint_eq(cancelled[1], 1);
	ck_assert_uint_eq(wheel.pending, 0);
}
END_TEST

static unsigned rearm_interval;

static void rearm_cb(ss_timer_t *t)
{
	vtimer_t *v = t->arg;

	check_fire(t);
	v->due = wheel.now + (rearm_interval ? rearm_interval : 1);
	ss_wheel_add(&wheel, t, wheel.now + rearm_interval);
}

START_TEST(test_rearm_from_callback)
{
	vtimer_t v;

	setup(1000);
	rearm_interval = 7;
	vt_add(&v, 1007, NULL);
	v.t.cb = rearm_cb;
	ss_wheel_advance(&wheel, 1000 + 7 * 500);
	ck_assert_uint_eq(v.fired, 500);
	/* Re-armed with delay 0 it fires once per tick, never twice in one. */
	rearm_interval = 0;
	ss_wheel_del(&wheel, &v.t);
	vt_add(&v, wheel.now + 1, NULL);
	v.t.cb = rearm_cb;
	ss_wheel_advance(&wheel, wheel.now + 300);
	ck_assert_uint_eq(v.fired, 300);
	/* 63 ms is the last level-0 slot, just behind the one being run;
	 * 64 ms the first of level 1, whose block starts at the next tick. */
	for (rearm_interval = 63; rearm_interval <= 65; rearm_interval++) {
		ss_wheel_del(&wheel, &v.t);
		vt_add(&v, wheel.now + rearm_interval, NULL);
		v.t.cb = rearm_cb;
		ss_wheel_advance(&wheel, wheel.now + rearm_interval * 100);
		ck_assert_uint_eq(v.fired, 100);
	}
}
END_TEST

START_TEST(test_same_tick)
{
	enum { N = 1000 };
	vtimer_t v[N];
	unsigned i;

	setup(3);
	for (i = 0; i < N; i++)
		vt_add(&v[i], 5000, NULL);
	ck_assert_uint_eq(ss_wheel_advance(&wheel, 4999), 0);
	ck_assert_uint_eq(ss_wheel_advance(&wheel, 5000), N);
}
END_TEST

static const struct ss_module *owner_a = (const void *)&owner_a;
static const struct ss_module *owner_b = (const void *)&owner_b;

START_TEST(test_purge_owner)
{
	enum { N = 3000 };
	vtimer_t *v = calloc(N, sizeof(*v));
	const struct ss_module *owners[3] = {owner_a, owner_b, NULL};
	unsigned i, of_a = 0, bad = 0;

	setup(77);
	for (i = 0; i < N; i++) {
		unsigned bits = 1 + (unsigned)(rng() % 38);

		vt_add(&v[i], wheel.now + (rng() & ((UINT64_C(1) << bits) - 1)),
		       owners[i % 3]);
		of_a += i % 3 == 0;
	}
	ck_assert_uint_eq(ss_wheel_purge_owner(&wheel, owner_a), of_a);
	ck_assert_uint_eq(wheel.pending, N - of_a);
	ck_assert_uint_eq(ss_wheel_purge_owner(&wheel, owner_a), 0);
	for (i = 0; i < N; i += 3)
		ck_assert(!ss_timer_pending(&v[i].t));
	ss_wheel_advance(&wheel, wheel.now + (UINT64_C(1) << 38));
	ck_assert_uint_eq(fire_count, N - of_a);
	for (i = 0; i < N; i++)
		bad += v[i].fired != (i % 3 != 0);
	ck_assert_uint_eq(bad, 0);
	free(v);
}
END_TEST

static void purge_cb(ss_timer_t *t)
{
	check_fire(t);
	ss_wheel_purge_owner(&wheel, owner_b);
}

/* A purge from a callback reaches timers of the very tick being run. */
START_TEST(test_purge_from_callback)
{
	vtimer_t v[10];
	unsigned i;

	setup(0);
	for (i = 0; i < 10; i++)
		vt_add(&v[i], 50, i == 9 ? owner_a : owner_b);
	v[9].t.cb = purge_cb; /* filed last: first in the slot's list */
	ss_wheel_advance(&wheel, 60);
	ck_assert_uint_eq(v[9].fired, 1);
	ck_assert_uint_eq(fire_count, 1);
	ck_assert_uint_eq(wheel.pending, 0);
}
END_TEST

/*
 * next_timeout never overshoots the next expiry, and sleeping for it
 * repeatedly reaches every timer in a handful of wake-ups per level.
 */
START_TEST(test_next_timeout)
{
	unsigned i;

	for (i = 0; i < NBOUND; i++) {
		unsigned wakeups = 0;
		vtimer_t v;

		setup(starts[i % (sizeof(starts) / sizeof(starts[0]))]);
		ck_assert_int_eq(ss_wheel_next_timeout(&wheel), -1);
		vt_add(&v, wheel.now + boundaries[i], NULL);
		if (boundaries[i] < 64)
			ck_assert_int_eq(ss_wheel_next_timeout(&wheel),
					 boundaries[i]);
		while (!v.fired) {
			int64_t to = ss_wheel_next_timeout(&wheel);

			ck_assert_int_gt(to, 0);
			ck_assert_uint_le((uint64_t)to, v.due - wheel.now);
			ss_wheel_advance(&wheel, wheel.now + (uint64_t)to);
			wakeups++;
		}
		/* one per level, plus one per overflow re-filing */
		ck_assert_uint_le(wakeups,
				  SS_WHEEL_LEVELS + 2 + (boundaries[i] >> 36));
		ck_assert_int_eq(ss_wheel_next_timeout(&wheel), -1);
	}
}
END_TEST

static Suite *wheel_suite(void)
{
	Suite *s = suite_create("timer_wheel");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, check_no_misfire);
	tcase_add_test(tc, test_random_order);
	tcase_add_test(tc, test_one_advance_orders_all);
	tcase_add_test(tc, test_never_early);
	tcase_add_test(tc, test_past_fires_next_tick);
	tcase_add_loop_test(tc, test_level_boundaries, 0,
			    sizeof(starts) / sizeof(starts[0]));
	tcase_add_test(tc, test_wrap_all_levels);
	tcase_add_test(tc, test_million);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_cancel_from_callback);
	tcase_add_test(tc, test_rearm_from_callback);
	tcase_add_test(tc, test_same_tick);
	tcase_add_test(tc, test_purge_owner);
	tcase_add_test(tc, test_purge_from_callback);
	tcase_add_test(tc, test_next_timeout);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(wheel_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
