/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the location table and its URI rules: add, refresh, remove,
 * remove-all, RFC 3261 CSeq ordering, contact limit, q order, RFC 5626 flow
 * matching, expiry on a virtual clock, snapshots and concurrent use.
 */
#include "loc_int.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t fake_now = 1000000;

static uint32_t fake_clock(void)
{
	return fake_now;
}

static loc_table_t *tab;

static void setup(void)
{
	fake_now = 1000000;
	loc_clock_set(fake_clock);
	tab = loc_table_new(8, 3);
	ck_assert_ptr_nonnull(tab);
}

static void teardown(void)
{
	loc_table_free(tab);
	loc_clock_set(NULL);
}

/* Applies an update with one contact and frees what it took out. */
static int apply1(const char *aor, const char *uri, uint32_t expires,
		  uint16_t q, const char *call_id, uint32_t cseq,
		  loc_report_t *rep)
{
	ss_loc_contact_update_t c = {.uri = uri, .expires = expires, .q = q};
	ss_loc_update_t u = {
	    .aor = aor,
	    .call_id = call_id,
	    .cseq = cseq,
	    .ncontacts = 1,
	    .contacts = &c,
	    .received = "192.0.2.1:5060",
	    .transport = 1,
	    .user_agent = "test-ua",
	};
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon(aor, key, sizeof(key));
	loc_report_t local;
	int err;

	ck_assert_int_gt(klen, 0);
	if (!rep)
		rep = &local;
	err = loc_table_apply(tab, key, (size_t)klen, &u, loc_now(), rep);
	loc_dead_free(&rep->dead);
	return err;
}

static unsigned count(const char *aor)
{
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon(aor, key, sizeof(key));

	return loc_table_count(tab, key, (size_t)klen, loc_now());
}

typedef struct seen {
	unsigned n;
	char uri[8][128];
	uint16_t q[8];
	uint32_t expires_in[8];
	char call_id[8][64];
	uint32_t cseq[8];
} seen_t;

static int collect(void *arg, const ss_loc_contact_t *c)
{
	seen_t *s = arg;

	snprintf(s->uri[s->n], sizeof(s->uri[0]), "%s", c->uri);
	snprintf(s->call_id[s->n], sizeof(s->call_id[0]), "%s", c->call_id);
	s->q[s->n] = c->q;
	s->expires_in[s->n] = c->expires_in;
	s->cseq[s->n] = c->cseq;
	s->n++;
	return 0;
}

static seen_t lookup(const char *aor)
{
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon(aor, key, sizeof(key));
	seen_t s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(
	    loc_table_lookup(tab, key, (size_t)klen, loc_now(), collect, &s),
	    (int)s.n);
	return s;
}

START_TEST(test_aor_canon)
{
	char out[SS_LOC_MAX_AOR + 1];
	char big[SS_LOC_MAX_AOR + 16];

	ck_assert_int_eq(
	    loc_aor_canon("SIP:Alice@Example.COM", out, sizeof(out)), 21);
	ck_assert_str_eq(out, "sip:Alice@example.com");
	ck_assert_int_gt(
	    loc_aor_canon("sips:EXAMPLE.com;Transport=TCP", out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "sips:example.com;Transport=TCP");
	ck_assert_int_eq(loc_aor_canon("", out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(loc_aor_canon("alice", out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(loc_aor_canon("sip:", out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(loc_aor_canon("sip:a b@c", out, sizeof(out)), -EINVAL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "sip:", 4);
	ck_assert_int_eq(loc_aor_canon(big, out, sizeof(out)), -EINVAL);
}
END_TEST

START_TEST(test_uri_equal)
{
	ck_assert(
	    loc_uri_equal("sip:bob@192.0.2.4:5060", "SIP:bob@192.0.2.4:5060"));
	ck_assert(loc_uri_equal("sip:bob@Host.Example;transport=tcp;lr",
				"sip:bob@host.example;lr;TRANSPORT=TCP"));
	ck_assert(!loc_uri_equal("sip:Bob@host", "sip:bob@host"));
	ck_assert(!loc_uri_equal("sip:bob@host", "sip:bob@host:5060"));
	ck_assert(!loc_uri_equal("sip:bob@host;transport=udp",
				 "sip:bob@host;transport=tcp"));
	ck_assert(!loc_uri_equal("sip:bob@host;a", "sip:bob@host"));
	ck_assert(loc_uri_equal("sip:bob@host?Subject=x", "sip:bob@host"));
	ck_assert(!loc_uri_equal("sip:bob@host", "sips:bob@host"));
}
END_TEST

START_TEST(test_add_refresh_remove)
{
	loc_report_t rep;
	seen_t s;

	ck_assert_int_eq(apply1("sip:alice@example.com", "sip:alice@1.2.3.4",
				3600, 1000, "cid1", 1, &rep),
			 0);
	ck_assert_int_eq(rep.kinds[0], SS_LOC_EV_ADDED);
	ck_assert_uint_eq(rep.count, 1);
	/* the key ignores the case of the host */
	ck_assert_uint_eq(count("sip:alice@EXAMPLE.com"), 1);
	ck_assert_uint_eq(count("sip:Alice@example.com"), 0);

	fake_now += 100;
	ck_assert_int_eq(apply1("sip:alice@example.com", "SIP:alice@1.2.3.4",
				60, 500, "cid1", 2, &rep),
			 0);
	ck_assert_int_eq(rep.kinds[0], SS_LOC_EV_REFRESHED);
	s = lookup("sip:alice@example.com");
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(s.expires_in[0], 60);
	ck_assert_uint_eq(s.q[0], 500);
	ck_assert_uint_eq(s.cseq[0], 2);
	ck_assert_str_eq(s.uri[0], "SIP:alice@1.2.3.4");

	ck_assert_int_eq(apply1("sip:alice@example.com", "sip:alice@1.2.3.4", 0,
				0, "cid1", 3, &rep),
			 0);
	ck_assert_int_eq(rep.kinds[0], SS_LOC_EV_REMOVED);
	ck_assert_uint_eq(rep.count, 0);
	ck_assert_uint_eq(count("sip:alice@example.com"), 0);

	/* removing an unknown contact changes nothing and reports nothing */
	ck_assert_int_eq(apply1("sip:alice@example.com", "sip:x@5.6.7.8", 0, 0,
				"cid1", 4, &rep),
			 0);
	ck_assert_int_eq(rep.kinds[0], 0);
}
END_TEST

START_TEST(test_remove_all)
{
	ss_loc_update_t u = {.aor = "sip:bob@example.com",
			     .call_id = "cid-b",
			     .cseq = 5,
			     .remove_all = true};
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon(u.aor, key, sizeof(key));
	const loc_binding_t *b;
	loc_report_t rep;
	unsigned removed = 0;

	ck_assert_int_eq(
	    apply1(u.aor, "sip:bob@10.0.0.1", 60, 1000, "cid-a", 1, NULL), 0);
	ck_assert_int_eq(
	    apply1(u.aor, "sip:bob@10.0.0.2", 60, 1000, "cid-b", 10, NULL), 0);
	/* CSeq 5 is not above the 10 stored under the same Call-ID: the
	 * whole removal is refused */
	ck_assert_int_eq(
	    loc_table_apply(tab, key, (size_t)klen, &u, loc_now(), &rep),
	    SS_LOC_E_CSEQ);
	loc_dead_free(&rep.dead);
	ck_assert_uint_eq(count(u.aor), 2);

	u.cseq = 11;
	ck_assert_int_eq(
	    loc_table_apply(tab, key, (size_t)klen, &u, loc_now(), &rep), 0);
	for (b = rep.dead.head; b; b = loc_dead_next(b)) {
		size_t len;

		ck_assert_int_eq(loc_dead_kind(b), SS_LOC_EV_REMOVED);
		ck_assert_str_eq(loc_dead_aor(b, &len), "sip:bob@example.com");
		removed++;
	}
	ck_assert_uint_eq(removed, 2);
	loc_dead_free(&rep.dead);
	ck_assert_uint_eq(count(u.aor), 0);

	/* remove_all with contacts is malformed */
	u.ncontacts = 1;
	u.contacts = &(ss_loc_contact_update_t){.uri = "sip:x@y"};
	ck_assert_int_eq(
	    loc_table_apply(tab, key, (size_t)klen, &u, loc_now(), &rep),
	    SS_LOC_E_INVAL);
}
END_TEST

START_TEST(test_cseq_order)
{
	const char *aor = "sip:carol@example.com";

	ck_assert_int_eq(
	    apply1(aor, "sip:carol@1.1.1.1", 60, 1000, "A", 10, NULL), 0);
	ck_assert_int_eq(
	    apply1(aor, "sip:carol@1.1.1.1", 60, 1000, "A", 10, NULL),
	    SS_LOC_E_CSEQ);
	ck_assert_int_eq(
	    apply1(aor, "sip:carol@1.1.1.1", 0, 1000, "A", 9, NULL),
	    SS_LOC_E_CSEQ);
	ck_assert_uint_eq(count(aor), 1);
	/* a new Call-ID (the UA rebooted) may start over at any CSeq */
	ck_assert_int_eq(
	    apply1(aor, "sip:carol@1.1.1.1", 120, 1000, "B", 1, NULL), 0);
	ck_assert_str_eq(lookup(aor).call_id[0], "B");
	ck_assert_int_eq(
	    apply1(aor, "sip:carol@1.1.1.1", 120, 1000, "B", 2, NULL), 0);
}
END_TEST

START_TEST(test_max_contacts)
{
	const char *aor = "sip:dave@example.com";
	const ss_loc_contact_update_t two[2] = {
	    {.uri = "sip:dave@4.4.4.4", .expires = 60, .q = 1000},
	    {.uri = "sip:dave@5.5.5.5", .expires = 60, .q = 1000},
	};
	const ss_loc_contact_update_t swap[2] = {
	    {.uri = "sip:dave@4.4.4.4", .expires = 60, .q = 1000},
	    {.uri = "sip:dave@2.2.2.2", .expires = 0},
	};
	ss_loc_update_t u = {.aor = aor,
			     .call_id = "X",
			     .cseq = 1,
			     .ncontacts = 2,
			     .contacts = two};
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon(aor, key, sizeof(key));
	loc_report_t rep;

	ck_assert_int_eq(
	    apply1(aor, "sip:dave@1.1.1.1", 60, 1000, "A", 1, NULL), 0);
	ck_assert_int_eq(
	    apply1(aor, "sip:dave@2.2.2.2", 60, 1000, "B", 1, NULL), 0);
	/* 2 + 2 > 3: nothing of the update is applied */
	ck_assert_int_eq(
	    loc_table_apply(tab, key, (size_t)klen, &u, loc_now(), &rep),
	    SS_LOC_E_TOO_MANY);
	loc_dead_free(&rep.dead);
	ck_assert_uint_eq(count(aor), 2);
	/* removing one while adding one fits */
	u.contacts = swap;
	ck_assert_int_eq(
	    loc_table_apply(tab, key, (size_t)klen, &u, loc_now(), &rep), 0);
	loc_dead_free(&rep.dead);
	ck_assert_uint_eq(count(aor), 2);
	ck_assert_int_eq(
	    apply1(aor, "sip:dave@3.3.3.3", 60, 1000, "C", 1, NULL), 0);
	ck_assert_int_eq(
	    apply1(aor, "sip:dave@9.9.9.9", 60, 1000, "D", 1, NULL),
	    SS_LOC_E_TOO_MANY);
	/* a lowered limit still lets existing contacts refresh */
	loc_table_set_max_contacts(tab, 1);
	ck_assert_int_eq(
	    apply1(aor, "sip:dave@1.1.1.1", 60, 1000, "A", 2, NULL), 0);
	ck_assert_uint_eq(count(aor), 3);
}
END_TEST

START_TEST(test_q_order)
{
	const char *aor = "sip:erin@example.com";
	seen_t s;

	loc_table_set_max_contacts(tab, 10);
	ck_assert_int_eq(apply1(aor, "sip:low@x", 60, 100, "1", 1, NULL), 0);
	ck_assert_int_eq(apply1(aor, "sip:high@x", 60, 1000, "2", 1, NULL), 0);
	ck_assert_int_eq(apply1(aor, "sip:mid-old@x", 60, 500, "3", 1, NULL),
			 0);
	ck_assert_int_eq(apply1(aor, "sip:mid-new@x", 60, 500, "4", 1, NULL),
			 0);
	s = lookup(aor);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_str_eq(s.uri[0], "sip:high@x");
	ck_assert_str_eq(s.uri[1], "sip:mid-new@x");
	ck_assert_str_eq(s.uri[2], "sip:mid-old@x");
	ck_assert_str_eq(s.uri[3], "sip:low@x");
	/* q moves with a refresh */
	ck_assert_int_eq(apply1(aor, "sip:low@x", 60, 1000, "1", 2, NULL), 0);
	s = lookup(aor);
	ck_assert_str_eq(s.uri[0], "sip:low@x");
	ck_assert_str_eq(s.uri[1], "sip:high@x");
}
END_TEST

START_TEST(test_instance_match)
{
	const char *aor = "sip:flow@example.com";
	ss_loc_contact_update_t c = {.uri = "sip:flow@10.0.0.1;ob",
				     .expires = 60,
				     .q = 1000,
				     .instance = "<urn:uuid:1>",
				     .reg_id = 1};
	ss_loc_update_t u = {.aor = aor,
			     .call_id = "F",
			     .cseq = 1,
			     .ncontacts = 1,
			     .contacts = &c};
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon(aor, key, sizeof(key));
	loc_report_t rep;
	seen_t s;

	ck_assert_int_eq(
	    loc_table_apply(tab, key, (size_t)klen, &u, loc_now(), &rep), 0);
	loc_dead_free(&rep.dead);
	/* same flow, new address: the binding is replaced, not added */
	c.uri = "sip:flow@10.9.9.9;ob";
	u.cseq = 2;
	ck_assert_int_eq(
	    loc_table_apply(tab, key, (size_t)klen, &u, loc_now(), &rep), 0);
	ck_assert_int_eq(rep.kinds[0], SS_LOC_EV_REFRESHED);
	loc_dead_free(&rep.dead);
	s = lookup(aor);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.uri[0], "sip:flow@10.9.9.9;ob");
	/* another reg-id is a second flow with the same URI */
	c.reg_id = 2;
	u.cseq = 3;
	ck_assert_int_eq(
	    loc_table_apply(tab, key, (size_t)klen, &u, loc_now(), &rep), 0);
	loc_dead_free(&rep.dead);
	ck_assert_uint_eq(count(aor), 2);
}
END_TEST

START_TEST(test_expiry)
{
	loc_dead_t dead = {NULL, 0};
	const loc_binding_t *b;
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon("sip:f@x", key, sizeof(key));
	loc_table_stats_t st;
	unsigned i, n;

	ck_assert_int_eq(apply1("sip:f@x", "sip:f@1", 10, 1000, "a", 1, NULL),
			 0);
	ck_assert_int_eq(apply1("sip:f@x", "sip:f@2", 20, 1000, "a", 2, NULL),
			 0);
	ck_assert_int_eq(apply1("sip:g@x", "sip:g@1", 5, 1000, "a", 1, NULL),
			 0);

	fake_now += 4;
	ck_assert_uint_eq(loc_table_expire(tab, loc_now(), 100, &dead), 0);
	ck_assert_uint_eq(count("sip:g@x"), 1);
	/* lookups hide a contact from the second it expires, sweep or not */
	fake_now += 1;
	ck_assert_uint_eq(count("sip:g@x"), 0);
	fake_now += 5;
	ck_assert_uint_eq(count("sip:f@x"), 1);
	ck_assert_uint_eq(lookup("sip:f@x").expires_in[0], 10);

	n = loc_table_expire(tab, loc_now(), 100, &dead);
	ck_assert_uint_eq(n, 2);
	for (b = dead.head; b; b = loc_dead_next(b))
		ck_assert_int_eq(loc_dead_kind(b), SS_LOC_EV_EXPIRED);
	loc_dead_free(&dead);
	loc_table_stats(tab, &st);
	ck_assert_uint_eq(st.bindings, 1);
	ck_assert_uint_eq(st.aors, 1);

	/* the budget bounds one step; the rest waits for the next */
	for (i = 0; i < 50; i++) {
		char aor[32];

		snprintf(aor, sizeof(aor), "sip:u%u@x", i);
		ck_assert_int_eq(
		    apply1(aor, "sip:c@1", 1 + i % 3, 1000, "a", 1, NULL), 0);
	}
	fake_now += 100;
	ck_assert_uint_eq(loc_table_expire(tab, loc_now(), 20, &dead), 20);
	ck_assert_uint_eq(dead.n, 20);
	loc_dead_free(&dead);
	ck_assert_uint_eq(loc_table_expire(tab, loc_now(), 1000, &dead), 31);
	loc_dead_free(&dead);
	loc_table_stats(tab, &st);
	ck_assert_uint_eq(st.bindings, 0);
	ck_assert_uint_eq(st.aors, 0);
	ck_assert_uint_eq(loc_table_count(tab, key, (size_t)klen, loc_now()),
			  0);
}
END_TEST

START_TEST(test_expired_not_matched)
{
	const char *aor = "sip:h@x";

	ck_assert_int_eq(apply1(aor, "sip:h@1", 10, 1000, "a", 7, NULL), 0);
	fake_now += 11;
	/* the old binding is gone: an older CSeq is a fresh registration */
	ck_assert_int_eq(apply1(aor, "sip:h@1", 10, 1000, "a", 3, NULL), 0);
	ck_assert_uint_eq(count(aor), 1);
}
END_TEST

START_TEST(test_remove_and_snapshot)
{
	char key[SS_LOC_MAX_AOR + 1];
	int klen = loc_aor_canon("sip:i@x", key, sizeof(key));
	loc_dead_t dead = {NULL, 0};
	loc_snap_t snap = {0};

	loc_table_set_max_contacts(tab, 10);
	ck_assert_int_eq(apply1("sip:i@x", "sip:i@1", 60, 1000, "a", 1, NULL),
			 0);
	ck_assert_int_eq(apply1("sip:i@x", "sip:i@2", 90, 700, "b", 4, NULL),
			 0);
	ck_assert_int_eq(
	    loc_table_snapshot(tab, key, (size_t)klen, loc_now(), &snap), 0);
	ck_assert_uint_eq(snap.nrows, 2);
	ck_assert_str_eq(snap.rows[0].uri, "sip:i@1");
	ck_assert_str_eq(snap.rows[1].uri, "sip:i@2");
	ck_assert_str_eq(snap.rows[1].call_id, "b");
	ck_assert_uint_eq(snap.rows[1].cseq, 4);
	ck_assert_uint_eq(snap.rows[1].q, 700);
	ck_assert_str_eq(snap.rows[1].received, "192.0.2.1:5060");
	ck_assert_str_eq(snap.rows[1].user_agent, "test-ua");
	ck_assert_str_eq(snap.rows[1].path, "");
	ck_assert_int_eq(snap.rows[1].expires, (int64_t)fake_now + 90);

	ck_assert_uint_eq(
	    loc_table_remove(tab, key, (size_t)klen, "sip:i@9", &dead), 0);
	ck_assert_uint_eq(
	    loc_table_remove(tab, key, (size_t)klen, "SIP:i@2", &dead), 1);
	ck_assert_uint_eq(count("sip:i@x"), 1);
	ck_assert_uint_eq(loc_table_remove(tab, key, (size_t)klen, NULL, &dead),
			  1);
	ck_assert_uint_eq(dead.n, 2);
	ck_assert_int_eq(
	    loc_table_snapshot(tab, key, (size_t)klen, loc_now(), &snap), 0);
	ck_assert_uint_eq(snap.nrows, 0);
	/* dead bindings still name their AOR after it left the table */
	{
		size_t len;

		ck_assert_str_eq(loc_dead_aor(dead.head, &len), "sip:i@x");
	}
	loc_dead_free(&dead);
	loc_snap_fini(&snap);
}
END_TEST

START_TEST(test_load_rows)
{
	loc_row_t r = {.uri = "sip:j@1",
		       .call_id = "c",
		       .path = "",
		       .received = "",
		       .user_agent = "",
		       .instance = "",
		       .q = 500,
		       .cseq = 3};
	char key[] = "sip:j@x";
	seen_t s;

	r.expires = fake_now + 30;
	ck_assert_int_eq(loc_table_load(tab, key, 7, &r, loc_now()), 0);
	r.uri = "sip:j@2";
	ck_assert_int_eq(loc_table_load(tab, key, 7, &r, loc_now()), 0);
	r.uri = "sip:j@old";
	r.expires = fake_now;
	ck_assert_int_eq(loc_table_load(tab, key, 7, &r, loc_now()), 0);
	s = lookup(key);
	/* rows come in list order and keep it */
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.uri[0], "sip:j@1");
	ck_assert_str_eq(s.uri[1], "sip:j@2");
}
END_TEST

START_TEST(test_invalid_updates)
{
	ss_loc_contact_update_t c = {.uri = "sip:k@1", .expires = 1, .q = 1001};
	ss_loc_update_t u = {
	    .aor = "sip:k@x", .call_id = "c", .ncontacts = 1, .contacts = &c};
	loc_report_t rep;

	ck_assert_int_eq(
	    loc_table_apply(tab, "sip:k@x", 7, &u, loc_now(), &rep),
	    SS_LOC_E_INVAL);
	c.q = 1000;
	u.call_id = "";
	ck_assert_int_eq(
	    loc_table_apply(tab, "sip:k@x", 7, &u, loc_now(), &rep),
	    SS_LOC_E_INVAL);
	u.call_id = "c";
	u.ncontacts = LOC_MAX_UPDATE + 1;
	ck_assert_int_eq(
	    loc_table_apply(tab, "sip:k@x", 7, &u, loc_now(), &rep),
	    SS_LOC_E_INVAL);
	ck_assert_uint_eq(count("sip:k@x"), 0);
}
END_TEST

#define THREADS	   4
#define PER_THREAD 2000

static void *hammer(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg, i;

	for (i = 0; i < PER_THREAD; i++) {
		char aor[64], uri[64], key[SS_LOC_MAX_AOR + 1];
		ss_loc_contact_update_t c = {
		    .uri = uri, .expires = 60, .q = 1000};
		ss_loc_update_t u = {.aor = aor,
				     .call_id = "h",
				     .cseq = i + 1,
				     .ncontacts = 1,
				     .contacts = &c};
		loc_report_t rep;
		int klen;

		/* every thread touches the same 64 AORs with its own
		 * contact, so shards are shared and contended */
		snprintf(aor, sizeof(aor), "sip:user%u@x", i % 64);
		snprintf(uri, sizeof(uri), "sip:t%u-%u@x", id, i);
		klen = loc_aor_canon(aor, key, sizeof(key));
		if (i >= 64) {
			char old[64];
			ss_loc_contact_update_t gone = {.uri = old};
			ss_loc_update_t rm = u;

			snprintf(old, sizeof(old), "sip:t%u-%u@x", id, i - 64);
			rm.contacts = &gone;
			loc_table_apply(tab, key, (size_t)klen, &rm, loc_now(),
					&rep);
			loc_dead_free(&rep.dead);
		}
		if (loc_table_apply(tab, key, (size_t)klen, &u, loc_now(),
				    &rep) != 0)
			return (void *)1;
		loc_dead_free(&rep.dead);
		loc_table_count(tab, key, (size_t)klen, loc_now());
	}
	return NULL;
}

START_TEST(test_concurrent)
{
	pthread_t th[THREADS];
	loc_table_stats_t st;
	uintptr_t i;
	void *ret;

	loc_table_set_max_contacts(tab, 1000);
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, hammer, (void *)i), 0);
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	loc_table_stats(tab, &st);
	/* each thread keeps exactly its last contact per AOR */
	ck_assert_uint_eq(st.aors, 64);
	ck_assert_uint_eq(st.bindings, 64 * THREADS);
}
END_TEST

static Suite *table_suite(void)
{
	Suite *s = suite_create("location table");
	TCase *tc = tcase_create("table");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_aor_canon);
	tcase_add_test(tc, test_uri_equal);
	tcase_add_test(tc, test_add_refresh_remove);
	tcase_add_test(tc, test_remove_all);
	tcase_add_test(tc, test_cseq_order);
	tcase_add_test(tc, test_max_contacts);
	tcase_add_test(tc, test_q_order);
	tcase_add_test(tc, test_instance_match);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_expired_not_matched);
	tcase_add_test(tc, test_remove_and_snapshot);
	tcase_add_test(tc, test_load_rows);
	tcase_add_test(tc, test_invalid_updates);
	tcase_add_test(tc, test_concurrent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(table_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
