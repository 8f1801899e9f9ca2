/* Records of __consumer_offsets: Kafka's own key and value formats
 * (GroupMetadataManager), so Kafka tools can read the topic, and every
 * version of them on read.  Written as uncompressed RecordBatch v2.
 *
 *   offset commit  key   v1: int16 1, string group, string topic, int32 partition
 *                  value v3: int16 3, int64 offset, int32 leader_epoch,
 *                            string metadata, int64 commit_timestamp
 *   group metadata key   v2: int16 2, string group
 *                  value v3: int16 3, string protocol_type, int32 generation,
 *                            nullable string protocol, nullable string leader,
 *                            int64 current_state_timestamp, array of members
 *                            [string member_id, nullable string instance_id,
 *                             string client_id, string client_host,
 *                             int32 rebalance_timeout, int32 session_timeout,
 *                             bytes subscription, bytes assignment]
 * A null value is a tombstone: the offset or the group is gone.
 * Pure: no broker state. */
#ifndef SK_GROUP_RECORD_H
#define SK_GROUP_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "group.h"

/* GREC_BARRIER: a record Skiff writes only to confirm it still leads the
 * partition before answering a read (see h_offset_fetch); it changes no
 * state and replay skips it. */
enum grec_kind { GREC_OFFSET, GREC_GROUP, GREC_BARRIER };

struct grec {
    enum grec_kind kind;
    struct sk_slice group;
    bool tombstone;
    /* GREC_OFFSET */
    struct sk_slice topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    struct sk_slice metadata;
    int64_t commit_ms;
    /* GREC_GROUP */
    struct sk_slice protocol_type;
    int32_t generation;
    struct sk_slice protocol_name; /* nullable */
    struct sk_slice leader_id;     /* nullable */
    int64_t state_ms;
    struct group_loaded_member *members; /* from the arena */
    int32_t n_members;
};

/* Key/value encoders (append to w). */
void grec_offset_key(struct sk_writer *w, const char *group, struct sk_slice topic, int32_t partition);
void grec_offset_value(struct sk_writer *w, int64_t offset, int32_t leader_epoch, struct sk_slice metadata,
                       int64_t commit_ms);
void grec_group_key(struct sk_writer *w, const char *group);
/* A read barrier for `group`: key version SK_GREC_BARRIER_KEY_VERSION, with
 * an empty value. */
void grec_barrier_key(struct sk_writer *w, const char *group);
/* The group's generation, protocol, leader and members with their
 * subscription for the chosen protocol and their assignment. */
void grec_group_value(struct sk_writer *w, const struct group *g);

/* Decodes one record; strings borrow from key/value, member arrays come from
 * the arena.  value.ptr NULL = tombstone.  0, SK_ENOENT (a key version this
 * broker does not know: skip it), SK_ECORRUPT, SK_ELIMIT or SK_ENOMEM. */
int grec_decode(struct sk_slice key, struct sk_slice value, struct sk_arena *a, struct grec *out);

/* Builds one uncompressed RecordBatch v2. */
struct grec_batch {
    struct sk_writer w; /* owned */
    int32_t count;
    int64_t timestamp_ms;
};
void grec_batch_init(struct grec_batch *b, int64_t now_ms);
/* value.ptr NULL writes a null value (tombstone). */
void grec_batch_add(struct grec_batch *b, struct sk_slice key, struct sk_slice value);
/* Patches length, counts and CRC.  Returns 0 or the writer's error; the
 * batch is b->w.p[0 .. b->w.len). */
int grec_batch_finish(struct grec_batch *b);
void grec_batch_free(struct grec_batch *b);

/* Walks whole batches in buf (as read from the log): for each record of each
 * CRC-valid, uncompressed, non-control batch calls cb(arg, key, value, offset).
 * A batch that fails its CRC or framing stops the walk with SK_ECORRUPT; a
 * compressed batch is skipped (this broker never writes one).  *consumed gets
 * the bytes of whole batches walked.  cb returning non-zero stops the walk
 * with that value. */
typedef int (*grec_record_cb)(void *arg, struct sk_slice key, struct sk_slice value, int64_t offset);
int grec_walk(const uint8_t *buf, size_t len, grec_record_cb cb, void *arg, size_t *consumed);

#endif
