/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of core/config.c and core/config_cfg.c: schema validation and its
 * one-line errors, the core's settings and path defaults, module sections
 * checked against an element table, section comparison, ss_cfg_path().
 */
#include "config_core.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DATA SS_SRCDIR "/tests/data/config/"

static char err[512];

static const ss_cfg_attr_t listen_attrs[] = {
    {.name = "port",
     .type = SS_CFG_INT,
     .min = 1,
     .max = 65535,
     .flags = SS_CFG_REQUIRED},
    {.name = "proto", .type = SS_CFG_STR, .def = "udp"},
    {.name = "reuse", .type = SS_CFG_BOOL, .def = "yes"},
    {0},
};

static const ss_cfg_attr_t route_attrs[] = {
    {.name = "prefix", .type = SS_CFG_STR, .flags = SS_CFG_REQUIRED},
    {.name = "priority", .type = SS_CFG_INT, .def = "10"},
    {0},
};

static const ss_cfg_attr_t limits_attrs[] = {
    {.name = "max", .type = SS_CFG_INT, .def = "100", .min = 1, .max = 1000},
    {.name = "strict", .type = SS_CFG_BOOL, .def = "off"},
    {.name = "label", .type = SS_CFG_STR},
    {0},
};

/* The table of a made-up module "demo". */
static const ss_cfg_elem_t demo_table[] = {
    {.name = "listen", .attrs = listen_attrs},
    {.name = "route", .flags = SS_CFG_MULTI, .attrs = route_attrs},
    {.name = "banner", .flags = SS_CFG_TEXT},
    {.name = "limits", .attrs = limits_attrs},
    {0},
};

/* A document whose only module section is `body`, loaded as "inline.xml";
 * the section's children start on line 4. */
static ss_config_t *load_inline(const char *body)
{
	char xml[2048];
	ss_config_t *cfg;

	snprintf(xml, sizeof(xml),
		 "<sipserver>\n<modules>\n<module name=\"demo\">\n%s\n"
		 "</module>\n</modules>\n</sipserver>\n",
		 body);
	cfg = ss_config_load_memory(xml, strlen(xml), "inline.xml", err,
				    sizeof(err));
	ck_assert_msg(cfg, "%s", err);
	return cfg;
}

/* Builds the demo section of `body`; NULL with err set on error. */
static ss_cfg_t *build_inline(const char *body)
{
	ss_config_t *cfg = load_inline(body);
	ss_cfg_t *c;

	err[0] = '\0';
	c = ss_cfg_build(ss_config_module_find(cfg, "demo"), demo_table, "demo",
			 err, sizeof(err));
	ss_config_free(cfg);
	return c;
}

static void assert_build_error(const char *body, const char *expect)
{
	ss_cfg_t *c = build_inline(body);

	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, expect);
}

static void assert_load_error(const char *file, const char *prefix,
			      const char *fragment)
{
	ss_config_t *cfg;

	err[0] = '\0';
	cfg = ss_config_load_file(file, err, sizeof(err));
	ck_assert_ptr_null(cfg);
	ck_assert_msg(!strncmp(err, prefix, strlen(prefix)),
		      "'%s' does not start with '%s'", err, prefix);
	ck_assert_msg(strstr(err, fragment), "'%s' lacks '%s'", err, fragment);
	ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(test_valid_file)
{
	ss_config_t *cfg =
	    ss_config_load_file(DATA "valid.xml", err, sizeof(err));
	const ss_core_settings_t *core;
	char expect[PATH_MAX + 32], real[PATH_MAX];

	ck_assert_msg(cfg, "%s", err);
	core = ss_config_core(cfg);
	ck_assert_uint_eq(core->workers, 4);
	ck_assert_int_eq(core->verbose, 5);
	ck_assert(core->syslog);
	ck_assert_ptr_nonnull(realpath(DATA, real));
	/* Relative paths: statedir from the file's directory, the console
	 * from statedir, module path entries from the file's directory. */
	snprintf(expect, sizeof(expect), "%s/state", real);
	ck_assert_str_eq(core->statedir, expect);
	snprintf(expect, sizeof(expect), "%s/state/ctl.sock", real);
	ck_assert_str_eq(core->console, expect);
	snprintf(expect, sizeof(expect), "%s/mods:/opt/ss/modules", real);
	ck_assert_str_eq(core->module_path, expect);

	ck_assert_str_eq(ss_config_source(cfg), DATA "valid.xml");
	ck_assert_uint_eq(ss_config_module_count(cfg), 2);
	ck_assert_str_eq(ss_config_section_name(ss_config_module_at(cfg, 0)),
			 "demo");
	ck_assert_str_eq(ss_config_section_name(ss_config_module_at(cfg, 1)),
			 "other");
	ck_assert_ptr_null(ss_config_module_at(cfg, 2));
	ck_assert_ptr_eq(ss_config_module_find(cfg, "other"),
			 ss_config_module_at(cfg, 1));
	ck_assert_ptr_null(ss_config_module_find(cfg, "missing"));
	ck_assert_ptr_nonnull(
	    strstr(ss_config_text(cfg), "<module name=\"demo\">"));
	ss_config_free(cfg);
}
END_TEST

START_TEST(test_defaults)
{
	static const char xml[] = "<sipserver/>";
	ss_config_t *cfg;
	const ss_core_settings_t *core;

	unsetenv("SIPSERVER_MODULE_PATH");
	cfg = ss_config_load_memory(xml, strlen(xml), "mem", err, sizeof(err));
	ck_assert_msg(cfg, "%s", err);
	core = ss_config_core(cfg);
	ck_assert_uint_eq(core->workers, 0);
	ck_assert_int_eq(core->verbose, 3);
	ck_assert(!core->syslog);
	/* The test runs from the build tree. */
	ck_assert_str_eq(core->statedir, SS_BUILDDIR "/var");
	ck_assert_str_eq(core->console, SS_BUILDDIR "/var/sipserver.ctl");
	ck_assert_str_eq(core->module_path, SS_BUILDDIR "/modules");
	ck_assert_uint_eq(ss_config_module_count(cfg), 0);
	ck_assert_str_eq(ss_config_text(cfg), xml);
	ck_assert_str_eq(ss_config_source(cfg), "mem");
	ss_config_free(cfg);

	setenv("SIPSERVER_MODULE_PATH", "/first:/second", 1);
	cfg = ss_config_load_memory(xml, strlen(xml), "mem", err, sizeof(err));
	ck_assert_msg(cfg, "%s", err);
	ck_assert_str_eq(ss_config_core(cfg)->module_path,
			 "/first:/second:" SS_BUILDDIR "/modules");
	ss_config_free(cfg);
	unsetenv("SIPSERVER_MODULE_PATH");
}
END_TEST

START_TEST(test_embedded_default)
{
	const char *xml = ss_config_default_xml();
	ss_config_t *cfg;

	cfg = ss_config_load_memory(xml, strlen(xml), "embedded default", err,
				    sizeof(err));
	ck_assert_msg(cfg, "%s", err);
	ck_assert_uint_eq(ss_config_core(cfg)->workers, 0);
	ck_assert_str_eq(ss_config_text(cfg), xml);
	ss_config_free(cfg);
}
END_TEST

START_TEST(test_unknown_core_attribute)
{
	assert_load_error(DATA "unknown_core_attr.xml",
			  DATA "unknown_core_attr.xml:5: <core>: ", "wrokers");
}
END_TEST

START_TEST(test_unknown_toplevel)
{
	assert_load_error(
	    DATA "unknown_toplevel.xml",
	    DATA "unknown_toplevel.xml:6: <extras>: ", "not expected");
}
END_TEST

START_TEST(test_module_without_name)
{
	assert_load_error(
	    DATA "module_without_name.xml",
	    DATA "module_without_name.xml:6: <module>: ", "'name'");
}
END_TEST

START_TEST(test_duplicate_module)
{
	assert_load_error(DATA "duplicate_module.xml",
			  DATA "duplicate_module.xml:7: <module>: ",
			  "module 'demo' is listed twice (first at line 5)");
}
END_TEST

START_TEST(test_malformed)
{
	assert_load_error(DATA "malformed.xml",
			  DATA "malformed.xml:7: malformed XML: ", "mismatch");
}
END_TEST

START_TEST(test_bad_core_values)
{
	static const char *const bad[] = {
	    "<sipserver><core workers=\"x\"/></sipserver>",
	    "<sipserver><core verbose=\"6\"/></sipserver>",
	    "<sipserver><core syslog=\"maybe\"/></sipserver>",
	    "<sipserver><modules><module name=\"a/b\"/></modules>"
	    "</sipserver>",
	    "<other/>",
	    "",
	    "<!DOCTYPE sipserver [<!ENTITY e SYSTEM \"/etc/passwd\">]>"
	    "<sipserver>&e;</sipserver>",
	};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ss_config_t *cfg;

		err[0] = '\0';
		cfg = ss_config_load_memory(bad[i], strlen(bad[i]), "m.xml",
					    err, sizeof(err));
		ck_assert_msg(!cfg, "accepted: %s", bad[i]);
		ck_assert_msg(!strncmp(err, "m.xml:1: ", 9), "%s", err);
		ck_assert_ptr_null(strchr(err, '\n'));
	}
}
END_TEST

START_TEST(test_missing_file)
{
	err[0] = '\0';
	ck_assert_ptr_null(
	    ss_config_load_file(DATA "no_such_file.xml", err, sizeof(err)));
	ck_assert_str_eq(err, DATA "no_such_file.xml: cannot read: "
				   "No such file or directory");
}
END_TEST

START_TEST(test_unknown_element_in_module)
{
	ss_config_t *cfg =
	    ss_config_load_file(DATA "unknown_element.xml", err, sizeof(err));
	ss_cfg_t *c;

	/* The schema leaves module content to the module's table. */
	ck_assert_msg(cfg, "%s", err);
	c = ss_cfg_build(ss_config_module_find(cfg, "demo"), demo_table, "demo",
			 err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, DATA "unknown_element.xml:8: <lisen>: unknown "
				   "element in module 'demo' (known: listen, "
				   "route, banner, limits)");
	ss_config_free(cfg);
}
END_TEST

START_TEST(test_build_errors)
{
	assert_build_error("<listen port=\"5060\" prot=\"tcp\"/>",
			   "inline.xml:4: <listen>: unknown attribute 'prot' "
			   "in module 'demo' (known: port, proto, reuse)");
	assert_build_error("<listen port=\"50x\"/>",
			   "inline.xml:4: <listen>: attribute 'port': '50x' "
			   "is not an integer");
	assert_build_error("<listen port=\"\"/>",
			   "inline.xml:4: <listen>: attribute 'port': '' is "
			   "not an integer");
	assert_build_error("<listen port=\"99999999999999999999\"/>",
			   "inline.xml:4: <listen>: attribute 'port': "
			   "'99999999999999999999' is not an integer");
	assert_build_error("<listen port=\"70000\"/>",
			   "inline.xml:4: <listen>: attribute 'port': 70000 "
			   "is out of range 1..65535");
	assert_build_error("<listen port=\"0\"/>",
			   "inline.xml:4: <listen>: attribute 'port': 0 is "
			   "out of range 1..65535");
	assert_build_error("<listen port=\"1\" reuse=\"perhaps\"/>",
			   "inline.xml:4: <listen>: attribute 'reuse': "
			   "'perhaps' is not a boolean (yes/no, true/false, "
			   "on/off, 1/0)");
	assert_build_error("<listen proto=\"tcp\"/>",
			   "inline.xml:4: <listen>: missing required "
			   "attribute 'port'");
	assert_build_error("<listen port=\"1\"/>\n<route/>",
			   "inline.xml:5: <route>: missing required "
			   "attribute 'prefix'");
	assert_build_error("<listen port=\"1\"/>\n<listen port=\"2\"/>",
			   "inline.xml:5: <listen>: may appear only once in "
			   "module 'demo' (first at line 4)");
	assert_build_error("<listen port=\"1\">text</listen>",
			   "inline.xml:4: <listen>: unexpected text in module "
			   "'demo' (the element takes none)");
	assert_build_error("<listen port=\"1\"><x/></listen>",
			   "inline.xml:4: <listen>: unexpected child element "
			   "<x> in module 'demo'");
	/* An omitted single element with a required attribute. */
	assert_build_error("<banner>hi</banner>",
			   "inline.xml:3: <module>: module 'demo' needs "
			   "element <listen> (attribute 'port' is required)");
}
END_TEST

START_TEST(test_values_and_defaults)
{
	ss_cfg_t *c = build_inline("<listen port=\"5070\" reuse=\"No\"/>\n"
				   "<banner>\n  Hello, world \n</banner>");
	const ss_cfg_node_t *n;

	ck_assert_msg(c, "%s", err);
	n = ss_cfg_first(c, "listen");
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(ss_cfg_int(n, "port"), 5070);
	ck_assert_str_eq(ss_cfg_str(n, "proto"), "udp");
	ck_assert(!ss_cfg_bool(n, "reuse"));
	ck_assert(ss_cfg_has(n, "port"));
	ck_assert(!ss_cfg_has(n, "proto"));
	ck_assert_str_eq(ss_cfg_where(n), "inline.xml:4");
	ck_assert_ptr_null(ss_cfg_next(n));
	ck_assert_uint_eq(ss_cfg_count(c, "listen"), 1);

	n = ss_cfg_first(c, "banner");
	ck_assert_str_eq(ss_cfg_text(n), "Hello, world");
	ck_assert_str_eq(ss_cfg_text(ss_cfg_first(c, "listen")), "");

	/* Omitted single element: a node of defaults, never NULL. */
	n = ss_cfg_first(c, "limits");
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(ss_cfg_count(c, "limits"), 0);
	ck_assert_int_eq(ss_cfg_int(n, "max"), 100);
	ck_assert(!ss_cfg_bool(n, "strict"));
	ck_assert_ptr_null(ss_cfg_str(n, "label"));
	ck_assert(!ss_cfg_has(n, "max"));
	ck_assert_str_eq(ss_cfg_where(n), "default");

	/* Omitted MULTI element and undeclared names. */
	ck_assert_ptr_null(ss_cfg_first(c, "route"));
	ck_assert_uint_eq(ss_cfg_count(c, "route"), 0);
	ck_assert_ptr_null(ss_cfg_first(c, "nothing"));
	ck_assert_uint_eq(ss_cfg_count(c, "nothing"), 0);
	ss_cfg_free(c);
}
END_TEST

START_TEST(test_multi_iteration)
{
	ss_cfg_t *c = build_inline("<route prefix=\"sip:a\" priority=\"1\"/>\n"
				   "<listen port=\"1\"/>\n"
				   "<route prefix=\"sip:b\"/>\n"
				   "<!-- a comment -->\n"
				   "<route prefix=\"sip:c\" priority=\"-3\"/>");
	static const char *const prefix[] = {"sip:a", "sip:b", "sip:c"};
	static const long prio[] = {1, 10, -3};
	static const char *const where[] = {"inline.xml:4", "inline.xml:6",
					    "inline.xml:8"};
	const ss_cfg_node_t *n;
	unsigned i = 0;

	ck_assert_msg(c, "%s", err);
	ck_assert_uint_eq(ss_cfg_count(c, "route"), 3);
	for (n = ss_cfg_first(c, "route"); n; n = ss_cfg_next(n), i++) {
		ck_assert_uint_lt(i, 3);
		ck_assert_str_eq(ss_cfg_str(n, "prefix"), prefix[i]);
		ck_assert_int_eq(ss_cfg_int(n, "priority"), prio[i]);
		ck_assert_str_eq(ss_cfg_where(n), where[i]);
	}
	ck_assert_uint_eq(i, 3);
	ss_cfg_free(c);
}
END_TEST

START_TEST(test_section_absent)
{
	static const ss_cfg_elem_t optional_table[] = {
	    {.name = "limits", .attrs = limits_attrs},
	    {.name = "route", .flags = SS_CFG_MULTI, .attrs = route_attrs},
	    {0},
	};
	ss_cfg_t *c;

	c = ss_cfg_build(NULL, optional_table, "opt", err, sizeof(err));
	ck_assert_msg(c, "%s", err);
	ck_assert_int_eq(ss_cfg_int(ss_cfg_first(c, "limits"), "max"), 100);
	ck_assert_ptr_null(ss_cfg_first(c, "route"));
	ss_cfg_free(c);

	/* A module without a table accepts only an empty section. */
	c = ss_cfg_build(NULL, NULL, "bare", err, sizeof(err));
	ck_assert_ptr_nonnull(c);
	ss_cfg_free(c);

	/* Without a section, a required attribute cannot be satisfied. */
	ck_assert_ptr_null(
	    ss_cfg_build(NULL, demo_table, "demo", err, sizeof(err)));
	ck_assert_str_eq(err, "module 'demo': module 'demo' needs element "
			      "<listen> (attribute 'port' is required)");
}
END_TEST

START_TEST(test_no_table)
{
	ss_config_t *cfg = load_inline("<anything/>");

	ck_assert_ptr_null(ss_cfg_build(ss_config_module_find(cfg, "demo"),
					NULL, "demo", err, sizeof(err)));
	ck_assert_str_eq(err, "inline.xml:4: <anything>: unknown element in "
			      "module 'demo' (known: none)");
	ss_config_free(cfg);
}
END_TEST

START_TEST(test_bad_default_is_reported)
{
	static const ss_cfg_attr_t attrs[] = {
	    {.name = "n", .type = SS_CFG_INT, .def = "ten"},
	    {0},
	};
	static const ss_cfg_elem_t table[] = {
	    {.name = "knob", .attrs = attrs},
	    {0},
	};

	ck_assert_ptr_null(
	    ss_cfg_build(NULL, table, "buggy", err, sizeof(err)));
	ck_assert_str_eq(err, "module 'buggy': <knob>: attribute 'n': default "
			      "'ten' is not an integer");
}
END_TEST

START_TEST(test_cfg_outlives_config)
{
	ss_config_t *cfg =
	    ss_config_load_file(DATA "valid.xml", err, sizeof(err));
	ss_cfg_t *c;

	ck_assert_msg(cfg, "%s", err);
	c = ss_cfg_build(ss_config_module_find(cfg, "demo"), demo_table, "demo",
			 err, sizeof(err));
	ck_assert_msg(c, "%s", err);
	ss_config_free(cfg);
	ck_assert_str_eq(ss_cfg_str(ss_cfg_first(c, "listen"), "proto"), "udp");
	ck_assert_str_eq(ss_cfg_text(ss_cfg_first(c, "banner")),
			 "Welcome to the demo");
	ck_assert_uint_eq(ss_cfg_count(c, "route"), 2);
	ck_assert_str_eq(ss_cfg_where(ss_cfg_first(c, "route")),
			 DATA "valid.xml:10");
	ss_cfg_free(c);
}
END_TEST

static bool sections_equal(const char *a, const char *b)
{
	ss_config_t *ca = load_inline(a), *cb = load_inline(b);
	bool eq = ss_config_section_equal(ss_config_module_find(ca, "demo"),
					  ss_config_module_find(cb, "demo"));

	ss_config_free(ca);
	ss_config_free(cb);
	return eq;
}

START_TEST(test_section_equal)
{
	/* Layout, comments and attribute order do not matter. */
	ck_assert(sections_equal("<listen port=\"1\" proto=\"tcp\"/>",
				 "  <!-- note -->\n  <listen proto=\"tcp\"\n"
				 "      port=\"1\"></listen>\n"));
	ck_assert(
	    sections_equal("<banner> hi </banner>", "<banner>hi</banner>"));
	/* Values, element order, added elements or attributes do. */
	ck_assert(
	    !sections_equal("<listen port=\"1\"/>", "<listen port=\"2\"/>"));
	ck_assert(!sections_equal("<listen port=\"1\"/>",
				  "<listen port=\"1\" proto=\"udp\"/>"));
	ck_assert(
	    !sections_equal("<route prefix=\"a\"/><route prefix=\"b\"/>",
			    "<route prefix=\"b\"/><route prefix=\"a\"/>"));
	ck_assert(!sections_equal("<listen port=\"1\"/>",
				  "<listen port=\"1\"/><route prefix=\"a\"/>"));
	ck_assert(
	    !sections_equal("<banner>hi</banner>", "<banner>hello</banner>"));
	ck_assert(
	    !sections_equal("<listen port=\"1\"/>", "<listen2 port=\"1\"/>"));
	ck_assert(ss_config_section_equal(NULL, NULL));
}
END_TEST

START_TEST(test_cfg_path)
{
	char base[] = "/tmp/check_config.XXXXXX";
	char dir[PATH_MAX], buf[PATH_MAX], expect[PATH_MAX + 16], small[8];
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/a/b", base);
	ck_assert_int_eq(ss_config_set_statedir(dir), 0);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(ss_config_set_statedir("relative"), -EINVAL);

	ck_assert_ptr_eq(ss_cfg_path("db/loc.sqlite", buf, sizeof(buf)), buf);
	snprintf(expect, sizeof(expect), "%s/db/loc.sqlite", dir);
	ck_assert_str_eq(buf, expect);
	ck_assert_str_eq(ss_cfg_path("/abs/file", buf, sizeof(buf)),
			 "/abs/file");
	ck_assert_ptr_null(ss_cfg_path("db/loc.sqlite", small, sizeof(small)));

	ck_assert_int_eq(rmdir(dir), 0);
	snprintf(dir, sizeof(dir), "%s/a", base);
	ck_assert_int_eq(rmdir(dir), 0);
	ck_assert_int_eq(rmdir(base), 0);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *doc = tcase_create("document");
	TCase *cfg = tcase_create("module sections");

	tcase_add_test(doc, test_valid_file);
	tcase_add_test(doc, test_defaults);
	tcase_add_test(doc, test_embedded_default);
	tcase_add_test(doc, test_unknown_core_attribute);
	tcase_add_test(doc, test_unknown_toplevel);
	tcase_add_test(doc, test_module_without_name);
	tcase_add_test(doc, test_duplicate_module);
	tcase_add_test(doc, test_malformed);
	tcase_add_test(doc, test_bad_core_values);
	tcase_add_test(doc, test_missing_file);
	tcase_add_test(doc, test_section_equal);
	tcase_add_test(doc, test_cfg_path);
	suite_add_tcase(s, doc);

	tcase_add_test(cfg, test_unknown_element_in_module);
	tcase_add_test(cfg, test_build_errors);
	tcase_add_test(cfg, test_values_and_defaults);
	tcase_add_test(cfg, test_multi_iteration);
	tcase_add_test(cfg, test_section_absent);
	tcase_add_test(cfg, test_no_table);
	tcase_add_test(cfg, test_bad_default_is_reported);
	tcase_add_test(cfg, test_cfg_outlives_config);
	suite_add_tcase(s, cfg);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
