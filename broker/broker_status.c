/* The broker's /v1/status sections node and flusher; the cluster's
 * (cluster, quorum, partitions) are in broker/cluster_status.c. */
#include <stdio.h>

#include "broker.h"
#include "broker_metrics.h"
#include "common/clock.h"
#include "flusher.h"
#include "kserver.h"
#include "log.h"
#include "status.h"
#include "topics.h"


static void hostport(struct json_out *j, const char *key, const struct sk_hostport *hp)
{
    char buf[300];
    snprintf(buf, sizeof(buf), "%s:%d", hp->host, hp->port);
    json_str(j, key, buf);
}

static void section_node(struct json_out *j, void *arg)
{
    struct broker_metrics *m = arg;
    const struct broker *b = m->b;
    json_begin_object(j, NULL);
    json_i64(j, "node_id", b->cfg.node_id);
    json_begin_array(j, "roles");
    if (b->cfg.role_broker)
        json_str(j, NULL, "broker");
    if (b->cfg.role_controller)
        json_str(j, NULL, "controller");
    json_end_array(j);
    json_str(j, "state", b->stopping ? "stopping" : b->ready ? "ready" : "starting");
    json_i64(j, "started_ms", m->started_wall_ms);
    json_i64(j, "uptime_ms", sk_wall_ms() - m->started_wall_ms);
    json_begin_object(j, "listeners");
    hostport(j, "client", &b->cfg.listener);
    hostport(j, "advertised", &b->cfg.advertised);
    hostport(j, "internal", &b->cfg.internal);
    hostport(j, "http", &b->cfg.http);
    json_end_object(j);
    json_str(j, "log_dirs", b->cfg.log_dirs);
    json_u64(j, "connections", b->kafka ? kserver_connections(b->kafka) : 0);
    json_end_object(j);
}

static void section_flusher(struct json_out *j, void *arg)
{
    struct broker_metrics *m = arg;
    const struct broker *b = m->b;
    json_begin_object(j, NULL);
    if (b->flusher) {
        json_u64(j, "syncs", flusher_sync_count(b->flusher));
        json_u64(j, "groups", flusher_group_count(b->flusher));
        json_u64(j, "requests", flusher_request_count(b->flusher));
    }
    json_end_object(j);
}

void broker_status_register(struct broker_metrics *m)
{
    /* A fresh registry holds far fewer than STATUS_SECTIONS_MAX sections. */
    status_set_section(m->status, "node", section_node, m);
    cluster_status_register(m); /* cluster, quorum, partitions: broker/cluster_status.c */
    status_set_section(m->status, "flusher", section_flusher, m);
}
