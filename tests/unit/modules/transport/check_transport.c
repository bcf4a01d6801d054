/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module as the core sees it: its descriptor loaded with a config
 * section built from XML, the service it provides, reload of limits, the
 * console commands, and refusal of bad settings.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sipserver/service.h>

#include "cli_core.h"
#include "config_core.h"
#include "log_core.h"
#include "loop_core.h"
#include "service_core.h"
#include "tp_test.h"

extern const ss_module_desc_t transport_LTX_ss_module;

static char out[8192];
static size_t outlen;

static void sink_write(void *arg, const char *text, size_t len)
{
	(void)arg;
	if (outlen + len < sizeof(out)) {
		memcpy(out + outlen, text, len);
		outlen += len;
		out[outlen] = '\0';
	}
}

static ss_cfg_t *build_cfg(const char *body)
{
	char xml[2048], err[256];
	ss_config_t *doc;
	ss_cfg_t *cfg;

	snprintf(xml, sizeof(xml),
		 "<sipserver><modules><module name=\"transport\">%s"
		 "</module></modules></sipserver>",
		 body);
	doc = ss_config_load_memory(xml, strlen(xml), "test", err, sizeof(err));
	ck_assert_msg(doc != NULL, "%s", err);
	cfg = ss_cfg_build(ss_config_module_find(doc, "transport"),
			   transport_LTX_ss_module.config, "transport", err,
			   sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	ss_config_free(doc);
	return cfg;
}

static void start_core(void)
{
	ss_log_init(0, false);
	ck_assert_int_eq(ss_loops_start(2), 0);
}

START_TEST(load_from_config)
{
	const ss_module_desc_t *d = &transport_LTX_ss_module;
	const ss_sip_transport_api_t *api;
	const ss_sip_listener_info_t *info;
	ss_cfg_t *cfg;

	start_core();
	cfg =
	    build_cfg("<listen transport=\"udp\" address=\"127.0.0.1\" "
		      "port=\"0\"/>"
		      "<listen transport=\"tcp\" address=\"[::1]\" port=\"0\"/>"
		      "<limits max_message=\"4096\" idle_timeout=\"5000\"/>"
		      "<udp batch=\"8\"/>");
	ck_assert_str_eq(d->name, "transport");
	ck_assert_uint_eq(d->abi, SS_MODULE_ABI);
	ck_assert_int_eq(d->load(NULL, cfg), SS_LOAD_OK);
	api = ss_service_get("transport", SS_SIP_TRANSPORT_API_VERSION);
	ck_assert_ptr_eq(api, &tp_api);
	info = api->listener_at(0);
	ck_assert_int_eq(info->proto, SS_SIP_UDP);
	ck_assert_str_eq(info->host, "127.0.0.1");
	ck_assert_uint_ne(info->port, 0);
	info = api->listener_at(1);
	ck_assert_int_eq(info->proto, SS_SIP_TCP);
	ck_assert_str_eq(info->host, "[::1]");
	ck_assert_ptr_eq(api->listener_for(SS_SIP_TCP, AF_INET6), info);
	ck_assert_ptr_null(api->listener_at(2));
	/* the service answers from the listeners it opened */
	ck_assert(api->host_is_local(SS_STR("127.0.0.1"), 0));
	ck_assert(api->host_is_local(SS_STR("[::1]"), info->port));
	ck_assert(api->host_is_local(SS_STR("LOCALHOST"), 0));
	ck_assert(!api->host_is_local(SS_STR("127.0.0.2"), 0));
	ck_assert(!api->host_is_local(SS_STR("127.0.0.1"), 1));
	ck_assert_uint_eq(tp->set.lim.max_message, 4096);
	ck_assert_uint_eq(tp->set.lim.udp_batch, 8);
	ck_assert_uint_eq(tp->set.lim.max_per_source, 64);
	ss_cfg_free(cfg);

	/* limits reload in place; a listener change is refused */
	cfg =
	    build_cfg("<listen transport=\"udp\" address=\"127.0.0.1\" "
		      "port=\"0\"/>"
		      "<listen transport=\"tcp\" address=\"[::1]\" port=\"0\"/>"
		      "<limits max_message=\"4096\" idle_timeout=\"5000\" "
		      "max_connections_per_source=\"3\"/>"
		      "<udp batch=\"8\"/>");
	ck_assert_int_eq(d->reload(NULL, cfg), 0);
	ck_assert_uint_eq(tp->set.lim.max_per_source, 3);
	ss_cfg_free(cfg);
	cfg = build_cfg("<listen transport=\"udp\" address=\"127.0.0.1\" "
			"port=\"0\"/>");
	ck_assert_int_eq(d->reload(NULL, cfg), -EBUSY);
	ck_assert_uint_eq(tp->nlisteners, 2);
	ss_cfg_free(cfg);

	d->unload(NULL);
	ck_assert_ptr_null(tp);
	ss_service_release_owner(NULL);
	ss_loops_shutdown();
}
END_TEST

START_TEST(load_declines_without_listener)
{
	ss_cfg_t *cfg;

	start_core();
	cfg = build_cfg("");
	ck_assert_int_eq(transport_LTX_ss_module.load(NULL, cfg),
			 SS_LOAD_DECLINE);
	ck_assert_ptr_null(tp);
	ss_cfg_free(cfg);
	ss_loops_shutdown();
}
END_TEST

START_TEST(load_fails_on_bad_settings)
{
	ss_cfg_t *cfg;

	start_core();
	cfg = build_cfg("<listen transport=\"sctp\" port=\"0\"/>");
	ck_assert_int_eq(transport_LTX_ss_module.load(NULL, cfg), SS_LOAD_FAIL);
	ss_cfg_free(cfg);
	cfg = build_cfg("<listen transport=\"udp\" address=\"localhost\" "
			"port=\"0\"/>");
	ck_assert_int_eq(transport_LTX_ss_module.load(NULL, cfg), SS_LOAD_FAIL);
	ss_cfg_free(cfg);
	cfg = build_cfg("<listen transport=\"udp\" port=\"0\"/>"
			"<limits max_message=\"65535\" max_buffer=\"65536\"/>");
	ck_assert_int_eq(transport_LTX_ss_module.load(NULL, cfg), SS_LOAD_FAIL);
	ss_cfg_free(cfg);
	ck_assert_ptr_null(tp);
	ss_loops_shutdown();
}
END_TEST

/* A port in use by another (non-SO_REUSEPORT) socket fails the load and
 * leaves nothing open. */
START_TEST(load_fails_on_busy_port)
{
	ss_sip_addr_t a = {.len = sizeof(struct sockaddr_in)};
	char body[256];
	ss_cfg_t *cfg;
	int fd;

	start_core();
	fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sa.ss_family = AF_INET;
	((struct sockaddr_in *)&a.sa)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a.sa, a.len), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	tpt_sockname(fd, &a);
	snprintf(body, sizeof(body),
		 "<listen transport=\"udp\" port=\"0\"/>"
		 "<listen transport=\"tcp\" port=\"%u\"/>",
		 ntohs(((struct sockaddr_in *)&a.sa)->sin_port));
	cfg = build_cfg(body);
	ck_assert_int_eq(transport_LTX_ss_module.load(NULL, cfg), SS_LOAD_FAIL);
	ck_assert_ptr_null(tp);
	ss_cfg_free(cfg);
	close(fd);
	ss_loops_shutdown();
}
END_TEST

START_TEST(console_commands)
{
	ss_cli_sink_t sink = {.write = sink_write};
	tp_settings_t set;
	ss_cli_t *cli;
	char addr[64];
	int fd;

	tpt_settings(&set);
	tpt_add_listen(&set, SS_SIP_UDP, "127.0.0.1");
	tpt_add_listen(&set, SS_SIP_TCP, "127.0.0.1");
	tpt_start(&set);
	ck_assert_int_eq(
	    ss_cli_register(NULL, transport_LTX_ss_module.commands), 0);
	cli = ss_cli_new(&sink);
	fd = tpt_tcp_connect(tpt_listener_addr(1));
	tpt_send_all(fd, "BYE sip:a@b SIP/2.0\r\nl: 0\r\n\r\n", 30);
	ck_assert(tpt_wait_pkts(1));

	ck_assert_int_eq(ss_cli_execute(cli, "sip show transports"), SS_CLI_OK);
	tp_addr_str(tpt_listener_addr(0), addr, sizeof(addr));
	ck_assert_msg(strstr(out, addr) != NULL, "%s", out);
	tp_addr_str(tpt_listener_addr(1), addr, sizeof(addr));
	ck_assert_msg(strstr(out, addr) != NULL, "%s", out);
	ck_assert_msg(strstr(out, "tcp ") != NULL, "%s", out);

	outlen = 0;
	ck_assert_int_eq(ss_cli_execute(cli, "sip show connections"),
			 SS_CLI_OK);
	ck_assert_msg(strstr(out, "1 connection\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, addr) != NULL, "%s", out);
	ck_assert_int_eq(ss_cli_execute(cli, "sip show connections x"),
			 SS_CLI_USAGE);
	ss_cli_free(cli);
	ss_cli_release_owner(NULL);
	close(fd);
	tpt_stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("transport");
	TCase *tc = tcase_create("module");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, load_from_config);
	tcase_add_test(tc, load_declines_without_listener);
	tcase_add_test(tc, load_fails_on_bad_settings);
	tcase_add_test(tc, load_fails_on_busy_port);
	tcase_add_test(tc, console_commands);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
