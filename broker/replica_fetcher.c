/* The follower's side of replication: one fetch in flight per partition to
 * its leader, asking for offset N only once everything below N is synced
 * locally (so the leader's high watermark counts only durable data), with
 * the epoch of its last batch so the leader can spot a divergent tail; on
 * divergence it truncates to the leader's end of that epoch (KIP-101/279),
 * never to the high watermark alone. */
#include <string.h>

#include "broker.h"
#include "cluster.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "flusher.h"
#include "kafka_err.h"
#include "log.h"
#include "replica_int.h"
#include "topics.h"

#define FETCH_RETRY_MS 50

void replica_fetcher_begin(struct replica_part *rp)
{
    rp->following = true;
    rp->leader_id = rp->p->st.leader;
    rp->inflight = false;
    rp->retry_at_ms = 0;
    rp->corr = 0;
    SK_INFO("partition_follower", "topic=%s partition=%d leader=%d leader_epoch=%d", rp->p->topic->name,
            rp->p->index, rp->leader_id, rp->p->st.leader_epoch);
#ifdef SK_BUG_TRUNCATE_TO_HW
    /* Deliberately injected bug for the fault harness (build/chaos/skiffd-bug-truncate-hw
     * only): the pre-KIP-101 rule, truncating to the local high watermark on
     * becoming a follower, which may be below records the leader already
     * acknowledged. */
    if (rp->p->high_watermark < plog_end_offset(rp->p->log) &&
        plog_truncate(rp->p->log, rp->p->high_watermark) != SK_OK)
        SK_ERROR("replica_truncate_failed", "topic=%s partition=%d", rp->p->topic->name, rp->p->index);
#endif
    replica_fetcher_maybe_fetch(rp);
}

/* Fetches when nothing is in flight and the local log is durable up to its
 * end (under the default flush policy); otherwise the sync callback or the
 * tick comes back here. */
void replica_fetcher_maybe_fetch(struct replica_part *rp)
{
    struct partition *p = rp->p;
    struct replica_mgr *m = rp->m;
    int64_t now = sk_mono_ms();
    if (!rp->following || rp->inflight || now < rp->retry_at_ms)
        return;
    int64_t leo = plog_end_offset(p->log);
    if (p->topic->cfg.flush_messages <= 1 && plog_synced_offset(p->log) < leo) {
        flusher_request(m->b->flusher, p->log);
        return;
    }
    int64_t broker_epoch = cluster_broker_epoch(m->b->cluster);
    if (broker_epoch <= 0) {
        rp->retry_at_ms = now + FETCH_RETRY_MS;
        return;
    }
    struct replica_fetch_req req = {
        .replica_id = m->self,
        .broker_epoch = broker_epoch,
        .topic = p->topic->name,
        .partition = p->index,
        .leader_epoch = p->st.leader_epoch,
        .fetch_offset = leo,
        .last_fetched_epoch = plog_latest_epoch(p->log),
        .max_bytes = m->b->cfg.replica_fetch_max_bytes,
    };
    rp->corr = ++m->next_corr;
    rp->sent_ms = now;
    rp->inflight = true;
    if (replica_send_fetch(m, rp->leader_id, rp->corr, &req) != SK_OK) {
        rp->inflight = false;
        rp->retry_at_ms = now + FETCH_RETRY_MS;
    }
}

static struct replica_part *find_part(struct replica_mgr *m, uint64_t corr, const struct replica_fetch_resp *resp)
{
    struct partition *p = topics_partition(m->b->topics, resp->topic, strlen(resp->topic), resp->partition);
    struct replica_part *rp = p ? p->replica : NULL;
    if (!rp || !rp->following || !rp->inflight || rp->corr != corr)
        return NULL; /* stale: an older fetch, or the role changed */
    /* The answer must come from the leader we asked, in its current
     * incarnation. */
    const struct md_broker *lb = md_broker_find(cluster_image(m->b->cluster), rp->leader_id);
    if (resp->leader_id != rp->leader_id || !lb || lb->epoch != resp->broker_epoch) {
        SK_WARN("replica_response_refused", "topic=%s partition=%d from=%d reason=stale_broker_epoch", resp->topic,
                resp->partition, resp->leader_id);
        return NULL;
    }
    return rp;
}

/* KIP-279: cut at the smaller of the leader's end of the diverging epoch and
 * our own end of that epoch. */
static int truncate_diverged(struct replica_part *rp, const struct replica_fetch_resp *resp)
{
    struct plog *l = rp->p->log;
    int64_t cut = resp->diverging_end_offset;
    if (resp->diverging_epoch >= 0) {
        int32_t ep;
        int64_t mine;
        plog_epoch_end_offset(l, resp->diverging_epoch, &ep, &mine);
        if (ep == resp->diverging_epoch && mine >= 0 && mine < cut)
            cut = mine;
    }
#ifdef SK_BUG_TRUNCATE_TO_HW
    /* Deliberately injected bug (see replica_fetcher_begin): the high
     * watermark instead of the leader's end of the diverging epoch. */
    cut = rp->p->high_watermark;
#endif
    SK_WARN("replica_truncated", "topic=%s partition=%d epoch=%d to=%lld leo=%lld", rp->p->topic->name,
            rp->p->index, resp->diverging_epoch, (long long)cut, (long long)plog_end_offset(l));
    return plog_truncate(l, cut);
}

static int apply_records(struct replica_part *rp, const struct replica_fetch_resp *resp)
{
    struct partition *p = rp->p;
    if (resp->records_len == 0)
        return SK_OK;
    /* Every batch is validated (CRC and framing) by the log before append. */
    int rc = plog_append_replica(p->log, resp->records, resp->records_len, sk_wall_ms());
    if (rc != SK_OK) {
        SK_ERROR("replica_append_failed", "topic=%s partition=%d offset=%lld err=%s", p->topic->name, p->index,
                 (long long)resp->fetch_offset, sk_strerror(rc));
        return rc;
    }
    if (p->topic->cfg.flush_messages <= 1 ||
        plog_unflushed_messages(p->log) >= p->topic->cfg.flush_messages)
        flusher_request(rp->m->b->flusher, p->log);
    return SK_OK;
}

void replica_fetcher_on_response(struct replica_mgr *m, uint64_t corr, const struct replica_fetch_resp *resp)
{
    struct replica_part *rp = find_part(m, corr, resp);
    if (!rp)
        return;
    rp->inflight = false;
    struct partition *p = rp->p;
    int rc = SK_OK;
    if (resp->error_code == KAFKA_NONE && resp->leader_epoch == p->st.leader_epoch) {
        if (resp->diverging)
            rc = truncate_diverged(rp, resp);
        else if (resp->fetch_offset == plog_end_offset(p->log))
            rc = apply_records(rp, resp);
        rp->leader_hw = resp->high_watermark;
        partition_update_hw(p);
    } else if (resp->error_code == KAFKA_OFFSET_OUT_OF_RANGE && resp->log_start_offset > plog_end_offset(p->log)) {
        /* The leader deleted what we lack: start over at its log start. */
        rc = plog_reset(p->log, resp->log_start_offset);
    } else {
        rc = SK_EAGAIN; /* stale epoch on either side: the image will tell */
    }
    if (rc != SK_OK)
        rp->retry_at_ms = sk_mono_ms() + FETCH_RETRY_MS;
    replica_fetcher_maybe_fetch(rp);
}

void replica_fetcher_tick(struct replica_part *rp, int64_t now_ms)
{
    /* A lost request or answer (the transport drops when a peer is down)
     * is re-sent after the leader's wait plus a margin. */
    int64_t give_up_ms = (int64_t)rp->m->b->cfg.replica_fetch_wait_max_ms + 1000;
    if (rp->inflight && now_ms - rp->sent_ms > give_up_ms)
        rp->inflight = false;
    replica_fetcher_maybe_fetch(rp);
}
