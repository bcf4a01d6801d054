/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service itself: which requests need credentials (the <require>
 * policy), checking credentials against the user store and the nonce table,
 * building challenges, and counting failures per source.
 */
#include "auth_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <sipserver/log.h>

/* ---- policy ----------------------------------------------------------- */

/* Splits text at commas and blanks into slices; "*" alone means any (n = 0). */
static int split_list(char *text, ss_str_t *items, unsigned *n)
{
	char *p = text;

	*n = 0;
	while (*p) {
		size_t len;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (!len)
			break;
		if (len == 1 && *p == '*') {
			*n = 0;
			return 0;
		}
		if (*n == AUTH_RULE_MAX_ITEMS)
			return -EINVAL;
		items[(*n)++] = (ss_str_t){p, len};
		p += len;
	}
	return 0;
}

int auth_rule_parse(auth_rule_t *r, const char *methods, const char *domains,
		    bool in_dialog)
{
	size_t ml = strlen(methods), dl = strlen(domains);

	memset(r, 0, sizeof(*r));
	if (ml + dl + 2 > sizeof(r->text))
		return -EINVAL;
	memcpy(r->text, methods, ml + 1);
	memcpy(r->text + ml + 1, domains, dl + 1);
	r->in_dialog = in_dialog;
	if (split_list(r->text, r->methods, &r->nmethods) ||
	    split_list(r->text + ml + 1, r->domains, &r->ndomains))
		return -EINVAL;
	return 0;
}

/* "example.com" matches itself; "*.example.com" matches its subdomains. */
static bool domain_match(ss_str_t pattern, ss_str_t domain)
{
	if (pattern.len > 2 && pattern.s[0] == '*' && pattern.s[1] == '.') {
		ss_str_t suffix = {pattern.s + 1, pattern.len - 1};

		return domain.len > suffix.len &&
		       ss_str_caseeq(suffix, (ss_str_t){domain.s + domain.len -
							    suffix.len,
							suffix.len});
	}
	return ss_str_caseeq(pattern, domain);
}

static bool list_match(const ss_str_t *items, unsigned n, ss_str_t v,
		       bool domains)
{
	if (n == 0)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (domains ? domain_match(items[i], v)
			    : ss_str_caseeq(items[i], v))
			return true;
	return false;
}

/* What snprintf(dst, size, "%.*s", s) writes, on the per-request path
 * without printf's cost. size > 0. */
static void copy_str(char *dst, size_t size, ss_str_t s)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;

	if (n)
		memcpy(dst, s.s, n);
	dst[n] = '\0';
}

bool auth_required(auth_svc_t *svc, ss_str_t method, ss_str_t domain,
		   bool in_dialog, char *realm, size_t realm_size)
{
	const auth_conf_t *conf = __atomic_load_n(&svc->conf, __ATOMIC_ACQUIRE);
	bool need = false;

	if (ss_str_eq(method, SS_STR("ACK")) ||
	    ss_str_eq(method, SS_STR("CANCEL")))
		return false;
	if (conf->nrules == 0)
		need = !in_dialog;
	for (unsigned i = 0; i < conf->nrules && !need; i++) {
		const auth_rule_t *r = &conf->rules[i];

		need = (!in_dialog || r->in_dialog) &&
		       list_match(r->methods, r->nmethods, method, false) &&
		       list_match(r->domains, r->ndomains, domain, true);
	}
	if (need && realm && realm_size) {
		if (conf->realm[0]) {
			copy_str(realm, realm_size, ss_str_c(conf->realm));
		} else {
			size_t n = domain.len < realm_size - 1 ? domain.len
							       : realm_size - 1;

			for (size_t i = 0; i < n; i++)
				realm[i] = (char)ss_ascii_lower(
				    (unsigned char)domain.s[i]);
			realm[n] = '\0';
		}
	}
	return need;
}

/* ---- failure accounting --------------------------------------------- */

void auth_stats_init(auth_stats_t *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->src_lock, NULL);
}

void auth_stats_destroy(auth_stats_t *st)
{
	pthread_mutex_destroy(&st->src_lock);
}

const char *auth_addr_str(const ss_sip_addr_t *a, char *buf, size_t size)
{
	const void *bin = NULL;

	if (a && a->sa.ss_family == AF_INET)
		bin = &((const struct sockaddr_in *)&a->sa)->sin_addr;
	else if (a && a->sa.ss_family == AF_INET6)
		bin = &((const struct sockaddr_in6 *)&a->sa)->sin6_addr;
	if (!bin || !inet_ntop(a->sa.ss_family, bin, buf, (socklen_t)size))
		snprintf(buf, size, "unknown");
	return buf;
}

static bool same_host(const ss_sip_addr_t *a, const ss_sip_addr_t *b)
{
	if (a->sa.ss_family != b->sa.ss_family)
		return false;
	if (a->sa.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->sa)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)&b->sa)->sin_addr.s_addr;
	if (a->sa.ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)&a->sa)->sin6_addr,
			      &((const struct sockaddr_in6 *)&b->sa)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return true;
}

/* Counts a failure for src's host. The table keeps the AUTH_SOURCES hosts
 * seen last: when full, the one idle longest makes room. */
static void count_source(auth_stats_t *st, const ss_sip_addr_t *src,
			 ss_str_t user, uint64_t now_s)
{
	auth_source_t *e = NULL, *oldest = &st->sources[0];

	pthread_mutex_lock(&st->src_lock);
	for (unsigned i = 0; i < st->nsources && !e; i++) {
		if (same_host(&st->sources[i].addr, src))
			e = &st->sources[i];
		else if (st->sources[i].last_s < oldest->last_s)
			oldest = &st->sources[i];
	}
	if (!e) {
		e = st->nsources < AUTH_SOURCES ? &st->sources[st->nsources++]
						: oldest;
		memset(e, 0, sizeof(*e));
		e->addr.sa.ss_family = src->sa.ss_family;
		e->addr.len = src->len;
		if (src->sa.ss_family == AF_INET)
			((struct sockaddr_in *)&e->addr.sa)->sin_addr =
			    ((const struct sockaddr_in *)&src->sa)->sin_addr;
		else if (src->sa.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&e->addr.sa)->sin6_addr =
			    ((const struct sockaddr_in6 *)&src->sa)->sin6_addr;
	}
	e->failures++;
	e->last_s = now_s;
	snprintf(e->last_user, sizeof(e->last_user), "%.*s", SS_STR_ARG(user));
	pthread_mutex_unlock(&st->src_lock);
}

static int cmp_failures(const void *a, const void *b)
{
	const auth_source_t *x = a, *y = b;

	return x->failures < y->failures   ? 1
	       : x->failures > y->failures ? -1
					   : 0;
}

unsigned auth_stats_sources(auth_stats_t *st, auth_source_t *out)
{
	unsigned n;

	pthread_mutex_lock(&st->src_lock);
	n = st->nsources;
	memcpy(out, st->sources, n * sizeof(*out));
	pthread_mutex_unlock(&st->src_lock);
	qsort(out, n, sizeof(*out), cmp_failures);
	return n;
}

static ss_auth_result_t fail(auth_svc_t *svc, const ss_auth_request_t *req,
			     ss_str_t user, const char *why,
			     ss_auth_result_t res)
{
	char host[INET6_ADDRSTRLEN]; /* cppcheck-suppress variableScope */

	if (res == SS_AUTH_REPLAY)
		AUTH_INC(svc->stats.replays);
	else
		AUTH_INC(svc->stats.failed);
	SS_LOG_NOTICE("%.*s from %s: user '%.*s' realm '%.*s': %s",
		      SS_STR_ARG(req->method),
		      auth_addr_str(req->src, host, sizeof(host)),
		      SS_STR_ARG(user), SS_STR_ARG(req->realm), why);
	if (req->src)
		count_source(&svc->stats, req->src, user, svc->now_s());
	return res;
}

/* ---- verify --------------------------------------------------------- */

static bool creds_complete(const auth_creds_t *c)
{
	return c->username.s && c->nonce.s && c->uri.s && c->response.s &&
	       c->cnonce.s && c->cnonce.len && c->nc_text.s;
}

/* Copies what the caller learns on success. */
static ss_auth_result_t succeed(auth_svc_t *svc, const auth_creds_t *c,
				ss_auth_identity_t *who)
{
	AUTH_INC(svc->stats.ok);
	if (who) {
		copy_str(who->user, sizeof(who->user), c->username);
		copy_str(who->realm, sizeof(who->realm), c->realm);
	}
	return SS_AUTH_OK;
}

/* Right response, nonce too old or its history gone: try a new nonce. */
static ss_auth_result_t stale(auth_svc_t *svc)
{
	AUTH_INC(svc->stats.stale);
	return SS_AUTH_STALE;
}

/*
 * The order of the checks matters. Cheap syntactic checks come first; the
 * response is checked before the nonce's age so that stale=true, which lets
 * a client retry silently, is only ever said to someone who knows the
 * password; the nonce-count is recorded last, so that a forged request can
 * never burn a count a legitimate client is about to use.
 */
ss_auth_result_t auth_verify(auth_svc_t *svc, const ss_auth_request_t *req,
			     ss_auth_identity_t *who)
{
	const auth_conf_t *conf = __atomic_load_n(&svc->conf, __ATOMIC_ACQUIRE);
	auth_nc_t *nct = __atomic_load_n(&svc->nc, __ATOMIC_ACQUIRE);
	auth_users_t *users = __atomic_load_n(&svc->users, __ATOMIC_ACQUIRE);
	unsigned char ha1[AUTH_HASH_MAX], want[AUTH_HASH_MAX],
	    got[AUTH_HASH_MAX];
	auth_nonce_info_t ni;
	auth_creds_t c;
	size_t hlen;
	uint64_t now;
	int rc;

	rc = req->credentials.s ? auth_creds_parse(req->credentials, &c)
				: -ENOENT;
	if (rc == -ENOENT || (rc == 0 && !ss_str_eq(c.realm, req->realm)))
		return SS_AUTH_NO_CREDENTIALS;
	if (rc == -ENOTSUP)
		return fail(svc, req, c.username, "unsupported algorithm",
			    SS_AUTH_FAILED);
	if (rc || !creds_complete(&c))
		return fail(svc, req, c.username, "malformed credentials",
			    SS_AUTH_FAILED);
	if (!ss_str_caseeq_c(c.qop, "auth"))
		return fail(svc, req, c.username, "qop other than auth",
			    SS_AUTH_FAILED);
	if (c.userhash)
		return fail(svc, req, c.username, "userhash not supported",
			    SS_AUTH_FAILED);
	if (auth_nonce_check(&conf->key, c.nonce, c.realm, &ni))
		return fail(svc, req, c.username, "nonce not ours",
			    SS_AUTH_FAILED);
	if (auth_users_lookup(users, c.username, c.realm, c.algo, ha1))
		return fail(svc, req, c.username, "unknown user",
			    SS_AUTH_FAILED);
	if (!ss_str_eq(c.uri, req->uri))
		return fail(svc, req, c.username,
			    "uri differs from Request-URI", SS_AUTH_FAILED);
	hlen = auth_algo_len(c.algo);
	if (auth_unhex(c.response, got, hlen))
		return fail(svc, req, c.username, "malformed response",
			    SS_AUTH_FAILED);
	if (auth_digest_response(c.algo, c.sess, ha1, c.nonce, c.nc_text,
				 c.cnonce, c.qop, req->method, req->uri,
				 want)) {
		SS_LOG_ERR("digest computation failed");
		return SS_AUTH_FAILED;
	}
	OPENSSL_cleanse(ha1, sizeof(ha1));
	if (CRYPTO_memcmp(want, got, hlen) != 0)
		return fail(svc, req, c.username, "wrong password",
			    SS_AUTH_FAILED);
	now = svc->now_s();
	if (ni.issued + conf->nonce_expires < now)
		return stale(svc);
	switch (auth_nc_use(nct, &ni, ni.issued + conf->nonce_expires, c.nc)) {
	case AUTH_NC_OK:
		return succeed(svc, &c, who);
	case AUTH_NC_FORGOTTEN:
		return stale(svc);
	default:
		return fail(svc, req, c.username, "nonce-count replayed",
			    SS_AUTH_REPLAY);
	}
}

/* ---- challenge ------------------------------------------------------ */

/* Escapes realm for a quoted-string into out (2 * SS_AUTH_NAME_MAX). */
static int quote_realm(ss_str_t realm, char *out)
{
	size_t o = 0;

	if (realm.len >= SS_AUTH_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < realm.len; i++) {
		unsigned char ch = (unsigned char)realm.s[i];

		if (ch < 0x20 || ch == 0x7f)
			return -EINVAL;
		if (ch == '"' || ch == '\\')
			out[o++] = '\\';
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

int auth_challenge(auth_svc_t *svc, ss_str_t realm, bool stale_nonce,
		   bool proxy, char *buf, size_t size)
{
	const auth_conf_t *conf = __atomic_load_n(&svc->conf, __ATOMIC_ACQUIRE);
	const char *hdr = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
	char quoted[2 * SS_AUTH_NAME_MAX], nonce[AUTH_NONCE_LEN + 1];
	size_t len = 0;
	int rc;

	rc = quote_realm(realm, quoted);
	if (rc)
		return rc;
	rc = auth_nonce_make(&conf->key, realm, svc->now_s(), nonce);
	if (rc)
		return rc;
	/* Appends rather than snprintf: one challenge per first REGISTER. */
	for (unsigned i = 0; i < conf->nalgos; i++) {
		const char *parts[] = {hdr,
				       ": Digest realm=\"",
				       quoted,
				       "\", nonce=\"",
				       nonce,
				       "\", algorithm=",
				       conf->algos[i],
				       ", qop=\"auth\"",
				       stale_nonce ? ", stale=true\r\n"
						   : "\r\n"};

		for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
			size_t n = strlen(parts[k]);

			if (n >= size - len)
				return -ENOSPC;
			memcpy(buf + len, parts[k], n);
			len += n;
		}
		buf[len] = '\0';
	}
	AUTH_INC(svc->stats.challenges);
	return (int)len;
}
