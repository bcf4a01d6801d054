/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the server is reachable as: the addresses of its listeners, the
 * interface addresses behind a wildcard listener, and "localhost". An
 * immutable snapshot built on the control loop and read without locks.
 */
#include "transport_int.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct tp_local_addr {
	int family;
	unsigned char a[16]; /* in_addr or in6_addr */
} tp_local_addr_t;

struct tp_locals {
	unsigned naddrs, cap;
	unsigned nports;
	unsigned ports[TP_MAX_LISTENERS];
	tp_local_addr_t *addrs;
};

static size_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr)
				 : sizeof(struct in6_addr);
}

static const void *sa_addr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return &((const struct sockaddr_in *)(const void *)sa)
			    ->sin_addr;
	return &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
}

static bool find_addr(const tp_locals_t *t, int family, const void *a)
{
	for (unsigned i = 0; i < t->naddrs; i++)
		if (t->addrs[i].family == family &&
		    memcmp(t->addrs[i].a, a, addr_len(family)) == 0)
			return true;
	return false;
}

static int add_addr(tp_locals_t *t, int family, const void *a)
{
	if (find_addr(t, family, a))
		return 0;
	if (t->naddrs == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 8;
		tp_local_addr_t *n = realloc(t->addrs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->addrs = n;
		t->cap = cap;
	}
	memset(&t->addrs[t->naddrs], 0, sizeof(t->addrs[0]));
	t->addrs[t->naddrs].family = family;
	memcpy(t->addrs[t->naddrs].a, a, addr_len(family));
	t->naddrs++;
	return 0;
}

/* The interface addresses of one family: what a wildcard listener is
 * reachable as. Interfaces that appear later count after a reload of the
 * transport; listing them as a module's <domain> avoids the wait. */
static int add_interfaces(tp_locals_t *t, int family)
{
	struct ifaddrs *ifa, *i;
	int err = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i && !err; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == family)
			err = add_addr(t, family, sa_addr(i->ifa_addr));
	freeifaddrs(ifa);
	return err;
}

static bool is_unspecified(int family, const void *a)
{
	static const unsigned char zero[16];

	return memcmp(a, zero, addr_len(family)) == 0;
}

tp_locals_t *tp_locals_build(const ss_sip_listener_info_t *const *ls,
			     unsigned n)
{
	tp_locals_t *t = calloc(1, sizeof(*t));
	int err = t ? 0 : -ENOMEM;

	for (unsigned i = 0; !err && i < n && i < TP_MAX_LISTENERS; i++) {
		const struct sockaddr *sa =
		    (const struct sockaddr *)&ls[i]->addr.sa;
		const void *a = sa_addr(sa);

		t->ports[t->nports++] = ls[i]->port;
		if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
			continue;
		if (is_unspecified(sa->sa_family, a))
			err = add_interfaces(t, sa->sa_family);
		else
			err = add_addr(t, sa->sa_family, a);
	}
	if (err)
		goto fail;
	return t;
fail:
	tp_locals_free(t);
	return NULL;
}

static bool port_ok(const tp_locals_t *t, unsigned port)
{
	if (!port)
		return true;
	for (unsigned i = 0; t && i < t->nports; i++)
		if (t->ports[i] == port)
			return true;
	return false;
}

/* "localhost" in any case, with or without the final dot of a fully
 * qualified name. */
static bool is_localhost(ss_str_t h)
{
	if (h.len == sizeof("localhost") && h.s[h.len - 1] == '.')
		h.len--;
	return h.len == sizeof("localhost") - 1 &&
	       strncasecmp(h.s, "localhost", h.len) == 0;
}

/* Parses an IP literal the way a host key compares it: IPv6 with or
 * without brackets, IPv4 with an optional final dot. */
static int parse_ip(ss_str_t h, void *a)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	int family = memchr(h.s, ':', h.len) ? AF_INET6 : AF_INET;

	if (family == AF_INET6 && h.len >= 2 && h.s[0] == '[' &&
	    h.s[h.len - 1] == ']') {
		h.s++;
		h.len -= 2;
	} else if (family == AF_INET && h.len > 1 && h.s[h.len - 1] == '.') {
		h.len--;
	}
	if (h.len == 0 || h.len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, h.s, h.len);
	tmp[h.len] = '\0';
	return inet_pton(family, tmp, a) == 1 ? family : -EINVAL;
}

bool tp_locals_has(const tp_locals_t *t, ss_str_t host, unsigned port)
{
	unsigned char a[sizeof(struct in6_addr)];
	int family;

	if (!host.s || !host.len || !port_ok(t, port))
		return false;
	if (is_localhost(host))
		return true;
	family = t ? parse_ip(host, a) : -EINVAL;
	return family > 0 && !is_unspecified(family, a) &&
	       find_addr(t, family, a);
}

void tp_locals_free(tp_locals_t *t)
{
	if (!t)
		return;
	free(t->addrs);
	free(t);
}
