/* Partition log recovery: torn tails, corrupt bytes, hostile lengths, garbage,
 * lost index files, the recovery point and the clean-shutdown path. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/batch.h"
#include "broker/log.h"
#include "common/buf.h"
#include "common/sk_err.h"
#include "log_testutil.h"

#define RECS 5
#define NBATCH 40

static struct log_config test_cfg(void)
{
    struct log_config c;
    log_config_default(&c);
    c.segment_bytes = 8192;
    c.index_interval_bytes = 1024;
    return c;
}

static size_t batch_bytes(void)
{
    struct sk_writer w;
    sk_writer_init(&w);
    logt_build_batch(&w, RECS, 1000, 1, 100);
    size_t n = w.len;
    sk_writer_free(&w);
    return n;
}

static void append_batches(struct plog *l, int n)
{
    for (int i = 0; i < n; i++) {
        struct sk_writer w;
        sk_writer_init(&w);
        logt_build_batch(&w, RECS, 1000 + i, 1, 100);
        ck_assert_int_eq(plog_append(l, w.p, w.len, 2, 0, NULL, NULL), 0);
        sk_writer_free(&w);
    }
}

/* A log of NBATCH batches, closed cleanly. */
static char *make_log(void)
{
    char *dir = logt_mkdtemp();
    struct log_config cfg = test_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    append_batches(l, NBATCH);
    ck_assert_int_gt(plog_segment_count(l), 3);
    plog_close(l);
    return dir;
}

/* Path of the segment file with the highest (or lowest) base offset. */
static char *segment_path(const char *dir, bool last)
{
    DIR *d = opendir(dir);
    char best[300] = "";
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n != 24 || strcmp(e->d_name + 20, ".log") != 0)
            continue;
        if (!best[0] || (last ? strcmp(e->d_name, best) > 0 : strcmp(e->d_name, best) < 0))
            snprintf(best, sizeof(best), "%s", e->d_name);
    }
    closedir(d);
    return logt_path(dir, best);
}

static void flip_byte(const char *path, off_t pos)
{
    int fd = open(path, O_RDWR);
    uint8_t b;
    ck_assert_int_eq(pread(fd, &b, 1, pos), 1);
    b ^= 0x5a;
    ck_assert_int_eq(pwrite(fd, &b, 1, pos), 1);
    close(fd);
}

/* Reads the whole log and checks offsets run from start to LEO without a gap. */
static void check_contiguous(struct plog *l)
{
    struct sk_writer out;
    sk_writer_init(&out);
    ck_assert_int_eq(plog_read(l, plog_start_offset(l), plog_end_offset(l), SIZE_MAX, &out), 0);
    int64_t next = plog_start_offset(l);
    for (size_t off = 0; off < out.len;) {
        struct batch_hdr h;
        ck_assert_int_eq(batch_parse_header(out.p + off, out.len - off, &h), 0);
        ck_assert_int_eq(batch_validate(out.p + off, batch_total_bytes(&h), &h), 0);
        ck_assert_int_eq(h.base_offset, next);
        next = batch_last_offset(&h) + 1;
        off += batch_total_bytes(&h);
    }
    ck_assert_int_eq(next, plog_end_offset(l));
    sk_writer_free(&out);
}

/* Torn write in the active segment: the reopened log ends at the last whole
 * batch and the next append continues from there; on both open paths. */
START_TEST(torn_tail_truncated)
{
    for (int clean = 0; clean < 2; clean++) {
        char *dir = make_log();
        char *last = segment_path(dir, true);
        int64_t size = logt_file_size(last);
        size_t b = batch_bytes();
        ck_assert_int_eq(size % (int64_t)b, 0);
        ck_assert_int_eq(truncate(last, size - (int64_t)b / 2), 0);
        struct log_config cfg = test_cfg();
        struct plog *l;
        ck_assert_int_eq(plog_open(dir, &cfg, clean, 0, &l), 0);
        ck_assert_int_eq(plog_end_offset(l), (NBATCH - 1) * RECS);
        ck_assert_int_eq(logt_file_size(last), size - (int64_t)b);
        int64_t first, lastoff;
        struct sk_writer w;
        sk_writer_init(&w);
        logt_build_batch(&w, RECS, 5000, 1, 100);
        ck_assert_int_eq(plog_append(l, w.p, w.len, 2, 0, &first, &lastoff), 0);
        sk_writer_free(&w);
        ck_assert_int_eq(first, (NBATCH - 1) * RECS);
        check_contiguous(l);
        plog_close(l);
        free(last);
        logt_rmdir(dir);
    }
}
END_TEST

START_TEST(flipped_byte_truncates_from_that_batch)
{
    char *dir = make_log();
    struct log_config cfg = test_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    append_batches(l, 5); /* the active segment now holds several batches */
    plog_close(l);
    char *last = segment_path(dir, true);
    int64_t size = logt_file_size(last);
    size_t b = batch_bytes();
    int64_t in_seg = size / (int64_t)b;
    ck_assert_int_ge(in_seg, 3);
    /* Corrupt the payload of the second batch of the last segment. */
    flip_byte(last, (off_t)b + 200);
    ck_assert_int_eq(plog_open(dir, &cfg, false, 0, &l), 0);
    ck_assert_int_eq(plog_end_offset(l), (NBATCH + 5 - in_seg + 1) * RECS);
    ck_assert_int_eq(logt_file_size(last), (int64_t)b);
    check_contiguous(l);
    plog_close(l);
    free(last);
    logt_rmdir(dir);
}
END_TEST

/* Below the recovery point segments are trusted at open, but a corrupt batch
 * is still never served; without the checkpoint everything is re-validated. */
START_TEST(corrupt_batch_below_recovery_point)
{
    char *dir = make_log();
    char *first = segment_path(dir, false);
    size_t b = batch_bytes();
    flip_byte(first, (off_t)(2 * b + 300)); /* third batch: offsets 10..14 */
    struct log_config cfg = test_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, false, 0, &l), 0);
    ck_assert_int_eq(plog_end_offset(l), NBATCH * RECS);
    struct sk_writer out;
    sk_writer_init(&out);
    ck_assert_int_eq(plog_read(l, 0, NBATCH * RECS, 1, &out), 0);
    sk_writer_reset(&out);
    ck_assert_int_eq(plog_read(l, 12, NBATCH * RECS, SIZE_MAX, &out), SK_ECORRUPT);
    sk_writer_reset(&out);
    ck_assert_int_eq(plog_read(l, 0, NBATCH * RECS, SIZE_MAX, &out), SK_ECORRUPT);
    sk_writer_reset(&out);
    ck_assert_int_eq(plog_read(l, 15, NBATCH * RECS, 1, &out), 0);
    sk_writer_free(&out);
    plog_close(l);

    char *ck = logt_path(dir, "recovery-point-checkpoint");
    ck_assert_int_eq(unlink(ck), 0);
    free(ck);
    ck_assert_int_eq(plog_open(dir, &cfg, false, 0, &l), 0);
    ck_assert_int_eq(plog_end_offset(l), 10);
    ck_assert_int_eq(plog_segment_count(l), 1);
    check_contiguous(l);
    plog_close(l);
    free(first);
    logt_rmdir(dir);
}
END_TEST

static uint8_t *slurp(const char *path, size_t *n)
{
    int64_t size = logt_file_size(path);
    ck_assert_int_ge(size, 0);
    uint8_t *p = malloc((size_t)size + 1);
    int fd = open(path, O_RDONLY);
    ck_assert_int_eq(read(fd, p, (size_t)size), size);
    close(fd);
    *n = (size_t)size;
    return p;
}

START_TEST(deleted_index_files_rebuilt)
{
    for (int clean = 0; clean < 2; clean++) {
        char *dir = make_log();
        char *idx = logt_path(dir, "00000000000000000000.index");
        char *tidx = logt_path(dir, "00000000000000000000.timeindex");
        size_t n1, n2, t1, t2;
        uint8_t *before = slurp(idx, &n1), *tbefore = slurp(tidx, &t1);
        ck_assert_uint_gt(n1, 0);
        ck_assert_uint_gt(t1, 0);
        DIR *d = opendir(dir);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strstr(e->d_name, "index")) {
                char *p = logt_path(dir, e->d_name);
                unlink(p);
                free(p);
            }
        }
        closedir(d);
        ck_assert_int_eq(logt_count_files(dir, ".index"), 0);
        struct log_config cfg = test_cfg();
        struct plog *l;
        ck_assert_int_eq(plog_open(dir, &cfg, clean, 0, &l), 0);
        ck_assert_int_eq(plog_end_offset(l), NBATCH * RECS);
        ck_assert_int_eq(logt_count_files(dir, ".index"), plog_segment_count(l));
        ck_assert_int_eq(logt_count_files(dir, ".timeindex"), plog_segment_count(l));
        uint8_t *after = slurp(idx, &n2), *tafter = slurp(tidx, &t2);
        ck_assert_uint_eq(n1, n2);
        ck_assert_int_eq(memcmp(before, after, n1), 0);
        ck_assert_uint_eq(t1, t2);
        ck_assert_int_eq(memcmp(tbefore, tafter, t1), 0);
        for (int64_t o = 0; o < NBATCH * RECS; o += 3) {
            struct sk_writer out;
            sk_writer_init(&out);
            ck_assert_int_eq(plog_read(l, o, NBATCH * RECS, 1, &out), 0);
            struct batch_hdr h;
            ck_assert_int_eq(batch_parse_header(out.p, out.len, &h), 0);
            ck_assert_int_eq(h.base_offset, o / RECS * RECS);
            sk_writer_free(&out);
        }
        plog_close(l);
        free(before), free(after), free(tbefore), free(tafter);
        free(idx), free(tidx);
        logt_rmdir(dir);
    }
}
END_TEST

static void append_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
    close(fd);
}

START_TEST(garbage_and_hostile_lengths_removed)
{
    for (int kind = 0; kind < 3; kind++) {
        char *dir = make_log();
        char *last = segment_path(dir, true);
        int64_t size = logt_file_size(last);
        uint8_t junk[1000];
        srand(7 + kind);
        for (size_t i = 0; i < sizeof(junk); i++)
            junk[i] = (uint8_t)rand();
        if (kind == 1) {
            /* A header claiming a 2 GiB batch: bounded before any allocation. */
            memset(junk, 0, 61);
            sk_put_be32(junk + 8, 0x7ffffff0u);
            junk[16] = 2;
        } else if (kind == 2) {
            memset(junk, 0, sizeof(junk)); /* preallocated zeros after a crash */
        }
        append_file(last, junk, sizeof(junk));
        struct log_config cfg = test_cfg();
        struct plog *l;
        ck_assert_int_eq(plog_open(dir, &cfg, kind == 0, 0, &l), 0);
        ck_assert_int_eq(plog_end_offset(l), NBATCH * RECS);
        ck_assert_int_eq(logt_file_size(last), size);
        append_batches(l, 1);
        check_contiguous(l);
        plog_close(l);
        free(last);
        logt_rmdir(dir);
    }
}
END_TEST

/* A torn batch in a middle segment: everything after it goes, offsets
 * continue from the last whole batch. */
START_TEST(torn_middle_segment_drops_later_segments)
{
    char *dir = make_log();
    char *second = logt_path(dir, "00000000000000000000.log");
    int64_t size = logt_file_size(second);
    ck_assert_int_eq(truncate(second, size - 10), 0);
    struct log_config cfg = test_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    size_t b = batch_bytes();
    int64_t whole = (size - 10) / (int64_t)b;
    ck_assert_int_eq(plog_end_offset(l), whole * RECS);
    ck_assert_int_eq(plog_segment_count(l), 1);
    ck_assert_int_eq(logt_count_files(dir, ".log"), 1);
    append_batches(l, 3);
    check_contiguous(l);
    plog_close(l);
    free(second);
    logt_rmdir(dir);
}
END_TEST

START_TEST(clean_and_unclean_synced_offset)
{
    char *dir = make_log();
    struct log_config cfg = test_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    ck_assert_int_eq(plog_synced_offset(l), NBATCH * RECS);
    plog_close(l);
    /* Unclean: what was re-validated is not yet known durable. */
    ck_assert_int_eq(plog_open(dir, &cfg, false, 0, &l), 0);
    ck_assert_int_lt(plog_synced_offset(l), NBATCH * RECS);
    ck_assert_int_eq(plog_end_offset(l), NBATCH * RECS);
    ck_assert_int_eq(plog_latest_epoch(l), 2);
    plog_close(l);
    /* Leftover temp files are cleaned up at open. */
    char *tmp = logt_path(dir, "leader-epoch-checkpoint.tmp");
    int fd = open(tmp, O_CREAT | O_WRONLY, 0644);
    close(fd);
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    ck_assert_int_eq(logt_file_size(tmp), -1);
    plog_close(l);
    free(tmp);
    logt_rmdir(dir);
}
END_TEST

static int cmp_name(const void *a, const void *b) { return strcmp(a, b); }

/* The n-th segment file (by base offset, from 0). */
static char *nth_segment_path(const char *dir, int n)
{
    DIR *d = opendir(dir);
    char names[64][32];
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && k < 64) {
        size_t len = strlen(e->d_name);
        if (len == 24 && strcmp(e->d_name + 20, ".log") == 0)
            snprintf(names[k++], sizeof(names[0]), "%s", e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)k, sizeof(names[0]), cmp_name);
    ck_assert_int_lt(n, k);
    return logt_path(dir, names[n]);
}

/* A flipped bit in baseOffset (outside the CRC) that raises it a little, in
 * the last batch of a segment below the recovery point: offsets in a Skiff
 * log are contiguous, so the batch must not be taken at its new offset (that
 * would serve its records under other offsets and drop later segments);
 * the log is cut before it, on both open paths. */
START_TEST(raised_base_offset_in_trusted_segment)
{
    for (int clean = 0; clean < 2; clean++) {
        char *dir = make_log();
        char *first = nth_segment_path(dir, 0);
        size_t b = batch_bytes();
        int64_t size = logt_file_size(first);
        int64_t nb = size / (int64_t)b;
        int64_t real_base = (nb - 1) * RECS;
        uint8_t raised[8];
        sk_put_be64(raised, (uint64_t)(real_base + 2));
        int fd = open(first, O_RDWR);
        ck_assert_int_eq(pwrite(fd, raised, 8, (off_t)((nb - 1) * (int64_t)b)), 8);
        close(fd);
        struct log_config cfg = test_cfg();
        struct plog *l;
        ck_assert_int_eq(plog_open(dir, &cfg, clean == 1, 0, &l), 0);
        ck_assert_int_eq(plog_end_offset(l), real_base);
        check_contiguous(l);
        append_batches(l, 2);
        check_contiguous(l);
        plog_close(l);
        free(first);
        logt_rmdir(dir);
    }
}
END_TEST

/* The same damage inside a trusted segment, before its last index entry
 * (where the open does not look): reads refuse the batch instead of serving
 * its records under other offsets. */
START_TEST(raised_base_offset_never_served)
{
    char *dir = make_log();
    char *first = nth_segment_path(dir, 0);
    size_t b = batch_bytes();
    uint8_t raised[8];
    sk_put_be64(raised, (uint64_t)(1 * RECS + 2)); /* second batch: offsets 5..9 */
    int fd = open(first, O_RDWR);
    ck_assert_int_eq(pwrite(fd, raised, 8, (off_t)b), 8);
    close(fd);
    struct log_config cfg = test_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, true, 0, &l), 0);
    struct sk_writer out;
    sk_writer_init(&out);
    ck_assert_int_eq(plog_read(l, 0, plog_end_offset(l), 1, &out), 0);
    for (int64_t o = 1 * RECS; o < 2 * RECS; o++) {
        sk_writer_reset(&out);
        ck_assert_int_eq(plog_read(l, o, plog_end_offset(l), 1, &out), SK_ECORRUPT);
    }
    sk_writer_reset(&out);
    ck_assert_int_eq(plog_read(l, 0, plog_end_offset(l), SIZE_MAX, &out), SK_ECORRUPT);
    sk_writer_free(&out);
    plog_close(l);
    free(first);
    logt_rmdir(dir);
}
END_TEST

/* After a power loss a segment's directory entry may survive without its
 * data: an empty middle segment must not leave a gap of offsets that have
 * no batches (readers would stall in it); the segments after it go. */
START_TEST(empty_middle_segment_leaves_no_gap)
{
    char *dir = make_log();
    char *second = nth_segment_path(dir, 1);
    ck_assert_int_eq(truncate(second, 0), 0);
    struct log_config cfg = test_cfg();
    struct plog *l;
    ck_assert_int_eq(plog_open(dir, &cfg, false, 0, &l), 0);
    char *first = nth_segment_path(dir, 0);
    int64_t first_end = logt_file_size(first) / (int64_t)batch_bytes() * RECS;
    free(first);
    ck_assert_int_eq(plog_end_offset(l), first_end);
    check_contiguous(l);
    append_batches(l, 1);
    check_contiguous(l);
    plog_close(l);
    free(second);
    logt_rmdir(dir);
}
END_TEST

/* Seeded random damage (byte flips, truncations, zeroed ranges, random
 * garbage) anywhere in any file of the log: opening never fails or crashes,
 * every read either succeeds or reports SK_ECORRUPT, and after an unclean
 * open without the recovery checkpoint the whole log reads back contiguous. */
START_TEST(random_damage_is_survived)
{
    srand(12345);
    for (int round = 0; round < 25; round++) {
        char *dir = make_log();
        DIR *d = opendir(dir);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.' || rand() % 3 != 0)
                continue;
            char *p = logt_path(dir, e->d_name);
            int64_t size = logt_file_size(p);
            if (size <= 0) {
                free(p);
                continue;
            }
            int kind = rand() % 4;
            off_t pos = (off_t)(rand() % size);
            if (kind == 0) {
                flip_byte(p, pos);
            } else if (kind == 1) {
                ck_assert_int_eq(truncate(p, pos), 0);
            } else {
                uint8_t junk[300];
                for (size_t i = 0; i < sizeof(junk); i++)
                    junk[i] = kind == 2 ? 0 : (uint8_t)rand();
                int fd = open(p, O_WRONLY);
                ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), pos), (ssize_t)sizeof(junk));
                close(fd);
            }
            free(p);
        }
        closedir(d);
        struct log_config cfg = test_cfg();
        for (int mode = 0; mode < 3; mode++) {
            if (mode == 2) {
                char *ck = logt_path(dir, "recovery-point-checkpoint");
                unlink(ck);
                free(ck);
            }
            struct plog *l;
            ck_assert_int_eq(plog_open(dir, &cfg, mode == 0, 0, &l), 0);
            for (int64_t o = plog_start_offset(l); o < plog_end_offset(l); o += 2) {
                struct sk_writer out;
                sk_writer_init(&out);
                int rc = plog_read(l, o, plog_end_offset(l), 1, &out);
                ck_assert(rc == 0 || rc == SK_ECORRUPT);
                sk_writer_free(&out);
            }
            int64_t off, ts;
            int rc = plog_offset_for_timestamp(l, 1010, &off, &ts);
            ck_assert(rc == 0 || rc == SK_ENOENT || rc == SK_ECORRUPT);
            if (mode == 2)
                check_contiguous(l);
            append_batches(l, 1);
            plog_close(l);
        }
        logt_rmdir(dir);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log_recovery");
    TCase *tc = tcase_create("recovery");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, torn_tail_truncated);
    tcase_add_test(tc, flipped_byte_truncates_from_that_batch);
    tcase_add_test(tc, corrupt_batch_below_recovery_point);
    tcase_add_test(tc, deleted_index_files_rebuilt);
    tcase_add_test(tc, garbage_and_hostile_lengths_removed);
    tcase_add_test(tc, torn_middle_segment_drops_later_segments);
    tcase_add_test(tc, clean_and_unclean_synced_offset);
    tcase_add_test(tc, random_damage_is_survived);
    tcase_add_test(tc, raised_base_offset_in_trusted_segment);
    tcase_add_test(tc, empty_middle_segment_leaves_no_gap);
    tcase_add_test(tc, raised_base_offset_never_served);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
