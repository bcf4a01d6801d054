/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `auth` service (module digest_auth): RFC 7616 / RFC 8760 digest
 * authentication of SIP requests with MD5 and SHA-256, stateless nonces with
 * expiry and nonce-count replay protection, users kept as HA1 values only.
 */
#ifndef SIPSERVER_SIP_AUTH_H
#define SIPSERVER_SIP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <sipserver/sip/str.h>
#include <sipserver/sip/transport.h>

/*
 * Priorities on "sip.request.in" (lower runs first; the full table is in
 * sip/transaction.h). digest_auth must see a request after the transaction
 * layer made its server transaction and before any module that acts on it
 * on the sender's behalf:
 *     0  transaction  retransmissions, CANCEL, ACK of non-2xx
 *   100  digest_auth  challenges when the policy requires credentials
 *   200  registrar    REGISTER for our domains
 *   500  proxy        default routing
 * Redirect (300) and b2bua (400) sit between registrar and proxy.
 */
#define SS_AUTH_BUS_PRIORITY 100

#define SS_AUTH_SERVICE	    "auth"
#define SS_AUTH_API_VERSION 1

/* Longest user name or realm an identity carries, with its NUL. */
#define SS_AUTH_NAME_MAX 128

typedef enum ss_auth_result {
	SS_AUTH_OK = 0,
	/* No Digest credentials for this realm: send a plain challenge. */
	SS_AUTH_NO_CREDENTIALS,
	/* The response was right but the nonce expired, or its nonce-count
	 * history was forgotten: challenge again with stale=true, the client
	 * retries without asking its user. */
	SS_AUTH_STALE,
	/* Unknown user, wrong password, forged nonce, uri mismatch or
	 * malformed credentials: challenge again, without stale. */
	SS_AUTH_FAILED,
	/* Valid credentials whose nonce-count was already used: a replay.
	 * Challenge with stale=true so a client that merely lost count
	 * recovers; a replaying attacker gains nothing from a fresh nonce. */
	SS_AUTH_REPLAY,
} ss_auth_result_t;

/* What to check. Every slice is borrowed for the duration of the call. */
typedef struct ss_auth_request {
	ss_str_t method; /* the request's method */
	ss_str_t uri;	 /* the Request-URI as received */
	/* One Authorization (401 flow) or Proxy-Authorization (407 flow)
	 * header value; s == NULL when the request has none. */
	ss_str_t credentials;
	ss_str_t realm; /* the realm the request must authenticate in */
	const ss_sip_addr_t *src; /* sender, for failure accounting; or NULL */
} ss_auth_request_t;

struct ss_sip_msg;

/* Who was authenticated (filled on SS_AUTH_OK only). */
typedef struct ss_auth_identity {
	char user[SS_AUTH_NAME_MAX];
	char realm[SS_AUTH_NAME_MAX];
} ss_auth_identity_t;

/* The `auth` service: fetch it with ss_service_get(SS_AUTH_SERVICE,
 * SS_AUTH_API_VERSION) in load() and list "auth" in requires. All functions
 * are safe on any worker loop concurrently and never wait on I/O. */
typedef struct ss_auth_api {
	unsigned version;
	/*
	 * Decides from the configured policy whether a request needs
	 * credentials. domain is the identity's domain: the To host for
	 * REGISTER, the From host otherwise. in_dialog is true when the To
	 * header has a tag. On true, when realm is not NULL, the realm to
	 * challenge with is written there NUL-terminated (the configured one,
	 * else domain in lower case, cut to realm_size - 1 bytes). ACK and
	 * CANCEL never need credentials (RFC 3261 22.1).
	 */
	bool (*required)(ss_str_t method, ss_str_t domain, bool in_dialog,
			 char *realm, size_t realm_size);
	/*
	 * Checks one credentials value. Returns SS_AUTH_NO_CREDENTIALS when
	 * it is absent, not Digest, or for another realm, so a caller can try
	 * each Authorization header in turn. Failures and replays are logged
	 * with req->src and counted per source. who may be NULL.
	 */
	ss_auth_result_t (*verify)(const ss_auth_request_t *req,
				   ss_auth_identity_t *who);
	/*
	 * Writes the challenge header lines for realm into buf: two
	 * WWW-Authenticate (proxy false, for 401) or Proxy-Authenticate (proxy
	 * true, for 407) lines, SHA-256 first then MD5, each ending in CRLF,
	 * sharing one fresh nonce; stale adds stale=true. NUL-terminates and
	 * returns the length without the NUL, or -ENOSPC (buf too small; 512
	 * bytes plus four times the realm's length always fit) or -EINVAL
	 * (realm of SS_AUTH_NAME_MAX bytes or more, or with control
	 * characters).
	 */
	int (*challenge)(ss_str_t realm, bool stale, bool proxy, char *buf,
			 size_t size);
	/*
	 * The identity digest_auth's own "sip.request.in" subscriber
	 * authenticated msg with, for the subscribers after it in the same
	 * publish on the same loop (the registrar checks it may change the
	 * AOR, the proxy may assert it). NULL when msg did not need or did not
	 * pass authentication. Borrowed until the publish returns.
	 */
	const ss_auth_identity_t *(*identity)(const struct ss_sip_msg *msg);
} ss_auth_api_t;

#endif
