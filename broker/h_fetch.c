/* Fetch: read whole batches below the high watermark, honouring
 * partition_max_bytes and max_bytes (with KIP-74's "at least one batch"), and
 * long-poll: with less than min_bytes available the request parks on every
 * partition it reads until data arrives or max_wait_ms passes. */
#include <event2/event.h>

#include "broker.h"
#include "broker_metrics.h"
#include "cluster.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"
#include "leader_lease.h"
#include "log.h"
#include "topics.h"

struct fetch_wait {
    struct hw_waiter w;
    struct fetch_state *st;
};

struct fetch_state {
    struct kreq *r;
    struct broker *b;
    struct kafka_fetch_resp resp;
    struct sk_writer data;    /* owned: every partition's records, back to back */
    size_t *rec_off;          /* per partition (flattened): where its records start in data */
    struct topic **rec_topic; /* per partition: the topic read in the last pass (metrics) */
    struct fetch_wait *waits;
    int32_t n_parts;
    int64_t now_ms;      /* monotonic, taken once per pass */
    struct event *timer; /* owned */
};

/* Kafka answers at once when min_bytes is reached (min_bytes <= 0: always). */
static bool enough(const struct kafka_fetch_req *req, size_t got)
{
    return req->min_bytes <= 0 || got >= (size_t)req->min_bytes;
}

static void fetch_release(struct fetch_state *st)
{
    for (int32_t i = 0; i < st->n_parts; i++)
        partition_unwait(&st->waits[i].w);
    if (st->timer) {
        event_free(st->timer);
        st->timer = NULL;
    }
}

/* Fills one partition's response; returns the bytes of records added. */
static size_t fetch_partition(struct fetch_state *st, struct sk_slice topic, const struct kafka_fetch_partition *in,
                              struct kafka_fetch_partition_resp *out, size_t budget, size_t idx)
{
    const char *name = topic.ptr ? (const char *)topic.ptr : "";
    int16_t err;
    struct partition *p = topics_leader(st->b->topics, name, topic.len > 0 ? (size_t)topic.len : 0, in->partition, &err);
    out->partition_index = in->partition;
    out->high_watermark = out->last_stable_offset = out->log_start_offset = -1;
    out->records_len = 0;
    st->rec_off[idx] = st->data.len;
    st->rec_topic[idx] = NULL;
    if (!p) {
        out->error_code = err;
        return 0;
    }
    out->high_watermark = out->last_stable_offset = p->high_watermark;
    out->log_start_offset = plog_start_offset(p->log);
    if (in->current_leader_epoch >= 0 && in->current_leader_epoch != p->leader_epoch) {
        out->error_code = in->current_leader_epoch > p->leader_epoch ? KAFKA_UNKNOWN_LEADER_EPOCH
                                                                     : KAFKA_FENCED_LEADER_EPOCH;
        return 0;
    }
    /* Between the high watermark and the log end there is nothing to read
     * yet (a new leader's high watermark may trail what consumers saw).
     * Beyond the log is out of range only for a leader sure it still leads:
     * a deposed one cut off from the controller would send consumers back
     * to their reset offset (leader_lease.h). */
    out->error_code =
        leader_fetch_range_error(in->fetch_offset, out->log_start_offset, plog_end_offset(p->log),
                                 cluster_leader_lease_held(st->b->cluster, st->now_ms));
    if (out->error_code == KAFKA_NOT_LEADER_OR_FOLLOWER)
        SK_DEBUG("fetch_outside_log_without_lease",
                 "topic=%s partition=%d offset=%lld log_start=%lld log_end=%lld", p->topic->name, p->index,
                 (long long)in->fetch_offset, (long long)out->log_start_offset,
                 (long long)plog_end_offset(p->log));
    if (out->error_code != KAFKA_NONE)
        return 0;
    size_t max = in->partition_max_bytes > 0 ? (size_t)in->partition_max_bytes : 0;
    if (max > budget)
        max = budget;
    if (max == 0 || in->fetch_offset >= p->high_watermark)
        return 0;
    size_t before = st->data.len;
    int rc = plog_read(p->log, in->fetch_offset, p->high_watermark, max, &st->data);
    if (rc) {
        st->data.len = before;
        out->error_code = rc == SK_ERANGE ? KAFKA_OFFSET_OUT_OF_RANGE : KAFKA_KAFKA_STORAGE_ERROR;
        if (rc == SK_ECORRUPT)
            SK_ERROR("corrupt_batch_not_served", "topic=%s partition=%d offset=%lld", p->topic->name, p->index,
                     (long long)in->fetch_offset);
        return 0;
    }
    size_t added = st->data.len - before;
    /* KIP-74: only the first non-empty partition may exceed the limits. */
    if (added > max && before > 0) {
        st->data.len = before;
        return 0;
    }
    out->records_len = (int32_t)added;
    st->rec_topic[idx] = p->topic;
    return added;
}

/* One pass over every requested partition; returns the record bytes found
 * and whether any partition had an error. */
static size_t fetch_pass(struct fetch_state *st, bool *any_error)
{
    const struct kafka_fetch_req *req = &st->r->req.fetch;
    size_t budget = req->max_bytes > 0 ? (size_t)req->max_bytes : 0;
    if (budget > SK_FETCH_RESPONSE_BYTES_MAX)
        budget = SK_FETCH_RESPONSE_BYTES_MAX;
    size_t total = 0, idx = 0;
    sk_writer_reset(&st->data);
    st->now_ms = sk_mono_ms();
    *any_error = false;
    for (int32_t t = 0; t < req->n_topics; t++) {
        const struct kafka_fetch_topic *ti = &req->topics[t];
        struct kafka_fetch_topic_resp *to = &st->resp.topics[t];
        for (int32_t i = 0; i < ti->n_partitions; i++, idx++) {
            size_t left = budget > total ? budget - total : 0;
            /* The first batch always fits (KIP-74), so an empty response
             * may ask for as much as the first batch needs. */
            total += fetch_partition(st, ti->topic, &ti->partitions[i], &to->partitions[i],
                                     total == 0 ? SIZE_MAX / 2 : left, idx);
            if (to->partitions[i].error_code)
                *any_error = true;
        }
    }
    return total;
}

static void fetch_respond(struct fetch_state *st)
{
    struct kreq *r = st->r;
    fetch_release(st);
    size_t idx = 0;
    for (int32_t t = 0; t < st->resp.n_topics; t++)
        for (int32_t i = 0; i < st->resp.topics[t].n_partitions; i++, idx++) {
            struct kafka_fetch_partition_resp *po = &st->resp.topics[t].partitions[i];
            po->records = st->data.p ? st->data.p + st->rec_off[idx] : NULL;
            if (po->error_code)
                broker_metrics_kafka_error(st->b->metrics, KAFKA_API_FETCH, po->error_code);
            else if (po->records_len > 0 && st->rec_topic[idx])
                broker_metrics_topic_out(st->rec_topic[idx], po->records, (size_t)po->records_len);
        }
    kafka_encode_fetch_resp(&r->body, r->hdr.api_version, &st->resp);
    sk_writer_free(&st->data);
    kreq_finish(r);
}

static void fetch_cancel(struct kreq *r)
{
    struct fetch_state *st = r->pending;
    fetch_release(st);
    sk_writer_free(&st->data);
}

static void fetch_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct fetch_state *st = arg;
    bool err;
    fetch_pass(st, &err);
    fetch_respond(st);
}

/* Parks on every readable partition: any advance of its high watermark
 * wakes the request. */
static void park(struct fetch_state *st)
{
    const struct kafka_fetch_req *req = &st->r->req.fetch;
    size_t idx = 0;
    for (int32_t t = 0; t < req->n_topics; t++) {
        const struct kafka_fetch_topic *ti = &req->topics[t];
        for (int32_t i = 0; i < ti->n_partitions; i++, idx++) {
            const char *name = ti->topic.ptr ? (const char *)ti->topic.ptr : "";
            int16_t err;
            struct partition *p = topics_leader(st->b->topics, name, ti->topic.len > 0 ? (size_t)ti->topic.len : 0,
                                                ti->partitions[i].partition, &err);
            if (!p)
                continue;
            st->waits[idx].w.target = p->high_watermark + 1;
            partition_wait(p, &st->waits[idx].w);
        }
    }
}

static void fetch_wake_cb(struct hw_waiter *w)
{
    struct fetch_wait *fw = w->arg;
    struct fetch_state *st = fw->st;
    const struct kafka_fetch_req *req = &st->r->req.fetch;
    for (int32_t i = 0; i < st->n_parts; i++)
        partition_unwait(&st->waits[i].w);
    bool err;
    size_t got = fetch_pass(st, &err);
    if (err || enough(req, got) || w->partition_gone)
        fetch_respond(st);
    else
        park(st);
}

static int fetch_setup(struct kreq *r, struct fetch_state *st)
{
    const struct kafka_fetch_req *req = &r->req.fetch;
    int32_t n = 0;
    for (int32_t t = 0; t < req->n_topics; t++)
        n += req->topics[t].n_partitions;
    st->n_parts = n;
    st->rec_off = sk_arena_calloc(&r->arena, (size_t)(n ? n : 1), sizeof(size_t));
    st->rec_topic = sk_arena_calloc(&r->arena, (size_t)(n ? n : 1), sizeof(*st->rec_topic));
    st->waits = sk_arena_calloc(&r->arena, (size_t)(n ? n : 1), sizeof(*st->waits));
    st->resp.topics = sk_arena_calloc(&r->arena, (size_t)(req->n_topics ? req->n_topics : 1), sizeof(*st->resp.topics));
    if (!st->rec_off || !st->rec_topic || !st->waits || !st->resp.topics)
        return SK_ENOMEM;
    for (int32_t i = 0; i < n; i++) {
        st->waits[i].st = st;
        st->waits[i].w.arg = &st->waits[i];
        st->waits[i].w.cb = fetch_wake_cb;
    }
    st->resp.n_topics = req->n_topics;
    for (int32_t t = 0; t < req->n_topics; t++) {
        struct kafka_fetch_topic_resp *to = &st->resp.topics[t];
        to->topic = req->topics[t].topic;
        to->n_partitions = req->topics[t].n_partitions;
        to->partitions = sk_arena_calloc(&r->arena, (size_t)(to->n_partitions ? to->n_partitions : 1),
                                         sizeof(*to->partitions));
        if (!to->partitions)
            return SK_ENOMEM;
    }
    return 0;
}

int h_fetch(struct broker *b, struct kreq *r)
{
    const struct kafka_fetch_req *req = &r->req.fetch;
    struct fetch_state *st = sk_arena_calloc(&r->arena, 1, sizeof(*st));
    if (!st)
        return SK_ENOMEM;
    st->r = r;
    st->b = b;
    sk_writer_init(&st->data);
    int rc = fetch_setup(r, st);
    if (rc)
        return rc;
    if (req->replica_id >= 0) {
        /* Replica fetches travel only over the internal listener between
         * registered brokers (Kafka CVE-2018-1288: a client forged a replica id). */
        kafka_encode_error_response(&r->body, KAFKA_API_FETCH, r->hdr.api_version, &r->req,
                                    KAFKA_CLUSTER_AUTHORIZATION_FAILED, &r->arena);
        return r->body.err;
    }
    bool err;
    size_t got = fetch_pass(st, &err);
    int32_t wait_ms = req->max_wait_ms;
    if (wait_ms > SK_FETCH_MAX_WAIT_MS_MAX)
        wait_ms = SK_FETCH_MAX_WAIT_MS_MAX;
    if (err || wait_ms <= 0 || enough(req, got) || st->n_parts == 0) {
        r->pending = st;
        fetch_respond(st);
        return SK_EAGAIN; /* fetch_respond already finished the request */
    }
    st->timer = evtimer_new(b->base, fetch_timeout_cb, st);
    if (!st->timer) {
        sk_writer_free(&st->data);
        return SK_ENOMEM;
    }
    struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};
    evtimer_add(st->timer, &tv);
    park(st);
    r->pending = st;
    r->cancel = fetch_cancel;
    return SK_EAGAIN;
}
