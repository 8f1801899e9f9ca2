/* One segment: a .log file of whole RecordBatch v2 batches whose offsets start
 * at the base offset in its name, plus its two sparse indexes. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/limits.h"
#include "common/sk_err.h"
#include "log_internal.h"

static int open_file(int dir_fd, int64_t base, const char *suffix, int flags)
{
    char name[LOG_SEG_NAME_MAX];
    log_segment_name(name, base, suffix);
    return openat(dir_fd, name, flags | O_RDWR | O_CLOEXEC, 0644);
}

static struct log_segment *segment_new(int64_t base)
{
    struct log_segment *s = sk_calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->base_offset = base;
    s->next_offset = base;
    s->log_fd = s->index_fd = s->time_fd = -1;
    s->max_timestamp_ms = -1;
    s->roll_ref_ms = -1;
    return s;
}

static int segment_open_files(struct log_segment *s, int dir_fd, int log_flags)
{
    s->log_fd = open_file(dir_fd, s->base_offset, LOG_SUFFIX_LOG, log_flags);
    if (s->log_fd < 0)
        return errno == ENOENT ? SK_ENOENT : SK_EIO;
    s->index_fd = open_file(dir_fd, s->base_offset, LOG_SUFFIX_INDEX, log_flags & O_TRUNC);
    s->time_fd = open_file(dir_fd, s->base_offset, LOG_SUFFIX_TIMEINDEX, log_flags & O_TRUNC);
    /* A missing index file is recreated empty and marked for rebuilding. */
    if (s->index_fd < 0 && errno == ENOENT) {
        s->index_missing = true;
        s->index_fd = open_file(dir_fd, s->base_offset, LOG_SUFFIX_INDEX, O_CREAT);
    }
    if (s->time_fd < 0 && errno == ENOENT) {
        s->index_missing = true;
        s->time_fd = open_file(dir_fd, s->base_offset, LOG_SUFFIX_TIMEINDEX, O_CREAT);
    }
    if (s->index_fd < 0 || s->time_fd < 0)
        return errno == ENOSPC ? SK_ENOSPACE : SK_EIO;
    return 0;
}

int log_segment_create(int dir_fd, int64_t base_offset, struct log_segment **out)
{
    struct log_segment *s = segment_new(base_offset);
    if (!s)
        return SK_ENOMEM;
    int rc = segment_open_files(s, dir_fd, O_CREAT | O_TRUNC);
    if (rc) {
        log_segment_close(s);
        log_segment_unlink(dir_fd, base_offset);
        return rc;
    }
    *out = s;
    return 0;
}

int log_segment_open(int dir_fd, int64_t base_offset, struct log_segment **out)
{
    struct log_segment *s = segment_new(base_offset);
    if (!s)
        return SK_ENOMEM;
    int rc = segment_open_files(s, dir_fd, 0);
    if (rc) {
        log_segment_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void log_segment_close(struct log_segment *s)
{
    if (!s)
        return;
    if (s->log_fd >= 0)
        close(s->log_fd);
    if (s->index_fd >= 0)
        close(s->index_fd);
    if (s->time_fd >= 0)
        close(s->time_fd);
    log_index_free(&s->ix);
    sk_free(s);
}

int log_segment_unlink(int dir_fd, int64_t base_offset)
{
    static const char *const suffixes[] = {LOG_SUFFIX_LOG, LOG_SUFFIX_INDEX, LOG_SUFFIX_TIMEINDEX};
    int rc = 0;
    for (size_t i = 0; i < 3; i++) {
        char name[LOG_SEG_NAME_MAX];
        log_segment_name(name, base_offset, suffixes[i]);
        if (unlinkat(dir_fd, name, 0) != 0 && errno != ENOENT)
            rc = SK_EIO;
    }
    return rc;
}

int log_segment_read_header(const struct log_segment *s, int64_t pos, int64_t size_limit, struct batch_hdr *h)
{
    uint8_t b[BATCH_HEADER_BYTES];
    if (size_limit - pos < BATCH_HEADER_BYTES)
        return SK_ETRUNC;
    int rc = log_pread_all(s->log_fd, b, sizeof(b), pos);
    if (rc)
        return rc == SK_ETRUNC ? SK_ETRUNC : SK_EIO;
    if (batch_parse_header(b, sizeof(b), h) != 0)
        return SK_ECORRUPT;
    /* Lengths from disk are hostile: bound them before anyone allocates. */
    if (h->batch_length > SK_BATCH_BYTES_MAX - BATCH_LOG_OVERHEAD)
        return SK_ECORRUPT;
    if ((int64_t)batch_total_bytes(h) > size_limit - pos)
        return SK_ETRUNC;
    if (h->last_offset_delta < 0)
        return SK_ECORRUPT;
    /* Offsets must fit the segment (relative offsets are u32 in the index);
     * this also keeps base + delta arithmetic far from overflow. */
    if (h->base_offset < s->base_offset || h->base_offset - s->base_offset > INT32_MAX)
        return SK_ECORRUPT;
    return 0;
}

int log_segment_index_batch(struct log_segment *s, const struct batch_hdr *h, int64_t pos,
                            int32_t interval_bytes)
{
    int rc = 0;
    uint32_t rel = (uint32_t)(h->base_offset - s->base_offset);
    if (s->bytes_since_index >= interval_bytes) {
        rc = log_index_add_offset(&s->ix, s->index_fd, rel, (uint32_t)pos);
        if (rc)
            return rc;
        s->bytes_since_index = 0;
        if (h->max_timestamp > s->max_timestamp_ms) {
            /* The entry says: every record up to this batch is older than ts. */
            rc = log_index_add_time(&s->ix, s->time_fd, h->max_timestamp, rel);
            if (rc)
                return rc;
        }
    }
    if (h->max_timestamp > s->max_timestamp_ms)
        s->max_timestamp_ms = h->max_timestamp;
    s->bytes_since_index += (int64_t)batch_total_bytes(h);
    s->next_offset = batch_last_offset(h) + 1;
    return 0;
}

int log_segment_seal(struct log_segment *s)
{
    s->sealed = true;
    s->index_dirty = true;
    struct log_index *ix = &s->ix;
    if (s->max_timestamp_ms < 0 || s->next_offset == s->base_offset)
        return 0;
    if (ix->time_n > 0 && ix->time[ix->time_n - 1].timestamp_ms >= s->max_timestamp_ms)
        return 0;
    uint32_t rel = (uint32_t)(s->next_offset - 1 - s->base_offset);
    return log_index_add_time(ix, s->time_fd, s->max_timestamp_ms, rel);
}

int log_segment_truncate(struct log_segment *s, int64_t pos, int64_t offset)
{
    if (ftruncate(s->log_fd, pos) != 0)
        return SK_EIO;
    s->size_bytes = pos;
    s->next_offset = offset;
    s->log_dirty = true;
    s->index_dirty = true;
    int rc = log_index_truncate(&s->ix, s->index_fd, s->time_fd, (uint32_t)(offset - s->base_offset),
                                (uint32_t)pos);
    /* Recompute what the cut removed: max timestamp and index spacing. */
    s->max_timestamp_ms = s->ix.time_n ? s->ix.time[s->ix.time_n - 1].timestamp_ms : -1;
    int64_t scan = s->ix.off_n ? s->ix.off[s->ix.off_n - 1].position : 0;
    s->bytes_since_index = pos - scan;
    while (rc == 0 && scan < pos) {
        struct batch_hdr h;
        rc = log_segment_read_header(s, scan, pos, &h);
        if (rc == 0) {
            if (h.max_timestamp > s->max_timestamp_ms)
                s->max_timestamp_ms = h.max_timestamp;
            scan += (int64_t)batch_total_bytes(&h);
        }
    }
    if (pos == 0)
        s->roll_ref_ms = -1;
    return rc;
}

int log_segment_find(const struct log_segment *s, int64_t offset, int64_t *pos_out, struct batch_hdr *h)
{
    if (offset >= s->next_offset)
        return SK_ENOENT;
    int64_t rel = offset - s->base_offset;
    struct log_index_entry e = rel > 0 ? log_index_lookup(&s->ix, (uint32_t)rel) : (struct log_index_entry){0, 0};
    int64_t pos = e.position;
    int64_t expect = s->base_offset + e.rel_offset;
    while (pos < s->size_bytes) {
        int rc = log_segment_read_header(s, pos, s->size_bytes, h);
        if (rc)
            return rc == SK_ETRUNC ? SK_ECORRUPT : rc;
        /* Offsets are contiguous; baseOffset lies outside the CRC, so a
         * damaged one is caught here or never. */
        if (h->base_offset != expect)
            return SK_ECORRUPT;
        expect = batch_last_offset(h) + 1;
        if (batch_last_offset(h) >= offset) {
            *pos_out = pos;
            return 0;
        }
        pos += (int64_t)batch_total_bytes(h);
    }
    return SK_ENOENT;
}
