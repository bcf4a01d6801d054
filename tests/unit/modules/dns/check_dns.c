/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dns module end to end: loaded from XML on real loops, resolving
 * against a dnsmasq on loopback (RFC 3263 NAPTR -> SRV -> A/AAAA, the
 * fallbacks, errors, timeouts), its cache, blocklist, cancel, reload and
 * console commands.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <sipserver/service.h>

#include "cli_core.h"
#include "config_core.h"
#include "loop_core.h"
#include "dns_test.h"

extern const ss_module_desc_t dns_LTX_ss_module;

static const char *const records[] = {
    "--host-record=a.test,127.0.0.2",
    "--host-record=b.test,127.0.0.3",
    "--host-record=c.test,127.0.0.4",
    "--host-record=v6.test,::1",
    "--host-record=dual.test,127.0.0.5,::1",
    "--host-record=naptr.test,127.0.0.8",
    "--host-record=fb.test,127.0.0.9",
    /* SRV: priority 10 (a, c) before 20 (b) */
    "--srv-host=_sip._udp.srv.test,b.test,5070,20,0",
    "--srv-host=_sip._udp.srv.test,a.test,5080,10,50",
    "--srv-host=_sip._udp.srv.test,c.test,5090,10,50",
    /* NAPTR: TCP (order 10) before UDP (order 20); the rest is skipped */
    "--naptr-record=naptr.test,20,10,S,SIP+D2U,,_sip._udp.naptr.test",
    "--naptr-record=naptr.test,10,10,S,SIP+D2T,,_sip._tcp.naptr.test",
    "--naptr-record=naptr.test,5,10,U,E2U+sip,!^.*$!sip:x@y!,",
    "--naptr-record=naptr.test,1,10,S,SIP+D2X,,_sip._sctp.naptr.test",
    "--srv-host=_sip._tcp.naptr.test,b.test,5072,0,0",
    "--srv-host=_sip._udp.naptr.test,c.test,5073,0,0",
    /* no NAPTR: SRV for the supported transports */
    "--srv-host=_sip._tcp.fb.test,a.test,5074,0,0",
    "--srv-host=_sips._tcp.tls.test,a.test,5075,0,0",
    /* the service is explicitly not offered */
    "--srv-host=_sip._udp.none.test,.,0,0,0",
    NULL,
};

static unsigned dns_port;

static void start_with_records(const char *extra)
{
	char body[512];

	dns_port = dnst_dnsmasq_start(records);
	snprintf(body, sizeof(body),
		 "<server address=\"127.0.0.1\" port=\"%u\"/>"
		 "<timeouts ms=\"500\" tries=\"2\"/>%s",
		 dns_port, extra);
	dnst_start(body);
}

static void expect(const dnst_result_t *r, unsigned n, const char *const *want)
{
	unsigned i;

	ck_assert_msg(r->status == 0, "status %d", r->status);
	ck_assert_uint_eq(r->n, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(dnst_dest(r, i), want[i]);
}

static void resolve_ok(const char *host, unsigned port, ss_sip_proto_t proto,
		       bool secure, dnst_result_t *r)
{
	ss_dns_target_t t = dnst_target(host, port, proto, secure);

	ck_assert_int_eq(dnst_resolve(0, &t, r), 0);
}

START_TEST(numeric_hosts)
{
	static const char *w1[] = {"udp 192.0.2.1:5060"};
	static const char *w2[] = {"tls [::1]:5061"};
	static const char *w3[] = {"tcp 10.0.0.1:5080"};
	dnst_result_t r;

	dnst_start("<server address=\"127.0.0.1\" port=\"1\"/>");
	resolve_ok("192.0.2.1", 0, 0, false, &r);
	expect(&r, 1, w1);
	/* never inside resolve(), and on the caller's worker */
	ck_assert(!r.in_resolve);
	ck_assert_uint_eq(r.loop_index, 0);
	resolve_ok("[::1]", 0, 0, true, &r);
	expect(&r, 1, w2);
	resolve_ok("10.0.0.1", 5080, SS_SIP_TCP, false, &r);
	expect(&r, 1, w3);
	dnst_stop();
}
END_TEST

START_TEST(port_given_asks_addresses_only)
{
	static const char *w[] = {"udp 127.0.0.8:5099"};
	static const char *wt[] = {"tcp 127.0.0.8:5099"};
	dnst_result_t r;

	start_with_records("");
	/* naptr.test has NAPTR and SRV records: a port skips them */
	resolve_ok("naptr.test", 5099, 0, false, &r);
	expect(&r, 1, w);
	ck_assert(!r.in_resolve);
	resolve_ok("naptr.test", 5099, SS_SIP_TCP, false, &r);
	expect(&r, 1, wt);
	dnst_stop();
}
END_TEST

START_TEST(srv_priority_then_weight)
{
	dnst_result_t r;
	unsigned i, first_a = 0;

	start_with_records("");
	for (i = 0; i < 40; i++) {
		ss_dns_target_t t = dnst_target("srv.test", 0, SS_SIP_UDP, 0);

		ck_assert_int_eq(dnst_resolve(i & 1, &t, &r), 0);
		ck_assert_uint_eq(r.n, 3);
		/* same priority, same weight: either order */
		ck_assert(!strcmp(dnst_dest(&r, 0), "udp 127.0.0.2:5080") ||
			  !strcmp(dnst_dest(&r, 0), "udp 127.0.0.4:5090"));
		ck_assert(!strcmp(dnst_dest(&r, 1), "udp 127.0.0.2:5080") ||
			  !strcmp(dnst_dest(&r, 1), "udp 127.0.0.4:5090"));
		ck_assert_str_ne(dnst_dest(&r, 0), dnst_dest(&r, 1));
		ck_assert_str_eq(dnst_dest(&r, 2), "udp 127.0.0.3:5070");
		first_a += !strcmp(dnst_dest(&r, 0), "udp 127.0.0.2:5080");
	}
	/* weighted random, not fixed: 40 draws at 50/50 all landing on one
	 * side has probability 2^-39 */
	ck_assert_uint_gt(first_a, 0);
	ck_assert_uint_lt(first_a, 40);
	dnst_stop();
}
END_TEST

START_TEST(naptr_srv_addresses)
{
	static const char *all[] = {"tcp 127.0.0.3:5072", "udp 127.0.0.4:5073"};
	static const char *udp[] = {"udp 127.0.0.4:5073"};
	static const char *tcp[] = {"tcp 127.0.0.3:5072"};
	ss_dns_target_t t = dnst_target("naptr.test", 0, 0, false);
	dnst_result_t r;

	start_with_records("");
	ck_assert_int_eq(dnst_resolve(1, &t, &r), 0);
	expect(&r, 2, all);
	ck_assert_uint_eq(r.loop_index, 1);
	/* a caller without TCP gets the UDP record only */
	t.protos = SS_DNS_PROTO_BIT(SS_SIP_UDP);
	ck_assert_int_eq(dnst_resolve(0, &t, &r), 0);
	expect(&r, 1, udp);
	/* transport given: its SRV directly */
	resolve_ok("naptr.test", 0, SS_SIP_TCP, false, &r);
	expect(&r, 1, tcp);
	dnst_stop();
}
END_TEST

START_TEST(srv_fallback_without_naptr)
{
	static const char *w[] = {"tcp 127.0.0.2:5074"};
	static const char *wtls[] = {"tls 127.0.0.2:5075"};
	dnst_result_t r;

	start_with_records("");
	/* fb.test has an A record too: the SRV wins */
	resolve_ok("fb.test", 0, 0, false, &r);
	expect(&r, 1, w);
	resolve_ok("tls.test", 0, 0, true, &r);
	expect(&r, 1, wtls);
	dnst_stop();
}
END_TEST

START_TEST(a_on_default_port_without_srv)
{
	static const char *w[] = {"udp 127.0.0.2:5060"};
	static const char *wtls[] = {"tls 127.0.0.2:5061"};
	static const char *wtcp[] = {"tcp 127.0.0.2:5060"};
	dnst_result_t r;

	start_with_records("");
	resolve_ok("a.test", 0, 0, false, &r);
	expect(&r, 1, w);
	resolve_ok("a.test", 0, 0, true, &r);
	expect(&r, 1, wtls);
	/* transport given but no SRV for it */
	resolve_ok("a.test", 0, SS_SIP_TCP, false, &r);
	expect(&r, 1, wtcp);
	/* a trailing dot is the same name */
	resolve_ok("a.test.", 0, 0, false, &r);
	expect(&r, 1, w);
	dnst_stop();
}
END_TEST

START_TEST(aaaa_and_family_order)
{
	static const char *v6[] = {"udp [::1]:5060"};
	static const char *v4first[] = {"udp 127.0.0.5:5060", "udp [::1]:5060"};
	static const char *v6first[] = {"udp [::1]:5060", "udp 127.0.0.5:5060"};
	static const char *v4only[] = {"udp 127.0.0.5:5060"};
	dnst_result_t r;

	start_with_records("");
	resolve_ok("v6.test", 0, 0, false, &r);
	expect(&r, 1, v6);
	resolve_ok("dual.test", 0, 0, false, &r);
	expect(&r, 2, v4first);
	dnst_stop();

	start_with_records("<lookup prefer_ipv6=\"yes\"/>");
	resolve_ok("dual.test", 0, 0, false, &r);
	expect(&r, 2, v6first);
	dnst_stop();

	start_with_records("<lookup ipv6=\"no\"/>");
	resolve_ok("dual.test", 0, 0, false, &r);
	expect(&r, 1, v4only);
	dnst_stop();
}
END_TEST

START_TEST(errors_reported)
{
	ss_dns_target_t t = dnst_target("nx.test", 0, 0, false);
	dnst_result_t r;

	start_with_records("");
	ck_assert_int_eq(dnst_resolve(0, &t, &r), 0);
	ck_assert_int_eq(r.status, -ENOENT);
	ck_assert_uint_eq(r.n, 0);
	/* SRV target "." : the service is not offered */
	t = dnst_target("none.test", 0, SS_SIP_UDP, false);
	ck_assert_int_eq(dnst_resolve(0, &t, &r), 0);
	ck_assert_int_eq(r.status, -ENOENT);
	/* refused synchronously: the callback is not called */
	t = dnst_target("", 0, 0, false);
	ck_assert_int_eq(dnst_resolve(0, &t, &r), -EINVAL);
	t = dnst_target("a.test", 0, SS_SIP_UDP, true);
	ck_assert_int_eq(dnst_resolve(0, &t, &r), -EINVAL);
	dnst_stop();
}
END_TEST

START_TEST(cache_answers_without_server)
{
	static const char *all[] = {"tcp 127.0.0.3:5072", "udp 127.0.0.4:5073"};
	ss_dns_target_t t = dnst_target("naptr.test", 0, 0, false);
	dnst_result_t r;

	start_with_records("");
	ck_assert_int_eq(dnst_resolve(0, &t, &r), 0);
	expect(&r, 2, all);
	dnst_dnsmasq_stop();
	/* every answer (NAPTR, both SRV, the A records) is cached; the
	 * other worker reads the same cache */
	ck_assert_int_eq(dnst_resolve(1, &t, &r), 0);
	expect(&r, 2, all);
	ck_assert(!r.in_resolve);
	ck_assert_uint_ge(atomic_load(&dns->cache.hits), 5);
	/* a name never asked is not: the server is gone */
	t = dnst_target("unknown.test", 0, 0, false);
	ck_assert_int_eq(dnst_resolve(0, &t, &r), 0);
	ck_assert_int_eq(r.status, -ETIMEDOUT);
	dnst_stop();
}
END_TEST

START_TEST(blocklist_moves_failed_last)
{
	const ss_dns_api_t *api;
	ss_dns_target_t t = dnst_target("srv.test", 0, SS_SIP_UDP, false);
	dnst_result_t r;
	ss_sip_dest_t first;
	unsigned i;

	start_with_records("<blocklist duration=\"60\"/>");
	api = ss_service_get(SS_DNS_SERVICE, SS_DNS_API_VERSION);
	ck_assert_ptr_eq(api, &dns_api);
	ck_assert_int_eq(dnst_resolve(0, &t, &r), 0);
	ck_assert_uint_eq(r.n, 3);
	first = r.dests[0];
	ck_assert(!api->is_blocked(&first));
	api->mark_failed(&first);
	ck_assert(api->is_blocked(&first));
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(dnst_resolve(0, &t, &r), 0);
		ck_assert_uint_eq(r.n, 3);
		ck_assert(dns_dest_equal(&r.dests[2], &first));
		/* the priority-20 target now comes second */
		ck_assert_str_eq(dnst_dest(&r, 1), "udp 127.0.0.3:5070");
	}
	/* the transport is part of the key */
	first.proto = SS_SIP_TCP;
	ck_assert(!api->is_blocked(&first));
	dnst_stop();
}
END_TEST

START_TEST(timeout_without_answer)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	ss_dns_target_t t = dnst_target("a.test", 0, 0, false);
	dnst_result_t r;
	char body[256];
	int hole;

	/* a bound socket nobody reads: queries vanish */
	hole = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(hole, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(hole, (struct sockaddr *)&a, &len), 0);
	snprintf(body, sizeof(body),
		 "<server address=\"127.0.0.1\" port=\"%u\"/>"
		 "<timeouts ms=\"50\" tries=\"2\"/>",
		 ntohs(a.sin_port));
	dnst_start(body);
	ck_assert_int_eq(dnst_resolve(0, &t, &r), 0);
	ck_assert_int_eq(r.status, -ETIMEDOUT);
	ck_assert_uint_ge(atomic_load(&dns->res[0]->st.timeouts), 1);
	dnst_stop();
	close(hole);

	/* a closed port refuses: reported the same way */
	snprintf(body, sizeof(body),
		 "<server address=\"127.0.0.1\" port=\"%u\"/>"
		 "<timeouts ms=\"50\" tries=\"1\"/>",
		 dnst_closed_port());
	dnst_start(body);
	ck_assert_int_eq(dnst_resolve(1, &t, &r), 0);
	ck_assert_int_eq(r.status, -ETIMEDOUT);
	dnst_stop();
}
END_TEST

/* ---- cancel ---- */

static int canceled_calls;
static dnst_result_t after_cancel;

static void never_cb(void *arg, int status, const ss_sip_dest_t *d, unsigned n)
{
	canceled_calls++;
}

static void noop(void *arg)
{
}

static void cancel_task(void *arg)
{
	ss_dns_target_t t = dnst_target("a.test", 0, 0, false);
	ss_dns_query_t *q = NULL;

	ck_assert_int_eq(dns_api.resolve(&t, never_cb, NULL, &q), 0);
	dns_api.cancel(q);
	/* a numeric target is cancelable too, before its delivery */
	t = dnst_target("192.0.2.7", 0, 0, false);
	ck_assert_int_eq(dns_api.resolve(&t, never_cb, NULL, &q), 0);
	dns_api.cancel(q);
}

START_TEST(cancel_suppresses_callback)
{
	ss_dns_target_t t = dnst_target("a.test", 0, 0, false);
	char body[256];
	int hole;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);

	hole = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(hole, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(hole, (struct sockaddr *)&a, &len), 0);
	snprintf(body, sizeof(body),
		 "<server address=\"127.0.0.1\" port=\"%u\"/>"
		 "<timeouts ms=\"50\" tries=\"1\"/>",
		 ntohs(a.sin_port));
	dnst_start(body);
	ck_assert_int_eq(ss_loop_post(ss_loop_worker(0), cancel_task, NULL), 0);
	/* a later query on the same worker times out after the canceled
	 * one did: by then its callback would have run */
	ck_assert_int_eq(dnst_resolve(0, &t, &after_cancel), 0);
	ck_assert_int_eq(after_cancel.status, -ETIMEDOUT);
	ck_assert_int_eq(canceled_calls, 0);
	ss_loop_run_on_workers(noop, NULL);
	ck_assert_ptr_null(dns->res[0]->queries);
	dnst_stop();
	close(hole);
}
END_TEST

/* Pending queries end with -ECANCELED when the module unloads. */
static int unload_status = 1;

static void unload_cb(void *arg, int status, const ss_sip_dest_t *d, unsigned n)
{
	unload_status = status;
}

static void pending_task(void *arg)
{
	ss_dns_target_t t = dnst_target("a.test", 0, 0, false);

	ck_assert_int_eq(dns_api.resolve(&t, unload_cb, NULL, NULL), 0);
}

START_TEST(unload_cancels_pending)
{
	char body[256];
	int hole;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);

	hole = socket(AF_INET, SOCK_DGRAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(hole, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(hole, (struct sockaddr *)&a, &len), 0);
	snprintf(body, sizeof(body),
		 "<server address=\"127.0.0.1\" port=\"%u\"/>"
		 "<timeouts ms=\"60000\" tries=\"1\"/>",
		 ntohs(a.sin_port));
	dnst_start(body);
	ck_assert_int_eq(ss_loop_post(ss_loop_worker(1), pending_task, NULL),
			 0);
	dnst_stop();
	ck_assert_int_eq(unload_status, -ECANCELED);
	close(hole);
}
END_TEST

/* ---- module: config, reload, console ---- */

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

static ss_cli_status_t run(ss_cli_t *cli, const char *line)
{
	outlen = 0;
	out[0] = '\0';
	return ss_cli_execute(cli, line);
}

START_TEST(console_commands)
{
	ss_cli_sink_t sink = {.write = sink_write};
	ss_cli_t *cli;

	start_with_records("");
	ck_assert_int_eq(ss_cli_register(NULL, dns_LTX_ss_module.commands), 0);
	cli = ss_cli_new(&sink);
	ck_assert_int_eq(run(cli, "dns resolve sip:alice@naptr.test"),
			 SS_CLI_OK);
	ck_assert_msg(strstr(out, " 1. tcp 127.0.0.3:5072\n") &&
			  strstr(out, " 2. udp 127.0.0.4:5073\n"),
		      "%s", out);
	ck_assert_int_eq(run(cli, "dns resolve sips:[::1]:5071"), SS_CLI_OK);
	ck_assert_msg(strstr(out, " 1. tls [::1]:5071\n"), "%s", out);
	ck_assert_int_eq(run(cli, "dns resolve sip:srv.test;transport=udp"),
			 SS_CLI_OK);
	ck_assert_msg(strstr(out, " 3. udp 127.0.0.3:5070\n"), "%s", out);
	ck_assert_int_eq(run(cli, "dns resolve nx.test"), SS_CLI_FAIL);
	ck_assert_msg(strstr(out, "nx.test: "), "%s", out);
	ck_assert_int_eq(run(cli, "dns resolve sip:a.test;transport=sctp"),
			 SS_CLI_USAGE);
	ck_assert_int_eq(run(cli, "dns resolve"), SS_CLI_USAGE);

	ck_assert_int_eq(run(cli, "dns show cache"), SS_CLI_OK);
	ck_assert_msg(strstr(out, "_sip._udp.srv.test") &&
			  strstr(out, "10 50 5080 a.test") &&
			  strstr(out, "naptr.test") && strstr(out, "NXDOMAIN"),
		      "%s", out);

	dns_api.mark_failed(
	    &(ss_sip_dest_t){.proto = SS_SIP_UDP,
			     .addr = {.sa = {.ss_family = AF_INET},
				      .len = sizeof(struct sockaddr_in)}});
	ck_assert_int_eq(run(cli, "dns show blocklist"), SS_CLI_OK);
	ck_assert_msg(strstr(out, "udp 0.0.0.0:0") &&
			  strstr(out, "1 blocked destination"),
		      "%s", out);
	ck_assert_int_eq(run(cli, "dns show stats"), SS_CLI_OK);
	ck_assert_msg(strstr(out, "timeouts"), "%s", out);
	ck_assert_int_eq(run(cli, "dns flush"), SS_CLI_OK);
	ck_assert_int_eq(run(cli, "dns show blocklist"), SS_CLI_OK);
	ck_assert_msg(strstr(out, "0 blocked destinations"), "%s", out);
	ck_assert_int_eq(run(cli, "dns show cache"), SS_CLI_OK);
	ck_assert_msg(strstr(out, "0 entries"), "%s", out);
	ss_cli_free(cli);
	dnst_stop();
}
END_TEST

START_TEST(load_rejects_bad_settings)
{
	static const char *bad[] = {
	    "<server address=\"dns.example.com\"/>",
	    "<cache min_ttl=\"100\" max_ttl=\"10\"/>",
	    "<lookup ipv4=\"no\" ipv6=\"no\"/>",
	};
	unsigned i;

	ck_assert_int_eq(ss_loops_start(1), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ss_cfg_t *cfg = dnst_cfg(bad[i]);

		ck_assert_int_eq(dns_LTX_ss_module.load(NULL, cfg),
				 SS_LOAD_FAIL);
		ck_assert_ptr_null(dns);
		ss_cfg_free(cfg);
	}
	ck_assert_ptr_null(ss_service_get(SS_DNS_SERVICE, 1));
	ss_loops_shutdown();
}
END_TEST

START_TEST(reload_switches_servers)
{
	static const char *w[] = {"udp 127.0.0.2:5060"};
	ss_dns_target_t t = dnst_target("a.test", 0, 0, false);
	dnst_result_t r;
	char body[256];
	ss_cfg_t *cfg;

	start_with_records("");
	resolve_ok("a.test", 0, 0, false, &r);
	expect(&r, 1, w);
	/* a bad file keeps the old settings */
	cfg = dnst_cfg("<server address=\"nowhere\"/>");
	ck_assert_int_eq(dns_LTX_ss_module.reload(NULL, cfg), -EINVAL);
	ss_cfg_free(cfg);
	ck_assert_uint_eq(dns->set.chan.servers[0].port, dns_port);
	/* no cache, and a server that refuses: the new channel is used */
	snprintf(body, sizeof(body),
		 "<server address=\"127.0.0.1\" port=\"%u\"/>"
		 "<timeouts ms=\"50\" tries=\"1\"/><cache max_entries=\"0\"/>",
		 dnst_closed_port());
	cfg = dnst_cfg(body);
	ck_assert_int_eq(dns_LTX_ss_module.reload(NULL, cfg), 0);
	ss_cfg_free(cfg);
	ck_assert_int_eq(dnst_resolve(0, &t, &r), 0);
	ck_assert_int_eq(r.status, -ETIMEDOUT);
	/* and back */
	snprintf(body, sizeof(body),
		 "<server address=\"127.0.0.1\" port=\"%u\"/>", dns_port);
	cfg = dnst_cfg(body);
	ck_assert_int_eq(dns_LTX_ss_module.reload(NULL, cfg), 0);
	ss_cfg_free(cfg);
	resolve_ok("a.test", 0, 0, false, &r);
	expect(&r, 1, w);
	dnst_stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("rfc3263");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, numeric_hosts);
	tcase_add_test(tc, port_given_asks_addresses_only);
	tcase_add_test(tc, srv_priority_then_weight);
	tcase_add_test(tc, naptr_srv_addresses);
	tcase_add_test(tc, srv_fallback_without_naptr);
	tcase_add_test(tc, a_on_default_port_without_srv);
	tcase_add_test(tc, aaaa_and_family_order);
	tcase_add_test(tc, errors_reported);
	tcase_add_test(tc, cache_answers_without_server);
	tcase_add_test(tc, blocklist_moves_failed_last);
	tcase_add_test(tc, timeout_without_answer);
	tcase_add_test(tc, cancel_suppresses_callback);
	tcase_add_test(tc, unload_cancels_pending);
	tcase_add_test(tc, console_commands);
	tcase_add_test(tc, load_rejects_bad_settings);
	tcase_add_test(tc, reload_switches_servers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
