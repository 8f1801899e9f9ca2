/* `skiff bench produce`: a producer load generator in the manner of Kafka's
 * kafka-producer-perf-test.  Latency is delivery-report time minus the time
 * of the produce call, recorded in a log-linear histogram. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client/cli.h"
#include "client/hist.h"
#include "client/rk.h"
#include "common/alloc.h"
#include "common/clock.h"
#include "common/sk_err.h"

#define MIB (1024.0 * 1024.0)
/* Progress lines this often. */
#define REPORT_INTERVAL_US (1000 * 1000)
/* Hard cap on waiting for outstanding deliveries at the end; librdkafka
 * reports every message by message.timeout.ms (60 s here unless overridden). */
#define FLUSH_WAIT_US_MAX (INT64_C(3600) * 1000 * 1000)
/* Longest wait for room in librdkafka's queue before one record: twice the
 * default message.timeout.ms set below. */
#define QUEUE_FULL_WAIT_US_MAX (INT64_C(120) * 1000 * 1000)

struct produce_state {
    struct lat_hist hist; /* every successful delivery, microseconds */
    int64_t delivered;
    int64_t bytes;
    int64_t errors;
    char first_error[256];
    /* The current progress window. */
    int64_t win_count;
    int64_t win_bytes;
    double win_lat_sum_us;
    int64_t win_lat_max_us;
    int64_t win_start_us;
};

/* Delivery reports arrive on the thread calling rd_kafka_poll/flush, i.e.
 * ours, so the state needs no lock.  The message opaque carries the produce
 * call's time in microseconds. */
static void produce_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct produce_state *st = opaque;
    if (m->err) {
        if (st->errors++ == 0)
            snprintf(st->first_error, sizeof(st->first_error), "%s", rd_kafka_err2str(m->err));
        return;
    }
    int64_t lat_us = sk_mono_us() - (int64_t)(intptr_t)m->_private;
    lat_hist_record(&st->hist, lat_us);
    st->delivered++;
    st->bytes += (int64_t)m->len;
    st->win_count++;
    st->win_bytes += (int64_t)m->len;
    st->win_lat_sum_us += (double)lat_us;
    if (lat_us > st->win_lat_max_us)
        st->win_lat_max_us = lat_us;
}

static void produce_conf_hook(rd_kafka_conf_t *conf)
{
    char why[256];
    rd_kafka_conf_set_dr_msg_cb(conf, produce_dr_cb);
    /* A bounded wait for each delivery report, so the run ends in bounded time
     * even if the cluster stops answering. */
    rd_kafka_conf_set(conf, "message.timeout.ms", "60000", why, sizeof(why));
}

static void report_window(struct produce_state *st, int64_t now_us)
{
    double secs = (double)(now_us - st->win_start_us) / 1e6;
    if (secs <= 0)
        secs = 1e-6;
    fprintf(stderr,
            "produce: %" PRId64
            " records sent, %.1f records/s (%.2f MB/s), %.1f ms avg latency, %.1f ms max latency\n",
            st->win_count, (double)st->win_count / secs, (double)st->win_bytes / MIB / secs,
            st->win_count ? st->win_lat_sum_us / (double)st->win_count / 1000.0 : 0.0,
            (double)st->win_lat_max_us / 1000.0);
    st->win_count = 0;
    st->win_bytes = 0;
    st->win_lat_sum_us = 0;
    st->win_lat_max_us = 0;
    st->win_start_us = now_us;
}

static void maybe_report(struct produce_state *st)
{
    int64_t now_us = sk_mono_us();
    if (now_us - st->win_start_us >= REPORT_INTERVAL_US)
        report_window(st, now_us);
}

/* Waits until record i is due under the --throughput cap, serving delivery
 * reports meanwhile. */
static void throttle(rd_kafka_t *rk, const struct bench_opts *o, int64_t start_us, int64_t i)
{
    if (o->throughput <= 0)
        return;
    int64_t due_us = start_us + (int64_t)((double)i * 1e6 / (double)o->throughput);
    for (;;) {
        int64_t wait_us = due_us - sk_mono_us();
        if (wait_us <= 0)
            return;
        if (wait_us >= 1000) {
            rd_kafka_poll(rk, (int)(wait_us >= 100000 ? 100 : wait_us / 1000));
        } else {
            struct timespec ts = {0, wait_us * 1000};
            nanosleep(&ts, NULL);
        }
    }
}

/* Produces one record, waiting while librdkafka's queue is full.  The queue
 * drains as deliveries are reported (each within message.timeout.ms), so a
 * queue that stays full past QUEUE_FULL_WAIT_US_MAX means a stuck client. */
static int produce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const char *payload, size_t len,
                       struct produce_state *st)
{
    int64_t t_us = sk_mono_us();
    for (;;) {
        if (sk_mono_us() - t_us > QUEUE_FULL_WAIT_US_MAX) {
            cli_error("the producer queue stayed full for %d s", (int)(QUEUE_FULL_WAIT_US_MAX / 1000000));
            return SK_EIO;
        }
        /* No copy: the payload buffer outlives every in-flight message. */
        if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, 0, (void *)payload, len, NULL, 0,
                             (void *)(intptr_t)t_us) == 0)
            return SK_OK;
        rd_kafka_resp_err_t err = rd_kafka_last_error();
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            cli_error("produce failed: %s", rd_kafka_err2str(err));
            return SK_EIO;
        }
        rd_kafka_poll(rk, 10);
        maybe_report(st);
    }
}

static void print_summary(const struct bench_opts *o, const struct produce_state *st, double secs)
{
    const struct lat_hist *h = &st->hist;
    double rps = (double)st->delivered / secs, mbps = (double)st->bytes / MIB / secs;
#define MS(us) ((double)(us) / 1000.0)
    if (o->kv) {
        printf("records=%" PRId64 " errors=%" PRId64 " bytes=%" PRId64 " elapsed_s=%.3f records_per_s=%.1f "
               "mb_per_s=%.2f lat_avg_ms=%.3f lat_p50_ms=%.3f lat_p95_ms=%.3f lat_p99_ms=%.3f "
               "lat_p999_ms=%.3f lat_max_ms=%.3f\n",
               st->delivered, st->errors, st->bytes, secs, rps, mbps, MS(lat_hist_mean(h)),
               MS(lat_hist_percentile(h, 50)), MS(lat_hist_percentile(h, 95)), MS(lat_hist_percentile(h, 99)),
               MS(lat_hist_percentile(h, 99.9)), MS(h->max));
    } else {
        printf(
            "%" PRId64 " records sent, %.1f records/s (%.2f MB/s), %.2f ms avg latency, %.2f ms max latency, "
            "%.2f ms 50th, %.2f ms 95th, %.2f ms 99th, %.2f ms 99.9th.\n",
            st->delivered, rps, mbps, MS(lat_hist_mean(h)), MS(h->max), MS(lat_hist_percentile(h, 50)),
            MS(lat_hist_percentile(h, 95)), MS(lat_hist_percentile(h, 99)), MS(lat_hist_percentile(h, 99.9)));
    }
#undef MS
    fflush(stdout);
}

/* Fills the payload with letters from a fixed xorshift sequence, as Kafka's
 * tool fills it with random letters. */
static void fill_payload(char *p, size_t n)
{
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (char)('A' + (int)(x % 26));
    }
}

/* Sends every record, then waits for the outstanding deliveries. */
static int produce_loop(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const struct bench_opts *o,
                        const char *payload, struct produce_state *st, int64_t start_us)
{
    for (int64_t i = 0; i < o->num_records; i++) {
        throttle(rk, o, start_us, i);
        if (produce_one(rk, rkt, payload, (size_t)o->record_size, st) != SK_OK)
            return SK_EIO;
        rd_kafka_poll(rk, 0);
        maybe_report(st);
    }
    int64_t flush_deadline_us = sk_mono_us() + FLUSH_WAIT_US_MAX;
    while (rd_kafka_outq_len(rk) > 0) {
        if (sk_mono_us() >= flush_deadline_us) {
            cli_error("%d records still undelivered after waiting %" PRId64 " s", rd_kafka_outq_len(rk),
                      FLUSH_WAIT_US_MAX / 1000000);
            return SK_EIO;
        }
        rd_kafka_flush(rk, 100);
        maybe_report(st);
    }
    return SK_OK;
}

int bench_produce_run(const struct bench_opts *o)
{
    char err[512];
    int status = CLI_EXIT_FAIL;
    rd_kafka_topic_t *rkt = NULL;
    char *payload = NULL;
    struct produce_state *st = sk_calloc(1, sizeof(*st));
    if (st == NULL) {
        cli_error("out of memory");
        return CLI_EXIT_FAIL;
    }
    lat_hist_init(&st->hist);
    struct cli_props props = o->props;
    /* After the user's properties, so that --acks wins over a stray acks=. */
    char acks_kv[16];
    snprintf(acks_kv, sizeof(acks_kv), "acks=%s", o->acks);
    if (cli_props_add(&props, acks_kv) != SK_OK) {
        cli_error("more than %d producer properties", SK_CLI_PROPS_MAX - 1);
        goto out_state;
    }
    rd_kafka_t *rk =
        cli_rk_new(RD_KAFKA_PRODUCER, o->bootstrap, &props, produce_conf_hook, st, err, sizeof(err));
    if (rk == NULL) {
        cli_error("%s", err);
        goto out_state;
    }
    if (cli_topic_ensure(rk, o->topic, (int)o->partitions, (int)o->replication_factor, CLI_ADMIN_TIMEOUT_MS,
                         err, sizeof(err)) != SK_OK) {
        cli_error("%s", err);
        goto out;
    }
    payload = sk_malloc((size_t)o->record_size);
    rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    if (payload == NULL || rkt == NULL) {
        cli_error("cannot set up the producer: %s",
                  payload ? rd_kafka_err2str(rd_kafka_last_error()) : "out of memory");
        goto out;
    }
    fill_payload(payload, (size_t)o->record_size);

    int64_t start_us = sk_mono_us();
    st->win_start_us = start_us;
    int rc = produce_loop(rk, rkt, o, payload, st, start_us);
    double secs = (double)(sk_mono_us() - start_us) / 1e6;
    print_summary(o, st, secs > 0 ? secs : 1e-6);
    if (rc == SK_OK && st->errors == 0 && st->delivered == o->num_records)
        status = CLI_EXIT_OK;
    else if (st->errors > 0)
        cli_error("%" PRId64 " of %" PRId64 " records failed; first error: %s", st->errors, o->num_records,
                  st->first_error);
out:
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    /* Destroying the handle waits for nothing: every message was reported. */
    rd_kafka_destroy(rk);
    sk_free(payload);
out_state:
    sk_free(st);
    return status;
}
