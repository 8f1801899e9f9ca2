#include "batch.h"

#include "common/buf.h"
#include "common/crc32c.h"
#include "common/sk_err.h"

int batch_parse_header(const uint8_t *p, size_t len, struct batch_hdr *h)
{
    if (len < BATCH_HEADER_BYTES)
        return SK_ETRUNC;
    h->base_offset = (int64_t)sk_be64(p + BATCH_OFF_BASE_OFFSET);
    h->batch_length = (int32_t)sk_be32(p + BATCH_OFF_LENGTH);
    h->leader_epoch = (int32_t)sk_be32(p + BATCH_OFF_LEADER_EPOCH);
    h->magic = (int8_t)p[BATCH_OFF_MAGIC];
    h->crc = sk_be32(p + BATCH_OFF_CRC);
    h->attributes = (int16_t)sk_be16(p + BATCH_OFF_ATTRIBUTES);
    h->last_offset_delta = (int32_t)sk_be32(p + BATCH_OFF_LAST_OFFSET_DELTA);
    h->base_timestamp = (int64_t)sk_be64(p + BATCH_OFF_BASE_TIMESTAMP);
    h->max_timestamp = (int64_t)sk_be64(p + BATCH_OFF_MAX_TIMESTAMP);
    h->producer_id = (int64_t)sk_be64(p + BATCH_OFF_PRODUCER_ID);
    h->producer_epoch = (int16_t)sk_be16(p + 51);
    h->base_sequence = (int32_t)sk_be32(p + 53);
    h->records_count = (int32_t)sk_be32(p + BATCH_OFF_RECORDS_COUNT);
    if (h->batch_length < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD)
        return SK_ECORRUPT;
    if (h->magic != 2)
        return SK_ECORRUPT;
    return 0;
}

int batch_check_crc(const uint8_t *p, size_t len)
{
    if (len < BATCH_HEADER_BYTES)
        return SK_ECORRUPT;
    uint32_t want = sk_be32(p + BATCH_OFF_CRC);
    uint32_t got = sk_crc32c(0, p + BATCH_OFF_ATTRIBUTES, len - BATCH_OFF_ATTRIBUTES);
    return want == got ? 0 : SK_ECORRUPT;
}

/* Walks the records of an uncompressed batch: each is a varint length then
 * that many bytes holding attributes, deltas, key, value and headers. */
static int walk_records(const uint8_t *p, size_t len, int32_t count)
{
    struct sk_reader r;
    sk_reader_init(&r, p, len);
    for (int32_t i = 0; i < count; i++) {
        int32_t rec_len = sk_read_varint(&r);
        if (r.err || rec_len < 1 || (size_t)rec_len > sk_reader_left(&r))
            return SK_ECORRUPT;
        struct sk_reader rec;
        sk_reader_init(&rec, r.p + r.off, (size_t)rec_len);
        sk_read_skip(&r, (size_t)rec_len);
        sk_read_i8(&rec);      /* attributes */
        sk_read_varlong(&rec); /* timestampDelta */
        int32_t off_delta = sk_read_varint(&rec);
        if (off_delta != i)
            return SK_ECORRUPT;
        int32_t klen = sk_read_varint(&rec);
        if (klen < -1)
            return SK_ECORRUPT;
        if (klen > 0)
            sk_read_skip(&rec, (size_t)klen);
        int32_t vlen = sk_read_varint(&rec);
        if (vlen < -1)
            return SK_ECORRUPT;
        if (vlen > 0)
            sk_read_skip(&rec, (size_t)vlen);
        int32_t nhdr = sk_read_varint(&rec);
        if (nhdr < 0 || (size_t)nhdr > sk_reader_left(&rec))
            return SK_ECORRUPT;
        for (int32_t h = 0; h < nhdr && !rec.err; h++) {
            int32_t hk = sk_read_varint(&rec);
            if (hk < 0)
                return SK_ECORRUPT;
            sk_read_skip(&rec, (size_t)hk);
            int32_t hv = sk_read_varint(&rec);
            if (hv < -1)
                return SK_ECORRUPT;
            if (hv > 0)
                sk_read_skip(&rec, (size_t)hv);
        }
        if (rec.err || sk_reader_left(&rec) != 0)
            return SK_ECORRUPT;
    }
    return (r.err || sk_reader_left(&r) != 0) ? SK_ECORRUPT : 0;
}

int batch_validate(const uint8_t *p, size_t len, struct batch_hdr *h)
{
    int rc = batch_parse_header(p, len, h);
    if (rc)
        return SK_ECORRUPT;
    if (batch_total_bytes(h) != len)
        return SK_ECORRUPT;
    if (batch_check_crc(p, len))
        return SK_ECORRUPT;
    if (h->last_offset_delta < 0)
        return SK_ECORRUPT;
    if (h->attributes & BATCH_ATTR_CONTROL)
        return h->records_count == 1 ? 0 : SK_ECORRUPT;
    if (h->records_count < 1 || h->last_offset_delta != h->records_count - 1)
        return SK_ECORRUPT;
    if ((h->attributes & BATCH_ATTR_COMPRESSION_MASK) == 0)
        return walk_records(p + BATCH_HEADER_BYTES, len - BATCH_HEADER_BYTES, h->records_count);
    return 0;
}

void batch_set_base_offset(uint8_t *p, int64_t base_offset)
{
    sk_put_be64(p + BATCH_OFF_BASE_OFFSET, (uint64_t)base_offset);
}

void batch_set_leader_epoch(uint8_t *p, int32_t epoch)
{
    sk_put_be32(p + BATCH_OFF_LEADER_EPOCH, (uint32_t)epoch);
}
