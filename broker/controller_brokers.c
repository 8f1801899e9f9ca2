/* Controller decisions about brokers: registration (a new incarnation gets
 * a new broker epoch and starts fenced), heartbeats (session tracking,
 * unfencing once caught up, controlled shutdown), fencing on session
 * expiry, and preferred-leader rebalancing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "cluster_int.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "controller_int.h"
#include "kafka_err.h"

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int ctrl_live_set(struct controller *ctl, int32_t except, struct ctrl_decision *d, struct ctrl_live *out)
{
    const struct md_image *img = &ctl->c->img;
    int32_t *ids = sk_arena_calloc(&d->arena, (size_t)img->n_brokers + 1, sizeof(*ids));
    if (!ids)
        return SK_ENOMEM;
    int32_t n = 0;
    for (int32_t i = 0; i < img->n_brokers; i++)
        if (img->brokers[i].id != except && md_broker_live(img, img->brokers[i].id))
            ids[n++] = img->brokers[i].id;
    qsort(ids, (size_t)n, sizeof(*ids), cmp_i32);
    out->ids = ids;
    out->n = n;
    return SK_OK;
}

static int32_t hb_slot(struct controller *ctl, int32_t id)
{
    for (int32_t i = 0; i < ctl->n_hb; i++)
        if (ctl->hb_ids[i] == id)
            return i;
    if (ctl->n_hb == SK_CLUSTER_BROKERS_MAX)
        return -1;
    ctl->hb_ids[ctl->n_hb] = id;
    ctl->fence_queued[ctl->n_hb] = false;
    ctl->hb_applied[ctl->n_hb] = 0;
    return ctl->n_hb++;
}

static void touch(struct controller *ctl, int32_t id, int64_t now_ms)
{
    int32_t s = hb_slot(ctl, id);
    if (s >= 0)
        ctl->hb_ms[s] = now_ms;
}

/* A new controller knows no heartbeat times: every broker gets a full
 * session from the moment it took over. */
void ctrl_brokers_reset_sessions(struct controller *ctl, int64_t now_ms)
{
    ctl->n_hb = 0;
    ctl->sessions_checked_ms = now_ms;
    const struct md_image *img = &ctl->c->img;
    for (int32_t i = 0; i < img->n_brokers; i++)
        touch(ctl, img->brokers[i].id, now_ms);
}

void ctrl_brokers_check_sessions(struct controller *ctl, int64_t now_ms)
{
    /* Sessions are checked every cluster tick.  A longer gap means this
     * process did not run (SIGSTOP, a stalled VM): the heartbeats that
     * arrived meanwhile are still queued, unread, so time it spent stopped
     * is not held against the brokers.  Without this a controller resumed
     * after a pause fenced every broker at once, itself included. */
    int64_t gap = ctl->sessions_checked_ms > 0 ? now_ms - ctl->sessions_checked_ms : 0;
    ctl->sessions_checked_ms = now_ms;
    if (gap > ctl->c->b->cfg.broker_session_timeout_ms / 4) {
        SK_WARN("controller_stalled", "ms=%lld", (long long)gap);
        for (int32_t i = 0; i < ctl->n_hb; i++)
            ctl->hb_ms[i] += gap;
        return;
    }
    int32_t expired[SK_CLUSTER_BROKERS_MAX];
    int32_t n = ctrl_expired(ctl->hb_ids, ctl->hb_ms, ctl->n_hb, now_ms, ctl->c->b->cfg.broker_session_timeout_ms,
                             expired, SK_CLUSTER_BROKERS_MAX);
    for (int32_t i = 0; i < n; i++) {
        const struct md_broker *b = md_broker_find(&ctl->c->img, expired[i]);
        int32_t s = hb_slot(ctl, expired[i]);
        if (!b || b->fenced || s < 0 || ctl->fence_queued[s])
            continue;
        ctl->fence_queued[s] = true;
        struct ctrl_req req = {.op = CTRL_INT_FENCE, .broker_id = b->id, .broker_epoch = b->epoch};
        ctrl_enqueue_internal(ctl, &req);
    }
}

bool ctrl_brokers_applied(const struct controller *ctl, uint64_t index)
{
    const struct md_image *img = &ctl->c->img;
    for (int32_t i = 0; i < img->n_brokers; i++) {
        const struct md_broker *b = &img->brokers[i];
        if (!md_broker_live(img, b->id) || b->id == ctl->c->self)
            continue; /* this node applied it before answering */
        int32_t k = 0;
        while (k < ctl->n_hb && ctl->hb_ids[k] != b->id)
            k++;
        if (k == ctl->n_hb || ctl->hb_applied[k] < index)
            return false;
    }
    return true;
}

static struct md_rec *add_state(struct ctrl_decision *d, const struct md_broker *b, bool fenced, bool shutting_down)
{
    struct md_rec *r = ctrl_decision_add(d);
    if (r) {
        r->type = MD_REC_BROKER_STATE;
        r->u.state.id = b->id;
        r->u.state.epoch = b->epoch;
        r->u.state.fenced = fenced;
        r->u.state.shutting_down = shutting_down;
    }
    return r;
}

/* The broker's leaderships and ISR memberships go to others. */
static int broker_down(struct controller *ctl, int32_t id, struct ctrl_decision *d)
{
    struct ctrl_live live;
    int rc = ctrl_live_set(ctl, id, d, &live);
    return rc == SK_OK ? ctrl_partitions_broker_down(ctl, id, &live, d) : rc;
}

static int do_register(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d)
{
    const struct md_image *img = &ctl->c->img;
    const struct md_broker *old = md_broker_find(img, req->broker.id);
    touch(ctl, req->broker.id, sk_mono_ms());
    if (old && old->incarnation_id == req->broker.incarnation_id) {
        d->resp.broker_epoch = old->epoch; /* a retried registration */
        return SK_OK;
    }
    if (!old && img->n_brokers >= SK_CLUSTER_BROKERS_MAX) {
        d->resp.error_code = KAFKA_POLICY_VIOLATION;
        snprintf(d->resp.error_message, sizeof(d->resp.error_message), "too many brokers");
        return SK_OK;
    }
    /* A new incarnation: whatever the old one led moves away first (it may
     * have lost unsynced data), then the new one is registered fenced. */
    if (old && !old->fenced) {
        int rc = broker_down(ctl, old->id, d);
        if (rc != SK_OK)
            return rc;
    }
    struct md_rec *r = ctrl_decision_add(d);
    if (!r)
        return SK_ENOMEM;
    r->type = MD_REC_BROKER;
    r->u.broker = req->broker;
    r->u.broker.epoch = img->max_broker_epoch + 1;
    r->u.broker.fenced = true;
    r->u.broker.shutting_down = false;
    d->resp.broker_epoch = r->u.broker.epoch;
    d->resp.fenced = true;
    SK_INFO("broker_registered", "broker=%d epoch=%lld", req->broker.id, (long long)r->u.broker.epoch);
    return SK_OK;
}

/* Unfences a caught-up broker; partitions without a leader may get one. */
static int unfence(struct controller *ctl, const struct md_broker *b, struct ctrl_decision *d)
{
    if (!add_state(d, b, false, false))
        return SK_ENOMEM;
    struct ctrl_live live;
    int rc = ctrl_live_set(ctl, -1, d, &live);
    if (rc != SK_OK)
        return rc;
    int32_t *ids = sk_arena_calloc(&d->arena, (size_t)live.n + 1, sizeof(*ids));
    if (!ids)
        return SK_ENOMEM;
    memcpy(ids, live.ids, (size_t)live.n * sizeof(*ids));
    ids[live.n] = b->id;
    live.ids = ids;
    live.n++;
    d->resp.fenced = false;
    SK_INFO("broker_unfenced", "broker=%d epoch=%lld", b->id, (long long)b->epoch);
    return ctrl_partitions_broker_up(ctl, &live, d);
}

static int heartbeat(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d)
{
    const struct md_broker *b = md_broker_find(&ctl->c->img, req->broker_id);
    if (!b || b->epoch != req->broker_epoch) {
        d->resp.error_code = b ? KAFKA_STALE_BROKER_EPOCH : KAFKA_BROKER_ID_NOT_REGISTERED;
        return SK_OK;
    }
    touch(ctl, b->id, sk_mono_ms());
    int32_t s = hb_slot(ctl, b->id);
    if (s >= 0) {
        ctl->fence_queued[s] = false;
        if (req->metadata_offset > ctl->hb_applied[s])
            ctl->hb_applied[s] = req->metadata_offset;
    }
    d->resp.broker_epoch = b->epoch;
    d->resp.fenced = b->fenced;
    if (req->want_shutdown) {
        d->resp.shutdown_ok = b->shutting_down;
        if (b->shutting_down)
            return SK_OK;
        /* Controlled shutdown: leaderships move while the broker still
         * serves, so clients see a clean handover rather than a timeout. */
        d->resp.shutdown_ok = true;
        if (!add_state(d, b, b->fenced, true))
            return SK_ENOMEM;
        SK_INFO("broker_shutting_down", "broker=%d", b->id);
        struct ctrl_live live;
        int rc = ctrl_live_set(ctl, b->id, d, &live);
        return rc == SK_OK ? ctrl_partitions_broker_shutdown(ctl, b->id, &live, d) : rc;
    }
    if (b->fenced && !b->shutting_down && req->metadata_offset >= b->registered_index)
        return unfence(ctl, b, d);
    return SK_OK;
}

static int fence(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d)
{
    const struct md_broker *b = md_broker_find(&ctl->c->img, req->broker_id);
    if (!b || b->epoch != req->broker_epoch || b->fenced)
        return SK_OK;
    SK_WARN("broker_fenced", "broker=%d epoch=%lld reason=session_expired", b->id, (long long)b->epoch);
    if (!add_state(d, b, true, b->shutting_down))
        return SK_ENOMEM;
    return broker_down(ctl, b->id, d);
}

int ctrl_decide_broker(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d)
{
    switch ((int)req->op) {
    case CTRL_REGISTER:
        return do_register(ctl, req, d);
    case CTRL_HEARTBEAT:
        return heartbeat(ctl, req, d);
    case CTRL_INT_FENCE:
        return fence(ctl, req, d);
    case CTRL_INT_REBALANCE: {
        struct ctrl_live live;
        int rc = ctrl_live_set(ctl, -1, d, &live);
        return rc == SK_OK ? ctrl_partitions_rebalance(ctl, &live, d) : rc;
    }
    default:
        return SK_EINVAL;
    }
}
