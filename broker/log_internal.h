/* Internals of the partition log shared by broker/log*.c and broker/flusher.c.
 * Nothing outside the storage engine includes this. */
#ifndef SK_LOG_INTERNAL_H
#define SK_LOG_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "batch.h"
#include "log.h"

#define LOG_SUFFIX_LOG ".log"
#define LOG_SUFFIX_INDEX ".index"
#define LOG_SUFFIX_TIMEINDEX ".timeindex"
#define LOG_EPOCH_FILE "leader-epoch-checkpoint"
#define LOG_META_FILE "recovery-point-checkpoint"
/* Offsets above this are refused from disk and peers: it leaves room for
 * base + delta arithmetic without overflow, and no log gets near it. */
#define LOG_OFFSET_MAX (INT64_MAX / 2)
/* 20 digits + the longest suffix + NUL. */
#define LOG_SEG_NAME_MAX 40

#define LOG_INDEX_ENTRY_BYTES 8
#define LOG_TIME_ENTRY_BYTES 12

/* --- file helpers (log_fs.c) ------------------------------------------------- */

/* Writes all n bytes at `pos`; SK_ENOSPACE on ENOSPC/EDQUOT, SK_EIO otherwise. */
int log_pwrite_all(int fd, const void *p, size_t n, off_t pos);
/* Reads exactly n bytes at pos; SK_ETRUNC if the file ends first, SK_EIO. */
int log_pread_all(int fd, void *p, size_t n, off_t pos);
/* fdatasync/fsync that retries EINTR; SK_EIO on failure. */
int log_fdatasync(int fd);
int log_fsync(int fd);
/* Replaces dir/name with p[0..n) atomically: name.tmp, fsync, rename, fsync dir. */
int log_write_file_atomic(int dir_fd, const char *name, const void *p, size_t n);
/* Reads a small file (at most cap - 1 bytes, NUL-terminated) relative to dir_fd.
 * SK_ENOENT if missing, SK_ELIMIT if larger than cap - 1. */
int log_read_small_file(int dir_fd, const char *name, char *buf, size_t cap, size_t *len_out);
void log_segment_name(char out[LOG_SEG_NAME_MAX], int64_t base_offset, const char *suffix);
/* Parses "<20 digits><suffix>"; false for anything else. */
bool log_parse_segment_name(const char *name, const char *suffix, int64_t *base_offset);

/* --- sparse indexes (log_index.c) --------------------------------------------- */

struct log_index_entry {
    uint32_t rel_offset;
    uint32_t position;
};

struct log_time_entry {
    int64_t timestamp_ms;
    uint32_t rel_offset;
};

/* In-memory copy of one segment's .index and .timeindex; the files are
 * append-only mirrors of these arrays. */
struct log_index {
    struct log_index_entry *off; /* owned */
    size_t off_n, off_cap;
    struct log_time_entry *time; /* owned */
    size_t time_n, time_cap;
};

void log_index_free(struct log_index *ix);
void log_index_clear(struct log_index *ix);
bool log_index_full(const struct log_index *ix);
/* Appends an entry in memory and to fd (write at the end).  Entries must be
 * increasing (asserted: the caller derives them from its own state). */
int log_index_add_offset(struct log_index *ix, int fd, uint32_t rel_offset, uint32_t position);
int log_index_add_time(struct log_index *ix, int fd, int64_t timestamp_ms, uint32_t rel_offset);
/* The entry with the largest rel_offset <= rel; (0, 0) when none. */
struct log_index_entry log_index_lookup(const struct log_index *ix, uint32_t rel);
/* rel_offset of the entry with the largest timestamp < ts_ms; false if none. */
bool log_index_lookup_time(const struct log_index *ix, int64_t ts_ms, uint32_t *rel_out);
/* Loads both files; false (index cleared) if either is malformed: size not a
 * multiple of the entry size, entries not increasing, positions at or past
 * log_size, or more than SK_INDEX_BYTES_MAX. */
bool log_index_load(struct log_index *ix, int off_fd, int time_fd, int64_t log_size);
/* Rewrites both files from memory (truncate, write). */
int log_index_rewrite(const struct log_index *ix, int off_fd, int time_fd);
/* Drops entries at or past rel / position and rewrites the files. */
int log_index_truncate(struct log_index *ix, int off_fd, int time_fd, uint32_t rel, uint32_t position);

/* --- segments (log_segment.c) -------------------------------------------------- */

struct log_segment {
    int64_t base_offset;
    int64_t next_offset; /* one past the last offset stored here */
    int64_t size_bytes;  /* bytes of whole batches in the .log file */
    int log_fd, index_fd, time_fd;
    struct log_index ix;
    int64_t bytes_since_index;
    int64_t max_timestamp_ms; /* largest batch max timestamp; -1 when empty */
    int64_t roll_ref_ms;      /* roll-by-time reference: first append time */
    bool log_dirty;           /* appended/truncated since the last sync snapshot */
    bool index_dirty;         /* sealed or rebuilt: index files need one sync */
    bool sealed;              /* no longer the active segment */
    bool index_missing;       /* an index file did not exist at open */
};

/* Creates the three files (truncating leftovers) for a new empty segment. */
int log_segment_create(int dir_fd, int64_t base_offset, struct log_segment **out);
/* Opens an existing segment's files (index files created if missing); sizes
 * and indexes are filled in by the caller (load or recovery). */
int log_segment_open(int dir_fd, int64_t base_offset, struct log_segment **out);
void log_segment_close(struct log_segment *s);
/* Unlinks the segment's files relative to dir_fd (missing files ignored). */
int log_segment_unlink(int dir_fd, int64_t base_offset);
/* Reads and checks the header of the batch at pos against the segment size:
 * SK_ETRUNC when fewer than 61 bytes remain, SK_ECORRUPT when the header is
 * bad or the batch runs past size_limit or SK_BATCH_BYTES_MAX. */
int log_segment_read_header(const struct log_segment *s, int64_t pos, int64_t size_limit,
                            struct batch_hdr *h);
/* Records index entries for one batch appended at `pos`. */
int log_segment_index_batch(struct log_segment *s, const struct batch_hdr *h, int64_t pos,
                            int32_t interval_bytes);
/* Final time-index entry and "needs index sync" mark when a segment stops being
 * the active one (Kafka's onBecomeInactiveSegment). */
int log_segment_seal(struct log_segment *s);
/* Cuts the segment at batch position `pos`, first removed offset `offset`. */
int log_segment_truncate(struct log_segment *s, int64_t pos, int64_t offset);
/* Position of the batch containing `offset` (which must lie in the segment) and
 * that batch's header, scanning forward from the index.  SK_ENOENT if the
 * segment holds no batch at or after `offset`. */
int log_segment_find(const struct log_segment *s, int64_t offset, int64_t *pos_out, struct batch_hdr *h);

/* --- leader-epoch cache (log_epoch.c) ------------------------------------------ */

struct log_epoch_entry {
    int32_t epoch;
    int64_t start_offset;
};

struct log_epoch_cache {
    struct log_epoch_entry *e; /* owned, increasing in both fields */
    size_t n, cap;
};

void log_epoch_free(struct log_epoch_cache *c);
/* Records that `epoch` starts at `offset` if it is newer than the latest;
 * returns 1 if the cache changed, 0 if not, SK_ENOMEM. */
int log_epoch_assign(struct log_epoch_cache *c, int32_t epoch, int64_t offset);
int32_t log_epoch_latest(const struct log_epoch_cache *c);
/* Drops entries starting at or after offset. Returns true if any dropped. */
bool log_epoch_truncate_end(struct log_epoch_cache *c, int64_t offset);
/* Retention: entries wholly before offset are dropped, the first kept entry
 * is moved up to offset.  Returns true if changed. */
bool log_epoch_truncate_start(struct log_epoch_cache *c, int64_t offset);
void log_epoch_end_offset(const struct log_epoch_cache *c, int32_t epoch, int64_t leo, int32_t *epoch_out,
                          int64_t *end_out);
/* Kafka's text format: "0\n<count>\n<epoch> <offset>\n...".  Allocates *out
 * (sk_free). */
int log_epoch_serialize(const struct log_epoch_cache *c, char **out, size_t *len_out);
/* Parses the checkpoint; SK_ECORRUPT on any malformed line (the caller then
 * re-derives the cache). */
int log_epoch_parse(struct log_epoch_cache *c, const char *text, size_t len);

/* --- the log ------------------------------------------------------------------- */

struct plog {
    char *dir; /* owned */
    int dir_fd;
    int parent_fd;
    struct log_config cfg;
    struct log_segment **segs; /* owned, sorted by base offset; last = active */
    size_t nsegs, segs_cap;
    int64_t start_offset;
    int64_t recovery_point; /* segments below this are synced (data and index) */
    int64_t synced_offset;
    struct log_epoch_cache epochs;

    /* Durability bookkeeping (loop thread). */
    bool dir_dirty;    /* files created/removed since the last sync snapshot */
    bool parent_dirty; /* the partition directory itself is new */
    bool meta_dirty;   /* recovery point / start offset changed */
    bool epoch_dirty;  /* epoch cache changed */
    bool sync_in_flight;
    bool sync_pending;
    int sync_error;
    uint64_t trunc_gen; /* bumped by truncations below the recovery point */
    void (*sync_cb)(void *arg, struct plog *l);
    void *sync_arg;

    /* Serialises checkpoint writes between the flusher and plog_truncate;
     * ckpt_gen (guarded) tells the flusher its snapshot went stale. */
    pthread_mutex_t ckpt_lock;
    uint64_t ckpt_gen;
};

static inline struct log_segment *plog_active(const struct plog *l)
{
    return l->segs[l->nsegs - 1];
}

/* Index of the segment holding `offset` (the last with base <= offset). */
size_t plog_segment_for(const struct plog *l, int64_t offset);
/* Appends a new empty active segment at the LEO (sealing the current one). */
int plog_roll(struct plog *l, int64_t now_ms);
/* Removes segs[i..] from memory and disk. */
void plog_drop_segments_from(struct plog *l, size_t i);
/* Removes segs[0..n) (retention). */
void plog_drop_oldest(struct plog *l, size_t n);
int plog_segs_push(struct plog *l, struct log_segment *s);

/* Recovery-point checkpoint (log_meta.c). */
int log_meta_write(int dir_fd, int64_t recovery_point, int64_t start_offset);
int log_meta_read(int dir_fd, int64_t *recovery_point, int64_t *start_offset);

/* Removes directory `name` under parent_fd and every file in it (log_retention.c). */
int log_remove_dir(int parent_fd, const char *name);

/* Recovery (log_recovery.c): loads segments of an opened directory. */
int log_load_segments(struct plog *l, bool clean_shutdown, int64_t now_ms);

/* --- sync jobs (log_sync.c; run by broker/flusher.c) ----------------------------- */

struct log_sync_job {
    struct plog *log;       /* borrowed: the log outlives the job (flusher_drain) */
    int64_t target_offset;  /* LEO when the snapshot was taken */
    int64_t recovery_point; /* persisted after the data syncs */
    int64_t start_offset;
    uint64_t gen;
    int *fds; /* owned dups: fdatasync each, then close */
    size_t nfds;
    int dir_fd;      /* owned dup or -1: fsync after the files */
    int parent_fd;   /* owned dup or -1 */
    int meta_dir_fd; /* owned dup or -1: where checkpoints are written */
    bool write_meta;
    char *epoch_text; /* owned or NULL */
    size_t epoch_len;
    int err;
    struct log_sync_job *next;
};

/* Loop thread: snapshots what must be synced for everything appended so far.
 * *out NULL when nothing is dirty.  Marks l->sync_in_flight when a job is made. */
int log_sync_job_make(struct plog *l, struct log_sync_job **out);
/* Flusher thread: performs the syncs and checkpoint writes; counts fdatasync /
 * fsync calls into *syncs. */
void log_sync_job_run(struct log_sync_job *job, uint64_t *syncs);
/* Loop thread: applies the outcome to the log (synced offset, callback) and
 * frees the job. Returns true if the log asked for another sync meanwhile. */
bool log_sync_job_finish(struct log_sync_job *job);
void log_sync_job_free(struct log_sync_job *job);

#endif
