/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * OpenSSL contexts: the server context from the configured certificate and
 * key (needed only by TLS listeners), and the client context for outgoing
 * connections. Peer verification follows <tls verify=""> for both sides.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include <openssl/err.h>

#include <sipserver/log.h>

#include "transport_int.h"

void tp_tls_log_errors(const char *what, const ss_sip_addr_t *peer)
{
	char addr[INET6_ADDRSTRLEN + 8] = "-";
	char msg[256];
	unsigned long e;
	bool any = false;

	if (peer)
		tp_addr_str(peer, addr, sizeof(addr));
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, msg, sizeof(msg));
		SS_LOG_WARN("tls %s %s: %s", what, addr, msg);
		any = true;
	}
	if (!any)
		SS_LOG_WARN("tls %s %s: connection failed", what, addr);
}

/* Shared settings: TLS 1.2 or later, partial writes with a moving buffer
 * because the write queue retries from its own copy, and verification. */
static SSL_CTX *tp_tls_ctx(const SSL_METHOD *method, const tp_settings_t *set)
{
	SSL_CTX *ctx = SSL_CTX_new(method);

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* SIP peers often close without close_notify; that is an end of
	 * stream, not an error worth a warning */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_RELEASE_BUFFERS);
	if (set->tls_verify) {
		SSL_CTX_set_verify(
		    ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
		    NULL);
		if ((set->tls_ca[0] && SSL_CTX_load_verify_locations(
					   ctx, set->tls_ca, NULL) != 1) ||
		    (!set->tls_ca[0] &&
		     SSL_CTX_set_default_verify_paths(ctx) != 1)) {
			tp_tls_log_errors("load CA", NULL);
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
}

static bool tp_tls_needs_server(const tp_state_t *st)
{
	unsigned i;

	for (i = 0; i < st->set.nlisten; i++)
		if (st->set.listen[i].proto == SS_SIP_TLS)
			return true;
	return false;
}

static int tp_tls_server(tp_state_t *st)
{
	const tp_settings_t *set = &st->set;

	if (!set->tls_cert[0] || !set->tls_key[0]) {
		SS_LOG_ERR("a tls listener needs <tls certificate=\"\" "
			   "key=\"\"/>");
		return -EINVAL;
	}
	st->tls_server = tp_tls_ctx(TLS_server_method(), set);
	if (!st->tls_server)
		return -EINVAL;
	if (SSL_CTX_use_certificate_chain_file(st->tls_server, set->tls_cert) !=
	    1) {
		SS_LOG_ERR("tls certificate %s: cannot load", set->tls_cert);
		tp_tls_log_errors("certificate", NULL);
		return -EINVAL;
	}
	if (SSL_CTX_use_PrivateKey_file(st->tls_server, set->tls_key,
					SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(st->tls_server) != 1) {
		SS_LOG_ERR("tls key %s: cannot load or does not match %s",
			   set->tls_key, set->tls_cert);
		tp_tls_log_errors("key", NULL);
		return -EINVAL;
	}
	return 0;
}

int tp_tls_init(tp_state_t *st)
{
	int err;

	if (tp_tls_needs_server(st)) {
		err = tp_tls_server(st);
		if (err < 0)
			goto fail;
	}
	st->tls_client = tp_tls_ctx(TLS_client_method(), &st->set);
	if (!st->tls_client) {
		err = -ENOMEM;
		goto fail;
	}
	/* A client certificate, when configured, lets peers that verify
	 * clients (mutual TLS between proxies) accept us. */
	if (st->set.tls_cert[0] && st->set.tls_key[0] &&
	    (SSL_CTX_use_certificate_chain_file(st->tls_client,
						st->set.tls_cert) != 1 ||
	     SSL_CTX_use_PrivateKey_file(st->tls_client, st->set.tls_key,
					 SSL_FILETYPE_PEM) != 1)) {
		tp_tls_log_errors("client certificate", NULL);
		err = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	tp_tls_free(st);
	return err;
}

void tp_tls_free(tp_state_t *st)
{
	SSL_CTX_free(st->tls_server);
	SSL_CTX_free(st->tls_client);
	st->tls_server = NULL;
	st->tls_client = NULL;
}
