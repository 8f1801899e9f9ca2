/* Shared decode/encode helpers for the Kafka codec (see kafka_codec.h). */
#include "broker/kafka_codec.h"

#include "common/sk_err.h"

int kc_check_version(int16_t api_key, int16_t version)
{
    return kafka_api_supported(api_key, version) ? 0 : SK_EINVAL;
}

void *kc_alloc_array(struct sk_reader *r, struct sk_arena *a, int32_t n, size_t size)
{
    if (r->err || n <= 0)
        return NULL;
    if ((size_t)n > SK_DECODE_ARENA_BYTES_MAX / size ||
        a->total > SK_DECODE_ARENA_BYTES_MAX - (size_t)n * size) {
        sk_reader_fail(r, SK_ELIMIT);
        return NULL;
    }
    void *p = sk_arena_calloc(a, (size_t)n, size);
    if (!p)
        sk_reader_fail(r, SK_ENOMEM);
    return p;
}

int32_t *kc_read_i32_array(struct sk_reader *r, struct sk_arena *a, int32_t max, bool nullable,
                           int32_t *n_out)
{
    int32_t n = sk_read_array_len(r, 4, max, nullable);
    int32_t *v = kc_alloc_array(r, a, n, sizeof(*v));
    for (int32_t i = 0; v && i < n; i++)
        v[i] = sk_read_i32(r);
    *n_out = r->err ? 0 : n;
    return r->err ? NULL : v;
}

struct sk_slice *kc_read_str_array(struct sk_reader *r, struct sk_arena *a, int32_t max, bool nullable,
                                   int32_t *n_out)
{
    int32_t n = sk_read_array_len(r, KC_STR_MIN, max, nullable);
    struct sk_slice *v = kc_alloc_array(r, a, n, sizeof(*v));
    for (int32_t i = 0; v && i < n && !r->err; i++)
        v[i] = sk_read_str(r, false);
    *n_out = r->err ? 0 : n;
    return r->err ? NULL : v;
}

void kc_put_str(struct sk_writer *w, struct sk_slice s)
{
    if (!s.ptr || s.len <= 0)
        sk_write_str(w, "", 0);
    else
        sk_write_str(w, (const char *)s.ptr, (size_t)s.len);
}

void kc_put_nstr(struct sk_writer *w, struct sk_slice s)
{
    if (!s.ptr)
        sk_write_str(w, NULL, 0);
    else
        kc_put_str(w, s);
}

void kc_put_bytes(struct sk_writer *w, struct sk_slice s)
{
    if (!s.ptr || s.len <= 0)
        sk_write_bytes(w, "", 0);
    else
        sk_write_bytes(w, s.ptr, s.len);
}

void kc_put_count(struct sk_writer *w, int32_t n)
{
    sk_write_i32(w, n < 0 ? 0 : n);
}

void kc_put_i32_array(struct sk_writer *w, const int32_t *v, int32_t n)
{
    if (!v)
        n = 0;
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++)
        sk_write_i32(w, v[i]);
}
