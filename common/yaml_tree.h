/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small, bounded YAML node tree built from libyaml's event API.
 *
 * Why not libyaml's own document loader: it expands nothing lazily and has no
 * limits, so an alias bomb ("billion laughs") or a deep nest exhausts memory
 * before any check could run; it also keeps no "was this scalar quoted" flag in a
 * form we want to rely on. Here every node keeps its 1-based line:col, aliases
 * point at the anchored node (shared, never copied), and the size a node *would*
 * have if every alias under it were expanded is computed as the tree is built, so
 * the limits below are enforced before the tree can grow past them.
 *
 * The tree owns every node; freeing the tree frees them all. Because of aliases a
 * node may be reachable from several parents, so never free a single node.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* Bounds that keep a hostile file from exhausting its reader. */
#define YAML_TREE_MAX_NODES 100000 /* after alias expansion */
#define YAML_TREE_MAX_ALIASES 1000
#define YAML_TREE_MAX_DEPTH 64

enum ynode_kind {
	YNODE_SCALAR,
	YNODE_SEQUENCE,
	YNODE_MAPPING,
};

struct ynode;

struct ynode_pair {
	struct ynode *key;
	struct ynode *value;
};

struct ynode {
	enum ynode_kind kind;
	unsigned line, col; /* 1-based start of the node's text (the anchor's, for aliases) */

	/* YNODE_SCALAR. value is NUL-terminated but may hold NUL bytes ("\0" in a
	 * double-quoted string), so len is the truth. */
	char *value;
	size_t len;
	bool plain; /* written without quotes or block indicators (| >) */

	/* YNODE_SEQUENCE */
	struct ynode **items;
	size_t n_items;

	/* YNODE_MAPPING, in file order. Pairs whose scalar key repeats an earlier key
	 * are reported and dropped, so keys are unique here. */
	struct ynode_pair *pairs;
	size_t n_pairs;

	/* Bookkeeping for the limits. */
	uint64_t expanded; /* nodes in this subtree with aliases expanded, this one included */
	unsigned height; /* 0 for a scalar; 1 + the highest child (1 when empty) for a collection */
	bool complete; /* its end event was seen; an alias to an incomplete node is a cycle */
	size_t cap; /* allocated items or pairs */
};

struct yaml_tree {
	struct ynode *root; /* NULL when the stream holds no document or an empty one */
	size_t n_aliases; /* alias uses seen */
	uint64_t expanded; /* root->expanded, or 0 */

	struct ynode **nodes; /* every allocated node, for freeing */
	size_t n_nodes, cap_nodes;
};

/*
 * Parses buf (len bytes, need not be NUL-terminated) as a single YAML document.
 * name is the file name used in diagnostics.
 *
 * Returns the number of non-fatal problems appended to diags (>= 0) and sets *ret
 * when a tree could be built. Non-fatal problems are duplicate keys (the later
 * pair is dropped) and explicit tags. Returns -EINVAL, with at least one entry in
 * diags and *ret untouched, for anything that stops parsing: invalid UTF-8 or
 * control bytes, YAML syntax errors (a tab in indentation gets its own message),
 * more than one document, unknown or recursive aliases, and the limits
 * YAML_TREE_MAX_ALIASES, YAML_TREE_MAX_NODES and YAML_TREE_MAX_DEPTH. Returns -ENOMEM
 * on allocation failure. Does not block and does not log.
 */
int yaml_tree_parse(const char *name, const char *buf, size_t len, struct yaml_tree **ret,
		    struct diag_list *diags);

/* Frees the tree and every node in it. Accepts NULL; returns NULL. */
struct yaml_tree *yaml_tree_free(struct yaml_tree *t);

/* True for a plain scalar that YAML reads as null: empty, "~", "null", "Null", "NULL". */
bool ynode_is_null(const struct ynode *n);

/* The value for key in a mapping, or NULL when absent or n is not a mapping. */
struct ynode *ynode_get(const struct ynode *n, const char *key);

/* The pair whose key is key, or NULL; for positions of keys in messages. */
const struct ynode_pair *ynode_get_pair(const struct ynode *n, const char *key);

/* True when n is a scalar whose bytes equal the NUL-terminated s. */
bool ynode_scalar_eq(const struct ynode *n, const char *s);

/*
 * The scalar's text for a message: bytes below 0x20, 0x7f and backslashes escaped
 * as \xNN, cut to about 40 bytes with "...". Collections show as {...} or [...].
 * buf must hold at least 8 bytes. Returns buf.
 */
const char *ynode_text(const struct ynode *n, char *buf, size_t len);

/*
 * Describes n for a "found ..." clause: "a mapping", "a sequence", "null", or the
 * scalar itself, quoted and shortened, with "the string" for quoted scalars (so
 * that "1234" and 1234 read differently). Writes into buf and returns it.
 */
const char *ynode_describe(const struct ynode *n, char *buf, size_t len);
