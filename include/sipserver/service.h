/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The service registry: a module publishes a versioned vtable under a name
 * ("location", "auth", "transaction"...), consumers fetch it in their load().
 */
#ifndef SIPSERVER_SERVICE_H
#define SIPSERVER_SERVICE_H

struct ss_module;

/* Publishes vtable as service `name` at `version`, owned by owner; the core
 * withdraws it when the owner unloads. Fails with -EEXIST if another module
 * already provides the name. Control loop only. */
int ss_service_provide(const struct ss_module *owner, const char *name,
		       unsigned version, const void *vtable);

/* Returns the vtable of service `name` if its version is >= min_version,
 * else NULL. Borrowed: valid as long as the caller's module declares the
 * service in its requires list (the loader then refuses to unload the
 * provider first). */
const void *ss_service_get(const char *name, unsigned min_version);

#endif
