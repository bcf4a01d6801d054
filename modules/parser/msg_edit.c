/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Editing a parsed message: adding, removing and replacing header lines,
 * rewriting the top Via, the Request-URI and the body. Edits never touch
 * the receive buffer: new text goes to the arena and the entry is marked
 * so that the printer rebuilds that line and copies the others verbatim.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parser_int.h"

static void hdr_set_value(ss_sip_hdr_t *h, ss_str_t value)
{
	h->value = value;
	h->flags = (uint16_t)((h->flags | SS_SIP_HDR_F_EDITED) &
			      ~(SS_SIP_HDR_F_PARSED | SS_SIP_HDR_F_BAD));
	h->parsed = NULL;
}

int ss_sip_msg_hdr_add(ss_sip_msg_t *msg, ss_sip_hdr_id_t id, ss_str_t name,
		       ss_str_t value, ss_sip_where_t where)
{
	unsigned pos = where == SS_SIP_PREPEND ? 0 : msg->nhdrs;
	ss_sip_hdr_t *h;
	ss_str_t v;

	if (!name.len) {
		name = ss_str_c(ss_sip_hdr_name(id));
		if (!name.len)
			return -EINVAL;
	} else {
		if (id == SS_SIP_HDR_OTHER)
			id = ss_sip_hdr_lookup(name.s, name.len);
		name = ss_sip_arena_dup(&msg->arena, name.s, name.len);
		if (!name.s)
			return -ENOMEM;
	}
	v = ss_sip_arena_dup(&msg->arena, value.s, value.len);
	if (!v.s)
		return -ENOMEM;
	for (unsigned i = 0; i < msg->nhdrs; i++) {
		if ((msg->hdrs[i].flags & SS_SIP_HDR_F_REMOVED) ||
		    msg->hdrs[i].id != id ||
		    (id == SS_SIP_HDR_OTHER &&
		     !ss_str_caseeq(msg->hdrs[i].name, name)))
			continue;
		pos = i + (where == SS_SIP_APPEND);
		if (where == SS_SIP_PREPEND)
			break;
	}
	h = ss_sipp_hdr_insert(msg, pos);
	if (!h)
		return -ENOMEM;
	h->id = (uint16_t)id;
	h->name = name;
	hdr_set_value(h, v);
	return 0;
}

void ss_sip_msg_hdr_remove(ss_sip_msg_t *msg, ss_sip_hdr_t *h)
{
	(void)msg;
	h->flags |= SS_SIP_HDR_F_REMOVED;
}

int ss_sip_msg_hdr_replace(ss_sip_msg_t *msg, ss_sip_hdr_t *h, ss_str_t value)
{
	ss_str_t v = ss_sip_arena_dup(&msg->arena, value.s, value.len);

	if (!v.s)
		return -ENOMEM;
	hdr_set_value(h, v);
	return 0;
}

/*
 * The remaining values are the tail of the same line text, so the line is
 * re-pointed at it without copying, and the parsed chain keeps its tail.
 */
int ss_sip_msg_remove_first_value(ss_sip_msg_t *msg, ss_sip_hdr_id_t id)
{
	ss_sip_hdr_t *h = ss_sip_msg_hdr(msg, id);
	const ss_sip_value_t *v;
	ss_sip_value_t *rest;
	const char *end;

	if (!h)
		return -ENOENT;
	v = ss_sip_hdr_values(msg, h);
	if (!v)
		return -EINVAL;
	if (!v->next) {
		ss_sip_msg_hdr_remove(msg, h);
		return 0;
	}
	rest = v->next;
	end = h->value.s + h->value.len;
	hdr_set_value(h, ss_sipp_slice(rest->raw.s, end));
	h->parsed = rest;
	h->flags |= SS_SIP_HDR_F_PARSED;
	return 0;
}

int ss_sip_msg_set_ruri(ss_sip_msg_t *msg, ss_str_t uri)
{
	ss_str_t u;

	if (!msg->is_request)
		return -EINVAL;
	u = ss_sip_arena_dup(&msg->arena, uri.s, uri.len);
	if (!u.s)
		return -ENOMEM;
	msg->ruri_str = u;
	msg->ruri = NULL;
	msg->flags |= SS_SIP_MSG_F_RURI_EDITED;
	return 0;
}

int ss_sip_msg_set_body(ss_sip_msg_t *msg, ss_str_t ctype, ss_str_t body)
{
	ss_sip_hdr_t *h;
	ss_str_t b = ss_sip_arena_dup(&msg->arena, body.s, body.len);
	int rc = 0;

	if (!b.s)
		return -ENOMEM;
	/* The printer appends a fresh Content-Length when none is left. */
	while ((h = ss_sip_msg_hdr(msg, SS_SIP_HDR_CONTENT_LENGTH)))
		ss_sip_msg_hdr_remove(msg, h);
	h = ss_sip_msg_hdr(msg, SS_SIP_HDR_CONTENT_TYPE);
	if (ctype.len && h)
		rc = ss_sip_msg_hdr_replace(msg, h, ctype);
	else if (ctype.len)
		rc = ss_sip_msg_hdr_add(msg, SS_SIP_HDR_CONTENT_TYPE,
					SS_STR_NULL, ctype, SS_SIP_APPEND);
	else
		for (; h; h = ss_sip_msg_hdr(msg, SS_SIP_HDR_CONTENT_TYPE))
			ss_sip_msg_hdr_remove(msg, h);
	if (rc < 0)
		return rc;
	msg->body = b;
	msg->flags |= SS_SIP_MSG_F_BODY_EDITED;
	return 0;
}

/* Where the parameters of a Via value start: the ';' before the first. */
static const char *via_params_start(const ss_sip_via_t *v)
{
	const char *end = v->v.raw.s + v->v.raw.len;

	if (!v->params)
		return end;
	for (const char *p = v->params->name.s; p > v->v.raw.s; p--)
		if (p[-1] == ';')
			return p - 1;
	return end;
}

/*
 * Rebuilds the top Via value as "<sent-protocol sent-by><kept params>
 * ;received=..;rport=..", keeping the line's other values around it.
 */
int ss_sip_msg_via_set_received(ss_sip_msg_t *msg, ss_str_t received, int rport)
{
	ss_sip_hdr_t *h = ss_sip_msg_hdr(msg, SS_SIP_HDR_VIA);
	const ss_sip_via_t *v;
	const char *ps, *ve, *le;
	size_t size;
	char *out, *w;

	if (!h || !(v = (const ss_sip_via_t *)ss_sip_hdr_values(msg, h)))
		return -EINVAL;
	ps = via_params_start(v);
	ve = v->v.raw.s + v->v.raw.len;
	le = h->value.s + h->value.len;
	size = (size_t)(le - h->value.s) + received.len + 32;
	for (const ss_sip_param_t *p = v->params; p; p = p->next)
		size += p->name.len + p->value.len + 2;
	out = ss_sip_arena_alloc(&msg->arena, size);
	if (!out)
		return -ENOMEM;
	w = out;
	memcpy(w, h->value.s, (size_t)(ps - h->value.s));
	w += ps - h->value.s;
	for (const ss_sip_param_t *p = v->params; p; p = p->next) {
		if ((received.len && ss_str_caseeq_c(p->name, "received")) ||
		    (rport >= 0 && ss_str_caseeq_c(p->name, "rport")))
			continue;
		*w++ = ';';
		memcpy(w, p->name.s, p->name.len);
		w += p->name.len;
		if (p->value.s) {
			*w++ = '=';
			memcpy(w, p->value.s, p->value.len);
			w += p->value.len;
		}
	}
	if (received.len) {
		memcpy(w, ";received=", 10);
		memcpy(w + 10, received.s, received.len);
		w += 10 + received.len;
	}
	if (rport >= 0)
		w += snprintf(w, 16, ";rport=%u", (unsigned)rport & 0xffffu);
	memcpy(w, ve, (size_t)(le - ve));
	w += le - ve;
	hdr_set_value(h, ss_sipp_slice(out, w));
	return 0;
}
