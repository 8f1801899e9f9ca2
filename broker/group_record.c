/* __consumer_offsets record formats and batches; see group_record.h. */
#include "group_record.h"

#include <string.h>

#include "batch.h"
#include "common/crc32c.h"
#include "common/limits.h"
#include "common/sk_err.h"

#define KEY_OFFSET_V0 0
#define KEY_OFFSET_V1 1
#define KEY_GROUP_V2 2
#define VALUE_OFFSET_V3 3
#define VALUE_GROUP_V3 3
/* Far above Kafka's key versions (0-2), so no reader mistakes it. */
#define KEY_BARRIER 0x5342

static struct sk_slice cslice(const char *s)
{
    struct sk_slice v = {(const uint8_t *)s, s ? (int32_t)strlen(s) : -1};
    return v;
}

void grec_offset_key(struct sk_writer *w, const char *group, struct sk_slice topic, int32_t partition)
{
    sk_write_i16(w, KEY_OFFSET_V1);
    sk_write_cstr(w, group);
    sk_write_slice_str(w, topic);
    sk_write_i32(w, partition);
}

void grec_offset_value(struct sk_writer *w, int64_t offset, int32_t leader_epoch, struct sk_slice metadata,
                       int64_t commit_ms)
{
    sk_write_i16(w, VALUE_OFFSET_V3);
    sk_write_i64(w, offset);
    sk_write_i32(w, leader_epoch);
    /* The value's metadata field is not nullable: null is stored as "". */
    sk_write_slice_str(w, metadata.ptr ? metadata : cslice(""));
    sk_write_i64(w, commit_ms);
}

void grec_group_key(struct sk_writer *w, const char *group)
{
    sk_write_i16(w, KEY_GROUP_V2);
    sk_write_cstr(w, group);
}

void grec_barrier_key(struct sk_writer *w, const char *group)
{
    sk_write_i16(w, KEY_BARRIER);
    sk_write_cstr(w, group);
}

void grec_group_value(struct sk_writer *w, const struct group *g)
{
    sk_write_i16(w, VALUE_GROUP_V3);
    sk_write_cstr(w, g->protocol_type ? g->protocol_type : "");
    sk_write_i32(w, g->generation);
    sk_write_cstr(w, g->protocol_name);
    sk_write_cstr(w, g->leader_id);
    sk_write_i64(w, g->state_since_ms);
    sk_write_i32(w, g->n_members);
    for (int32_t i = 0; i < g->n_members; i++) {
        const struct group_member *m = g->members[i];
        sk_write_cstr(w, m->member_id);
        sk_write_cstr(w, m->instance_id);
        sk_write_cstr(w, m->client_id);
        sk_write_cstr(w, m->client_host);
        sk_write_i32(w, m->rebalance_timeout_ms);
        sk_write_i32(w, m->session_timeout_ms);
        struct sk_slice sub = group_member_metadata(m, g->protocol_name);
        sk_write_bytes(w, sub.ptr, sub.len);
        sk_write_bytes(w, m->assignment, m->assignment_len);
    }
}

/* ------------------------------------------------------------ decode */

static int decode_offset_value(struct sk_reader *r, int16_t version, struct grec *out)
{
    out->leader_epoch = -1;
    out->offset = sk_read_i64(r);
    if (version >= 3)
        out->leader_epoch = sk_read_i32(r);
    out->metadata = sk_read_str(r, false);
    out->commit_ms = sk_read_i64(r);
    if (version == 1)
        sk_read_i64(r); /* expire timestamp: superseded by offsets.retention */
    return r->err;
}

static int decode_member(struct sk_reader *r, int16_t version, struct group_loaded_member *m)
{
    m->member_id = sk_read_str(r, false);
    m->instance_id = (struct sk_slice){NULL, -1};
    if (version >= 3)
        m->instance_id = sk_read_str(r, true);
    m->client_id = sk_read_str(r, false);
    m->client_host = sk_read_str(r, false);
    m->session_timeout_ms = 0;
    m->rebalance_timeout_ms = sk_read_i32(r);
    if (version >= 1)
        m->session_timeout_ms = sk_read_i32(r);
    else
        m->session_timeout_ms = m->rebalance_timeout_ms;
    m->subscription = sk_read_bytes(r, false);
    m->assignment = sk_read_bytes(r, false);
    if (!r->err && (m->member_id.len <= 0 || m->member_id.len > SK_GROUP_ID_BYTES_MAX ||
                    m->session_timeout_ms <= 0 || m->rebalance_timeout_ms < 0))
        return SK_ECORRUPT;
    return r->err;
}

static int decode_group_value(struct sk_reader *r, int16_t version, struct sk_arena *a, struct grec *out)
{
    out->protocol_type = sk_read_str(r, false);
    out->generation = sk_read_i32(r);
    out->protocol_name = sk_read_str(r, true);
    out->leader_id = sk_read_str(r, true);
    out->state_ms = -1;
    if (version >= 2)
        out->state_ms = sk_read_i64(r);
    /* Smallest member: five empty strings, two int32s, two empty bytes. */
    int32_t n = sk_read_array_len(r, 5 * 2 + 2 * 4 + 2 * 4, SK_GROUP_MEMBERS_MAX, false);
    if (r->err)
        return r->err;
    out->members = n ? sk_arena_calloc(a, (size_t)n, sizeof(*out->members)) : NULL;
    if (n && !out->members)
        return SK_ENOMEM;
    out->n_members = n;
    for (int32_t i = 0; i < n; i++) {
        int rc = decode_member(r, version, &out->members[i]);
        if (rc)
            return rc;
    }
    return r->err;
}

int grec_decode(struct sk_slice key, struct sk_slice value, struct sk_arena *a, struct grec *out)
{
    memset(out, 0, sizeof(*out));
    if (!key.ptr || key.len < 2)
        return SK_ECORRUPT;
    struct sk_reader r;
    sk_reader_init(&r, key.ptr, (size_t)key.len);
    int16_t kv = sk_read_i16(&r);
    out->group = sk_read_str(&r, false);
    if (kv == KEY_OFFSET_V0 || kv == KEY_OFFSET_V1) {
        out->kind = GREC_OFFSET;
        out->topic = sk_read_str(&r, false);
        out->partition = sk_read_i32(&r);
    } else if (kv == KEY_GROUP_V2) {
        out->kind = GREC_GROUP;
    } else if (kv == KEY_BARRIER) {
        out->kind = GREC_BARRIER;
        return r.err ? r.err : 0;
    } else {
        return SK_ENOENT;
    }
    if (r.err)
        return r.err;
    if (out->group.len <= 0 || out->group.len > SK_GROUP_ID_BYTES_MAX)
        return SK_ECORRUPT;
    out->tombstone = value.ptr == NULL;
    if (out->tombstone)
        return 0;
    sk_reader_init(&r, value.ptr, (size_t)value.len);
    int16_t vv = sk_read_i16(&r);
    if (r.err || vv < 0 || vv > 3)
        return r.err ? r.err : SK_ECORRUPT;
    int rc = out->kind == GREC_OFFSET ? decode_offset_value(&r, vv, out) : decode_group_value(&r, vv, a, out);
    if (!rc && out->kind == GREC_OFFSET && out->metadata.len > SK_OFFSET_METADATA_BYTES_MAX)
        rc = SK_ECORRUPT;
    return rc;
}

/* ------------------------------------------------------------ batches */

void grec_batch_init(struct grec_batch *b, int64_t now_ms)
{
    sk_writer_init(&b->w);
    b->count = 0;
    b->timestamp_ms = now_ms;
    uint8_t zero[BATCH_HEADER_BYTES] = {0};
    sk_write_raw(&b->w, zero, sizeof(zero)); /* patched by grec_batch_finish */
}

void grec_batch_add(struct grec_batch *b, struct sk_slice key, struct sk_slice value)
{
    struct sk_writer rec;
    sk_writer_init(&rec);
    sk_write_i8(&rec, 0);            /* attributes */
    sk_write_varlong(&rec, 0);       /* timestamp delta */
    sk_write_varint(&rec, b->count); /* offset delta */
    sk_write_varint(&rec, key.len);
    sk_write_raw(&rec, key.ptr, (size_t)key.len);
    if (value.ptr) {
        sk_write_varint(&rec, value.len);
        sk_write_raw(&rec, value.ptr, (size_t)value.len);
    } else {
        sk_write_varint(&rec, -1);
    }
    sk_write_varint(&rec, 0); /* headers */
    if (rec.err && !b->w.err)
        b->w.err = rec.err;
    sk_write_varint(&b->w, (int32_t)rec.len);
    sk_write_raw(&b->w, rec.p, rec.len);
    sk_writer_free(&rec);
    b->count++;
}

int grec_batch_finish(struct grec_batch *b)
{
    if (b->w.err)
        return b->w.err;
    if (b->count == 0)
        return SK_EINVAL;
    uint8_t *p = b->w.p;
    sk_put_be64(p + BATCH_OFF_BASE_OFFSET, 0);
    sk_put_be32(p + BATCH_OFF_LENGTH, (uint32_t)(b->w.len - BATCH_LOG_OVERHEAD));
    sk_put_be32(p + BATCH_OFF_LEADER_EPOCH, (uint32_t)-1);
    p[BATCH_OFF_MAGIC] = 2;
    sk_put_be16(p + BATCH_OFF_ATTRIBUTES, 0);
    sk_put_be32(p + BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)(b->count - 1));
    sk_put_be64(p + BATCH_OFF_BASE_TIMESTAMP, (uint64_t)b->timestamp_ms);
    sk_put_be64(p + BATCH_OFF_MAX_TIMESTAMP, (uint64_t)b->timestamp_ms);
    sk_put_be64(p + BATCH_OFF_PRODUCER_ID, (uint64_t)-1);
    sk_put_be16(p + BATCH_OFF_PRODUCER_ID + 8, (uint16_t)-1);  /* producer epoch */
    sk_put_be32(p + BATCH_OFF_PRODUCER_ID + 10, (uint32_t)-1); /* base sequence */
    sk_put_be32(p + BATCH_OFF_RECORDS_COUNT, (uint32_t)b->count);
    sk_put_be32(p + BATCH_OFF_CRC, sk_crc32c(0, p + BATCH_OFF_ATTRIBUTES, b->w.len - BATCH_OFF_ATTRIBUTES));
    return 0;
}

void grec_batch_free(struct grec_batch *b)
{
    sk_writer_free(&b->w);
}

/* Walks the records of one validated, uncompressed batch. */
static int walk_records(const uint8_t *p, size_t len, const struct batch_hdr *h, grec_record_cb cb, void *arg)
{
    struct sk_reader r;
    sk_reader_init(&r, p + BATCH_HEADER_BYTES, len - BATCH_HEADER_BYTES);
    for (int32_t i = 0; i < h->records_count; i++) {
        int32_t rec_len = sk_read_varint(&r);
        if (r.err || rec_len < 0 || (size_t)rec_len > sk_reader_left(&r))
            return SK_ECORRUPT;
        struct sk_reader rr;
        sk_reader_init(&rr, sk_read_raw(&r, (size_t)rec_len), (size_t)rec_len);
        sk_read_i8(&rr);
        sk_read_varlong(&rr);
        int32_t delta = sk_read_varint(&rr);
        int32_t klen = sk_read_varint(&rr);
        struct sk_slice key = {NULL, -1}, value = {NULL, -1};
        if (klen >= 0 && (size_t)klen <= sk_reader_left(&rr))
            key = (struct sk_slice){sk_read_raw(&rr, (size_t)klen), klen};
        int32_t vlen = sk_read_varint(&rr);
        if (vlen >= 0 && (size_t)vlen <= sk_reader_left(&rr))
            value = (struct sk_slice){sk_read_raw(&rr, (size_t)vlen), vlen};
        else if (vlen != -1)
            return SK_ECORRUPT;
        if (rr.err || klen < -1 || (klen >= 0 && !key.ptr))
            return SK_ECORRUPT;
        int rc = cb(arg, key, value, h->base_offset + delta);
        if (rc)
            return rc;
    }
    return 0;
}

int grec_walk(const uint8_t *buf, size_t len, grec_record_cb cb, void *arg, size_t *consumed)
{
    size_t off = 0;
    int rc = 0;
    while (off < len) {
        struct batch_hdr h;
        rc = batch_parse_header(buf + off, len - off, &h);
        if (rc == SK_ETRUNC) {
            rc = 0;
            break;
        }
        size_t total = rc ? 0 : batch_total_bytes(&h);
        if (rc || total > len - off) {
            rc = rc ? rc : 0; /* a partial batch at the end: the caller reads on from here */
            break;
        }
        if (batch_validate(buf + off, total, &h)) {
            rc = SK_ECORRUPT;
            break;
        }
        if (!(h.attributes & (BATCH_ATTR_COMPRESSION_MASK | BATCH_ATTR_CONTROL))) {
            rc = walk_records(buf + off, total, &h, cb, arg);
            if (rc)
                break;
        }
        off += total;
    }
    *consumed = off;
    return rc;
}
