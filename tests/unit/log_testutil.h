/* Helpers shared by the storage tests (tests/unit/test_log*.c, test_flusher.c). */
#ifndef SK_LOG_TESTUTIL_H
#define SK_LOG_TESTUTIL_H

#include <stdint.h>
#include <stddef.h>

#include "common/buf.h"

/* Appends one uncompressed RecordBatch v2 of n records to w: record i has
 * timestamp base_ts_ms + i * ts_step_ms and a value of value_bytes bytes.
 * baseOffset 0, epoch -1, CRC valid. */
void logt_build_batch(struct sk_writer *w, int n, int64_t base_ts_ms, int64_t ts_step_ms, size_t value_bytes);
/* Makes a fresh directory /tmp/skiff-logtest-XXXXXX; returns a static-free
 * heap string (free with logt_rmdir). */
char *logt_mkdtemp(void);
/* Removes the directory tree and frees the path. */
void logt_rmdir(char *path);
/* Joins dir and name into a heap string (free()). */
char *logt_path(const char *dir, const char *name);
int64_t logt_file_size(const char *path);
/* Counts files under dir whose name ends with suffix. */
int logt_count_files(const char *dir, const char *suffix);

#endif
