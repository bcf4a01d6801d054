/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the SIP parser: framing, validation, every lazy
 * header parser, URIs, SDP, the edits a proxy makes, the serializer and
 * the response builder. A message that passes validation must, once
 * edited and printed, parse and validate again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sipserver/sip/parser.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch_values(ss_sip_msg_t *msg)
{
	ss_sdp_t sdp;

	for (unsigned i = 0; i < msg->nhdrs; i++)
		ss_sip_hdr_values(msg, &msg->hdrs[i]);
	ss_sip_msg_ruri(msg);
	ss_sdp_parse(&msg->arena, msg->body, &sdp);
}

static void reparse(const char *out, size_t len)
{
	ss_sip_msg_t again;
	ss_sip_error_t err;

	ss_sip_msg_init(&again);
	if (ss_sip_msg_parse(&again, out, len, &err) < 0 ||
	    ss_sip_msg_check(&again, &err) < 0)
		abort();
	ss_sip_msg_fini(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[65536 + 4096];
	const char *buf = (const char *)data;
	ss_sip_resp_opts_t opts = {.to_tag = SS_STR("fuzz")};
	ss_sip_error_t err;
	ss_sip_msg_t msg;
	int valid;
	ssize_t n;

	ss_sip_msg_init(&msg);
	valid = ss_sip_msg_parse(&msg, buf, size, &err) == 0;
	valid = ss_sip_msg_check(&msg, &err) == 0 && valid;
	touch_values(&msg);
	if (msg.is_request)
		ss_sip_build_response(&msg, valid ? 200 : err.status, NULL,
				      &opts, out, sizeof(out));
	if (valid && msg.is_request) {
		ss_sip_msg_via_set_received(&msg, SS_STR("192.0.2.77"), 5099);
		ss_sip_msg_hdr_add(
		    &msg, SS_SIP_HDR_VIA, SS_STR_NULL,
		    SS_STR("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKf"),
		    SS_SIP_PREPEND);
		ss_sip_msg_remove_first_value(&msg, SS_SIP_HDR_ROUTE);
	}
	n = ss_sip_msg_print(&msg, out, sizeof(out));
	if (valid && n > 0)
		reparse(out, (size_t)n);
	ss_sip_msg_fini(&msg);
	return 0;
}
