/* Unit tests for common/: reader/writer, varints, CRC-32C, arena, batch header. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/batch.h"
#include "common/arena.h"
#include "common/buf.h"
#include "common/crc32c.h"
#include "common/log.h"
#include "common/sk_err.h"

START_TEST(crc32c_check_value)
{
    ck_assert_uint_eq(sk_crc32c(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(sk_crc32c_sw(0, "123456789", 9), 0xE3069283u);
    uint8_t buf[1000];
    for (int i = 0; i < 1000; i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    for (size_t n = 0; n < sizeof(buf); n += 37)
        ck_assert_uint_eq(sk_crc32c(0, buf, n), sk_crc32c_sw(0, buf, n));
    /* Incremental equals one-shot. */
    uint32_t c = sk_crc32c(0, buf, 333);
    c = sk_crc32c(c, buf + 333, 667);
    ck_assert_uint_eq(c, sk_crc32c(0, buf, 1000));
}
END_TEST

START_TEST(varint_vectors)
{
    static const struct {
        int32_t v;
        const char *hex;
    } vec[] = {{0, "00"}, {-1, "01"}, {1, "02"}, {-2, "03"}, {63, "7e"}, {-64, "7f"}, {64, "8001"}, {300, "d804"}};
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        struct sk_writer w;
        sk_writer_init(&w);
        sk_write_varint(&w, vec[i].v);
        char hex[16] = {0};
        for (size_t k = 0; k < w.len; k++)
            sprintf(hex + 2 * k, "%02x", w.p[k]);
        ck_assert_str_eq(hex, vec[i].hex);
        struct sk_reader r;
        sk_reader_init(&r, w.p, w.len);
        ck_assert_int_eq(sk_read_varint(&r), vec[i].v);
        ck_assert_int_eq(r.err, 0);
        sk_writer_free(&w);
    }
}
END_TEST

START_TEST(varint_too_long_is_corrupt)
{
    const uint8_t six[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    struct sk_reader r;
    sk_reader_init(&r, six, sizeof(six));
    sk_read_varint(&r);
    ck_assert_int_eq(r.err, SK_ECORRUPT);
    const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    sk_reader_init(&r, eleven, sizeof(eleven));
    sk_read_varlong(&r);
    ck_assert_int_eq(r.err, SK_ECORRUPT);
}
END_TEST

START_TEST(varlong_roundtrip)
{
    int64_t vals[] = {0, 1, -1, INT64_MAX, INT64_MIN, 1234567890123LL, -987654321098LL};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        struct sk_writer w;
        sk_writer_init(&w);
        sk_write_varlong(&w, vals[i]);
        struct sk_reader r;
        sk_reader_init(&r, w.p, w.len);
        ck_assert(sk_read_varlong(&r) == vals[i]);
        ck_assert_int_eq(r.err, 0);
        sk_writer_free(&w);
    }
}
END_TEST

START_TEST(reader_sticky_error)
{
    const uint8_t b[] = {0, 1, 0, 0};
    struct sk_reader r;
    sk_reader_init(&r, b, sizeof(b));
    ck_assert_int_eq(sk_read_i16(&r), 1);
    ck_assert_int_eq(sk_read_i32(&r), 0);
    ck_assert_int_eq(r.err, SK_ETRUNC);
    ck_assert_int_eq(sk_read_i8(&r), 0); /* still failed */
    ck_assert_int_eq(r.err, SK_ETRUNC);
}
END_TEST

START_TEST(reader_strings_and_arrays)
{
    /* "abc", null string, array count 1000 with 2 bytes left. */
    const uint8_t b[] = {0, 3, 'a', 'b', 'c', 0xff, 0xff, 0, 0, 0x03, 0xe8, 1, 2};
    struct sk_reader r;
    sk_reader_init(&r, b, sizeof(b));
    struct sk_slice s = sk_read_str(&r, false);
    ck_assert_int_eq(s.len, 3);
    ck_assert(memcmp(s.ptr, "abc", 3) == 0);
    s = sk_read_str(&r, true);
    ck_assert_int_eq(s.len, -1);
    ck_assert_ptr_null(s.ptr);
    ck_assert_int_eq(sk_read_array_len(&r, 4, 1 << 20, false), 0);
    ck_assert_int_eq(r.err, SK_ETRUNC);

    /* A null where not nullable is corrupt. */
    const uint8_t n[] = {0xff, 0xff};
    sk_reader_init(&r, n, sizeof(n));
    sk_read_str(&r, false);
    ck_assert_int_eq(r.err, SK_ECORRUPT);
    /* Negative byte length other than -1 is corrupt. */
    const uint8_t nb[] = {0xff, 0xff, 0xff, 0xfe};
    sk_reader_init(&r, nb, sizeof(nb));
    sk_read_bytes(&r, true);
    ck_assert_int_eq(r.err, SK_ECORRUPT);
}
END_TEST

START_TEST(arena_alloc)
{
    struct sk_arena a;
    sk_arena_init(&a);
    for (int i = 0; i < 1000; i++) {
        char *p = sk_arena_alloc(&a, (size_t)(i % 50) + 1);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(((uintptr_t)p) % 16, 0);
        ck_assert_int_eq(p[0], 0);
        memset(p, 0xab, (size_t)(i % 50) + 1);
    }
    void *big = sk_arena_alloc(&a, 100000);
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_null(sk_arena_calloc(&a, SIZE_MAX / 2, 4));
    sk_arena_free(&a);
}
END_TEST

/* Builds one uncompressed batch of `n` records "k<i>"/"v<i>" into w. */
static void build_batch(struct sk_writer *w, int n)
{
    struct sk_writer recs;
    sk_writer_init(&recs);
    for (int i = 0; i < n; i++) {
        struct sk_writer one;
        sk_writer_init(&one);
        char k[16], v[16];
        int kl = sprintf(k, "k%d", i), vl = sprintf(v, "v%d", i);
        sk_write_i8(&one, 0);
        sk_write_varlong(&one, i);
        sk_write_varint(&one, i);
        sk_write_varint(&one, kl);
        sk_write_raw(&one, k, (size_t)kl);
        sk_write_varint(&one, vl);
        sk_write_raw(&one, v, (size_t)vl);
        sk_write_varint(&one, 0);
        sk_write_varint(&recs, (int32_t)one.len);
        sk_write_raw(&recs, one.p, one.len);
        sk_writer_free(&one);
    }
    size_t start = w->len;
    sk_write_i64(w, 0);
    sk_write_i32(w, (int32_t)(49 + recs.len));
    sk_write_i32(w, -1);
    sk_write_i8(w, 2);
    sk_write_u32(w, 0);
    sk_write_i16(w, 0);
    sk_write_i32(w, n - 1);
    sk_write_i64(w, 1000);
    sk_write_i64(w, 1000 + n - 1);
    sk_write_i64(w, -1);
    sk_write_i16(w, -1);
    sk_write_i32(w, -1);
    sk_write_i32(w, n);
    sk_write_raw(w, recs.p, recs.len);
    uint32_t crc = sk_crc32c(0, w->p + start + 21, w->len - start - 21);
    sk_put_be32(w->p + start + 17, crc);
    sk_writer_free(&recs);
}

START_TEST(batch_validate_good_and_bad)
{
    struct sk_writer w;
    sk_writer_init(&w);
    build_batch(&w, 5);
    struct batch_hdr h;
    ck_assert_int_eq(batch_validate(w.p, w.len, &h), 0);
    ck_assert_int_eq(h.records_count, 5);
    ck_assert_int_eq(h.last_offset_delta, 4);
    /* Offsets and leader epoch lie outside the CRC. */
    batch_set_base_offset(w.p, 777);
    batch_set_leader_epoch(w.p, 3);
    ck_assert_int_eq(batch_validate(w.p, w.len, &h), 0);
    ck_assert_int_eq(h.base_offset, 777);
    ck_assert_int_eq(batch_last_offset(&h), 781);
    /* Every truncation is rejected, never read past the end. */
    for (size_t n = 0; n < w.len; n++)
        ck_assert_int_ne(batch_validate(w.p, n, &h), 0);
    /* A flipped byte anywhere in the CRC-covered part is caught. */
    for (size_t i = 21; i < w.len; i++) {
        w.p[i] ^= 0x40;
        ck_assert_int_eq(batch_validate(w.p, w.len, &h), SK_ECORRUPT);
        w.p[i] ^= 0x40;
    }
    /* Wrong magic. */
    w.p[16] = 1;
    ck_assert_int_eq(batch_validate(w.p, w.len, &h), SK_ECORRUPT);
    sk_writer_free(&w);
}
END_TEST

START_TEST(log_value_escapes_and_cuts)
{
    char out[32];
    ck_assert_str_eq(sk_log_value(out, sizeof(out), "group-1.a_b"), "group-1.a_b");
    /* A newline, a space, a quote and '=' cannot forge a line or a field. */
    ck_assert_str_eq(sk_log_value(out, sizeof(out), "a\nb c\"=d"), "a\\x0ab\\x20c\\x22\\x3dd");
    ck_assert_str_eq(sk_log_value(out, sizeof(out), "\xff"), "\\xff");
    ck_assert_str_eq(sk_log_value(out, sizeof(out), ""), "");
    /* Cut to fit, never mid-escape, marked with "...". */
    char small[10];
    ck_assert_str_eq(sk_log_value(small, sizeof(small), "abcdefghijkl"), "abcdef...");
    ck_assert_str_eq(sk_log_value(small, sizeof(small), "ab\n\n\n"), "ab\\x0a...");
    char tiny[3];
    ck_assert_str_eq(sk_log_value(tiny, sizeof(tiny), "abcdef"), "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, crc32c_check_value);
    tcase_add_test(tc, varint_vectors);
    tcase_add_test(tc, varint_too_long_is_corrupt);
    tcase_add_test(tc, varlong_roundtrip);
    tcase_add_test(tc, reader_sticky_error);
    tcase_add_test(tc, reader_strings_and_arrays);
    tcase_add_test(tc, arena_alloc);
    tcase_add_test(tc, batch_validate_good_and_bad);
    tcase_add_test(tc, log_value_escapes_and_cuts);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
