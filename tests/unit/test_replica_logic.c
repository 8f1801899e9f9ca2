/* Replication decisions (pure functions): the high watermark over the ISR
 * (durable ends only, never backwards, frozen below min.insync.replicas),
 * caught-up tracking, ISR shrink and expand. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "broker/replica_logic.h"

static struct replica_follower fol(int32_t id, int64_t fetch_offset, int64_t caught_up_ms)
{
    struct replica_follower f;
    memset(&f, 0, sizeof(f));
    f.id = id;
    f.fetch_offset = fetch_offset;
    f.last_caught_up_ms = caught_up_ms;
    return f;
}

START_TEST(hw_is_min_over_isr)
{
    int32_t isr[] = {1, 2, 3};
    struct replica_follower f[] = {fol(2, 50, 0), fol(3, 70, 0)};
    ck_assert_int_eq(replica_leader_hw(10, 100, 1, isr, 3, f, 2, 1), 50);
    /* The leader's own durable end bounds it too. */
    ck_assert_int_eq(replica_leader_hw(10, 40, 1, isr, 3, f, 2, 1), 40);
    /* A follower outside the ISR does not hold it back. */
    int32_t isr2[] = {1, 3};
    ck_assert_int_eq(replica_leader_hw(10, 100, 1, isr2, 2, f, 2, 1), 70);
    /* Alone in the ISR: its own end. */
    int32_t alone[] = {1};
    ck_assert_int_eq(replica_leader_hw(10, 100, 1, alone, 1, f, 2, 1), 100);
}
END_TEST

START_TEST(hw_never_moves_back_and_waits_for_unknown_followers)
{
    int32_t isr[] = {1, 2};
    struct replica_follower f[] = {fol(2, -1, 0)};
    ck_assert_int_eq(replica_leader_hw(30, 100, 1, isr, 2, f, 1, 1), 30);
    f[0].fetch_offset = 20;
    ck_assert_int_eq(replica_leader_hw(30, 100, 1, isr, 2, f, 1, 1), 30);
    f[0].fetch_offset = 60;
    ck_assert_int_eq(replica_leader_hw(30, 100, 1, isr, 2, f, 1, 1), 60);
}
END_TEST

START_TEST(hw_frozen_below_min_isr)
{
    /* KIP-966: with the ISR below min.insync.replicas nothing new counts as
     * committed, so replicas that left the ISR still hold all of it. */
    int32_t isr[] = {1};
    ck_assert_int_eq(replica_leader_hw(30, 100, 1, isr, 1, NULL, 0, 2), 30);
    int32_t isr2[] = {1, 2};
    struct replica_follower f[] = {fol(2, 80, 0)};
    ck_assert_int_eq(replica_leader_hw(30, 100, 1, isr2, 2, f, 1, 2), 80);
}
END_TEST

START_TEST(caught_up_rule)
{
    struct replica_follower f = fol(2, -1, 0);
    replica_note_fetch(&f, 100, 100, 1000);
    ck_assert_int_eq(f.last_caught_up_ms, 1000);
    /* Under load: asks for what was the end at its previous fetch. */
    replica_note_fetch(&f, 100, 150, 1100);
    ck_assert_int_eq(f.last_caught_up_ms, 1000);
    replica_note_fetch(&f, 150, 200, 1200);
    ck_assert_int_eq(f.last_caught_up_ms, 1100);
    /* Falling behind: no longer caught up. */
    replica_note_fetch(&f, 160, 300, 1300);
    ck_assert_int_eq(f.last_caught_up_ms, 1100);
    ck_assert_int_eq(f.fetch_offset, 160);
}
END_TEST

START_TEST(isr_shrink_and_expand)
{
    int32_t isr[] = {1, 2, 3}, out[3];
    struct replica_follower f[] = {fol(2, 100, 9000), fol(3, 10, 1000)};
    ck_assert_int_eq(replica_isr_shrink(1, isr, 3, f, 2, 10000, 5000, out), 2);
    ck_assert_int_eq(out[0], 1);
    ck_assert_int_eq(out[1], 2);
    ck_assert_int_eq(replica_isr_shrink(1, isr, 3, f, 2, 5500, 5000, out), 3);
    /* 3 rejoins once it reached the HW and the leader epoch's start. */
    int32_t small[] = {1, 2};
    ck_assert_int_eq(replica_isr_expand(small, 2, f, 2, 50, 0), -1);
    f[1].fetch_offset = 50;
    ck_assert_int_eq(replica_isr_expand(small, 2, f, 2, 50, 60), -1);
    ck_assert_int_eq(replica_isr_expand(small, 2, f, 2, 50, 40), 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("replica_logic");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, hw_is_min_over_isr);
    tcase_add_test(tc, hw_never_moves_back_and_waits_for_unknown_followers);
    tcase_add_test(tc, hw_frozen_below_min_isr);
    tcase_add_test(tc, caught_up_rule);
    tcase_add_test(tc, isr_shrink_and_expand);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
