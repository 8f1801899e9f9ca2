/* The cluster's /v1/status sections:
 *  - quorum: the metadata quorum as this node sees it (the fields
 *    `skiff cluster status` reads: leader, epoch, commit_index, voters with
 *    their lag; lag is null except on the quorum leader);
 *  - cluster: the registered brokers from the metadata image, fenced or
 *    not, and the active controller;
 *  - partitions: every partition this node holds a replica of, its role,
 *    leader, replicas and ISR, and on a leader what it knows of each
 *    follower.
 * Written at request time on the loop thread. */
#include <stdio.h>

#include "broker.h"
#include "broker_metrics.h"
#include "cluster.h"
#include "common/limits.h"
#include "log.h"
#include "replica.h"
#include "status.h"
#include "topics.h"

static void id_or_null(struct json_out *j, const char *key, int64_t id)
{
    if (id >= 0)
        json_i64(j, key, id);
    else
        json_str(j, key, NULL);
}

static void section_quorum(struct json_out *j, void *arg)
{
    struct broker *b = ((struct broker_metrics *)arg)->b;
    json_begin_object(j, NULL);
    if (!b->cluster) {
        json_end_object(j);
        return;
    }
    struct cluster_raft_status rs;
    cluster_raft_status(b->cluster, &rs);
    id_or_null(j, "leader", rs.leader_id);
    json_u64(j, "epoch", rs.term);
    json_u64(j, "commit_index", rs.commit_index);
    json_u64(j, "applied_index", rs.applied_index);
    json_str(j, "role", rs.role);
    json_begin_array(j, "voters");
    struct cluster_voter_status v[SK_RAFT_MEMBERS_MAX];
    int32_t n = cluster_voter_status(b->cluster, v, SK_RAFT_MEMBERS_MAX);
    for (int32_t i = 0; i < n; i++) {
        json_begin_object(j, NULL);
        json_i64(j, "node_id", v[i].node_id);
        if (v[i].lag_known) {
            json_u64(j, "lag", v[i].lag_entries);
            json_u64(j, "match_index", v[i].match_index);
        } else {
            json_str(j, "lag", NULL);
            json_str(j, "match_index", NULL);
        }
        json_end_object(j);
    }
    json_end_array(j);
    json_end_object(j);
}

static void one_broker(struct json_out *j, const struct md_broker *mb)
{
    char addr[300];
    json_begin_object(j, NULL);
    json_i64(j, "node_id", mb->id);
    snprintf(addr, sizeof(addr), "%s:%d", mb->host, mb->port);
    json_str(j, "address", addr);
    snprintf(addr, sizeof(addr), "%s:%d", mb->internal_host, mb->internal_port);
    json_str(j, "internal_address", addr);
    json_bool(j, "fenced", mb->fenced);
    json_bool(j, "shutting_down", mb->shutting_down);
    json_i64(j, "epoch", mb->epoch);
    json_end_object(j);
}

/* A node whose quorum has one voter is a whole cluster by itself. */
static void section_cluster(struct json_out *j, void *arg)
{
    struct broker *b = ((struct broker_metrics *)arg)->b;
    json_begin_object(j, NULL);
    json_str(j, "cluster_id", b->cfg.cluster_id);
    if (!b->cluster) {
        json_end_object(j);
        return;
    }
    struct cluster_voter_status v[SK_RAFT_MEMBERS_MAX];
    int32_t n_voters = cluster_voter_status(b->cluster, v, SK_RAFT_MEMBERS_MAX);
    json_str(j, "mode", n_voters > 1 ? "cluster" : "single-node");
    id_or_null(j, "active_controller", cluster_controller_id(b->cluster));
    const struct md_image *img = cluster_image(b->cluster);
    json_u64(j, "metadata_applied_index", img->applied_index);
    json_begin_array(j, "brokers");
    for (int32_t i = 0; i < img->n_brokers; i++)
        one_broker(j, &img->brokers[i]);
    json_end_array(j);
    json_end_object(j);
}

static void id_array(struct json_out *j, const char *key, const int32_t *ids, int32_t n)
{
    json_begin_array(j, key);
    for (int32_t i = 0; i < n; i++)
        json_i64(j, NULL, ids[i]);
    json_end_array(j);
}

static void followers(struct json_out *j, const struct partition *p)
{
    const struct replica_follower *f = NULL;
    int32_t n = replica_followers(p, &f);
    if (n <= 0)
        return;
    json_begin_array(j, "followers");
    for (int32_t i = 0; i < n; i++) {
        json_begin_object(j, NULL);
        json_i64(j, "node_id", f[i].id);
        json_i64(j, "fetch_offset", f[i].fetch_offset);
        json_end_object(j);
    }
    json_end_array(j);
}

static const char *role_of(const struct partition *p, int32_t self)
{
    if (p->st.leader == self)
        return "leader";
    return p->st.leader == MD_NO_LEADER ? "offline" : "follower";
}

static void one_partition(struct json_out *j, int32_t self, const struct topic *t, const struct partition *p)
{
    json_begin_object(j, NULL);
    json_str(j, "topic", t->name);
    json_i64(j, "partition", p->index);
    json_str(j, "role", role_of(p, self));
    id_or_null(j, "leader", p->st.leader);
    json_i64(j, "leader_epoch", p->st.leader_epoch);
    id_array(j, "replicas", p->st.replicas, p->st.n_replicas);
    id_array(j, "isr", p->st.isr, p->st.n_isr);
    json_i64(j, "log_start_offset", plog_start_offset(p->log));
    json_i64(j, "log_end_offset", plog_end_offset(p->log));
    json_i64(j, "high_watermark", p->high_watermark);
    json_i64(j, "synced_offset", plog_synced_offset(p->log));
    json_i64(j, "size_bytes", plog_size_bytes(p->log));
    followers(j, p);
    json_end_object(j);
}

static void section_partitions(struct json_out *j, void *arg)
{
    struct broker *b = ((struct broker_metrics *)arg)->b;
    int32_t self = b->cfg.node_id;
    json_begin_array(j, NULL);
    for (struct topic *t = b->topics ? topics_next(b->topics, NULL) : NULL; t; t = topics_next(b->topics, t))
        for (int32_t i = 0; i < t->n_partitions; i++)
            if (t->partitions[i] && t->partitions[i]->log)
                one_partition(j, self, t, t->partitions[i]);
    json_end_array(j);
}

void cluster_status_register(struct broker_metrics *m)
{
    status_set_section(m->status, "cluster", section_cluster, m);
    status_set_section(m->status, "quorum", section_quorum, m);
    status_set_section(m->status, "partitions", section_partitions, m);
}
