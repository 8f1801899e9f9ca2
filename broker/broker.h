/* The broker: one process's state, owned by the libevent loop thread. */
#ifndef SK_BROKER_H
#define SK_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct event_base;
struct event;
struct logmgr;
struct flusher;
struct topic_registry;
struct kserver;
struct http_server;
struct cluster;
struct group_coordinator;
struct broker_metrics;

struct broker_stats {
    uint64_t requests_total;
    uint64_t bytes_in_total;
    uint64_t bytes_out_total;
    uint64_t connections_total;
    uint64_t connections_closed_bad_input;
};

struct broker {
    struct broker_config cfg;      /* owned */
    struct event_base *base;       /* owned */
    struct logmgr *logs;           /* owned */
    struct flusher *flusher;       /* owned */
    struct topic_registry *topics; /* owned */
    struct kserver *kafka;         /* owned: client listener and connections */
    struct http_server *http;      /* owned */
    struct cluster *cluster;       /* owned: quorum, controller, image */
    struct group_coordinator *groups; /* owned: consumer groups (group_coordinator.h) */
    struct broker_metrics *metrics; /* owned: /metrics, /v1/status, request statistics */
    struct event *maintain_ev;     /* owned: periodic roll and retention */
    struct event *sigterm_ev;      /* owned */
    struct event *sigint_ev;       /* owned */
    bool ready;                    /* serving clients (readyz) */
    bool stopping;
    struct broker_stats stats;
};

#endif
