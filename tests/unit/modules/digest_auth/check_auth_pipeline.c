/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of modules/digest_auth/auth_pipeline.c with the real parser and a
 * transport that records what would be sent: 401 for REGISTER and 407 for
 * proxied requests, the challenge/answer round trip, replay and identity
 * checks, response routing (rport, Via port, stream connection).
 */
#include "auth_int.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sipserver/sip/parser.h>
#include <sipserver/sip/transaction.h>

auth_svc_t auth_g;

static char dir[64], path[128];
static uint64_t fake_now;
static auth_conf_t *conf;

/* What the fake transport was asked to send last. */
static struct {
	unsigned count;
	ss_sip_dest_t dst;
	char buf[8192];
	char challenge[8192]; /* the last response that carried a nonce */
} sent;

static int fake_send(const ss_sip_dest_t *dst, const char *buf, size_t len)
{
	ck_assert_uint_lt(len, sizeof(sent.buf));
	sent.count++;
	sent.dst = *dst;
	memcpy(sent.buf, buf, len);
	sent.buf[len] = '\0';
	if (strstr(sent.buf, "nonce=\""))
		memcpy(sent.challenge, sent.buf, len + 1);
	return 0;
}

static const ss_sip_transport_api_t fake_transport = {
    .version = SS_SIP_TRANSPORT_API_VERSION,
    .send = fake_send,
};

static uint64_t fake_clock(void)
{
	return fake_now;
}

static void setup(void)
{
	char err[256];

	snprintf(dir, sizeof(dir), "/tmp/authpXXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/auth.db", dir);
	ck_assert_int_eq(auth_crypto_init(), 0);
	conf = calloc(1, sizeof(*conf));
	conf->nonce_expires = 300;
	conf->algos[0] = "SHA-256";
	conf->algos[1] = "MD5";
	conf->nalgos = 2;
	conf->check_identity = true;
	ck_assert_int_eq(auth_key_init(&conf->key, ""), 0);
	memset(&auth_g, 0, sizeof(auth_g));
	auth_stats_init(&auth_g.stats);
	auth_g.conf = conf;
	auth_g.nc = auth_nc_new(1024);
	auth_g.users = auth_users_open(path, err, sizeof(err));
	ck_assert_msg(auth_g.users != NULL, "%s", err);
	auth_g.now_s = fake_clock;
	fake_now = 1700000000;
	ck_assert_int_eq(
	    auth_users_add(auth_g.users, "alice", "example.com", "secret"), 0);
	auth_pipeline_bind(&ss_sip_parser_api, &fake_transport, NULL);
	memset(&sent, 0, sizeof(sent));
}

static void teardown(void)
{
	char p[160];

	auth_users_close(auth_g.users);
	auth_nc_free(auth_g.nc);
	auth_stats_destroy(&auth_g.stats);
	free(conf);
	auth_crypto_fini();
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path,
			 i == 0	  ? ""
			 : i == 1 ? "-wal"
				  : "-shm");
		unlink(p);
	}
	rmdir(dir);
}

/* One request through the subscriber, as the parser would publish it. */
typedef struct request {
	char text[4096];
	ss_sip_msg_t msg;
	ss_sip_packet_t pkt;
	ss_sip_rx_t rx;
} request_t;

static ss_bus_verdict_t run(request_t *r, ss_sip_proto_t proto,
			    uint64_t conn_id)
{
	ss_sip_error_t err;
	struct sockaddr_in *sin = (struct sockaddr_in *)&r->pkt.src.sa;

	ss_sip_msg_init(&r->msg);
	ck_assert_int_eq(
	    ss_sip_msg_parse(&r->msg, r->text, strlen(r->text), &err), 0);
	memset(&r->pkt, 0, sizeof(r->pkt));
	r->pkt.buf = r->text;
	r->pkt.len = strlen(r->text);
	r->pkt.proto = proto;
	r->pkt.conn_id = conn_id;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5062);
	inet_pton(AF_INET, "192.0.2.7", &sin->sin_addr);
	r->pkt.src.len = sizeof(*sin);
	r->rx = (ss_sip_rx_t){.msg = &r->msg, .pkt = &r->pkt};
	return auth_on_request(0, &r->rx, NULL);
}

static void finish(request_t *r)
{
	ss_sip_msg_fini(&r->msg);
}

/* Formats a request; auth is a complete header line or "". */
static void make_request(request_t *r, const char *method, const char *ruri,
			 const char *from_user, const char *to_user,
			 const char *to_tag, const char *via_params,
			 const char *auth)
{
	snprintf(r->text, sizeof(r->text),
		 "%s %s SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK776%s\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:%s@example.com>;tag=f1\r\n"
		 "To: <sip:%s@example.com>%s%s\r\n"
		 "Call-ID: c1@10.0.0.1\r\n"
		 "CSeq: 1 %s\r\n"
		 "Contact: <sip:%s@10.0.0.1:5070>\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n",
		 method, ruri, via_params, from_user, to_user,
		 to_tag ? ";tag=" : "", to_tag ? to_tag : "", method, from_user,
		 auth);
}

/* Authorization (or Proxy-Authorization) answering the last challenge. */
static void answer(const char *hdr, const char *user, const char *password,
		   const char *method, const char *ruri, unsigned nc, char *out,
		   size_t size)
{
	const char *p = strstr(sent.challenge, "nonce=\"");
	unsigned char ha1[AUTH_HASH_MAX], resp[AUTH_HASH_MAX];
	char nonce[AUTH_NONCE_LEN + 1], hex[65], ncs[9];

	ck_assert_ptr_nonnull(p);
	memcpy(nonce, p + 7, AUTH_NONCE_LEN);
	nonce[AUTH_NONCE_LEN] = '\0';
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	auth_digest_ha1(AUTH_SHA256, ss_str_c(user), SS_STR("example.com"),
			ss_str_c(password), ha1);
	auth_digest_response(AUTH_SHA256, false, ha1, ss_str_c(nonce),
			     ss_str_c(ncs), SS_STR("c0ffee"), SS_STR("auth"),
			     ss_str_c(method), ss_str_c(ruri), resp);
	auth_hex(resp, 32, hex);
	snprintf(out, size,
		 "%s: Digest username=\"%s\", realm=\"example.com\", "
		 "nonce=\"%s\", uri=\"%s\", response=\"%s\", "
		 "algorithm=SHA-256, qop=auth, nc=%s, cnonce=\"c0ffee\"\r\n",
		 hdr, user, nonce, ruri, hex, ncs);
}

START_TEST(test_register_challenge_and_answer)
{
	request_t *r = malloc(sizeof(*r));
	char auth[1024];
	const ss_auth_identity_t *who;

	make_request(r, "REGISTER", "sip:example.com", "alice", "alice", NULL,
		     ";rport", "");
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_STOP);
	ck_assert_str_eq(r->rx.handled_by, "digest_auth");
	ck_assert_ptr_null(auth_pipeline_identity(&r->msg));
	finish(r);
	ck_assert_uint_eq(sent.count, 1);
	ck_assert_int_eq(strncmp(sent.buf, "SIP/2.0 401 ", 12), 0);
	ck_assert_ptr_nonnull(strstr(sent.buf,
				     "\r\nWWW-Authenticate: Digest realm=\""
				     "example.com\""));
	ck_assert_ptr_nonnull(strstr(sent.buf, "algorithm=SHA-256"));
	ck_assert_ptr_nonnull(strstr(sent.buf, "algorithm=MD5"));
	ck_assert_ptr_nonnull(strstr(sent.buf, "received=192.0.2.7"));
	ck_assert_ptr_nonnull(strstr(sent.buf, "rport=5062"));
	ck_assert_ptr_nonnull(
	    strstr(sent.buf, "To: <sip:alice@example.com>;tag="));
	ck_assert_uint_eq(
	    ntohs(((struct sockaddr_in *)&sent.dst.addr.sa)->sin_port), 5062);

	answer("Authorization", "alice", "secret", "REGISTER",
	       "sip:example.com", 1, auth, sizeof(auth));
	make_request(r, "REGISTER", "sip:example.com", "alice", "alice", NULL,
		     ";rport", auth);
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_CONTINUE);
	who = auth_pipeline_identity(&r->msg);
	ck_assert_ptr_nonnull(who);
	ck_assert_str_eq(who->user, "alice");
	ck_assert_str_eq(who->realm, "example.com");
	ck_assert_uint_eq(sent.count, 1);
	finish(r);

	/* The same request again is a replay: a stale challenge. */
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_STOP);
	ck_assert_ptr_null(auth_pipeline_identity(&r->msg));
	ck_assert_uint_eq(sent.count, 2);
	ck_assert_ptr_nonnull(strstr(sent.buf, "stale=true"));
	finish(r);
	free(r);
}
END_TEST

START_TEST(test_invite_gets_407)
{
	request_t *r = malloc(sizeof(*r));
	char auth[1024];

	make_request(r, "INVITE", "sip:bob@example.com", "alice", "bob", NULL,
		     "", "");
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_STOP);
	finish(r);
	ck_assert_int_eq(strncmp(sent.buf, "SIP/2.0 407 ", 12), 0);
	ck_assert_ptr_nonnull(
	    strstr(sent.buf, "\r\nProxy-Authenticate: Digest"));
	ck_assert_ptr_null(strstr(sent.buf, "WWW-Authenticate"));
	/* No rport: UDP responses go to the Via port. */
	ck_assert_uint_eq(
	    ntohs(((struct sockaddr_in *)&sent.dst.addr.sa)->sin_port), 5070);

	/* Credentials in the wrong header do not count for a proxy. */
	answer("Authorization", "alice", "secret", "INVITE",
	       "sip:bob@example.com", 1, auth, sizeof(auth));
	make_request(r, "INVITE", "sip:bob@example.com", "alice", "bob", NULL,
		     "", auth);
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_STOP);
	finish(r);
	ck_assert_int_eq(strncmp(sent.buf, "SIP/2.0 407 ", 12), 0);

	answer("Proxy-Authorization", "alice", "secret", "INVITE",
	       "sip:bob@example.com", 1, auth, sizeof(auth));
	make_request(r, "INVITE", "sip:bob@example.com", "alice", "bob", NULL,
		     "", auth);
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_CONTINUE);
	ck_assert_ptr_nonnull(auth_pipeline_identity(&r->msg));
	finish(r);
	free(r);
}
END_TEST

START_TEST(test_wrong_password_rechallenged)
{
	request_t *r = malloc(sizeof(*r));
	char auth[1024];

	make_request(r, "REGISTER", "sip:example.com", "alice", "alice", NULL,
		     "", "");
	run(r, SS_SIP_UDP, 0);
	finish(r);
	answer("Authorization", "alice", "nope", "REGISTER", "sip:example.com",
	       1, auth, sizeof(auth));
	make_request(r, "REGISTER", "sip:example.com", "alice", "alice", NULL,
		     "", auth);
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_STOP);
	finish(r);
	ck_assert_int_eq(strncmp(sent.buf, "SIP/2.0 401 ", 12), 0);
	ck_assert_ptr_null(strstr(sent.buf, "stale"));
	ck_assert_uint_eq(AUTH_GET(auth_g.stats.failed), 1);
	free(r);
}
END_TEST

/* alice may not register bob's address. */
START_TEST(test_identity_mismatch_forbidden)
{
	request_t *r = malloc(sizeof(*r));
	char auth[1024];

	make_request(r, "REGISTER", "sip:example.com", "alice", "bob", NULL, "",
		     "");
	run(r, SS_SIP_UDP, 0);
	finish(r);
	answer("Authorization", "alice", "secret", "REGISTER",
	       "sip:example.com", 1, auth, sizeof(auth));
	make_request(r, "REGISTER", "sip:example.com", "alice", "bob", NULL, "",
		     auth);
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_STOP);
	ck_assert_ptr_null(auth_pipeline_identity(&r->msg));
	finish(r);
	ck_assert_int_eq(strncmp(sent.buf, "SIP/2.0 403 ", 12), 0);

	conf->check_identity = false;
	answer("Authorization", "alice", "secret", "REGISTER",
	       "sip:example.com", 2, auth, sizeof(auth));
	make_request(r, "REGISTER", "sip:example.com", "alice", "bob", NULL, "",
		     auth);
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_CONTINUE);
	finish(r);
	free(r);
}
END_TEST

START_TEST(test_never_challenged)
{
	request_t *r = malloc(sizeof(*r));

	make_request(r, "ACK", "sip:bob@example.com", "alice", "bob", "t1", "",
		     "");
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_CONTINUE);
	finish(r);
	make_request(r, "CANCEL", "sip:bob@example.com", "alice", "bob", NULL,
		     "", "");
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_CONTINUE);
	finish(r);
	/* In-dialog requests pass under the default policy. */
	make_request(r, "BYE", "sip:bob@example.com", "alice", "bob", "t1", "",
		     "");
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_CONTINUE);
	finish(r);
	/* A policy covering other methods leaves OPTIONS alone. */
	ck_assert_int_eq(
	    auth_rule_parse(&conf->rules[0], "REGISTER,INVITE", "", false), 0);
	conf->nrules = 1;
	make_request(r, "OPTIONS", "sip:example.com", "alice", "alice", NULL,
		     "", "");
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_CONTINUE);
	finish(r);
	ck_assert_uint_eq(sent.count, 0);
	free(r);
}
END_TEST

START_TEST(test_stream_reply_on_connection)
{
	request_t *r = malloc(sizeof(*r));

	make_request(r, "REGISTER", "sip:example.com", "alice", "alice", NULL,
		     "", "");
	ck_assert_int_eq(run(r, SS_SIP_TCP, 42), SS_BUS_STOP);
	finish(r);
	ck_assert_uint_eq(sent.count, 1);
	ck_assert_int_eq(sent.dst.proto, SS_SIP_TCP);
	ck_assert_uint_eq(sent.dst.conn_id, 42);
	ck_assert_uint_eq(
	    ntohs(((struct sockaddr_in *)&sent.dst.addr.sa)->sin_port), 5062);
	free(r);
}
END_TEST

/* What the fake transaction layer was asked to answer last. */
typedef struct txn_record {
	unsigned code;
	char extra[1024];
} txn_record_t;

static txn_record_t txn_reply, txn_stateless;

static int fake_reply_stateless(ss_sip_rx_t *rx, unsigned code,
				const char *reason,
				const ss_sip_resp_opts_t *opts)
{
	(void)rx;
	(void)reason;
	txn_stateless.code = code;
	snprintf(txn_stateless.extra, sizeof(txn_stateless.extra), "%.*s",
		 SS_STR_ARG(opts->extra_hdrs));
	return 0;
}

static int fake_reply_rx(ss_sip_rx_t *rx, unsigned code, const char *reason,
			 const ss_sip_resp_opts_t *opts)
{
	(void)rx;
	(void)reason;
	txn_reply.code = code;
	snprintf(txn_reply.extra, sizeof(txn_reply.extra), "%.*s",
		 SS_STR_ARG(opts->extra_hdrs));
	return 0;
}

/* With a transaction layer an INVITE's answer goes through its
 * transaction; a REGISTER is challenged statelessly by that layer, so
 * nothing stays behind for it (RFC 3261 8.2.7). Never the transport. */
START_TEST(test_reply_through_transaction)
{
	static const ss_sip_txn_api_t fake_txn = {
	    .version = SS_TXN_API_VERSION,
	    .reply_rx = fake_reply_rx,
	    .reply_stateless = fake_reply_stateless,
	};
	request_t *r = malloc(sizeof(*r));

	auth_pipeline_bind(&ss_sip_parser_api, &fake_transport, &fake_txn);
	make_request(r, "INVITE", "sip:bob@example.com", "alice", "bob", NULL,
		     "", "");
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_STOP);
	finish(r);
	ck_assert_uint_eq(sent.count, 0);
	ck_assert_uint_eq(txn_reply.code, 407);
	ck_assert_uint_eq(txn_stateless.code, 0);
	ck_assert_int_eq(
	    strncmp(txn_reply.extra,
		    "Proxy-Authenticate: Digest realm=\"example.com\"", 46),
	    0);

	txn_reply.code = 0;
	make_request(r, "REGISTER", "sip:example.com", "alice", "alice", NULL,
		     "", "");
	ck_assert_int_eq(run(r, SS_SIP_UDP, 0), SS_BUS_STOP);
	finish(r);
	ck_assert_uint_eq(sent.count, 0);
	ck_assert_uint_eq(txn_reply.code, 0);
	ck_assert_uint_eq(txn_stateless.code, 401);
	ck_assert_int_eq(
	    strncmp(txn_stateless.extra,
		    "WWW-Authenticate: Digest realm=\"example.com\"", 44),
	    0);
	free(r);
}
END_TEST

static Suite *pipeline_suite(void)
{
	Suite *s = suite_create("auth_pipeline");
	TCase *tc = tcase_create("pipeline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_register_challenge_and_answer);
	tcase_add_test(tc, test_invite_gets_407);
	tcase_add_test(tc, test_wrong_password_rechallenged);
	tcase_add_test(tc, test_identity_mismatch_forbidden);
	tcase_add_test(tc, test_never_challenged);
	tcase_add_test(tc, test_stream_reply_on_connection);
	tcase_add_test(tc, test_reply_through_transaction);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pipeline_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
