/* Leader-epoch cache, follower appends and truncation (KIP-101/279). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/batch.h"
#include "broker/log.h"
#include "broker/log_internal.h"
#include "common/buf.h"
#include "common/sk_err.h"
#include "log_testutil.h"

#define RECS 3

static struct log_config test_cfg(void)
{
    struct log_config c;
    log_config_default(&c);
    c.segment_bytes = 2048;
    c.index_interval_bytes = 256;
    return c;
}

START_TEST(epoch_cache_rules)
{
    struct log_epoch_cache c = {0};
    int32_t e;
    int64_t end;
    log_epoch_end_offset(&c, 5, 100, &e, &end);
    ck_assert_int_eq(e, LOG_EPOCH_UNDEFINED);
    ck_assert_int_eq(end, LOG_OFFSET_UNDEFINED);
    ck_assert_int_eq(log_epoch_assign(&c, 1, 0), 1);
    ck_assert_int_eq(log_epoch_assign(&c, 1, 10), 0); /* same epoch: no change */
    ck_assert_int_eq(log_epoch_assign(&c, 3, 20), 1);
    ck_assert_int_eq(log_epoch_assign(&c, 2, 30), 0); /* older epoch ignored */
    ck_assert_int_eq(log_epoch_assign(&c, 5, 40), 1);
    log_epoch_end_offset(&c, 0, 100, &e, &end);
    ck_assert_int_eq(e, LOG_EPOCH_UNDEFINED);
    log_epoch_end_offset(&c, 1, 100, &e, &end);
    ck_assert_int_eq(e, 1);
    ck_assert_int_eq(end, 20);
    log_epoch_end_offset(&c, 2, 100, &e, &end);
    ck_assert_int_eq(e, 1);
    ck_assert_int_eq(end, 20);
    log_epoch_end_offset(&c, 4, 100, &e, &end);
    ck_assert_int_eq(e, 3);
    ck_assert_int_eq(end, 40);
    log_epoch_end_offset(&c, 9, 100, &e, &end);
    ck_assert_int_eq(e, 5);
    ck_assert_int_eq(end, 100);

    char *text;
    size_t len;
    ck_assert_int_eq(log_epoch_serialize(&c, &text, &len), 0);
    ck_assert_str_eq(text, "0\n3\n1 0\n3 20\n5 40\n");
    struct log_epoch_cache d = {0};
    ck_assert_int_eq(log_epoch_parse(&d, text, len), 0);
    ck_assert_uint_eq(d.n, 3);
    ck_assert_int_eq(d.e[2].epoch, 5);
    free(text);

    static const char *const bad[] = {"",
                                      "1\n0\n",
                                      "0\n2\n1 0\n",
                                      "0\n1\n1 0",
                                      "0\n1\n-1 0\n",
                                      "0\n1\n1 0\nextra",
                                      "0\n2\n3 0\n2 5\n",
                                      "0\n99999999999\n",
                                      "0\n1\n1  0\n",
                                      "0\n1\n1 99999999999999999999\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_int_eq(log_epoch_parse(&d, bad[i], strlen(bad[i])), SK_ECORRUPT);

    ck_assert(log_epoch_truncate_end(&c, 40));
    ck_assert_int_eq(log_epoch_latest(&c), 3);
    ck_assert(log_epoch_truncate_start(&c, 25));
    ck_assert_uint_eq(c.n, 1);
    ck_assert_int_eq(c.e[0].start_offset, 25);
    log_epoch_free(&c);
    log_epoch_free(&d);
}
END_TEST

/* A batch as a leader would send it: base offset and epoch set. */
static void replica_batch(struct sk_writer *w, int64_t base, int32_t epoch)
{
    size_t at = w->len;
    logt_build_batch(w, RECS, 5000, 1, 40);
    batch_set_base_offset(w->p + at, base);
    batch_set_leader_epoch(w->p + at, epoch);
}

START_TEST(leader_epochs_persist)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = test_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    ck_assert_int_eq(plog_latest_epoch(l), LOG_EPOCH_UNDEFINED);
    int32_t epochs[] = {1, 1, 1, 4, 4, 7};
    for (int i = 0; i < 6; i++) {
        struct sk_writer w;
        sk_writer_init(&w);
        logt_build_batch(&w, RECS, 1000, 1, 40);
        ck_assert_int_eq(plog_append(l, w.p, w.len, epochs[i], 0, NULL, NULL), 0);
        struct batch_hdr h;
        ck_assert_int_eq(batch_parse_header(w.p, w.len, &h), 0);
        ck_assert_int_eq(h.leader_epoch, epochs[i]);
        ck_assert_int_eq(h.base_offset, i * RECS);
        sk_writer_free(&w);
    }
    for (int round = 0; round < 3; round++) {
        int32_t e;
        int64_t end;
        ck_assert_int_eq(plog_latest_epoch(l), 7);
        plog_epoch_end_offset(l, 1, &e, &end);
        ck_assert_int_eq(e, 1);
        ck_assert_int_eq(end, 9);
        plog_epoch_end_offset(l, 5, &e, &end);
        ck_assert_int_eq(e, 4);
        ck_assert_int_eq(end, 15);
        plog_epoch_end_offset(l, 7, &e, &end);
        ck_assert_int_eq(end, 18);
        plog_close(l);
        if (round == 1) {
            /* Lost checkpoint: re-derived from the batches themselves. */
            char *p = logt_path(dir, "leader-epoch-checkpoint");
            ck_assert_int_eq(remove(p), 0);
            free(p);
        }
        ck_assert_int_eq(plog_open(dir, &cfg, round == 0, 0, &l), 0);
    }
    plog_close(l);
    logt_rmdir(dir);
}
END_TEST

START_TEST(replica_append_checks)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = test_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    struct sk_writer w;
    sk_writer_init(&w);
    replica_batch(&w, 3, 1);
    ck_assert_int_eq(plog_append_replica(l, w.p, w.len, 0), SK_ERANGE);
    sk_writer_reset(&w);
    replica_batch(&w, 0, 1);
    replica_batch(&w, 3, 2);
    replica_batch(&w, 6, 2);
    ck_assert_int_eq(plog_append_replica(l, w.p, w.len, 0), 0);
    ck_assert_int_eq(plog_end_offset(l), 9);
    ck_assert_int_eq(plog_latest_epoch(l), 2);
    /* A gap inside the input, a corrupt CRC, an older epoch: all refused. */
    sk_writer_reset(&w);
    replica_batch(&w, 9, 2);
    replica_batch(&w, 13, 2);
    ck_assert_int_eq(plog_append_replica(l, w.p, w.len, 0), SK_ECORRUPT);
    sk_writer_reset(&w);
    replica_batch(&w, 9, 2);
    w.p[w.len - 1] ^= 1;
    ck_assert_int_eq(plog_append_replica(l, w.p, w.len, 0), SK_ECORRUPT);
    sk_writer_reset(&w);
    replica_batch(&w, 9, 1);
    ck_assert_int_eq(plog_append_replica(l, w.p, w.len, 0), SK_ECORRUPT);
    ck_assert_int_eq(plog_end_offset(l), 9);
    int32_t e;
    int64_t end;
    plog_epoch_end_offset(l, 1, &e, &end);
    ck_assert_int_eq(e, 1);
    ck_assert_int_eq(end, 3);
    sk_writer_free(&w);
    plog_close(l);
    logt_rmdir(dir);
}
END_TEST

START_TEST(truncate_follower_divergence)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = test_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    struct sk_writer w;
    sk_writer_init(&w);
    for (int i = 0; i < 40; i++) {
        sk_writer_reset(&w);
        replica_batch(&w, i * RECS, i < 30 ? 3 : 4);
        ck_assert_int_eq(plog_append_replica(l, w.p, w.len, 0), 0);
    }
    int segs = plog_segment_count(l);
    ck_assert_int_gt(segs, 4);
    ck_assert_int_eq(plog_latest_epoch(l), 4);
    /* Mid-batch: the whole batch holding offset 31 goes (LEO 30). */
    ck_assert_int_eq(plog_truncate(l, 31), 0);
    ck_assert_int_eq(plog_end_offset(l), 30);
    ck_assert_int_eq(plog_latest_epoch(l), 3);
    ck_assert_int_lt(plog_segment_count(l), segs);
    ck_assert_int_eq(logt_count_files(dir, ".log"), plog_segment_count(l));
    int32_t e;
    int64_t end;
    plog_epoch_end_offset(l, 4, &e, &end);
    ck_assert_int_eq(e, 3);
    ck_assert_int_eq(end, 30);
    ck_assert_int_eq(plog_truncate(l, 1000), 0); /* past the LEO: no-op */
    ck_assert_int_eq(plog_end_offset(l), 30);
    /* The new leader's data continues at 30 with epoch 5. */
    for (int i = 10; i < 15; i++) {
        sk_writer_reset(&w);
        replica_batch(&w, i * RECS, 5);
        ck_assert_int_eq(plog_append_replica(l, w.p, w.len, 0), 0);
    }
    ck_assert_int_eq(plog_end_offset(l), 45);
    plog_close(l);
    /* An unclean reopen re-validates from the lowered recovery point. */
    ck_assert_int_eq(plog_open(dir, &cfg, false, 0, &l), 0);
    ck_assert_int_eq(plog_end_offset(l), 45);
    plog_epoch_end_offset(l, 4, &e, &end);
    ck_assert_int_eq(e, 3);
    ck_assert_int_eq(end, 30);
    struct sk_writer out;
    sk_writer_init(&out);
    ck_assert_int_eq(plog_read(l, 0, 45, SIZE_MAX, &out), 0);
    int64_t next = 0;
    for (size_t off = 0; off < out.len;) {
        struct batch_hdr h;
        ck_assert_int_eq(batch_parse_header(out.p + off, out.len - off, &h), 0);
        ck_assert_int_eq(batch_validate(out.p + off, batch_total_bytes(&h), &h), 0);
        ck_assert_int_eq(h.base_offset, next);
        next = batch_last_offset(&h) + 1;
        off += batch_total_bytes(&h);
    }
    ck_assert_int_eq(next, 45);
    sk_writer_free(&out);
    /* Below the start: the log restarts empty there. */
    ck_assert_int_eq(plog_truncate(l, 0), 0);
    ck_assert_int_eq(plog_end_offset(l), 0);
    ck_assert_int_eq(plog_latest_epoch(l), LOG_EPOCH_UNDEFINED);
    ck_assert_int_eq(logt_count_files(dir, ".log"), 1);
    sk_writer_reset(&w);
    replica_batch(&w, 0, 6);
    ck_assert_int_eq(plog_append_replica(l, w.p, w.len, 0), 0);
    sk_writer_free(&w);
    plog_close(l);
    logt_rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log_epoch");
    TCase *tc = tcase_create("epoch");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, epoch_cache_rules);
    tcase_add_test(tc, leader_epochs_persist);
    tcase_add_test(tc, replica_append_checks);
    tcase_add_test(tc, truncate_follower_divergence);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
