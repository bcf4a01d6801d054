/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `sip set trace`: every SIP message in and out, with its addresses and
 * the module that handled it, printed to the log (and so to consoles).
 * Off, it costs one flag check per message.
 */
#define _GNU_SOURCE
#include "txn_int.h"

#include <stdio.h>
#include <string.h>

#include <sipserver/log.h>

/* Whether the filter (a substring of the message or of an address) lets
 * it through; no filter passes everything. */
static bool trace_wanted(const char *buf, size_t len, const char *a,
			 const char *b)
{
	const char *f = __atomic_load_n(&txn_g.trace_filter, __ATOMIC_ACQUIRE);

	if (!f)
		return true;
	return memmem(buf, len, f, strlen(f)) || strstr(a, f) || strstr(b, f);
}

/* One log line per chunk keeps long messages whole under the log's line
 * limit; lines of concurrent loops may interleave between chunks. */
static void trace_print(const char *head, const char *buf, size_t len)
{
	size_t off = 0;

	SS_LOG_NOTICE("%s\n%.*s", head,
		      (int)(len < TXN_TRACE_CHUNK ? len : TXN_TRACE_CHUNK),
		      buf);
	for (off = TXN_TRACE_CHUNK; off < len; off += TXN_TRACE_CHUNK) {
		size_t n =
		    len - off < TXN_TRACE_CHUNK ? len - off : TXN_TRACE_CHUNK;

		SS_LOG_NOTICE("(continued)\n%.*s", (int)n, buf + off);
	}
}

/*
 * A subscriber that stops the chain does not come back to us, so the
 * module that handled a message is known only once the chain has run:
 * while tracing, the transaction layer runs the chain itself under a
 * nested publish of the same message (its own subscriber then does its
 * normal work, trace_depth telling it apart), prints the message with
 * rx->handled_by, and stops the outer publish.
 */
ss_bus_verdict_t txn_trace_publish(txn_loop_t *lt, ss_topic_t topic,
				   ss_sip_rx_t *rx)
{
	const ss_sip_packet_t *pkt = rx->pkt;
	char src[64], dst[64], head[256];

	lt->trace_depth++;
	ss_bus_publish(topic, rx);
	lt->trace_depth--;
	txn_addr_str(&pkt->src, src, sizeof(src));
	txn_addr_str(&pkt->local, dst, sizeof(dst));
	if (!trace_wanted(pkt->buf, pkt->len, src, dst))
		return SS_BUS_STOP;
	snprintf(head, sizeof(head),
		 "<-- %s %zu bytes from %s to %s, handled by %s",
		 ss_sip_proto_via_name(pkt->proto), pkt->len, src, dst,
		 rx->handled_by ? rx->handled_by : "nobody");
	trace_print(head, pkt->buf, pkt->len);
	return SS_BUS_STOP;
}

void txn_trace_out(const ss_sip_dest_t *d, const char *buf, size_t len)
{
	char to[64], head[160];

	txn_addr_str(&d->addr, to, sizeof(to));
	if (!trace_wanted(buf, len, to, ""))
		return;
	snprintf(head, sizeof(head), "--> %s %zu bytes to %s",
		 ss_sip_proto_via_name(d->proto), len, to);
	trace_print(head, buf, len);
}

ss_bus_verdict_t txn_on_raw(ss_topic_t topic, void *msg, void *arg)
{
	const ss_sip_packet_t *pkt = msg;
	txn_loop_t *lt = txn_loop_here();

	if (lt) {
		TXN_INC(lt->st.msgs_in);
		TXN_ADD(lt->st.bytes_in, pkt->len);
	}
	return SS_BUS_CONTINUE;
}
