/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the dns module's tests: a dnsmasq serving test records
 * on a loopback port, the module loaded from XML on real loops, and a
 * blocking resolve() run on a chosen worker.
 */
#ifndef SS_TEST_DNS_TEST_H
#define SS_TEST_DNS_TEST_H

#include <stdbool.h>

#include "dns_int.h"

#define DNST_TIMEOUT_MS 10000

typedef struct dnst_result {
	bool done;
	int status;
	unsigned n;
	ss_sip_dest_t dests[SS_DNS_MAX_DESTS];
	unsigned loop_index; /* worker the callback ran on */
	bool in_resolve;     /* the callback ran inside resolve() */
} dnst_result_t;

/* Starts dnsmasq with the given extra arguments (NULL-terminated) on a
 * free loopback port and waits until it answers; fails the test if it
 * cannot. Returns the port. */
unsigned dnst_dnsmasq_start(const char *const *records);
/* Kills it (SIGTERM, then waits for the exit). Idempotent. */
void dnst_dnsmasq_stop(void);

/* A UDP port on 127.0.0.1 with nothing listening on it. */
unsigned dnst_closed_port(void);

/* Loops (2 workers) and the module loaded from `body`, the children of
 * its <module> section; dnst_stop unloads and shuts everything down. */
void dnst_start(const char *body);
void dnst_stop(void);
/* The module's section from body, built against its config table. */
ss_cfg_t *dnst_cfg(const char *body);

/* Runs resolve() on worker w and waits for the callback. Returns the
 * value resolve() returned; the callback's result is in *res. */
int dnst_resolve(unsigned w, const ss_dns_target_t *t, dnst_result_t *res);
/* Target helpers. */
ss_dns_target_t dnst_target(const char *host, unsigned port,
			    ss_sip_proto_t proto, bool secure);
/* "udp 127.0.0.1:5060" text of result i. */
const char *dnst_dest(const dnst_result_t *r, unsigned i);

#endif
