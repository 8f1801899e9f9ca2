/* The log manager: every partition log under one log directory (log.dirs).
 *
 * Layout: <log_dir>/<topic>-<partition>/ per partition (topic names may
 * contain '-': the partition is after the last one), <log_dir>/.lock (flock:
 * one process per directory), <log_dir>/.skiff_cleanshutdown (written by
 * logmgr_close after the final sync; its presence at open means no recovery
 * is needed; it is removed, durably, before anything else happens).
 *
 * Threading: loop thread only (or startup/shutdown before/after the loop).
 * The manager owns every struct plog it hands out; pointers stay valid until
 * logmgr_delete of that partition or logmgr_close. */
#ifndef SK_LOG_MANAGER_H
#define SK_LOG_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct logmgr;
struct flusher;

#define LOGMGR_LOCK_FILE ".lock"
#define LOGMGR_CLEAN_MARKER ".skiff_cleanshutdown"

/* Opens log_dir (created if missing), locks it (SK_ESTATE if another process
 * holds it), consumes the clean-shutdown marker, finishes interrupted
 * partition deletions ("*-delete" directories), and opens every partition
 * directory with `defaults` (copied; per-partition settings can be applied
 * later with plog_set_config), recovering them if the marker was absent.
 * Blocking (startup).  *out owned by the caller: logmgr_close. */
int logmgr_open(const char *log_dir, const struct log_config *defaults, int64_t now_ms, struct logmgr **out);

/* Whether the marker was present at open (the previous shutdown was clean). */
bool logmgr_was_clean(const struct logmgr *m);

/* The open log of topic/partition, NULL if none.  Borrowed. */
struct plog *logmgr_get(struct logmgr *m, const char *topic, int32_t partition);

/* Opens (creating if needed) the log of topic/partition with cfg (NULL = the
 * defaults).  If it is already open, returns it (cfg ignored).  SK_EINVAL for
 * a topic name Kafka would refuse (legal: [A-Za-z0-9._-], 1..249 chars, not
 * "." or "..") or a negative partition.  *out borrowed. */
int logmgr_create(struct logmgr *m, const char *topic, int32_t partition, const struct log_config *cfg,
                  int64_t now_ms, struct plog **out);

/* Deletes the partition's log (plog_delete: blocking).  The caller has drained
 * the flusher.  SK_ENOENT if not open. */
int logmgr_delete(struct logmgr *m, const char *topic, int32_t partition);

/* Periodic task (log.retention.check.interval.ms): plog_maintain on every log;
 * logs whose maintenance changed files or checkpoints get a flusher_request
 * when f is not NULL.  Returns the number of segments deleted. */
int logmgr_maintain(struct logmgr *m, int64_t now_ms, struct flusher *f);

/* Calls fn for every open log (unspecified order).  fn must not create or
 * delete logs. */
void logmgr_foreach(struct logmgr *m,
                    void (*fn)(void *arg, const char *topic, int32_t partition, struct plog *l), void *arg);
size_t logmgr_count(const struct logmgr *m);

/* Shutdown: closes every log (each fully synced, blocking), then writes the
 * clean-shutdown marker (fsync file and directory) if write_clean_marker and
 * every close succeeded, releases the lock and frees m.  The caller has
 * drained the flusher.  NULL: no-op. */
void logmgr_close(struct logmgr *m, bool write_clean_marker);

/* True if name is a legal Kafka topic name. */
bool logmgr_topic_valid(const char *name);

#endif
