/* ApiVersions and Metadata. */
#include <string.h>

#include "broker.h"
#include "common/sk_err.h"
#include "dispatch.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"
#include "topics.h"

char *h_arena_str(struct kreq *r, struct sk_slice s)
{
    return sk_arena_strndup(&r->arena, s.ptr ? (const char *)s.ptr : "", s.len > 0 ? (size_t)s.len : 0);
}

int16_t h_topic_error(int rc)
{
    switch (rc) {
    case 0:
        return KAFKA_NONE;
    case SK_EEXIST:
        return KAFKA_TOPIC_ALREADY_EXISTS;
    case SK_EINVAL:
        return KAFKA_INVALID_TOPIC_EXCEPTION;
    case SK_ERANGE:
        return KAFKA_INVALID_PARTITIONS;
    case SK_ECONFIG:
        return KAFKA_INVALID_CONFIG;
    case SK_ENOENT:
        return KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    case SK_ELIMIT:
        return KAFKA_POLICY_VIOLATION;
    case SK_EIO:
    case SK_ENOSPACE:
        return KAFKA_KAFKA_STORAGE_ERROR;
    default:
        return KAFKA_UNKNOWN_SERVER_ERROR;
    }
}

/* Lists exactly the APIs that have a handler, so a client never picks an API
 * we would refuse. */
int h_api_versions(struct broker *b, struct kreq *r)
{
    (void)b;
    size_t n;
    const struct kafka_api_info *all = kafka_api_table(&n);
    struct kafka_api_info *served = sk_arena_calloc(&r->arena, n, sizeof(*served));
    if (!served)
        return SK_ENOMEM;
    struct kafka_api_versions_resp resp = {0};
    for (size_t i = 0; i < n; i++)
        if (dispatch_find(all[i].api_key))
            served[resp.n_apis++] = all[i];
    resp.apis = served;
    const struct kafka_api_info *self = kafka_api_lookup(KAFKA_API_API_VERSIONS);
    if (r->hdr.api_version > self->parse_max)
        resp.error_code = KAFKA_UNSUPPORTED_VERSION;
    kafka_encode_api_versions_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}

static int fill_topic(struct broker *b, struct kreq *r, struct topic *tp, struct kafka_metadata_topic *out)
{
    out->name = kafka_cstr(tp->name);
    out->is_internal = tp->internal;
    out->partitions = sk_arena_calloc(&r->arena, (size_t)tp->n_partitions, sizeof(*out->partitions));
    int32_t *self = sk_arena_alloc(&r->arena, sizeof(int32_t));
    if (!out->partitions || !self)
        return SK_ENOMEM;
    *self = b->cfg.node_id;
    out->n_partitions = tp->n_partitions;
    for (int32_t i = 0; i < tp->n_partitions; i++) {
        struct kafka_metadata_partition *p = &out->partitions[i];
        p->partition_index = i;
        p->leader_id = b->cfg.node_id;
        p->replica_nodes = self;
        p->n_replica_nodes = 1;
        p->isr_nodes = self;
        p->n_isr_nodes = 1;
    }
    return 0;
}

/* Metadata for a topic the client named: the topic, or auto-created, or an
 * error entry. */
static int describe_named(struct broker *b, struct kreq *r, struct sk_slice name, bool auto_create,
                          struct kafka_metadata_topic *out)
{
    const char *s = name.ptr ? (const char *)name.ptr : "";
    size_t len = name.len > 0 ? (size_t)name.len : 0;
    out->name = name;
    struct topic *tp = topics_find(b->topics, s, len);
    if (!tp && !topics_valid_name(s, len)) {
        out->error_code = KAFKA_INVALID_TOPIC_EXCEPTION;
        return 0;
    }
    if (!tp && auto_create && b->cfg.auto_create_topics_enable) {
        char err[256];
        int rc = topics_create(b->topics, s, len, b->cfg.num_partitions, NULL, NULL, 0, false, err, sizeof(err));
        if (rc && rc != SK_EEXIST) {
            out->error_code = rc == SK_ELIMIT ? KAFKA_POLICY_VIOLATION : KAFKA_LEADER_NOT_AVAILABLE;
            return 0;
        }
        tp = topics_find(b->topics, s, len);
    }
    if (!tp) {
        out->error_code = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
        return 0;
    }
    return fill_topic(b, r, tp, out);
}

int h_metadata(struct broker *b, struct kreq *r)
{
    const struct kafka_metadata_req *req = &r->req.metadata;
    struct kafka_metadata_resp resp = {0};
    struct kafka_metadata_broker self = {
        .node_id = b->cfg.node_id,
        .host = kafka_cstr(b->cfg.advertised.host),
        .port = b->cfg.advertised.port,
        .rack = {NULL, -1},
    };
    resp.brokers = &self;
    resp.n_brokers = 1;
    resp.cluster_id = kafka_cstr(b->cfg.cluster_id);
    resp.controller_id = b->cfg.node_id;
    size_t n = req->all_topics ? topics_count(b->topics) : (size_t)(req->n_topics > 0 ? req->n_topics : 0);
    resp.topics = sk_arena_calloc(&r->arena, n ? n : 1, sizeof(*resp.topics));
    if (!resp.topics)
        return SK_ENOMEM;
    int rc = 0;
    if (req->all_topics) {
        for (struct topic *tp = topics_next(b->topics, NULL); tp && !rc; tp = topics_next(b->topics, tp))
            rc = fill_topic(b, r, tp, &resp.topics[resp.n_topics++]);
    } else {
        for (int32_t i = 0; i < req->n_topics && !rc; i++)
            rc = describe_named(b, r, req->topics[i], req->allow_auto_topic_creation, &resp.topics[resp.n_topics++]);
    }
    if (rc)
        return rc;
    kafka_encode_metadata_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}
