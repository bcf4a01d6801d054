/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the console command tree (core/cli.c): registration and
 * collisions, the tokenizer, longest-match dispatch, usage lines,
 * completion of words and arguments, and release by owner.
 */
#include "cli_core.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char out[65536];
static size_t outlen;
static char cands[4096];

static void sink_write(void *arg, const char *text, size_t len)
{
	ck_assert_uint_lt(outlen + len, sizeof(out));
	memcpy(out + outlen, text, len);
	outlen += len;
	out[outlen] = '\0';
}

static void sink_candidate(void *arg, const char *word)
{
	if (cands[0])
		strcat(cands, ",");
	strcat(cands, word);
}

static const ss_cli_sink_t sink = {sink_write, sink_candidate, NULL};
static ss_cli_t *cli;

static void reset_output(void)
{
	outlen = 0;
	out[0] = '\0';
	cands[0] = '\0';
}

/* Prints which command ran and its arguments in brackets. */
static ss_cli_status_t print_args(ss_cli_t *c, const char *name, int argc,
				  const char *const *argv)
{
	ss_cli_printf(c, "%s:%d", name, argc);
	for (int i = 0; i < argc; i++)
		ss_cli_printf(c, "[%s]", argv[i]);
	ck_assert_ptr_null(argv[argc]);
	ss_cli_printf(c, "\n");
	return SS_CLI_OK;
}

static ss_cli_status_t cmd_show(ss_cli_t *c, int argc, const char *const *argv)
{
	return print_args(c, "show", argc, argv);
}

static ss_cli_status_t cmd_show_detail(ss_cli_t *c, int argc,
				       const char *const *argv)
{
	return print_args(c, "detail", argc, argv);
}

static ss_cli_status_t cmd_echo(ss_cli_t *c, int argc, const char *const *argv)
{
	return print_args(c, "echo", argc, argv);
}

static ss_cli_status_t cmd_needs_one(ss_cli_t *c, int argc,
				     const char *const *argv)
{
	if (argc != 1)
		return SS_CLI_USAGE;
	return strcmp(argv[0], "bad") == 0 ? SS_CLI_FAIL : SS_CLI_OK;
}

static ss_cli_status_t cmd_big(ss_cli_t *c, int argc, const char *const *argv)
{
	static char line[10001];

	memset(line, 'x', sizeof(line) - 1);
	ss_cli_printf(c, "<");
	ss_cli_printf(c, "%s", line);
	ss_cli_printf(c, ">\n");
	return SS_CLI_OK;
}

static int last_argi = -1;
static char last_args[256];

/* Offers fixed names and records how it was called; "beta" twice checks
 * deduplication, "zeta" checks prefix filtering of careless completers. */
static void complete_names(ss_cli_t *c, int argi, const char *const *argv,
			   const char *prefix)
{
	last_argi = argi;
	last_args[0] = '\0';
	for (int i = 0; i < argi; i++) {
		strcat(last_args, argv[i]);
		strcat(last_args, "|");
	}
	strcat(last_args, prefix);
	ss_cli_add_completion(c, "beta");
	ss_cli_add_completion(c, "alpha");
	ss_cli_add_completion(c, "beta");
	ss_cli_add_completion(c, "zeta");
}

static const ss_cli_cmd_t table[] = {
    {"show", "[WHAT...]", "show things", cmd_show, complete_names},
    {"show detail", "NAME", "show one thing", cmd_show_detail, complete_names},
    {"echo", "[ARG...]", "print arguments", cmd_echo, NULL},
    {"core set one", "VALUE", "needs one argument", cmd_needs_one, NULL},
    {"core big", "", "large output", cmd_big, NULL},
    {NULL},
};

static int module_tag;
#define OWNER ((const struct ss_module *)&module_tag)

static ss_cli_status_t cmd_mod(ss_cli_t *c, int argc, const char *const *argv)
{
	return print_args(c, "mod", argc, argv);
}

static const ss_cli_cmd_t mod_table[] = {
    {"core show thing", "", "a module's command", cmd_mod, NULL},
    {"modcmd", "", "another", cmd_mod, NULL},
    {NULL},
};

static void setup(void)
{
	ck_assert_int_eq(ss_cli_register(NULL, table), 0);
	cli = ss_cli_new(&sink);
	ck_assert_ptr_nonnull(cli);
	reset_output();
}

static void teardown(void)
{
	ss_cli_free(cli);
	cli = NULL;
	ss_cli_shutdown();
}

static ss_cli_status_t run(const char *line)
{
	reset_output();
	return ss_cli_execute(cli, line);
}

static const char *complete(const char *line)
{
	reset_output();
	ss_cli_complete(cli, line);
	return cands;
}

START_TEST(test_register_collision)
{
	static const ss_cli_cmd_t clash[] = {
	    {"new one", "", "", cmd_echo, NULL},
	    {"show  detail", "", "", cmd_echo, NULL},
	    {NULL},
	};
	static const ss_cli_cmd_t self_clash[] = {
	    {"fresh", "", "", cmd_echo, NULL},
	    {"fresh", "", "", cmd_echo, NULL},
	    {NULL},
	};
	static const ss_cli_cmd_t no_fn[] = {
	    {"nofn", "", "", NULL, NULL},
	    {NULL},
	};
	static const ss_cli_cmd_t empty_words[] = {
	    {"  ", "", "", cmd_echo, NULL},
	    {NULL},
	};

	ck_assert_int_eq(ss_cli_register(NULL, clash), -EEXIST);
	ck_assert_int_eq(ss_cli_register(NULL, self_clash), -EEXIST);
	ck_assert_int_eq(ss_cli_register(NULL, no_fn), -EINVAL);
	ck_assert_int_eq(ss_cli_register(NULL, empty_words), -EINVAL);
	ck_assert_int_eq(ss_cli_register(NULL, NULL), -EINVAL);
	/* A refused table leaves nothing behind. */
	ck_assert_int_eq(run("new one"), SS_CLI_USAGE);
	ck_assert_int_eq(run("fresh"), SS_CLI_USAGE);
	ck_assert_str_eq(complete("n"), "");
	ck_assert_str_eq(complete("f"), "");
	/* A prefix of an existing command may become a command itself. */
	ck_assert_int_eq(ss_cli_register(OWNER, mod_table), 0);
	ck_assert_int_eq(run("core show thing"), SS_CLI_OK);
	ck_assert_str_eq(out, "mod:0\n");
}
END_TEST

START_TEST(test_tokenizer)
{
	ck_assert_int_eq(run("echo plain  \"double q\" 'single q' a\\ b"),
			 SS_CLI_OK);
	ck_assert_str_eq(out, "echo:4[plain][double q][single q][a b]\n");

	ck_assert_int_eq(run("  echo \"say \\\"hi\\\"\" 'it''s' \"a\\\\b\""),
			 SS_CLI_OK);
	ck_assert_str_eq(out, "echo:3[say \"hi\"][its][a\\b]\n");

	/* Backslashes are literal in single quotes and before other
	 * characters in double quotes; empty quotes make an empty word. */
	ck_assert_int_eq(run("echo '\\n' \"\\n\" \"\" x\"y z\"w"), SS_CLI_OK);
	ck_assert_str_eq(out, "echo:4[\\n][\\n][][xy zw]\n");

	ck_assert_int_eq(run("echo \"open"), SS_CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(out, "Unterminated quote"));
	ck_assert_int_eq(run("echo trailing\\"), SS_CLI_USAGE);
	ck_assert_ptr_nonnull(strstr(out, "Trailing backslash"));

	ck_assert_int_eq(run(""), SS_CLI_OK);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run(" \t "), SS_CLI_OK);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_dispatch_longest)
{
	ck_assert_int_eq(run("show"), SS_CLI_OK);
	ck_assert_str_eq(out, "show:0\n");
	ck_assert_int_eq(run("show detail x"), SS_CLI_OK);
	ck_assert_str_eq(out, "detail:1[x]\n");
	ck_assert_int_eq(run("show other detail"), SS_CLI_OK);
	ck_assert_str_eq(out, "show:2[other][detail]\n");
	/* A quoted word still matches a command word. */
	ck_assert_int_eq(run("show 'detail' y z"), SS_CLI_OK);
	ck_assert_str_eq(out, "detail:2[y][z]\n");
}
END_TEST

START_TEST(test_unknown)
{
	ck_assert_int_eq(run("frob  x"), SS_CLI_USAGE);
	ck_assert_str_eq(
	    out, "No such command 'frob x' (type 'help' for the list)\n");
	/* Words that lead into the tree but name no command. */
	ck_assert_int_eq(run("core set"), SS_CLI_USAGE);
	ck_assert_str_eq(
	    out, "No such command 'core set' (type 'help' for the list)\n");
	/* No abbreviation: "sho" is not "show". */
	ck_assert_int_eq(run("sho"), SS_CLI_USAGE);
}
END_TEST

START_TEST(test_usage_and_fail)
{
	ck_assert_int_eq(run("core set one"), SS_CLI_USAGE);
	ck_assert_str_eq(out, "Usage: core set one VALUE\n");
	ck_assert_int_eq(run("core set one a b"), SS_CLI_USAGE);
	ck_assert_str_eq(out, "Usage: core set one VALUE\n");
	ck_assert_int_eq(run("core set one bad"), SS_CLI_FAIL);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run("core set one good"), SS_CLI_OK);
}
END_TEST

START_TEST(test_big_output)
{
	ck_assert_int_eq(run("core big"), SS_CLI_OK);
	ck_assert_uint_eq(outlen, 10003);
	ck_assert_int_eq(out[0], '<');
	ck_assert_int_eq(out[10000], 'x');
	ck_assert_str_eq(out + 10001, ">\n");
}
END_TEST

START_TEST(test_complete_words)
{
	ck_assert_str_eq(complete(""), "core,echo,show");
	ck_assert_str_eq(complete("  s"), "show");
	ck_assert_str_eq(complete("c"), "core");
	ck_assert_str_eq(complete("core "), "big,set");
	ck_assert_str_eq(complete("core s"), "set");
	ck_assert_str_eq(complete("core set "), "one");
	ck_assert_str_eq(complete("core set one "), "");
	ck_assert_str_eq(complete("x"), "");
	ck_assert_str_eq(complete("nothing here "), "");
	/* A complete word without a trailing space completes to itself. */
	ck_assert_str_eq(complete("core"), "core");
	ck_assert_str_eq(complete("'co"), "core");
}
END_TEST

START_TEST(test_complete_args)
{
	/* "show" has both a subcommand and its own argument completer. */
	ck_assert_str_eq(complete("show "), "alpha,beta,detail,zeta");
	ck_assert_int_eq(last_argi, 0);
	ck_assert_str_eq(last_args, "");
	ck_assert_str_eq(complete("show d"), "detail");
	ck_assert_str_eq(complete("show b"), "beta");
	ck_assert_str_eq(last_args, "b");

	ck_assert_str_eq(complete("show detail "), "alpha,beta,zeta");
	ck_assert_int_eq(last_argi, 0);
	ck_assert_str_eq(complete("show detail x a"), "alpha");
	ck_assert_int_eq(last_argi, 1);
	ck_assert_str_eq(last_args, "x|a");
	ck_assert_str_eq(complete("show detail \"x y\" "), "alpha,beta,zeta");
	ck_assert_int_eq(last_argi, 1);
	ck_assert_str_eq(last_args, "x y|");
	/* Past the tree, the deepest command completes its arguments. */
	ck_assert_str_eq(complete("show other z"), "zeta");
	ck_assert_int_eq(last_argi, 1);
	ck_assert_str_eq(last_args, "other|z");
	/* Candidates offered outside a completion are ignored. */
	ss_cli_add_completion(cli, "stray");
	ck_assert_str_eq(complete("echo "), "");
}
END_TEST

START_TEST(test_release_owner)
{
	ck_assert_int_eq(ss_cli_register(OWNER, mod_table), 0);
	ck_assert_str_eq(complete(""), "core,echo,modcmd,show");
	ck_assert_str_eq(complete("core "), "big,set,show");
	ck_assert_int_eq(ss_cli_register(OWNER, mod_table), -EEXIST);

	ss_cli_release_owner(OWNER);
	ck_assert_int_eq(run("modcmd"), SS_CLI_USAGE);
	ck_assert_int_eq(run("core show thing"), SS_CLI_USAGE);
	ck_assert_str_eq(complete(""), "core,echo,show");
	ck_assert_str_eq(complete("core "), "big,set");
	/* The core's commands stay, and the module may come back. */
	ck_assert_int_eq(run("core set one good"), SS_CLI_OK);
	ck_assert_int_eq(ss_cli_register(OWNER, mod_table), 0);
	ck_assert_int_eq(run("modcmd a"), SS_CLI_OK);
	ck_assert_str_eq(out, "mod:1[a]\n");
}
END_TEST

static void count_cmd(const ss_cli_cmd_t *cmd, const struct ss_module *owner,
		      void *arg)
{
	char *list = arg;

	strcat(list, cmd->words);
	strcat(list, owner == OWNER ? "(m);" : ";");
}

START_TEST(test_foreach_sorted)
{
	char list[512] = "";

	ck_assert_int_eq(ss_cli_register(OWNER, mod_table), 0);
	ss_cli_foreach(count_cmd, list);
	ck_assert_str_eq(list, "core big;core set one;core show thing(m);"
			       "echo;modcmd(m);show;show detail;");
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_register_collision);
	tcase_add_test(tc, test_tokenizer);
	tcase_add_test(tc, test_dispatch_longest);
	tcase_add_test(tc, test_unknown);
	tcase_add_test(tc, test_usage_and_fail);
	tcase_add_test(tc, test_big_output);
	tcase_add_test(tc, test_complete_words);
	tcase_add_test(tc, test_complete_args);
	tcase_add_test(tc, test_release_owner);
	tcase_add_test(tc, test_foreach_sorted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
