/* Partition log: appends and reads across segments, rolling, index lookups,
 * KIP-74, high-watermark cut, timestamp lookup, range errors, clean reopen. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/batch.h"
#include "broker/log.h"
#include "common/buf.h"
#include "common/sk_err.h"
#include "log_testutil.h"

static struct log_config small_cfg(void)
{
    struct log_config c;
    log_config_default(&c);
    c.segment_bytes = 8192;
    c.index_interval_bytes = 1024;
    return c;
}

/* Appends `count` batches of `recs` records (values of vbytes) with batch i's
 * timestamps starting at ts0 + 1000 * i, record step 10 ms. */
static void append_n(struct plog *l, int count, int recs, size_t vbytes, int64_t ts0, int64_t now_ms)
{
    for (int i = 0; i < count; i++) {
        struct sk_writer w;
        sk_writer_init(&w);
        logt_build_batch(&w, recs, ts0 + 1000 * (int64_t)i, 10, vbytes);
        int64_t first, last, leo = plog_end_offset(l);
        ck_assert_int_eq(plog_append(l, w.p, w.len, 1, now_ms, &first, &last), 0);
        ck_assert_int_eq(first, leo);
        ck_assert_int_eq(last, leo + recs - 1);
        sk_writer_free(&w);
    }
}

/* Walks batches in buf: each CRC-valid, offsets contiguous from *next.
 * Returns the number of batches; *next ends one past the last offset. */
static int check_batches(const struct sk_writer *out, int64_t *next)
{
    int n = 0;
    for (size_t off = 0; off < out->len; n++) {
        struct batch_hdr h;
        ck_assert_int_eq(batch_parse_header(out->p + off, out->len - off, &h), 0);
        ck_assert_uint_le(batch_total_bytes(&h), out->len - off);
        ck_assert_int_eq(batch_validate(out->p + off, batch_total_bytes(&h), &h), 0);
        if (*next >= 0)
            ck_assert_int_eq(h.base_offset, *next);
        *next = batch_last_offset(&h) + 1;
        off += batch_total_bytes(&h);
    }
    return n;
}

START_TEST(append_read_many_segments)
{
    char *dir = logt_mkdtemp();
    char *pdir = logt_path(dir, "t-0");
    struct log_config cfg = small_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(pdir, &cfg, true, 1000, &l), 0);
    ck_assert_int_eq(plog_start_offset(l), 0);
    ck_assert_int_eq(plog_end_offset(l), 0);
    append_n(l, 300, 5, 100, 1000, 1000);
    ck_assert_int_eq(plog_end_offset(l), 1500);
    ck_assert_int_gt(plog_segment_count(l), 20);
    ck_assert_int_eq(logt_count_files(pdir, ".log"), plog_segment_count(l));
    ck_assert_int_eq(logt_count_files(pdir, ".index"), plog_segment_count(l));
    ck_assert_int_eq(logt_count_files(pdir, ".timeindex"), plog_segment_count(l));
    char *first = logt_path(pdir, "00000000000000000000.log");
    ck_assert_int_gt(logt_file_size(first), 0);
    ck_assert_int_le(logt_file_size(first), cfg.segment_bytes);
    free(first);

    struct sk_writer out;
    sk_writer_init(&out);
    ck_assert_int_eq(plog_read(l, 0, plog_end_offset(l), SIZE_MAX, &out), 0);
    int64_t next = 0;
    ck_assert_int_eq(check_batches(&out, &next), 300);
    ck_assert_int_eq(next, 1500);
    sk_writer_free(&out);

    /* Clean reopen: indexes come from the files, reads still agree. */
    plog_close(l);
    ck_assert_int_eq(plog_open(pdir, &cfg, true, 2000, &l), 0);
    ck_assert_int_eq(plog_end_offset(l), 1500);
    ck_assert_int_eq(plog_synced_offset(l), 1500);
    sk_writer_init(&out);
    ck_assert_int_eq(plog_read(l, 0, 1500, SIZE_MAX, &out), 0);
    next = 0;
    ck_assert_int_eq(check_batches(&out, &next), 300);
    sk_writer_free(&out);
    append_n(l, 1, 5, 100, 1000, 2000);
    ck_assert_int_eq(plog_end_offset(l), 1505);
    plog_close(l);
    free(pdir);
    logt_rmdir(dir);
}
END_TEST

START_TEST(read_every_offset_including_mid_batch)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = small_cfg();
    cfg.index_interval_bytes = 300;
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    append_n(l, 60, 7, 50, 0, 0);
    int64_t leo = plog_end_offset(l);
    for (int64_t o = 0; o < leo; o++) {
        struct sk_writer out;
        sk_writer_init(&out);
        ck_assert_int_eq(plog_read(l, o, leo, 1, &out), 0);
        struct batch_hdr h;
        ck_assert_int_eq(batch_parse_header(out.p, out.len, &h), 0);
        ck_assert_uint_eq(batch_total_bytes(&h), out.len); /* exactly one batch: KIP-74 */
        ck_assert_int_le(h.base_offset, o);
        ck_assert_int_ge(batch_last_offset(&h), o);
        ck_assert_int_eq(h.base_offset % 7, 0);
        sk_writer_free(&out);
    }
    plog_close(l);
    logt_rmdir(dir);
}
END_TEST

START_TEST(kip74_and_upto_cut)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = small_cfg();
    cfg.segment_bytes = 1 << 20;
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    append_n(l, 10, 4, 200, 0, 0); /* offsets 0..39, batches of 4 */
    struct sk_writer one;
    sk_writer_init(&one);
    ck_assert_int_eq(plog_read(l, 0, 40, 1, &one), 0);
    size_t bsize = one.len;
    ck_assert_uint_gt(bsize, 800);
    sk_writer_free(&one);

    struct sk_writer out;
    sk_writer_init(&out);
    ck_assert_int_eq(plog_read(l, 0, 40, bsize * 2 + bsize / 2, &out), 0);
    int64_t next = 0;
    ck_assert_int_eq(check_batches(&out, &next), 2);
    sk_writer_free(&out);

    /* upto (high watermark) 10: batches [0,3], [4,7] only; 8..11 straddles it. */
    sk_writer_init(&out);
    ck_assert_int_eq(plog_read(l, 0, 10, SIZE_MAX, &out), 0);
    next = 0;
    ck_assert_int_eq(check_batches(&out, &next), 2);
    ck_assert_int_eq(next, 8);
    sk_writer_free(&out);
    /* Nothing eligible: empty but fine. */
    sk_writer_init(&out);
    ck_assert_int_eq(plog_read(l, 8, 10, SIZE_MAX, &out), 0);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_int_eq(plog_read(l, 40, 40, SIZE_MAX, &out), 0);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_int_eq(plog_read(l, 41, 40, SIZE_MAX, &out), SK_ERANGE);
    ck_assert_int_eq(plog_read(l, -1, 40, SIZE_MAX, &out), SK_ERANGE);
    sk_writer_free(&out);
    plog_close(l);
    logt_rmdir(dir);
}
END_TEST

START_TEST(roll_by_time)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = small_cfg();
    cfg.segment_bytes = 1 << 20;
    cfg.segment_ms = 1000;
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 10000, &l), 0);
    append_n(l, 1, 2, 10, 10000, 10000);
    append_n(l, 1, 2, 10, 10000, 10500);
    ck_assert_int_eq(plog_segment_count(l), 1);
    append_n(l, 1, 2, 10, 10000, 11000); /* the segment is 1000 ms old */
    ck_assert_int_eq(plog_segment_count(l), 2);
    char *name = logt_path(dir, "00000000000000000004.log");
    ck_assert_int_gt(logt_file_size(name), 0);
    free(name);
    /* The periodic task rolls an old active segment with no new appends. */
    int deleted = -1;
    ck_assert_int_eq(plog_maintain(l, 11500, &deleted), 0);
    ck_assert_int_eq(plog_segment_count(l), 2);
    ck_assert_int_eq(plog_maintain(l, 12000, &deleted), 0);
    ck_assert_int_eq(plog_segment_count(l), 3);
    ck_assert_int_eq(deleted, 0);
    /* An empty active segment never rolls. */
    ck_assert_int_eq(plog_maintain(l, 99000, &deleted), 0);
    ck_assert_int_eq(plog_segment_count(l), 3);
    plog_close(l);
    logt_rmdir(dir);
}
END_TEST

START_TEST(timestamp_lookup)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = small_cfg();
    cfg.index_interval_bytes = 200;
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    /* Batch i: offsets 10i..10i+9, timestamps 100000 + 1000 i + 10 k. */
    append_n(l, 100, 10, 60, 100000, 0);
    ck_assert_int_gt(plog_segment_count(l), 3);
    for (int i = 0; i < 100; i += 7) {
        int64_t off, ts;
        ck_assert_int_eq(plog_offset_for_timestamp(l, 100000 + 1000 * i + 25, &off, &ts), 0);
        ck_assert_int_eq(off, 10 * i + 3);
        ck_assert_int_eq(ts, 100000 + 1000 * i + 30);
        ck_assert_int_eq(plog_offset_for_timestamp(l, 100000 + 1000 * i, &off, &ts), 0);
        ck_assert_int_eq(off, 10 * i);
        /* Between batches: the next batch's first record. */
        ck_assert_int_eq(plog_offset_for_timestamp(l, 100000 + 1000 * i + 95, &off, &ts), 0);
        ck_assert_int_eq(off, 10 * (i + 1));
    }
    int64_t off, ts;
    ck_assert_int_eq(plog_offset_for_timestamp(l, 0, &off, &ts), 0);
    ck_assert_int_eq(off, 0);
    ck_assert_int_eq(plog_offset_for_timestamp(l, 100000 + 99 * 1000 + 91, &off, &ts), SK_ENOENT);
    /* The same answers after a clean reopen (time index from the files). */
    plog_close(l);
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    ck_assert_int_eq(plog_offset_for_timestamp(l, 100000 + 1000 * 50 + 25, &off, &ts), 0);
    ck_assert_int_eq(off, 503);
    ck_assert_int_eq(plog_offset_for_timestamp(l, 100000 + 99 * 1000 + 90, &off, &ts), 0);
    ck_assert_int_eq(off, 999);
    plog_close(l);
    logt_rmdir(dir);
}
END_TEST

START_TEST(bad_append_framing_rejected)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = small_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    struct sk_writer w;
    sk_writer_init(&w);
    logt_build_batch(&w, 3, 0, 1, 10);
    int64_t a, b;
    ck_assert_int_eq(plog_append(l, w.p, w.len - 1, 1, 0, &a, &b), SK_EINVAL);
    ck_assert_int_eq(plog_append(l, w.p, 0, 1, 0, &a, &b), SK_EINVAL);
    ck_assert_int_eq(plog_append(l, w.p, w.len, 5, 0, &a, &b), 0);
    /* A stale leader epoch must not append. */
    ck_assert_int_eq(plog_append(l, w.p, w.len, 4, 0, &a, &b), SK_ESTATE);
    ck_assert_int_eq(plog_end_offset(l), 3);
    sk_writer_free(&w);
    plog_close(l);
    logt_rmdir(dir);
}
END_TEST

START_TEST(config_checked)
{
    struct log_config c;
    log_config_default(&c);
    ck_assert_int_eq(log_config_check(&c), 0);
    c.segment_bytes = 1;
    ck_assert_int_eq(log_config_check(&c), SK_ECONFIG);
    log_config_default(&c);
    c.index_interval_bytes = 0;
    ck_assert_int_eq(log_config_check(&c), SK_ECONFIG);
    log_config_default(&c);
    c.retention_ms = -2;
    ck_assert_int_eq(log_config_check(&c), SK_ECONFIG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, append_read_many_segments);
    tcase_add_test(tc, read_every_offset_including_mid_batch);
    tcase_add_test(tc, kip74_and_upto_cut);
    tcase_add_test(tc, roll_by_time);
    tcase_add_test(tc, timestamp_lookup);
    tcase_add_test(tc, bad_append_framing_rejected);
    tcase_add_test(tc, config_checked);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
