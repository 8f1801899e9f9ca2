#include "broker_metrics.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <stddef.h>

#include "batch.h"
#include "broker.h"
#include "common/alloc.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "flusher.h"
#include "http.h"
#include "kafka_err.h"
#include "kafka_proto.h"
#include "kserver.h"
#include "log.h"
#include "status.h"
#include "topics.h"

/* ---------------------------------------------------------- request path */

static struct reqstats_api *api_stats(struct broker_metrics *m, int16_t api_key)
{
    if (!m || api_key < 0 || api_key >= SK_METRICS_API_KEYS_MAX)
        return NULL;
    struct reqstats_api *a = m->api[api_key];
    if (!a)
        a = m->api[api_key] = sk_calloc(1, sizeof(*a)); /* once per API; NULL: uncounted */
    return a;
}

void broker_metrics_request_done(struct broker_metrics *m, int16_t api_key, int16_t version,
                                 int64_t elapsed_us)
{
    struct reqstats_api *a = api_stats(m, api_key);
    if (!a || version < 0 || version >= SK_METRICS_API_VERSIONS_MAX) {
        if (m)
            m->requests_untracked_total++;
        return;
    }
    a->requests_total[version]++;
    metrics_hist_observe_us(&a->latency[version], elapsed_us > 0 ? (uint64_t)elapsed_us : 0);
}

void broker_metrics_request_failed(struct broker_metrics *m, int16_t api_key)
{
    struct reqstats_api *a = api_stats(m, api_key);
    if (a)
        a->failures_total++;
}

void broker_metrics_kafka_error(struct broker_metrics *m, int16_t api_key, int16_t code)
{
    struct reqstats_api *a = api_stats(m, api_key);
    if (a && code > 0 && code < SK_METRICS_ERROR_CODES_MAX)
        a->errors_total[code]++;
}

void broker_metrics_topic_in(struct topic *t, size_t bytes, int64_t records)
{
    t->io.bytes_in_total += bytes;
    t->io.records_in_total += records > 0 ? (uint64_t)records : 0;
}

void broker_metrics_topic_out(struct topic *t, const uint8_t *data, size_t len)
{
    uint64_t records = 0;
    size_t off = 0;
    /* The log serves whole, validated batches; stop at anything short. */
    while (len - off >= BATCH_HEADER_BYTES) {
        uint32_t batch_len = sk_be32(data + off + BATCH_OFF_LENGTH);
        size_t total = (size_t)batch_len + BATCH_LOG_OVERHEAD;
        if (batch_len < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD || total > len - off)
            break;
        int32_t n = (int32_t)sk_be32(data + off + BATCH_OFF_RECORDS_COUNT);
        records += n > 0 ? (uint64_t)n : 0;
        off += total;
    }
    t->io.bytes_out_total += len;
    t->io.records_out_total += records;
}

/* ------------------------------------------------------------ collectors */

static void collect_node(struct metrics_out *o, void *arg)
{
    struct broker_metrics *m = arg;
    struct broker *b = m->b;
    struct metrics_labels l;
    metrics_labels_reset(&l);
    metrics_label_i64(&l, "node_id", b->cfg.node_id);
    metrics_label(&l, "roles", b->cfg.role_controller ? "broker,controller" : "broker");
    metrics_family(o, "skiff_node_info", METRICS_GAUGE, "This node's identity (value always 1).");
    metrics_sample_u64(o, &l, 1);
    metrics_family(o, "skiff_ready", METRICS_GAUGE, "1 when the node serves clients (GET /readyz is 200).");
    metrics_sample_u64(o, NULL, b->ready && !b->stopping);
    metrics_family(o, "skiff_start_time_seconds", METRICS_GAUGE,
                   "When the node started, seconds since the epoch.");
    metrics_sample_double(o, NULL, (double)m->started_wall_ms / 1000.0);
}

static void collect_requests(struct metrics_out *o, void *arg)
{
    struct broker_metrics *m = arg;
    struct metrics_labels l;
    metrics_family(o, "skiff_requests_total", METRICS_COUNTER,
                   "Kafka requests answered, by API and version.");
    for (int k = 0; k < SK_METRICS_API_KEYS_MAX; k++)
        for (int v = 0; m->api[k] && v < SK_METRICS_API_VERSIONS_MAX; v++) {
            if (!m->api[k]->requests_total[v])
                continue;
            metrics_labels_reset(&l);
            metrics_label(&l, "api", kafka_api_name((int16_t)k));
            metrics_label_i64(&l, "version", v);
            metrics_sample_u64(o, &l, m->api[k]->requests_total[v]);
        }
    metrics_family(o, "skiff_request_duration_seconds", METRICS_HISTOGRAM,
                   "Time from a whole request frame received to its response queued, by API and version.");
    for (int k = 0; k < SK_METRICS_API_KEYS_MAX; k++)
        for (int v = 0; m->api[k] && v < SK_METRICS_API_VERSIONS_MAX; v++) {
            if (!m->api[k]->requests_total[v])
                continue;
            metrics_labels_reset(&l);
            metrics_label(&l, "api", kafka_api_name((int16_t)k));
            metrics_label_i64(&l, "version", v);
            metrics_sample_hist(o, &l, &m->api[k]->latency[v]);
        }
    metrics_family(o, "skiff_request_errors_total", METRICS_COUNTER,
                   "Kafka error codes returned (per partition or topic result), by API and error.");
    for (int k = 0; k < SK_METRICS_API_KEYS_MAX; k++)
        for (int e = 1; m->api[k] && e < SK_METRICS_ERROR_CODES_MAX; e++) {
            if (!m->api[k]->errors_total[e])
                continue;
            metrics_labels_reset(&l);
            metrics_label(&l, "api", kafka_api_name((int16_t)k));
            metrics_label(&l, "error", kafka_err_name((int16_t)e));
            metrics_sample_u64(o, &l, m->api[k]->errors_total[e]);
        }
    metrics_family(o, "skiff_request_failures_total", METRICS_COUNTER,
                   "Requests whose handler failed internally (the connection was closed), by API.");
    for (int k = 0; k < SK_METRICS_API_KEYS_MAX; k++) {
        if (!m->api[k] || !m->api[k]->failures_total)
            continue;
        metrics_labels_reset(&l);
        metrics_label(&l, "api", kafka_api_name((int16_t)k));
        metrics_sample_u64(o, &l, m->api[k]->failures_total);
    }
    metrics_family(o, "skiff_requests_untracked_total", METRICS_COUNTER,
                   "Requests answered whose API key or version lies beyond the per-API tables.");
    metrics_sample_u64(o, NULL, m->requests_untracked_total);
}

static void collect_network(struct metrics_out *o, void *arg)
{
    struct broker *b = ((struct broker_metrics *)arg)->b;
    metrics_family(o, "skiff_network_received_bytes_total", METRICS_COUNTER,
                   "Bytes of whole request frames read on the client listener.");
    metrics_sample_u64(o, NULL, b->stats.bytes_in_total);
    metrics_family(o, "skiff_network_sent_bytes_total", METRICS_COUNTER,
                   "Bytes of responses queued on the client listener.");
    metrics_sample_u64(o, NULL, b->stats.bytes_out_total);
    metrics_family(o, "skiff_connections", METRICS_GAUGE, "Open client connections.");
    metrics_sample_u64(o, NULL, b->kafka ? kserver_connections(b->kafka) : 0);
    metrics_family(o, "skiff_connections_accepted_total", METRICS_COUNTER, "Client connections accepted.");
    metrics_sample_u64(o, NULL, b->stats.connections_total);
    metrics_family(o, "skiff_connections_closed_bad_input_total", METRICS_COUNTER,
                   "Client connections closed for a malformed frame or request.");
    metrics_sample_u64(o, NULL, b->stats.connections_closed_bad_input);
}

static void collect_flusher(struct metrics_out *o, void *arg)
{
    struct broker *b = ((struct broker_metrics *)arg)->b;
    if (!b->flusher)
        return;
    metrics_family(o, "skiff_flusher_syncs_total", METRICS_COUNTER,
                   "fdatasync and fsync calls made by the flusher.");
    metrics_sample_u64(o, NULL, flusher_sync_count(b->flusher));
    metrics_family(o, "skiff_flusher_groups_total", METRICS_COUNTER,
                   "Group commits: flusher wake-ups, each syncing every log dirty at that moment.");
    metrics_sample_u64(o, NULL, flusher_group_count(b->flusher));
    metrics_family(o, "skiff_flusher_requests_total", METRICS_COUNTER, "Sync requests made to the flusher.");
    metrics_sample_u64(o, NULL, flusher_request_count(b->flusher));
}

/* One family of per-topic traffic counters; `field` picks the counter. */
static void topic_io_family(struct metrics_out *o, struct topic_registry *reg, const char *name,
                            const char *help, size_t field)
{
    struct metrics_labels l;
    metrics_family(o, name, METRICS_COUNTER, help);
    for (struct topic *t = topics_next(reg, NULL); t; t = topics_next(reg, t)) {
        metrics_labels_reset(&l);
        metrics_label(&l, "topic", t->name);
        metrics_sample_u64(o, &l, *(const uint64_t *)((const char *)&t->io + field));
    }
}

enum log_gauge { LG_SIZE, LG_START, LG_END, LG_HW, LG_UNFLUSHED };

static int64_t log_gauge_value(const struct partition *p, enum log_gauge g)
{
    switch (g) {
    case LG_SIZE:
        return plog_size_bytes(p->log);
    case LG_START:
        return plog_start_offset(p->log);
    case LG_END:
        return plog_end_offset(p->log);
    case LG_HW:
        return p->high_watermark;
    case LG_UNFLUSHED:
        return plog_unflushed_messages(p->log);
    }
    return 0;
}

static void log_family(struct metrics_out *o, struct topic_registry *reg, const char *name, const char *help,
                       enum log_gauge g)
{
    struct metrics_labels l;
    metrics_family(o, name, METRICS_GAUGE, help);
    for (struct topic *t = topics_next(reg, NULL); t; t = topics_next(reg, t))
        for (int32_t i = 0; i < t->n_partitions; i++) {
            struct partition *p = t->partitions[i];
            if (!p || !p->log)
                continue;
            metrics_labels_reset(&l);
            metrics_label(&l, "topic", t->name);
            metrics_label_i64(&l, "partition", i);
            metrics_sample_i64(o, &l, log_gauge_value(p, g));
        }
}

static void collect_topics(struct metrics_out *o, void *arg)
{
    struct broker *b = ((struct broker_metrics *)arg)->b;
    struct topic_registry *reg = b->topics;
    if (!reg)
        return;
    int64_t partitions = 0;
    for (struct topic *t = topics_next(reg, NULL); t; t = topics_next(reg, t))
        partitions += t->n_partitions;
    metrics_family(o, "skiff_topics", METRICS_GAUGE, "Topics this node holds.");
    metrics_sample_u64(o, NULL, topics_count(reg));
    metrics_family(o, "skiff_partitions", METRICS_GAUGE, "Partition replicas this node holds.");
    metrics_sample_i64(o, NULL, partitions);
    topic_io_family(o, reg, "skiff_topic_received_bytes_total",
                    "Record batch bytes appended by Produce, by topic.",
                    offsetof(struct topic_io, bytes_in_total));
    topic_io_family(o, reg, "skiff_topic_received_records_total", "Records appended by Produce, by topic.",
                    offsetof(struct topic_io, records_in_total));
    topic_io_family(o, reg, "skiff_topic_sent_bytes_total", "Record batch bytes served by Fetch, by topic.",
                    offsetof(struct topic_io, bytes_out_total));
    topic_io_family(o, reg, "skiff_topic_sent_records_total", "Records served by Fetch, by topic.",
                    offsetof(struct topic_io, records_out_total));
    log_family(o, reg, "skiff_log_size_bytes", "Bytes of a partition's segment files.", LG_SIZE);
    log_family(o, reg, "skiff_log_start_offset", "A partition's first offset still held.", LG_START);
    log_family(o, reg, "skiff_log_end_offset", "A partition's next offset to assign.", LG_END);
    log_family(o, reg, "skiff_partition_high_watermark",
               "A partition's high watermark (consumers read below it).", LG_HW);
    log_family(o, reg, "skiff_log_unflushed_records", "Records appended but not yet fsynced.", LG_UNFLUSHED);
}

/* ---------------------------------------------------------------- routes */

static void reply(struct evhttp_request *req, int rc, struct sk_writer *w, const char *content_type)
{
    struct evbuffer *buf = evbuffer_new();
    if (rc || !buf) {
        if (buf)
            evbuffer_free(buf);
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    evbuffer_add(buf, w->p, w->len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", content_type);
    evhttp_send_reply(req, 200, "OK", buf);
    evbuffer_free(buf);
}

static void metrics_cb(struct evhttp_request *req, void *arg)
{
    struct sk_writer w;
    sk_writer_init(&w);
    int rc = broker_metrics_render(arg, &w);
    reply(req, rc, &w, "text/plain; version=0.0.4; charset=utf-8");
    sk_writer_free(&w);
}

static void status_cb(struct evhttp_request *req, void *arg)
{
    struct broker_metrics *m = arg;
    struct sk_writer w;
    sk_writer_init(&w);
    int rc = status_render(m->status, &w);
    reply(req, rc, &w, "application/json");
    sk_writer_free(&w);
}

int broker_metrics_render(struct broker_metrics *m, struct sk_writer *out)
{
    return metrics_render(m->registry, out);
}

struct metrics_registry *broker_metrics_registry(struct broker_metrics *m)
{
    return m->registry;
}

int broker_metrics_start(struct broker *b, struct broker_metrics **out)
{
    struct broker_metrics *m = sk_calloc(1, sizeof(*m));
    if (!m)
        return SK_ENOMEM;
    m->b = b;
    m->started_wall_ms = sk_wall_ms();
    m->registry = metrics_registry_new();
    m->status = status_registry_new();
    int rc = SK_ENOMEM;
    if (!m->registry || !m->status)
        goto fail;
    metrics_register(m->registry, collect_node, m);
    metrics_register(m->registry, collect_requests, m);
    metrics_register(m->registry, collect_network, m);
    metrics_register(m->registry, collect_topics, m);
    cluster_metrics_register(m);
    group_metrics_register(m);
    metrics_register(m->registry, collect_flusher, m);
    broker_status_register(m);
    if ((rc = http_add_route(b->http, "/metrics", metrics_cb, m)) ||
        (rc = http_add_route(b->http, "/v1/status", status_cb, m))) {
        SK_ERROR("http_route_failed", "err=\"%s\"", sk_strerror(rc));
        goto fail;
    }
    *out = m;
    return 0;
fail:
    status_registry_free(m->status);
    metrics_registry_free(m->registry);
    sk_free(m);
    return rc;
}

void broker_metrics_stop(struct broker_metrics *m)
{
    if (!m)
        return;
    for (int k = 0; k < SK_METRICS_API_KEYS_MAX; k++)
        sk_free(m->api[k]);
    status_registry_free(m->status);
    metrics_registry_free(m->registry);
    sk_free(m);
}
