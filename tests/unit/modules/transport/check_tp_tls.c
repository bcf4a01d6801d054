/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS transport with a self-signed pair made at test time: a round trip
 * through a TLS listener (large messages span records), an outgoing TLS
 * connection with and without peer verification, and a failed handshake.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "log_core.h"
#include "loop_core.h"
#include "tp_test.h"

static char dir[64];
static char cert_path[128], key_path[128], other_path[128];

/* Certificates are made before the tests run, outside Check's asserts. */
#define NEED(cond)                                                         \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, \
				#cond);                                    \
			exit(1);                                           \
		}                                                          \
	} while (0)

static void write_pair(const char *cpath, const char *kpath, const char *cn)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	FILE *f;

	NEED(key);
	NEED(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	NEED(X509_sign(x, key, EVP_sha256()) > 0);
	f = fopen(cpath, "w");
	NEED(f);
	PEM_write_X509(f, x);
	fclose(f);
	if (kpath) {
		f = fopen(kpath, "w");
		NEED(f);
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	}
	X509_free(x);
	EVP_PKEY_free(key);
}

static void make_certs(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tp-tls-XXXXXX");
	NEED(mkdtemp(dir));
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", dir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
	snprintf(other_path, sizeof(other_path), "%s/other.pem", dir);
	write_pair(cert_path, key_path, "sipserver test");
	write_pair(other_path, NULL, "someone else");
}

static void remove_certs(void)
{
	unlink(cert_path);
	unlink(key_path);
	unlink(other_path);
	rmdir(dir);
}

static void tls_settings(tp_settings_t *set)
{
	tpt_settings(set);
	snprintf(set->tls_cert, sizeof(set->tls_cert), "%s", cert_path);
	snprintf(set->tls_key, sizeof(set->tls_key), "%s", key_path);
}

/* A blocking TLS peer on a connected or accepted socket. */
static SSL *peer_tls(SSL_CTX *ctx, int fd)
{
	SSL *ssl = SSL_new(ctx);

	ck_assert_ptr_nonnull(ssl);
	SSL_set_fd(ssl, fd);
	return ssl;
}

static bool ssl_read_exact(SSL *ssl, char *buf, size_t len)
{
	int n;

	while (len) {
		n = SSL_read(ssl, buf, (int)len);
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static char *big_message(size_t body)
{
	char *m = malloc(body + 128);
	int h = sprintf(
	    m, "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: %zu\r\n\r\n", body);

	memset(m + h, 'b', body);
	m[h + body] = '\0';
	return m;
}

START_TEST(tls_roundtrip)
{
	tp_settings_t set;
	SSL_CTX *ctx;
	SSL *ssl;
	ss_sip_dest_t dst = {.proto = SS_SIP_TLS};
	char *msg = big_message(60000);
	char *reply = big_message(50000);
	char *buf = malloc(strlen(reply));
	int fd;

	tls_settings(&set);
	tpt_add_listen(&set, SS_SIP_TLS, "127.0.0.1");
	tpt_start(&set);
	ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_int_eq(SSL_CTX_load_verify_locations(ctx, cert_path, NULL),
			 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	fd = tpt_tcp_connect(tpt_listener_addr(0));
	ssl = peer_tls(ctx, fd);
	ck_assert_int_eq(SSL_connect(ssl), 1);
	ck_assert_int_eq(SSL_write(ssl, msg, (int)strlen(msg)),
			 (int)strlen(msg));
	ck_assert(tpt_wait_pkts(1));
	ck_assert_str_eq(tpt_pkt(0)->buf, msg);
	ck_assert_int_eq(tpt_pkt(0)->proto, SS_SIP_TLS);
	dst.conn_id = tpt_pkt(0)->conn_id;
	ck_assert_int_eq(tp_api.send(&dst, reply, strlen(reply)), 0);
	ck_assert(ssl_read_exact(ssl, buf, strlen(reply)));
	ck_assert_int_eq(memcmp(buf, reply, strlen(reply)), 0);
	SSL_free(ssl);
	close(fd);
	ck_assert(tpt_wait_conns(0));
	SSL_CTX_free(ctx);
	free(msg);
	free(reply);
	free(buf);
	tpt_stop();
}
END_TEST

START_TEST(tls_plaintext_client_closed)
{
	tp_settings_t set;
	static const char junk[] = "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";
	int fd;

	tls_settings(&set);
	tpt_add_listen(&set, SS_SIP_TLS, "127.0.0.1");
	tpt_start(&set);
	fd = tpt_tcp_connect(tpt_listener_addr(0));
	tpt_send_all(fd, junk, strlen(junk));
	ck_assert(tpt_wait_closed(fd));
	ck_assert_uint_eq(tpt_pkt_count(), 0);
	close(fd);
	tpt_stop();
}
END_TEST

/* The module connects out to a TLS server of the test; with verify on it
 * must accept the certificate only against the right CA. Returns whether
 * the message arrived through the handshake. */
static bool outgoing_to_test_server(bool verify, const char *ca)
{
	tp_settings_t set;
	ss_sip_dest_t dst = {.proto = SS_SIP_TLS};
	SSL_CTX *ctx;
	SSL *ssl;
	char buf[64];
	static const char msg[] = "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";
	bool ok;
	int lfd, pfd;

	tls_settings(&set);
	set.tls_verify = verify;
	snprintf(set.tls_ca, sizeof(set.tls_ca), "%s", ca);
	tpt_add_listen(&set, SS_SIP_UDP, "127.0.0.1");
	tpt_start(&set);
	ctx = SSL_CTX_new(TLS_server_method());
	ck_assert_int_eq(
	    SSL_CTX_use_certificate_file(ctx, cert_path, SSL_FILETYPE_PEM), 1);
	ck_assert_int_eq(
	    SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM), 1);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	dst.addr.len = sizeof(struct sockaddr_in);
	dst.addr.sa.ss_family = AF_INET;
	((struct sockaddr_in *)&dst.addr.sa)->sin_addr.s_addr =
	    htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(
	    bind(lfd, (struct sockaddr *)&dst.addr.sa, dst.addr.len), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	tpt_sockname(lfd, &dst.addr);
	ck_assert_int_eq(tp_api.send(&dst, msg, strlen(msg)), 0);
	pfd = accept(lfd, NULL, NULL);
	ck_assert_int_ge(pfd, 0);
	struct timeval tv = {.tv_sec = TPT_TIMEOUT_MS / 1000};
	setsockopt(pfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ssl = peer_tls(ctx, pfd);
	ok = SSL_accept(ssl) == 1 && ssl_read_exact(ssl, buf, strlen(msg)) &&
	     memcmp(buf, msg, strlen(msg)) == 0;
	ERR_clear_error();
	SSL_free(ssl);
	close(pfd);
	close(lfd);
	SSL_CTX_free(ctx);
	if (!ok)
		ck_assert(tpt_wait_conns(0));
	tpt_stop();
	return ok;
}

START_TEST(tls_outgoing_no_verify)
{
	ck_assert(outgoing_to_test_server(false, ""));
}
END_TEST

START_TEST(tls_outgoing_verified)
{
	ck_assert(outgoing_to_test_server(true, cert_path));
}
END_TEST

START_TEST(tls_outgoing_wrong_ca)
{
	ck_assert(!outgoing_to_test_server(true, other_path));
}
END_TEST

START_TEST(tls_listener_needs_cert)
{
	tp_settings_t set;

	tpt_settings(&set);
	tpt_add_listen(&set, SS_SIP_TLS, "127.0.0.1");
	ss_log_init(0, false);
	ck_assert_int_eq(ss_loops_start(2), 0);
	ck_assert_int_eq(tp_start(NULL, &set), -EINVAL);
	ck_assert_ptr_null(tp);
	snprintf(set.tls_cert, sizeof(set.tls_cert), "%s", other_path);
	snprintf(set.tls_key, sizeof(set.tls_key), "%s", key_path);
	ck_assert_int_eq(tp_start(NULL, &set), -EINVAL);
	ss_loops_shutdown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tp_tls");
	TCase *tc = tcase_create("tls");
	SRunner *sr;
	int failed;

	make_certs();
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, tls_roundtrip);
	tcase_add_test(tc, tls_plaintext_client_closed);
	tcase_add_test(tc, tls_outgoing_no_verify);
	tcase_add_test(tc, tls_outgoing_verified);
	tcase_add_test(tc, tls_outgoing_wrong_ca);
	tcase_add_test(tc, tls_listener_needs_cert);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_certs();
	return failed ? 1 : 0;
}
