/* Controller decisions (pure functions): placement, leader election from
 * the ISR, partition changes when brokers go down or return, controlled
 * shutdown, preferred-leader rebalancing, AlterPartition checks, session
 * expiry. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "broker/controller_logic.h"
#include "broker/kafka_err.h"
#include "common/sk_err.h"

static struct md_partition part(const int32_t *replicas, int32_t n_r, const int32_t *isr, int32_t n_isr, int32_t leader)
{
    struct md_partition p;
    memset(&p, 0, sizeof(p));
    memcpy(p.replicas, replicas, (size_t)n_r * sizeof(int32_t));
    p.n_replicas = n_r;
    memcpy(p.isr, isr, (size_t)n_isr * sizeof(int32_t));
    p.n_isr = n_isr;
    p.leader = leader;
    p.leader_epoch = 3;
    p.partition_epoch = 7;
    return p;
}

START_TEST(placement_spreads_leaders_and_replicas)
{
    int32_t ids[] = {1, 2, 3};
    struct ctrl_live live = {ids, 3};
    struct md_partition out[6];
    ck_assert_int_eq(ctrl_place(&live, 6, 3, 0, out), SK_OK);
    int leaders[4] = {0};
    for (int i = 0; i < 6; i++) {
        ck_assert(md_partition_valid(&out[i]));
        ck_assert_int_eq(out[i].n_replicas, 3);
        ck_assert_int_eq(out[i].n_isr, 3);
        ck_assert_int_eq(out[i].leader, out[i].replicas[0]);
        leaders[out[i].leader]++;
    }
    ck_assert_int_eq(leaders[1], 2);
    ck_assert_int_eq(leaders[2], 2);
    ck_assert_int_eq(leaders[3], 2);
    /* A start offset rotates the first leader. */
    ck_assert_int_eq(ctrl_place(&live, 1, 1, 1, out), SK_OK);
    ck_assert_int_eq(out[0].leader, 2);
}
END_TEST

START_TEST(placement_refuses_too_large_factor)
{
    int32_t ids[] = {1, 2};
    struct ctrl_live live = {ids, 2};
    struct md_partition out[1];
    ck_assert_int_eq(ctrl_place(&live, 1, 3, 0, out), SK_EINVAL);
    ck_assert_int_eq(ctrl_place(&live, 1, 0, 0, out), SK_EINVAL);
}
END_TEST

START_TEST(election_takes_first_live_isr_member_in_replica_order)
{
    int32_t r[] = {1, 2, 3}, isr[] = {3, 2}; /* ISR order differs from replica order */
    struct md_partition p = part(r, 3, isr, 2, 1);
    int32_t all[] = {1, 2, 3}, no2[] = {1, 3}, only1[] = {1};
    ck_assert_int_eq(ctrl_elect(&p, &(struct ctrl_live){all, 3}, false), 2);
    ck_assert_int_eq(ctrl_elect(&p, &(struct ctrl_live){no2, 2}, false), 3);
    /* 1 is live but not in the ISR: unclean election only. */
    ck_assert_int_eq(ctrl_elect(&p, &(struct ctrl_live){only1, 1}, false), MD_NO_LEADER);
    ck_assert_int_eq(ctrl_elect(&p, &(struct ctrl_live){only1, 1}, true), 1);
}
END_TEST

START_TEST(broker_down_moves_leadership_and_bumps_epochs)
{
    int32_t r[] = {1, 2, 3}, isr[] = {1, 2, 3}, live_ids[] = {2, 3};
    struct md_partition in = part(r, 3, isr, 3, 1), out;
    ck_assert(ctrl_on_broker_down(&in, 1, &(struct ctrl_live){live_ids, 2}, false, &out));
    ck_assert_int_eq(out.leader, 2);
    ck_assert_int_eq(out.n_isr, 2);
    ck_assert_int_eq(out.leader_epoch, 4);
    ck_assert_int_eq(out.partition_epoch, 8);
    ck_assert(md_partition_valid(&out));
    /* A follower going down leaves the ISR; the leader and its epoch stay. */
    ck_assert(ctrl_on_broker_down(&in, 3, &(struct ctrl_live){(int32_t[]){1, 2}, 2}, false, &out));
    ck_assert_int_eq(out.leader, 1);
    ck_assert_int_eq(out.leader_epoch, 3);
    ck_assert_int_eq(out.n_isr, 2);
    /* Not involved: no change. */
    struct md_partition other = part((int32_t[]){2, 3}, 2, (int32_t[]){2, 3}, 2, 2);
    ck_assert(!ctrl_on_broker_down(&other, 1, &(struct ctrl_live){live_ids, 2}, false, &out));
}
END_TEST

START_TEST(last_isr_member_stays_and_partition_goes_offline)
{
    /* KIP-966: the ISR never empties; with unclean election off and no live
     * ISR member the partition has no leader. */
    int32_t r[] = {1, 2}, isr[] = {1};
    struct md_partition in = part(r, 2, isr, 1, 1), out;
    int32_t live_ids[] = {2};
    ck_assert(ctrl_on_broker_down(&in, 1, &(struct ctrl_live){live_ids, 1}, false, &out));
    ck_assert_int_eq(out.leader, MD_NO_LEADER);
    ck_assert_int_eq(out.n_isr, 1);
    ck_assert_int_eq(out.isr[0], 1);
    ck_assert(md_partition_valid(&out));
    /* Broker 1 returns: it is elected again. */
    struct md_partition back;
    int32_t both[] = {1, 2};
    ck_assert(ctrl_on_broker_up(&out, &(struct ctrl_live){both, 2}, false, &back));
    ck_assert_int_eq(back.leader, 1);
    ck_assert_int_gt(back.leader_epoch, out.leader_epoch);
    /* Only 2 is back: it is not in the ISR, so nothing happens. */
    ck_assert(!ctrl_on_broker_up(&out, &(struct ctrl_live){live_ids, 1}, false, &back));
    /* Unclean election elects it and the ISR restarts from it. */
    ck_assert(ctrl_on_broker_up(&out, &(struct ctrl_live){live_ids, 1}, true, &back));
    ck_assert_int_eq(back.leader, 2);
    ck_assert_int_eq(back.n_isr, 1);
    ck_assert_int_eq(back.isr[0], 2);
}
END_TEST

START_TEST(controlled_shutdown_keeps_sole_leader)
{
    int32_t r[] = {1}, isr[] = {1}, none[] = {0};
    struct md_partition in = part(r, 1, isr, 1, 1), out;
    ck_assert(!ctrl_on_broker_shutdown(&in, 1, &(struct ctrl_live){none, 0}, false, &out));
    int32_t r3[] = {1, 2, 3}, live_ids[] = {2, 3};
    in = part(r3, 3, r3, 3, 1);
    ck_assert(ctrl_on_broker_shutdown(&in, 1, &(struct ctrl_live){live_ids, 2}, false, &out));
    ck_assert_int_eq(out.leader, 2);
}
END_TEST

START_TEST(rebalance_prefers_first_replica_in_isr)
{
    int32_t r[] = {1, 2, 3}, isr[] = {2, 3, 1}, all[] = {1, 2, 3};
    struct md_partition in = part(r, 3, isr, 3, 2), out;
    ck_assert(ctrl_rebalance(&in, &(struct ctrl_live){all, 3}, &out));
    ck_assert_int_eq(out.leader, 1);
    ck_assert_int_eq(out.leader_epoch, 4);
    /* Preferred replica out of the ISR: leave it. */
    int32_t isr2[] = {2, 3};
    in = part(r, 3, isr2, 2, 2);
    ck_assert(!ctrl_rebalance(&in, &(struct ctrl_live){all, 3}, &out));
}
END_TEST

START_TEST(alter_isr_checks_leader_epochs_and_membership)
{
    int32_t r[] = {1, 2, 3}, isr[] = {1, 2, 3}, all[] = {1, 2, 3}, two[] = {1, 2};
    struct ctrl_live live = {all, 3};
    struct md_partition in = part(r, 3, isr, 3, 1), out;
    ck_assert_int_eq(ctrl_alter_isr(&in, 1, 3, 7, two, 2, &live, &out), KAFKA_NONE);
    ck_assert_int_eq(out.n_isr, 2);
    ck_assert_int_eq(out.partition_epoch, 8);
    ck_assert_int_eq(out.leader_epoch, 3);
    ck_assert_int_eq(ctrl_alter_isr(&in, 2, 3, 7, two, 2, &live, &out), KAFKA_NOT_LEADER_OR_FOLLOWER);
    ck_assert_int_eq(ctrl_alter_isr(&in, 1, 2, 7, two, 2, &live, &out), KAFKA_FENCED_LEADER_EPOCH);
    ck_assert_int_eq(ctrl_alter_isr(&in, 1, 3, 6, two, 2, &live, &out), KAFKA_INVALID_UPDATE_VERSION);
    int32_t no_leader[] = {2, 3}, stranger[] = {1, 9}, dup[] = {1, 1};
    ck_assert_int_eq(ctrl_alter_isr(&in, 1, 3, 7, no_leader, 2, &live, &out), KAFKA_INVALID_REQUEST);
    ck_assert_int_eq(ctrl_alter_isr(&in, 1, 3, 7, stranger, 2, &live, &out), KAFKA_INVALID_REQUEST);
    ck_assert_int_eq(ctrl_alter_isr(&in, 1, 3, 7, dup, 2, &live, &out), KAFKA_INVALID_REQUEST);
    /* Adding a fenced broker is refused. */
    struct md_partition small = part(r, 3, two, 2, 1);
    ck_assert_int_eq(ctrl_alter_isr(&small, 1, 3, 7, all, 3, &(struct ctrl_live){two, 2}, &out), KAFKA_INVALID_REQUEST);
    ck_assert_int_eq(ctrl_alter_isr(&small, 1, 3, 7, all, 3, &live, &out), KAFKA_NONE);
}
END_TEST

START_TEST(sessions_expire_after_timeout)
{
    int32_t ids[] = {1, 2, 3}, out[3];
    int64_t hb[] = {1000, 1500, 2000};
    ck_assert_int_eq(ctrl_expired(ids, hb, 3, 1900, 1000, out, 3), 0);
    ck_assert_int_eq(ctrl_expired(ids, hb, 3, 2100, 1000, out, 3), 1);
    ck_assert_int_eq(out[0], 1);
    ck_assert_int_eq(ctrl_expired(ids, hb, 3, 5000, 1000, out, 2), 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("controller_logic");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, placement_spreads_leaders_and_replicas);
    tcase_add_test(tc, placement_refuses_too_large_factor);
    tcase_add_test(tc, election_takes_first_live_isr_member_in_replica_order);
    tcase_add_test(tc, broker_down_moves_leadership_and_bumps_epochs);
    tcase_add_test(tc, last_isr_member_stays_and_partition_goes_offline);
    tcase_add_test(tc, controlled_shutdown_keeps_sole_leader);
    tcase_add_test(tc, rebalance_prefers_first_replica_in_isr);
    tcase_add_test(tc, alter_isr_checks_leader_epochs_and_membership);
    tcase_add_test(tc, sessions_expire_after_timeout);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
