/* Unit tests for client/hist.c: the bench latency histogram. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "client/hist.h"

START_TEST(small_values_are_exact)
{
    for (int64_t v = 0; v < 2 * LAT_HIST_SUB; v++) {
        size_t i = lat_hist_index(v);
        ck_assert_int_eq(lat_hist_bucket_low(i), v);
        ck_assert_int_eq(lat_hist_bucket_high(i), v);
    }
}
END_TEST

START_TEST(buckets_tile_the_range)
{
    /* Consecutive buckets are adjacent: no value falls between two. */
    for (size_t i = 0; i + 1 < LAT_HIST_BUCKETS; i++)
        ck_assert_int_eq(lat_hist_bucket_high(i) + 1, lat_hist_bucket_low(i + 1));
    ck_assert_int_eq(lat_hist_bucket_high(LAT_HIST_BUCKETS - 1), LAT_HIST_VALUE_MAX);
}
END_TEST

START_TEST(value_lands_in_its_bucket)
{
    uint64_t x = 88172645463325252u;
    for (int n = 0; n < 100000; n++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t v = (int64_t)(x % (uint64_t)LAT_HIST_VALUE_MAX);
        v >>= (int)(x % 30); /* spread over magnitudes */
        size_t i = lat_hist_index(v);
        ck_assert_int_le(lat_hist_bucket_low(i), v);
        ck_assert_int_ge(lat_hist_bucket_high(i), v);
        /* Relative width stays within 1/SUB. */
        ck_assert(lat_hist_bucket_high(i) - lat_hist_bucket_low(i) <= lat_hist_bucket_low(i) / LAT_HIST_SUB);
    }
}
END_TEST

START_TEST(out_of_range_is_clamped)
{
    ck_assert_uint_eq(lat_hist_index(-5), 0);
    ck_assert_uint_eq(lat_hist_index(INT64_MAX), LAT_HIST_BUCKETS - 1);
    struct lat_hist h;
    lat_hist_init(&h);
    lat_hist_record(&h, INT64_C(1) << 40);
    ck_assert_int_eq(lat_hist_percentile(&h, 100), INT64_C(1) << 40); /* exact max kept */
    lat_hist_record(&h, -3);
    ck_assert_int_eq(h.min, 0);
}
END_TEST

START_TEST(empty_histogram)
{
    struct lat_hist h;
    lat_hist_init(&h);
    ck_assert_int_eq(lat_hist_percentile(&h, 50), 0);
    ck_assert(lat_hist_mean(&h) == 0.0);
}
END_TEST

START_TEST(percentiles_of_uniform_values)
{
    /* 1..100000 us: the p-th percentile is p*1000 within one bucket (1.6%). */
    struct lat_hist h;
    lat_hist_init(&h);
    for (int64_t v = 1; v <= 100000; v++)
        lat_hist_record(&h, v);
    const double pcts[] = {50, 95, 99, 99.9};
    for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
        double want = pcts[k] * 1000.0;
        int64_t got = lat_hist_percentile(&h, pcts[k]);
        ck_assert_msg(got >= want && got <= want * (1.0 + 1.0 / LAT_HIST_SUB), "p%.1f: got %lld want ~%.0f",
                      pcts[k], (long long)got, want);
    }
    ck_assert_int_eq(lat_hist_percentile(&h, 100), 100000);
    ck_assert_int_eq(lat_hist_percentile(&h, 0), 1);
    ck_assert(lat_hist_mean(&h) > 50000.4 && lat_hist_mean(&h) < 50000.6);
    ck_assert_uint_eq(h.total, 100000);
}
END_TEST

START_TEST(percentile_sees_the_tail)
{
    /* 999 fast samples and one slow one: p99.9 is fast, p99.95 and max slow. */
    struct lat_hist h;
    lat_hist_init(&h);
    for (int i = 0; i < 999; i++)
        lat_hist_record(&h, 100);
    lat_hist_record(&h, 5000000);
    ck_assert_int_eq(lat_hist_percentile(&h, 50), 100);
    ck_assert_int_eq(lat_hist_percentile(&h, 99.9), 100);
    ck_assert_int_ge(lat_hist_percentile(&h, 99.95), 5000000 - 5000000 / LAT_HIST_SUB);
    ck_assert_int_eq(lat_hist_percentile(&h, 100), 5000000);
}
END_TEST

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

START_TEST(percentiles_match_sorted_samples)
{
    /* Against the exact answer from a sorted array: the nearest-rank sample
     * at each percentile, which the histogram may overstate by one bucket
     * (1/64) and never understate. */
    enum { N = 20000 };
    static int64_t v[N];
    struct lat_hist h;
    lat_hist_init(&h);
    uint64_t x = 0x2545F4914F6CDD1Du;
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* Skewed like latencies: mostly small, a long tail. */
        v[i] = (int64_t)(x % 1000) << (x >> 60);
        lat_hist_record(&h, v[i]);
    }
    qsort(v, N, sizeof(v[0]), cmp_i64);
    const double pcts[] = {1, 10, 50, 90, 95, 99, 99.9, 99.99};
    for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
        size_t rank = (size_t)(pcts[k] * N / 100.0 + 0.999999);
        int64_t want = v[rank - 1];
        int64_t got = lat_hist_percentile(&h, pcts[k]);
        ck_assert_msg(got >= want && got <= want + want / LAT_HIST_SUB, "p%g: got %lld want %lld", pcts[k],
                      (long long)got, (long long)want);
    }
    ck_assert_int_eq(lat_hist_percentile(&h, 100), v[N - 1]);
}
END_TEST

START_TEST(merge_equals_recording_together)
{
    struct lat_hist a, b, both;
    lat_hist_init(&a);
    lat_hist_init(&b);
    lat_hist_init(&both);
    for (int64_t v = 1; v < 5000; v += 7) {
        lat_hist_record(v % 2 ? &a : &b, v * 13);
        lat_hist_record(&both, v * 13);
    }
    lat_hist_merge(&a, &b);
    ck_assert_uint_eq(a.total, both.total);
    ck_assert_int_eq(a.min, both.min);
    ck_assert_int_eq(a.max, both.max);
    for (double p = 1; p <= 100; p += 3.5)
        ck_assert_int_eq(lat_hist_percentile(&a, p), lat_hist_percentile(&both, p));
    /* Merging an empty histogram changes nothing. */
    struct lat_hist empty;
    lat_hist_init(&empty);
    lat_hist_merge(&a, &empty);
    ck_assert_int_eq(a.min, both.min);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("client_hist");
    TCase *tc = tcase_create("hist");
    tcase_add_test(tc, small_values_are_exact);
    tcase_add_test(tc, buckets_tile_the_range);
    tcase_add_test(tc, value_lands_in_its_bucket);
    tcase_add_test(tc, out_of_range_is_clamped);
    tcase_add_test(tc, empty_histogram);
    tcase_add_test(tc, percentiles_of_uniform_values);
    tcase_add_test(tc, percentile_sees_the_tail);
    tcase_add_test(tc, percentiles_match_sorted_samples);
    tcase_add_test(tc, merge_equals_recording_together);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
