/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 7616 digest computation (MD5, SHA-256, their -sess variants, qop=auth)
 * on per-thread OpenSSL contexts, the HMAC the nonces are signed with, and
 * the parser of Digest credentials.
 */
#include "auth_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <sipserver/log.h>

/*
 * OpenSSL 3 resolves an algorithm by name on every implicit use (a locked
 * lookup) and allocates a context per digest. Both are avoided on the hot
 * path: the algorithms are fetched once per load, and each thread keeps its
 * own digest contexts, reinitialised per use.
 *
 * The nonce HMAC (RFC 2104) is computed from two SHA-256 states that have
 * absorbed the key XOR ipad and XOR opad, made once per key and thread and
 * copied for each use: an EVP_MAC_init() instead parses its parameters and
 * rebuilds both pads every time, which measured several times the cost of
 * the hashing itself, twice per registration. The contexts of every
 * thread are chained on `crypto_all` so unload frees them all at once (the
 * loader guarantees no thread runs our code then). A thread recognises
 * contexts of a previous load by `tls_gen` alone, never dereferencing the
 * freed pointer.
 */
typedef struct auth_tls {
	EVP_MD_CTX *md;
	EVP_MD_CTX *pad_in, *pad_out; /* SHA-256 after key ^ ipad / opad */
	uint64_t pad_key_gen;	      /* key the pads hold; 0: none */
	struct auth_tls *next;
} auth_tls_t;

#define HMAC_BLOCK 64 /* SHA-256's block size */

static EVP_MD *crypto_md[AUTH_ALGO_COUNT];
static uint64_t crypto_gen; /* written at load, read relaxed */
static pthread_mutex_t crypto_lock = PTHREAD_MUTEX_INITIALIZER;
static auth_tls_t *crypto_all; /* guarded by crypto_lock */
static __thread auth_tls_t *tls_ctx;
static __thread uint64_t tls_gen;

static void tls_free(auth_tls_t *t)
{
	EVP_MD_CTX_free(t->md);
	EVP_MD_CTX_free(t->pad_in);
	EVP_MD_CTX_free(t->pad_out);
	free(t);
}

int auth_crypto_init(void)
{
	crypto_md[AUTH_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
	crypto_md[AUTH_SHA256] = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	if (!crypto_md[AUTH_MD5] || !crypto_md[AUTH_SHA256]) {
		SS_LOG_ERR("OpenSSL provides no %s",
			   !crypto_md[AUTH_MD5] ? "MD5" : "SHA-256");
		auth_crypto_fini();
		return -ENOSYS;
	}
	__atomic_add_fetch(&crypto_gen, 1, __ATOMIC_RELEASE);
	return 0;
}

void auth_crypto_fini(void)
{
	pthread_mutex_lock(&crypto_lock);
	while (crypto_all) {
		auth_tls_t *t = crypto_all;

		crypto_all = t->next;
		tls_free(t);
	}
	pthread_mutex_unlock(&crypto_lock);
	/* Bumping the generation also retires the calling thread's pointer. */
	__atomic_add_fetch(&crypto_gen, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < AUTH_ALGO_COUNT; i++) {
		EVP_MD_free(crypto_md[i]);
		crypto_md[i] = NULL;
	}
}

static auth_tls_t *tls_get(void)
{
	uint64_t gen = __atomic_load_n(&crypto_gen, __ATOMIC_ACQUIRE);
	auth_tls_t *t;

	if (tls_gen == gen && tls_ctx)
		return tls_ctx;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->md = EVP_MD_CTX_new();
	t->pad_in = EVP_MD_CTX_new();
	t->pad_out = EVP_MD_CTX_new();
	if (!t->md || !t->pad_in || !t->pad_out) {
		tls_free(t);
		return NULL;
	}
	pthread_mutex_lock(&crypto_lock);
	t->next = crypto_all;
	crypto_all = t;
	pthread_mutex_unlock(&crypto_lock);
	tls_ctx = t;
	tls_gen = gen;
	return t;
}

int auth_hash_join(auth_algo_t algo, const ss_str_t *parts, unsigned n,
		   unsigned char *out)
{
	auth_tls_t *t = tls_get();
	unsigned int len;

	if (!t)
		return -ENOMEM;
	if (EVP_DigestInit_ex2(t->md, crypto_md[algo], NULL) != 1)
		return -EIO;
	for (unsigned i = 0; i < n; i++) {
		if (i && EVP_DigestUpdate(t->md, ":", 1) != 1)
			return -EIO;
		if (parts[i].len &&
		    EVP_DigestUpdate(t->md, parts[i].s, parts[i].len) != 1)
			return -EIO;
	}
	if (EVP_DigestFinal_ex(t->md, out, &len) != 1)
		return -EIO;
	return 0;
}

int auth_digest_ha1(auth_algo_t algo, ss_str_t user, ss_str_t realm,
		    ss_str_t password, unsigned char *ha1)
{
	const ss_str_t parts[] = {user, realm, password};

	return auth_hash_join(algo, parts, 3, ha1);
}

/* Absorbs key ^ ipad and key ^ opad into the thread's pad states. */
static int hmac_pads(auth_tls_t *t, const struct auth_key *key)
{
	unsigned char block[HMAC_BLOCK];
	int ok;

	memset(block, 0x36, sizeof(block));
	for (unsigned i = 0; i < AUTH_KEY_LEN; i++)
		block[i] ^= key->bytes[i];
	ok = EVP_DigestInit_ex2(t->pad_in, crypto_md[AUTH_SHA256], NULL) &&
	     EVP_DigestUpdate(t->pad_in, block, sizeof(block));
	for (unsigned i = 0; i < sizeof(block); i++)
		block[i] ^= 0x36 ^ 0x5c;
	ok = ok &&
	     EVP_DigestInit_ex2(t->pad_out, crypto_md[AUTH_SHA256], NULL) &&
	     EVP_DigestUpdate(t->pad_out, block, sizeof(block));
	OPENSSL_cleanse(block, sizeof(block));
	t->pad_key_gen = ok ? key->gen : 0;
	return ok ? 0 : -EIO;
}

int auth_hmac(const struct auth_key *key, const unsigned char *data, size_t len,
	      ss_str_t realm, unsigned char *out)
{
	_Static_assert(AUTH_KEY_LEN <= HMAC_BLOCK,
		       "HMAC key longer than a block");
	auth_tls_t *t = tls_get();
	unsigned char inner[32];
	unsigned int n;

	if (!t)
		return -ENOMEM;
	if (t->pad_key_gen != key->gen && hmac_pads(t, key) < 0)
		return -EIO;
	if (EVP_MD_CTX_copy_ex(t->md, t->pad_in) != 1 ||
	    EVP_DigestUpdate(t->md, data, len) != 1 ||
	    (realm.len && EVP_DigestUpdate(t->md, realm.s, realm.len) != 1) ||
	    EVP_DigestFinal_ex(t->md, inner, &n) != 1 ||
	    EVP_MD_CTX_copy_ex(t->md, t->pad_out) != 1 ||
	    EVP_DigestUpdate(t->md, inner, sizeof(inner)) != 1 ||
	    EVP_DigestFinal_ex(t->md, out, &n) != 1)
		return -EIO;
	return 0;
}

void auth_hex(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int auth_unhex(ss_str_t hex, unsigned char *out, size_t len)
{
	if (hex.len != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval((unsigned char)hex.s[2 * i]);
		int lo = hexval((unsigned char)hex.s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int auth_digest_response(auth_algo_t algo, bool sess, const unsigned char *ha1,
			 ss_str_t nonce, ss_str_t nc_text, ss_str_t cnonce,
			 ss_str_t qop, ss_str_t method, ss_str_t uri,
			 unsigned char *out)
{
	size_t hlen = auth_algo_len(algo);
	char ha1_hex[2 * AUTH_HASH_MAX + 1], ha2_hex[2 * AUTH_HASH_MAX + 1];
	unsigned char h[AUTH_HASH_MAX];
	int rc;

	auth_hex(ha1, hlen, ha1_hex);
	if (sess) {
		const ss_str_t s[] = {{ha1_hex, 2 * hlen}, nonce, cnonce};

		rc = auth_hash_join(algo, s, 3, h);
		if (rc)
			return rc;
		auth_hex(h, hlen, ha1_hex);
	}
	{
		const ss_str_t a2[] = {method, uri};

		rc = auth_hash_join(algo, a2, 2, h);
		if (rc)
			return rc;
		auth_hex(h, hlen, ha2_hex);
	}
	{
		const ss_str_t r[] = {
		    {ha1_hex, 2 * hlen}, nonce, nc_text, cnonce, qop,
		    {ha2_hex, 2 * hlen}};

		return auth_hash_join(algo, r, 6, out);
	}
}

/* ---- credentials parser --------------------------------------------- */

/* RFC 7230 tchar. */
static bool is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Skips whitespace, including a folded line (CRLF followed by blanks). */
static size_t skip_lws(ss_str_t v, size_t i)
{
	for (;;) {
		if (i < v.len && (v.s[i] == ' ' || v.s[i] == '\t')) {
			i++;
		} else if (i + 2 < v.len && v.s[i] == '\r' &&
			   v.s[i + 1] == '\n' &&
			   (v.s[i + 2] == ' ' || v.s[i + 2] == '\t')) {
			i += 3;
		} else {
			return i;
		}
	}
}

/*
 * Reads a quoted string starting at the opening quote v.s[*pos]. Without
 * escapes the result is a slice of v; with escapes it is unescaped into the
 * scratch area of c. Control characters other than HTAB are refused.
 */
static int read_quoted(ss_str_t v, size_t *pos, auth_creds_t *c, ss_str_t *out)
{
	size_t i = *pos + 1, start = i;
	bool escaped = false;

	for (; i < v.len && v.s[i] != '"'; i++) {
		unsigned char ch = (unsigned char)v.s[i];

		if (ch == '\\') {
			escaped = true;
			if (++i == v.len)
				return -EINVAL;
			ch = (unsigned char)v.s[i];
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return -EINVAL;
	}
	if (i >= v.len)
		return -EINVAL;
	*pos = i + 1;
	if (!escaped) {
		*out = (ss_str_t){v.s + start, i - start};
		return 0;
	}
	if (i - start > sizeof(c->scratch) - c->scratch_used)
		return -EINVAL;
	{
		char *dst = c->scratch + c->scratch_used;
		size_t n = 0;

		for (size_t j = start; j < i; j++) {
			if (v.s[j] == '\\')
				j++;
			dst[n++] = v.s[j];
		}
		c->scratch_used += n;
		*out = (ss_str_t){dst, n};
	}
	return 0;
}

enum {
	P_USERNAME,
	P_REALM,
	P_NONCE,
	P_URI,
	P_RESPONSE,
	P_ALGORITHM,
	P_CNONCE,
	P_OPAQUE,
	P_QOP,
	P_NC,
	P_USERHASH,
	P_USERNAME_EXT,
	P_COUNT,
};

static const char *const param_names[P_COUNT] = {
    [P_USERNAME] = "username", [P_REALM] = "realm",
    [P_NONCE] = "nonce",       [P_URI] = "uri",
    [P_RESPONSE] = "response", [P_ALGORITHM] = "algorithm",
    [P_CNONCE] = "cnonce",     [P_OPAQUE] = "opaque",
    [P_QOP] = "qop",	       [P_NC] = "nc",
    [P_USERHASH] = "userhash", [P_USERNAME_EXT] = "username*",
};

static int param_index(ss_str_t name)
{
	for (int i = 0; i < P_COUNT; i++)
		if (ss_str_caseeq_c(name, param_names[i]))
			return i;
	return -1;
}

static int set_algorithm(auth_creds_t *c, ss_str_t v)
{
	static const struct {
		const char *name;
		auth_algo_t algo;
		bool sess;
	} algos[] = {
	    {"MD5", AUTH_MD5, false},
	    {"MD5-sess", AUTH_MD5, true},
	    {"SHA-256", AUTH_SHA256, false},
	    {"SHA-256-sess", AUTH_SHA256, true},
	};

	for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++) {
		if (ss_str_caseeq_c(v, algos[i].name)) {
			c->algo = algos[i].algo;
			c->sess = algos[i].sess;
			return 0;
		}
	}
	return -ENOTSUP;
}

static int set_nc(auth_creds_t *c, ss_str_t v)
{
	uint32_t nc = 0;

	if (v.len != 8)
		return -EINVAL;
	for (size_t i = 0; i < 8; i++) {
		int d = hexval((unsigned char)v.s[i]);

		if (d < 0)
			return -EINVAL;
		nc = nc << 4 | (uint32_t)d;
	}
	if (nc == 0)
		return -EINVAL;
	c->nc = nc;
	c->nc_text = v;
	return 0;
}

static int store_param(auth_creds_t *c, int idx, ss_str_t v)
{
	ss_str_t *slots[P_COUNT] = {
	    [P_USERNAME] = &c->username, [P_REALM] = &c->realm,
	    [P_NONCE] = &c->nonce,	 [P_URI] = &c->uri,
	    [P_RESPONSE] = &c->response, [P_CNONCE] = &c->cnonce,
	    [P_OPAQUE] = &c->opaque,	 [P_QOP] = &c->qop,
	};

	switch (idx) {
	case P_ALGORITHM:
		return set_algorithm(c, v);
	case P_NC:
		return set_nc(c, v);
	case P_USERHASH:
		if (ss_str_caseeq_c(v, "true"))
			c->userhash = true;
		else if (!ss_str_caseeq_c(v, "false"))
			return -EINVAL;
		return 0;
	case P_USERNAME_EXT:
		/* RFC 8187 names are not supported; the absence of a plain
		 * username then fails the request. */
		return 0;
	default:
		*slots[idx] = v;
		return 0;
	}
}

/* Parses "name = value" at *pos; value is a token or a quoted string. */
static int read_param(ss_str_t v, size_t *pos, auth_creds_t *c, ss_str_t *name,
		      ss_str_t *value)
{
	size_t i = *pos, start = i;

	while (i < v.len && is_tchar((unsigned char)v.s[i]))
		i++;
	if (i == start)
		return -EINVAL;
	*name = (ss_str_t){v.s + start, i - start};
	i = skip_lws(v, i);
	if (i >= v.len || v.s[i] != '=')
		return -EINVAL;
	i = skip_lws(v, i + 1);
	if (i < v.len && v.s[i] == '"') {
		int rc = read_quoted(v, &i, c, value);

		if (rc)
			return rc;
	} else {
		start = i;
		while (i < v.len && is_tchar((unsigned char)v.s[i]))
			i++;
		if (i == start)
			return -EINVAL;
		*value = (ss_str_t){v.s + start, i - start};
	}
	*pos = i;
	return 0;
}

int auth_creds_parse(ss_str_t v, auth_creds_t *c)
{
	unsigned seen = 0;
	size_t i, start;

	memset(c, 0, offsetof(auth_creds_t, scratch));
	c->algo = AUTH_MD5;
	i = skip_lws(v, 0);
	start = i;
	while (i < v.len && is_tchar((unsigned char)v.s[i]))
		i++;
	if (!ss_str_caseeq_c((ss_str_t){v.s + start, i - start}, "Digest"))
		return -ENOENT;
	if (i < v.len && v.s[i] != ' ' && v.s[i] != '\t' && v.s[i] != '\r')
		return -ENOENT;
	for (;;) {
		ss_str_t name, value;
		int idx, rc;

		/* RFC 7230 7: empty list elements are allowed and ignored. */
		while ((i = skip_lws(v, i)) < v.len && v.s[i] == ',')
			i++;
		if (i >= v.len)
			break;
		rc = read_param(v, &i, c, &name, &value);
		if (rc)
			return rc;
		idx = param_index(name);
		if (idx >= 0) {
			if (seen & 1u << idx)
				return -EINVAL;
			seen |= 1u << idx;
			rc = store_param(c, idx, value);
			if (rc)
				return rc;
		}
		i = skip_lws(v, i);
		if (i < v.len && v.s[i] != ',')
			return -EINVAL;
	}
	return seen ? 0 : -EINVAL;
}
