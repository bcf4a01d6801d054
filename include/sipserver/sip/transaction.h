/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SIP transaction layer (RFC 3261 section 17, RFC 6026): the
 * `transaction` service that the registrar, proxy, redirect and b2bua
 * modules build on, and the priorities of the request pipeline.
 */
#ifndef SIPSERVER_SIP_TRANSACTION_H
#define SIPSERVER_SIP_TRANSACTION_H

#include <stdint.h>
#include <sipserver/sip/msg.h>
#include <sipserver/sip/parser.h>
#include <sipserver/sip/transport.h>

/*
 * Priorities on "sip.request.in" (lower runs first). The transaction layer
 * runs first: it absorbs retransmissions, answers CANCEL, consumes the ACK
 * of a non-2xx final response and hangs a new server transaction on
 * rx->txn. Its catch-all runs last and answers what nobody handled.
 * "sip.response.in" has one subscriber of note, the transaction layer at
 * SS_SIP_PRIO_TRANSACTION; responses it does not match reach the rest of
 * the chain (a proxy forwards them statelessly).
 */
#define SS_SIP_PRIO_TRANSACTION 0
#define SS_SIP_PRIO_AUTH	100
#define SS_SIP_PRIO_REGISTRAR	200
#define SS_SIP_PRIO_REDIRECT	300
#define SS_SIP_PRIO_B2BUA	400
#define SS_SIP_PRIO_PROXY	500
#define SS_SIP_PRIO_CATCHALL	1000

#define SS_TXN_SERVICE	   "transaction"
#define SS_TXN_API_VERSION 1

/* The transaction layer's name in rx->handled_by. */
#define SS_TXN_HANDLER "transaction"

/*
 * A transaction. Refcounted, opaque, owned by the worker loop that created
 * it: every function below must be called on that loop (a TU that works on
 * another thread posts back to it with ss_loop_post). Functions that take a
 * transaction borrow it unless they say otherwise.
 */
typedef struct ss_sip_txn ss_sip_txn_t;

typedef enum ss_txn_state {
	SS_TXN_CALLING = 0, /* client INVITE, no response yet */
	SS_TXN_TRYING,	    /* non-INVITE, no response yet */
	SS_TXN_PROCEEDING,  /* a provisional response sent/received */
	SS_TXN_COMPLETED,   /* a final response; absorbing retransmissions */
	SS_TXN_CONFIRMED,   /* server INVITE: ACK for the non-2xx received */
	SS_TXN_ACCEPTED,    /* INVITE with a 2xx (RFC 6026) */
	SS_TXN_TERMINATED,
	SS_TXN_NSTATES
} ss_txn_state_t;

/*
 * Told on the INVITE's owner loop when a CANCEL matched a server INVITE
 * transaction that has not sent a final response. The layer has already
 * answered the CANCEL with 200; the owner answers the INVITE with 487
 * (and cancels its own branches). cancel is the CANCEL, borrowed for the
 * call. Without a callback the layer answers 487 itself.
 */
typedef void (*ss_txn_cancel_fn)(ss_sip_txn_t *invite, ss_sip_rx_t *cancel,
				 void *arg);

/*
 * Delivers a response to a client transaction's owner, on the owner loop.
 * rx is the response (borrowed for the call) and code its status; rx is
 * NULL when the transaction failed: code 408 on timeout (Timer B/F, or no
 * final response 64*T1 after a CANCEL), 503 on a transport error. Called
 * for every provisional response, the final one, and for an INVITE every
 * further 2xx (retransmissions, forks) until Timer M. The ACK of a non-2xx
 * final response has already been sent; the ACK of a 2xx is the owner's.
 */
typedef void (*ss_txn_response_fn)(ss_sip_txn_t *txn, ss_sip_rx_t *rx,
				   unsigned code, void *arg);

typedef struct ss_sip_txn_api {
	unsigned version;

	/* ---- server transactions (rx->txn of a request) ---- */

	/*
	 * Builds the response to the transaction's request with the parser's
	 * build_response and sends it: a To tag is added to every response
	 * but 100 when the request's To has none, the same tag for all the
	 * responses of one transaction (opts->to_tag overrides it). opts may
	 * be NULL. Drives the state machine: a final response moves to
	 * Completed (non-2xx; retransmitted on UDP), Accepted (2xx to an
	 * INVITE) or Completed/Terminated (non-INVITE). Returns 0, -EALREADY
	 * after a final response (but a 2xx again to an Accepted INVITE is
	 * sent), -ENOSPC, -ENOMEM or the transport's -errno.
	 */
	int (*reply)(ss_sip_txn_t *txn, unsigned code, const char *reason,
		     const ss_sip_resp_opts_t *opts);
	/* Sends a response built by the caller (a proxy forwarding one from
	 * downstream, its own Via removed); code drives the state machine as
	 * for reply. buf is copied. Same returns as reply. */
	int (*send_response)(ss_sip_txn_t *txn, const char *buf, size_t len,
			     unsigned code);
	/* Sends 100 Trying now if nothing was sent yet (an INVITE sends it
	 * by itself when the TU has not answered within 200 ms). 0 or
	 * -EALREADY. */
	int (*send_trying)(ss_sip_txn_t *txn);
	/* Sets the owner callback for a CANCEL (see ss_txn_cancel_fn). */
	void (*set_cancel_cb)(ss_sip_txn_t *txn, ss_txn_cancel_fn fn,
			      void *arg);
	/*
	 * The request of the transaction as received (with received/rport
	 * stamped on the top Via), parsed from the copy the transaction owns.
	 * Borrowed: valid as long as the caller holds a reference. NULL on
	 * -ENOMEM or for a client transaction's CANCEL-less internals.
	 */
	ss_sip_msg_t *(*request)(ss_sip_txn_t *txn);
	/* The To tag the transaction's responses carry (generated on first
	 * use when the request had none). Borrowed like the transaction. */
	ss_str_t (*to_tag)(ss_sip_txn_t *txn);

	/* ---- client transactions ---- */

	/*
	 * Sends req to dst as a new client transaction on the calling worker
	 * loop: adds the top Via (listener of dst's protocol and family,
	 * branch, rport), prints and keeps the bytes, sends and retransmits
	 * them (UDP) and delivers the responses to fn(txn, rx, code, arg).
	 * req is borrowed and not modified. *out, if out is not NULL, gets a
	 * new reference. Returns 0 or -errno (-ENETUNREACH without a
	 * listener, -EXDEV off a worker loop, the transport's error); on
	 * error fn is never called.
	 */
	int (*client_create)(ss_sip_msg_t *req, const ss_sip_dest_t *dst,
			     ss_txn_response_fn fn, void *arg,
			     ss_sip_txn_t **out);
	/*
	 * Cancels a client INVITE transaction (RFC 3261 9.1): sends CANCEL
	 * now if a provisional response arrived, else as soon as one does.
	 * The INVITE still ends through fn (487 or whatever comes). 0, or
	 * -EALREADY when a final response has arrived, -EINVAL if not an
	 * INVITE client transaction.
	 */
	int (*cancel)(ss_sip_txn_t *txn);

	/* ---- both ---- */

	/* Takes a reference: returns txn (a new reference). A TU keeps a
	 * server transaction past the publish call this way (an async reply
	 * after a database commit on the same loop). */
	ss_sip_txn_t *(*ref)(ss_sip_txn_t *txn);
	/*
	 * Drops the reference *txn and sets *txn to NULL. When the last TU
	 * reference of a server transaction goes before a final response,
	 * the layer ends it: with 500 if a provisional response went out,
	 * silently otherwise (the TU answered statelessly, or dropped it).
	 */
	void (*unref)(ss_sip_txn_t **txn);
	ss_txn_state_t (*state)(const ss_sip_txn_t *txn);
	/* Last response code sent (server) or received (client); 0: none. */
	unsigned (*code)(const ss_sip_txn_t *txn);
	/* Where responses go (server) or the request went (client). */
	const ss_sip_dest_t *(*peer)(const ss_sip_txn_t *txn);
	/* Branch of the top Via (the request's, or the one we generated). */
	ss_str_t (*branch)(const ss_sip_txn_t *txn);
	/* Stable id shown by `transaction show`. */
	uint64_t (*id)(const ss_sip_txn_t *txn);

	/* ---- stateless ---- */

	/*
	 * Answers rx's request without a transaction (RFC 3261 8.2.6) to
	 * where its Via says (RFC 3261 18.2.2, RFC 3581), with a To tag that
	 * depends only on the request when opts gives none, so that a
	 * retransmission gets the same answer. Never answers ACK
	 * (-EINVAL). 0 or -errno.
	 */
	int (*reply_stateless)(ss_sip_rx_t *rx, unsigned code,
			       const char *reason,
			       const ss_sip_resp_opts_t *opts);
	/* reply() through rx->txn when it is set, else reply_stateless. */
	int (*reply_rx)(ss_sip_rx_t *rx, unsigned code, const char *reason,
			const ss_sip_resp_opts_t *opts);
	/* The transport's send with `sip set trace` output: for messages a
	 * module sends outside any transaction (stateless forwarding, the
	 * ACK of a 2xx). Any worker loop. */
	int (*send)(const ss_sip_dest_t *dst, const char *buf, size_t len);
} ss_sip_txn_api_t;

#endif
