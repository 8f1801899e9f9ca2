/* Appends (leader and follower) and truncation of a partition log. */
#include <assert.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "log_internal.h"

/* Relative offsets are stored as u32 in the indexes; Kafka keeps them within
 * int32 and rolls before that. */
#define REL_OFFSET_MAX INT32_MAX

static bool should_roll(const struct plog *l, size_t len, int64_t last_offset, int64_t now_ms)
{
    const struct log_segment *s = plog_active(l);
    if (s->size_bytes == 0)
        return false; /* an empty segment never rolls: its name would repeat */
    if (s->size_bytes + (int64_t)len > l->cfg.segment_bytes)
        return true;
    if (s->roll_ref_ms >= 0 && now_ms - s->roll_ref_ms >= l->cfg.segment_ms)
        return true;
    if (last_offset - s->base_offset > REL_OFFSET_MAX)
        return true;
    return log_index_full(&s->ix);
}

/* Writes whole batches (offsets final) at the end of the active segment and
 * indexes them.  On a failed write the segment is cut back and nothing
 * changes. */
static int write_batches(struct plog *l, const uint8_t *p, size_t len, int64_t now_ms)
{
    struct log_segment *s = plog_active(l);
    int64_t pos = s->size_bytes;
    int rc = log_pwrite_all(s->log_fd, p, len, pos);
    if (rc) {
        if (ftruncate(s->log_fd, pos) != 0)
            SK_ERROR("log_write_undo_failed", "dir=%s", l->dir);
        SK_ERROR("log_write_failed", "dir=%s err=%s", l->dir, sk_strerror(rc));
        return rc;
    }
    s->size_bytes += (int64_t)len;
    s->log_dirty = true;
    if (s->roll_ref_ms < 0)
        s->roll_ref_ms = now_ms;
    for (size_t off = 0; off < len;) {
        struct batch_hdr h;
        int prc = batch_parse_header(p + off, len - off, &h);
        assert(prc == 0); /* framing was checked by the caller of write_batches */
        (void)prc;
        /* A failed index write only costs lookup speed: the entry is retried
         * at the next batch, and a torn index file is rebuilt on load. */
        if (log_segment_index_batch(s, &h, pos + (int64_t)off, l->cfg.index_interval_bytes) != 0)
            SK_WARN("index_write_failed", "dir=%s", l->dir);
        off += batch_total_bytes(&h);
    }
    return 0;
}

/* Walks the framing of concatenated batches: every header parses, every batch
 * lies within len.  Returns the number of offsets they span in *count. */
static int check_framing(const uint8_t *p, size_t len, int64_t *count)
{
    *count = 0;
    if (len == 0)
        return SK_EINVAL;
    for (size_t off = 0; off < len;) {
        struct batch_hdr h;
        if (batch_parse_header(p + off, len - off, &h) != 0 || h.last_offset_delta < 0 ||
            batch_total_bytes(&h) > len - off)
            return SK_EINVAL;
        *count += (int64_t)h.last_offset_delta + 1;
        off += batch_total_bytes(&h);
    }
    return 0;
}

int plog_append(struct plog *l, uint8_t *batches, size_t len, int32_t leader_epoch, int64_t now_ms,
                int64_t *first_offset, int64_t *last_offset)
{
    if (leader_epoch < log_epoch_latest(&l->epochs))
        return SK_ESTATE;
    int64_t count;
    int rc = check_framing(batches, len, &count);
    if (rc)
        return rc;
    int64_t first = plog_end_offset(l);
    if (should_roll(l, len, first + count - 1, now_ms) && (rc = plog_roll(l, now_ms)) != 0)
        return rc;
    int64_t next = first;
    for (size_t off = 0; off < len;) {
        struct batch_hdr h;
        batch_parse_header(batches + off, len - off, &h);
        batch_set_base_offset(batches + off, next);
        batch_set_leader_epoch(batches + off, leader_epoch);
        next += (int64_t)h.last_offset_delta + 1;
        off += batch_total_bytes(&h);
    }
    rc = write_batches(l, batches, len, now_ms);
    if (rc)
        return rc;
    rc = log_epoch_assign(&l->epochs, leader_epoch, first);
    if (rc > 0)
        l->epoch_dirty = true;
    if (first_offset)
        *first_offset = first;
    if (last_offset)
        *last_offset = next - 1;
    return rc < 0 ? rc : 0;
}

/* Follower input comes from a peer: validate every batch and the offsets. */
static int check_replica_batches(const struct plog *l, const uint8_t *p, size_t len, int64_t *last_out)
{
    int64_t expect = plog_end_offset(l);
    int32_t epoch = log_epoch_latest(&l->epochs);
    if (len == 0)
        return SK_EINVAL;
    for (size_t off = 0; off < len;) {
        struct batch_hdr h;
        if (batch_parse_header(p + off, len - off, &h) != 0 || batch_total_bytes(&h) > len - off ||
            batch_validate(p + off, batch_total_bytes(&h), &h) != 0)
            return SK_ECORRUPT;
        if (h.base_offset != expect)
            return off == 0 ? SK_ERANGE : SK_ECORRUPT;
        if (batch_last_offset(&h) > LOG_OFFSET_MAX)
            return SK_ECORRUPT;
        if (h.leader_epoch < epoch)
            return SK_ECORRUPT;
        epoch = h.leader_epoch;
        expect = batch_last_offset(&h) + 1;
        off += batch_total_bytes(&h);
    }
    *last_out = expect - 1;
    return 0;
}

int plog_append_replica(struct plog *l, const uint8_t *batches, size_t len, int64_t now_ms)
{
    int64_t last;
    int rc = check_replica_batches(l, batches, len, &last);
    if (rc)
        return rc;
    if (should_roll(l, len, last, now_ms) && (rc = plog_roll(l, now_ms)) != 0)
        return rc;
    rc = write_batches(l, batches, len, now_ms);
    if (rc)
        return rc;
    for (size_t off = 0; off < len;) {
        struct batch_hdr h;
        batch_parse_header(batches + off, len - off, &h);
        rc = log_epoch_assign(&l->epochs, h.leader_epoch, h.base_offset);
        if (rc < 0)
            return rc;
        if (rc > 0)
            l->epoch_dirty = true;
        off += batch_total_bytes(&h);
    }
    return 0;
}

/* Lowers the recovery point durably before files below it change, so an
 * unclean restart re-validates the rewritten segment (one blocking fsync). */
static int lower_recovery_point(struct plog *l, int64_t rp)
{
    pthread_mutex_lock(&l->ckpt_lock);
    l->ckpt_gen++;
    int rc = 0;
    if (rp < l->recovery_point) {
        rc = log_meta_write(l->dir_fd, rp, l->start_offset);
        if (rc == 0)
            l->recovery_point = rp;
    }
    pthread_mutex_unlock(&l->ckpt_lock);
    return rc;
}

/* Everything goes: the log restarts empty at `offset`. */
static int truncate_fully(struct plog *l, int64_t offset)
{
    int rc = lower_recovery_point(l, offset < l->recovery_point ? offset : l->recovery_point);
    if (rc)
        return rc;
    struct log_segment *s;
    plog_drop_segments_from(l, 0);
    rc = log_segment_create(l->dir_fd, offset, &s);
    if (rc == 0 && (rc = plog_segs_push(l, s)) != 0)
        log_segment_close(s);
    if (rc)
        return rc; /* the log has no segment: the caller must close it */
    l->start_offset = offset;
    l->recovery_point = offset;
    log_epoch_truncate_end(&l->epochs, 0);
    l->synced_offset = offset;
    l->meta_dirty = l->epoch_dirty = l->dir_dirty = true;
    return 0;
}

int plog_reset(struct plog *l, int64_t offset)
{
    if (offset < 0 || offset > LOG_OFFSET_MAX)
        return SK_EINVAL;
    int64_t leo = plog_end_offset(l);
    int rc = truncate_fully(l, offset);
    if (rc == 0)
        SK_INFO("log_reset", "dir=%s offset=%lld old_leo=%lld", l->dir, (long long)offset, (long long)leo);
    return rc;
}

int plog_truncate(struct plog *l, int64_t offset)
{
    if (offset < 0 || offset > LOG_OFFSET_MAX)
        return SK_EINVAL;
    if (offset >= plog_end_offset(l))
        return 0;
    if (offset <= l->start_offset)
        return truncate_fully(l, offset);
    size_t i = plog_segment_for(l, offset);
    struct log_segment *s = l->segs[i];
    int64_t pos;
    struct batch_hdr h;
    int rc = log_segment_find(s, offset, &pos, &h);
    if (rc == SK_ENOENT) {
        /* offset lies after this segment's last batch: cut at its end. */
        pos = s->size_bytes;
        h.base_offset = s->next_offset;
    } else if (rc) {
        return rc;
    }
    rc = lower_recovery_point(l, s->base_offset);
    if (rc)
        return rc;
    plog_drop_segments_from(l, i + 1);
    rc = log_segment_truncate(s, pos, h.base_offset);
    s->sealed = false;
    int64_t leo = plog_end_offset(l);
    if (log_epoch_truncate_end(&l->epochs, leo))
        l->epoch_dirty = true;
    if (l->synced_offset > leo)
        l->synced_offset = leo;
    l->meta_dirty = true;
    SK_INFO("log_truncated", "dir=%s offset=%lld leo=%lld", l->dir, (long long)offset, (long long)leo);
    return rc;
}
