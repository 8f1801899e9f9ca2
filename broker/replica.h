/* The replica manager: partition replication between brokers (Kafka's
 * model over Skiff's protobuf protocol, proto/replication.proto).
 *
 * Leaders (replica_leader.c) answer replica fetches on the internal
 * listener, track each follower's fetch offset, compute the high watermark
 * over the ISR and ask the controller to shrink or expand the ISR.
 * Followers (replica_fetcher.c) pull from their leader, asking for offset N
 * only once everything below N is synced locally, and truncate to the
 * leader's epoch end offset when their log diverged (KIP-101/279/320).
 * replica.c follows role changes from the metadata image. */
#ifndef SK_REPLICA_H
#define SK_REPLICA_H

#include <stdint.h>

#include "metadata.h"
#include "replica_logic.h"

struct broker;
struct partition;
struct raft_transport;
struct replica_mgr;

int replica_mgr_new(struct broker *b, struct raft_transport *tr, struct replica_mgr **out);
void replica_mgr_free(struct replica_mgr *m);
/* Periodic: ISR checks on leaders, fetch retries and timeouts. */
void replica_tick(struct replica_mgr *m);

/* Role callback for topics_set_role_cb (arg: the manager). */
void replica_role_cb(void *arg, struct partition *p, const struct md_partition *old);

/* Hooks from topics.c. */
int64_t replica_hw_target(struct partition *p);
void replica_on_synced(struct partition *p);
void replica_on_append(struct partition *p);
/* The high watermark moved: a leader tells parked followers at once, so a
 * follower that takes over knows how far data is committed. */
void replica_on_hw(struct partition *p);

/* ------------------------------------------------------------ read-only */

/* ISR changes this node asked for as a partition leader (AlterPartition)
 * and the controller accepted.  Loop thread. */
struct replica_stats {
    uint64_t isr_shrinks_total;
    uint64_t isr_expands_total;
};
const struct replica_stats *replica_mgr_stats(const struct replica_mgr *m);
/* On a partition this node leads: what it knows of each follower (fetch
 * offsets, last caught up).  Returns the count (0 elsewhere); *out borrowed
 * until the next image change. */
int32_t replica_followers(const struct partition *p, const struct replica_follower **out);

#endif
