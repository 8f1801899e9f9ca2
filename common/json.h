/* A small streaming JSON writer over an sk_writer: objects, arrays,
 * strings (escaped), integers, booleans.  Commas are placed by depth, so
 * callers write members in order and never track separators. */
#ifndef SK_JSON_H
#define SK_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

/* Nesting is bounded by the code that writes the document. */
#define JSON_DEPTH_MAX 16

struct json_out {
    struct sk_writer *w;
    int depth;
    bool first[JSON_DEPTH_MAX]; /* no member written yet at this depth */
};

/* Values inside an object take a key; inside an array the key is NULL. */
void json_begin_object(struct json_out *j, const char *key);
void json_end_object(struct json_out *j);
void json_begin_array(struct json_out *j, const char *key);
void json_end_array(struct json_out *j);
void json_str(struct json_out *j, const char *key, const char *v); /* NULL -> null */
void json_i64(struct json_out *j, const char *key, int64_t v);
void json_u64(struct json_out *j, const char *key, uint64_t v);
void json_bool(struct json_out *j, const char *key, bool v);
void json_double(struct json_out *j, const char *key, double v);
/* The separator and key of the next value (for writers that splice values). */
void json_member(struct json_out *j, const char *key);

#endif
