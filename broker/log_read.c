/* Reads from a partition log: fetch (whole batches, CRC-checked before they
 * are served) and ListOffsets by timestamp. */
#include "common/buf.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "log_internal.h"

/* Copies the batch at pos into out and checks its CRC; on failure out is
 * restored to its previous length. */
static int read_batch(struct plog *l, const struct log_segment *s, int64_t pos, const struct batch_hdr *h,
                      struct sk_writer *out)
{
    size_t n = batch_total_bytes(h);
    uint8_t *dst = sk_writer_reserve(out, n);
    if (!dst)
        return SK_ENOMEM;
    int rc = log_pread_all(s->log_fd, dst, n, pos);
    if (rc)
        return rc == SK_ETRUNC ? SK_ECORRUPT : rc;
    if (batch_check_crc(dst, n) != 0) {
        SK_ERROR("corrupt_batch_on_read", "dir=%s base=%lld pos=%lld", l->dir, (long long)h->base_offset,
                 (long long)pos);
        return SK_ECORRUPT;
    }
    out->len += n;
    return 0;
}

int plog_read(struct plog *l, int64_t offset, int64_t upto_offset, size_t max_bytes, struct sk_writer *out)
{
    int64_t leo = plog_end_offset(l);
    if (offset < l->start_offset || offset > leo)
        return SK_ERANGE;
    size_t taken = 0;
    size_t i = plog_segment_for(l, offset);
    int64_t pos = -1;
    int64_t expect = -1; /* base offset the next batch must have, once known */
    struct batch_hdr h;
    for (; i < l->nsegs; i++, pos = 0) {
        const struct log_segment *s = l->segs[i];
        if (pos < 0) {
            int rc = log_segment_find(s, offset, &pos, &h);
            if (rc == SK_ENOENT)
                continue; /* offset lies past this segment's last batch */
            if (rc)
                return rc;
        }
        while (pos < s->size_bytes) {
            int rc = log_segment_read_header(s, pos, s->size_bytes, &h);
            if (rc)
                return rc == SK_EIO ? rc : SK_ECORRUPT;
            if (batch_last_offset(&h) >= upto_offset)
                return 0;
            size_t n = batch_total_bytes(&h);
            if (taken > 0 && taken + n > max_bytes)
                return 0; /* KIP-74: only the first batch may exceed max_bytes */
            /* Batches served in one answer must be contiguous: a damaged
             * baseOffset (outside the CRC) is refused, never served. */
            if (expect >= 0 && h.base_offset != expect) {
                SK_ERROR("corrupt_batch_on_read", "dir=%s base=%lld pos=%lld expected=%lld", l->dir,
                         (long long)h.base_offset, (long long)pos, (long long)expect);
                return SK_ECORRUPT;
            }
            expect = batch_last_offset(&h) + 1;
            rc = read_batch(l, s, pos, &h, out);
            if (rc)
                return rc;
            taken += n;
            pos += (int64_t)n;
        }
    }
    return 0;
}

/* First record with timestamp >= ts inside one batch at pos. */
static int search_batch(const struct log_segment *s, int64_t pos, const struct batch_hdr *h, int64_t ts_ms,
                        int64_t *offset_out, int64_t *timestamp_out)
{
    bool log_append_time = (h->attributes & BATCH_ATTR_TIMESTAMP_TYPE) != 0;
    bool compressed = (h->attributes & BATCH_ATTR_COMPRESSION_MASK) != 0;
    if (log_append_time || compressed) {
        *offset_out = h->base_offset;
        *timestamp_out = h->max_timestamp;
        return 0;
    }
    size_t n = batch_total_bytes(h);
    struct sk_writer w;
    sk_writer_init(&w);
    uint8_t *b = sk_writer_reserve(&w, n);
    int rc = b ? log_pread_all(s->log_fd, b, n, pos) : SK_ENOMEM;
    if (rc == 0 && batch_check_crc(b, n) != 0)
        rc = SK_ECORRUPT;
    struct sk_reader r;
    if (rc == 0)
        sk_reader_init(&r, b + BATCH_HEADER_BYTES, n - BATCH_HEADER_BYTES);
    for (int32_t k = 0; rc == 0 && k < h->records_count; k++) {
        int32_t rec_len = sk_read_varint(&r);
        if (r.err || rec_len < 1 || (size_t)rec_len > sk_reader_left(&r)) {
            rc = SK_ECORRUPT;
            break;
        }
        struct sk_reader rec;
        sk_reader_init(&rec, r.p + r.off, (size_t)rec_len);
        sk_read_skip(&r, (size_t)rec_len);
        sk_read_i8(&rec);
        int64_t ts = h->base_timestamp + sk_read_varlong(&rec);
        int32_t delta = sk_read_varint(&rec);
        if (rec.err) {
            rc = SK_ECORRUPT;
        } else if (ts >= ts_ms) {
            *offset_out = h->base_offset + delta;
            *timestamp_out = ts;
            sk_writer_free(&w);
            return 0;
        }
    }
    sk_writer_free(&w);
    if (rc)
        return rc;
    /* The producer's max_timestamp promised a record no record delivers: the
     * batch as a whole is the best answer. */
    *offset_out = h->base_offset;
    *timestamp_out = h->max_timestamp;
    return 0;
}

int plog_offset_for_timestamp(struct plog *l, int64_t ts_ms, int64_t *offset_out, int64_t *timestamp_out)
{
    for (size_t i = 0; i < l->nsegs; i++) {
        const struct log_segment *s = l->segs[i];
        if (s->max_timestamp_ms < ts_ms || s->size_bytes == 0)
            continue;
        /* Every record up to the time entry's batch is older than ts_ms. */
        uint32_t rel = 0;
        int64_t pos = 0;
        if (log_index_lookup_time(&s->ix, ts_ms, &rel))
            pos = log_index_lookup(&s->ix, rel).position;
        while (pos < s->size_bytes) {
            struct batch_hdr h;
            int rc = log_segment_read_header(s, pos, s->size_bytes, &h);
            if (rc)
                return rc == SK_EIO ? rc : SK_ECORRUPT;
            if (h.max_timestamp >= ts_ms && batch_last_offset(&h) >= l->start_offset)
                return search_batch(s, pos, &h, ts_ms, offset_out, timestamp_out);
            pos += (int64_t)batch_total_bytes(&h);
        }
    }
    return SK_ENOENT;
}
