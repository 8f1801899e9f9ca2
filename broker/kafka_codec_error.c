/* Error responses: the answer a decoded request gets when the broker replies
 * with one error everywhere (not leader for any of it, not controller, not
 * ready, ...).  Like Kafka's AbstractRequest.getErrorResponse, every topic,
 * partition, resource or group of the request is echoed in request order with
 * the error, and offsets/ids are -1. */
#include "broker/kafka_codec.h"

#include <limits.h>

#include "common/sk_err.h"

/* Arena array that tolerates n <= 0 (NULL) and reports exhaustion through
 * *oom, so the builders below stay straight-line. */
static void *err_array(struct sk_arena *a, int32_t n, size_t size, bool *oom)
{
    if (n <= 0)
        return NULL;
    void *p = sk_arena_calloc(a, (size_t)n, size);
    if (!p)
        *oom = true;
    return p;
}

#define ERR_ARRAY(dst, n) ((dst) = err_array(a, (n), sizeof(*(dst)), &oom))

static bool err_produce(const struct kafka_produce_req *q, int16_t e, struct sk_arena *a,
                        struct kafka_produce_resp *s)
{
    bool oom = false;
    s->n_topics = q->n_topics;
    ERR_ARRAY(s->topics, q->n_topics);
    for (int32_t i = 0; s->topics && i < q->n_topics; i++) {
        const struct kafka_produce_topic *qt = &q->topics[i];
        struct kafka_produce_topic_resp *st = &s->topics[i];
        st->name = qt->name;
        st->n_partitions = qt->n_partitions;
        ERR_ARRAY(st->partitions, qt->n_partitions);
        for (int32_t j = 0; st->partitions && j < qt->n_partitions; j++)
            st->partitions[j] = (struct kafka_produce_partition_resp){qt->partitions[j].index, e, -1, -1, -1};
    }
    return !oom;
}

static bool err_fetch(const struct kafka_fetch_req *q, int16_t e, struct sk_arena *a,
                      struct kafka_fetch_resp *s)
{
    bool oom = false;
    s->error_code = e;
    s->n_topics = q->n_topics;
    ERR_ARRAY(s->topics, q->n_topics);
    for (int32_t i = 0; s->topics && i < q->n_topics; i++) {
        const struct kafka_fetch_topic *qt = &q->topics[i];
        struct kafka_fetch_topic_resp *st = &s->topics[i];
        st->topic = qt->topic;
        st->n_partitions = qt->n_partitions;
        ERR_ARRAY(st->partitions, qt->n_partitions);
        for (int32_t j = 0; st->partitions && j < qt->n_partitions; j++) {
            struct kafka_fetch_partition_resp *p = &st->partitions[j];
            p->partition_index = qt->partitions[j].partition;
            p->error_code = e;
            p->high_watermark = p->last_stable_offset = p->log_start_offset = -1;
        }
    }
    return !oom;
}

static bool err_list_offsets(const struct kafka_list_offsets_req *q, int16_t e, struct sk_arena *a,
                             struct kafka_list_offsets_resp *s)
{
    bool oom = false;
    s->n_topics = q->n_topics;
    ERR_ARRAY(s->topics, q->n_topics);
    for (int32_t i = 0; s->topics && i < q->n_topics; i++) {
        const struct kafka_list_offsets_topic *qt = &q->topics[i];
        struct kafka_list_offsets_topic_resp *st = &s->topics[i];
        st->name = qt->name;
        st->n_partitions = qt->n_partitions;
        ERR_ARRAY(st->partitions, qt->n_partitions);
        for (int32_t j = 0; st->partitions && j < qt->n_partitions; j++)
            st->partitions[j] =
                (struct kafka_list_offsets_partition_resp){qt->partitions[j].partition_index, e, -1, -1};
    }
    return !oom;
}

static bool err_metadata(const struct kafka_metadata_req *q, int16_t e, struct sk_arena *a,
                         struct kafka_metadata_resp *s)
{
    bool oom = false;
    s->controller_id = -1;
    s->n_topics = q->n_topics < 0 ? 0 : q->n_topics;
    ERR_ARRAY(s->topics, s->n_topics);
    for (int32_t i = 0; s->topics && i < s->n_topics; i++) {
        s->topics[i].error_code = e;
        s->topics[i].name = q->topics[i];
    }
    return !oom;
}

static bool err_offset_commit(const struct kafka_offset_commit_req *q, int16_t e, struct sk_arena *a,
                              struct kafka_offset_commit_resp *s)
{
    bool oom = false;
    s->n_topics = q->n_topics;
    ERR_ARRAY(s->topics, q->n_topics);
    for (int32_t i = 0; s->topics && i < q->n_topics; i++) {
        const struct kafka_offset_commit_topic *qt = &q->topics[i];
        struct kafka_offset_commit_topic_resp *st = &s->topics[i];
        st->name = qt->name;
        st->n_partitions = qt->n_partitions;
        ERR_ARRAY(st->partitions, qt->n_partitions);
        for (int32_t j = 0; st->partitions && j < qt->n_partitions; j++)
            st->partitions[j] =
                (struct kafka_offset_commit_partition_resp){qt->partitions[j].partition_index, e};
    }
    return !oom;
}

static bool err_offset_fetch(const struct kafka_offset_fetch_req *q, int16_t e, struct sk_arena *a,
                             struct kafka_offset_fetch_resp *s)
{
    bool oom = false;
    s->error_code = e;
    s->n_topics = q->n_topics < 0 ? 0 : q->n_topics;
    ERR_ARRAY(s->topics, s->n_topics);
    for (int32_t i = 0; s->topics && i < s->n_topics; i++) {
        const struct kafka_offset_fetch_topic *qt = &q->topics[i];
        struct kafka_offset_fetch_topic_resp *st = &s->topics[i];
        st->name = qt->name;
        st->n_partitions = qt->n_partition_indexes;
        ERR_ARRAY(st->partitions, qt->n_partition_indexes);
        for (int32_t j = 0; st->partitions && j < qt->n_partition_indexes; j++)
            st->partitions[j] = (struct kafka_offset_fetch_partition_resp){qt->partition_indexes[j], -1, -1,
                                                                           KC_NULL_SLICE, e};
    }
    return !oom;
}

static bool err_leave_group(const struct kafka_leave_group_req *q, int16_t e, struct sk_arena *a,
                            struct kafka_leave_group_resp *s)
{
    bool oom = false;
    s->error_code = e;
    s->n_members = q->n_members;
    ERR_ARRAY(s->members, q->n_members);
    for (int32_t i = 0; s->members && i < q->n_members; i++)
        s->members[i] = (struct kafka_leave_group_member_resp){q->members[i].member_id,
                                                               q->members[i].group_instance_id, e};
    return !oom;
}

static bool err_describe_groups(const struct kafka_describe_groups_req *q, int16_t e, struct sk_arena *a,
                                struct kafka_describe_groups_resp *s)
{
    bool oom = false;
    s->n_groups = q->n_groups;
    ERR_ARRAY(s->groups, q->n_groups);
    for (int32_t i = 0; s->groups && i < q->n_groups; i++) {
        s->groups[i].error_code = e;
        s->groups[i].group_id = q->groups[i];
        s->groups[i].authorized_operations = INT32_MIN;
    }
    return !oom;
}

static bool err_create_topics(const struct kafka_create_topics_req *q, int16_t e, struct sk_arena *a,
                              struct kafka_create_topics_resp *s)
{
    bool oom = false;
    s->n_topics = q->n_topics;
    ERR_ARRAY(s->topics, q->n_topics);
    for (int32_t i = 0; s->topics && i < q->n_topics; i++)
        s->topics[i] = (struct kafka_create_topics_topic_resp){q->topics[i].name, e, KC_NULL_SLICE};
    return !oom;
}

static bool err_delete_topics(const struct kafka_delete_topics_req *q, int16_t e, struct sk_arena *a,
                              struct kafka_delete_topics_resp *s)
{
    bool oom = false;
    s->n_responses = q->n_topic_names;
    ERR_ARRAY(s->responses, q->n_topic_names);
    for (int32_t i = 0; s->responses && i < q->n_topic_names; i++)
        s->responses[i] = (struct kafka_delete_topics_topic_resp){q->topic_names[i], e};
    return !oom;
}

static bool err_delete_records(const struct kafka_delete_records_req *q, int16_t e, struct sk_arena *a,
                               struct kafka_delete_records_resp *s)
{
    bool oom = false;
    s->n_topics = q->n_topics;
    ERR_ARRAY(s->topics, q->n_topics);
    for (int32_t i = 0; s->topics && i < q->n_topics; i++) {
        const struct kafka_delete_records_topic *qt = &q->topics[i];
        struct kafka_delete_records_topic_resp *st = &s->topics[i];
        st->name = qt->name;
        st->n_partitions = qt->n_partitions;
        ERR_ARRAY(st->partitions, qt->n_partitions);
        for (int32_t j = 0; st->partitions && j < qt->n_partitions; j++)
            st->partitions[j] =
                (struct kafka_delete_records_partition_resp){qt->partitions[j].partition_index, -1, e};
    }
    return !oom;
}

static bool err_describe_configs(const struct kafka_describe_configs_req *q, int16_t e, struct sk_arena *a,
                                 struct kafka_describe_configs_resp *s)
{
    bool oom = false;
    s->n_results = q->n_resources;
    ERR_ARRAY(s->results, q->n_resources);
    for (int32_t i = 0; s->results && i < q->n_resources; i++) {
        s->results[i].error_code = e;
        s->results[i].error_message = KC_NULL_SLICE;
        s->results[i].resource_type = q->resources[i].resource_type;
        s->results[i].resource_name = q->resources[i].resource_name;
    }
    return !oom;
}

static bool err_alter_configs(const struct kafka_alter_configs_req *q, int16_t e, struct sk_arena *a,
                              struct kafka_alter_configs_resp *s)
{
    bool oom = false;
    s->n_responses = q->n_resources;
    ERR_ARRAY(s->responses, q->n_resources);
    for (int32_t i = 0; s->responses && i < q->n_resources; i++)
        s->responses[i] = (struct kafka_alter_configs_resource_resp){
            e, KC_NULL_SLICE, q->resources[i].resource_type, q->resources[i].resource_name};
    return !oom;
}

static bool err_create_partitions(const struct kafka_create_partitions_req *q, int16_t e, struct sk_arena *a,
                                  struct kafka_create_partitions_resp *s)
{
    bool oom = false;
    s->n_results = q->n_topics;
    ERR_ARRAY(s->results, q->n_topics);
    for (int32_t i = 0; s->results && i < q->n_topics; i++)
        s->results[i] = (struct kafka_create_partitions_topic_resp){q->topics[i].name, e, KC_NULL_SLICE};
    return !oom;
}

/* APIs whose error response has no arrays echoed from the request. */
static bool err_scalar(int16_t api_key, int16_t e, union kafka_any_resp *s)
{
    switch (api_key) {
    case KAFKA_API_FIND_COORDINATOR:
        s->find_coordinator = (struct kafka_find_coordinator_resp){0, e, KC_NULL_SLICE, -1, {NULL, 0}, -1};
        return true;
    case KAFKA_API_JOIN_GROUP:
        s->join_group.error_code = e;
        s->join_group.generation_id = -1;
        return true;
    case KAFKA_API_HEARTBEAT:
        s->heartbeat.error_code = e;
        return true;
    case KAFKA_API_SYNC_GROUP:
        s->sync_group.error_code = e;
        return true;
    case KAFKA_API_LIST_GROUPS:
        s->list_groups.error_code = e;
        return true;
    case KAFKA_API_SASL_HANDSHAKE:
        s->sasl_handshake.error_code = e;
        return true;
    case KAFKA_API_SASL_AUTHENTICATE:
        s->sasl_authenticate.error_code = e;
        s->sasl_authenticate.error_message = KC_NULL_SLICE;
        return true;
    case KAFKA_API_INIT_PRODUCER_ID:
        s->init_producer_id = (struct kafka_init_producer_id_resp){0, e, -1, -1};
        return true;
    case KAFKA_API_API_VERSIONS: {
        /* The table rides along so a client that asked too high a version
         * can pick a lower one (P1). */
        size_t n;
        s->api_versions.apis = kafka_api_table(&n);
        s->api_versions.n_apis = (int32_t)n;
        s->api_versions.error_code = e;
        return true;
    }
    default:
        return false;
    }
}

static int build_error_response(int16_t api_key, const union kafka_any_req *q, int16_t e, struct sk_arena *a,
                                union kafka_any_resp *s)
{
    bool ok;
    switch (api_key) {
    case KAFKA_API_PRODUCE:
        ok = err_produce(&q->produce, e, a, &s->produce);
        break;
    case KAFKA_API_FETCH:
        ok = err_fetch(&q->fetch, e, a, &s->fetch);
        break;
    case KAFKA_API_LIST_OFFSETS:
        ok = err_list_offsets(&q->list_offsets, e, a, &s->list_offsets);
        break;
    case KAFKA_API_METADATA:
        ok = err_metadata(&q->metadata, e, a, &s->metadata);
        break;
    case KAFKA_API_OFFSET_COMMIT:
        ok = err_offset_commit(&q->offset_commit, e, a, &s->offset_commit);
        break;
    case KAFKA_API_OFFSET_FETCH:
        ok = err_offset_fetch(&q->offset_fetch, e, a, &s->offset_fetch);
        break;
    case KAFKA_API_LEAVE_GROUP:
        ok = err_leave_group(&q->leave_group, e, a, &s->leave_group);
        break;
    case KAFKA_API_DESCRIBE_GROUPS:
        ok = err_describe_groups(&q->describe_groups, e, a, &s->describe_groups);
        break;
    case KAFKA_API_CREATE_TOPICS:
        ok = err_create_topics(&q->create_topics, e, a, &s->create_topics);
        break;
    case KAFKA_API_DELETE_TOPICS:
        ok = err_delete_topics(&q->delete_topics, e, a, &s->delete_topics);
        break;
    case KAFKA_API_DELETE_RECORDS:
        ok = err_delete_records(&q->delete_records, e, a, &s->delete_records);
        break;
    case KAFKA_API_DESCRIBE_CONFIGS:
        ok = err_describe_configs(&q->describe_configs, e, a, &s->describe_configs);
        break;
    case KAFKA_API_ALTER_CONFIGS:
        ok = err_alter_configs(&q->alter_configs, e, a, &s->alter_configs);
        break;
    case KAFKA_API_CREATE_PARTITIONS:
        ok = err_create_partitions(&q->create_partitions, e, a, &s->create_partitions);
        break;
    default:
        return err_scalar(api_key, e, s) ? 0 : SK_EINVAL;
    }
    return ok ? 0 : SK_ENOMEM;
}

int kafka_encode_error_response(struct sk_writer *w, int16_t api_key, int16_t version,
                                const union kafka_any_req *req, int16_t error, struct sk_arena *a)
{
    union kafka_any_resp resp;
    memset(&resp, 0, sizeof(resp));
    int rc = build_error_response(api_key, req, error, a, &resp);
    if (rc)
        return rc;
    return kafka_encode_response(w, api_key, version, &resp);
}
