/* Golden-trace scenarios for the Raft core: each test drives a small cluster
 * by hand, asserts the outcome, and compares the full interaction trace with
 * tests/sim/golden/<name>.txt, so any change in behaviour shows as a diff. */
#include <check.h>
#include <stdlib.h>

#include "tests/unit/raft_cluster.h"

static struct tc T;

static void elect(struct tc *t, unsigned id)
{
    tc_timeout(t, id);
    tc_deliver_all(t);
    ck_assert_uint_eq(tc_leader(t), id);
}

START_TEST(election)
{
    tc_init(&T, 3, 0, true, true);
    tc_timeout(&T, 1);
    tc_deliver_all(&T);
    ck_assert_uint_eq(tc_leader(&T), 1);
    ck_assert_uint_eq(raft_term(T.nodes[0].r), 1);
    ck_assert_uint_ne(tc_propose(&T, 1, "x"), 0);
    tc_deliver_all(&T);
    tc_run(&T, 200); /* heartbeats carry the commit index to followers */
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_uint_eq(T.nodes[i].applied_index, 2);
        ck_assert_str_eq(T.nodes[i].applied[2], "x");
    }
    /* A follower refuses proposals. */
    ck_assert_uint_eq(tc_propose(&T, 2, "y"), 0);
    tc_golden(&T, "election");
    tc_free(&T);
}
END_TEST

START_TEST(split_vote)
{
    tc_init(&T, 3, 0, true, true);
    tc_isolate(&T, 3, true);
    /* Nodes 1 and 2 campaign at once: each passes the pre-vote, then each
     * votes for itself, so neither wins term 1. */
    tc_timeout(&T, 1);
    tc_timeout(&T, 2);
    tc_deliver_all(&T);
    ck_assert_uint_eq(tc_leader(&T), 0);
    ck_assert_uint_eq(raft_term(T.nodes[0].r), 1);
    ck_assert_uint_eq(raft_term(T.nodes[1].r), 1);
    /* The next timeout (randomized, so one comes first) settles it. */
    elect(&T, 1);
    ck_assert_uint_eq(raft_term(T.nodes[0].r), 2);
    tc_golden(&T, "split_vote");
    tc_free(&T);
}
END_TEST

START_TEST(isolated_leader_rejoins)
{
    tc_init(&T, 3, 0, true, true);
    elect(&T, 1);
    tc_isolate(&T, 1, true);
    /* Cut off, the old leader takes a proposal it can never commit... */
    ck_assert_uint_ne(tc_propose(&T, 1, "lost"), 0);
    tc_deliver_all(&T);
    /* ...and steps down once a full election timeout passes without a
     * quorum (§6.2), while the others elect a new leader. */
    tc_run(&T, 2100);
    ck_assert_int_eq(raft_role(T.nodes[0].r), RAFT_FOLLOWER);
    unsigned leader = tc_leader(&T);
    ck_assert(leader == 2 || leader == 3);
    uint64_t kept = tc_propose(&T, leader, "kept");
    ck_assert_uint_eq(kept, 3); /* after the new leader's noop at 2 */
    tc_deliver_all(&T);
    tc_isolate(&T, 1, false);
    /* Back on the network, node 1 cannot disrupt the new leader (PreVote
     * keeps its term), learns the new term and drops its stale entry. */
    tc_run(&T, 300);
    ck_assert_uint_eq(tc_leader(&T), leader);
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_uint_eq(T.nodes[i].applied_index, 3);
        ck_assert_str_eq(T.nodes[i].applied[3], "kept");
        ck_assert_uint_eq(raft_last_index(T.nodes[i].r), 3);
        ck_assert_uint_eq(raft_term_at(T.nodes[i].r, 2), 2); /* "lost" is gone */
    }
    tc_golden(&T, "isolated_leader_rejoins");
    tc_free(&T);
}
END_TEST

/* raft_member_match: only the leader knows how far each member's log
 * matches its own; a cut-off follower's match stays behind.  (No golden
 * trace: the accessor changes no behaviour.) */
START_TEST(member_match)
{
    tc_init(&T, 3, 0, true, true);
    elect(&T, 1);
    tc_run(&T, 100);
    uint64_t m = 99;
    ck_assert(!raft_member_match(T.nodes[1].r, 1, &m));
    ck_assert_uint_eq(m, 99);
    ck_assert(!raft_member_match(T.nodes[0].r, 4, &m));
    tc_isolate(&T, 3, true);
    uint64_t last = tc_propose(&T, 1, "a");
    ck_assert_uint_ne(last, 0);
    tc_deliver_all(&T);
    tc_run(&T, 100);
    ck_assert_uint_eq(raft_last_index(T.nodes[0].r), last);
    ck_assert(raft_member_match(T.nodes[0].r, 1, &m));
    ck_assert_uint_eq(m, last);
    ck_assert(raft_member_match(T.nodes[0].r, 2, &m));
    ck_assert_uint_eq(m, last);
    ck_assert(raft_member_match(T.nodes[0].r, 3, &m));
    ck_assert_uint_lt(m, last);
    tc_isolate(&T, 3, false);
    tc_run(&T, 300);
    ck_assert(raft_member_match(T.nodes[0].r, 3, &m));
    ck_assert_uint_eq(m, last);
    tc_free(&T);
}
END_TEST

START_TEST(leadership_transfer)
{
    tc_init(&T, 3, 0, true, true);
    elect(&T, 1);
    ck_assert_uint_ne(tc_propose(&T, 1, "a"), 0);
    /* Node 3 misses "a", so the leader must catch it up before TimeoutNow. */
    tc_cut(&T, 1, 3, true);
    tc_deliver_all(&T);
    tc_cut(&T, 1, 3, false);
    struct raft_event ev = {.type = RAFT_EVENT_TRANSFER};
    ev.u.transfer_to = 3;
    tc_trace(&T, "1 transfers leadership to 3");
    tc_step(&T, 1, &ev);
    /* Proposals stop while the transfer runs (§3.10). */
    ck_assert_uint_eq(tc_propose(&T, 1, "b"), 0);
    tc_deliver_all(&T);
    ck_assert_uint_eq(tc_leader(&T), 3);
    ck_assert_uint_eq(raft_term(T.nodes[2].r), 2);
    ck_assert_int_eq(raft_role(T.nodes[0].r), RAFT_FOLLOWER);
    tc_run(&T, 200);
    for (unsigned i = 0; i < 3; i++)
        ck_assert_str_eq(T.nodes[i].applied[2], "a");
    tc_golden(&T, "leadership_transfer");
    tc_free(&T);
}
END_TEST

START_TEST(snapshot_install)
{
    tc_init(&T, 3, 1, true, true); /* node 4 is an observer */
    elect(&T, 1);
    tc_crash(&T, 3);
    char text[16];
    for (int i = 0; i < 6; i++) {
        snprintf(text, sizeof(text), "e%d", i);
        ck_assert_uint_ne(tc_propose(&T, 1, text), 0);
        tc_deliver_all(&T);
    }
    tc_run(&T, 200);
    ck_assert_uint_eq(T.nodes[0].applied_index, 7);
    ck_assert_uint_eq(T.nodes[3].applied_index, 7); /* the observer follows */
    tc_snapshot(&T, 1, 7);
    ck_assert_uint_eq(raft_first_index(T.nodes[0].r), 8);
    ck_assert_uint_eq(raft_snapshot_index(T.nodes[0].r), 7);
    ck_assert_uint_ne(tc_propose(&T, 1, "after"), 0);
    tc_deliver_all(&T);
    tc_start(&T, 3);
    /* Node 3 needs entries the leader no longer has: it gets the snapshot. */
    tc_run(&T, 400);
    ck_assert_uint_eq(raft_snapshot_index(T.nodes[2].r), 7);
    ck_assert_uint_eq(T.nodes[2].snap_index, 7);
    ck_assert_uint_eq(T.nodes[2].applied_index, 8);
    ck_assert_str_eq(T.nodes[2].applied[8], "after");
    ck_assert_uint_eq(raft_commit(T.nodes[2].r), 8);
    tc_golden(&T, "snapshot_install");
    tc_free(&T);
}
END_TEST

static bool stop_when_leader(struct tc *t, const struct raft_msg *m)
{
    (void)m;
    return tc_leader(t) != 0;
}

static bool acked2_by2, acked2_by3;

static bool stop_when_2_and_3_hold_x(struct tc *t, const struct raft_msg *m)
{
    (void)t;
    if (m->type == RAFT_MSG_APPEND_RESP && !m->reject && m->index >= 2) {
        acked2_by2 |= m->from == 2;
        acked2_by3 |= m->from == 3;
    }
    return acked2_by2 && acked2_by3;
}

/* Figure 8 of the Raft paper (thesis figure 3.7): an entry from an earlier
 * term that reaches a majority is not committed by counting, because a
 * later leader may still overwrite it. */
START_TEST(figure8)
{
    /* The paper's setting: no PreVote or CheckQuorum, whose leader lease
     * would make the voters below ignore the candidates. */
    tc_init(&T, 5, 0, false, false);
    T.base.max_msg_entries = 1; /* one entry per append, as in the figure */
    for (unsigned i = 1; i <= 5; i++) {
        tc_crash(&T, i);
        tc_start(&T, i);
    }
    elect(&T, 1); /* term 1: noop at index 1 everywhere */
    tc_run(&T, 200);
    /* (a) S1 appends X at index 2 and it reaches only S2. */
    tc_cut(&T, 1, 3, true);
    tc_cut(&T, 1, 4, true);
    tc_cut(&T, 1, 5, true);
    ck_assert_uint_eq(tc_propose(&T, 1, "X"), 2);
    tc_deliver_all(&T);
    tc_crash(&T, 1);
    tc_isolate(&T, 1, false);
    /* (b) S5 wins term 2 with S3 and S4 and appends its noop at index 2,
     * then crashes before sending it anywhere. */
    tc_timeout(&T, 5);
    ck_assert(tc_deliver_until(&T, stop_when_leader));
    ck_assert_uint_eq(tc_leader(&T), 5);
    ck_assert_uint_eq(raft_term(T.nodes[4].r), 2);
    tc_crash(&T, 5);
    tc_drop_all(&T);
    /* (c) S1 returns and wins term 3 with S2 and S3 (its log ends in term 1
     * at index 2, as complete as any of theirs). */
    tc_start(&T, 1);
    tc_timeout(&T, 1);
    ck_assert(tc_deliver_until(&T, stop_when_leader));
    ck_assert_uint_eq(tc_leader(&T), 1);
    ck_assert_uint_eq(raft_term(T.nodes[0].r), 3);
    tc_drop_all(&T);
    /* It copies X (term 1) to S3, one entry per append, and hears S2 and S3
     * acknowledge it: X is now on a majority (S1, S2, S3) but must not
     * commit, because S5 can still win without any of their votes but S1's. */
    tc_cut(&T, 1, 4, true);
    tc_tick(&T, 1);
    ck_assert(tc_deliver_until(&T, stop_when_2_and_3_hold_x));
    ck_assert_uint_eq(raft_term_at(T.nodes[2].r, 2), 1);
    ck_assert_uint_lt(raft_commit(T.nodes[0].r), 2);
    tc_crash(&T, 1);
    tc_drop_all(&T);
    tc_cut(&T, 1, 4, false);
    /* (d) S5 returns and wins a later term with S3 and S4 (its last term,
     * 2, is newer than their 1), then overwrites index 2 everywhere. */
    tc_start(&T, 5);
    /* Its first campaign may land in a term the others already voted in. */
    for (int k = 0; k < 3 && tc_leader(&T) != 5; k++) {
        tc_timeout(&T, 5);
        tc_deliver_all(&T);
    }
    ck_assert_uint_eq(tc_leader(&T), 5);
    tc_run(&T, 300);
    for (unsigned i = 2; i <= 5; i++) {
        ck_assert_uint_eq(raft_term_at(T.nodes[i - 1].r, 2), 2);
        ck_assert_uint_ge(T.nodes[i - 1].applied_index, 2);
    }
    /* Nobody ever applied X. */
    for (unsigned i = 0; i < 5; i++)
        ck_assert_str_ne(T.nodes[i].applied[2], "X");
    tc_golden(&T, "figure8");
    tc_free(&T);
}
END_TEST

/* Single-server membership changes (§4.1): promote an observer, refuse a
 * second change while one is pending, then remove the leader itself, which
 * steps down once its removal commits. */
START_TEST(membership_changes)
{
    tc_init(&T, 3, 1, true, true);
    tc_timeout(&T, 1);
    ck_assert(tc_deliver_until(&T, stop_when_leader));
    /* Before the leader's noop commits, no change may start. */
    ck_assert_int_eq(tc_change(&T, 1, RAFT_CHANGE_ADD_VOTER, 4), SK_EAGAIN);
    tc_deliver_all(&T);
    ck_assert_uint_eq(tc_leader(&T), 1);
    ck_assert_int_eq(tc_change(&T, 2, RAFT_CHANGE_ADD_VOTER, 4), SK_ESTATE); /* not the leader */
    ck_assert_int_eq(tc_change(&T, 1, RAFT_CHANGE_ADD_VOTER, 1), SK_EINVAL); /* already a voter */
    ck_assert_int_eq(tc_change(&T, 1, RAFT_CHANGE_ADD_VOTER, 4), SK_OK);
    /* The new list is in force on the leader at once; one change at a time. */
    ck_assert(tc_is_voter(&T, 1, 4));
    ck_assert_int_eq(tc_change(&T, 1, RAFT_CHANGE_REMOVE, 2), SK_EAGAIN);
    tc_deliver_all(&T);
    tc_run(&T, 200);
    for (unsigned i = 1; i <= 4; i++)
        ck_assert(tc_is_voter(&T, i, 4));
    ck_assert_uint_eq(raft_members(T.nodes[0].r)->n_voters, 4);
    /* Now the leader removes itself. */
    ck_assert_int_eq(tc_change(&T, 1, RAFT_CHANGE_REMOVE, 1), SK_OK);
    tc_deliver_all(&T);
    ck_assert_int_eq(raft_role(T.nodes[0].r), RAFT_FOLLOWER);
    tc_run(&T, 3000);
    unsigned l = tc_leader(&T);
    ck_assert(l >= 2 && l <= 4);
    ck_assert(!tc_is_voter(&T, l, 1));
    ck_assert_uint_eq(raft_members(T.nodes[l - 1].r)->n_voters, 3);
    /* The removed node never campaigns again. */
    ck_assert_int_eq(raft_role(T.nodes[0].r), RAFT_FOLLOWER);
    ck_assert_uint_ne(tc_propose(&T, l, "after"), 0);
    tc_deliver_all(&T);
    tc_run(&T, 200);
    for (unsigned i = 2; i <= 4; i++)
        ck_assert_str_eq(T.nodes[i - 1].applied[T.nodes[l - 1].applied_index], "after");
    tc_golden(&T, "membership");
    tc_free(&T);
}
END_TEST

/* Half the steps of a busy cluster run with allocations failing: messages
 * and entries get lost, but once allocation works again the cluster must
 * elect a leader and converge on one history. */
START_TEST(survives_allocation_failures)
{
    int enomem = 0;
    for (long k = 1; k <= 12; k++) {
        tc_init(&T, 3, 0, true, true);
        T.inject = (uint64_t)k * 0x9E3779B97F4A7C15ull;
        char text[48]; /* room for any long and int, so -O1 builds see no truncation */
        for (int round = 0; round < 8; round++) {
            tc_run(&T, 400);
            unsigned l = tc_leader(&T);
            snprintf(text, sizeof(text), "k%ld-%d", k, round);
            if (l && tc_propose(&T, l, text) == 0)
                enomem++;
            tc_deliver_all(&T);
        }
        T.inject = 0;
        tc_run(&T, 5000);
        unsigned l = tc_leader(&T);
        ck_assert_uint_ne(l, 0);
        ck_assert_uint_ne(tc_propose(&T, l, "final"), 0);
        tc_deliver_all(&T);
        tc_run(&T, 300);
        uint64_t applied = T.nodes[l - 1].applied_index;
        for (unsigned i = 0; i < 3; i++) {
            ck_assert_uint_eq(T.nodes[i].applied_index, applied);
            for (uint64_t x = 1; x <= applied; x++) {
                ck_assert_str_eq(T.nodes[i].applied[x], T.nodes[l - 1].applied[x]);
                ck_assert_uint_eq(T.nodes[i].applied_term[x], T.nodes[l - 1].applied_term[x]);
            }
        }
        tc_free(&T);
    }
    ck_assert_int_gt(enomem, 0); /* the failures really happened */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("raft_scenarios");
    TCase *tc = tcase_create("golden");
    tcase_add_test(tc, election);
    tcase_add_test(tc, split_vote);
    tcase_add_test(tc, isolated_leader_rejoins);
    tcase_add_test(tc, leadership_transfer);
    tcase_add_test(tc, snapshot_install);
    tcase_add_test(tc, figure8);
    tcase_add_test(tc, survives_allocation_failures);
    tcase_add_test(tc, membership_changes);
    tcase_add_test(tc, member_match);
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
