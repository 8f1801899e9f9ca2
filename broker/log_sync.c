/* Background sync jobs for one partition log.  The loop thread snapshots what
 * is dirty (duplicating the file descriptors, so a roll, retention or
 * truncation may close and unlink the originals meanwhile); the flusher
 * thread syncs the duplicates, then writes the checkpoints that depend on
 * them; the loop thread applies the result.  Ordering that makes this safe:
 * segment data and index files are synced before the directory, and both
 * before the recovery-point checkpoint that claims them synced. */
#include <unistd.h>

#include "common/alloc.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "log_internal.h"

void log_sync_job_free(struct log_sync_job *job)
{
    if (!job)
        return;
    for (size_t i = 0; i < job->nfds; i++)
        if (job->fds[i] >= 0)
            close(job->fds[i]);
    if (job->dir_fd >= 0)
        close(job->dir_fd);
    if (job->parent_fd >= 0)
        close(job->parent_fd);
    if (job->meta_dir_fd >= 0)
        close(job->meta_dir_fd);
    sk_free(job->fds);
    sk_free(job->epoch_text);
    sk_free(job);
}

static void mark_all_dirty(struct plog *l)
{
    for (size_t i = 0; i < l->nsegs; i++) {
        l->segs[i]->log_dirty = true;
        l->segs[i]->index_dirty = l->segs[i]->sealed;
    }
    l->dir_dirty = true;
    l->meta_dirty = true;
    l->epoch_dirty = true;
}

static bool anything_dirty(const struct plog *l)
{
    if (l->dir_dirty || l->parent_dirty || l->meta_dirty || l->epoch_dirty)
        return true;
    if (l->synced_offset < plog_end_offset(l))
        return true;
    for (size_t i = 0; i < l->nsegs; i++)
        if (l->segs[i]->log_dirty || l->segs[i]->index_dirty)
            return true;
    return false;
}

static int dup_into(struct log_sync_job *job, int fd)
{
    int d = dup(fd);
    if (d < 0)
        return SK_EIO;
    job->fds[job->nfds++] = d;
    return 0;
}

/* Duplicates every descriptor the job needs; the dirty marks move to it. */
static int collect(struct plog *l, struct log_sync_job *job)
{
    for (size_t i = 0; i < l->nsegs; i++) {
        struct log_segment *s = l->segs[i];
        if (s->log_dirty && dup_into(job, s->log_fd))
            return SK_EIO;
        if (s->index_dirty && (dup_into(job, s->index_fd) || dup_into(job, s->time_fd)))
            return SK_EIO;
    }
    if (l->dir_dirty && (job->dir_fd = dup(l->dir_fd)) < 0)
        return SK_EIO;
    if (l->parent_dirty && (job->parent_fd = dup(l->parent_fd)) < 0)
        return SK_EIO;
    job->recovery_point = plog_active(l)->base_offset;
    job->write_meta = l->meta_dirty || job->recovery_point != l->recovery_point;
    if (l->epoch_dirty && log_epoch_serialize(&l->epochs, &job->epoch_text, &job->epoch_len) != 0)
        return SK_ENOMEM;
    if ((job->write_meta || job->epoch_text) && (job->meta_dir_fd = dup(l->dir_fd)) < 0)
        return SK_EIO;
    for (size_t i = 0; i < l->nsegs; i++)
        l->segs[i]->log_dirty = l->segs[i]->index_dirty = false;
    l->dir_dirty = l->parent_dirty = l->meta_dirty = l->epoch_dirty = false;
    return 0;
}

int log_sync_job_make(struct plog *l, struct log_sync_job **out)
{
    *out = NULL;
    if (l->sync_in_flight) {
        l->sync_pending = true;
        return 0;
    }
    if (!anything_dirty(l))
        return 0;
    struct log_sync_job *job = sk_calloc(1, sizeof(*job));
    if (!job)
        return SK_ENOMEM;
    job->dir_fd = job->parent_fd = job->meta_dir_fd = -1;
    job->fds = sk_calloc(l->nsegs * 3 + 1, sizeof(int));
    if (!job->fds) {
        sk_free(job);
        return SK_ENOMEM;
    }
    job->log = l;
    job->target_offset = plog_end_offset(l);
    job->start_offset = l->start_offset;
    job->gen = l->ckpt_gen;
    int rc = collect(l, job);
    if (rc) {
        log_sync_job_free(job);
        mark_all_dirty(l);
        return rc;
    }
    l->sync_in_flight = true;
    *out = job;
    return 0;
}

void log_sync_job_run(struct log_sync_job *job, uint64_t *syncs)
{
    int rc = 0;
    /* The duplicates are closed here, not on the loop: the last close of a
     * segment that retention already unlinked frees its blocks. */
    for (size_t i = 0; i < job->nfds; i++) {
        (*syncs)++;
        if (log_fdatasync(job->fds[i]) != 0)
            rc = SK_EIO;
        close(job->fds[i]);
        job->fds[i] = -1;
    }
    if (job->dir_fd >= 0) {
        (*syncs)++;
        if (log_fsync(job->dir_fd) != 0)
            rc = SK_EIO;
        close(job->dir_fd);
        job->dir_fd = -1;
    }
    if (job->parent_fd >= 0) {
        (*syncs)++;
        if (log_fsync(job->parent_fd) != 0)
            rc = SK_EIO;
        close(job->parent_fd);
        job->parent_fd = -1;
    }
    if (rc == 0 && job->meta_dir_fd >= 0) {
        struct plog *l = job->log;
        pthread_mutex_lock(&l->ckpt_lock);
        /* A truncation since the snapshot makes its recovery point stale. */
        if (job->gen == l->ckpt_gen) {
            if (job->write_meta)
                rc = log_meta_write(job->meta_dir_fd, job->recovery_point, job->start_offset);
            if (rc == 0 && job->epoch_text)
                rc = log_write_file_atomic(job->meta_dir_fd, LOG_EPOCH_FILE, job->epoch_text, job->epoch_len);
        }
        pthread_mutex_unlock(&l->ckpt_lock);
    }
    if (job->meta_dir_fd >= 0) {
        close(job->meta_dir_fd);
        job->meta_dir_fd = -1;
    }
    job->err = rc;
}

bool log_sync_job_finish(struct log_sync_job *job)
{
    struct plog *l = job->log;
    bool advanced = false;
    l->sync_in_flight = false;
    if (job->err) {
        l->sync_error = job->err;
        mark_all_dirty(l);
        SK_ERROR("log_sync_failed", "dir=%s err=%s", l->dir, sk_strerror(job->err));
    } else if (job->gen != l->ckpt_gen) {
        /* Truncated meanwhile: what was synced may no longer be the log. */
        l->meta_dirty = l->epoch_dirty = true;
        l->sync_pending = true;
    } else {
        if (job->write_meta && job->recovery_point > l->recovery_point)
            l->recovery_point = job->recovery_point;
        int64_t target = job->target_offset < plog_end_offset(l) ? job->target_offset : plog_end_offset(l);
        if (target > l->synced_offset) {
            l->synced_offset = target;
            advanced = true;
        }
    }
    bool again = l->sync_pending;
    l->sync_pending = false;
    log_sync_job_free(job);
    if (advanced && l->sync_cb)
        l->sync_cb(l->sync_arg, l);
    return again;
}
