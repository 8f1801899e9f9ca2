/* /v1/status: the node's state as one JSON object whose top-level keys are
 * sections.  Each subsystem adds its own section (the broker: node, cluster,
 * partitions, flusher; later the controller quorum, replication and groups),
 * written at request time on the loop thread through a small JSON writer. */
#ifndef SK_STATUS_H
#define SK_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

/* Section names and nesting are bounded by the code that writes them. */
#define STATUS_SECTIONS_MAX 32
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

/* A section writes exactly one value (normally an object) with key NULL. */
typedef void (*status_section_fn)(struct json_out *j, void *arg);

struct status_registry;

struct status_registry *status_registry_new(void);
void status_registry_free(struct status_registry *s);
/* `name` is a static string; `arg` borrowed.  A section of the same name is
 * replaced (so the cluster can take over "partitions").  SK_ELIMIT when full. */
int status_set_section(struct status_registry *s, const char *name, status_section_fn fn, void *arg);
void status_remove_section(struct status_registry *s, const char *name);
/* The whole document, newline-terminated.  0 or SK_ENOMEM. */
int status_render(struct status_registry *s, struct sk_writer *out);

#endif
