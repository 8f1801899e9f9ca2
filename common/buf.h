/* Bounds-checked big-endian reader and growable writer.
 *
 * The reader has a sticky error (librdkafka's rd_kafka_buf_read_* idea): once a
 * read runs past the end, every later read returns zero and `err` stays set, so a
 * decoder checks once at the end instead of after every field.  Pointers handed
 * out by the reader are borrowed from the underlying bytes. */
#ifndef SK_BUF_H
#define SK_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sk_reader {
    const uint8_t *p; /* borrowed */
    size_t len;
    size_t off;
    int err; /* 0 or a negative SK_E* code; sticky */
};

/* A borrowed (pointer, length) view; ptr is NULL when the value is null. */
struct sk_slice {
    const uint8_t *ptr;
    int32_t len; /* -1 for null */
};

void sk_reader_init(struct sk_reader *r, const void *p, size_t len);
static inline size_t sk_reader_left(const struct sk_reader *r) { return r->err ? 0 : r->len - r->off; }
/* Marks the reader failed with `err` unless it already failed. */
void sk_reader_fail(struct sk_reader *r, int err);

int8_t sk_read_i8(struct sk_reader *r);
int16_t sk_read_i16(struct sk_reader *r);
int32_t sk_read_i32(struct sk_reader *r);
int64_t sk_read_i64(struct sk_reader *r);
uint32_t sk_read_u32(struct sk_reader *r);
bool sk_read_bool(struct sk_reader *r);
/* Borrow n raw bytes; NULL (and error) if fewer remain. */
const uint8_t *sk_read_raw(struct sk_reader *r, size_t n);
void sk_read_skip(struct sk_reader *r, size_t n);
/* Kafka STRING / NULLABLE_STRING (int16 length, -1 = null). A null where
 * `nullable` is false is an error (SK_ECORRUPT). */
struct sk_slice sk_read_str(struct sk_reader *r, bool nullable);
/* Kafka BYTES / NULLABLE_BYTES (int32 length, -1 = null). */
struct sk_slice sk_read_bytes(struct sk_reader *r, bool nullable);
/* Kafka ARRAY count.  Returns -1 for a null array (only if nullable), else the
 * count, having checked count * elem_min_bytes <= bytes left and count <= max.
 * On violation sets SK_ELIMIT / SK_ETRUNC and returns 0. */
int32_t sk_read_array_len(struct sk_reader *r, size_t elem_min_bytes, int32_t max, bool nullable);
/* Zigzag varint / varlong (Kafka record fields); > 5 / > 10 bytes is corrupt. */
int32_t sk_read_varint(struct sk_reader *r);
int64_t sk_read_varlong(struct sk_reader *r);
/* Unsigned (non-zigzag) varint, as in flexible versions' compact lengths. */
uint32_t sk_read_uvarint(struct sk_reader *r);

/* Growable output buffer.  All writes are infallible from the caller's view:
 * an allocation failure sets `err` and later writes do nothing. */
struct sk_writer {
    uint8_t *p; /* owned; freed by sk_writer_free */
    size_t len;
    size_t cap;
    int err;
};

void sk_writer_init(struct sk_writer *w);
void sk_writer_free(struct sk_writer *w);
void sk_writer_reset(struct sk_writer *w);
/* Ensure room for n more bytes; returns a pointer to them (not yet counted). */
uint8_t *sk_writer_reserve(struct sk_writer *w, size_t n);
/* Transfer ownership of the bytes to the caller; the writer is reinitialised. */
uint8_t *sk_writer_take(struct sk_writer *w, size_t *len_out);

void sk_write_i8(struct sk_writer *w, int8_t v);
void sk_write_i16(struct sk_writer *w, int16_t v);
void sk_write_i32(struct sk_writer *w, int32_t v);
void sk_write_i64(struct sk_writer *w, int64_t v);
void sk_write_u32(struct sk_writer *w, uint32_t v);
void sk_write_bool(struct sk_writer *w, bool v);
void sk_write_raw(struct sk_writer *w, const void *p, size_t n);
/* STRING: s may be NULL only for a nullable field (written as length -1). */
void sk_write_str(struct sk_writer *w, const char *s, size_t n);
void sk_write_cstr(struct sk_writer *w, const char *s); /* NULL -> null */
void sk_write_slice_str(struct sk_writer *w, struct sk_slice s);
void sk_write_bytes(struct sk_writer *w, const void *p, int32_t n); /* n=-1 -> null */
void sk_write_varint(struct sk_writer *w, int32_t v);
void sk_write_varlong(struct sk_writer *w, int64_t v);
void sk_write_uvarint(struct sk_writer *w, uint32_t v);
/* Overwrite an int32 at an earlier position (length back-patching). */
void sk_writer_patch_i32(struct sk_writer *w, size_t pos, int32_t v);

/* Raw big-endian helpers for fixed positions. */
static inline uint16_t sk_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t sk_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t sk_be64(const uint8_t *p) { return ((uint64_t)sk_be32(p) << 32) | sk_be32(p + 4); }
static inline void sk_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void sk_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void sk_put_be64(uint8_t *p, uint64_t v)
{
    sk_put_be32(p, (uint32_t)(v >> 32));
    sk_put_be32(p + 4, (uint32_t)v);
}

#endif
