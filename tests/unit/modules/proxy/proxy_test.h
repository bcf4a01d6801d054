/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the proxy unit tests: the parser linked in, a fake
 * transport with two listeners (UDP 127.0.0.2:5060, TCP 127.0.0.2:5070)
 * and settings serving "biloxi.example.com".
 */
#ifndef SS_TEST_PROXY_TEST_H
#define SS_TEST_PROXY_TEST_H

#include <check.h>

#include "proxy_int.h"

/* Binds proxy_g to the parser and the fake transport and publishes test
 * settings. Call from a checked fixture. */
void proxy_test_setup(void);
void proxy_test_teardown(void);
/* The settings proxy_test_setup published (writable by tests). */
proxy_conf_t *proxy_test_conf(void);
/* Parses text (CRLF added for "\n") into msg; msg_init'ed by the caller. */
void proxy_test_parse(ss_sip_msg_t *msg, const char *text);
/* Prints msg into a static buffer and returns it NUL-terminated. */
const char *proxy_test_print(const ss_sip_msg_t *msg);

#endif
