/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One c-ares channel per worker loop, driven by that loop: the channel's
 * sockets are ss_io watchers (ARES_OPT_SOCK_STATE_CB tells which to watch)
 * and its retransmission deadline is an ss_timer. Also the lookup: one
 * question answered from the shared cache or sent on the channel.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <sipserver/log.h>

#include "dns_int.h"

typedef struct dns_sock {
	ss_io_t io;
	struct dns_sock *next;
	dns_chan_t *chan;
	int fd;
} dns_sock_t;

struct dns_chan {
	dns_res_t *res;
	ares_channel ch;
	ss_timer_t timer; /* c-ares' next timeout */
	dns_sock_t *socks;
	unsigned pending; /* lookups c-ares holds */
	bool closing;	  /* being destroyed: no new lookups */
};

static void stat_inc(atomic_ulong *c)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* Re-arms the timer for c-ares' next deadline (query retry or timeout);
 * called after every call that may change it. */
static void chan_arm(dns_chan_t *c)
{
	struct timeval tv, *tp = ares_timeout(c->ch, NULL, &tv);

	if (!tp) {
		ss_timer_stop(&c->timer);
		return;
	}
	ss_timer_start(&c->timer, (uint64_t)tp->tv_sec * 1000u +
				      ((uint64_t)tp->tv_usec + 999u) / 1000u);
}

static void chan_timer_cb(ss_timer_t *t)
{
	dns_chan_t *c = t->arg;

	ares_process_fd(c->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	chan_arm(c);
}

/* An error or hang-up is handed to c-ares as readable, so that its read
 * fails and it fails over to the next server or retries. */
static void sock_io_cb(ss_io_t *io, unsigned events)
{
	dns_sock_t *s = io->arg;
	dns_chan_t *c = s->chan;
	ares_socket_t rfd = ARES_SOCKET_BAD, wfd = ARES_SOCKET_BAD;

	if (events & (SS_IO_READ | SS_IO_ERROR))
		rfd = s->fd;
	if (events & SS_IO_WRITE)
		wfd = s->fd;
	/* s may be freed inside: c-ares closes sockets as it goes */
	ares_process_fd(c->ch, rfd, wfd);
	chan_arm(c);
}

static void sock_state_cb(void *data, ares_socket_t fd, int readable,
			  int writable)
{
	unsigned ev =
	    (readable ? SS_IO_READ : 0) | (writable ? SS_IO_WRITE : 0);
	dns_chan_t *c = data;
	dns_sock_t *s, **pp;
	int err;

	for (pp = &c->socks; *pp && (*pp)->fd != fd; pp = &(*pp)->next)
		;
	s = *pp;
	if (!ev) {
		if (s) {
			ss_io_stop(&s->io);
			*pp = s->next;
			free(s);
		}
		return;
	}
	if (s) {
		err = ss_io_modify(&s->io, ev);
		if (err)
			SS_LOG_WARN("dns socket %d: %s", fd, strerror(-err));
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		SS_LOG_ERR("dns socket %d: out of memory; its queries will "
			   "time out",
			   fd);
		return;
	}
	s->fd = fd;
	s->chan = c;
	err = ss_io_start(&s->io, fd, ev, sock_io_cb, s);
	if (err) {
		SS_LOG_ERR("dns socket %d: cannot watch: %s", fd,
			   strerror(-err));
		free(s);
		return;
	}
	s->next = c->socks;
	c->socks = s;
}

/* "a:p,[b]:p" for ares_set_servers_ports_csv. */
static int servers_csv(const dns_chan_cfg_t *cfg, char *buf, size_t size)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < cfg->nservers; i++) {
		const dns_server_t *s = &cfg->servers[i];
		bool v6 = strchr(s->address, ':') != NULL;
		int n =
		    snprintf(buf + off, size - off, "%s%s%s%s:%u", i ? "," : "",
			     v6 ? "[" : "", s->address, v6 ? "]" : "", s->port);

		if (n < 0 || (size_t)n >= size - off)
			return -ENAMETOOLONG;
		off += (size_t)n;
	}
	return 0;
}

dns_chan_t *dns_chan_new(const dns_chan_cfg_t *cfg)
{
	struct ares_options o;
	dns_chan_t *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return NULL;
	memset(&o, 0, sizeof(o));
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.timeout = (int)cfg->timeout_ms;
	o.tries = (int)cfg->tries;
	o.sock_state_cb = sock_state_cb;
	o.sock_state_cb_data = c;
	rc = ares_init_options(&c->ch, &o,
			       ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS |
				   ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB);
	if (rc != ARES_SUCCESS) {
		SS_LOG_ERR("c-ares channel: %s", ares_strerror(rc));
		free(c);
		return NULL;
	}
	if (cfg->nservers) {
		char csv[DNS_MAX_SERVERS * 72];

		rc = servers_csv(cfg, csv, sizeof(csv))
			 ? ARES_EBADSTR
			 : ares_set_servers_ports_csv(c->ch, csv);
		if (rc != ARES_SUCCESS) {
			SS_LOG_ERR("dns servers \"%s\": %s", csv,
				   ares_strerror(rc));
			ares_destroy(c->ch);
			free(c);
			return NULL;
		}
	}
	ss_timer_init(&c->timer, dns->self, chan_timer_cb, c);
	return c;
}

/* A channel that never ran a lookup has no socket and no timer. */
void dns_chan_discard(dns_chan_t *c)
{
	if (!c)
		return;
	ares_destroy(c->ch);
	free(c);
}

/* Pending lookups complete with -ECANCELED inside ares_destroy. */
static void chan_destroy(dns_chan_t *c)
{
	dns_sock_t *s;

	c->closing = true;
	ss_timer_stop(&c->timer);
	ares_destroy(c->ch);
	while ((s = c->socks)) {
		c->socks = s->next;
		ss_io_stop(&s->io);
		free(s);
	}
	free(c);
}

static void res_reap_cb(ss_timer_t *t)
{
	dns_res_t *r = t->arg;

	if (r->old && !r->old->pending) {
		chan_destroy(r->old);
		r->old = NULL;
	}
}

static uint64_t seed(void)
{
	uint64_t s = 0;
	struct timespec ts;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
		    (uint64_t)(uintptr_t)&s;
	}
	return s ? s : 0x9e3779b97f4a7c15ull;
}

/* xorshift64*: SRV weights need spread, not secrecy. */
uint32_t dns_res_random(dns_res_t *r)
{
	uint64_t x = r->rnd;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->rnd = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

int dns_res_create(unsigned index, const dns_chan_cfg_t *ccfg,
		   const dns_query_cfg_t *qcfg)
{
	dns_res_t *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->loop = ss_loop_current();
	r->cfg = *qcfg;
	r->rnd = seed();
	ss_timer_init(&r->reap, dns->self, res_reap_cb, r);
	r->chan = dns_chan_new(ccfg);
	if (!r->chan) {
		free(r);
		return -EIO;
	}
	r->chan->res = r;
	dns->res[index] = r;
	return 0;
}

void dns_res_reconfigure(dns_res_t *r, dns_chan_t *c,
			 const dns_query_cfg_t *qcfg)
{
	r->cfg = *qcfg;
	if (!c)
		return;
	c->res = r;
	/* A third generation while the second still drains: the oldest
	 * goes now and its few lookups end with -ECANCELED. */
	if (r->old) {
		ss_timer_stop(&r->reap);
		chan_destroy(r->old);
	}
	r->old = r->chan;
	r->chan = c;
	if (!r->old->pending) {
		chan_destroy(r->old);
		r->old = NULL;
	}
}

void dns_res_destroy(dns_res_t *r)
{
	ss_dns_query_t *q;

	ss_timer_stop(&r->reap);
	r->closing = true;
	r->chan->closing = true;
	if (r->old)
		chan_destroy(r->old);
	chan_destroy(r->chan);
	r->chan = NULL;
	/* Only queries waiting for their posted delivery can be left, and
	 * the unload barrier ran those before this task. */
	while ((q = r->queries))
		dns_query_abort(q);
	free(r);
}

dns_res_t *dns_res_self(void)
{
	ss_loop_t *loop = ss_loop_current();
	unsigned i;

	if (!dns || !loop)
		return NULL;
	i = ss_loop_index(loop);
	return i < dns->nres ? dns->res[i] : NULL;
}

/* ---- lookups ---- */

static void lookup_answer_cb(void *arg, int status, int timeouts,
			     unsigned char *abuf, int alen)
{
	dns_lookup_t *lk = arg;
	dns_chan_t *c = lk->chan;
	dns_res_t *r = c->res;
	int err;

	(void)timeouts;
	c->pending--;
	lk->chan = NULL;
	err = dns_rrset_from_answer(lk->type, status, abuf, alen,
				    r->cfg.negative_ttl, &lk->set);
	if (err) {
		lk->status = err;
		stat_inc(err == -ETIMEDOUT ? &r->st.timeouts : &r->st.failures);
		if (err != -ECANCELED)
			SS_LOG_INFO("%s %s: %s", dns_type_name(lk->type),
				    lk->name, ares_strerror(status));
	} else {
		lk->status = lk->set->status;
		stat_inc(&r->st.answers);
		dns_cache_put(&dns->cache, lk->name, lk->set, dns_now_ms());
	}
	if (c == r->old && !c->pending && !c->closing)
		ss_timer_start(&r->reap, 0);
	dns_query_lookup_done(lk);
}

void dns_lookup_start(dns_res_t *r, dns_lookup_t *lk)
{
	dns_chan_t *c = r->chan;

	stat_inc(&r->st.queries);
	lk->set = dns_cache_get(&dns->cache, lk->name, lk->type, dns_now_ms());
	if (lk->set) {
		lk->status = lk->set->status;
		dns_query_lookup_done(lk);
		return;
	}
	if (!c || c->closing) {
		lk->status = -ECANCELED;
		dns_query_lookup_done(lk);
		return;
	}
	stat_inc(&r->st.sent);
	lk->chan = c;
	c->pending++;
	/* The callback may run (and free the query) inside ares_query:
	 * lk is not touched afterwards. */
	ares_query(c->ch, lk->name, 1 /* IN */, lk->type, lookup_answer_cb, lk);
	chan_arm(c);
}
