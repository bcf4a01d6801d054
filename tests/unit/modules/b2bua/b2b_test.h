/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the b2bua module's tests: a fake `rtp_relay` service that
 * records sessions and peers and can be told to fail, and building SIP
 * messages with an SDP body for the rewrite tests.
 */
#ifndef SS_TEST_B2B_TEST_H
#define SS_TEST_B2B_TEST_H

#include <stdbool.h>

#include "b2b_int.h"

#define FR_MAX 64

/* One fake relay session. */
typedef struct fr_session {
	bool live;
	uint16_t port[2]; /* local RTP port per side */
	bool peer_set[2];
	struct sockaddr_storage peer[2];
	uint16_t rtcp[2];
	ss_rtp_end_fn end;
	void *arg;
} fr_session_t;

typedef struct fr_state {
	fr_session_t s[FR_MAX];
	unsigned allocs, frees;
	int fail;   /* alloc returns it when not 0 */
	int family; /* the relay's: AF_INET unless set */
} fr_state_t;

extern fr_state_t fr;
extern const ss_rtp_relay_api_t fr_api;

/* Zeroes the fake relay (AF_INET, nothing allocated). */
void fr_reset(void);
/* Sessions allocated and not freed. */
unsigned fr_live(void);
/* Live session i's index of its peer port on side (network order). */
uint16_t fr_peer_port(unsigned i, ss_rtp_side_t side);

/* "INVITE ... Content-Type: application/sdp" with body sdp, parsed into
 * msg (initialized by the caller). The text must outlive msg's use. */
char *bt_sdp_msg(ss_sip_msg_t *msg, const char *sdp);

#endif
