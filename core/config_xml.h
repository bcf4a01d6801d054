/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to config.c and config_cfg.c: what a module section is on the
 * libxml2 side. Nothing outside config*.c includes libxml2.
 */
#ifndef SS_CORE_CONFIG_XML_H
#define SS_CORE_CONFIG_XML_H

#include "config_core.h"
#include <libxml/tree.h>

struct ss_config_section {
	xmlNodePtr node;    /* the <module> element, owned by the document */
	char *name;	    /* its name attribute */
	const char *source; /* the file (or name) of the document */
};

#endif
