/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the transport module hands to the SIP stack and offers to it: one
 * received SIP message with its addresses (topic "sip.raw.in"), and the
 * `transport` service for sending.
 */
#ifndef SIPSERVER_SIP_TRANSPORT_H
#define SIPSERVER_SIP_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <sipserver/sip/str.h>

typedef enum ss_sip_proto {
	SS_SIP_UDP = 1,
	SS_SIP_TCP = 2,
	SS_SIP_TLS = 3,
} ss_sip_proto_t;

/* Lower-case name of a protocol, as configs and logs spell it ("udp"). */
static inline const char *ss_sip_proto_name(ss_sip_proto_t p)
{
	return p == SS_SIP_UDP	 ? "udp"
	       : p == SS_SIP_TCP ? "tcp"
	       : p == SS_SIP_TLS ? "tls"
				 : "?";
}

/* Upper-case name of a protocol, as a Via header's transport ("UDP"). */
static inline const char *ss_sip_proto_via_name(ss_sip_proto_t p)
{
	return p == SS_SIP_UDP	 ? "UDP"
	       : p == SS_SIP_TCP ? "TCP"
	       : p == SS_SIP_TLS ? "TLS"
				 : "?";
}

/* A socket address with its length; sockaddr_storage so IPv4 and IPv6 fit. */
typedef struct ss_sip_addr {
	struct sockaddr_storage sa;
	socklen_t len;
} ss_sip_addr_t;

/* One received message, published on "sip.raw.in" on the worker loop that
 * read it. Stream framing (Content-Length) is already done: buf holds exactly
 * one message, followed by a NUL byte not counted in len. Borrowed for the
 * publish call: the buffer is reused afterwards, so anything that outlives
 * the call (a transaction, a binding) must copy what it keeps. */
typedef struct ss_sip_packet {
	char *buf;
	size_t len;
	ss_sip_proto_t proto;
	ss_sip_addr_t src;   /* where it came from */
	ss_sip_addr_t local; /* the listener's address it arrived on */
	uint64_t conn_id;    /* stream connection (TCP/TLS), 0 for UDP */
	uint64_t recv_ms;    /* loop time of reception */
} ss_sip_packet_t;

/* Where to send: protocol, destination and, for streams, the connection to
 * reuse (0: find or open one to dst). */
typedef struct ss_sip_dest {
	ss_sip_proto_t proto;
	ss_sip_addr_t addr;
	uint64_t conn_id;
} ss_sip_dest_t;

/* A listening address as the SIP stack needs it for Via and Record-Route. */
typedef struct ss_sip_listener_info {
	ss_sip_proto_t proto;
	ss_sip_addr_t addr;
	const char *host; /* printable host (IPv6 in brackets) */
	unsigned port;
} ss_sip_listener_info_t;

#define SS_SIP_TRANSPORT_API_VERSION 1

/* The `transport` service. */
typedef struct ss_sip_transport_api {
	unsigned version;
	/* Sends one complete message. Any worker loop. Returns 0, or -errno
	 * (-ENOTCONN when conn_id is gone and dst cannot be reached). The
	 * buffer is copied or written before return. */
	int (*send)(const ss_sip_dest_t *dst, const char *buf, size_t len);
	/* The listener to advertise for sending to dst with proto (the one
	 * bound to the matching address family), or NULL. Borrowed. */
	const ss_sip_listener_info_t *(*listener_for)(ss_sip_proto_t proto,
						      int family);
	/* Listener i (0-based) for iteration, or NULL past the end. */
	const ss_sip_listener_info_t *(*listener_at)(unsigned i);
	/*
	 * Whether host names this server: "localhost" (any case, final dot
	 * allowed) or an IP literal (IPv6 with or without brackets) that is
	 * a listener's address or, for a wildcard listener (0.0.0.0, [::]),
	 * an address of an interface of its family as it was when the
	 * transport was loaded or last reloaded. A non-zero port must also be
	 * the port of one of the listeners (0: any). Host names other than
	 * localhost are a module's configured domains, not the transport's.
	 * Lock-free; any thread. Appended member: callers built against an
	 * older header never reach it.
	 */
	bool (*host_is_local)(ss_str_t host, unsigned port);
} ss_sip_transport_api_t;

#endif
