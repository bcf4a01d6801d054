/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Answers of the registrar: the 200 OK with the current contact list and
 * a Date (RFC 3261 10.3 step 8), sent once the location change is
 * committed, and the error responses with their counters.
 */
#include "reg_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sipserver/log.h>

/* Covers some thirty contacts; longer lists take one heap buffer. */
#define REG_HDRS_STACK 4096

reg_pending_t *reg_pending_new(ss_sip_rx_t *rx, const char *aor,
			       const char *path)
{
	size_t alen = strlen(aor) + 1, plen = path ? strlen(path) + 1 : 0;
	reg_pending_t *p;
	char *s;

	if (!rx->txn)
		return NULL;
	p = malloc(sizeof(*p) + alen + plen);
	if (!p)
		return NULL;
	s = (char *)(p + 1);
	memcpy(s, aor, alen);
	p->aor = s;
	p->path = NULL;
	if (path) {
		s += alen;
		memcpy(s, path, plen);
		p->path = s;
	}
	p->txn = reg_g.txn->ref(rx->txn);
	return p;
}

void reg_pending_free(reg_pending_t *p)
{
	if (!p)
		return;
	if (p->txn)
		reg_g.txn->unref(&p->txn);
	free(p);
}

/* ---- the 200's header lines ------------------------------------------- */

/* Output that keeps counting past the end of its buffer, so that one pass
 * tells both the text and the size it needs. Plain appends rather than
 * printf: this runs for every 200 the registrar sends. */
typedef struct hbuf {
	char *p;
	size_t len, size;
} hbuf_t;

/* A piece that does not fit leaves len past size for good, so the caller
 * sees the overflow whatever fits after it. */
static void hb_put(hbuf_t *b, const char *s, size_t n)
{
	if (b->len <= b->size && n <= b->size - b->len)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void hb_puts(hbuf_t *b, const char *s)
{
	hb_put(b, s, strlen(s));
}

/* Decimal, zero-padded to at least `width` digits. */
static void hb_putu(hbuf_t *b, unsigned v, unsigned width)
{
	char tmp[16];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v || sizeof(tmp) - i < width);
	hb_put(b, tmp + i, sizeof(tmp) - i);
}

/* Under the AOR's shard lock: formatting only. */
static int put_contact(void *arg, const ss_loc_contact_t *c)
{
	hbuf_t *b = arg;

	hb_put(b, "Contact: <", 10);
	hb_puts(b, c->uri);
	hb_put(b, ">;expires=", 10);
	hb_putu(b, c->expires_in, 1);
	if (c->q < SS_LOC_Q_MAX) {
		hb_put(b, ";q=", 3);
		hb_putu(b, c->q / 1000u, 1);
		hb_put(b, ".", 1);
		hb_putu(b, c->q % 1000u, 3);
	}
	if (*c->instance) {
		hb_put(b, ";+sip.instance=\"", 16);
		hb_puts(b, c->instance);
		hb_put(b, "\"", 1);
	}
	if (*c->instance && c->reg_id) {
		hb_put(b, ";reg-id=", 8);
		hb_putu(b, c->reg_id, 1);
	}
	hb_put(b, "\r\n", 2);
	return 0;
}

/* RFC 3261 20.17: an RFC 1123 date in GMT, with English names whatever
 * the process locale says. Formatted once per second per thread. */
static void put_date(hbuf_t *b)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
					"Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
					   "May", "Jun", "Jul", "Aug",
					   "Sep", "Oct", "Nov", "Dec"};
	static __thread time_t cached_at = -1;
	static __thread char line[48];
	static __thread size_t line_len;
	time_t now = time(NULL);
	struct tm tm;

	if (now != cached_at) {
		hbuf_t d = {line, 0, sizeof(line)};

		if (!gmtime_r(&now, &tm))
			return;
		hb_put(&d, "Date: ", 6);
		hb_put(&d, days[tm.tm_wday % 7], 3);
		hb_put(&d, ", ", 2);
		hb_putu(&d, (unsigned)tm.tm_mday, 2);
		hb_put(&d, " ", 1);
		hb_put(&d, months[tm.tm_mon % 12], 3);
		hb_put(&d, " ", 1);
		hb_putu(&d, (unsigned)tm.tm_year + 1900u, 4);
		hb_put(&d, " ", 1);
		hb_putu(&d, (unsigned)tm.tm_hour, 2);
		hb_put(&d, ":", 1);
		hb_putu(&d, (unsigned)tm.tm_min, 2);
		hb_put(&d, ":", 1);
		hb_putu(&d, (unsigned)tm.tm_sec, 2);
		hb_put(&d, " GMT\r\n", 6);
		if (d.len > sizeof(line))
			return;
		line_len = d.len;
		cached_at = now;
	}
	hb_put(b, line, line_len);
}

ssize_t reg_ok_headers(const char *aor, const char *path, char *buf,
		       size_t size)
{
	hbuf_t b = {buf, 0, size};
	int n = reg_g.loc->lookup(aor, put_contact, &b);

	if (n < 0)
		return n;
	put_date(&b);
	if (path) {
		hb_put(&b, "Path: ", 6);
		hb_puts(&b, path);
		hb_put(&b, "\r\n", 2);
	}
	if (b.len >= size)
		return (ssize_t)b.len + 1;
	buf[b.len] = '\0';
	return (ssize_t)b.len;
}

/* Sends through txn when given (the answer after a commit), else through
 * rx (a query, answered within its publish). */
static void send_ok(ss_sip_txn_t *txn, ss_sip_rx_t *rx, const char *aor,
		    const char *path)
{
	char stack[REG_HDRS_STACK], *buf = stack, *heap = NULL;
	ss_sip_resp_opts_t o = {0};
	ssize_t n = reg_ok_headers(aor, path, buf, sizeof(stack));
	int err;

	if (n >= (ssize_t)sizeof(stack)) {
		/* Contacts may come or go between the two passes. */
		size_t size = (size_t)n + 1024;

		heap = malloc(size);
		n = heap ? reg_ok_headers(aor, path, heap, size) : -ENOMEM;
		if (n >= (ssize_t)size)
			n = -ENOSPC;
		buf = heap;
	}
	if (n < 0) {
		SS_LOG_WARN("cannot list the contacts of %s: %s", aor,
			    strerror((int)-n));
		o.extra_hdrs = SS_STR_NULL;
		err =
		    txn ? reg_g.txn->reply(txn, 500, "Contact List Failed", &o)
			: reg_g.txn->reply_rx(rx, 500, "Contact List Failed",
					      &o);
		REG_COUNT(failures);
		goto out;
	}
	o.extra_hdrs = (ss_str_t){buf, (size_t)n};
	err = txn ? reg_g.txn->reply(txn, 200, NULL, &o)
		  : reg_g.txn->reply_rx(rx, 200, NULL, &o);
	if (!err)
		REG_COUNT(accepted);
out:
	if (err)
		SS_LOG_WARN("answer for %s not sent: %s", aor, strerror(-err));
	free(heap);
}

void reg_reply_ok_rx(ss_sip_rx_t *rx, const char *aor, const char *path)
{
	send_ok(NULL, rx, aor, path);
}

void reg_apply_done(void *arg, int result)
{
	reg_pending_t *p = arg;
	int err = 0;

	if (result == SS_LOC_OK) {
		send_ok(p->txn, NULL, p->aor, p->path);
	} else {
		SS_LOG_WARN("update of %s not committed: %s", p->aor,
			    strerror(-result));
		err = result == SS_LOC_E_SHUTDOWN
			  ? reg_g.txn->reply(p->txn, 503, "Shutting Down", NULL)
			  : reg_g.txn->reply(p->txn, 500,
					     "Registration Not Stored", NULL);
		REG_COUNT(failures);
	}
	if (err)
		SS_LOG_WARN("answer for %s not sent: %s", p->aor,
			    strerror(-err));
	reg_pending_free(p);
}

void reg_reply_error(ss_sip_rx_t *rx, unsigned code, const char *reason,
		     const char *extra_hdrs)
{
	ss_sip_resp_opts_t o = {0};
	int err;

	if (extra_hdrs)
		o.extra_hdrs = ss_str_c(extra_hdrs);
	if (code == 423)
		REG_COUNT(too_brief);
	else
		REG_COUNT(failures);
	SS_LOG_DEBUG("%u %s", code, reason);
	err = reg_g.txn->reply_rx(rx, code, reason, &o);
	if (err)
		SS_LOG_WARN("%u %s not sent: %s", code, reason, strerror(-err));
}
