/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The domains the redirect server answers for: the configured ones plus
 * every address the server listens on and "localhost". A sorted array
 * built once on the control loop and searched without locks by workers;
 * sets hold a handful of names, so a binary search beats hashing them.
 */
#include "redir_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct redir_domains {
	unsigned count, cap;
	char **names; /* sorted by strcmp, no duplicates */
};

static bool host_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '-' || c == '_';
}

/* An IPv6 literal, with or without brackets, as "[canonical]". */
static int ipv6_canon(ss_str_t host, char *out)
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

int redir_host_canon(ss_str_t host, char *out)
{
	size_t i;

	if (host.len == 0 || host.len > REDIR_HOST_MAX)
		return -EINVAL;
	if (memchr(host.s, ':', host.len))
		return ipv6_canon(host, out);
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

/* Appends the comparison form of host (unsorted until finish()). */
static int add(redir_domains_t *d, ss_str_t host)
{
	char canon[REDIR_HOST_MAX + 1];
	int len = redir_host_canon(host, canon);

	if (len < 0)
		return len;
	if (d->count == d->cap) {
		unsigned cap = d->cap ? d->cap * 2 : 16;
		char **names = realloc(d->names, cap * sizeof(*names));

		if (!names)
			return -ENOMEM;
		d->names = names;
		d->cap = cap;
	}
	d->names[d->count] = strdup(canon);
	if (!d->names[d->count])
		return -ENOMEM;
	d->count++;
	return 0;
}

/* The interface addresses of one family: what a wildcard listener is
 * reachable as. Interfaces that appear later are served after a reload;
 * listing them as <domain> avoids the wait. */
static int add_interfaces(redir_domains_t *d, int family)
{
	struct ifaddrs *ifa, *i;
	char buf[INET6_ADDRSTRLEN];
	int err = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (i = ifa; i && !err; i = i->ifa_next) {
		const void *a;

		if (!i->ifa_addr || i->ifa_addr->sa_family != family)
			continue;
		if (family == AF_INET)
			a = &((const struct sockaddr_in *)(const void *)
				  i->ifa_addr)
				 ->sin_addr;
		else
			a = &((const struct sockaddr_in6 *)(const void *)
				  i->ifa_addr)
				 ->sin6_addr;
		if (inet_ntop(family, a, buf, sizeof(buf)))
			err = add(d, ss_str_c(buf));
		if (err == -EINVAL)
			err = 0; /* a link-local zone we cannot name */
	}
	freeifaddrs(ifa);
	return err;
}

static int add_local(redir_domains_t *d, const ss_sip_transport_api_t *tp)
{
	const ss_sip_listener_info_t *l;
	unsigned i;
	int err = add(d, SS_STR("localhost"));

	for (i = 0; !err && tp && (l = tp->listener_at(i)) != NULL; i++) {
		if (!l->host)
			continue;
		if (strcmp(l->host, "0.0.0.0") == 0)
			err = add_interfaces(d, AF_INET);
		else if (strcmp(l->host, "[::]") == 0 ||
			 strcmp(l->host, "::") == 0)
			err = add_interfaces(d, AF_INET6);
		else
			err = add(d, ss_str_c(l->host));
		if (err == -EINVAL)
			err = 0; /* not a name a request could carry */
	}
	return err;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and drops duplicates, so lookups can bisect. */
static void finish(redir_domains_t *d)
{
	unsigned i, out = 0;

	qsort(d->names, d->count, sizeof(*d->names), cmp_name);
	for (i = 0; i < d->count; i++) {
		if (out && strcmp(d->names[out - 1], d->names[i]) == 0)
			free(d->names[i]);
		else
			d->names[out++] = d->names[i];
	}
	d->count = out;
}

redir_domains_t *redir_domains_build(const char *const *names, unsigned n,
				     const ss_sip_transport_api_t *tp,
				     unsigned *bad, int *err)
{
	redir_domains_t *d = calloc(1, sizeof(*d));
	unsigned i;

	*err = -ENOMEM;
	if (!d)
		return NULL;
	for (i = 0; i < n; i++) {
		*err = add(d, ss_str_c(names[i]));
		if (*err == -EINVAL)
			*bad = i;
		if (*err)
			goto fail;
	}
	*err = add_local(d, tp);
	if (*err)
		goto fail;
	finish(d);
	return d;
fail:
	redir_domains_free(d);
	return NULL;
}

bool redir_domains_has(const redir_domains_t *d, ss_str_t host)
{
	char canon[REDIR_HOST_MAX + 1];
	const char *key = canon;

	if (!d || redir_host_canon(host, canon) < 0)
		return false;
	return bsearch(&key, d->names, d->count, sizeof(*d->names), cmp_name) !=
	       NULL;
}

unsigned redir_domains_count(const redir_domains_t *d)
{
	return d ? d->count : 0;
}

const char *redir_domains_name(const redir_domains_t *d, unsigned i)
{
	return d && i < d->count ? d->names[i] : NULL;
}

void redir_domains_free(redir_domains_t *d)
{
	unsigned i;

	if (!d)
		return;
	for (i = 0; i < d->count; i++)
		free(d->names[i]);
	free(d->names);
	free(d);
}
