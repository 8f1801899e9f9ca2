/* CreateTopics, DeleteTopics, CreatePartitions: checked here as far as a
 * request alone allows, then forwarded to the active controller, which
 * decides against the metadata image (names, counts, placement over live
 * brokers, configs) and answers once the records are committed. */
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "common/sk_err.h"
#include "h_forward.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"
#include "topics.h"

static struct sk_slice arena_msg(struct kreq *r, const char *msg)
{
    char *s = sk_arena_strndup(&r->arena, msg, strlen(msg));
    return kafka_cstr(s);
}

static struct sk_slice slot_msg(struct kreq *r, const struct fwd_state *st, int32_t i)
{
    const char *m = fwd_message(st, i);
    return fwd_code(st, i) && m ? arena_msg(r, m) : (struct sk_slice){NULL, -1};
}

/* Assignments as controller requests (arena copies). */
static struct ctrl_assignment *assignments(struct kreq *r, const struct kafka_create_topics_assignment *in,
                                           int32_t n)
{
    struct ctrl_assignment *as = sk_arena_calloc(&r->arena, (size_t)(n ? n : 1), sizeof(*as));
    if (!as)
        return NULL;
    for (int32_t i = 0; i < n; i++) {
        as[i].ids = in[i].broker_ids;
        as[i].n = in[i].n_broker_ids > 0 ? in[i].n_broker_ids : 0;
    }
    return as;
}

struct create_ctx {
    struct fwd_state *st;
    struct kafka_create_topics_resp resp;
};

static void create_encode(struct kreq *r, void *arg)
{
    struct create_ctx *x = arg;
    for (int32_t i = 0; i < x->resp.n_topics; i++) {
        x->resp.topics[i].error_code = fwd_code(x->st, i);
        x->resp.topics[i].error_message = slot_msg(r, x->st, i);
    }
    kafka_encode_create_topics_resp(&r->body, r->hdr.api_version, &x->resp);
}

static void create_one(struct kreq *r, struct fwd_state *st, int32_t i, const struct kafka_create_topics_req *req,
                       const struct kafka_create_topics_topic *t)
{
    struct ctrl_req cr = {.op = CTRL_CREATE_TOPIC};
    cr.name = h_arena_str(r, t->name);
    cr.partitions = t->num_partitions;
    cr.replication_factor = t->replication_factor;
    cr.validate_only = req->validate_only;
    cr.n_assignments = t->n_assignments > 0 ? t->n_assignments : 0;
    cr.assignments = assignments(r, t->assignments, cr.n_assignments);
    struct md_config *cfg = sk_arena_calloc(&r->arena, (size_t)t->n_configs + 1, sizeof(*cfg));
    if (!cr.name || !cr.assignments || !cfg) {
        fwd_set(st, i, KAFKA_UNKNOWN_SERVER_ERROR, "out of memory");
        return;
    }
    for (int32_t k = 0; k < t->n_configs; k++) {
        if (!t->configs[k].value.ptr && t->configs[k].value.len < 0)
            continue; /* a null value means "use the default" */
        cfg[cr.n_configs].key = h_arena_str(r, t->configs[k].name);
        cfg[cr.n_configs].value = h_arena_str(r, t->configs[k].value);
        cr.n_configs++;
    }
    cr.configs = cfg;
    if (!topics_valid_name(cr.name, strlen(cr.name)) || (t->name.len > 0 && strlen(cr.name) != (size_t)t->name.len)) {
        fwd_set(st, i, KAFKA_INVALID_TOPIC_EXCEPTION, "invalid topic name");
        return;
    }
    fwd_call(st, i, &cr);
}

int h_create_topics(struct broker *b, struct kreq *r)
{
    const struct kafka_create_topics_req *req = &r->req.create_topics;
    struct create_ctx *x = sk_arena_calloc(&r->arena, 1, sizeof(*x));
    int32_t n = req->n_topics > 0 ? req->n_topics : 0;
    if (!x || !(x->resp.topics = sk_arena_calloc(&r->arena, (size_t)(n ? n : 1), sizeof(*x->resp.topics))))
        return SK_ENOMEM;
    x->resp.n_topics = n;
    int rc = fwd_begin(b, r, n, req->timeout_ms, create_encode, x, &x->st);
    if (rc)
        return rc;
    for (int32_t i = 0; i < n; i++) {
        x->resp.topics[i].name = req->topics[i].name;
        create_one(r, x->st, i, req, &req->topics[i]);
    }
    return fwd_end(x->st);
}

struct delete_ctx {
    struct fwd_state *st;
    struct kafka_delete_topics_resp resp;
};

static void delete_encode(struct kreq *r, void *arg)
{
    struct delete_ctx *x = arg;
    for (int32_t i = 0; i < x->resp.n_responses; i++)
        x->resp.responses[i].error_code = fwd_code(x->st, i);
    kafka_encode_delete_topics_resp(&r->body, r->hdr.api_version, &x->resp);
}

int h_delete_topics(struct broker *b, struct kreq *r)
{
    const struct kafka_delete_topics_req *req = &r->req.delete_topics;
    struct delete_ctx *x = sk_arena_calloc(&r->arena, 1, sizeof(*x));
    int32_t n = req->n_topic_names > 0 ? req->n_topic_names : 0;
    if (!x || !(x->resp.responses = sk_arena_calloc(&r->arena, (size_t)(n ? n : 1), sizeof(*x->resp.responses))))
        return SK_ENOMEM;
    x->resp.n_responses = n;
    int rc = fwd_begin(b, r, n, req->timeout_ms, delete_encode, x, &x->st);
    if (rc)
        return rc;
    for (int32_t i = 0; i < n; i++) {
        x->resp.responses[i].name = req->topic_names[i];
        if (!b->cfg.delete_topic_enable) {
            fwd_set(x->st, i, KAFKA_TOPIC_DELETION_DISABLED, NULL);
            continue;
        }
        struct ctrl_req cr = {.op = CTRL_DELETE_TOPIC, .name = h_arena_str(r, req->topic_names[i])};
        if (!cr.name)
            fwd_set(x->st, i, KAFKA_UNKNOWN_SERVER_ERROR, NULL);
        else
            fwd_call(x->st, i, &cr);
    }
    return fwd_end(x->st);
}

struct partitions_ctx {
    struct fwd_state *st;
    struct kafka_create_partitions_resp resp;
};

static void partitions_encode(struct kreq *r, void *arg)
{
    struct partitions_ctx *x = arg;
    for (int32_t i = 0; i < x->resp.n_results; i++) {
        x->resp.results[i].error_code = fwd_code(x->st, i);
        x->resp.results[i].error_message = slot_msg(r, x->st, i);
    }
    kafka_encode_create_partitions_resp(&r->body, r->hdr.api_version, &x->resp);
}

int h_create_partitions(struct broker *b, struct kreq *r)
{
    const struct kafka_create_partitions_req *req = &r->req.create_partitions;
    struct partitions_ctx *x = sk_arena_calloc(&r->arena, 1, sizeof(*x));
    int32_t n = req->n_topics > 0 ? req->n_topics : 0;
    if (!x || !(x->resp.results = sk_arena_calloc(&r->arena, (size_t)(n ? n : 1), sizeof(*x->resp.results))))
        return SK_ENOMEM;
    x->resp.n_results = n;
    int rc = fwd_begin(b, r, n, req->timeout_ms, partitions_encode, x, &x->st);
    if (rc)
        return rc;
    for (int32_t i = 0; i < n; i++) {
        const struct kafka_create_partitions_topic *t = &req->topics[i];
        x->resp.results[i].name = t->name;
        struct ctrl_req cr = {.op = CTRL_CREATE_PARTITIONS, .partitions = t->count, .validate_only = req->validate_only};
        cr.name = h_arena_str(r, t->name);
        cr.n_assignments = t->n_assignments > 0 ? t->n_assignments : 0;
        cr.assignments = sk_arena_calloc(&r->arena, (size_t)cr.n_assignments + 1, sizeof(*cr.assignments));
        if (!cr.name || !cr.assignments) {
            fwd_set(x->st, i, KAFKA_UNKNOWN_SERVER_ERROR, NULL);
            continue;
        }
        struct ctrl_assignment *as = (struct ctrl_assignment *)cr.assignments;
        for (int32_t k = 0; k < cr.n_assignments; k++) {
            as[k].ids = t->assignments[k].broker_ids;
            as[k].n = t->assignments[k].n_broker_ids > 0 ? t->assignments[k].n_broker_ids : 0;
        }
        fwd_call(x->st, i, &cr);
    }
    return fwd_end(x->st);
}
