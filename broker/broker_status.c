/* The broker's /v1/status sections: node, cluster, partitions, flusher.
 * The controller quorum, replication and groups add or replace sections
 * through status_set_section when they land. */
#include <stdio.h>

#include "broker.h"
#include "broker_metrics.h"
#include "common/clock.h"
#include "flusher.h"
#include "kserver.h"
#include "log.h"
#include "status.h"
#include "topics.h"

void broker_status_register(struct broker_metrics *m);

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

/* What this node knows of its cluster.  Running alone, it is the whole
 * cluster: the only broker and its own controller, with no Raft quorum
 * running, so no quorum fields are reported. */
static void section_cluster(struct json_out *j, void *arg)
{
    struct broker_metrics *m = arg;
    const struct broker *b = m->b;
    json_begin_object(j, NULL);
    json_str(j, "mode", "single-node");
    json_str(j, "cluster_id", b->cfg.cluster_id);
    json_i64(j, "active_controller", b->cfg.node_id);
    json_begin_array(j, "brokers");
    json_begin_object(j, NULL);
    json_i64(j, "node_id", b->cfg.node_id);
    hostport(j, "address", &b->cfg.advertised);
    json_bool(j, "fenced", false);
    json_end_object(j);
    json_end_array(j);
    json_end_object(j);
}

static void one_partition(struct json_out *j, const struct broker *b, const struct topic *t,
                          const struct partition *p)
{
    json_begin_object(j, NULL);
    json_str(j, "topic", t->name);
    json_i64(j, "partition", p->index);
    json_str(j, "role", "leader");
    json_i64(j, "leader", b->cfg.node_id);
    json_i64(j, "leader_epoch", p->leader_epoch);
    json_i64(j, "log_start_offset", plog_start_offset(p->log));
    json_i64(j, "log_end_offset", plog_end_offset(p->log));
    json_i64(j, "high_watermark", p->high_watermark);
    json_i64(j, "synced_offset", plog_synced_offset(p->log));
    json_i64(j, "size_bytes", plog_size_bytes(p->log));
    json_end_object(j);
}

static void section_partitions(struct json_out *j, void *arg)
{
    struct broker_metrics *m = arg;
    const struct broker *b = m->b;
    json_begin_array(j, NULL);
    for (struct topic *t = b->topics ? topics_next(b->topics, NULL) : NULL; t; t = topics_next(b->topics, t))
        for (int32_t i = 0; i < t->n_partitions; i++)
            if (t->partitions[i] && t->partitions[i]->log)
                one_partition(j, b, t, t->partitions[i]);
    json_end_array(j);
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
    status_set_section(m->status, "cluster", section_cluster, m);
    status_set_section(m->status, "partitions", section_partitions, m);
    status_set_section(m->status, "flusher", section_flusher, m);
}
