/* Controller RPC codec: requests survive the protobuf round trip, deep
 * copies own their memory, and hostile requests (oversized lists, overlong
 * strings) are refused before use. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "broker/ctrl_codec.h"
#include "common/alloc.h"
#include "common/sk_err.h"

/* Packs m and unpacks it again, as the transport would. */
static Skiff__Metadata__ControllerRequest *wire(const Skiff__Metadata__ControllerRequest *m, uint8_t **buf)
{
    size_t len = skiff__metadata__controller_request__get_packed_size(m);
    *buf = sk_malloc(len + 1);
    skiff__metadata__controller_request__pack(m, *buf);
    return skiff__metadata__controller_request__unpack(NULL, len, *buf);
}

START_TEST(create_topic_round_trip)
{
    int32_t a0[] = {1, 2, 3}, a1[] = {2, 3, 1};
    struct ctrl_assignment as[] = {{a0, 3}, {a1, 3}};
    struct md_config cfg[] = {{"retention.ms", "1000"}, {"min.insync.replicas", "2"}};
    struct ctrl_req in = {.op = CTRL_CREATE_TOPIC, .name = "orders", .partitions = -1, .replication_factor = -1,
                          .assignments = as, .n_assignments = 2, .configs = cfg, .n_configs = 2,
                          .validate_only = true};
    struct sk_arena a, b;
    sk_arena_init(&a);
    sk_arena_init(&b);
    Skiff__Metadata__ControllerRequest pm;
    ck_assert_int_eq(ctrl_req_to_pb(&in, &a, &pm), SK_OK);
    uint8_t *buf;
    Skiff__Metadata__ControllerRequest *back = wire(&pm, &buf);
    ck_assert_ptr_nonnull(back);
    struct ctrl_req out;
    ck_assert_int_eq(ctrl_req_from_pb(back, &b, &out), SK_OK);
    ck_assert_int_eq(out.op, CTRL_CREATE_TOPIC);
    ck_assert_str_eq(out.name, "orders");
    ck_assert_int_eq(out.n_assignments, 2);
    ck_assert_int_eq(out.assignments[1].ids[0], 2);
    ck_assert_int_eq(out.n_configs, 2);
    ck_assert_str_eq(out.configs[1].value, "2");
    ck_assert(out.validate_only);
    /* A deep copy outlives the decoded message. */
    struct sk_arena c;
    sk_arena_init(&c);
    struct ctrl_req copy;
    ck_assert_int_eq(ctrl_req_copy(&out, &c, &copy), SK_OK);
    skiff__metadata__controller_request__free_unpacked(back, NULL);
    sk_free(buf);
    sk_arena_free(&b);
    ck_assert_str_eq(copy.name, "orders");
    ck_assert_str_eq(copy.configs[0].key, "retention.ms");
    ck_assert_int_eq(copy.assignments[0].ids[2], 3);
    sk_arena_free(&c);
    sk_arena_free(&a);
}
END_TEST

START_TEST(broker_ops_round_trip)
{
    struct ctrl_req in = {.op = CTRL_REGISTER};
    in.broker.id = 3;
    in.broker.incarnation_id = 99;
    strcpy(in.broker.host, "127.0.0.1");
    in.broker.port = 9292;
    strcpy(in.broker.internal_host, "127.0.0.1");
    in.broker.internal_port = 9293;
    struct sk_arena a;
    sk_arena_init(&a);
    Skiff__Metadata__ControllerRequest pm;
    ck_assert_int_eq(ctrl_req_to_pb(&in, &a, &pm), SK_OK);
    uint8_t *buf;
    Skiff__Metadata__ControllerRequest *back = wire(&pm, &buf);
    struct ctrl_req out;
    ck_assert_int_eq(ctrl_req_from_pb(back, &a, &out), SK_OK);
    ck_assert_int_eq(out.broker.id, 3);
    ck_assert_uint_eq(out.broker.incarnation_id, 99);
    ck_assert_int_eq(out.broker.internal_port, 9293);
    skiff__metadata__controller_request__free_unpacked(back, NULL);
    sk_free(buf);

    int32_t isr[] = {1, 2};
    struct ctrl_req ap = {.op = CTRL_ALTER_PARTITION, .broker_id = 1, .broker_epoch = 7, .name = "t", .partition = 4,
                          .leader_epoch = 2, .partition_epoch = 9, .isr = isr, .n_isr = 2};
    ck_assert_int_eq(ctrl_req_to_pb(&ap, &a, &pm), SK_OK);
    back = wire(&pm, &buf);
    ck_assert_int_eq(ctrl_req_from_pb(back, &a, &out), SK_OK);
    ck_assert_int_eq(out.op, CTRL_ALTER_PARTITION);
    ck_assert_int_eq(out.broker_epoch, 7);
    ck_assert_int_eq(out.partition_epoch, 9);
    ck_assert_int_eq(out.n_isr, 2);
    ck_assert_int_eq(out.isr[1], 2);
    skiff__metadata__controller_request__free_unpacked(back, NULL);
    sk_free(buf);
    sk_arena_free(&a);
}
END_TEST

START_TEST(hostile_requests_refused)
{
    struct sk_arena a;
    sk_arena_init(&a);
    struct ctrl_req out;
    /* An ISR longer than any replica list. */
    int32_t big[SK_REPLICATION_FACTOR_MAX + 1] = {0};
    Skiff__Metadata__AlterPartitionRequest ap;
    skiff__metadata__alter_partition_request__init(&ap);
    ap.topic = "t";
    ap.n_new_isr = SK_REPLICATION_FACTOR_MAX + 1;
    ap.new_isr = big;
    Skiff__Metadata__ControllerRequest m;
    skiff__metadata__controller_request__init(&m);
    m.op_case = SKIFF__METADATA__CONTROLLER_REQUEST__OP_ALTER_PARTITION;
    m.alter_partition = &ap;
    ck_assert_int_eq(ctrl_req_from_pb(&m, &a, &out), SK_ELIMIT);
    /* A topic name over the limit. */
    char name[SK_TOPIC_NAME_MAX + 2];
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    Skiff__Metadata__DeleteTopicRequest dt;
    skiff__metadata__delete_topic_request__init(&dt);
    dt.name = name;
    m.op_case = SKIFF__METADATA__CONTROLLER_REQUEST__OP_DELETE_TOPIC;
    m.delete_topic = &dt;
    ck_assert_int_eq(ctrl_req_from_pb(&m, &a, &out), SK_EINVAL);
    /* A registration whose host does not fit. */
    char host[300];
    memset(host, 'h', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    Skiff__Metadata__BrokerRegistrationRequest br;
    skiff__metadata__broker_registration_request__init(&br);
    br.host = host;
    br.internal_host = "127.0.0.1";
    m.op_case = SKIFF__METADATA__CONTROLLER_REQUEST__OP_REGISTER;
    m.register_ = &br;
    ck_assert_int_eq(ctrl_req_from_pb(&m, &a, &out), SK_EINVAL);
    /* No operation at all. */
    m.op_case = SKIFF__METADATA__CONTROLLER_REQUEST__OP__NOT_SET;
    ck_assert_int_eq(ctrl_req_from_pb(&m, &a, &out), SK_EINVAL);
    /* Truncated frames unpack to nothing or to something the decoder
     * checks; neither crashes. */
    struct ctrl_req in = {.op = CTRL_DELETE_TOPIC, .name = "some-topic"};
    ck_assert_int_eq(ctrl_req_to_pb(&in, &a, &m), SK_OK);
    size_t len = skiff__metadata__controller_request__get_packed_size(&m);
    uint8_t *buf = sk_malloc(len);
    skiff__metadata__controller_request__pack(&m, buf);
    for (size_t cut = 0; cut < len; cut++) {
        Skiff__Metadata__ControllerRequest *u = skiff__metadata__controller_request__unpack(NULL, cut, buf);
        if (u) {
            ctrl_req_from_pb(u, &a, &out);
            skiff__metadata__controller_request__free_unpacked(u, NULL);
        }
    }
    sk_free(buf);
    sk_arena_free(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ctrl_codec");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, create_topic_round_trip);
    tcase_add_test(tc, broker_ops_round_trip);
    tcase_add_test(tc, hostile_requests_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
