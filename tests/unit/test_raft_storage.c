/* Raft storage driver tests, including damaged files: torn tails, flipped
 * bytes, absurd lengths, corrupt hard state and snapshot, and a crash between
 * writing a snapshot and compacting the log. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sk_err.h"
#include "raft/raft.h"
#include "raft/storage.h"

static char dir[64];

/* A member list for snapshots: voters 1 and 2, observer 7. */
#define ONE {.voters = {1, 2}, .n_voters = 2, .observers = {7}, .n_observers = 1}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/skiff-raft-st-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm(const char *name)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    unlink(p);
}

static void teardown(void)
{
    const char *names[] = {"log", "log.tmp", "hardstate", "hardstate.tmp", "snapshot", "snapshot.tmp", "log.saved"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        rm(names[i]);
    rmdir(dir);
}

static struct raft_storage *open_ok(struct raft_restore *rs, uint64_t *cut)
{
    struct raft_storage *st = NULL;
    ck_assert_int_eq(raft_storage_open(dir, &st, rs, cut), SK_OK);
    return st;
}

static void append(struct raft_storage *st, uint64_t index, uint64_t term, const char *text)
{
    struct raft_entry e = {.index = index, .term = term, .type = RAFT_ENTRY_NORMAL, .len = (uint32_t)strlen(text),
                           .data = (uint8_t *)text};
    ck_assert_int_eq(raft_storage_append(st, &e, 1), SK_OK);
}

static void write_three(void)
{
    struct raft_restore rs;
    struct raft_storage *st = open_ok(&rs, NULL);
    struct raft_hard_state hs = {.term = 2, .vote = 3};
    ck_assert_int_eq(raft_storage_save_hard_state(st, &hs), SK_OK);
    append(st, 1, 1, "one");
    append(st, 2, 1, "two");
    append(st, 3, 2, "three");
    ck_assert_int_eq(raft_storage_sync(st), SK_OK);
    raft_storage_close(st);
}

static off_t file_size(const char *name)
{
    char p[128];
    struct stat sb;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    ck_assert_int_eq(stat(p, &sb), 0);
    return sb.st_size;
}

static void poke(const char *name, off_t off, const void *bytes, size_t n)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, bytes, n, off), (ssize_t)n);
    close(fd);
}

static void chop(const char *name, off_t by)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    ck_assert_int_eq(truncate(p, file_size(name) - by), 0);
}

START_TEST(roundtrip)
{
    write_three();
    struct raft_restore rs;
    uint64_t cut = 1;
    struct raft_storage *st = open_ok(&rs, &cut);
    ck_assert_uint_eq(cut, 0);
    ck_assert_uint_eq(rs.hs.term, 2);
    ck_assert_uint_eq(rs.hs.vote, 3);
    ck_assert_uint_eq(rs.n_entries, 3);
    ck_assert_uint_eq(rs.entries[2].index, 3);
    ck_assert_uint_eq(rs.entries[2].term, 2);
    ck_assert_mem_eq(rs.entries[2].data, "three", 5);
    /* The restore feeds the core directly. */
    struct raft_config c;
    raft_config_default(&c);
    c.id = 1;
    c.voters[c.n_voters++] = 1;
    char err[128];
    struct raft *r = NULL;
    ck_assert_int_eq(raft_new(&c, &rs, 0, &r, err, sizeof(err)), SK_OK);
    ck_assert_uint_eq(raft_last_index(r), 3);
    ck_assert_uint_eq(raft_term(r), 2);
    raft_free(r);
    raft_storage_close(st);
}
END_TEST

START_TEST(torn_tail_is_truncated)
{
    write_three();
    off_t full = file_size("log");
    chop("log", 3); /* the last record lost its last bytes */
    struct raft_restore rs;
    uint64_t cut = 0;
    struct raft_storage *st = open_ok(&rs, &cut);
    ck_assert_uint_eq(rs.n_entries, 2);
    ck_assert_uint_gt(cut, 0);
    ck_assert_int_lt(file_size("log"), full - 3); /* the partial record is gone from disk */
    /* Appending after recovery continues cleanly. */
    append(st, 3, 2, "again");
    ck_assert_int_eq(raft_storage_sync(st), SK_OK);
    raft_storage_close(st);
    st = open_ok(&rs, &cut);
    ck_assert_uint_eq(cut, 0);
    ck_assert_uint_eq(rs.n_entries, 3);
    ck_assert_mem_eq(rs.entries[2].data, "again", 5);
    raft_storage_close(st);
}
END_TEST

START_TEST(flipped_byte_drops_the_tail)
{
    write_three();
    /* Record 1 is 25 + 3 bytes; flip a payload byte of record 2. */
    poke("log", 28 + 25 + 1, "X", 1);
    struct raft_restore rs;
    uint64_t cut = 0;
    struct raft_storage *st = open_ok(&rs, &cut);
    ck_assert_uint_eq(rs.n_entries, 1);
    ck_assert_uint_gt(cut, 0);
    raft_storage_close(st);
}
END_TEST

START_TEST(absurd_length_is_not_trusted)
{
    write_three();
    uint8_t huge[4] = {0x7f, 0xff, 0xff, 0xff};
    poke("log", 28, huge, 4); /* record 2 claims 2 GiB */
    struct raft_restore rs;
    struct raft_storage *st = open_ok(&rs, NULL);
    ck_assert_uint_eq(rs.n_entries, 1);
    raft_storage_close(st);
}
END_TEST

START_TEST(conflicting_append_truncates)
{
    write_three();
    struct raft_restore rs;
    struct raft_storage *st = open_ok(&rs, NULL);
    raft_storage_restore_done(st);
    append(st, 2, 3, "new");
    /* A gap is refused. */
    struct raft_entry e = {.index = 9, .term = 3};
    ck_assert_int_eq(raft_storage_append(st, &e, 1), SK_EINVAL);
    ck_assert_int_eq(raft_storage_sync(st), SK_OK);
    raft_storage_close(st);
    st = open_ok(&rs, NULL);
    ck_assert_uint_eq(rs.n_entries, 2);
    ck_assert_uint_eq(rs.entries[1].term, 3);
    ck_assert_mem_eq(rs.entries[1].data, "new", 3);
    raft_storage_close(st);
}
END_TEST

START_TEST(corrupt_hard_state_refuses_to_start)
{
    write_three();
    poke("hardstate", 10, "\x01", 1);
    struct raft_restore rs;
    struct raft_storage *st = NULL;
    ck_assert_int_eq(raft_storage_open(dir, &st, &rs, NULL), SK_ECORRUPT);
    /* A torn temp file from a crash mid-replace is ignored. */
    rm("hardstate");
    rm("log");
    write_three();
    poke("hardstate.tmp", 0, "garbage", 7);
    st = open_ok(&rs, NULL);
    ck_assert_uint_eq(rs.hs.term, 2);
    raft_storage_close(st);
}
END_TEST

START_TEST(snapshot_compacts_and_survives)
{
    write_three();
    struct raft_restore rs;
    struct raft_storage *st = open_ok(&rs, NULL);
    raft_storage_restore_done(st);
    struct raft_snapshot s = {.index = 2, .term = 1, .data = (const uint8_t *)"img", .len = 3, .members = ONE};
    ck_assert_int_eq(raft_storage_save_snapshot(st, &s), SK_OK);
    raft_storage_close(st);
    st = open_ok(&rs, NULL);
    ck_assert_uint_eq(rs.snapshot.index, 2);
    ck_assert_uint_eq(rs.snapshot.term, 1);
    ck_assert_mem_eq(rs.snapshot.data, "img", 3);
    ck_assert_uint_eq(rs.snapshot.members.n_voters, 2);
    ck_assert_uint_eq(rs.snapshot.members.voters[1], 2);
    ck_assert_uint_eq(rs.snapshot.members.observers[0], 7);
    ck_assert_uint_eq(rs.n_entries, 1);
    ck_assert_uint_eq(rs.entries[0].index, 3);
    ck_assert_int_lt(file_size("log"), 28 + 28 + 30); /* records 1 and 2 are gone */
    raft_storage_close(st);
    /* A damaged snapshot is refused rather than guessed at. */
    poke("snapshot", 40, "Z", 1);
    struct raft_storage *bad = NULL;
    ck_assert_int_eq(raft_storage_open(dir, &bad, &rs, NULL), SK_ECORRUPT);
}
END_TEST

START_TEST(received_snapshot_replaces_log)
{
    write_three();
    struct raft_restore rs;
    struct raft_storage *st = open_ok(&rs, NULL);
    raft_storage_restore_done(st);
    /* The leader's snapshot at 5 (term 4) disagrees with everything we have. */
    struct raft_snapshot s = {.index = 5, .term = 4, .data = (const uint8_t *)"x", .len = 1, .members = ONE};
    ck_assert_int_eq(raft_storage_save_snapshot(st, &s), SK_OK);
    ck_assert_uint_eq(raft_storage_last_index(st), 5);
    append(st, 6, 4, "six");
    ck_assert_int_eq(raft_storage_sync(st), SK_OK);
    raft_storage_close(st);
    st = open_ok(&rs, NULL);
    ck_assert_uint_eq(rs.snapshot.index, 5);
    ck_assert_uint_eq(rs.n_entries, 1);
    ck_assert_uint_eq(rs.entries[0].index, 6);
    raft_storage_close(st);
}
END_TEST

static void copy_file(const char *from, const char *to)
{
    char a[128], b[128], buf[4096];
    snprintf(a, sizeof(a), "%s/%s", dir, from);
    snprintf(b, sizeof(b), "%s/%s", dir, to);
    FILE *in = fopen(a, "rb"), *out = fopen(b, "wb");
    ck_assert(in && out);
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

START_TEST(crash_between_snapshot_and_compaction)
{
    write_three();
    copy_file("log", "log.saved");
    struct raft_restore rs;
    struct raft_storage *st = open_ok(&rs, NULL);
    raft_storage_restore_done(st);
    struct raft_snapshot s = {.index = 2, .term = 1, .data = (const uint8_t *)"img", .len = 3, .members = ONE};
    ck_assert_int_eq(raft_storage_save_snapshot(st, &s), SK_OK);
    raft_storage_close(st);
    /* Put the uncompacted log back, as if the crash came before the rewrite. */
    copy_file("log.saved", "log");
    st = open_ok(&rs, NULL);
    ck_assert_uint_eq(rs.snapshot.index, 2);
    ck_assert_uint_eq(rs.n_entries, 1);
    ck_assert_uint_eq(rs.entries[0].index, 3);
    raft_storage_close(st);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("raft_storage");
    TCase *tc = tcase_create("storage");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, roundtrip);
    tcase_add_test(tc, torn_tail_is_truncated);
    tcase_add_test(tc, flipped_byte_drops_the_tail);
    tcase_add_test(tc, absurd_length_is_not_trusted);
    tcase_add_test(tc, conflicting_append_truncates);
    tcase_add_test(tc, corrupt_hard_state_refuses_to_start);
    tcase_add_test(tc, snapshot_compacts_and_survives);
    tcase_add_test(tc, received_snapshot_replaces_log);
    tcase_add_test(tc, crash_between_snapshot_and_compaction);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
