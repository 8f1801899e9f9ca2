/* CreateTopics, DeleteTopics, CreatePartitions on a single node.  Replica
 * assignments may only name this node; a replication factor above the broker
 * count is INVALID_REPLICATION_FACTOR. */
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "common/sk_err.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"
#include "topics.h"

#define BROKER_COUNT 1

static struct sk_slice arena_msg(struct kreq *r, const char *msg)
{
    char *s = sk_arena_strndup(&r->arena, msg, strlen(msg));
    return kafka_cstr(s);
}

/* Assignments are valid on one node only when every replica list is [self]. */
static bool assignments_ok(struct broker *b, const int32_t *ids, int32_t n)
{
    return n == 1 && ids[0] == b->cfg.node_id;
}

static int16_t create_one(struct broker *b, struct kreq *r, const struct kafka_create_topics_req *req,
                          const struct kafka_create_topics_topic *t, char *err, size_t errlen)
{
    int32_t parts = t->num_partitions == -1 ? b->cfg.num_partitions : t->num_partitions;
    int32_t rf = t->replication_factor == -1 ? b->cfg.default_replication_factor : t->replication_factor;
    if (t->n_assignments > 0) {
        if (t->num_partitions != -1 || t->replication_factor != -1) {
            snprintf(err, errlen, "give either assignments or a count and factor");
            return KAFKA_INVALID_REQUEST;
        }
        for (int32_t i = 0; i < t->n_assignments; i++)
            if (!assignments_ok(b, t->assignments[i].broker_ids, t->assignments[i].n_broker_ids)) {
                snprintf(err, errlen, "replicas must name live brokers");
                return KAFKA_INVALID_REPLICA_ASSIGNMENT;
            }
        parts = t->n_assignments;
        rf = 1;
    }
    if (rf < 1 || rf > BROKER_COUNT) {
        snprintf(err, errlen, "replication factor %d is larger than the %d available broker(s)", rf, BROKER_COUNT);
        return KAFKA_INVALID_REPLICATION_FACTOR;
    }
    const char **keys = sk_arena_calloc(&r->arena, (size_t)t->n_configs + 1, sizeof(char *));
    const char **values = sk_arena_calloc(&r->arena, (size_t)t->n_configs + 1, sizeof(char *));
    if (!keys || !values)
        return KAFKA_UNKNOWN_SERVER_ERROR;
    for (int32_t i = 0; i < t->n_configs; i++) {
        keys[i] = h_arena_str(r, t->configs[i].name);
        values[i] = t->configs[i].value.ptr || t->configs[i].value.len == 0 ? h_arena_str(r, t->configs[i].value)
                                                                             : NULL;
    }
    const char *name = t->name.ptr ? (const char *)t->name.ptr : "";
    int rc = topics_create(b->topics, name, t->name.len > 0 ? (size_t)t->name.len : 0, parts, keys, values,
                           t->n_configs, req->validate_only, err, errlen);
    return h_topic_error(rc);
}

int h_create_topics(struct broker *b, struct kreq *r)
{
    const struct kafka_create_topics_req *req = &r->req.create_topics;
    struct kafka_create_topics_resp resp = {0};
    resp.topics = sk_arena_calloc(&r->arena, (size_t)(req->n_topics ? req->n_topics : 1), sizeof(*resp.topics));
    if (!resp.topics)
        return SK_ENOMEM;
    resp.n_topics = req->n_topics;
    for (int32_t i = 0; i < req->n_topics; i++) {
        char err[256] = "";
        resp.topics[i].name = req->topics[i].name;
        resp.topics[i].error_code = create_one(b, r, req, &req->topics[i], err, sizeof(err));
        resp.topics[i].error_message = resp.topics[i].error_code ? arena_msg(r, err) : (struct sk_slice){NULL, -1};
    }
    kafka_encode_create_topics_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}

int h_delete_topics(struct broker *b, struct kreq *r)
{
    const struct kafka_delete_topics_req *req = &r->req.delete_topics;
    struct kafka_delete_topics_resp resp = {0};
    int32_t n = req->n_topic_names;
    resp.responses = sk_arena_calloc(&r->arena, (size_t)(n > 0 ? n : 1), sizeof(*resp.responses));
    if (!resp.responses)
        return SK_ENOMEM;
    resp.n_responses = n > 0 ? n : 0;
    for (int32_t i = 0; i < resp.n_responses; i++) {
        struct sk_slice s = req->topic_names[i];
        resp.responses[i].name = s;
        if (!b->cfg.delete_topic_enable) {
            resp.responses[i].error_code = KAFKA_TOPIC_DELETION_DISABLED;
            continue;
        }
        int rc = topics_delete(b->topics, s.ptr ? (const char *)s.ptr : "", s.len > 0 ? (size_t)s.len : 0);
        resp.responses[i].error_code = h_topic_error(rc);
    }
    kafka_encode_delete_topics_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}

static int16_t add_partitions(struct broker *b, const struct kafka_create_partitions_req *req,
                              const struct kafka_create_partitions_topic *t, char *err, size_t errlen)
{
    const char *name = t->name.ptr ? (const char *)t->name.ptr : "";
    struct topic *tp = topics_find(b->topics, name, t->name.len > 0 ? (size_t)t->name.len : 0);
    if (!tp)
        return KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    if (t->count <= tp->n_partitions) {
        snprintf(err, errlen, "topic has %d partitions; the new count must be larger", tp->n_partitions);
        return KAFKA_INVALID_PARTITIONS;
    }
    if (t->n_assignments > 0) {
        if (t->n_assignments != t->count - tp->n_partitions) {
            snprintf(err, errlen, "one assignment per new partition is needed");
            return KAFKA_INVALID_REPLICA_ASSIGNMENT;
        }
        for (int32_t i = 0; i < t->n_assignments; i++)
            if (!assignments_ok(b, t->assignments[i].broker_ids, t->assignments[i].n_broker_ids)) {
                snprintf(err, errlen, "replicas must name live brokers");
                return KAFKA_INVALID_REPLICA_ASSIGNMENT;
            }
    }
    int rc = topics_add_partitions(b->topics, tp, t->count, req->validate_only);
    if (rc == SK_ERANGE)
        snprintf(err, errlen, "partition count out of range");
    return h_topic_error(rc);
}

int h_create_partitions(struct broker *b, struct kreq *r)
{
    const struct kafka_create_partitions_req *req = &r->req.create_partitions;
    struct kafka_create_partitions_resp resp = {0};
    resp.results = sk_arena_calloc(&r->arena, (size_t)(req->n_topics ? req->n_topics : 1), sizeof(*resp.results));
    if (!resp.results)
        return SK_ENOMEM;
    resp.n_results = req->n_topics;
    for (int32_t i = 0; i < req->n_topics; i++) {
        char err[256] = "";
        resp.results[i].name = req->topics[i].name;
        resp.results[i].error_code = add_partitions(b, req, &req->topics[i], err, sizeof(err));
        resp.results[i].error_message = err[0] ? arena_msg(r, err) : (struct sk_slice){NULL, -1};
    }
    kafka_encode_create_partitions_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}
