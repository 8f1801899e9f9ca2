/* Partition log: one replica's append-only sequence of Kafka RecordBatch v2
 * batches, kept in segment files under <log.dirs>/<topic>-<partition>/.
 * On-disk format, recovery and durability rules: docs/storage.md.
 *
 * Threading: every plog_* function runs on the event-loop thread that owns the
 * log.  None of them calls fsync/fdatasync except where a comment says so
 * (plog_open creating state, plog_close, plog_delete, and plog_truncate below
 * the recovery point); durability comes from the flusher (broker/flusher.h),
 * which syncs duplicated file descriptors on its own thread.
 *
 * Ownership: a struct plog is owned by whoever opened it and is freed by
 * plog_close or plog_delete.  Buffers passed in are borrowed for the duration
 * of the call unless a comment says otherwise. */
#ifndef SK_PLOG_H
#define SK_PLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sk_writer;

struct log_config {
    int64_t segment_bytes;   /* log.segment.bytes: roll when the active segment would exceed it */
    int64_t segment_ms;      /* log.roll.ms: roll when the active segment is older (by first append time) */
    int64_t retention_ms;    /* -1 = forever: delete segments whose largest timestamp is older */
    int64_t retention_bytes; /* -1 = unlimited: delete oldest segments while total size exceeds */
    int32_t index_interval_bytes; /* log.index.interval.bytes */
};

/* Kafka's defaults (log.segment.bytes 1 GiB, log.roll.ms 7 days, retention
 * 7 days / unlimited bytes, index interval 4 KiB). */
void log_config_default(struct log_config *cfg);
/* SK_ECONFIG unless every field is in range (segment_bytes within
 * [SK_SEGMENT_BYTES_MIN, SK_SEGMENT_BYTES_MAX], segment_ms > 0, retention
 * values -1 or >= 0, index interval > 0). */
int log_config_check(const struct log_config *cfg);

/* Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET. */
#define LOG_EPOCH_UNDEFINED (-1)
#define LOG_OFFSET_UNDEFINED (-1)

/* One partition replica's log: <dir> = <log.dirs>/<topic>-<partition>/. */
struct plog;

/* Opens (creating if missing; the parent directory entry is made durable by
 * the first flusher sync) the log in `dir` (borrowed; copied).  `cfg` is
 * copied.  With !clean_shutdown, recovers: every segment at or after the
 * persisted recovery point (and always the last segment) is re-read batch by
 * batch (batch_validate: framing + CRC), a torn or corrupt tail is truncated
 * (and later segments removed), .index/.timeindex are rebuilt and the
 * leader-epoch cache is re-derived from the surviving batches.  On a clean
 * open, index files are loaded and checked; any inconsistency found falls
 * back to recovery from that segment on.  *out is owned by the caller
 * (plog_close / plog_delete).  Blocking: reads the whole recovered region;
 * writes/fsyncs only when recovery had to truncate.  Loop thread or startup. */
int plog_open(const char *dir, const struct log_config *cfg, bool clean_shutdown, int64_t now_ms,
              struct plog **out);

/* Syncs every file of the log (blocking fdatasync/fsync: shutdown path),
 * persists the recovery-point checkpoint and the leader-epoch checkpoint,
 * closes the files and frees l.  The caller ensures no flush is in flight
 * (flusher_drain first).  Loop thread.  NULL is a no-op. */
void plog_close(struct plog *l);

/* Blocking: syncs every dirty file and directory of the log and writes its
 * checkpoints now, on the calling thread (shutdown path; the flusher is the
 * normal route).  No flush may be in flight.  Returns 0 or SK_EIO. */
int plog_sync_now(struct plog *l);

/* Applies new settings (topic config change); SK_ECONFIG leaves the old ones.
 * Takes effect at the next append / plog_maintain.  cfg copied. */
int plog_set_config(struct plog *l, const struct log_config *cfg);

/* Accessors; loop thread; l borrowed. */
int64_t plog_start_offset(const struct plog *l);       /* log start offset */
int64_t plog_end_offset(const struct plog *l);         /* LEO: next offset to assign */
int64_t plog_synced_offset(const struct plog *l);      /* every offset below this is fsynced */
int64_t plog_unflushed_messages(const struct plog *l); /* LEO - synced offset */
int64_t plog_size_bytes(const struct plog *l);         /* sum of segment file sizes */
int plog_segment_count(const struct plog *l);
const char *plog_dir(const struct plog *l); /* borrowed, valid until close */
/* The last error a background sync reported (0 if none).  A log whose sync
 * failed keeps its synced offset where it was; the broker should treat the
 * log directory as failed (Kafka halts on such errors). */
int plog_sync_error(const struct plog *l);

/* Leader append.  `batches` (mutable, borrowed) holds one or more
 * concatenated RecordBatch v2 already validated by the caller; their
 * baseOffset and partitionLeaderEpoch are rewritten in place.  The bytes go to
 * the active segment with one write(2) (rolling first if the segment would
 * exceed segment_bytes, is older than segment_ms, or its index is full), the
 * sparse indexes are updated and, when leader_epoch is newer than the cache's
 * latest, the epoch cache gets (leader_epoch, first offset).  Never fsyncs.
 * Returns SK_ESTATE if leader_epoch is older than the latest epoch,
 * SK_EINVAL if the buffer's framing is not whole batches, SK_EIO/SK_ENOSPACE
 * on a write failure (nothing is then appended). */
int plog_append(struct plog *l, uint8_t *batches, size_t len, int32_t leader_epoch, int64_t now_ms,
                int64_t *first_offset, int64_t *last_offset);

/* Follower append: offsets were assigned by the leader.  Every batch is
 * validated (batch_validate); the first batch's base offset must equal the LEO
 * (else SK_ERANGE) and each next batch must start after the previous one
 * (else SK_ECORRUPT); epochs come from the batches (an epoch lower than the
 * cache's latest is SK_ECORRUPT).  `batches` borrowed. */
int plog_append_replica(struct plog *l, const uint8_t *batches, size_t len, int64_t now_ms);

/* Removes every record >= offset (follower divergence, KIP-101).  Truncates
 * at a batch boundary: a batch containing `offset` goes whole.  Also
 * truncates the epoch cache.  offset >= LEO is a no-op; offset below the log
 * start removes everything and restarts the log at `offset`.  Blocking: when
 * the cut lands below the recovery point, the lowered recovery point is
 * persisted (one fsync) before any file changes, so an unclean restart
 * re-validates what was rewritten. */
int plog_truncate(struct plog *l, int64_t offset);

/* Empties the log and restarts it at `offset`, which may lie past the log
 * end: a follower whose leader has already deleted everything it lacks
 * starts over at the leader's log start (plog_truncate would do nothing
 * there).  Blocking like plog_truncate. */
int plog_reset(struct plog *l, int64_t offset);

/* Appends to `out` whole batches starting with the batch containing `offset`,
 * only batches whose last offset < upto_offset (the high watermark), stopping
 * before max_bytes would be exceeded — but always at least one whole batch if
 * any is eligible (KIP-74).  Finds the position with the offset index, then
 * pread.  Every batch is CRC-checked (batch_check_crc) before it is appended:
 * a corrupt batch returns SK_ECORRUPT (nothing of it served; `out` may hold
 * earlier good batches, the caller should discard it).  offset < start or
 * > LEO: SK_ERANGE.  offset == LEO: 0 with nothing appended. */
int plog_read(struct plog *l, int64_t offset, int64_t upto_offset, size_t max_bytes, struct sk_writer *out);

/* ListOffsets by timestamp: the first offset whose record timestamp >= ts_ms
 * and that record's timestamp.  Uses the .timeindex, then batch max
 * timestamps, then record timestamps inside uncompressed batches; for a
 * compressed batch its base offset and max timestamp.  SK_ENOENT if none. */
int plog_offset_for_timestamp(struct plog *l, int64_t ts_ms, int64_t *offset_out, int64_t *timestamp_out);

/* KIP-101/279 OffsetsForLeaderEpoch: the largest epoch <= `epoch` known to the
 * cache and the start offset of the next epoch (or the LEO if it is the
 * latest).  When `epoch` is older than every cached epoch, or the cache is
 * empty: LOG_EPOCH_UNDEFINED / LOG_OFFSET_UNDEFINED.  Returns 0. */
int plog_epoch_end_offset(struct plog *l, int32_t epoch, int32_t *epoch_out, int64_t *end_offset_out);
/* The latest epoch in the cache, LOG_EPOCH_UNDEFINED if none. */
int32_t plog_latest_epoch(const struct plog *l);

/* Periodic task: rolls the active segment if it is older than segment_ms (and
 * not empty), then deletes whole oldest segments (never the active one) whose
 * largest timestamp is older than retention_ms, or while the total size
 * exceeds retention_bytes.  Advances the log start offset; the new value is
 * persisted by the next flusher sync (and by plog_close), and on reopen the
 * start is never below the first remaining segment anyway.  Returns the
 * number of deleted segments in *segments_deleted (may be NULL). */
int plog_maintain(struct plog *l, int64_t now_ms, int *segments_deleted);
/* True when plog_maintain changed something a flusher sync should persist
 * (directory entries, checkpoint). */
bool plog_needs_sync(const struct plog *l);

/* Deletes the partition (topic deletion): renames <dir> to
 * <dir>.<unique>-delete, fsyncs the parent, removes the files and the
 * directory, fsyncs the parent again, frees l.  Blocking.  Caller ensures no
 * flush is in flight.  On error l is still freed and leftover
 * "-delete" directories are removed by logmgr_open. */
int plog_delete(struct plog *l);

/* Callback run on the loop thread each time plog_synced_offset advances (from
 * the flusher's completion event).  arg borrowed. */
void plog_set_sync_cb(struct plog *l, void (*cb)(void *arg, struct plog *l), void *arg);

#endif
