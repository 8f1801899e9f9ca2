/* The storage driver's entry log: one append-only file of CRC-checked
 * records (format in storage.h), scanned and repaired on open. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/crc32c.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "raft/storage_int.h"

struct rec {
    uint32_t len;
    uint64_t index;
    uint64_t term;
    uint8_t type;
};

/* Reads and checks the record at `off`; payload goes to *buf (grown as
 * needed).  Any damage is SK_ECORRUPT or SK_ETRUNC: the tail starts here. */
static int read_rec(int fd, uint64_t off, uint64_t size, struct rec *r, uint8_t **buf, size_t *cap)
{
    uint8_t h[RAFT_REC_HEADER_BYTES];
    if (size - off < RAFT_REC_HEADER_BYTES)
        return SK_ETRUNC;
    int rc = raft_st_pread_all(fd, h, sizeof(h), off);
    if (rc != SK_OK)
        return rc;
    r->len = sk_be32(h);
    /* The length is checked against the limit and the bytes present before
     * anything is allocated for it. */
    if (r->len > SK_RAFT_ENTRY_BYTES_MAX)
        return SK_ECORRUPT;
    if (size - off - RAFT_REC_HEADER_BYTES < r->len)
        return SK_ETRUNC;
    if (r->len > *cap) {
        uint8_t *p = sk_realloc(*buf, r->len);
        if (!p)
            return SK_ENOMEM;
        *buf = p;
        *cap = r->len;
    }
    rc = raft_st_pread_all(fd, *buf, r->len, off + RAFT_REC_HEADER_BYTES);
    if (rc != SK_OK)
        return rc;
    uint32_t crc = sk_crc32c(sk_crc32c(0, h + 8, 17), *buf, r->len);
    if (crc != sk_be32(h + 4))
        return SK_ECORRUPT;
    r->index = sk_be64(h + 8);
    r->term = sk_be64(h + 16);
    r->type = h[24];
    if (r->type > RAFT_ENTRY_CONFIG || r->index == 0 || r->term == 0)
        return SK_ECORRUPT;
    return SK_OK;
}

static bool follows(const struct raft_storage *st, const struct rec *r)
{
    if (st->n == 0)
        return true;
    return r->index == st->first_index + st->n && r->term >= st->terms[st->n - 1];
}

static int scan(struct raft_storage *st, uint64_t size, uint64_t *end)
{
    uint8_t *buf = NULL;
    size_t cap = 0;
    uint64_t off = 0;
    int rc = SK_OK;
    st->n = 0;
    for (;;) {
        struct rec r;
        int e = read_rec(st->log_fd, off, size, &r, &buf, &cap);
        if (e == SK_ENOMEM || e == SK_EIO) {
            rc = e;
            break;
        }
        if (e != SK_OK || !follows(st, &r))
            break;
        if ((rc = raft_st_grow(st)) != SK_OK)
            break;
        if (st->n == 0)
            st->first_index = r.index;
        st->offsets[st->n] = off;
        st->terms[st->n] = r.term;
        st->n++;
        off += RAFT_REC_HEADER_BYTES + r.len;
    }
    sk_free(buf);
    *end = off;
    return rc;
}

int raft_st_log_load(struct raft_storage *st, uint64_t *truncated_bytes)
{
    char path[PATH_MAX];
    raft_st_path(st, "log", path, sizeof(path));
    st->log_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (st->log_fd < 0)
        return SK_EIO;
    struct stat sb;
    if (fstat(st->log_fd, &sb) != 0)
        return SK_EIO;
    uint64_t end = 0;
    int rc = scan(st, (uint64_t)sb.st_size, &end);
    if (rc != SK_OK)
        return rc;
    if ((rc = raft_st_grow(st)) != SK_OK)
        return rc;
    st->offsets[st->n] = end;
    *truncated_bytes = (uint64_t)sb.st_size - end;
    if (end < (uint64_t)sb.st_size) {
        SK_WARN("raft_log_tail_truncated", "dir=%s valid_bytes=%llu dropped_bytes=%llu", st->dir,
                (unsigned long long)end, (unsigned long long)((uint64_t)sb.st_size - end));
        if (ftruncate(st->log_fd, (off_t)end) != 0 || fsync(st->log_fd) != 0)
            return SK_EIO;
    }
    return SK_OK;
}

static void put_rec(struct sk_writer *w, const struct raft_entry *e)
{
    uint8_t h[RAFT_REC_HEADER_BYTES];
    sk_put_be32(h, e->len);
    sk_put_be64(h + 8, e->index);
    sk_put_be64(h + 16, e->term);
    h[24] = e->type;
    sk_put_be32(h + 4, sk_crc32c(sk_crc32c(0, h + 8, 17), e->data, e->len));
    sk_write_raw(w, h, sizeof(h));
    sk_write_raw(w, e->data, e->len);
}

int raft_storage_append(struct raft_storage *st, const struct raft_entry *e, size_t n)
{
    if (n == 0)
        return SK_OK;
    uint64_t first = e[0].index;
    if (st->n > 0 && (first < st->first_index || first > st->first_index + st->n))
        return first < st->first_index ? SK_ERANGE : SK_EINVAL;
    if (st->n > 0 && first < st->first_index + st->n) {
        /* Overwriting a conflicting suffix: drop it first. */
        st->n = (size_t)(first - st->first_index);
        if (ftruncate(st->log_fd, (off_t)st->offsets[st->n]) != 0)
            return SK_EIO;
    }
    if (st->n == 0)
        st->first_index = first;
    struct sk_writer w;
    sk_writer_init(&w);
    int rc = SK_OK;
    uint64_t off = st->offsets[st->n];
    for (size_t i = 0; i < n && rc == SK_OK; i++) {
        if (e[i].index != first + i || e[i].len > SK_RAFT_ENTRY_BYTES_MAX) {
            rc = SK_EINVAL;
            break;
        }
        if ((rc = raft_st_grow(st)) != SK_OK)
            break;
        st->offsets[st->n] = off + w.len;
        st->terms[st->n] = e[i].term;
        put_rec(&w, &e[i]);
        st->n++;
    }
    st->offsets[st->n] = off + w.len;
    if (rc == SK_OK && w.err)
        rc = SK_ENOMEM;
    if (rc == SK_OK && pwrite(st->log_fd, w.p, w.len, (off_t)off) != (ssize_t)w.len)
        rc = SK_EIO;
    sk_writer_free(&w);
    return rc;
}

int raft_storage_sync(struct raft_storage *st) { return fdatasync(st->log_fd) == 0 ? SK_OK : SK_EIO; }

static int copy_records(struct raft_storage *st, int fd, size_t from)
{
    uint8_t *buf = NULL;
    int rc = SK_OK;
    for (size_t i = from; i < st->n && rc == SK_OK; i++) {
        uint64_t len = st->offsets[i + 1] - st->offsets[i];
        uint8_t *p = sk_realloc(buf, len);
        if (!p) {
            rc = SK_ENOMEM;
            break;
        }
        buf = p;
        rc = raft_st_pread_all(st->log_fd, buf, len, st->offsets[i]);
        if (rc == SK_OK)
            rc = raft_st_write_all(fd, buf, len);
    }
    sk_free(buf);
    return rc;
}

int raft_st_log_rewrite(struct raft_storage *st, uint64_t after)
{
    size_t from = st->n;
    if (after != UINT64_MAX && st->n > 0 && after >= st->first_index - 1)
        from = after - (st->first_index - 1) < st->n ? (size_t)(after - (st->first_index - 1)) : st->n;
    else if (after != UINT64_MAX && st->n > 0)
        from = 0;
    char tmp[PATH_MAX], dst[PATH_MAX];
    raft_st_path(st, "log.tmp", tmp, sizeof(tmp));
    raft_st_path(st, "log", dst, sizeof(dst));
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return SK_EIO;
    int rc = copy_records(st, fd, from);
    if (rc == SK_OK && fsync(fd) != 0)
        rc = SK_EIO;
    if (rc == SK_OK && rename(tmp, dst) != 0)
        rc = SK_EIO;
    if (rc == SK_OK)
        rc = raft_st_fsync_dir(st->dir);
    if (rc != SK_OK) {
        close(fd);
        return rc;
    }
    close(st->log_fd);
    st->log_fd = fd;
    uint64_t base = st->offsets[from];
    for (size_t i = from; i <= st->n; i++) {
        st->offsets[i - from] = st->offsets[i] - base;
        if (i < st->n)
            st->terms[i - from] = st->terms[i];
    }
    st->first_index += from;
    st->n -= from;
    return SK_OK;
}

int raft_st_log_read_from(struct raft_storage *st, uint64_t after)
{
    size_t from = after >= st->first_index ? (size_t)(after - st->first_index + 1) : 0;
    if (st->n <= from)
        return SK_OK;
    size_t count = st->n - from;
    st->restore_ents = sk_calloc(count, sizeof(*st->restore_ents));
    if (!st->restore_ents)
        return SK_ENOMEM;
    uint8_t *buf = NULL;
    size_t cap = 0;
    int rc = SK_OK;
    for (size_t i = 0; i < count && rc == SK_OK; i++) {
        struct rec r;
        rc = read_rec(st->log_fd, st->offsets[from + i], st->offsets[st->n], &r, &buf, &cap);
        if (rc != SK_OK)
            break;
        struct raft_entry *e = &st->restore_ents[i];
        e->index = r.index;
        e->term = r.term;
        e->type = r.type;
        e->len = r.len;
        if (r.len > 0) {
            e->data = sk_malloc(r.len);
            if (!e->data) {
                rc = SK_ENOMEM;
                break;
            }
            memcpy(e->data, buf, r.len);
        }
        st->restore_n = i + 1;
    }
    sk_free(buf);
    return rc;
}
