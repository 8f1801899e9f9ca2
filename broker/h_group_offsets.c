/* Committed offsets: OffsetCommit (written to __consumer_offsets and
 * answered once durable) and OffsetFetch (from the coordinator's memory,
 * which holds only durable commits, once a read barrier has confirmed this
 * node still leads the group's partition). */
#include <string.h>

#include "broker.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/sk_err.h"
#include "group_coordinator.h"
#include "group_store.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"
#include "topics.h"

/* ------------------------------------------------------------ OffsetCommit */

struct commit_state {
    struct kafka_offset_commit_resp resp;
    int16_t **written; /* per topic, per partition: 1 when it is in the batch */
};

static void commit_encode(struct kreq *r, struct commit_state *st)
{
    kafka_encode_offset_commit_resp(&r->body, r->hdr.api_version, &st->resp);
}

static void commit_written(struct gc_pending *p, int16_t error)
{
    struct commit_state *st = p->state;
    for (int32_t t = 0; t < st->resp.n_topics; t++)
        for (int32_t i = 0; i < st->resp.topics[t].n_partitions; i++)
            if (st->written[t][i])
                st->resp.topics[t].partitions[i].error_code = error;
    commit_encode(p->r, st);
    group_coordinator_finish_later(p);
}

/* Fills the response skeleton with `error` everywhere. */
static int commit_skeleton(struct kreq *r, struct commit_state *st, int16_t error)
{
    const struct kafka_offset_commit_req *req = &r->req.offset_commit;
    int32_t nt = req->n_topics > 0 ? req->n_topics : 0;
    st->resp.topics = sk_arena_calloc(&r->arena, (size_t)nt + 1, sizeof(*st->resp.topics));
    st->written = sk_arena_calloc(&r->arena, (size_t)nt + 1, sizeof(*st->written));
    if (!st->resp.topics || !st->written)
        return SK_ENOMEM;
    st->resp.n_topics = nt;
    for (int32_t t = 0; t < nt; t++) {
        const struct kafka_offset_commit_topic *ti = &req->topics[t];
        struct kafka_offset_commit_topic_resp *to = &st->resp.topics[t];
        int32_t np = ti->n_partitions > 0 ? ti->n_partitions : 0;
        to->name = ti->name;
        to->partitions = sk_arena_calloc(&r->arena, (size_t)np + 1, sizeof(*to->partitions));
        st->written[t] = sk_arena_calloc(&r->arena, (size_t)np + 1, sizeof(**st->written));
        if (!to->partitions || !st->written[t])
            return SK_ENOMEM;
        to->n_partitions = np;
        for (int32_t i = 0; i < np; i++) {
            to->partitions[i].partition_index = ti->partitions[i].partition_index;
            to->partitions[i].error_code = error;
        }
    }
    return 0;
}

/* Adds each acceptable partition's record to the batch; returns how many. */
static int32_t commit_records(struct broker *b, struct kreq *r, struct commit_state *st,
                              struct grec_batch *batch)
{
    const struct kafka_offset_commit_req *req = &r->req.offset_commit;
    const char *group = h_arena_str(r, req->group_id);
    int64_t now = sk_wall_ms();
    int32_t n = 0;
    struct sk_writer key, value;
    sk_writer_init(&key);
    sk_writer_init(&value);
    for (int32_t t = 0; t < st->resp.n_topics; t++) {
        const struct kafka_offset_commit_topic *ti = &req->topics[t];
        struct topic *tp = topics_find(b->topics, ti->name.ptr ? (const char *)ti->name.ptr : "",
                                       ti->name.len > 0 ? (size_t)ti->name.len : 0);
        for (int32_t i = 0; i < st->resp.topics[t].n_partitions; i++) {
            const struct kafka_offset_commit_partition *pi = &ti->partitions[i];
            int16_t *err = &st->resp.topics[t].partitions[i].error_code;
            if (!tp || pi->partition_index < 0 || pi->partition_index >= tp->n_partitions) {
                *err = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (pi->committed_metadata.len > SK_OFFSET_METADATA_BYTES_MAX) {
                *err = KAFKA_OFFSET_METADATA_TOO_LARGE;
                continue;
            }
            sk_writer_reset(&key);
            sk_writer_reset(&value);
            grec_offset_key(&key, group, ti->name, pi->partition_index);
            grec_offset_value(&value, pi->committed_offset, pi->committed_leader_epoch,
                              pi->committed_metadata, now);
            grec_batch_add(batch, (struct sk_slice){key.p, (int32_t)key.len},
                           (struct sk_slice){value.p, (int32_t)value.len});
            st->written[t][i] = 1;
            n++;
        }
    }
    sk_writer_free(&key);
    sk_writer_free(&value);
    return n;
}

int h_offset_commit(struct broker *b, struct kreq *r)
{
    const struct kafka_offset_commit_req *req = &r->req.offset_commit;
    struct commit_state *st = sk_arena_calloc(&r->arena, 1, sizeof(*st));
    if (!st)
        return SK_ENOMEM;
    struct group *g = NULL;
    /* A commit from outside any group (generation -1) may create one. */
    int16_t err = group_coordinator_group(b->groups, req->group_id, req->generation_id < 0, &g);
    if (!err && !g)
        err = KAFKA_ILLEGAL_GENERATION;
    if (!err) {
        err = group_commit_check(g, req->member_id, req->group_instance_id, req->generation_id, sk_wall_ms());
        group_coordinator_touched(b->groups, g); /* may drop g: not used below */
    }
    int rc = commit_skeleton(r, st, err);
    if (rc || err) {
        if (!rc)
            commit_encode(r, st);
        return rc ? rc : r->body.err;
    }
    struct grec_batch batch;
    grec_batch_init(&batch, sk_wall_ms());
    int32_t n = commit_records(b, r, st, &batch);
    if (n == 0) {
        grec_batch_free(&batch);
        commit_encode(r, st);
        return r->body.err;
    }
    struct gc_pending *p = sk_arena_calloc(&r->arena, 1, sizeof(*p));
    if (!p) {
        grec_batch_free(&batch);
        return SK_ENOMEM;
    }
    p->r = r;
    p->gc = b->groups;
    p->state = st;
    p->write_done = commit_written;
    r->pending = p;
    r->cancel = group_coordinator_cancel;
    int32_t partition;
    err = group_coordinator_owner(b->groups, req->group_id, &partition);
    if (!err)
        err = gstore_append(b->groups, partition, &batch, GSTORE_OFFSETS, h_arena_str(r, req->group_id),
                            req->generation_id, p, NULL);
    grec_batch_free(&batch);
    if (err) {
        r->pending = NULL;
        r->cancel = NULL;
        for (int32_t t = 0; t < st->resp.n_topics; t++)
            for (int32_t i = 0; i < st->resp.topics[t].n_partitions; i++)
                if (st->written[t][i])
                    st->resp.topics[t].partitions[i].error_code = err;
        commit_encode(r, st);
        return r->body.err;
    }
    return SK_EAGAIN;
}

/* ------------------------------------------------------------ OffsetFetch */

static void fetch_fill(struct kafka_offset_fetch_partition_resp *out, int32_t partition,
                       const struct group_offset *o, int16_t error)
{
    out->partition_index = partition;
    out->committed_offset = o ? o->offset : -1;
    out->committed_leader_epoch = o ? o->leader_epoch : -1;
    out->metadata = kafka_cstr(o && o->metadata ? o->metadata : "");
    out->error_code = error;
}

/* Every committed offset of the group, one response topic per topic. */
static int fetch_all(struct kreq *r, const struct group *g, struct kafka_offset_fetch_resp *resp)
{
    int32_t n = g ? g->n_offsets : 0;
    resp->topics = sk_arena_calloc(&r->arena, (size_t)n + 1, sizeof(*resp->topics));
    if (!resp->topics)
        return SK_ENOMEM;
    for (int32_t i = 0; i < n;) {
        int32_t j = i;
        while (j < n && strcmp(g->offsets[j].topic, g->offsets[i].topic) == 0)
            j++;
        struct kafka_offset_fetch_topic_resp *t = &resp->topics[resp->n_topics++];
        t->name = kafka_cstr(g->offsets[i].topic);
        t->partitions = sk_arena_calloc(&r->arena, (size_t)(j - i), sizeof(*t->partitions));
        if (!t->partitions)
            return SK_ENOMEM;
        for (int32_t k = i; k < j; k++)
            fetch_fill(&t->partitions[t->n_partitions++], g->offsets[k].partition, &g->offsets[k],
                       KAFKA_NONE);
        i = j;
    }
    return 0;
}

static int fetch_listed(struct kreq *r, const struct group *g, int16_t error,
                        struct kafka_offset_fetch_resp *resp)
{
    const struct kafka_offset_fetch_req *req = &r->req.offset_fetch;
    int32_t nt = req->n_topics > 0 ? req->n_topics : 0;
    resp->topics = sk_arena_calloc(&r->arena, (size_t)nt + 1, sizeof(*resp->topics));
    if (!resp->topics)
        return SK_ENOMEM;
    resp->n_topics = nt;
    for (int32_t t = 0; t < nt; t++) {
        const struct kafka_offset_fetch_topic *ti = &req->topics[t];
        struct kafka_offset_fetch_topic_resp *to = &resp->topics[t];
        int32_t np = ti->n_partition_indexes > 0 ? ti->n_partition_indexes : 0;
        to->name = ti->name;
        to->partitions = sk_arena_calloc(&r->arena, (size_t)np + 1, sizeof(*to->partitions));
        if (!to->partitions)
            return SK_ENOMEM;
        to->n_partitions = np;
        for (int32_t i = 0; i < np; i++) {
            int32_t part = ti->partition_indexes[i];
            const struct group_offset *o = g && !error ? group_offset_get(g, ti->name, part) : NULL;
            fetch_fill(&to->partitions[i], part, o, error);
        }
    }
    return 0;
}

/* Answers from the coordinator's memory as it is now. */
static int fetch_answer(struct broker *b, struct kreq *r, int16_t err)
{
    const struct kafka_offset_fetch_req *req = &r->req.offset_fetch;
    struct kafka_offset_fetch_resp resp = {0};
    struct group *g = NULL;
    if (!err)
        err = group_coordinator_group(b->groups, req->group_id, false, &g);
    /* From v2 a group-level error goes in the top-level field; v1 has only
     * the per-partition one. */
    resp.error_code = err;
    int rc = req->all_topics ? fetch_all(r, err ? NULL : g, &resp) : fetch_listed(r, g, err, &resp);
    if (rc)
        return rc;
    kafka_encode_offset_fetch_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}

static void fetch_confirmed(struct gc_pending *p, int16_t error)
{
    struct kreq *r = p->r;
    /* A barrier that did not become durable means this node may no longer
     * lead the group's partition: the client looks for the coordinator. */
    if (fetch_answer(p->gc->b, r, error ? KAFKA_NOT_COORDINATOR : KAFKA_NONE))
        r->body.err = SK_ENOMEM;
    group_coordinator_finish_later(p);
}

/* Appends a read barrier to the group's partition; the answer is built once
 * it is durable.  A leader cut off from its followers (or deposed without
 * knowing yet) still holds the group in memory, but a newer coordinator
 * may have accepted commits since: the barrier reaches the high watermark
 * only if every in-sync replica still follows this leader, and then no
 * other node can have led the partition meanwhile (a new leader comes from
 * the ISR, and a replica that fetched the barrier from us did not lead). */
static int16_t fetch_barrier(struct broker *b, struct kreq *r)
{
    const struct kafka_offset_fetch_req *req = &r->req.offset_fetch;
    const char *group = h_arena_str(r, req->group_id);
    int32_t partition;
    int16_t err = group_coordinator_owner(b->groups, req->group_id, &partition);
    if (err)
        return err;
    struct gc_pending *p = sk_arena_calloc(&r->arena, 1, sizeof(*p));
    if (!p)
        return KAFKA_UNKNOWN_SERVER_ERROR;
    struct grec_batch batch;
    struct sk_writer key;
    grec_batch_init(&batch, sk_wall_ms());
    sk_writer_init(&key);
    grec_barrier_key(&key, group);
    grec_batch_add(&batch, (struct sk_slice){key.p, (int32_t)key.len}, (struct sk_slice){(const uint8_t *)"", 0});
    sk_writer_free(&key);
    p->r = r;
    p->gc = b->groups;
    p->write_done = fetch_confirmed;
    r->pending = p;
    r->cancel = group_coordinator_cancel;
    err = gstore_append(b->groups, partition, &batch, GSTORE_BARRIER, group, -1, p, NULL);
    grec_batch_free(&batch);
    if (err) {
        r->pending = NULL;
        r->cancel = NULL;
    }
    return err;
}

int h_offset_fetch(struct broker *b, struct kreq *r)
{
    const struct kafka_offset_fetch_req *req = &r->req.offset_fetch;
    struct group *g = NULL;
    int16_t err = group_coordinator_group(b->groups, req->group_id, false, &g);
    if (!err)
        err = fetch_barrier(b, r);
    if (!err)
        return SK_EAGAIN;
    return fetch_answer(b, r, err);
}
