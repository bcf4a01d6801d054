/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the dns module's tests (see dns_test.h).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <sipserver/service.h>

#include "cli_core.h"
#include "config_core.h"
#include "log_core.h"
#include "loop_core.h"
#include "service_core.h"
#include "dns_test.h"

#define DNSMASQ "/usr/sbin/dnsmasq"

extern const ss_module_desc_t dns_LTX_ss_module;

static pid_t dnsmasq_pid;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int loopback_udp(unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static unsigned sock_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

unsigned dnst_closed_port(void)
{
	int fd = loopback_udp(0);
	unsigned port;

	ck_assert_int_ge(fd, 0);
	port = sock_port(fd);
	close(fd);
	return port;
}

/* A query for "ready.test" A; any answer (NXDOMAIN included) will do. */
static bool dnsmasq_answers(unsigned port)
{
	static const unsigned char q[] = {
	    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00, 5,    'r',  'e',  'a',	'd',  'y',  4,	  't',
	    'e',  's',	't',  0,    0x00, 0x01, 0x00, 0x01};
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	struct pollfd pfd;
	unsigned char buf[512];
	bool ok = false;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sendto(fd, q, sizeof(q), 0, (struct sockaddr *)&to, sizeof(to)) ==
	    (ssize_t)sizeof(q)) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == 1 &&
		    recv(fd, buf, sizeof(buf), 0) >= 12)
			ok = buf[0] == 0x12 && buf[1] == 0x34;
	}
	close(fd);
	return ok;
}

static pid_t dnsmasq_spawn(unsigned port, const char *const *records)
{
	const char *argv[64];
	char portarg[16];
	unsigned n = 0;
	pid_t pid;

	snprintf(portarg, sizeof(portarg), "%u", port);
	argv[n++] = DNSMASQ;
	argv[n++] = "--keep-in-foreground";
	argv[n++] = "-p";
	argv[n++] = portarg;
	argv[n++] = "--listen-address=127.0.0.1";
	argv[n++] = "--bind-interfaces";
	argv[n++] = "--no-resolv";
	argv[n++] = "--no-hosts";
	argv[n++] = "--conf-file=/dev/null";
	argv[n++] = "--pid-file=";
	argv[n++] = "--local=/test/";
	argv[n++] = "--local-ttl=60";
	argv[n++] = "--log-facility=/dev/null";
	for (; records && *records && n < 63; records++)
		argv[n++] = *records;
	argv[n] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0 && !getenv("DNST_VERBOSE")) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(DNSMASQ, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* The port is free when chosen but not reserved: another process can take
 * it before dnsmasq binds, so a dnsmasq that exits is started again on a
 * fresh port. */
unsigned dnst_dnsmasq_start(const char *const *records)
{
	unsigned attempt;
	int status;

	ck_assert_msg(access(DNSMASQ, X_OK) == 0, "%s is missing", DNSMASQ);
	for (attempt = 0; attempt < 5; attempt++) {
		unsigned port = dnst_closed_port();
		uint64_t deadline;

		dnsmasq_pid = dnsmasq_spawn(port, records);
		deadline = mono_ms() + DNST_TIMEOUT_MS;
		while (mono_ms() < deadline) {
			if (dnsmasq_answers(port))
				return port;
			if (waitpid(dnsmasq_pid, &status, WNOHANG) ==
			    dnsmasq_pid) {
				dnsmasq_pid = 0;
				break;
			}
		}
		dnst_dnsmasq_stop();
	}
	ck_abort_msg("dnsmasq did not start");
	return 0;
}

void dnst_dnsmasq_stop(void)
{
	int status;

	if (dnsmasq_pid <= 0)
		return;
	kill(dnsmasq_pid, SIGTERM);
	while (waitpid(dnsmasq_pid, &status, 0) < 0 && errno == EINTR)
		;
	dnsmasq_pid = 0;
}

ss_cfg_t *dnst_cfg(const char *body)
{
	char xml[4096], err[256];
	ss_config_t *doc;
	ss_cfg_t *cfg;

	snprintf(xml, sizeof(xml),
		 "<sipserver><modules><module name=\"dns\">%s"
		 "</module></modules></sipserver>",
		 body);
	doc = ss_config_load_memory(xml, strlen(xml), "test", err, sizeof(err));
	ck_assert_msg(doc != NULL, "%s", err);
	cfg = ss_cfg_build(ss_config_module_find(doc, "dns"),
			   dns_LTX_ss_module.config, "dns", err, sizeof(err));
	ck_assert_msg(cfg != NULL, "%s", err);
	ss_config_free(doc);
	return cfg;
}

void dnst_start(const char *body)
{
	const char *v = getenv("DNST_VERBOSE");
	ss_cfg_t *cfg;

	ss_log_init(v ? atoi(v) : 0, false);
	ck_assert_int_eq(ss_loops_start(2), 0);
	cfg = dnst_cfg(body);
	ck_assert_int_eq(dns_LTX_ss_module.load(NULL, cfg), SS_LOAD_OK);
	ss_cfg_free(cfg);
	ck_assert_ptr_nonnull(dns);
}

void dnst_stop(void)
{
	dns_LTX_ss_module.unload(NULL);
	ck_assert_ptr_null(dns);
	ss_service_release_owner(NULL);
	ss_cli_release_owner(NULL);
	ss_loops_shutdown();
	dnst_dnsmasq_stop();
	ss_log_shutdown();
}

/* ---- blocking resolve ---- */

typedef struct resolve_job {
	ss_dns_target_t target;
	char host[DNS_NAME_MAX + 1];
	dnst_result_t *res;
	int ret;
	bool started, resolving;
} resolve_job_t;

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_cond = PTHREAD_COND_INITIALIZER;

static void job_cb(void *arg, int status, const ss_sip_dest_t *dests,
		   unsigned count)
{
	resolve_job_t *job = arg;
	dnst_result_t *r = job->res;

	pthread_mutex_lock(&job_lock);
	r->status = status;
	r->n = count;
	if (count)
		memcpy(r->dests, dests, count * sizeof(*dests));
	r->loop_index = ss_loop_index(ss_loop_current());
	r->in_resolve = job->resolving;
	r->done = true;
	pthread_cond_broadcast(&job_cond);
	pthread_mutex_unlock(&job_lock);
}

static void job_task(void *arg)
{
	resolve_job_t *job = arg;
	const ss_dns_api_t *api =
	    ss_service_get(SS_DNS_SERVICE, SS_DNS_API_VERSION);
	ss_dns_query_t *q = NULL;
	int ret;

	job->resolving = true;
	ret = api ? api->resolve(&job->target, job_cb, job, &q) : -ENOENT;
	job->resolving = false;
	pthread_mutex_lock(&job_lock);
	job->ret = ret;
	job->started = true;
	if (ret)
		job->res->done = true;
	else
		ck_assert_ptr_nonnull(q);
	pthread_cond_broadcast(&job_cond);
	pthread_mutex_unlock(&job_lock);
}

int dnst_resolve(unsigned w, const ss_dns_target_t *t, dnst_result_t *res)
{
	resolve_job_t job = {.target = *t, .res = res};
	struct timespec ts;
	int ret;

	memset(res, 0, sizeof(*res));
	snprintf(job.host, sizeof(job.host), "%s", t->host);
	job.target.host = job.host;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += DNST_TIMEOUT_MS / 1000;
	ck_assert_int_eq(ss_loop_post(ss_loop_worker(w), job_task, &job), 0);
	pthread_mutex_lock(&job_lock);
	while (!(job.started && res->done) &&
	       pthread_cond_timedwait(&job_cond, &job_lock, &ts) == 0)
		;
	ck_assert_msg(job.started && res->done, "resolve of %s timed out",
		      t->host);
	ret = job.ret;
	pthread_mutex_unlock(&job_lock);
	return ret;
}

ss_dns_target_t dnst_target(const char *host, unsigned port,
			    ss_sip_proto_t proto, bool secure)
{
	ss_dns_target_t t = {.host = host,
			     .port = (uint16_t)port,
			     .proto = proto,
			     .secure = secure};

	return t;
}

const char *dnst_dest(const dnst_result_t *r, unsigned i)
{
	static char buf[SS_DNS_MAX_DESTS][80];

	ck_assert_uint_lt(i, r->n);
	return dns_dest_str(&r->dests[i], buf[i], sizeof(buf[i]));
}
