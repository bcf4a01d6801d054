/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The module loader: opens modules with libltdl, loads them after the
 * providers of the services they use, refuses to unload a module others
 * use, and releases everything a module registered before its unload()
 * runs. All state here belongs to the control loop, where every function
 * of this file runs.
 */
#include "module_loader.h"

#include "bus_core.h"
#include "cli_core.h"
#include "loop_core.h"
#include "service_core.h"
#include <sipserver/log.h>

#include <dirent.h>
#include <errno.h>
#include <ltdl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ss_module {
	struct ss_module *next; /* loaded list, in load order */
	lt_dlhandle handle;
	const ss_module_desc_t *desc;
	char *path;
	ss_cfg_t *cfg;
	/* Modules whose services this one found registered at load, i.e.
	 * the ones it may hold vtables of: they cannot go first. */
	struct ss_module **deps;
	unsigned ndeps;
	unsigned load_order;
};

static struct {
	bool initialized;
	char *search_path;
	struct ss_module *head;
	unsigned next_order;
	/* A private parse of the config in force: the caller's object may be
	 * freed at any time, and the sections of loaded modules stay here to
	 * compare with the next config. */
	ss_config_t *config;
} ss_modules;

static int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

const char *ss_module_name(const ss_module_t *mod)
{
	return mod ? mod->desc->name : "core";
}

static bool name_valid(const char *name)
{
	const char *p;

	if (!name || !*name || strlen(name) > 64)
		return false;
	for (p = name; *p; p++)
		if (!(*p == '_' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

int ss_modules_init(const char *search_path)
{
	char *copy = strdup(search_path ? search_path : "");

	if (!copy)
		return -ENOMEM;
	if (!ss_modules.initialized) {
		if (lt_dlinit()) {
			SS_LOG_ERR("libltdl: %s", lt_dlerror());
			free(copy);
			return -EIO;
		}
		ss_modules.initialized = true;
	}
	free(ss_modules.search_path);
	ss_modules.search_path = copy;
	return 0;
}

void ss_modules_shutdown(void)
{
	if (!ss_modules.initialized)
		return;
	ss_modules_unload_all();
	free(ss_modules.search_path);
	ss_modules.search_path = NULL;
	ss_config_free(ss_modules.config);
	ss_modules.config = NULL;
	lt_dlexit();
	ss_modules.initialized = false;
}

/* A private parse of cfg's text under the same name, so messages still
 * name the file and its lines. */
static int config_copy(const ss_config_t *cfg, ss_config_t **out, char *err,
		       size_t errlen)
{
	const char *text;

	*out = NULL;
	if (!cfg)
		return 0;
	text = ss_config_text(cfg);
	*out = ss_config_load_memory(text, strlen(text), ss_config_source(cfg),
				     err, errlen);
	return *out ? 0 : -ENOMEM;
}

void ss_modules_set_config(const ss_config_t *cfg)
{
	ss_config_t *copy;
	char err[256];

	if (config_copy(cfg, &copy, err, sizeof(err))) {
		SS_LOG_ERR("module loader keeps its previous config: %s", err);
		return;
	}
	ss_config_free(ss_modules.config);
	ss_modules.config = copy;
}

static bool candidate_exists(const char *base)
{
	char file[4096 + 4];

	snprintf(file, sizeof(file), "%s.la", base);
	if (access(file, R_OK) == 0)
		return true;
	snprintf(file, sizeof(file), "%s.so", base);
	return access(file, R_OK) == 0;
}

static void module_close(struct ss_module *mod)
{
	if (!mod)
		return;
	ss_cfg_free(mod->cfg);
	if (mod->handle)
		lt_dlclose(mod->handle);
	free(mod->deps);
	free(mod->path);
	free(mod);
}

/* Finds name in the search path: DIR/NAME/NAME then DIR/NAME, each as .la
 * (libtool's, which also works from the build tree) or .so. */
static lt_dlhandle module_dlopen(const char *name, char *err, size_t errlen,
				 int *rc)
{
	const char *dir = ss_modules.search_path, *end;
	char base[4096];
	lt_dlhandle h;
	int i, n;

	for (; dir && *dir; dir = *end ? end + 1 : end) {
		end = strchr(dir, ':');
		if (!end)
			end = dir + strlen(dir);
		for (i = 0; end > dir && i < 2; i++) {
			if (i == 0)
				n = snprintf(base, sizeof(base), "%.*s/%s/%s",
					     (int)(end - dir), dir, name, name);
			else
				n = snprintf(base, sizeof(base), "%.*s/%s",
					     (int)(end - dir), dir, name);
			if (n < 0 || (size_t)n >= sizeof(base) ||
			    !candidate_exists(base))
				continue;
			h = lt_dlopenext(base);
			if (h)
				return h;
			*rc = errf(err, errlen, -ENOEXEC,
				   "module '%s': cannot open %s: %s", name,
				   base, lt_dlerror());
			return NULL;
		}
	}
	*rc = errf(err, errlen, -ENOENT, "module '%s' not found in %s", name,
		   ss_modules.search_path && *ss_modules.search_path
		       ? ss_modules.search_path
		       : "an empty module path");
	return NULL;
}

static int module_open(const char *name, struct ss_module **out, char *err,
		       size_t errlen)
{
	const ss_module_desc_t *d;
	const lt_dlinfo *info;
	struct ss_module *mod;
	int rc = 0;

	*out = NULL;
	if (!name_valid(name))
		return errf(err, errlen, -EINVAL, "invalid module name '%s'",
			    name ? name : "");
	if (!ss_modules.initialized)
		return errf(err, errlen, -EINVAL,
			    "module loader not initialized");
	mod = calloc(1, sizeof(*mod));
	if (!mod)
		return errf(err, errlen, -ENOMEM, "out of memory");
	mod->handle = module_dlopen(name, err, errlen, &rc);
	if (!mod->handle)
		goto fail;
	info = lt_dlgetinfo(mod->handle);
	mod->path = strdup(info && info->filename ? info->filename : name);
	if (!mod->path) {
		rc = errf(err, errlen, -ENOMEM, "out of memory");
		goto fail;
	}
	d = lt_dlsym(mod->handle, "ss_module");
	if (!d) {
		rc = errf(err, errlen, -ENOEXEC,
			  "module '%s': %s exports no descriptor "
			  "(%s_LTX_ss_module)",
			  name, mod->path, name);
		goto fail;
	}
	if (d->abi != SS_MODULE_ABI) {
		rc = errf(err, errlen, -ENOEXEC,
			  "module '%s': ABI %u, server speaks %d", name, d->abi,
			  SS_MODULE_ABI);
		goto fail;
	}
	if (!d->name || strcmp(d->name, name)) {
		rc = errf(err, errlen, -EINVAL,
			  "module '%s': %s describes module '%s'", name,
			  mod->path, d->name ? d->name : "");
		goto fail;
	}
	if (!d->load) {
		rc = errf(err, errlen, -EINVAL,
			  "module '%s': its descriptor has no load function",
			  name);
		goto fail;
	}
	mod->desc = d;
	*out = mod;
	return 0;
fail:
	module_close(mod);
	return rc;
}

/* The core, not the module, withdraws what the module registered, so a
 * module cannot leave a dangling callback behind. */
static void release_all(struct ss_module *mod)
{
	ss_cli_release_owner(mod);
	ss_bus_release_owner(mod);
	ss_loops_purge_timers(mod);
	ss_service_release_owner(mod);
}

static int add_dep(struct ss_module *mod, struct ss_module *dep)
{
	struct ss_module **d;
	unsigned i;

	for (i = 0; i < mod->ndeps; i++)
		if (mod->deps[i] == dep)
			return 0;
	d = realloc(mod->deps, (mod->ndeps + 1) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	d[mod->ndeps++] = dep;
	mod->deps = d;
	return 0;
}

/* Remembers which loaded modules provide what mod uses: those are the
 * edges that later forbid unloading a provider under its user. */
static int record_deps(struct ss_module *mod, char *err, size_t errlen)
{
	const ss_module_desc_t *d = mod->desc;
	const char *const *s;
	int pass, rc;

	for (pass = 0; pass < 2; pass++) {
		for (s = pass ? d->optional : d->requires; s && *s; s++) {
			struct ss_module *p =
			    (struct ss_module *)ss_service_owner(*s);

			if (!pass && !ss_service_get(*s, 0))
				return errf(err, errlen, -ENOENT,
					    "module '%s' needs "
					    "service '%s', which no "
					    "loaded module provides",
					    d->name, *s);
			if (p && (rc = add_dep(mod, p)))
				return errf(err, errlen, rc, "out of memory");
		}
	}
	return 0;
}

static int check_provides(struct ss_module *mod, char *err, size_t errlen)
{
	const char *const *s;

	for (s = mod->desc->provides; s && *s; s++)
		if (ss_service_owner(*s) != mod)
			return errf(err, errlen, -EPROTO,
				    "module '%s' did not provide "
				    "service '%s' that it declares",
				    mod->desc->name, *s);
	return 0;
}

static int register_tables(struct ss_module *mod, char *err, size_t errlen)
{
	const ss_module_desc_t *d = mod->desc;
	int rc = 0;

	if (d->commands && (rc = ss_cli_register(mod, d->commands)))
		return errf(err, errlen, rc,
			    "module '%s': cannot register its "
			    "console commands: %s",
			    d->name, strerror(-rc));
	if (d->subscriptions &&
	    (rc = ss_bus_register_table(mod, d->subscriptions)))
		return errf(err, errlen, rc,
			    "module '%s': cannot subscribe to the "
			    "bus: %s",
			    d->name, strerror(-rc));
	return 0;
}

static void link_tail(struct ss_module *mod)
{
	struct ss_module **pp = &ss_modules.head;

	while (*pp)
		pp = &(*pp)->next;
	mod->next = NULL;
	*pp = mod;
}

static int module_start(struct ss_module *mod, ss_cfg_t *cfg, char *err,
			size_t errlen)
{
	const ss_module_desc_t *d = mod->desc;
	ss_load_result_t r;
	int rc;

	mod->cfg = cfg;
	rc = record_deps(mod, err, errlen);
	if (rc)
		goto fail;
	r = d->load(mod, cfg);
	if (r == SS_LOAD_DECLINE) {
		SS_LOG_NOTICE("module '%s' declined to load", d->name);
		release_all(mod);
		rc = 1;
		goto fail;
	}
	if (r != SS_LOAD_OK) {
		release_all(mod);
		rc = errf(err, errlen, -EIO, "module '%s' failed to load",
			  d->name);
		goto fail;
	}
	rc = check_provides(mod, err, errlen);
	if (!rc)
		rc = register_tables(mod, err, errlen);
	if (rc)
		goto stop;
	mod->load_order = ++ss_modules.next_order;
	link_tail(mod);
	SS_LOG_NOTICE("loaded module '%s' version %s (%s)", d->name,
		      d->version ? d->version : "?", mod->path);
	return 0;
stop:
	release_all(mod);
	if (d->unload)
		d->unload(mod);
fail:
	module_close(mod);
	return rc;
}

static void module_stop(struct ss_module *mod)
{
	const ss_module_desc_t *d = mod->desc;
	struct ss_module **pp;

	for (pp = &ss_modules.head; *pp; pp = &(*pp)->next) {
		if (*pp == mod) {
			*pp = mod->next;
			break;
		}
	}
	release_all(mod);
	if (d->unload)
		d->unload(mod);
	SS_LOG_NOTICE("unloaded module '%s' version %s", d->name,
		      d->version ? d->version : "?");
	module_close(mod);
}

static bool module_uses(const struct ss_module *user,
			const struct ss_module *provider)
{
	unsigned i;

	for (i = 0; i < user->ndeps; i++)
		if (user->deps[i] == provider)
			return true;
	return false;
}

/* Names of loaded modules that use mod, ", "-separated; 0 if none. */
static unsigned dependents(const struct ss_module *mod, char *buf, size_t size)
{
	const struct ss_module *m;
	unsigned n = 0;
	size_t len = 0;

	buf[0] = '\0';
	for (m = ss_modules.head; m; m = m->next) {
		if (!module_uses(m, mod))
			continue;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
						n ? ", " : "", m->desc->name);
		n++;
	}
	return n;
}

static struct ss_module *module_lookup(const char *name)
{
	struct ss_module *m;

	for (m = ss_modules.head; m; m = m->next)
		if (!strcmp(m->desc->name, name))
			return m;
	return NULL;
}

const ss_module_t *ss_module_find(const char *name)
{
	return module_lookup(name);
}

int ss_module_load_by_name(const char *name, char *err, size_t errlen)
{
	const ss_config_section_t *sect;
	struct ss_module *mod;
	ss_cfg_t *cfg;
	int rc;

	if (module_lookup(name))
		return errf(err, errlen, -EEXIST,
			    "module '%s' is already loaded", name);
	rc = module_open(name, &mod, err, errlen);
	if (rc)
		return rc;
	sect = ss_config_module_find(ss_modules.config, name);
	cfg = ss_cfg_build(sect, mod->desc->config, name, err, errlen);
	if (!cfg) {
		module_close(mod);
		return -EINVAL;
	}
	rc = module_start(mod, cfg, err, errlen);
	return rc > 0 ? 0 : rc;
}

int ss_module_unload_by_name(const char *name, char *err, size_t errlen)
{
	struct ss_module *mod = module_lookup(name);
	char users[256];

	if (!mod)
		return errf(err, errlen, -ENOENT, "module '%s' is not loaded",
			    name);
	if (dependents(mod, users, sizeof(users)))
		return errf(err, errlen, -EBUSY, "module '%s' is needed by %s",
			    name, users);
	module_stop(mod);
	return 0;
}

static int module_reload_cfg(struct ss_module *mod, ss_cfg_t *cfg, char *err,
			     size_t errlen)
{
	int rc = mod->desc->reload(mod, cfg);

	if (rc) {
		ss_cfg_free(cfg);
		return errf(err, errlen, rc < 0 ? rc : -EINVAL,
			    "module '%s' rejected its new settings "
			    "and keeps the old ones",
			    mod->desc->name);
	}
	ss_cfg_free(mod->cfg);
	mod->cfg = cfg;
	SS_LOG_NOTICE("reloaded module '%s' version %s", mod->desc->name,
		      mod->desc->version ? mod->desc->version : "?");
	return 0;
}

int ss_module_reload_by_name(const char *name, char *err, size_t errlen)
{
	struct ss_module *mod = module_lookup(name);
	const ss_config_section_t *sect;
	char users[256];
	ss_cfg_t *cfg;
	int rc;

	if (!mod)
		return errf(err, errlen, -ENOENT, "module '%s' is not loaded",
			    name);
	sect = ss_config_module_find(ss_modules.config, name);
	cfg = ss_cfg_build(sect, mod->desc->config, name, err, errlen);
	if (!cfg)
		return -EINVAL;
	if (mod->desc->reload)
		return module_reload_cfg(mod, cfg, err, errlen);
	if (dependents(mod, users, sizeof(users))) {
		ss_cfg_free(cfg);
		return errf(err, errlen, -EBUSY,
			    "module '%s' can only reload by "
			    "unloading and is needed by %s",
			    name, users);
	}
	module_stop(mod);
	rc = module_open(name, &mod, err, errlen);
	if (rc) {
		ss_cfg_free(cfg);
		return rc;
	}
	rc = module_start(mod, cfg, err, errlen);
	return rc > 0 ? 0 : rc;
}

void ss_modules_unload_all(void)
{
	struct ss_module *m, *last;

	/* The last loaded is never a provider of an earlier one: providers
	 * are always loaded before their users. */
	while (ss_modules.head) {
		for (last = m = ss_modules.head; m; m = m->next)
			last = m;
		module_stop(last);
	}
}

void ss_module_foreach(void (*fn)(const ss_module_info_t *info, void *arg),
		       void *arg)
{
	const struct ss_module *m;
	ss_module_info_t info;

	for (m = ss_modules.head; m; m = m->next) {
		memset(&info, 0, sizeof(info));
		info.name = m->desc->name;
		info.version = m->desc->version;
		info.description = m->desc->description;
		info.path = m->path;
		info.provides = m->desc->provides;
		info.requires = m->desc->requires;
		info.load_order = m->load_order;
		dependents(m, info.dependents, sizeof(info.dependents));
		fn(&info, arg);
	}
}

static int add_name(char ***names, size_t *n, const char *name, size_t len)
{
	char **v;
	char *s;

	s = strndup(name, len);
	if (!s)
		return -ENOMEM;
	if (!name_valid(s)) {
		free(s);
		return 0;
	}
	v = realloc(*names, (*n + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return -ENOMEM;
	}
	v[(*n)++] = s;
	*names = v;
	return 0;
}

static void scan_dir(const char *dir, size_t dlen, char ***names, size_t *n)
{
	char path[4096], base[4096];
	const struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%.*s", (int)dlen, dir);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len > 3 && (!strcmp(e->d_name + len - 3, ".la") ||
				!strcmp(e->d_name + len - 3, ".so"))) {
			if (add_name(names, n, e->d_name, len - 3))
				break;
			continue;
		}
		if ((size_t)snprintf(base, sizeof(base), "%s/%s/%s", path,
				     e->d_name, e->d_name) >= sizeof(base))
			continue;
		if (e->d_name[0] != '.' && candidate_exists(base) &&
		    add_name(names, n, e->d_name, len))
			break;
	}
	closedir(d);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void ss_module_foreach_available(void (*fn)(const char *name, void *arg),
				 void *arg)
{
	const char *dir = ss_modules.search_path, *end;
	char **names = NULL;
	size_t n = 0, i;

	for (; dir && *dir; dir = *end ? end + 1 : end) {
		end = strchr(dir, ':');
		if (!end)
			end = dir + strlen(dir);
		if (end > dir)
			scan_dir(dir, (size_t)(end - dir), &names, &n);
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++)
		if (!i || strcmp(names[i], names[i - 1]))
			fn(names[i], arg);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * ss_modules_apply works in two phases. The plan phase changes nothing: it
 * parses a private copy of the new config, opens the descriptors of new
 * modules, builds every changed section against its module's table, checks
 * that each required service has exactly one configured provider, sorts
 * the modules so providers come first (depth-first in file order, which
 * also finds cycles), and marks for restart every kept module that uses a
 * module about to go away. Only a complete plan reaches the run phase:
 * unload in reverse load order, then reload or load in sorted order. What
 * no plan can foresee is a load() or reload() failing there: the rest of
 * the plan still runs, the new config is in force, and the first such
 * failure is returned.
 */
enum plan_action { PLAN_KEEP, PLAN_RELOAD, PLAN_RESTART, PLAN_LOAD };

struct plan_item {
	const char *name;
	const ss_config_section_t *sect; /* in plan.config */
	const ss_module_desc_t *desc;
	struct ss_module *loaded; /* the loaded module of that name */
	struct ss_module *opened; /* PLAN_LOAD: opened, not started */
	ss_cfg_t *cfg;		  /* all but PLAN_KEEP */
	enum plan_action action;
	unsigned char mark; /* sort: 0 new, 1 on the path, 2 done */
};

struct plan {
	ss_config_t *config;
	struct plan_item *items;
	unsigned n;
	unsigned *order; /* item indices, providers first */
	unsigned norder;
	unsigned *path; /* sort: the current depth-first path */
};

static bool lists(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

static int plan_provider(const struct plan *p, const char *service)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (lists(p->items[i].desc->provides, service))
			return (int)i;
	return -1;
}

static int plan_item_init(struct plan_item *it, const ss_config_t *old,
			  char *err, size_t errlen)
{
	it->loaded = module_lookup(it->name);
	if (it->loaded) {
		const ss_config_section_t *prev =
		    ss_config_module_find(old, it->name);

		it->desc = it->loaded->desc;
		if (prev && ss_config_section_equal(prev, it->sect))
			return 0;
		it->action = it->desc->reload ? PLAN_RELOAD : PLAN_RESTART;
	} else {
		int rc = module_open(it->name, &it->opened, err, errlen);

		if (rc)
			return rc;
		it->desc = it->opened->desc;
		it->action = PLAN_LOAD;
	}
	it->cfg =
	    ss_cfg_build(it->sect, it->desc->config, it->name, err, errlen);
	return it->cfg ? 0 : -EINVAL;
}

static int plan_check_services(const struct plan *p, char *err, size_t errlen)
{
	const char *const *s;
	unsigned i;
	int j;

	for (i = 0; i < p->n; i++) {
		const ss_module_desc_t *d = p->items[i].desc;

		for (s = d->provides; s && *s; s++) {
			j = plan_provider(p, *s);
			if (j >= 0 && (unsigned)j != i)
				return errf(err, errlen, -EINVAL,
					    "service '%s' is provided by both "
					    "'%s' and '%s'",
					    *s, p->items[j].name, d->name);
		}
		for (s = d->requires; s && *s; s++) {
			/* A service the core itself provides needs no
			 * module. */
			if (plan_provider(p, *s) >= 0 ||
			    (ss_service_get(*s, 0) && !ss_service_owner(*s)))
				continue;
			return errf(err, errlen, -ENOENT,
				    "module '%s' needs service '%s', which no "
				    "configured module provides",
				    d->name, *s);
		}
	}
	return 0;
}

static int plan_cycle(const struct plan *p, unsigned depth, unsigned i,
		      char *err, size_t errlen)
{
	char chain[512];
	size_t len = 0;
	unsigned k = 0;

	while (k < depth && p->path[k] != i)
		k++;
	chain[0] = '\0';
	for (; k < depth && len < sizeof(chain); k++)
		len += (size_t)snprintf(chain + len, sizeof(chain) - len,
					"%s -> ", p->items[p->path[k]].name);
	return errf(err, errlen, -ELOOP,
		    "modules require each other's services in a cycle: %s%s",
		    chain, p->items[i].name);
}

static int plan_visit(struct plan *p, unsigned i, unsigned depth, char *err,
		      size_t errlen)
{
	struct plan_item *it = &p->items[i];
	const char *const *s;
	int pass, j, rc;

	if (it->mark == 2)
		return 0;
	if (it->mark == 1)
		return plan_cycle(p, depth, i, err, errlen);
	it->mark = 1;
	p->path[depth] = i;
	/* Optional services count as edges when configured: their provider
	 * must be up first for the user to find it. */
	for (pass = 0; pass < 2; pass++) {
		for (s = pass ? it->desc->optional : it->desc->requires;
		     s && *s; s++) {
			j = plan_provider(p, *s);
			if (j < 0 || (unsigned)j == i)
				continue;
			rc = plan_visit(p, (unsigned)j, depth + 1, err, errlen);
			if (rc)
				return rc;
		}
	}
	it->mark = 2;
	p->order[p->norder++] = i;
	return 0;
}

static struct plan_item *plan_item_of(const struct plan *p,
				      const struct ss_module *mod)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (p->items[i].loaded == mod)
			return &p->items[i];
	return NULL;
}

/* Unloaded in the run phase: removed from the config, or restarted. */
static bool plan_stops(const struct plan *p, const struct ss_module *mod)
{
	const struct plan_item *it = plan_item_of(p, mod);

	return !it || it->action == PLAN_RESTART;
}

/* A kept module whose provider goes away must go away first and come back
 * after it: restart it too, until nothing more changes. */
static int plan_cascade(struct plan *p, char *err, size_t errlen)
{
	bool again = true;
	unsigned i, k;

	while (again) {
		again = false;
		for (i = 0; i < p->n; i++) {
			struct plan_item *it = &p->items[i];

			if (!it->loaded || it->action == PLAN_RESTART)
				continue;
			for (k = 0; k < it->loaded->ndeps; k++)
				if (plan_stops(p, it->loaded->deps[k]))
					break;
			if (k == it->loaded->ndeps)
				continue;
			if (!it->cfg)
				it->cfg =
				    ss_cfg_build(it->sect, it->desc->config,
						 it->name, err, errlen);
			if (!it->cfg)
				return -EINVAL;
			it->action = PLAN_RESTART;
			again = true;
		}
	}
	return 0;
}

static int plan_build(struct plan *p, const ss_config_t *cfg, char *err,
		      size_t errlen)
{
	unsigned i;
	int rc;

	rc = config_copy(cfg, &p->config, err, errlen);
	if (rc || !p->config)
		return rc ? rc : errf(err, errlen, -EINVAL, "no config");
	p->n = ss_config_module_count(p->config);
	p->items = calloc(p->n + 1, sizeof(*p->items));
	p->order = calloc(p->n + 1, sizeof(*p->order));
	p->path = calloc(p->n + 1, sizeof(*p->path));
	if (!p->items || !p->order || !p->path)
		return errf(err, errlen, -ENOMEM, "out of memory");
	for (i = 0; i < p->n; i++) {
		p->items[i].sect = ss_config_module_at(p->config, i);
		p->items[i].name = ss_config_section_name(p->items[i].sect);
		rc = plan_item_init(&p->items[i], ss_modules.config, err,
				    errlen);
		if (rc)
			return rc;
	}
	rc = plan_check_services(p, err, errlen);
	for (i = 0; !rc && i < p->n; i++)
		rc = plan_visit(p, i, 0, err, errlen);
	if (!rc)
		rc = plan_cascade(p, err, errlen);
	return rc;
}

static void plan_free(struct plan *p)
{
	unsigned i;

	for (i = 0; p->items && i < p->n; i++) {
		module_close(p->items[i].opened);
		ss_cfg_free(p->items[i].cfg);
	}
	free(p->items);
	free(p->order);
	free(p->path);
	ss_config_free(p->config);
}

static int plan_step(struct plan_item *it, char *err, size_t errlen)
{
	ss_cfg_t *cfg = it->cfg;
	struct ss_module *mod = it->opened;
	int rc;

	it->cfg = NULL;
	it->opened = NULL;
	switch (it->action) {
	case PLAN_KEEP:
		return 0;
	case PLAN_RELOAD:
		return module_reload_cfg(it->loaded, cfg, err, errlen);
	case PLAN_RESTART:
		rc = module_open(it->name, &mod, err, errlen);
		if (rc) {
			ss_cfg_free(cfg);
			return rc;
		}
		break;
	case PLAN_LOAD:
		break;
	}
	rc = module_start(mod, cfg, err, errlen);
	return rc > 0 ? 0 : rc;
}

static int plan_run(struct plan *p, char *err, size_t errlen)
{
	char msg[512];
	unsigned k;
	int rc = 0;

	for (;;) {
		struct ss_module *m, *victim = NULL;
		struct plan_item *it;

		for (m = ss_modules.head; m; m = m->next)
			if (plan_stops(p, m))
				victim = m;
		if (!victim)
			break;
		it = plan_item_of(p, victim);
		if (it)
			it->loaded = NULL;
		module_stop(victim);
	}
	ss_config_free(ss_modules.config);
	ss_modules.config = p->config;
	p->config = NULL;
	for (k = 0; k < p->norder; k++) {
		int r = plan_step(&p->items[p->order[k]], msg, sizeof(msg));
		if (!r)
			continue;
		SS_LOG_ERR("%s", msg);
		if (!rc) {
			rc = r;
			errf(err, errlen, r, "%s", msg);
		}
	}
	return rc;
}

int ss_modules_apply(const ss_config_t *cfg, char *err, size_t errlen)
{
	struct plan p = {0};
	int rc;

	rc = plan_build(&p, cfg, err, errlen);
	if (!rc)
		rc = plan_run(&p, err, errlen);
	plan_free(&p);
	return rc;
}
