/* Helpers shared by the Kafka codec unit tests (static inline, header only). */
#ifndef KAFKA_TEST_UTIL_H
#define KAFKA_TEST_UTIL_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "broker/kafka_err.h"
#include "broker/kafka_proto.h"
#include "common/sk_err.h"
#include "tests/unit/kafka_vectors.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Slice equals the C string s (s == NULL: the slice is null). */
static inline int slice_is(struct sk_slice v, const char *s)
{
    if (!s)
        return v.ptr == NULL && v.len == -1;
    return v.ptr != NULL && v.len == (int32_t)strlen(s) && memcmp(v.ptr, s, (size_t)v.len) == 0;
}

static inline int slice_bytes_is(struct sk_slice v, const void *p, int32_t n)
{
    return v.ptr != NULL && v.len == n && (n == 0 || memcmp(v.ptr, p, (size_t)n) == 0);
}

#define ck_slice(v, s) ck_assert_msg(slice_is((v), (s)), "slice %s != \"%s\"", #v, (s) ? (s) : "(null)")

/* Fails with both byte strings in hex (first difference marked). */
static inline void ck_bytes_eq(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len,
                               const char *what)
{
    if (got_len == want_len && memcmp(got, want, got_len) == 0)
        return;
    size_t first = 0;
    while (first < got_len && first < want_len && got[first] == want[first])
        first++;
    fprintf(stderr, "%s: length got %zu want %zu, first difference at byte %zu\n got: ", what, got_len,
            want_len, first);
    for (size_t i = 0; i < got_len; i++)
        fprintf(stderr, "%02x", got[i]);
    fprintf(stderr, "\nwant: ");
    for (size_t i = 0; i < want_len; i++)
        fprintf(stderr, "%02x", want[i]);
    fprintf(stderr, "\n");
    ck_abort_msg("%s: encoding differs from the golden bytes (first difference at byte %zu)", what, first);
}

static inline const struct kafka_vector *find_vector(const struct kafka_vector *tab, size_t n, int16_t key,
                                                     int16_t version)
{
    for (size_t i = 0; i < n; i++)
        if (tab[i].api_key == key && tab[i].version == version)
            return &tab[i];
    return NULL;
}

/* Decodes the sample request of (key, version) and checks every byte was used. */
static inline void decode_sample(int16_t key, int16_t version, struct sk_arena *a, union kafka_any_req *out)
{
    const struct kafka_vector *v = find_vector(kafka_req_vectors, N_ELEMS(kafka_req_vectors), key, version);
    ck_assert_msg(v != NULL, "no request vector for api %d v%d", key, version);
    struct sk_reader r;
    sk_reader_init(&r, v->bytes, v->len);
    int rc = kafka_decode_request(key, version, &r, a, out);
    ck_assert_msg(rc == 0, "api %d v%d: decode returned %d", key, version, rc);
    ck_assert_msg(r.off == v->len, "api %d v%d: consumed %zu of %zu bytes", key, version, r.off, v->len);
}

/* Encodes resp at version and compares with the golden response vector. */
static inline void check_golden(int16_t key, int16_t version, const union kafka_any_resp *resp)
{
    const struct kafka_vector *v = find_vector(kafka_resp_vectors, N_ELEMS(kafka_resp_vectors), key, version);
    ck_assert_msg(v != NULL, "no response vector for api %d v%d", key, version);
    struct sk_writer w;
    sk_writer_init(&w);
    ck_assert_int_eq(kafka_encode_response(&w, key, version, resp), 0);
    ck_assert_int_eq(w.err, 0);
    char what[64];
    snprintf(what, sizeof(what), "%s v%d response", kafka_api_name(key), version);
    ck_bytes_eq(w.p, w.len, v->bytes, v->len, what);
    sk_writer_free(&w);
}

/* Every version in the API's parse range: decode the sample, run check. */
#define FOR_EACH_PARSE_VERSION(key, ver)                                                                     \
    for (int16_t ver = kafka_api_lookup(key)->parse_min; ver <= kafka_api_lookup(key)->parse_max; ver++)

static inline Suite *kt_suite(const char *name, TCase *tc)
{
    Suite *s = suite_create(name);
    tcase_set_timeout(tc, 20);
    suite_add_tcase(s, tc);
    return s;
}

static inline int kt_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

#endif
