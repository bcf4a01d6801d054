/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parser micro-benchmark on the RFC 3665 INVITE and REGISTER: what a
 * stateful proxy does per request (parse, validate, read Via/From/To/CSeq/
 * Call-ID, stamp and add a Via, decrement Max-Forwards, serialize), timed
 * over a fixed number of rounds. Prints messages/s and ns/msg.
 * Usage: parser_bench [DIR] [ROUNDS]   (DIR holds invite.sip, register.sip)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sipserver/sip/parser.h>

#ifndef SS_SRCDIR
#define SS_SRCDIR "."
#endif

static char *load(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: read error\n", path);
		exit(1);
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One proxy-style round; returns the printed length (kept live). */
static size_t one(ss_sip_msg_t *msg, const char *buf, size_t len, char *out,
		  size_t size, int edit)
{
	ss_sip_error_t err;
	uint32_t mf = 0;
	ssize_t n;

	if (ss_sip_msg_parse(msg, buf, len, &err) < 0 ||
	    ss_sip_msg_check(msg, &err) < 0) {
		fprintf(stderr, "bench message rejected: %s\n", err.reason);
		exit(1);
	}
	if (!edit)
		return msg->nhdrs;
	ss_sip_msg_uint(msg, SS_SIP_HDR_MAX_FORWARDS, &mf);
	ss_sip_msg_via_set_received(msg, SS_STR("192.0.2.201"), -1);
	ss_sip_msg_hdr_add(
	    msg, SS_SIP_HDR_VIA, SS_STR_NULL,
	    SS_STR("SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKbench1"),
	    SS_SIP_PREPEND);
	ss_sip_msg_hdr_replace(msg,
			       ss_sip_msg_hdr(msg, SS_SIP_HDR_MAX_FORWARDS),
			       mf > 9 ? SS_STR("69") : SS_STR("8"));
	n = ss_sip_msg_print(msg, out, size);
	if (n < 0) {
		fprintf(stderr, "print failed\n");
		exit(1);
	}
	return (size_t)n;
}

static void run(const char *label, const char *buf, size_t len, long rounds,
		int edit)
{
	static char out[8192];
	ss_sip_msg_t msg;
	volatile size_t sink = 0;
	double t0, ns;

	ss_sip_msg_init(&msg);
	for (long i = 0; i < rounds / 10; i++)
		sink += one(&msg, buf, len, out, sizeof(out), edit);
	t0 = now_ns();
	for (long i = 0; i < rounds; i++)
		sink += one(&msg, buf, len, out, sizeof(out), edit);
	ns = (now_ns() - t0) / (double)rounds;
	ss_sip_msg_fini(&msg);
	printf("%-34s %10.0f msg/s %8.1f ns/msg\n", label, 1e9 / ns, ns);
	(void)sink;
}

int main(int argc, char **argv)
{
	const char *dir =
	    argc > 1 ? argv[1] : SS_SRCDIR "/tests/data/sip/rfc3665";
	long rounds = argc > 2 ? atol(argv[2]) : 500000;
	size_t ilen, rlen;
	char *inv = load(dir, "invite.sip", &ilen);
	char *reg = load(dir, "register.sip", &rlen);

	printf("parser_bench: %ld rounds per line\n", rounds);
	run("INVITE   parse+check", inv, ilen, rounds, 0);
	run("INVITE   parse+check+edit+print", inv, ilen, rounds, 1);
	run("REGISTER parse+check", reg, rlen, rounds, 0);
	run("REGISTER parse+check+edit+print", reg, rlen, rounds, 1);
	free(inv);
	free(reg);
	return 0;
}
