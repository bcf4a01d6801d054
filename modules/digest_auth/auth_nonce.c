/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stateless nonces: issue time, a per-thread sequence number and an
 * HMAC-SHA256 over both and the realm, so checking one needs no storage.
 * Replays are caught by a bounded, set-associative table of the highest
 * nonce-count seen per nonce.
 */
#include "auth_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/*
 * Nonce layout, 32 bytes sent as 43 characters of unpadded base64url:
 *   0..7   issue time, wall clock seconds, big endian
 *   8..15  sequence: random start per thread, +1 per nonce
 *  16..31  first 16 bytes of HMAC-SHA256(key, bytes 0..15 || realm)
 * Wall clock rather than monotonic time because instances sharing a secret
 * (or a restarted one) must agree on a nonce's age. Binding the realm keeps
 * a nonce issued for one realm from being accepted in another.
 */
#define NONCE_RAW    32
#define NONCE_SIGNED 16
#define NONCE_MAC    16

static uint64_t key_gen_counter;
static __thread uint64_t nonce_seq;
static __thread bool nonce_seeded;

int auth_key_init(auth_key_t *key, const char *secret)
{
	int ok;

	if (secret && *secret)
		ok = EVP_Q_digest(NULL, "SHA2-256", NULL, secret,
				  strlen(secret), key->bytes, NULL);
	else
		ok = RAND_bytes(key->bytes, AUTH_KEY_LEN);
	if (ok != 1)
		return -EIO;
	key->gen = __atomic_add_fetch(&key_gen_counter, 1, __ATOMIC_RELAXED);
	return 0;
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64url_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
	} else if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
	}
	out[o] = '\0';
}

static int b64url_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes exactly AUTH_NONCE_LEN characters into NONCE_RAW bytes. The two
 * spare bits of the last character must be zero, so that every nonce has
 * exactly one spelling. */
static int b64url_decode_nonce(ss_str_t in, unsigned char *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	if (in.len != AUTH_NONCE_LEN)
		return -EINVAL;
	for (size_t i = 0; i < in.len; i++) {
		int v = b64url_val((unsigned char)in.s[i]);

		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (o != NONCE_RAW || (acc & ((1u << bits) - 1)))
		return -EINVAL;
	return 0;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int auth_nonce_make(const auth_key_t *key, ss_str_t realm, uint64_t now_s,
		    char *out)
{
	unsigned char raw[NONCE_RAW], mac[32];
	int rc;

	if (!nonce_seeded) {
		/* Uniqueness, not secrecy: a failed RAND_bytes still leaves a
		 * usable sequence, the MAC carries the security. */
		if (RAND_bytes((unsigned char *)&nonce_seq,
			       sizeof(nonce_seq)) != 1)
			nonce_seq = now_s ^ (uintptr_t)&nonce_seq;
		nonce_seeded = true;
	}
	put_be64(raw, now_s);
	put_be64(raw + 8, nonce_seq++);
	rc = auth_hmac(key, raw, NONCE_SIGNED, realm, mac);
	if (rc)
		return rc;
	memcpy(raw + NONCE_SIGNED, mac, NONCE_MAC);
	b64url_encode(raw, NONCE_RAW, out);
	return 0;
}

int auth_nonce_check(const auth_key_t *key, ss_str_t nonce, ss_str_t realm,
		     auth_nonce_info_t *info)
{
	unsigned char raw[NONCE_RAW], mac[32];

	if (b64url_decode_nonce(nonce, raw) ||
	    auth_hmac(key, raw, NONCE_SIGNED, realm, mac) ||
	    CRYPTO_memcmp(mac, raw + NONCE_SIGNED, NONCE_MAC) != 0)
		return -EINVAL;
	info->issued = get_be64(raw);
	/* The MAC bytes are uniformly distributed: a good table hash. */
	info->tag = get_be64(raw + NONCE_SIGNED);
	return 0;
}

/*
 * Nonce-count table. Sets of NC_WAYS slots, a set chosen by the nonce's tag;
 * NC_LOCKS mutexes striped over the sets, each on its own cache line. A
 * nonce enters the table on its first successful use. When a set is full the
 * slot expiring first is evicted, and the set's `forgotten` mark rises to
 * the victim's issue time: from then on, a nonce of that set issued no later
 * than the mark and absent from the table may have been seen before, so it
 * is answered FORGOTTEN (the client gets stale=true and a fresh nonce)
 * instead of being trusted. That keeps replay protection exact with bounded
 * memory; the price under pressure is an extra challenge round, never a
 * replay accepted.
 */
#define NC_WAYS	 8
#define NC_LOCKS 64

typedef struct nc_slot {
	uint64_t tag;
	uint64_t issued;
	uint64_t expires; /* 0: free */
	uint32_t nc;
} nc_slot_t;

typedef struct nc_set {
	nc_slot_t slot[NC_WAYS];
	uint64_t forgotten;
} nc_set_t;

typedef struct nc_lock {
	pthread_mutex_t m;
} __attribute__((aligned(64))) nc_lock_t;

struct auth_nc {
	nc_lock_t locks[NC_LOCKS];
	unsigned nsets; /* power of two */
	nc_set_t *sets;
};

auth_nc_t *auth_nc_new(unsigned slots)
{
	unsigned nsets = 1;
	auth_nc_t *t;

	while (nsets * NC_WAYS < slots && nsets < (1u << 24))
		nsets <<= 1;
	t = aligned_alloc(64, sizeof(*t));
	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->sets = calloc(nsets, sizeof(*t->sets));
	if (!t->sets) {
		free(t);
		return NULL;
	}
	t->nsets = nsets;
	for (unsigned i = 0; i < NC_LOCKS; i++)
		pthread_mutex_init(&t->locks[i].m, NULL);
	return t;
}

void auth_nc_free(auth_nc_t *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < NC_LOCKS; i++)
		pthread_mutex_destroy(&t->locks[i].m);
	free(t->sets);
	free(t);
}

unsigned auth_nc_slots(const auth_nc_t *t)
{
	return t->nsets * NC_WAYS;
}

/* Caller holds the set's lock. Returns the slot to fill for a new nonce:
 * a free one, else the one expiring first (expired ones come first). */
static nc_slot_t *nc_victim(nc_set_t *set)
{
	nc_slot_t *victim = &set->slot[0];

	for (unsigned w = 0; w < NC_WAYS; w++) {
		nc_slot_t *s = &set->slot[w];

		if (s->expires == 0)
			return s;
		if (s->expires < victim->expires)
			victim = s;
	}
	if (victim->issued > set->forgotten)
		set->forgotten = victim->issued;
	return victim;
}

auth_nc_verdict_t auth_nc_use(auth_nc_t *t, const auth_nonce_info_t *n,
			      uint64_t expires_at, uint32_t nc)
{
	size_t idx = (size_t)(n->tag & (t->nsets - 1));
	nc_set_t *set = &t->sets[idx];
	pthread_mutex_t *lock = &t->locks[idx & (NC_LOCKS - 1)].m;
	auth_nc_verdict_t v = AUTH_NC_OK;
	nc_slot_t *s = NULL;

	pthread_mutex_lock(lock);
	for (unsigned w = 0; w < NC_WAYS; w++) {
		if (set->slot[w].expires && set->slot[w].tag == n->tag &&
		    set->slot[w].issued == n->issued) {
			s = &set->slot[w];
			break;
		}
	}
	if (s) {
		if (nc <= s->nc)
			v = AUTH_NC_REPLAY;
		else
			s->nc = nc;
	} else if (n->issued <= set->forgotten) {
		v = AUTH_NC_FORGOTTEN;
	} else {
		s = nc_victim(set);
		*s = (nc_slot_t){.tag = n->tag,
				 .issued = n->issued,
				 .expires = expires_at ? expires_at : 1,
				 .nc = nc};
	}
	pthread_mutex_unlock(lock);
	return v;
}

unsigned auth_nc_live(auth_nc_t *t, uint64_t now_s)
{
	unsigned live = 0;

	for (unsigned i = 0; i < t->nsets; i++) {
		pthread_mutex_t *lock = &t->locks[i & (NC_LOCKS - 1)].m;

		pthread_mutex_lock(lock);
		for (unsigned w = 0; w < NC_WAYS; w++)
			live += t->sets[i].slot[w].expires > now_s;
		pthread_mutex_unlock(lock);
	}
	return live;
}
