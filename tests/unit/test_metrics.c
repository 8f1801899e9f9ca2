/* Unit tests for the metrics registry (Prometheus text exposition) and the
 * /v1/status JSON writer. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "broker/metrics.h"
#include "broker/status.h"
#include "common/buf.h"
#include "common/sk_err.h"

/* The writer's bytes as a NUL-terminated string (appends a NUL, not counted). */
static const char *text(struct sk_writer *w)
{
    sk_write_raw(w, "", 1);
    w->len--;
    return (const char *)w->p;
}

START_TEST(labels_escape)
{
    struct metrics_labels l;
    metrics_labels_reset(&l);
    metrics_label(&l, "topic", "a\"b\\c\nd");
    metrics_label_i64(&l, "partition", -3);
    ck_assert_str_eq(l.buf, "topic=\"a\\\"b\\\\c\\nd\",partition=\"-3\"");
    ck_assert(!l.overflow);
}
END_TEST

START_TEST(labels_overflow_skips_sample)
{
    struct metrics_labels l;
    metrics_labels_reset(&l);
    char big[SK_METRICS_LABELS_BYTES_MAX + 10];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    metrics_label(&l, "k", big);
    ck_assert(l.overflow);
    struct sk_writer w;
    sk_writer_init(&w);
    struct metrics_out *o = metrics_out_new(&w);
    metrics_family(o, "skiff_x", METRICS_GAUGE, "x");
    metrics_sample_u64(o, &l, 1);
    ck_assert_ptr_null(strstr(text(&w), "skiff_x{"));
    metrics_out_free(o);
    sk_writer_free(&w);
}
END_TEST

START_TEST(histogram_is_cumulative)
{
    struct metrics_hist h = {0};
    metrics_hist_observe_us(&h, 50);       /* first bucket (<= 100 us) */
    metrics_hist_observe_us(&h, 100);      /* bounds are inclusive */
    metrics_hist_observe_us(&h, 1500);     /* <= 2.5 ms */
    metrics_hist_observe_us(&h, 60000000); /* beyond 10 s: +Inf only */
    ck_assert_uint_eq(h.counts[0], 2);
    ck_assert_uint_eq(h.counts[METRICS_HIST_BOUNDS], 1);
    struct sk_writer w;
    sk_writer_init(&w);
    struct metrics_out *o = metrics_out_new(&w);
    struct metrics_labels l;
    metrics_labels_reset(&l);
    metrics_label(&l, "api", "Produce");
    metrics_family(o, "skiff_request_duration_seconds", METRICS_HISTOGRAM, "latency");
    metrics_sample_hist(o, &l, &h);
    const char *s = text(&w);
    ck_assert_ptr_nonnull(strstr(s, "# TYPE skiff_request_duration_seconds histogram\n"));
    ck_assert_ptr_nonnull(
        strstr(s, "skiff_request_duration_seconds_bucket{api=\"Produce\",le=\"0.0001\"} 2\n"));
    ck_assert_ptr_nonnull(
        strstr(s, "skiff_request_duration_seconds_bucket{api=\"Produce\",le=\"0.001\"} 2\n"));
    ck_assert_ptr_nonnull(
        strstr(s, "skiff_request_duration_seconds_bucket{api=\"Produce\",le=\"0.0025\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(s, "skiff_request_duration_seconds_bucket{api=\"Produce\",le=\"10\"} 3\n"));
    ck_assert_ptr_nonnull(
        strstr(s, "skiff_request_duration_seconds_bucket{api=\"Produce\",le=\"+Inf\"} 4\n"));
    ck_assert_ptr_nonnull(strstr(s, "skiff_request_duration_seconds_count{api=\"Produce\"} 4\n"));
    ck_assert_ptr_nonnull(strstr(s, "skiff_request_duration_seconds_sum{api=\"Produce\"} 60.001650\n"));
    metrics_out_free(o);
    sk_writer_free(&w);
}
END_TEST

static void collect_a(struct metrics_out *o, void *arg)
{
    metrics_family(o, "skiff_a_total", METRICS_COUNTER, "a");
    metrics_sample_u64(o, NULL, *(uint64_t *)arg);
}

static void collect_b(struct metrics_out *o, void *arg)
{
    (void)arg;
    metrics_family(o, "skiff_b", METRICS_GAUGE, "b");
    metrics_sample_i64(o, NULL, -7);
}

START_TEST(registry_runs_collectors_in_order)
{
    struct metrics_registry *m = metrics_registry_new();
    ck_assert_ptr_nonnull(m);
    uint64_t a = 41;
    ck_assert_int_eq(metrics_register(m, collect_a, &a), 0);
    ck_assert_int_eq(metrics_register(m, collect_b, NULL), 0);
    a++;
    struct sk_writer w;
    sk_writer_init(&w);
    ck_assert_int_eq(metrics_render(m, &w), 0);
    ck_assert_str_eq(text(&w), "# HELP skiff_a_total a\n# TYPE skiff_a_total counter\nskiff_a_total 42\n"
                               "# HELP skiff_b b\n# TYPE skiff_b gauge\nskiff_b -7\n");
    metrics_unregister(m, collect_a, &a);
    sk_writer_reset(&w);
    ck_assert_int_eq(metrics_render(m, &w), 0);
    ck_assert_str_eq(text(&w), "# HELP skiff_b b\n# TYPE skiff_b gauge\nskiff_b -7\n");
    sk_writer_free(&w);
    metrics_registry_free(m);
}
END_TEST

START_TEST(registry_is_bounded)
{
    struct metrics_registry *m = metrics_registry_new();
    for (int i = 0; i < SK_METRICS_COLLECTORS_MAX; i++)
        ck_assert_int_eq(metrics_register(m, collect_b, NULL), 0);
    ck_assert_int_eq(metrics_register(m, collect_b, NULL), SK_ELIMIT);
    metrics_registry_free(m);
}
END_TEST

static void section_obj(struct json_out *j, void *arg)
{
    json_begin_object(j, NULL);
    json_i64(j, "n", *(int *)arg);
    json_str(j, "s", "q\"\n");
    json_str(j, "null", NULL);
    json_begin_array(j, "a");
    json_u64(j, NULL, 1);
    json_bool(j, NULL, true);
    json_end_array(j);
    json_end_object(j);
}

static void section_arr(struct json_out *j, void *arg)
{
    (void)arg;
    json_begin_array(j, NULL);
    json_end_array(j);
}

START_TEST(status_sections)
{
    struct status_registry *s = status_registry_new();
    int n = 5, m = 6;
    ck_assert_int_eq(status_set_section(s, "one", section_obj, &n), 0);
    ck_assert_int_eq(status_set_section(s, "two", section_arr, NULL), 0);
    struct sk_writer w;
    sk_writer_init(&w);
    ck_assert_int_eq(status_render(s, &w), 0);
    ck_assert_str_eq(text(&w),
                     "{\"one\":{\"n\":5,\"s\":\"q\\\"\\u000a\",\"null\":null,\"a\":[1,true]},\"two\":[]}\n");
    /* Replacing keeps the position; removing drops the key. */
    ck_assert_int_eq(status_set_section(s, "one", section_obj, &m), 0);
    status_remove_section(s, "two");
    sk_writer_reset(&w);
    ck_assert_int_eq(status_render(s, &w), 0);
    ck_assert_str_eq(text(&w), "{\"one\":{\"n\":6,\"s\":\"q\\\"\\u000a\",\"null\":null,\"a\":[1,true]}}\n");
    sk_writer_free(&w);
    status_registry_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, labels_escape);
    tcase_add_test(tc, labels_overflow_skips_sample);
    tcase_add_test(tc, histogram_is_cumulative);
    tcase_add_test(tc, registry_runs_collectors_in_order);
    tcase_add_test(tc, registry_is_bounded);
    tcase_add_test(tc, status_sections);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
