/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the transport module's tests: the core loops and the
 * module started from plain settings, a "sip.raw.in" subscriber that keeps
 * copies of what it sees, and blocking client sockets with timeouts.
 */
#ifndef SS_TEST_TP_TEST_H
#define SS_TEST_TP_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport_int.h"

#define TPT_TIMEOUT_MS 5000
#define TPT_MAX_PKTS   64

typedef struct tpt_pkt {
	char *buf; /* copy, NUL-terminated */
	size_t len;
	bool nul_ok; /* the published buffer had a NUL after len */
	ss_sip_proto_t proto;
	ss_sip_addr_t src, local;
	uint64_t conn_id;
	unsigned loop_index; /* worker that published it */
} tpt_pkt_t;

/* When set, the subscriber sends this reply back to each message's source
 * (over its connection) from the worker that published it. */
extern const char *tpt_echo_reply;
extern int tpt_echo_result;

/* Default settings: limits as the config defaults, no listener. */
void tpt_settings(tp_settings_t *set);
void tpt_add_listen(tp_settings_t *set, ss_sip_proto_t proto, const char *addr);
/* Loops (2 workers), subscriber, then tp_start(set); fails the test on
 * error. tpt_stop undoes it and checks that no connection is left. */
void tpt_start(const tp_settings_t *set);
void tpt_stop(void);

/* Waits until n packets were received; false on timeout. */
bool tpt_wait_pkts(unsigned n);
tpt_pkt_t *tpt_pkt(unsigned i);
unsigned tpt_pkt_count(void);
/* Waits until the table holds n connections; false on timeout. */
bool tpt_wait_conns(unsigned n);

/* The bound address of listener i. */
const ss_sip_addr_t *tpt_listener_addr(unsigned i);
/* Blocking client sockets with TPT_TIMEOUT_MS receive timeouts. */
int tpt_udp_client(int family);
int tpt_tcp_connect(const ss_sip_addr_t *to);
void tpt_send_all(int fd, const void *buf, size_t len);
/* Reads exactly len bytes; false on timeout or close. */
bool tpt_recv_exact(int fd, char *buf, size_t len);
/* True when the peer closes (read returns 0 or a reset) in time. */
bool tpt_wait_closed(int fd);
/* The local address of a socket. */
void tpt_sockname(int fd, ss_sip_addr_t *a);
bool tpt_same_addr(const ss_sip_addr_t *a, const ss_sip_addr_t *b);

/* Sum of a counter over the loops for listener li. */
uint64_t tpt_stat(unsigned li, size_t offset);
#define TPT_STAT(li, field) tpt_stat(li, offsetof(tp_stats_t, field))

#endif
