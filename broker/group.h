/* One consumer group's state machine (Kafka's classic group protocol, as in
 * Kafka's GroupCoordinator / GroupMetadata): members, generations, the
 * rebalance states, protocol selection, session and rebalance deadlines, and
 * the group's committed offsets.
 *
 * Pure: no I/O, no clock, no event loop.  Time comes in as `now_ms`
 * arguments, the driver (group_coordinator.c) asks group_next_deadline_ms()
 * when to call group_tick() next, and everything that leaves the group goes
 * through the callbacks in struct group_ops:
 *  - every group_join() ends in exactly one join_done() for its ctx, and every
 *    group_sync() in exactly one sync_done(), either during the call or later
 *    (a parked request); group_forget_ctx() withdraws a ctx whose request went
 *    away;
 *  - persist() asks the driver to write the group's metadata durably; the
 *    driver answers with group_persisted().
 * Callbacks must not call back into the same group; the driver defers the
 * network side of a response until the group call has returned.
 *
 * States (docs/groups.md): Empty -> PreparingRebalance -> CompletingRebalance
 * -> Stable, back to PreparingRebalance on any membership or protocol change,
 * to Empty when the last member leaves, Dead when the group is unloaded or
 * deleted. */
#ifndef SK_GROUP_H
#define SK_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

enum group_state {
    GROUP_EMPTY,
    GROUP_PREPARING_REBALANCE,
    GROUP_COMPLETING_REBALANCE,
    GROUP_STABLE,
    GROUP_DEAD,
};

/* Kafka's names, as DescribeGroups reports them. */
const char *group_state_name(enum group_state s);

struct group_protocol {
    char *name;        /* owned */
    uint8_t *metadata; /* owned, may be NULL when metadata_len is 0 */
    int32_t metadata_len;
};

struct group_member {
    char *member_id;   /* owned */
    char *instance_id; /* owned; NULL for a dynamic member */
    char *client_id;   /* owned */
    char *client_host; /* owned */
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    struct group_protocol *protocols; /* owned, in the member's preference order */
    int32_t n_protocols;
    uint8_t *assignment; /* owned; set by the leader's SyncGroup */
    int32_t assignment_len;
    int64_t session_deadline_ms; /* expires unless a join or sync keeps it alive */
    void *join_ctx;              /* a parked JoinGroup, or NULL */
    void *sync_ctx;              /* a parked SyncGroup, or NULL */
};

/* One committed offset. */
struct group_offset {
    char *topic; /* owned */
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata; /* owned; NULL = null */
    int64_t commit_ms;
    int64_t log_offset; /* where its record sits in __consumer_offsets */
};

struct group;

/* Everything a JoinGroup response needs.  Borrowed from the group, valid only
 * during the join_done callback. */
struct group_join_result {
    int16_t error;
    int32_t generation;
    const char *protocol_name; /* NULL on error */
    const char *leader_id;
    const char *member_id;
    /* The leader gets every member and its metadata for the chosen protocol;
     * the others get none (n_members 0). */
    const struct group *g;
    int32_t n_members;
};

struct group_ops {
    void (*join_done)(void *arg, void *ctx, const struct group_join_result *res);
    /* assignment borrowed, valid during the call. */
    void (*sync_done)(void *arg, void *ctx, int16_t error, const uint8_t *assignment, int32_t assignment_len);
    /* Start a durable write of the group's metadata (group_encode_metadata in
     * group_store.h); the driver later calls group_persisted(g, generation,
     * ...).  Returns 0 or a Kafka error code if the write could not start. */
    int16_t (*persist)(void *arg, struct group *g);
};

struct group_settings {
    int32_t initial_rebalance_delay_ms;
    int32_t min_session_timeout_ms;
    int32_t max_session_timeout_ms;
    const char *member_id_salt; /* borrowed for the group's life: makes member ids unique per node run */
};

struct group {
    char *group_id; /* owned */
    enum group_state state;
    int32_t generation;
    char *protocol_type; /* owned; NULL until the first member joins */
    char *protocol_name; /* owned; chosen at each completed join */
    char *leader_id;     /* owned */
    int64_t state_since_ms;
    struct group_member **members; /* owned */
    int32_t n_members;
    int32_t members_cap;
    int64_t rebalance_deadline_ms;
    int64_t initial_join_start_ms; /* -1 unless the first rebalance of an empty group is delaying */
    bool persist_pending;          /* leader's assignment written, not yet durable */
    uint64_t next_member_seq;
    struct group_offset *offsets; /* owned, sorted by (topic, partition) */
    int32_t n_offsets;
    int32_t offsets_cap;
    const struct group_ops *ops; /* borrowed */
    void *ops_arg;
    const struct group_settings *settings; /* borrowed */
    /* Driver-owned fields: the coordinator's hash chain and partition. */
    struct group *hnext;
    int32_t coordinator_partition;
};

/* A new Empty group; NULL on allocation failure. */
struct group *group_new(const char *group_id, const struct group_settings *s, const struct group_ops *ops,
                        void *ops_arg, int64_t now_ms);
/* Frees the group.  Every parked join/sync must have been answered first
 * (group_unload). */
void group_free(struct group *g);
/* Answers every parked request with `error` and marks the group Dead
 * (coordinator resigned or the group is deleted). */
void group_unload(struct group *g, int16_t error);

struct group_join_req {
    struct sk_slice member_id;   /* empty for a first join */
    struct sk_slice instance_id; /* null (len -1) for a dynamic member */
    struct sk_slice client_id;
    struct sk_slice client_host;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms; /* -1: same as the session timeout (JoinGroup v0) */
    struct sk_slice protocol_type;
    const struct sk_slice *protocol_names;
    const struct sk_slice *protocol_metadata;
    int32_t n_protocols;
};

void group_join(struct group *g, const struct group_join_req *req, void *ctx, int64_t now_ms);
void group_sync(struct group *g, struct sk_slice member_id, struct sk_slice instance_id, int32_t generation,
                const struct sk_slice *assign_member_ids, const struct sk_slice *assignments,
                int32_t n_assignments, void *ctx, int64_t now_ms);
int16_t group_heartbeat(struct group *g, struct sk_slice member_id, struct sk_slice instance_id,
                        int32_t generation, int64_t now_ms);
/* One member leaving (LeaveGroup v0-2 by member id; v3 by member id or
 * instance id). */
int16_t group_leave(struct group *g, struct sk_slice member_id, struct sk_slice instance_id, int64_t now_ms);
/* May this OffsetCommit be stored?  Generation -1 with an empty member id is
 * a commit from outside the group (assign() consumers, admin tools),
 * accepted while the group has no members. */
int16_t group_commit_check(struct group *g, struct sk_slice member_id, struct sk_slice instance_id,
                           int32_t generation, int64_t now_ms);
/* The metadata write started by persist() for `generation` finished. */
void group_persisted(struct group *g, int32_t generation, int16_t error, int64_t now_ms);
void group_forget_ctx(struct group *g, void *ctx);

/* Expires sessions and ends rebalances whose time is up. */
void group_tick(struct group *g, int64_t now_ms);
/* When group_tick has something to do next; INT64_MAX for never. */
int64_t group_next_deadline_ms(const struct group *g);

/* Replay of a stored group record: replaces generation, protocol and
 * members.  With members the group is Stable (their sessions start now);
 * without, Empty. */
struct group_loaded_member {
    struct sk_slice member_id, instance_id, client_id, client_host;
    int32_t session_timeout_ms, rebalance_timeout_ms;
    struct sk_slice subscription, assignment;
};
int group_restore(struct group *g, int32_t generation, struct sk_slice protocol_type,
                  struct sk_slice protocol_name, struct sk_slice leader_id,
                  const struct group_loaded_member *members, int32_t n_members, int64_t now_ms);

/* The member's metadata for protocol `name`, or an empty slice. */
struct sk_slice group_member_metadata(const struct group_member *m, const char *name);
struct group_member *group_find_member(const struct group *g, struct sk_slice member_id);

/* ------------------------------------------------------------ offsets */

/* Stores (or replaces, if log_offset is newer than the stored one) a
 * committed offset.  0, SK_ENOMEM. */
int group_offset_put(struct group *g, struct sk_slice topic, int32_t partition, int64_t offset,
                     int32_t leader_epoch, struct sk_slice metadata, int64_t commit_ms, int64_t log_offset);
/* Removes it if its record is older than log_offset. */
void group_offset_remove(struct group *g, struct sk_slice topic, int32_t partition, int64_t log_offset);
const struct group_offset *group_offset_get(const struct group *g, struct sk_slice topic, int32_t partition);
/* Offsets that offsets.retention has expired at now_ms: a group without
 * members expires offsets retention_ms after it emptied (or after the commit,
 * whichever is later); a group with members keeps them. */
bool group_offset_expired(const struct group *g, const struct group_offset *o, int64_t retention_ms,
                          int64_t now_ms);

#endif
