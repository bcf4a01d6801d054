/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The domains the registrar serves: the configured ones plus every address
 * the server listens on and "localhost". An immutable open-addressing hash
 * set built on the control loop and read without locks by the workers.
 */
#include "reg_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Entries are never removed, so the set needs no tombstones; it doubles
 * when half full, which keeps probe sequences short. */
typedef struct reg_domain_ent {
	uint32_t hash;
	char *name; /* NULL: free slot */
} reg_domain_ent_t;

struct reg_domains {
	reg_domain_ent_t *slots;
	unsigned cap; /* power of two */
	unsigned count;
	char **order; /* names in insertion order, for listing */
};

static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static bool host_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '-' || c == '_';
}

/* An IPv6 literal, with or without brackets, rewritten as "[canonical]";
 * -EINVAL if it is not one. */
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

int reg_host_canon(ss_str_t host, char *out)
{
	size_t i;

	if (host.len == 0 || host.len > REG_HOST_MAX)
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

reg_domains_t *reg_domains_new(void)
{
	reg_domains_t *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cap = 16;
	d->slots = calloc(d->cap, sizeof(*d->slots));
	d->order = calloc(d->cap / 2, sizeof(*d->order));
	if (!d->slots || !d->order) {
		reg_domains_free(d);
		return NULL;
	}
	return d;
}

static reg_domain_ent_t *find_slot(reg_domain_ent_t *slots, unsigned cap,
				   uint32_t h, const char *name, size_t len)
{
	unsigned i = h & (cap - 1);

	while (slots[i].name &&
	       !(slots[i].hash == h && strlen(slots[i].name) == len &&
		 memcmp(slots[i].name, name, len) == 0))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(reg_domains_t *d)
{
	unsigned cap = d->cap * 2, i;
	reg_domain_ent_t *slots = calloc(cap, sizeof(*slots));
	char **order = realloc(d->order, cap / 2 * sizeof(*order));

	if (order)
		d->order = order;
	if (!slots || !order) {
		free(slots);
		return -ENOMEM;
	}
	for (i = 0; i < d->cap; i++) {
		const reg_domain_ent_t *e = &d->slots[i];

		if (e->name)
			*find_slot(slots, cap, e->hash, e->name,
				   strlen(e->name)) = *e;
	}
	free(d->slots);
	d->slots = slots;
	d->cap = cap;
	return 0;
}

int reg_domains_add(reg_domains_t *d, ss_str_t host)
{
	char canon[REG_HOST_MAX + 1];
	int len = reg_host_canon(host, canon);
	reg_domain_ent_t *e;
	uint32_t h;

	if (len < 0)
		return len;
	h = name_hash(canon, (size_t)len);
	e = find_slot(d->slots, d->cap, h, canon, (size_t)len);
	if (e->name)
		return 0;
	if ((d->count + 1) * 2 > d->cap) {
		if (grow(d) < 0)
			return -ENOMEM;
		e = find_slot(d->slots, d->cap, h, canon, (size_t)len);
	}
	e->name = strdup(canon);
	if (!e->name)
		return -ENOMEM;
	e->hash = h;
	d->order[d->count++] = e->name;
	return 0;
}

/* The interface addresses of one family: what a wildcard listener is
 * reachable as. Interfaces that appear later are not served until a
 * reload; listing them in the config avoids that. */
static int add_interfaces(reg_domains_t *d, int family)
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
			err = reg_domains_add(d, ss_str_c(buf));
		if (err == -EINVAL)
			err = 0; /* a link-local zone we cannot name */
	}
	freeifaddrs(ifa);
	return err;
}

static bool is_wildcard(const char *host, int *family)
{
	if (strcmp(host, "0.0.0.0") == 0) {
		*family = AF_INET;
		return true;
	}
	if (strcmp(host, "[::]") == 0 || strcmp(host, "::") == 0) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

int reg_domains_add_local(reg_domains_t *d, const ss_sip_transport_api_t *tp)
{
	const ss_sip_listener_info_t *l;
	unsigned i;
	int err = reg_domains_add(d, SS_STR("localhost"));

	for (i = 0; !err && tp && (l = tp->listener_at(i)) != NULL; i++) {
		int family;

		if (!l->host)
			continue;
		if (is_wildcard(l->host, &family))
			err = add_interfaces(d, family);
		else
			err = reg_domains_add(d, ss_str_c(l->host));
		if (err == -EINVAL)
			err = 0; /* not a name a request could carry */
	}
	return err;
}

bool reg_domains_has(const reg_domains_t *d, ss_str_t host)
{
	char canon[REG_HOST_MAX + 1];
	int len = reg_host_canon(host, canon);
	uint32_t h;

	if (len < 0 || !d)
		return false;
	h = name_hash(canon, (size_t)len);
	return find_slot(d->slots, d->cap, h, canon, (size_t)len)->name != NULL;
}

unsigned reg_domains_count(const reg_domains_t *d)
{
	return d ? d->count : 0;
}

const char *reg_domains_name(const reg_domains_t *d, unsigned i)
{
	return d && i < d->count ? d->order[i] : NULL;
}

void reg_domains_free(reg_domains_t *d)
{
	unsigned i;

	if (!d)
		return;
	for (i = 0; d->slots && i < d->cap; i++)
		free(d->slots[i].name);
	free(d->slots);
	free(d->order);
	free(d);
}
