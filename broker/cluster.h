/* This node's membership in the cluster: the internal transport, the
 * metadata quorum (Raft over the metadata log, driven inside skiffd's event
 * loop), the metadata image every node applies, the controller (active on
 * the Raft leader), this broker's registration and heartbeats, and the
 * controller RPCs between nodes.
 *
 * Files: quorum.c (Raft host, image, snapshots), cluster_rpc.c (controller
 * requests over the internal transport), lifecycle.c (registration,
 * heartbeats, fencing state, controlled shutdown), controller.c. */
#ifndef SK_CLUSTER_H
#define SK_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "controller.h"
#include "metadata.h"

struct broker;
struct cluster;
struct raft_transport;
struct replica_mgr;

/* Starts the transport on internal.listener and the metadata quorum; the
 * image is restored from the local metadata log before this returns. */
int cluster_start(struct broker *b, struct cluster **out);
/* Controlled shutdown: asks the controller to move this broker's
 * leaderships away and waits (running the loop) up to
 * controlled.shutdown.timeout.ms for it. */
void cluster_controlled_shutdown(struct cluster *c);
void cluster_stop(struct cluster *c);

/* Sends a request to the active controller (locally when this node is it)
 * and calls done_cb once with the answer.  While no controller is known or
 * the addressed one is no longer it, the request is retried until
 * deadline_ms (monotonic); then done_cb gets REQUEST_TIMED_OUT.  The request
 * is copied.  *handle (may be NULL) is for cluster_call_cancel. */
int cluster_call(struct cluster *c, const struct ctrl_req *req, int64_t deadline_ms, ctrl_done_cb done_cb,
                 void *arg, void **handle);
void cluster_call_cancel(struct cluster *c, void *handle);

/* ------------------------------------------------------------ read-only */

const struct md_image *cluster_image(const struct cluster *c);
int32_t cluster_self(const struct cluster *c);
/* The active controller's node id (the metadata quorum's leader), or -1. */
int32_t cluster_controller_id(const struct cluster *c);
/* This broker: registered with its current incarnation, unfenced in the
 * image and caught up with the metadata log. */
bool cluster_broker_ready(const struct cluster *c);
int64_t cluster_broker_epoch(const struct cluster *c);
/* This broker can be sure the partitions its image says it leads are still
 * its own: a heartbeat sent less than the lease ago was answered by the
 * active controller with this incarnation unfenced (leader_lease.h). */
bool cluster_leader_lease_held(const struct cluster *c, int64_t now_ms);

struct cluster_raft_status {
    const char *role; /* "leader", "follower", "candidate", "precandidate" */
    uint64_t term;
    uint64_t commit_index;
    uint64_t applied_index;
    int32_t leader_id; /* -1 if unknown */
};
void cluster_raft_status(const struct cluster *c, struct cluster_raft_status *out);

/* One voter of the metadata quorum.  Only the quorum leader tracks how far
 * each voter's log matches its own; elsewhere lag_known is false. */
struct cluster_voter_status {
    int32_t node_id;
    bool lag_known;
    uint64_t match_index;
    uint64_t lag_entries; /* the leader's last index minus match_index */
};
/* Fills out[] with up to `max` voters in configuration order; returns how
 * many were written. */
int32_t cluster_voter_status(const struct cluster *c, struct cluster_voter_status *out, int32_t max);
/* True while this node is the active controller (quorum leader with its
 * image caught up). */
bool cluster_controller_active(const struct cluster *c);
/* The replica manager, for its read-only views (replica.h). */
const struct replica_mgr *cluster_replicas(const struct cluster *c);

#endif
