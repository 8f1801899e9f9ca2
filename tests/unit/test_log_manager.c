/* Log manager: directory scan, clean-shutdown marker, lock file, create /
 * delete / lookup, periodic maintenance through the flusher. */
#include <check.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "broker/flusher.h"
#include "broker/log.h"
#include "broker/log_manager.h"
#include "common/buf.h"
#include "common/sk_err.h"
#include "log_testutil.h"

static struct log_config test_cfg(void)
{
    struct log_config c;
    log_config_default(&c);
    c.segment_bytes = 4096;
    return c;
}

static void append(struct plog *l, int n)
{
    for (int i = 0; i < n; i++) {
        struct sk_writer w;
        sk_writer_init(&w);
        logt_build_batch(&w, 2, 1000, 1, 100);
        ck_assert_int_eq(plog_append(l, w.p, w.len, 0, 1000, NULL, NULL), 0);
        sk_writer_free(&w);
    }
}

static bool exists(const char *dir, const char *name)
{
    char *p = logt_path(dir, name);
    struct stat st;
    bool r = stat(p, &st) == 0;
    free(p);
    return r;
}

START_TEST(scan_marker_and_lookup)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = test_cfg();
    struct logmgr *m;
    ck_assert_int_eq(logmgr_open(dir, &cfg, 0, &m), 0);
    ck_assert(!logmgr_was_clean(m));
    struct plog *l;
    for (int p = 0; p < 3; p++) {
        ck_assert_int_eq(logmgr_create(m, "my-topic", p, NULL, 0, &l), 0);
        append(l, 5 + p);
    }
    ck_assert_int_eq(logmgr_create(m, "a", 0, NULL, 0, &l), 0);
    append(l, 1);
    struct plog *again;
    ck_assert_int_eq(logmgr_create(m, "a", 0, NULL, 0, &again), 0);
    ck_assert_ptr_eq(again, l);
    ck_assert_int_eq(logmgr_create(m, "../etc", 0, NULL, 0, &l), SK_EINVAL);
    ck_assert_int_eq(logmgr_create(m, "ok", -1, NULL, 0, &l), SK_EINVAL);
    ck_assert_int_eq(logmgr_create(m, "", 0, NULL, 0, &l), SK_EINVAL);
    ck_assert_uint_eq(logmgr_count(m), 4);
    /* A second process (here: a second open) cannot use the directory. */
    struct logmgr *m2;
    ck_assert_int_eq(logmgr_open(dir, &cfg, 0, &m2), SK_ESTATE);
    logmgr_close(m, true);
    ck_assert(exists(dir, LOGMGR_CLEAN_MARKER));

    /* Junk and an interrupted delete lying around. */
    char *junk = logt_path(dir, "not_a_partition");
    mkdir(junk, 0755);
    char *doomed = logt_path(dir, "old-0.1234-delete");
    mkdir(doomed, 0755);
    char *inside = logt_path(doomed, "00000000000000000000.log");
    fclose(fopen(inside, "w"));

    ck_assert_int_eq(logmgr_open(dir, &cfg, 0, &m), 0);
    ck_assert(logmgr_was_clean(m));
    ck_assert(!exists(dir, LOGMGR_CLEAN_MARKER));
    ck_assert(!exists(dir, "old-0.1234-delete"));
    ck_assert_uint_eq(logmgr_count(m), 4);
    for (int p = 0; p < 3; p++) {
        l = logmgr_get(m, "my-topic", p);
        ck_assert_ptr_nonnull(l);
        ck_assert_int_eq(plog_end_offset(l), 2 * (5 + p));
        ck_assert_int_eq(plog_synced_offset(l), plog_end_offset(l));
    }
    ck_assert_ptr_null(logmgr_get(m, "my", 0));
    ck_assert_ptr_null(logmgr_get(m, "my-topic", 3));
    ck_assert_int_eq(logmgr_delete(m, "my-topic", 1), 0);
    ck_assert_ptr_null(logmgr_get(m, "my-topic", 1));
    ck_assert(!exists(dir, "my-topic-1"));
    ck_assert_int_eq(logmgr_delete(m, "my-topic", 1), SK_ENOENT);
    /* Crash: no marker, the next open recovers. */
    logmgr_close(m, false);
    ck_assert(!exists(dir, LOGMGR_CLEAN_MARKER));
    ck_assert_int_eq(logmgr_open(dir, &cfg, 0, &m), 0);
    ck_assert(!logmgr_was_clean(m));
    ck_assert_uint_eq(logmgr_count(m), 3);
    l = logmgr_get(m, "my-topic", 2);
    ck_assert_int_eq(plog_end_offset(l), 14);
    logmgr_close(m, true);
    free(junk), free(doomed), free(inside);
    logt_rmdir(dir);
}
END_TEST

static void count_cb(void *arg, const char *topic, int32_t partition, struct plog *l)
{
    (void)topic, (void)partition, (void)l;
    (*(int *)arg)++;
}

START_TEST(maintain_through_flusher)
{
    ck_assert_int_eq(evthread_use_pthreads(), 0);
    struct event_base *base = event_base_new();
    struct flusher *f = flusher_create(base);
    char *dir = logt_mkdtemp();
    struct log_config cfg = test_cfg();
    cfg.retention_bytes = 8192;
    struct logmgr *m;
    ck_assert_int_eq(logmgr_open(dir, &cfg, 0, &m), 0);
    struct plog *l;
    ck_assert_int_eq(logmgr_create(m, "t.x_y-z", 0, NULL, 0, &l), 0);
    append(l, 100);
    int deleted = logmgr_maintain(m, 1000, f);
    ck_assert_int_gt(deleted, 0);
    flusher_drain(f);
    ck_assert_int_eq(plog_synced_offset(l), plog_end_offset(l));
    int n = 0;
    logmgr_foreach(m, count_cb, &n);
    ck_assert_int_eq(n, 1);
    int64_t start = plog_start_offset(l);
    ck_assert_int_gt(start, 0);
    logmgr_close(m, false);
    ck_assert_int_eq(logmgr_open(dir, &cfg, 0, &m), 0);
    l = logmgr_get(m, "t.x_y-z", 0);
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(plog_start_offset(l), start);
    logmgr_close(m, true);
    flusher_destroy(f);
    event_base_free(base);
    logt_rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log_manager");
    TCase *tc = tcase_create("manager");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, scan_marker_and_lookup);
    tcase_add_test(tc, maintain_through_flusher);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
