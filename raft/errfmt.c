/* A tiny formatter for the core's error messages (see errfmt.h). */
#include "raft/errfmt.h"

#include <stdarg.h>
#include <stdint.h>

struct out {
    char *p;
    size_t len;
    size_t off;
};

static void put(struct out *o, char c)
{
    if (o->off + 1 < o->len)
        o->p[o->off++] = c;
}

static void put_u64(struct out *o, uint64_t v)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0)
        put(o, digits[--n]);
}

void raft_errf(char *buf, size_t len, const char *fmt, ...)
{
    if (!buf || len == 0)
        return;
    struct out o = {buf, len, 0};
    va_list ap;
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++) {
        if (f[0] == '%' && f[1] == 'u') {
            put_u64(&o, va_arg(ap, uint64_t));
            f++;
        } else if (f[0] == '%' && f[1] == 's') {
            for (const char *s = va_arg(ap, const char *); *s; s++)
                put(&o, *s);
            f++;
        } else {
            put(&o, *f);
        }
    }
    va_end(ap);
    buf[o.off] = '\0';
}
