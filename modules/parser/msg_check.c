/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Validation of what every SIP element needs from a message before any
 * module looks at it (RFC 3261 8.1.1, 8.2.2; RFC 4475 3.1.2 and 3.3). It
 * parses only those headers; the rest stay lazy.
 */
#include <errno.h>

#include "parser_int.h"

static int fail(ss_sip_error_t *err, const char *reason)
{
	err->status = 400;
	err->reason = reason;
	return -EINVAL;
}

/* A header that must appear exactly once. */
static int single(const ss_sip_msg_t *msg, ss_sip_hdr_id_t id,
		  const char *missing, const char *multiple,
		  ss_sip_error_t *err)
{
	unsigned n = ss_sip_msg_hdr_count(msg, id);

	if (n == 0)
		return fail(err, missing);
	if (n > 1)
		return fail(err, multiple);
	return 0;
}

static int check_addr(ss_sip_msg_t *msg, ss_sip_hdr_id_t id, const char *bad,
		      ss_sip_error_t *err)
{
	const ss_sip_name_addr_t *na = ss_sip_msg_addr(msg, id, 0);

	if (!na || na->star)
		return fail(err, bad);
	return 0;
}

static int check_request(ss_sip_msg_t *msg, const ss_sip_cseq_t *cseq,
			 ss_sip_error_t *err)
{
	const ss_sip_uri_t *ruri = ss_sip_msg_ruri(msg);
	ss_sip_hdr_t *h;
	uint32_t mf;
	unsigned n;

	if (!ruri)
		return fail(err, "Bad Request-URI");
	if (ruri->headers.s)
		return fail(err, "Request-URI Has Headers");
	if (!ss_str_eq(cseq->method_str, msg->method_str))
		return fail(err, "CSeq Method Mismatch");
	n = ss_sip_msg_hdr_count(msg, SS_SIP_HDR_MAX_FORWARDS);
	if (n > 1)
		return fail(err, "Multiple Max-Forwards");
	if (n && (ss_sip_msg_uint(msg, SS_SIP_HDR_MAX_FORWARDS, &mf) < 0 ||
		  mf > 255))
		return fail(err, "Bad Max-Forwards");
	/* Contacts matter to registrars and dialogs; a bad one is a 400
	 * here rather than a surprise in every module (regbadct). */
	for (h = ss_sip_msg_hdr(msg, SS_SIP_HDR_CONTACT); h;
	     h = ss_sip_msg_hdr_next(msg, h))
		if (!ss_sip_hdr_values(msg, h) && (h->flags & SS_SIP_HDR_F_BAD))
			return fail(err, "Bad Contact");
	return 0;
}

int ss_sip_msg_check(ss_sip_msg_t *msg, ss_sip_error_t *err)
{
	const ss_sip_cseq_t *cseq;
	ss_str_t callid;

	err->status = 0;
	err->reason = NULL;
	if (!ss_sip_msg_hdr(msg, SS_SIP_HDR_VIA))
		return fail(err, "Missing Via");
	if (single(msg, SS_SIP_HDR_FROM, "Missing From", "Multiple From",
		   err) ||
	    single(msg, SS_SIP_HDR_TO, "Missing To", "Multiple To", err) ||
	    single(msg, SS_SIP_HDR_CALL_ID, "Missing Call-ID",
		   "Multiple Call-ID", err) ||
	    single(msg, SS_SIP_HDR_CSEQ, "Missing CSeq", "Multiple CSeq", err))
		return -EINVAL;
	if (!ss_sip_msg_via(msg, 0))
		return fail(err, "Bad Via");
	if (check_addr(msg, SS_SIP_HDR_FROM, "Bad From", err) ||
	    check_addr(msg, SS_SIP_HDR_TO, "Bad To", err))
		return -EINVAL;
	callid = ss_sip_msg_call_id(msg);
	if (!callid.len)
		return fail(err, "Bad Call-ID");
	cseq = ss_sip_msg_cseq(msg);
	if (!cseq)
		return fail(err, "Bad CSeq");
	if (msg->is_request)
		return check_request(msg, cseq, err);
	return 0;
}
