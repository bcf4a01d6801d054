/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The redirect server's request path: picks the out-of-dialog requests of
 * the configured methods addressed to our domains, looks their Request-URI
 * up in the location service and answers with the Contact set (3xx), 404
 * or 480 through the request's server transaction.
 */
#include "redir_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sipserver/log.h>

/* ---- the Contact set ---------------------------------------------------- */

static bool is_sips(const char *uri)
{
	return strncasecmp(uri, "sips:", 5) == 0;
}

/* Runs under the AOR's shard lock: copies and counts, nothing more. */
static int collect_one(void *arg, const ss_loc_contact_t *c)
{
	redir_set_t *s = arg;
	size_t len = strlen(c->uri);
	redir_contact_t *e;

	s->seen++;
	if (s->secure && !is_sips(c->uri)) {
		s->dropped++;
		return 0;
	}
	if (s->n >= s->max || len == 0 || len > sizeof(s->uris) - s->used) {
		s->truncated = true;
		return 0;
	}
	e = &s->c[s->n];
	e->off = (uint32_t)s->used;
	e->len = (uint32_t)len;
	e->q = c->q > SS_LOC_Q_MAX ? SS_LOC_Q_MAX : c->q;
	e->expires_in = c->expires_in ? c->expires_in : 1;
	e->rank = (uint16_t)s->n;
	memcpy(s->uris + s->used, c->uri, len);
	s->used += len;
	s->n++;
	return 0;
}

/*
 * The location contract already lists contacts by q; sorting again (a
 * stable insertion sort over at most REDIR_MAX_CONTACTS entries, free when
 * they are in order) keeps the answer right with any implementation of
 * the service. Truncation to max still relies on the contract's order.
 */
static void sort_by_q(redir_set_t *s)
{
	unsigned i, j;

	for (i = 1; i < s->n; i++) {
		redir_contact_t e = s->c[i];

		for (j = i; j > 0 && s->c[j - 1].q < e.q; j--)
			s->c[j] = s->c[j - 1];
		s->c[j] = e;
	}
}

int redir_collect(redir_set_t *set, const ss_location_api_t *loc,
		  const char *aor, bool secure, unsigned max)
{
	int rc;

	set->seen = set->n = set->dropped = 0;
	set->truncated = false;
	set->secure = secure;
	set->max = max < REDIR_MAX_CONTACTS ? max : REDIR_MAX_CONTACTS;
	set->used = 0;
	rc = loc->lookup(aor, collect_one, set);
	if (rc < 0)
		return rc;
	sort_by_q(set);
	return 0;
}

void redir_drop_self(redir_set_t *set, const char *aor, ss_sip_arena_t *arena)
{
	char key[SS_LOC_MAX_AOR + 1];
	unsigned i, out = 0;

	for (i = 0; i < set->n; i++) {
		const redir_contact_t *e = &set->c[i];
		ss_sip_uri_t uri;
		ss_str_t text = {set->uris + e->off, e->len};

		if (redir_g.parser->uri_parse(arena, text, &uri) == 0 &&
		    redir_g.parser->aor_key(&uri, key, sizeof(key)) > 0 &&
		    strcmp(key, aor) == 0) {
			set->dropped++;
			continue;
		}
		set->c[out++] = *e;
	}
	set->n = out;
}

unsigned redir_status(const redir_conf_t *conf, const redir_set_t *set)
{
	if (set->n == 0)
		return set->seen ? 480 : 404;
	return set->n == 1 ? 302 : conf->multiple_code;
}

/* q in thousandths as a qvalue (RFC 3261 25.1): "1.0", "0.5", "0.25". */
static void fmt_q(char out[6], unsigned q)
{
	if (q >= SS_LOC_Q_MAX) {
		memcpy(out, "1.0", 4);
		return;
	}
	out[0] = '0';
	out[1] = '.';
	out[2] = (char)('0' + q / 100);
	out[3] = (char)('0' + q / 10 % 10);
	out[4] = (char)('0' + q % 10);
	out[5] = '\0';
	if (out[4] == '0') {
		out[4] = '\0';
		if (out[3] == '0')
			out[3] = '\0';
	}
}

size_t redir_contact_lines(redir_set_t *set, char *buf, size_t size)
{
	size_t n = 0;
	unsigned i, kept = 0;

	buf[0] = '\0';
	for (i = 0; i < set->n; i++) {
		const redir_contact_t *e = &set->c[i];
		char q[6];
		int w;

		fmt_q(q, e->q);
		w = snprintf(buf + n, size - n,
			     "Contact: <%.*s>;q=%s;expires=%u\r\n", (int)e->len,
			     set->uris + e->off, q, e->expires_in);
		if (w < 0 || (size_t)w >= size - n) {
			buf[n] = '\0';
			set->truncated = true;
			break;
		}
		n += (size_t)w;
		kept++;
	}
	set->n = kept;
	return n;
}

/* ---- the request path ---------------------------------------------------- */

static const char *reason_of(unsigned code)
{
	switch (code) {
	case 300:
		return "Multiple Choices";
	case 302:
		return "Moved Temporarily";
	case 480:
		return "Temporarily Unavailable";
	default:
		return "Not Found";
	}
}

static void count_answer(unsigned code, const redir_set_t *set)
{
	switch (code) {
	case 300:
		REDIR_COUNT(multiple, 1);
		break;
	case 302:
		REDIR_COUNT(moved, 1);
		break;
	case 480:
		REDIR_COUNT(unavailable, 1);
		return;
	default:
		REDIR_COUNT(not_found, 1);
		return;
	}
	REDIR_COUNT(contacts, set->n);
	if (set->truncated)
		REDIR_COUNT(truncated, 1);
}

/* Looks aor up and sends the answer it calls for. */
static void answer(ss_sip_rx_t *rx, const redir_conf_t *conf, const char *aor,
		   bool secure)
{
	redir_set_t set;
	char hdrs[REDIR_HDRS_SPACE];
	ss_sip_resp_opts_t opts = {.extra_hdrs = SS_STR_NULL};
	unsigned code = 500;
	int rc;

	rc = redir_collect(&set, redir_g.loc, aor, secure, conf->max_contacts);
	if (rc < 0) {
		SS_LOG_WARN("lookup of %s failed: %s", aor, strerror(-rc));
		goto reply;
	}
	redir_drop_self(&set, aor, &rx->msg->arena);
	opts.extra_hdrs.s = hdrs;
	opts.extra_hdrs.len = redir_contact_lines(&set, hdrs, sizeof(hdrs));
	code = redir_status(conf, &set);
	count_answer(code, &set);
reply:
	rc = redir_g.txn->reply_rx(rx, code,
				   code == 500 ? NULL : reason_of(code), &opts);
	if (rc) {
		REDIR_COUNT(errors, 1);
		SS_LOG_INFO("sending %u for %s: %s", code, aor, strerror(-rc));
	}
}

ss_bus_verdict_t redir_on_request(ss_topic_t topic, void *m, void *arg)
{
	ss_sip_rx_t *rx = m;
	ss_sip_msg_t *msg = rx->msg;
	const redir_conf_t *conf = redir_conf();
	const ss_sip_name_addr_t *to;
	const ss_sip_uri_t *ruri;
	char aor[SS_LOC_MAX_AOR + 1];
	int len;

	(void)topic;
	(void)arg;
	/* ACK and CANCEL never get here from the mask (load refuses them);
	 * an extension method has no bit. */
	if (msg->method == SS_SIP_METHOD_UNKNOWN ||
	    !(conf->methods & (1u << msg->method)))
		return SS_BUS_CONTINUE;
	to = redir_g.parser->addr(msg, SS_SIP_HDR_TO, 0);
	if (!to || to->tag.s)
		return SS_BUS_CONTINUE; /* in a dialog: not ours to move */
	ruri = redir_g.parser->ruri(msg);
	if (!ruri ||
	    (ruri->scheme != SS_SIP_URI_SIP && ruri->scheme != SS_SIP_URI_SIPS))
		return SS_BUS_CONTINUE;
	if (!redir_domain_served(conf->domains, ruri->host)) {
		REDIR_COUNT(foreign, 1);
		return SS_BUS_CONTINUE;
	}
	len = redir_g.parser->aor_key(ruri, aor, sizeof(aor));
	if (len == -EINVAL)
		return SS_BUS_CONTINUE; /* the domain itself, no user */
	REDIR_COUNT(requests, 1);
	if (len < 0) {
		/* Longer than any AOR the location service can hold. */
		REDIR_COUNT(not_found, 1);
		if (redir_g.txn->reply_rx(rx, 404, NULL, NULL))
			REDIR_COUNT(errors, 1);
	} else {
		answer(rx, conf, aor, ruri->scheme == SS_SIP_URI_SIPS);
	}
	rx->handled_by = REDIR_HANDLER;
	return SS_BUS_STOP;
}
