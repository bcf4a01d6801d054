/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Comparison forms of a URI's parts: the key of a host and the index key
 * of an address-of-record, which the registrar stores bindings under and
 * every module that looks them up must build the same way.
 */
#include "parser_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

static bool host_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '-' || c == '_';
}

/* An IPv6 literal, with or without brackets, rewritten as "[canonical]";
 * -EINVAL if it is not one. */
static int ipv6_key(ss_str_t host, char *out)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	struct in6_addr a;
	size_t n;

	if (host.len >= 2 && host.s[0] == '[' && host.s[host.len - 1] == ']') {
		host.s++;
		host.len -= 2;
	}
	if (host.len == 0 || host.len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, host.s, host.len);
	tmp[host.len] = '\0';
	if (inet_pton(AF_INET6, tmp, &a) != 1 ||
	    !inet_ntop(AF_INET6, &a, tmp, sizeof(tmp)))
		return -EINVAL;
	n = strlen(tmp);
	out[0] = '[';
	memcpy(out + 1, tmp, n);
	out[n + 1] = ']';
	out[n + 2] = '\0';
	return (int)n + 2;
}

int ss_sip_host_key(ss_str_t host, char *out)
{
	size_t i;

	if (host.len == 0 || host.len > SS_SIP_HOST_MAX)
		return -EINVAL;
	if (memchr(host.s, ':', host.len))
		return ipv6_key(host, out);
	for (i = 0; i < host.len; i++) {
		unsigned char c =
		    (unsigned char)ss_ascii_lower((unsigned char)host.s[i]);

		if (!host_char_ok(c))
			return -EINVAL;
		out[i] = (char)c;
	}
	/* A fully qualified name may end with a dot; it names the same host. */
	if (i > 1 && out[i - 1] == '.')
		i--;
	out[i] = '\0';
	return (int)i;
}

/* RFC 3261 25.1: unreserved and user-unreserved octets may appear as they
 * are in the user part; everything else stays escaped. */
static bool user_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("-_.!~*'()&=+$,;?/", c));
}

/* The user part with escapes normalized into out; its length, or
 * -ENAMETOOLONG when it does not fit with a byte to spare. */
static int put_user(ss_str_t user, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0, i;

	for (i = 0; i < user.len; i++) {
		int hi, lo, c = (unsigned char)user.s[i];

		if (c == '%' && i + 2 < user.len &&
		    (hi = ss_sip_hexval((unsigned char)user.s[i + 1])) >= 0 &&
		    (lo = ss_sip_hexval((unsigned char)user.s[i + 2])) >= 0) {
			c = hi << 4 | lo;
			i += 2;
			if (!user_plain((unsigned char)c)) {
				if (n + 3 >= size)
					return -ENAMETOOLONG;
				out[n++] = '%';
				out[n++] = hex[c >> 4];
				out[n++] = hex[c & 15];
				continue;
			}
		}
		if (n + 1 >= size)
			return -ENAMETOOLONG;
		out[n++] = (char)c;
	}
	return (int)n;
}

int ss_sip_aor_key(const ss_sip_uri_t *uri, char *out, size_t size)
{
	char host[SS_SIP_HOST_MAX + 1];
	int hlen, ulen;

	if (!uri ||
	    (uri->scheme != SS_SIP_URI_SIP && uri->scheme != SS_SIP_URI_SIPS) ||
	    uri->user.len == 0)
		return -EINVAL;
	hlen = ss_sip_host_key(uri->host, host);
	if (hlen < 0)
		return -EINVAL;
	if (size < sizeof("sip:@"))
		return -ENAMETOOLONG;
	memcpy(out, "sip:", 4);
	ulen = put_user(uri->user, out + 4, size - 4);
	if (ulen < 0)
		return ulen;
	if (4 + (size_t)ulen + 1 + (size_t)hlen + 1 > size)
		return -ENAMETOOLONG;
	out[4 + ulen] = '@';
	memcpy(out + 5 + ulen, host, (size_t)hlen + 1);
	return 5 + ulen + hlen;
}
