/* Shared state of the replica manager files (replica.c, replica_leader.c,
 * replica_fetcher.c, replica_rpc.c). */
#ifndef SK_REPLICA_INT_H
#define SK_REPLICA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "replica.h"
#include "replica_logic.h"

struct broker;
struct partition;
struct raft_transport;

#define REPLICA_NO_DIVERGENCE (-1)

/* Plain forms of the replication messages (replica_rpc.c converts). */
struct replica_fetch_req {
    int32_t replica_id;
    int64_t broker_epoch;
    const char *topic; /* borrowed */
    int32_t partition;
    int32_t leader_epoch;
    int64_t fetch_offset;
    int32_t last_fetched_epoch;
    int32_t max_bytes;
};

struct replica_fetch_resp {
    int16_t error_code;
    int32_t leader_id;
    int64_t broker_epoch;
    const char *topic; /* borrowed */
    int32_t partition;
    int32_t leader_epoch;
    int64_t fetch_offset;
    int64_t high_watermark;
    int64_t log_start_offset;
    bool diverging;
    int32_t diverging_epoch;
    int64_t diverging_end_offset;
    const uint8_t *records; /* borrowed */
    size_t records_len;
};

/* A follower's fetch parked on the leader until data arrives or it waited
 * replica.fetch.wait.max.ms. */
struct replica_parked {
    struct replica_parked *next;
    int32_t sender;
    uint64_t corr;
    int64_t fetch_offset;
    int32_t max_bytes;
    int64_t deadline_ms;
};

struct replica_part {
    struct replica_part *prev, *next;
    struct replica_mgr *m;
    struct partition *p;
    bool leader;
    /* leader */
    int64_t epoch_start_offset;
    struct replica_follower f[SK_REPLICATION_FACTOR_MAX];
    int32_t n_f;
    bool alter_inflight;
    int32_t pending_add; /* joining the ISR (counted for the HW already), or -1 */
    int64_t next_isr_check_ms;
    struct replica_parked *parked;
    /* follower */
    bool following;
    int32_t leader_id;
    bool inflight;
    uint64_t corr;
    int64_t sent_ms;
    int64_t retry_at_ms;
    int64_t leader_hw;
};

struct replica_mgr {
    struct broker *b;
    struct raft_transport *tr;
    int32_t self;
    struct replica_part *parts;
    uint64_t next_corr;
    struct replica_stats stats;
};

/* replica_leader.c */
void replica_leader_begin(struct replica_part *rp);
void replica_leader_end(struct replica_part *rp);
void replica_leader_on_fetch(struct replica_mgr *m, int32_t sender, uint64_t corr, const struct replica_fetch_req *req);
void replica_leader_tick(struct replica_part *rp, int64_t now_ms);
void replica_leader_on_append(struct replica_part *rp);
void replica_leader_on_hw(struct replica_part *rp);

/* replica_fetcher.c */
void replica_fetcher_begin(struct replica_part *rp);
void replica_fetcher_on_response(struct replica_mgr *m, uint64_t corr, const struct replica_fetch_resp *resp);
void replica_fetcher_tick(struct replica_part *rp, int64_t now_ms);
void replica_fetcher_maybe_fetch(struct replica_part *rp);

/* replica_rpc.c */
int replica_rpc_start(struct replica_mgr *m);
int replica_send_fetch(struct replica_mgr *m, int32_t to, uint64_t corr, const struct replica_fetch_req *req);
int replica_send_response(struct replica_mgr *m, int32_t to, uint64_t corr, const struct replica_fetch_resp *resp);

#endif
