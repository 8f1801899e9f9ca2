/* The leader's view of one member's log (etcd's Progress): how far it matches,
 * what to send next, and how many appends are in flight (thesis §10.2.1
 * pipelining, bounded so a slow follower cannot make the leader buffer
 * without limit). */
#ifndef RAFT_PROGRESS_H
#define RAFT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/limits.h"

enum raft_pr_state {
    /* One append at a time until the follower's match point is found. */
    RAFT_PR_PROBE = 0,
    /* Match known: stream appends, up to max_inflight_msgs unacknowledged. */
    RAFT_PR_REPLICATE,
    /* A snapshot was sent; wait for it to be acknowledged. */
    RAFT_PR_SNAPSHOT
};

struct raft_progress {
    uint64_t id;
    bool voter;
    bool recent_active; /* heard from since the last CheckQuorum round */
    uint8_t state;      /* enum raft_pr_state */
    bool probe_sent;
    uint8_t vote; /* 0 unknown, 1 granted, 2 rejected (elections) */
    uint64_t match;
    uint64_t next;
    uint64_t pending_snapshot;
    int64_t snapshot_sent_ms;
    /* Ring of the last index carried by each unacknowledged append. */
    uint64_t inflight[SK_RAFT_INFLIGHT_MSGS_MAX];
    unsigned inflight_start;
    unsigned inflight_count;
};

void raft_pr_reset(struct raft_progress *pr, uint64_t next);
void raft_pr_become_probe(struct raft_progress *pr);
void raft_pr_become_replicate(struct raft_progress *pr);
void raft_pr_become_snapshot(struct raft_progress *pr, uint64_t snap_index, int64_t now_ms);
/* Records an acknowledgement up to `index`; returns true if match moved. */
bool raft_pr_maybe_update(struct raft_progress *pr, uint64_t index);
/* Handles a rejection of the append whose prev index was `rejected`; `next`
 * is where the leader's log may match.  Returns false for a stale reject. */
bool raft_pr_maybe_decr(struct raft_progress *pr, uint64_t rejected, uint64_t next);
bool raft_pr_paused(const struct raft_progress *pr, unsigned max_inflight);
void raft_pr_inflight_add(struct raft_progress *pr, uint64_t last_index);
void raft_pr_inflight_free_to(struct raft_progress *pr, uint64_t index);
void raft_pr_inflight_free_first(struct raft_progress *pr);

#endif
