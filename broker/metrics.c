#include "metrics.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"

/* Upper bounds in microseconds: Kafka request latencies span fractions of a
 * millisecond (a Metadata answer) to seconds (a long-polling Fetch). */
static const uint64_t hist_bounds_us[METRICS_HIST_BOUNDS] = {
    100,   250,    500,    1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

struct collector {
    metrics_collect_fn fn;
    void *arg;
};

struct metrics_registry {
    struct collector collectors[SK_METRICS_COLLECTORS_MAX];
    int n;
};

struct metrics_out {
    struct sk_writer *w;
    char family[128];
    enum metrics_type type;
};

void metrics_hist_observe_us(struct metrics_hist *h, uint64_t us)
{
    int i = 0;
    while (i < METRICS_HIST_BOUNDS && us > hist_bounds_us[i])
        i++;
    h->counts[i]++;
    h->sum_us += us;
}

uint64_t metrics_hist_bound_us(int i)
{
    assert(i >= 0 && i < METRICS_HIST_BOUNDS);
    return hist_bounds_us[i];
}

void metrics_labels_reset(struct metrics_labels *l)
{
    l->len = 0;
    l->overflow = false;
    l->buf[0] = '\0';
}

static void labels_put(struct metrics_labels *l, char c)
{
    if (l->len + 1 >= sizeof(l->buf)) {
        l->overflow = true;
        return;
    }
    l->buf[l->len++] = c;
    l->buf[l->len] = '\0';
}

void metrics_label(struct metrics_labels *l, const char *key, const char *value)
{
    if (l->len > 0)
        labels_put(l, ',');
    for (const char *k = key; *k; k++)
        labels_put(l, *k);
    labels_put(l, '=');
    labels_put(l, '"');
    for (const char *v = value; *v; v++) {
        if (*v == '\\' || *v == '"') {
            labels_put(l, '\\');
            labels_put(l, *v);
        } else if (*v == '\n') {
            labels_put(l, '\\');
            labels_put(l, 'n');
        } else {
            labels_put(l, *v);
        }
    }
    labels_put(l, '"');
}

void metrics_label_i64(struct metrics_labels *l, const char *key, int64_t value)
{
    char num[24];
    snprintf(num, sizeof(num), "%" PRId64, value);
    metrics_label(l, key, num);
}

struct metrics_registry *metrics_registry_new(void)
{
    return sk_calloc(1, sizeof(struct metrics_registry));
}

void metrics_registry_free(struct metrics_registry *m)
{
    sk_free(m);
}

int metrics_register(struct metrics_registry *m, metrics_collect_fn fn, void *arg)
{
    if (m->n >= SK_METRICS_COLLECTORS_MAX)
        return SK_ELIMIT;
    m->collectors[m->n].fn = fn;
    m->collectors[m->n].arg = arg;
    m->n++;
    return 0;
}

void metrics_unregister(struct metrics_registry *m, metrics_collect_fn fn, void *arg)
{
    int j = 0;
    for (int i = 0; i < m->n; i++)
        if (m->collectors[i].fn != fn || m->collectors[i].arg != arg)
            m->collectors[j++] = m->collectors[i];
    m->n = j;
}

static void out_printf(struct metrics_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out_printf(struct metrics_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    uint8_t *p = sk_writer_reserve(o->w, (size_t)n + 1);
    if (!p)
        return;
    va_start(ap, fmt);
    vsnprintf((char *)p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    o->w->len += (size_t)n;
}

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; ours are compile-time strings. */
static bool valid_name(const char *s)
{
    if (!s[0] || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == ':'))
            return false;
    return true;
}

void metrics_family(struct metrics_out *o, const char *name, enum metrics_type type, const char *help)
{
    assert(valid_name(name) && strlen(name) < sizeof(o->family));
    assert(strchr(help, '\n') == NULL && strchr(help, '\\') == NULL);
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    snprintf(o->family, sizeof(o->family), "%s", name);
    o->type = type;
    out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type_names[type]);
}

static void sample_start(struct metrics_out *o, const char *suffix, const struct metrics_labels *labels)
{
    if (labels && labels->len)
        out_printf(o, "%s%s{%s} ", o->family, suffix, labels->buf);
    else
        out_printf(o, "%s%s ", o->family, suffix);
}

void metrics_sample_u64(struct metrics_out *o, const struct metrics_labels *labels, uint64_t v)
{
    if (labels && labels->overflow)
        return;
    sample_start(o, "", labels);
    out_printf(o, "%" PRIu64 "\n", v);
}

void metrics_sample_i64(struct metrics_out *o, const struct metrics_labels *labels, int64_t v)
{
    if (labels && labels->overflow)
        return;
    sample_start(o, "", labels);
    out_printf(o, "%" PRId64 "\n", v);
}

void metrics_sample_double(struct metrics_out *o, const struct metrics_labels *labels, double v)
{
    if (labels && labels->overflow)
        return;
    sample_start(o, "", labels);
    out_printf(o, "%.17g\n", v);
}

void metrics_sample_hist(struct metrics_out *o, const struct metrics_labels *labels,
                         const struct metrics_hist *h)
{
    assert(o->type == METRICS_HISTOGRAM);
    if (labels && labels->overflow)
        return;
    const char *ls = labels && labels->len ? labels->buf : "";
    const char *sep = labels && labels->len ? "," : "";
    uint64_t cum = 0;
    for (int i = 0; i < METRICS_HIST_BOUNDS; i++) {
        cum += h->counts[i];
        out_printf(o, "%s_bucket{%s%sle=\"%g\"} %" PRIu64 "\n", o->family, ls, sep,
                   (double)hist_bounds_us[i] / 1e6, cum);
    }
    cum += h->counts[METRICS_HIST_BOUNDS];
    out_printf(o, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", o->family, ls, sep, cum);
    sample_start(o, "_sum", labels);
    out_printf(o, "%.6f\n", (double)h->sum_us / 1e6);
    sample_start(o, "_count", labels);
    out_printf(o, "%" PRIu64 "\n", cum);
}

struct metrics_out *metrics_out_new(struct sk_writer *w)
{
    struct metrics_out *o = sk_calloc(1, sizeof(*o));
    if (o)
        o->w = w;
    return o;
}

void metrics_out_free(struct metrics_out *o)
{
    sk_free(o);
}

int metrics_render(struct metrics_registry *m, struct sk_writer *out)
{
    struct metrics_out o = {.w = out};
    for (int i = 0; i < m->n; i++)
        m->collectors[i].fn(&o, m->collectors[i].arg);
    return out->err ? SK_ENOMEM : 0;
}
