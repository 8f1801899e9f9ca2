/* The replica manager: per-partition replication state that follows the
 * metadata image (become leader, become follower, leadership lost) and the
 * high-watermark rule shared by both roles. */
#include <string.h>

#include "broker.h"
#include "common/alloc.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "log.h"
#include "replica_int.h"
#include "topics.h"

int replica_mgr_new(struct broker *b, struct raft_transport *tr, struct replica_mgr **out)
{
    struct replica_mgr *m = sk_calloc(1, sizeof(*m));
    if (!m)
        return SK_ENOMEM;
    m->b = b;
    m->tr = tr;
    m->self = b->cfg.node_id;
    int rc = replica_rpc_start(m);
    if (rc != SK_OK) {
        sk_free(m);
        return rc;
    }
    *out = m;
    return SK_OK;
}

static void part_free(struct replica_part *rp)
{
    struct replica_mgr *m = rp->m;
    if (rp->leader)
        replica_leader_end(rp);
    if (rp->prev)
        rp->prev->next = rp->next;
    else
        m->parts = rp->next;
    if (rp->next)
        rp->next->prev = rp->prev;
    rp->p->replica = NULL;
    sk_free(rp);
}

void replica_mgr_free(struct replica_mgr *m)
{
    if (!m)
        return;
    while (m->parts)
        part_free(m->parts);
    sk_free(m);
}

static struct replica_part *part_get(struct replica_mgr *m, struct partition *p)
{
    if (p->replica)
        return p->replica;
    struct replica_part *rp = sk_calloc(1, sizeof(*rp));
    if (!rp)
        return NULL;
    rp->m = m;
    rp->p = p;
    rp->pending_add = -1;
    rp->leader_id = -1;
    rp->next = m->parts;
    if (m->parts)
        m->parts->prev = rp;
    m->parts = rp;
    p->replica = rp;
    return rp;
}

void replica_role_cb(void *arg, struct partition *p, const struct md_partition *old)
{
    struct replica_mgr *m = arg;
    if (!old) {
        if (p->replica)
            part_free(p->replica);
        return;
    }
    struct replica_part *rp = part_get(m, p);
    if (!rp) {
        SK_ERROR("replica_state_alloc_failed", "topic=%s partition=%d", p->topic->name, p->index);
        return;
    }
    /* A replicated partition opened by this process does not know how far
     * the others have its data: until followers report, nothing of its own
     * tail counts as committed. */
    if (old->leader_epoch < 0 && p->st.n_replicas > 1 && p->high_watermark > plog_start_offset(p->log))
        p->high_watermark = plog_start_offset(p->log);
    bool lead = p->st.leader == m->self;
    bool new_epoch = old->leader_epoch != p->st.leader_epoch;
    if (rp->leader && (!lead || new_epoch)) {
        replica_leader_end(rp);
        partition_wake_lost(p);
    }
    if (lead) {
        rp->following = false;
        if (!rp->leader)
            replica_leader_begin(rp);
        else {
            /* The image answered the ISR change; look again at once. */
            rp->alter_inflight = false;
            rp->pending_add = -1;
            rp->next_isr_check_ms = 0;
        }
        partition_update_hw(p);
        return;
    }
    if (p->st.leader == MD_NO_LEADER) {
        rp->following = false;
        return;
    }
    if (!rp->following || rp->leader_id != p->st.leader || new_epoch)
        replica_fetcher_begin(rp);
}

int64_t replica_hw_target(struct partition *p)
{
    struct replica_part *rp = p->replica;
    int64_t local = partition_local_end(p);
    if (!rp)
        return p->high_watermark;
    if (rp->leader) {
        int32_t isr[SK_REPLICATION_FACTOR_MAX + 1];
        int32_t n = p->st.n_isr;
        memcpy(isr, p->st.isr, (size_t)n * sizeof(*isr));
        /* A replica on its way into the ISR counts from the request on: once
         * the controller commits it, it is electable, so it must already
         * hold everything below the high watermark. */
        if (rp->pending_add >= 0)
            isr[n++] = rp->pending_add;
        /* A min.insync.replicas above the replication factor could never be
         * met; for the high watermark it is capped there (acks=all is still
         * refused against the configured value). */
        int32_t min_isr = p->topic->cfg.min_insync_replicas;
        if (min_isr > p->st.n_replicas)
            min_isr = p->st.n_replicas;
        return replica_leader_hw(p->high_watermark, local, rp->m->self, isr, n, rp->f, rp->n_f, min_isr);
    }
    if (rp->following)
        return rp->leader_hw < local ? rp->leader_hw : local;
    return p->high_watermark;
}

void replica_on_synced(struct partition *p)
{
    struct replica_part *rp = p->replica;
    if (rp && rp->following)
        replica_fetcher_maybe_fetch(rp);
}

void replica_on_append(struct partition *p)
{
    struct replica_part *rp = p->replica;
    if (rp && rp->leader)
        replica_leader_on_append(rp);
}

void replica_on_hw(struct partition *p)
{
    struct replica_part *rp = p->replica;
    if (rp && rp->leader)
        replica_leader_on_hw(rp);
}

void replica_tick(struct replica_mgr *m)
{
    int64_t now = sk_mono_ms();
    for (struct replica_part *rp = m->parts; rp; rp = rp->next) {
        if (rp->leader)
            replica_leader_tick(rp, now);
        else if (rp->following)
            replica_fetcher_tick(rp, now);
    }
}

const struct replica_stats *replica_mgr_stats(const struct replica_mgr *m) { return &m->stats; }

int32_t replica_followers(const struct partition *p, const struct replica_follower **out)
{
    const struct replica_part *rp = p->replica;
    if (!rp || !rp->leader)
        return 0;
    *out = rp->f;
    return rp->n_f;
}
