/* Produce: validate each partition's record batch, append it on the
 * leader, and answer: acks=0 never; acks=1 once the leader has it durably
 * (fsynced under the default flush policy); acks=all once the high
 * watermark covers it, i.e. every ISR member has it durably.  acks=all is
 * refused with NOT_ENOUGH_REPLICAS before anything is written while the ISR
 * is smaller than min.insync.replicas, and times out with
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below it meanwhile. */
#include <event2/event.h>

#include "batch.h"
#include "broker.h"
#include "broker_metrics.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"
#include "log.h"
#include "topics.h"

struct produce_wait {
    struct hw_waiter w;
    bool all; /* acks=all */
    struct kafka_produce_partition_resp *out;
    struct produce_state *st;
};

struct produce_state {
    struct kreq *r;
    struct kafka_produce_resp resp;
    struct produce_wait *waits;
    int32_t n_waits;
    int32_t pending;
    struct event *timeout_ev; /* owned */
};

/* Kafka's ProduceRequest.validateRecords plus our batch checks. */
static int16_t validate_records(const struct topic *tp, int16_t version, struct sk_slice rec)
{
    if (!rec.ptr || rec.len <= 0)
        return KAFKA_INVALID_RECORD;
    const uint8_t *p = rec.ptr;
    size_t len = (size_t)rec.len;
    if (len < BATCH_HEADER_BYTES)
        return KAFKA_CORRUPT_MESSAGE;
    if (p[BATCH_OFF_MAGIC] != 2)
        return KAFKA_INVALID_RECORD; /* magic 0/1 message sets are not accepted at Produce v3+ */
    struct batch_hdr h;
    if (batch_parse_header(p, len, &h))
        return KAFKA_CORRUPT_MESSAGE;
    size_t total = batch_total_bytes(&h);
    if (total > (size_t)tp->cfg.max_message_bytes)
        return KAFKA_MESSAGE_TOO_LARGE;
    if (total != len)
        return total < len ? KAFKA_INVALID_RECORD /* more than one batch */ : KAFKA_CORRUPT_MESSAGE;
    if (batch_validate(p, len, &h))
        return KAFKA_CORRUPT_MESSAGE;
    if ((h.attributes & BATCH_ATTR_COMPRESSION_MASK) == 4 && version < 7)
        return KAFKA_UNSUPPORTED_COMPRESSION_TYPE;
    if (h.attributes & (BATCH_ATTR_TRANSACTIONAL | BATCH_ATTR_CONTROL))
        return KAFKA_INVALID_RECORD; /* transactions are not supported */
    return KAFKA_NONE;
}

/* Every partition's error code, once, just before the answer. */
static void count_errors(struct broker *b, const struct kafka_produce_resp *resp)
{
    for (int32_t t = 0; t < resp->n_topics; t++)
        for (int32_t i = 0; i < resp->topics[t].n_partitions; i++)
            if (resp->topics[t].partitions[i].error_code)
                broker_metrics_kafka_error(b->metrics, KAFKA_API_PRODUCE,
                                           resp->topics[t].partitions[i].error_code);
}

static void produce_respond(struct produce_state *st)
{
    struct kreq *r = st->r;
    count_errors(r->broker, &st->resp);
    if (st->timeout_ev) {
        event_free(st->timeout_ev);
        st->timeout_ev = NULL;
    }
    kafka_encode_produce_resp(&r->body, r->hdr.api_version, &st->resp);
    kreq_finish(r);
}

static void wait_done_cb(struct hw_waiter *w)
{
    struct produce_wait *pw = w->arg;
    struct produce_state *st = pw->st;
    if (w->partition_gone)
        pw->out->error_code = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    else if (w->lost_leadership)
        pw->out->error_code = KAFKA_NOT_LEADER_OR_FOLLOWER;
    if (--st->pending == 0)
        produce_respond(st);
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct produce_state *st = arg;
    for (int32_t i = 0; i < st->n_waits; i++) {
        struct partition *p = st->waits[i].w.p;
        if (p) {
            bool short_isr = st->waits[i].all && p->st.n_isr < p->topic->cfg.min_insync_replicas;
            partition_unwait(&st->waits[i].w);
            st->waits[i].out->error_code = short_isr ? KAFKA_NOT_ENOUGH_REPLICAS_AFTER_APPEND : KAFKA_REQUEST_TIMED_OUT;
        }
    }
    st->pending = 0;
    produce_respond(st);
}

static void produce_cancel(struct kreq *r)
{
    struct produce_state *st = r->pending;
    for (int32_t i = 0; i < st->n_waits; i++)
        partition_unwait(&st->waits[i].w);
    if (st->timeout_ev)
        event_free(st->timeout_ev);
    st->timeout_ev = NULL;
}

/* Appends one partition's batch; returns the Kafka error for it and parks a
 * waiter when the answer must wait for durability. */
static int16_t produce_partition(struct broker *b, struct produce_state *st, const struct kafka_produce_req *req,
                                 struct sk_slice topic, const struct kafka_produce_partition *in,
                                 struct kafka_produce_partition_resp *out)
{
    const char *name = topic.ptr ? (const char *)topic.ptr : "";
    int16_t err;
    struct partition *p = topics_leader(b->topics, name, topic.len > 0 ? (size_t)topic.len : 0, in->index, &err);
    if (!p)
        return err;
    /* Internal topics are written by the broker only (Kafka refuses client
     * appends the same way): a forged record in __consumer_offsets would
     * change a group's offsets at the next coordinator load. */
    if (p->topic->internal)
        return KAFKA_INVALID_TOPIC_EXCEPTION;
    out->log_start_offset = plog_start_offset(p->log);
    if (req->acks == -1 && p->st.n_isr < p->topic->cfg.min_insync_replicas)
        return KAFKA_NOT_ENOUGH_REPLICAS;
    err = validate_records(p->topic, st->r->hdr.api_version, in->records);
    if (err)
        return err;
    int64_t first, last;
    /* The frame is ours: the batch is rewritten in place (offsets, epoch). */
    int rc = partition_append(p, (uint8_t *)in->records.ptr, (size_t)in->records.len, &first, &last);
    if (rc) {
        SK_ERROR("append_failed", "topic=%s partition=%d err=\"%s\"", p->topic->name, p->index, sk_strerror(rc));
        return KAFKA_KAFKA_STORAGE_ERROR;
    }
    out->base_offset = first;
    broker_metrics_topic_in(p->topic, (size_t)in->records.len, last - first + 1);
    bool local = req->acks == 1;
    int64_t reached = local ? partition_local_end(p) : p->high_watermark;
    if (req->acks != 0 && reached <= last) {
        struct produce_wait *pw = &st->waits[st->n_waits++];
        pw->st = st;
        pw->out = out;
        pw->all = !local;
        pw->w.local = local;
        pw->w.target = last + 1;
        pw->w.cb = wait_done_cb;
        pw->w.arg = pw;
        partition_wait(p, &pw->w);
        st->pending++;
    }
    return KAFKA_NONE;
}

int h_produce(struct broker *b, struct kreq *r)
{
    const struct kafka_produce_req *req = &r->req.produce;
    struct produce_state *st = sk_arena_calloc(&r->arena, 1, sizeof(*st));
    if (!st)
        return SK_ENOMEM;
    st->r = r;
    int32_t total = 0;
    for (int32_t t = 0; t < req->n_topics; t++)
        total += req->topics[t].n_partitions;
    st->waits = sk_arena_calloc(&r->arena, (size_t)(total ? total : 1), sizeof(*st->waits));
    st->resp.topics = sk_arena_calloc(&r->arena, (size_t)(req->n_topics ? req->n_topics : 1), sizeof(*st->resp.topics));
    if (!st->waits || !st->resp.topics)
        return SK_ENOMEM;
    bool acks_ok = req->acks == 0 || req->acks == 1 || req->acks == -1;
    st->resp.n_topics = req->n_topics;
    for (int32_t t = 0; t < req->n_topics; t++) {
        const struct kafka_produce_topic *ti = &req->topics[t];
        struct kafka_produce_topic_resp *to = &st->resp.topics[t];
        to->name = ti->name;
        to->n_partitions = ti->n_partitions;
        to->partitions = sk_arena_calloc(&r->arena, (size_t)(ti->n_partitions ? ti->n_partitions : 1),
                                         sizeof(*to->partitions));
        if (!to->partitions)
            return SK_ENOMEM;
        for (int32_t i = 0; i < ti->n_partitions; i++) {
            struct kafka_produce_partition_resp *po = &to->partitions[i];
            po->index = ti->partitions[i].index;
            po->base_offset = -1;
            po->log_append_time_ms = -1;
            po->log_start_offset = -1;
            po->error_code = acks_ok ? produce_partition(b, st, req, ti->name, &ti->partitions[i], po)
                                     : KAFKA_INVALID_REQUIRED_ACKS;
        }
    }
    if (req->acks == 0 || st->pending == 0)
        count_errors(b, &st->resp);
    if (req->acks == 0) {
        r->no_response = true;
        for (int32_t i = 0; i < st->n_waits; i++)
            partition_unwait(&st->waits[i].w);
        return 0;
    }
    if (st->pending == 0) {
        kafka_encode_produce_resp(&r->body, r->hdr.api_version, &st->resp);
        return r->body.err;
    }
    int32_t timeout_ms = req->timeout_ms;
    if (timeout_ms <= 0 || timeout_ms > b->cfg.request_timeout_ms_max)
        timeout_ms = b->cfg.request_timeout_ms_max;
    st->timeout_ev = evtimer_new(b->base, timeout_cb, st);
    if (!st->timeout_ev) {
        produce_cancel(r);
        return SK_ENOMEM;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(st->timeout_ev, &tv);
    r->pending = st;
    r->cancel = produce_cancel;
    return SK_EAGAIN;
}
