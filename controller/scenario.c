/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scenario loading: bytes -> yaml_tree -> strict schema checks -> struct scenario.
 *
 * The file is untrusted input written by hand, often under time pressure during
 * a game day, so the loader is strict (unknown keys and wrong types are errors;
 * nothing is guessed) and talkative (every problem, with its position, saying
 * what was expected and what was found). It keeps checking after an error
 * wherever the rest of the file still makes sense.
 *
 * The checks every fault shares live here; each fault type's own keys live in
 * scenario_faults.c.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "parse.h"
#include "scenario.h"
#include "scenario_faults.h"
#include "scenario_probes.h"
#include "scenario_slos.h"
#include "yaml_tree.h"

#define SCENARIO_VERSION 1
#define NAME_MAX_LEN 64
/* sizeof(((struct sockaddr_un *)0)->sun_path), without pulling in the header. */
#define UNIX_PATH_MAX 108

/* ---- checkers shared with scenario_faults.c ---------------------------------------------- */

int sv_error(struct sv_ctx *c, unsigned line, unsigned col, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	c->errors++;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		msg = NULL;
		sv_oom(c);
		return -EINVAL;
	}
	if (diag_add(c->diags, c->file, line, col, "%s", msg) < 0)
		sv_oom(c);
	return -EINVAL;
}

int sv_oom(struct sv_ctx *c)
{
	c->oom = -ENOMEM;
	return -ENOMEM;
}

static bool in_list(const char *const *list, const struct ynode *key)
{
	for (size_t i = 0; list && list[i]; i++)
		if (ynode_scalar_eq(key, list[i]))
			return true;
	return false;
}

static const char *join(const char *const *list, char *buf, size_t len)
{
	size_t w = 0;

	buf[0] = '\0';
	for (size_t i = 0; list[i] && w < len; i++) {
		int n = snprintf(buf + w, len - w, "%s%s", i ? ", " : "", list[i]);

		if (n < 0)
			break;
		w += (size_t)n;
	}
	return buf;
}

int sv_check_keys(struct sv_ctx *c, const struct ynode *m, const char *where,
		  const char *const *allowed, const char *const *skip)
{
	char names[256], found[96];
	int r = 0;

	for (size_t i = 0; i < m->n_pairs; i++) {
		const struct ynode *k = m->pairs[i].key;

		if (k->kind != YNODE_SCALAR || ynode_is_null(k)) {
			r = sv_error(c, k->line, k->col, "expected a key name %s, found %s", where,
				     ynode_describe(k, found, sizeof(found)));
			continue;
		}
		if (in_list(allowed, k) || in_list(skip, k))
			continue;
		r = sv_error(c, k->line, k->col, "unknown key '%s' %s; expected one of: %s",
			     ynode_text(k, found, sizeof(found)), where,
			     join(allowed, names, sizeof(names)));
	}
	return r;
}

int sv_missing(struct sv_ctx *c, const struct ynode *m, const char *key, const char *where,
	       const char *expected)
{
	return sv_error(c, m->line, m->col, "missing key '%s' %s; expected %s", key, where,
			expected);
}

/* The shared body of sv_string() and sv_text(): newlines_ok admits tab, LF and CR. */
static int check_string(struct sv_ctx *c, const char *what, const struct ynode *n, bool newlines_ok,
			const char **ret)
{
	char found[96];

	if (n->kind != YNODE_SCALAR || ynode_is_null(n) || n->len == 0)
		return sv_error(c, n->line, n->col, "%s: expected a string, found %s", what,
				ynode_describe(n, found, sizeof(found)));
	/* "\0" in a double-quoted string: C strings would silently cut it. */
	if (memchr(n->value, '\0', n->len))
		return sv_error(c, n->line, n->col,
				"%s: expected a string without NUL characters, found %s", what,
				ynode_describe(n, found, sizeof(found)));
	/* The injector refuses control characters in every string it is sent, and a
	 * terminal would act on them when the value is printed: refuse them here, where
	 * the error can say where they are. */
	for (size_t i = 0; i < n->len; i++) {
		unsigned char ch = (unsigned char)n->value[i];
		if (newlines_ok && (ch == '\t' || ch == '\n' || ch == '\r'))
			continue;
		if (ch < 0x20 || ch == 0x7f)
			return sv_error(c, n->line, n->col,
					"%s: expected a string without control characters%s, found %s",
					what, newlines_ok ? " other than tab and newline" : "",
					ynode_describe(n, found, sizeof(found)));
	}
	*ret = n->value;
	return 0;
}

int sv_string(struct sv_ctx *c, const char *what, const struct ynode *n, const char **ret)
{
	return check_string(c, what, n, false, ret);
}

int sv_text(struct sv_ctx *c, const char *what, const struct ynode *n, const char **ret)
{
	return check_string(c, what, n, true, ret);
}

int sv_duration(struct sv_ctx *c, const char *what, const struct ynode *n, uint64_t *ret_ns)
{
	char err[256];
	const char *s;
	uint64_t ns;
	int r;

	if (n->kind != YNODE_SCALAR || ynode_is_null(n)) {
		char found[96];

		return sv_error(
			c, n->line, n->col,
			"%s: expected a duration with a unit such as 250ms or 30s, found %s", what,
			ynode_describe(n, found, sizeof(found)));
	}
	r = sv_string(c, what, n, &s);
	if (r < 0)
		return r;
	r = parse_duration_ns(s, &ns, err, sizeof(err));
	if (r < 0)
		return sv_error(c, n->line, n->col, "%s: %s", what, err);
	*ret_ns = ns;
	return 0;
}

int sv_uint(struct sv_ctx *c, const char *what, const struct ynode *n, const char *expected,
	    uint64_t *ret)
{
	char found[96];
	uint64_t v = 0;

	/* Quoted means string in YAML: "1234" is not the number 1234. */
	if (n->kind != YNODE_SCALAR || !n->plain || n->len == 0 || ynode_is_null(n))
		goto bad;
	/* Leading zeros read as octal in YAML 1.1; refuse rather than guess. */
	if (n->len > 1 && n->value[0] == '0')
		goto bad;
	for (size_t i = 0; i < n->len; i++) {
		char d = n->value[i];

		if (d < '0' || d > '9' || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(d - '0'), &v))
			goto bad;
	}
	*ret = v;
	return 0;
bad:
	return sv_error(c, n->line, n->col, "%s: expected %s, found %s", what, expected,
			ynode_describe(n, found, sizeof(found)));
}

/* ---- the schema -------------------------------------------------------------------------- */

static const char *const top_keys[] = {
	"abort_when", "description", "faults", "injector", "name",
	"phases",     "probes",	     "slos",   "version",  NULL,
};
static const char *const fault_common_keys[] = { "at", "expect_effect", "name", "type", NULL };
static const char *const phases_keys[] = { "baseline", "recovery", NULL };
static const char *const recovery_keys[] = { "within", NULL };
static const char *const injector_keys[] = { "exec", NULL };

static bool name_valid(const struct ynode *n)
{
	if (n->len < 1 || n->len > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n->len; i++) {
		char ch = n->value[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

/* A name for the scenario or a fault; returns a copy in *ret. */
static int check_name(struct sv_ctx *c, const char *what, const struct ynode *n, char **ret)
{
	char found[96];
	const char *s;
	int r;

	r = sv_string(c, what, n, &s);
	if (r < 0)
		return r;
	if (!name_valid(n))
		return sv_error(c, n->line, n->col,
				"%s: expected 1 to %d characters from A-Z a-z 0-9 . _ -, found %s",
				what, NAME_MAX_LEN, ynode_describe(n, found, sizeof(found)));
	*ret = strdup(s);
	return *ret ? 0 : sv_oom(c);
}

static int check_version(struct sv_ctx *c, const struct ynode *root)
{
	const struct ynode *n = ynode_get(root, "version");
	char found[96];
	uint64_t v;

	if (!n)
		return sv_missing(c, root, "version", "at the top level", "'version: 1'");
	if (n->kind != YNODE_SCALAR || !n->plain)
		return sv_error(c, n->line, n->col, "version: expected the integer 1, found %s",
				ynode_describe(n, found, sizeof(found)));
	if (sv_uint(c, "version", n, "the integer 1", &v) < 0)
		return -EINVAL;
	if (v != SCENARIO_VERSION)
		return sv_error(c, n->line, n->col,
				"version: expected 1, found %s; this faultline reads scenario "
				"version 1 only",
				ynode_describe(n, found, sizeof(found)));
	return 0;
}

static int check_injector(struct sv_ctx *c, const struct ynode *n, struct scenario *s)
{
	static const char expected[] = "auto, unix:/absolute/path or {exec: [argv0, arg...]}";
	char found[96];
	const struct ynode *argv;

	if (n->kind == YNODE_SCALAR && !ynode_is_null(n) && !memchr(n->value, '\0', n->len)) {
		if (streq(n->value, "auto")) {
			s->transport = INJECTOR_AUTO;
			return 0;
		}
		if (strncmp(n->value, "unix:", 5) == 0) {
			const char *path = n->value + 5;

			if (path[0] != '/')
				return sv_error(c, n->line, n->col,
						"injector: expected an absolute socket path after "
						"'unix:', found %s",
						ynode_describe(n, found, sizeof(found)));
			if (strlen(path) >= UNIX_PATH_MAX)
				return sv_error(c, n->line, n->col,
						"injector: expected a socket path shorter than %d "
						"bytes, found %zu bytes",
						UNIX_PATH_MAX, strlen(path));
			s->unix_path = strdup(path);
			if (!s->unix_path)
				return sv_oom(c);
			s->transport = INJECTOR_UNIX;
			return 0;
		}
	}
	if (n->kind != YNODE_MAPPING)
		return sv_error(c, n->line, n->col, "injector: expected %s, found %s", expected,
				ynode_describe(n, found, sizeof(found)));

	if (sv_check_keys(c, n, "in injector", injector_keys, NULL) < 0)
		return -EINVAL;
	argv = ynode_get(n, "exec");
	if (!argv)
		return sv_missing(c, n, "exec", "in injector",
				  "a command such as [faultlined, --stdio]");
	if (argv->kind != YNODE_SEQUENCE || argv->n_items == 0)
		return sv_error(c, argv->line, argv->col,
				"injector.exec: expected a non-empty list of strings such as "
				"[faultlined, --stdio], found %s",
				argv->kind == YNODE_SEQUENCE ?
					"an empty list" :
					ynode_describe(argv, found, sizeof(found)));

	s->exec_argv = calloc(argv->n_items + 1, sizeof(char *));
	if (!s->exec_argv)
		return sv_oom(c);
	/* Only valid entries are stored, so the array stays NULL-terminated for
	 * scenario_free() even when some are reported. */
	for (size_t i = 0, w = 0; i < argv->n_items; i++) {
		const char *arg;

		if (sv_string(c, "injector.exec", argv->items[i], &arg) < 0)
			continue;
		s->exec_argv[w] = strdup(arg);
		if (!s->exec_argv[w++])
			return sv_oom(c);
	}
	s->transport = INJECTOR_EXEC;
	return 0;
}

static int check_phases(struct sv_ctx *c, const struct ynode *n, struct scenario *s)
{
	const struct ynode *v, *w;
	char found[96];

	if (n->kind != YNODE_MAPPING)
		return sv_error(c, n->line, n->col,
				"phases: expected a mapping such as {baseline: 10s, recovery: "
				"{within: 20s}}, found %s",
				ynode_describe(n, found, sizeof(found)));
	sv_check_keys(c, n, "in phases", phases_keys, NULL);
	if ((v = ynode_get(n, "baseline")))
		sv_duration(c, "phases.baseline", v, &s->baseline_ns);
	v = ynode_get(n, "recovery");
	if (!v)
		return 0;
	if (v->kind != YNODE_MAPPING)
		return sv_error(
			c, v->line, v->col,
			"phases.recovery: expected a mapping such as {within: 20s}, found %s",
			ynode_describe(v, found, sizeof(found)));
	sv_check_keys(c, v, "in phases.recovery", recovery_keys, NULL);
	w = ynode_get(v, "within");
	if (!w)
		return sv_missing(c, v, "within", "in phases.recovery",
				  "the time the SLOs have to recover, such as 'within: 20s'");
	return sv_duration(c, "phases.recovery.within", w, &s->recovery_within_ns);
}

/* The keys a known fault type allows, for the unknown-key message. */
static const char *const *fault_keys(const struct fault_type *t, const char **buf, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; fault_common_keys[i] && n + 1 < len; i++)
		buf[n++] = fault_common_keys[i];
	for (size_t i = 0; t->keys[i] && n + 1 < len; i++)
		buf[n++] = t->keys[i];
	buf[n] = NULL;
	/* Sort for the message; a handful of entries. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(buf[j - 1], buf[j]) > 0; j--) {
			const char *tmp = buf[j];

			buf[j] = buf[j - 1];
			buf[j - 1] = tmp;
		}
	return buf;
}

static int check_fault_duration(struct sv_ctx *c, const struct ynode *m, const struct fault_type *t,
				struct scenario_fault *f)
{
	const struct ynode_pair *p = ynode_get_pair(m, "duration");
	char found[96];

	if (t->duration == FAULT_DURATION_FORBIDDEN) {
		if (!p)
			return 0;
		return sv_error(c, p->key->line, p->key->col,
				"duration: expected no 'duration' for %s, found %s; a %s is "
				"instantaneous",
				t->name, ynode_describe(p->value, found, sizeof(found)), t->name);
	}
	if (!p && t->duration == FAULT_DURATION_OPTIONAL)
		return 0;
	if (!p)
		return sv_missing(c, m, "duration", "in fault",
				  "how long the fault lasts, such as 'duration: 30s'");
	if (sv_duration(c, "duration", p->value, &f->duration_ns) < 0)
		return -EINVAL;
	if (f->duration_ns == 0)
		return sv_error(c, p->value->line, p->value->col,
				"duration: expected a duration greater than 0 for %s, found %s",
				t->name, ynode_describe(p->value, found, sizeof(found)));
	return 0;
}

/*
 * One entry of faults. names[i] is the name node of faults[i] when it was valid,
 * for duplicate names and their "first at" position.
 */
static int check_fault(struct sv_ctx *c, const struct ynode *m, struct scenario *s, size_t index,
		       const struct ynode **names)
{
	static const char *const skip_duration[] = { "duration", NULL };
	struct scenario_fault *f = &s->faults[index];
	const struct ynode *name, *type, *at, *v;
	const struct fault_type *t = NULL;
	char found[96], types[256];
	const char *keys[32];
	const char *tname;
	int r = 0;

	f->line = m->line;
	f->col = m->col;
	if (m->kind != YNODE_MAPPING)
		return sv_error(c, m->line, m->col,
				"faults[%zu]: expected a mapping describing a fault (name, type, "
				"target, ...), found %s",
				index, ynode_describe(m, found, sizeof(found)));

	name = ynode_get(m, "name");
	if (!name) {
		r = sv_missing(c, m, "name", "in fault", "a name unique in the file");
	} else if (check_name(c, "name", name, &f->name) < 0) {
		r = -EINVAL;
	} else {
		for (size_t i = 0; i < index; i++)
			if (names[i] && streq(s->faults[i].name, f->name)) {
				r = sv_error(c, name->line, name->col,
					     "duplicate fault name '%s', first at %u:%u", f->name,
					     names[i]->line, names[i]->col);
				break;
			}
		if (r == 0)
			names[index] = name;
	}

	type = ynode_get(m, "type");
	if (!type) {
		char expected[300];

		snprintf(expected, sizeof(expected), "one of: %s",
			 fault_type_names(types, sizeof(types)));
		r = sv_missing(c, m, "type", "in fault", expected);
	} else if (sv_string(c, "type", type, &tname) < 0) {
		r = -EINVAL;
	} else if (!(t = fault_type_find(tname))) {
		r = sv_error(c, type->line, type->col,
			     "unknown fault type '%s'; expected one of: %s",
			     ynode_text(type, found, sizeof(found)),
			     fault_type_names(types, sizeof(types)));
	}

	if ((at = ynode_get(m, "at")) && sv_duration(c, "at", at, &f->at_ns) < 0)
		r = -EINVAL;

	/* Without a known type its keys are unknown too; the type error says it all. */
	if (!t)
		return -EINVAL;

	if (sv_check_keys(c, m, "in fault", fault_keys(t, keys, ARRAY_SIZE(keys)),
			  t->duration == FAULT_DURATION_FORBIDDEN ? skip_duration : NULL) < 0)
		r = -EINVAL;
	if (check_fault_duration(c, m, t, f) < 0)
		r = -EINVAL;
	else if (f->at_ns > UINT64_MAX - f->duration_ns)
		/* Both are at most 30 days today; keep the sum safe if that changes. */
		r = sv_error(c, m->line, m->col,
			     "at + duration: expected a fault window that fits in 64 bits of "
			     "nanoseconds, found an overflow");
	if (t->convert(c, m, f, &f->params) < 0)
		r = -EINVAL;
	if ((v = ynode_get(m, "expect_effect")) && check_expect_effect(c, v, s, f) < 0)
		r = -EINVAL;
	if (c->oom)
		return c->oom;
	if (r < 0)
		return r;
	f->type = strdup(t->name);
	return f->type ? 0 : sv_oom(c);
}

static int check_faults(struct sv_ctx *c, const struct ynode *root, struct scenario *s)
{
	_cleanup_free_ const struct ynode **names = NULL;
	const struct ynode *n = ynode_get(root, "faults");
	char found[96];

	if (!n)
		return sv_missing(c, root, "faults", "at the top level",
				  "a list of faults, each with name, type and target");
	if (n->kind != YNODE_SEQUENCE)
		return sv_error(c, n->line, n->col,
				"faults: expected a list of faults (each item starting with '- "
				"name:'), found %s",
				ynode_describe(n, found, sizeof(found)));
	if (n->n_items == 0)
		return sv_error(c, n->line, n->col,
				"faults: expected at least one fault, found an empty list");
	if (n->n_items > SCENARIO_MAX_FAULTS)
		return sv_error(c, n->line, n->col, "faults: expected at most %d faults, found %zu",
				SCENARIO_MAX_FAULTS, n->n_items);

	s->faults = calloc(n->n_items, sizeof(*s->faults));
	names = calloc(n->n_items, sizeof(*names));
	if (!s->faults || !names)
		return sv_oom(c);
	s->n_faults = n->n_items;
	for (size_t i = 0; i < n->n_items; i++)
		if (check_fault(c, n->items[i], s, i, names) == -ENOMEM)
			return -ENOMEM;
	return 0;
}

static int check_root(struct sv_ctx *c, const struct yaml_tree *t, struct scenario *s)
{
	static const char expected[] = "a mapping of scenario keys (version, name, faults, ...)";
	const struct ynode *root = t->root, *v;
	char found[96];

	if (!root || (ynode_is_null(root) && root->len == 0))
		return sv_error(c, 1, 1, "expected %s, found an empty document", expected);
	if (root->kind != YNODE_MAPPING)
		return sv_error(c, root->line, root->col, "expected %s, found %s", expected,
				ynode_describe(root, found, sizeof(found)));

	sv_check_keys(c, root, "at the top level", top_keys, NULL);

	check_version(c, root);
	if (!(v = ynode_get(root, "name")))
		sv_missing(c, root, "name", "at the top level",
			   "a scenario name such as checkout-survives-db-latency");
	else
		check_name(c, "name", v, &s->name);
	if ((v = ynode_get(root, "description"))) {
		const char *d;

		if (sv_text(c, "description", v, &d) >= 0 && !(s->description = strdup(d)))
			return sv_oom(c);
	}
	if ((v = ynode_get(root, "injector")))
		check_injector(c, v, s);
	if ((v = ynode_get(root, "phases")))
		check_phases(c, v, s);
	if ((v = ynode_get(root, "probes")))
		check_probes(c, v, s);
	/* After the probes, which they name. */
	if ((v = ynode_get(root, "slos")))
		check_slos(c, v, s);
	if ((v = ynode_get(root, "abort_when")))
		check_aborts(c, v, s);
	check_faults(c, root, s);
	return c->oom ? c->oom : c->errors ? -EINVAL : 0;
}

/* ---- loading ----------------------------------------------------------------------------- */

struct sorted_diag {
	struct diag d;
	size_t index;
};

static int diag_cmp(const void *a, const void *b)
{
	const struct sorted_diag *x = a, *y = b;

	if (x->d.line != y->d.line)
		return x->d.line < y->d.line ? -1 : 1;
	if (x->d.col != y->d.col)
		return x->d.col < y->d.col ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The checks run per key, not in file order; report in file order, like a compiler. */
static void sort_diags(struct diag_list *l, size_t start)
{
	_cleanup_free_ struct sorted_diag *tmp = NULL;
	size_t n = l->n - start;

	if (n < 2)
		return;
	tmp = calloc(n, sizeof(*tmp));
	if (!tmp)
		return; /* unsorted is still correct */
	for (size_t i = 0; i < n; i++)
		tmp[i] = (struct sorted_diag){ l->items[start + i], i };
	qsort(tmp, n, sizeof(*tmp), diag_cmp);
	for (size_t i = 0; i < n; i++)
		l->items[start + i] = tmp[i].d;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct scenario *, scenario_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct yaml_tree *, yaml_tree_free);

int scenario_load_buffer(const char *name, const char *buf, size_t len, struct scenario **ret,
			 struct diag_list *diags)
{
	_cleanup_(yaml_tree_freep) struct yaml_tree *tree = NULL;
	_cleanup_(scenario_freep) struct scenario *s = NULL;
	struct sv_ctx c = { .file = name, .diags = diags };
	size_t start = diags->n;
	int problems, r;

	if (len > SCENARIO_MAX_FILE_BYTES) {
		r = diag_add(diags, name, 1, 1,
			     "expected a scenario of at most 1 MiB, found %zu bytes", len);
		return r < 0 ? r : -EINVAL;
	}

	problems = yaml_tree_parse(name, buf, len, &tree, diags);
	if (problems < 0) {
		if (problems == -ENOMEM)
			diag_add(diags, name, 0, 0, "out of memory while parsing");
		return problems;
	}

	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(name)))
		return -ENOMEM;
	r = check_root(&c, tree, s);
	sort_diags(diags, start);
	if (r == -ENOMEM) {
		diag_add(diags, name, 0, 0, "out of memory while checking the scenario");
		return r;
	}
	if (r < 0 || problems > 0)
		return -EINVAL;
	*ret = TAKE_PTR(s);
	return 0;
}

/*
 * Opened with O_NONBLOCK so that a FIFO cannot block us before fstat() says it is
 * not a regular file, and O_NOCTTY in case someone passes a terminal.
 */
int scenario_load(const char *path, struct scenario **ret, struct diag_list *diags)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = negative_errno();
		diag_add(diags, path, 0, 0, "cannot open: %s", strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = negative_errno();
		diag_add(diags, path, 0, 0, "cannot stat: %s", strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		r = diag_add(diags, path, 0, 0, "expected a regular file, found %s",
			     S_ISDIR(st.st_mode)  ? "a directory" :
			     S_ISFIFO(st.st_mode) ? "a FIFO" :
			     S_ISSOCK(st.st_mode) ? "a socket" :
			     S_ISCHR(st.st_mode)  ? "a character device" :
			     S_ISBLK(st.st_mode)  ? "a block device" :
						    "a special file");
		return r < 0 ? r : -EINVAL;
	}
	/* Checked before reading anything: a 50 GB file is refused, not read. */
	if (st.st_size > SCENARIO_MAX_FILE_BYTES) {
		r = diag_add(diags, path, 1, 1,
			     "expected a scenario of at most 1 MiB, found %jd bytes",
			     (intmax_t)st.st_size);
		return r < 0 ? r : -EINVAL;
	}

	/* One byte more than allowed, to notice a file that grew after fstat(). */
	buf = malloc(SCENARIO_MAX_FILE_BYTES + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, SCENARIO_MAX_FILE_BYTES + 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = negative_errno();
			diag_add(diags, path, 0, 0, "cannot read: %s", strerror(-r));
			return r;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > SCENARIO_MAX_FILE_BYTES)
			break;
	}
	return scenario_load_buffer(path, buf, len, ret, diags);
}

struct scenario *scenario_free(struct scenario *s)
{
	if (!s)
		return NULL;
	scenario_slos_free(s); /* before the faults: it frees their expect_effect */
	for (size_t i = 0; i < s->n_faults; i++) {
		free(s->faults[i].name);
		free(s->faults[i].type);
		json_decref(s->faults[i].params);
	}
	free(s->faults);
	scenario_probes_free(s->probes, s->n_probes);
	if (s->exec_argv)
		for (char **a = s->exec_argv; *a; a++)
			free(*a);
	free(s->exec_argv);
	free(s->path);
	free(s->name);
	free(s->description);
	free(s->unix_path);
	return mfree(s);
}

uint64_t scenario_fault_window_ns(const struct scenario *s)
{
	uint64_t end = 0;

	for (size_t i = 0; i < s->n_faults; i++)
		if (s->faults[i].at_ns + s->faults[i].duration_ns > end)
			end = s->faults[i].at_ns + s->faults[i].duration_ns;
	return end;
}
