/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SDP (RFC 4566) as the SIP stack needs it: origin, connection, media lines
 * and attributes, parsed on demand from a message body. Every element keeps
 * the slice of its whole line so a B2BUA can rebuild the body around the
 * parts it rewrites.
 */
#ifndef SIPSERVER_SIP_SDP_H
#define SIPSERVER_SIP_SDP_H

#include <stdint.h>
#include <sipserver/sip/str.h>

typedef struct ss_sdp_attr {
	ss_str_t line;	/* "a=rtpmap:0 PCMU/8000" without CRLF */
	ss_str_t name;	/* "rtpmap" */
	ss_str_t value; /* "0 PCMU/8000"; s == NULL for a flag ("a=sendonly") */
	struct ss_sdp_attr *next;
} ss_sdp_attr_t;

/* c= line; line.s == NULL when absent. */
typedef struct ss_sdp_conn {
	ss_str_t line;
	ss_str_t nettype, addrtype, addr; /* addr may carry "/ttl" */
} ss_sdp_conn_t;

typedef struct ss_sdp_media {
	ss_str_t line;	/* the m= line */
	ss_str_t media; /* "audio" */
	uint16_t port;
	unsigned nports; /* 1 unless "port/n" */
	ss_str_t proto;	 /* "RTP/AVP" */
	ss_str_t fmts;	 /* "0 8 101" */
	ss_sdp_conn_t conn;
	ss_sdp_attr_t *attrs;
	ss_str_t text; /* the whole section, m= line to the next m= */
	struct ss_sdp_media *next;
} ss_sdp_media_t;

typedef struct ss_sdp {
	unsigned version;
	ss_str_t origin_line;
	ss_str_t o_user, o_sess_id, o_sess_version;
	ss_str_t o_nettype, o_addrtype, o_addr;
	ss_str_t session_name;
	ss_sdp_conn_t conn; /* session-level c= */
	ss_sdp_attr_t *attrs;
	ss_sdp_media_t *media;
	unsigned nmedia;
} ss_sdp_t;

/* First attribute named name (case-sensitive, as RFC 4566 says), or NULL. */
static inline const ss_sdp_attr_t *ss_sdp_attr_find(const ss_sdp_attr_t *a,
						    const char *name)
{
	for (; a; a = a->next)
		if (ss_str_eq(a->name, ss_str_c(name)))
			return a;
	return NULL;
}

#endif
