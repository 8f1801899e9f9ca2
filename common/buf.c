#include "buf.h"

#include <string.h>

#include "alloc.h"
#include "sk_err.h"

void sk_reader_init(struct sk_reader *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->err = 0;
}

void sk_reader_fail(struct sk_reader *r, int err)
{
    if (!r->err)
        r->err = err;
}

static const uint8_t *take(struct sk_reader *r, size_t n)
{
    if (r->err)
        return NULL;
    if (n > r->len - r->off) {
        r->err = SK_ETRUNC;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

int8_t sk_read_i8(struct sk_reader *r)
{
    const uint8_t *p = take(r, 1);
    return p ? (int8_t)p[0] : 0;
}

int16_t sk_read_i16(struct sk_reader *r)
{
    const uint8_t *p = take(r, 2);
    return p ? (int16_t)sk_be16(p) : 0;
}

int32_t sk_read_i32(struct sk_reader *r)
{
    const uint8_t *p = take(r, 4);
    return p ? (int32_t)sk_be32(p) : 0;
}

uint32_t sk_read_u32(struct sk_reader *r)
{
    const uint8_t *p = take(r, 4);
    return p ? sk_be32(p) : 0;
}

int64_t sk_read_i64(struct sk_reader *r)
{
    const uint8_t *p = take(r, 8);
    return p ? (int64_t)sk_be64(p) : 0;
}

bool sk_read_bool(struct sk_reader *r) { return sk_read_i8(r) != 0; }

const uint8_t *sk_read_raw(struct sk_reader *r, size_t n) { return take(r, n); }

void sk_read_skip(struct sk_reader *r, size_t n) { (void)take(r, n); }

struct sk_slice sk_read_str(struct sk_reader *r, bool nullable)
{
    struct sk_slice s = {NULL, -1};
    int16_t n = sk_read_i16(r);
    if (r->err)
        return s;
    if (n < 0) {
        if (n != -1 || !nullable)
            sk_reader_fail(r, SK_ECORRUPT);
        return s;
    }
    s.ptr = take(r, (size_t)n);
    s.len = s.ptr ? n : -1;
    return s;
}

struct sk_slice sk_read_bytes(struct sk_reader *r, bool nullable)
{
    struct sk_slice s = {NULL, -1};
    int32_t n = sk_read_i32(r);
    if (r->err)
        return s;
    if (n < 0) {
        if (n != -1 || !nullable)
            sk_reader_fail(r, SK_ECORRUPT);
        return s;
    }
    s.ptr = take(r, (size_t)n);
    s.len = s.ptr ? n : -1;
    return s;
}

int32_t sk_read_array_len(struct sk_reader *r, size_t elem_min_bytes, int32_t max, bool nullable)
{
    int32_t n = sk_read_i32(r);
    if (r->err)
        return 0;
    if (n < 0) {
        if (n == -1 && nullable)
            return -1;
        sk_reader_fail(r, SK_ECORRUPT);
        return 0;
    }
    if (n > max) {
        sk_reader_fail(r, SK_ELIMIT);
        return 0;
    }
    if (elem_min_bytes == 0)
        elem_min_bytes = 1;
    if ((uint64_t)n * elem_min_bytes > r->len - r->off) {
        sk_reader_fail(r, SK_ETRUNC);
        return 0;
    }
    return n;
}

static uint64_t read_uvar(struct sk_reader *r, int max_bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; i++) {
        const uint8_t *p = take(r, 1);
        if (!p)
            return 0;
        v |= (uint64_t)(*p & 0x7f) << (7 * i);
        if (!(*p & 0x80))
            return v;
    }
    sk_reader_fail(r, SK_ECORRUPT);
    return 0;
}

uint32_t sk_read_uvarint(struct sk_reader *r)
{
    uint64_t v = read_uvar(r, 5);
    if (v > UINT32_MAX) {
        sk_reader_fail(r, SK_ECORRUPT);
        return 0;
    }
    return (uint32_t)v;
}

int32_t sk_read_varint(struct sk_reader *r)
{
    uint64_t u = read_uvar(r, 5);
    if (u > UINT32_MAX) {
        sk_reader_fail(r, SK_ECORRUPT);
        return 0;
    }
    uint32_t v = (uint32_t)u;
    return (int32_t)((v >> 1) ^ (~(v & 1) + 1));
}

int64_t sk_read_varlong(struct sk_reader *r)
{
    uint64_t v = read_uvar(r, 10);
    return (int64_t)((v >> 1) ^ (~(v & 1) + 1));
}

/* ---------------------------------------------------------------- writer */

void sk_writer_init(struct sk_writer *w) { memset(w, 0, sizeof(*w)); }

void sk_writer_free(struct sk_writer *w)
{
    sk_free(w->p);
    sk_writer_init(w);
}

void sk_writer_reset(struct sk_writer *w)
{
    w->len = 0;
    w->err = 0;
}

uint8_t *sk_writer_reserve(struct sk_writer *w, size_t n)
{
    if (w->err)
        return NULL;
    if (n > SIZE_MAX / 2 - w->len) {
        w->err = SK_ENOMEM;
        return NULL;
    }
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n)
            cap *= 2;
        uint8_t *p = sk_realloc(w->p, cap);
        if (!p) {
            w->err = SK_ENOMEM;
            return NULL;
        }
        w->p = p;
        w->cap = cap;
    }
    return w->p + w->len;
}

uint8_t *sk_writer_take(struct sk_writer *w, size_t *len_out)
{
    uint8_t *p = w->p;
    *len_out = w->len;
    sk_writer_init(w);
    return p;
}

void sk_write_raw(struct sk_writer *w, const void *src, size_t n)
{
    uint8_t *p = sk_writer_reserve(w, n);
    if (!p)
        return;
    if (n)
        memcpy(p, src, n);
    w->len += n;
}

void sk_write_i8(struct sk_writer *w, int8_t v) { sk_write_raw(w, &v, 1); }

void sk_write_i16(struct sk_writer *w, int16_t v)
{
    uint8_t b[2];
    sk_put_be16(b, (uint16_t)v);
    sk_write_raw(w, b, 2);
}

void sk_write_i32(struct sk_writer *w, int32_t v)
{
    uint8_t b[4];
    sk_put_be32(b, (uint32_t)v);
    sk_write_raw(w, b, 4);
}

void sk_write_u32(struct sk_writer *w, uint32_t v)
{
    uint8_t b[4];
    sk_put_be32(b, v);
    sk_write_raw(w, b, 4);
}

void sk_write_i64(struct sk_writer *w, int64_t v)
{
    uint8_t b[8];
    sk_put_be64(b, (uint64_t)v);
    sk_write_raw(w, b, 8);
}

void sk_write_bool(struct sk_writer *w, bool v) { sk_write_i8(w, v ? 1 : 0); }

void sk_write_str(struct sk_writer *w, const char *s, size_t n)
{
    if (!s) {
        sk_write_i16(w, -1);
        return;
    }
    if (n > INT16_MAX)
        n = INT16_MAX;
    sk_write_i16(w, (int16_t)n);
    sk_write_raw(w, s, n);
}

void sk_write_cstr(struct sk_writer *w, const char *s) { sk_write_str(w, s, s ? strlen(s) : 0); }

void sk_write_slice_str(struct sk_writer *w, struct sk_slice s)
{
    sk_write_str(w, s.ptr ? (const char *)s.ptr : (s.len == 0 ? "" : NULL), s.len < 0 ? 0 : (size_t)s.len);
}

void sk_write_bytes(struct sk_writer *w, const void *p, int32_t n)
{
    if (n < 0) {
        sk_write_i32(w, -1);
        return;
    }
    sk_write_i32(w, n);
    sk_write_raw(w, p, (size_t)n);
}

void sk_write_uvarint(struct sk_writer *w, uint32_t v)
{
    uint8_t b[5];
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    sk_write_raw(w, b, n);
}

void sk_write_varint(struct sk_writer *w, int32_t v)
{
    sk_write_uvarint(w, ((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

void sk_write_varlong(struct sk_writer *w, int64_t v)
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    uint8_t b[10];
    size_t n = 0;
    while (u >= 0x80) {
        b[n++] = (uint8_t)(u | 0x80);
        u >>= 7;
    }
    b[n++] = (uint8_t)u;
    sk_write_raw(w, b, n);
}

void sk_writer_patch_i32(struct sk_writer *w, size_t pos, int32_t v)
{
    if (w->err || pos + 4 > w->len)
        return;
    sk_put_be32(w->p + pos, (uint32_t)v);
}
