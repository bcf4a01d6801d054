/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of REGISTER processing (reg_handle.c, reg_reply.c): AOR
 * canonicalization, expiry selection, the Contact "*" rules, 423, Require,
 * Path, queries, the contact limit and the mapping of location results, run
 * through the real parser against fake transaction and location services.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reg_int.h"

/* ---- fake transaction service ---- */

struct ss_sip_txn {
	int refs;
	ss_sip_msg_t *req;
};

static struct {
	unsigned n;	 /* responses sent */
	unsigned code;	 /* of the last one */
	char text[8192]; /* the last response as printed */
} sent;

static void record(ss_sip_msg_t *req, unsigned code, const char *reason,
		   const ss_sip_resp_opts_t *o)
{
	ssize_t n = ss_sip_build_response(req, code, reason, o, sent.text,
					  sizeof(sent.text) - 1);

	ck_assert_int_gt(n, 0);
	sent.text[n] = '\0';
	sent.code = code;
	sent.n++;
}

static int fake_reply(ss_sip_txn_t *t, unsigned code, const char *reason,
		      const ss_sip_resp_opts_t *o)
{
	ck_assert_int_gt(t->refs, 0);
	record(t->req, code, reason, o);
	return 0;
}

static int fake_reply_rx(ss_sip_rx_t *rx, unsigned code, const char *reason,
			 const ss_sip_resp_opts_t *o)
{
	record(rx->msg, code, reason, o);
	return 0;
}

static ss_sip_txn_t *fake_ref(ss_sip_txn_t *t)
{
	t->refs++;
	return t;
}

static void fake_unref(ss_sip_txn_t **t)
{
	ck_assert_int_gt((*t)->refs, 0);
	(*t)->refs--;
	*t = NULL;
}

static const ss_sip_txn_api_t fake_txn = {
    .version = SS_TXN_API_VERSION,
    .reply = fake_reply,
    .reply_rx = fake_reply_rx,
    .ref = fake_ref,
    .unref = fake_unref,
};

/* ---- fake location service ---- */

static struct {
	int result; /* what apply returns */
	unsigned applies;
	ss_loc_update_t up; /* the last update (strings borrowed) */
	ss_loc_contact_update_t c[REG_MAX_REQ_CONTACTS];
	ss_loc_done_fn done;
	void *arg;
	ss_loc_contact_t binds[4]; /* what lookup shows */
	unsigned nbinds;
	char aor[SS_LOC_MAX_AOR + 1]; /* the AOR last looked up */
} loc;

/* Strings of an update are borrowed for the call: keep copies. */
static char strs[2 * REG_MAX_REQ_CONTACTS + 5][1024];

static const char *keep(unsigned slot, const char *s)
{
	if (!s)
		return NULL;
	ck_assert_uint_lt(strlen(s), sizeof(strs[0]));
	return strcpy(strs[slot], s);
}

static int fake_apply(const ss_loc_update_t *u, ss_loc_done_fn done, void *arg)
{
	unsigned i;

	loc.applies++;
	if (loc.result)
		return loc.result;
	loc.up = *u;
	loc.up.aor = keep(0, u->aor);
	loc.up.call_id = keep(1, u->call_id);
	loc.up.path = keep(2, u->path);
	loc.up.received = keep(3, u->received);
	loc.up.user_agent = keep(4, u->user_agent);
	for (i = 0; i < u->ncontacts; i++) {
		loc.c[i] = u->contacts[i];
		loc.c[i].uri = keep(5 + 2 * i, u->contacts[i].uri);
		loc.c[i].instance = keep(6 + 2 * i, u->contacts[i].instance);
	}
	loc.up.contacts = loc.c;
	loc.done = done;
	loc.arg = arg;
	return 0;
}

static int fake_lookup(const char *aor, ss_loc_contact_fn fn, void *arg)
{
	unsigned i;

	snprintf(loc.aor, sizeof(loc.aor), "%s", aor);
	for (i = 0; i < loc.nbinds; i++)
		if (fn(arg, &loc.binds[i]))
			break;
	return (int)loc.nbinds;
}

static unsigned fake_count(const char *aor)
{
	(void)aor;
	return loc.nbinds;
}

static const ss_location_api_t fake_loc = {
    .version = SS_LOCATION_API_VERSION,
    .apply = fake_apply,
    .lookup = fake_lookup,
    .count = fake_count,
};

static void bind_contact(unsigned i, const char *uri, uint32_t expires_in,
			 uint16_t q)
{
	loc.binds[i] = (ss_loc_contact_t){
	    .aor = "sip:alice@example.com",
	    .uri = uri,
	    .call_id = "",
	    .path = "",
	    .received = "",
	    .user_agent = "",
	    .instance = "",
	    .q = q,
	    .expires_in = expires_in,
	};
	if (i >= loc.nbinds)
		loc.nbinds = i + 1;
}

/* ---- one REGISTER through the subscriber ---- */

static reg_conf_t conf;
static ss_sip_msg_t msg;
static ss_sip_packet_t pkt;
static ss_sip_rx_t rx;
static struct ss_sip_txn txn;
static char buf[4096];

static void setup(void)
{
	memset(&sent, 0, sizeof(sent));
	memset(&loc, 0, sizeof(loc));
	memset(&reg_g.st, 0, sizeof(reg_g.st));
	reg_g.parser = &ss_sip_parser_api;
	conf = (reg_conf_t){.def_expires = 3600,
			    .min_expires = 60,
			    .max_expires = 86400,
			    .max_contacts = 10,
			    .domains = reg_domains_new()};
	ck_assert_ptr_nonnull(conf.domains);
	ck_assert_int_eq(reg_domains_add(conf.domains, SS_STR("example.com")),
			 0);
	reg_g.txn = &fake_txn;
	reg_g.loc = &fake_loc;
	reg_g.conf = &conf;
	ss_sip_msg_init(&msg);
}

static void teardown(void)
{
	ss_sip_msg_fini(&msg);
	reg_domains_free(conf.domains);
	reg_g.conf = NULL;
}

/* Sends a REGISTER for sip:alice@example.com with hdrs (lines separated
 * by "\n") to the subscriber; CRLFs are added here. */
static ss_bus_verdict_t run_ruri(const char *ruri, const char *to,
				 const char *hdrs)
{
	char text[3000];
	size_t n = 0;
	ss_sip_error_t err;
	struct sockaddr_in *src = (struct sockaddr_in *)&pkt.src.sa;
	const char *p;

	snprintf(text, sizeof(text),
		 "REGISTER %s SIP/2.0\n"
		 "Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK-%u\n"
		 "Max-Forwards: 70\n"
		 "From: <sip:alice@example.com>;tag=f1\n"
		 "To: <%s>\n"
		 "Call-ID: c1@192.0.2.7\n"
		 "CSeq: 2 REGISTER\n"
		 "%s%s"
		 "Content-Length: 0\n\n",
		 ruri, sent.n, to, hdrs, *hdrs ? "\n" : "");
	for (p = text; *p && n < sizeof(buf) - 2; p++) {
		if (*p == '\n')
			buf[n++] = '\r';
		buf[n++] = *p;
	}
	buf[n] = '\0';
	ck_assert_int_eq(ss_sip_msg_parse(&msg, buf, n, &err), 0);
	ck_assert_int_eq(ss_sip_msg_check(&msg, &err), 0);
	memset(&pkt, 0, sizeof(pkt));
	pkt.buf = buf;
	pkt.len = n;
	pkt.proto = SS_SIP_TCP;
	pkt.conn_id = 42;
	src->sin_family = AF_INET;
	src->sin_port = htons(5062);
	inet_pton(AF_INET, "192.0.2.7", &src->sin_addr);
	txn = (struct ss_sip_txn){.refs = 1, .req = &msg};
	rx = (ss_sip_rx_t){.msg = &msg, .pkt = &pkt, .txn = &txn};
	return reg_on_request(0, &rx, NULL);
}

static ss_bus_verdict_t run(const char *hdrs)
{
	return run_ruri("sip:example.com", "sip:alice@example.com", hdrs);
}

static bool sent_has(const char *line)
{
	return strstr(sent.text, line) != NULL;
}

#define ck_sent(want, line)                                                \
	do {                                                               \
		ck_assert_uint_eq(sent.code, (want));                      \
		ck_assert_msg(sent_has(line), "no \"%s\" in:\n%s", (line), \
			      sent.text);                                  \
	} while (0)

/* ---- pure functions ---- */

START_TEST(test_select_expires)
{
	reg_conf_t c = {
	    .def_expires = 3600, .min_expires = 60, .max_expires = 86400};
	uint32_t e = 7;

	/* the parameter wins over the header, the header over the default */
	ck_assert_int_eq(reg_select_expires(&c, 120, 600, &e), 0);
	ck_assert_uint_eq(e, 120);
	ck_assert_int_eq(reg_select_expires(&c, -1, 600, &e), 0);
	ck_assert_uint_eq(e, 600);
	ck_assert_int_eq(reg_select_expires(&c, -1, -1, &e), 0);
	ck_assert_uint_eq(e, 3600);
	/* zero removes, whatever the minimum */
	ck_assert_int_eq(reg_select_expires(&c, 0, 600, &e), 0);
	ck_assert_uint_eq(e, 0);
	ck_assert_int_eq(reg_select_expires(&c, -1, 0, &e), 0);
	ck_assert_uint_eq(e, 0);
	/* a removal by parameter is not overridden by a brief header */
	ck_assert_int_eq(reg_select_expires(&c, 0, 10, &e), 0);
	ck_assert_uint_eq(e, 0);
	/* below the minimum: 423; at it: fine; above the maximum: capped */
	ck_assert_int_eq(reg_select_expires(&c, 59, -1, &e), -ERANGE);
	ck_assert_int_eq(reg_select_expires(&c, -1, 1, &e), -ERANGE);
	ck_assert_int_eq(reg_select_expires(&c, 60, -1, &e), 0);
	ck_assert_uint_eq(e, 60);
	ck_assert_int_eq(reg_select_expires(&c, 4294967295LL, -1, &e), 0);
	ck_assert_uint_eq(e, 86400);
	/* a default below the minimum cannot be configured, but a brief
	 * parameter with a long header still gets 423 */
	ck_assert_int_eq(reg_select_expires(&c, 30, 3600, &e), -ERANGE);
}
END_TEST

/* ---- the subscriber ---- */

START_TEST(test_not_ours)
{
	char text[] = "OPTIONS sip:example.com SIP/2.0\r\n"
		      "Via: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK-o\r\n"
		      "From: <sip:a@example.com>;tag=1\r\n"
		      "To: <sip:example.com>\r\nCall-ID: o1\r\n"
		      "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	ss_sip_error_t err;
	ss_sip_rx_t orx = {.msg = &msg};

	ck_assert_int_eq(ss_sip_msg_parse(&msg, text, strlen(text), &err), 0);
	ck_assert_int_eq(reg_on_request(0, &orx, NULL), SS_BUS_CONTINUE);

	/* RFC 3261 10.3 step 1: another domain goes on down the chain */
	ck_assert_int_eq(run_ruri("sip:other.org", "sip:alice@other.org",
				  "Contact: <sip:a@192.0.2.7>"),
			 SS_BUS_CONTINUE);
	ck_assert_uint_eq(sent.n, 0);
	ck_assert_uint_eq(loc.applies, 0);
	ck_assert_ptr_null(rx.handled_by);
	ck_assert_uint_eq(reg_g.st.foreign, 1);
	ck_assert_uint_eq(reg_g.st.requests, 0);
}
END_TEST

/* The 200 goes out only when the location change is committed. */
START_TEST(test_register_waits_for_commit)
{
	ck_assert_int_eq(run("Contact: \"A\" <sip:alice@192.0.2.7:5062;ob>"
			     ";q=0.5\n"
			     "Expires: 600\nUser-Agent: phone/1.0"),
			 SS_BUS_STOP);
	ck_assert_str_eq(rx.handled_by, REG_HANDLER);
	ck_assert_uint_eq(sent.n, 0);
	ck_assert_uint_eq(loc.applies, 1);
	ck_assert_str_eq(loc.up.aor, "sip:alice@example.com");
	ck_assert_str_eq(loc.up.call_id, "c1@192.0.2.7");
	ck_assert_uint_eq(loc.up.cseq, 2);
	ck_assert(!loc.up.remove_all);
	ck_assert_uint_eq(loc.up.ncontacts, 1);
	ck_assert_str_eq(loc.c[0].uri, "sip:alice@192.0.2.7:5062;ob");
	ck_assert_uint_eq(loc.c[0].expires, 600);
	ck_assert_uint_eq(loc.c[0].q, 500);
	ck_assert_ptr_null(loc.c[0].instance);
	ck_assert_str_eq(loc.up.received, "192.0.2.7:5062");
	ck_assert_uint_eq(loc.up.transport, SS_SIP_TCP);
	ck_assert_uint_eq(loc.up.conn_id, 42);
	ck_assert_str_eq(loc.up.user_agent, "phone/1.0");
	ck_assert_ptr_null(loc.up.path);
	ck_assert_int_eq(txn.refs, 2); /* held until the answer */

	bind_contact(0, "sip:alice@192.0.2.7:5062;ob", 600, 500);
	bind_contact(1, "sip:alice@198.51.100.1", 1200, SS_LOC_Q_MAX);
	loc.done(loc.arg, SS_LOC_OK);
	ck_assert_uint_eq(sent.n, 1);
	ck_sent(200, "\r\nContact: <sip:alice@192.0.2.7:5062;ob>;expires=600;"
		     "q=0.500\r\n");
	ck_sent(200, "\r\nContact: <sip:alice@198.51.100.1>;expires=1200\r\n");
	ck_sent(200, " GMT\r\n");
	ck_assert(sent_has("\r\nDate: "));
	ck_assert(!sent_has("Path:"));
	ck_assert_str_eq(loc.aor, "sip:alice@example.com");
	ck_assert_int_eq(txn.refs, 1);
	ck_assert_uint_eq(reg_g.st.accepted, 1);
	ck_assert_uint_eq(reg_g.st.requests, 1);
}
END_TEST

START_TEST(test_commit_failure)
{
	run("Contact: <sip:alice@192.0.2.7>");
	ck_assert_ptr_nonnull(loc.done);
	loc.done(loc.arg, SS_LOC_E_STORE);
	ck_sent(500, "SIP/2.0 500 Registration Not Stored\r\n");
	ck_assert_int_eq(txn.refs, 1);
	ck_assert_uint_eq(reg_g.st.failures, 1);
	ck_assert_uint_eq(reg_g.st.accepted, 0);

	memset(&sent, 0, sizeof(sent));
	run("Contact: <sip:alice@192.0.2.7>");
	loc.done(loc.arg, SS_LOC_E_SHUTDOWN);
	ck_assert_uint_eq(sent.code, 503);
	ck_assert_int_eq(txn.refs, 1);
}
END_TEST

START_TEST(test_contact_star)
{
	run("Contact: *\nExpires: 0");
	ck_assert_uint_eq(loc.applies, 1);
	ck_assert(loc.up.remove_all);
	ck_assert_uint_eq(loc.up.ncontacts, 0);
	loc.done(loc.arg, SS_LOC_OK);
	ck_assert_uint_eq(sent.code, 200);
	ck_assert(!sent_has("Contact:"));

	/* RFC 3261 10.3 step 6: * needs Expires: 0 and must stand alone */
	run("Contact: *\nExpires: 5");
	ck_sent(400, "SIP/2.0 400 Invalid Contact: *\r\n");
	run("Contact: *");
	ck_assert_uint_eq(sent.code, 400);
	run("Contact: *, <sip:alice@192.0.2.7>\nExpires: 0");
	ck_assert_uint_eq(sent.code, 400);
	run("Contact: <sip:alice@192.0.2.7>\nContact: *\nExpires: 0");
	ck_assert_uint_eq(sent.code, 400);
	run("Contact: *\nContact: *\nExpires: 0");
	ck_assert_uint_eq(sent.code, 400);
	ck_assert_uint_eq(loc.applies, 1);
	ck_assert_uint_eq(reg_g.st.failures, 5);
}
END_TEST

START_TEST(test_interval_too_brief)
{
	run("Contact: <sip:alice@192.0.2.7>\nExpires: 10");
	ck_sent(423, "\r\nMin-Expires: 60\r\n");
	ck_assert_uint_eq(loc.applies, 0);
	/* one brief contact refuses the whole request */
	run("Contact: <sip:a@192.0.2.7>, <sip:b@192.0.2.7>;expires=59\n"
	    "Expires: 3600");
	ck_sent(423, "\r\nMin-Expires: 60\r\n");
	ck_assert_uint_eq(loc.applies, 0);
	ck_assert_uint_eq(reg_g.st.too_brief, 2);
	ck_assert_uint_eq(reg_g.st.failures, 0);

	/* removing one contact and adding another, with a capped expiry */
	run("Contact: <sip:a@192.0.2.7>;expires=0, <sip:b@192.0.2.7>\n"
	    "Expires: 999999");
	ck_assert_uint_eq(loc.applies, 1);
	ck_assert_uint_eq(loc.up.ncontacts, 2);
	ck_assert_uint_eq(loc.c[0].expires, 0);
	ck_assert_uint_eq(loc.c[1].expires, 86400);
	loc.done(loc.arg, SS_LOC_OK);

	run("Contact: <sip:a@192.0.2.7>\nExpires: 12x");
	ck_sent(400, "SIP/2.0 400 Bad Expires\r\n");
}
END_TEST

START_TEST(test_require)
{
	run("Require: path, foo\nRequire: bar\n"
	    "Contact: <sip:alice@192.0.2.7>");
	ck_sent(420, "\r\nUnsupported: foo, bar\r\n");
	ck_assert_uint_eq(loc.applies, 0);

	run("Require: path\nSupported: path\nContact: <sip:alice@192.0.2.7>");
	ck_assert_uint_eq(loc.applies, 1);
	loc.done(loc.arg, SS_LOC_OK);
	ck_assert_uint_eq(sent.code, 200);
}
END_TEST

START_TEST(test_path)
{
	/* RFC 3327 5.3: not stored unless the UA supports path */
	run("Path: <sip:p1.example.net;lr>\nContact: <sip:alice@192.0.2.7>");
	ck_sent(420, "\r\nUnsupported: path\r\n");
	ck_assert_uint_eq(loc.applies, 0);

	/* a line that does not parse refuses the whole route set */
	run("Supported: path\nPath: <sip:p1.example.net;lr>\nPath: <sip:p2\n"
	    "Contact: <sip:alice@192.0.2.7>");
	ck_sent(400, "SIP/2.0 400 Bad Path\r\n");
	ck_assert_uint_eq(loc.applies, 0);

	run("Supported: timer, path\n"
	    "Path: <sip:p1.example.net;lr>,\n <sip:p2.example.net;lr>\n"
	    "Path: <sip:p3.example.net;lr>,<sip:p4.example.net;lr>,"
	    "<sip:p5;lr>,<sip:p6;lr>,<sip:p7;lr>\n"
	    "Contact: <sip:alice@192.0.2.7>");
	ck_assert_uint_eq(loc.applies, 1);
	ck_assert_str_eq(loc.up.path, "<sip:p1.example.net;lr>, "
				      "<sip:p2.example.net;lr>, "
				      "<sip:p3.example.net;lr>, "
				      "<sip:p4.example.net;lr>, <sip:p5;lr>, "
				      "<sip:p6;lr>, <sip:p7;lr>");
	ck_assert_uint_eq(sent.n, 2);
	/* the request's buffer is gone by the time the commit completes */
	memset(buf, 'x', sizeof(buf));
	bind_contact(0, "sip:alice@192.0.2.7", 3600, SS_LOC_Q_MAX);
	loc.done(loc.arg, SS_LOC_OK);
	ck_assert_uint_eq(sent.n, 3);
	ck_sent(200, "\r\nPath: <sip:p1.example.net;lr>, "
		     "<sip:p2.example.net;lr>, <sip:p3.example.net;lr>, "
		     "<sip:p4.example.net;lr>, <sip:p5;lr>, <sip:p6;lr>, "
		     "<sip:p7;lr>\r\n");
}
END_TEST

/* The echo of Path is checked on a message that stays intact. */
START_TEST(test_path_echo)
{
	run("Supported: path\nPath: <sip:p1.example.net;lr>\n"
	    "Contact: <sip:alice@192.0.2.7>");
	bind_contact(0, "sip:alice@192.0.2.7", 3600, SS_LOC_Q_MAX);
	loc.done(loc.arg, SS_LOC_OK);
	ck_sent(200, "\r\nPath: <sip:p1.example.net;lr>\r\n");
}
END_TEST

START_TEST(test_query)
{
	bind_contact(0, "sip:alice@192.0.2.7", 300, SS_LOC_Q_MAX);
	bind_contact(1, "mailto:alice@example.com", 4000, 100);
	run("");
	ck_assert_uint_eq(loc.applies, 0);
	ck_sent(200, "\r\nContact: <sip:alice@192.0.2.7>;expires=300\r\n");
	ck_sent(200, "\r\nContact: <mailto:alice@example.com>;expires=4000;"
		     "q=0.100\r\n");
	ck_assert(sent_has("\r\nDate: "));
	ck_assert_uint_eq(reg_g.st.queries, 1);
	ck_assert_uint_eq(reg_g.st.accepted, 1);
	ck_assert_int_eq(txn.refs, 1);
}
END_TEST

START_TEST(test_apply_errors)
{
	static const struct {
		int result;
		unsigned code;
		const char *line;
	} cases[] = {
	    {SS_LOC_E_CSEQ, 500, "SIP/2.0 500 Request Out Of Order\r\n"},
	    {SS_LOC_E_TOO_MANY, 403, "SIP/2.0 403 Too Many Registrations\r\n"},
	    {SS_LOC_E_INVAL, 400, "SIP/2.0 400 "},
	    {SS_LOC_E_NOMEM, 500, "SIP/2.0 500 "},
	    {SS_LOC_E_SHUTDOWN, 503, "SIP/2.0 503 "},
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		loc.result = cases[i].result;
		run("Contact: <sip:alice@192.0.2.7>");
		ck_sent(cases[i].code, cases[i].line);
		ck_assert_int_eq(txn.refs, 1); /* the pending answer is gone */
	}
	ck_assert_uint_eq(reg_g.st.failures, i);
}
END_TEST

/* The registrar's own max_contacts, counted as the location service
 * counts: refreshes and removals do not add. */
START_TEST(test_max_contacts)
{
	conf.max_contacts = 2;
	bind_contact(0, "sip:a@192.0.2.7;transport=tcp;ob", 300, SS_LOC_Q_MAX);
	bind_contact(1, "sip:b@192.0.2.7", 300, SS_LOC_Q_MAX);

	run("Contact: <sip:c@192.0.2.7>");
	ck_sent(403, "SIP/2.0 403 Too Many Registrations\r\n");
	ck_assert_uint_eq(loc.applies, 0);

	/* a refresh (host case and parameter order differ) is no addition */
	run("Contact: <sip:a@192.0.2.7;OB;transport=TCP>");
	ck_assert_uint_eq(loc.applies, 1);
	loc.done(loc.arg, SS_LOC_OK);

	/* one added, one removed */
	run("Contact: <sip:c@192.0.2.7>, <sip:b@192.0.2.7>;expires=0");
	ck_assert_uint_eq(loc.applies, 2);
	loc.done(loc.arg, SS_LOC_OK);

	/* the same new contact twice counts once, and is still too many */
	run("Contact: <sip:c@192.0.2.7>, <sip:c@192.0.2.7>");
	ck_assert_uint_eq(sent.code, 403);

	/* the user part is case-sensitive: A is not a */
	run("Contact: <sip:A@192.0.2.7;transport=tcp;ob>");
	ck_assert_uint_eq(sent.code, 403);
	ck_assert_uint_eq(loc.applies, 2);

	/* more contacts than one request may carry */
	{
		char hdrs[3000] = "Contact: ";
		size_t n = strlen(hdrs);

		conf.max_contacts = 1000;
		for (unsigned i = 0; i <= REG_MAX_REQ_CONTACTS; i++)
			n += (size_t)snprintf(hdrs + n, sizeof(hdrs) - n,
					      "%s<sip:u%u@h>", i ? "," : "", i);
		run(hdrs);
		ck_sent(403, "SIP/2.0 403 Too Many Contacts\r\n");
	}
}
END_TEST

START_TEST(test_aor_checks)
{
	/* RFC 3261 10.3 step 5: the To names an AOR we serve */
	run_ruri("sip:example.com", "sip:alice@other.org",
		 "Contact: <sip:alice@192.0.2.7>");
	ck_assert_uint_eq(sent.code, 404);
	run_ruri("sip:example.com", "sip:example.com",
		 "Contact: <sip:alice@192.0.2.7>");
	ck_assert_uint_eq(sent.code, 404);
	run_ruri("sip:example.com", "tel:+15551234",
		 "Contact: <sip:alice@192.0.2.7>");
	ck_assert_uint_eq(sent.code, 404);
	ck_assert_uint_eq(loc.applies, 0);

	/* an index the proxy's lookups will find */
	run_ruri("sips:EXAMPLE.com", "sips:%61lice@Example.Com;x=y",
		 "Contact: <sips:alice@192.0.2.7>");
	ck_assert_uint_eq(loc.applies, 1);
	ck_assert_str_eq(loc.up.aor, "sip:alice@example.com");
	loc.done(loc.arg, SS_LOC_OK);
	ck_assert_uint_eq(sent.code, 200);
}
END_TEST

START_TEST(test_outbound_params)
{
	run("Contact: <sip:alice@192.0.2.7;ob>;+sip.instance="
	    "\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";reg-id=2");
	ck_assert_uint_eq(loc.applies, 1);
	ck_assert_str_eq(loc.c[0].instance,
			 "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>");
	ck_assert_uint_eq(loc.c[0].reg_id, 2);
	loc.binds[0] = (ss_loc_contact_t){
	    .uri = "sip:alice@192.0.2.7;ob",
	    .instance = "<urn:uuid:1>",
	    .reg_id = 2,
	    .q = SS_LOC_Q_MAX,
	    .expires_in = 60,
	};
	loc.nbinds = 1;
	loc.done(loc.arg, SS_LOC_OK);
	ck_sent(200, "Contact: <sip:alice@192.0.2.7;ob>;expires=60;"
		     "+sip.instance=\"<urn:uuid:1>\";reg-id=2\r\n");

	run("Contact: <sip:alice@192.0.2.7>;+sip.instance=\"<urn:x>\";"
	    "reg-id=abc");
	ck_sent(400, "SIP/2.0 400 Bad reg-id\r\n");
	/* reg-id without an instance means nothing (RFC 5626 4.2) */
	run("Contact: <sip:alice@192.0.2.7>;reg-id=1");
	ck_assert_uint_eq(loc.applies, 2);
	ck_assert_ptr_null(loc.c[0].instance);
	ck_assert_uint_eq(loc.c[0].reg_id, 0);
	loc.done(loc.arg, SS_LOC_OK);
}
END_TEST

START_TEST(test_no_transaction)
{
	ck_assert_int_eq(run_ruri("sip:example.com", "sip:alice@example.com",
				  "Contact: <sip:alice@192.0.2.7>"),
			 SS_BUS_STOP);
	loc.done(loc.arg, SS_LOC_OK);

	/* a request that got no server transaction cannot wait */
	txn.refs = 1;
	rx.txn = NULL;
	memset(&sent, 0, sizeof(sent));
	ck_assert_int_eq(reg_on_request(0, &rx, NULL), SS_BUS_STOP);
	ck_sent(500, "SIP/2.0 500 No Transaction\r\n");
}
END_TEST

START_TEST(test_binding_events)
{
	ss_loc_event_t ev = {.kind = SS_LOC_EV_ADDED};

	reg_on_binding_event(0, &ev, NULL);
	ev.kind = SS_LOC_EV_REFRESHED;
	reg_on_binding_event(0, &ev, NULL);
	reg_on_binding_event(0, &ev, NULL);
	ev.kind = SS_LOC_EV_REMOVED;
	reg_on_binding_event(0, &ev, NULL);
	ev.kind = SS_LOC_EV_EXPIRED;
	ck_assert_int_eq(reg_on_binding_event(0, &ev, NULL), SS_BUS_CONTINUE);
	ck_assert_uint_eq(reg_g.st.added, 1);
	ck_assert_uint_eq(reg_g.st.refreshed, 2);
	ck_assert_uint_eq(reg_g.st.removed, 1);
	ck_assert_uint_eq(reg_g.st.expired, 1);
}
END_TEST

/* A contact list longer than the stack buffer is answered in full. */
START_TEST(test_long_contact_list)
{
	static char uris[4][1200];
	unsigned i;

	for (i = 0; i < 4; i++) {
		memset(uris[i], 'a' + i, sizeof(uris[i]) - 1);
		memcpy(uris[i], "sip:", 4);
		uris[i][sizeof(uris[i]) - 1] = '\0';
		bind_contact(i, uris[i], 100, SS_LOC_Q_MAX);
	}
	run("");
	ck_assert_uint_eq(sent.code, 200);
	for (i = 0; i < 4; i++)
		ck_assert(sent_has(uris[i]));
}
END_TEST

static Suite *handle_suite(void)
{
	Suite *s = suite_create("reg_handle");
	TCase *pure = tcase_create("pure");
	TCase *tc = tcase_create("request");

	tcase_add_test(pure, test_select_expires);
	suite_add_tcase(s, pure);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_not_ours);
	tcase_add_test(tc, test_register_waits_for_commit);
	tcase_add_test(tc, test_commit_failure);
	tcase_add_test(tc, test_contact_star);
	tcase_add_test(tc, test_interval_too_brief);
	tcase_add_test(tc, test_require);
	tcase_add_test(tc, test_path);
	tcase_add_test(tc, test_path_echo);
	tcase_add_test(tc, test_query);
	tcase_add_test(tc, test_apply_errors);
	tcase_add_test(tc, test_max_contacts);
	tcase_add_test(tc, test_aor_checks);
	tcase_add_test(tc, test_outbound_params);
	tcase_add_test(tc, test_no_transaction);
	tcase_add_test(tc, test_binding_events);
	tcase_add_test(tc, test_long_contact_list);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(handle_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
