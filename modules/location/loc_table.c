/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The in-memory location table: AOR -> contacts, sharded by AOR hash with one
 * lock per shard, plus each shard's min-heap of bindings ordered by expiry
 * for the sweep. Pure data structure: no I/O, no loops, no bus.
 */
#include "loc_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Design.
 *
 * Layout. A shard is a chained hash table of AOR entries and a binary
 * min-heap of the shard's bindings keyed by expiry. The shard comes from the
 * low bits of a 64-bit FNV-1a hash of the AOR key, the bucket from the high
 * 32 bits, so both stay independent. Every operation on an AOR takes only its
 * shard's mutex: loops contend only on the same shard, and 256 shards make
 * that rare. Critical sections never allocate on the refresh path: the
 * bindings an update adds are built before the lock is taken.
 *
 * Memory. A binding is one allocation: a 56-byte header followed by its
 * strings (URI, Call-ID, Path, received, User-Agent, instance) packed with
 * NUL terminators and found through 16-bit offsets. With the heap slot and
 * the AOR entry shared by its contacts, a binding costs about 150 bytes plus
 * its strings, against the 400-byte budget.
 *
 * Lifetime. An AOR entry is in its bucket while it has contacts. Bindings
 * taken out of the table (removed, expired, replaced by a refresh) are handed
 * to the caller in a loc_dead_t so that events can be published and memory
 * freed after the lock is dropped; each binding, live or dead, holds a
 * reference on its AOR entry, so a dead binding can still name its AOR after
 * the entry left the table. The reference count is atomic because dead
 * bindings are freed outside any lock.
 *
 * Expiry. Two mechanisms together: lookups and counts skip bindings whose
 * expiry has passed (lazy, exact to the second, costs a compare), and the
 * sweep pops the heap of each shard on a timer, so that memory, the database
 * and the events follow within one sweep interval. The alternative, a wheel
 * timer per binding, would need every refresh to restart a timer on the
 * loop that owns it: a cross-loop post per REGISTER, 40 bytes per binding,
 * and unbounded wheel work at start when a million bindings reload. The
 * heap costs 8 bytes and O(log n) per refresh under a lock already held.
 */

#define LOC_NOHEAP UINT32_MAX

enum { S_CALLID, S_PATH, S_RECEIVED, S_UA, S_INSTANCE, S_NOFF };

typedef struct loc_aor loc_aor_t;

struct loc_aor {
	loc_aor_t *hnext;
	loc_binding_t *head; /* q descending, newest first among equal q */
	uint32_t hash;	     /* high half of the key hash: the bucket */
	uint32_t refs;	     /* bindings pointing here, live or dead */
	uint16_t count;	     /* live (linked) bindings */
	uint16_t len;
	char key[];
};

struct loc_binding {
	loc_binding_t *next;
	loc_aor_t *aor;
	uint64_t conn_id;
	uint32_t expires;
	uint32_t cseq;
	uint32_t reg_id;
	uint32_t heap; /* index in the shard heap, LOC_NOHEAP when out */
	uint16_t q;
	uint8_t transport;
	uint8_t kind; /* once dead: the event to publish */
	uint16_t off[S_NOFF];
	uint16_t slen;
	char str[]; /* URI first, then the S_* strings, each NUL ended */
};

typedef struct loc_shard {
	pthread_mutex_t lock;
	loc_aor_t **buckets;
	unsigned nbuckets; /* power of two */
	unsigned naors;
	loc_binding_t **heap; /* nbindings entries */
	unsigned nbindings, heapcap;
} __attribute__((aligned(64))) loc_shard_t;

struct loc_table {
	unsigned nshards; /* power of two */
	unsigned max_contacts;
	loc_shard_t *shards;
};

static uint32_t real_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

static uint32_t (*clock_fn)(void) = real_clock;

uint32_t loc_now(void)
{
	return clock_fn();
}

void loc_clock_set(uint32_t (*fn)(void))
{
	clock_fn = fn ? fn : real_clock;
}

static uint64_t key_hash(const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* ---- bindings ---------------------------------------------------------- */

/* Builds a binding (not linked anywhere) holding copies of the strings
 * strs[0] = URI, strs[1 + S_*]. NULL: too long (-EINVAL) or -ENOMEM. */
static loc_binding_t *binding_new(const char *const strs[S_NOFF + 1], int *err)
{
	size_t lens[S_NOFF + 1], total = 0, pos;
	loc_binding_t *b;
	unsigned i;

	for (i = 0; i <= S_NOFF; i++) {
		lens[i] = strlen(strs[i]) + 1;
		total += lens[i];
	}
	if (total > LOC_MAX_STRINGS || lens[0] == 1) {
		*err = SS_LOC_E_INVAL;
		return NULL;
	}
	b = malloc(sizeof(*b) + total);
	if (!b) {
		*err = SS_LOC_E_NOMEM;
		return NULL;
	}
	memset(b, 0, sizeof(*b));
	memcpy(b->str, strs[0], lens[0]);
	pos = lens[0];
	for (i = 0; i < S_NOFF; i++) {
		b->off[i] = (uint16_t)pos;
		memcpy(b->str + pos, strs[i + 1], lens[i + 1]);
		pos += lens[i + 1];
	}
	b->slen = (uint16_t)total;
	b->heap = LOC_NOHEAP;
	return b;
}

static loc_binding_t *binding_from_update(const ss_loc_update_t *u,
					  const ss_loc_contact_update_t *c,
					  int *err)
{
	const char *strs[S_NOFF + 1] = {
	    str_or_empty(c->uri),	 str_or_empty(u->call_id),
	    str_or_empty(u->path),	 str_or_empty(u->received),
	    str_or_empty(u->user_agent), str_or_empty(c->instance),
	};
	loc_binding_t *b = binding_new(strs, err);

	if (!b)
		return NULL;
	b->cseq = u->cseq;
	b->q = c->q;
	b->transport = u->transport;
	b->conn_id = u->conn_id;
	b->reg_id = c->reg_id;
	return b;
}

static const char *bstr(const loc_binding_t *b, unsigned which)
{
	return b->str + b->off[which];
}

static void aor_unref(loc_aor_t *a)
{
	if (__atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(a);
}

static void binding_free(loc_binding_t *b)
{
	if (b->aor)
		aor_unref(b->aor);
	free(b);
}

/* ---- the expiry heap ---------------------------------------------------- */

static void heap_set(loc_shard_t *sh, uint32_t i, loc_binding_t *b)
{
	sh->heap[i] = b;
	b->heap = i;
}

static void heap_sift(loc_shard_t *sh, uint32_t i)
{
	loc_binding_t *b = sh->heap[i];
	uint32_t n = sh->nbindings;

	while (i > 0 && sh->heap[(i - 1) / 2]->expires > b->expires) {
		heap_set(sh, i, sh->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n &&
		    sh->heap[c + 1]->expires < sh->heap[c]->expires)
			c++;
		if (sh->heap[c]->expires >= b->expires)
			break;
		heap_set(sh, i, sh->heap[c]);
		i = c;
	}
	heap_set(sh, i, b);
}

static int heap_reserve(loc_shard_t *sh, unsigned more)
{
	unsigned cap = sh->heapcap ? sh->heapcap : 16;
	loc_binding_t **h;

	if (sh->nbindings + more <= sh->heapcap)
		return 0;
	while (cap < sh->nbindings + more)
		cap *= 2;
	h = realloc(sh->heap, cap * sizeof(*h));
	if (!h)
		return -ENOMEM;
	sh->heap = h;
	sh->heapcap = cap;
	return 0;
}

/* Room must have been reserved. */
static void heap_push(loc_shard_t *sh, loc_binding_t *b)
{
	heap_set(sh, sh->nbindings++, b);
	heap_sift(sh, b->heap);
}

static void heap_remove(loc_shard_t *sh, loc_binding_t *b)
{
	uint32_t i = b->heap;
	loc_binding_t *last = sh->heap[--sh->nbindings];

	b->heap = LOC_NOHEAP;
	if (last != b) {
		heap_set(sh, i, last);
		heap_sift(sh, i);
	}
}

/* ---- AOR entries ------------------------------------------------------- */

static loc_shard_t *shard_of(loc_table_t *t, uint64_t h)
{
	return &t->shards[h & (t->nshards - 1)];
}

static loc_aor_t *aor_find(loc_shard_t *sh, const char *key, size_t len,
			   uint32_t hash)
{
	loc_aor_t *a = sh->buckets[hash & (sh->nbuckets - 1)];

	for (; a; a = a->hnext)
		if (a->hash == hash && a->len == len &&
		    memcmp(a->key, key, len) == 0)
			return a;
	return NULL;
}

/* Doubling keeps chains short; a failed resize only costs speed. */
static void buckets_grow(loc_shard_t *sh)
{
	unsigned n = sh->nbuckets * 2, i;
	loc_aor_t **nb = calloc(n, sizeof(*nb));

	if (!nb)
		return;
	for (i = 0; i < sh->nbuckets; i++) {
		loc_aor_t *a = sh->buckets[i], *next;

		for (; a; a = next) {
			next = a->hnext;
			a->hnext = nb[a->hash & (n - 1)];
			nb[a->hash & (n - 1)] = a;
		}
	}
	free(sh->buckets);
	sh->buckets = nb;
	sh->nbuckets = n;
}

static loc_aor_t *aor_create(loc_shard_t *sh, const char *key, size_t len,
			     uint32_t hash)
{
	loc_aor_t *a = malloc(sizeof(*a) + len + 1);
	loc_aor_t **slot;

	if (!a)
		return NULL;
	a->head = NULL;
	a->hash = hash;
	a->refs = 0;
	a->count = 0;
	a->len = (uint16_t)len;
	memcpy(a->key, key, len);
	a->key[len] = '\0';
	if (sh->naors >= sh->nbuckets)
		buckets_grow(sh);
	slot = &sh->buckets[hash & (sh->nbuckets - 1)];
	a->hnext = *slot;
	*slot = a;
	sh->naors++;
	return a;
}

/* Takes an emptied AOR out of its bucket; its dead bindings keep it. */
static void aor_unhash(loc_shard_t *sh, loc_aor_t *a)
{
	loc_aor_t **pp = &sh->buckets[a->hash & (sh->nbuckets - 1)];

	while (*pp != a)
		pp = &(*pp)->hnext;
	*pp = a->hnext;
	sh->naors--;
	if (__atomic_load_n(&a->refs, __ATOMIC_ACQUIRE) == 0)
		free(a);
}

/* Links b before the bindings of equal q (it is the newest), or after them
 * when `oldest` says it comes from the store in list order. */
static void aor_link(loc_shard_t *sh, loc_aor_t *a, loc_binding_t *b,
		     bool oldest)
{
	loc_binding_t **pp = &a->head;

	while (*pp && ((*pp)->q > b->q || (oldest && (*pp)->q == b->q)))
		pp = &(*pp)->next;
	b->next = *pp;
	*pp = b;
	b->aor = a;
	__atomic_add_fetch(&a->refs, 1, __ATOMIC_RELAXED);
	a->count++;
	heap_push(sh, b);
}

/* Moves b from a's list and the heap into dead. */
static void aor_unlink(loc_shard_t *sh, loc_aor_t *a, loc_binding_t *b,
		       ss_loc_event_kind_t kind, loc_dead_t *dead)
{
	loc_binding_t **pp = &a->head;

	while (*pp != b)
		pp = &(*pp)->next;
	*pp = b->next;
	a->count--;
	heap_remove(sh, b);
	b->kind = (uint8_t)kind;
	b->next = dead->head;
	dead->head = b;
	dead->n++;
}

static void aor_purge_expired(loc_shard_t *sh, loc_aor_t *a, uint32_t now,
			      loc_dead_t *dead)
{
	loc_binding_t *b = a->head, *next;

	for (; b; b = next) {
		next = b->next;
		if (b->expires <= now)
			aor_unlink(sh, a, b, SS_LOC_EV_EXPIRED, dead);
	}
}

/* RFC 5626 section 6: with +sip.instance and reg-id the flow identifies
 * the binding, whatever its URI says; otherwise the URI does. */
static loc_binding_t *aor_match(const loc_aor_t *a,
				const ss_loc_contact_update_t *c)
{
	loc_binding_t *b;
	bool by_flow = c->instance && *c->instance && c->reg_id;

	for (b = a ? a->head : NULL; b; b = b->next) {
		if (by_flow) {
			if (b->reg_id == c->reg_id &&
			    strcmp(bstr(b, S_INSTANCE), c->instance) == 0)
				return b;
		} else if (loc_uri_equal(b->str, c->uri)) {
			return b;
		}
	}
	return NULL;
}

/* ---- table ------------------------------------------------------------- */

loc_table_t *loc_table_new(unsigned nshards, unsigned max_contacts)
{
	loc_table_t *t = calloc(1, sizeof(*t));
	unsigned n = 1, i;

	if (!t)
		return NULL;
	while (n < nshards)
		n *= 2;
	t->nshards = n;
	t->max_contacts = max_contacts;
	t->shards = aligned_alloc(64, n * sizeof(*t->shards));
	if (!t->shards)
		goto fail;
	memset(t->shards, 0, n * sizeof(*t->shards));
	for (i = 0; i < n; i++) {
		loc_shard_t *sh = &t->shards[i];

		pthread_mutex_init(&sh->lock, NULL);
		sh->nbuckets = 16;
		sh->buckets = calloc(sh->nbuckets, sizeof(*sh->buckets));
		if (!sh->buckets) {
			t->nshards = i + 1;
			loc_table_free(t);
			return NULL;
		}
	}
	return t;
fail:
	free(t);
	return NULL;
}

void loc_table_free(loc_table_t *t)
{
	unsigned i, j;

	if (!t)
		return;
	for (i = 0; t->shards && i < t->nshards; i++) {
		loc_shard_t *sh = &t->shards[i];

		/* Bindings go first: each drops a reference on its AOR, and
		 * the last one frees it. */
		for (j = 0; j < sh->nbindings; j++)
			binding_free(sh->heap[j]);
		free(sh->heap);
		free(sh->buckets);
		pthread_mutex_destroy(&sh->lock);
	}
	free(t->shards);
	free(t);
}

void loc_table_set_max_contacts(loc_table_t *t, unsigned max)
{
	__atomic_store_n(&t->max_contacts, max, __ATOMIC_RELAXED);
}

unsigned loc_table_shards(const loc_table_t *t)
{
	return t->nshards;
}

/* ---- updates ------------------------------------------------------------ */

static bool update_same(const ss_loc_contact_update_t *a,
			const ss_loc_contact_update_t *b)
{
	if (a->instance && *a->instance && a->reg_id)
		return b->instance && b->reg_id == a->reg_id &&
		       strcmp(a->instance, b->instance) == 0;
	return loc_uri_equal(a->uri, b->uri);
}

static int update_valid(const ss_loc_update_t *u)
{
	unsigned i;

	if (!u->call_id || !*u->call_id || u->ncontacts > LOC_MAX_UPDATE ||
	    (u->remove_all && u->ncontacts) || (u->ncontacts && !u->contacts))
		return SS_LOC_E_INVAL;
	for (i = 0; i < u->ncontacts; i++)
		if (!u->contacts[i].uri || !*u->contacts[i].uri ||
		    u->contacts[i].q > SS_LOC_Q_MAX)
			return SS_LOC_E_INVAL;
	return 0;
}

/* RFC 3261 10.3 step 7 and the contact limit, before anything changes, so
 * that an update applies entirely or not at all. */
static int apply_check(const loc_table_t *t, const loc_aor_t *a,
		       const ss_loc_update_t *u)
{
	const loc_binding_t *m[LOC_MAX_UPDATE], *b;
	unsigned count = a ? a->count : 0, after = count, i, j;
	unsigned max = __atomic_load_n(&t->max_contacts, __ATOMIC_RELAXED);

	if (u->remove_all) {
		for (b = a ? a->head : NULL; b; b = b->next)
			if (strcmp(bstr(b, S_CALLID), u->call_id) == 0 &&
			    u->cseq <= b->cseq)
				return SS_LOC_E_CSEQ;
		return 0;
	}
	for (i = 0; i < u->ncontacts; i++) {
		const ss_loc_contact_update_t *c = &u->contacts[i];
		bool dup = false;

		m[i] = aor_match(a, c);
		if (m[i] && strcmp(bstr(m[i], S_CALLID), u->call_id) == 0 &&
		    u->cseq <= m[i]->cseq)
			return SS_LOC_E_CSEQ;
		for (j = 0; j < i && !dup; j++)
			dup = m[i] ? m[j] == m[i]
				   : !m[j] && update_same(&u->contacts[j], c);
		if (dup)
			continue;
		if (c->expires && !m[i])
			after++;
		else if (!c->expires && m[i])
			after--;
	}
	/* An AOR above a lowered limit may still refresh and shrink. */
	if (after > max && after > count)
		return SS_LOC_E_TOO_MANY;
	return 0;
}

static void apply_changes(loc_shard_t *sh, loc_aor_t *a,
			  const ss_loc_update_t *u, loc_binding_t **pre,
			  loc_report_t *rep)
{
	unsigned i;

	while (u->remove_all && a && a->head)
		aor_unlink(sh, a, a->head, SS_LOC_EV_REMOVED, &rep->dead);
	for (i = 0; i < u->ncontacts; i++) {
		const ss_loc_contact_update_t *c = &u->contacts[i];
		loc_binding_t *cur = aor_match(a, c);

		if (!c->expires) {
			/* Reported through kinds[i], not as a dead event. */
			if (cur) {
				aor_unlink(sh, a, cur, 0, &rep->dead);
				rep->kinds[i] = SS_LOC_EV_REMOVED;
			}
			continue;
		}
		/* A refresh replaces the whole binding: its strings are
		 * packed, and Call-ID or User-Agent may have changed. */
		if (cur)
			aor_unlink(sh, a, cur, 0, &rep->dead);
		rep->kinds[i] = cur ? SS_LOC_EV_REFRESHED : SS_LOC_EV_ADDED;
		aor_link(sh, a, pre[i], false);
		pre[i] = NULL;
	}
	rep->count = a ? a->count : 0;
}

static uint32_t expiry_at(uint32_t now, uint64_t secs)
{
	uint64_t e = (uint64_t)now + secs;

	return e > UINT32_MAX ? UINT32_MAX : (uint32_t)e;
}

int loc_table_apply(loc_table_t *t, const char *key, size_t klen,
		    const ss_loc_update_t *u, uint32_t now, loc_report_t *rep)
{
	loc_binding_t *pre[LOC_MAX_UPDATE] = {NULL};
	uint64_t h = key_hash(key, klen);
	loc_shard_t *sh = shard_of(t, h);
	unsigned i, adds = 0;
	loc_aor_t *a;
	int err;

	memset(rep, 0, sizeof(*rep));
	err = update_valid(u);
	if (err)
		return err;
	for (i = 0; i < u->ncontacts; i++) {
		if (!u->contacts[i].expires)
			continue;
		pre[i] = binding_from_update(u, &u->contacts[i], &err);
		if (!pre[i])
			goto out;
		pre[i]->expires = expiry_at(now, u->contacts[i].expires);
		adds++;
	}
	pthread_mutex_lock(&sh->lock);
	a = aor_find(sh, key, klen, (uint32_t)(h >> 32));
	if (a)
		aor_purge_expired(sh, a, now, &rep->dead);
	err = apply_check(t, a, u);
	if (!err && adds)
		err = heap_reserve(sh, adds);
	if (!err && !a && adds) {
		a = aor_create(sh, key, klen, (uint32_t)(h >> 32));
		if (!a)
			err = SS_LOC_E_NOMEM;
	}
	if (!err)
		apply_changes(sh, a, u, pre, rep);
	if (a && a->count == 0)
		aor_unhash(sh, a);
	pthread_mutex_unlock(&sh->lock);
out:
	for (i = 0; i < u->ncontacts; i++)
		if (pre[i])
			binding_free(pre[i]);
	return err;
}

unsigned loc_table_remove(loc_table_t *t, const char *key, size_t klen,
			  const char *uri, loc_dead_t *dead)
{
	uint64_t h = key_hash(key, klen);
	loc_shard_t *sh = shard_of(t, h);
	loc_binding_t *b, *next;
	unsigned n = 0;
	loc_aor_t *a;

	pthread_mutex_lock(&sh->lock);
	a = aor_find(sh, key, klen, (uint32_t)(h >> 32));
	for (b = a ? a->head : NULL; b; b = next) {
		next = b->next;
		if (!uri || loc_uri_equal(b->str, uri)) {
			aor_unlink(sh, a, b, SS_LOC_EV_REMOVED, dead);
			n++;
		}
	}
	if (a && a->count == 0)
		aor_unhash(sh, a);
	pthread_mutex_unlock(&sh->lock);
	return n;
}

/* ---- reading ------------------------------------------------------------ */

static void contact_view(const loc_binding_t *b, uint32_t now,
			 ss_loc_contact_t *c)
{
	c->aor = b->aor->key;
	c->uri = b->str;
	c->call_id = bstr(b, S_CALLID);
	c->path = bstr(b, S_PATH);
	c->received = bstr(b, S_RECEIVED);
	c->user_agent = bstr(b, S_UA);
	c->instance = bstr(b, S_INSTANCE);
	c->cseq = b->cseq;
	c->reg_id = b->reg_id;
	c->q = b->q;
	c->transport = b->transport;
	c->conn_id = b->conn_id;
	c->expires = b->expires;
	c->expires_in = b->expires - now;
}

int loc_table_lookup(loc_table_t *t, const char *key, size_t klen, uint32_t now,
		     ss_loc_contact_fn fn, void *arg)
{
	uint64_t h = key_hash(key, klen);
	loc_shard_t *sh = shard_of(t, h);
	const loc_binding_t *b;
	ss_loc_contact_t c;
	loc_aor_t *a;
	int n = 0;

	pthread_mutex_lock(&sh->lock);
	a = aor_find(sh, key, klen, (uint32_t)(h >> 32));
	for (b = a ? a->head : NULL; b; b = b->next) {
		if (b->expires <= now)
			continue;
		n++;
		if (!fn)
			continue; /* counting */
		contact_view(b, now, &c);
		if (fn(arg, &c))
			break;
	}
	pthread_mutex_unlock(&sh->lock);
	return n;
}

unsigned loc_table_count(loc_table_t *t, const char *key, size_t klen,
			 uint32_t now)
{
	int n = loc_table_lookup(t, key, klen, now, NULL, NULL);

	return n > 0 ? (unsigned)n : 0;
}

int loc_table_load(loc_table_t *t, const char *key, size_t klen,
		   const loc_row_t *row, uint32_t now)
{
	const char *strs[S_NOFF + 1] = {
	    row->uri,	   row->call_id,    row->path,
	    row->received, row->user_agent, row->instance,
	};
	uint64_t h = key_hash(key, klen);
	loc_shard_t *sh = shard_of(t, h);
	loc_binding_t *b;
	loc_aor_t *a;
	int err = 0;

	if (row->expires <= (int64_t)now)
		return 0;
	b = binding_new(strs, &err);
	if (!b)
		return err;
	b->expires =
	    row->expires > UINT32_MAX ? UINT32_MAX : (uint32_t)row->expires;
	b->cseq = row->cseq;
	b->reg_id = row->reg_id;
	b->q = row->q > SS_LOC_Q_MAX ? SS_LOC_Q_MAX : row->q;
	b->transport = row->transport;
	pthread_mutex_lock(&sh->lock);
	a = aor_find(sh, key, klen, (uint32_t)(h >> 32));
	if (!a)
		a = aor_create(sh, key, klen, (uint32_t)(h >> 32));
	if (!a || heap_reserve(sh, 1) < 0) {
		err = -ENOMEM;
	} else if (a->count == UINT16_MAX) {
		err = -E2BIG;
	} else {
		aor_link(sh, a, b, true);
		b = NULL;
	}
	if (a && a->count == 0)
		aor_unhash(sh, a);
	pthread_mutex_unlock(&sh->lock);
	if (b)
		binding_free(b);
	return err;
}

/* ---- expiry ------------------------------------------------------------- */

static unsigned shard_expire(loc_shard_t *sh, uint32_t now, unsigned max,
			     loc_dead_t *dead)
{
	unsigned k = 0;

	pthread_mutex_lock(&sh->lock);
	while (k < max && sh->nbindings && sh->heap[0]->expires <= now) {
		loc_binding_t *b = sh->heap[0];
		loc_aor_t *a = b->aor;

		aor_unlink(sh, a, b, SS_LOC_EV_EXPIRED, dead);
		if (a->count == 0)
			aor_unhash(sh, a);
		k++;
	}
	pthread_mutex_unlock(&sh->lock);
	return k;
}

unsigned loc_table_expire(loc_table_t *t, uint32_t now, unsigned budget,
			  loc_dead_t *dead)
{
	unsigned moved = 0, pass, i;

	/* Fair shares per pass keep one busy shard from holding its lock
	 * for the whole budget; later passes hand out what others left. */
	do {
		unsigned share = (budget - moved) / t->nshards;

		pass = 0;
		if (share == 0)
			share = 1;
		for (i = 0; i < t->nshards && moved < budget; i++) {
			unsigned k =
			    shard_expire(&t->shards[i], now, share, dead);

			pass += k;
			moved += k;
		}
	} while (pass && moved < budget);
	return moved;
}

ss_loc_event_kind_t loc_dead_kind(const loc_binding_t *b)
{
	return (ss_loc_event_kind_t)b->kind;
}

const char *loc_dead_aor(const loc_binding_t *b, size_t *len)
{
	*len = b->aor->len;
	return b->aor->key;
}

const char *loc_dead_uri(const loc_binding_t *b)
{
	return b->str;
}

const loc_binding_t *loc_dead_next(const loc_binding_t *b)
{
	return b->next;
}

void loc_dead_free(loc_dead_t *dead)
{
	loc_binding_t *b = dead->head, *next;

	for (; b; b = next) {
		next = b->next;
		binding_free(b);
	}
	dead->head = NULL;
	dead->n = 0;
}

/* ---- snapshots and statistics ------------------------------------------- */

static int snap_reserve(loc_snap_t *s, size_t bytes, unsigned rows)
{
	if (bytes > s->cap) {
		char *nb = realloc(s->buf, bytes * 2);

		if (!nb)
			return -ENOMEM;
		s->buf = nb;
		s->cap = bytes * 2;
	}
	if (rows > s->rowcap) {
		loc_row_t *nr = realloc(s->rows, rows * 2 * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		s->rows = nr;
		s->rowcap = rows * 2;
	}
	return 0;
}

static void snap_fill(loc_snap_t *s, const loc_aor_t *a, uint32_t now)
{
	const loc_binding_t *b;
	size_t pos = 0;

	s->nrows = 0;
	for (b = a ? a->head : NULL; b; b = b->next) {
		loc_row_t *r = &s->rows[s->nrows++];
		char *p = s->buf + pos;

		if (b->expires <= now) {
			s->nrows--;
			continue;
		}
		memcpy(p, b->str, b->slen);
		pos += b->slen;
		r->uri = p;
		r->call_id = p + b->off[S_CALLID];
		r->path = p + b->off[S_PATH];
		r->received = p + b->off[S_RECEIVED];
		r->user_agent = p + b->off[S_UA];
		r->instance = p + b->off[S_INSTANCE];
		r->expires = b->expires;
		r->cseq = b->cseq;
		r->reg_id = b->reg_id;
		r->q = b->q;
		r->transport = b->transport;
		r->conn_id = b->conn_id;
	}
}

int loc_table_snapshot(loc_table_t *t, const char *key, size_t klen,
		       uint32_t now, loc_snap_t *snap)
{
	uint64_t h = key_hash(key, klen);
	loc_shard_t *sh = shard_of(t, h);
	const loc_binding_t *b;
	loc_aor_t *a;

	/* Sizes are taken under the lock, memory is grown outside it; the
	 * AOR may change in between, hence the loop. */
	for (;;) {
		size_t need = 0;
		unsigned n = 0;

		pthread_mutex_lock(&sh->lock);
		a = aor_find(sh, key, klen, (uint32_t)(h >> 32));
		for (b = a ? a->head : NULL; b; b = b->next, n++)
			need += b->slen;
		if (need <= snap->cap && n <= snap->rowcap)
			break;
		pthread_mutex_unlock(&sh->lock);
		if (snap_reserve(snap, need, n) < 0)
			return -ENOMEM;
	}
	snap_fill(snap, a, now);
	pthread_mutex_unlock(&sh->lock);
	return 0;
}

void loc_snap_fini(loc_snap_t *snap)
{
	free(snap->buf);
	free(snap->rows);
	memset(snap, 0, sizeof(*snap));
}

void loc_table_stats(loc_table_t *t, loc_table_stats_t *st)
{
	unsigned i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < t->nshards; i++) {
		loc_shard_t *sh = &t->shards[i];

		pthread_mutex_lock(&sh->lock);
		st->aors += sh->naors;
		st->bindings += sh->nbindings;
		if (sh->nbindings > st->max_shard_bindings)
			st->max_shard_bindings = sh->nbindings;
		pthread_mutex_unlock(&sh->lock);
	}
}

void loc_table_foreach_aor(loc_table_t *t, const char *prefix,
			   int (*fn)(void *arg, const char *aor,
				     unsigned count),
			   void *arg)
{
	size_t plen = strlen(prefix);
	unsigned i, j;
	int stop = 0;

	for (i = 0; i < t->nshards && !stop; i++) {
		loc_shard_t *sh = &t->shards[i];

		pthread_mutex_lock(&sh->lock);
		for (j = 0; j < sh->nbuckets && !stop; j++) {
			const loc_aor_t *a = sh->buckets[j];

			for (; a && !stop; a = a->hnext)
				if (strncmp(a->key, prefix, plen) == 0)
					stop = fn(arg, a->key, a->count);
		}
		pthread_mutex_unlock(&sh->lock);
	}
}
