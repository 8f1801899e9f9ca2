#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sk_err.h"

static enum sk_log_level min_level = SK_LOG_INFO;
static int node_id = -1;
static const char *const names[] = {"debug", "info", "warn", "error"};

char *sk_log_value(char *dst, size_t dst_size, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (dst_size == 0)
        return dst;
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = *p > ' ' && *p < 0x7f && *p != '"' && *p != '\\' && *p != '=';
        size_t need = plain ? 1 : 4;
        if (o + need + 4 > dst_size) { /* room for "..." and the NUL */
            if (o + 4 <= dst_size) {
                memcpy(dst + o, "...", 3);
                o += 3;
            }
            break;
        }
        if (plain) {
            dst[o++] = (char)*p;
        } else {
            dst[o++] = '\\';
            dst[o++] = 'x';
            dst[o++] = hex[*p >> 4];
            dst[o++] = hex[*p & 15];
        }
    }
    dst[o] = '\0';
    return dst;
}

void sk_log_set_level(enum sk_log_level level) { min_level = level; }
void sk_log_set_node(int id) { node_id = id; }
int sk_log_enabled(enum sk_log_level level) { return level >= min_level; }

int sk_log_parse_level(const char *s, enum sk_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum sk_log_level)i;
            return 0;
        }
    }
    return SK_EINVAL;
}

void sk_log(enum sk_log_level level, const char *event, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000),
                     names[level]);
    if (node_id >= 0 && n < (int)sizeof(line))
        n += snprintf(line + n, sizeof(line) - (size_t)n, " node=%d", node_id);
    if (n < (int)sizeof(line))
        n += snprintf(line + n, sizeof(line) - (size_t)n, " event=%s", event);
    if (fmt && fmt[0] && n < (int)sizeof(line) - 1) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        va_end(ap);
    }
    if (n >= (int)sizeof(line) - 1)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    /* One write per line so lines from threads do not interleave. */
    fwrite(line, 1, (size_t)n, stderr);
}
