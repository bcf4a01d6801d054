/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of core/module_loader.c and core/service.c with real libtool
 * modules (tests/unit/core/modules/): dependency order, refusal to unload a
 * needed module, ABI and DECLINE handling, release of registrations, and
 * ss_modules_apply() adding, removing, reloading and refusing bad configs.
 */
#include "bus_core.h"
#include "cli_core.h"
#include "config_core.h"
#include "module_loader.h"
#include "service_core.h"
#include "modules/test_modules.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[512];

static void setup(void)
{
	ck_assert_int_eq(ss_modules_init(TEST_MODULE_DIR), 0);
	err[0] = '\0';
}

static void teardown(void)
{
	ss_modules_shutdown();
	ck_assert_ptr_null(ss_service_get("alpha", 0));
}

/* Applies a config whose <modules> holds `modules`, on line 1 of
 * "test.xml". The loader keeps its own copy, so ours is freed at once. */
static int apply(const char *modules)
{
	char xml[2048];
	ss_config_t *cfg;
	int rc;

	snprintf(xml, sizeof(xml),
		 "<sipserver><modules>%s</modules></sipserver>", modules);
	cfg = ss_config_load_memory(xml, strlen(xml), "test.xml", err,
				    sizeof(err));
	ck_assert_msg(cfg, "%s", err);
	err[0] = '\0';
	rc = ss_modules_apply(cfg, err, sizeof(err));
	ss_config_free(cfg);
	return rc;
}

static void apply_ok(const char *modules)
{
	int rc = apply(modules);

	ck_assert_msg(rc == 0, "apply: %d %s", rc, err);
}

struct listing {
	char names[256];
	char dependents[256];
	const char *of; /* module whose dependents to record */
};

static void collect(const ss_module_info_t *info, void *arg)
{
	struct listing *l = arg;
	size_t n = strlen(l->names);

	snprintf(l->names + n, sizeof(l->names) - n, "%s%s", n ? "," : "",
		 info->name);
	if (l->of && !strcmp(info->name, l->of))
		snprintf(l->dependents, sizeof(l->dependents), "%s",
			 info->dependents);
}

/* Loaded modules in load order, "a,b,c". */
static const char *loaded(void)
{
	static struct listing l;

	memset(&l, 0, sizeof(l));
	ss_module_foreach(collect, &l);
	return l.names;
}

static const char *dependents_of(const char *name)
{
	static struct listing l;

	memset(&l, 0, sizeof(l));
	l.of = name;
	ss_module_foreach(collect, &l);
	return l.dependents;
}

struct order {
	const char *name;
	unsigned order;
};

static void collect_order(const ss_module_info_t *info, void *arg)
{
	struct order *o = arg;

	if (!strcmp(info->name, o->name))
		o->order = info->load_order;
}

/* The load_order of a loaded module; it grows on every (re)load. */
static unsigned order_of(const char *name)
{
	struct order o = {name, 0};

	ss_module_foreach(collect_order, &o);
	return o.order;
}

static void count_sub(int priority, const char *owner, void *arg)
{
	++*(unsigned *)arg;
}

static unsigned subscribers(const char *topic)
{
	unsigned n = 0;

	ss_bus_foreach_subscriber(ss_bus_topic(topic), count_sub, &n);
	return n;
}

static void sink_write(void *arg, const char *text, size_t len)
{
}

static void sink_candidate(void *arg, const char *word)
{
}

static ss_cli_status_t run_command(const char *line)
{
	static const ss_cli_sink_t sink = {sink_write, sink_candidate, NULL};
	ss_cli_t *cli = ss_cli_new(&sink);
	ss_cli_status_t st;

	ck_assert_ptr_nonnull(cli);
	st = ss_cli_execute(cli, line);
	ss_cli_free(cli);
	return st;
}

static const struct test_alpha *alpha(void)
{
	return ss_service_get("alpha", 2);
}

START_TEST(test_dependency_order)
{
	const struct test_flag *beta;

	/* The consumer comes first in the file; its provider loads first. */
	apply_ok("<module name=\"svc_b\"/><module name=\"svc_a\"/>");
	ck_assert_str_eq(loaded(), "svc_a,svc_b");
	beta = ss_service_get("beta", 1);
	ck_assert_ptr_nonnull(beta);
	ck_assert(beta->saw());
	ck_assert_str_eq(dependents_of("svc_a"), "svc_b");
	ck_assert_str_eq(dependents_of("svc_b"), "");
	ck_assert_ptr_eq(ss_service_owner("alpha"), ss_module_find("svc_a"));
	ck_assert_str_eq(ss_module_name(ss_module_find("svc_b")), "svc_b");
	ck_assert_str_eq(ss_module_name(NULL), "core");
	ck_assert_ptr_null(ss_service_get("alpha", 3));
}
END_TEST

START_TEST(test_unload_refused_while_needed)
{
	apply_ok("<module name=\"svc_a\"/><module name=\"svc_b\"/>");
	ck_assert_int_eq(ss_module_unload_by_name("svc_a", err, sizeof(err)),
			 -EBUSY);
	ck_assert_str_eq(err, "module 'svc_a' is needed by svc_b");
	ck_assert_str_eq(loaded(), "svc_a,svc_b");
	ck_assert_int_eq(ss_module_unload_by_name("svc_b", err, sizeof(err)),
			 0);
	ck_assert_int_eq(ss_module_unload_by_name("svc_a", err, sizeof(err)),
			 0);
	ck_assert_str_eq(loaded(), "");
	ck_assert_int_eq(ss_module_unload_by_name("svc_a", err, sizeof(err)),
			 -ENOENT);
	ck_assert_str_eq(err, "module 'svc_a' is not loaded");
}
END_TEST

START_TEST(test_missing_provider)
{
	ck_assert_int_eq(apply("<module name=\"svc_b\"/>"), -ENOENT);
	ck_assert_str_eq(err, "module 'svc_b' needs service 'alpha', which "
			      "no configured module provides");
	ck_assert_str_eq(loaded(), "");

	ck_assert_int_eq(ss_module_load_by_name("svc_b", err, sizeof(err)),
			 -ENOENT);
	ck_assert_str_eq(err, "module 'svc_b' needs service 'alpha', which "
			      "no loaded module provides");
	ck_assert_ptr_null(ss_service_get("beta", 0));
}
END_TEST

START_TEST(test_abi_mismatch)
{
	ck_assert_int_eq(apply("<module name=\"bad_abi\"/>"), -ENOEXEC);
	ck_assert_str_eq(err, "module 'bad_abi': ABI 2, server speaks 1");
	ck_assert_int_eq(ss_module_load_by_name("bad_abi", err, sizeof(err)),
			 -ENOEXEC);
	ck_assert_str_eq(err, "module 'bad_abi': ABI 2, server speaks 1");
	ck_assert_str_eq(loaded(), "");
}
END_TEST

START_TEST(test_not_found)
{
	ck_assert_int_eq(ss_module_load_by_name("nope", err, sizeof(err)),
			 -ENOENT);
	ck_assert_str_eq(err, "module 'nope' not found in " TEST_MODULE_DIR);
	ck_assert_int_eq(ss_module_load_by_name("../svc_a", err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "invalid module name '../svc_a'");
}
END_TEST

START_TEST(test_decline)
{
	/* Declining is not an error; what it published is withdrawn. */
	apply_ok("<module name=\"declines\"/><module name=\"svc_a\"/>");
	ck_assert_str_eq(loaded(), "svc_a");
	ck_assert_ptr_null(ss_service_get("delta", 0));
	ck_assert_int_eq(ss_module_load_by_name("declines", err, sizeof(err)),
			 0);
	ck_assert_str_eq(loaded(), "svc_a");
}
END_TEST

START_TEST(test_release_on_unload)
{
	ck_assert_int_eq(ss_module_load_by_name("svc_a", err, sizeof(err)), 0);
	ck_assert_int_eq(ss_module_load_by_name("svc_a", err, sizeof(err)),
			 -EEXIST);
	ck_assert_str_eq(err, "module 'svc_a' is already loaded");
	ck_assert_ptr_nonnull(alpha());
	ck_assert_int_eq(alpha()->loads(), 1);
	ck_assert_int_eq(run_command("svc_a show"), SS_CLI_OK);
	ck_assert_uint_eq(subscribers("test.alpha"), 1);

	ck_assert_int_eq(ss_module_unload_by_name("svc_a", err, sizeof(err)),
			 0);
	ck_assert_ptr_null(alpha());
	ck_assert_int_ne(run_command("svc_a show"), SS_CLI_OK);
	ck_assert_uint_eq(subscribers("test.alpha"), 0);
	ck_assert_ptr_null(ss_module_find("svc_a"));
}
END_TEST

START_TEST(test_load_failure_releases)
{
	/* svc_a publishes alpha and then fails: the core withdraws it. */
	ck_assert_int_eq(apply("<module name=\"svc_a\"><mode fail=\"yes\"/>"
			       "</module>"),
			 -EIO);
	ck_assert_str_eq(err, "module 'svc_a' failed to load");
	ck_assert_str_eq(loaded(), "");
	ck_assert_ptr_null(alpha());
	ck_assert_int_ne(run_command("svc_a show"), SS_CLI_OK);
	ck_assert_uint_eq(subscribers("test.alpha"), 0);
}
END_TEST

START_TEST(test_undeclared_service_missing)
{
	ck_assert_int_eq(apply("<module name=\"svc_a\"><mode "
			       "skip_provide=\"yes\"/></module>"),
			 -EPROTO);
	ck_assert_str_eq(err, "module 'svc_a' did not provide service 'alpha' "
			      "that it declares");
	ck_assert_str_eq(loaded(), "");
	ck_assert_int_ne(run_command("svc_a show"), SS_CLI_OK);
}
END_TEST

START_TEST(test_cycle)
{
	ck_assert_int_eq(
	    apply("<module name=\"cyc_x\"/><module name=\"cyc_y\"/>"), -ELOOP);
	ck_assert_str_eq(err, "modules require each other's services in a "
			      "cycle: cyc_x -> cyc_y -> cyc_x");
	ck_assert_str_eq(loaded(), "");
}
END_TEST

START_TEST(test_optional_service)
{
	const struct test_flag *gamma;

	apply_ok("<module name=\"opt_c\"/><module name=\"svc_b\"/>"
		 "<module name=\"svc_a\"/>");
	ck_assert_str_eq(loaded(), "svc_a,svc_b,opt_c");
	gamma = ss_service_get("gamma", 1);
	ck_assert_ptr_nonnull(gamma);
	ck_assert(gamma->saw());
	ck_assert_str_eq(dependents_of("svc_b"), "opt_c");
	ck_assert_int_eq(ss_module_unload_by_name("svc_b", err, sizeof(err)),
			 -EBUSY);
	ck_assert_str_eq(err, "module 'svc_b' is needed by opt_c");

	/* Without its optional provider it loads all the same. */
	apply_ok("<module name=\"opt_c\"/>");
	ck_assert_str_eq(loaded(), "opt_c");
	gamma = ss_service_get("gamma", 1);
	ck_assert_ptr_nonnull(gamma);
	ck_assert(!gamma->saw());
}
END_TEST

START_TEST(test_apply_add_and_remove)
{
	unsigned a;

	apply_ok("<module name=\"svc_a\"/><module name=\"opt_c\"/>");
	ck_assert_str_eq(loaded(), "svc_a,opt_c");
	a = order_of("svc_a");
	apply_ok("<module name=\"svc_b\"/><module name=\"svc_a\"/>");
	ck_assert_str_eq(loaded(), "svc_a,svc_b");
	ck_assert_ptr_null(ss_service_get("gamma", 0));
	ck_assert_ptr_nonnull(ss_service_get("beta", 0));
	/* svc_a's section did not change: neither reloaded nor restarted. */
	ck_assert_uint_eq(order_of("svc_a"), a);
	ck_assert_int_eq(alpha()->loads(), 1);
	ck_assert_int_eq(alpha()->reloads(), 0);

	apply_ok("");
	ck_assert_str_eq(loaded(), "");
}
END_TEST

START_TEST(test_apply_bad_section_changes_nothing)
{
	apply_ok("<module name=\"svc_a\"><item value=\"5\"/></module>"
		 "<module name=\"svc_b\"/>");
	ck_assert_int_eq(apply("<module name=\"opt_c\"/>"
			       "<module name=\"svc_a\"><item value=\"5\"/>"
			       "<item value=\"500\"/></module>"),
			 -EINVAL);
	ck_assert_str_eq(err, "test.xml:1: <item>: attribute 'value': 500 is "
			      "out of range 1..100");
	ck_assert_str_eq(loaded(), "svc_a,svc_b");
	ck_assert_ptr_null(ss_service_get("gamma", 0));
	ck_assert_int_eq(alpha()->item_sum(), 5);
	ck_assert_int_eq(alpha()->reloads(), 0);

	/* A module that cannot be opened changes nothing either. */
	ck_assert_int_eq(apply("<module name=\"svc_a\"/>"
			       "<module name=\"bad_abi\"/>"),
			 -ENOEXEC);
	ck_assert_str_eq(loaded(), "svc_a,svc_b");
}
END_TEST

START_TEST(test_apply_reloads_changed)
{
	unsigned a, b;

	apply_ok("<module name=\"svc_a\"><greeting text=\"hi\"/></module>"
		 "<module name=\"svc_b\"/><module name=\"opt_c\"/>");
	ck_assert_str_eq(alpha()->greeting(), "hi");
	a = order_of("svc_a");
	b = order_of("svc_b");

	/* svc_a has reload(): reloaded in place, its users stay. */
	apply_ok("<module name=\"svc_a\"><greeting text=\"ho\"/>"
		 "<item value=\"7\"/><item value=\"8\"/></module>"
		 "<module name=\"svc_b\"/><module name=\"opt_c\"/>");
	ck_assert_int_eq(alpha()->reloads(), 1);
	ck_assert_str_eq(alpha()->greeting(), "ho");
	ck_assert_int_eq(alpha()->item_sum(), 15);
	ck_assert_uint_eq(order_of("svc_a"), a);
	ck_assert_uint_eq(order_of("svc_b"), b);

	/* svc_b has none: it restarts, and so does opt_c, which used it. */
	apply_ok("<module name=\"svc_a\"><greeting text=\"ho\"/>"
		 "<item value=\"7\"/><item value=\"8\"/></module>"
		 "<module name=\"svc_b\"><level value=\"2\"/></module>"
		 "<module name=\"opt_c\"/>");
	ck_assert_uint_eq(order_of("svc_a"), a);
	ck_assert_uint_gt(order_of("svc_b"), b);
	ck_assert_uint_gt(order_of("opt_c"), order_of("svc_b"));
	ck_assert_str_eq(loaded(), "svc_a,svc_b,opt_c");
	ck_assert(
	    ((const struct test_flag *)ss_service_get("gamma", 1))->saw());
}
END_TEST

START_TEST(test_apply_reload_rejected)
{
	apply_ok("<module name=\"svc_a\"><greeting text=\"old\"/></module>");
	ck_assert_int_eq(apply("<module name=\"svc_a\"><greeting text=\"new\"/>"
			       "<mode reject_reload=\"yes\"/></module>"),
			 -EINVAL);
	ck_assert_str_eq(err, "module 'svc_a' rejected its new settings and "
			      "keeps the old ones");
	ck_assert_str_eq(alpha()->greeting(), "old");
	ck_assert_str_eq(loaded(), "svc_a");
}
END_TEST

START_TEST(test_reload_by_name)
{
	unsigned b;

	apply_ok("<module name=\"svc_a\"/><module name=\"svc_b\"/>"
		 "<module name=\"opt_c\"/>");
	ck_assert_int_eq(ss_module_reload_by_name("svc_a", err, sizeof(err)),
			 0);
	ck_assert_int_eq(alpha()->reloads(), 1);
	ck_assert_int_eq(ss_module_reload_by_name("svc_b", err, sizeof(err)),
			 -EBUSY);
	ck_assert_str_eq(err, "module 'svc_b' can only reload by unloading and "
			      "is needed by opt_c");
	ck_assert_int_eq(ss_module_unload_by_name("opt_c", err, sizeof(err)),
			 0);
	b = order_of("svc_b");
	ck_assert_int_eq(ss_module_reload_by_name("svc_b", err, sizeof(err)),
			 0);
	ck_assert_uint_gt(order_of("svc_b"), b);
	ck_assert_int_eq(ss_module_reload_by_name("opt_c", err, sizeof(err)),
			 -ENOENT);
}
END_TEST

START_TEST(test_unload_all)
{
	apply_ok("<module name=\"opt_c\"/><module name=\"svc_b\"/>"
		 "<module name=\"svc_a\"/>");
	ss_modules_unload_all();
	ck_assert_str_eq(loaded(), "");
	ck_assert_ptr_null(ss_service_get("beta", 0));
	ck_assert_ptr_null(ss_service_get("gamma", 0));
}
END_TEST

static void collect_available(const char *name, void *arg)
{
	size_t n = strlen(arg);

	snprintf((char *)arg + n, 256 - n, "%s%s", n ? "," : "", name);
}

START_TEST(test_available)
{
	char names[256] = "";

	ss_module_foreach_available(collect_available, names);
	ck_assert_str_eq(names, "bad_abi,cyc_x,cyc_y,declines,opt_c,svc_a,"
				"svc_b");
}
END_TEST

START_TEST(test_service_registry)
{
	static const int v1 = 1, v2 = 2;
	const ss_module_t *a;

	ck_assert_int_eq(ss_service_provide(NULL, "s1", 3, &v1), 0);
	ck_assert_int_eq(ss_service_provide(NULL, "s1", 4, &v2), -EEXIST);
	ck_assert_int_eq(ss_service_provide(NULL, "", 1, &v2), -EINVAL);
	ck_assert_int_eq(ss_service_provide(NULL, "s2", 1, NULL), -EINVAL);
	ck_assert_ptr_eq(ss_service_get("s1", 3), &v1);
	ck_assert_ptr_null(ss_service_get("s1", 4));
	ck_assert_ptr_null(ss_service_owner("s1"));

	ck_assert_int_eq(ss_module_load_by_name("svc_a", err, sizeof(err)), 0);
	a = ss_module_find("svc_a");
	ck_assert_ptr_eq(ss_service_owner("alpha"), a);
	ck_assert_int_eq(ss_service_provide(NULL, "alpha", 9, &v2), -EEXIST);
	ck_assert_int_eq(ss_service_provide(a, "s2", 1, &v2), 0);
	ss_service_release_owner(NULL);
	ck_assert_ptr_null(ss_service_get("s1", 0));
	ck_assert_ptr_eq(ss_service_get("s2", 1), &v2);

	/* The loader withdraws s2 with the rest of svc_a's services. */
	ck_assert_int_eq(ss_module_unload_by_name("svc_a", err, sizeof(err)),
			 0);
	ck_assert_ptr_null(ss_service_get("s2", 0));
	ck_assert_int_eq(ss_service_provide(NULL, "s3", 1, &v1), 0);
	ss_service_shutdown();
	ck_assert_ptr_null(ss_service_get("s3", 0));
}
END_TEST

static Suite *loader_suite(void)
{
	Suite *s = suite_create("module_loader");
	TCase *tc = tcase_create("loader");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dependency_order);
	tcase_add_test(tc, test_unload_refused_while_needed);
	tcase_add_test(tc, test_missing_provider);
	tcase_add_test(tc, test_abi_mismatch);
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_decline);
	tcase_add_test(tc, test_release_on_unload);
	tcase_add_test(tc, test_load_failure_releases);
	tcase_add_test(tc, test_undeclared_service_missing);
	tcase_add_test(tc, test_cycle);
	tcase_add_test(tc, test_optional_service);
	tcase_add_test(tc, test_apply_add_and_remove);
	tcase_add_test(tc, test_apply_bad_section_changes_nothing);
	tcase_add_test(tc, test_apply_reloads_changed);
	tcase_add_test(tc, test_apply_reload_rejected);
	tcase_add_test(tc, test_reload_by_name);
	tcase_add_test(tc, test_unload_all);
	tcase_add_test(tc, test_available);
	tcase_add_test(tc, test_service_registry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loader_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
