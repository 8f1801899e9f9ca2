/* Unit tests for broker/group.c (the group state machine, driven with time
 * as input and fake callbacks), broker/group_offsets.c, broker/group_record.c
 * and the coordinator's group-to-partition hash. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/batch.h"
#include "broker/group.h"
#include "broker/group_coordinator.h"
#include "broker/group_record.h"
#include "broker/kafka_err.h"
#include "common/log.h"
#include "common/sk_err.h"

/* ------------------------------------------------------------ fake driver */

#define ANSWERS_MAX 64

struct answer {
    int kind; /* 'J' or 'S' */
    void *ctx;
    int16_t error;
    int32_t generation;
    char member[128];
    char leader[128];
    char protocol[32];
    int32_t n_members;
    char assignment[64];
};

static struct answer answers[ANSWERS_MAX];
static int n_answers;
static int n_persists;
static int16_t persist_result;

static void fake_join_done(void *arg, void *ctx, const struct group_join_result *res)
{
    (void)arg;
    ck_assert_int_lt(n_answers, ANSWERS_MAX);
    struct answer *a = &answers[n_answers++];
    memset(a, 0, sizeof(*a));
    a->kind = 'J';
    a->ctx = ctx;
    a->error = res->error;
    a->generation = res->generation;
    snprintf(a->member, sizeof(a->member), "%s", res->member_id ? res->member_id : "");
    snprintf(a->leader, sizeof(a->leader), "%s", res->leader_id ? res->leader_id : "");
    snprintf(a->protocol, sizeof(a->protocol), "%s", res->protocol_name ? res->protocol_name : "");
    a->n_members = res->n_members;
}

static void fake_sync_done(void *arg, void *ctx, int16_t error, const uint8_t *assignment, int32_t len)
{
    (void)arg;
    ck_assert_int_lt(n_answers, ANSWERS_MAX);
    struct answer *a = &answers[n_answers++];
    memset(a, 0, sizeof(*a));
    a->kind = 'S';
    a->ctx = ctx;
    a->error = error;
    snprintf(a->assignment, sizeof(a->assignment), "%.*s", assignment ? len : 0,
             assignment ? (const char *)assignment : "");
}

static int16_t fake_persist(void *arg, struct group *g)
{
    (void)arg;
    (void)g;
    n_persists++;
    return persist_result;
}

static const struct group_ops ops = {fake_join_done, fake_sync_done, fake_persist};
static const struct group_settings settings = {100, 500, 60000, "t"};

/* Tokens standing for parked requests. */
static char ctx_a, ctx_b, ctx_c, ctx_sa, ctx_sb;

static struct answer *answer_for(void *ctx)
{
    for (int i = n_answers - 1; i >= 0; i--)
        if (answers[i].ctx == ctx)
            return &answers[i];
    return NULL;
}

static struct sk_slice S(const char *s) {
    return (struct sk_slice){(const uint8_t *)s, (int32_t)strlen(s)};
}

static struct group *
new_group(void)
{
    n_answers = 0;
    n_persists = 0;
    persist_result = KAFKA_NONE;
    struct group *g = group_new("grp", &settings, &ops, NULL, 0);
    ck_assert_ptr_nonnull(g);
    return g;
}

static void join_as(struct group *g, void *ctx, const char *member, const char *instance, const char *ptype,
                    const char *const *protocols, int n, int32_t session_ms, int64_t now)
{
    struct sk_slice names[4], md[4];
    for (int i = 0; i < n; i++) {
        names[i] = S(protocols[i]);
        md[i] = S("meta");
    }
    struct group_join_req req = {
        .member_id = S(member),
        .instance_id = instance ? S(instance) : (struct sk_slice){NULL, -1},
        .client_id = S("client"),
        .client_host = S("127.0.0.1"),
        .session_timeout_ms = session_ms,
        .rebalance_timeout_ms = 1000,
        .protocol_type = S(ptype),
        .protocol_names = names,
        .protocol_metadata = md,
        .n_protocols = n,
    };
    group_join(g, &req, ctx, now);
}

static const char *const RANGE[] = {"range"};

static void join_simple(struct group *g, void *ctx, const char *member, int64_t now)
{
    join_as(g, ctx, member, NULL, "consumer", RANGE, 1, 1000, now);
}

static void sync_as(struct group *g, void *ctx, const char *member, int32_t gen, int n, const char **ids,
                    const char **assignments, int64_t now)
{
    struct sk_slice mids[4], as[4];
    for (int i = 0; i < n; i++) {
        mids[i] = S(ids[i]);
        as[i] = S(assignments[i]);
    }
    group_sync(g, S(member), (struct sk_slice){NULL, -1}, gen, mids, as, n, ctx, now);
}

/* Two members, Stable at generation 2: leader A (first), then B. */
static struct group *stable_pair(char *a, char *b)
{
    struct group *g = new_group();
    join_simple(g, &ctx_a, "", 0);
    group_tick(g, 100);
    snprintf(a, 128, "%s", answer_for(&ctx_a)->member);
    join_simple(g, &ctx_b, "", 110);
    ck_assert_int_eq(g->state, GROUP_PREPARING_REBALANCE);
    join_simple(g, &ctx_a, a, 120);
    ck_assert_int_eq(g->state, GROUP_COMPLETING_REBALANCE);
    snprintf(b, 128, "%s", answer_for(&ctx_b)->member);
    const char *ids[] = {a, b};
    const char *as[] = {"for-a", "for-b"};
    sync_as(g, &ctx_sb, b, 2, 0, NULL, NULL, 130);
    sync_as(g, &ctx_sa, a, 2, 2, ids, as, 131);
    group_persisted(g, 2, KAFKA_NONE, 132);
    ck_assert_int_eq(g->state, GROUP_STABLE);
    return g;
}

/* ------------------------------------------------------------ state machine */

START_TEST(first_join_waits_for_the_initial_delay)
{
    struct group *g = new_group();
    join_simple(g, &ctx_a, "", 0);
    ck_assert_int_eq(n_answers, 0);
    ck_assert_int_eq(g->state, GROUP_PREPARING_REBALANCE);
    ck_assert_int_eq(group_next_deadline_ms(g), 100);
    group_tick(g, 99);
    ck_assert_int_eq(n_answers, 0);
    /* A second member during the delay extends it. */
    join_simple(g, &ctx_b, "", 80);
    ck_assert_int_eq(group_next_deadline_ms(g), 180);
    group_tick(g, 100);
    ck_assert_int_eq(n_answers, 0);
    group_tick(g, 180);
    ck_assert_int_eq(n_answers, 2);
    struct answer *a = answer_for(&ctx_a), *b = answer_for(&ctx_b);
    ck_assert_int_eq(a->error, KAFKA_NONE);
    ck_assert_int_eq(a->generation, 1);
    ck_assert_str_eq(a->leader, a->member);
    ck_assert_int_eq(a->n_members, 2);
    ck_assert_int_eq(b->n_members, 0);
    ck_assert_str_eq(b->leader, a->member);
    ck_assert_str_eq(a->protocol, "range");
    ck_assert_int_eq(g->state, GROUP_COMPLETING_REBALANCE);
    group_unload(g, KAFKA_NOT_COORDINATOR);
    group_free(g);
}
END_TEST

START_TEST(sync_waits_for_the_leader_and_the_store)
{
    char a[128], b[128];
    struct group *g = new_group();
    join_simple(g, &ctx_a, "", 0);
    join_simple(g, &ctx_b, "", 10);
    group_tick(g, 110);
    snprintf(a, sizeof(a), "%s", answer_for(&ctx_a)->member);
    snprintf(b, sizeof(b), "%s", answer_for(&ctx_b)->member);
    n_answers = 0;
    sync_as(g, &ctx_sb, b, 1, 0, NULL, NULL, 120);
    ck_assert_int_eq(n_answers, 0);
    const char *ids[] = {a, b};
    const char *as[] = {"for-a", "for-b"};
    sync_as(g, &ctx_sa, a, 1, 2, ids, as, 130);
    ck_assert_int_eq(n_persists, 1);
    ck_assert_int_eq(n_answers, 0); /* not before the assignment is durable */
    /* Commits wait for the assignment too. */
    ck_assert_int_eq(group_commit_check(g, S(b), (struct sk_slice){NULL, -1}, 1, 131),
                     KAFKA_REBALANCE_IN_PROGRESS);
    group_persisted(g, 1, KAFKA_NONE, 140);
    ck_assert_int_eq(g->state, GROUP_STABLE);
    ck_assert_int_eq(n_answers, 2);
    ck_assert_str_eq(answer_for(&ctx_sa)->assignment, "for-a");
    ck_assert_str_eq(answer_for(&ctx_sb)->assignment, "for-b");
    /* A late sync in Stable gets the stored assignment at once. */
    sync_as(g, &ctx_sb, b, 1, 0, NULL, NULL, 150);
    ck_assert_str_eq(answer_for(&ctx_sb)->assignment, "for-b");
    ck_assert_int_eq(group_commit_check(g, S(b), (struct sk_slice){NULL, -1}, 1, 151), KAFKA_NONE);
    group_unload(g, KAFKA_NOT_COORDINATOR);
    group_free(g);
}
END_TEST

START_TEST(failed_store_sends_members_back_to_join)
{
    char a[128];
    struct group *g = new_group();
    join_simple(g, &ctx_a, "", 0);
    group_tick(g, 100);
    snprintf(a, sizeof(a), "%s", answer_for(&ctx_a)->member);
    persist_result = KAFKA_NOT_COORDINATOR;
    const char *ids[] = {a};
    const char *as[] = {"x"};
    sync_as(g, &ctx_sa, a, 1, 1, ids, as, 110);
    ck_assert_int_eq(answer_for(&ctx_sa)->error, KAFKA_NOT_COORDINATOR);
    ck_assert_int_eq(g->state, GROUP_PREPARING_REBALANCE);
    group_unload(g, KAFKA_NOT_COORDINATOR);
    group_free(g);
}
END_TEST

START_TEST(stale_and_unknown_requests_do_not_disturb)
{
    char a[128], b[128];
    struct group *g = stable_pair(a, b);
    struct sk_slice none = {NULL, -1};
    int32_t gen = g->generation;
    ck_assert_int_eq(group_heartbeat(g, S(a), none, gen, 200), KAFKA_NONE);
    ck_assert_int_eq(group_heartbeat(g, S(a), none, gen + 1, 200), KAFKA_ILLEGAL_GENERATION);
    ck_assert_int_eq(group_heartbeat(g, S("nobody"), none, gen, 200), KAFKA_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(group_commit_check(g, S("nobody"), none, gen, 200), KAFKA_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(group_commit_check(g, S(a), none, gen - 1, 200), KAFKA_ILLEGAL_GENERATION);
    ck_assert_int_eq(group_commit_check(g, S(""), none, -1, 200), KAFKA_ILLEGAL_GENERATION);
    n_answers = 0;
    join_as(g, &ctx_c, "", NULL, "connect", RANGE, 1, 1000, 200);
    ck_assert_int_eq(answer_for(&ctx_c)->error, KAFKA_INCONSISTENT_GROUP_PROTOCOL);
    const char *rr[] = {"roundrobin"};
    join_as(g, &ctx_c, "", NULL, "consumer", rr, 1, 1000, 200);
    ck_assert_int_eq(answer_for(&ctx_c)->error, KAFKA_INCONSISTENT_GROUP_PROTOCOL);
    join_as(g, &ctx_c, "", NULL, "consumer", RANGE, 1, 100, 200);
    ck_assert_int_eq(answer_for(&ctx_c)->error, KAFKA_INVALID_SESSION_TIMEOUT);
    join_as(g, &ctx_c, "ghost", NULL, "consumer", RANGE, 1, 1000, 200);
    ck_assert_int_eq(answer_for(&ctx_c)->error, KAFKA_UNKNOWN_MEMBER_ID);
    sync_as(g, &ctx_sa, a, gen + 5, 0, NULL, NULL, 200);
    ck_assert_int_eq(answer_for(&ctx_sa)->error, KAFKA_ILLEGAL_GENERATION);
    ck_assert_int_eq(g->state, GROUP_STABLE);
    ck_assert_int_eq(g->n_members, 2);
    ck_assert_int_eq(g->generation, gen);
    group_unload(g, KAFKA_NOT_COORDINATOR);
    group_free(g);
}
END_TEST

START_TEST(expired_member_triggers_rebalance)
{
    char a[128], b[128];
    struct group *g = stable_pair(a, b);
    struct sk_slice none = {NULL, -1};
    /* A keeps heartbeating, B goes silent (session 1000 ms). */
    ck_assert_int_eq(group_heartbeat(g, S(a), none, 2, 900), KAFKA_NONE);
    group_tick(g, 1000);
    ck_assert_int_eq(g->n_members, 2);
    ck_assert_int_eq(group_next_deadline_ms(g), 1132);
    group_tick(g, 1132);
    ck_assert_int_eq(g->n_members, 1);
    ck_assert_int_eq(g->state, GROUP_PREPARING_REBALANCE);
    ck_assert_int_eq(group_heartbeat(g, S(a), none, 2, 1140), KAFKA_REBALANCE_IN_PROGRESS);
    n_answers = 0;
    join_simple(g, &ctx_a, a, 1150); /* everyone (A) rejoined: no waiting */
    ck_assert_int_eq(answer_for(&ctx_a)->generation, 3);
    ck_assert_int_eq(answer_for(&ctx_a)->n_members, 1);
    group_unload(g, KAFKA_NOT_COORDINATOR);
    group_free(g);
}
END_TEST

START_TEST(rebalance_deadline_drops_members_that_do_not_rejoin)
{
    char a[128], b[128];
    struct group *g = stable_pair(a, b);
    n_answers = 0;
    join_simple(g, &ctx_c, "", 200); /* a third member: rebalance, deadline 200 + 1000 */
    struct sk_slice none = {NULL, -1};
    ck_assert_int_eq(group_heartbeat(g, S(b), none, 2, 300), KAFKA_REBALANCE_IN_PROGRESS);
    join_simple(g, &ctx_a, a, 400);
    /* B heartbeats but never rejoins. */
    ck_assert_int_eq(group_heartbeat(g, S(b), none, 2, 1100), KAFKA_REBALANCE_IN_PROGRESS);
    ck_assert_int_eq(n_answers, 0);
    group_tick(g, 1200);
    ck_assert_int_eq(g->n_members, 2);
    ck_assert_int_eq(answer_for(&ctx_a)->generation, 3);
    ck_assert_int_eq(answer_for(&ctx_a)->n_members, 2);
    ck_assert_int_eq(group_heartbeat(g, S(b), none, 3, 1210), KAFKA_UNKNOWN_MEMBER_ID);
    group_unload(g, KAFKA_NOT_COORDINATOR);
    group_free(g);
}
END_TEST

START_TEST(last_member_leaving_empties_the_group)
{
    char a[128], b[128];
    struct group *g = stable_pair(a, b);
    struct sk_slice none = {NULL, -1};
    int persists = n_persists;
    ck_assert_int_eq(group_leave(g, S(b), none, 200), KAFKA_NONE);
    ck_assert_int_eq(group_leave(g, S(b), none, 200), KAFKA_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(g->state, GROUP_PREPARING_REBALANCE);
    ck_assert_int_eq(group_leave(g, S(a), none, 210), KAFKA_NONE);
    ck_assert_int_eq(g->state, GROUP_EMPTY);
    ck_assert_int_eq(g->generation, 3);
    ck_assert_int_eq(n_persists, persists + 1); /* the empty generation is stored */
    ck_assert_int_eq(group_commit_check(g, S(""), none, -1, 220), KAFKA_NONE);
    group_free(g);
}
END_TEST

START_TEST(static_member_restart_fences_the_old_id)
{
    struct group *g = new_group();
    const char *proto[] = {"range"};
    join_as(g, &ctx_a, "", "inst", "consumer", proto, 1, 1000, 0);
    group_tick(g, 100);
    char old[128];
    snprintf(old, sizeof(old), "%s", answer_for(&ctx_a)->member);
    const char *ids[] = {old};
    const char *as[] = {"mine"};
    sync_as(g, &ctx_sa, old, 1, 1, ids, as, 110);
    group_persisted(g, 1, KAFKA_NONE, 111);
    n_answers = 0;
    join_as(g, &ctx_b, "", "inst", "consumer", proto, 1, 1000, 200);
    struct answer *nb = answer_for(&ctx_b);
    ck_assert_ptr_nonnull(nb);
    ck_assert_int_eq(nb->error, KAFKA_NONE);
    ck_assert_str_ne(nb->member, old);
    ck_assert_int_eq(g->n_members, 1);
    ck_assert_int_eq(group_heartbeat(g, S(old), S("inst"), g->generation, 210), KAFKA_FENCED_INSTANCE_ID);
    ck_assert_int_eq(group_heartbeat(g, S(nb->member), S("inst"), g->generation, 210), KAFKA_NONE);
    group_unload(g, KAFKA_NOT_COORDINATOR);
    group_free(g);
}
END_TEST

START_TEST(protocol_selection_votes_among_common_protocols)
{
    struct group *g = new_group();
    const char *p1[] = {"range", "roundrobin"};
    const char *p2[] = {"roundrobin", "range"};
    const char *p3[] = {"roundrobin", "range"};
    join_as(g, &ctx_a, "", NULL, "consumer", p1, 2, 1000, 0);
    join_as(g, &ctx_b, "", NULL, "consumer", p2, 2, 1000, 1);
    join_as(g, &ctx_c, "", NULL, "consumer", p3, 2, 1000, 2);
    group_tick(g, 200);
    ck_assert_str_eq(answer_for(&ctx_a)->protocol, "roundrobin");
    group_unload(g, KAFKA_NOT_COORDINATOR);
    group_free(g);
}
END_TEST

START_TEST(cancelled_requests_are_forgotten)
{
    struct group *g = new_group();
    join_simple(g, &ctx_a, "", 0);
    group_forget_ctx(g, &ctx_a);
    group_tick(g, 100); /* the member did not "rejoin": dropped, nobody answered */
    ck_assert_int_eq(n_answers, 0);
    ck_assert_int_eq(g->n_members, 0);
    ck_assert_int_eq(g->state, GROUP_EMPTY);
    group_free(g);
}
END_TEST

/* ------------------------------------------------------------ offsets */

START_TEST(offsets_keep_the_latest_record)
{
    struct group *g = new_group();
    ck_assert_int_eq(group_offset_put(g, S("t"), 1, 10, -1, S("m"), 1000, 5), 0);
    ck_assert_int_eq(group_offset_put(g, S("t"), 0, 20, -1, (struct sk_slice){NULL, -1}, 1000, 6), 0);
    ck_assert_int_eq(group_offset_put(g, S("s"), 0, 30, 3, S(""), 1000, 7), 0);
    ck_assert_int_eq(g->n_offsets, 3);
    ck_assert_str_eq(g->offsets[0].topic, "s"); /* sorted by topic, partition */
    ck_assert_int_eq(g->offsets[1].partition, 0);
    /* An older record applied late does not win. */
    ck_assert_int_eq(group_offset_put(g, S("t"), 1, 9, -1, S("old"), 900, 4), 0);
    ck_assert_int_eq(group_offset_get(g, S("t"), 1)->offset, 10);
    ck_assert_str_eq(group_offset_get(g, S("t"), 1)->metadata, "m");
    ck_assert_int_eq(group_offset_put(g, S("t"), 1, 11, -1, S("n"), 1100, 8), 0);
    ck_assert_int_eq(group_offset_get(g, S("t"), 1)->offset, 11);
    group_offset_remove(g, S("t"), 1, 7); /* older tombstone: kept */
    ck_assert_ptr_nonnull(group_offset_get(g, S("t"), 1));
    group_offset_remove(g, S("t"), 1, 9);
    ck_assert_ptr_null(group_offset_get(g, S("t"), 1));
    ck_assert_ptr_null(group_offset_get(g, S("tt"), 0));
    /* Expiry: the empty group's offsets expire retention after the later of
     * the commit and the group emptying. */
    const struct group_offset *o = group_offset_get(g, S("s"), 0);
    ck_assert(!group_offset_expired(g, o, 500, 1499));
    ck_assert(group_offset_expired(g, o, 500, 1500));
    group_free(g);
}
END_TEST

/* ------------------------------------------------------------ records */

static int walk_count;
static struct grec walked[8];
static int64_t walked_offsets[8];
static struct sk_arena walk_arena;

static int collect_cb(void *arg, struct sk_slice key, struct sk_slice value, int64_t offset)
{
    (void)arg;
    ck_assert_int_lt(walk_count, 8);
    walked_offsets[walk_count] = offset;
    return grec_decode(key, value, &walk_arena, &walked[walk_count++]);
}

START_TEST(records_round_trip_through_a_batch)
{
    char a[128], b[128];
    struct group *g = stable_pair(a, b);
    struct grec_batch batch;
    struct sk_writer k1, v1, k2, v2, k3;
    sk_writer_init(&k1);
    sk_writer_init(&v1);
    sk_writer_init(&k2);
    sk_writer_init(&v2);
    sk_writer_init(&k3);
    grec_offset_key(&k1, "grp", S("topic"), 3);
    grec_offset_value(&v1, 42, 7, S("meta"), 12345);
    grec_group_key(&k2, "grp");
    grec_group_value(&v2, g);
    grec_offset_key(&k3, "grp", S("topic"), 4);
    grec_batch_init(&batch, 1000);
    grec_batch_add(&batch, (struct sk_slice){k1.p, (int32_t)k1.len},
                   (struct sk_slice){v1.p, (int32_t)v1.len});
    grec_batch_add(&batch, (struct sk_slice){k2.p, (int32_t)k2.len},
                   (struct sk_slice){v2.p, (int32_t)v2.len});
    grec_batch_add(&batch, (struct sk_slice){k3.p, (int32_t)k3.len}, (struct sk_slice){NULL, -1});
    ck_assert_int_eq(grec_batch_finish(&batch), 0);
    struct batch_hdr h;
    ck_assert_int_eq(batch_validate(batch.w.p, batch.w.len, &h), 0);
    ck_assert_int_eq(h.records_count, 3);
    batch_set_base_offset(batch.w.p, 100);

    sk_arena_init(&walk_arena);
    walk_count = 0;
    size_t consumed;
    ck_assert_int_eq(grec_walk(batch.w.p, batch.w.len, collect_cb, NULL, &consumed), 0);
    ck_assert_uint_eq(consumed, batch.w.len);
    ck_assert_int_eq(walk_count, 3);
    ck_assert_int_eq(walked_offsets[2], 102);
    ck_assert_int_eq(walked[0].kind, GREC_OFFSET);
    ck_assert_int_eq(walked[0].offset, 42);
    ck_assert_int_eq(walked[0].leader_epoch, 7);
    ck_assert_int_eq(walked[0].partition, 3);
    ck_assert_int_eq(walked[0].commit_ms, 12345);
    ck_assert_int_eq(walked[1].kind, GREC_GROUP);
    ck_assert_int_eq(walked[1].generation, 2);
    ck_assert_int_eq(walked[1].n_members, 2);
    ck_assert_int_eq(walked[1].members[1].assignment.len, 5);
    ck_assert(walked[2].tombstone);

    /* Replaying the group record restores it, Stable with both members. */
    struct group *r = new_group();
    const struct grec *gr = &walked[1];
    ck_assert_int_eq(group_restore(r, gr->generation, gr->protocol_type, gr->protocol_name, gr->leader_id,
                                   gr->members, gr->n_members, 5000),
                     0);
    ck_assert_int_eq(r->state, GROUP_STABLE);
    ck_assert_int_eq(r->generation, 2);
    ck_assert_str_eq(r->leader_id, a);
    ck_assert_int_eq(group_heartbeat(r, S(b), (struct sk_slice){NULL, -1}, 2, 5001), KAFKA_NONE);
    n_answers = 0;
    sync_as(r, &ctx_sb, b, 2, 0, NULL, NULL, 5002);
    ck_assert_str_eq(answer_for(&ctx_sb)->assignment, "for-b");

    /* A flipped bit anywhere under the CRC stops the walk. */
    batch.w.p[batch.w.len - 3] ^= 1;
    walk_count = 0;
    ck_assert_int_eq(grec_walk(batch.w.p, batch.w.len, collect_cb, NULL, &consumed), SK_ECORRUPT);
    ck_assert_int_eq(walk_count, 0);
    /* A partial batch at the end is left for the next read. */
    batch.w.p[batch.w.len - 3] ^= 1;
    ck_assert_int_eq(grec_walk(batch.w.p, batch.w.len - 1, collect_cb, NULL, &consumed), 0);
    ck_assert_uint_eq(consumed, 0);

    sk_arena_free(&walk_arena);
    grec_batch_free(&batch);
    sk_writer_free(&k1);
    sk_writer_free(&v1);
    sk_writer_free(&k2);
    sk_writer_free(&v2);
    sk_writer_free(&k3);
    group_unload(r, KAFKA_NOT_COORDINATOR);
    group_free(r);
    group_unload(g, KAFKA_NOT_COORDINATOR);
    group_free(g);
}
END_TEST

START_TEST(truncated_values_are_refused_at_every_length)
{
    char a[128], b[128];
    struct group *g = stable_pair(a, b);
    struct sk_writer k, v;
    sk_writer_init(&k);
    sk_writer_init(&v);
    grec_group_key(&k, "grp");
    grec_group_value(&v, g);
    struct sk_arena arena;
    sk_arena_init(&arena);
    struct grec rec;
    for (size_t n = 0; n < v.len; n++)
        ck_assert_int_ne(grec_decode((struct sk_slice){k.p, (int32_t)k.len},
                                     (struct sk_slice){v.p, (int32_t)n}, &arena, &rec),
                         0);
    ck_assert_int_eq(grec_decode((struct sk_slice){k.p, (int32_t)k.len},
                                 (struct sk_slice){v.p, (int32_t)v.len}, &arena, &rec),
                     0);
    for (size_t n = 0; n < k.len; n++)
        ck_assert_int_ne(
            grec_decode((struct sk_slice){k.p, (int32_t)n}, (struct sk_slice){NULL, -1}, &arena, &rec), 0);
    /* An unknown key version is skipped, not an error. */
    uint8_t odd[] = {0, 9, 0, 1, 'g'};
    ck_assert_int_eq(grec_decode((struct sk_slice){odd, 5}, (struct sk_slice){NULL, -1}, &arena, &rec),
                     SK_ENOENT);
    sk_arena_free(&arena);
    sk_writer_free(&k);
    sk_writer_free(&v);
    group_unload(g, KAFKA_NOT_COORDINATOR);
    group_free(g);
}
END_TEST

/* ------------------------------------------------------------ hashing */

START_TEST(partition_for_matches_java_string_hash)
{
    /* Values of abs(String.hashCode()) % 50 as Kafka computes them. */
    ck_assert_int_eq(group_partition_for(S(""), 50), 0);
    ck_assert_int_eq(group_partition_for(S("a"), 50), 47);
    ck_assert_int_eq(group_partition_for(S("hello"), 50), 22);
    ck_assert_int_eq(group_partition_for(S("my-group"), 50), 12);           /* negative hash */
    ck_assert_int_eq(group_partition_for(S("polygenelubricants"), 50), 0);  /* Integer.MIN_VALUE */
    ck_assert_int_eq(group_partition_for(S("gr\xc3\xa9"), 50), 0);          /* U+00E9 */
    ck_assert_int_eq(group_partition_for(S("g\xf0\x9f\x98\x80x"), 50), 12); /* a surrogate pair */
    ck_assert_int_eq(group_partition_for(S("console-consumer-12345"), 50), 6);
}
END_TEST

int main(void)
{
    sk_log_set_level(SK_LOG_WARN); /* every state change is an info line */
    Suite *s = suite_create("group");
    TCase *tc = tcase_create("group");
    tcase_add_test(tc, first_join_waits_for_the_initial_delay);
    tcase_add_test(tc, sync_waits_for_the_leader_and_the_store);
    tcase_add_test(tc, failed_store_sends_members_back_to_join);
    tcase_add_test(tc, stale_and_unknown_requests_do_not_disturb);
    tcase_add_test(tc, expired_member_triggers_rebalance);
    tcase_add_test(tc, rebalance_deadline_drops_members_that_do_not_rejoin);
    tcase_add_test(tc, last_member_leaving_empties_the_group);
    tcase_add_test(tc, static_member_restart_fences_the_old_id);
    tcase_add_test(tc, protocol_selection_votes_among_common_protocols);
    tcase_add_test(tc, cancelled_requests_are_forgotten);
    tcase_add_test(tc, offsets_keep_the_latest_record);
    tcase_add_test(tc, records_round_trip_through_a_batch);
    tcase_add_test(tc, truncated_values_are_refused_at_every_length);
    tcase_add_test(tc, partition_for_matches_java_string_hash);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
