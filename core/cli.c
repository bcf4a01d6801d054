/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console command tree: registration of modules' command tables, the
 * shell-like tokenizer, dispatch to the longest matching command and
 * completion of command words and live arguments.
 */
#include "cli_core.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * One word of the tree. The root has no word; a node has a command when its
 * path of words is a command's full name, and it may have children as well
 * ("core show" could be a command while "core show uptime" is another).
 * Children are kept sorted so that completion and help come out in order
 * without sorting on every request.
 */
typedef struct cli_node {
	char *word;
	struct cli_node *parent;
	struct cli_node **kids;
	unsigned nkids, capkids;
	const ss_cli_cmd_t *cmd;
	const struct ss_module *owner;
} cli_node_t;

#define CLI_OUT_SIZE 4096

struct ss_cli {
	ss_cli_sink_t sink;
	size_t outlen;
	/* Completion candidates, collected so they can be filtered, sorted
	 * and deduplicated before the sink sees them; prefix is non-NULL only
	 * while a completion runs. */
	const char *prefix;
	char **cands;
	size_t ncands, capcands;
	char out[CLI_OUT_SIZE];
};

/* The tree is owned by the control loop: registration, release, dispatch and
 * completion all run there, so no lock guards it. */
static cli_node_t root;
/* Bumped whenever commands are released, so that a dispatch can tell that
 * its command table may be gone (a handler that unloaded its own module). */
static unsigned long tree_gen;

/* --- tokenizer ---------------------------------------------------------- */

typedef struct cli_tokens {
	char *buf;   /* the words, each NUL-terminated */
	char **argv; /* argc words, then NULL */
	int argc;
	bool partial; /* the line ends inside its last word */
	const char *error;
} cli_tokens_t;

/* Copies one word starting at *pp into *op, resolving quotes and escapes:
 * '...' is literal, "..." honours \" and \\, a bare backslash escapes any
 * character. Returns false when the line ends inside a quote or after a
 * lone backslash (the word is then complete as far as it goes). */
static bool copy_word(const char **pp, char **op, const char **error)
{
	const char *p = *pp;
	char *o = *op;
	bool ok = true;

	while (*p && !isspace((unsigned char)*p)) {
		char q = *p;

		if (q == '\'' || q == '"') {
			p++;
			while (*p && *p != q) {
				if (q == '"' && *p == '\\' &&
				    (p[1] == '"' || p[1] == '\\'))
					p++;
				*o++ = *p++;
			}
			if (!*p) {
				*error = "Unterminated quote";
				ok = false;
				break;
			}
			p++;
		} else if (q == '\\') {
			if (!p[1]) {
				*error = "Trailing backslash";
				ok = false;
				p++;
				break;
			}
			p++;
			*o++ = *p++;
		} else {
			*o++ = *p++;
		}
	}
	*o++ = '\0';
	*pp = p;
	*op = o;
	return ok;
}

/* Splits line into words. Strict mode (execution) fails with -EINVAL on an
 * unterminated quote; lenient mode (completion) keeps the partial word. The
 * output never needs more than strlen(line) + 1 bytes: every input byte
 * yields at most one output byte and words are separated by at least one
 * byte that yields none, which pays for each word's NUL. */
static int tokenize(const char *line, cli_tokens_t *t, bool lenient)
{
	size_t len = strlen(line);
	const char *p = line;
	char *o;

	*t = (cli_tokens_t){0};
	t->buf = malloc(len + 1);
	t->argv = malloc((len / 2 + 2) * sizeof(*t->argv));
	if (!t->buf || !t->argv)
		goto fail;
	o = t->buf;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		t->argv[t->argc++] = o;
		if (!copy_word(&p, &o, &t->error) && !lenient) {
			t->argv[t->argc] = NULL;
			return -EINVAL;
		}
		if (!*p) {
			t->partial = true;
			break;
		}
	}
	t->argv[t->argc] = NULL;
	t->error = NULL;
	return 0;
fail:
	free(t->buf);
	free(t->argv);
	*t = (cli_tokens_t){0};
	return -ENOMEM;
}

static void tokens_free(cli_tokens_t *t)
{
	free(t->buf);
	free(t->argv);
	*t = (cli_tokens_t){0};
}

/* --- tree --------------------------------------------------------------- */

/* Walks the space-separated words of a registered name. */
static const char *next_word(const char *p, size_t *len)
{
	while (*p == ' ')
		p++;
	*len = strcspn(p, " ");
	return *len ? p : NULL;
}

/* Index of the first child >= word; *found tells whether it is equal. */
static unsigned kid_slot(const cli_node_t *n, const char *word, size_t len,
			 bool *found)
{
	unsigned lo = 0, hi = n->nkids;

	*found = false;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const char *w = n->kids[mid]->word;
		int c = strncmp(w, word, len);

		if (c == 0 && w[len] != '\0')
			c = 1;
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static cli_node_t *kid_find(const cli_node_t *n, const char *word, size_t len)
{
	bool found;
	unsigned i = kid_slot(n, word, len, &found);

	return found ? n->kids[i] : NULL;
}

static cli_node_t *kid_get(cli_node_t *n, const char *word, size_t len)
{
	bool found;
	unsigned i = kid_slot(n, word, len, &found);
	cli_node_t *k;

	if (found)
		return n->kids[i];
	if (n->nkids == n->capkids) {
		unsigned cap = n->capkids ? 2 * n->capkids : 4;
		cli_node_t **kids = realloc(n->kids, cap * sizeof(*kids));

		if (!kids)
			return NULL;
		n->kids = kids;
		n->capkids = cap;
	}
	k = calloc(1, sizeof(*k));
	if (!k || !(k->word = strndup(word, len))) {
		free(k);
		return NULL;
	}
	k->parent = n;
	memmove(&n->kids[i + 1], &n->kids[i],
		(n->nkids - i) * sizeof(*n->kids));
	n->kids[i] = k;
	n->nkids++;
	return k;
}

static bool useless(const cli_node_t *n)
{
	return n != &root && !n->cmd && n->nkids == 0;
}

/* Unlinks a useless node from its parent and frees it; returns the parent. */
static cli_node_t *drop(cli_node_t *n)
{
	cli_node_t *p = n->parent;
	unsigned i = 0;

	while (p->kids[i] != n)
		i++;
	memmove(&p->kids[i], &p->kids[i + 1],
		(p->nkids - i - 1) * sizeof(*p->kids));
	p->nkids--;
	free(n->kids);
	free(n->word);
	free(n);
	return p;
}

/* Frees n and its ancestors that are left with neither a command nor
 * children. */
static void prune(cli_node_t *n)
{
	while (useless(n))
		n = drop(n);
}

/* The node named by words, or NULL (create: make missing nodes). */
static cli_node_t *lookup(const char *words, bool create)
{
	cli_node_t *n = &root;
	const char *w = words;
	size_t len;

	while ((w = next_word(w, &len))) {
		cli_node_t *k =
		    create ? kid_get(n, w, len) : kid_find(n, w, len);

		if (!k) {
			if (create)
				prune(n);
			return NULL;
		}
		n = k;
		w += len;
	}
	return n == &root ? NULL : n;
}

/* Does an entry of tbl before `end` have the same words as `words`? */
static bool duplicate_in_table(const ss_cli_cmd_t *tbl, const ss_cli_cmd_t *end,
			       const char *words)
{
	for (const ss_cli_cmd_t *c = tbl; c < end; c++) {
		const char *a = c->words, *b = words;
		size_t la, lb;

		for (;;) {
			a = next_word(a, &la);
			b = next_word(b, &lb);
			if (!a || !b || la != lb || memcmp(a, b, la) != 0)
				break;
			a += la;
			b += lb;
		}
		if (!a && !b)
			return true;
	}
	return false;
}

/* Checks the whole table before touching the tree so that a failed
 * registration leaves nothing behind. */
static int validate_table(const ss_cli_cmd_t *cmds)
{
	for (const ss_cli_cmd_t *c = cmds; c->words; c++) {
		size_t len;
		const cli_node_t *n;

		if (!c->fn || !next_word(c->words, &len))
			return -EINVAL;
		n = lookup(c->words, false);
		if ((n && n->cmd) || duplicate_in_table(cmds, c, c->words))
			return -EEXIST;
	}
	return 0;
}

int ss_cli_register(const struct ss_module *owner, const ss_cli_cmd_t *cmds)
{
	const ss_cli_cmd_t *c;
	int rc;

	if (!cmds)
		return -EINVAL;
	rc = validate_table(cmds);
	if (rc < 0)
		return rc;
	for (c = cmds; c->words; c++) {
		cli_node_t *n = lookup(c->words, true);

		if (!n)
			goto fail;
		n->cmd = c;
		n->owner = owner;
	}
	return 0;
fail:
	while (c-- > cmds) {
		cli_node_t *n = lookup(c->words, false);

		n->cmd = NULL;
		n->owner = NULL;
		prune(n);
	}
	return -ENOMEM;
}

/* Post-order, each node dropping only itself, so that no node is freed
 * while a caller up the recursion still walks its children; children go
 * from last to first because dropping one shifts only those after it. */
static void release_node(cli_node_t *n, const struct ss_module *owner)
{
	unsigned i = n->nkids;

	while (i-- > 0)
		release_node(n->kids[i], owner);
	if (n->cmd && n->owner == owner) {
		n->cmd = NULL;
		n->owner = NULL;
	}
	if (useless(n))
		drop(n);
}

void ss_cli_release_owner(const struct ss_module *owner)
{
	tree_gen++;
	release_node(&root, owner);
}

static void free_node(cli_node_t *n)
{
	for (unsigned i = 0; i < n->nkids; i++)
		free_node(n->kids[i]);
	free(n->kids);
	if (n != &root) {
		free(n->word);
		free(n);
	}
}

void ss_cli_shutdown(void)
{
	tree_gen++;
	free_node(&root);
	root = (cli_node_t){0};
}

static void foreach_node(const cli_node_t *n,
			 void (*fn)(const ss_cli_cmd_t *cmd,
				    const struct ss_module *owner, void *arg),
			 void *arg)
{
	if (n->cmd)
		fn(n->cmd, n->owner, arg);
	for (unsigned i = 0; i < n->nkids; i++)
		foreach_node(n->kids[i], fn, arg);
}

void ss_cli_foreach(void (*fn)(const ss_cli_cmd_t *cmd,
			       const struct ss_module *owner, void *arg),
		    void *arg)
{
	foreach_node(&root, fn, arg);
}

/* Follows argv down the tree. Returns the deepest node reached and stores
 * in *cmd_node / *cmd_words the deepest node with a command and how many
 * words named it (NULL / 0 when no prefix of argv is a command). */
static cli_node_t *walk(int argc, char *const *argv, cli_node_t **cmd_node,
			int *cmd_words, int *walked)
{
	cli_node_t *n = &root;
	int i;

	*cmd_node = NULL;
	*cmd_words = 0;
	for (i = 0; i < argc; i++) {
		cli_node_t *k = kid_find(n, argv[i], strlen(argv[i]));

		if (!k)
			break;
		n = k;
		if (n->cmd) {
			*cmd_node = n;
			*cmd_words = i + 1;
		}
	}
	*walked = i;
	return n;
}

/* --- sessions: output --------------------------------------------------- */

ss_cli_t *ss_cli_new(const ss_cli_sink_t *sink)
{
	ss_cli_t *cli;

	if (!sink || !sink->write)
		return NULL;
	cli = calloc(1, sizeof(*cli));
	if (cli)
		cli->sink = *sink;
	return cli;
}

static void flush(ss_cli_t *cli)
{
	if (cli->outlen) {
		cli->sink.write(cli->sink.arg, cli->out, cli->outlen);
		cli->outlen = 0;
	}
}

void ss_cli_free(ss_cli_t *cli)
{
	if (!cli)
		return;
	flush(cli);
	free(cli);
}

/* Formats into the session buffer, which goes to the sink when full and at
 * the end of each command; a single piece larger than the buffer goes
 * straight to the sink from a temporary allocation. */
void ss_cli_printf(ss_cli_t *cli, const char *fmt, ...)
{
	size_t room = sizeof(cli->out) - cli->outlen;
	va_list ap;
	char *big;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cli->out + cli->outlen, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < room) {
		cli->outlen += (size_t)n;
		return;
	}
	flush(cli);
	if ((size_t)n < sizeof(cli->out)) {
		va_start(ap, fmt);
		vsnprintf(cli->out, sizeof(cli->out), fmt, ap);
		va_end(ap);
		cli->outlen = (size_t)n;
		return;
	}
	big = malloc((size_t)n + 1);
	if (!big)
		return;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cli->sink.write(cli->sink.arg, big, (size_t)n);
	free(big);
}

/* --- dispatch ----------------------------------------------------------- */

static void print_no_such(ss_cli_t *cli, const cli_tokens_t *t)
{
	ss_cli_printf(cli, "No such command '");
	for (int i = 0; i < t->argc; i++)
		ss_cli_printf(cli, "%s%s", i ? " " : "", t->argv[i]);
	ss_cli_printf(cli, "' (type 'help' for the list)\n");
}

ss_cli_status_t ss_cli_execute(ss_cli_t *cli, const char *line)
{
	cli_node_t *node;
	cli_tokens_t t;
	ss_cli_status_t st = SS_CLI_OK;
	unsigned long gen;
	int words, walked, rc;

	rc = tokenize(line, &t, false);
	if (rc == -EINVAL) {
		ss_cli_printf(cli, "%s in: %s\n", t.error, line);
		st = SS_CLI_USAGE;
		goto out;
	}
	if (rc < 0) {
		ss_cli_printf(cli, "Out of memory\n");
		st = SS_CLI_FAIL;
		goto out;
	}
	if (t.argc == 0)
		goto out;
	walk(t.argc, t.argv, &node, &words, &walked);
	if (!node) {
		print_no_such(cli, &t);
		st = SS_CLI_USAGE;
		goto out;
	}
	gen = tree_gen;
	st = node->cmd->fn(cli, t.argc - words,
			   (const char *const *)t.argv + words);
	if (st != SS_CLI_OK && st != SS_CLI_USAGE)
		st = SS_CLI_FAIL;
	/* The table may belong to a module the handler just unloaded. */
	if (st == SS_CLI_USAGE && gen == tree_gen) {
		const char *args = node->cmd->args;

		ss_cli_printf(cli, "Usage: %s%s%s\n", node->cmd->words,
			      args && *args ? " " : "", args ? args : "");
	}
out:
	tokens_free(&t);
	flush(cli);
	return st;
}

/* --- completion --------------------------------------------------------- */

void ss_cli_add_completion(ss_cli_t *cli, const char *candidate)
{
	char *dup;

	if (!cli->prefix || !candidate ||
	    strncmp(candidate, cli->prefix, strlen(cli->prefix)) != 0)
		return;
	if (cli->ncands == cli->capcands) {
		size_t cap = cli->capcands ? 2 * cli->capcands : 16;
		char **c = realloc(cli->cands, cap * sizeof(*c));

		if (!c)
			return;
		cli->cands = c;
		cli->capcands = cap;
	}
	dup = strdup(candidate);
	if (dup)
		cli->cands[cli->ncands++] = dup;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hands the collected candidates to the sink sorted and without duplicates,
 * then forgets them. */
static void emit_candidates(ss_cli_t *cli)
{
	if (cli->ncands)
		qsort(cli->cands, cli->ncands, sizeof(*cli->cands), cmp_str);
	for (size_t i = 0; i < cli->ncands; i++)
		if (cli->sink.candidate &&
		    (i == 0 || strcmp(cli->cands[i], cli->cands[i - 1]) != 0))
			cli->sink.candidate(cli->sink.arg, cli->cands[i]);
	for (size_t i = 0; i < cli->ncands; i++)
		free(cli->cands[i]);
	free(cli->cands);
	cli->cands = NULL;
	cli->ncands = cli->capcands = 0;
}

void ss_cli_complete(ss_cli_t *cli, const char *line)
{
	cli_node_t *node, *cmd_node;
	cli_tokens_t t;
	int done, words, walked;

	if (tokenize(line, &t, true) < 0)
		return;
	/* Words before the one being completed are final; the last word is
	 * the prefix unless the line ends with a separator. */
	done = t.partial ? t.argc - 1 : t.argc;
	cli->prefix = t.partial ? t.argv[done] : "";
	node = walk(done, t.argv, &cmd_node, &words, &walked);
	if (walked == done)
		for (unsigned i = 0; i < node->nkids; i++)
			ss_cli_add_completion(cli, node->kids[i]->word);
	if (cmd_node && cmd_node->cmd->complete) {
		char *saved = t.argv[done];

		t.argv[done] = NULL;
		cmd_node->cmd->complete(cli, done - words,
					(const char *const *)t.argv + words,
					cli->prefix);
		t.argv[done] = saved;
	}
	emit_candidates(cli);
	cli->prefix = NULL;
	tokens_free(&t);
	flush(cli);
}
