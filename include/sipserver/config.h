/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Typed configuration. A module declares the child elements of its
 * <module name="..."> section in a static table (element, attributes with
 * type, default and limits); the core validates the XML against it and hands
 * the module typed values. Modules never see libxml2.
 */
#ifndef SIPSERVER_CONFIG_H
#define SIPSERVER_CONFIG_H

#include <stdbool.h>

typedef enum ss_cfg_type {
	SS_CFG_STR = 1,
	SS_CFG_INT,  /* long, checked against [min, max] */
	SS_CFG_BOOL, /* yes/no, true/false, on/off, 1/0 */
} ss_cfg_type_t;

enum {
	SS_CFG_REQUIRED = 1u << 0, /* attribute: must be present */
	SS_CFG_MULTI = 1u << 1,	   /* element: may repeat */
	SS_CFG_TEXT = 1u << 2,	   /* element: has text content */
};

typedef struct ss_cfg_attr {
	const char *name;
	ss_cfg_type_t type;
	const char *def; /* default as text; NULL: none */
	long min, max;	 /* SS_CFG_INT only; min == max == 0: unbounded */
	unsigned flags;
	const char *help;
} ss_cfg_attr_t;

typedef struct ss_cfg_elem {
	const char *name;
	unsigned flags;
	const ss_cfg_attr_t *attrs; /* ends with name == NULL; may be NULL */
	const char *help;
} ss_cfg_elem_t;

typedef struct ss_cfg ss_cfg_t;		  /* one module's section */
typedef struct ss_cfg_node ss_cfg_node_t; /* one element in it */

/* First occurrence of element `name`. For an element without SS_CFG_MULTI
 * that the file omits, a node holding the declared defaults is returned, so
 * single elements never need a NULL check. NULL for an absent MULTI element
 * or an undeclared name. Borrowed from cfg. */
const ss_cfg_node_t *ss_cfg_first(const ss_cfg_t *cfg, const char *name);
/* Next occurrence of the same element, or NULL. */
const ss_cfg_node_t *ss_cfg_next(const ss_cfg_node_t *node);
/* Number of occurrences in the file (0 for an omitted element). */
unsigned ss_cfg_count(const ss_cfg_t *cfg, const char *name);

/* Typed attribute values (the default when absent). Asking for an undeclared
 * attribute or the wrong type is a programming error (asserts). */
const char *ss_cfg_str(const ss_cfg_node_t *node, const char *attr);
long ss_cfg_int(const ss_cfg_node_t *node, const char *attr);
bool ss_cfg_bool(const ss_cfg_node_t *node, const char *attr);
/* True if the file set the attribute. */
bool ss_cfg_has(const ss_cfg_node_t *node, const char *attr);
/* Text content of an SS_CFG_TEXT element, trimmed ("" when empty). */
const char *ss_cfg_text(const ss_cfg_node_t *node);
/* "file:line" of the element for error messages ("default" if omitted). */
const char *ss_cfg_where(const ss_cfg_node_t *node);

/* Resolves a path from the config: absolute paths are returned as they are,
 * relative ones against the server's state directory. Writes into buf;
 * returns buf, or NULL if it does not fit. */
const char *ss_cfg_path(const char *path, char *buf, unsigned size);

#endif
