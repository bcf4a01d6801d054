/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * REGISTER processing (RFC 3261 10.3 steps 1-7, RFC 3327 Path, RFC 5626
 * instance and reg-id): turns a request into one location update, checks
 * it, and hands it to the location service, whose commit completion sends
 * the answer (reg_reply.c).
 */
#include "reg_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <sipserver/log.h>

/* One REGISTER on its way to a location update. Lives on the worker's
 * stack for the publish call; strings point into the message arena. */
typedef struct reg_req {
	ss_sip_rx_t *rx;
	ss_sip_msg_t *msg;
	const reg_conf_t *conf;
	ss_loc_update_t up;
	int64_t hdr_expires; /* Expires header, -1 when absent */
	bool star;
	bool path_supported;
	ss_str_t path; /* Path values joined by ", "; s NULL: none */
	char received[INET6_ADDRSTRLEN + 8];
	/* the error answer, when code is set */
	unsigned code;
	const char *reason;
	char extra[256];
	/* Filled as far as used, so not cleared: aor first. */
	char aor[SS_LOC_MAX_AOR + 1];
	ss_loc_contact_update_t c[REG_MAX_REQ_CONTACTS];
	const ss_sip_uri_t *curi[REG_MAX_REQ_CONTACTS];
} reg_req_t;

static int fail(reg_req_t *r, unsigned code, const char *reason)
{
	r->code = code;
	r->reason = reason;
	return -1;
}

/* A NUL-terminated copy of s in the message arena, or NULL. */
static char *arena_cstr(ss_sip_msg_t *msg, ss_str_t s)
{
	char *p = reg_g.parser->arena_alloc(&msg->arena, s.len + 1);

	if (p) {
		if (s.len)
			memcpy(p, s.s, s.len);
		p[s.len] = '\0';
	}
	return p;
}

/* ---- expiry ------------------------------------------------------------ */

int reg_select_expires(const reg_conf_t *conf, int64_t param, int64_t hdr,
		       uint32_t *out)
{
	int64_t e = param >= 0 ? param : hdr >= 0 ? hdr : conf->def_expires;

	if (e == 0) {
		*out = 0;
		return 0;
	}
	if (e < conf->min_expires)
		return -ERANGE;
	*out = e > conf->max_expires ? conf->max_expires : (uint32_t)e;
	return 0;
}

/* ---- request checks ---------------------------------------------------- */

/* RFC 3261 10.3 step 2: every Require option but path is one we lack. */
static int check_require(reg_req_t *r)
{
	const ss_sip_parser_api_t *p = reg_g.parser;
	ss_sip_iter_t it = SS_SIP_ITER_INIT;
	const ss_sip_value_t *v;
	size_t n = 0;

	while ((v = p->next_value(r->msg, SS_SIP_HDR_REQUIRE, &it)) != NULL) {
		const ss_sip_token_t *t = (const ss_sip_token_t *)v;
		int w;

		if (ss_str_caseeq_c(t->value, "path"))
			continue;
		w = snprintf(r->extra + n, sizeof(r->extra) - n, "%s%.*s",
			     n ? ", " : "Unsupported: ", SS_STR_ARG(t->value));
		if (w < 0 || (size_t)w >= sizeof(r->extra) - n - 2)
			break; /* the first options already say enough */
		n += (size_t)w;
	}
	if (!n)
		return 0;
	memcpy(r->extra + n, "\r\n", 3);
	return fail(r, 420, "Bad Extension");
}

static bool supports_path(ss_sip_msg_t *msg)
{
	ss_sip_iter_t it = SS_SIP_ITER_INIT;
	const ss_sip_value_t *v;

	while ((v = reg_g.parser->next_value(msg, SS_SIP_HDR_SUPPORTED, &it)) !=
	       NULL)
		if (ss_str_caseeq_c(((const ss_sip_token_t *)v)->value, "path"))
			return true;
	return false;
}

/*
 * RFC 3327 5.3: the Path values, in order, become the route set stored
 * with the contacts. A proxy adds Path only when the UA declared
 * "Supported: path" (5.1); a Path without it means some element did not
 * follow the extension, and a route set the UA does not know about would
 * silently steer its calls, so it is refused, not stored (420, like
 * Kamailio's strict mode).
 */
static int read_path(reg_req_t *r)
{
	const ss_sip_parser_api_t *p = reg_g.parser;
	const ss_sip_value_t *v;
	ss_sip_hdr_t *h;
	size_t len = 0, cap = 0;
	char *out;

	r->path_supported = supports_path(r->msg);
	r->path = SS_STR_NULL;
	if (!p->hdr(r->msg, SS_SIP_HDR_PATH))
		return 0;
	if (!r->path_supported) {
		snprintf(r->extra, sizeof(r->extra), "Unsupported: path\r\n");
		return fail(r, 420, "Path Without Supported: path");
	}
	/* Every line must parse: a route set missing a hop is worse than
	 * none. Values are cached, so the second walk costs nothing. */
	for (h = p->hdr(r->msg, SS_SIP_HDR_PATH); h;
	     h = p->hdr_next(r->msg, h)) {
		v = p->hdr_values(r->msg, h);
		if (!v)
			return fail(r, 400, "Bad Path");
		for (; v; v = v->next)
			cap += v->raw.len + 2;
	}
	out = p->arena_alloc(&r->msg->arena, cap + 1);
	if (!out)
		return fail(r, 500, "Out Of Memory");
	for (h = p->hdr(r->msg, SS_SIP_HDR_PATH); h; h = p->hdr_next(r->msg, h))
		for (v = p->hdr_values(r->msg, h); v; v = v->next) {
			if (len) {
				out[len++] = ',';
				out[len++] = ' ';
			}
			/* Folding inside a value becomes a space: the route
			 * set is stored and echoed on one line. */
			for (size_t i = 0; i < v->raw.len; i++) {
				char c = v->raw.s[i];

				out[len++] =
				    (c == '\r' || c == '\n' || c == '\t') ? ' '
									  : c;
			}
		}
	out[len] = '\0';
	r->path = (ss_str_t){out, len};
	return 0;
}

static int read_expires_header(reg_req_t *r)
{
	uint32_t v;
	int err = reg_g.parser->uint_value(r->msg, SS_SIP_HDR_EXPIRES, &v);

	if (err == -ENOENT)
		r->hdr_expires = -1;
	else if (err == -ERANGE)
		r->hdr_expires = UINT32_MAX; /* RFC 3261 20.19 saturates */
	else if (err < 0)
		return fail(r, 400, "Bad Expires");
	else
		r->hdr_expires = v;
	return 0;
}

/* RFC 5626 4.1: +sip.instance is a quoted URN, kept without the quotes;
 * reg-id counts only with an instance. */
static int read_outbound(reg_req_t *r, const ss_sip_name_addr_t *na,
			 ss_loc_contact_update_t *c)
{
	const ss_sip_param_t *inst =
	    ss_sip_param_find(na->params, "+sip.instance");
	const ss_sip_param_t *rid = ss_sip_param_find(na->params, "reg-id");
	ss_str_t val;
	uint64_t id = 0;

	c->instance = NULL;
	c->reg_id = 0;
	if (!inst || !inst->value.s || inst->value.len == 0)
		return 0;
	val = inst->value;
	if (val.len >= 2 && val.s[0] == '"' && val.s[val.len - 1] == '"') {
		val.s++;
		val.len -= 2;
	}
	c->instance = arena_cstr(r->msg, val);
	if (!c->instance)
		return fail(r, 500, "Out Of Memory");
	if (!rid)
		return 0;
	for (size_t i = 0; i < rid->value.len; i++) {
		unsigned char d = (unsigned char)rid->value.s[i];

		if (d < '0' || d > '9' ||
		    (id = id * 10 + (d - '0')) > INT32_MAX)
			return fail(r, 400, "Bad reg-id");
	}
	if (!rid->value.len || id == 0)
		return fail(r, 400, "Bad reg-id");
	c->reg_id = (uint32_t)id;
	return 0;
}

/* One Contact value into r->c[n]; sets *too_brief for 423. */
static int read_contact(reg_req_t *r, const ss_sip_name_addr_t *na, unsigned n,
			bool *too_brief)
{
	ss_loc_contact_update_t *c = &r->c[n];

	if (n == REG_MAX_REQ_CONTACTS)
		return fail(r, 403, "Too Many Contacts");
	if (reg_select_expires(r->conf, na->expires, r->hdr_expires,
			       &c->expires) == -ERANGE) {
		*too_brief = true;
		c->expires = 0;
	}
	c->uri = arena_cstr(r->msg, na->uri.raw);
	if (!c->uri)
		return fail(r, 500, "Out Of Memory");
	c->q = na->q >= 0 ? (uint16_t)na->q : REG_DEFAULT_Q;
	r->curi[n] = &na->uri;
	return read_outbound(r, na, c);
}

/* RFC 3261 10.3 steps 6-7: the Contact list, "*" rules and expiry. */
static int read_contacts(reg_req_t *r)
{
	ss_sip_iter_t it = SS_SIP_ITER_INIT;
	const ss_sip_value_t *v;
	bool too_brief = false, star_bad = false;
	unsigned n = 0;

	while ((v = reg_g.parser->next_value(r->msg, SS_SIP_HDR_CONTACT,
					     &it)) != NULL) {
		const ss_sip_name_addr_t *na = (const ss_sip_name_addr_t *)v;

		if (na->star) {
			int64_t e =
			    na->expires >= 0 ? na->expires : r->hdr_expires;

			star_bad |= r->star || e != 0;
			r->star = true;
			continue;
		}
		if (read_contact(r, na, n, &too_brief) < 0)
			return -1;
		n++;
	}
	if (r->star && (star_bad || n))
		return fail(r, 400, "Invalid Contact: *");
	if (too_brief) {
		snprintf(r->extra, sizeof(r->extra), "Min-Expires: %u\r\n",
			 r->conf->min_expires);
		return fail(r, 423, "Interval Too Brief");
	}
	r->up.ncontacts = n;
	r->up.contacts = r->c;
	r->up.remove_all = r->star;
	return 0;
}

/* Appends v in decimal at p; returns the end. */
static char *put_dec(char *p, unsigned v)
{
	char tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static void format_received(const ss_sip_packet_t *pkt, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	const struct sockaddr_storage *sa = &pkt->src.sa;

	buf[0] = '\0';
	if (sa->ss_family == AF_INET &&
	    size >= sizeof("255.255.255.255:65535")) {
		/* Every REGISTER: digits by hand rather than two printfs. */
		const struct sockaddr_in *in = (const void *)sa;
		const unsigned char *b = (const void *)&in->sin_addr;
		char *p = buf;

		for (int i = 0; i < 4; i++) {
			p = put_dec(p, b[i]);
			*p++ = i < 3 ? '.' : ':';
		}
		p = put_dec(p, ntohs(in->sin_port));
		*p = '\0';
	} else if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		if (inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip)))
			snprintf(buf, size, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip)))
			snprintf(buf, size, "[%s]:%u", ip,
				 ntohs(in6->sin6_port));
	}
}

/* Call-ID, CSeq, where it came from and who sent it. */
static int read_origin(reg_req_t *r)
{
	const ss_sip_parser_api_t *p = reg_g.parser;
	const ss_sip_cseq_t *cseq = p->cseq(r->msg);
	const ss_sip_hdr_t *ua = p->hdr(r->msg, SS_SIP_HDR_USER_AGENT);
	ss_str_t callid = p->call_id(r->msg);
	const ss_sip_packet_t *pkt = r->rx->pkt;

	if (!cseq || !callid.s || !callid.len)
		return fail(r, 400, "Bad Call-ID Or CSeq");
	r->up.cseq = cseq->seq;
	r->up.call_id = arena_cstr(r->msg, callid);
	if (ua) {
		ss_str_t s = ua->value;
		char *u;

		if (s.len > REG_UA_MAX)
			s.len = REG_UA_MAX;
		/* kept for the console: one line, whatever folding it had */
		r->up.user_agent = u = arena_cstr(r->msg, s);
		for (; u && *u; u++)
			if (*u == '\r' || *u == '\n' || *u == '\t')
				*u = ' ';
	}
	if (!r->up.call_id || (ua && !r->up.user_agent))
		return fail(r, 500, "Out Of Memory");
	if (pkt) {
		format_received(pkt, r->received, sizeof(r->received));
		r->up.received = r->received;
		r->up.transport = (uint8_t)pkt->proto;
		r->up.conn_id = pkt->conn_id;
	}
	r->up.path = r->path.s;
	return 0;
}

/* RFC 3261 10.3 step 5: the To URI names an AOR of a domain we serve. */
static int read_aor(reg_req_t *r)
{
	const ss_sip_name_addr_t *to =
	    reg_g.parser->addr(r->msg, SS_SIP_HDR_TO, 0);
	int n;

	if (!to)
		return fail(r, 400, "Bad To");
	if (!reg_domain_served(r->conf->domains, to->uri.host))
		return fail(r, 404, "Domain Not Served Here");
	n = reg_g.parser->aor_key(&to->uri, r->aor, sizeof(r->aor));
	if (n == -ENAMETOOLONG)
		return fail(r, 400, "Address-of-Record Too Long");
	if (n < 0)
		return fail(r, 404, "Not A Valid Address-of-Record");
	r->up.aor = r->aor;
	return 0;
}

/* ---- the contact limit ------------------------------------------------- */

static bool params_equal(const ss_sip_param_t *a, const ss_sip_param_t *b)
{
	unsigned na = 0, nb = 0;

	for (const ss_sip_param_t *p = a; p; p = p->next)
		na++;
	for (const ss_sip_param_t *p = b; p; p = p->next)
		nb++;
	if (na != nb)
		return false;
	for (; a; a = a->next) {
		const ss_sip_param_t *m = b;

		while (m && !(ss_str_caseeq(a->name, m->name) &&
			      ss_str_caseeq(a->value, m->value)))
			m = m->next;
		if (!m)
			return false;
	}
	return true;
}

/* The contact equality the location service documents: scheme and host
 * case-insensitive, user exact, parameters as a set, headers ignored. */
static bool contact_uri_equal(const ss_sip_uri_t *a, const ss_sip_uri_t *b)
{
	if (a->scheme != b->scheme)
		return false;
	if (a->scheme != SS_SIP_URI_SIP && a->scheme != SS_SIP_URI_SIPS)
		return ss_str_eq(a->raw, b->raw);
	return ss_str_eq(a->user, b->user) &&
	       ss_str_eq(a->password, b->password) &&
	       ss_str_caseeq(a->host, b->host) && a->port == b->port &&
	       params_equal(a->params, b->params);
}

typedef struct limit_scan {
	reg_req_t *r;
	int match[REG_MAX_REQ_CONTACTS]; /* index of the stored binding */
	int seen;
} limit_scan_t;

/* Runs under the AOR's shard lock: parses and compares, nothing more. */
static int limit_visit(void *arg, const ss_loc_contact_t *c)
{
	limit_scan_t *s = arg;
	reg_req_t *r = s->r;
	ss_sip_uri_t u;
	bool parsed = false;

	for (unsigned i = 0; i < r->up.ncontacts; i++) {
		const ss_loc_contact_update_t *q = &r->c[i];

		if (s->match[i] >= 0)
			continue;
		if (q->instance && q->reg_id) {
			if (c->reg_id == q->reg_id &&
			    strcmp(c->instance, q->instance) == 0)
				s->match[i] = s->seen;
			continue;
		}
		if (!parsed && reg_g.parser->uri_parse(
				   &r->msg->arena, ss_str_c(c->uri), &u) < 0)
			break;
		parsed = true;
		if (contact_uri_equal(&u, r->curi[i]))
			s->match[i] = s->seen;
	}
	s->seen++;
	return 0;
}

/*
 * The configured max_contacts, counted as the location service counts:
 * the bindings after this update. Most requests are decided by one count();
 * only an AOR near its limit pays for matching the stored contacts. The
 * service enforces its own limit atomically; this one is the registrar's
 * policy and can be off by a concurrent REGISTER of the same AOR.
 */
static int check_limit(reg_req_t *r)
{
	limit_scan_t s = {.r = r};
	unsigned adds = 0, count, after, i, j;

	for (i = 0; i < r->up.ncontacts; i++)
		adds += r->c[i].expires != 0;
	if (!adds)
		return 0;
	count = reg_g.loc->count(r->aor);
	if (count + adds <= r->conf->max_contacts)
		return 0;
	for (i = 0; i < r->up.ncontacts; i++)
		s.match[i] = -1;
	if (reg_g.loc->lookup(r->aor, limit_visit, &s) < 0)
		return 0; /* the service decides on its own */
	after = (unsigned)s.seen;
	for (i = 0; i < r->up.ncontacts; i++) {
		bool dup = false;

		for (j = 0; j < i && !dup; j++)
			dup =
			    s.match[i] >= 0
				? s.match[j] == s.match[i]
				: s.match[j] < 0 &&
				      contact_uri_equal(r->curi[j], r->curi[i]);
		if (dup)
			continue;
		if (r->c[i].expires && s.match[i] < 0)
			after++;
		else if (!r->c[i].expires && s.match[i] >= 0 && after)
			after--;
	}
	if (after > r->conf->max_contacts && after > (unsigned)s.seen)
		return fail(r, 403, "Too Many Registrations");
	return 0;
}

/* ---- the subscriber ---------------------------------------------------- */

static void apply_failed(reg_req_t *r, int err)
{
	switch (err) {
	case SS_LOC_E_INVAL:
		fail(r, 400, "Invalid Registration");
		break;
	case SS_LOC_E_CSEQ:
		/* RFC 3261 10.3 step 7: not newer than the stored binding */
		fail(r, 500, "Request Out Of Order");
		break;
	case SS_LOC_E_TOO_MANY:
		fail(r, 403, "Too Many Registrations");
		break;
	case SS_LOC_E_SHUTDOWN:
		fail(r, 503, "Shutting Down");
		break;
	case SS_LOC_E_STORE:
		fail(r, 500, "Registration Not Stored");
		break;
	default:
		fail(r, 500, "Location Service Failure");
		break;
	}
}

/* Everything up to the location update; 0 when r->up is ready. */
static int read_request(reg_req_t *r)
{
	if (check_require(r) < 0 || read_aor(r) < 0 ||
	    read_expires_header(r) < 0 || read_contacts(r) < 0 ||
	    read_path(r) < 0 || read_origin(r) < 0)
		return -1;
	return 0;
}

static void process(reg_req_t *r)
{
	reg_pending_t *pend;
	int err;

	if (read_request(r) < 0)
		goto fail;
	if (!r->star && !r->up.ncontacts) {
		REG_COUNT(queries);
		reg_reply_ok_rx(r->rx, r->aor, r->path.s);
		return;
	}
	if (check_limit(r) < 0)
		goto fail;
	/* Without a server transaction (the layer ran out of memory) the
	 * answer could not wait for the commit. */
	pend = r->rx->txn ? reg_pending_new(r->rx, r->aor, r->path.s) : NULL;
	if (!pend) {
		fail(r, 500, r->rx->txn ? "Out Of Memory" : "No Transaction");
		goto fail;
	}
	err = reg_g.loc->apply(&r->up, reg_apply_done, pend);
	if (err) {
		reg_pending_free(pend);
		apply_failed(r, err);
		goto fail;
	}
	return;
fail:
	reg_reply_error(r->rx, r->code, r->reason,
			r->extra[0] ? r->extra : NULL);
}

/*
 * RFC 3261 10.3 step 1 looks at the Request-URI: a REGISTER for a domain
 * we do not serve goes on down the chain, where a proxy forwards it to
 * that domain or, without one, the transaction layer's catch-all answers
 * 404. Authentication (step 3) already happened at SS_SIP_PRIO_AUTH.
 */
ss_bus_verdict_t reg_on_request(ss_topic_t topic, void *m, void *arg)
{
	ss_sip_rx_t *rx = m;
	const ss_sip_uri_t *ruri;
	reg_req_t r;

	(void)topic;
	(void)arg;
	if (rx->msg->method != SS_SIP_METHOD_REGISTER)
		return SS_BUS_CONTINUE;
	memset(&r, 0, offsetof(reg_req_t, aor));
	r.aor[0] = '\0';
	r.conf = reg_conf();
	ruri = reg_g.parser->ruri(rx->msg);
	if (!r.conf || !ruri ||
	    (ruri->scheme != SS_SIP_URI_SIP &&
	     ruri->scheme != SS_SIP_URI_SIPS) ||
	    !reg_domain_served(r.conf->domains, ruri->host)) {
		REG_COUNT(foreign);
		return SS_BUS_CONTINUE;
	}
	REG_COUNT(requests);
	rx->handled_by = REG_HANDLER;
	r.rx = rx;
	r.msg = rx->msg;
	process(&r);
	return SS_BUS_STOP;
}

ss_bus_verdict_t reg_on_binding_event(ss_topic_t topic, void *m, void *arg)
{
	const ss_loc_event_t *ev = m;

	(void)topic;
	(void)arg;
	switch (ev->kind) {
	case SS_LOC_EV_ADDED:
		REG_COUNT(added);
		break;
	case SS_LOC_EV_REFRESHED:
		REG_COUNT(refreshed);
		break;
	case SS_LOC_EV_REMOVED:
		REG_COUNT(removed);
		break;
	case SS_LOC_EV_EXPIRED:
		REG_COUNT(expired);
		break;
	}
	return SS_BUS_CONTINUE;
}
