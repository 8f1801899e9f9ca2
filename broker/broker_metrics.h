/* The broker's metrics: request statistics kept on the request path, the
 * collectors that export them and the rest of the node's state (topics and
 * logs, connections, flusher), and the HTTP routes /metrics and /v1/status.
 *
 * Request-path updates are plain increments on loop-thread fields.  Other
 * subsystems add their own families with broker_metrics_registry() +
 * metrics_register, and their own /v1/status sections with
 * status_add_section (broker/status.h). */
#ifndef SK_BROKER_METRICS_H
#define SK_BROKER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "metrics.h"

struct broker;
struct topic;

/* Per Kafka API: requests and latency per version, Kafka error codes in
 * responses, internal failures.  Allocated on the first request of the API. */
struct reqstats_api {
    uint64_t requests_total[SK_METRICS_API_VERSIONS_MAX];
    struct metrics_hist latency[SK_METRICS_API_VERSIONS_MAX];
    uint64_t errors_total[SK_METRICS_ERROR_CODES_MAX]; /* by Kafka error code; [0] unused */
    uint64_t failures_total;                           /* handler failed internally: connection closed */
};

struct broker_metrics {
    struct broker *b;                                  /* borrowed */
    struct metrics_registry *registry;                 /* owned */
    struct status_registry *status;                    /* owned */
    struct reqstats_api *api[SK_METRICS_API_KEYS_MAX]; /* owned, lazily */
    uint64_t requests_untracked_total;                 /* keys or versions beyond the arrays */
    int64_t started_wall_ms;
};

/* Creates the registry with the broker's own collectors and registers
 * /metrics and /v1/status on b->http.  b->http must be started. */
int broker_metrics_start(struct broker *b, struct broker_metrics **out);
void broker_metrics_stop(struct broker_metrics *m);
struct metrics_registry *broker_metrics_registry(struct broker_metrics *m);

/* Request path (loop thread).  m may be NULL (metrics not started). */
void broker_metrics_request_done(struct broker_metrics *m, int16_t api_key, int16_t version,
                                 int64_t elapsed_us);
void broker_metrics_request_failed(struct broker_metrics *m, int16_t api_key);
void broker_metrics_kafka_error(struct broker_metrics *m, int16_t api_key, int16_t code);

/* Per-topic traffic (loop thread). */
void broker_metrics_topic_in(struct topic *t, size_t bytes, int64_t records);
/* Counts the records of the whole batches in data[0, len) as read out. */
void broker_metrics_topic_out(struct topic *t, const uint8_t *data, size_t len);

/* Collectors and /v1/status sections of other parts of the node, registered
 * by broker_metrics_start: the node and flusher sections
 * (broker/broker_status.c), the cluster's families and sections
 * (broker/cluster_metrics.c, broker/cluster_status.c) and the consumer
 * groups' families (broker/group_metrics.c). */
void broker_status_register(struct broker_metrics *m);
void cluster_status_register(struct broker_metrics *m);
void cluster_metrics_register(struct broker_metrics *m);
void group_metrics_register(struct broker_metrics *m);

/* Renders the exposition text (for tests and the route). */
int broker_metrics_render(struct broker_metrics *m, struct sk_writer *out);

#endif
