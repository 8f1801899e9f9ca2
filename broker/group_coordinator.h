/* The group coordinator: which groups this node coordinates, their state
 * machines (group.h), loading them from __consumer_offsets, and the timers
 * that drive them.
 *
 * Ownership follows partition leadership: the coordinator of group g is the
 * leader of partition abs(java_hash(g)) % N of __consumer_offsets.  When this
 * node becomes leader of such a partition (group_coordinator_partition_elected)
 * it replays the partition's records before serving its groups
 * (COORDINATOR_LOAD_IN_PROGRESS meanwhile); when it stops leading it
 * (group_coordinator_partition_resigned) it drops those groups and answers
 * their parked requests NOT_COORDINATOR.  Both hooks are called from the
 * cluster's partition role changes (cluster.c), single node or not.
 *
 * Loop thread only. */
#ifndef SK_GROUP_COORDINATOR_H
#define SK_GROUP_COORDINATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "controller.h"
#include "group.h"

struct broker;
struct kreq;
struct event;
struct gstore_write;

#define GROUP_OFFSETS_TOPIC "__consumer_offsets"

enum gc_part_state { GC_NOT_LEADER, GC_LOADING, GC_LOADED };

struct gc_partition {
    enum gc_part_state state;
    int32_t leader_epoch;
    int64_t load_offset;         /* next offset to replay while loading */
    struct gstore_write *writes; /* writes waiting for the high watermark */
};

/* A parked group request (JoinGroup, SyncGroup, OffsetCommit).  Its response
 * is encoded when the group answers and sent from the loop's next turn
 * (group_coordinator_finish_later), so a response never re-enters the
 * coordinator while a group operation runs. */
struct gc_pending {
    struct kreq *r;
    struct group_coordinator *gc;
    char *group_id;             /* from the request arena */
    struct gstore_write *write; /* OffsetCommit: the write it waits for */
    void *state;                /* handler's own state */
    /* Set by the handler for the answer it waits for: the group's answer to
     * a JoinGroup or SyncGroup (group_ops), or an OffsetCommit's write
     * becoming durable (or failing). */
    void (*join_done)(struct gc_pending *p, const struct group_join_result *res);
    void (*sync_done)(struct gc_pending *p, int16_t error, const uint8_t *assignment, int32_t len);
    void (*write_done)(struct gc_pending *p, int16_t error);
    bool answered;
    bool queued;
    struct gc_pending *next_done;
};

#define GC_GROUP_BUCKETS 4096

struct group_coordinator {
    struct broker *b;
    struct group_settings settings;
    struct group_ops ops;
    char member_id_salt[48];
    int32_t n_partitions;       /* of __consumer_offsets, once known */
    struct gc_partition *parts; /* owned, n_partitions */
    struct group *buckets[GC_GROUP_BUCKETS];
    size_t n_groups;
    struct event *timer_ev; /* owned: the next group deadline */
    int64_t timer_at_ms;
    struct event *load_ev;   /* owned: one load step per loop turn */
    struct event *finish_ev; /* owned: sends answered responses */
    struct event *expire_ev; /* owned: offsets retention */
    struct gc_pending *done_head;
};

int group_coordinator_create(struct broker *b, struct group_coordinator **out);
void group_coordinator_destroy(struct group_coordinator *gc);

/* Hooks for partition leadership changes of __consumer_offsets. */
void group_coordinator_partition_elected(struct group_coordinator *gc, int32_t partition,
                                         int32_t leader_epoch);
void group_coordinator_partition_resigned(struct group_coordinator *gc, int32_t partition);

/* abs(String.hashCode(group_id)) % n over the UTF-16 code units, as Kafka
 * computes it, so every tool agrees on a group's partition. */
int32_t group_partition_for(struct sk_slice group_id, int32_t n_partitions);

/* The CreateTopics request for __consumer_offsets (FindCoordinator sends it
 * to the controller on first use): offsets.topic.num.partitions partitions,
 * offsets.topic.replication.factor replicas capped at live_brokers, no time
 * retention.  Strings point to static storage. */
void group_coordinator_offsets_topic_req(const struct group_coordinator *gc, int32_t live_brokers,
                                         struct ctrl_req *out);
/* The partition of group_id and whether this node serves it:
 * NONE, COORDINATOR_NOT_AVAILABLE (no topic yet), NOT_COORDINATOR or
 * COORDINATOR_LOAD_IN_PROGRESS. */
int16_t group_coordinator_owner(struct group_coordinator *gc, struct sk_slice group_id,
                                int32_t *partition_out);
/* Finds (or with `create`, creates) a group this node serves.  *out NULL
 * with NONE when the group does not exist and create is false. */
int16_t group_coordinator_group(struct group_coordinator *gc, struct sk_slice group_id, bool create,
                                struct group **out);
/* The same for replaying records: also while the partition is loading. */
int16_t group_coordinator_replay_group(struct group_coordinator *gc, struct sk_slice group_id, bool create,
                                       struct group **out);
struct group *group_coordinator_find(struct group_coordinator *gc, const char *group_id);
struct group *group_coordinator_next(struct group_coordinator *gc, struct group *prev);
/* After any operation on g: re-arms the deadline timer and frees a group
 * that holds nothing. */
void group_coordinator_touched(struct group_coordinator *gc, struct group *g);
/* Unlinks and frees g (answering anything parked with `error`). */
void group_coordinator_drop(struct group_coordinator *gc, struct group *g, int16_t error);

void group_coordinator_finish_later(struct gc_pending *p);
/* kreq cancel for a parked group request. */
void group_coordinator_cancel(struct kreq *r);

#endif
