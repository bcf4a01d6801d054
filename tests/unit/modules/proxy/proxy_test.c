/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fixtures of the proxy unit tests: fake transport, settings, parsing. */
#include "proxy_test.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static ss_sip_listener_info_t listeners[2];
static char text_buf[4][8192], print_buf[8192];
static unsigned text_next;
static proxy_conf_t *conf;

static const ss_sip_listener_info_t *fake_listener_at(unsigned i)
{
	return i < 2 ? &listeners[i] : NULL;
}

static const ss_sip_listener_info_t *fake_listener_for(ss_sip_proto_t p,
						       int family)
{
	(void)family;
	return p == SS_SIP_TCP ? &listeners[1] : &listeners[0];
}

/* What the real transport answers for these listeners: their address
 * and localhost, on their ports or any (0). */
static bool fake_host_is_local(ss_str_t host, unsigned port)
{
	if (port && port != listeners[0].port && port != listeners[1].port)
		return false;
	return ss_str_caseeq_c(host, "localhost") ||
	       ss_str_eq(host, ss_str_c(listeners[0].host));
}

static const ss_sip_transport_api_t fake_tp = {
    .version = SS_SIP_TRANSPORT_API_VERSION,
    .listener_for = fake_listener_for,
    .listener_at = fake_listener_at,
    .host_is_local = fake_host_is_local,
};

void proxy_test_setup(void)
{
	listeners[0] = (ss_sip_listener_info_t){
	    .proto = SS_SIP_UDP, .host = "127.0.0.2", .port = 5060};
	listeners[1] = (ss_sip_listener_info_t){
	    .proto = SS_SIP_TCP, .host = "127.0.0.2", .port = 5070};
	memset(&proxy_g, 0, sizeof(proxy_g));
	proxy_g.parser = &ss_sip_parser_api;
	proxy_g.tp = &fake_tp;
	conf = calloc(1, sizeof(*conf));
	ck_assert_ptr_nonnull(conf);
	conf->record_route = true;
	conf->max_branches = PROXY_MAX_TARGETS;
	conf->domains = proxy_domains_new();
	ck_assert_ptr_nonnull(conf->domains);
	ck_assert_int_eq(
	    proxy_domains_add(conf->domains, SS_STR("Biloxi.Example.COM")), 0);
	ck_assert_int_eq(proxy_domains_add(conf->domains, SS_STR("localhost")),
			 0);
	proxy_g.conf = conf;
	ck_assert_int_eq(proxy_loop_table_init(), 0);
}

void proxy_test_teardown(void)
{
	proxy_loop_table_fini();
	for (unsigned i = 0; i < conf->nroutes; i++) {
		free(conf->routes[i].domain);
		free(conf->routes[i].uri);
	}
	free(conf->routes);
	proxy_domains_free(conf->domains);
	free(conf);
	conf = NULL;
	proxy_g.conf = NULL;
}

proxy_conf_t *proxy_test_conf(void)
{
	return conf;
}

void proxy_test_parse(ss_sip_msg_t *msg, const char *text)
{
	/* A ring of buffers: a test may hold a few messages at once. */
	char *buf = text_buf[text_next++ % 4];
	ss_sip_error_t err;
	size_t n = 0;

	for (const char *s = text; *s; s++) {
		ck_assert_uint_lt(n + 2, sizeof(text_buf[0]));
		if (*s == '\n')
			buf[n++] = '\r';
		buf[n++] = *s;
	}
	buf[n] = '\0';
	ck_assert_int_eq(ss_sip_msg_parse(msg, buf, n, &err), 0);
}

const char *proxy_test_print(const ss_sip_msg_t *msg)
{
	ssize_t n = ss_sip_msg_print(msg, print_buf, sizeof(print_buf) - 1);

	ck_assert_int_gt(n, 0);
	print_buf[n] = '\0';
	return print_buf;
}
