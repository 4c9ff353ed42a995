/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Builds the node tree of yaml_tree.h from libyaml events.
 *
 * Trust boundary: the input is whatever file the user pointed us at, possibly
 * hostile. Everything libyaml hands us is bounded here before it is stored:
 * nesting depth, the number of alias uses, and the node count as if every alias
 * were expanded. The expanded size is summed bottom-up while the tree is built,
 * so a billion-laughs document is refused after a few hundred events instead of
 * after exhausting memory: no alias is ever copied.
 */
#include <assert.h>
#include <stdarg.h>
#include <yaml.h>

#include "yaml_tree.h"

/* An open collection: the node, and for a mapping the key waiting for its value. */
struct frame {
	struct ynode *node;
	struct ynode *pending_key;
};

struct anchor {
	char *name;
	struct ynode *node;
};

struct builder {
	const char *name;
	const unsigned char *buf;
	size_t len;
	struct diag_list *diags;
	struct yaml_tree *tree;
	struct frame stack[YAML_TREE_MAX_DEPTH];
	size_t depth;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	unsigned documents;
	int problems; /* non-fatal diagnostics added */
};

/* ---- positions --------------------------------------------------------------------------- */

/* libyaml counts "\r\n", "\r", "\n", NEL, LS and PS as one line break each, and
 * columns in characters; positions we compute ourselves must agree with its marks. */
static size_t break_len(const unsigned char *p, size_t left)
{
	if (p[0] == '\n')
		return 1;
	if (p[0] == '\r')
		return left > 1 && p[1] == '\n' ? 2 : 1;
	if (left >= 2 && p[0] == 0xc2 && p[1] == 0x85)
		return 2;
	if (left >= 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
		return 3;
	return 0;
}

static size_t char_len(const unsigned char *p, size_t left)
{
	size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc0 ? 2 : 1;

	return n < left ? n : left;
}

static void offset_to_pos(const struct builder *b, size_t off, unsigned *ret_line,
			  unsigned *ret_col)
{
	unsigned line = 1, col = 1;
	size_t i = 0; /* libyaml counts a byte-order mark as a column too */

	while (i < off && i < b->len) {
		size_t n = break_len(b->buf + i, b->len - i);

		if (n) {
			line++;
			col = 1;
		} else {
			n = char_len(b->buf + i, b->len - i);
			col++;
		}
		i += n;
	}
	*ret_line = line;
	*ret_col = col;
}

/* The byte offset of 1-based line:col, or len when it lies past the end. */
static size_t pos_to_offset(const struct builder *b, unsigned line, unsigned col)
{
	size_t i = 0; /* libyaml counts a byte-order mark as a column too */

	for (unsigned l = 1; l < line && i < b->len;) {
		size_t n = break_len(b->buf + i, b->len - i);

		if (n)
			l++;
		i += n ? n : char_len(b->buf + i, b->len - i);
	}
	for (unsigned c = 1; c < col && i < b->len && !break_len(b->buf + i, b->len - i); c++)
		i += char_len(b->buf + i, b->len - i);
	return i < b->len ? i : b->len;
}

/* What sits at a byte offset, for a "found ..." clause. */
static const char *describe_at(const struct builder *b, size_t off, char *buf, size_t len)
{
	unsigned char c;

	if (off >= b->len)
		return "the end of the file";
	c = b->buf[off];
	if (c == '\n' || c == '\r')
		return "the end of the line";
	if (c == '\t')
		return "a tab";
	if (c == ' ')
		return "a space";
	if (c >= 0x21 && c < 0x7f)
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", c);
	return buf;
}

/* ---- diagnostics ------------------------------------------------------------------------- */

/* Adds a diagnostic. A fatal one stops parsing (returns -EINVAL); any other is
 * counted and parsing goes on (returns 0). -ENOMEM either way on allocation failure. */
static int report(struct builder *b, bool is_fatal, unsigned line, unsigned col, const char *fmt,
		  ...) _printf_(5, 6);
static int report(struct builder *b, bool is_fatal, unsigned line, unsigned col, const char *fmt,
		  ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0) {
		msg = NULL;
		return -ENOMEM;
	}
	r = diag_add(b->diags, b->name, line, col, "%s", msg);
	if (r < 0)
		return r;
	if (is_fatal)
		return -EINVAL;
	b->problems++;
	return 0;
}

#define fatal(b, line, col, ...) report((b), true, (line), (col), __VA_ARGS__)
#define problem(b, line, col, ...) report((b), false, (line), (col), __VA_ARGS__)

/*
 * YAML 1.1 allows printable characters only: TAB, LF, CR, 0x20-0x7E, NEL, and the
 * printable rest of Unicode. Checking this ourselves, before libyaml sees the
 * bytes, gives one message for binary garbage and keeps libyaml from guessing a
 * UTF-16 encoding from a stray byte-order mark.
 */
static int check_utf8(struct builder *b)
{
	const unsigned char *p = b->buf;
	size_t i = 0;

	while (i < b->len) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t n;
		unsigned line, col;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				goto bad_byte;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			cp = c & 0x07;
		} else {
			goto bad_byte;
		}
		if (b->len - i < n)
			goto bad_byte;
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				goto bad_byte;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad_byte; /* overlong, out of range or a surrogate: not UTF-8 */
		if ((cp >= 0x80 && cp <= 0x9f && cp != 0x85) || cp == 0xfffe || cp == 0xffff) {
			offset_to_pos(b, i, &line, &col);
			return fatal(
				b, line, col,
				"expected UTF-8 text, found the non-printable character U+%04X",
				(unsigned)cp);
		}
		i += n;
		continue;
bad_byte:
		offset_to_pos(b, i, &line, &col);
		return fatal(b, line, col, "expected UTF-8 text, found byte 0x%02x", c);
	}
	return 0;
}

/* The column of a tab in the leading whitespace of line, or 0. */
static unsigned tab_in_indentation(const struct builder *b, unsigned line)
{
	size_t i = pos_to_offset(b, line, 1);

	for (unsigned col = 1; i < b->len; i++, col++) {
		if (b->buf[i] == '\t')
			return col;
		if (b->buf[i] != ' ')
			return 0;
	}
	return 0;
}

/*
 * libyaml reports a problem, a mark and sometimes a context ("while parsing a
 * flow mapping") with its own mark. Turn the common ones into "expected X, found
 * Y" and keep libyaml's wording for the rest rather than guess.
 */
static int report_libyaml_error(struct builder *b, const yaml_parser_t *p)
{
	static const char eos[] = "found unexpected end of stream";
	static const char dnf[] = "did not find expected ";
	const char *prob = p->problem ? p->problem : "unknown problem";
	const char *ctx = p->context;
	unsigned line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;
	unsigned cline = p->context_mark.line + 1, ccol = p->context_mark.column + 1;
	char buf[32];
	const char *found;
	unsigned tab;
	size_t off;

	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->error == YAML_READER_ERROR) {
		/* check_utf8() should have caught it; keep libyaml's words if not. */
		offset_to_pos(b, p->problem_offset, &line, &col);
		return fatal(b, line, col, "expected UTF-8 text, found %s (byte 0x%02x)", prob,
			     (unsigned)p->problem_value & 0xff);
	}

	/* Whatever libyaml makes of a tab in the indentation, this is the fix. */
	tab = tab_in_indentation(b, line);
	off = pos_to_offset(b, line, col);
	if (!tab && off < b->len && b->buf[off] == '\t')
		tab = col;
	if (tab)
		return fatal(b, line, tab,
			     "tab characters are not allowed for indentation; use spaces");

	found = describe_at(b, off, buf, sizeof(buf));
	if (ctx && streq(ctx, "while scanning a quoted scalar") &&
	    (streq(prob, eos) || streq(prob, "found unexpected document indicator")))
		return fatal(b, cline, ccol,
			     "invalid YAML: expected a closing quote for the string that starts "
			     "here, found %s",
			     streq(prob, eos) ? "the end of the file" :
						"a document marker (--- or ...)");
	if (strncmp(prob, dnf, strlen(dnf)) == 0) {
		/* "while parsing a flow mapping" -> "a flow mapping" */
		const char *what =
			ctx && strncmp(ctx, "while ", 6) == 0 ? strchr(ctx + 6, ' ') : NULL;

		if (what)
			return fatal(
				b, line, col,
				"invalid YAML: expected %s, found %s (in%s that starts at %u:%u)",
				prob + strlen(dnf), found, what, cline, ccol);
		return fatal(b, line, col, "invalid YAML: expected %s, found %s",
			     prob + strlen(dnf), found);
	}
	if (streq(prob, "mapping values are not allowed in this context"))
		return fatal(b, line, col,
			     "invalid YAML: expected a plain value, found ':' where a nested "
			     "mapping cannot start; quote the value, or put the mapping on its "
			     "own indented line");
	if (streq(prob, "block sequence entries are not allowed in this context"))
		return fatal(b, line, col,
			     "invalid YAML: expected a value, found '-' where a list cannot "
			     "start; put the list on its own indented lines under its key");
	if (streq(prob, "found character that cannot start any token"))
		return fatal(b, line, col, "invalid YAML: expected a key or a value, found %s",
			     found);
	if (ctx)
		return fatal(b, line, col, "invalid YAML: %s (%s that starts at %u:%u)", prob, ctx,
			     cline, ccol);
	return fatal(b, line, col, "invalid YAML: %s", prob);
}

/* ---- building ---------------------------------------------------------------------------- */

static int tree_new_node(struct yaml_tree *t, enum ynode_kind kind, const yaml_mark_t *mark,
			 struct ynode **ret)
{
	_cleanup_free_ struct ynode *n = NULL;

	if (t->n_nodes == t->cap_nodes) {
		size_t cap = t->cap_nodes ? t->cap_nodes * 2 : 64;
		struct ynode **nodes = realloc(t->nodes, cap * sizeof(*nodes));

		if (!nodes)
			return -ENOMEM;
		t->nodes = nodes;
		t->cap_nodes = cap;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->kind = kind;
	n->line = mark->line + 1;
	n->col = mark->column + 1;
	n->expanded = 1;
	t->nodes[t->n_nodes++] = n;
	*ret = TAKE_PTR(n);
	return 0;
}

static int add_anchor(struct builder *b, const yaml_char_t *name, struct ynode *n)
{
	char *copy;

	if (!name)
		return 0;
	if (b->n_anchors == b->cap_anchors) {
		size_t cap = b->cap_anchors ? b->cap_anchors * 2 : 16;
		struct anchor *a = realloc(b->anchors, cap * sizeof(*a));

		if (!a)
			return -ENOMEM;
		b->anchors = a;
		b->cap_anchors = cap;
	}
	copy = strdup((const char *)name);
	if (!copy)
		return -ENOMEM;
	b->anchors[b->n_anchors++] = (struct anchor){ .name = copy, .node = n };
	return 0;
}

/* YAML lets an anchor be redefined; an alias refers to the latest definition. */
static struct ynode *find_anchor(const struct builder *b, const char *name)
{
	for (size_t i = b->n_anchors; i > 0; i--)
		if (streq(b->anchors[i - 1].name, name))
			return b->anchors[i - 1].node;
	return NULL;
}

static int check_tag(struct builder *b, const yaml_char_t *tag, const yaml_mark_t *mark)
{
	if (!tag)
		return 0;
	return problem(b, mark->line + 1, mark->column + 1,
		       "expected a value without a YAML tag, found the tag '%s'; values are "
		       "written plainly",
		       (const char *)tag);
}

static int push_child(struct ynode *parent, struct frame *f, struct ynode *child)
{
	size_t count = parent->kind == YNODE_SEQUENCE ? parent->n_items : parent->n_pairs;

	if (count == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;

		if (parent->kind == YNODE_SEQUENCE) {
			struct ynode **items = realloc(parent->items, cap * sizeof(*items));

			if (!items)
				return -ENOMEM;
			parent->items = items;
		} else {
			struct ynode_pair *pairs = realloc(parent->pairs, cap * sizeof(*pairs));

			if (!pairs)
				return -ENOMEM;
			parent->pairs = pairs;
		}
		parent->cap = cap;
	}
	if (parent->kind == YNODE_SEQUENCE)
		parent->items[parent->n_items++] = child;
	else
		parent->pairs[parent->n_pairs++] = (struct ynode_pair){ f->pending_key, child };
	return 0;
}

/*
 * Attaches a finished node (or an alias to one) to the open collection, and adds
 * its expanded size there. line:col is where the node or alias appears, for the
 * limit message.
 */
static int add_child(struct builder *b, struct ynode *child, unsigned line, unsigned col)
{
	struct frame *f;
	struct ynode *parent;
	int r;

	if (b->depth == 0) {
		b->tree->root = child;
		b->tree->expanded = child->expanded;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	parent = f->node;
	if (parent->kind == YNODE_MAPPING && !f->pending_key) {
		f->pending_key = child;
	} else {
		r = push_child(parent, f, child);
		if (r < 0)
			return r;
		f->pending_key = NULL;
	}
	if (child->height + 1 > parent->height)
		parent->height = child->height + 1;
	parent->expanded += child->expanded;
	if (parent->expanded > YAML_TREE_MAX_NODES) {
		if (b->tree->n_aliases == 0)
			return fatal(b, line, col, "expected at most %d YAML nodes, found more",
				     YAML_TREE_MAX_NODES);
		return fatal(b, line, col,
			     "expected at most %d YAML nodes with aliases expanded, found more; "
			     "aliases must not multiply the document (is this an alias bomb?)",
			     YAML_TREE_MAX_NODES);
	}
	return 0;
}

static int keycmp(const void *a, const void *b, void *arg)
{
	const struct ynode_pair *pairs = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct ynode *x = pairs[i].key, *y = pairs[j].key;
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	c = memcmp(x->value, y->value, x->len);
	if (c)
		return c;
	return i < j ? -1 : i > j; /* equal keys: file order, so the first comes first */
}

/*
 * Reports and drops every pair whose scalar key repeats an earlier one. Sorting
 * keeps this O(n log n): a 1 MiB file can hold a mapping of 100,000 keys.
 */
static int drop_duplicate_keys(struct builder *b, struct ynode *m)
{
	_cleanup_free_ size_t *idx = NULL;
	_cleanup_free_ bool *drop = NULL;
	size_t n = 0, w = 0;
	int r;

	if (m->n_pairs < 2)
		return 0;
	idx = calloc(m->n_pairs, sizeof(*idx));
	drop = calloc(m->n_pairs, sizeof(*drop));
	if (!idx || !drop)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_pairs; i++)
		if (m->pairs[i].key->kind == YNODE_SCALAR)
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), keycmp, m->pairs);
	for (size_t i = 1, first = 0; i < n; i++) {
		const struct ynode *k = m->pairs[idx[i]].key, *f = m->pairs[idx[first]].key;
		char text[96];

		if (k->len != f->len || memcmp(k->value, f->value, k->len) != 0) {
			first = i;
			continue;
		}
		drop[idx[i]] = true;
		r = problem(b, k->line, k->col, "duplicate key '%s'; first at %u:%u",
			    ynode_text(k, text, sizeof(text)), f->line, f->col);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < m->n_pairs; i++)
		if (!drop[i])
			m->pairs[w++] = m->pairs[i];
	m->n_pairs = w;
	return 0;
}

static int open_collection(struct builder *b, enum ynode_kind kind, const yaml_event_t *ev,
			   const yaml_char_t *anchor, const yaml_char_t *tag)
{
	struct ynode *n;
	int r;

	if (b->depth >= YAML_TREE_MAX_DEPTH)
		return fatal(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
			     "expected at most %d levels of nesting, found more",
			     YAML_TREE_MAX_DEPTH);
	r = tree_new_node(b->tree, kind, &ev->start_mark, &n);
	if (r < 0)
		return r;
	r = check_tag(b, tag, &ev->start_mark);
	if (r < 0)
		return r;
	r = add_anchor(b, anchor, n);
	if (r < 0)
		return r;
	n->height = 1; /* even when empty: it is a level of nesting */
	b->stack[b->depth++] = (struct frame){ .node = n };
	return 0;
}

static int close_collection(struct builder *b)
{
	struct ynode *n;
	int r;

	if (b->depth == 0)
		return -EINVAL; /* libyaml never ends what it did not start */
	n = b->stack[--b->depth].node;
	if (n->kind == YNODE_MAPPING) {
		r = drop_duplicate_keys(b, n);
		if (r < 0)
			return r;
	}
	n->complete = true;
	return add_child(b, n, n->line, n->col);
}

static int add_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct ynode *n;
	int r;

	r = tree_new_node(b->tree, YNODE_SCALAR, &ev->start_mark, &n);
	if (r < 0)
		return r;
	n->len = ev->data.scalar.length;
	n->value = malloc(n->len + 1);
	if (!n->value)
		return -ENOMEM;
	memcpy(n->value, ev->data.scalar.value, n->len);
	n->value[n->len] = '\0';
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->complete = true;
	r = check_tag(b, ev->data.scalar.tag, &ev->start_mark);
	if (r < 0)
		return r;
	r = add_anchor(b, ev->data.scalar.anchor, n);
	if (r < 0)
		return r;
	return add_child(b, n, n->line, n->col);
}

/* An alias is the anchored node itself, attached once more; nothing is copied. */
static int add_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	unsigned line = ev->start_mark.line + 1, col = ev->start_mark.column + 1;
	struct ynode *n;

	if (++b->tree->n_aliases > YAML_TREE_MAX_ALIASES)
		return fatal(b, line, col, "expected at most %d aliases, found more",
			     YAML_TREE_MAX_ALIASES);
	n = find_anchor(b, name);
	if (!n)
		return fatal(b, line, col,
			     "expected an alias to an anchor defined earlier in the file, found "
			     "'*%s' with no '&%s' before it",
			     name, name);
	if (!n->complete)
		return fatal(b, line, col,
			     "expected an alias to a complete node, found '*%s' inside the node "
			     "anchored as '&%s' (recursive aliases are not allowed)",
			     name, name);
	if (b->depth + n->height > YAML_TREE_MAX_DEPTH)
		return fatal(b, line, col,
			     "expected at most %d levels of nesting, found more once '*%s' is "
			     "expanded",
			     YAML_TREE_MAX_DEPTH, name);
	return add_child(b, n, line, col);
}

static int handle_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->documents++ > 0)
			return fatal(b, ev->start_mark.line + 1, ev->start_mark.column + 1,
				     "expected one document per file, found a second document");
		return 0;
	case YAML_SCALAR_EVENT:
		return add_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return add_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return open_collection(b, YNODE_SEQUENCE, ev, ev->data.sequence_start.anchor,
				       ev->data.sequence_start.tag);
	case YAML_MAPPING_START_EVENT:
		return open_collection(b, YNODE_MAPPING, ev, ev->data.mapping_start.anchor,
				       ev->data.mapping_start.tag);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return close_collection(b);
	default:
		return 0;
	}
}

static void parser_done(yaml_parser_t *p)
{
	yaml_parser_delete(p);
}

static void event_done(yaml_event_t *ev)
{
	yaml_event_delete(ev);
}

static void builder_done(struct builder *b)
{
	for (size_t i = 0; i < b->n_anchors; i++)
		free(b->anchors[i].name);
	free(b->anchors);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct yaml_tree *, yaml_tree_free);

int yaml_tree_parse(const char *name, const char *buf, size_t len, struct yaml_tree **ret,
		    struct diag_list *diags)
{
	_cleanup_(yaml_tree_freep) struct yaml_tree *t = NULL;
	_cleanup_(builder_done) struct builder b = {
		.name = name,
		.buf = (const unsigned char *)buf,
		.len = len,
		.diags = diags,
	};
	_cleanup_(parser_done) yaml_parser_t parser = {};
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	b.tree = t;

	r = check_utf8(&b);
	if (r < 0)
		return r;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&parser, b.buf, len);

	for (;;) {
		_cleanup_(event_done) yaml_event_t ev = {};

		if (!yaml_parser_parse(&parser, &ev))
			return report_libyaml_error(&b, &parser);
		r = handle_event(&b, &ev);
		if (r < 0)
			return r;
		if (ev.type == YAML_STREAM_END_EVENT)
			break;
	}

	*ret = TAKE_PTR(t);
	return b.problems;
}

struct yaml_tree *yaml_tree_free(struct yaml_tree *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct ynode *n = t->nodes[i];

		free(n->value);
		free(n->items);
		free(n->pairs);
		free(n);
	}
	free(t->nodes);
	return mfree(t);
}

/* ---- queries ----------------------------------------------------------------------------- */

bool ynode_is_null(const struct ynode *n)
{
	return n && n->kind == YNODE_SCALAR && n->plain &&
	       (n->len == 0 || streq(n->value, "~") || streq(n->value, "null") ||
		streq(n->value, "Null") || streq(n->value, "NULL"));
}

bool ynode_scalar_eq(const struct ynode *n, const char *s)
{
	size_t len = strlen(s);

	return n && n->kind == YNODE_SCALAR && n->len == len && memcmp(n->value, s, len) == 0;
}

const struct ynode_pair *ynode_get_pair(const struct ynode *n, const char *key)
{
	if (!n || n->kind != YNODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < n->n_pairs; i++)
		if (ynode_scalar_eq(n->pairs[i].key, key))
			return &n->pairs[i];
	return NULL;
}

struct ynode *ynode_get(const struct ynode *n, const char *key)
{
	const struct ynode_pair *p = ynode_get_pair(n, key);

	return p ? p->value : NULL;
}

const char *ynode_text(const struct ynode *n, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t w = 0, max = 40;

	assert(len >= 8);
	if (!n || n->kind != YNODE_SCALAR) {
		snprintf(buf, len, "%s", !n ? "" : n->kind == YNODE_MAPPING ? "{...}" : "[...]");
		return buf;
	}
	for (size_t i = 0; i < n->len; i++) {
		unsigned char c = (unsigned char)n->value[i];

		/* 4 for an escape, 3 for "...", 1 for the NUL */
		if (w >= max || w + 8 > len) {
			memcpy(buf + w, "...", 3);
			w += 3;
			break;
		}
		if (c >= 0x20 && c != 0x7f && c != '\\') {
			buf[w++] = (char)c;
		} else {
			buf[w++] = '\\';
			buf[w++] = 'x';
			buf[w++] = hex[c >> 4];
			buf[w++] = hex[c & 15];
		}
	}
	buf[w] = '\0';
	return buf;
}

const char *ynode_describe(const struct ynode *n, char *buf, size_t len)
{
	char text[64];

	if (!n)
		snprintf(buf, len, "nothing");
	else if (n->kind == YNODE_MAPPING)
		snprintf(buf, len, "a mapping");
	else if (n->kind == YNODE_SEQUENCE)
		snprintf(buf, len, "a sequence");
	else if (ynode_is_null(n))
		snprintf(buf, len, "%s", n->len == 0 ? "an empty value" : "null");
	else if (n->plain)
		snprintf(buf, len, "%s", ynode_text(n, text, sizeof(text)));
	else
		snprintf(buf, len, "the string \"%s\"", ynode_text(n, text, sizeof(text)));
	return buf;
}
