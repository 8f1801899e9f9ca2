/* Latency histogram for the bench commands.
 *
 * Log-linear buckets in the manner of HdrHistogram with 6 significant bits:
 * values below 128 have a bucket each, larger values share a bucket with
 * neighbours within 1/64 (1.6%) of them.  The table has a fixed size, so
 * recording millions of samples costs O(1) each and ~16 KiB in all, and two
 * histograms merge by adding counts.  Min, max and the sum are kept exactly.
 * Pure: no I/O, no clock, no librdkafka, so it is unit-tested directly. */
#ifndef SK_CLIENT_HIST_H
#define SK_CLIENT_HIST_H

#include <stddef.h>
#include <stdint.h>

#define LAT_HIST_SUB_BITS 6
#define LAT_HIST_SUB (1 << LAT_HIST_SUB_BITS)
/* Bits of range: values up to 2^36 - 1 (in microseconds, about 19 hours) get
 * their own bucket; larger ones are clamped into the last bucket (the exact
 * maximum is still reported). */
#define LAT_HIST_RANGE_BITS 36
#define LAT_HIST_VALUE_MAX ((INT64_C(1) << LAT_HIST_RANGE_BITS) - 1)
#define LAT_HIST_BUCKETS (2 * LAT_HIST_SUB + (LAT_HIST_RANGE_BITS - LAT_HIST_SUB_BITS - 1) * LAT_HIST_SUB)

struct lat_hist {
    uint64_t counts[LAT_HIST_BUCKETS];
    uint64_t total;
    int64_t min;
    int64_t max;
    double sum;
};

void lat_hist_init(struct lat_hist *h);
/* Records one value; negative values count as 0. */
void lat_hist_record(struct lat_hist *h, int64_t value);
/* Adds every sample of `src` to `dst`. */
void lat_hist_merge(struct lat_hist *dst, const struct lat_hist *src);
/* The smallest recorded-bucket bound v such that at least `pct` percent of
 * samples are <= v (within the bucket's 1.6%), clamped to [min, max];
 * pct=100 gives the exact maximum.  0 for an empty histogram. */
int64_t lat_hist_percentile(const struct lat_hist *h, double pct);
/* Exact mean; 0 for an empty histogram. */
double lat_hist_mean(const struct lat_hist *h);

/* Bucket arithmetic, exposed for tests. */
size_t lat_hist_index(int64_t value);
int64_t lat_hist_bucket_low(size_t index);
int64_t lat_hist_bucket_high(size_t index);

#endif
