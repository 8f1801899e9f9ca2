/* Sparse offset and time indexes of one segment.  Both live in memory (binary
 * searched on reads) and are mirrored to append-only files in Kafka's entry
 * layout: .index = relative offset u32 + file position u32, .timeindex =
 * timestamp i64 + relative offset u32, all big-endian.  The files are a cache:
 * recovery rebuilds them from the .log, and loading rejects anything that is
 * not strictly increasing or points past the log. */
#include <assert.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/limits.h"
#include "common/sk_err.h"
#include "log_internal.h"

#define OFF_ENTRIES_MAX (SK_INDEX_BYTES_MAX / LOG_INDEX_ENTRY_BYTES)
#define TIME_ENTRIES_MAX (SK_INDEX_BYTES_MAX / LOG_TIME_ENTRY_BYTES)

void log_index_free(struct log_index *ix)
{
    sk_free(ix->off);
    sk_free(ix->time);
    memset(ix, 0, sizeof(*ix));
}

void log_index_clear(struct log_index *ix)
{
    ix->off_n = 0;
    ix->time_n = 0;
}

bool log_index_full(const struct log_index *ix)
{
    return ix->off_n >= OFF_ENTRIES_MAX || ix->time_n >= TIME_ENTRIES_MAX;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 64;
    while (n < need)
        n *= 2;
    void *q = sk_realloc(*p, n * elem);
    if (!q)
        return SK_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

static off_t file_end(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? st.st_size : -1;
}

int log_index_add_offset(struct log_index *ix, int fd, uint32_t rel_offset, uint32_t position)
{
    assert(ix->off_n == 0 ||
           (ix->off[ix->off_n - 1].rel_offset < rel_offset && ix->off[ix->off_n - 1].position < position));
    if (ix->off_n >= OFF_ENTRIES_MAX)
        return SK_ELIMIT;
    int rc = grow((void **)&ix->off, &ix->off_cap, ix->off_n + 1, sizeof(*ix->off));
    if (rc)
        return rc;
    uint8_t b[LOG_INDEX_ENTRY_BYTES];
    sk_put_be32(b, rel_offset);
    sk_put_be32(b + 4, position);
    rc = log_pwrite_all(fd, b, sizeof(b), (off_t)(ix->off_n * LOG_INDEX_ENTRY_BYTES));
    if (rc)
        return rc;
    ix->off[ix->off_n++] = (struct log_index_entry){rel_offset, position};
    return 0;
}

int log_index_add_time(struct log_index *ix, int fd, int64_t timestamp_ms, uint32_t rel_offset)
{
    assert(ix->time_n == 0 || (ix->time[ix->time_n - 1].timestamp_ms < timestamp_ms &&
                               ix->time[ix->time_n - 1].rel_offset <= rel_offset));
    if (ix->time_n >= TIME_ENTRIES_MAX)
        return SK_ELIMIT;
    int rc = grow((void **)&ix->time, &ix->time_cap, ix->time_n + 1, sizeof(*ix->time));
    if (rc)
        return rc;
    uint8_t b[LOG_TIME_ENTRY_BYTES];
    sk_put_be64(b, (uint64_t)timestamp_ms);
    sk_put_be32(b + 8, rel_offset);
    rc = log_pwrite_all(fd, b, sizeof(b), (off_t)(ix->time_n * LOG_TIME_ENTRY_BYTES));
    if (rc)
        return rc;
    ix->time[ix->time_n++] = (struct log_time_entry){timestamp_ms, rel_offset};
    return 0;
}

struct log_index_entry log_index_lookup(const struct log_index *ix, uint32_t rel)
{
    size_t lo = 0, hi = ix->off_n; /* first entry with rel_offset > rel */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->off[mid].rel_offset <= rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return (struct log_index_entry){0, 0};
    return ix->off[lo - 1];
}

bool log_index_lookup_time(const struct log_index *ix, int64_t ts_ms, uint32_t *rel_out)
{
    size_t lo = 0, hi = ix->time_n; /* first entry with timestamp >= ts */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->time[mid].timestamp_ms < ts_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return false;
    *rel_out = ix->time[lo - 1].rel_offset;
    return true;
}

/* Reads a whole index file of `entry` sized records, at most max entries. */
static int read_index_file(int fd, size_t entry, size_t max, uint8_t **out, size_t *n_out)
{
    off_t size = file_end(fd);
    if (size < 0)
        return SK_EIO;
    if ((size_t)size % entry != 0 || (size_t)size / entry > max)
        return SK_ECORRUPT;
    *n_out = (size_t)size / entry;
    *out = NULL;
    if (size == 0)
        return 0;
    uint8_t *b = sk_malloc((size_t)size);
    if (!b)
        return SK_ENOMEM;
    int rc = log_pread_all(fd, b, (size_t)size, 0);
    if (rc) {
        sk_free(b);
        return rc == SK_ETRUNC ? SK_ECORRUPT : rc;
    }
    *out = b;
    return 0;
}

static bool load_offsets(struct log_index *ix, int fd, int64_t log_size)
{
    uint8_t *b;
    size_t n;
    if (read_index_file(fd, LOG_INDEX_ENTRY_BYTES, OFF_ENTRIES_MAX, &b, &n))
        return false;
    bool ok = grow((void **)&ix->off, &ix->off_cap, n, sizeof(*ix->off)) == 0;
    for (size_t i = 0; ok && i < n; i++) {
        struct log_index_entry e = {sk_be32(b + i * 8), sk_be32(b + i * 8 + 4)};
        if ((int64_t)e.position >= log_size)
            ok = false;
        else if (i > 0 &&
                 (e.rel_offset <= ix->off[i - 1].rel_offset || e.position <= ix->off[i - 1].position))
            ok = false;
        else
            ix->off[i] = e;
    }
    sk_free(b);
    ix->off_n = ok ? n : 0;
    return ok;
}

static bool load_times(struct log_index *ix, int fd)
{
    uint8_t *b;
    size_t n;
    if (read_index_file(fd, LOG_TIME_ENTRY_BYTES, TIME_ENTRIES_MAX, &b, &n))
        return false;
    bool ok = grow((void **)&ix->time, &ix->time_cap, n, sizeof(*ix->time)) == 0;
    for (size_t i = 0; ok && i < n; i++) {
        struct log_time_entry e = {(int64_t)sk_be64(b + i * 12), sk_be32(b + i * 12 + 8)};
        if (i > 0 &&
            (e.timestamp_ms <= ix->time[i - 1].timestamp_ms || e.rel_offset < ix->time[i - 1].rel_offset))
            ok = false;
        else
            ix->time[i] = e;
    }
    sk_free(b);
    ix->time_n = ok ? n : 0;
    return ok;
}

bool log_index_load(struct log_index *ix, int off_fd, int time_fd, int64_t log_size)
{
    log_index_clear(ix);
    if (!load_offsets(ix, off_fd, log_size) || !load_times(ix, time_fd)) {
        log_index_clear(ix);
        return false;
    }
    return true;
}

int log_index_rewrite(const struct log_index *ix, int off_fd, int time_fd)
{
    if (ftruncate(off_fd, 0) != 0 || ftruncate(time_fd, 0) != 0)
        return SK_EIO;
    size_t ob = ix->off_n * LOG_INDEX_ENTRY_BYTES, tb = ix->time_n * LOG_TIME_ENTRY_BYTES;
    uint8_t *b = sk_malloc(ob > tb ? ob : tb);
    if (!b)
        return SK_ENOMEM;
    for (size_t i = 0; i < ix->off_n; i++) {
        sk_put_be32(b + i * 8, ix->off[i].rel_offset);
        sk_put_be32(b + i * 8 + 4, ix->off[i].position);
    }
    int rc = log_pwrite_all(off_fd, b, ob, 0);
    for (size_t i = 0; rc == 0 && i < ix->time_n; i++) {
        sk_put_be64(b + i * 12, (uint64_t)ix->time[i].timestamp_ms);
        sk_put_be32(b + i * 12 + 8, ix->time[i].rel_offset);
    }
    if (rc == 0)
        rc = log_pwrite_all(time_fd, b, tb, 0);
    sk_free(b);
    return rc;
}

int log_index_truncate(struct log_index *ix, int off_fd, int time_fd, uint32_t rel, uint32_t position)
{
    while (ix->off_n > 0 &&
           (ix->off[ix->off_n - 1].rel_offset >= rel || ix->off[ix->off_n - 1].position >= position))
        ix->off_n--;
    while (ix->time_n > 0 && ix->time[ix->time_n - 1].rel_offset >= rel)
        ix->time_n--;
    if (ftruncate(off_fd, (off_t)(ix->off_n * LOG_INDEX_ENTRY_BYTES)) != 0 ||
        ftruncate(time_fd, (off_t)(ix->time_n * LOG_TIME_ENTRY_BYTES)) != 0)
        return SK_EIO;
    return 0;
}
