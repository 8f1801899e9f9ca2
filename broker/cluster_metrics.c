/* The cluster's /metrics families: partition health from the metadata
 * image and from this node's replicas, ISR changes, the metadata quorum
 * (Raft role, term, indexes, each voter's lag on the leader), the active
 * controller and the registered and fenced brokers.
 *
 * Everything is read at scrape time on the loop thread from state the
 * cluster keeps anyway; nothing here runs on the request path. */
#include <string.h>

#include "broker.h"
#include "broker_metrics.h"
#include "cluster.h"
#include "common/limits.h"
#include "metadata.h"
#include "replica.h"
#include "topics.h"

struct image_counts {
    int64_t partitions, under_replicated, offline;
};

/* Offline: no leader.  Under-replicated: led, with an ISR smaller than the
 * replica set (an offline partition is counted as offline only, as
 * `skiff cluster status` counts them from Metadata). */
static void count_image(const struct md_image *img, struct image_counts *out)
{
    *out = (struct image_counts){0};
    for (int32_t k = 0; k < img->n_topics; k++) {
        const struct md_topic *t = img->topics[k];
        for (int32_t i = 0; i < t->n_partitions; i++) {
            const struct md_partition *p = &t->parts[i];
            out->partitions++;
            if (p->leader == MD_NO_LEADER)
                out->offline++;
            else if (p->n_isr < p->n_replicas)
                out->under_replicated++;
        }
    }
}

struct local_counts {
    int64_t led, led_under_replicated, followed;
};

static void count_local(const struct broker *b, int32_t self, struct local_counts *out)
{
    *out = (struct local_counts){0};
    for (struct topic *t = b->topics ? topics_next(b->topics, NULL) : NULL; t; t = topics_next(b->topics, t))
        for (int32_t i = 0; i < t->n_partitions; i++) {
            const struct partition *p = t->partitions[i];
            if (!p || !p->log)
                continue;
            if (p->st.leader == self) {
                out->led++;
                out->led_under_replicated += p->st.n_isr < p->st.n_replicas;
            } else if (p->st.leader != MD_NO_LEADER) {
                out->followed++;
            }
        }
}

static void gauge(struct metrics_out *o, const char *name, const char *help, int64_t v)
{
    metrics_family(o, name, METRICS_GAUGE, help);
    metrics_sample_i64(o, NULL, v);
}

static void collect_partitions(struct metrics_out *o, void *arg)
{
    struct broker *b = ((struct broker_metrics *)arg)->b;
    if (!b->cluster)
        return;
    struct image_counts ic;
    struct local_counts lc;
    count_image(cluster_image(b->cluster), &ic);
    count_local(b, cluster_self(b->cluster), &lc);
    gauge(o, "skiff_cluster_partitions", "Partitions in the metadata image this node has applied.", ic.partitions);
    gauge(o, "skiff_cluster_partitions_under_replicated",
          "Partitions with a leader but an ISR smaller than their replica set, cluster-wide, as the metadata "
          "image this node has applied records them (the active controller's committed view).",
          ic.under_replicated);
    gauge(o, "skiff_cluster_partitions_offline",
          "Partitions without a leader, cluster-wide, as the metadata image this node has applied records them "
          "(the active controller's committed view).",
          ic.offline);
    gauge(o, "skiff_partitions_led", "Partitions this node leads.", lc.led);
    gauge(o, "skiff_partitions_under_replicated",
          "Partitions this node leads whose ISR is smaller than their replica set.", lc.led_under_replicated);
    gauge(o, "skiff_partitions_followed", "Partitions this node replicates from another leader.", lc.followed);
    const struct replica_mgr *rm = cluster_replicas(b->cluster);
    if (!rm)
        return;
    const struct replica_stats *rs = replica_mgr_stats(rm);
    metrics_family(o, "skiff_isr_shrinks_total", METRICS_COUNTER,
                   "ISR shrinks this node asked the controller for as a partition leader (AlterPartition) and "
                   "the controller accepted.");
    metrics_sample_u64(o, NULL, rs->isr_shrinks_total);
    metrics_family(o, "skiff_isr_expands_total", METRICS_COUNTER,
                   "ISR expansions this node asked the controller for as a partition leader (AlterPartition) "
                   "and the controller accepted.");
    metrics_sample_u64(o, NULL, rs->isr_expands_total);
}

static void collect_quorum(struct metrics_out *o, void *arg)
{
    struct broker *b = ((struct broker_metrics *)arg)->b;
    if (!b->cluster)
        return;
    static const char *const roles[] = {"leader", "follower", "candidate", "precandidate"};
    struct cluster_raft_status rs;
    cluster_raft_status(b->cluster, &rs);
    struct metrics_labels l;
    metrics_family(o, "skiff_raft_role", METRICS_GAUGE,
                   "This node's role in the metadata quorum: 1 for the role it holds, 0 for the others.");
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
        metrics_labels_reset(&l);
        metrics_label(&l, "role", roles[i]);
        metrics_sample_u64(o, &l, strcmp(rs.role, roles[i]) == 0);
    }
    metrics_family(o, "skiff_raft_term", METRICS_GAUGE, "The metadata quorum's current term as this node knows it.");
    metrics_sample_u64(o, NULL, rs.term);
    metrics_family(o, "skiff_raft_commit_index", METRICS_GAUGE,
                   "The highest metadata log index this node knows to be committed.");
    metrics_sample_u64(o, NULL, rs.commit_index);
    metrics_family(o, "skiff_raft_applied_index", METRICS_GAUGE,
                   "The highest metadata log index applied to this node's metadata image.");
    metrics_sample_u64(o, NULL, rs.applied_index);

    struct cluster_voter_status v[SK_RAFT_MEMBERS_MAX];
    int32_t n = cluster_voter_status(b->cluster, v, SK_RAFT_MEMBERS_MAX);
    gauge(o, "skiff_raft_voters", "Voters of the metadata quorum.", n);
    metrics_family(o, "skiff_raft_voter_lag_entries", METRICS_GAUGE,
                   "On the quorum leader only: metadata log entries between the leader's last entry and the "
                   "last one known to match on each voter (the leader itself included).");
    for (int32_t i = 0; i < n; i++) {
        if (!v[i].lag_known)
            continue;
        metrics_labels_reset(&l);
        metrics_label_i64(&l, "voter", v[i].node_id);
        metrics_sample_u64(o, &l, v[i].lag_entries);
    }
    gauge(o, "skiff_controller_active_id",
          "The active controller's node id (the metadata quorum's leader) as this node knows it; -1 if none.",
          cluster_controller_id(b->cluster));
    gauge(o, "skiff_controller_active", "1 while this node is the active controller.",
          cluster_controller_active(b->cluster));
}

static void collect_brokers(struct metrics_out *o, void *arg)
{
    struct broker *b = ((struct broker_metrics *)arg)->b;
    if (!b->cluster)
        return;
    const struct md_image *img = cluster_image(b->cluster);
    int64_t fenced = 0;
    for (int32_t i = 0; i < img->n_brokers; i++)
        fenced += img->brokers[i].fenced;
    gauge(o, "skiff_cluster_brokers", "Brokers registered in the metadata image, fenced or not.", img->n_brokers);
    gauge(o, "skiff_cluster_brokers_fenced",
          "Registered brokers fenced in the metadata image (session expired, or not yet caught up).", fenced);
    gauge(o, "skiff_broker_epoch", "This broker's epoch from its current registration; 0 until registered.",
          cluster_broker_epoch(b->cluster));
}

void cluster_metrics_register(struct broker_metrics *m)
{
    metrics_register(m->registry, collect_partitions, m);
    metrics_register(m->registry, collect_quorum, m);
    metrics_register(m->registry, collect_brokers, m);
}
