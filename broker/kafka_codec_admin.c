/* Admin APIs: CreateTopics (19), DeleteTopics (20), DeleteRecords (21),
 * InitProducerId (22), DescribeConfigs (32), AlterConfigs (33) and
 * CreatePartitions (37). */
#include "broker/kafka_codec.h"

#include "common/sk_err.h"

/* A (name, nullable value) config entry is at least two string lengths. */
#define CONFIG_ENTRY_MIN (2 * KC_STR_MIN)

static struct kafka_config_entry *read_config_entries(struct sk_reader *r, struct sk_arena *a, int32_t *n_out)
{
    int32_t n = sk_read_array_len(r, CONFIG_ENTRY_MIN, SK_WIRE_ARRAY_MAX, false);
    struct kafka_config_entry *v = kc_alloc_array(r, a, n, sizeof(*v));
    for (int32_t i = 0; v && i < n && !r->err; i++) {
        v[i].name = sk_read_str(r, false);
        v[i].value = sk_read_str(r, true);
    }
    *n_out = r->err ? 0 : n;
    return r->err ? NULL : v;
}

/* ----------------------------------------------------------- CreateTopics */

static void read_create_topic(struct sk_reader *r, struct sk_arena *a, struct kafka_create_topics_topic *t)
{
    t->name = sk_read_str(r, false);
    t->num_partitions = sk_read_i32(r);
    t->replication_factor = sk_read_i16(r);
    /* partition_index + broker id count */
    t->n_assignments = sk_read_array_len(r, 4 + KC_ARRAY_MIN, SK_PARTITIONS_PER_TOPIC_MAX, false);
    t->assignments = kc_alloc_array(r, a, t->n_assignments, sizeof(*t->assignments));
    for (int32_t i = 0; t->assignments && i < t->n_assignments && !r->err; i++) {
        struct kafka_create_topics_assignment *as = &t->assignments[i];
        as->partition_index = sk_read_i32(r);
        as->broker_ids = kc_read_i32_array(r, a, SK_WIRE_REPLICAS_MAX, false, &as->n_broker_ids);
    }
    t->configs = read_config_entries(r, a, &t->n_configs);
}

int kafka_decode_create_topics_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                   struct kafka_create_topics_req *out)
{
    int rc = kc_check_version(KAFKA_API_CREATE_TOPICS, version);
    if (rc)
        return rc;
    /* name, num_partitions, replication_factor, assignments, configs */
    out->n_topics = sk_read_array_len(r, KC_STR_MIN + 4 + 2 + 2 * KC_ARRAY_MIN, SK_TOPICS_MAX, false);
    out->topics = kc_alloc_array(r, a, out->n_topics, sizeof(*out->topics));
    for (int32_t i = 0; out->topics && i < out->n_topics && !r->err; i++)
        read_create_topic(r, a, &out->topics[i]);
    out->timeout_ms = sk_read_i32(r);
    out->validate_only = version >= 1 ? sk_read_bool(r) : false;
    return r->err;
}

void kafka_encode_create_topics_resp(struct sk_writer *w, int16_t version,
                                     const struct kafka_create_topics_resp *resp)
{
    if (version >= 2)
        sk_write_i32(w, resp->throttle_time_ms);
    int32_t n = KC_LEN(resp->topics, resp->n_topics);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++) {
        kc_put_str(w, resp->topics[i].name);
        sk_write_i16(w, resp->topics[i].error_code);
        if (version >= 1)
            kc_put_nstr(w, resp->topics[i].error_message);
    }
}

/* ----------------------------------------------------------- DeleteTopics */

int kafka_decode_delete_topics_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                   struct kafka_delete_topics_req *out)
{
    int rc = kc_check_version(KAFKA_API_DELETE_TOPICS, version);
    if (rc)
        return rc;
    out->topic_names = kc_read_str_array(r, a, SK_TOPICS_MAX, false, &out->n_topic_names);
    out->timeout_ms = sk_read_i32(r);
    return r->err;
}

void kafka_encode_delete_topics_resp(struct sk_writer *w, int16_t version,
                                     const struct kafka_delete_topics_resp *resp)
{
    if (version >= 1)
        sk_write_i32(w, resp->throttle_time_ms);
    int32_t n = KC_LEN(resp->responses, resp->n_responses);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++) {
        kc_put_str(w, resp->responses[i].name);
        sk_write_i16(w, resp->responses[i].error_code);
    }
}

/* ---------------------------------------------------------- DeleteRecords */

int kafka_decode_delete_records_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                    struct kafka_delete_records_req *out)
{
    int rc = kc_check_version(KAFKA_API_DELETE_RECORDS, version);
    if (rc)
        return rc;
    out->n_topics = sk_read_array_len(r, KC_STR_MIN + KC_ARRAY_MIN, SK_TOPICS_MAX, false);
    out->topics = kc_alloc_array(r, a, out->n_topics, sizeof(*out->topics));
    for (int32_t i = 0; out->topics && i < out->n_topics && !r->err; i++) {
        struct kafka_delete_records_topic *t = &out->topics[i];
        t->name = sk_read_str(r, false);
        t->n_partitions = sk_read_array_len(r, 4 + 8, SK_PARTITIONS_PER_TOPIC_MAX, false);
        t->partitions = kc_alloc_array(r, a, t->n_partitions, sizeof(*t->partitions));
        for (int32_t j = 0; t->partitions && j < t->n_partitions && !r->err; j++) {
            t->partitions[j].partition_index = sk_read_i32(r);
            t->partitions[j].offset = sk_read_i64(r);
        }
    }
    out->timeout_ms = sk_read_i32(r);
    return r->err;
}

void kafka_encode_delete_records_resp(struct sk_writer *w, int16_t version,
                                      const struct kafka_delete_records_resp *resp)
{
    sk_write_i32(w, resp->throttle_time_ms);
    int32_t nt = KC_LEN(resp->topics, resp->n_topics);
    kc_put_count(w, nt);
    for (int32_t i = 0; i < nt; i++) {
        const struct kafka_delete_records_topic_resp *t = &resp->topics[i];
        kc_put_str(w, t->name);
        int32_t np = KC_LEN(t->partitions, t->n_partitions);
        kc_put_count(w, np);
        for (int32_t j = 0; j < np; j++) {
            sk_write_i32(w, t->partitions[j].partition_index);
            sk_write_i64(w, t->partitions[j].low_watermark);
            sk_write_i16(w, t->partitions[j].error_code);
        }
    }
}

/* --------------------------------------------------------- InitProducerId */

int kafka_decode_init_producer_id_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                      struct kafka_init_producer_id_req *out)
{
    (void)a;
    int rc = kc_check_version(KAFKA_API_INIT_PRODUCER_ID, version);
    if (rc)
        return rc;
    out->transactional_id = sk_read_str(r, true);
    out->transaction_timeout_ms = sk_read_i32(r);
    return r->err;
}

void kafka_encode_init_producer_id_resp(struct sk_writer *w, int16_t version,
                                        const struct kafka_init_producer_id_resp *resp)
{
    sk_write_i32(w, resp->throttle_time_ms);
    sk_write_i16(w, resp->error_code);
    sk_write_i64(w, resp->producer_id);
    sk_write_i16(w, resp->producer_epoch);
}

/* -------------------------------------------------------- DescribeConfigs */

int kafka_decode_describe_configs_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                      struct kafka_describe_configs_req *out)
{
    int rc = kc_check_version(KAFKA_API_DESCRIBE_CONFIGS, version);
    if (rc)
        return rc;
    /* resource_type int8, resource_name, configuration_keys */
    out->n_resources = sk_read_array_len(r, 1 + KC_STR_MIN + KC_ARRAY_MIN, SK_WIRE_ARRAY_MAX, false);
    out->resources = kc_alloc_array(r, a, out->n_resources, sizeof(*out->resources));
    for (int32_t i = 0; out->resources && i < out->n_resources && !r->err; i++) {
        struct kafka_describe_configs_resource *res = &out->resources[i];
        res->resource_type = sk_read_i8(r);
        res->resource_name = sk_read_str(r, false);
        /* null = every config of the resource */
        res->configuration_keys =
            kc_read_str_array(r, a, SK_WIRE_ARRAY_MAX, true, &res->n_configuration_keys);
    }
    out->include_synonyms = version >= 1 ? sk_read_bool(r) : false;
    return r->err;
}

static void put_config_entry(struct sk_writer *w, int16_t version,
                             const struct kafka_describe_configs_entry *c)
{
    kc_put_str(w, c->name);
    kc_put_nstr(w, c->value);
    sk_write_bool(w, c->read_only);
    if (version == 0)
        sk_write_bool(w, c->is_default);
    else
        sk_write_i8(w, c->config_source);
    sk_write_bool(w, c->is_sensitive);
    if (version >= 1) {
        int32_t n = KC_LEN(c->synonyms, c->n_synonyms);
        kc_put_count(w, n);
        for (int32_t i = 0; i < n; i++) {
            kc_put_str(w, c->synonyms[i].name);
            kc_put_nstr(w, c->synonyms[i].value);
            sk_write_i8(w, c->synonyms[i].source);
        }
    }
}

void kafka_encode_describe_configs_resp(struct sk_writer *w, int16_t version,
                                        const struct kafka_describe_configs_resp *resp)
{
    sk_write_i32(w, resp->throttle_time_ms);
    int32_t n = KC_LEN(resp->results, resp->n_results);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++) {
        const struct kafka_describe_configs_result *res = &resp->results[i];
        sk_write_i16(w, res->error_code);
        kc_put_nstr(w, res->error_message);
        sk_write_i8(w, res->resource_type);
        kc_put_str(w, res->resource_name);
        int32_t nc = KC_LEN(res->configs, res->n_configs);
        kc_put_count(w, nc);
        for (int32_t j = 0; j < nc; j++)
            put_config_entry(w, version, &res->configs[j]);
    }
}

/* ----------------------------------------------------------- AlterConfigs */

int kafka_decode_alter_configs_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                   struct kafka_alter_configs_req *out)
{
    int rc = kc_check_version(KAFKA_API_ALTER_CONFIGS, version);
    if (rc)
        return rc;
    out->n_resources = sk_read_array_len(r, 1 + KC_STR_MIN + KC_ARRAY_MIN, SK_WIRE_ARRAY_MAX, false);
    out->resources = kc_alloc_array(r, a, out->n_resources, sizeof(*out->resources));
    for (int32_t i = 0; out->resources && i < out->n_resources && !r->err; i++) {
        struct kafka_alter_configs_resource *res = &out->resources[i];
        res->resource_type = sk_read_i8(r);
        res->resource_name = sk_read_str(r, false);
        res->configs = read_config_entries(r, a, &res->n_configs);
    }
    out->validate_only = sk_read_bool(r);
    return r->err;
}

void kafka_encode_alter_configs_resp(struct sk_writer *w, int16_t version,
                                     const struct kafka_alter_configs_resp *resp)
{
    sk_write_i32(w, resp->throttle_time_ms);
    int32_t n = KC_LEN(resp->responses, resp->n_responses);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++) {
        sk_write_i16(w, resp->responses[i].error_code);
        kc_put_nstr(w, resp->responses[i].error_message);
        sk_write_i8(w, resp->responses[i].resource_type);
        kc_put_str(w, resp->responses[i].resource_name);
    }
}

/* ------------------------------------------------------- CreatePartitions */

static void read_create_partitions_topic(struct sk_reader *r, struct sk_arena *a,
                                         struct kafka_create_partitions_topic *t)
{
    t->name = sk_read_str(r, false);
    t->count = sk_read_i32(r);
    /* null = let the controller place the new partitions */
    t->n_assignments = sk_read_array_len(r, KC_ARRAY_MIN, SK_PARTITIONS_PER_TOPIC_MAX, true);
    t->assignments = kc_alloc_array(r, a, t->n_assignments, sizeof(*t->assignments));
    for (int32_t i = 0; t->assignments && i < t->n_assignments && !r->err; i++) {
        struct kafka_create_partitions_assignment *as = &t->assignments[i];
        as->broker_ids = kc_read_i32_array(r, a, SK_WIRE_REPLICAS_MAX, false, &as->n_broker_ids);
    }
}

int kafka_decode_create_partitions_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                       struct kafka_create_partitions_req *out)
{
    int rc = kc_check_version(KAFKA_API_CREATE_PARTITIONS, version);
    if (rc)
        return rc;
    /* name, count, assignments */
    out->n_topics = sk_read_array_len(r, KC_STR_MIN + 4 + KC_ARRAY_MIN, SK_TOPICS_MAX, false);
    out->topics = kc_alloc_array(r, a, out->n_topics, sizeof(*out->topics));
    for (int32_t i = 0; out->topics && i < out->n_topics && !r->err; i++)
        read_create_partitions_topic(r, a, &out->topics[i]);
    out->timeout_ms = sk_read_i32(r);
    out->validate_only = sk_read_bool(r);
    return r->err;
}

void kafka_encode_create_partitions_resp(struct sk_writer *w, int16_t version,
                                         const struct kafka_create_partitions_resp *resp)
{
    sk_write_i32(w, resp->throttle_time_ms);
    int32_t n = KC_LEN(resp->results, resp->n_results);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++) {
        kc_put_str(w, resp->results[i].name);
        sk_write_i16(w, resp->results[i].error_code);
        kc_put_nstr(w, resp->results[i].error_message);
    }
}
