/* The per-partition recovery-point checkpoint: "0\n<recovery point> <log start
 * offset>\n".  Everything below the recovery point (whole segments, data and
 * indexes) was synced, so an unclean restart re-validates only from there; the
 * log start offset survives retention across restarts. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
#include "log_internal.h"

int log_meta_write(int dir_fd, int64_t recovery_point, int64_t start_offset)
{
    char b[64];
    int n = snprintf(b, sizeof(b), "0\n%" PRId64 " %" PRId64 "\n", recovery_point, start_offset);
    return log_write_file_atomic(dir_fd, LOG_META_FILE, b, (size_t)n);
}

static bool parse_i64(const char **p, char end, int64_t *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    char *e;
    errno = 0;
    long long v = strtoll(s, &e, 10);
    if (errno != 0 || *e != end || v < 0)
        return false;
    *out = v;
    *p = e + 1;
    return true;
}

int log_meta_read(int dir_fd, int64_t *recovery_point, int64_t *start_offset)
{
    char b[64];
    size_t len;
    int rc = log_read_small_file(dir_fd, LOG_META_FILE, b, sizeof(b), &len);
    if (rc)
        return rc == SK_ELIMIT ? SK_ECORRUPT : rc;
    if (strlen(b) != len) /* embedded NUL */
        return SK_ECORRUPT;
    const char *p = b;
    int64_t version, rp, so;
    if (!parse_i64(&p, '\n', &version) || version != 0 || !parse_i64(&p, ' ', &rp) ||
        !parse_i64(&p, '\n', &so) || *p != '\0')
        return SK_ECORRUPT;
    *recovery_point = rp;
    *start_offset = so;
    return 0;
}
