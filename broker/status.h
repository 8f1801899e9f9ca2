/* /v1/status: the node's state as one JSON object whose top-level keys are
 * sections.  Each subsystem adds its own section (the broker: node, cluster,
 * partitions, flusher; later the controller quorum, replication and groups),
 * written at request time on the loop thread through a small JSON writer. */
#ifndef SK_STATUS_H
#define SK_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/json.h"

/* Sections one registry holds. */
#define STATUS_SECTIONS_MAX 32

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
