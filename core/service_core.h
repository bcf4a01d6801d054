/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Core-private side of the service registry. */
#ifndef SS_CORE_SERVICE_CORE_H
#define SS_CORE_SERVICE_CORE_H

#include <sipserver/service.h>

struct ss_module;

/* The module that provides service name, or NULL. */
const struct ss_module *ss_service_owner(const char *name);
/* Withdraws every service of owner. Control loop. */
void ss_service_release_owner(const struct ss_module *owner);
void ss_service_foreach(void (*fn)(const char *name, unsigned version,
				   const struct ss_module *owner, void *arg),
			void *arg);
void ss_service_shutdown(void);

#endif
