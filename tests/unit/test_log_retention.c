/* Partition log retention: by time and by bytes, the log start offset and its
 * persistence, never deleting the active segment, deleting a partition. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "broker/log.h"
#include "common/buf.h"
#include "common/sk_err.h"
#include "log_testutil.h"

#define RECS 4

static struct log_config test_cfg(void)
{
    struct log_config c;
    log_config_default(&c);
    c.segment_bytes = 4096;
    c.index_interval_bytes = 512;
    return c;
}

/* Batch i carries timestamps around ts0 + 1000 * i. */
static void append_batches(struct plog *l, int n, int64_t ts0)
{
    for (int i = 0; i < n; i++) {
        struct sk_writer w;
        sk_writer_init(&w);
        logt_build_batch(&w, RECS, ts0 + 1000 * (int64_t)i, 1, 100);
        ck_assert_int_eq(plog_append(l, w.p, w.len, 0, ts0, NULL, NULL), 0);
        sk_writer_free(&w);
    }
}

static int64_t checkpoint_start(const char *dir)
{
    char *p = logt_path(dir, "recovery-point-checkpoint");
    FILE *f = fopen(p, "r");
    free(p);
    ck_assert_ptr_nonnull(f);
    long long version = -1, rp = -1, start = -1;
    ck_assert_int_eq(fscanf(f, "%lld %lld %lld", &version, &rp, &start), 3);
    fclose(f);
    ck_assert_int_eq(version, 0);
    return start;
}

START_TEST(retention_by_time)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = test_cfg();
    cfg.retention_ms = 20000;
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    append_batches(l, 60, 100000); /* timestamps 100000 .. 159003 */
    int segs = plog_segment_count(l);
    ck_assert_int_gt(segs, 6);
    int deleted = -1;
    /* Nothing is older than 20 s at t = 110000. */
    ck_assert_int_eq(plog_maintain(l, 110000, &deleted), 0);
    ck_assert_int_eq(deleted, 0);
    ck_assert_int_eq(plog_start_offset(l), 0);
    /* At t = 150000 every segment whose newest record is before 130000 goes. */
    ck_assert_int_eq(plog_maintain(l, 150000, &deleted), 0);
    ck_assert_int_gt(deleted, 0);
    int64_t start = plog_start_offset(l);
    ck_assert_int_gt(start, 0);
    ck_assert_int_le(start, 30 * RECS);
    ck_assert_int_eq(plog_segment_count(l), segs - deleted);
    ck_assert_int_eq(logt_count_files(dir, ".log"), segs - deleted);
    /* The batch just before the new start was old enough; the first kept is not
     * wholly expired by the segment rule. */
    struct sk_writer out;
    sk_writer_init(&out);
    ck_assert_int_eq(plog_read(l, start - 1, plog_end_offset(l), SIZE_MAX, &out), SK_ERANGE);
    ck_assert_int_eq(plog_read(l, start, plog_end_offset(l), 1, &out), 0);
    ck_assert_uint_gt(out.len, 0);
    sk_writer_free(&out);
    int64_t off, ts;
    ck_assert_int_eq(plog_offset_for_timestamp(l, 0, &off, &ts), 0);
    ck_assert_int_eq(off, start);
    /* Persisted: the checkpoint and a reopen (clean and unclean) keep it. */
    plog_close(l);
    ck_assert_int_eq(checkpoint_start(dir), start);
    for (int clean = 0; clean < 2; clean++) {
        ck_assert_int_eq(plog_open(dir, &cfg, clean, 0, &l), 0);
        ck_assert_int_eq(plog_start_offset(l), start);
        ck_assert_int_eq(plog_end_offset(l), 60 * RECS);
        plog_close(l);
    }
    /* Everything expired: all but the active segment go. */
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    ck_assert_int_eq(plog_maintain(l, 10000000, &deleted), 0);
    ck_assert_int_eq(plog_segment_count(l), 1);
    ck_assert_int_eq(plog_end_offset(l), 60 * RECS);
    plog_close(l);
    logt_rmdir(dir);
}
END_TEST

START_TEST(retention_by_bytes)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = test_cfg();
    cfg.retention_ms = -1;
    cfg.retention_bytes = 10000;
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    append_batches(l, 80, 1000);
    int64_t before = plog_size_bytes(l);
    ck_assert_int_gt(before, 30000);
    int deleted = 0;
    ck_assert_int_eq(plog_maintain(l, 999999999, &deleted), 0);
    ck_assert_int_gt(deleted, 0);
    /* Kafka's rule: what remains is still >= the cap, but one segment less
     * would be below it. */
    int64_t after = plog_size_bytes(l);
    ck_assert_int_ge(after, cfg.retention_bytes);
    ck_assert_int_lt(after - 4096, cfg.retention_bytes);
    ck_assert_int_gt(plog_start_offset(l), 0);
    /* Idempotent. */
    ck_assert_int_eq(plog_maintain(l, 999999999, &deleted), 0);
    ck_assert_int_eq(deleted, 0);
    int64_t start = plog_start_offset(l);
    plog_close(l);
    ck_assert_int_eq(plog_open(dir, &cfg, false, 0, &l), 0);
    ck_assert_int_eq(plog_start_offset(l), start);
    plog_close(l);
    logt_rmdir(dir);
}
END_TEST

START_TEST(retention_moves_epoch_cache_start)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = test_cfg();
    cfg.retention_bytes = 5000;
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    struct sk_writer w;
    for (int i = 0; i < 40; i++) {
        sk_writer_init(&w);
        logt_build_batch(&w, RECS, 1000, 1, 100);
        ck_assert_int_eq(plog_append(l, w.p, w.len, i < 20 ? 1 : 2, 1000, NULL, NULL), 0);
        sk_writer_free(&w);
    }
    ck_assert_int_eq(plog_maintain(l, 1000, NULL), 0);
    int64_t start = plog_start_offset(l);
    ck_assert_int_gt(start, 0);
    int32_t e;
    int64_t end;
    ck_assert_int_eq(plog_epoch_end_offset(l, 2, &e, &end), 0);
    ck_assert_int_eq(e, 2);
    ck_assert_int_eq(end, 40 * RECS);
    plog_close(l);
    logt_rmdir(dir);
}
END_TEST

START_TEST(delete_partition)
{
    char *dir = logt_mkdtemp();
    char *pdir = logt_path(dir, "orders-7");
    struct log_config cfg = test_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(pdir, &cfg, true, 0, &l), 0);
    append_batches(l, 20, 1000);
    ck_assert_int_eq(plog_delete(l), 0);
    struct stat st;
    ck_assert_int_ne(stat(pdir, &st), 0);
    ck_assert_int_eq(logt_count_files(dir, "-delete"), 0);
    ck_assert_int_eq(logt_count_files(dir, ""), 2); /* "." and ".." */
    free(pdir);
    logt_rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log_retention");
    TCase *tc = tcase_create("retention");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, retention_by_time);
    tcase_add_test(tc, retention_by_bytes);
    tcase_add_test(tc, retention_moves_epoch_cache_start);
    tcase_add_test(tc, delete_partition);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
