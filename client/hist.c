/* Log-linear latency histogram; see hist.h for the layout. */
#include "client/hist.h"

#include <assert.h>
#include <math.h>
#include <string.h>

void lat_hist_init(struct lat_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = INT64_MAX;
    h->max = 0;
}

/* Index of the most significant set bit of v (v > 0). */
static int msb64(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

size_t lat_hist_index(int64_t value)
{
    if (value < 0)
        value = 0;
    if (value > LAT_HIST_VALUE_MAX)
        value = LAT_HIST_VALUE_MAX;
    if (value < 2 * LAT_HIST_SUB)
        return (size_t)value;
    /* value in [2^e, 2^(e+1)), e >= SUB_BITS + 1: keep the top SUB_BITS + 1
     * bits, whose leading one is implied by the exponent. */
    int e = msb64((uint64_t)value);
    int shift = e - LAT_HIST_SUB_BITS;
    int64_t mant = value >> shift; /* in [SUB, 2 * SUB) */
    size_t idx = (size_t)(2 * LAT_HIST_SUB) + (size_t)(e - LAT_HIST_SUB_BITS - 1) * LAT_HIST_SUB +
                 (size_t)(mant - LAT_HIST_SUB);
    assert(idx < LAT_HIST_BUCKETS);
    return idx;
}

int64_t lat_hist_bucket_low(size_t index)
{
    assert(index < LAT_HIST_BUCKETS);
    if (index < 2 * LAT_HIST_SUB)
        return (int64_t)index;
    size_t rel = index - 2 * LAT_HIST_SUB;
    int e = (int)(rel / LAT_HIST_SUB) + LAT_HIST_SUB_BITS + 1;
    int64_t mant = (int64_t)(rel % LAT_HIST_SUB) + LAT_HIST_SUB;
    return mant << (e - LAT_HIST_SUB_BITS);
}

int64_t lat_hist_bucket_high(size_t index)
{
    assert(index < LAT_HIST_BUCKETS);
    if (index < 2 * LAT_HIST_SUB)
        return (int64_t)index;
    size_t rel = index - 2 * LAT_HIST_SUB;
    int e = (int)(rel / LAT_HIST_SUB) + LAT_HIST_SUB_BITS + 1;
    int64_t mant = (int64_t)(rel % LAT_HIST_SUB) + LAT_HIST_SUB;
    return ((mant + 1) << (e - LAT_HIST_SUB_BITS)) - 1;
}

void lat_hist_record(struct lat_hist *h, int64_t value)
{
    if (value < 0)
        value = 0;
    h->counts[lat_hist_index(value)]++;
    h->total++;
    h->sum += (double)value;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void lat_hist_merge(struct lat_hist *dst, const struct lat_hist *src)
{
    for (size_t i = 0; i < LAT_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    dst->sum += src->sum;
    if (src->total > 0) {
        if (src->min < dst->min)
            dst->min = src->min;
        if (src->max > dst->max)
            dst->max = src->max;
    }
}

int64_t lat_hist_percentile(const struct lat_hist *h, double pct)
{
    if (h->total == 0)
        return 0;
    if (!(pct > 0.0))
        return h->min;
    if (pct >= 100.0)
        return h->max;
    /* The rank of the sample at this percentile, 1-based. */
    /* The small relative nudge keeps a rank that is exact in decimal (99.9% of
     * 1000 = 999) from rounding up to the next sample in binary. */
    double exact = pct * (double)h->total / 100.0;
    uint64_t rank = (uint64_t)ceil(exact - exact * 1e-12);
    if (rank < 1)
        rank = 1;
    if (rank > h->total)
        rank = h->total;
    uint64_t seen = 0;
    size_t i = 0;
    for (; i < LAT_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            break;
    }
    assert(i < LAT_HIST_BUCKETS);
    int64_t v = lat_hist_bucket_high(i);
    if (v > h->max)
        v = h->max;
    if (v < h->min)
        v = h->min;
    return v;
}

double lat_hist_mean(const struct lat_hist *h)
{
    return h->total ? h->sum / (double)h->total : 0.0;
}
