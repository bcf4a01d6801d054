/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `location` service: bindings of an address-of-record (AOR) to contacts,
 * kept in memory for lookups from any loop and made durable before a
 * registration is acknowledged. Plain strings and values only, so that the
 * service does not depend on the SIP parser's types.
 */
#ifndef SIPSERVER_SIP_LOCATION_H
#define SIPSERVER_SIP_LOCATION_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#define SS_LOCATION_SERVICE	"location"
#define SS_LOCATION_API_VERSION 1

/* Bus topic of binding changes; the message is an ss_loc_event_t. */
#define SS_LOC_EVENT_TOPIC "registrar.binding.changed"

#define SS_LOC_MAX_AOR 512  /* bytes of an AOR, NUL excluded */
#define SS_LOC_Q_MAX   1000 /* q=1.0 */

/* Results of apply/remove (negative errno values with names). */
enum ss_loc_status {
	SS_LOC_OK = 0,
	SS_LOC_E_INVAL = -EINVAL, /* malformed update: registrar answers 400 */
	SS_LOC_E_NOMEM = -ENOMEM, /* out of memory: 500 */
	/* RFC 3261 10.3 step 7: same Call-ID with a CSeq not higher than the
	 * stored one; nothing changed. The registrar answers 500. */
	SS_LOC_E_CSEQ = -EALREADY,
	/* the AOR would exceed max_contacts; nothing changed. 403 (policy)
	 * or 503 (capacity) as the registrar prefers. */
	SS_LOC_E_TOO_MANY = -ENOSPC,
	/* the change is in memory but its transaction did not commit: the
	 * registrar answers 500 so that the UA retries. */
	SS_LOC_E_STORE = -EIO,
	SS_LOC_E_SHUTDOWN = -ESHUTDOWN, /* the service is stopping */
};

/* One Contact of a REGISTER. */
typedef struct ss_loc_contact_update {
	const char *uri;  /* the Contact URI without <> and header params */
	uint32_t expires; /* seconds from now; 0 removes the binding */
	uint16_t q;	  /* 0..SS_LOC_Q_MAX; the registrar picks the default */
	const char *instance; /* +sip.instance value (RFC 5626) or NULL */
	uint32_t reg_id;      /* reg-id (RFC 5626), 0 when absent */
} ss_loc_contact_update_t;

/* One REGISTER's changes to one AOR. Strings are borrowed for the call
 * (apply copies what it keeps); NULL and "" both mean absent. */
typedef struct ss_loc_update {
	const char *aor; /* e.g. "sip:alice@example.com" */
	const char *call_id;
	uint32_t cseq;
	bool remove_all; /* Contact: * with Expires: 0; ncontacts must be 0 */
	unsigned ncontacts;
	const ss_loc_contact_update_t *contacts;
	/* Request-wide values stored with every binding it adds or refreshes */
	const char *path;     /* Path header values, comma separated */
	const char *received; /* source of the request, e.g. "1.2.3.4:5060" */
	uint8_t transport;    /* an ss_sip_proto_t value, 0 when unknown */
	uint64_t conn_id;     /* stream connection it came on; not persisted */
	const char *user_agent; /* User-Agent header */
} ss_loc_update_t;

/* A binding as lookup shows it. Every pointer is borrowed for the duration
 * of the callback only; absent strings are "" (never NULL). */
typedef struct ss_loc_contact {
	const char *aor;
	const char *uri;
	const char *call_id;
	const char *path;
	const char *received;
	const char *user_agent;
	const char *instance;
	uint32_t cseq;
	uint32_t reg_id;
	uint16_t q;
	uint8_t transport;
	uint64_t conn_id;
	int64_t expires;     /* absolute, seconds since the epoch */
	uint32_t expires_in; /* seconds left, >= 1 */
} ss_loc_contact_t;

typedef enum ss_loc_event_kind {
	SS_LOC_EV_ADDED = 1,
	SS_LOC_EV_REFRESHED,
	SS_LOC_EV_REMOVED,
	SS_LOC_EV_EXPIRED,
} ss_loc_event_kind_t;

/* Published on SS_LOC_EVENT_TOPIC on the thread that changed the table (the
 * caller's loop for apply/remove, the control loop for expiry), right after
 * the change became visible to lookups and before it is committed. Strings
 * are borrowed for the publish call. */
typedef struct ss_loc_event {
	ss_loc_event_kind_t kind;
	const char *aor;
	const char *uri;
	uint32_t expires_in; /* 0 for removed/expired */
	unsigned count;	     /* contacts the AOR has after the change */
} ss_loc_event_t;

/* Completion of apply/remove: result is SS_LOC_OK once the change is
 * committed to disk, or SS_LOC_E_STORE / SS_LOC_E_SHUTDOWN. */
typedef void (*ss_loc_done_fn)(void *arg, int result);

/* Visits one contact; return nonzero to stop the iteration. Runs with the
 * AOR's shard lock held: it must be short and must not call the service. */
typedef int (*ss_loc_contact_fn)(void *arg, const ss_loc_contact_t *c);

/*
 * The `location` service vtable. Every function may be called from any loop
 * (worker or control) concurrently; the table is sharded by AOR hash with one
 * lock per shard, so two loops contend only when they touch the same shard.
 *
 * AORs are keys compared after case-folding their scheme and host
 * ("SIP:bob@Example.COM" == "sip:bob@example.com"); the user part stays case
 * sensitive. Contacts of an AOR match per RFC 5626 by (+sip.instance, reg-id)
 * when the update carries both, else by URI: scheme and host case-insensitive,
 * user part exact, URI parameters as an order-insensitive set with
 * case-insensitive names and values, headers ignored. This is stricter than
 * RFC 3261 19.1.4 for parameters present on one side only, which is what a
 * UA refreshing its own Contact needs.
 */
typedef struct ss_location_api {
	unsigned version; /* SS_LOCATION_API_VERSION */
	/*
	 * Applies one REGISTER's changes to one AOR atomically: either every
	 * contact is added/refreshed/removed or nothing changes. The change is
	 * visible to lookups at once and queued for the writer thread, which
	 * commits it together with whatever else is queued (group commit).
	 *
	 * Returns 0 when accepted: done(arg, result) then runs exactly once,
	 * on the caller's loop (the one current at call time; on the writer
	 * thread if the caller has none), after the transaction holding the
	 * change committed. Returns a negative SS_LOC_E_* when rejected:
	 * nothing changed and done is not called. done may be NULL.
	 * A caller that unloads must first let its pending completions run
	 * (sync() then ss_loop_run_on_workers()).
	 */
	int (*apply)(const ss_loc_update_t *update, ss_loc_done_fn done,
		     void *arg);
	/* Removes one contact (uri matched as above) or, with uri NULL, every
	 * contact of aor. Same commit and completion rules as apply. Returns
	 * 0, or -ENOENT when nothing matched (done not called). */
	int (*remove)(const char *aor, const char *uri, ss_loc_done_fn done,
		      void *arg);
	/* Calls fn for each live (not expired) contact of aor, highest q
	 * first, most recently registered first among equal q. Returns the
	 * number of contacts visited (0 for an unknown AOR) or -EINVAL. */
	int (*lookup)(const char *aor, ss_loc_contact_fn fn, void *arg);
	/* Number of live contacts of aor. */
	unsigned (*count)(const char *aor);
	/* Blocks until every change queued before the call is committed and
	 * its completion posted. Meant for the control loop (console, unload
	 * of a dependent); never on a worker's hot path. */
	void (*sync)(void);
} ss_location_api_t;

#endif
