/* Loading a partition directory at open, and recovery after an unclean
 * shutdown.  Segments below the recovery point are trusted after cheap
 * checks (index files consistent, the batch headers after the last index entry
 * end exactly at the end of the file); segments at or after it, and any
 * segment that fails a check, are re-validated batch by batch
 * (batch_validate: framing and CRC), cut at the first bad batch (every later
 * segment is removed) and have their indexes rebuilt.  Disk content is
 * hostile: every length is bounded by the file size and SK_BATCH_BYTES_MAX
 * before it is used. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "log_internal.h"

/* More segment files than this in one partition is treated as a broken
 * directory rather than loaded (1 GiB segments: an exabyte). */
#define SEGMENTS_MAX (1 << 20)

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* True if dir holds a .log for `name`'s base offset (for orphan indexes). */
static bool has_log(int dir_fd, int64_t base)
{
    char name[LOG_SEG_NAME_MAX];
    struct stat st;
    log_segment_name(name, base, LOG_SUFFIX_LOG);
    return fstatat(dir_fd, name, &st, 0) == 0;
}

/* Lists segment base offsets (sorted) and removes leftovers: temp files
 * from interrupted checkpoint writes and index files without a .log. */
static int list_segments(int dir_fd, int64_t **out, size_t *n_out)
{
    int fd = dup(dir_fd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return SK_EIO;
    }
    rewinddir(d);
    int64_t *bases = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        int64_t base;
        size_t len = strlen(e->d_name);
        if (log_parse_segment_name(e->d_name, LOG_SUFFIX_LOG, &base)) {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                int64_t *nb = cap <= SEGMENTS_MAX ? sk_realloc(bases, cap * sizeof(*nb)) : NULL;
                if (!nb) {
                    rc = cap <= SEGMENTS_MAX ? SK_ENOMEM : SK_ELIMIT;
                    break;
                }
                bases = nb;
            }
            bases[n++] = base;
        } else if ((log_parse_segment_name(e->d_name, LOG_SUFFIX_INDEX, &base) ||
                    log_parse_segment_name(e->d_name, LOG_SUFFIX_TIMEINDEX, &base)) &&
                   !has_log(dir_fd, base)) {
            unlinkat(dir_fd, e->d_name, 0);
        } else if (len > 4 && strcmp(e->d_name + len - 4, ".tmp") == 0) {
            unlinkat(dir_fd, e->d_name, 0);
        }
    }
    closedir(d);
    if (rc) {
        sk_free(bases);
        return rc;
    }
    if (n > 1)
        qsort(bases, n, sizeof(*bases), cmp_i64);
    *out = bases;
    *n_out = n;
    return 0;
}

static int64_t file_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_size : -1;
}

/* Clean path: trusts the index files after checking them, then walks batch
 * headers from the last index entry to the end of the file.  SK_ECORRUPT
 * means "re-validate this segment". */
static int load_segment(struct log_segment *s, int32_t interval_bytes)
{
    int64_t size = file_size(s->log_fd);
    if (size < 0)
        return SK_EIO;
    if (s->index_missing || size > SK_SEGMENT_BYTES_MAX ||
        !log_index_load(&s->ix, s->index_fd, s->time_fd, size))
        return SK_ECORRUPT;
    s->size_bytes = size;
    struct log_index *ix = &s->ix;
    int64_t pos = ix->off_n ? ix->off[ix->off_n - 1].position : 0;
    const int64_t tail_start = pos;
    int64_t expect = ix->off_n ? s->base_offset + ix->off[ix->off_n - 1].rel_offset : s->base_offset;
    s->max_timestamp_ms = ix->time_n ? ix->time[ix->time_n - 1].timestamp_ms : -1;
    s->bytes_since_index = size - pos;
    s->next_offset = s->base_offset;
    while (pos < size) {
        struct batch_hdr h;
        int rc = log_segment_read_header(s, pos, size, &h);
        if (rc)
            return rc == SK_EIO ? rc : SK_ECORRUPT;
        /* The indexed batch must start exactly at its entry's offset, and
         * every later one where the previous ended: offsets in a Skiff log
         * are contiguous, and baseOffset lies outside the CRC. */
        if (h.base_offset != expect)
            return SK_ECORRUPT;
        if (batch_last_offset(&h) - s->base_offset > INT32_MAX)
            return SK_ECORRUPT;
        if (h.max_timestamp > s->max_timestamp_ms)
            s->max_timestamp_ms = h.max_timestamp;
        expect = batch_last_offset(&h) + 1;
        s->next_offset = expect;
        /* An entry is due once interval bytes pass; a tail longer than that
         * means the index lost entries (a truncated or stale file). */
        if (pos - tail_start >= interval_bytes)
            return SK_ECORRUPT;
        pos += (int64_t)batch_total_bytes(&h);
    }
    if (ix->off_n && s->next_offset == s->base_offset)
        return SK_ECORRUPT;
    return 0;
}

/* Reads and fully validates the batch at pos into *buf (grown as needed). */
static int validate_at(struct log_segment *s, int64_t pos, int64_t size, struct sk_writer *buf,
                       struct batch_hdr *h)
{
    int rc = log_segment_read_header(s, pos, size, h);
    if (rc)
        return rc;
    size_t n = batch_total_bytes(h);
    sk_writer_reset(buf);
    uint8_t *b = sk_writer_reserve(buf, n);
    if (!b)
        return SK_ENOMEM;
    rc = log_pread_all(s->log_fd, b, n, pos);
    if (rc)
        return rc == SK_ETRUNC ? SK_ECORRUPT : rc;
    return batch_validate(b, n, h) ? SK_ECORRUPT : 0;
}

/* Unclean path: re-validates every batch, rebuilds the indexes and the epoch
 * cache entries, cuts the file at the first bad batch.  *cut is set when
 * something was removed. */
static int recover_segment(struct plog *l, struct log_segment *s, bool *cut)
{
    int64_t size = file_size(s->log_fd);
    if (size < 0)
        return SK_EIO;
    if (size > SK_SEGMENT_BYTES_MAX)
        size = SK_SEGMENT_BYTES_MAX; /* nothing legitimate lies beyond */
    log_index_clear(&s->ix);
    if (ftruncate(s->index_fd, 0) != 0 || ftruncate(s->time_fd, 0) != 0)
        return SK_EIO;
    s->next_offset = s->base_offset;
    s->max_timestamp_ms = -1;
    s->bytes_since_index = 0;
    struct sk_writer buf;
    sk_writer_init(&buf);
    int64_t pos = 0;
    int rc = 0;
    while (pos < size) {
        struct batch_hdr h;
        rc = validate_at(s, pos, size, &buf, &h);
        if (rc == SK_EIO || rc == SK_ENOMEM)
            break;
        if (rc != 0 || h.base_offset != s->next_offset || batch_last_offset(&h) - s->base_offset > INT32_MAX) {
            rc = 0;
            break;
        }
        if (log_segment_index_batch(s, &h, pos, l->cfg.index_interval_bytes) != 0)
            SK_WARN("index_write_failed", "dir=%s", l->dir);
        if (log_epoch_assign(&l->epochs, h.leader_epoch, h.base_offset) > 0)
            l->epoch_dirty = true;
        pos += (int64_t)batch_total_bytes(&h);
    }
    sk_writer_free(&buf);
    if (rc)
        return rc;
    if (pos < file_size(s->log_fd)) {
        SK_WARN("log_tail_truncated", "dir=%s segment=%lld position=%lld bytes=%lld", l->dir,
                (long long)s->base_offset, (long long)pos, (long long)(file_size(s->log_fd) - pos));
        if (ftruncate(s->log_fd, pos) != 0)
            return SK_EIO;
        *cut = true;
    }
    s->size_bytes = pos;
    s->log_dirty = true;
    s->index_dirty = true;
    return 0;
}

/* Reads the checkpoints.  A missing or malformed recovery-point file means
 * "re-validate everything" on an unclean open; a malformed epoch file means
 * the cache is re-derived from every batch. */
static void read_checkpoints(struct plog *l, int64_t *rp, int64_t *start, bool *epochs_ok)
{
    *rp = 0;
    *start = 0;
    int rc = log_meta_read(l->dir_fd, rp, start);
    if (rc && rc != SK_ENOENT)
        SK_WARN("recovery_checkpoint_bad", "dir=%s err=%s", l->dir, sk_strerror(rc));
    char *text = sk_malloc(1 << 20);
    size_t len = 0;
    rc = text ? log_read_small_file(l->dir_fd, LOG_EPOCH_FILE, text, 1 << 20, &len) : SK_ENOMEM;
    if (rc == 0)
        rc = log_epoch_parse(&l->epochs, text, len);
    sk_free(text);
    /* A fresh directory has no epoch file and nothing to derive it from. */
    *epochs_ok = rc == 0 || (rc == SK_ENOENT && *rp == 0 && *start == 0);
    if (rc && rc != SK_ENOENT)
        SK_WARN("epoch_checkpoint_bad", "dir=%s err=%s", l->dir, sk_strerror(rc));
    if (rc)
        l->epochs.n = 0;
}

/* Opens every segment listed, loading or recovering each. */
static int open_segments(struct plog *l, const int64_t *bases, size_t n, bool clean, int64_t rp,
                         int64_t *first_recovered)
{
    bool recovering = false;
    for (size_t i = 0; i < n; i++) {
        struct log_segment *s;
        int rc = log_segment_open(l->dir_fd, bases[i], &s);
        if (rc == 0 && (rc = plog_segs_push(l, s)) != 0)
            log_segment_close(s);
        if (rc)
            return rc;
        bool last = i + 1 == n;
        if (!recovering && !clean && (last || bases[i + 1] > rp))
            recovering = true;
        if (!recovering) {
            rc = load_segment(s, l->cfg.index_interval_bytes);
            if (rc == SK_ECORRUPT) {
                SK_WARN("segment_inconsistent", "dir=%s segment=%lld", l->dir, (long long)s->base_offset);
                recovering = true;
            } else if (rc) {
                return rc;
            }
        }
        bool cut = false;
        if (recovering) {
            if (*first_recovered < 0) {
                *first_recovered = s->base_offset;
                log_epoch_truncate_end(&l->epochs, s->base_offset);
            }
            rc = recover_segment(l, s, &cut);
            if (rc)
                return rc;
        }
        /* A later segment must start exactly where this one ends; if not (or
         * this one was cut, or lost its data in a power loss while its
         * directory entry survived), the later ones are not trusted: a gap
         * would leave offsets without batches. */
        if (!last && (cut || bases[i + 1] != s->next_offset)) {
            for (size_t k = i + 1; k < n; k++)
                log_segment_unlink(l->dir_fd, bases[k]);
            l->dir_dirty = true;
            SK_WARN("segments_removed", "dir=%s after=%lld count=%zu", l->dir, (long long)s->base_offset,
                    n - i - 1);
            break;
        }
        if (!last && (rc = log_segment_seal(s)) != 0)
            return rc;
        if (!recovering)
            s->index_dirty = false;
    }
    return 0;
}

/* The roll-by-time reference of a reopened active segment: its first batch's
 * timestamp (Kafka's rollingBasedTimestamp), never in the future. */
static void set_roll_ref(struct log_segment *s, int64_t now_ms)
{
    struct batch_hdr h;
    if (s->size_bytes == 0 || log_segment_read_header(s, 0, s->size_bytes, &h) != 0)
        return;
    s->roll_ref_ms = h.max_timestamp >= 0 && h.max_timestamp < now_ms ? h.max_timestamp : now_ms;
}

int log_load_segments(struct plog *l, bool clean_shutdown, int64_t now_ms)
{
    int64_t rp, start, *bases = NULL, first_recovered = -1;
    size_t n = 0;
    bool epochs_ok;
    read_checkpoints(l, &rp, &start, &epochs_ok);
    if (!epochs_ok) {
        clean_shutdown = false;
        rp = 0;
    }
    int rc = list_segments(l->dir_fd, &bases, &n);
    if (rc == 0 && n > 0)
        rc = open_segments(l, bases, n, clean_shutdown, rp, &first_recovered);
    sk_free(bases);
    if (rc)
        return rc;
    if (l->nsegs == 0) {
        struct log_segment *s;
        rc = log_segment_create(l->dir_fd, start, &s);
        if (rc == 0 && (rc = plog_segs_push(l, s)) != 0)
            log_segment_close(s);
        if (rc)
            return rc;
        l->dir_dirty = true;
        l->meta_dirty = true;
    }
    int64_t leo = plog_end_offset(l);
    l->start_offset = l->segs[0]->base_offset;
    if (start > l->start_offset)
        l->start_offset = start < leo ? start : leo;
    if (log_epoch_truncate_end(&l->epochs, leo) | log_epoch_truncate_start(&l->epochs, l->start_offset))
        l->epoch_dirty = true;
    set_roll_ref(plog_active(l), now_ms);
    l->recovery_point = first_recovered >= 0 ? first_recovered : plog_active(l)->base_offset;
    l->synced_offset = first_recovered >= 0 ? first_recovered : leo;
    if (first_recovered >= 0)
        l->meta_dirty = true;
    SK_INFO("log_loaded", "dir=%s clean=%d segments=%zu start=%lld leo=%lld recovered_from=%lld", l->dir,
            clean_shutdown, l->nsegs, (long long)l->start_offset, (long long)leo, (long long)first_recovered);
    return 0;
}
