/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Core-private: the libltdl module loader. Orders loads by the services
 * modules require and provide, refuses to unload a module others need, and
 * releases everything a module registered before its unload() runs.
 */
#ifndef SS_CORE_MODULE_LOADER_H
#define SS_CORE_MODULE_LOADER_H

#include "config_core.h"
#include <sipserver/module.h>
#include <stddef.h>

/* search_path: colon-separated directories, tried in order; in each the
 * loader tries DIR/NAME/NAME and DIR/NAME (libltdl adds .la/.so). */
int ss_modules_init(const char *search_path);
void ss_modules_shutdown(void);

/* Makes the loaded set match cfg: unloads modules no longer listed (reverse
 * dependency order), reloads those whose section changed, loads new ones in
 * dependency order. Every section is validated before anything changes; on
 * error err holds one line and nothing was changed (0 or -errno). */
int ss_modules_apply(const ss_config_t *cfg, char *err, size_t errlen);

/* Console operations; the section of `name` in the current config is used
 * when present. 0 or -errno with one line in err. */
int ss_module_load_by_name(const char *name, char *err, size_t errlen);
int ss_module_unload_by_name(const char *name, char *err, size_t errlen);
int ss_module_reload_by_name(const char *name, char *err, size_t errlen);
/* Unloads everything, dependents first. */
void ss_modules_unload_all(void);

/* The config ss_module_load_by_name and reload take sections from. */
void ss_modules_set_config(const ss_config_t *cfg);

typedef struct ss_module_info {
	const char *name;
	const char *version;
	const char *description;
	const char *path;
	const char *const *provides;
	const char *const *requires;
	char dependents[256]; /* loaded modules that need this one, ", " */
	unsigned load_order;
} ss_module_info_t;

/* Loaded modules in load order. */
void ss_module_foreach(void (*fn)(const ss_module_info_t *info, void *arg),
		       void *arg);
/* Names of modules that could be loaded (found in the search path). */
void ss_module_foreach_available(void (*fn)(const char *name, void *arg),
				 void *arg);
const ss_module_t *ss_module_find(const char *name);

#endif
