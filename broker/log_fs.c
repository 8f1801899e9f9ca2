/* File-system helpers for the partition log: whole reads and writes, syncs,
 * atomic small-file replacement and segment file names. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sk_err.h"
#include "log_internal.h"

static int errno_to_sk(int e)
{
    if (e == ENOSPC || e == EDQUOT)
        return SK_ENOSPACE;
    if (e == ENOENT)
        return SK_ENOENT;
    if (e == ENOMEM)
        return SK_ENOMEM;
    return SK_EIO;
}

int log_pwrite_all(int fd, const void *p, size_t n, off_t pos)
{
    const uint8_t *c = p;
    while (n > 0) {
        ssize_t w = pwrite(fd, c, n, pos);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno_to_sk(errno);
        }
        if (w == 0)
            return SK_EIO;
        c += w;
        n -= (size_t)w;
        pos += w;
    }
    return 0;
}

int log_pread_all(int fd, void *p, size_t n, off_t pos)
{
    uint8_t *c = p;
    while (n > 0) {
        ssize_t r = pread(fd, c, n, pos);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return SK_EIO;
        }
        if (r == 0)
            return SK_ETRUNC;
        c += r;
        n -= (size_t)r;
        pos += r;
    }
    return 0;
}

int log_fdatasync(int fd)
{
    while (fdatasync(fd) != 0) {
        if (errno != EINTR)
            return SK_EIO;
    }
    return 0;
}

int log_fsync(int fd)
{
    while (fsync(fd) != 0) {
        if (errno != EINTR)
            return SK_EIO;
    }
    return 0;
}

int log_write_file_atomic(int dir_fd, const char *name, const void *p, size_t n)
{
    char tmp[256];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp))
        return SK_EINVAL;
    int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno_to_sk(errno);
    int rc = log_pwrite_all(fd, p, n, 0);
    if (rc == 0)
        rc = log_fsync(fd);
    if (close(fd) != 0 && rc == 0)
        rc = SK_EIO;
    if (rc == 0 && renameat(dir_fd, tmp, dir_fd, name) != 0)
        rc = errno_to_sk(errno);
    if (rc == 0)
        rc = log_fsync(dir_fd);
    if (rc != 0)
        unlinkat(dir_fd, tmp, 0);
    return rc;
}

int log_read_small_file(int dir_fd, const char *name, char *buf, size_t cap, size_t *len_out)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SK_ENOENT : SK_EIO;
    size_t len = 0;
    int rc = 0;
    for (;;) {
        if (len == cap - 1) {
            char extra;
            ssize_t r = read(fd, &extra, 1);
            rc = r == 0 ? 0 : SK_ELIMIT;
            break;
        }
        ssize_t r = read(fd, buf + len, cap - 1 - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = SK_EIO;
            break;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    *len_out = len;
    return rc;
}

void log_segment_name(char out[LOG_SEG_NAME_MAX], int64_t base_offset, const char *suffix)
{
    snprintf(out, LOG_SEG_NAME_MAX, "%020" PRId64 "%s", base_offset, suffix);
}

bool log_parse_segment_name(const char *name, const char *suffix, int64_t *base_offset)
{
    size_t n = strlen(name), sl = strlen(suffix);
    if (n != 20 + sl || strcmp(name + 20, suffix) != 0)
        return false;
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        if (v > (INT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (name[i] - '0');
    }
    if (v > LOG_OFFSET_MAX)
        return false;
    *base_offset = v;
    return true;
}
