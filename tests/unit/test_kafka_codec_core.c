/* Kafka codec: ApiVersions, Metadata, Produce, Fetch, ListOffsets.  Request
 * vectors and golden responses come from tests/unit/kafka_vectors.h (encoded
 * from Kafka's JSON schemas by gen_kafka_vectors.py); the values checked here
 * mirror the samples in that script. */
#include <limits.h>

#include "tests/unit/kafka_test_util.h"

static uint8_t recs[70];

static void init_recs(void)
{
    for (int i = 0; i < 70; i++)
        recs[i] = (uint8_t)i;
}

/* ------------------------------------------------------------ ApiVersions */

START_TEST(api_versions_requests)
{
    for (int16_t v = 0; v <= 2; v++) {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_API_VERSIONS, v, &a, &q);
        ck_assert(!q.api_versions.body_unparsed);
        sk_arena_free(&a);
    }
}
END_TEST

START_TEST(api_versions_golden)
{
    static const struct kafka_api_info apis[] = {{0, "Produce", 0, 7, 3, 7}, {18, "ApiVersions", 0, 2, 0, 2}};
    union kafka_any_resp s = {
        .api_versions = {.error_code = 0, .apis = apis, .n_apis = 2, .throttle_time_ms = 5}};
    for (int16_t v = 0; v <= 2; v++)
        check_golden(KAFKA_API_API_VERSIONS, v, &s);
}
END_TEST

/* The advertised table, at v2 and as the v0-shaped reply to v3 (P1). */
START_TEST(api_versions_table_and_v3_error)
{
    size_t n;
    const struct kafka_api_info *t = kafka_api_table(&n);
    struct kafka_api_versions_resp resp = {.error_code = 0, .apis = t, .n_apis = (int32_t)n};
    struct sk_writer w;
    sk_writer_init(&w);
    kafka_encode_api_versions_resp(&w, 2, &resp);
    ck_bytes_eq(w.p, w.len, resp_api_versions_v2_table, sizeof(resp_api_versions_v2_table), "table v2");
    sk_writer_reset(&w);
    resp.error_code = KAFKA_UNSUPPORTED_VERSION;
    kafka_encode_api_versions_resp(&w, 3, &resp);
    ck_bytes_eq(w.p, w.len, resp_api_versions_v3_error, sizeof(resp_api_versions_v3_error), "v3 error");
    sk_writer_free(&w);
    ck_assert(kafka_api_lookup(KAFKA_API_OFFSET_FOR_LEADER_EPOCH) == NULL);
    ck_assert(!kafka_api_supported(KAFKA_API_API_VERSIONS, 3));
    ck_assert(!kafka_api_supported(KAFKA_API_PRODUCE, 2));
    ck_assert(kafka_api_supported(KAFKA_API_FETCH, 11));
    ck_assert(!kafka_api_supported(KAFKA_API_FETCH, 12));
    ck_assert(!kafka_api_supported(99, 0));
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(t[i].adv_min, 0);
        ck_assert(t[i].parse_min >= t[i].adv_min && t[i].parse_max == t[i].adv_max);
        ck_assert(i == 0 || t[i - 1].api_key < t[i].api_key);
    }
}
END_TEST

START_TEST(api_versions_v3_decodes_without_parsing)
{
    const uint8_t body[] = {0x00, 0x05, 0x01}; /* flexible junk: never read */
    struct sk_reader r;
    sk_reader_init(&r, body, sizeof(body));
    struct sk_arena a;
    sk_arena_init(&a);
    union kafka_any_req q;
    ck_assert_int_eq(kafka_decode_request(KAFKA_API_API_VERSIONS, 3, &r, &a, &q), 0);
    ck_assert(q.api_versions.body_unparsed);
    ck_assert_int_eq(kafka_decode_request(KAFKA_API_API_VERSIONS, -1, &r, &a, &q), SK_EINVAL);
    sk_arena_free(&a);
}
END_TEST

/* --------------------------------------------------------------- Metadata */

START_TEST(metadata_requests)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_METADATA, v)
    {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_METADATA, v, &a, &q);
        const struct kafka_metadata_req *m = &q.metadata;
        ck_assert_int_eq(m->n_topics, 2);
        ck_slice(m->topics[0], "orders");
        ck_slice(m->topics[1], "logs");
        ck_assert(!m->all_topics);
        ck_assert(m->allow_auto_topic_creation == (v < 4)); /* sample sends false; default true */
        sk_arena_free(&a);
    }
}
END_TEST

/* P4: v0 empty array = all topics; v1+ null = all, empty = none. */
START_TEST(metadata_null_and_empty_topics)
{
    const uint8_t empty[] = {0, 0, 0, 0, 1};
    const uint8_t null_arr[] = {0xff, 0xff, 0xff, 0xff, 1};
    for (int16_t v = 0; v <= 6; v++) {
        struct sk_arena a;
        sk_arena_init(&a);
        struct sk_reader r;
        struct kafka_metadata_req m;
        sk_reader_init(&r, empty, sizeof(empty));
        ck_assert_int_eq(kafka_decode_metadata_req(&r, v, &a, &m), 0);
        ck_assert_int_eq(m.n_topics, 0);
        ck_assert(m.all_topics == (v == 0));
        sk_reader_init(&r, null_arr, sizeof(null_arr));
        int rc = kafka_decode_metadata_req(&r, v, &a, &m);
        if (v == 0) {
            ck_assert_int_eq(rc, SK_ECORRUPT); /* not nullable in v0 */
        } else {
            ck_assert_int_eq(rc, 0);
            ck_assert_int_eq(m.n_topics, -1);
            ck_assert(m.topics == NULL && m.all_topics);
        }
        sk_arena_free(&a);
    }
}
END_TEST

static const int32_t replicas[] = {1, 2}, isr[] = {1}, offline[] = {2};

START_TEST(metadata_golden)
{
    struct kafka_metadata_broker brokers[] = {
        {1, kafka_cstr("127.0.0.1"), 9092, kafka_cstr(NULL)},
        {2, kafka_cstr("b2"), 9192, kafka_cstr("r2")},
    };
    struct kafka_metadata_partition parts[] = {{0, 0, 1, replicas, 2, isr, 1, offline, 1}};
    struct kafka_metadata_topic topics[] = {
        {0, kafka_cstr("orders"), false, parts, 1},
        {3, kafka_cstr("missing"), false, NULL, 0},
        {0, kafka_cstr("__consumer_offsets"), true, NULL, 0},
    };
    union kafka_any_resp s = {.metadata = {.throttle_time_ms = 5,
                                           .brokers = brokers,
                                           .n_brokers = 2,
                                           .cluster_id = kafka_cstr("skiff-cluster"),
                                           .controller_id = 1,
                                           .topics = topics,
                                           .n_topics = 3}};
    for (int16_t v = 0; v <= 6; v++)
        check_golden(KAFKA_API_METADATA, v, &s);
}
END_TEST

/* ---------------------------------------------------------------- Produce */

START_TEST(produce_requests)
{
    init_recs();
    FOR_EACH_PARSE_VERSION(KAFKA_API_PRODUCE, v)
    {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_PRODUCE, v, &a, &q);
        const struct kafka_produce_req *p = &q.produce;
        ck_slice(p->transactional_id, "tx");
        ck_assert_int_eq(p->acks, -1);
        ck_assert_int_eq(p->timeout_ms, 30000);
        ck_assert_int_eq(p->n_topics, 1);
        ck_slice(p->topics[0].name, "orders");
        ck_assert_int_eq(p->topics[0].n_partitions, 2);
        ck_assert_int_eq(p->topics[0].partitions[0].index, 3);
        ck_assert(slice_bytes_is(p->topics[0].partitions[0].records, recs, 70));
        ck_assert_int_eq(p->topics[0].partitions[1].index, 4);
        ck_slice(p->topics[0].partitions[1].records, NULL);
        sk_arena_free(&a);
    }
}
END_TEST

START_TEST(produce_golden)
{
    struct kafka_produce_partition_resp parts[] = {{3, 0, 42, -1, 0}, {4, 6, -1, -1, -1}};
    struct kafka_produce_topic_resp topics[] = {{kafka_cstr("orders"), parts, 2}};
    union kafka_any_resp s = {.produce = {.topics = topics, .n_topics = 1, .throttle_time_ms = 5}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_PRODUCE, v)
    check_golden(KAFKA_API_PRODUCE, v, &s);
}
END_TEST

/* ------------------------------------------------------------------ Fetch */

START_TEST(fetch_requests)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_FETCH, v)
    {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_FETCH, v, &a, &q);
        const struct kafka_fetch_req *f = &q.fetch;
        ck_assert_int_eq(f->replica_id, -1);
        ck_assert_int_eq(f->max_wait_ms, 500);
        ck_assert_int_eq(f->min_bytes, 1);
        ck_assert_int_eq(f->max_bytes, 52428800);
        ck_assert_int_eq(f->isolation_level, 1);
        ck_assert_int_eq(f->session_id, v >= 7 ? 7 : 0);
        ck_assert_int_eq(f->session_epoch, v >= 7 ? 9 : -1);
        ck_assert_int_eq(f->n_topics, 1);
        ck_slice(f->topics[0].topic, "orders");
        ck_assert_int_eq(f->topics[0].n_partitions, 1);
        const struct kafka_fetch_partition *p = &f->topics[0].partitions[0];
        ck_assert_int_eq(p->partition, 3);
        ck_assert_int_eq(p->current_leader_epoch, v >= 9 ? 5 : -1);
        ck_assert_int_eq(p->fetch_offset, 42);
        ck_assert_int_eq(p->log_start_offset, v >= 5 ? 11 : -1);
        ck_assert_int_eq(p->partition_max_bytes, 1048576);
        if (v >= 7) {
            ck_assert_int_eq(f->n_forgotten, 1);
            ck_slice(f->forgotten[0].topic, "old");
            ck_assert_int_eq(f->forgotten[0].n_partitions, 2);
            ck_assert_int_eq(f->forgotten[0].partitions[1], 2);
        } else {
            ck_assert_int_eq(f->n_forgotten, 0);
        }
        ck_slice(f->rack_id, v >= 11 ? "rack-a" : "");
        sk_arena_free(&a);
    }
}
END_TEST

START_TEST(fetch_golden)
{
    init_recs();
    static const struct kafka_aborted_txn aborted[] = {{77, 5}};
    struct kafka_fetch_partition_resp parts[] = {
        {.partition_index = 3,
         .error_code = 0,
         .high_watermark = 100,
         .last_stable_offset = 100,
         .log_start_offset = 0,
         .aborted = NULL,
         .n_aborted = 0,
         .records = recs,
         .records_len = 70},
        {.partition_index = 4,
         .error_code = 1,
         .high_watermark = 10,
         .last_stable_offset = 10,
         .log_start_offset = 2,
         .aborted = aborted,
         .n_aborted = 1,
         .records = NULL,
         .records_len = 0},
    };
    struct kafka_fetch_topic_resp topics[] = {{kafka_cstr("orders"), parts, 2}};
    union kafka_any_resp s = {
        .fetch = {.throttle_time_ms = 5, .error_code = 0, .session_id = 0, .topics = topics, .n_topics = 1}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_FETCH, v)
    check_golden(KAFKA_API_FETCH, v, &s);
}
END_TEST

/* Null records, and the tail of a v11 partition: preferred replica -1. */
START_TEST(fetch_null_records_and_preferred_replica)
{
    struct kafka_fetch_partition_resp part = {.partition_index = 0, .records_len = -1};
    struct kafka_fetch_topic_resp topic = {kafka_cstr("t"), &part, 1};
    struct kafka_fetch_resp resp = {.topics = &topic, .n_topics = 1};
    struct sk_writer w;
    sk_writer_init(&w);
    kafka_encode_fetch_resp(&w, 11, &resp);
    ck_assert_int_eq(w.err, 0);
    /* ... aborted count 0, preferred_read_replica -1, records length -1 */
    const uint8_t tail[] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    ck_assert_uint_ge(w.len, sizeof(tail));
    ck_bytes_eq(w.p + w.len - sizeof(tail), sizeof(tail), tail, sizeof(tail), "fetch v11 tail");
    sk_writer_free(&w);
}
END_TEST

/* ------------------------------------------------------------ ListOffsets */

START_TEST(list_offsets_requests)
{
    FOR_EACH_PARSE_VERSION(KAFKA_API_LIST_OFFSETS, v)
    {
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(KAFKA_API_LIST_OFFSETS, v, &a, &q);
        const struct kafka_list_offsets_req *l = &q.list_offsets;
        ck_assert_int_eq(l->replica_id, -1);
        ck_assert_int_eq(l->isolation_level, v >= 2 ? 1 : 0);
        ck_assert_int_eq(l->n_topics, 1);
        ck_slice(l->topics[0].name, "orders");
        ck_assert_int_eq(l->topics[0].n_partitions, 2);
        ck_assert_int_eq(l->topics[0].partitions[0].partition_index, 3);
        ck_assert_int_eq(l->topics[0].partitions[0].timestamp, -2);
        ck_assert_int_eq(l->topics[0].partitions[1].partition_index, 4);
        ck_assert_int_eq(l->topics[0].partitions[1].timestamp, 1600000000000LL);
        sk_arena_free(&a);
    }
}
END_TEST

START_TEST(list_offsets_golden)
{
    struct kafka_list_offsets_partition_resp parts[] = {{3, 0, -1, 42}};
    struct kafka_list_offsets_topic_resp topics[] = {{kafka_cstr("orders"), parts, 1}};
    union kafka_any_resp s = {.list_offsets = {.throttle_time_ms = 5, .topics = topics, .n_topics = 1}};
    FOR_EACH_PARSE_VERSION(KAFKA_API_LIST_OFFSETS, v)
    check_golden(KAFKA_API_LIST_OFFSETS, v, &s);
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, api_versions_requests);
    tcase_add_test(tc, api_versions_golden);
    tcase_add_test(tc, api_versions_table_and_v3_error);
    tcase_add_test(tc, api_versions_v3_decodes_without_parsing);
    tcase_add_test(tc, metadata_requests);
    tcase_add_test(tc, metadata_null_and_empty_topics);
    tcase_add_test(tc, metadata_golden);
    tcase_add_test(tc, produce_requests);
    tcase_add_test(tc, produce_golden);
    tcase_add_test(tc, fetch_requests);
    tcase_add_test(tc, fetch_golden);
    tcase_add_test(tc, fetch_null_records_and_preferred_replica);
    tcase_add_test(tc, list_offsets_requests);
    tcase_add_test(tc, list_offsets_golden);
    return kt_run(kt_suite("kafka_codec_core", tc));
}
