/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the b2bua module's tests (see b2b_test.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b2b_test.h"

fr_state_t fr;

static int fr_alloc(const ss_rtp_params_t *p, ss_rtp_session_t **out)
{
	unsigned i;

	if (fr.fail)
		return fr.fail;
	for (int side = 0; side < 2; side++)
		if (p->peer[side].addr &&
		    p->peer[side].addr->sa_family != fr.family)
			return -EAFNOSUPPORT;
	for (i = 0; i < FR_MAX && fr.s[i].live; i++)
		;
	if (i == FR_MAX)
		return -ENOSPC;
	memset(&fr.s[i], 0, sizeof(fr.s[i]));
	fr.s[i].live = true;
	fr.s[i].port[0] = (uint16_t)(40000 + 4 * i);
	fr.s[i].port[1] = (uint16_t)(40002 + 4 * i);
	fr.s[i].end = p->end;
	fr.s[i].arg = p->arg;
	for (int side = 0; side < 2; side++)
		if (p->peer[side].addr) {
			memcpy(&fr.s[i].peer[side], p->peer[side].addr,
			       p->peer[side].len);
			fr.s[i].peer_set[side] = true;
			fr.s[i].rtcp[side] = p->peer[side].rtcp_port;
		}
	fr.allocs++;
	*out = (ss_rtp_session_t *)&fr.s[i];
	return 0;
}

static int fr_set_peer(ss_rtp_session_t *s, ss_rtp_side_t side,
		       const ss_rtp_peer_t *peer)
{
	fr_session_t *f = (fr_session_t *)s;

	if (peer->addr->sa_family != fr.family)
		return -EAFNOSUPPORT;
	memcpy(&f->peer[side], peer->addr, peer->len);
	f->peer_set[side] = true;
	f->rtcp[side] = peer->rtcp_port;
	return 0;
}

static void fr_local(const ss_rtp_session_t *s, ss_rtp_side_t side,
		     ss_rtp_local_t *out)
{
	const fr_session_t *f = (const fr_session_t *)s;

	out->host = fr.family == AF_INET6 ? "2001:db8::128" : "192.0.2.128";
	out->family = fr.family;
	out->rtp_port = f->port[side];
	out->rtcp_port = (uint16_t)(f->port[side] + 1);
}

static void fr_stats(const ss_rtp_session_t *s, ss_rtp_stats_t *out)
{
	(void)s;
	memset(out, 0, sizeof(*out));
}

static ss_loop_t *fr_loop(const ss_rtp_session_t *s)
{
	(void)s;
	return ss_loop_current();
}

static void fr_free(ss_rtp_session_t *s)
{
	fr_session_t *f = (fr_session_t *)s;

	if (!f)
		return;
	ck_assert(f->live);
	f->live = false;
	fr.frees++;
}

const ss_rtp_relay_api_t fr_api = {
    .version = SS_RTP_RELAY_API_VERSION,
    .alloc = fr_alloc,
    .set_peer = fr_set_peer,
    .local = fr_local,
    .stats = fr_stats,
    .loop = fr_loop,
    .free = fr_free,
};

void fr_reset(void)
{
	memset(&fr, 0, sizeof(fr));
	fr.family = AF_INET;
}

unsigned fr_live(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FR_MAX; i++)
		n += fr.s[i].live;
	return n;
}

uint16_t fr_peer_port(unsigned i, ss_rtp_side_t side)
{
	const struct sockaddr_in *sin =
	    (const struct sockaddr_in *)&fr.s[i].peer[side];

	return ntohs(sin->sin_port);
}

char *bt_sdp_msg(ss_sip_msg_t *msg, const char *sdp)
{
	char *text = NULL;
	ss_sip_error_t err;
	int n;

	n = asprintf(&text,
		     "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 192.0.2.101:5060;branch=z9hG4bK74bf9\r\n"
		     "From: <sip:alice@atlanta.example.com>;tag=1\r\n"
		     "To: <sip:bob@biloxi.example.com>\r\n"
		     "Call-ID: c1\r\nCSeq: 1 INVITE\r\n"
		     "Content-Type: application/sdp\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     strlen(sdp), sdp);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(ss_sip_msg_parse(msg, text, (size_t)n, &err), 0);
	return text;
}
