/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module descriptor: the one symbol a module exports. The core reads it,
 * loads the module after the providers of what it requires, registers its
 * static tables (console commands, bus subscriptions) after load() succeeds
 * and releases everything the module registered before unload().
 */
#ifndef SIPSERVER_MODULE_H
#define SIPSERVER_MODULE_H

#include <sipserver/bus.h>
#include <sipserver/cli.h>
#include <sipserver/config.h>

#define SS_MODULE_ABI 1

typedef struct ss_module ss_module_t; /* a loaded module (opaque) */

typedef enum ss_load_result {
	SS_LOAD_OK = 0,
	SS_LOAD_DECLINE = 1, /* not configured: skipped, not an error */
	SS_LOAD_FAIL = -1,   /* the module logged why */
} ss_load_result_t;

typedef struct ss_module_desc {
	unsigned abi; /* SS_MODULE_ABI */
	const char *name;
	const char *version;
	const char *description;
	const char *const
	    *requires; /* services, NULL-terminated; may be NULL */
	const char *const *optional; /* services loaded first when configured */
	const char *const *provides; /* services it publishes in load() */
	/* load: publish services, open sockets, start timers. self is the
	 * handle to pass as owner to registration calls. Control loop. */
	ss_load_result_t (*load)(ss_module_t *self, const ss_cfg_t *cfg);
	/* reload: its section changed; NULL means unload + load. Returns 0 or
	 * a negative error (the old settings then stay). */
	int (*reload)(ss_module_t *self, const ss_cfg_t *cfg);
	/* unload: free what load made. Its registrations are already gone and
	 * no worker is running its code. */
	void (*unload)(ss_module_t *self);
	const ss_cli_cmd_t *commands;	   /* ends with words == NULL */
	const ss_bus_sub_t *subscriptions; /* ends with topic == NULL */
	const ss_cfg_elem_t *config;	   /* ends with name == NULL */
} ss_module_desc_t;

/* Declares the exported descriptor of module `name`; libltdl finds it as
 * name_LTX_ss_module. Usage: SS_MODULE(example) = { .abi = ..., ... }; */
#define SS_MODULE(name) const ss_module_desc_t name##_LTX_ss_module

/* The name of a loaded module (its descriptor's name). */
const char *ss_module_name(const ss_module_t *mod);

#endif
