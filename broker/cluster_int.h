/* Shared state of the cluster modules (quorum.c, cluster_rpc.c,
 * lifecycle.c); nothing outside them includes this. */
#ifndef SK_CLUSTER_INT_H
#define SK_CLUSTER_INT_H

#include "cluster.h"
#include "common/limits.h"
#include "metadata.h"

struct broker;
struct raft_host;
struct raft_transport;
struct event;
struct rpc_call;
struct replica_mgr;

struct cluster_voter {
    int32_t id;
    char host[256];
    int32_t port;
};

struct cluster {
    struct broker *b;
    int32_t self;
    struct raft_transport *tr;  /* owned */
    struct raft_host *host;     /* owned */
    struct controller *ctrl;    /* owned */
    struct replica_mgr *replicas; /* owned */
    struct md_image img;        /* owned */
    struct cluster_voter voters[SK_RAFT_MEMBERS_MAX];
    int32_t n_voters;
    bool voter;                 /* this node is one of them; else an observer */
    int32_t controller_hint;    /* last controller named by a NOT_CONTROLLER answer, or -1 */
    int32_t next_voter;         /* round robin while no controller is known */
    uint64_t last_applied_term;
    struct event *tick_ev;      /* owned: heartbeats, retries, controller tick */
    /* RPC client (cluster_rpc.c) */
    struct rpc_call *calls;
    uint64_t next_corr;
    /* this broker (lifecycle.c) */
    uint64_t incarnation_id;
    int64_t broker_epoch;       /* 0 until registered */
    bool registering;
    bool heartbeat_inflight;
    int64_t next_heartbeat_ms;
    int64_t heartbeat_sent_ms;  /* when the heartbeat in flight was sent */
    int64_t lease_from_ms;      /* sent time of the last heartbeat answered unfenced; -1: none */
    bool lease_was_held;        /* for logging the lease's transitions */
    bool shutdown_requested;
    bool shutdown_ok;
    bool was_ready;
};

/* quorum.c */
/* Parses the voters and opens the internal transport. */
int quorum_open(struct cluster *c, char *err, size_t errlen);
/* Restores the image from the metadata log and starts the Raft member. */
int quorum_start(struct cluster *c, char *err, size_t errlen);
void quorum_stop(struct cluster *c);
/* Proposes an encoded metadata batch; *index and *term say where it commits if it does. */
int quorum_propose(struct cluster *c, const uint8_t *data, size_t len, uint64_t *index, uint64_t *term);
bool quorum_is_leader(const struct cluster *c);
/* `id` is listed in controller.quorum.voters. */
bool quorum_is_voter(const struct cluster *c, int32_t id);
/* Hands Raft leadership to voter `to` (leadership transfer). */
int quorum_transfer(struct cluster *c, int32_t to);
/* The index the next proposal will get (leader only). */
uint64_t quorum_next_index(const struct cluster *c);
int32_t quorum_leader(const struct cluster *c);
uint64_t quorum_term(const struct cluster *c);

/* quorum_members.c */
/* Points the transport at every registered broker's internal address. */
void quorum_sync_peers(struct cluster *c);
/* On the leader: adds registered brokers that are not members as observers. */
void quorum_members_tick(struct cluster *c);

/* cluster_rpc.c */
int rpc_start(struct cluster *c);
void rpc_stop(struct cluster *c);
void rpc_tick(struct cluster *c);

/* lifecycle.c */
void lifecycle_tick(struct cluster *c);
/* The image changed (after every applied batch). */
void lifecycle_on_image(struct cluster *c);

/* Called by quorum.c after each applied batch: topics follow the image. */
void cluster_image_changed(struct cluster *c);

#endif
