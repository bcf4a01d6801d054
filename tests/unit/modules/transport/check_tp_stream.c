/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCP transport: framing across and within writes, malformed and oversize
 * streams, keepalives, replies by connection id (same loop and posted),
 * outgoing connections with reuse, and the connection limits.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tp_test.h"

static const char invite[] = "INVITE sip:bob@example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK2\r\n"
			     "content-LENGTH :  5\r\n\r\n"
			     "v=0\r\n";
static const char bye[] = "BYE sip:bob@example.com SIP/2.0\r\n"
			  "l: 0\r\n\r\n";
static const char ok[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";

static int start_tcp(tp_settings_t *set)
{
	tpt_add_listen(set, SS_SIP_TCP, "127.0.0.1");
	tpt_start(set);
	return tpt_tcp_connect(tpt_listener_addr(0));
}

START_TEST(tcp_two_in_one_write)
{
	tp_settings_t set;
	char both[sizeof(invite) + sizeof(bye)];
	ss_sip_addr_t client;
	int fd;

	tpt_settings(&set);
	fd = start_tcp(&set);
	snprintf(both, sizeof(both), "%s%s", invite, bye);
	tpt_send_all(fd, both, strlen(both));
	ck_assert(tpt_wait_pkts(2));
	ck_assert_str_eq(tpt_pkt(0)->buf, invite);
	ck_assert_str_eq(tpt_pkt(1)->buf, bye);
	ck_assert(tpt_pkt(0)->nul_ok);
	ck_assert(tpt_pkt(1)->nul_ok);
	ck_assert_int_eq(tpt_pkt(0)->proto, SS_SIP_TCP);
	ck_assert_uint_ne(tpt_pkt(0)->conn_id, 0);
	ck_assert_uint_eq(tpt_pkt(0)->conn_id, tpt_pkt(1)->conn_id);
	tpt_sockname(fd, &client);
	ck_assert(tpt_same_addr(&tpt_pkt(0)->src, &client));
	ck_assert(tpt_same_addr(&tpt_pkt(0)->local, tpt_listener_addr(0)));
	close(fd);
	ck_assert(tpt_wait_conns(0));
	tpt_stop();
}
END_TEST

START_TEST(tcp_split_writes)
{
	tp_settings_t set;
	size_t i;
	int fd;

	tpt_settings(&set);
	fd = start_tcp(&set);
	/* a keepalive CRLF first, then the message a byte at a time */
	tpt_send_all(fd, "\r\n", 2);
	for (i = 0; i < strlen(invite); i++)
		tpt_send_all(fd, invite + i, 1);
	tpt_send_all(fd, bye, strlen(bye));
	ck_assert(tpt_wait_pkts(2));
	ck_assert_str_eq(tpt_pkt(0)->buf, invite);
	ck_assert_str_eq(tpt_pkt(1)->buf, bye);
	close(fd);
	tpt_stop();
}
END_TEST

START_TEST(tcp_missing_content_length)
{
	tp_settings_t set;
	static const char bad[] = "OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n";
	int fd;

	tpt_settings(&set);
	fd = start_tcp(&set);
	tpt_send_all(fd, bad, strlen(bad));
	ck_assert(tpt_wait_closed(fd));
	ck_assert_uint_eq(tpt_pkt_count(), 0);
	close(fd);
	ck_assert(tpt_wait_conns(0));
	tpt_stop();
}
END_TEST

START_TEST(tcp_oversize_body)
{
	tp_settings_t set;
	static const char big[] = "MESSAGE sip:a@b SIP/2.0\r\n"
				  "Content-Length: 5000\r\n\r\n";
	int fd;

	tpt_settings(&set);
	set.lim.max_message = 2048;
	fd = start_tcp(&set);
	tpt_send_all(fd, big, strlen(big));
	ck_assert(tpt_wait_closed(fd));
	ck_assert_uint_eq(tpt_pkt_count(), 0);
	close(fd);
	tpt_stop();
}
END_TEST

START_TEST(tcp_oversize_headers)
{
	tp_settings_t set;
	static char hdr[3000];
	int fd;

	tpt_settings(&set);
	set.lim.max_message = 2048;
	fd = start_tcp(&set);
	memset(hdr, 'X', sizeof(hdr));
	memcpy(hdr, "MESSAGE sip:a@b SIP/2.0\r\nSubject: ", 34);
	tpt_send_all(fd, hdr, sizeof(hdr));
	ck_assert(tpt_wait_closed(fd));
	ck_assert_uint_eq(tpt_pkt_count(), 0);
	close(fd);
	tpt_stop();
}
END_TEST

START_TEST(tcp_keepalive_ping)
{
	tp_settings_t set;
	char pong[2];
	int fd;

	tpt_settings(&set);
	fd = start_tcp(&set);
	tpt_send_all(fd, "\r\n\r\n", 4);
	ck_assert(tpt_recv_exact(fd, pong, 2));
	ck_assert_int_eq(memcmp(pong, "\r\n", 2), 0);
	/* a ping split over two writes is still a ping */
	tpt_send_all(fd, "\r\n", 2);
	tpt_send_all(fd, "\r\n", 2);
	ck_assert(tpt_recv_exact(fd, pong, 2));
	ck_assert_int_eq(memcmp(pong, "\r\n", 2), 0);
	tpt_send_all(fd, bye, strlen(bye));
	ck_assert(tpt_wait_pkts(1));
	ck_assert_str_eq(tpt_pkt(0)->buf, bye);
	close(fd);
	tpt_stop();
}
END_TEST

/* From the control thread the send is posted to the owner loop; from the
 * subscriber it is written on the loop that read the request. */
START_TEST(tcp_reply_by_conn_id)
{
	tp_settings_t set;
	ss_sip_dest_t dst = {.proto = SS_SIP_TCP};
	char buf[sizeof(ok)];
	int fd;

	tpt_settings(&set);
	fd = start_tcp(&set);
	tpt_send_all(fd, invite, strlen(invite));
	ck_assert(tpt_wait_pkts(1));
	dst.conn_id = tpt_pkt(0)->conn_id;
	ck_assert_int_eq(tp_api.send(&dst, ok, strlen(ok)), 0);
	ck_assert(tpt_recv_exact(fd, buf, strlen(ok)));
	ck_assert_int_eq(memcmp(buf, ok, strlen(ok)), 0);

	tpt_echo_reply = ok;
	tpt_send_all(fd, bye, strlen(bye));
	ck_assert(tpt_wait_pkts(2));
	ck_assert_int_eq(tpt_echo_result, 0);
	ck_assert(tpt_recv_exact(fd, buf, strlen(ok)));
	ck_assert_int_eq(memcmp(buf, ok, strlen(ok)), 0);
	tpt_echo_reply = NULL;

	close(fd);
	ck_assert(tpt_wait_conns(0));
	ck_assert_int_eq(tp_api.send(&dst, ok, strlen(ok)), -ENOTCONN);
	tpt_stop();
}
END_TEST

/* No connection to the destination: one is opened (the data waits for
 * the connect), the peer's answer comes back on it, and the next send to
 * the same address reuses it. */
START_TEST(tcp_outgoing_reuse)
{
	tp_settings_t set;
	ss_sip_dest_t dst = {.proto = SS_SIP_TCP};
	char buf[sizeof(invite)];
	int lfd, pfd;

	tpt_settings(&set);
	tpt_add_listen(&set, SS_SIP_TCP, "127.0.0.1");
	tpt_start(&set);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	dst.addr.len = sizeof(struct sockaddr_in);
	dst.addr.sa.ss_family = AF_INET;
	((struct sockaddr_in *)&dst.addr.sa)->sin_addr.s_addr =
	    htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(
	    bind(lfd, (struct sockaddr *)&dst.addr.sa, dst.addr.len), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	tpt_sockname(lfd, &dst.addr);

	ck_assert_int_eq(tp_api.send(&dst, invite, strlen(invite)), 0);
	pfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(pfd, 0);
	struct timeval tv = {.tv_sec = TPT_TIMEOUT_MS / 1000};
	setsockopt(pfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert(tpt_recv_exact(pfd, buf, strlen(invite)));
	ck_assert_int_eq(memcmp(buf, invite, strlen(invite)), 0);

	tpt_send_all(pfd, ok, strlen(ok));
	ck_assert(tpt_wait_pkts(1));
	ck_assert_str_eq(tpt_pkt(0)->buf, ok);
	ck_assert(tpt_same_addr(&tpt_pkt(0)->src, &dst.addr));

	ck_assert_int_eq(tp_api.send(&dst, bye, strlen(bye)), 0);
	ck_assert(tpt_recv_exact(pfd, buf, strlen(bye)));
	ck_assert_int_eq(memcmp(buf, bye, strlen(bye)), 0);
	ck_assert_uint_eq(tp_table_count(&tp->table), 1);
	close(pfd);
	close(lfd);
	tpt_stop();
}
END_TEST

START_TEST(tcp_connect_refused)
{
	tp_settings_t set;
	ss_sip_dest_t dst = {.proto = SS_SIP_TCP};
	int fd;

	tpt_settings(&set);
	tpt_add_listen(&set, SS_SIP_TCP, "127.0.0.1");
	tpt_start(&set);
	/* a port that was just free: nothing listens there */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	dst.addr.len = sizeof(struct sockaddr_in);
	dst.addr.sa.ss_family = AF_INET;
	((struct sockaddr_in *)&dst.addr.sa)->sin_addr.s_addr =
	    htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(
	    bind(fd, (struct sockaddr *)&dst.addr.sa, dst.addr.len), 0);
	tpt_sockname(fd, &dst.addr);
	close(fd);
	ck_assert_int_eq(tp_api.send(&dst, bye, strlen(bye)), 0);
	ck_assert(tpt_wait_conns(0));
	dst.addr.len = 0;
	ck_assert_int_eq(tp_api.send(&dst, bye, strlen(bye)), -ENOTCONN);
	tpt_stop();
}
END_TEST

START_TEST(tcp_per_source_limit)
{
	tp_settings_t set;
	int a, b, c;

	tpt_settings(&set);
	set.lim.max_per_source = 2;
	tpt_add_listen(&set, SS_SIP_TCP, "127.0.0.1");
	tpt_start(&set);
	a = tpt_tcp_connect(tpt_listener_addr(0));
	b = tpt_tcp_connect(tpt_listener_addr(0));
	tpt_send_all(a, bye, strlen(bye));
	tpt_send_all(b, bye, strlen(bye));
	ck_assert(tpt_wait_pkts(2));
	c = tpt_tcp_connect(tpt_listener_addr(0));
	ck_assert(tpt_wait_closed(c));
	ck_assert_uint_eq(TPT_STAT(0, refused), 1);
	ck_assert_uint_eq(tp_table_count(&tp->table), 2);
	/* a freed slot is usable again */
	close(a);
	ck_assert(tpt_wait_conns(1));
	close(c);
	c = tpt_tcp_connect(tpt_listener_addr(0));
	tpt_send_all(c, bye, strlen(bye));
	ck_assert(tpt_wait_pkts(3));
	close(b);
	close(c);
	tpt_stop();
}
END_TEST

START_TEST(tcp_max_connections)
{
	tp_settings_t set;
	int a, b;

	tpt_settings(&set);
	set.lim.max_connections = 1;
	tpt_add_listen(&set, SS_SIP_TCP, "127.0.0.1");
	tpt_start(&set);
	a = tpt_tcp_connect(tpt_listener_addr(0));
	tpt_send_all(a, bye, strlen(bye));
	ck_assert(tpt_wait_pkts(1));
	b = tpt_tcp_connect(tpt_listener_addr(0));
	ck_assert(tpt_wait_closed(b));
	ck_assert_uint_eq(TPT_STAT(0, refused), 1);
	close(a);
	close(b);
	tpt_stop();
}
END_TEST

START_TEST(tcp_idle_timeout)
{
	tp_settings_t set;
	int fd;

	tpt_settings(&set);
	set.lim.idle_ms = 100;
	fd = start_tcp(&set);
	tpt_send_all(fd, bye, strlen(bye));
	ck_assert(tpt_wait_pkts(1));
	ck_assert(tpt_wait_closed(fd));
	ck_assert(tpt_wait_conns(0));
	close(fd);
	tpt_stop();
}
END_TEST

/* Unloading with open connections in both directions closes them all. */
START_TEST(tcp_stop_with_connections)
{
	tp_settings_t set;
	int fds[6];
	unsigned i;

	tpt_settings(&set);
	tpt_add_listen(&set, SS_SIP_TCP, "127.0.0.1");
	tpt_add_listen(&set, SS_SIP_TCP, "::1");
	tpt_start(&set);
	for (i = 0; i < 6; i++) {
		fds[i] = tpt_tcp_connect(tpt_listener_addr(i % 2));
		tpt_send_all(fds[i], invite, strlen(invite));
	}
	ck_assert(tpt_wait_pkts(6));
	ck_assert_uint_eq(tp_table_count(&tp->table), 6);
	tpt_stop();
	for (i = 0; i < 6; i++) {
		ck_assert(tpt_wait_closed(fds[i]));
		close(fds[i]);
	}
}
END_TEST

/* A client with a small receive window that reads late: sends queue on
 * the connection and go out in order once it reads. */
static int slow_client(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int small = 4096;
	const ss_sip_addr_t *to = tpt_listener_addr(0);
	struct timeval tv = {.tv_sec = TPT_TIMEOUT_MS / 1000};

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(connect(fd, (const struct sockaddr *)&to->sa, to->len),
			 0);
	return fd;
}

static size_t fill_message(char *m, size_t body, unsigned seq)
{
	int h =
	    sprintf(m, "MESSAGE sip:%u@b SIP/2.0\r\nl: %zu\r\n\r\n", seq, body);

	memset(m + h, 'a' + (int)(seq % 26), body);
	return (size_t)h + body;
}

START_TEST(tcp_write_queue)
{
	enum { N = 200, BODY = 30000 };
	tp_settings_t set;
	ss_sip_dest_t dst = {.proto = SS_SIP_TCP};
	static char m[BODY + 128], got[BODY + 128];
	unsigned i;
	size_t n;
	int fd;

	tpt_settings(&set);
	set.lim.max_buffer = 4 << 20;
	tpt_add_listen(&set, SS_SIP_TCP, "127.0.0.1");
	tpt_start(&set);
	fd = slow_client();
	tpt_send_all(fd, bye, strlen(bye));
	ck_assert(tpt_wait_pkts(1));
	dst.conn_id = tpt_pkt(0)->conn_id;
	for (i = 0; i < N; i++) {
		n = fill_message(m, BODY, i);
		ck_assert_int_eq(tp_api.send(&dst, m, n), 0);
	}
	for (i = 0; i < N; i++) {
		n = fill_message(m, BODY, i);
		ck_assert(tpt_recv_exact(fd, got, n));
		ck_assert_int_eq(memcmp(got, m, n), 0);
	}
	close(fd);
	tpt_stop();
}
END_TEST

/* More than max_buffer waiting for a reader that never reads closes the
 * connection instead of growing without bound. */
START_TEST(tcp_write_queue_limit)
{
	enum { N = 100, BODY = 60000 };
	tp_settings_t set;
	ss_sip_dest_t dst = {.proto = SS_SIP_TCP};
	static char m[BODY + 128];
	unsigned i;
	size_t n;
	int fd;

	tpt_settings(&set);
	set.lim.max_buffer = 131072;
	tpt_add_listen(&set, SS_SIP_TCP, "127.0.0.1");
	tpt_start(&set);
	fd = slow_client();
	tpt_send_all(fd, bye, strlen(bye));
	ck_assert(tpt_wait_pkts(1));
	dst.conn_id = tpt_pkt(0)->conn_id;
	for (i = 0; i < N; i++) {
		n = fill_message(m, BODY, i);
		tp_api.send(&dst, m, n);
	}
	ck_assert(tpt_wait_conns(0));
	close(fd);
	tpt_stop();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tp_stream");
	TCase *tc = tcase_create("tcp");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, tcp_two_in_one_write);
	tcase_add_test(tc, tcp_split_writes);
	tcase_add_test(tc, tcp_missing_content_length);
	tcase_add_test(tc, tcp_oversize_body);
	tcase_add_test(tc, tcp_oversize_headers);
	tcase_add_test(tc, tcp_keepalive_ping);
	tcase_add_test(tc, tcp_reply_by_conn_id);
	tcase_add_test(tc, tcp_outgoing_reuse);
	tcase_add_test(tc, tcp_connect_refused);
	tcase_add_test(tc, tcp_per_source_limit);
	tcase_add_test(tc, tcp_max_connections);
	tcase_add_test(tc, tcp_idle_timeout);
	tcase_add_test(tc, tcp_stop_with_connections);
	tcase_add_test(tc, tcp_write_queue);
	tcase_add_test(tc, tcp_write_queue_limit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
