/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Core-private side of the message bus: owner release and statistics. */
#ifndef SS_CORE_BUS_CORE_H
#define SS_CORE_BUS_CORE_H

#include <sipserver/bus.h>
#include <stdint.h>

struct ss_module;

/* Registers a descriptor's table (ends with topic == NULL). 0 or -errno;
 * on failure nothing of the table stays subscribed. Control loop. */
int ss_bus_register_table(const struct ss_module *owner,
			  const ss_bus_sub_t *table);
/* Removes every subscription of owner. Control loop; waits for the workers
 * to pass a quiescent point before freeing the old subscriber arrays. */
void ss_bus_release_owner(const struct ss_module *owner);

typedef struct ss_bus_topic_info {
	ss_topic_t id;
	const char *name;
	unsigned subscribers;
	uint64_t published; /* summed over loops */
	uint64_t stopped;   /* publishes consumed by a subscriber */
} ss_bus_topic_info_t;

/* Calls fn for each topic in id order. */
void ss_bus_foreach_topic(void (*fn)(const ss_bus_topic_info_t *info,
				     void *arg),
			  void *arg);
/* Calls fn for each subscriber of topic in priority order; owner_name is
 * "core" for the core's own. */
void ss_bus_foreach_subscriber(ss_topic_t topic,
			       void (*fn)(int priority, const char *owner_name,
					  void *arg),
			       void *arg);
/* Frees every table; after the loops are shut down. */
void ss_bus_shutdown(void);

#endif
