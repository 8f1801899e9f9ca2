/* Kafka codec against hostile input: truncation at every offset of every
 * sample request, counts larger than the bytes left, negative lengths, nulls
 * where the schema forbids them, limits, unknown APIs, trailing bytes, byte
 * mutations; plus the error-response builder.  Run under `make asan` the
 * exact-size copies make any out-of-bounds read fail loudly. */
#include <stdlib.h>

#include "common/alloc.h"
#include "common/limits.h"
#include "tests/unit/kafka_test_util.h"

/* Decodes len bytes from an exact-size heap copy (so ASan sees overreads). */
static int decode_copy(int16_t key, int16_t version, const uint8_t *p, size_t len, struct sk_arena *a,
                       size_t *consumed)
{
    uint8_t *copy = malloc(len ? len : 1);
    ck_assert(copy != NULL);
    if (len)
        memcpy(copy, p, len);
    struct sk_reader r;
    sk_reader_init(&r, copy, len);
    union kafka_any_req q;
    int rc = kafka_decode_request(key, version, &r, a, &q);
    if (consumed)
        *consumed = r.off;
    free(copy);
    return rc;
}

START_TEST(truncation_at_every_offset)
{
    size_t checked = 0;
    for (size_t i = 0; i < N_ELEMS(kafka_req_vectors); i++) {
        const struct kafka_vector *v = &kafka_req_vectors[i];
        for (size_t cut = 0; cut < v->len; cut++) {
            struct sk_arena a;
            sk_arena_init(&a);
            int rc = decode_copy(v->api_key, v->version, v->bytes, cut, &a, NULL);
            ck_assert_msg(rc == SK_ETRUNC, "%s v%d cut at %zu of %zu: rc %d", kafka_api_name(v->api_key),
                          v->version, cut, v->len, rc);
            sk_arena_free(&a);
            checked++;
        }
    }
    ck_assert_uint_gt(checked, 1000);
}
END_TEST

START_TEST(trailing_bytes_are_tolerated)
{
    for (size_t i = 0; i < N_ELEMS(kafka_req_vectors); i++) {
        const struct kafka_vector *v = &kafka_req_vectors[i];
        uint8_t buf[2048];
        ck_assert_uint_le(v->len + 3, sizeof(buf));
        memcpy(buf, v->bytes, v->len);
        memset(buf + v->len, 0xee, 3);
        struct sk_arena a;
        sk_arena_init(&a);
        size_t used;
        ck_assert_int_eq(decode_copy(v->api_key, v->version, buf, v->len + 3, &a, &used), 0);
        ck_assert_uint_eq(used, v->len);
        sk_arena_free(&a);
    }
}
END_TEST

/* Every byte of every sample set to a few nasty values: any result is fine
 * except a crash, a hang or (under ASan) a bad access. */
START_TEST(byte_mutations_never_crash)
{
    static const uint8_t nasty[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
    for (size_t i = 0; i < N_ELEMS(kafka_req_vectors); i++) {
        const struct kafka_vector *v = &kafka_req_vectors[i];
        uint8_t buf[2048];
        memcpy(buf, v->bytes, v->len);
        for (size_t pos = 0; pos < v->len; pos++) {
            for (size_t k = 0; k < N_ELEMS(nasty); k++) {
                uint8_t saved = buf[pos];
                buf[pos] = nasty[k];
                struct sk_arena a;
                sk_arena_init(&a);
                int rc = decode_copy(v->api_key, v->version, buf, v->len, &a, NULL);
                ck_assert(rc == 0 || rc == SK_ETRUNC || rc == SK_ECORRUPT || rc == SK_ELIMIT);
                ck_assert_uint_le(a.total, 64 * 1024);
                sk_arena_free(&a);
                buf[pos] = saved;
            }
        }
    }
}
END_TEST

/* A count far above the bytes left is refused before any allocation. */
START_TEST(array_count_beyond_bytes_left)
{
    struct {
        int16_t key, version;
        uint8_t body[16];
        size_t len;
        int want;
    } cases[] = {
        /* Metadata v1: 50000 topics (under the cap) in 3 bytes */
        {KAFKA_API_METADATA, 1, {0x00, 0x00, 0xc3, 0x50, 0, 1, 'x'}, 7, SK_ETRUNC},
        /* Metadata v1: INT32_MAX topics: over the cap */
        {KAFKA_API_METADATA, 1, {0x7f, 0xff, 0xff, 0xff}, 4, SK_ELIMIT},
        /* Produce v7: null txn id, acks, timeout, 50000 topics */
        {KAFKA_API_PRODUCE, 7, {0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0xc3, 0x50}, 12, SK_ETRUNC},
        /* DeleteTopics v1: 2 names, 1 present, then 9 bytes */
        {KAFKA_API_DELETE_TOPICS, 1, {0, 0, 0, 3, 0, 1, 'a', 0, 1, 'b', 0, 0, 0, 0}, 14, SK_ETRUNC},
        /* DescribeGroups v0: -2 groups */
        {KAFKA_API_DESCRIBE_GROUPS, 0, {0xff, 0xff, 0xff, 0xfe}, 4, SK_ECORRUPT},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct sk_arena a;
        sk_arena_init(&a);
        int rc = decode_copy(cases[i].key, cases[i].version, cases[i].body, cases[i].len, &a, NULL);
        ck_assert_msg(rc == cases[i].want, "case %zu: rc %d want %d", i, rc, cases[i].want);
        if (i != 3)
            ck_assert_msg(a.total == 0, "case %zu allocated %zu bytes", i, a.total);
        sk_arena_free(&a);
    }
}
END_TEST

/* Nested: a Fetch v11 topic that claims 10000 partitions (29 bytes each). */
START_TEST(nested_count_checked_against_bytes_left)
{
    struct sk_writer w;
    sk_writer_init(&w);
    sk_write_i32(&w, -1);
    sk_write_i32(&w, 500);
    sk_write_i32(&w, 1);
    sk_write_i32(&w, 1 << 20);
    sk_write_i8(&w, 0);
    sk_write_i32(&w, 0);
    sk_write_i32(&w, -1);
    sk_write_i32(&w, 1); /* one topic */
    sk_write_cstr(&w, "t");
    sk_write_i32(&w, 10000); /* partitions: each needs 28 bytes at v11 */
    for (int i = 0; i < 100; i++)
        sk_write_i64(&w, 0);
    struct sk_arena a;
    sk_arena_init(&a);
    ck_assert_int_eq(decode_copy(KAFKA_API_FETCH, 11, w.p, w.len, &a, NULL), SK_ETRUNC);
    ck_assert_uint_lt(a.total, 1024); /* only the one topic entry */
    sk_arena_free(&a);
    sk_writer_free(&w);
}
END_TEST

START_TEST(replica_list_limit)
{
    /* CreateTopics v4: one topic whose assignment lists too many brokers. */
    size_t n = SK_WIRE_REPLICAS_MAX + 1;
    struct sk_writer w;
    sk_writer_init(&w);
    sk_write_i32(&w, 1);
    sk_write_cstr(&w, "t");
    sk_write_i32(&w, 1);
    sk_write_i16(&w, 1);
    sk_write_i32(&w, 1);
    sk_write_i32(&w, 0);
    sk_write_i32(&w, (int32_t)n);
    for (size_t i = 0; i < n; i++)
        sk_write_i32(&w, (int32_t)i);
    sk_write_i32(&w, 0);
    sk_write_i32(&w, 1000);
    sk_write_bool(&w, false);
    struct sk_arena a;
    sk_arena_init(&a);
    ck_assert_int_eq(decode_copy(KAFKA_API_CREATE_TOPICS, 4, w.p, w.len, &a, NULL), SK_ELIMIT);
    sk_arena_free(&a);
    sk_writer_free(&w);
}
END_TEST

START_TEST(decode_arena_cap)
{
    const struct kafka_vector *v =
        find_vector(kafka_req_vectors, N_ELEMS(kafka_req_vectors), KAFKA_API_FETCH, 11);
    struct sk_arena a;
    sk_arena_init(&a);
    /* Pretend the request already holds nearly the whole allowance. */
    a.total = SK_DECODE_ARENA_BYTES_MAX - 8;
    ck_assert_int_eq(decode_copy(KAFKA_API_FETCH, 11, v->bytes, v->len, &a, NULL), SK_ELIMIT);
    a.total = 0;
    sk_arena_free(&a);
}
END_TEST

START_TEST(negative_lengths_and_forbidden_nulls)
{
    struct {
        int16_t key, version;
        uint8_t body[32];
        size_t len;
    } cases[] = {
        /* Produce v7: transactional_id length -2 */
        {KAFKA_API_PRODUCE, 7, {0xff, 0xfe}, 2},
        /* Produce v7: topic name null */
        {KAFKA_API_PRODUCE, 7, {0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0}, 18},
        /* Produce v7: records length -2 */
        {KAFKA_API_PRODUCE,
         7,
         {0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0,    0,    1,    0,   1,
          't',  0,    0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe},
         27},
        /* SaslAuthenticate: auth_bytes null */
        {KAFKA_API_SASL_AUTHENTICATE, 0, {0xff, 0xff, 0xff, 0xff}, 4},
        /* FindCoordinator v0: key null */
        {KAFKA_API_FIND_COORDINATOR, 0, {0xff, 0xff}, 2},
        /* Metadata v4: topics count -1 is fine, -3 is not */
        {KAFKA_API_METADATA, 4, {0xff, 0xff, 0xff, 0xfd, 1}, 5},
        /* JoinGroup v2: group id length -32768 */
        {KAFKA_API_JOIN_GROUP, 2, {0x80, 0x00}, 2},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct sk_arena a;
        sk_arena_init(&a);
        int rc = decode_copy(cases[i].key, cases[i].version, cases[i].body, cases[i].len, &a, NULL);
        ck_assert_msg(rc == SK_ECORRUPT, "case %zu: rc %d", i, rc);
        sk_arena_free(&a);
    }
}
END_TEST

START_TEST(unknown_api_and_version)
{
    struct sk_arena a;
    sk_arena_init(&a);
    const uint8_t body[] = {0, 0, 0, 0};
    ck_assert_int_eq(decode_copy(KAFKA_API_OFFSET_FOR_LEADER_EPOCH, 3, body, 4, &a, NULL), SK_EINVAL);
    ck_assert_int_eq(decode_copy(99, 0, body, 4, &a, NULL), SK_EINVAL);
    ck_assert_int_eq(decode_copy(KAFKA_API_PRODUCE, 2, body, 4, &a, NULL), SK_EINVAL);
    ck_assert_int_eq(decode_copy(KAFKA_API_FETCH, 12, body, 4, &a, NULL), SK_EINVAL);
    ck_assert_int_eq(decode_copy(KAFKA_API_METADATA, -1, body, 4, &a, NULL), SK_EINVAL);
    struct sk_reader r;
    sk_reader_init(&r, body, 4);
    struct kafka_fetch_req f;
    ck_assert_int_eq(kafka_decode_fetch_req(&r, 3, &a, &f), SK_EINVAL);
    struct sk_writer w;
    sk_writer_init(&w);
    union kafka_any_resp s;
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(kafka_encode_response(&w, 99, 0, &s), SK_EINVAL);
    sk_writer_free(&w);
    sk_arena_free(&a);
}
END_TEST

START_TEST(request_header)
{
    const uint8_t hdr[] = {0, 3, 0, 4, 0, 0, 0, 9, 0, 4, 'k', 'c', 'a', 't', 0xaa};
    struct sk_reader r;
    struct kafka_req_header h;
    sk_reader_init(&r, hdr, sizeof(hdr));
    ck_assert_int_eq(kafka_decode_header(&r, &h), 0);
    ck_assert_int_eq(h.api_key, 3);
    ck_assert_int_eq(h.api_version, 4);
    ck_assert_int_eq(h.correlation_id, 9);
    ck_slice(h.client_id, "kcat");
    ck_assert_uint_eq(r.off, 14); /* the body starts here */
    const uint8_t null_id[] = {0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff};
    sk_reader_init(&r, null_id, sizeof(null_id));
    ck_assert_int_eq(kafka_decode_header(&r, &h), 0);
    ck_slice(h.client_id, NULL);
    const uint8_t bad_id[] = {0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xfe};
    sk_reader_init(&r, bad_id, sizeof(bad_id));
    ck_assert_int_eq(kafka_decode_header(&r, &h), SK_ECORRUPT);
    for (size_t cut = 0; cut < 14; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, hdr, cut);
        sk_reader_init(&r, copy, cut);
        ck_assert_int_eq(kafka_decode_header(&r, &h), SK_ETRUNC);
        free(copy);
    }
}
END_TEST

/* Error responses: every API builds one from its decoded sample. */
START_TEST(error_response_every_api)
{
    for (size_t i = 0; i < N_ELEMS(kafka_req_vectors); i++) {
        const struct kafka_vector *v = &kafka_req_vectors[i];
        struct sk_arena a;
        sk_arena_init(&a);
        union kafka_any_req q;
        decode_sample(v->api_key, v->version, &a, &q);
        struct sk_writer w;
        sk_writer_init(&w);
        ck_assert_int_eq(
            kafka_encode_error_response(&w, v->api_key, v->version, &q, KAFKA_NOT_CONTROLLER, &a), 0);
        ck_assert_int_eq(w.err, 0);
        ck_assert_uint_gt(w.len, 0);
        sk_writer_free(&w);
        sk_arena_free(&a);
    }
}
END_TEST

/* Produce v7: each partition echoed with the error, offsets -1, throttle 0. */
START_TEST(error_response_produce_bytes)
{
    struct sk_arena a;
    sk_arena_init(&a);
    union kafka_any_req q;
    decode_sample(KAFKA_API_PRODUCE, 7, &a, &q);
    struct sk_writer w;
    sk_writer_init(&w);
    ck_assert_int_eq(
        kafka_encode_error_response(&w, KAFKA_API_PRODUCE, 7, &q, KAFKA_NOT_LEADER_OR_FOLLOWER, &a), 0);
#define NEG8 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
    const uint8_t want[] = {0, 0, 0, 1, 0, 6,    'o',  'r',  'd', 'e',  'r',  's',  0,
                            0, 0, 2, 0, 0, 0,    3,    0,    6,   NEG8, NEG8, NEG8, 0,
                            0, 0, 4, 0, 6, NEG8, NEG8, NEG8, 0,   0,    0,    0};
#undef NEG8
    ck_bytes_eq(w.p, w.len, want, sizeof(want), "produce v7 error response");
    sk_writer_free(&w);
    sk_arena_free(&a);
}
END_TEST

/* Metadata v1 error response: no brokers, controller -1, each topic errored. */
START_TEST(error_response_metadata_bytes)
{
    struct sk_arena a;
    sk_arena_init(&a);
    union kafka_any_req q;
    decode_sample(KAFKA_API_METADATA, 1, &a, &q);
    struct sk_writer w;
    sk_writer_init(&w);
    ck_assert_int_eq(
        kafka_encode_error_response(&w, KAFKA_API_METADATA, 1, &q, KAFKA_UNKNOWN_SERVER_ERROR, &a), 0);
    const uint8_t want[] = {0,    0, 0,   0,   0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2, 0xff, 0xff,
                            0,    6, 'o', 'r', 'd',  'e',  'r',  's',  0, 0, 0, 0, 0,    0xff,
                            0xff, 0, 4,   'l', 'o',  'g',  's',  0,    0, 0, 0, 0};
    ck_bytes_eq(w.p, w.len, want, sizeof(want), "metadata v1 error response");
    sk_writer_free(&w);
    sk_arena_free(&a);
}
END_TEST

/* A half-filled response (count without array) encodes as empty, no crash. */
START_TEST(encoder_tolerates_missing_arrays)
{
    struct kafka_metadata_resp m = {.n_brokers = 5, .n_topics = 3, .controller_id = 1};
    struct sk_writer w;
    sk_writer_init(&w);
    kafka_encode_metadata_resp(&w, 0, &m);
    const uint8_t want[] = {0, 0, 0, 0, 0, 0, 0, 0};
    ck_bytes_eq(w.p, w.len, want, sizeof(want), "metadata v0 with NULL arrays");
    sk_writer_free(&w);
}
END_TEST

int main(void)
{
    TCase *tc = tcase_create("robust");
    tcase_add_test(tc, truncation_at_every_offset);
    tcase_add_test(tc, trailing_bytes_are_tolerated);
    tcase_add_test(tc, byte_mutations_never_crash);
    tcase_add_test(tc, array_count_beyond_bytes_left);
    tcase_add_test(tc, nested_count_checked_against_bytes_left);
    tcase_add_test(tc, replica_list_limit);
    tcase_add_test(tc, decode_arena_cap);
    tcase_add_test(tc, negative_lengths_and_forbidden_nulls);
    tcase_add_test(tc, unknown_api_and_version);
    tcase_add_test(tc, request_header);
    tcase_add_test(tc, error_response_every_api);
    tcase_add_test(tc, error_response_produce_bytes);
    tcase_add_test(tc, error_response_metadata_bytes);
    tcase_add_test(tc, encoder_tolerates_missing_arrays);
    return kt_run(kt_suite("kafka_codec_robust", tc));
}
