/* `skiff bench consume`: reads N records from the beginning of a topic, in
 * the manner of Kafka's kafka-consumer-perf-test, and reports throughput.
 * Partitions are assigned directly (assign(), no group membership). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "client/cli.h"
#include "client/rk.h"
#include "common/clock.h"
#include "common/sk_err.h"

#define MIB (1024.0 * 1024.0)
#define REPORT_INTERVAL_US (1000 * 1000)

struct consume_state {
    int64_t records;
    int64_t bytes;
    int64_t first_us; /* when the first record arrived, 0 before */
    int64_t last_progress_us;
    int64_t win_records;
    int64_t win_bytes;
    int64_t win_start_us;
};

static void consume_conf_hook(rd_kafka_conf_t *conf)
{
    char why[256];
    /* librdkafka's assign() needs a group.id, but nothing here joins the group
     * or commits: offsets are explicit and auto commit is off. */
    rd_kafka_conf_set(conf, "group.id", "skiff-bench-consume", why, sizeof(why));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", why, sizeof(why));
    rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", why, sizeof(why));
    rd_kafka_conf_set(conf, "enable.partition.eof", "false", why, sizeof(why));
}

static int assign_all(rd_kafka_t *rk, const char *topic, char *err, size_t err_len)
{
    int partitions = 0;
    int rc = cli_topic_lookup(rk, topic, CLI_ADMIN_TIMEOUT_MS, &partitions, err, err_len);
    if (rc == SK_ENOENT) {
        snprintf(err, err_len, "topic %s does not exist", topic);
        return rc;
    }
    if (rc != SK_OK)
        return rc;
    if (partitions <= 0) {
        snprintf(err, err_len, "topic %s has no partitions", topic);
        return SK_EIO;
    }
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t rerr = rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, err_len, "assign %s: %s", topic, rd_kafka_err2str(rerr));
        return SK_EIO;
    }
    return SK_OK;
}

static void report_window(struct consume_state *st, int64_t now_us)
{
    double secs = (double)(now_us - st->win_start_us) / 1e6;
    if (secs <= 0)
        secs = 1e-6;
    fprintf(stderr, "consume: %" PRId64 " records read, %.1f records/s (%.2f MB/s), %" PRId64 " in total\n",
            st->win_records, (double)st->win_records / secs, (double)st->win_bytes / MIB / secs, st->records);
    st->win_records = 0;
    st->win_bytes = 0;
    st->win_start_us = now_us;
}

/* Handles one polled message; SK_EIO on a fatal consumer error. */
static int take_message(const rd_kafka_message_t *m, struct consume_state *st, int64_t now_us)
{
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (st->first_us == 0)
            st->first_us = now_us;
        st->records++;
        st->bytes += (int64_t)m->len;
        st->win_records++;
        st->win_bytes += (int64_t)m->len;
        st->last_progress_us = now_us;
        return SK_OK;
    }
    /* Errors on the message stream are mostly transient (a leader moved);
     * the no-progress deadline catches the ones that are not. */
    if (m->err == RD_KAFKA_RESP_ERR__FATAL || m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
        cli_error("consume failed: %s", rd_kafka_message_errstr(m));
        return SK_EIO;
    }
    fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
    return SK_OK;
}

static int consume_loop(rd_kafka_t *rk, const struct bench_opts *o, struct consume_state *st)
{
    while (st->records < o->num_records) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        int64_t now_us = sk_mono_us();
        if (m != NULL) {
            int rc = take_message(m, st, now_us);
            rd_kafka_message_destroy(m);
            if (rc != SK_OK)
                return rc;
        }
        if (now_us - st->win_start_us >= REPORT_INTERVAL_US)
            report_window(st, now_us);
        if (now_us - st->last_progress_us > o->timeout_ms * 1000) {
            char last[256];
            cli_rk_last_log(last, sizeof(last));
            cli_error("read %" PRId64 " of %" PRId64 " records; none for %" PRId64 " ms%s%s", st->records,
                      o->num_records, o->timeout_ms, last[0] ? "; last client error: " : "", last);
            return SK_EIO;
        }
    }
    return SK_OK;
}

static void print_summary(const struct bench_opts *o, const struct consume_state *st, int64_t start_us,
                          int64_t end_us)
{
    double secs = (double)(end_us - start_us) / 1e6;
    if (secs <= 0)
        secs = 1e-6;
    double first_ms = st->first_us ? (double)(st->first_us - start_us) / 1000.0 : 0.0;
    double rps = (double)st->records / secs, mbps = (double)st->bytes / MIB / secs;
    if (o->kv)
        printf("records=%" PRId64 " bytes=%" PRId64 " elapsed_s=%.3f records_per_s=%.1f mb_per_s=%.2f "
               "first_record_ms=%.1f\n",
               st->records, st->bytes, secs, rps, mbps, first_ms);
    else
        printf("%" PRId64
               " records read (%.2f MB) in %.3f s: %.1f records/s, %.2f MB/s; first record after %.1f ms.\n",
               st->records, (double)st->bytes / MIB, secs, rps, mbps, first_ms);
    fflush(stdout);
}

int bench_consume_run(const struct bench_opts *o)
{
    char err[512];
    struct consume_state st;
    memset(&st, 0, sizeof(st));
    rd_kafka_t *rk =
        cli_rk_new(RD_KAFKA_CONSUMER, o->bootstrap, &o->props, consume_conf_hook, NULL, err, sizeof(err));
    if (rk == NULL) {
        cli_error("%s", err);
        return CLI_EXIT_FAIL;
    }
    rd_kafka_poll_set_consumer(rk);
    int status = CLI_EXIT_FAIL;
    int64_t start_us = sk_mono_us();
    if (assign_all(rk, o->topic, err, sizeof(err)) != SK_OK) {
        cli_error("%s", err);
        goto out;
    }
    st.win_start_us = st.last_progress_us = start_us;
    int rc = consume_loop(rk, o, &st);
    print_summary(o, &st, start_us, sk_mono_us());
    if (rc == SK_OK)
        status = CLI_EXIT_OK;
out:
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return status;
}
