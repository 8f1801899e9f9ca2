/* ApiVersions (18) and Metadata (3). */
#include "broker/kafka_codec.h"

#include "common/sk_err.h"

/* ------------------------------------------------------------ ApiVersions */

int kafka_decode_api_versions_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                  struct kafka_api_versions_req *out)
{
    (void)a;
    out->body_unparsed = false;
    if (version < 0)
        return SK_EINVAL;
    /* v0-2 bodies are empty.  v3+ bodies are flexible (compact strings and
     * tagged fields) and are deliberately not parsed: the answer is the
     * v0-shaped UNSUPPORTED_VERSION reply whatever they hold (P1). */
    if (version >= 3)
        out->body_unparsed = true;
    return r->err;
}

void kafka_encode_api_versions_resp(struct sk_writer *w, int16_t version,
                                    const struct kafka_api_versions_resp *resp)
{
    int32_t n = KC_LEN(resp->apis, resp->n_apis);
    sk_write_i16(w, resp->error_code);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++) {
        sk_write_i16(w, resp->apis[i].api_key);
        sk_write_i16(w, resp->apis[i].adv_min);
        sk_write_i16(w, resp->apis[i].adv_max);
    }
    /* v3+ requests get the v0 shape (Kafka serialises an unsupported
     * ApiVersions reply as v0, KIP-511), so only v1 and v2 add the throttle. */
    if (version >= 1 && version <= 2)
        sk_write_i32(w, resp->throttle_time_ms);
}

/* --------------------------------------------------------------- Metadata */

int kafka_decode_metadata_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                              struct kafka_metadata_req *out)
{
    int rc = kc_check_version(KAFKA_API_METADATA, version);
    if (rc)
        return rc;
    out->topics = kc_read_str_array(r, a, SK_TOPICS_MAX, version >= 1, &out->n_topics);
    /* P4: v0 asks for every topic with an empty array; v1+ with null (an
     * empty array there means "brokers only"). */
    out->all_topics = version == 0 ? out->n_topics == 0 : out->n_topics < 0;
    out->allow_auto_topic_creation = version >= 4 ? sk_read_bool(r) : true;
    return r->err;
}

static void put_metadata_broker(struct sk_writer *w, int16_t version, const struct kafka_metadata_broker *b)
{
    sk_write_i32(w, b->node_id);
    kc_put_str(w, b->host);
    sk_write_i32(w, b->port);
    if (version >= 1)
        kc_put_nstr(w, b->rack);
}

static void put_metadata_partition(struct sk_writer *w, int16_t version,
                                   const struct kafka_metadata_partition *p)
{
    sk_write_i16(w, p->error_code);
    sk_write_i32(w, p->partition_index);
    sk_write_i32(w, p->leader_id);
    kc_put_i32_array(w, p->replica_nodes, p->n_replica_nodes);
    kc_put_i32_array(w, p->isr_nodes, p->n_isr_nodes);
    if (version >= 5)
        kc_put_i32_array(w, p->offline_replicas, p->n_offline_replicas);
}

static void put_metadata_topic(struct sk_writer *w, int16_t version, const struct kafka_metadata_topic *t)
{
    sk_write_i16(w, t->error_code);
    kc_put_str(w, t->name);
    if (version >= 1)
        sk_write_bool(w, t->is_internal);
    int32_t n = KC_LEN(t->partitions, t->n_partitions);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++)
        put_metadata_partition(w, version, &t->partitions[i]);
}

void kafka_encode_metadata_resp(struct sk_writer *w, int16_t version, const struct kafka_metadata_resp *resp)
{
    if (version >= 3)
        sk_write_i32(w, resp->throttle_time_ms);
    int32_t n = KC_LEN(resp->brokers, resp->n_brokers);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++)
        put_metadata_broker(w, version, &resp->brokers[i]);
    if (version >= 2)
        kc_put_nstr(w, resp->cluster_id);
    if (version >= 1)
        sk_write_i32(w, resp->controller_id);
    n = KC_LEN(resp->topics, resp->n_topics);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++)
        put_metadata_topic(w, version, &resp->topics[i]);
}
