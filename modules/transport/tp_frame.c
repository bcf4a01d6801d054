/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stream framing (RFC 3261 18.3): keepalives between messages, the end of
 * the header block, and Content-Length, which streams must carry.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "transport_int.h"

static const char crlf2[] = "\r\n\r\n";

/* Offset just past the empty line that ends the headers, or 0. Bare LF
 * line ends are accepted as well, as RFC 3261 7.5 asks of receivers. */
static size_t tp_header_end(const char *buf, size_t len)
{
	const char *p = buf;
	const char *end = buf + len;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		if (p < end && *p == '\n')
			return (size_t)(p + 1 - buf);
		if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
			return (size_t)(p + 2 - buf);
	}
	return 0;
}

/* If the line at p..end names Content-Length (long or compact form), the
 * position after its colon, else NULL. */
static const char *tp_cl_value(const char *p, const char *end)
{
	static const char name[] = "content-length";
	size_t n = sizeof(name) - 1;

	if ((size_t)(end - p) > n && strncasecmp(p, name, n) == 0)
		p += n;
	else if (end - p > 1 && (*p == 'l' || *p == 'L'))
		p++;
	else
		return NULL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p < end && *p == ':' ? p + 1 : NULL;
}

/* Parses the digits of a Content-Length value up to the line end.
 * -EBADMSG for anything but optional blanks around a decimal number. */
static int tp_cl_parse(const char *p, const char *eol, size_t *out)
{
	size_t v = 0;
	bool digits = false;

	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	for (; p < eol && *p >= '0' && *p <= '9'; p++) {
		if (v > (SIZE_MAX - 9) / 10)
			return -EBADMSG;
		v = v * 10 + (size_t)(*p - '0');
		digits = true;
	}
	while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (!digits || p != eol)
		return -EBADMSG;
	*out = v;
	return 0;
}

/* Content-Length of the header block buf[0..hlen): the start line is
 * skipped; repeated headers must agree. -EBADMSG when absent or bad. */
static int tp_content_length(const char *buf, size_t hlen, size_t *out)
{
	const char *end = buf + hlen;
	const char *p = memchr(buf, '\n', hlen);
	bool found = false;
	size_t v = 0;

	while (p && ++p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *val;
		size_t cur;

		if (!eol)
			break;
		val = tp_cl_value(p, eol);
		if (val) {
			if (tp_cl_parse(val, eol, &cur) < 0 ||
			    (found && cur != v))
				return -EBADMSG;
			v = cur;
			found = true;
		}
		p = eol;
	}
	if (!found)
		return -EBADMSG;
	*out = v;
	return 0;
}

/* Between messages a peer may send CRLF (a pong or padding) or CRLFCRLF
 * (an RFC 5626 ping, answered with CRLF). A partial ping is waited for so
 * that a ping split across reads is still recognised. */
static int tp_frame_keepalive(const char *buf, size_t len, tp_frame_t *f)
{
	if (len >= 4 && memcmp(buf, crlf2, 4) == 0) {
		f->skip = 4;
		f->ping = true;
		return 1;
	}
	if (len < 4 && memcmp(buf, crlf2, len) == 0)
		return 0;
	f->skip = buf[0] == '\r' && len > 1 && buf[1] == '\n' ? 2 : 1;
	return 1;
}

int tp_frame_next(const char *buf, size_t len, size_t max_message,
		  tp_frame_t *f)
{
	size_t hlen, clen;

	f->skip = 0;
	f->len = 0;
	f->ping = false;
	if (len == 0)
		return 0;
	if (buf[0] == '\r' || buf[0] == '\n')
		return tp_frame_keepalive(buf, len, f);
	hlen = tp_header_end(buf, len);
	if (hlen == 0)
		return len > max_message ? -EMSGSIZE : 0;
	if (tp_content_length(buf, hlen, &clen) < 0)
		return -EBADMSG;
	if (clen > max_message || hlen + clen > max_message)
		return -EMSGSIZE;
	if (len < hlen + clen)
		return 0;
	f->len = hlen + clen;
	return 1;
}
