/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sipserver.xml as a document: reading, validation against the embedded
 * configs/sipserver.xsd, the core's settings with their path defaults, the
 * raw module sections and their comparison, and the state directory that
 * ss_cfg_path() resolves against. The typed module view is in config_cfg.c.
 */
#include "config_xml.h"

#include <sipserver/log.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

/* Generated from configs/ by core/embed.sh into core/config_default.c. */
extern const char ss_config_default_text[];
extern const char ss_config_schema_text[];

#define CONFIG_MAX_SIZE (16u << 20)

#if LIBXML_VERSION >= 21200
typedef const xmlError *ss_xml_error_t;
#else
typedef xmlErrorPtr ss_xml_error_t;
#endif

struct ss_config {
	char *source;
	char *text; /* the document as read, NUL-terminated */
	size_t len;
	xmlDocPtr doc;
	ss_core_settings_t core;
	struct ss_config_section *sections;
	unsigned nsections;
};

/* Collects the first error libxml2 raises during one operation. */
struct xml_errors {
	const char *source;
	char *err;
	size_t errlen;
	bool seen;
};

/* libxml2's global handlers, saved while ours is installed. They are
 * per-thread in libxml2, so a config load on one thread cannot divert the
 * errors of another. */
struct xml_handlers {
	xmlStructuredErrorFunc serror;
	void *sctx;
	xmlGenericErrorFunc gerror;
	void *gctx;
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

/* The state directory (absolute); empty until set. Written by the control
 * loop at start and on reload, read by modules on any loop through
 * ss_cfg_path(), hence the lock. */
static pthread_mutex_t statedir_lock = PTHREAD_MUTEX_INITIALIZER;
static char statedir[512];

/* Writes "source:line: <element>: " + the formatted problem into err. */
static void config_errf(char *err, size_t errlen, const char *source,
			xmlNodePtr node, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void config_errf(char *err, size_t errlen, const char *source,
			xmlNodePtr node, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	if (node)
		n = snprintf(err, errlen, "%s:%ld: <%s>: ", source,
			     xmlGetLineNo(node), (const char *)node->name);
	else
		n = snprintf(err, errlen, "%s: ", source);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void xml_silent(void *ctx, const char *msg, ...)
{
}

/*
 * Formats libxml2's error as our one line. Schema messages start with
 * "Element 'name': " or "Element 'name', attribute 'a': ", which repeats
 * the element we already print, so that prefix is dropped.
 */
static void xml_error_cb(void *arg, ss_xml_error_t e)
{
	struct xml_errors *xe = arg;
	xmlNodePtr node = e->node;
	const char *msg = e->message ? e->message : "unknown error";
	long line = e->line;
	size_t n;
	char text[512];

	if (xe->seen || e->level == XML_ERR_WARNING || !xe->err)
		return;
	xe->seen = true;
	if (node && node->type == XML_ATTRIBUTE_NODE)
		node = node->parent;
	if (node && node->type != XML_ELEMENT_NODE)
		node = NULL;
	if (node && line <= 0)
		line = xmlGetLineNo(node);
	if (node && strncmp(msg, "Element '", 9) == 0) {
		const char *q = strchr(msg + 9, '\'');

		if (q && (q[1] == ':' || q[1] == ','))
			msg = q[2] == ' ' ? q + 3 : q + 2;
	}
	snprintf(text, sizeof(text), "%s", msg);
	for (n = strlen(text); n && isspace((unsigned char)text[n - 1]);)
		text[--n] = '\0';
	/* One line, whatever libxml2 wrote. */
	for (n = 0; text[n]; n++)
		if (text[n] == '\n' || text[n] == '\r')
			text[n] = ' ';
	if (node)
		snprintf(xe->err, xe->errlen, "%s:%ld: <%s>: %s", xe->source,
			 line, (const char *)node->name, text);
	else
		snprintf(
		    xe->err, xe->errlen, "%s:%ld: %s: %s", xe->source, line,
		    e->domain == XML_FROM_PARSER ? "malformed XML" : "invalid",
		    text);
}

static void xml_errors_begin(struct xml_errors *xe, struct xml_handlers *h)
{
	h->serror = xmlStructuredError;
	h->sctx = xmlStructuredErrorContext;
	h->gerror = xmlGenericError;
	h->gctx = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(xe, xml_error_cb);
	xmlSetGenericErrorFunc(NULL, xml_silent);
}

static void xml_errors_end(const struct xml_handlers *h)
{
	xmlSetStructuredErrorFunc(h->sctx, h->serror);
	xmlSetGenericErrorFunc(h->gctx, h->gerror);
}

static void xml_init(void)
{
	xmlInitParser();
}

/* No network, no entity expansion or DTD loading: a config file can name
 * nothing outside itself. */
static int xml_read(ss_config_t *cfg, char *err, size_t errlen)
{
	struct xml_errors xe = {cfg->source, err, errlen, false};
	struct xml_handlers h;
	xmlParserCtxtPtr ctxt;

	if (cfg->len > INT_MAX) {
		config_errf(err, errlen, cfg->source, NULL, "file too large");
		return -EFBIG;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		config_errf(err, errlen, cfg->source, NULL, "out of memory");
		return -ENOMEM;
	}
	xml_errors_begin(&xe, &h);
	cfg->doc =
	    xmlCtxtReadMemory(ctxt, cfg->text, (int)cfg->len, cfg->source, NULL,
			      XML_PARSE_NONET | XML_PARSE_NOERROR |
				  XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES);
	xml_errors_end(&h);
	if (cfg->doc && !ctxt->wellFormed) {
		xmlFreeDoc(cfg->doc);
		cfg->doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	/* Entities would be left unexpanded and then trip the schema
	 * validator with a confusing message; a config has no use for them. */
	if (cfg->doc && (cfg->doc->intSubset || cfg->doc->extSubset)) {
		config_errf(err, errlen, cfg->source,
			    xmlDocGetRootElement(cfg->doc),
			    "DOCTYPE declarations are not supported");
		return -EINVAL;
	}
	if (cfg->doc)
		return 0;
	if (!xe.seen)
		config_errf(err, errlen, cfg->source, NULL, "malformed XML");
	return -EINVAL;
}

static int schema_validate(ss_config_t *cfg, char *err, size_t errlen)
{
	struct xml_errors xe = {"embedded sipserver.xsd", err, errlen, false};
	xmlSchemaParserCtxtPtr pctxt = NULL;
	xmlSchemaValidCtxtPtr vctxt = NULL;
	xmlSchemaPtr schema = NULL;
	struct xml_handlers h;
	int rc = -EINVAL;

	xml_errors_begin(&xe, &h);
	pctxt = xmlSchemaNewMemParserCtxt(ss_config_schema_text,
					  (int)strlen(ss_config_schema_text));
	if (!pctxt)
		goto fail;
	xmlSchemaSetParserStructuredErrors(pctxt, xml_error_cb, &xe);
	schema = xmlSchemaParse(pctxt);
	if (!schema)
		goto fail;
	vctxt = xmlSchemaNewValidCtxt(schema);
	if (!vctxt)
		goto fail;
	xe.source = cfg->source;
	xmlSchemaSetValidStructuredErrors(vctxt, xml_error_cb, &xe);
	if (xmlSchemaValidateDoc(vctxt, cfg->doc) == 0)
		rc = 0;
fail:
	xml_errors_end(&h);
	if (rc && !xe.seen)
		config_errf(err, errlen, xe.source, NULL,
			    "schema validation failed");
	if (vctxt)
		xmlSchemaFreeValidCtxt(vctxt);
	if (schema)
		xmlSchemaFree(schema);
	if (pctxt)
		xmlSchemaFreeParserCtxt(pctxt);
	return rc;
}

static xmlNodePtr child_element(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    xmlStrEqual(n->name, BAD_CAST name))
			return n;
	return NULL;
}

/* Copies attribute `name` of node into buf. 1 if present, 0 if absent,
 * -ENAMETOOLONG if it does not fit. */
static int attr_get(xmlNodePtr node, const char *name, char *buf, size_t size)
{
	xmlChar *v = node ? xmlGetProp(node, BAD_CAST name) : NULL;
	int rc = 1;

	if (!v)
		return 0;
	if ((size_t)snprintf(buf, size, "%s", (const char *)v) >= size)
		rc = -ENAMETOOLONG;
	xmlFree(v);
	return rc;
}

static bool running_from_build_tree(void)
{
	char exe[PATH_MAX], top[PATH_MAX];
	size_t n;

	if (!realpath("/proc/self/exe", exe) || !realpath(SS_BUILDDIR, top))
		return false;
	n = strlen(top);
	return strncmp(exe, top, n) == 0 && exe[n] == '/';
}

static const char *default_statedir(void)
{
	return running_from_build_tree() ? SS_BUILDDIR "/var" : SS_STATEDIR;
}

/* dst = path if absolute, else base/path. */
static int path_join(char *dst, size_t size, const char *base, const char *path)
{
	int n;

	if (path[0] == '/')
		n = snprintf(dst, size, "%s", path);
	else
		n = snprintf(dst, size, "%s/%s", base, path);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Appends entry to a colon-separated list. */
static int path_list_add(char *list, size_t size, const char *entry,
			 size_t elen)
{
	size_t n = strlen(list);

	if (!elen)
		return 0;
	if (n + (n ? 1 : 0) + elen + 1 > size)
		return -ENAMETOOLONG;
	if (n)
		list[n++] = ':';
	memcpy(list + n, entry, elen);
	list[n + elen] = '\0';
	return 0;
}

static int module_path_build(ss_core_settings_t *s, const char *attr,
			     const char *basedir)
{
	const char *env = getenv("SIPSERVER_MODULE_PATH");
	char dir[PATH_MAX];
	const char *p, *end;
	int rc = 0;

	s->module_path[0] = '\0';
	if (env)
		rc = path_list_add(s->module_path, sizeof(s->module_path), env,
				   strlen(env));
	if (!attr[0]) {
		attr = running_from_build_tree() ? SS_BUILDDIR "/modules"
						 : SS_MODULEDIR;
		basedir = "/";
	}
	for (p = attr; !rc && *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if (end == p)
			continue;
		if (*p == '/')
			rc = path_list_add(s->module_path,
					   sizeof(s->module_path), p,
					   (size_t)(end - p));
		else if ((size_t)snprintf(dir, sizeof(dir), "%s/%.*s", basedir,
					  (int)(end - p), p) >= sizeof(dir))
			rc = -ENAMETOOLONG;
		else
			rc = path_list_add(s->module_path,
					   sizeof(s->module_path), dir,
					   strlen(dir));
	}
	return rc;
}

/* The schema has checked syntax and ranges; this fills in the defaults and
 * turns relative paths into absolute ones. */
static int core_settings(ss_config_t *cfg, xmlNodePtr core, const char *basedir,
			 char *err, size_t errlen)
{
	ss_core_settings_t *s = &cfg->core;
	const char *what = "statedir";
	char val[1024];
	int rc;

	s->workers = 0;
	s->verbose = SS_LOG_NOTICE;
	s->syslog = false;
	if (attr_get(core, "workers", val, sizeof(val)) > 0)
		s->workers = (unsigned)strtoul(val, NULL, 10);
	if (attr_get(core, "verbose", val, sizeof(val)) > 0)
		s->verbose = (int)strtol(val, NULL, 10);
	if (attr_get(core, "syslog", val, sizeof(val)) > 0)
		s->syslog = !strcasecmp(val, "yes") ||
			    !strcasecmp(val, "true") ||
			    !strcasecmp(val, "on") || !strcmp(val, "1");

	rc = attr_get(core, "statedir", val, sizeof(val));
	if (rc >= 0 && (rc == 0 || !val[0]))
		rc = path_join(s->statedir, sizeof(s->statedir), "/",
			       default_statedir());
	else if (rc > 0)
		rc = path_join(s->statedir, sizeof(s->statedir), basedir, val);
	if (rc < 0)
		goto fail;

	what = "console";
	rc = attr_get(core, "console", val, sizeof(val));
	if (rc >= 0 && (rc == 0 || !val[0]))
		snprintf(val, sizeof(val), "sipserver.ctl");
	if (rc >= 0)
		rc =
		    path_join(s->console, sizeof(s->console), s->statedir, val);
	if (rc < 0)
		goto fail;

	what = "modulepath";
	rc = attr_get(core, "modulepath", val, sizeof(val));
	if (rc == 0)
		val[0] = '\0';
	if (rc >= 0)
		rc = module_path_build(s, val, basedir);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	config_errf(err, errlen, cfg->source,
		    core ? core : xmlDocGetRootElement(cfg->doc),
		    "attribute '%s': path too long", what);
	return rc;
}

static int collect_sections(ss_config_t *cfg, xmlNodePtr modules, char *err,
			    size_t errlen)
{
	struct ss_config_section *s;
	xmlNodePtr n;
	unsigned count = 0, i;

	for (n = modules ? modules->children : NULL; n; n = n->next)
		count += n->type == XML_ELEMENT_NODE;
	if (!count)
		return 0;
	cfg->sections = calloc(count, sizeof(*cfg->sections));
	if (!cfg->sections)
		goto nomem;
	for (n = modules->children; n; n = n->next) {
		xmlChar *name;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		name = xmlGetProp(n, BAD_CAST "name");
		s = &cfg->sections[cfg->nsections];
		s->node = n;
		s->source = cfg->source;
		s->name = name ? strdup((const char *)name) : NULL;
		xmlFree(name);
		if (!s->name)
			goto nomem;
		cfg->nsections++;
		for (i = 0; i + 1 < cfg->nsections; i++) {
			if (strcmp(cfg->sections[i].name, s->name))
				continue;
			config_errf(err, errlen, cfg->source, n,
				    "module '%s' is listed twice (first at "
				    "line %ld)",
				    s->name,
				    xmlGetLineNo(cfg->sections[i].node));
			return -EINVAL;
		}
	}
	return 0;
nomem:
	config_errf(err, errlen, cfg->source, NULL, "out of memory");
	return -ENOMEM;
}

/* Takes ownership of text (len bytes plus a terminating NUL). */
static ss_config_t *config_parse(char *text, size_t len, const char *source,
				 const char *basedir, char *err, size_t errlen)
{
	ss_config_t *cfg = calloc(1, sizeof(*cfg));
	xmlNodePtr root;

	if (!cfg) {
		free(text);
		config_errf(err, errlen, source, NULL, "out of memory");
		return NULL;
	}
	cfg->text = text;
	cfg->len = len;
	cfg->source = strdup(source);
	if (!cfg->source) {
		config_errf(err, errlen, source, NULL, "out of memory");
		goto fail;
	}
	pthread_once(&xml_once, xml_init);
	if (xml_read(cfg, err, errlen) || schema_validate(cfg, err, errlen))
		goto fail;
	root = xmlDocGetRootElement(cfg->doc);
	if (core_settings(cfg, child_element(root, "core"), basedir, err,
			  errlen) ||
	    collect_sections(cfg, child_element(root, "modules"), err, errlen))
		goto fail;
	return cfg;
fail:
	ss_config_free(cfg);
	return NULL;
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_SIZE) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n ? errno : EIO;
			goto fail;
		}
		done += (size_t)n;
	}
	buf[done] = '\0';
	*len = done;
	close(fd);
	return buf;
fail:
	config_errf(err, errlen, path, NULL, "cannot read: %s",
		    strerror(errno));
	free(buf);
	if (fd >= 0)
		close(fd);
	return NULL;
}

ss_config_t *ss_config_load_file(const char *path, char *err, size_t errlen)
{
	char real[PATH_MAX];
	size_t len;
	char *text = read_file(path, &len, err, errlen);

	if (!text)
		return NULL;
	/* Relative paths inside are taken from the file's own directory. */
	if (!realpath(path, real)) {
		config_errf(err, errlen, path, NULL, "%s", strerror(errno));
		free(text);
		return NULL;
	}
	return config_parse(text, len, path, dirname(real), err, errlen);
}

ss_config_t *ss_config_load_memory(const char *xml, size_t len,
				   const char *name, char *err, size_t errlen)
{
	char cwd[PATH_MAX];
	char *text;

	if (!getcwd(cwd, sizeof(cwd))) {
		config_errf(err, errlen, name, NULL, "current directory: %s",
			    strerror(errno));
		return NULL;
	}
	text = malloc(len + 1);
	if (!text) {
		config_errf(err, errlen, name, NULL, "out of memory");
		return NULL;
	}
	memcpy(text, xml, len);
	text[len] = '\0';
	return config_parse(text, len, name, cwd, err, errlen);
}

void ss_config_free(ss_config_t *cfg)
{
	unsigned i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nsections; i++)
		free(cfg->sections[i].name);
	free(cfg->sections);
	if (cfg->doc)
		xmlFreeDoc(cfg->doc);
	free(cfg->text);
	free(cfg->source);
	free(cfg);
}

const char *ss_config_default_xml(void)
{
	return ss_config_default_text;
}

const char *ss_config_source(const ss_config_t *cfg)
{
	return cfg->source;
}

const ss_core_settings_t *ss_config_core(const ss_config_t *cfg)
{
	return &cfg->core;
}

const char *ss_config_text(const ss_config_t *cfg)
{
	return cfg->text;
}

unsigned ss_config_module_count(const ss_config_t *cfg)
{
	return cfg->nsections;
}

const ss_config_section_t *ss_config_module_at(const ss_config_t *cfg,
					       unsigned i)
{
	return i < cfg->nsections ? &cfg->sections[i] : NULL;
}

const ss_config_section_t *ss_config_module_find(const ss_config_t *cfg,
						 const char *name)
{
	unsigned i;

	for (i = 0; cfg && i < cfg->nsections; i++)
		if (!strcmp(cfg->sections[i].name, name))
			return &cfg->sections[i];
	return NULL;
}

const char *ss_config_section_name(const ss_config_section_t *sect)
{
	return sect->name;
}

static xmlNodePtr next_element(xmlNodePtr n)
{
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

/* Text children concatenated and trimmed: whitespace between elements and
 * comments is layout, not content. Caller frees. */
static char *node_text(xmlNodePtr node)
{
	size_t len = 0, start = 0;
	char *out = NULL;
	xmlNodePtr n;
	FILE *f;

	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (n = node->children; n; n = n->next)
		if (n->type == XML_TEXT_NODE ||
		    n->type == XML_CDATA_SECTION_NODE)
			fputs((const char *)n->content, f);
	if (fclose(f))
		return NULL;
	while (start < len && strchr(" \t\r\n", out[start]))
		start++;
	while (len > start && strchr(" \t\r\n", out[len - 1]))
		len--;
	memmove(out, out + start, len - start);
	out[len - start] = '\0';
	return out;
}

static bool attrs_equal(xmlNodePtr a, xmlNodePtr b)
{
	unsigned na = 0, nb = 0;
	xmlAttrPtr at;
	bool eq = true;

	for (at = a->properties; at; at = at->next)
		na++;
	for (at = b->properties; at; at = at->next)
		nb++;
	if (na != nb)
		return false;
	for (at = a->properties; eq && at; at = at->next) {
		xmlChar *va = xmlGetProp(a, at->name);
		xmlChar *vb = xmlGetProp(b, at->name);

		eq = va && vb && xmlStrEqual(va, vb);
		xmlFree(va);
		xmlFree(vb);
	}
	return eq;
}

/* Same name, same attributes in any order, same trimmed text, same child
 * elements in the same order; comments and layout do not count. */
static bool node_equal(xmlNodePtr a, xmlNodePtr b)
{
	char *ta, *tb;
	bool eq;

	if (!xmlStrEqual(a->name, b->name) || !attrs_equal(a, b))
		return false;
	ta = node_text(a);
	tb = node_text(b);
	eq = ta && tb && !strcmp(ta, tb);
	free(ta);
	free(tb);
	a = next_element(a->children);
	b = next_element(b->children);
	while (eq && a && b) {
		eq = node_equal(a, b);
		a = next_element(a->next);
		b = next_element(b->next);
	}
	return eq && !a && !b;
}

bool ss_config_section_equal(const ss_config_section_t *a,
			     const ss_config_section_t *b)
{
	if (!a || !b)
		return a == b;
	return node_equal(a->node, b->node);
}

static int mkdir_p(const char *dir, mode_t mode)
{
	char path[PATH_MAX];
	char *p;

	if ((size_t)snprintf(path, sizeof(path), "%s", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	for (p = path + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		if (p[-1] != '/') {
			char c = *p;

			*p = '\0';
			if (mkdir(path, mode) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
		}
		if (!*p)
			break;
	}
	return 0;
}

int ss_config_set_statedir(const char *dir)
{
	int rc;

	if (dir[0] != '/' || strlen(dir) >= sizeof(statedir))
		return -EINVAL;
	rc = mkdir_p(dir, 0750);
	if (rc < 0) {
		SS_LOG_ERR("cannot create state directory %s: %s", dir,
			   strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&statedir_lock);
	snprintf(statedir, sizeof(statedir), "%s", dir);
	pthread_mutex_unlock(&statedir_lock);
	return 0;
}

const char *ss_cfg_path(const char *path, char *buf, unsigned size)
{
	int rc;

	pthread_mutex_lock(&statedir_lock);
	rc = path_join(buf, size, statedir[0] ? statedir : default_statedir(),
		       path);
	pthread_mutex_unlock(&statedir_lock);
	return rc ? NULL : buf;
}
