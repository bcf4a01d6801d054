/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of modules/digest_auth/auth.c and auth_cli.c against the core: the
 * descriptor's load/reload/unload with typed configuration, the published
 * `auth` service, and the console commands with argument completion.
 */
#include "auth_int.h"

#include "cli_core.h"
#include "config_core.h"
#include "service_core.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sipserver/module.h>
#include <sipserver/service.h>
#include <sipserver/sip/parser.h>

extern const ss_module_desc_t digest_auth_LTX_ss_module;
#define DESC (&digest_auth_LTX_ss_module)

static char dir[64];
static char out[8192];
static char cands[1024];

static int fake_send(const ss_sip_dest_t *dst, const char *buf, size_t len)
{
	(void)dst;
	(void)buf;
	(void)len;
	return 0;
}

static const ss_sip_transport_api_t fake_transport = {
    .version = SS_SIP_TRANSPORT_API_VERSION,
    .send = fake_send,
};

static void sink_write(void *arg, const char *text, size_t len)
{
	size_t o = strlen(out);

	(void)arg;
	if (o + len < sizeof(out)) {
		memcpy(out + o, text, len);
		out[o + len] = '\0';
	}
}

static void sink_candidate(void *arg, const char *word)
{
	(void)arg;
	strncat(cands, word, sizeof(cands) - strlen(cands) - 2);
	strcat(cands, ";");
}

static ss_cfg_t *build_cfg(const char *section)
{
	char xml[4096], err[512] = "";
	ss_config_t *c;
	ss_cfg_t *cfg;

	snprintf(xml, sizeof(xml),
		 "<sipserver><modules><module name=\"digest_auth\">%s"
		 "</module></modules></sipserver>",
		 section);
	c = ss_config_load_memory(xml, strlen(xml), "test", err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	cfg = ss_cfg_build(ss_config_module_find(c, "digest_auth"),
			   DESC->config, "digest_auth", err, sizeof(err));
	ss_config_free(c);
	ck_assert_msg(cfg != NULL, "%s", err);
	return cfg;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/authmXXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(ss_config_set_statedir(dir), 0);
}

static void teardown(void)
{
	char cmd[128];

	ss_cli_release_owner(NULL);
	ss_service_release_owner(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void provide_deps(void)
{
	ck_assert_int_eq(ss_service_provide(NULL, "parser",
					    SS_SIP_PARSER_API_VERSION,
					    &ss_sip_parser_api),
			 0);
	ck_assert_int_eq(ss_service_provide(NULL, "transport",
					    SS_SIP_TRANSPORT_API_VERSION,
					    &fake_transport),
			 0);
}

static ss_cli_status_t run(ss_cli_t *cli, const char *line)
{
	out[0] = '\0';
	return ss_cli_execute(cli, line);
}

START_TEST(test_load_needs_parser)
{
	ss_cfg_t *cfg = build_cfg("");

	ck_assert_int_eq(DESC->load(NULL, cfg), SS_LOAD_FAIL);
	ck_assert_ptr_null(ss_service_get(SS_AUTH_SERVICE, 1));
	ss_cfg_free(cfg);
}
END_TEST

START_TEST(test_load_service_and_console)
{
	ss_cfg_t *cfg = build_cfg("<require methods=\"REGISTER\" "
				  "domains=\"example.com\"/>"
				  "<database path=\"users.db\"/>");
	ss_cli_sink_t sink = {sink_write, sink_candidate, NULL};
	const ss_auth_api_t *api;
	char path[128], realm[SS_AUTH_NAME_MAX], buf[1024];
	struct stat st;
	ss_cli_t *cli;

	provide_deps();
	ck_assert_int_eq(DESC->load(NULL, cfg), SS_LOAD_OK);
	api = ss_service_get(SS_AUTH_SERVICE, SS_AUTH_API_VERSION);
	ck_assert_ptr_nonnull(api);
	ck_assert(api->required(SS_STR("REGISTER"), SS_STR("example.com"),
				false, realm, sizeof(realm)));
	ck_assert_str_eq(realm, "example.com");
	ck_assert(!api->required(SS_STR("INVITE"), SS_STR("example.com"), false,
				 realm, sizeof(realm)));
	ck_assert_int_gt(api->challenge(SS_STR("example.com"), false, false,
					buf, sizeof(buf)),
			 0);
	snprintf(path, sizeof(path), "%s/users.db", dir);
	ck_assert_int_eq(stat(path, &st), 0);

	ck_assert_int_eq(ss_cli_register(NULL, DESC->commands), 0);
	cli = ss_cli_new(&sink);
	ck_assert_int_eq(run(cli, "auth user add alice@Example.COM s3cret"),
			 SS_CLI_OK);
	ck_assert_ptr_nonnull(strstr(out, "added"));
	ck_assert_int_eq(run(cli, "auth user add bob@example.com pw"),
			 SS_CLI_OK);
	ck_assert_int_eq(run(cli, "auth user add alice@example.com x"),
			 SS_CLI_FAIL);
	ck_assert_ptr_nonnull(strstr(out, "already exists"));
	ck_assert_int_eq(run(cli, "auth user add nodomain pw"), SS_CLI_USAGE);
	ck_assert_int_eq(run(cli, "auth user list"), SS_CLI_OK);
	ck_assert_str_eq(out, "alice@example.com\nbob@example.com\n2 users\n");
	ck_assert_int_eq(run(cli, "auth user passwd alice@example.com n3w"),
			 SS_CLI_OK);
	ck_assert_int_eq(run(cli, "auth user passwd carol@example.com n3w"),
			 SS_CLI_FAIL);

	cands[0] = '\0';
	ss_cli_complete(cli, "auth user remove al");
	ck_assert_str_eq(cands, "alice@example.com;");
	cands[0] = '\0';
	ss_cli_complete(cli, "auth user passwd ");
	ck_assert_str_eq(cands, "alice@example.com;bob@example.com;");

	ck_assert_int_eq(run(cli, "auth user remove alice@example.com"),
			 SS_CLI_OK);
	ck_assert_int_eq(run(cli, "auth user remove alice@example.com"),
			 SS_CLI_FAIL);
	ck_assert_ptr_nonnull(strstr(out, "no such user"));
	ck_assert_int_eq(run(cli, "auth show stats"), SS_CLI_OK);
	ck_assert_ptr_nonnull(strstr(out, "challenges 1,"));
	ck_assert_ptr_nonnull(strstr(out, "users 1;"));

	/* bulk import: one transaction, existing users reported */
	{
		char file[160], cmd[200];
		FILE *f;

		snprintf(file, sizeof(file), "%s/users.txt", dir);
		f = fopen(file, "w");
		ck_assert_ptr_nonnull(f);
		fputs("# comment\ncarol@example.com pw1\n\n"
		      "dave@example.com pw2\nbob@example.com again\n",
		      f);
		fclose(f);
		snprintf(cmd, sizeof(cmd), "auth user import %s", file);
		ck_assert_int_eq(run(cli, cmd), SS_CLI_FAIL);
		ck_assert_ptr_nonnull(
		    strstr(out, ":5: bob@example.com skipped"));
		ck_assert_ptr_nonnull(strstr(out, "2 users added, 1 skipped"));
		ck_assert_int_eq(run(cli, "auth user list"), SS_CLI_OK);
		ck_assert_str_eq(out, "bob@example.com\ncarol@example.com\n"
				      "dave@example.com\n3 users\n");
		ck_assert_int_eq(run(cli, "auth user import /nonexistent/x"),
				 SS_CLI_FAIL);
	}

	ss_cli_free(cli);
	DESC->unload(NULL);
	ss_cfg_free(cfg);
}
END_TEST

/* A nonce's fate across reloads: kept with the same secret, refused once
 * the secret changes; the new policy applies at once. */
START_TEST(test_reload)
{
	ss_cfg_t *cfg1 = build_cfg("<nonce secret=\"k1\"/>"
				   "<require methods=\"REGISTER\"/>");
	ss_cfg_t *cfg2 = build_cfg("<nonce secret=\"k1\" expires=\"60\"/>"
				   "<require methods=\"INVITE\"/>");
	ss_cfg_t *cfg3 = build_cfg("<nonce secret=\"k2\"/>");
	ss_cfg_t *bad = build_cfg("<database path=\"/nonexistent/x/a.db\"/>");
	const ss_auth_api_t *api;
	auth_nonce_info_t info;
	char buf[1024], nonce[AUTH_NONCE_LEN + 1];

	provide_deps();
	ck_assert_int_eq(DESC->load(NULL, cfg1), SS_LOAD_OK);
	api = ss_service_get(SS_AUTH_SERVICE, SS_AUTH_API_VERSION);
	ck_assert_int_gt(
	    api->challenge(SS_STR("r"), false, true, buf, sizeof(buf)), 0);
	memcpy(nonce, strstr(buf, "nonce=\"") + 7, AUTH_NONCE_LEN);
	nonce[AUTH_NONCE_LEN] = '\0';

	ck_assert_int_eq(DESC->reload(NULL, cfg2), 0);
	ck_assert_uint_eq(auth_g.conf->nonce_expires, 60);
	ck_assert_int_eq(auth_nonce_check(&auth_g.conf->key, ss_str_c(nonce),
					  SS_STR("r"), &info),
			 0);
	ck_assert(api->required(SS_STR("INVITE"), SS_STR("a"), false, NULL, 0));
	ck_assert(
	    !api->required(SS_STR("REGISTER"), SS_STR("a"), false, NULL, 0));

	/* A section that cannot be applied leaves everything as it was. */
	ck_assert_int_lt(DESC->reload(NULL, bad), 0);
	ck_assert_uint_eq(auth_g.conf->nonce_expires, 60);

	ck_assert_int_eq(DESC->reload(NULL, cfg3), 0);
	ck_assert_int_eq(auth_nonce_check(&auth_g.conf->key, ss_str_c(nonce),
					  SS_STR("r"), &info),
			 -EINVAL);
	DESC->unload(NULL);
	ss_cfg_free(cfg1);
	ss_cfg_free(cfg2);
	ss_cfg_free(cfg3);
	ss_cfg_free(bad);
}
END_TEST

START_TEST(test_config_errors)
{
	char section[512];
	ss_cfg_t *cfg;

	provide_deps();
	snprintf(section, sizeof(section), "<realm>%0200d</realm>", 0);
	cfg = build_cfg(section);
	ck_assert_int_eq(DESC->load(NULL, cfg), SS_LOAD_FAIL);
	ck_assert_ptr_null(ss_service_get(SS_AUTH_SERVICE, 1));
	ss_cfg_free(cfg);
	cfg = build_cfg("<database path=\"/nonexistent/x/a.db\"/>");
	ck_assert_int_eq(DESC->load(NULL, cfg), SS_LOAD_FAIL);
	ss_cfg_free(cfg);
}
END_TEST

static Suite *module_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("module");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_load_needs_parser);
	tcase_add_test(tc, test_load_service_and_console);
	tcase_add_test(tc, test_reload);
	tcase_add_test(tc, test_config_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(module_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
