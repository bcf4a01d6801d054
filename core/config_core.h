/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Core-private side of the configuration: parsing and schema validation of
 * sipserver.xml, the core's own settings, the raw module sections, and the
 * typed ss_cfg_t built from a section and a module's element table.
 */
#ifndef SS_CORE_CONFIG_CORE_H
#define SS_CORE_CONFIG_CORE_H

#include <sipserver/config.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ss_config ss_config_t;		      /* one parsed file */
typedef struct ss_config_section ss_config_section_t; /* <module> element */

typedef struct ss_core_settings {
	unsigned workers; /* 0 in the file means CPU count */
	int verbose;	  /* stderr/console default level 0..5 */
	bool syslog;
	char statedir[512];	/* absolute */
	char console[512];	/* absolute UNIX socket path */
	char module_path[1024]; /* colon-separated, may be empty */
} ss_core_settings_t;

/* Parses and validates (schema in configs/sipserver.xsd, embedded) a file.
 * On error returns NULL and writes one line "file:line: element: problem"
 * into err. */
ss_config_t *ss_config_load_file(const char *path, char *err, size_t errlen);
/* Same from memory; name is used in messages ("embedded default"). */
ss_config_t *ss_config_load_memory(const char *xml, size_t len,
				   const char *name, char *err, size_t errlen);
void ss_config_free(ss_config_t *cfg);

/* The embedded copy of configs/sipserver.xml. */
const char *ss_config_default_xml(void);

const char *ss_config_source(const ss_config_t *cfg); /* file or name */
const ss_core_settings_t *ss_config_core(const ss_config_t *cfg);
/* The whole document as text, for `config show`. Borrowed. */
const char *ss_config_text(const ss_config_t *cfg);

/* Module sections in file order. */
unsigned ss_config_module_count(const ss_config_t *cfg);
const ss_config_section_t *ss_config_module_at(const ss_config_t *cfg,
					       unsigned i);
const ss_config_section_t *ss_config_module_find(const ss_config_t *cfg,
						 const char *name);
const char *ss_config_section_name(const ss_config_section_t *sect);
/* True if both sections have the same content (attributes, children). */
bool ss_config_section_equal(const ss_config_section_t *a,
			     const ss_config_section_t *b);

/* Builds the typed view of a section for a module's table; sect NULL means
 * "not in the file": every element takes its defaults. Errors (unknown
 * element or attribute, bad value, missing required) give NULL and one line
 * in err naming file:line and the element. The result owns copies of all
 * strings and outlives the ss_config_t. */
ss_cfg_t *ss_cfg_build(const ss_config_section_t *sect,
		       const ss_cfg_elem_t *table, const char *module,
		       char *err, size_t errlen);
void ss_cfg_free(ss_cfg_t *cfg);

/* Sets the directory ss_cfg_path() resolves against (creates it). */
int ss_config_set_statedir(const char *dir);

#endif
