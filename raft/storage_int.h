/* Internals shared by the storage driver's files (storage.c: hard state,
 * snapshot, open/close; storage_log.c: the entry log). */
#ifndef RAFT_STORAGE_INT_H
#define RAFT_STORAGE_INT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "raft/storage.h"

#define RAFT_REC_HEADER_BYTES 25 /* len u32, crc u32, index u64, term u64, type u8 */

struct raft_storage {
    char dir[PATH_MAX / 2];
    int log_fd;
    uint64_t first_index; /* index of the first record in the log file */
    size_t n;             /* records in the file */
    size_t cap;
    uint64_t *offsets; /* file offset of each record, plus the end at [n] */
    uint64_t *terms;
    struct raft_snapshot snap;
    uint8_t *snap_data;
    struct raft_entry *restore_ents;
    size_t restore_n;
};

int raft_st_write_all(int fd, const void *p, size_t n);
int raft_st_pread_all(int fd, void *p, size_t n, uint64_t off);
int raft_st_fsync_dir(const char *dir);
void raft_st_path(const struct raft_storage *st, const char *name, char *out, size_t len);
/* Room for one more record in offsets/terms. */
int raft_st_grow(struct raft_storage *st);

/* storage_log.c */
/* Opens and scans the log, truncating a torn or stale tail. */
int raft_st_log_load(struct raft_storage *st, uint64_t *truncated_bytes);
/* Rewrites the log keeping only records with index > after (atomically). */
int raft_st_log_rewrite(struct raft_storage *st, uint64_t after);
/* Copies records with index > after into restore_ents. */
int raft_st_log_read_from(struct raft_storage *st, uint64_t after);

#endif
