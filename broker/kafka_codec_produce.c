/* Produce (0). */
#include "broker/kafka_codec.h"

#include "common/sk_err.h"

/* Wire minimum of one partition entry: index int32 + records length int32. */
#define PRODUCE_PARTITION_MIN (4 + KC_BYTES_MIN)
/* Wire minimum of one topic entry: name + partition count. */
#define PRODUCE_TOPIC_MIN (KC_STR_MIN + KC_ARRAY_MIN)

static void read_produce_topic(struct sk_reader *r, struct sk_arena *a, struct kafka_produce_topic *t)
{
    t->name = sk_read_str(r, false);
    t->n_partitions = sk_read_array_len(r, PRODUCE_PARTITION_MIN, SK_PARTITIONS_PER_TOPIC_MAX, false);
    t->partitions = kc_alloc_array(r, a, t->n_partitions, sizeof(*t->partitions));
    for (int32_t i = 0; t->partitions && i < t->n_partitions && !r->err; i++) {
        t->partitions[i].index = sk_read_i32(r);
        /* Records stay borrowed from the frame; the handler validates them
         * (batch_validate) because that needs broker policy (size limits). */
        t->partitions[i].records = sk_read_bytes(r, true);
    }
}

int kafka_decode_produce_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                             struct kafka_produce_req *out)
{
    int rc = kc_check_version(KAFKA_API_PRODUCE, version);
    if (rc)
        return rc;
    out->transactional_id = version >= 3 ? sk_read_str(r, true) : KC_NULL_SLICE;
    out->acks = sk_read_i16(r);
    out->timeout_ms = sk_read_i32(r);
    out->n_topics = sk_read_array_len(r, PRODUCE_TOPIC_MIN, SK_TOPICS_MAX, false);
    out->topics = kc_alloc_array(r, a, out->n_topics, sizeof(*out->topics));
    for (int32_t i = 0; out->topics && i < out->n_topics && !r->err; i++)
        read_produce_topic(r, a, &out->topics[i]);
    return r->err;
}

void kafka_encode_produce_resp(struct sk_writer *w, int16_t version, const struct kafka_produce_resp *resp)
{
    int32_t nt = KC_LEN(resp->topics, resp->n_topics);
    kc_put_count(w, nt);
    for (int32_t i = 0; i < nt; i++) {
        const struct kafka_produce_topic_resp *t = &resp->topics[i];
        kc_put_str(w, t->name);
        int32_t np = KC_LEN(t->partitions, t->n_partitions);
        kc_put_count(w, np);
        for (int32_t j = 0; j < np; j++) {
            const struct kafka_produce_partition_resp *p = &t->partitions[j];
            sk_write_i32(w, p->index);
            sk_write_i16(w, p->error_code);
            sk_write_i64(w, p->base_offset);
            if (version >= 2)
                sk_write_i64(w, p->log_append_time_ms);
            if (version >= 5)
                sk_write_i64(w, p->log_start_offset);
        }
    }
    /* Produce is the one API whose throttle time comes last. */
    if (version >= 1)
        sk_write_i32(w, resp->throttle_time_ms);
}
