/* The flusher: group commit for partition logs on its own thread.
 *
 * The loop thread calls flusher_request after appending; the flusher thread
 * takes every queued request at once, fdatasyncs each dirty file once
 * (duplicated descriptors, see broker/log_sync.c), fsyncs directories that
 * gained or lost files, writes the checkpoints, and posts one completion
 * event to the loop, where each log's synced offset advances and its sync
 * callback (plog_set_sync_cb) runs.  The loop never waits on the disk except
 * in flusher_drain.
 *
 * Requires evthread_use_pthreads() before `base` is created: the flusher
 * thread activates an event of the base. */
#ifndef SK_FLUSHER_H
#define SK_FLUSHER_H

#include <stdint.h>

struct event_base;
struct plog;
struct flusher;

/* Starts the thread.  `base` borrowed, must outlive the flusher.  NULL on
 * allocation or thread failure.  Loop thread. */
struct flusher *flusher_create(struct event_base *base);

/* Loop thread: make everything appended to l so far durable.  Coalesces: a log
 * with a sync in flight is synced again after it, once, however many requests
 * arrive meanwhile.  A log with nothing dirty is skipped.  l borrowed: it must
 * stay open until its sync completes (flusher_drain before plog_close /
 * plog_delete). */
void flusher_request(struct flusher *f, struct plog *l);

/* Loop thread: blocks until no sync is queued or in flight, running the
 * completions (and the follow-up syncs they ask for) itself. */
void flusher_drain(struct flusher *f);

/* Drains, stops and joins the thread, frees f.  Loop thread.  NULL: no-op. */
void flusher_destroy(struct flusher *f);

/* Counters for tests and metrics (any thread): fdatasync/fsync calls made,
 * groups processed (one per wakeup of the flusher thread), requests made. */
uint64_t flusher_sync_count(const struct flusher *f);
uint64_t flusher_group_count(const struct flusher *f);
uint64_t flusher_request_count(const struct flusher *f);

#endif
