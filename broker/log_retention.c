/* Time-based rolling, retention (log.retention.ms / log.retention.bytes) and
 * deletion of a whole partition log. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "log_internal.h"

/* The segment's largest record timestamp or, when its batches carry none
 * (NO_TIMESTAMP from old clients), the file's modification time (Kafka's
 * rule). */
static int64_t segment_age_ref_ms(const struct log_segment *s)
{
    if (s->max_timestamp_ms >= 0)
        return s->max_timestamp_ms;
    struct stat st;
    if (fstat(s->log_fd, &st) != 0)
        return INT64_MAX; /* unknown: keep it */
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

/* How many of the oldest segments retention removes; never the active one. */
static size_t retention_count(const struct plog *l, int64_t now_ms)
{
    size_t drop = 0;
    if (l->cfg.retention_ms >= 0) {
        while (drop + 1 < l->nsegs && now_ms - segment_age_ref_ms(l->segs[drop]) > l->cfg.retention_ms)
            drop++;
    }
    if (l->cfg.retention_bytes >= 0) {
        int64_t left = plog_size_bytes(l);
        for (size_t i = 0; i < drop; i++)
            left -= l->segs[i]->size_bytes;
        /* Kafka's rule: drop a segment only if what remains still meets the cap. */
        while (drop + 1 < l->nsegs && left - l->segs[drop]->size_bytes >= l->cfg.retention_bytes) {
            left -= l->segs[drop]->size_bytes;
            drop++;
        }
    }
    return drop;
}

int plog_maintain(struct plog *l, int64_t now_ms, int *segments_deleted)
{
    if (segments_deleted)
        *segments_deleted = 0;
    struct log_segment *a = plog_active(l);
    if (a->size_bytes > 0 && a->roll_ref_ms >= 0 && now_ms - a->roll_ref_ms >= l->cfg.segment_ms) {
        int rc = plog_roll(l, now_ms);
        if (rc)
            return rc;
    }
    size_t drop = retention_count(l, now_ms);
    if (drop == 0)
        return 0;
    int64_t new_start = l->segs[drop]->base_offset;
    plog_drop_oldest(l, drop);
    if (new_start > l->start_offset)
        l->start_offset = new_start;
    if (l->recovery_point < l->start_offset)
        l->recovery_point = l->start_offset;
    if (log_epoch_truncate_start(&l->epochs, l->start_offset))
        l->epoch_dirty = true;
    l->meta_dirty = true;
    SK_INFO("log_retention", "dir=%s segments_deleted=%zu start=%lld", l->dir, drop,
            (long long)l->start_offset);
    if (segments_deleted)
        *segments_deleted = (int)drop;
    return 0;
}

bool plog_needs_sync(const struct plog *l)
{
    return l->dir_dirty || l->meta_dirty || l->epoch_dirty || l->parent_dirty ||
           l->synced_offset < plog_end_offset(l);
}

/* Removes every file in the directory, then the directory. */
static int remove_tree(int parent_fd, const char *name)
{
    int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : SK_EIO;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return SK_EIO;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) != 0 && errno != ENOENT)
            rc = SK_EIO;
    }
    closedir(d);
    if (unlinkat(parent_fd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = SK_EIO;
    return rc;
}

int log_remove_dir(int parent_fd, const char *name)
{
    return remove_tree(parent_fd, name);
}

int plog_delete(struct plog *l)
{
    assert(!l->sync_in_flight);
    for (size_t i = 0; i < l->nsegs; i++)
        log_segment_close(l->segs[i]);
    l->nsegs = 0;
    const char *base = strrchr(l->dir, '/');
    base = base ? base + 1 : l->dir;
    char doomed[512];
    int rc = 0;
    if (snprintf(doomed, sizeof(doomed), "%s.%" PRIx64 "-delete", base, (uint64_t)sk_mono_us()) >=
        (int)sizeof(doomed)) {
        rc = SK_EINVAL;
        goto out;
    }
    /* The rename is the commit point: once durable, a restart finishes the
     * removal instead of loading a half-deleted partition. */
    if (renameat(l->parent_fd, base, l->parent_fd, doomed) != 0) {
        rc = SK_EIO;
        goto out;
    }
    rc = log_fsync(l->parent_fd);
    if (rc == 0)
        rc = remove_tree(l->parent_fd, doomed);
    if (rc == 0)
        rc = log_fsync(l->parent_fd);
out:
    if (rc)
        SK_ERROR("log_delete_failed", "dir=%s err=%s", l->dir, sk_strerror(rc));
    else
        SK_INFO("log_deleted", "dir=%s", l->dir);
    close(l->dir_fd);
    l->dir_fd = -1; /* plog_close then only frees */
    plog_close(l);
    return rc;
}
