/* The leader's side of log replication (thesis §3.5, §10.2): appends with
 * batching and bounded pipelining, heartbeats, snapshots for followers that
 * fell behind the compaction point, the commit rule, and TimeoutNow. */
#include <assert.h>
#include <stdlib.h>

#include "common/sk_err.h"
#include "raft/raft_int.h"

void raft_become_leader(struct raft *r)
{
    r->role = RAFT_LEADER;
    r->leader = r->cfg.id;
    r->transfer_to = RAFT_NONE;
    uint64_t next = raft_log_last(&r->log) + 1;
    for (unsigned i = 0; i < r->n_prs; i++)
        raft_pr_reset(&r->prs[i], next);
    struct raft_progress *self = raft_pr_self(r);
    self->match = r->persisted;
    self->recent_active = true;
    r->heartbeat_deadline_ms = r->now_ms + r->cfg.heartbeat_interval_ms;
    r->quorum_deadline_ms = r->now_ms + r->cfg.election_timeout_ms;
    /* §3.6.2 / §6.4: an entry of the new term lets earlier entries commit.
     * Membership changes wait until it has (§4.1). */
    r->term_start = raft_log_last(&r->log) + 1;
    if (raft_append_local(r, RAFT_ENTRY_NOOP, NULL, 0) == SK_OK)
        raft_bcast_append(r);
}

static void send_snapshot(struct raft *r, struct raft_progress *pr)
{
    struct raft_msg *m = raft_send(r, pr->id, RAFT_MSG_SNAPSHOT, false);
    m->snapshot = r->snap;
    raft_pr_become_snapshot(pr, r->snap.index, r->now_ms);
}

/* Number of entries from `first` that fit one message. */
static uint32_t batch_len(const struct raft *r, uint64_t first)
{
    uint64_t last = raft_log_last(&r->log);
    uint64_t bytes = 0;
    uint32_t n = 0;
    for (uint64_t i = first; i <= last && n < r->cfg.max_msg_entries; i++) {
        bytes += raft_log_get(&r->log, i)->len;
        /* The first entry always goes, or an oversized one would stall. */
        if (n > 0 && bytes > r->cfg.max_msg_bytes)
            break;
        n++;
    }
    return n;
}

bool raft_send_append(struct raft *r, struct raft_progress *pr, bool allow_empty)
{
    if (pr->id == r->cfg.id || raft_pr_paused(pr, r->cfg.max_inflight_msgs))
        return false;
    uint64_t prev = pr->next - 1;
    if (prev < r->log.offset) {
        /* The entries it needs are compacted away: send the snapshot. */
        if (r->snap.index == 0)
            return false;
        send_snapshot(r, pr);
        return true;
    }
    uint32_t n = batch_len(r, pr->next);
    if (n == 0 && !allow_empty)
        return false;
    struct raft_msg *m = raft_send(r, pr->id, RAFT_MSG_APPEND, false);
    m->index = prev;
    m->log_term = raft_log_term(&r->log, prev);
    m->commit = r->commit;
    m->n_entries = n;
    if (pr->state == RAFT_PR_REPLICATE) {
        if (n > 0) {
            pr->next = prev + n + 1;
            raft_pr_inflight_add(pr, prev + n);
        }
    } else {
        pr->probe_sent = true;
    }
    return true;
}

void raft_bcast_append(struct raft *r)
{
    for (unsigned i = 0; i < r->n_prs; i++) {
        struct raft_progress *pr = &r->prs[i];
        /* Keep streaming to a replicating follower until its window fills. */
        for (unsigned k = 0; k < SK_RAFT_INFLIGHT_MSGS_MAX && raft_send_append(r, pr, false); k++)
            if (pr->state != RAFT_PR_REPLICATE)
                break;
    }
}

void raft_bcast_heartbeat(struct raft *r)
{
    for (unsigned i = 0; i < r->n_prs; i++) {
        struct raft_progress *pr = &r->prs[i];
        if (pr->id == r->cfg.id)
            continue;
        struct raft_msg *m = raft_send(r, pr->id, RAFT_MSG_HEARTBEAT, false);
        /* Never tell a follower to commit past what it is known to hold. */
        m->commit = pr->match < r->commit ? pr->match : r->commit;
    }
}

static int cmp_u64_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

bool raft_maybe_commit(struct raft *r)
{
    uint64_t matches[SK_RAFT_MEMBERS_MAX];
    unsigned n = 0;
    for (unsigned i = 0; i < r->n_prs; i++)
        if (r->prs[i].voter)
            matches[n++] = r->prs[i].match;
    qsort(matches, n, sizeof(matches[0]), cmp_u64_desc);
    uint64_t index = matches[raft_quorum(r) - 1];
    if (index <= r->commit)
        return false;
#ifndef RAFT_BUG_COMMIT_OLD_TERM
    /* §3.6.2 (figure 3.7): only an entry of the current term commits by
     * counting replicas; earlier ones commit with it. */
    if (raft_log_term(&r->log, index) != r->term)
        return false;
#endif
    raft_commit_to(r, index);
    return true;
}

void raft_maybe_send_timeout_now(struct raft *r, struct raft_progress *pr)
{
    if (r->transfer_to != pr->id || pr->match != raft_log_last(&r->log))
        return;
    raft_send(r, pr->id, RAFT_MSG_TIMEOUT_NOW, false);
}
