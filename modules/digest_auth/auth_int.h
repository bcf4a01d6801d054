/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the digest_auth module: digest computation and credentials
 * parsing, stateless nonces and nonce-count tracking, the HA1 user store,
 * the policy and the service state the module's files share. Every symbol
 * declared here is hidden; the module exports only its descriptor.
 */
#ifndef SS_DIGEST_AUTH_INT_H
#define SS_DIGEST_AUTH_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sipserver/bus.h>
#include <sipserver/cli.h>
#include <sipserver/sip/auth.h>
#include <sipserver/sip/str.h>

#pragma GCC visibility push(hidden)

/* Relaxed counters: exact under concurrency, never ordering anything. */
#define AUTH_INC(field) __atomic_fetch_add(&(field), 1, __ATOMIC_RELAXED)
#define AUTH_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* ---- auth_digest.c: hashing and credentials ---------------------------- */

typedef enum auth_algo {
	AUTH_MD5 = 0,
	AUTH_SHA256 = 1,
} auth_algo_t;

#define AUTH_ALGO_COUNT 2
#define AUTH_HASH_MAX	32 /* bytes of the longest digest (SHA-256) */

/* Digest length in bytes: 16 for MD5, 32 for SHA-256. */
static inline size_t auth_algo_len(auth_algo_t algo)
{
	return algo == AUTH_SHA256 ? 32 : 16;
}

/* Fetches the algorithms once per load and starts a new generation of
 * per-thread contexts. Control loop. 0 or -ENOSYS (OpenSSL lacks one). */
int auth_crypto_init(void);
/* Frees every thread's contexts and the fetched algorithms. Only when no
 * thread runs the module's code (unload, or a test's teardown). */
void auth_crypto_fini(void);

/* H(parts[0] ":" parts[1] ":" ... parts[n-1]) into out (auth_algo_len
 * bytes). Any thread. 0 or -ENOMEM (first use on a thread failed). */
int auth_hash_join(auth_algo_t algo, const ss_str_t *parts, unsigned n,
		   unsigned char *out);
/* HA1 = H(user ":" realm ":" password). */
int auth_digest_ha1(auth_algo_t algo, ss_str_t user, ss_str_t realm,
		    ss_str_t password, unsigned char *ha1);

struct auth_key;

/* HMAC-SHA256(key, data || realm) into out (32 bytes). Any thread. 0 or
 * -ENOMEM (first use on a thread failed) or -EIO. */
int auth_hmac(const struct auth_key *key, const unsigned char *data, size_t len,
	      ss_str_t realm, unsigned char *out);

/* Lowercase hex of len bytes into out (2 * len + 1 bytes, NUL-terminated). */
void auth_hex(const unsigned char *in, size_t len, char *out);
/* Decodes exactly 2 * len hex digits (either case). 0 or -EINVAL. */
int auth_unhex(ss_str_t hex, unsigned char *out, size_t len);

/* Parsed Digest credentials. Slices point into the header value, or into
 * scratch for quoted strings that carried escapes. */
typedef struct auth_creds {
	ss_str_t username, realm, nonce, uri, response, cnonce, opaque, qop;
	ss_str_t nc_text; /* the 8 hex digits as sent, hashed verbatim */
	uint32_t nc;
	auth_algo_t algo;
	bool sess;     /* MD5-sess / SHA-256-sess */
	bool userhash; /* userhash=true (RFC 7616 3.4.4): not supported */
	size_t scratch_used;
	char scratch[1024];
} auth_creds_t;

/*
 * Parses an Authorization / Proxy-Authorization value. Param names are
 * case-insensitive, values quoted (with \-escapes) or tokens, unknown params
 * ignored, a repeated known param rejected. Checks syntax only (nc is 8 hex
 * digits, the algorithm is known); the caller checks presence and qop. Returns
 * 0, -ENOENT (another scheme than Digest), -EINVAL (malformed) or
 * -ENOTSUP (unknown algorithm). c borrows from value.
 */
int auth_creds_parse(ss_str_t value, auth_creds_t *c);

/*
 * The expected response of RFC 7616 3.4.1 for qop=auth, from the stored HA1
 * (binary, auth_algo_len bytes): for -sess HA1 is first rehashed with the
 * nonce and cnonce. 0 or -ENOMEM.
 */
int auth_digest_response(auth_algo_t algo, bool sess, const unsigned char *ha1,
			 ss_str_t nonce, ss_str_t nc_text, ss_str_t cnonce,
			 ss_str_t qop, ss_str_t method, ss_str_t uri,
			 unsigned char *out);

/* ---- auth_nonce.c: stateless nonces and nonce-count tracking ---------- */

#define AUTH_KEY_LEN   32
#define AUTH_NONCE_LEN 43 /* base64url of 32 bytes, no padding */

typedef struct auth_key {
	uint64_t gen; /* changes whenever the bytes change */
	unsigned char bytes[AUTH_KEY_LEN];
} auth_key_t;

/* Fills key from secret (SHA-256 of it) or, when secret is empty, from the
 * system's random generator. 0 or -EIO. */
int auth_key_init(auth_key_t *key, const char *secret);

/* Makes a nonce issued at now_s (wall clock seconds) for realm into out
 * (AUTH_NONCE_LEN + 1 bytes, NUL-terminated). Any thread. 0 or -ENOMEM. */
int auth_nonce_make(const auth_key_t *key, ss_str_t realm, uint64_t now_s,
		    char *out);

typedef struct auth_nonce_info {
	uint64_t issued; /* wall clock seconds */
	uint64_t tag;	 /* 64 bits of its MAC: the nc table key */
} auth_nonce_info_t;

/* Checks that nonce was made by key for realm. 0 (info filled) or
 * -EINVAL (malformed or forged). Constant time in the MAC compare. */
int auth_nonce_check(const auth_key_t *key, ss_str_t nonce, ss_str_t realm,
		     auth_nonce_info_t *info);

typedef struct auth_nc auth_nc_t;

typedef enum auth_nc_verdict {
	AUTH_NC_OK = 0,
	AUTH_NC_REPLAY,	   /* nc not above the highest seen for the nonce */
	AUTH_NC_FORGOTTEN, /* the nonce may have been evicted: unknown nc */
} auth_nc_verdict_t;

/* A table of at least `slots` nonces (rounded up to a power of two, 8 per
 * set) with striped locks. NULL on allocation failure. */
auth_nc_t *auth_nc_new(unsigned slots);
void auth_nc_free(auth_nc_t *t);
/* Accepts nc for the nonce if it is above every nc seen for it and records
 * it; expires_at (seconds) is when the nonce stops being valid. Any
 * thread. */
auth_nc_verdict_t auth_nc_use(auth_nc_t *t, const auth_nonce_info_t *n,
			      uint64_t expires_at, uint32_t nc);
/* Number of slots, and how many are tracking an unexpired nonce. */
unsigned auth_nc_slots(const auth_nc_t *t);
unsigned auth_nc_live(auth_nc_t *t, uint64_t now_s);

/* ---- auth_users.c: the SQLite store of HA1 values --------------------- */

typedef struct auth_users auth_users_t;

/* Opens (creating it mode 0600 if needed) the database at path and loads
 * every user into memory. NULL with one line in err on failure. Control
 * loop. */
auth_users_t *auth_users_open(const char *path, char *err, size_t errlen);
void auth_users_close(auth_users_t *u);
const char *auth_users_path(const auth_users_t *u);

/* Console operations, control loop only: the database first, then memory.
 * add: -EEXIST if present; passwd, remove: -ENOENT if absent; -EINVAL for
 * an empty or over-long name or a control character; -EIO for a database
 * error (logged). */
int auth_users_add(auth_users_t *u, const char *user, const char *realm,
		   const char *password);
int auth_users_passwd(auth_users_t *u, const char *user, const char *realm,
		      const char *password);
int auth_users_remove(auth_users_t *u, const char *user, const char *realm);

/* Copies the HA1 of user in realm for algo into ha1. Any thread. 0 or
 * -ENOENT. */
int auth_users_lookup(auth_users_t *u, ss_str_t user, ss_str_t realm,
		      auth_algo_t algo, unsigned char *ha1);
unsigned auth_users_count(auth_users_t *u);
/* Opens (begin) or ends (commit, else roll back) one SQLite transaction
 * around several adds, so bulk provisioning syncs once. Control loop.
 * 0 or -EIO. A rolled-back batch leaves the in-memory mirror ahead of the
 * file until the next restart; the import command only rolls back when
 * nothing was added. */
int auth_users_batch(auth_users_t *u, bool begin, bool commit);
/* Calls fn for each user ordered by realm then name, from the database.
 * Control loop. 0 or -EIO. */
int auth_users_foreach(auth_users_t *u,
		       void (*fn)(const char *user, const char *realm,
				  void *arg),
		       void *arg);

/* ---- auth_verify.c: policy, verify, challenge, statistics ------------- */

#define AUTH_MAX_RULES	    32
#define AUTH_RULE_MAX_ITEMS 32
#define AUTH_SOURCES	    256 /* failing sources remembered */

/* One <require>: methods and domains are lists of slices into text. */
typedef struct auth_rule {
	ss_str_t methods[AUTH_RULE_MAX_ITEMS];
	ss_str_t domains[AUTH_RULE_MAX_ITEMS];
	unsigned nmethods, ndomains; /* 0: any */
	bool in_dialog;
	char text[1024]; /* "METHODS\0DOMAINS\0" */
} auth_rule_t;

/* Settings: immutable once published, replaced whole on reload. */
typedef struct auth_conf {
	char realm[SS_AUTH_NAME_MAX]; /* "" : the request's domain */
	auth_rule_t rules[AUTH_MAX_RULES];
	unsigned nrules;	/* 0: every request needs auth */
	unsigned nonce_expires; /* seconds */
	unsigned nc_slots;
	bool check_identity; /* authenticated user must be the To/From user */
	bool key_from_secret;
	const char *algos[2]; /* offered in this order: "SHA-256", "MD5" */
	unsigned nalgos;
	auth_key_t key;
} auth_conf_t;

typedef struct auth_source {
	ss_sip_addr_t addr; /* port zeroed: counted per host */
	uint64_t failures;
	uint64_t last_s;
	char last_user[64];
} auth_source_t;

typedef struct auth_stats {
	uint64_t challenges, ok, failed, stale, replays;
	uint64_t no_credentials;  /* requests the pipeline saw without any */
	pthread_mutex_t src_lock; /* guards sources; taken on failure only */
	auth_source_t sources[AUTH_SOURCES];
	unsigned nsources;
} auth_stats_t;

/* The service state. conf and nc are read by workers through acquire loads
 * and swapped by reload on the control loop, which frees the old ones only
 * after every worker passed a quiescent point. */
typedef struct auth_svc {
	const auth_conf_t *conf;
	auth_nc_t *nc;
	auth_users_t *users;
	auth_stats_t stats;
	uint64_t (*now_s)(void); /* wall clock seconds; tests override */
} auth_svc_t;

void auth_stats_init(auth_stats_t *st);
void auth_stats_destroy(auth_stats_t *st);

/* Parses one <require methods= domains= in-dialog=> into r. 0 or -EINVAL
 * (too many items or too long). */
int auth_rule_parse(auth_rule_t *r, const char *methods, const char *domains,
		    bool in_dialog);

/* The service functions on an explicit state (see ss_auth_api_t). */
bool auth_required(auth_svc_t *svc, ss_str_t method, ss_str_t domain,
		   bool in_dialog, char *realm, size_t realm_size);
ss_auth_result_t auth_verify(auth_svc_t *svc, const ss_auth_request_t *req,
			     ss_auth_identity_t *who);
int auth_challenge(auth_svc_t *svc, ss_str_t realm, bool stale, bool proxy,
		   char *buf, size_t size);

/* Printable "host" of an address into buf (INET6_ADDRSTRLEN + 2). */
const char *auth_addr_str(const ss_sip_addr_t *a, char *buf, size_t size);

/* Copies the failing sources, most failures first, into out (room for
 * AUTH_SOURCES). Any thread. Returns how many. */
unsigned auth_stats_sources(auth_stats_t *st, auth_source_t *out);

/* ---- auth.c, auth_cli.c, auth_pipeline.c: the module ---------------- */

struct ss_sip_msg;
struct ss_sip_parser_api;
struct ss_sip_transport_api;
struct ss_sip_txn_api;

/* The module's one service state, owned by the control loop (load, reload,
 * unload, console); workers only read it as auth_svc_t says. */
extern auth_svc_t auth_g;

/* Binds the services the subscriber uses (txn may be NULL: answers are
 * then sent statelessly). Control loop, in load() before the subscription
 * is registered. */
void auth_pipeline_bind(const struct ss_sip_parser_api *parser,
			const struct ss_sip_transport_api *transport,
			const struct ss_sip_txn_api *txn);
/* The "sip.request.in" subscriber (priority SS_AUTH_BUS_PRIORITY). */
ss_bus_verdict_t auth_on_request(ss_topic_t topic, void *msg, void *arg);
/* See ss_auth_api_t.identity. */
const ss_auth_identity_t *auth_pipeline_identity(const struct ss_sip_msg *m);

/* Console commands ("auth user ...", "auth show stats"). */
extern const ss_cli_cmd_t auth_cli_commands[];

#pragma GCC visibility pop

#endif
