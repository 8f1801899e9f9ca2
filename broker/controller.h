/* The controller: leader-only logic over the metadata log.  On the node whose
 * metadata-quorum member is the Raft leader it takes requests (admin
 * changes forwarded by brokers, registrations, heartbeats, ISR changes),
 * decides from the metadata image, proposes the resulting records and
 * answers once they are committed and applied.  One decision is in flight at
 * a time, so every decision sees the effects of the previous one.
 *
 * Requests are plain structs (the internal protocol's protobuf stays in
 * cluster_rpc.c); strings and arrays are borrowed for the duration of
 * ctrl_submit, which copies what it keeps. */
#ifndef SK_CONTROLLER_H
#define SK_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "metadata.h"

struct cluster;
struct raft_entry;

enum ctrl_op {
    CTRL_CREATE_TOPIC = 1,
    CTRL_DELETE_TOPIC,
    CTRL_CREATE_PARTITIONS,
    CTRL_ALTER_CONFIGS,
    CTRL_REGISTER,
    CTRL_HEARTBEAT,
    CTRL_ALTER_PARTITION,
};

struct ctrl_assignment {
    const int32_t *ids;
    int32_t n;
};

struct ctrl_req {
    enum ctrl_op op;
    /* topic ops */
    const char *name;
    int32_t partitions; /* create: count (-1: default); create partitions: new total */
    int32_t replication_factor;
    const struct ctrl_assignment *assignments;
    int32_t n_assignments;
    const struct md_config *configs;
    int32_t n_configs;
    bool validate_only;
    /* broker ops */
    struct md_broker broker; /* register: id, incarnation, addresses */
    int32_t broker_id;
    int64_t broker_epoch;
    uint64_t metadata_offset;
    bool want_shutdown;
    /* alter partition */
    int32_t partition;
    int32_t leader_epoch;
    int32_t partition_epoch;
    const int32_t *isr;
    int32_t n_isr;
};

struct ctrl_resp {
    int16_t error_code; /* Kafka error code */
    char error_message[256];
    int64_t broker_epoch;
    bool fenced;
    bool shutdown_ok;
    int32_t controller_id;
};

typedef void (*ctrl_done_cb)(void *arg, const struct ctrl_resp *resp);

struct controller;

int ctrl_new(struct cluster *c, struct controller **out);
void ctrl_free(struct controller *ctl);

/* Queues a request; done_cb runs exactly once (possibly before ctrl_submit
 * returns) unless the request is cancelled first.  *handle (may be NULL)
 * identifies it for ctrl_cancel.  A node that is not the ready active
 * controller answers NOT_CONTROLLER. */
void ctrl_submit(struct controller *ctl, const struct ctrl_req *req, ctrl_done_cb done_cb, void *arg,
                 void **handle);
void ctrl_cancel(struct controller *ctl, void *handle);

/* Called by the quorum driver for every applied entry (after the image has
 * applied it) and periodically. */
void ctrl_on_apply(struct controller *ctl, const struct raft_entry *e);
void ctrl_tick(struct controller *ctl);
/* True while this node is the active controller and its image has caught up
 * with every entry of earlier terms. */
bool ctrl_active(const struct controller *ctl);

#endif
