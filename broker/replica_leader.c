/* The leader's side of replication: answers replica fetches (only from
 * registered brokers at their current broker epoch, at the current leader
 * epoch), detects divergent follower logs from their last fetched epoch
 * (KIP-320), tracks each follower's fetch offset for the high watermark, and
 * shrinks or expands the ISR through AlterPartition to the controller. */
#include <string.h>

#include "broker.h"
#include "cluster.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "kafka_err.h"
#include "log.h"
#include "replica_int.h"
#include "topics.h"

#define ISR_CHECK_MS 100
#define ALTER_WAIT_MS 3000 /* an ISR change not visible in the image by then is retried */

void replica_leader_begin(struct replica_part *rp)
{
    struct partition *p = rp->p;
    int64_t now = sk_mono_ms();
    rp->leader = true;
    rp->epoch_start_offset = plog_end_offset(p->log);
    rp->n_f = 0;
    for (int32_t i = 0; i < p->st.n_replicas; i++) {
        if (p->st.replicas[i] == rp->m->self)
            continue;
        struct replica_follower *f = &rp->f[rp->n_f++];
        memset(f, 0, sizeof(*f));
        f->id = p->st.replicas[i];
        f->fetch_offset = -1;
        f->last_caught_up_ms = now; /* a full lag window from the handover */
    }
    rp->pending_add = -1;
    rp->alter_inflight = false;
    rp->next_isr_check_ms = now + ISR_CHECK_MS;
    SK_INFO("partition_leader", "topic=%s partition=%d leader_epoch=%d start_offset=%lld isr=%d", p->topic->name,
            p->index, p->st.leader_epoch, (long long)rp->epoch_start_offset, p->st.n_isr);
}

static void respond(struct replica_mgr *m, int32_t to, uint64_t corr, struct replica_fetch_resp *resp)
{
    if (replica_send_response(m, to, corr, resp) != SK_OK)
        SK_DEBUG("replica_response_dropped", "to=%d", to);
}

/* Every answer names this broker and its broker epoch; partition state
 * only when rp (a partition this node leads) is given. */
static void base_resp(struct replica_mgr *m, struct replica_part *rp, const char *topic, int32_t partition,
                      int64_t fetch_offset, struct replica_fetch_resp *r)
{
    memset(r, 0, sizeof(*r));
    r->leader_id = m->self;
    r->broker_epoch = cluster_broker_epoch(m->b->cluster);
    r->topic = topic;
    r->partition = partition;
    r->fetch_offset = fetch_offset;
    if (rp) {
        r->leader_epoch = rp->p->st.leader_epoch;
        r->high_watermark = rp->p->high_watermark;
        r->log_start_offset = plog_start_offset(rp->p->log);
    }
}

/* Reads from fetch_offset and answers; corrupt data on disk is never
 * served (every batch is CRC-checked by plog_read). */
static void answer_with_data(struct replica_part *rp, int32_t to, uint64_t corr, int64_t fetch_offset,
                             int32_t max_bytes)
{
    struct partition *p = rp->p;
    struct replica_fetch_resp resp;
    base_resp(rp->m, rp, p->topic->name, p->index, fetch_offset, &resp);
    struct sk_writer w;
    sk_writer_init(&w);
    size_t max = (size_t)(max_bytes > 0 ? max_bytes : rp->m->b->cfg.replica_fetch_max_bytes);
    int rc = plog_read(p->log, fetch_offset, plog_end_offset(p->log), max, &w);
    if (rc == SK_ERANGE) {
        resp.error_code = KAFKA_OFFSET_OUT_OF_RANGE;
    } else if (rc != SK_OK || w.err) {
        SK_ERROR("replica_read_failed", "topic=%s partition=%d offset=%lld err=%s", p->topic->name, p->index,
                 (long long)fetch_offset, sk_strerror(rc ? rc : w.err));
        resp.error_code = KAFKA_KAFKA_STORAGE_ERROR;
    } else {
        resp.records = w.p;
        resp.records_len = w.len;
    }
    respond(rp->m, to, corr, &resp);
    sk_writer_free(&w);
}

static void answer_parked(struct replica_part *rp, bool all)
{
    int64_t now = sk_mono_ms();
    int64_t leo = plog_end_offset(rp->p->log);
    struct replica_parked **pp = &rp->parked;
    while (*pp) {
        struct replica_parked *k = *pp;
        if (all || k->fetch_offset < leo || now >= k->deadline_ms) {
            *pp = k->next;
            answer_with_data(rp, k->sender, k->corr, k->fetch_offset, k->max_bytes);
            sk_free(k);
        } else {
            pp = &k->next;
        }
    }
}

void replica_leader_end(struct replica_part *rp)
{
    /* Parked followers hear at once; their next fetch learns the news. */
    while (rp->parked) {
        struct replica_parked *k = rp->parked;
        rp->parked = k->next;
        struct replica_fetch_resp resp;
        base_resp(rp->m, rp, rp->p->topic->name, rp->p->index, k->fetch_offset, &resp);
        resp.error_code = KAFKA_NOT_LEADER_OR_FOLLOWER;
        respond(rp->m, k->sender, k->corr, &resp);
        sk_free(k);
    }
    rp->leader = false;
    rp->pending_add = -1;
    rp->alter_inflight = false;
}

void replica_leader_on_append(struct replica_part *rp) { answer_parked(rp, false); }

void replica_leader_on_hw(struct replica_part *rp) { answer_parked(rp, true); }

static struct replica_follower *follower(struct replica_part *rp, int32_t id)
{
    for (int32_t i = 0; i < rp->n_f; i++)
        if (rp->f[i].id == id)
            return &rp->f[i];
    return NULL;
}

/* KIP-320: the follower's last fetched epoch must end at or after its fetch
 * offset on the leader too; otherwise it diverged and gets the epoch end to
 * truncate to. */
static bool diverged(struct replica_part *rp, const struct replica_fetch_req *req, struct replica_fetch_resp *resp)
{
    if (req->last_fetched_epoch < 0 || req->fetch_offset == 0)
        return false;
    int32_t ep;
    int64_t end;
    plog_epoch_end_offset(rp->p->log, req->last_fetched_epoch, &ep, &end);
    if (ep == req->last_fetched_epoch && end >= req->fetch_offset)
        return false;
    resp->diverging = true;
    resp->diverging_epoch = ep;
    resp->diverging_end_offset = ep == LOG_EPOCH_UNDEFINED ? plog_start_offset(rp->p->log) : end;
    return true;
}

static int16_t check_fetch(struct replica_mgr *m, struct partition *p, int32_t sender,
                           const struct replica_fetch_req *req)
{
    const struct md_broker *mb = md_broker_find(cluster_image(m->b->cluster), sender);
    /* CVE-2018-1288: only a registered broker at its current epoch may
     * fetch as a replica (fenced ones too: they catch up that way). */
    if (!mb || mb->epoch != req->broker_epoch)
        return KAFKA_STALE_BROKER_EPOCH;
    struct replica_part *rp = p ? p->replica : NULL;
    if (!rp || !rp->leader || !md_in_list(p->st.replicas, p->st.n_replicas, sender) || sender == m->self)
        return KAFKA_NOT_LEADER_OR_FOLLOWER;
    if (req->leader_epoch != p->st.leader_epoch)
        return req->leader_epoch < p->st.leader_epoch ? KAFKA_FENCED_LEADER_EPOCH : KAFKA_UNKNOWN_LEADER_EPOCH;
    return KAFKA_NONE;
}

static void maybe_expand(struct replica_part *rp);

void replica_leader_on_fetch(struct replica_mgr *m, int32_t sender, uint64_t corr, const struct replica_fetch_req *req)
{
    struct partition *p = topics_partition(m->b->topics, req->topic, strlen(req->topic), req->partition);
    struct replica_part *rp = p ? p->replica : NULL;
    struct replica_fetch_resp resp;
    base_resp(m, rp && rp->leader ? rp : NULL, req->topic, req->partition, req->fetch_offset, &resp);
    resp.error_code = check_fetch(m, p, sender, req);
    if (resp.error_code != KAFKA_NONE) {
        respond(m, sender, corr, &resp);
        return;
    }
    if (diverged(rp, req, &resp)) {
        respond(m, sender, corr, &resp);
        return;
    }
    int64_t leo = plog_end_offset(p->log);
    if (req->fetch_offset > leo || req->fetch_offset < plog_start_offset(p->log)) {
        resp.error_code = KAFKA_OFFSET_OUT_OF_RANGE;
        respond(m, sender, corr, &resp);
        return;
    }
    struct replica_follower *f = follower(rp, sender);
    if (f) {
        replica_note_fetch(f, req->fetch_offset, leo, sk_mono_ms());
        partition_update_hw(p);
        maybe_expand(rp);
    }
    int32_t wait_ms = m->b->cfg.replica_fetch_wait_max_ms;
    struct replica_parked *k = req->fetch_offset == leo && wait_ms > 0 ? sk_calloc(1, sizeof(*k)) : NULL;
    if (!k) {
        answer_with_data(rp, sender, corr, req->fetch_offset, req->max_bytes);
        return;
    }
    k->sender = sender;
    k->corr = corr;
    k->fetch_offset = req->fetch_offset;
    k->max_bytes = req->max_bytes;
    k->deadline_ms = sk_mono_ms() + wait_ms;
    k->next = rp->parked;
    rp->parked = k;
}

/* ------------------------------------------------------------ ISR changes */

struct alter_ctx {
    struct replica_mgr *m;
    char topic[SK_TOPIC_NAME_MAX + 1];
    int32_t partition;
    bool shrink;
};

static void alter_done_cb(void *arg, const struct ctrl_resp *resp)
{
    struct alter_ctx *x = arg;
    struct partition *p = topics_partition(x->m->b->topics, x->topic, strlen(x->topic), x->partition);
    struct replica_part *rp = p ? p->replica : NULL;
    if (resp->error_code != KAFKA_NONE) {
        SK_WARN("isr_change_refused", "topic=%s partition=%d err=%s", x->topic, x->partition,
                kafka_err_name(resp->error_code));
        if (rp) {
            rp->alter_inflight = false;
            rp->pending_add = -1;
        }
    } else if (x->shrink)
        x->m->stats.isr_shrinks_total++;
    else
        x->m->stats.isr_expands_total++;
    sk_free(x);
}

/* Asks the controller for a new ISR; the change takes effect when the
 * image carries it (replica_role_cb). */
static void alter_isr(struct replica_part *rp, const int32_t *isr, int32_t n)
{
    struct partition *p = rp->p;
    struct alter_ctx *x = sk_calloc(1, sizeof(*x));
    if (!x)
        return;
    x->m = rp->m;
    snprintf(x->topic, sizeof(x->topic), "%s", p->topic->name);
    x->partition = p->index;
    x->shrink = n < p->st.n_isr;
    struct ctrl_req req = {.op = CTRL_ALTER_PARTITION};
    req.broker_id = rp->m->self;
    req.broker_epoch = cluster_broker_epoch(rp->m->b->cluster);
    req.name = p->topic->name;
    req.partition = p->index;
    req.leader_epoch = p->st.leader_epoch;
    req.partition_epoch = p->st.partition_epoch;
    req.isr = isr;
    req.n_isr = n;
    rp->alter_inflight = true;
    rp->next_isr_check_ms = sk_mono_ms() + ALTER_WAIT_MS;
    if (cluster_call(rp->m->b->cluster, &req, sk_mono_ms() + ALTER_WAIT_MS, alter_done_cb, x, NULL) != SK_OK) {
        sk_free(x);
        rp->alter_inflight = false;
    }
}

static void maybe_expand(struct replica_part *rp)
{
    struct partition *p = rp->p;
    if (rp->alter_inflight)
        return;
    int32_t id = replica_isr_expand(p->st.isr, p->st.n_isr, rp->f, rp->n_f, p->high_watermark, rp->epoch_start_offset);
    if (id < 0 || !md_broker_live(cluster_image(rp->m->b->cluster), id))
        return;
    int32_t isr[SK_REPLICATION_FACTOR_MAX];
    memcpy(isr, p->st.isr, (size_t)p->st.n_isr * sizeof(*isr));
    isr[p->st.n_isr] = id;
    rp->pending_add = id;
    SK_INFO("isr_expand_requested", "topic=%s partition=%d replica=%d", p->topic->name, p->index, id);
    alter_isr(rp, isr, p->st.n_isr + 1);
}

void replica_leader_tick(struct replica_part *rp, int64_t now_ms)
{
    answer_parked(rp, false);
    if (now_ms < rp->next_isr_check_ms)
        return;
    rp->next_isr_check_ms = now_ms + ISR_CHECK_MS;
    if (rp->alter_inflight)
        rp->alter_inflight = false; /* waited ALTER_WAIT_MS: decide again */
    struct partition *p = rp->p;
    int32_t isr[SK_REPLICATION_FACTOR_MAX];
    int32_t n = replica_isr_shrink(rp->m->self, p->st.isr, p->st.n_isr, rp->f, rp->n_f, now_ms,
                                   rp->m->b->cfg.replica_lag_time_max_ms, isr);
    if (n < p->st.n_isr) {
        SK_WARN("isr_shrink_requested", "topic=%s partition=%d from=%d to=%d", p->topic->name, p->index,
                p->st.n_isr, n);
        alter_isr(rp, isr, n);
        return;
    }
    maybe_expand(rp);
}
