/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The user store: HA1-MD5 and HA1-SHA256 of "user:realm:password" in SQLite
 * (never the password), mirrored in a hash table so that verifying a
 * request never touches the database.
 */
#include "auth_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include <sipserver/log.h>

/*
 * The database is the truth and is touched only on the control loop (load
 * and console commands). Workers read the in-memory mirror: a chained hash
 * table whose bucket count is fixed at open (twice the users then, at least
 * 1024), guarded by U_LOCKS reader-writer locks striped by bucket, so
 * concurrent lookups on different workers rarely share a lock's cache line
 * and a console edit blocks only one stripe.
 */
#define U_LOCKS	      16
#define U_MIN_BUCKETS 1024

typedef struct user_ent {
	struct user_ent *next;
	uint32_t hash;
	uint16_t ulen, rlen;
	unsigned char ha1[AUTH_ALGO_COUNT][AUTH_HASH_MAX];
	char name[]; /* user then realm, not terminated */
} user_ent_t;

typedef struct u_lock {
	pthread_rwlock_t rw;
} __attribute__((aligned(64))) u_lock_t;

struct auth_users {
	u_lock_t locks[U_LOCKS];
	user_ent_t **buckets;
	unsigned mask;
	unsigned count; /* relaxed atomic */
	sqlite3 *db;
	char path[PATH_MAX];
};

static const char schema_sql[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS auth_users ("
    " username TEXT NOT NULL,"
    " realm TEXT NOT NULL,"
    " ha1_md5 TEXT NOT NULL,"
    " ha1_sha256 TEXT NOT NULL,"
    " PRIMARY KEY (username, realm)) WITHOUT ROWID;";

static uint32_t key_hash(ss_str_t user, ss_str_t realm)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < user.len; i++)
		h = (h ^ (unsigned char)user.s[i]) * 16777619u;
	h = (h ^ 0xffu) * 16777619u; /* separator: "a"+"bc" != "ab"+"c" */
	for (size_t i = 0; i < realm.len; i++)
		h = (h ^ (unsigned char)realm.s[i]) * 16777619u;
	return h;
}

/* By the hash alone, so that growing the table (which changes the mask
 * under every stripe) never moves an entry to another stripe's care. */
static pthread_rwlock_t *stripe(auth_users_t *u, uint32_t hash)
{
	return &u->locks[hash % U_LOCKS].rw;
}

/* Caller holds the stripe lock of hash. */
static user_ent_t **find_slot(auth_users_t *u, ss_str_t user, ss_str_t realm,
			      uint32_t hash)
{
	user_ent_t **pp = &u->buckets[hash & u->mask];

	for (; *pp; pp = &(*pp)->next) {
		const user_ent_t *e = *pp;

		if (e->hash == hash && e->ulen == user.len &&
		    e->rlen == realm.len &&
		    memcmp(e->name, user.s, user.len) == 0 &&
		    memcmp(e->name + e->ulen, realm.s, realm.len) == 0)
			return pp;
	}
	return pp;
}

/*
 * Doubles the buckets while there are more users than buckets: users added
 * after open (a bulk import into an empty database) would otherwise leave
 * every lookup walking long chains. Control loop only, like every writer;
 * it holds every stripe, so no lookup sees a half-moved table. Without
 * memory the table keeps its size: slower lookups, same answers.
 */
static void mirror_grow(auth_users_t *u)
{
	unsigned count = __atomic_load_n(&u->count, __ATOMIC_RELAXED);
	unsigned nb = u->mask + 1, i;
	user_ent_t **nbk, **old;

	if (count <= nb || nb >= (1u << 26))
		return;
	while (nb < 2 * count && nb < (1u << 26))
		nb <<= 1;
	nbk = calloc(nb, sizeof(*nbk));
	if (!nbk)
		return;
	for (i = 0; i < U_LOCKS; i++)
		pthread_rwlock_wrlock(&u->locks[i].rw);
	for (i = 0; i <= u->mask; i++) {
		user_ent_t *e;

		while ((e = u->buckets[i]) != NULL) {
			u->buckets[i] = e->next;
			e->next = nbk[e->hash & (nb - 1)];
			nbk[e->hash & (nb - 1)] = e;
		}
	}
	old = u->buckets;
	u->buckets = nbk;
	u->mask = nb - 1;
	for (i = U_LOCKS; i-- > 0;)
		pthread_rwlock_unlock(&u->locks[i].rw);
	free(old);
}

/* Adds or updates the mirror entry. -ENOMEM. */
static int mirror_set(auth_users_t *u, ss_str_t user, ss_str_t realm,
		      unsigned char ha1[AUTH_ALGO_COUNT][AUTH_HASH_MAX])
{
	uint32_t hash = key_hash(user, realm);
	pthread_rwlock_t *lock = stripe(u, hash);
	user_ent_t **pp, *e;

	pthread_rwlock_wrlock(lock);
	pp = find_slot(u, user, realm, hash);
	if (*pp) {
		memcpy((*pp)->ha1, ha1, sizeof((*pp)->ha1));
		pthread_rwlock_unlock(lock);
		return 0;
	}
	e = malloc(sizeof(*e) + user.len + realm.len);
	if (!e) {
		pthread_rwlock_unlock(lock);
		return -ENOMEM;
	}
	e->next = NULL;
	e->hash = hash;
	e->ulen = (uint16_t)user.len;
	e->rlen = (uint16_t)realm.len;
	memcpy(e->ha1, ha1, sizeof(e->ha1));
	memcpy(e->name, user.s, user.len);
	memcpy(e->name + user.len, realm.s, realm.len);
	*pp = e;
	pthread_rwlock_unlock(lock);
	__atomic_fetch_add(&u->count, 1, __ATOMIC_RELAXED);
	mirror_grow(u);
	return 0;
}

static void mirror_remove(auth_users_t *u, ss_str_t user, ss_str_t realm)
{
	uint32_t hash = key_hash(user, realm);
	pthread_rwlock_t *lock = stripe(u, hash);
	user_ent_t **pp, *e;

	pthread_rwlock_wrlock(lock);
	pp = find_slot(u, user, realm, hash);
	e = *pp;
	if (e)
		*pp = e->next;
	pthread_rwlock_unlock(lock);
	if (e) {
		OPENSSL_cleanse(e->ha1, sizeof(e->ha1));
		free(e);
		__atomic_fetch_sub(&u->count, 1, __ATOMIC_RELAXED);
	}
}

int auth_users_lookup(auth_users_t *u, ss_str_t user, ss_str_t realm,
		      auth_algo_t algo, unsigned char *ha1)
{
	uint32_t hash = key_hash(user, realm);
	pthread_rwlock_t *lock = stripe(u, hash);
	const user_ent_t *e;

	pthread_rwlock_rdlock(lock);
	e = *find_slot(u, user, realm, hash);
	if (e)
		memcpy(ha1, e->ha1[algo], auth_algo_len(algo));
	pthread_rwlock_unlock(lock);
	return e ? 0 : -ENOENT;
}

unsigned auth_users_count(auth_users_t *u)
{
	return __atomic_load_n(&u->count, __ATOMIC_RELAXED);
}

int auth_users_batch(auth_users_t *u, bool begin, bool commit)
{
	const char *sql = begin ? "BEGIN" : commit ? "COMMIT" : "ROLLBACK";

	if (sqlite3_exec(u->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		SS_LOG_ERR("%s: %s: %s", u->path, sql, sqlite3_errmsg(u->db));
		return -EIO;
	}
	return 0;
}

const char *auth_users_path(const auth_users_t *u)
{
	return u->path;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SS_AUTH_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Both HA1 values of user:realm:password, binary and hex. */
static int make_ha1(const char *user, const char *realm, const char *password,
		    unsigned char ha1[AUTH_ALGO_COUNT][AUTH_HASH_MAX],
		    char hex[AUTH_ALGO_COUNT][2 * AUTH_HASH_MAX + 1])
{
	for (int a = 0; a < AUTH_ALGO_COUNT; a++) {
		int rc = auth_digest_ha1((auth_algo_t)a, ss_str_c(user),
					 ss_str_c(realm), ss_str_c(password),
					 ha1[a]);

		if (rc)
			return rc;
		auth_hex(ha1[a], auth_algo_len((auth_algo_t)a), hex[a]);
	}
	return 0;
}

/* Runs one statement binding up to four text values; returns the SQLite
 * result code and, through changes, the rows it changed. */
static int db_run(auth_users_t *u, const char *sql, const char *const *vals,
		  int nvals, int *changes)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(u->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto out;
	for (int i = 0; i < nvals; i++) {
		rc = sqlite3_bind_text(st, i + 1, vals[i], -1, SQLITE_STATIC);
		if (rc != SQLITE_OK)
			goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
		*changes = sqlite3_changes(u->db);
	}
out:
	sqlite3_finalize(st);
	return rc;
}

static int set_password(auth_users_t *u, const char *user, const char *realm,
			const char *password, bool create)
{
	static const char ins[] = "INSERT INTO auth_users (username, realm,"
				  " ha1_md5, ha1_sha256) VALUES (?, ?, ?, ?)";
	static const char upd[] = "UPDATE auth_users SET ha1_md5 = ?3,"
				  " ha1_sha256 = ?4"
				  " WHERE username = ?1 AND realm = ?2";
	unsigned char ha1[AUTH_ALGO_COUNT][AUTH_HASH_MAX];
	char hex[AUTH_ALGO_COUNT][2 * AUTH_HASH_MAX + 1];
	int rc, changes = 0;

	if (!name_ok(user) || !name_ok(realm) || !*password)
		return -EINVAL;
	rc = make_ha1(user, realm, password, ha1, hex);
	if (rc)
		goto out;
	{
		const char *vals[] = {user, realm, hex[AUTH_MD5],
				      hex[AUTH_SHA256]};

		rc = db_run(u, create ? ins : upd, vals, 4, &changes);
	}
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		rc = -EEXIST;
	} else if (rc != SQLITE_OK) {
		SS_LOG_ERR("%s: storing %s@%s: %s", u->path, user, realm,
			   sqlite3_errmsg(u->db));
		rc = -EIO;
	} else if (changes == 0) {
		rc = -ENOENT;
	} else {
		rc = mirror_set(u, ss_str_c(user), ss_str_c(realm), ha1);
	}
out:
	OPENSSL_cleanse(ha1, sizeof(ha1));
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

int auth_users_add(auth_users_t *u, const char *user, const char *realm,
		   const char *password)
{
	return set_password(u, user, realm, password, true);
}

int auth_users_passwd(auth_users_t *u, const char *user, const char *realm,
		      const char *password)
{
	return set_password(u, user, realm, password, false);
}

int auth_users_remove(auth_users_t *u, const char *user, const char *realm)
{
	const char *vals[] = {user, realm};
	int rc, changes = 0;

	if (!name_ok(user) || !name_ok(realm))
		return -EINVAL;
	rc =
	    db_run(u, "DELETE FROM auth_users WHERE username = ? AND realm = ?",
		   vals, 2, &changes);
	if (rc != SQLITE_OK) {
		SS_LOG_ERR("%s: removing %s@%s: %s", u->path, user, realm,
			   sqlite3_errmsg(u->db));
		return -EIO;
	}
	if (changes == 0)
		return -ENOENT;
	mirror_remove(u, ss_str_c(user), ss_str_c(realm));
	return 0;
}

int auth_users_foreach(auth_users_t *u,
		       void (*fn)(const char *user, const char *realm,
				  void *arg),
		       void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(u->db,
				"SELECT username, realm FROM auth_users"
				" ORDER BY realm, username",
				-1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn((const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1), arg);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		SS_LOG_ERR("%s: listing users: %s", u->path,
			   sqlite3_errmsg(u->db));
		return -EIO;
	}
	return 0;
}

/* Loads one row into the mirror; a row with damaged HA1 text is skipped
 * with a warning rather than failing the whole load. */
static int load_row(auth_users_t *u, sqlite3_stmt *st)
{
	unsigned char ha1[AUTH_ALGO_COUNT][AUTH_HASH_MAX];
	ss_str_t user = {(const char *)sqlite3_column_text(st, 0),
			 (size_t)sqlite3_column_bytes(st, 0)};
	ss_str_t realm = {(const char *)sqlite3_column_text(st, 1),
			  (size_t)sqlite3_column_bytes(st, 1)};
	ss_str_t md5 = {(const char *)sqlite3_column_text(st, 2),
			(size_t)sqlite3_column_bytes(st, 2)};
	ss_str_t sha = {(const char *)sqlite3_column_text(st, 3),
			(size_t)sqlite3_column_bytes(st, 3)};

	if (!user.s || !realm.s || !md5.s || !sha.s ||
	    user.len >= SS_AUTH_NAME_MAX || realm.len >= SS_AUTH_NAME_MAX ||
	    auth_unhex(md5, ha1[AUTH_MD5], 16) ||
	    auth_unhex(sha, ha1[AUTH_SHA256], 32)) {
		SS_LOG_WARN("%s: skipping malformed user row %.*s@%.*s",
			    u->path, SS_STR_ARG(user), SS_STR_ARG(realm));
		return 0;
	}
	return mirror_set(u, user, realm, ha1);
}

static int load_all(auth_users_t *u, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(u->db,
				"SELECT username, realm, ha1_md5, ha1_sha256"
				" FROM auth_users",
				-1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = load_row(u, st) ? SQLITE_NOMEM : SQLITE_OK;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: loading users: %s", u->path,
			 rc == SQLITE_NOMEM ? "out of memory"
					    : sqlite3_errmsg(u->db));
		return -EIO;
	}
	return 0;
}

/* Creates the file readable by the server's user only: HA1 values are
 * password equivalents for their realm. */
static int create_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	close(fd);
	return 0;
}

static unsigned count_rows(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	unsigned n = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM auth_users", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (unsigned)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

auth_users_t *auth_users_open(const char *path, char *err, size_t errlen)
{
	auth_users_t *u;
	unsigned nb = U_MIN_BUCKETS, rows;

	u = aligned_alloc(64, sizeof(*u));
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(u, 0, sizeof(*u));
	for (unsigned i = 0; i < U_LOCKS; i++)
		pthread_rwlock_init(&u->locks[i].rw, NULL);
	if (snprintf(u->path, sizeof(u->path), "%s", path) >=
	    (int)sizeof(u->path)) {
		snprintf(err, errlen, "%s: path too long", path);
		goto fail;
	}
	if (create_private(path, err, errlen))
		goto fail;
	if (sqlite3_open_v2(path, &u->db, SQLITE_OPEN_READWRITE, NULL) !=
		SQLITE_OK ||
	    sqlite3_busy_timeout(u->db, 2000) != SQLITE_OK ||
	    sqlite3_exec(u->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 u->db ? sqlite3_errmsg(u->db) : "cannot open");
		goto fail;
	}
	rows = count_rows(u->db);
	while (nb < 2 * rows && nb < (1u << 26))
		nb <<= 1;
	u->buckets = calloc(nb, sizeof(*u->buckets));
	if (!u->buckets) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	u->mask = nb - 1;
	if (load_all(u, err, errlen))
		goto fail;
	return u;
fail:
	auth_users_close(u);
	return NULL;
}

void auth_users_close(auth_users_t *u)
{
	if (!u)
		return;
	for (unsigned i = 0; u->buckets && i <= u->mask; i++) {
		while (u->buckets[i]) {
			user_ent_t *e = u->buckets[i];

			u->buckets[i] = e->next;
			OPENSSL_cleanse(e->ha1, sizeof(e->ha1));
			free(e);
		}
	}
	free(u->buckets);
	sqlite3_close(u->db);
	for (unsigned i = 0; i < U_LOCKS; i++)
		pthread_rwlock_destroy(&u->locks[i].rw);
	free(u);
}
