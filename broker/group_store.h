/* Writing group records through a partition of __consumer_offsets and
 * replaying them.
 *
 * A write is one RecordBatch appended to the partition's log; it counts once
 * the partition's high watermark passes it (acks=all: on one node that is
 * the fsync, in a cluster every in-sync replica has it).  Committed offsets
 * enter the coordinator's memory only then, by applying the written batch the
 * same way a replay applies it, so memory never holds what a new coordinator
 * could not load. */
#ifndef SK_GROUP_STORE_H
#define SK_GROUP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "group_record.h"
#include "topics.h"

struct group_coordinator;
struct gc_pending;

enum gstore_kind {
    GSTORE_OFFSETS, /* OffsetCommit: applied, then the request is answered */
    GSTORE_GROUP,   /* group metadata: group_persisted() */
    GSTORE_EXPIRY,  /* tombstones of expired offsets / an expired group: applied */
    GSTORE_BARRIER, /* a read barrier: nothing to apply, only its durability */
};

struct gstore_write {
    struct hw_waiter w;
    struct group_coordinator *gc;
    int32_t partition;
    enum gstore_kind kind;
    uint8_t *batch; /* owned: the batch as appended (offsets assigned) */
    size_t batch_len;
    char *group_id; /* owned */
    int32_t generation;
    struct gc_pending *pending; /* borrowed; NULL once detached */
    struct gstore_write *prev, *next;
};

/* Appends the finished batch b (its buffer is taken over; b is left empty)
 * to the partition and calls back when durable (pending->write_done, or
 * group_persisted for GSTORE_GROUP), possibly before returning when the high
 * watermark already covers it.  pending->write tracks the write while it
 * waits.  Returns a Kafka error when
 * nothing was written (the caller answers at once). */
int16_t gstore_append(struct group_coordinator *gc, int32_t partition, struct grec_batch *b,
                      enum gstore_kind kind, const char *group_id, int32_t generation,
                      struct gc_pending *pending, struct gstore_write **out);
/* The request behind a write went away; the write still completes. */
void gstore_detach(struct gstore_write *w);
/* Completes every write of the partition with `error` (leadership lost). */
void gstore_fail_all(struct group_coordinator *gc, int32_t partition, int16_t error);

/* Replays up to SK_GROUP_LOAD_STEP_BYTES of the partition; *done once the
 * replay reached the high watermark and that is the partition's log end;
 * *waiting when the replay is at the high watermark but the log holds more
 * (a new leader whose followers have not fetched yet).  0 or an SK_E* error
 * (the load stops). */
int gstore_load_step(struct group_coordinator *gc, int32_t partition, bool *done, bool *waiting);

/* Applies one decoded record at log offset `offset`.  `replay` is true while
 * loading: group metadata records then replace the group's membership; live
 * (after this node's own write) they are already in memory. */
int gstore_apply(struct group_coordinator *gc, int32_t partition, const struct grec *rec, int64_t offset,
                 bool replay);

#endif
