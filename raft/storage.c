/* Raft storage driver: hard state, snapshot and log files (see storage.h). */
#include "raft/storage.h"
#include "raft/storage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#define HS_MAGIC 0x534b4853u   /* "SKHS" */
#define SNAP_MAGIC 0x534b5332u /* "SKS2" */
#define HS_BYTES 24            /* magic, term, vote, crc */
#define SNAP_HEADER_BYTES 32   /* magic, index, term, data len, members len, crc */



int raft_st_write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return SK_EIO;
        b += w;
        n -= (size_t)w;
    }
    return SK_OK;
}

int raft_st_pread_all(int fd, void *p, size_t n, uint64_t off)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = pread(fd, b, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return SK_ETRUNC;
        b += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return SK_OK;
}

int raft_st_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return SK_EIO;
    int rc = fsync(fd) == 0 ? SK_OK : SK_EIO;
    close(fd);
    return rc;
}

void raft_st_path(const struct raft_storage *st, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", st->dir, name);
}

/* Writes `name` atomically: temp file, fsync, rename, fsync the directory. */
static int replace_file(struct raft_storage *st, const char *name, const void *a, size_t alen, const void *b,
                        size_t blen)
{
    char tmp[PATH_MAX], dst[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s/%s.tmp", st->dir, name);
    raft_st_path(st, name, dst, sizeof(dst));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return SK_EIO;
    int rc = raft_st_write_all(fd, a, alen);
    if (rc == SK_OK && blen > 0)
        rc = raft_st_write_all(fd, b, blen);
    if (rc == SK_OK && fsync(fd) != 0)
        rc = SK_EIO;
    close(fd);
    if (rc == SK_OK && rename(tmp, dst) != 0)
        rc = SK_EIO;
    if (rc == SK_OK)
        rc = raft_st_fsync_dir(st->dir);
    return rc;
}

int raft_storage_save_hard_state(struct raft_storage *st, const struct raft_hard_state *hs)
{
    uint8_t b[HS_BYTES];
    sk_put_be32(b, HS_MAGIC);
    sk_put_be64(b + 4, hs->term);
    sk_put_be64(b + 12, hs->vote);
    sk_put_be32(b + 20, sk_crc32c(0, b, 20));
    return replace_file(st, "hardstate", b, sizeof(b), NULL, 0);
}

/* Reads a whole small file; SK_ENOENT if it does not exist. */
static int read_small(struct raft_storage *st, const char *name, size_t max, uint8_t **out, size_t *len)
{
    char path[PATH_MAX];
    raft_st_path(st, name, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SK_ENOENT : SK_EIO;
    struct stat sb;
    int rc = SK_OK;
    uint8_t *buf = NULL;
    if (fstat(fd, &sb) != 0 || sb.st_size < 0) {
        rc = SK_EIO;
        goto done;
    }
    if ((uint64_t)sb.st_size > max) {
        rc = SK_ECORRUPT;
        goto done;
    }
    buf = sk_malloc((size_t)sb.st_size + 1);
    if (!buf) {
        rc = SK_ENOMEM;
        goto done;
    }
    rc = raft_st_pread_all(fd, buf, (size_t)sb.st_size, 0);
    if (rc != SK_OK) {
        sk_free(buf);
        buf = NULL;
    }
    *len = (size_t)sb.st_size;
done:
    close(fd);
    *out = buf;
    return rc;
}

static int load_hard_state(struct raft_storage *st, struct raft_hard_state *hs)
{
    uint8_t *b = NULL;
    size_t len = 0;
    memset(hs, 0, sizeof(*hs));
    int rc = read_small(st, "hardstate", HS_BYTES, &b, &len);
    if (rc == SK_ENOENT)
        return SK_OK;
    if (rc != SK_OK)
        return rc;
    if (len != HS_BYTES || sk_be32(b) != HS_MAGIC || sk_be32(b + 20) != sk_crc32c(0, b, 20)) {
        rc = SK_ECORRUPT;
    } else {
        hs->term = sk_be64(b + 4);
        hs->vote = sk_be64(b + 12);
    }
    sk_free(b);
    return rc;
}

static int load_snapshot(struct raft_storage *st)
{
    uint8_t *b = NULL;
    size_t len = 0;
    int rc = read_small(st, "snapshot", SNAP_HEADER_BYTES + RAFT_MEMBERS_BYTES_MAX + SK_RAFT_SNAPSHOT_BYTES_MAX, &b,
                        &len);
    if (rc == SK_ENOENT)
        return SK_OK;
    if (rc != SK_OK)
        return rc;
    uint64_t data_len = len >= SNAP_HEADER_BYTES ? sk_be32(b + 20) : 0;
    uint64_t mem_len = len >= SNAP_HEADER_BYTES ? sk_be32(b + 24) : 0;
    /* Both lengths are checked against the bytes present before use. */
    if (len < SNAP_HEADER_BYTES || sk_be32(b) != SNAP_MAGIC || mem_len > RAFT_MEMBERS_BYTES_MAX ||
        data_len + mem_len != len - SNAP_HEADER_BYTES ||
        sk_be32(b + 28) != sk_crc32c(sk_crc32c(0, b, 28), b + SNAP_HEADER_BYTES, mem_len + data_len) ||
        raft_members_decode(b + SNAP_HEADER_BYTES, mem_len, &st->snap.members) != SK_OK) {
        sk_free(b);
        return SK_ECORRUPT;
    }
    st->snap.index = sk_be64(b + 4);
    st->snap.term = sk_be64(b + 12);
    st->snap.len = data_len;
    memmove(b, b + SNAP_HEADER_BYTES + mem_len, data_len);
    st->snap_data = b;
    st->snap.data = b;
    return SK_OK;
}

int raft_st_grow(struct raft_storage *st)
{
    if (st->n + 1 < st->cap)
        return SK_OK;
    size_t cap = st->cap ? st->cap * 2 : 256;
    uint64_t *o = sk_realloc(st->offsets, cap * sizeof(*o));
    if (!o)
        return SK_ENOMEM;
    st->offsets = o;
    uint64_t *t = sk_realloc(st->terms, cap * sizeof(*t));
    if (!t)
        return SK_ENOMEM;
    st->terms = t;
    st->cap = cap;
    return SK_OK;
}

uint64_t raft_storage_last_index(const struct raft_storage *st)
{
    return st->n ? st->first_index + st->n - 1 : st->snap.index;
}


int raft_storage_save_snapshot(struct raft_storage *st, const struct raft_snapshot *s)
{
    if (s->len > SK_RAFT_SNAPSHOT_BYTES_MAX || s->index == 0)
        return SK_EINVAL;
    if (raft_members_validate(&s->members) != SK_OK)
        return SK_EINVAL;
    /* body = encoded member list, then the image */
    uint8_t *body = sk_malloc(RAFT_MEMBERS_BYTES_MAX + s->len);
    uint8_t *copy = sk_malloc(s->len ? s->len : 1);
    int rc = SK_ENOMEM;
    if (!body || !copy)
        goto fail;
    size_t mem_len = raft_members_encode(&s->members, body);
    if (s->len) {
        memcpy(body + mem_len, s->data, s->len);
        memcpy(copy, s->data, s->len);
    }
    uint8_t h[SNAP_HEADER_BYTES];
    sk_put_be32(h, SNAP_MAGIC);
    sk_put_be64(h + 4, s->index);
    sk_put_be64(h + 12, s->term);
    sk_put_be32(h + 20, (uint32_t)s->len);
    sk_put_be32(h + 24, (uint32_t)mem_len);
    sk_put_be32(h + 28, sk_crc32c(sk_crc32c(0, h, 28), body, mem_len + s->len));
    rc = replace_file(st, "snapshot", h, sizeof(h), body, mem_len + s->len);
    if (rc != SK_OK)
        goto fail;
    sk_free(body);
    sk_free(st->snap_data);
    st->snap_data = copy;
    st->snap = *s;
    st->snap.data = copy;
    /* Keep the entries after the snapshot only if the log agrees with it at
     * its index; a snapshot received from a leader replaces the whole log. */
    uint64_t after = UINT64_MAX;
    if (st->n > 0 && s->index >= st->first_index && s->index < st->first_index + st->n &&
        st->terms[s->index - st->first_index] == s->term)
        after = s->index;
    return raft_st_log_rewrite(st, after);
fail:
    sk_free(body);
    sk_free(copy);
    return rc;
}

/* After a crash between writing a snapshot and rewriting the log, the log may
 * still hold entries the snapshot covers, or a tail that does not follow it. */
static int reconcile(struct raft_storage *st)
{
    if (st->snap.index == 0 || st->n == 0)
        return SK_OK;
    uint64_t last = st->first_index + st->n - 1;
    uint64_t s = st->snap.index;
    if (st->first_index == s + 1)
        return st->terms[0] >= st->snap.term ? SK_OK : raft_st_log_rewrite(st, UINT64_MAX);
    if (st->first_index > s + 1 || s > last)
        return raft_st_log_rewrite(st, UINT64_MAX);
    bool agrees = st->terms[s - st->first_index] == st->snap.term;
    return raft_st_log_rewrite(st, agrees ? s : UINT64_MAX);
}

int raft_storage_open(const char *dir, struct raft_storage **out, struct raft_restore *restore,
                      uint64_t *truncated_bytes)
{
    if (strlen(dir) + 16 >= sizeof(((struct raft_storage *)0)->dir))
        return SK_EINVAL;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return SK_EIO;
    struct raft_storage *st = sk_calloc(1, sizeof(*st));
    if (!st)
        return SK_ENOMEM;
    snprintf(st->dir, sizeof(st->dir), "%s", dir);
    st->log_fd = -1;
    memset(restore, 0, sizeof(*restore));
    uint64_t cut = 0;
    int rc = load_hard_state(st, &restore->hs);
    if (rc == SK_OK)
        rc = load_snapshot(st);
    if (rc == SK_OK)
        rc = raft_st_log_load(st, &cut);
    if (rc == SK_OK)
        rc = reconcile(st);
    if (rc == SK_OK)
        rc = raft_st_log_read_from(st, st->snap.index);
    if (rc != SK_OK)
        goto fail;
    restore->snapshot = st->snap;
    restore->entries = st->restore_ents;
    restore->n_entries = st->restore_n;
    if (truncated_bytes)
        *truncated_bytes = cut;
    *out = st;
    return SK_OK;
fail:
    raft_storage_close(st);
    return rc;
}

void raft_storage_restore_done(struct raft_storage *st)
{
    for (size_t i = 0; i < st->restore_n; i++)
        sk_free(st->restore_ents[i].data);
    sk_free(st->restore_ents);
    st->restore_ents = NULL;
    st->restore_n = 0;
}

void raft_storage_close(struct raft_storage *st)
{
    if (!st)
        return;
    raft_storage_restore_done(st);
    if (st->log_fd >= 0)
        close(st->log_fd);
    sk_free(st->offsets);
    sk_free(st->terms);
    sk_free(st->snap_data);
    sk_free(st);
}
