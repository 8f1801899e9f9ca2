/* Which registered broker the metadata quorum's leader adds next as an
 * observer (broker/quorum_members.c). */
#include <check.h>
#include <stdlib.h>

#include "broker/quorum_members.h"

static struct raft_members three_voters(void)
{
    struct raft_members m = {.n_voters = 3};
    m.voters[0] = 1;
    m.voters[1] = 2;
    m.voters[2] = 3;
    return m;
}

START_TEST(voters_only_need_nothing)
{
    struct raft_members m = three_voters();
    int32_t ids[] = {3, 1, 2};
    ck_assert_int_eq(quorum_observer_to_add(&m, ids, 3), -1);
    ck_assert_int_eq(quorum_observer_to_add(&m, ids, 0), -1);
}
END_TEST

START_TEST(registered_non_members_are_added_in_image_order)
{
    struct raft_members m = three_voters();
    int32_t ids[] = {1, 2, 3, 5, 4};
    ck_assert_int_eq(quorum_observer_to_add(&m, ids, 5), 5);
    m.observers[m.n_observers++] = 5;
    ck_assert_int_eq(quorum_observer_to_add(&m, ids, 5), 4);
    m.observers[m.n_observers++] = 4;
    ck_assert_int_eq(quorum_observer_to_add(&m, ids, 5), -1);
}
END_TEST

START_TEST(full_member_list_adds_nothing)
{
    struct raft_members m = three_voters();
    for (uint64_t id = 10; m.n_voters + m.n_observers < SK_RAFT_MEMBERS_MAX; id++)
        m.observers[m.n_observers++] = id;
    int32_t ids[] = {1, 99};
    ck_assert_int_eq(quorum_observer_to_add(&m, ids, 2), -1);
    /* One slot free again: the missing broker gets it. */
    m.n_observers--;
    ck_assert_int_eq(quorum_observer_to_add(&m, ids, 2), 99);
}
END_TEST

START_TEST(invalid_ids_are_skipped)
{
    struct raft_members m = three_voters();
    int32_t ids[] = {0, -1, 2};
    ck_assert_int_eq(quorum_observer_to_add(&m, ids, 3), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("quorum_members");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, voters_only_need_nothing);
    tcase_add_test(tc, registered_non_members_are_added_in_image_order);
    tcase_add_test(tc, full_member_list_adds_nothing);
    tcase_add_test(tc, invalid_ids_are_skipped);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
