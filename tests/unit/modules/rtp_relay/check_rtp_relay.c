/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module as the core sees it: loaded from a config section built from
 * XML, the service it provides, reload, refusal of bad settings, the
 * console commands, and a relay bound to IPv6.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sipserver/service.h>

#include "cli_core.h"
#include "config_core.h"
#include "log_core.h"
#include "loop_core.h"
#include "rtp_test.h"
#include "service_core.h"

extern const ss_module_desc_t rtp_relay_LTX_ss_module;

static char out[16384];
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
		 "<sipserver><modules><module name=\"rtp_relay\">%s"
		 "</module></modules></sipserver>",
		 body);
	doc = ss_config_load_memory(xml, strlen(xml), "test", err, sizeof(err));
	ck_assert_msg(doc != NULL, "%s", err);
	cfg = ss_cfg_build(ss_config_module_find(doc, "rtp_relay"),
			   rtp_relay_LTX_ss_module.config, "rtp_relay", err,
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
	const ss_module_desc_t *d = &rtp_relay_LTX_ss_module;
	const ss_rtp_relay_api_t *api;
	rtp_settings_t set;
	ss_cfg_t *cfg;
	char body[512];

	start_core();
	rtpt_settings(&set, 8);
	snprintf(body, sizeof(body),
		 "<ports min=\"%u\" max=\"%u\"/>"
		 "<address ip=\"127.0.0.1\" advertise=\"192.0.2.7\"/>"
		 "<timeout ms=\"5000\"/><limits max_sessions=\"3\"/>",
		 set.port_min, set.port_max);
	cfg = build_cfg(body);
	ck_assert_str_eq(d->name, "rtp_relay");
	ck_assert_uint_eq(d->abi, SS_MODULE_ABI);
	ck_assert_str_eq(d->provides[0], SS_RTP_RELAY_SERVICE);
	ck_assert_int_eq(d->load(NULL, cfg), SS_LOAD_OK);
	api = ss_service_get(SS_RTP_RELAY_SERVICE, SS_RTP_RELAY_API_VERSION);
	ck_assert_ptr_eq(api, &rtp_api);
	ck_assert_uint_eq(rtp->set.timeout_ms, 5000);
	ck_assert_uint_eq(rtp->set.max_sessions, 3);
	ck_assert(!rtp->set.strict);
	ck_assert_str_eq(rtp->set.advertise, "192.0.2.7");
	ck_assert_uint_eq(rtp->ports.npairs, 8);
	ss_cfg_free(cfg);

	/* timeout, limits and latching reload in place; ports do not */
	snprintf(body, sizeof(body),
		 "<ports min=\"%u\" max=\"%u\"/>"
		 "<address ip=\"127.0.0.1\" advertise=\"192.0.2.7\"/>"
		 "<timeout ms=\"700\"/><latching strict=\"yes\"/>",
		 set.port_min, set.port_max);
	cfg = build_cfg(body);
	ck_assert_int_eq(d->reload(NULL, cfg), 0);
	ck_assert_uint_eq(rtp->set.timeout_ms, 700);
	ck_assert_uint_eq(rtp->set.max_sessions, 1000);
	ck_assert(rtp->set.strict);
	ss_cfg_free(cfg);
	snprintf(body, sizeof(body), "<ports min=\"%u\" max=\"%u\"/>",
		 set.port_min, set.port_max + 2);
	cfg = build_cfg(body);
	ck_assert_int_eq(d->reload(NULL, cfg), -EBUSY);
	ck_assert_uint_eq(rtp->ports.npairs, 8);
	ss_cfg_free(cfg);

	d->unload(NULL);
	ck_assert_ptr_null(rtp);
	ss_service_release_owner(NULL);
	ss_loops_shutdown();
}
END_TEST

START_TEST(load_fails_on_bad_settings)
{
	static const char *const bad[] = {
	    "<ports min=\"30000\" max=\"20000\"/>",
	    "<address ip=\"localhost\"/>",
	    "<address ip=\"0.0.0.0\"/>",
	    "<address ip=\"127.0.0.1\" advertise=\"::1\"/>",
	    "<address ip=\"192.0.2.1\"/>", /* not on this host */
	};
	unsigned i;

	start_core();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ss_cfg_t *cfg = build_cfg(bad[i]);

		ck_assert_msg(rtp_relay_LTX_ss_module.load(NULL, cfg) ==
				  SS_LOAD_FAIL,
			      "%s", bad[i]);
		ck_assert_ptr_null(rtp);
		ss_cfg_free(cfg);
	}
	ss_loops_shutdown();
}
END_TEST

START_TEST(console_commands)
{
	ss_cli_sink_t sink = {.write = sink_write};
	ss_rtp_params_t p = {.tag = "abc@host"};
	unsigned char pkt[100], got[200];
	rtp_addr_t aa, ba, ra, rb, from;
	ss_rtp_session_t *s;
	rtp_settings_t set;
	ss_rtp_local_t l;
	ss_cli_t *cli;
	char want[128];
	int a, b;

	rtpt_settings(&set, 8);
	rtpt_start(&set);
	ck_assert_int_eq(
	    ss_cli_register(NULL, rtp_relay_LTX_ss_module.commands), 0);
	cli = ss_cli_new(&sink);
	a = rtpt_socket(NULL, &aa);
	b = rtpt_socket(NULL, &ba);
	p.peer[1] = rtpt_peer(&ba, 0);
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(1), &p, &s), 0);
	rtpt_relay_addr(s, SS_RTP_SIDE_A, false, &ra);
	rtpt_relay_addr(s, SS_RTP_SIDE_B, false, &rb);
	rtpt_rtp(pkt, sizeof(pkt), 1, 9);
	rtpt_send(a, pkt, sizeof(pkt), &ra);
	ck_assert_int_eq(rtpt_recv(b, got, sizeof(got), &from), sizeof(pkt));

	ck_assert_int_eq(ss_cli_execute(cli, "rtp show streams"), SS_CLI_OK);
	rtp_api.local(s, SS_RTP_SIDE_A, &l);
	snprintf(want, sizeof(want), "A->B %5u 127.0.0.1:%u", l.rtp_port,
		 rtpt_port(&aa));
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_msg(strstr(out, "latched") != NULL, "%s", out);
	ck_assert_msg(strstr(out, " abc@host\n") != NULL, "%s", out);
	rtp_api.local(s, SS_RTP_SIDE_B, &l);
	snprintf(want, sizeof(want), "B->A %5u 127.0.0.1:%u ", l.rtp_port,
		 rtpt_port(&ba));
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_msg(strstr(strstr(out, want), " sdp ") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "1 session\n") != NULL, "%s", out);

	outlen = 0;
	ck_assert_int_eq(ss_cli_execute(cli, "rtp show stats"), SS_CLI_OK);
	ck_assert_msg(strstr(out, "1 active (max 1000), 1 total") != NULL, "%s",
		      out);
	ck_assert_msg(strstr(out, "6 of 8 pairs free") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "packets: 1 relayed (100 bytes)") != NULL,
		      "%s", out);
	ck_assert_int_eq(ss_cli_execute(cli, "rtp show stats now"),
			 SS_CLI_USAGE);
	ss_cli_free(cli);
	ss_cli_release_owner(NULL);
	rtpt_free_on_loop(s);
	close(a);
	close(b);
	rtpt_stop();
}
END_TEST

/* Sessions the owner never freed are closed at stop, on their loops. */
START_TEST(stop_closes_leftover_sessions)
{
	ss_rtp_params_t p = {0};
	ss_rtp_session_t *s[3];
	rtp_settings_t set;

	rtpt_settings(&set, 8);
	ss_log_init(0, false);
	ck_assert_int_eq(ss_loops_start(2), 0);
	ck_assert_int_eq(rtp_start(NULL, &set), 0);
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(0), &p, &s[0]), 0);
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(1), &p, &s[1]), 0);
	ck_assert_int_eq(rtpt_alloc(ss_loop_control(), &p, &s[2]), 0);
	ck_assert_uint_eq(atomic_load(&rtp->active), 3);
	rtp_stop();
	ck_assert_ptr_null(rtp);
	ss_loops_shutdown();
}
END_TEST

START_TEST(relays_over_ipv6)
{
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_in6 b6 = a6, r6 = a6, from;
	ss_rtp_params_t p = {0};
	unsigned char pkt[60], got[100];
	socklen_t len = sizeof(a6);
	ss_rtp_session_t *s;
	rtp_settings_t set;
	ss_rtp_local_t l;
	int a, b;

	rtpt_settings(&set, 4);
	snprintf(set.ip, sizeof(set.ip), "::1");
	rtpt_start(&set);
	a = socket(AF_INET6, SOCK_DGRAM, 0);
	b = socket(AF_INET6, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(a, (struct sockaddr *)&a6, sizeof(a6)), 0);
	ck_assert_int_eq(bind(b, (struct sockaddr *)&b6, sizeof(b6)), 0);
	ck_assert_int_eq(getsockname(a, (struct sockaddr *)&a6, &len), 0);
	ck_assert_int_eq(getsockname(b, (struct sockaddr *)&b6, &len), 0);
	p.peer[0] = (ss_rtp_peer_t){(struct sockaddr *)&a6, sizeof(a6), 0};
	p.peer[1] = (ss_rtp_peer_t){(struct sockaddr *)&b6, sizeof(b6), 0};
	ck_assert_int_eq(rtpt_alloc(ss_loop_worker(0), &p, &s), 0);
	rtp_api.local(s, SS_RTP_SIDE_A, &l);
	ck_assert_int_eq(l.family, AF_INET6);
	ck_assert_str_eq(l.host, "::1");
	r6.sin6_port = htons(l.rtp_port);
	rtpt_rtp(pkt, sizeof(pkt), 1, 6);
	ck_assert_int_eq(
	    sendto(a, pkt, sizeof(pkt), 0, (struct sockaddr *)&r6, sizeof(r6)),
	    sizeof(pkt));
	len = sizeof(from);
	ck_assert_int_eq(
	    recvfrom(b, got, sizeof(got), 0, (struct sockaddr *)&from, &len),
	    sizeof(pkt));
	rtp_api.local(s, SS_RTP_SIDE_B, &l);
	ck_assert_uint_eq(ntohs(from.sin6_port), l.rtp_port);
	rtpt_free_on_loop(s);
	close(a);
	close(b);
	rtpt_stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rtp_relay");
	TCase *tc = tcase_create("module");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, load_from_config);
	tcase_add_test(tc, load_fails_on_bad_settings);
	tcase_add_test(tc, console_commands);
	tcase_add_test(tc, stop_closes_leftover_sessions);
	tcase_add_test(tc, relays_over_ipv6);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
