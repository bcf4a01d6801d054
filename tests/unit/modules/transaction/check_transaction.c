/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module as the core sees it: the descriptor loaded from an XML
 * section, bad timers refused, reload, the service vtable, and the console
 * commands (transaction show, sip show stats, sip set trace with the
 * module that handled each message).
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sipserver/log.h>
#include <sipserver/service.h>

#include "bus_core.h"
#include "cli_core.h"
#include "config_core.h"
#include "log_core.h"
#include "txn_test.h"

extern const ss_module_desc_t transaction_LTX_ss_module;

static char out[16384];
static size_t outlen;

static void sink_write(void *arg, const char *text, size_t len)
{
	if (outlen + len < sizeof(out)) {
		memcpy(out + outlen, text, len);
		outlen += len;
		out[outlen] = '\0';
	}
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char logs[16384];

static void log_sink(void *arg, int level, const char *line)
{
	size_t n;

	pthread_mutex_lock(&log_lock);
	n = strlen(logs);
	snprintf(logs + n, sizeof(logs) - n, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}

static bool logged(const char *what)
{
	bool found;

	pthread_mutex_lock(&log_lock);
	found = strstr(logs, what) != NULL;
	pthread_mutex_unlock(&log_lock);
	return found;
}

static ss_cfg_t *build_cfg(const char *body)
{
	char xml[2048], err[256];
	ss_config_t *doc;
	ss_cfg_t *cfg;

	snprintf(xml, sizeof(xml),
		 "<sipserver><modules><module name=\"transaction\">%s"
		 "</module></modules></sipserver>",
		 body);
	doc = ss_config_load_memory(xml, strlen(xml), "test", err, sizeof(err));
	ck_assert_msg(doc != NULL, "%s", err);
	cfg = ss_cfg_build(ss_config_module_find(doc, "transaction"),
			   transaction_LTX_ss_module.config, "transaction", err,
			   sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	ss_config_free(doc);
	return cfg;
}

START_TEST(load_reload_unload)
{
	const ss_module_desc_t *d = &transaction_LTX_ss_module;
	ss_cfg_t *cfg;

	tt_start_core();
	ck_assert_str_eq(d->name, "transaction");
	ck_assert_uint_eq(d->abi, SS_MODULE_ABI);
	cfg = build_cfg("<timers t1=\"1000\" t2=\"500\"/>");
	ck_assert_int_eq(d->load(NULL, cfg), SS_LOAD_FAIL);
	ck_assert_ptr_null(txn_g.loops);
	ss_cfg_free(cfg);
	cfg = build_cfg("<timers t1=\"250\"/><options supported=\"path, "
			"outbound\"/>");
	ck_assert_int_eq(d->load(NULL, cfg), SS_LOAD_OK);
	ss_cfg_free(cfg);
	ck_assert_ptr_eq(ss_service_get(SS_TXN_SERVICE, SS_TXN_API_VERSION),
			 &txn_api);
	ck_assert_uint_eq(txn_g.conf->t1, 250);
	ck_assert_uint_eq(txn_g.conf->t2, 4000);
	ck_assert_uint_eq(txn_g.conf->trying, 200);
	ck_assert_str_eq(txn_g.conf->supported, "path, outbound");
	ck_assert_uint_eq(txn_g.nloops, 2);
	cfg = build_cfg("<timers t1=\"100\" t4=\"1000\"/>");
	ck_assert_int_eq(d->reload(NULL, cfg), 0);
	ss_cfg_free(cfg);
	ck_assert_uint_eq(txn_g.conf->t1, 100);
	ck_assert_uint_eq(txn_g.conf->t4, 1000);
	cfg = build_cfg("<timers t1=\"5000\" t2=\"4000\"/>");
	ck_assert_int_eq(d->reload(NULL, cfg), -EINVAL);
	ss_cfg_free(cfg);
	ck_assert_uint_eq(txn_g.conf->t1, 100);
	d->unload(NULL);
	ck_assert_ptr_null(txn_g.loops);
	tt_stop();
}
END_TEST

static const char *invite =
    "INVITE sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-cli;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@example.com>;tag=a1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: console-call@example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n\r\n";

static ss_cli_status_t run(ss_cli_t *cli, const char *line)
{
	outlen = 0;
	out[0] = '\0';
	return ss_cli_execute(cli, line);
}

START_TEST(console_and_trace)
{
	ss_cli_sink_t sink = {.write = sink_write};
	ss_cli_t *cli;
	char cmd[64];
	uint64_t id;

	tt_start(20);
	ck_assert_int_eq(ss_log_sink_add(log_sink, NULL, SS_LOG_NOTICE), 0);
	ck_assert_int_eq(
	    ss_cli_register(NULL, transaction_LTX_ss_module.commands), 0);
	cli = ss_cli_new(&sink);
	tt_tu.mode = TT_KEEP;
	tt_inject(1, invite, SS_SIP_UDP, 5070);
	ck_assert_ptr_nonnull(tt_tu.kept);
	id = txn_api.id(tt_tu.kept);

	ck_assert_int_eq(run(cli, "transaction show summary"), SS_CLI_OK);
	ck_assert_ptr_nonnull(strstr(out, "server INVITE"));
	ck_assert_int_eq(run(cli, "transaction show"), SS_CLI_OK);
	ck_assert_ptr_nonnull(strstr(out, "Proceeding"));
	ck_assert_int_eq(run(cli, "transaction show all"), SS_CLI_OK);
	ck_assert_ptr_nonnull(strstr(out, "1 transaction"));
	snprintf(cmd, sizeof(cmd), "transaction show %u.%llu",
		 (unsigned)(id >> 48),
		 (unsigned long long)(id & 0xffffffffffffull));
	ck_assert_int_eq(run(cli, cmd), SS_CLI_OK);
	ck_assert_ptr_nonnull(strstr(out, "console-call@example.com"));
	ck_assert_ptr_nonnull(strstr(out, "INVITE sip:bob@example.com"));
	ck_assert_int_eq(run(cli, "transaction show 1.999999"), SS_CLI_FAIL);
	ck_assert_int_eq(run(cli, "transaction show bogus"), SS_CLI_USAGE);
	ck_assert_int_eq(run(cli, "sip show stats"), SS_CLI_OK);
	ck_assert_ptr_nonnull(strstr(out, "transaction: 1 server"));

	/* trace: the message, its addresses and who handled it; the
	 * retransmission gets the 100 Trying again */
	ck_assert(tt_wait_sent(1));
	ck_assert_int_eq(run(cli, "sip set trace on"), SS_CLI_OK);
	tt_inject(1, invite, SS_SIP_UDP, 5070); /* absorbed */
	ck_assert(logged("<-- UDP"));
	ck_assert(logged("from 127.0.0.1:5070 to 127.0.0.1:5060, handled by "
			 "transaction"));
	ck_assert(logged("--> UDP"));
	tt_tu.mode = TT_PASS;
	tt_inject(1,
		  "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-tr\r\n"
		  "From: <sip:a@x>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
		  "Call-ID: traced\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
		  "Content-Length: 0\r\n\r\n",
		  SS_SIP_UDP, 5070);
	ck_assert(logged("Call-ID: traced"));
	ck_assert_uint_eq(tt_tu.seen,
			  2); /* the nested run reached the TU once */
	/* a filter keeps only what matches */
	ck_assert_int_eq(run(cli, "sip set trace nomatch-xyz"), SS_CLI_OK);
	tt_inject(1,
		  "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-tr2\r\n"
		  "From: <sip:a@x>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
		  "Call-ID: filtered-out\r\nCSeq: 1 OPTIONS\r\n"
		  "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		  SS_SIP_UDP, 5070);
	ck_assert(!logged("filtered-out"));
	ck_assert_int_eq(run(cli, "sip set trace off"), SS_CLI_OK);
	ck_assert_int_eq(txn_g.trace, 0);
	ck_assert_int_eq(run(cli, "sip set trace"), SS_CLI_USAGE);

	ss_cli_free(cli);
	ss_cli_release_owner(NULL);
	ss_cli_shutdown();
	ss_log_sink_remove(log_sink, NULL);
	tt_stop();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("transaction");
	TCase *tc = tcase_create("module");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, load_reload_unload);
	tcase_add_test(tc, console_and_trace);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
