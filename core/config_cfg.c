/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The typed view of one module section (ss_cfg_t): the section is checked
 * against the module's element table once, every value is parsed then, and
 * the module reads plain C values afterwards. A cfg lives in one arena, so
 * it is freed at once and never points into the XML document.
 */
#include "config_xml.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>

#define ARENA_BLOCK 4096

struct cfg_val {
	const char *str; /* as written, or the default; NULL when neither */
	long num;	 /* SS_CFG_INT value; SS_CFG_BOOL as 0/1 */
	bool set;	 /* written in the file */
};

struct ss_cfg_node {
	const ss_cfg_elem_t *elem; /* the module's table, which outlives cfg */
	const ss_cfg_node_t *next; /* next occurrence of the same element */
	const char *where;
	const char *text;
	struct cfg_val vals[]; /* one per entry of elem->attrs */
};

struct cfg_slot {
	ss_cfg_node_t *first, *last;
	ss_cfg_node_t *dflt; /* omitted single element: its defaults */
	unsigned count;
	long line; /* of the first occurrence */
};

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
};

struct ss_cfg {
	const ss_cfg_elem_t *table;
	unsigned nelems;
	struct cfg_slot *slots;
	struct arena_block *arena;
};

/* What building one cfg needs to report an error. */
struct build {
	ss_cfg_t *cfg;
	const char *module;
	const char *source;
	char *err;
	size_t errlen;
};

static void *cfg_alloc(ss_cfg_t *cfg, size_t size)
{
	const size_t align = _Alignof(max_align_t);
	struct arena_block *b = cfg->arena;
	void *p;

	size = (size + align - 1) & ~(align - 1);
	if (!b || b->size - b->used < size) {
		size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->size = cap;
		b->used = 0;
		b->next = cfg->arena;
		cfg->arena = b;
	}
	p = (char *)b->data + b->used;
	b->used += size;
	return memset(p, 0, size);
}

static char *cfg_strdup(ss_cfg_t *cfg, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = cfg_alloc(cfg, n);

	return p ? memcpy(p, s, n) : NULL;
}

/* "file:line: <element>: problem" when node is known, else
 * "module 'name': problem". Always -EINVAL, for `return build_err(...)`. */
static int build_err(const struct build *b, xmlNodePtr node, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));

static int build_err(const struct build *b, xmlNodePtr node, const char *fmt,
		     ...)
{
	int n;

	if (!b->err || !b->errlen)
		return -EINVAL;
	if (node)
		n = snprintf(b->err, b->errlen, "%s:%ld: <%s>: ", b->source,
			     xmlGetLineNo(node), (const char *)node->name);
	else
		n = snprintf(b->err, b->errlen, "module '%s': ", b->module);
	if (n >= 0 && (size_t)n < b->errlen) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int nomem(const struct build *b)
{
	build_err(b, NULL, "out of memory");
	return -ENOMEM;
}

/* "a, b, c" or "none", for error messages. */
static void known_elems(const ss_cfg_elem_t *t, char *buf, size_t size)
{
	size_t n = 0;

	snprintf(buf, size, "none");
	for (; t && t->name && n < size; t++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
				      t->name);
}

static void known_attrs(const ss_cfg_attr_t *a, char *buf, size_t size)
{
	size_t n = 0;

	snprintf(buf, size, "none");
	for (; a && a->name && n < size; a++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
				      a->name);
}

static int parse_bool(const char *s, long *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	unsigned i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

/* Parses text for attribute a into v. node is the element in the file, or
 * NULL when text is the table's default (then a bad value is the module's
 * bug, reported as such). */
static int parse_value(const struct build *b, xmlNodePtr node,
		       const ss_cfg_elem_t *e, const ss_cfg_attr_t *a,
		       const char *text, struct cfg_val *v)
{
	const char *what = node ? "" : "default ";
	char ctx[128] = "";
	char *end;

	v->str = cfg_strdup(b->cfg, text);
	if (!v->str)
		return nomem(b);
	if (!node)
		snprintf(ctx, sizeof(ctx), "<%s>: ", e->name);
	switch (a->type) {
	case SS_CFG_STR:
		return 0;
	case SS_CFG_BOOL:
		if (!parse_bool(text, &v->num))
			return 0;
		return build_err(b, node,
				 "%sattribute '%s': %s'%s' is not a boolean "
				 "(yes/no, true/false, on/off, 1/0)",
				 ctx, a->name, what, text);
	case SS_CFG_INT:
		errno = 0;
		v->num = strtol(text, &end, 10);
		if (errno || end == text || *end ||
		    isspace((unsigned char)*text))
			return build_err(b, node,
					 "%sattribute '%s': %s'%s' is not an "
					 "integer",
					 ctx, a->name, what, text);
		if ((a->min || a->max) && (v->num < a->min || v->num > a->max))
			return build_err(b, node,
					 "%sattribute '%s': %s%ld is out of "
					 "range %ld..%ld",
					 ctx, a->name, what, v->num, a->min,
					 a->max);
		return 0;
	}
	return build_err(b, node, "%sattribute '%s': unknown type %d", ctx,
			 a->name, (int)a->type);
}

static int attr_index(const ss_cfg_elem_t *e, const char *name)
{
	int i;

	for (i = 0; e->attrs && e->attrs[i].name; i++)
		if (!strcmp(e->attrs[i].name, name))
			return i;
	return -1;
}

/* Attributes written in the file, and the element's content: text only
 * for SS_CFG_TEXT elements, never child elements (tables are flat). */
static int node_from_xml(const struct build *b, ss_cfg_node_t *node,
			 xmlNodePtr x)
{
	const ss_cfg_elem_t *e = node->elem;
	char known[256];
	xmlAttrPtr at;
	xmlNodePtr c;
	int rc = 0;

	for (at = x->properties; at && !rc; at = at->next) {
		int i = attr_index(e, (const char *)at->name);
		xmlChar *v;

		if (i < 0) {
			known_attrs(e->attrs, known, sizeof(known));
			return build_err(b, x,
					 "unknown attribute '%s' in module "
					 "'%s' (known: %s)",
					 (const char *)at->name, b->module,
					 known);
		}
		v = xmlNodeListGetString(x->doc, at->children, 1);
		rc = parse_value(b, x, e, &e->attrs[i], v ? (char *)v : "",
				 &node->vals[i]);
		node->vals[i].set = true;
		xmlFree(v);
	}
	for (c = x->children; c && !rc; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			return build_err(b, x,
					 "unexpected child element <%s> in "
					 "module '%s'",
					 (const char *)c->name, b->module);
		if ((c->type == XML_TEXT_NODE ||
		     c->type == XML_CDATA_SECTION_NODE) &&
		    !(e->flags & SS_CFG_TEXT) && !xmlIsBlankNode(c))
			return build_err(b, x,
					 "unexpected text in module '%s' (the "
					 "element takes none)",
					 b->module);
	}
	if (!rc && (e->flags & SS_CFG_TEXT)) {
		xmlChar *t = xmlNodeGetContent(x);
		char *s = (char *)t, *end;

		while (s && *s && strchr(" \t\r\n", *s))
			s++;
		end = s ? s + strlen(s) : NULL;
		while (end && end > s && strchr(" \t\r\n", end[-1]))
			*--end = '\0';
		node->text = cfg_strdup(b->cfg, s ? s : "");
		xmlFree(t);
		if (!node->text)
			return nomem(b);
	}
	return rc;
}

/* One element: x is its XML node, or NULL to build the defaults node of
 * an omitted single element (within section sect, NULL if none). */
static ss_cfg_node_t *node_build(const struct build *b, const ss_cfg_elem_t *e,
				 xmlNodePtr x, xmlNodePtr sect, int *rc)
{
	ss_cfg_node_t *node;
	char where[512];
	int i, n;

	for (n = 0; e->attrs && e->attrs[n].name; n++)
		;
	node = cfg_alloc(b->cfg,
			 sizeof(*node) + (size_t)n * sizeof(node->vals[0]));
	if (!node) {
		*rc = nomem(b);
		return NULL;
	}
	node->elem = e;
	node->text = "";
	if (x)
		snprintf(where, sizeof(where), "%s:%ld", b->source,
			 xmlGetLineNo(x));
	node->where = cfg_strdup(b->cfg, x ? where : "default");
	*rc = node->where ? 0 : nomem(b);
	if (!*rc && x)
		*rc = node_from_xml(b, node, x);
	for (i = 0; i < n && !*rc; i++) {
		const ss_cfg_attr_t *a = &e->attrs[i];

		if (node->vals[i].set)
			continue;
		if ((a->flags & SS_CFG_REQUIRED) && x)
			*rc = build_err(b, x, "missing required attribute '%s'",
					a->name);
		else if (a->flags & SS_CFG_REQUIRED)
			*rc = build_err(b, sect,
					"module '%s' needs element <%s> "
					"(attribute '%s' is required)",
					b->module, e->name, a->name);
		else if (a->def)
			*rc =
			    parse_value(b, NULL, e, a, a->def, &node->vals[i]);
	}
	return *rc ? NULL : node;
}

static int elem_index(const ss_cfg_t *cfg, const char *name)
{
	unsigned i;

	for (i = 0; i < cfg->nelems; i++)
		if (!strcmp(cfg->table[i].name, name))
			return (int)i;
	return -1;
}

static int section_walk(const struct build *b, xmlNodePtr sect)
{
	ss_cfg_t *cfg = b->cfg;
	char known[256];
	xmlNodePtr x;
	int rc = 0;

	for (x = sect->children; x && !rc; x = x->next) {
		struct cfg_slot *slot;
		ss_cfg_node_t *node;
		int i;

		if (x->type != XML_ELEMENT_NODE)
			continue;
		i = elem_index(cfg, (const char *)x->name);
		if (i < 0) {
			known_elems(cfg->table, known, sizeof(known));
			return build_err(b, x,
					 "unknown element in module '%s' "
					 "(known: %s)",
					 b->module, known);
		}
		slot = &cfg->slots[i];
		if (slot->count && !(cfg->table[i].flags & SS_CFG_MULTI))
			return build_err(b, x,
					 "may appear only once in module '%s' "
					 "(first at line %ld)",
					 b->module, slot->line);
		node = node_build(b, &cfg->table[i], x, sect, &rc);
		if (!node)
			break;
		if (slot->last)
			slot->last->next = node;
		else
			slot->first = node;
		slot->last = node;
		if (!slot->count++)
			slot->line = xmlGetLineNo(x);
	}
	return rc;
}

ss_cfg_t *ss_cfg_build(const ss_config_section_t *sect,
		       const ss_cfg_elem_t *table, const char *module,
		       char *err, size_t errlen)
{
	ss_cfg_t *cfg = calloc(1, sizeof(*cfg));
	struct build b = {cfg, module, sect ? sect->source : NULL, err, errlen};
	unsigned i;
	int rc = 0;

	if (!cfg) {
		nomem(&b);
		return NULL;
	}
	cfg->table = table;
	while (table && table[cfg->nelems].name)
		cfg->nelems++;
	if (cfg->nelems) {
		cfg->slots = cfg_alloc(cfg, cfg->nelems * sizeof(*cfg->slots));
		if (!cfg->slots) {
			rc = nomem(&b);
			goto fail;
		}
	}
	if (sect)
		rc = section_walk(&b, sect->node);
	for (i = 0; i < cfg->nelems && !rc; i++) {
		if (cfg->slots[i].count || (table[i].flags & SS_CFG_MULTI))
			continue;
		cfg->slots[i].dflt = node_build(&b, &table[i], NULL,
						sect ? sect->node : NULL, &rc);
	}
	if (rc)
		goto fail;
	return cfg;
fail:
	ss_cfg_free(cfg);
	return NULL;
}

void ss_cfg_free(ss_cfg_t *cfg)
{
	struct arena_block *b, *next;

	if (!cfg)
		return;
	for (b = cfg->arena; b; b = next) {
		next = b->next;
		free(b);
	}
	free(cfg);
}

const ss_cfg_node_t *ss_cfg_first(const ss_cfg_t *cfg, const char *name)
{
	int i = elem_index(cfg, name);

	if (i < 0)
		return NULL;
	return cfg->slots[i].first ? cfg->slots[i].first : cfg->slots[i].dflt;
}

const ss_cfg_node_t *ss_cfg_next(const ss_cfg_node_t *node)
{
	return node->next;
}

unsigned ss_cfg_count(const ss_cfg_t *cfg, const char *name)
{
	int i = elem_index(cfg, name);

	return i < 0 ? 0 : cfg->slots[i].count;
}

/* Asking for an attribute the table does not declare, or with the wrong
 * type, is a bug in the module: assert in debug builds, and answer as for
 * an absent attribute without default otherwise. */
static const struct cfg_val *node_val(const ss_cfg_node_t *node,
				      const char *attr, ss_cfg_type_t type)
{
	int i = attr_index(node->elem, attr);

	assert(i >= 0 && "ss_cfg: attribute not declared in the table");
	if (i < 0)
		return NULL;
	assert(node->elem->attrs[i].type == type &&
	       "ss_cfg: attribute read as the wrong type");
	if (node->elem->attrs[i].type != type)
		return NULL;
	return &node->vals[i];
}

const char *ss_cfg_str(const ss_cfg_node_t *node, const char *attr)
{
	const struct cfg_val *v = node_val(node, attr, SS_CFG_STR);

	return v ? v->str : NULL;
}

long ss_cfg_int(const ss_cfg_node_t *node, const char *attr)
{
	const struct cfg_val *v = node_val(node, attr, SS_CFG_INT);

	return v ? v->num : 0;
}

bool ss_cfg_bool(const ss_cfg_node_t *node, const char *attr)
{
	const struct cfg_val *v = node_val(node, attr, SS_CFG_BOOL);

	return v && v->num;
}

bool ss_cfg_has(const ss_cfg_node_t *node, const char *attr)
{
	int i = attr_index(node->elem, attr);

	assert(i >= 0 && "ss_cfg: attribute not declared in the table");
	return i >= 0 && node->vals[i].set;
}

const char *ss_cfg_text(const ss_cfg_node_t *node)
{
	return node->text;
}

const char *ss_cfg_where(const ss_cfg_node_t *node)
{
	return node->where;
}
