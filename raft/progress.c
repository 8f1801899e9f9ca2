/* Per-member replication progress (see progress.h). */
#include "raft/progress.h"

#include <assert.h>

void raft_pr_reset(struct raft_progress *pr, uint64_t next)
{
    pr->recent_active = false;
    pr->state = RAFT_PR_PROBE;
    pr->probe_sent = false;
    pr->vote = 0;
    pr->match = 0;
    pr->next = next;
    pr->pending_snapshot = 0;
    pr->snapshot_sent_ms = 0;
    pr->inflight_start = 0;
    pr->inflight_count = 0;
}

static void reset_state(struct raft_progress *pr, uint8_t state)
{
    pr->state = state;
    pr->probe_sent = false;
    pr->pending_snapshot = 0;
    pr->inflight_start = 0;
    pr->inflight_count = 0;
}

void raft_pr_become_probe(struct raft_progress *pr)
{
    /* After a snapshot the follower holds at least the snapshot's index. */
    uint64_t from = pr->state == RAFT_PR_SNAPSHOT && pr->pending_snapshot > pr->match ? pr->pending_snapshot
                                                                                      : pr->match;
    reset_state(pr, RAFT_PR_PROBE);
    pr->next = from + 1;
}

void raft_pr_become_replicate(struct raft_progress *pr)
{
    reset_state(pr, RAFT_PR_REPLICATE);
    pr->next = pr->match + 1;
}

void raft_pr_become_snapshot(struct raft_progress *pr, uint64_t snap_index, int64_t now_ms)
{
    reset_state(pr, RAFT_PR_SNAPSHOT);
    pr->pending_snapshot = snap_index;
    pr->snapshot_sent_ms = now_ms;
}

bool raft_pr_maybe_update(struct raft_progress *pr, uint64_t index)
{
    bool moved = false;
    if (pr->match < index) {
        pr->match = index;
        pr->probe_sent = false;
        moved = true;
    }
    if (pr->next < index + 1)
        pr->next = index + 1;
    return moved;
}

bool raft_pr_maybe_decr(struct raft_progress *pr, uint64_t rejected, uint64_t next)
{
    if (pr->state == RAFT_PR_REPLICATE) {
        /* A reject for something already matched is a stale duplicate. */
        if (rejected <= pr->match)
            return false;
        pr->next = pr->match + 1;
        return true;
    }
    /* In probe state only the reject of the outstanding probe counts. */
    if (pr->next - 1 != rejected)
        return false;
    if (next > rejected)
        next = rejected;
    pr->next = next > pr->match + 1 ? next : pr->match + 1;
    pr->probe_sent = false;
    return true;
}

bool raft_pr_paused(const struct raft_progress *pr, unsigned max_inflight)
{
    switch (pr->state) {
    case RAFT_PR_PROBE:
        return pr->probe_sent;
    case RAFT_PR_REPLICATE:
        return pr->inflight_count >= max_inflight;
    default:
        return true;
    }
}

void raft_pr_inflight_add(struct raft_progress *pr, uint64_t last_index)
{
    assert(pr->inflight_count < SK_RAFT_INFLIGHT_MSGS_MAX);
    unsigned slot = (pr->inflight_start + pr->inflight_count) % SK_RAFT_INFLIGHT_MSGS_MAX;
    pr->inflight[slot] = last_index;
    pr->inflight_count++;
}

void raft_pr_inflight_free_to(struct raft_progress *pr, uint64_t index)
{
    while (pr->inflight_count > 0 && pr->inflight[pr->inflight_start] <= index) {
        pr->inflight_start = (pr->inflight_start + 1) % SK_RAFT_INFLIGHT_MSGS_MAX;
        pr->inflight_count--;
    }
}

void raft_pr_inflight_free_first(struct raft_progress *pr)
{
    if (pr->inflight_count == 0)
        return;
    pr->inflight_start = (pr->inflight_start + 1) % SK_RAFT_INFLIGHT_MSGS_MAX;
    pr->inflight_count--;
}
