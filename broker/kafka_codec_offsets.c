/* Committed offsets: OffsetCommit (8) and OffsetFetch (9). */
#include "broker/kafka_codec.h"

#include "common/sk_err.h"

/* ----------------------------------------------------------- OffsetCommit */

static size_t commit_partition_min(int16_t version)
{
    /* partition_index, committed_offset, [committed_leader_epoch v6+],
     * committed_metadata (commit_timestamp is v1 only) */
    return 4 + 8 + (version >= 6 ? 4 : 0) + KC_STR_MIN;
}

static void read_commit_topic(struct sk_reader *r, int16_t version, struct sk_arena *a,
                              struct kafka_offset_commit_topic *t)
{
    t->name = sk_read_str(r, false);
    t->n_partitions = sk_read_array_len(r, commit_partition_min(version), SK_PARTITIONS_PER_TOPIC_MAX, false);
    t->partitions = kc_alloc_array(r, a, t->n_partitions, sizeof(*t->partitions));
    for (int32_t i = 0; t->partitions && i < t->n_partitions && !r->err; i++) {
        struct kafka_offset_commit_partition *p = &t->partitions[i];
        p->partition_index = sk_read_i32(r);
        p->committed_offset = sk_read_i64(r);
        p->committed_leader_epoch = version >= 6 ? sk_read_i32(r) : -1;
        p->committed_metadata = sk_read_str(r, true);
    }
}

int kafka_decode_offset_commit_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                   struct kafka_offset_commit_req *out)
{
    int rc = kc_check_version(KAFKA_API_OFFSET_COMMIT, version);
    if (rc)
        return rc;
    out->group_id = sk_read_str(r, false);
    out->generation_id = sk_read_i32(r);
    out->member_id = sk_read_str(r, false);
    out->group_instance_id = version >= 7 ? sk_read_str(r, true) : KC_NULL_SLICE;
    out->retention_time_ms = version >= 2 && version <= 4 ? sk_read_i64(r) : -1;
    out->n_topics = sk_read_array_len(r, KC_STR_MIN + KC_ARRAY_MIN, SK_TOPICS_MAX, false);
    out->topics = kc_alloc_array(r, a, out->n_topics, sizeof(*out->topics));
    for (int32_t i = 0; out->topics && i < out->n_topics && !r->err; i++)
        read_commit_topic(r, version, a, &out->topics[i]);
    return r->err;
}

void kafka_encode_offset_commit_resp(struct sk_writer *w, int16_t version,
                                     const struct kafka_offset_commit_resp *resp)
{
    if (version >= 3)
        sk_write_i32(w, resp->throttle_time_ms);
    int32_t nt = KC_LEN(resp->topics, resp->n_topics);
    kc_put_count(w, nt);
    for (int32_t i = 0; i < nt; i++) {
        const struct kafka_offset_commit_topic_resp *t = &resp->topics[i];
        kc_put_str(w, t->name);
        int32_t np = KC_LEN(t->partitions, t->n_partitions);
        kc_put_count(w, np);
        for (int32_t j = 0; j < np; j++) {
            sk_write_i32(w, t->partitions[j].partition_index);
            sk_write_i16(w, t->partitions[j].error_code);
        }
    }
}

/* ------------------------------------------------------------ OffsetFetch */

int kafka_decode_offset_fetch_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                  struct kafka_offset_fetch_req *out)
{
    int rc = kc_check_version(KAFKA_API_OFFSET_FETCH, version);
    if (rc)
        return rc;
    out->group_id = sk_read_str(r, false);
    /* v2+: a null topic array asks for every committed offset of the group. */
    out->n_topics = sk_read_array_len(r, KC_STR_MIN + KC_ARRAY_MIN, SK_TOPICS_MAX, version >= 2);
    out->all_topics = out->n_topics < 0;
    out->topics = kc_alloc_array(r, a, out->n_topics, sizeof(*out->topics));
    for (int32_t i = 0; out->topics && i < out->n_topics && !r->err; i++) {
        struct kafka_offset_fetch_topic *t = &out->topics[i];
        t->name = sk_read_str(r, false);
        t->partition_indexes =
            kc_read_i32_array(r, a, SK_PARTITIONS_PER_TOPIC_MAX, false, &t->n_partition_indexes);
    }
    return r->err;
}

void kafka_encode_offset_fetch_resp(struct sk_writer *w, int16_t version,
                                    const struct kafka_offset_fetch_resp *resp)
{
    if (version >= 3)
        sk_write_i32(w, resp->throttle_time_ms);
    int32_t nt = KC_LEN(resp->topics, resp->n_topics);
    kc_put_count(w, nt);
    for (int32_t i = 0; i < nt; i++) {
        const struct kafka_offset_fetch_topic_resp *t = &resp->topics[i];
        kc_put_str(w, t->name);
        int32_t np = KC_LEN(t->partitions, t->n_partitions);
        kc_put_count(w, np);
        for (int32_t j = 0; j < np; j++) {
            const struct kafka_offset_fetch_partition_resp *p = &t->partitions[j];
            sk_write_i32(w, p->partition_index);
            sk_write_i64(w, p->committed_offset);
            if (version >= 5)
                sk_write_i32(w, p->committed_leader_epoch);
            kc_put_nstr(w, p->metadata);
            sk_write_i16(w, p->error_code);
        }
    }
    if (version >= 2)
        sk_write_i16(w, resp->error_code);
}
