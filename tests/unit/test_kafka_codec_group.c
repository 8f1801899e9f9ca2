/* Kafka codec: group coordination (FindCoordinator, JoinGroup, Heartbeat,
 * LeaveGroup, SyncGroup, DescribeGroups, ListGroups, OffsetCommit,
 * OffsetFetch) and SASL (SaslHandshake, SaslAuthenticate).  Values mirror the
 * samples in gen_kafka_vectors.py. */
#include <limits.h>

#include "tests/unit/kafka_test_util.h"

#define DECODE_EACH(key, v, q, a)                                                                            \
    struct sk_arena a;                                                                                       \
    union kafka_any_req q;                                                                                   \
    sk_arena_init(&a);                                                                                       \
    decode_sample(key, v, &a, &q)

START_TEST(find_coordinator)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_FIND_COORDINATOR, v)
    {
        DECODE_EACH(KAFKA_API_FIND_COORDINATOR, v, q, a);
        ck_slice(q.find_coordinator.key, "g1");
        ck_assert_int_eq(q.find_coordinator.key_type, v >= 1 ? 1 : KAFKA_COORDINATOR_GROUP);
        sk_arena_free(&a);
    }
    union kafka_any_resp s = {.find_coordinator = {5, 0, kafka_cstr(NULL), 1, kafka_cstr("127.0.0.1"), 9092}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_FIND_COORDINATOR, v)
    check_golden(KAFKA_API_FIND_COORDINATOR, v, &s);
}
END_TEST

START_TEST(join_group)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_JOIN_GROUP, v)
    {
        DECODE_EACH(KAFKA_API_JOIN_GROUP, v, q, a);
        const struct kafka_join_group_req *j = &q.join_group;
        ck_slice(j->group_id, "g1");
        ck_assert_int_eq(j->session_timeout_ms, 45000);
        ck_assert_int_eq(j->rebalance_timeout_ms, 300000);
        ck_slice(j->member_id, "");
        ck_slice(j->group_instance_id, v >= 5 ? "inst" : NULL);
        ck_slice(j->protocol_type, "consumer");
        ck_assert_int_eq(j->n_protocols, 2);
        ck_slice(j->protocols[0].name, "range");
        ck_assert(slice_bytes_is(j->protocols[0].metadata, "\x00\x01meta", 6));
        ck_slice(j->protocols[1].name, "roundrobin");
        ck_assert(slice_bytes_is(j->protocols[1].metadata, "", 0));
        sk_arena_free(&a);
    }
    struct kafka_join_group_member members[] = {
        {kafka_cstr("m-1"), kafka_cstr(NULL), {(const uint8_t *)"\x00\x01", 2}},
        {kafka_cstr("m-2"), kafka_cstr("inst"), {NULL, 0}},
    };
    union kafka_any_resp s = {
        .join_group = {5, 0, 4, kafka_cstr("range"), kafka_cstr("m-1"), kafka_cstr("m-2"), members, 2}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_JOIN_GROUP, v)
    check_golden(KAFKA_API_JOIN_GROUP, v, &s);
}
END_TEST

START_TEST(heartbeat)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_HEARTBEAT, v)
    {
        DECODE_EACH(KAFKA_API_HEARTBEAT, v, q, a);
        ck_slice(q.heartbeat.group_id, "g1");
        ck_assert_int_eq(q.heartbeat.generation_id, 4);
        ck_slice(q.heartbeat.member_id, "m-1");
        ck_slice(q.heartbeat.group_instance_id, v >= 3 ? "inst" : NULL);
        sk_arena_free(&a);
    }
    union kafka_any_resp s = {.heartbeat = {5, 27}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_HEARTBEAT, v)
    check_golden(KAFKA_API_HEARTBEAT, v, &s);
}
END_TEST

START_TEST(leave_group)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_LEAVE_GROUP, v)
    {
        DECODE_EACH(KAFKA_API_LEAVE_GROUP, v, q, a);
        const struct kafka_leave_group_req *l = &q.leave_group;
        ck_slice(l->group_id, "g1");
        if (v <= 2) {
            /* One member_id, also presented as a one-element array. */
            ck_slice(l->member_id, "m-1");
            ck_assert_int_eq(l->n_members, 1);
            ck_slice(l->members[0].member_id, "m-1");
            ck_slice(l->members[0].group_instance_id, NULL);
        } else {
            ck_slice(l->member_id, NULL);
            ck_assert_int_eq(l->n_members, 2);
            ck_slice(l->members[0].member_id, "m-1");
            ck_slice(l->members[0].group_instance_id, NULL);
            ck_slice(l->members[1].member_id, "m-2");
            ck_slice(l->members[1].group_instance_id, "inst");
        }
        sk_arena_free(&a);
    }
    struct kafka_leave_group_member_resp members[] = {
        {kafka_cstr("m-1"), kafka_cstr(NULL), 0},
        {kafka_cstr("m-2"), kafka_cstr("inst"), 25},
    };
    union kafka_any_resp s = {.leave_group = {5, 0, members, 2}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_LEAVE_GROUP, v)
    check_golden(KAFKA_API_LEAVE_GROUP, v, &s);
}
END_TEST

START_TEST(sync_group)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_SYNC_GROUP, v)
    {
        DECODE_EACH(KAFKA_API_SYNC_GROUP, v, q, a);
        const struct kafka_sync_group_req *g = &q.sync_group;
        ck_slice(g->group_id, "g1");
        ck_assert_int_eq(g->generation_id, 4);
        ck_slice(g->member_id, "m-1");
        ck_slice(g->group_instance_id, v >= 3 ? "inst" : NULL);
        ck_assert_int_eq(g->n_assignments, 1);
        ck_slice(g->assignments[0].member_id, "m-1");
        ck_assert(slice_bytes_is(g->assignments[0].assignment,
                                 "\x00\x00"
                                 "abc",
                                 5));
        sk_arena_free(&a);
    }
    union kafka_any_resp s = {.sync_group = {5,
                                             0,
                                             {(const uint8_t *)"\x00\x00"
                                                               "abc",
                                              5}}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_SYNC_GROUP, v)
    check_golden(KAFKA_API_SYNC_GROUP, v, &s);
}
END_TEST

START_TEST(describe_and_list_groups)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_DESCRIBE_GROUPS, v)
    {
        DECODE_EACH(KAFKA_API_DESCRIBE_GROUPS, v, q, a);
        ck_assert_int_eq(q.describe_groups.n_groups, 2);
        ck_slice(q.describe_groups.groups[0], "g1");
        ck_slice(q.describe_groups.groups[1], "g2");
        ck_assert(q.describe_groups.include_authorized_operations == (v >= 3));
        sk_arena_free(&a);
    }
    struct kafka_described_member members[] = {{kafka_cstr("m-1"), kafka_cstr("inst"), kafka_cstr("c1"),
                                                kafka_cstr("/127.0.0.1"), kafka_cstr("md"),
                                                kafka_cstr("as")}};
    struct kafka_described_group groups[] = {{0, kafka_cstr("g1"), kafka_cstr("Stable"),
                                              kafka_cstr("consumer"), kafka_cstr("range"), members, 1,
                                              INT32_MIN}};
    union kafka_any_resp s = {.describe_groups = {5, groups, 1}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_DESCRIBE_GROUPS, v)
    check_golden(KAFKA_API_DESCRIBE_GROUPS, v, &s);

    FOR_EACH_PARSE_VERSION(KAFKA_API_LIST_GROUPS, v)
    {
        DECODE_EACH(KAFKA_API_LIST_GROUPS, v, q, a);
        sk_arena_free(&a);
    }
    struct kafka_listed_group listed[] = {{kafka_cstr("g1"), kafka_cstr("consumer")},
                                          {kafka_cstr("g2"), {NULL, 0}}};
    union kafka_any_resp l = {.list_groups = {5, 0, listed, 2}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_LIST_GROUPS, v)
    check_golden(KAFKA_API_LIST_GROUPS, v, &l);
}
END_TEST

START_TEST(offset_commit)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_OFFSET_COMMIT, v)
    {
        DECODE_EACH(KAFKA_API_OFFSET_COMMIT, v, q, a);
        const struct kafka_offset_commit_req *c = &q.offset_commit;
        ck_slice(c->group_id, "g1");
        ck_assert_int_eq(c->generation_id, 4);
        ck_slice(c->member_id, "m-1");
        ck_slice(c->group_instance_id, v >= 7 ? "inst" : NULL);
        ck_assert_int_eq(c->retention_time_ms, v <= 4 ? 86400000 : -1);
        ck_assert_int_eq(c->n_topics, 1);
        ck_slice(c->topics[0].name, "orders");
        ck_assert_int_eq(c->topics[0].n_partitions, 2);
        const struct kafka_offset_commit_partition *p = c->topics[0].partitions;
        ck_assert_int_eq(p[0].partition_index, 3);
        ck_assert_int_eq(p[0].committed_offset, 42);
        ck_assert_int_eq(p[0].committed_leader_epoch, v >= 6 ? 5 : -1);
        ck_slice(p[0].committed_metadata, "meta");
        ck_assert_int_eq(p[1].partition_index, 4);
        ck_assert_int_eq(p[1].committed_offset, 7);
        ck_assert_int_eq(p[1].committed_leader_epoch, -1);
        ck_slice(p[1].committed_metadata, NULL);
        sk_arena_free(&a);
    }
    struct kafka_offset_commit_partition_resp parts[] = {{3, 0}, {4, 22}};
    struct kafka_offset_commit_topic_resp topics[] = {{kafka_cstr("orders"), parts, 2}};
    union kafka_any_resp s = {.offset_commit = {5, topics, 1}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_OFFSET_COMMIT, v)
    check_golden(KAFKA_API_OFFSET_COMMIT, v, &s);
}
END_TEST

START_TEST(offset_fetch)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_OFFSET_FETCH, v)
    {
        DECODE_EACH(KAFKA_API_OFFSET_FETCH, v, q, a);
        const struct kafka_offset_fetch_req *f = &q.offset_fetch;
        ck_slice(f->group_id, "g1");
        ck_assert(!f->all_topics);
        ck_assert_int_eq(f->n_topics, 1);
        ck_slice(f->topics[0].name, "orders");
        ck_assert_int_eq(f->topics[0].n_partition_indexes, 2);
        ck_assert_int_eq(f->topics[0].partition_indexes[0], 3);
        ck_assert_int_eq(f->topics[0].partition_indexes[1], 4);
        sk_arena_free(&a);
    }
    struct kafka_offset_fetch_partition_resp parts[] = {{3, 42, 5, kafka_cstr("meta"), 0},
                                                        {4, -1, -1, kafka_cstr(NULL), 0}};
    struct kafka_offset_fetch_topic_resp topics[] = {{kafka_cstr("orders"), parts, 2}};
    union kafka_any_resp s = {.offset_fetch = {5, topics, 1, 14}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_OFFSET_FETCH, v)
    check_golden(KAFKA_API_OFFSET_FETCH, v, &s);
}
END_TEST

/* v2+ null topics = every committed offset; v1 null is corrupt. */
START_TEST(offset_fetch_null_topics)
{
    const uint8_t body[] = {0, 2, 'g', '1', 0xff, 0xff, 0xff, 0xff};
    for (int16_t v = 1; v <= 5; v++) {
        struct sk_arena a;
        sk_arena_init(&a);
        struct sk_reader r;
        sk_reader_init(&r, body, sizeof(body));
        struct kafka_offset_fetch_req f;
        int rc = kafka_decode_offset_fetch_req(&r, v, &a, &f);
        if (v == 1) {
            ck_assert_int_eq(rc, SK_ECORRUPT);
        } else {
            ck_assert_int_eq(rc, 0);
            ck_assert(f.all_topics && f.n_topics == -1 && f.topics == NULL);
        }
        sk_arena_free(&a);
    }
}
END_TEST

START_TEST(sasl)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_SASL_HANDSHAKE, v)
    {
        DECODE_EACH(KAFKA_API_SASL_HANDSHAKE, v, q, a);
        ck_slice(q.sasl_handshake.mechanism, "PLAIN");
        sk_arena_free(&a);
    }
    static const struct sk_slice mechs[] = {{(const uint8_t *)"PLAIN", 5},
                                            {(const uint8_t *)"SCRAM-SHA-256", 13}};
    union kafka_any_resp h = {.sasl_handshake = {0, mechs, 2}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_SASL_HANDSHAKE, v)
    check_golden(KAFKA_API_SASL_HANDSHAKE, v, &h);

    FOR_EACH_PARSE_VERSION(KAFKA_API_SASL_AUTHENTICATE, v)
    {
        DECODE_EACH(KAFKA_API_SASL_AUTHENTICATE, v, q, a);
        ck_assert(slice_bytes_is(q.sasl_authenticate.auth_bytes, "\x00user\x00pass", 10));
        sk_arena_free(&a);
    }
    union kafka_any_resp s = {.sasl_authenticate = {0, kafka_cstr(NULL), {NULL, 0}, 3600000}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_SASL_AUTHENTICATE, v)
    check_golden(KAFKA_API_SASL_AUTHENTICATE, v, &s);
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("group");
    tcase_add_test(tc, find_coordinator);
    tcase_add_test(tc, join_group);
    tcase_add_test(tc, heartbeat);
    tcase_add_test(tc, leave_group);
    tcase_add_test(tc, sync_group);
    tcase_add_test(tc, describe_and_list_groups);
    tcase_add_test(tc, offset_commit);
    tcase_add_test(tc, offset_fetch);
    tcase_add_test(tc, offset_fetch_null_topics);
    tcase_add_test(tc, sasl);
    return kt_run(kt_suite("kafka_codec_group", tc));
}
