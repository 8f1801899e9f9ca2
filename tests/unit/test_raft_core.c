/* Focused unit tests of the Raft core: the in-memory log, progress and flow
 * control, config validation, restore checks, and single-step rules (vote
 * granting, append handling, the update's durability split). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/sk_err.h"
#include "raft/log.h"
#include "raft/progress.h"
#include "raft/raft.h"

START_TEST(log_basics)
{
    struct raft_log l;
    raft_log_init(&l, 0, 0);
    ck_assert_uint_eq(raft_log_last(&l), 0);
    ck_assert_int_eq(raft_log_append(&l, 1, RAFT_ENTRY_NORMAL, (const uint8_t *)"a", 1), SK_OK);
    ck_assert_int_eq(raft_log_append(&l, 1, RAFT_ENTRY_NORMAL, (const uint8_t *)"b", 1), SK_OK);
    ck_assert_int_eq(raft_log_append(&l, 3, RAFT_ENTRY_NOOP, NULL, 0), SK_OK);
    ck_assert_uint_eq(raft_log_last(&l), 3);
    ck_assert_uint_eq(raft_log_term(&l, 0), 0);
    ck_assert_uint_eq(raft_log_term(&l, 2), 1);
    ck_assert_uint_eq(raft_log_term(&l, 3), 3);
    ck_assert_uint_eq(raft_log_term(&l, 4), 0);
    ck_assert_int_eq(raft_log_get(&l, 2)->data[0], 'b');
    ck_assert_ptr_null(raft_log_get(&l, 4));
    /* Fast backup: the largest index with term <= 2 at or below 3 is 2. */
    ck_assert_uint_eq(raft_log_find_conflict_by_term(&l, 3, 2), 2);
    ck_assert_uint_eq(raft_log_find_conflict_by_term(&l, 9, 5), 3);
    raft_log_truncate(&l, 3);
    ck_assert_uint_eq(raft_log_last(&l), 2);
    raft_log_compact(&l, 1);
    ck_assert_uint_eq(l.offset, 1);
    ck_assert_uint_eq(raft_log_term(&l, 1), 1); /* the compaction point keeps its term */
    ck_assert_ptr_null(raft_log_get(&l, 1));
    ck_assert_int_eq(raft_log_get(&l, 2)->data[0], 'b');
    raft_log_reset(&l, 10, 4);
    ck_assert_uint_eq(raft_log_last(&l), 10);
    ck_assert_uint_eq(raft_log_term(&l, 10), 4);
    raft_log_free(&l);
}
END_TEST

START_TEST(progress_flow_control)
{
    struct raft_progress pr;
    memset(&pr, 0, sizeof(pr));
    raft_pr_reset(&pr, 5);
    ck_assert(!raft_pr_paused(&pr, 2));
    pr.probe_sent = true;
    ck_assert(raft_pr_paused(&pr, 2)); /* one probe at a time */
    ck_assert(raft_pr_maybe_update(&pr, 4));
    raft_pr_become_replicate(&pr);
    ck_assert_uint_eq(pr.next, 5);
    raft_pr_inflight_add(&pr, 6);
    ck_assert(!raft_pr_paused(&pr, 2));
    raft_pr_inflight_add(&pr, 8);
    ck_assert(raft_pr_paused(&pr, 2)); /* window full */
    raft_pr_inflight_free_to(&pr, 6);
    ck_assert_uint_eq(pr.inflight_count, 1);
    raft_pr_inflight_free_first(&pr);
    ck_assert_uint_eq(pr.inflight_count, 0);
    /* A reject at or below match is a stale duplicate. */
    ck_assert(!raft_pr_maybe_decr(&pr, 4, 1));
    ck_assert(raft_pr_maybe_decr(&pr, 7, 3));
    ck_assert_uint_eq(pr.next, 5); /* never below match+1 */
    raft_pr_become_snapshot(&pr, 20, 100);
    ck_assert(raft_pr_paused(&pr, 2));
    raft_pr_become_probe(&pr);
    ck_assert_uint_eq(pr.next, 21); /* the snapshot is assumed installed */
}
END_TEST

static void cfg3(struct raft_config *c, uint64_t id)
{
    raft_config_default(c);
    c->id = id;
    c->n_voters = 3;
    c->voters[0] = 1;
    c->voters[1] = 2;
    c->voters[2] = 3;
}

START_TEST(config_validation)
{
    struct raft_config c;
    char err[160];
    cfg3(&c, 1);
    ck_assert_int_eq(raft_config_validate(&c, err, sizeof(err)), SK_OK);
    c.id = 9;
    ck_assert_int_eq(raft_config_validate(&c, err, sizeof(err)), SK_ECONFIG);
    ck_assert_ptr_nonnull(strstr(err, "not a member"));
    cfg3(&c, 1);
    c.voters[2] = 2;
    ck_assert_int_eq(raft_config_validate(&c, err, sizeof(err)), SK_ECONFIG);
    cfg3(&c, 1);
    c.heartbeat_interval_ms = c.election_timeout_ms;
    ck_assert_int_eq(raft_config_validate(&c, err, sizeof(err)), SK_ECONFIG);
    cfg3(&c, 1);
    c.max_inflight_msgs = SK_RAFT_INFLIGHT_MSGS_MAX + 1;
    ck_assert_int_eq(raft_config_validate(&c, err, sizeof(err)), SK_ECONFIG);
    cfg3(&c, 1);
    c.observers[c.n_observers++] = 3; /* both voter and observer */
    ck_assert_int_eq(raft_config_validate(&c, err, sizeof(err)), SK_ECONFIG);
    cfg3(&c, 1);
    c.n_voters = 0;
    ck_assert_int_eq(raft_config_validate(&c, err, sizeof(err)), SK_ECONFIG);
}
END_TEST

START_TEST(restore_rejects_inconsistent_state)
{
    struct raft_config c;
    cfg3(&c, 1);
    char err[160];
    struct raft *r = NULL;
    struct raft_entry e[2] = {{.term = 2, .index = 1}, {.term = 1, .index = 2}};
    struct raft_restore rs = {.hs = {.term = 2}, .entries = e, .n_entries = 2};
    /* Terms going backwards. */
    ck_assert_int_eq(raft_new(&c, &rs, 0, &r, err, sizeof(err)), SK_ECORRUPT);
    /* A gap. */
    e[1].term = 2;
    e[1].index = 3;
    ck_assert_int_eq(raft_new(&c, &rs, 0, &r, err, sizeof(err)), SK_ECORRUPT);
    /* An entry from a term the hard state never reached. */
    e[1].index = 2;
    rs.hs.term = 1;
    ck_assert_int_eq(raft_new(&c, &rs, 0, &r, err, sizeof(err)), SK_ECORRUPT);
    rs.hs.term = 2;
    ck_assert_int_eq(raft_new(&c, &rs, 0, &r, err, sizeof(err)), SK_OK);
    ck_assert_uint_eq(raft_last_index(r), 2);
    ck_assert_uint_eq(raft_commit(r), 0); /* commit is relearned, not trusted */
    raft_free(r);
}
END_TEST

static struct raft *mk(uint64_t id)
{
    struct raft_config c;
    cfg3(&c, id);
    char err[160];
    struct raft *r = NULL;
    ck_assert_int_eq(raft_new(&c, NULL, 0, &r, err, sizeof(err)), SK_OK);
    return r;
}

static int recv(struct raft *r, const struct raft_msg *m, struct raft_update *up)
{
    struct raft_event ev = {.type = RAFT_EVENT_RECEIVE, .now_ms = 10};
    ev.u.msg = m;
    return raft_step(r, &ev, up);
}

START_TEST(vote_rules)
{
    struct raft *r = mk(1);
    struct raft_update up;
    struct raft_msg m = {.type = RAFT_MSG_VOTE, .from = 2, .to = 1, .term = 5, .index = 0, .log_term = 0};
    recv(r, &m, &up);
    /* The grant waits for the vote to be durable. */
    ck_assert(up.hard_state_changed);
    ck_assert_uint_eq(up.hard_state.term, 5);
    ck_assert_uint_eq(up.hard_state.vote, 2);
    ck_assert_uint_eq(up.n_msgs, 0);
    ck_assert_uint_eq(up.n_msgs_after_persist, 1);
    ck_assert(!up.msgs_after_persist[0].reject);
    /* One vote per term. */
    m.from = 3;
    recv(r, &m, &up);
    ck_assert_uint_eq(up.n_msgs_after_persist, 1);
    ck_assert(up.msgs_after_persist[0].reject);
    ck_assert_uint_eq(raft_vote(r), 2);
    raft_free(r);
}
END_TEST

START_TEST(vote_needs_up_to_date_log)
{
    struct raft *r = mk(1);
    struct raft_update up;
    /* Give node 1 an entry of term 2 from a leader. */
    struct raft_entry e = {.term = 2, .index = 1};
    struct raft_msg app = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 2, .n_entries = 1, .entries = &e};
    recv(r, &app, &up);
    ck_assert_uint_eq(up.n_entries, 1);
    ck_assert_uint_eq(up.n_msgs_after_persist, 1); /* the ack waits for the entry */
    ck_assert_uint_eq(up.msgs_after_persist[0].index, 1);
    /* A candidate whose last entry is older must be refused (§3.6.1), even
     * in a newer term and with a longer log. */
    struct raft_msg v = {.type = RAFT_MSG_VOTE, .from = 3, .to = 1, .term = 9, .index = 5, .log_term = 1,
                         .transfer = true};
    recv(r, &v, &up);
    ck_assert_uint_eq(raft_term(r), 9);
    ck_assert(up.msgs_after_persist[0].reject);
    raft_free(r);
}
END_TEST

START_TEST(prevote_binds_nothing)
{
    struct raft *r = mk(1);
    struct raft_update up;
    struct raft_msg m = {.type = RAFT_MSG_PREVOTE, .from = 2, .to = 1, .term = 3};
    recv(r, &m, &up);
    ck_assert_uint_eq(raft_term(r), 0);
    ck_assert_uint_eq(raft_vote(r), 0);
    ck_assert(!up.hard_state_changed);
    /* Nothing to make durable, so the answer goes at once, in the future term. */
    ck_assert_uint_eq(up.n_msgs, 1);
    ck_assert_uint_eq(up.msgs[0].type, RAFT_MSG_PREVOTE_RESP);
    ck_assert(!up.msgs[0].reject);
    ck_assert_uint_eq(up.msgs[0].term, 3);
    raft_free(r);
}
END_TEST

START_TEST(append_reject_and_truncate)
{
    struct raft *r = mk(1);
    struct raft_update up;
    struct raft_entry e[3] = {{.term = 1, .index = 1}, {.term = 1, .index = 2}, {.term = 1, .index = 3}};
    struct raft_msg app = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 1, .n_entries = 3, .entries = e};
    recv(r, &app, &up);
    ck_assert_uint_eq(raft_last_index(r), 3);
    /* prev (5, 1) is beyond our log: reject with a hint at our last index. */
    struct raft_msg gap = {.type = RAFT_MSG_APPEND, .from = 2, .to = 1, .term = 1, .index = 5, .log_term = 1};
    recv(r, &gap, &up);
    ck_assert(up.msgs_after_persist[0].reject);
    ck_assert_uint_eq(up.msgs_after_persist[0].hint_index, 3);
    /* A new leader overwrites index 3 with its own term-2 entry. */
    struct raft_entry e2 = {.term = 2, .index = 3};
    struct raft_msg over = {.type = RAFT_MSG_APPEND, .from = 3, .to = 1, .term = 2, .index = 2, .log_term = 1,
                            .commit = 3, .n_entries = 1, .entries = &e2};
    recv(r, &over, &up);
    ck_assert_uint_eq(raft_term_at(r, 3), 2);
    ck_assert_uint_eq(up.n_entries, 1);
    ck_assert_uint_eq(up.entries[0].index, 3);
    ck_assert_uint_eq(raft_commit(r), 3);
    ck_assert_uint_eq(up.n_committed, 3);
    raft_free(r);
}
END_TEST

START_TEST(single_node_commits_after_persist)
{
    struct raft_config c;
    raft_config_default(&c);
    c.id = 1;
    c.voters[c.n_voters++] = 1;
    char err[160];
    struct raft *r = NULL;
    ck_assert_int_eq(raft_new(&c, NULL, 0, &r, err, sizeof(err)), SK_OK);
    struct raft_update up;
    struct raft_event tick = {.type = RAFT_EVENT_TICK, .now_ms = 5000};
    raft_step(r, &tick, &up);
    ck_assert_int_eq(raft_role(r), RAFT_LEADER);
    ck_assert_uint_eq(up.n_entries, 1); /* the leader's noop */
    struct raft_event p = {.type = RAFT_EVENT_PROPOSE, .now_ms = 5001};
    p.u.propose.data = (const uint8_t *)"x";
    p.u.propose.len = 1;
    ck_assert_int_eq(raft_step(r, &p, &up), SK_OK);
    ck_assert_uint_eq(up.proposed_index, 2);
    ck_assert_uint_eq(raft_commit(r), 0); /* nothing durable yet */
    /* A stale report (wrong term) is ignored. */
    struct raft_event d = {.type = RAFT_EVENT_PERSISTED, .now_ms = 5002};
    d.u.persisted.index = 2;
    d.u.persisted.term = 7;
    raft_step(r, &d, &up);
    ck_assert_uint_eq(raft_commit(r), 0);
    d.u.persisted.term = 1;
    raft_step(r, &d, &up);
    ck_assert_uint_eq(raft_commit(r), 2);
    ck_assert_uint_eq(up.n_committed, 2);
    ck_assert_int_eq(up.committed[1].data[0], 'x');
    raft_free(r);
}
END_TEST

START_TEST(propose_errors)
{
    struct raft_config c;
    raft_config_default(&c);
    c.id = 1;
    c.voters[c.n_voters++] = 1;
    c.max_uncommitted_entries = 2;
    c.max_entry_bytes = 4;
    char err[160];
    struct raft *r = NULL;
    ck_assert_int_eq(raft_new(&c, NULL, 0, &r, err, sizeof(err)), SK_OK);
    struct raft_update up;
    struct raft_event p = {.type = RAFT_EVENT_PROPOSE, .now_ms = 1};
    p.u.propose.data = (const uint8_t *)"x";
    p.u.propose.len = 1;
    ck_assert_int_eq(raft_step(r, &p, &up), SK_ESTATE); /* not leader yet */
    struct raft_event tick = {.type = RAFT_EVENT_TICK, .now_ms = 5000};
    raft_step(r, &tick, &up);
    ck_assert_int_eq(raft_step(r, &p, &up), SK_OK);
    ck_assert_int_eq(raft_step(r, &p, &up), SK_EAGAIN); /* noop + x uncommitted */
    p.u.propose.len = 5;
    ck_assert_int_eq(raft_step(r, &p, &up), SK_ELIMIT);
    raft_free(r);
}
END_TEST

START_TEST(observer_never_campaigns)
{
    struct raft_config c;
    cfg3(&c, 4);
    c.observers[c.n_observers++] = 4;
    char err[160];
    struct raft *r = NULL;
    ck_assert_int_eq(raft_new(&c, NULL, 0, &r, err, sizeof(err)), SK_OK);
    struct raft_update up;
    struct raft_event tick = {.type = RAFT_EVENT_TICK, .now_ms = 1000000};
    raft_step(r, &tick, &up);
    ck_assert_int_eq(raft_role(r), RAFT_FOLLOWER);
    ck_assert_int_eq(up.deadline_ms, INT64_MAX);
    /* It still answers a vote request (§4.1): it may have been made a voter
     * by a change it has not received yet. */
    struct raft_msg v = {.type = RAFT_MSG_VOTE, .from = 1, .to = 4, .term = 2};
    recv(r, &v, &up);
    ck_assert(!up.msgs_after_persist[0].reject);
    ck_assert_int_eq(raft_role(r), RAFT_FOLLOWER);
    raft_free(r);
}
END_TEST

START_TEST(malformed_messages_are_ignored)
{
    struct raft *r = mk(1);
    struct raft_update up;
    struct raft_msg m = {.type = RAFT_MSG_VOTE, .from = RAFT_NONE, .to = 1, .term = 5};
    recv(r, &m, &up);
    ck_assert_uint_eq(raft_term(r), 0);
    m.from = 2;
    m.type = 200; /* unknown type */
    recv(r, &m, &up);
    ck_assert_uint_eq(raft_term(r), 0);
    m.type = RAFT_MSG_VOTE;
    m.to = 3; /* addressed to someone else */
    recv(r, &m, &up);
    ck_assert_uint_eq(raft_term(r), 0);
    raft_free(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("raft_core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, log_basics);
    tcase_add_test(tc, progress_flow_control);
    tcase_add_test(tc, config_validation);
    tcase_add_test(tc, restore_rejects_inconsistent_state);
    tcase_add_test(tc, vote_rules);
    tcase_add_test(tc, vote_needs_up_to_date_log);
    tcase_add_test(tc, prevote_binds_nothing);
    tcase_add_test(tc, append_reject_and_truncate);
    tcase_add_test(tc, single_node_commits_after_persist);
    tcase_add_test(tc, propose_errors);
    tcase_add_test(tc, observer_never_campaigns);
    tcase_add_test(tc, malformed_messages_are_ignored);
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
