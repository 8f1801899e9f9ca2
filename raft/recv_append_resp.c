/* The leader's handling of append and heartbeat responses: flow control state
 * changes, commit advancement, and completing a leadership transfer. */
#include "common/sk_err.h"
#include "raft/raft_int.h"

static void on_reject(struct raft *r, struct raft_progress *pr, const struct raft_msg *m)
{
    /* Start where the follower's hint says its log may match ours. */
    uint64_t next = raft_log_find_conflict_by_term(&r->log, m->hint_index, m->hint_term) + 1;
    if (!raft_pr_maybe_decr(pr, m->index, next))
        return;
    if (pr->state == RAFT_PR_REPLICATE)
        raft_pr_become_probe(pr);
    raft_send_append(r, pr, true);
}

static void on_accept(struct raft *r, struct raft_progress *pr, const struct raft_msg *m)
{
    if (m->index > raft_log_last(&r->log))
        return; /* cannot acknowledge what we never had */
    if (!raft_pr_maybe_update(pr, m->index)) {
        if (pr->state == RAFT_PR_PROBE && pr->match == m->index)
            pr->probe_sent = false;
        raft_send_append(r, pr, false);
        return;
    }
    switch (pr->state) {
    case RAFT_PR_PROBE:
        raft_pr_become_replicate(pr);
        break;
    case RAFT_PR_SNAPSHOT:
        if (pr->match >= pr->pending_snapshot)
            raft_pr_become_replicate(pr);
        break;
    default:
        raft_pr_inflight_free_to(pr, m->index);
    }
    if (raft_maybe_commit(r))
        raft_bcast_append(r);
    for (unsigned k = 0; k < SK_RAFT_INFLIGHT_MSGS_MAX && raft_send_append(r, pr, false); k++)
        if (pr->state != RAFT_PR_REPLICATE)
            break;
    raft_maybe_send_timeout_now(r, pr);
}

void raft_recv_append_resp(struct raft *r, const struct raft_msg *m)
{
    struct raft_progress *pr = raft_pr_find(r, m->from);
    if (!pr)
        return; /* not (or no longer) a member */
    pr->recent_active = true;
    if (m->reject)
        on_reject(r, pr, m);
    else
        on_accept(r, pr, m);
}

void raft_recv_heartbeat_resp(struct raft *r, const struct raft_msg *m)
{
    struct raft_progress *pr = raft_pr_find(r, m->from);
    if (!pr)
        return;
    pr->recent_active = true;
    if (pr->state == RAFT_PR_PROBE)
        pr->probe_sent = false;
    else if (pr->state == RAFT_PR_REPLICATE && pr->inflight_count >= r->cfg.max_inflight_msgs)
        raft_pr_inflight_free_first(pr); /* an append may have been lost */
    else if (pr->state == RAFT_PR_SNAPSHOT &&
             r->now_ms - pr->snapshot_sent_ms >= (int64_t)r->cfg.election_timeout_ms)
        raft_pr_become_probe(pr); /* the snapshot was lost: send it again */
    /* An empty append works as a probe: if an earlier append was lost, the
     * follower rejects it and replication restarts from its real match. */
    if (pr->match < raft_log_last(&r->log))
        raft_send_append(r, pr, true);
    raft_maybe_send_timeout_now(r, pr);
}
