/* Kafka codec on request frames captured from real clients (kcat 1.7.1 /
 * librdkafka 2.0.2 and kafka-python 2.0.2; see capture_kafka_frames.py):
 * header + body decode, every byte consumed, and the values those clients are
 * known to send (README pitfalls P1, P3, P4, P5, P6). */
#include <stdlib.h>

#include "broker/batch.h"
#include "tests/unit/kafka_captured.h"
#include "tests/unit/kafka_test_util.h"

static const struct kafka_captured *find_frame(const char *client, int16_t key, int16_t version)
{
    for (size_t i = 0; i < N_ELEMS(kafka_captured_frames); i++) {
        const struct kafka_captured *c = &kafka_captured_frames[i];
        if (strcmp(c->client, client) == 0 && c->api_key == key && c->version == version)
            return c;
    }
    ck_abort_msg("no captured %s frame for api %d v%d", client, key, version);
    return NULL;
}

/* Decodes a whole captured frame; the header must match the table row.  The
 * decoded slices borrow from the static frame bytes (exact-size arrays, so
 * ASan still sees any overread). */
static void decode_frame(const struct kafka_captured *c, struct kafka_req_header *h, struct sk_arena *a,
                         union kafka_any_req *q, size_t *left)
{
    struct sk_reader r;
    sk_reader_init(&r, c->bytes, c->len);
    ck_assert_int_eq(kafka_decode_header(&r, h), 0);
    ck_assert_int_eq(h->api_key, c->api_key);
    ck_assert_int_eq(h->api_version, c->version);
    ck_assert_int_eq(kafka_decode_request(h->api_key, h->api_version, &r, a, q), 0);
    *left = c->len - r.off;
}

START_TEST(every_captured_frame_decodes_fully)
{
    for (size_t i = 0; i < N_ELEMS(kafka_captured_frames); i++) {
        const struct kafka_captured *c = &kafka_captured_frames[i];
        struct sk_arena a;
        sk_arena_init(&a);
        struct kafka_req_header h;
        union kafka_any_req q;
        size_t left;
        decode_frame(c, &h, &a, &q, &left);
        /* ApiVersions v3 is flexible: only its header prefix is read (P1). */
        if (c->api_key == KAFKA_API_API_VERSIONS && c->version >= 3)
            ck_assert(q.api_versions.body_unparsed && left > 0);
        else
            ck_assert_msg(left == 0, "%s api %d v%d: %zu bytes left", c->client, c->api_key, c->version,
                          left);
        sk_arena_free(&a);
    }
    ck_assert_uint_ge(N_ELEMS(kafka_captured_frames), 10);
}
END_TEST

START_TEST(librdkafka_connect)
{
    struct sk_arena a;
    sk_arena_init(&a);
    struct kafka_req_header h;
    union kafka_any_req q;
    size_t left;
    decode_frame(find_frame("kcat_L", KAFKA_API_API_VERSIONS, 3), &h, &a, &q, &left);
    ck_slice(h.client_id, "rdkafka");
    ck_assert_int_eq(h.correlation_id, 1);
    /* The reply our encoder gives that request: v0 shape, error 35. */
    size_t n;
    struct kafka_api_versions_resp resp = {KAFKA_UNSUPPORTED_VERSION, kafka_api_table(&n), 0, 0};
    resp.n_apis = (int32_t)n;
    struct sk_writer w;
    sk_writer_init(&w);
    kafka_encode_api_versions_resp(&w, h.api_version, &resp);
    ck_bytes_eq(w.p, w.len, resp_api_versions_v3_error, sizeof(resp_api_versions_v3_error), "reply to v3");
    sk_writer_free(&w);

    decode_frame(find_frame("kcat_L", KAFKA_API_API_VERSIONS, 0), &h, &a, &q, &left);
    ck_assert_int_eq(h.correlation_id, 2);
    /* librdkafka's first Metadata is a brokers-only refresh: empty array (P4). */
    decode_frame(find_frame("kcat_L", KAFKA_API_METADATA, 4), &h, &a, &q, &left);
    ck_assert_int_eq(q.metadata.n_topics, 0);
    ck_assert(!q.metadata.all_topics);
    decode_frame(find_frame("kcat_P", KAFKA_API_METADATA, 4), &h, &a, &q, &left);
    ck_assert_int_eq(q.metadata.n_topics, 1);
    ck_slice(q.metadata.topics[0], "t");
    ck_assert(q.metadata.allow_auto_topic_creation); /* producer default (P4) */
    sk_arena_free(&a);
}
END_TEST

START_TEST(librdkafka_produce_v7)
{
    struct sk_arena a;
    sk_arena_init(&a);
    struct kafka_req_header h;
    union kafka_any_req q;
    size_t left;
    decode_frame(find_frame("kcat_P", KAFKA_API_PRODUCE, 7), &h, &a, &q, &left);
    const struct kafka_produce_req *p = &q.produce;
    ck_slice(p->transactional_id, NULL); /* no transactions (P5) */
    ck_assert_int_eq(p->acks, -1);
    ck_assert_int_eq(p->timeout_ms, 30000);
    ck_assert_int_eq(p->n_topics, 1);
    ck_slice(p->topics[0].name, "t");
    ck_assert_int_eq(p->topics[0].n_partitions, 1);
    ck_assert_int_eq(p->topics[0].partitions[0].index, 0);
    /* The borrowed record set is one valid RecordBatch v2 with one record. */
    struct sk_slice rec = p->topics[0].partitions[0].records;
    struct batch_hdr bh;
    ck_assert_int_eq(batch_validate(rec.ptr, (size_t)rec.len, &bh), 0);
    ck_assert_int_eq(bh.records_count, 1);
    sk_arena_free(&a);
}
END_TEST

START_TEST(librdkafka_consume)
{
    struct sk_arena a;
    sk_arena_init(&a);
    struct kafka_req_header h;
    union kafka_any_req q;
    size_t left;
    decode_frame(find_frame("kcat_C", KAFKA_API_LIST_OFFSETS, 2), &h, &a, &q, &left);
    ck_assert_int_eq(q.list_offsets.replica_id, -1);
    ck_assert_int_eq(q.list_offsets.isolation_level, 1); /* read_committed default (P6) */
    ck_slice(q.list_offsets.topics[0].name, "t");
    ck_assert_int_eq(q.list_offsets.topics[0].partitions[0].timestamp, -2); /* earliest */

    decode_frame(find_frame("kcat_C", KAFKA_API_FETCH, 11), &h, &a, &q, &left);
    const struct kafka_fetch_req *f = &q.fetch;
    ck_assert_int_eq(f->replica_id, -1);
    ck_assert_int_eq(f->max_wait_ms, 500);
    ck_assert_int_eq(f->isolation_level, 1);
    ck_assert_int_eq(f->session_id, 0); /* no fetch session (P6) */
    ck_assert_int_eq(f->session_epoch, -1);
    ck_assert_int_eq(f->topics[0].partitions[0].current_leader_epoch, -1);
    ck_assert_int_eq(f->topics[0].partitions[0].fetch_offset, 0);
    ck_assert_int_eq(f->n_forgotten, 0);
    ck_slice(f->rack_id, "");
    sk_arena_free(&a);
}
END_TEST

START_TEST(kafka_python_frames)
{
    struct sk_arena a;
    sk_arena_init(&a);
    struct kafka_req_header h;
    union kafka_any_req q;
    size_t left;
    decode_frame(find_frame("kafka_python", KAFKA_API_API_VERSIONS, 0), &h, &a, &q, &left);
    ck_slice(h.client_id, "kafka-python-2.0.2");
    /* The v0 probe: an empty topic array means every topic (P3, P4). */
    decode_frame(find_frame("kafka_python", KAFKA_API_METADATA, 0), &h, &a, &q, &left);
    ck_assert_int_eq(q.metadata.n_topics, 0);
    ck_assert(q.metadata.all_topics);
    decode_frame(find_frame("kafka_python", KAFKA_API_METADATA, 1), &h, &a, &q, &left);
    ck_assert_int_eq(q.metadata.n_topics, 1);
    ck_slice(q.metadata.topics[0], "t");
    decode_frame(find_frame("kafka_python", KAFKA_API_LIST_OFFSETS, 1), &h, &a, &q, &left);
    ck_assert_int_eq(q.list_offsets.isolation_level, 0);
    ck_assert_int_eq(q.list_offsets.topics[0].partitions[0].timestamp, -2);
    decode_frame(find_frame("kafka_python", KAFKA_API_FETCH, 4), &h, &a, &q, &left);
    ck_assert_int_eq(q.fetch.isolation_level, 0); /* read_uncommitted default (P6) */
    ck_assert_int_eq(q.fetch.max_bytes, 52428800);
    ck_assert_int_eq(q.fetch.topics[0].partitions[0].partition_max_bytes, 1048576);
    sk_arena_free(&a);
}
END_TEST

/* Truncating a real frame anywhere inside its body is an error. */
START_TEST(captured_truncation)
{
    for (size_t i = 0; i < N_ELEMS(kafka_captured_frames); i++) {
        const struct kafka_captured *c = &kafka_captured_frames[i];
        if (c->api_key == KAFKA_API_API_VERSIONS)
            continue; /* empty or unparsed bodies */
        for (size_t cut = 0; cut < c->len; cut++) {
            uint8_t *copy = malloc(cut ? cut : 1);
            memcpy(copy, c->bytes, cut);
            struct sk_reader r;
            sk_reader_init(&r, copy, cut);
            struct kafka_req_header h;
            struct sk_arena a;
            sk_arena_init(&a);
            union kafka_any_req q;
            int rc = kafka_decode_header(&r, &h);
            if (rc == 0)
                rc = kafka_decode_request(h.api_key, h.api_version, &r, &a, &q);
            ck_assert_int_eq(rc, SK_ETRUNC);
            sk_arena_free(&a);
            free(copy);
        }
    }
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("captured");
    tcase_add_test(tc, every_captured_frame_decodes_fully);
    tcase_add_test(tc, librdkafka_connect);
    tcase_add_test(tc, librdkafka_produce_v7);
    tcase_add_test(tc, librdkafka_consume);
    tcase_add_test(tc, kafka_python_frames);
    tcase_add_test(tc, captured_truncation);
    return kt_run(kt_suite("kafka_codec_captured", tc));
}
