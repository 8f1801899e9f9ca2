/* Kafka request handlers.  Each sees only decoded structs (r->req) and writes
 * its response with the codec's encoder into r->body; see dispatch.h for the
 * return contract. */
#ifndef SK_HANDLERS_H
#define SK_HANDLERS_H

#include <stdint.h>

#include "common/buf.h"

struct broker;
struct kreq;

int h_api_versions(struct broker *b, struct kreq *r);
int h_metadata(struct broker *b, struct kreq *r);
int h_produce(struct broker *b, struct kreq *r);
int h_fetch(struct broker *b, struct kreq *r);
int h_list_offsets(struct broker *b, struct kreq *r);
int h_create_topics(struct broker *b, struct kreq *r);
int h_delete_topics(struct broker *b, struct kreq *r);
int h_create_partitions(struct broker *b, struct kreq *r);
int h_describe_configs(struct broker *b, struct kreq *r);
int h_alter_configs(struct broker *b, struct kreq *r);
int h_find_coordinator(struct broker *b, struct kreq *r);
int h_join_group(struct broker *b, struct kreq *r);
int h_sync_group(struct broker *b, struct kreq *r);
int h_heartbeat(struct broker *b, struct kreq *r);
int h_leave_group(struct broker *b, struct kreq *r);
int h_offset_commit(struct broker *b, struct kreq *r);
int h_offset_fetch(struct broker *b, struct kreq *r);
int h_describe_groups(struct broker *b, struct kreq *r);
int h_list_groups(struct broker *b, struct kreq *r);

/* Shared helpers. */
/* NUL-terminated copy of a slice in the request's arena ("" for null). */
char *h_arena_str(struct kreq *r, struct sk_slice s);
/* Maps an SK_E* result of a topic operation to a Kafka error code. */
int16_t h_topic_error(int rc);

#endif
