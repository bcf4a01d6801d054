/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The parser module's glue, driven through its descriptor with the core
 * functions it calls stubbed here: publishing of requests and responses,
 * received/rport stamping, error answers through the transport service,
 * drops, the size limit and the console counters.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>

#include <sipserver/sipserver.h>

#include "parser_test.h"

extern const ss_module_desc_t parser_LTX_ss_module;

/* ---- stubs of the core ---- */

volatile int ss_log_max_level = 0;
static long cfg_max_size;
static int published_topic;
static char published_via[512];
static ss_sip_method_t published_method;
static const ss_sip_parser_api_t *provided;
static char sent[4096];
static int nsent;
static ss_sip_dest_t sent_to;
static char cli_out[1024];

void ss_log_write(int level, const char *module, const char *file, int line,
		  const char *func, const char *fmt, ...)
{
}

ss_topic_t ss_bus_topic(const char *name)
{
	return strcmp(name, "sip.request.in") == 0 ? 1 : 2;
}

ss_bus_verdict_t ss_bus_publish(ss_topic_t topic, void *m)
{
	ss_sip_rx_t *rx = m;
	const ss_sip_hdr_t *via = ss_sip_msg_hdr(rx->msg, SS_SIP_HDR_VIA);

	published_topic = topic;
	published_method = rx->msg->method;
	snprintf(published_via, sizeof(published_via), "%.*s",
		 SS_STR_ARG(via->value));
	return SS_BUS_STOP;
}

static int fake_send(const ss_sip_dest_t *dst, const char *buf, size_t len)
{
	nsent++;
	sent_to = *dst;
	snprintf(sent, sizeof(sent), "%.*s", (int)len, buf);
	return 0;
}

static const ss_sip_transport_api_t fake_transport = {
    .version = SS_SIP_TRANSPORT_API_VERSION,
    .send = fake_send,
};

const void *ss_service_get(const char *name, unsigned min_version)
{
	return strcmp(name, "transport") == 0 ? &fake_transport : NULL;
}

int ss_service_provide(const struct ss_module *owner, const char *name,
		       unsigned version, const void *vtable)
{
	ck_assert_str_eq(name, "parser");
	ck_assert_uint_eq(version, SS_SIP_PARSER_API_VERSION);
	provided = vtable;
	return 0;
}

ss_loop_t *ss_loop_current(void)
{
	return NULL;
}

unsigned ss_loop_index(const ss_loop_t *loop)
{
	return 0;
}

const ss_cfg_node_t *ss_cfg_first(const ss_cfg_t *cfg, const char *name)
{
	return cfg_max_size ? (const ss_cfg_node_t *)&cfg_max_size : NULL;
}

long ss_cfg_int(const ss_cfg_node_t *node, const char *attr)
{
	return *(const long *)node;
}

void ss_cli_printf(ss_cli_t *cli, const char *fmt, ...)
{
	size_t n = strlen(cli_out);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cli_out + n, sizeof(cli_out) - n, fmt, ap);
	va_end(ap);
}

/* ---- helpers ---- */

static void deliver(const char *text, ss_sip_proto_t proto)
{
	struct sockaddr_in *in;
	ss_sip_packet_t pkt = {.buf = (char *)text,
			       .len = strlen(text),
			       .proto = proto,
			       .conn_id = proto == SS_SIP_UDP ? 0 : 42};

	in = (struct sockaddr_in *)&pkt.src.sa;
	in->sin_family = AF_INET;
	in->sin_port = htons(40000);
	inet_pton(AF_INET, "198.51.100.7", &in->sin_addr);
	pkt.src.len = sizeof(*in);
	published_topic = 0;
	nsent = 0;
	parser_LTX_ss_module.subscriptions[0].fn(0, &pkt, NULL);
}

static void load(long max_size)
{
	cfg_max_size = max_size;
	ck_assert_int_eq(parser_LTX_ss_module.load(NULL, NULL), SS_LOAD_OK);
}

#define HEAD(via)                                                        \
	"Via: " via "\r\n"                                               \
	"From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n" \
	"Call-ID: mod@x\r\nMax-Forwards: 70\r\n"

START_TEST(test_descriptor_and_service)
{
	ss_sip_parser_stats_t st;

	ck_assert_uint_eq(parser_LTX_ss_module.abi, SS_MODULE_ABI);
	ck_assert_str_eq(parser_LTX_ss_module.name, "parser");
	ck_assert_str_eq(parser_LTX_ss_module.subscriptions[0].topic,
			 "sip.raw.in");
	load(0);
	ck_assert_ptr_nonnull(provided);
	ck_assert_ptr_nonnull(provided->stats);
	ck_assert_ptr_eq(provided->parse, ss_sip_msg_parse);
	provided->stats(&st);
	ck_assert_uint_eq(st.requests + st.responses + st.dropped, 0);
}
END_TEST

START_TEST(test_request_stamped_and_published)
{
	load(0);
	deliver(
	    "INVITE sip:b@example.com SIP/2.0\r\n" HEAD(
		"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport") "CSeq: 1 "
								    "INVITE\r\n"
								    "Content-"
								    "Length: "
								    "0\r\n\r\n",
	    SS_SIP_UDP);
	ck_assert_int_eq(published_topic, 1);
	ck_assert_int_eq(published_method, SS_SIP_METHOD_INVITE);
	ck_assert_str_eq(published_via,
			 "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;"
			 "received=198.51.100.7;rport=40000");
	/* Sent from where the Via says, without rport: left alone. */
	deliver("OPTIONS sip:b@example.com SIP/2.0\r\n" HEAD(
		    "SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK2") "CSeq: 1 "
								     "OPTIONS\r"
								     "\n\r\n",
		SS_SIP_UDP);
	ck_assert_int_eq(published_topic, 1);
	ck_assert_str_eq(published_via,
			 "SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK2");
	/* A name in sent-by always gets received=. */
	deliver(
	    "OPTIONS sip:b@example.com SIP/2.0\r\n" HEAD(
		"SIP/2.0/TCP pc.example.com;branch=z9hG4bK3") "CSeq: 1 "
							      "OPTIONS\r\n\r\n",
	    SS_SIP_TCP);
	ck_assert_str_eq(published_via,
			 "SIP/2.0/TCP pc.example.com;"
			 "branch=z9hG4bK3;received=198.51.100.7");
	ck_assert_int_eq(nsent, 0);
}
END_TEST

START_TEST(test_response_published_or_dropped)
{
	ss_sip_parser_stats_t st;

	load(0);
	deliver("SIP/2.0 200 OK\r\n" HEAD(
		    "SIP/2.0/UDP h;branch=z9hG4bK1") "CSeq: 1 INVITE\r\n\r\n",
		SS_SIP_UDP);
	ck_assert_int_eq(published_topic, 2);
	deliver("SIP/2.0 4294967301 big\r\n" HEAD(
		    "SIP/2.0/UDP h;branch=z9hG4bK1") "CSeq: 1 INVITE\r\n\r\n",
		SS_SIP_UDP);
	ck_assert_int_eq(published_topic, 0);
	ck_assert_int_eq(nsent, 0);
	provided->stats(&st);
	ck_assert_uint_ge(st.dropped, 1);
	ck_assert_uint_ge(st.responses, 1);
}
END_TEST

START_TEST(test_malformed_answered)
{
	char tag1[64], tag2[64];
	const char *t;
	static const char bad[] = "OPTIONS sip:b@example.com SIP/7.0\r\n" HEAD(
	    "SIP/2.0/TCP h;branch=z9hG4bK9") "CSeq: 1 OPTIONS\r\n\r\n";

	load(0);
	deliver(bad, SS_SIP_TCP);
	ck_assert_int_eq(published_topic, 0);
	ck_assert_int_eq(nsent, 1);
	ck_assert(strncmp(sent, "SIP/2.0 505 Version Not Supported\r\n", 35) ==
		  0);
	ck_assert_int_eq(sent_to.proto, SS_SIP_TCP);
	ck_assert_uint_eq(sent_to.conn_id, 42);
	ck_assert_uint_eq(
	    ntohs(((struct sockaddr_in *)&sent_to.addr.sa)->sin_port), 40000);
	t = strstr(sent, ";tag=");
	ck_assert_ptr_nonnull(t);
	snprintf(tag1, sizeof(tag1), "%.16s", t + 5);
	/* A retransmission gets the same To tag. */
	deliver(bad, SS_SIP_TCP);
	snprintf(tag2, sizeof(tag2), "%.16s", strstr(sent, ";tag=") + 5);
	ck_assert_str_eq(tag1, tag2);
	deliver("OPTIONS sip:b@example.com SIP/2.0\r\n" HEAD(
		    "SIP/2.0/UDP h;branch=z9hG4bK8") "CSeq: 1 INVITE\r\n\r\n",
		SS_SIP_UDP);
	ck_assert(strncmp(sent, "SIP/2.0 400 CSeq Method Mismatch\r\n", 34) ==
		  0);
	/* Never an answer to an ACK, nor without a Via. */
	deliver("ACK sip:b@example.com SIP/2.0\r\n" HEAD(
		    "SIP/2.0/UDP h;branch=z9hG4bK7") "CSeq: 1 INVITE\r\n\r\n",
		SS_SIP_UDP);
	ck_assert_int_eq(nsent, 0);
	deliver("OPTIONS sip:b@example.com SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\n",
		SS_SIP_UDP);
	ck_assert_int_eq(nsent, 0);
}
END_TEST

START_TEST(test_size_limit_and_cli)
{
	char big[1200];
	int n;

	load(600);
	n = snprintf(
	    big, sizeof(big),
	    "MESSAGE sip:b@example.com SIP/2.0\r\n" HEAD(
		"SIP/2.0/UDP h;branch=z9hG4bK6") "CSeq: 1 "
						 "MESSAGE\r\nContent-Length: "
						 "700\r\n\r\n");
	memset(big + n, 'x', 700);
	big[n + 700] = '\0';
	deliver(big, SS_SIP_UDP);
	ck_assert_int_eq(nsent, 1);
	ck_assert(
	    strncmp(sent, "SIP/2.0 413 Request Entity Too Large\r\n", 38) == 0);
	cli_out[0] = '\0';
	ck_assert_int_eq(parser_LTX_ss_module.commands[0].fn(NULL, 0, NULL),
			 SS_CLI_OK);
	ck_assert(strstr(cli_out, "requests rejected:"));
	ck_assert(strstr(cli_out, "max message size:   600"));
	ck_assert_int_eq(parser_LTX_ss_module.commands[0].fn(
			     NULL, 1, (const char *const[]){"x"}),
			 SS_CLI_USAGE);
}
END_TEST

static Suite *mod_suite(void)
{
	Suite *s = suite_create("parser_mod");
	TCase *tc = tcase_create("glue");

	tcase_add_test(tc, test_descriptor_and_service);
	tcase_add_test(tc, test_request_stamped_and_published);
	tcase_add_test(tc, test_response_published_or_dropped);
	tcase_add_test(tc, test_malformed_answered);
	tcase_add_test(tc, test_size_limit_and_cli);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mod_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
