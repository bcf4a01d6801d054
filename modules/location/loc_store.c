/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SQLite persistence of the location table: open and check the database,
 * reload it at start, and replace the rows of an AOR inside the writer
 * thread's group-commit transactions.
 */
#include "loc_int.h"

#include <sipserver/log.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

/*
 * Schema. One row per binding, keyed by (aor, idx) where idx is the
 * binding's position in its AOR's list, so WITHOUT ROWID stores rows grouped
 * by AOR: a reload streams them in order and an AOR is rewritten with one
 * range delete and n inserts. Writing whole AORs (not single contacts) lets
 * the writer coalesce any number of updates to one AOR in a batch and
 * repairs the rows of an AOR whose earlier transaction failed.
 *
 * Durability. WAL mode; synchronous=NORMAL syncs only at checkpoints, which
 * survives a crash of the process (kill -9) because committed pages are in
 * the kernel's page cache, but not a power failure. synchronous=FULL syncs
 * the WAL at every commit and survives both; group commit makes its cost one
 * fsync per batch instead of one per REGISTER.
 *
 * Exclusivity. locking_mode=EXCLUSIVE keeps the write lock from open to
 * close, so a second server pointed at the same file fails at load with
 * "locked by another process" instead of both overwriting each other's rows.
 */

#define LOC_SCHEMA_VERSION 1
#define LOC_BUSY_MS	   500
#define LOC_CKPT_FRAMES	   1000 /* SQLite's own autocheckpoint default */

/*
 * Checkpoints. SQLite's autocheckpoint would run inside whichever COMMIT
 * crosses the threshold, on whatever thread made it, and a checkpoint
 * syncs the files: milliseconds. Commits may run on a worker loop (see
 * loc_writer.c), so the WAL hook only records the WAL's size and the
 * writer thread checkpoints when loc_store_checkpoint_due() says so, at
 * the same threshold and in the same (passive) mode as autocheckpoint.
 */
struct loc_store {
	sqlite3 *db;
	sqlite3_stmt *begin, *commit, *rollback, *del, *ins;
	int sync_full;	/* wanted; read by the writer before each begin */
	int sync_cur;	/* in force on the connection */
	int wal_frames; /* after the last commit; relaxed atomic */
	char path[];
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS location ("
    " aor TEXT NOT NULL, idx INTEGER NOT NULL, contact TEXT NOT NULL,"
    " expires INTEGER NOT NULL, q INTEGER NOT NULL,"
    " call_id TEXT NOT NULL, cseq INTEGER NOT NULL, path TEXT NOT NULL,"
    " received TEXT NOT NULL, transport INTEGER NOT NULL,"
    " user_agent TEXT NOT NULL, instance TEXT NOT NULL,"
    " reg_id INTEGER NOT NULL, PRIMARY KEY (aor, idx)) WITHOUT ROWID";

/* Turns a SQLite failure into the one line an operator can act on. */
static void store_error(const char *path, sqlite3 *db, int rc, const char *what,
			char *err, size_t errlen)
{
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		snprintf(err, errlen, "location: database %s is corrupt: %s",
			 path, msg);
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		snprintf(err, errlen,
			 "location: database %s is locked by another process",
			 path);
		break;
	default:
		snprintf(err, errlen, "location: database %s: %s: %s", path,
			 what, msg);
		break;
	}
}

/* Runs a statement that returns at most one row; copies its first column
 * into out when given. */
static int exec1(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out) {
		const unsigned char *v = sqlite3_column_text(st, 0);

		snprintf(out, outlen, "%s", v ? (const char *)v : "");
	}
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

static int set_sync(sqlite3 *db, int full)
{
	return exec1(
	    db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
	    NULL, 0);
}

/* Creates the table or checks the version of an existing one. */
static int store_schema(loc_store_t *s, char *err, size_t errlen)
{
	char buf[32] = "0";
	int rc = exec1(s->db, "BEGIN IMMEDIATE", NULL, 0);

	if (rc == SQLITE_OK)
		rc = exec1(s->db, "PRAGMA user_version", buf, sizeof(buf));
	if (rc == SQLITE_OK && atoi(buf) > LOC_SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "location: database %s has schema version %s; this "
			 "build knows %d",
			 s->path, buf, LOC_SCHEMA_VERSION);
		exec1(s->db, "ROLLBACK", NULL, 0);
		return -EPROTO;
	}
	if (rc == SQLITE_OK)
		rc = exec1(s->db, schema_sql, NULL, 0);
	if (rc == SQLITE_OK)
		rc = exec1(s->db, "PRAGMA user_version=1", NULL, 0);
	if (rc == SQLITE_OK)
		rc = exec1(s->db, "COMMIT", NULL, 0);
	if (rc != SQLITE_OK) {
		store_error(s->path, s->db, rc, "schema", err, errlen);
		exec1(s->db, "ROLLBACK", NULL, 0);
		return -EIO;
	}
	return 0;
}

static int store_prepare(loc_store_t *s)
{
	static const char ins[] =
	    "INSERT INTO location (aor, idx, contact, expires, q, call_id,"
	    " cseq, path, received, transport, user_agent, instance,"
	    " reg_id) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)";
	int rc;

	rc = sqlite3_prepare_v2(s->db, "BEGIN IMMEDIATE", -1, &s->begin, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db, "COMMIT", -1, &s->commit, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db, "ROLLBACK", -1, &s->rollback,
					NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db,
					"DELETE FROM location WHERE aor = ?1",
					-1, &s->del, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(s->db, ins, -1, &s->ins, NULL);
	return rc;
}

/* Connection settings; the first statement is where SQLite first reads the
 * file, so a garbage file or another process's lock shows up here. */
static int store_configure(loc_store_t *s, int sync_full)
{
	char mode[16] = "";
	int rc;

	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, LOC_BUSY_MS);
	rc = exec1(s->db, "PRAGMA locking_mode=EXCLUSIVE", NULL, 0);
	if (rc == SQLITE_OK)
		rc =
		    exec1(s->db, "PRAGMA journal_mode=WAL", mode, sizeof(mode));
	if (rc == SQLITE_OK && strcmp(mode, "wal") != 0)
		rc = SQLITE_CANTOPEN;
	if (rc == SQLITE_OK)
		rc = set_sync(s->db, sync_full);
	s->sync_full = s->sync_cur = sync_full;
	return rc;
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	loc_store_t *s = arg;

	(void)db;
	(void)name;
	__atomic_store_n(&s->wal_frames, frames, __ATOMIC_RELAXED);
	return SQLITE_OK;
}

loc_store_t *loc_store_open(const char *path, bool sync_full, char *err,
			    size_t errlen)
{
	size_t len = strlen(path) + 1;
	loc_store_t *s = calloc(1, sizeof(*s) + len);
	int rc;

	if (!s) {
		snprintf(err, errlen, "location: out of memory");
		return NULL;
	}
	memcpy(s->path, path, len);
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc == SQLITE_OK)
		rc = store_configure(s, sync_full);
	if (rc != SQLITE_OK) {
		store_error(path, s->db, rc, "open", err, errlen);
		goto fail;
	}
	sqlite3_wal_hook(s->db, wal_hook, s);
	if (store_schema(s, err, errlen) < 0)
		goto fail;
	rc = store_prepare(s);
	if (rc != SQLITE_OK) {
		store_error(path, s->db, rc, "prepare", err, errlen);
		goto fail;
	}
	return s;
fail:
	loc_store_close(s);
	return NULL;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v ? (const char *)v : "";
}

/* Deletes the rows that expired while the server was down; only when the
 * reload saw some, since it scans the whole table. */
static int store_purge(loc_store_t *s, uint32_t now)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(
	    s->db, "DELETE FROM location WHERE expires <= ?1", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int loc_store_load(loc_store_t *s, uint32_t now,
		   int (*fn)(void *arg, const char *key, size_t klen,
			     const loc_row_t *row),
		   void *arg, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT aor, contact, expires, q, call_id, cseq, path, received,"
	    " transport, user_agent, instance, reg_id FROM location";
	unsigned long expired = 0;
	sqlite3_stmt *st;
	loc_row_t row;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		row.expires = sqlite3_column_int64(st, 2);
		if (row.expires <= (int64_t)now) {
			expired++;
			rc = SQLITE_OK;
			continue;
		}
		row.uri = col_text(st, 1);
		row.q = (uint16_t)sqlite3_column_int(st, 3);
		row.call_id = col_text(st, 4);
		row.cseq = (uint32_t)sqlite3_column_int64(st, 5);
		row.path = col_text(st, 6);
		row.received = col_text(st, 7);
		row.transport = (uint8_t)sqlite3_column_int(st, 8);
		row.user_agent = col_text(st, 9);
		row.instance = col_text(st, 10);
		row.reg_id = (uint32_t)sqlite3_column_int64(st, 11);
		row.conn_id = 0;
		ret = fn(arg, (const char *)sqlite3_column_text(st, 0),
			 (size_t)sqlite3_column_bytes(st, 0), &row);
		if (ret < 0)
			break;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (ret < 0) {
		snprintf(err, errlen, "location: reloading %s: %s", s->path,
			 strerror(-ret));
		return ret;
	}
	if (rc == SQLITE_DONE && expired)
		rc = store_purge(s, now);
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		store_error(s->path, s->db, rc, "reload", err, errlen);
		return -EIO;
	}
	if (expired)
		SS_LOG_INFO("location: dropped %lu bindings that expired "
			    "while stopped",
			    expired);
	return 0;
}

int loc_store_set_sync(loc_store_t *s, bool sync_full)
{
	__atomic_store_n(&s->sync_full, sync_full, __ATOMIC_RELAXED);
	return 0;
}

bool loc_store_sync_full(loc_store_t *s)
{
	return __atomic_load_n(&s->sync_full, __ATOMIC_RELAXED);
}

const char *loc_store_path(const loc_store_t *s)
{
	return s->path;
}

bool loc_store_checkpoint_due(loc_store_t *s)
{
	return __atomic_load_n(&s->wal_frames, __ATOMIC_RELAXED) >=
	       LOC_CKPT_FRAMES;
}

int loc_store_checkpoint(loc_store_t *s)
{
	int rc = sqlite3_wal_checkpoint_v2(
	    s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	/* Whatever the outcome, the next commit reports the WAL's size
	 * again; a failed checkpoint is retried then. */
	__atomic_store_n(&s->wal_frames, 0, __ATOMIC_RELAXED);
	if (rc == SQLITE_OK)
		return 0;
	SS_LOG_WARN("location: database %s: checkpoint: %s", s->path,
		    sqlite3_errmsg(s->db));
	return -EIO;
}

static int step_reset(loc_store_t *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	SS_LOG_ERR("location: database %s: %s: %s", s->path, what,
		   sqlite3_errmsg(s->db));
	return -EIO;
}

int loc_store_begin(loc_store_t *s)
{
	int want = __atomic_load_n(&s->sync_full, __ATOMIC_RELAXED);

	if (want != s->sync_cur && set_sync(s->db, want) == SQLITE_OK)
		s->sync_cur = want;
	return step_reset(s, s->begin, "begin");
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

int loc_store_put(loc_store_t *s, const char *key, size_t klen,
		  const loc_row_t *rows, unsigned n)
{
	sqlite3_stmt *ins = s->ins;
	unsigned i;
	int err;

	sqlite3_bind_text(s->del, 1, key, (int)klen, SQLITE_STATIC);
	err = step_reset(s, s->del, "delete");
	for (i = 0; i < n && !err; i++) {
		const loc_row_t *r = &rows[i];

		sqlite3_bind_text(ins, 1, key, (int)klen, SQLITE_STATIC);
		sqlite3_bind_int(ins, 2, (int)i);
		bind_text(ins, 3, r->uri);
		sqlite3_bind_int64(ins, 4, r->expires);
		sqlite3_bind_int(ins, 5, r->q);
		bind_text(ins, 6, r->call_id);
		sqlite3_bind_int64(ins, 7, r->cseq);
		bind_text(ins, 8, r->path);
		bind_text(ins, 9, r->received);
		sqlite3_bind_int(ins, 10, r->transport);
		bind_text(ins, 11, r->user_agent);
		bind_text(ins, 12, r->instance);
		sqlite3_bind_int64(ins, 13, r->reg_id);
		err = step_reset(s, ins, "insert");
	}
	return err;
}

int loc_store_commit(loc_store_t *s)
{
	return step_reset(s, s->commit, "commit");
}

void loc_store_rollback(loc_store_t *s)
{
	if (!sqlite3_get_autocommit(s->db))
		step_reset(s, s->rollback, "rollback");
}

void loc_store_close(loc_store_t *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_finalize(s->del);
	sqlite3_finalize(s->ins);
	if (s->db && sqlite3_close(s->db) != SQLITE_OK)
		SS_LOG_ERR("location: closing %s: %s", s->path,
			   sqlite3_errmsg(s->db));
	free(s);
}
