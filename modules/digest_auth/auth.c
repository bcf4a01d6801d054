/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The digest_auth module: its descriptor, configuration elements, the
 * load/reload/unload life cycle and the `auth` service vtable.
 */
#include "auth_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sipserver/config.h>
#include <sipserver/log.h>
#include <sipserver/loop.h>
#include <sipserver/module.h>
#include <sipserver/service.h>
#include <sipserver/sip/parser.h>
#include <sipserver/sip/transaction.h>
#include <sipserver/sip/transport.h>

auth_svc_t auth_g;

static const ss_cfg_attr_t require_attrs[] = {
    {"methods", SS_CFG_STR, "", 0, 0, 0,
     "Methods to challenge, comma-separated; empty or * for all. ACK and "
     "CANCEL are never challenged."},
    {"domains", SS_CFG_STR, "", 0, 0, 0,
     "Domains of the identity (To host for REGISTER, From host "
     "otherwise), comma-separated, *.example.com for subdomains; empty "
     "or * for any."},
    {"in-dialog", SS_CFG_BOOL, "no", 0, 0, 0,
     "Also challenge requests inside a dialog (To has a tag)."},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

static const ss_cfg_attr_t nonce_attrs[] = {
    {"expires", SS_CFG_INT, "300", 10, 86400, 0,
     "Seconds a nonce stays valid; later uses get stale=true."},
    {"secret", SS_CFG_STR, "", 0, 0, 0,
     "Key nonces are signed with, shared by instances that must accept "
     "each other's nonces; empty: random per process."},
    {"track", SS_CFG_INT, "65536", 1024, 16777216, 0,
     "Nonces whose nonce-count is remembered for replay detection."},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

static const ss_cfg_attr_t database_attrs[] = {
    {"path", SS_CFG_STR, "auth.db", 0, 0, 0,
     "SQLite file of the users (HA1 values only), relative to the state "
     "directory."},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

static const ss_cfg_attr_t identity_attrs[] = {
    {"check", SS_CFG_BOOL, "yes", 0, 0, 0,
     "Refuse (403) a request whose authenticated user is not the user of "
     "its To (REGISTER) or From (others) URI."},
    {NULL, 0, NULL, 0, 0, 0, NULL},
};

static const ss_cfg_attr_t algorithms_attrs[] = {
    {"offer", SS_CFG_STR, "SHA-256,MD5", 0, 0, 0,
     "Algorithms offered in each challenge, in this order (RFC 8760: "
     "SHA-256 first). Clients that answer only the first challenge (sipp) "
     "or give up on any non-MD5 one (libre/baresip 1.x) need MD5 alone."},
    {0},
};

static const ss_cfg_elem_t auth_config[] = {
    {"algorithms", 0, algorithms_attrs, "Digest algorithms to offer."},
    {"realm", SS_CFG_TEXT, NULL,
     "Realm of every challenge; empty: the identity's domain."},
    {"require", SS_CFG_MULTI, require_attrs,
     "Which requests need credentials; none: every request outside a "
     "dialog."},
    {"nonce", 0, nonce_attrs, "Nonce lifetime, signing key, replay table."},
    {"database", 0, database_attrs, "Where users are stored."},
    {"identity", 0, identity_attrs, "Authorization of the identity."},
    {NULL, 0, NULL, NULL},
};

static uint64_t wall_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint64_t)ts.tv_sec;
}

/* Keeps the old key when the secret did not change (or stays random), so
 * that a reload does not invalidate every outstanding nonce. */
static int conf_key(auth_conf_t *c, const char *secret, const auth_conf_t *old)
{
	auth_key_t k;
	int rc;

	c->key_from_secret = *secret != '\0';
	if (old && !c->key_from_secret && !old->key_from_secret) {
		c->key = old->key;
		return 0;
	}
	rc = auth_key_init(&k, secret);
	if (rc)
		return rc;
	if (old && c->key_from_secret && old->key_from_secret &&
	    memcmp(k.bytes, old->key.bytes, AUTH_KEY_LEN) == 0)
		k = old->key;
	c->key = k;
	return 0;
}

/* Parses "SHA-256,MD5" (any order, either alone) into c->algos. */
static int conf_algorithms(auth_conf_t *c, const char *list)
{
	static const char *const known[] = {"SHA-256", "MD5"};
	const char *p = list;

	c->nalgos = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		unsigned k;

		for (k = 0; k < 2; k++)
			if (strlen(known[k]) == n &&
			    strncasecmp(p, known[k], n) == 0)
				break;
		if (k == 2 || c->nalgos == 2 ||
		    (c->nalgos == 1 && c->algos[0] == known[k]))
			return -EINVAL;
		c->algos[c->nalgos++] = known[k];
		p += n;
		if (*p == ',')
			p++;
	}
	return c->nalgos ? 0 : -EINVAL;
}

static auth_conf_t *conf_build(const ss_cfg_t *cfg, const auth_conf_t *old)
{
	auth_conf_t *c = calloc(1, sizeof(*c));
	const ss_cfg_node_t *n;
	const char *realm;

	if (!c) {
		SS_LOG_ERR("out of memory");
		return NULL;
	}
	realm = ss_cfg_text(ss_cfg_first(cfg, "realm"));
	if (strlen(realm) >= sizeof(c->realm)) {
		SS_LOG_ERR("%s: realm: longer than %zu bytes",
			   ss_cfg_where(ss_cfg_first(cfg, "realm")),
			   sizeof(c->realm) - 1);
		goto fail;
	}
	snprintf(c->realm, sizeof(c->realm), "%s", realm);
	for (n = ss_cfg_first(cfg, "require"); n; n = ss_cfg_next(n)) {
		if (c->nrules == AUTH_MAX_RULES ||
		    auth_rule_parse(&c->rules[c->nrules],
				    ss_cfg_str(n, "methods"),
				    ss_cfg_str(n, "domains"),
				    ss_cfg_bool(n, "in-dialog"))) {
			SS_LOG_ERR("%s: require: too many rules or items",
				   ss_cfg_where(n));
			goto fail;
		}
		c->nrules++;
	}
	n = ss_cfg_first(cfg, "nonce");
	c->nonce_expires = (unsigned)ss_cfg_int(n, "expires");
	c->nc_slots = (unsigned)ss_cfg_int(n, "track");
	if (conf_key(c, ss_cfg_str(n, "secret"), old)) {
		SS_LOG_ERR("cannot make the nonce key");
		goto fail;
	}
	c->check_identity = ss_cfg_bool(ss_cfg_first(cfg, "identity"), "check");
	n = ss_cfg_first(cfg, "algorithms");
	if (conf_algorithms(c, ss_cfg_str(n, "offer"))) {
		SS_LOG_ERR("%s: algorithms: offer must list SHA-256 and/or MD5 "
			   "once each, comma-separated",
			   ss_cfg_where(n));
		goto fail;
	}
	return c;
fail:
	free(c);
	return NULL;
}

static auth_users_t *users_open(const ss_cfg_t *cfg)
{
	const ss_cfg_node_t *n = ss_cfg_first(cfg, "database");
	char path[PATH_MAX], err[PATH_MAX + 128];
	auth_users_t *u;

	if (!ss_cfg_path(ss_cfg_str(n, "path"), path, sizeof(path))) {
		SS_LOG_ERR("%s: database: path too long", ss_cfg_where(n));
		return NULL;
	}
	u = auth_users_open(path, err, sizeof(err));
	if (!u)
		SS_LOG_ERR("%s: database: %s", ss_cfg_where(n), err);
	return u;
}

static bool api_required(ss_str_t method, ss_str_t domain, bool in_dialog,
			 char *realm, size_t realm_size)
{
	return auth_required(&auth_g, method, domain, in_dialog, realm,
			     realm_size);
}

static ss_auth_result_t api_verify(const ss_auth_request_t *req,
				   ss_auth_identity_t *who)
{
	return auth_verify(&auth_g, req, who);
}

static int api_challenge(ss_str_t realm, bool stale, bool proxy, char *buf,
			 size_t size)
{
	return auth_challenge(&auth_g, realm, stale, proxy, buf, size);
}

static const ss_auth_api_t auth_api = {
    .version = SS_AUTH_API_VERSION,
    .required = api_required,
    .verify = api_verify,
    .challenge = api_challenge,
    .identity = auth_pipeline_identity,
};

static void release_all(void)
{
	auth_users_close(auth_g.users);
	auth_nc_free(auth_g.nc);
	free((void *)auth_g.conf);
	auth_stats_destroy(&auth_g.stats);
	auth_crypto_fini();
	memset(&auth_g, 0, sizeof(auth_g));
}

static ss_load_result_t auth_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	const ss_sip_parser_api_t *parser =
	    ss_service_get("parser", SS_SIP_PARSER_API_VERSION);
	const ss_sip_transport_api_t *transport =
	    ss_service_get("transport", SS_SIP_TRANSPORT_API_VERSION);
	auth_conf_t *conf;

	if (!parser || !transport) {
		SS_LOG_ERR("needs the %s service",
			   parser ? "transport" : "parser");
		return SS_LOAD_FAIL;
	}
	auth_pipeline_bind(parser, transport,
			   ss_service_get(SS_TXN_SERVICE, SS_TXN_API_VERSION));
	if (auth_crypto_init())
		return SS_LOAD_FAIL;
	auth_stats_init(&auth_g.stats);
	auth_g.now_s = wall_now_s;
	conf = conf_build(cfg, NULL);
	auth_g.conf = conf;
	if (!conf)
		goto fail;
	auth_g.nc = auth_nc_new(conf->nc_slots);
	if (!auth_g.nc) {
		SS_LOG_ERR("out of memory for the nonce table");
		goto fail;
	}
	auth_g.users = users_open(cfg);
	if (!auth_g.users)
		goto fail;
	if (ss_service_provide(self, SS_AUTH_SERVICE, SS_AUTH_API_VERSION,
			       &auth_api)) {
		SS_LOG_ERR("another module already provides \"auth\"");
		goto fail;
	}
	SS_LOG_INFO("%u users from %s, realm %s, nonces valid %us",
		    auth_users_count(auth_g.users),
		    auth_users_path(auth_g.users),
		    conf->realm[0] ? conf->realm : "from the request",
		    conf->nonce_expires);
	return SS_LOAD_OK;
fail:
	release_all();
	return SS_LOAD_FAIL;
}

static void quiescent(void *arg)
{
	(void)arg;
}

/*
 * Builds everything the new section asks for first, so that a bad section
 * leaves the old settings in force; then publishes the new pointers, waits
 * until every worker has finished the event it was handling (after which
 * none can still hold an old pointer) and frees the old objects.
 */
static int auth_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	const auth_conf_t *old = auth_g.conf;
	auth_users_t *users = NULL, *old_users = auth_g.users;
	auth_nc_t *nc = NULL, *old_nc = auth_g.nc;
	auth_conf_t *conf;
	char path[PATH_MAX];

	(void)self;
	conf = conf_build(cfg, old);
	if (!conf)
		return -EINVAL;
	if (conf->nc_slots != old->nc_slots) {
		nc = auth_nc_new(conf->nc_slots);
		if (!nc)
			goto fail;
	}
	if (!ss_cfg_path(ss_cfg_str(ss_cfg_first(cfg, "database"), "path"),
			 path, sizeof(path)) ||
	    strcmp(path, auth_users_path(old_users)) != 0) {
		users = users_open(cfg);
		if (!users)
			goto fail;
	}
	__atomic_store_n(&auth_g.conf, conf, __ATOMIC_RELEASE);
	if (nc)
		__atomic_store_n(&auth_g.nc, nc, __ATOMIC_RELEASE);
	if (users)
		__atomic_store_n(&auth_g.users, users, __ATOMIC_RELEASE);
	ss_loop_run_on_workers(quiescent, NULL);
	free((void *)old);
	if (nc)
		auth_nc_free(old_nc);
	if (users)
		auth_users_close(old_users);
	return 0;
fail:
	auth_nc_free(nc);
	free(conf);
	return -EINVAL;
}

static void auth_unload(ss_module_t *self)
{
	(void)self;
	release_all();
}

static const ss_bus_sub_t auth_subscriptions[] = {
    {"sip.request.in", SS_AUTH_BUS_PRIORITY, auth_on_request, NULL},
    {NULL, 0, NULL, NULL},
};

_Static_assert(SS_AUTH_BUS_PRIORITY == SS_SIP_PRIO_AUTH,
	       "digest_auth's place in the request pipeline");

static const char *const auth_requires[] = {"parser", "transport", NULL};
/* With a transaction layer, challenges go through the request's server
 * transaction; the loader then keeps it loaded while we are. */
static const char *const auth_optional[] = {SS_TXN_SERVICE, NULL};
static const char *const auth_provides[] = {SS_AUTH_SERVICE, NULL};

SS_MODULE(digest_auth) = {
    .abi = SS_MODULE_ABI,
    .name = "digest_auth",
    .version = "1.0",
    .description = "RFC 7616 digest authentication (MD5, SHA-256), "
		   "401/407 challenges, users as HA1 in SQLite",
    .requires = auth_requires,
    .optional = auth_optional,
    .provides = auth_provides,
    .load = auth_load,
    .reload = auth_reload,
    .unload = auth_unload,
    .commands = auth_cli_commands,
    .subscriptions = auth_subscriptions,
    .config = auth_config,
};
