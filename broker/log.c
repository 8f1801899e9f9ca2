/* Partition log: open/close, appends (leader and follower), rolling and
 * truncation.  Reads are in log_read.c, loading/recovery in log_recovery.c,
 * retention in log_retention.c, background syncs in log_sync.c. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "log_internal.h"

void log_config_default(struct log_config *cfg)
{
    cfg->segment_bytes = 1073741824;
    cfg->segment_ms = 604800000;
    cfg->retention_ms = 604800000;
    cfg->retention_bytes = -1;
    cfg->index_interval_bytes = SK_INDEX_INTERVAL_BYTES;
}

int log_config_check(const struct log_config *cfg)
{
    if (cfg->segment_bytes < SK_SEGMENT_BYTES_MIN || cfg->segment_bytes > SK_SEGMENT_BYTES_MAX)
        return SK_ECONFIG;
    if (cfg->segment_ms <= 0 || cfg->retention_ms < -1 || cfg->retention_bytes < -1)
        return SK_ECONFIG;
    if (cfg->index_interval_bytes <= 0)
        return SK_ECONFIG;
    return 0;
}

int plog_segs_push(struct plog *l, struct log_segment *s)
{
    if (l->nsegs == l->segs_cap) {
        size_t cap = l->segs_cap ? l->segs_cap * 2 : 8;
        struct log_segment **n = sk_realloc(l->segs, cap * sizeof(*n));
        if (!n)
            return SK_ENOMEM;
        l->segs = n;
        l->segs_cap = cap;
    }
    l->segs[l->nsegs++] = s;
    return 0;
}

size_t plog_segment_for(const struct plog *l, int64_t offset)
{
    size_t lo = 0, hi = l->nsegs; /* first segment with base > offset */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->segs[mid]->base_offset <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : 0;
}

void plog_drop_segments_from(struct plog *l, size_t i)
{
    while (l->nsegs > i) {
        struct log_segment *s = l->segs[--l->nsegs];
        int64_t base = s->base_offset;
        log_segment_close(s);
        if (log_segment_unlink(l->dir_fd, base) != 0)
            SK_WARN("segment_unlink_failed", "dir=%s base=%lld", l->dir, (long long)base);
        l->dir_dirty = true;
    }
}

void plog_drop_oldest(struct plog *l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t base = l->segs[i]->base_offset;
        log_segment_close(l->segs[i]);
        if (log_segment_unlink(l->dir_fd, base) != 0)
            SK_WARN("segment_unlink_failed", "dir=%s base=%lld", l->dir, (long long)base);
    }
    memmove(l->segs, l->segs + n, (l->nsegs - n) * sizeof(*l->segs));
    l->nsegs -= n;
    l->dir_dirty = n > 0 || l->dir_dirty;
}

int plog_roll(struct plog *l, int64_t now_ms)
{
    struct log_segment *old = plog_active(l);
    struct log_segment *s;
    int rc = log_segment_create(l->dir_fd, old->next_offset, &s);
    if (rc)
        return rc;
    rc = plog_segs_push(l, s);
    if (rc) {
        log_segment_close(s);
        log_segment_unlink(l->dir_fd, old->next_offset);
        return rc;
    }
    if (log_segment_seal(old) != 0)
        SK_WARN("segment_seal_failed", "dir=%s base=%lld", l->dir, (long long)old->base_offset);
    l->dir_dirty = true;
    SK_DEBUG("segment_rolled", "dir=%s base=%lld", l->dir, (long long)s->base_offset);
    return 0;
}

static int open_dirs(struct plog *l)
{
    bool created = false;
    if (mkdir(l->dir, 0755) == 0)
        created = true;
    else if (errno != EEXIST)
        return errno == ENOSPC ? SK_ENOSPACE : SK_EIO;
    char *copy = sk_strdup(l->dir);
    if (!copy)
        return SK_ENOMEM;
    l->parent_fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    sk_free(copy);
    l->dir_fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (l->parent_fd < 0 || l->dir_fd < 0)
        return SK_EIO;
    /* The new directory's own entry becomes durable with the first sync. */
    l->parent_dirty = created;
    return 0;
}

int plog_open(const char *dir, const struct log_config *cfg, bool clean_shutdown, int64_t now_ms,
              struct plog **out)
{
    int rc = log_config_check(cfg);
    if (rc)
        return rc;
    struct plog *l = sk_calloc(1, sizeof(*l));
    if (!l)
        return SK_ENOMEM;
    l->dir_fd = l->parent_fd = -1;
    l->cfg = *cfg;
    pthread_mutex_init(&l->ckpt_lock, NULL);
    l->dir = sk_strdup(dir);
    if (!l->dir) {
        rc = SK_ENOMEM;
        goto fail;
    }
    for (size_t n = strlen(l->dir); n > 1 && l->dir[n - 1] == '/'; n--)
        l->dir[n - 1] = '\0';
    rc = open_dirs(l);
    if (rc)
        goto fail;
    rc = log_load_segments(l, clean_shutdown, now_ms);
    if (rc)
        goto fail;
    *out = l;
    return 0;
fail:
    SK_WARN("log_open_failed", "dir=%s err=%s", dir, sk_strerror(rc));
    /* Close without syncing or unlinking anything: the data stays for a retry. */
    for (size_t i = 0; i < l->nsegs; i++)
        log_segment_close(l->segs[i]);
    l->nsegs = 0;
    plog_close(l);
    return rc;
}

/* Shutdown path: makes every dirty file durable, blocking. */
static int sync_all(struct plog *l)
{
    int rc = 0;
    if (l->nsegs == 0 || l->dir_fd < 0)
        return 0;
    for (size_t i = 0; i < l->nsegs; i++) {
        struct log_segment *s = l->segs[i];
        if (s->log_dirty && log_fdatasync(s->log_fd))
            rc = SK_EIO;
        if ((s->index_dirty || i == l->nsegs - 1) &&
            (log_fdatasync(s->index_fd) || log_fdatasync(s->time_fd)))
            rc = SK_EIO;
        s->log_dirty = s->index_dirty = false;
    }
    if (l->dir_fd >= 0 && log_fsync(l->dir_fd))
        rc = SK_EIO;
    if (l->parent_dirty && log_fsync(l->parent_fd))
        rc = SK_EIO;
    l->dir_dirty = l->parent_dirty = false;
    if (rc == 0) {
        l->recovery_point = plog_active(l)->base_offset;
        rc = log_meta_write(l->dir_fd, l->recovery_point, l->start_offset);
    }
    if (rc == 0) {
        char *text;
        size_t len;
        rc = log_epoch_serialize(&l->epochs, &text, &len);
        if (rc == 0) {
            rc = log_write_file_atomic(l->dir_fd, LOG_EPOCH_FILE, text, len);
            sk_free(text);
        }
    }
    if (rc == 0) {
        l->meta_dirty = l->epoch_dirty = false;
        l->synced_offset = plog_end_offset(l);
    }
    return rc;
}

int plog_sync_now(struct plog *l)
{
    assert(!l->sync_in_flight);
    int rc = sync_all(l);
    if (rc)
        l->sync_error = rc;
    return rc;
}

int plog_set_config(struct plog *l, const struct log_config *cfg)
{
    int rc = log_config_check(cfg);
    if (rc == 0)
        l->cfg = *cfg;
    return rc;
}

void plog_close(struct plog *l)
{
    if (!l)
        return;
    assert(!l->sync_in_flight);
    int rc = sync_all(l);
    if (rc)
        SK_ERROR("log_close_sync_failed", "dir=%s err=%s", l->dir, sk_strerror(rc));
    for (size_t i = 0; i < l->nsegs; i++)
        log_segment_close(l->segs[i]);
    sk_free(l->segs);
    log_epoch_free(&l->epochs);
    if (l->dir_fd >= 0)
        close(l->dir_fd);
    if (l->parent_fd >= 0)
        close(l->parent_fd);
    pthread_mutex_destroy(&l->ckpt_lock);
    sk_free(l->dir);
    sk_free(l);
}

int64_t plog_start_offset(const struct plog *l)
{
    return l->start_offset;
}
int64_t plog_end_offset(const struct plog *l)
{
    return plog_active(l)->next_offset;
}
int64_t plog_synced_offset(const struct plog *l)
{
    return l->synced_offset;
}
int64_t plog_unflushed_messages(const struct plog *l)
{
    return plog_end_offset(l) - l->synced_offset;
}
int plog_segment_count(const struct plog *l)
{
    return (int)l->nsegs;
}
const char *plog_dir(const struct plog *l)
{
    return l->dir;
}
int plog_sync_error(const struct plog *l)
{
    return l->sync_error;
}
int32_t plog_latest_epoch(const struct plog *l)
{
    return log_epoch_latest(&l->epochs);
}

int64_t plog_size_bytes(const struct plog *l)
{
    int64_t n = 0;
    for (size_t i = 0; i < l->nsegs; i++)
        n += l->segs[i]->size_bytes;
    return n;
}

void plog_set_sync_cb(struct plog *l, void (*cb)(void *arg, struct plog *l), void *arg)
{
    l->sync_cb = cb;
    l->sync_arg = arg;
}

int plog_epoch_end_offset(struct plog *l, int32_t epoch, int32_t *epoch_out, int64_t *end_offset_out)
{
    log_epoch_end_offset(&l->epochs, epoch, plog_end_offset(l), epoch_out, end_offset_out);
    return 0;
}
