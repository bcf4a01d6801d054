/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the rtp_relay tests: the core loops and the relay
 * started from plain settings, calls run on a chosen loop and waited for,
 * RTP packets and blocking UDP peer sockets on 127.0.0.1 with timeouts.
 */
#ifndef SS_TEST_RTP_TEST_H
#define SS_TEST_RTP_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp_int.h"

#define RTPT_TIMEOUT_MS 5000

/* Settings for a range of npairs port pairs that all bind right now. */
void rtpt_settings(rtp_settings_t *set, unsigned npairs);
/* Log, loops (2 workers) and rtp_start(set); fails the test on error.
 * rtpt_stop undoes it and checks that every port went back. */
void rtpt_start(const rtp_settings_t *set);
void rtpt_stop(void);

/* Runs fn(arg) on loop and waits for it to return. */
void rtpt_run_on(ss_loop_t *loop, void (*fn)(void *arg), void *arg);
/* Returns once everything posted to loop before the call has run. */
void rtpt_sync(ss_loop_t *loop);

/* The service calls, run on loop (alloc) or on the session's loop. */
int rtpt_alloc(ss_loop_t *loop, const ss_rtp_params_t *p,
	       ss_rtp_session_t **out);
void rtpt_stats(ss_rtp_session_t *s, ss_rtp_stats_t *st);
int rtpt_set_peer(ss_rtp_session_t *s, ss_rtp_side_t side,
		  const ss_rtp_peer_t *peer);
void rtpt_free_on_loop(ss_rtp_session_t *s);
unsigned rtpt_ports_free(void);

/* A UDP socket bound to ip:0 (ip NULL: 127.0.0.1) with receive timeouts,
 * and its address. */
int rtpt_socket(const char *ip, rtp_addr_t *addr);
/* A peer for the params: the address of a socket, RTCP on rtcp_port. */
ss_rtp_peer_t rtpt_peer(const rtp_addr_t *a, uint16_t rtcp_port);
/* The relay's address for a side's RTP (or RTCP) port. */
void rtpt_relay_addr(ss_rtp_session_t *s, ss_rtp_side_t side, bool rtcp,
		     rtp_addr_t *out);

/* Writes an RTP packet (V=2, PT 0) of len bytes (>= 12) into buf. */
void rtpt_rtp(unsigned char *buf, size_t len, uint16_t seq, uint32_t ssrc);
void rtpt_send(int fd, const void *buf, size_t len, const rtp_addr_t *to);
/* Receives one datagram; returns its length (-1 on timeout) and where it
 * came from. */
long rtpt_recv(int fd, void *buf, size_t size, rtp_addr_t *from);
bool rtpt_same_addr(const rtp_addr_t *a, const rtp_addr_t *b);
uint16_t rtpt_port(const rtp_addr_t *a);

#endif
