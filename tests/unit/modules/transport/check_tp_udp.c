/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UDP transport: datagrams in with their true addresses, keepalives and
 * oversize datagrams dropped, sending back from the service, IPv6.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tp_test.h"

static const char options[] =
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
    "Content-Length: 0\r\n\r\n";

static void send_to(int fd, const void *buf, size_t len,
		    const ss_sip_addr_t *to)
{
	ck_assert_int_eq(
	    sendto(fd, buf, len, 0, (const struct sockaddr *)&to->sa, to->len),
	    (ssize_t)len);
}

/* One family end to end: receive with addresses, then reply. */
static void udp_roundtrip(int family, const char *addr)
{
	tp_settings_t set;
	ss_sip_addr_t client;
	ss_sip_dest_t dst = {.proto = SS_SIP_UDP};
	const ss_sip_listener_info_t *info;
	char reply[64];
	int fd;

	tpt_settings(&set);
	tpt_add_listen(&set, SS_SIP_UDP, addr);
	tpt_start(&set);
	info = tp_api.listener_for(SS_SIP_UDP, family);
	ck_assert_ptr_nonnull(info);
	ck_assert_uint_ne(info->port, 0);
	ck_assert_ptr_eq(tp_api.listener_at(0), info);
	ck_assert_ptr_null(tp_api.listener_at(1));

	fd = tpt_udp_client(family);
	send_to(fd, options, strlen(options), &info->addr);
	ck_assert(tpt_wait_pkts(1));
	tpt_sockname(fd, &client);

	tpt_pkt_t *p = tpt_pkt(0);
	ck_assert_str_eq(p->buf, options);
	ck_assert_uint_eq(p->len, strlen(options));
	ck_assert(p->nul_ok);
	ck_assert_int_eq(p->proto, SS_SIP_UDP);
	ck_assert_uint_eq(p->conn_id, 0);
	ck_assert(tpt_same_addr(&p->local, &info->addr));
	/* the client socket is unbound-wildcard; its port is what counts
	 * and the source IP must be the loopback it sent from */
	ck_assert_int_eq(p->src.sa.ss_family, family);
	if (family == AF_INET)
		ck_assert_uint_eq(((struct sockaddr_in *)&p->src.sa)->sin_port,
				  ((struct sockaddr_in *)&client.sa)->sin_port);
	else
		ck_assert_uint_eq(
		    ((struct sockaddr_in6 *)&p->src.sa)->sin6_port,
		    ((struct sockaddr_in6 *)&client.sa)->sin6_port);

	dst.addr = p->src;
	ck_assert_int_eq(tp_api.send(&dst, "SIP/2.0 200 OK\r\n\r\n", 18), 0);
	ck_assert_int_eq(recv(fd, reply, sizeof(reply), 0), 18);
	ck_assert_int_eq(memcmp(reply, "SIP/2.0 200 OK\r\n\r\n", 18), 0);
	ck_assert_uint_eq(TPT_STAT(0, msgs_in), 1);
	close(fd);
	tpt_stop();
}

START_TEST(udp_ipv4)
{
	udp_roundtrip(AF_INET, "127.0.0.1");
}
END_TEST

START_TEST(udp_ipv6)
{
	udp_roundtrip(AF_INET6, "::1");
}
END_TEST

/* Keepalives and oversize datagrams go before the message from the same
 * socket: SO_REUSEPORT keeps one flow on one worker, so arrival order
 * holds and the message must be the first thing published. */
START_TEST(udp_drops)
{
	tp_settings_t set;
	static char big[2100];
	int fd;

	tpt_settings(&set);
	set.lim.max_message = 2048;
	tpt_add_listen(&set, SS_SIP_UDP, "127.0.0.1");
	tpt_start(&set);
	fd = tpt_udp_client(AF_INET);
	memset(big, 'A', sizeof(big));
	send_to(fd, "\r\n\r\n", 4, tpt_listener_addr(0));
	send_to(fd, "", 0, tpt_listener_addr(0));
	send_to(fd, big, sizeof(big), tpt_listener_addr(0));
	send_to(fd, big, 2049, tpt_listener_addr(0));
	send_to(fd, big, 2048, tpt_listener_addr(0));
	send_to(fd, options, strlen(options), tpt_listener_addr(0));
	ck_assert(tpt_wait_pkts(2));
	ck_assert_uint_eq(tpt_pkt(0)->len, 2048);
	ck_assert_str_eq(tpt_pkt(1)->buf, options);
	ck_assert_uint_eq(TPT_STAT(0, dropped), 4);
	ck_assert_uint_eq(TPT_STAT(0, msgs_in), 2);
	close(fd);
	tpt_stop();
}
END_TEST

/* Many datagrams from many sources cross both workers' sockets and each
 * arrives once. */
START_TEST(udp_many_sources)
{
	enum { N = 40 };
	tp_settings_t set;
	int fds[N];
	unsigned i, seen[2] = {0, 0};

	tpt_settings(&set);
	set.lim.udp_batch = 4;
	tpt_add_listen(&set, SS_SIP_UDP, "127.0.0.1");
	tpt_start(&set);
	for (i = 0; i < N; i++) {
		fds[i] = tpt_udp_client(AF_INET);
		send_to(fds[i], options, strlen(options), tpt_listener_addr(0));
	}
	ck_assert(tpt_wait_pkts(N));
	for (i = 0; i < N; i++) {
		ck_assert_str_eq(tpt_pkt(i)->buf, options);
		seen[tpt_pkt(i)->loop_index]++;
		close(fds[i]);
	}
	ck_assert_uint_eq(seen[0] + seen[1], N);
	ck_assert_uint_gt(seen[0], 0);
	ck_assert_uint_gt(seen[1], 0);
	ck_assert_uint_eq(tpt_pkt_count(), N);
	tpt_stop();
}
END_TEST

START_TEST(udp_no_listener_family)
{
	tp_settings_t set;
	ss_sip_dest_t dst = {.proto = SS_SIP_UDP};

	tpt_settings(&set);
	tpt_add_listen(&set, SS_SIP_UDP, "127.0.0.1");
	tpt_start(&set);
	dst.addr.sa.ss_family = AF_INET6;
	dst.addr.len = sizeof(struct sockaddr_in6);
	ck_assert_int_eq(tp_api.send(&dst, "x", 1), -EAFNOSUPPORT);
	ck_assert_ptr_null(tp_api.listener_for(SS_SIP_UDP, AF_INET6));
	ck_assert_ptr_null(tp_api.listener_for(SS_SIP_TCP, AF_INET));
	tpt_stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tp_udp");
	TCase *tc = tcase_create("udp");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, udp_ipv4);
	tcase_add_test(tc, udp_ipv6);
	tcase_add_test(tc, udp_drops);
	tcase_add_test(tc, udp_many_sources);
	tcase_add_test(tc, udp_no_listener_family);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
