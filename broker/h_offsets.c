/* ListOffsets: earliest (-2), latest (-1) and by timestamp.  Offsets at or
 * above the high watermark are not visible to clients yet. */
#include "broker.h"
#include "common/sk_err.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"
#include "log.h"
#include "topics.h"

#define LIST_OFFSETS_LATEST (-1)
#define LIST_OFFSETS_EARLIEST (-2)

static void list_partition(struct broker *b, struct sk_slice topic, const struct kafka_list_offsets_partition *in,
                           struct kafka_list_offsets_partition_resp *out)
{
    const char *name = topic.ptr ? (const char *)topic.ptr : "";
    int16_t err;
    struct partition *p =
        topics_leader(b->topics, name, topic.len > 0 ? (size_t)topic.len : 0, in->partition_index, &err);
    out->partition_index = in->partition_index;
    out->timestamp = -1;
    out->offset = -1;
    if (!p) {
        out->error_code = err;
        return;
    }
    if (in->timestamp == LIST_OFFSETS_LATEST) {
        out->offset = p->high_watermark;
    } else if (in->timestamp == LIST_OFFSETS_EARLIEST) {
        out->offset = plog_start_offset(p->log);
    } else {
        int64_t off, ts;
        int rc = plog_offset_for_timestamp(p->log, in->timestamp, &off, &ts);
        if (rc == 0 && off < p->high_watermark) {
            out->offset = off;
            out->timestamp = ts;
        } else if (rc != 0 && rc != SK_ENOENT) {
            out->error_code = KAFKA_KAFKA_STORAGE_ERROR;
        }
    }
}

int h_list_offsets(struct broker *b, struct kreq *r)
{
    const struct kafka_list_offsets_req *req = &r->req.list_offsets;
    struct kafka_list_offsets_resp resp = {0};
    resp.topics = sk_arena_calloc(&r->arena, (size_t)(req->n_topics ? req->n_topics : 1), sizeof(*resp.topics));
    if (!resp.topics)
        return SK_ENOMEM;
    resp.n_topics = req->n_topics;
    for (int32_t t = 0; t < req->n_topics; t++) {
        const struct kafka_list_offsets_topic *ti = &req->topics[t];
        struct kafka_list_offsets_topic_resp *to = &resp.topics[t];
        to->name = ti->name;
        to->n_partitions = ti->n_partitions;
        to->partitions = sk_arena_calloc(&r->arena, (size_t)(ti->n_partitions ? ti->n_partitions : 1),
                                         sizeof(*to->partitions));
        if (!to->partitions)
            return SK_ENOMEM;
        for (int32_t i = 0; i < ti->n_partitions; i++)
            list_partition(b, ti->name, &ti->partitions[i], &to->partitions[i]);
    }
    kafka_encode_list_offsets_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}
