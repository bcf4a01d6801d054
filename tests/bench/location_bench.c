/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Benchmark of the location module's table and store: memory per binding at
 * 100,000 and 1,000,000 bindings, apply throughput through the group-commit
 * writer, and the time to reload every binding from SQLite at start.
 * Usage: location_bench [DIR] (default: a temporary directory under /tmp).
 */
#include "loc_int.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define APPLY_THREADS 2

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * sysconf(_SC_PAGESIZE);
}

static size_t heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* A realistic registration: one contact per AOR, strings of the sizes a
 * desk phone sends. Returns the bytes of strings the binding stores. */
static size_t make_update(unsigned i, char (*buf)[96], ss_loc_update_t *u,
			  ss_loc_contact_update_t *c)
{
	snprintf(buf[0], sizeof(buf[0]), "sip:user%07u@example.com", i);
	snprintf(buf[1], sizeof(buf[1]), "sip:user%07u@10.%u.%u.%u:5060", i,
		 (i >> 16) & 255, (i >> 8) & 255, i & 255);
	snprintf(buf[2], sizeof(buf[2]), "%08x-%04x-4c1d-9e3f-%012x@10.1.2.3",
		 i * 2654435761u, i & 0xffff, i);
	snprintf(buf[3], sizeof(buf[3]), "10.%u.%u.%u:5060", (i >> 16) & 255,
		 (i >> 8) & 255, i & 255);
	memset(c, 0, sizeof(*c));
	c->uri = buf[1];
	c->expires = 3600;
	c->q = 1000;
	memset(u, 0, sizeof(*u));
	u->aor = buf[0];
	u->call_id = buf[2];
	u->cseq = 1;
	u->ncontacts = 1;
	u->contacts = c;
	u->received = buf[3];
	u->transport = 1;
	u->user_agent = "Yealink SIP-T46S 66.85.0.5";
	return strlen(buf[1]) + strlen(buf[2]) + strlen(buf[3]) +
	       strlen(u->user_agent) + 6;
}

static int apply_one(loc_table_t *t, loc_writer_t *w, unsigned i,
		     ss_loc_done_fn done, size_t *strbytes)
{
	char buf[4][96], key[SS_LOC_MAX_AOR + 1];
	ss_loc_contact_update_t c;
	ss_loc_update_t u;
	loc_report_t rep;
	loc_wreq_t *r = NULL;
	size_t sb = make_update(i, buf, &u, &c);
	int klen = loc_aor_canon(u.aor, key, sizeof(key)), err;

	if (w && !(r = loc_wreq_new(key, (size_t)klen, done, NULL)))
		return -1;
	err = loc_table_apply(t, key, (size_t)klen, &u, loc_now(), &rep);
	loc_dead_free(&rep.dead);
	if (err) {
		loc_wreq_free(r);
		return err;
	}
	if (w)
		loc_writer_submit(w, r);
	if (strbytes)
		*strbytes += sb + (size_t)klen + 1;
	return 0;
}

static void bench_memory(unsigned n)
{
	size_t h0, strbytes = 0;
	long r0;
	double t0;
	loc_table_t *t;
	unsigned i;

	malloc_trim(0);
	h0 = heap_bytes();
	r0 = rss_bytes();
	t = loc_table_new(256, 10);
	t0 = now_s();
	for (i = 0; i < n; i++)
		if (apply_one(t, NULL, i, NULL, &strbytes) != 0)
			abort();
	printf("memory  %8u bindings: heap %.1f B/binding (strings %.1f, "
	       "overhead %.1f), RSS %.1f B/binding, inserted in %.2f s\n",
	       n, (double)(heap_bytes() - h0) / n, (double)strbytes / n,
	       (double)(heap_bytes() - h0 - strbytes) / n,
	       (double)(rss_bytes() - r0) / n, now_s() - t0);
	loc_table_free(t);
}

static unsigned long completed;

static void on_done(void *arg, int result)
{
	if (result != SS_LOC_OK)
		abort();
	__atomic_add_fetch(&completed, 1, __ATOMIC_RELAXED);
}

typedef struct job {
	loc_table_t *t;
	loc_writer_t *w;
	unsigned from, to;
} job_t;

static void *apply_thread(void *p)
{
	job_t *j = p;
	unsigned i;

	for (i = j->from; i < j->to; i++)
		if (apply_one(j->t, j->w, i, on_done, NULL) != 0)
			abort();
	return NULL;
}

static void bench_apply(const char *path, unsigned n, bool full)
{
	char err[512];
	loc_table_t *t = loc_table_new(256, 10);
	loc_store_t *s = loc_store_open(path, full, err, sizeof(err));
	pthread_t th[APPLY_THREADS];
	job_t jobs[APPLY_THREADS];
	loc_writer_stats_t ws;
	loc_writer_t *w;
	double t0, dt;
	unsigned i;

	if (!s) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	w = loc_writer_start(s, t, NULL, 0);
	completed = 0;
	t0 = now_s();
	for (i = 0; i < APPLY_THREADS; i++) {
		jobs[i] = (job_t){
		    t, w, n / APPLY_THREADS * i,
		    i + 1 == APPLY_THREADS ? n : n / APPLY_THREADS * (i + 1)};
		pthread_create(&th[i], NULL, apply_thread, &jobs[i]);
	}
	for (i = 0; i < APPLY_THREADS; i++)
		pthread_join(th[i], NULL);
	loc_writer_sync(w);
	dt = now_s() - t0;
	loc_writer_get_stats(w, &ws);
	printf("apply   %8u new bindings, synchronous=%s, %d threads: %.0f "
	       "committed/s, %llu commits, avg batch %.1f, max batch %u, "
	       "max commit %.1f ms\n",
	       n, full ? "full" : "normal", APPLY_THREADS, completed / dt,
	       (unsigned long long)ws.commits,
	       (double)ws.requests / (double)ws.batches, ws.max_batch,
	       ws.max_commit_us / 1000.0);
	loc_writer_stop(w);
	loc_store_close(s);
	loc_table_free(t);
}

static int load_row(void *arg, const char *key, size_t klen,
		    const loc_row_t *row)
{
	return loc_table_load(arg, key, klen, row, loc_now());
}

static void bench_reload(const char *path)
{
	char err[512];
	loc_table_t *t = loc_table_new(256, 10);
	loc_table_stats_t st;
	double t0 = now_s(), dt;
	loc_store_t *s = loc_store_open(path, false, err, sizeof(err));

	if (!s ||
	    loc_store_load(s, loc_now(), load_row, t, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	dt = now_s() - t0;
	loc_table_stats(t, &st);
	printf("reload  %8llu bindings from SQLite in %.2f s (%.0f/s)\n",
	       (unsigned long long)st.bindings, dt, st.bindings / dt);
	loc_store_close(s);
	loc_table_free(t);
}

static void remove_db(const char *path)
{
	char p[4200];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/location_bench_XXXXXX", path[4096];
	const char *dir = argc > 1 ? argv[1] : mkdtemp(tmp);

	if (!dir)
		return 1;
	bench_memory(100000);
	bench_memory(1000000);

	snprintf(path, sizeof(path), "%s/bench_full.db", dir);
	bench_apply(path, 50000, true);
	remove_db(path);
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	bench_apply(path, 1000000, false);
	bench_reload(path);
	remove_db(path);
	if (dir == tmp)
		rmdir(tmp);
	return 0;
}
