/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service registry: name -> (version, vtable, owner). A handful of
 * entries looked up at module load time, never per message, so a list
 * under one mutex is the right size.
 */
#include "service_core.h"

#include <sipserver/log.h>
#include <sipserver/module.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct service {
	struct service *next;
	const struct ss_module *owner;
	const void *vtable;
	unsigned version;
	char name[];
};

/* Written by the control loop (load/unload); the lock lets any thread look
 * a service up. */
static pthread_mutex_t services_lock = PTHREAD_MUTEX_INITIALIZER;
static struct service *services;

static struct service *find_locked(const char *name)
{
	struct service *s;

	for (s = services; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

int ss_service_provide(const struct ss_module *owner, const char *name,
		       unsigned version, const void *vtable)
{
	const struct ss_module *holder = NULL;
	struct service *s, **pp;
	size_t len;
	bool dup;

	if (!name || !*name || !vtable)
		return -EINVAL;
	len = strlen(name) + 1;
	s = malloc(sizeof(*s) + len);
	if (!s)
		return -ENOMEM;
	s->owner = owner;
	s->vtable = vtable;
	s->version = version;
	s->next = NULL;
	memcpy(s->name, name, len);

	pthread_mutex_lock(&services_lock);
	for (pp = &services; *pp && strcmp((*pp)->name, name);
	     pp = &(*pp)->next)
		;
	dup = *pp != NULL;
	if (dup)
		holder = (*pp)->owner;
	else
		*pp = s;
	pthread_mutex_unlock(&services_lock);
	if (dup) {
		free(s);
		SS_LOG_ERR("module '%s' cannot provide service '%s': module "
			   "'%s' already provides it",
			   ss_module_name(owner), name, ss_module_name(holder));
		return -EEXIST;
	}
	SS_LOG_DEBUG("module '%s' provides service '%s' version %u",
		     ss_module_name(owner), name, version);
	return 0;
}

const void *ss_service_get(const char *name, unsigned min_version)
{
	const void *vtable = NULL;
	const struct service *s;

	pthread_mutex_lock(&services_lock);
	s = find_locked(name);
	if (s && s->version >= min_version)
		vtable = s->vtable;
	pthread_mutex_unlock(&services_lock);
	return vtable;
}

const struct ss_module *ss_service_owner(const char *name)
{
	const struct ss_module *owner = NULL;
	const struct service *s;

	pthread_mutex_lock(&services_lock);
	s = find_locked(name);
	if (s)
		owner = s->owner;
	pthread_mutex_unlock(&services_lock);
	return owner;
}

void ss_service_release_owner(const struct ss_module *owner)
{
	struct service **pp, *s;

	pthread_mutex_lock(&services_lock);
	for (pp = &services; (s = *pp);) {
		if (s->owner == owner) {
			*pp = s->next;
			free(s);
		} else {
			pp = &s->next;
		}
	}
	pthread_mutex_unlock(&services_lock);
}

/* fn runs with the registry locked: it must not call back into it. */
void ss_service_foreach(void (*fn)(const char *name, unsigned version,
				   const struct ss_module *owner, void *arg),
			void *arg)
{
	const struct service *s;

	pthread_mutex_lock(&services_lock);
	for (s = services; s; s = s->next)
		fn(s->name, s->version, s->owner, arg);
	pthread_mutex_unlock(&services_lock);
}

void ss_service_shutdown(void)
{
	struct service *s;

	pthread_mutex_lock(&services_lock);
	while ((s = services)) {
		services = s->next;
		free(s);
	}
	pthread_mutex_unlock(&services_lock);
}
