/* A small JSON reader for documents the tool fetches (/v1/status): parses
 * into a tree of nodes, bounded in depth and node count, with lookup by key.
 * Strings are decoded in place (escapes, \u as UTF-8).  Pure, unit-tested. */
#ifndef SK_CLIENT_JSONPARSE_H
#define SK_CLIENT_JSONPARSE_H

#include <stdbool.h>
#include <stddef.h>

#define JP_DEPTH_MAX 32
/* About 12 MiB of nodes: a status document of 10,000 partitions needs a tenth. */
#define JP_NODES_MAX (1 << 18)

enum jp_type { JP_NULL, JP_BOOL, JP_NUMBER, JP_STRING, JP_ARRAY, JP_OBJECT };

struct jp_node {
    enum jp_type type;
    const char *key; /* member name inside an object, else NULL */
    const char *str; /* JP_STRING: NUL-terminated, decoded */
    double num;      /* JP_NUMBER; JP_BOOL: 0 or 1 */
    struct jp_node *child, *next;
};

struct jp_doc {
    struct jp_node *nodes; /* owned; nodes[0] is the root */
    size_t n;
    char *text; /* owned: the decoded copy strings point into */
};

/* Parses text[0, len).  SK_EINVAL with a reason (and byte offset) in err;
 * SK_ELIMIT past the depth or node limits; SK_ENOMEM. */
int jp_parse(const char *text, size_t len, struct jp_doc *doc, char *err, size_t err_len);
void jp_free(struct jp_doc *doc);
const struct jp_node *jp_root(const struct jp_doc *doc);

/* Member `key` of an object, or NULL (also when o is NULL or no object). */
const struct jp_node *jp_get(const struct jp_node *o, const char *key);
/* Typed getters with a fallback when absent or of another type. */
double jp_num(const struct jp_node *o, const char *key, double dflt);
const char *jp_str(const struct jp_node *o, const char *key, const char *dflt);
bool jp_bool(const struct jp_node *o, const char *key, bool dflt);

#endif
