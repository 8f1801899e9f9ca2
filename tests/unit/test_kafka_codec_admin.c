/* Kafka codec: CreateTopics, DeleteTopics, DeleteRecords, InitProducerId,
 * DescribeConfigs, AlterConfigs, CreatePartitions.  Values mirror the samples
 * in gen_kafka_vectors.py. */
#include "tests/unit/kafka_test_util.h"

START_TEST(create_topics)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_CREATE_TOPICS, v)
    {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_CREATE_TOPICS, v, &a, &q);
        const struct kafka_create_topics_req *c = &q.create_topics;
        ck_assert_int_eq(c->n_topics, 1);
        const struct kafka_create_topics_topic *t = &c->topics[0];
        ck_slice(t->name, "orders");
        ck_assert_int_eq(t->num_partitions, 3);
        ck_assert_int_eq(t->replication_factor, -1);
        ck_assert_int_eq(t->n_assignments, 1);
        ck_assert_int_eq(t->assignments[0].partition_index, 0);
        ck_assert_int_eq(t->assignments[0].n_broker_ids, 2);
        ck_assert_int_eq(t->assignments[0].broker_ids[0], 1);
        ck_assert_int_eq(t->assignments[0].broker_ids[1], 2);
        ck_assert_int_eq(t->n_configs, 2);
        ck_slice(t->configs[0].name, "cleanup.policy");
        ck_slice(t->configs[0].value, "compact");
        ck_slice(t->configs[1].name, "retention.ms");
        ck_slice(t->configs[1].value, NULL);
        ck_assert_int_eq(c->timeout_ms, 60000);
        ck_assert(c->validate_only == (v >= 1));
        sk_arena_free(&a);
    }
    struct kafka_create_topics_topic_resp topics[] = {
        {kafka_cstr("orders"), 0, kafka_cstr(NULL)},
        {kafka_cstr("bad"), 38, kafka_cstr("replication factor")},
    };
    union kafka_any_resp s = {.create_topics = {.throttle_time_ms = 5, .topics = topics, .n_topics = 2}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_CREATE_TOPICS, v)
    check_golden(KAFKA_API_CREATE_TOPICS, v, &s);
}
END_TEST

START_TEST(delete_topics)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_DELETE_TOPICS, v)
    {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_DELETE_TOPICS, v, &a, &q);
        ck_assert_int_eq(q.delete_topics.n_topic_names, 2);
        ck_slice(q.delete_topics.topic_names[0], "orders");
        ck_slice(q.delete_topics.topic_names[1], "logs");
        ck_assert_int_eq(q.delete_topics.timeout_ms, 30000);
        sk_arena_free(&a);
    }
    struct kafka_delete_topics_topic_resp res[] = {{kafka_cstr("orders"), 0}, {kafka_cstr("logs"), 3}};
    union kafka_any_resp s = {.delete_topics = {.throttle_time_ms = 5, .responses = res, .n_responses = 2}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_DELETE_TOPICS, v)
    check_golden(KAFKA_API_DELETE_TOPICS, v, &s);
}
END_TEST

START_TEST(delete_records)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_DELETE_RECORDS, v)
    {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_DELETE_RECORDS, v, &a, &q);
        const struct kafka_delete_records_req *d = &q.delete_records;
        ck_assert_int_eq(d->n_topics, 1);
        ck_slice(d->topics[0].name, "orders");
        ck_assert_int_eq(d->topics[0].n_partitions, 1);
        ck_assert_int_eq(d->topics[0].partitions[0].partition_index, 3);
        ck_assert_int_eq(d->topics[0].partitions[0].offset, 100);
        ck_assert_int_eq(d->timeout_ms, 30000);
        sk_arena_free(&a);
    }
    struct kafka_delete_records_partition_resp parts[] = {{3, 100, 0}};
    struct kafka_delete_records_topic_resp topics[] = {{kafka_cstr("orders"), parts, 1}};
    union kafka_any_resp s = {.delete_records = {.throttle_time_ms = 5, .topics = topics, .n_topics = 1}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_DELETE_RECORDS, v)
    check_golden(KAFKA_API_DELETE_RECORDS, v, &s);
}
END_TEST

START_TEST(init_producer_id)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_INIT_PRODUCER_ID, v)
    {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_INIT_PRODUCER_ID, v, &a, &q);
        ck_slice(q.init_producer_id.transactional_id, NULL);
        ck_assert_int_eq(q.init_producer_id.transaction_timeout_ms, 60000);
        sk_arena_free(&a);
    }
    union kafka_any_resp s = {.init_producer_id = {5, 0, 1000, 2}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_INIT_PRODUCER_ID, v)
    check_golden(KAFKA_API_INIT_PRODUCER_ID, v, &s);
}
END_TEST

START_TEST(describe_configs)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_DESCRIBE_CONFIGS, v)
    {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_DESCRIBE_CONFIGS, v, &a, &q);
        const struct kafka_describe_configs_req *d = &q.describe_configs;
        ck_assert_int_eq(d->n_resources, 2);
        ck_assert_int_eq(d->resources[0].resource_type, KAFKA_RESOURCE_TOPIC);
        ck_slice(d->resources[0].resource_name, "orders");
        ck_assert_int_eq(d->resources[0].n_configuration_keys, -1);
        ck_assert(d->resources[0].configuration_keys == NULL);
        ck_assert_int_eq(d->resources[1].resource_type, KAFKA_RESOURCE_BROKER);
        ck_slice(d->resources[1].resource_name, "1");
        ck_assert_int_eq(d->resources[1].n_configuration_keys, 1);
        ck_slice(d->resources[1].configuration_keys[0], "log.retention.ms");
        ck_assert(d->include_synonyms == (v >= 1));
        sk_arena_free(&a);
    }
    struct kafka_config_synonym syn[] = {{kafka_cstr("log.retention.ms"), kafka_cstr("604800000"), 5}};
    struct kafka_describe_configs_entry cfg[] = {
        {kafka_cstr("retention.ms"), kafka_cstr("604800000"), false, true, 5, false, syn, 1},
        {kafka_cstr("sasl.password"), kafka_cstr(NULL), true, false, 4, true, NULL, 0},
    };
    struct kafka_describe_configs_result res[] = {
        {0, kafka_cstr(NULL), KAFKA_RESOURCE_TOPIC, kafka_cstr("orders"), cfg, 2},
    };
    union kafka_any_resp s = {.describe_configs = {.throttle_time_ms = 5, .results = res, .n_results = 1}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_DESCRIBE_CONFIGS, v)
    check_golden(KAFKA_API_DESCRIBE_CONFIGS, v, &s);
}
END_TEST

START_TEST(alter_configs)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_ALTER_CONFIGS, v)
    {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_ALTER_CONFIGS, v, &a, &q);
        const struct kafka_alter_configs_req *c = &q.alter_configs;
        ck_assert_int_eq(c->n_resources, 1);
        ck_assert_int_eq(c->resources[0].resource_type, KAFKA_RESOURCE_TOPIC);
        ck_slice(c->resources[0].resource_name, "orders");
        ck_assert_int_eq(c->resources[0].n_configs, 2);
        ck_slice(c->resources[0].configs[0].name, "retention.ms");
        ck_slice(c->resources[0].configs[0].value, "1000");
        ck_slice(c->resources[0].configs[1].name, "cleanup.policy");
        ck_slice(c->resources[0].configs[1].value, NULL);
        ck_assert(c->validate_only);
        sk_arena_free(&a);
    }
    struct kafka_alter_configs_resource_resp res[] = {
        {0, kafka_cstr(NULL), KAFKA_RESOURCE_TOPIC, kafka_cstr("orders")},
        {40, kafka_cstr("bad"), KAFKA_RESOURCE_BROKER, kafka_cstr("1")},
    };
    union kafka_any_resp s = {.alter_configs = {.throttle_time_ms = 5, .responses = res, .n_responses = 2}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_ALTER_CONFIGS, v)
    check_golden(KAFKA_API_ALTER_CONFIGS, v, &s);
}
END_TEST

START_TEST(create_partitions)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_CREATE_PARTITIONS, v)
    {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_CREATE_PARTITIONS, v, &a, &q);
        const struct kafka_create_partitions_req *c = &q.create_partitions;
        ck_assert_int_eq(c->n_topics, 2);
        ck_slice(c->topics[0].name, "orders");
        ck_assert_int_eq(c->topics[0].count, 6);
        ck_assert_int_eq(c->topics[0].n_assignments, 2);
        ck_assert_int_eq(c->topics[0].assignments[0].n_broker_ids, 1);
        ck_assert_int_eq(c->topics[0].assignments[0].broker_ids[0], 1);
        ck_assert_int_eq(c->topics[0].assignments[1].broker_ids[0], 2);
        ck_slice(c->topics[1].name, "logs");
        ck_assert_int_eq(c->topics[1].count, 2);
        ck_assert_int_eq(c->topics[1].n_assignments, -1);
        ck_assert_int_eq(c->timeout_ms, 30000);
        ck_assert(!c->validate_only);
        sk_arena_free(&a);
    }
    struct kafka_create_partitions_topic_resp res[] = {
        {kafka_cstr("orders"), 0, kafka_cstr(NULL)},
        {kafka_cstr("logs"), 37, kafka_cstr("too few")},
    };
    union kafka_any_resp s = {.create_partitions = {.throttle_time_ms = 5, .results = res, .n_results = 2}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_CREATE_PARTITIONS, v)
    check_golden(KAFKA_API_CREATE_PARTITIONS, v, &s);
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("admin");
    tcase_add_test(tc, create_topics);
    tcase_add_test(tc, delete_topics);
    tcase_add_test(tc, delete_records);
    tcase_add_test(tc, init_producer_id);
    tcase_add_test(tc, describe_configs);
    tcase_add_test(tc, alter_configs);
    tcase_add_test(tc, create_partitions);
    return kt_run(kt_suite("kafka_codec_admin", tc));
}
