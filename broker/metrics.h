/* Metrics registry and Prometheus text exposition (format 0.0.4).
 *
 * Subsystems keep their own plain counters (loop-thread fields, or atomics
 * when another thread writes them) and register a collector: a callback that
 * runs at scrape time, on the loop thread, and writes its families through
 * metrics_family / metrics_sample_* / metrics_sample_hist.  Nothing here runs
 * on the request path except metrics_hist_observe_us, which is a bucket
 * search and two additions.
 *
 * Naming follows Prometheus' rules: every family starts with "skiff_",
 * counters end in "_total", values are in base units (seconds, bytes). */
#ifndef SK_METRICS_H
#define SK_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/limits.h"

enum metrics_type { METRICS_COUNTER, METRICS_GAUGE, METRICS_HISTOGRAM };

/* Latency histogram with fixed bucket bounds from 100 us to 10 s (upper
 * bounds, inclusive; the last count is +Inf). */
#define METRICS_HIST_BOUNDS 16
struct metrics_hist {
    uint64_t counts[METRICS_HIST_BOUNDS + 1]; /* per bucket, not cumulative */
    uint64_t sum_us;
};

void metrics_hist_observe_us(struct metrics_hist *h, uint64_t us);
/* The upper bound of bucket i (i < METRICS_HIST_BOUNDS) in microseconds. */
uint64_t metrics_hist_bound_us(int i);

/* A label set under construction: key="value" pairs with the value escaped
 * as the text format requires (backslash, double quote, newline). */
struct metrics_labels {
    char buf[SK_METRICS_LABELS_BYTES_MAX];
    size_t len;
    bool overflow; /* a pair did not fit: the sample is skipped */
};

void metrics_labels_reset(struct metrics_labels *l);
void metrics_label(struct metrics_labels *l, const char *key, const char *value);
void metrics_label_i64(struct metrics_labels *l, const char *key, int64_t value);

struct metrics_out;
typedef void (*metrics_collect_fn)(struct metrics_out *o, void *arg);

struct metrics_registry;

/* NULL on allocation failure. */
struct metrics_registry *metrics_registry_new(void);
void metrics_registry_free(struct metrics_registry *m);
/* Collectors run in registration order.  `arg` is borrowed and must outlive
 * the registry (or the collector's removal).  SK_ELIMIT when full. */
int metrics_register(struct metrics_registry *m, metrics_collect_fn fn, void *arg);
/* Removes every registration of (fn, arg); for subsystems that stop early. */
void metrics_unregister(struct metrics_registry *m, metrics_collect_fn fn, void *arg);
/* Runs every collector, appending the exposition text to out.  Returns 0 or
 * SK_ENOMEM (out's sticky error). */
int metrics_render(struct metrics_registry *m, struct sk_writer *out);

/* Inside a collector.  A family's samples must follow its metrics_family
 * call, before the next family starts (the text format requires each family
 * to be one block).  `name` is a valid metric name; labels may be NULL. */
void metrics_family(struct metrics_out *o, const char *name, enum metrics_type type, const char *help);
void metrics_sample_u64(struct metrics_out *o, const struct metrics_labels *labels, uint64_t v);
void metrics_sample_i64(struct metrics_out *o, const struct metrics_labels *labels, int64_t v);
void metrics_sample_double(struct metrics_out *o, const struct metrics_labels *labels, double v);
/* Writes _bucket (cumulative, with le), _sum (seconds) and _count lines. */
void metrics_sample_hist(struct metrics_out *o, const struct metrics_labels *labels,
                         const struct metrics_hist *h);

/* For tests: a standalone output over a writer (no registry). */
struct metrics_out *metrics_out_new(struct sk_writer *w);
void metrics_out_free(struct metrics_out *o);

#endif
