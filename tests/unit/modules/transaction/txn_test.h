/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the transaction module's tests: real core loops with the
 * parser sources linked in, a fake transport service that keeps what is
 * sent, a test TU on "sip.request.in", injection of messages on a chosen
 * worker loop, and waits on conditions with a deadline.
 */
#ifndef SS_TEST_TXN_TEST_H
#define SS_TEST_TXN_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include "txn_int.h"

#define TT_TIMEOUT_MS 5000
#define TT_MAX_SENT   256

typedef struct tt_sent {
	char *buf; /* NUL-terminated copy */
	size_t len;
	ss_sip_dest_t dst;
} tt_sent_t;

/* What the test TU (priority SS_SIP_PRIO_REGISTRAR) does with a request. */
typedef enum tt_mode {
	TT_PASS = 0,  /* CONTINUE: the catch-all answers */
	TT_KEEP,      /* keep a reference to rx->txn, STOP */
	TT_REPLY,     /* reply tt_reply_code at once, STOP */
	TT_STATELESS, /* answer statelessly, keep nothing, STOP */
} tt_mode_t;

typedef struct tt_tu {
	tt_mode_t mode;
	unsigned reply_code;
	bool set_cancel_cb; /* TT_KEEP: register a CANCEL callback */
	unsigned seen;	    /* requests that reached the TU */
	bool last_had_txn;  /* rx->txn was set on the last one */
	ss_sip_method_t last_method;
	ss_sip_txn_t *kept; /* TT_KEEP: the reference held */
	unsigned cancels;   /* CANCEL callbacks */
} tt_tu_t;

extern tt_tu_t tt_tu;
/* When not 0, the fake transport fails every send with it. */
extern int tt_send_error;

/* Loops (2 workers), fake transport, parser vtable, the layer with T1 =
 * t1_ms, T4 = 3*t1_ms, 100 Trying after 3*t1_ms, its subscriptions and
 * the test TU. tt_stop undoes everything. */
void tt_start(unsigned t1_ms);
/* Only the loops, the fake transport and the parser vtable. */
void tt_start_core(void);
/* Subscribes the test TU (tt_start does). */
void tt_subscribe_tu(void);
void tt_stop(void);

/* Runs fn(arg) on worker loop idx and waits for it. */
void tt_run_on(unsigned idx, void (*fn)(void *arg), void *arg);

/* Parses text and publishes it on worker idx as the parser module would,
 * from 127.0.0.1:src_port over proto. */
void tt_inject(unsigned idx, const char *text, ss_sip_proto_t proto,
	       unsigned src_port);

/* Waits until at least n messages were sent; false on timeout. */
bool tt_wait_sent(unsigned n);
unsigned tt_sent_count(void);
/* Message i as sent (copy owned by the harness). */
const tt_sent_t *tt_sent(unsigned i);
/* The status code of sent message i (0 for a request). */
unsigned tt_sent_code(unsigned i);

/* Polls cond(arg) on worker idx until it holds; false on timeout. */
bool tt_wait_on(unsigned idx, bool (*cond)(void *arg), void *arg);
/* Transactions in worker idx's table. */
unsigned tt_table_count(unsigned idx);
/* Waits until worker idx's table holds n transactions. */
bool tt_wait_table(unsigned idx, unsigned n);

/* The value of header `name` in sent message i, copied into buf. */
const char *tt_header(unsigned i, const char *name, char *buf, size_t size);

#endif
