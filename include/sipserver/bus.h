/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The message bus: named topics resolved to small integer ids once, with
 * subscribers run synchronously in priority order on the publishing loop.
 * A subscriber returns SS_BUS_CONTINUE to let the next one see the message or
 * SS_BUS_STOP when it consumed it. Publishing never allocates or locks.
 */
#ifndef SIPSERVER_BUS_H
#define SIPSERVER_BUS_H

#include <sipserver/loop.h>

struct ss_module;

typedef int ss_topic_t; /* >= 0; negative values are errors */

typedef enum ss_bus_verdict {
	SS_BUS_CONTINUE = 0,
	SS_BUS_STOP = 1,
} ss_bus_verdict_t;

/* A subscriber. msg is borrowed for the duration of the call. */
typedef ss_bus_verdict_t (*ss_bus_fn)(ss_topic_t topic, void *msg, void *arg);

/* One subscription in a module descriptor's static table, which ends with an
 * entry whose topic is NULL. Lower priority runs first. */
typedef struct ss_bus_sub {
	const char *topic;
	int priority;
	ss_bus_fn fn;
	void *arg;
} ss_bus_sub_t;

#define SS_BUS_MAX_TOPICS 256

/* Resolves name to its id, creating the topic on first use. Any thread
 * (takes the bus lock): call it at load time, not per message. */
ss_topic_t ss_bus_topic(const char *name);
/* Name of a topic id, or NULL. */
const char *ss_bus_topic_name(ss_topic_t topic);

/* Runs the subscribers of topic on the calling thread in priority order
 * until one stops. Returns SS_BUS_STOP if one did, else SS_BUS_CONTINUE. */
ss_bus_verdict_t ss_bus_publish(ss_topic_t topic, void *msg);

/* Publishes msg on loop `to` later. release(msg), if not NULL, runs there
 * after the subscribers. Returns 0 or -errno (msg then still the caller's). */
int ss_bus_post(ss_loop_t *to, ss_topic_t topic, void *msg,
		void (*release)(void *msg));

/* Adds one subscription owned by `owner` (NULL: the core); the core removes
 * it when the owner unloads. Control loop only. Returns 0 or -errno. */
int ss_bus_subscribe(const struct ss_module *owner, const char *topic,
		     int priority, ss_bus_fn fn, void *arg);
/* Removes the subscription matching (topic, fn, arg). Control loop only. */
int ss_bus_unsubscribe(const char *topic, ss_bus_fn fn, void *arg);

#endif
