/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Console commands of digest_auth: user management (`auth user add|passwd|
 * remove|list`, with completion of existing users) and `auth show stats`.
 * They run on the control loop, the only writer of the user store.
 */
#include "auth_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sipserver/cli.h>

/*
 * Splits "USER@DOMAIN" at its last '@' into user and realm. Without a
 * configured realm, challenges use the domain in lower case, so the realm
 * is lowered the same way; with one, DOMAIN must be that realm verbatim.
 */
static int split_aor(const char *aor, char *user, char *realm)
{
	const auth_conf_t *conf = auth_g.conf;
	const char *at = strrchr(aor, '@');
	size_t ulen;

	if (!at || at == aor || !at[1])
		return -EINVAL;
	ulen = (size_t)(at - aor);
	if (ulen >= SS_AUTH_NAME_MAX || strlen(at + 1) >= SS_AUTH_NAME_MAX)
		return -EINVAL;
	memcpy(user, aor, ulen);
	user[ulen] = '\0';
	strcpy(realm, at + 1);
	if (!conf->realm[0])
		for (char *p = realm; *p; p++)
			*p = (char)ss_ascii_lower((unsigned char)*p);
	return 0;
}

static ss_cli_status_t report(ss_cli_t *cli, int rc, const char *aor,
			      const char *done)
{
	switch (rc) {
	case 0:
		ss_cli_printf(cli, "%s %s\n", aor, done);
		return SS_CLI_OK;
	case -EEXIST:
		ss_cli_printf(cli, "%s already exists\n", aor);
		break;
	case -ENOENT:
		ss_cli_printf(cli, "%s: no such user\n", aor);
		break;
	case -EINVAL:
		ss_cli_printf(cli, "%s: invalid user, domain or password\n",
			      aor);
		break;
	default:
		ss_cli_printf(cli, "%s: %s\n", aor, strerror(-rc));
		break;
	}
	return SS_CLI_FAIL;
}

static ss_cli_status_t set_user(ss_cli_t *cli, int argc,
				const char *const *argv, bool create)
{
	char user[SS_AUTH_NAME_MAX], realm[SS_AUTH_NAME_MAX];
	int rc;

	if (argc != 2 || split_aor(argv[0], user, realm))
		return SS_CLI_USAGE;
	rc = create ? auth_users_add(auth_g.users, user, realm, argv[1])
		    : auth_users_passwd(auth_g.users, user, realm, argv[1]);
	if (rc == 0 && auth_g.conf->realm[0] &&
	    strcmp(realm, auth_g.conf->realm) != 0)
		ss_cli_printf(cli, "note: challenges use realm %s\n",
			      auth_g.conf->realm);
	return report(cli, rc, argv[0], create ? "added" : "password changed");
}

static ss_cli_status_t cmd_add(ss_cli_t *cli, int argc, const char *const *argv)
{
	return set_user(cli, argc, argv, true);
}

static ss_cli_status_t cmd_passwd(ss_cli_t *cli, int argc,
				  const char *const *argv)
{
	return set_user(cli, argc, argv, false);
}

/* Reads "USER@DOMAIN PASSWORD" lines (blank lines and # comments skipped)
 * and adds them in one database transaction: provisioning thousands of
 * users costs one sync instead of one per user. Existing users are
 * reported and skipped. */
static ss_cli_status_t cmd_import(ss_cli_t *cli, int argc,
				  const char *const *argv)
{
	char line[512], aor[256], pw[256], user[SS_AUTH_NAME_MAX],
	    realm[SS_AUTH_NAME_MAX];
	unsigned added = 0, skipped = 0, lineno = 0;
	FILE *f;

	if (argc != 1)
		return SS_CLI_USAGE;
	f = fopen(argv[0], "r");
	if (!f) {
		ss_cli_printf(cli, "%s: %s\n", argv[0], strerror(errno));
		return SS_CLI_FAIL;
	}
	if (auth_users_batch(auth_g.users, true, false)) {
		fclose(f);
		return SS_CLI_FAIL;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (sscanf(line, "%255s %255s", aor, pw) != 2 || aor[0] == '#')
			continue;
		if (split_aor(aor, user, realm) ||
		    auth_users_add(auth_g.users, user, realm, pw)) {
			ss_cli_printf(cli, "%s:%u: %s skipped\n", argv[0],
				      lineno, aor);
			skipped++;
			continue;
		}
		added++;
	}
	fclose(f);
	if (auth_users_batch(auth_g.users, false, added > 0))
		return SS_CLI_FAIL;
	ss_cli_printf(cli, "%u users added, %u skipped\n", added, skipped);
	return skipped ? SS_CLI_FAIL : SS_CLI_OK;
}

static ss_cli_status_t cmd_remove(ss_cli_t *cli, int argc,
				  const char *const *argv)
{
	char user[SS_AUTH_NAME_MAX], realm[SS_AUTH_NAME_MAX];

	if (argc != 1 || split_aor(argv[0], user, realm))
		return SS_CLI_USAGE;
	return report(cli, auth_users_remove(auth_g.users, user, realm),
		      argv[0], "removed");
}

typedef struct list_ctx {
	ss_cli_t *cli;
	const char *domain; /* NULL: all */
	const char *prefix; /* completion: NULL when listing */
	unsigned n;
} list_ctx_t;

static void list_one(const char *user, const char *realm, void *arg)
{
	list_ctx_t *l = arg;
	char aor[2 * SS_AUTH_NAME_MAX];

	if (l->domain && strcasecmp(l->domain, realm) != 0)
		return;
	snprintf(aor, sizeof(aor), "%s@%s", user, realm);
	if (l->prefix) {
		if (strncmp(aor, l->prefix, strlen(l->prefix)) == 0)
			ss_cli_add_completion(l->cli, aor);
		return;
	}
	ss_cli_printf(l->cli, "%s\n", aor);
	l->n++;
}

static ss_cli_status_t cmd_list(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	list_ctx_t l = {.cli = cli, .domain = argc ? argv[0] : NULL};

	if (argc > 1)
		return SS_CLI_USAGE;
	if (auth_users_foreach(auth_g.users, list_one, &l)) {
		ss_cli_printf(cli, "cannot read %s\n",
			      auth_users_path(auth_g.users));
		return SS_CLI_FAIL;
	}
	ss_cli_printf(cli, "%u user%s\n", l.n, l.n == 1 ? "" : "s");
	return SS_CLI_OK;
}

static void complete_user(ss_cli_t *cli, int argi, const char *const *argv,
			  const char *prefix)
{
	list_ctx_t l = {.cli = cli, .prefix = prefix};

	(void)argv;
	if (argi == 0)
		auth_users_foreach(auth_g.users, list_one, &l);
}

static ss_cli_status_t cmd_stats(ss_cli_t *cli, int argc,
				 const char *const *argv)
{
	static auth_source_t src[AUTH_SOURCES]; /* control loop only */
	auth_stats_t *st = &auth_g.stats;
	uint64_t now = auth_g.now_s();
	unsigned n;

	(void)argv;
	if (argc)
		return SS_CLI_USAGE;
	ss_cli_printf(cli,
		      "challenges %llu, accepted %llu, failed %llu, stale %llu,"
		      " replays %llu, without credentials %llu\n",
		      (unsigned long long)AUTH_GET(st->challenges),
		      (unsigned long long)AUTH_GET(st->ok),
		      (unsigned long long)AUTH_GET(st->failed),
		      (unsigned long long)AUTH_GET(st->stale),
		      (unsigned long long)AUTH_GET(st->replays),
		      (unsigned long long)AUTH_GET(st->no_credentials));
	ss_cli_printf(cli, "users %u; nonces tracked %u of %u\n",
		      auth_users_count(auth_g.users),
		      auth_nc_live(auth_g.nc, now), auth_nc_slots(auth_g.nc));
	n = auth_stats_sources(st, src);
	if (n)
		ss_cli_printf(cli, "%-40s %10s %8s  %s\n", "failing source",
			      "failures", "last", "last user");
	for (unsigned i = 0; i < n && i < 20; i++) {
		char host[64];

		ss_cli_printf(cli, "%-40s %10llu %7llus  %s\n",
			      auth_addr_str(&src[i].addr, host, sizeof(host)),
			      (unsigned long long)src[i].failures,
			      (unsigned long long)(now > src[i].last_s
						       ? now - src[i].last_s
						       : 0),
			      src[i].last_user);
	}
	return SS_CLI_OK;
}

const ss_cli_cmd_t auth_cli_commands[] = {
    {"auth user add", "USER@DOMAIN PASSWORD",
     "add a user (stores HA1 values only)", cmd_add, NULL},
    {"auth user import", "FILE",
     "add the users of a file of USER@DOMAIN PASSWORD lines at once",
     cmd_import, NULL},
    {"auth user passwd", "USER@DOMAIN PASSWORD", "change a password",
     cmd_passwd, complete_user},
    {"auth user remove", "USER@DOMAIN", "remove a user", cmd_remove,
     complete_user},
    {"auth user list", "[DOMAIN]", "list users", cmd_list, NULL},
    {"auth show stats", "", "challenges, outcomes and the sources failing most",
     cmd_stats, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};
