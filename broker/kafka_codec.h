/* Helpers shared by the Kafka codec files (kafka_codec_*.c); not for handlers,
 * which see only broker/kafka_proto.h.
 *
 * Decoders lean on the reader's sticky error: they read every field, allocate
 * arrays through kc_alloc_array (which fails the reader instead of returning
 * an error), stop looping once r->err is set, and return r->err at the end. */
#ifndef KAFKA_CODEC_H
#define KAFKA_CODEC_H

#include "broker/kafka_proto.h"
#include "common/limits.h"

/* A null string / bytes value as the decoder stores it. */
#define KC_NULL_SLICE ((struct sk_slice){NULL, -1})

/* Minimum wire sizes used to bound array counts before allocating. */
#define KC_STR_MIN 2   /* int16 length */
#define KC_BYTES_MIN 4 /* int32 length */
#define KC_ARRAY_MIN 4 /* int32 count */

/* SK_EINVAL unless (api_key, version) is inside the decoder's parse range. */
int kc_check_version(int16_t api_key, int16_t version);

/* Arena array of n elements of size bytes, or NULL for n <= 0.  On overflow,
 * out of memory or an arena above SK_DECODE_ARENA_BYTES_MAX the reader is
 * failed (SK_ENOMEM / SK_ELIMIT) and NULL returned. */
void *kc_alloc_array(struct sk_reader *r, struct sk_arena *a, int32_t n, size_t size);

/* Reads an ARRAY of int32 (count checked against limit and bytes left). */
int32_t *kc_read_i32_array(struct sk_reader *r, struct sk_arena *a, int32_t max, bool nullable,
                           int32_t *n_out);
/* Reads an ARRAY of STRING (non-nullable elements). */
struct sk_slice *kc_read_str_array(struct sk_reader *r, struct sk_arena *a, int32_t max, bool nullable,
                                   int32_t *n_out);

/* STRING: a NULL ptr is written as "" (the field cannot be null). */
void kc_put_str(struct sk_writer *w, struct sk_slice s);
/* NULLABLE_STRING: a NULL ptr is written as null. */
void kc_put_nstr(struct sk_writer *w, struct sk_slice s);
/* BYTES: a NULL ptr or negative length is written as empty bytes. */
void kc_put_bytes(struct sk_writer *w, struct sk_slice s);
/* ARRAY of int32; a NULL array with n == 0 is written as an empty array. */
void kc_put_i32_array(struct sk_writer *w, const int32_t *v, int32_t n);
/* Array count: negative counts (a caller bug) are written as 0. */
void kc_put_count(struct sk_writer *w, int32_t n);

/* Elements an encoder walks for a response array: 0 when the pointer is NULL
 * or the count negative, so a half-filled response cannot crash the encoder. */
#define KC_LEN(ptr, n) ((ptr) ? ((n) < 0 ? 0 : (n)) : 0)

#endif
