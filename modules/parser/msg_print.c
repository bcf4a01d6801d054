/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Serializing: a message back to wire form after edits, and responses to a
 * request (RFC 3261 8.2.6). Untouched header lines that were adjacent in
 * the receive buffer are copied as one run, so forwarding a message with a
 * new Via costs a few memcpy calls.
 */
#include <errno.h>
#include <string.h>

#include "parser_int.h"

typedef struct wbuf {
	char *p;
	size_t size, len;
} wbuf_t;

static void put(wbuf_t *w, const char *s, size_t n)
{
	if (n && w->len <= w->size && n <= w->size - w->len)
		memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void puts_(wbuf_t *w, ss_str_t s)
{
	put(w, s.s, s.len);
}

static void putc_(wbuf_t *w, const char *lit)
{
	put(w, lit, strlen(lit));
}

static void putu(wbuf_t *w, uint64_t v)
{
	char tmp[24];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, tmp + n, sizeof(tmp) - n);
}

static void put_hdr(wbuf_t *w, ss_str_t name, ss_str_t value)
{
	puts_(w, name);
	put(w, ": ", 2);
	puts_(w, value);
	put(w, "\r\n", 2);
}

static ssize_t finish(const wbuf_t *w)
{
	return w->len <= w->size ? (ssize_t)w->len : -ENOSPC;
}

ssize_t ss_sip_msg_print(const ss_sip_msg_t *msg, char *buf, size_t size)
{
	wbuf_t w = {buf, size, 0};
	const char *run = NULL, *run_end = NULL;
	int have_cl = 0;

	if (msg->is_request && (msg->flags & SS_SIP_MSG_F_RURI_EDITED)) {
		puts_(&w, msg->method_str);
		put(&w, " ", 1);
		puts_(&w, msg->ruri_str);
		putc_(&w, " SIP/2.0\r\n");
	} else {
		puts_(&w, msg->start_line);
		put(&w, "\r\n", 2);
	}
	for (unsigned i = 0; i < msg->nhdrs; i++) {
		const ss_sip_hdr_t *h = &msg->hdrs[i];

		if (h->flags & SS_SIP_HDR_F_REMOVED)
			continue;
		have_cl |= h->id == SS_SIP_HDR_CONTENT_LENGTH;
		if (!(h->flags & SS_SIP_HDR_F_EDITED) && run_end == h->raw.s) {
			run_end += h->raw.len;
			continue;
		}
		if (run)
			put(&w, run, (size_t)(run_end - run));
		run = run_end = NULL;
		if (h->flags & SS_SIP_HDR_F_EDITED) {
			put_hdr(&w, h->name, h->value);
		} else {
			run = h->raw.s;
			run_end = run + h->raw.len;
		}
	}
	if (run)
		put(&w, run, (size_t)(run_end - run));
	if (!have_cl) {
		putc_(&w, "Content-Length: ");
		putu(&w, msg->body.len);
		put(&w, "\r\n", 2);
	}
	put(&w, "\r\n", 2);
	puts_(&w, msg->body);
	return finish(&w);
}

/* Copies the first (or, for Via, every) live header of id. */
static void copy_hdrs(wbuf_t *w, const ss_sip_msg_t *req, ss_sip_hdr_id_t id,
		      int all)
{
	for (const ss_sip_hdr_t *h = ss_sip_msg_hdr(req, id); h;
	     h = all ? ss_sip_msg_hdr_next(req, h) : NULL)
		put_hdr(w, ss_str_c(ss_sip_hdr_name(id)), h->value);
}

ssize_t ss_sip_build_response(ss_sip_msg_t *req, unsigned code,
			      const char *reason,
			      const ss_sip_resp_opts_t *opts, char *buf,
			      size_t size)
{
	static const ss_sip_resp_opts_t none;
	wbuf_t w = {buf, size, 0};
	ss_sip_hdr_t *to;

	if (!opts)
		opts = &none;
	putc_(&w, "SIP/2.0 ");
	putu(&w, code);
	put(&w, " ", 1);
	putc_(&w, reason ? reason : ss_sip_reason_phrase(code));
	put(&w, "\r\n", 2);
	copy_hdrs(&w, req, SS_SIP_HDR_VIA, 1);
	copy_hdrs(&w, req, SS_SIP_HDR_FROM, 0);
	to = ss_sip_msg_hdr(req, SS_SIP_HDR_TO);
	if (to) {
		const ss_sip_name_addr_t *na;

		putc_(&w, "To: ");
		puts_(&w, to->value);
		/* RFC 3261 8.2.6.2: a tag on every response but 100. */
		na = (const ss_sip_name_addr_t *)ss_sip_hdr_values(req, to);
		if (code != 100 && opts->to_tag.len && na && !na->tag.s) {
			putc_(&w, ";tag=");
			puts_(&w, opts->to_tag);
		}
		put(&w, "\r\n", 2);
	}
	copy_hdrs(&w, req, SS_SIP_HDR_CALL_ID, 0);
	copy_hdrs(&w, req, SS_SIP_HDR_CSEQ, 0);
	copy_hdrs(&w, req, SS_SIP_HDR_TIMESTAMP, 0);
	puts_(&w, opts->extra_hdrs);
	if (opts->ctype.len)
		put_hdr(&w, SS_STR("Content-Type"), opts->ctype);
	putc_(&w, "Content-Length: ");
	putu(&w, opts->ctype.len ? opts->body.len : 0);
	putc_(&w, "\r\n\r\n");
	if (opts->ctype.len)
		puts_(&w, opts->body);
	return finish(&w);
}
