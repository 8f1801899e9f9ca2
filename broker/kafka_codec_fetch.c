/* Fetch (1) and ListOffsets (2). */
#include "broker/kafka_codec.h"

#include <limits.h>

#include "common/sk_err.h"

/* ------------------------------------------------------------------ Fetch */

static size_t fetch_partition_min(int16_t version)
{
    /* partition, [current_leader_epoch], fetch_offset, [log_start_offset],
     * partition_max_bytes */
    return 4 + (version >= 9 ? 4 : 0) + 8 + (version >= 5 ? 8 : 0) + 4;
}

static void read_fetch_topic(struct sk_reader *r, int16_t version, struct sk_arena *a,
                             struct kafka_fetch_topic *t)
{
    t->topic = sk_read_str(r, false);
    t->n_partitions = sk_read_array_len(r, fetch_partition_min(version), SK_PARTITIONS_PER_TOPIC_MAX, false);
    t->partitions = kc_alloc_array(r, a, t->n_partitions, sizeof(*t->partitions));
    for (int32_t i = 0; t->partitions && i < t->n_partitions && !r->err; i++) {
        struct kafka_fetch_partition *p = &t->partitions[i];
        p->partition = sk_read_i32(r);
        p->current_leader_epoch = version >= 9 ? sk_read_i32(r) : -1;
        p->fetch_offset = sk_read_i64(r);
        p->log_start_offset = version >= 5 ? sk_read_i64(r) : -1;
        p->partition_max_bytes = sk_read_i32(r);
    }
}

static void read_fetch_forgotten(struct sk_reader *r, struct sk_arena *a, struct kafka_fetch_req *out)
{
    out->n_forgotten = sk_read_array_len(r, KC_STR_MIN + KC_ARRAY_MIN, SK_TOPICS_MAX, false);
    out->forgotten = kc_alloc_array(r, a, out->n_forgotten, sizeof(*out->forgotten));
    for (int32_t i = 0; out->forgotten && i < out->n_forgotten && !r->err; i++) {
        struct kafka_fetch_forgotten_topic *f = &out->forgotten[i];
        f->topic = sk_read_str(r, false);
        f->partitions = kc_read_i32_array(r, a, SK_PARTITIONS_PER_TOPIC_MAX, false, &f->n_partitions);
    }
}

int kafka_decode_fetch_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                           struct kafka_fetch_req *out)
{
    int rc = kc_check_version(KAFKA_API_FETCH, version);
    if (rc)
        return rc;
    out->replica_id = sk_read_i32(r);
    out->max_wait_ms = sk_read_i32(r);
    out->min_bytes = sk_read_i32(r);
    out->max_bytes = version >= 3 ? sk_read_i32(r) : INT32_MAX;
    out->isolation_level = version >= 4 ? sk_read_i8(r) : 0;
    out->session_id = version >= 7 ? sk_read_i32(r) : 0;
    out->session_epoch = version >= 7 ? sk_read_i32(r) : -1;
    out->n_topics = sk_read_array_len(r, KC_STR_MIN + KC_ARRAY_MIN, SK_TOPICS_MAX, false);
    out->topics = kc_alloc_array(r, a, out->n_topics, sizeof(*out->topics));
    for (int32_t i = 0; out->topics && i < out->n_topics && !r->err; i++)
        read_fetch_topic(r, version, a, &out->topics[i]);
    out->n_forgotten = 0;
    out->forgotten = NULL;
    if (version >= 7)
        read_fetch_forgotten(r, a, out);
    out->rack_id = version >= 11 ? sk_read_str(r, false) : (struct sk_slice){(const uint8_t *)"", 0};
    return r->err;
}

static void put_fetch_partition(struct sk_writer *w, int16_t version,
                                const struct kafka_fetch_partition_resp *p)
{
    sk_write_i32(w, p->partition_index);
    sk_write_i16(w, p->error_code);
    sk_write_i64(w, p->high_watermark);
    if (version >= 4)
        sk_write_i64(w, p->last_stable_offset);
    if (version >= 5)
        sk_write_i64(w, p->log_start_offset);
    if (version >= 4) {
        /* Nullable in the schema, but clients want an empty array (P6). */
        int32_t n = KC_LEN(p->aborted, p->n_aborted);
        kc_put_count(w, n);
        for (int32_t i = 0; i < n; i++) {
            sk_write_i64(w, p->aborted[i].producer_id);
            sk_write_i64(w, p->aborted[i].first_offset);
        }
    }
    /* Anything but -1 moves the client's fetching to that node (P6). */
    if (version >= 11)
        sk_write_i32(w, -1);
    if (p->records_len < 0)
        sk_write_bytes(w, NULL, -1);
    else if (p->records_len == 0 || !p->records)
        sk_write_bytes(w, "", 0);
    else
        sk_write_bytes(w, p->records, p->records_len);
}

void kafka_encode_fetch_resp(struct sk_writer *w, int16_t version, const struct kafka_fetch_resp *resp)
{
    if (version >= 1)
        sk_write_i32(w, resp->throttle_time_ms);
    if (version >= 7) {
        sk_write_i16(w, resp->error_code);
        sk_write_i32(w, resp->session_id);
    }
    int32_t nt = KC_LEN(resp->topics, resp->n_topics);
    kc_put_count(w, nt);
    for (int32_t i = 0; i < nt; i++) {
        const struct kafka_fetch_topic_resp *t = &resp->topics[i];
        kc_put_str(w, t->topic);
        int32_t np = KC_LEN(t->partitions, t->n_partitions);
        kc_put_count(w, np);
        for (int32_t j = 0; j < np; j++)
            put_fetch_partition(w, version, &t->partitions[j]);
    }
}

/* ------------------------------------------------------------ ListOffsets */

/* partition_index int32 + timestamp int64 (max_num_offsets is v0 only). */
#define LIST_OFFSETS_PARTITION_MIN (4 + 8)

int kafka_decode_list_offsets_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                  struct kafka_list_offsets_req *out)
{
    int rc = kc_check_version(KAFKA_API_LIST_OFFSETS, version);
    if (rc)
        return rc;
    out->replica_id = sk_read_i32(r);
    out->isolation_level = version >= 2 ? sk_read_i8(r) : 0;
    out->n_topics = sk_read_array_len(r, KC_STR_MIN + KC_ARRAY_MIN, SK_TOPICS_MAX, false);
    out->topics = kc_alloc_array(r, a, out->n_topics, sizeof(*out->topics));
    for (int32_t i = 0; out->topics && i < out->n_topics && !r->err; i++) {
        struct kafka_list_offsets_topic *t = &out->topics[i];
        t->name = sk_read_str(r, false);
        t->n_partitions =
            sk_read_array_len(r, LIST_OFFSETS_PARTITION_MIN, SK_PARTITIONS_PER_TOPIC_MAX, false);
        t->partitions = kc_alloc_array(r, a, t->n_partitions, sizeof(*t->partitions));
        for (int32_t j = 0; t->partitions && j < t->n_partitions && !r->err; j++) {
            t->partitions[j].partition_index = sk_read_i32(r);
            t->partitions[j].timestamp = sk_read_i64(r);
        }
    }
    return r->err;
}

void kafka_encode_list_offsets_resp(struct sk_writer *w, int16_t version,
                                    const struct kafka_list_offsets_resp *resp)
{
    if (version >= 2)
        sk_write_i32(w, resp->throttle_time_ms);
    int32_t nt = KC_LEN(resp->topics, resp->n_topics);
    kc_put_count(w, nt);
    for (int32_t i = 0; i < nt; i++) {
        const struct kafka_list_offsets_topic_resp *t = &resp->topics[i];
        kc_put_str(w, t->name);
        int32_t np = KC_LEN(t->partitions, t->n_partitions);
        kc_put_count(w, np);
        for (int32_t j = 0; j < np; j++) {
            const struct kafka_list_offsets_partition_resp *p = &t->partitions[j];
            sk_write_i32(w, p->partition_index);
            sk_write_i16(w, p->error_code);
            /* v0's old_style_offsets array is outside the parse range. */
            if (version >= 1) {
                sk_write_i64(w, p->timestamp);
                sk_write_i64(w, p->offset);
            }
        }
    }
}
