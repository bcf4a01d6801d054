/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The domains the redirect server answers for: the configured ones and
 * "localhost" in a sorted array built once on the control loop and
 * searched without locks by workers (sets hold a handful of names, so a
 * binary search beats hashing them), plus what the transport is reachable
 * as.
 */
#include "redir_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct redir_domains {
	unsigned count, cap;
	char **names; /* sorted by strcmp, no duplicates */
};

/* Appends the comparison form of host (unsorted until finish()). */
static int add(redir_domains_t *d, ss_str_t host)
{
	char canon[SS_SIP_HOST_MAX + 1];
	int len = redir_g.parser->host_key(host, canon);

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
	*err = add(d, SS_STR("localhost"));
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
	char canon[SS_SIP_HOST_MAX + 1];
	const char *key = canon;

	if (!d || redir_g.parser->host_key(host, canon) < 0)
		return false;
	return bsearch(&key, d->names, d->count, sizeof(*d->names), cmp_name) !=
	       NULL;
}

bool redir_domain_served(const redir_domains_t *d, ss_str_t host)
{
	const ss_sip_transport_api_t *tp = redir_g.tp;

	return redir_domains_has(d, host) || (tp && tp->host_is_local(host, 0));
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
