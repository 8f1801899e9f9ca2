/* Leadership lease (pure functions): its length against the controller's
 * fencing timeline, when it holds, and what a fetch outside the log gets
 * from a leader that holds it or not. */
#include <check.h>
#include <stdlib.h>

#include "broker/kafka_err.h"
#include "broker/leader_lease.h"

START_TEST(lease_length_defaults_and_bounds)
{
    /* Defaults: session 1000, election 500, heartbeat 100. */
    ck_assert_int_eq(leader_lease_ms(1000, 500, 100), 500);
    ck_assert_int_eq(leader_lease_ms(6000, 1000, 500), 5000);
    /* Never shorter than two heartbeat intervals... */
    ck_assert_int_eq(leader_lease_ms(1000, 950, 100), 200);
    ck_assert_int_eq(leader_lease_ms(1000, 5000, 100), 200);
    /* ...and never longer than the session. */
    ck_assert_int_eq(leader_lease_ms(200, 50, 100), 200);
}
END_TEST

/* The worst case the length is chosen for.  The partition leader and the
 * controller are cut off together at t=0.  The deposed controller answers
 * heartbeats until CheckQuorum makes it step down, just before 2T; the new
 * controller takes over no sooner than T and fences the leader one session
 * later.  The lease of the last heartbeat the old controller answered must
 * have ended by then. */
START_TEST(lease_ends_before_any_fence)
{
    static const int32_t cfgs[][3] = {
        {1000, 500, 100}, {6000, 1000, 500}, {10000, 3000, 1000}, {1000, 50, 100}, {3000, 1000, 100},
    };
    for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
        int32_t session = cfgs[i][0], election = cfgs[i][1], hb = cfgs[i][2];
        int32_t lease = leader_lease_ms(session, election, hb);
        int64_t last_answered_sent = 2 * (int64_t)election - 1;
        int64_t earliest_fence = (int64_t)election + session;
        ck_assert_msg(!leader_lease_held(earliest_fence, last_answered_sent, lease), "config %zu", i);
        /* A broker cut off alone: its last answer was sent at t=0 to the
         * controller that fences it one session later. */
        ck_assert(!leader_lease_held(session, 0, lease));
        /* A healthy broker heartbeating every interval never lapses: the
         * next answer is sent one interval after the previous one. */
        ck_assert(leader_lease_held(2 * (int64_t)hb - 1, 0, lease));
    }
}
END_TEST

START_TEST(lease_held_window)
{
    ck_assert(!leader_lease_held(1000, -1, 500)); /* nothing confirmed yet */
    ck_assert(leader_lease_held(1000, 1000, 500));
    ck_assert(leader_lease_held(1499, 1000, 500));
    ck_assert(!leader_lease_held(1500, 1000, 500));
    ck_assert(!leader_lease_held(90000, 1000, 500));
}
END_TEST

START_TEST(fetch_range_errors)
{
    /* Inside the log, the log end included (the fetch waits there). */
    ck_assert_int_eq(leader_fetch_range_error(10, 10, 20, true), KAFKA_NONE);
    ck_assert_int_eq(leader_fetch_range_error(20, 10, 20, true), KAFKA_NONE);
    ck_assert_int_eq(leader_fetch_range_error(15, 10, 20, false), KAFKA_NONE);
    ck_assert_int_eq(leader_fetch_range_error(20, 10, 20, false), KAFKA_NONE);
    /* A leader sure it leads: out of range, so a consumer that seeks past
     * either end resets (Kafka's semantics). */
    ck_assert_int_eq(leader_fetch_range_error(21, 10, 20, true), KAFKA_OFFSET_OUT_OF_RANGE);
    ck_assert_int_eq(leader_fetch_range_error(9, 10, 20, true), KAFKA_OFFSET_OUT_OF_RANGE);
    ck_assert_int_eq(leader_fetch_range_error(-1, 0, 0, true), KAFKA_OFFSET_OUT_OF_RANGE);
    /* One that may have been deposed: the client must look for the leader. */
    ck_assert_int_eq(leader_fetch_range_error(21, 10, 20, false), KAFKA_NOT_LEADER_OR_FOLLOWER);
    ck_assert_int_eq(leader_fetch_range_error(9, 10, 20, false), KAFKA_NOT_LEADER_OR_FOLLOWER);
    ck_assert_int_eq(leader_fetch_range_error(INT64_MAX, 0, 0, false), KAFKA_NOT_LEADER_OR_FOLLOWER);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("leader_lease");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, lease_length_defaults_and_bounds);
    tcase_add_test(tc, lease_ends_before_any_fence);
    tcase_add_test(tc, lease_held_window);
    tcase_add_test(tc, fetch_range_errors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
