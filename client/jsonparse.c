#include "client/jsonparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"

struct jp {
    char *s; /* the writable copy */
    size_t len, pos;
    struct jp_doc *doc;
    size_t cap;
    char *err;
    size_t err_len;
    int rc;
};

static int fail(struct jp *p, int rc, const char *what)
{
    if (p->rc == 0) {
        p->rc = rc;
        snprintf(p->err, p->err_len, "JSON: %s at byte %zu", what, p->pos);
    }
    return rc;
}

static void skip_ws(struct jp *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
        p->pos++;
}

static struct jp_node *new_node(struct jp *p, enum jp_type t)
{
    if (p->doc->n == p->cap) {
        /* Nodes link to each other by pointer, so the array cannot move: it
         * is sized once, from the input (a value takes at least one byte)
         * capped at JP_NODES_MAX. */
        fail(p, SK_ELIMIT, "too many values");
        return NULL;
    }
    struct jp_node *n = &p->doc->nodes[p->doc->n++];
    memset(n, 0, sizeof(*n));
    n->type = t;
    return n;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes the string at pos (after the opening quote) in place. */
static const char *parse_string(struct jp *p)
{
    char *out = p->s + p->pos, *start = out;
    while (p->pos < p->len) {
        char c = p->s[p->pos++];
        if (c == '"') {
            *out = '\0';
            return start;
        }
        if ((unsigned char)c < 0x20)
            break;
        if (c != '\\') {
            *out++ = c;
            continue;
        }
        if (p->pos >= p->len)
            break;
        char e = p->s[p->pos++];
        const char *map = strchr("\"\\/bfnrt", e);
        if (map && e != 'u') {
            *out++ = "\"\\/\b\f\n\r\t"[map - "\"\\/bfnrt"];
            continue;
        }
        if (e != 'u' || p->len - p->pos < 4)
            break;
        unsigned cp = 0;
        for (int i = 0; i < 4; i++) {
            int h = hexval(p->s[p->pos + (size_t)i]);
            if (h < 0)
                return fail(p, SK_EINVAL, "bad \\u escape"), NULL;
            cp = cp * 16 + (unsigned)h;
        }
        p->pos += 4;
        /* Basic plane only: enough for the documents read here; surrogates
         * become U+FFFD rather than being paired. */
        if (cp >= 0xD800 && cp <= 0xDFFF)
            cp = 0xFFFD;
        if (cp < 0x80) {
            *out++ = (char)cp;
        } else if (cp < 0x800) {
            *out++ = (char)(0xC0 | (cp >> 6));
            *out++ = (char)(0x80 | (cp & 0x3F));
        } else {
            *out++ = (char)(0xE0 | (cp >> 12));
            *out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
            *out++ = (char)(0x80 | (cp & 0x3F));
        }
    }
    fail(p, SK_EINVAL, "bad string");
    return NULL;
}

static struct jp_node *parse_value(struct jp *p, int depth);

/* Object or array members after the opening bracket. */
static struct jp_node *parse_container(struct jp *p, struct jp_node *n, char close, int depth)
{
    struct jp_node **tail = &n->child;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return n;
    }
    for (;;) {
        const char *key = NULL;
        skip_ws(p);
        if (close == '}') {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return fail(p, SK_EINVAL, "expected a member name"), NULL;
            p->pos++;
            if (!(key = parse_string(p)))
                return NULL;
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos++] != ':')
                return fail(p, SK_EINVAL, "expected ':'"), NULL;
        }
        struct jp_node *v = parse_value(p, depth + 1);
        if (!v)
            return NULL;
        v->key = key;
        *tail = v;
        tail = &v->next;
        skip_ws(p);
        if (p->pos >= p->len)
            return fail(p, SK_EINVAL, "unterminated container"), NULL;
        char c = p->s[p->pos++];
        if (c == close)
            return n;
        if (c != ',')
            return fail(p, SK_EINVAL, "expected ',' or a closing bracket"), NULL;
    }
}

static struct jp_node *parse_literal(struct jp *p, const char *word, enum jp_type t, double v)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail(p, SK_EINVAL, "unexpected character"), NULL;
    p->pos += n;
    struct jp_node *node = new_node(p, t);
    if (node)
        node->num = v;
    return node;
}

static struct jp_node *parse_value(struct jp *p, int depth)
{
    if (depth > JP_DEPTH_MAX)
        return fail(p, SK_ELIMIT, "nested too deeply"), NULL;
    skip_ws(p);
    if (p->pos >= p->len)
        return fail(p, SK_EINVAL, "unexpected end"), NULL;
    char c = p->s[p->pos];
    struct jp_node *n;
    switch (c) {
    case '{':
    case '[':
        p->pos++;
        n = new_node(p, c == '{' ? JP_OBJECT : JP_ARRAY);
        return n ? parse_container(p, n, c == '{' ? '}' : ']', depth) : NULL;
    case '"':
        p->pos++;
        n = new_node(p, JP_STRING);
        if (n && !(n->str = parse_string(p)))
            return NULL;
        return n;
    case 't':
        return parse_literal(p, "true", JP_BOOL, 1);
    case 'f':
        return parse_literal(p, "false", JP_BOOL, 0);
    case 'n':
        return parse_literal(p, "null", JP_NULL, 0);
    default: {
        char *end = NULL;
        double v = strtod(p->s + p->pos, &end);
        if (end == p->s + p->pos || !(c == '-' || (c >= '0' && c <= '9')))
            return fail(p, SK_EINVAL, "unexpected character"), NULL;
        p->pos = (size_t)(end - p->s);
        n = new_node(p, JP_NUMBER);
        if (n)
            n->num = v;
        return n;
    }
    }
}

int jp_parse(const char *text, size_t len, struct jp_doc *doc, char *err, size_t err_len)
{
    memset(doc, 0, sizeof(*doc));
    struct jp p = {.len = len, .doc = doc, .err = err, .err_len = err_len};
    p.cap = len < JP_NODES_MAX ? len + 1 : JP_NODES_MAX;
    doc->text = sk_malloc(len + 1);
    doc->nodes = sk_calloc(p.cap, sizeof(struct jp_node));
    if (!doc->text || !doc->nodes) {
        jp_free(doc);
        snprintf(err, err_len, "out of memory");
        return SK_ENOMEM;
    }
    memcpy(doc->text, text, len);
    doc->text[len] = '\0'; /* strtod stops here at the latest */
    p.s = doc->text;
    if (parse_value(&p, 0)) {
        skip_ws(&p);
        if (p.pos != len)
            fail(&p, SK_EINVAL, "trailing characters");
    }
    if (p.rc) {
        jp_free(doc);
        return p.rc;
    }
    return SK_OK;
}

void jp_free(struct jp_doc *doc)
{
    sk_free(doc->nodes);
    sk_free(doc->text);
    memset(doc, 0, sizeof(*doc));
}

const struct jp_node *jp_root(const struct jp_doc *doc)
{
    return doc->n ? &doc->nodes[0] : NULL;
}

const struct jp_node *jp_get(const struct jp_node *o, const char *key)
{
    if (!o || o->type != JP_OBJECT)
        return NULL;
    for (const struct jp_node *c = o->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

double jp_num(const struct jp_node *o, const char *key, double dflt)
{
    const struct jp_node *n = jp_get(o, key);
    return n && n->type == JP_NUMBER ? n->num : dflt;
}

const char *jp_str(const struct jp_node *o, const char *key, const char *dflt)
{
    const struct jp_node *n = jp_get(o, key);
    return n && n->type == JP_STRING ? n->str : dflt;
}

bool jp_bool(const struct jp_node *o, const char *key, bool dflt)
{
    const struct jp_node *n = jp_get(o, key);
    return n && n->type == JP_BOOL ? n->num != 0 : dflt;
}
