/* The consumer groups' /metrics families, for the groups this node
 * coordinates: how many are in each state, their members, their committed
 * offsets and the lag behind each partition's high watermark.  Read at
 * scrape time on the loop thread. */
#include <string.h>

#include "broker.h"
#include "broker_metrics.h"
#include "group.h"
#include "group_coordinator.h"
#include "topics.h"

static const enum group_state all_states[] = {GROUP_EMPTY, GROUP_PREPARING_REBALANCE, GROUP_COMPLETING_REBALANCE,
                                              GROUP_STABLE, GROUP_DEAD};
#define N_STATES (sizeof(all_states) / sizeof(all_states[0]))

/* A group is served once its __consumer_offsets partition is loaded here;
 * groups still replaying belong to no view yet. */
static bool served(const struct group_coordinator *gc, const struct group *g)
{
    int32_t p = g->coordinator_partition;
    return p >= 0 && p < gc->n_partitions && gc->parts && gc->parts[p].state == GC_LOADED;
}

static void collect_group_counts(struct metrics_out *o, struct group_coordinator *gc)
{
    int64_t by_state[N_STATES] = {0};
    for (struct group *g = group_coordinator_next(gc, NULL); g; g = group_coordinator_next(gc, g))
        if (served(gc, g) && (unsigned)g->state < N_STATES)
            by_state[g->state]++;
    struct metrics_labels l;
    metrics_family(o, "skiff_groups", METRICS_GAUGE, "Consumer groups this node coordinates, by state.");
    for (size_t i = 0; i < N_STATES; i++) {
        metrics_labels_reset(&l);
        metrics_label(&l, "state", group_state_name(all_states[i]));
        metrics_sample_i64(o, &l, by_state[all_states[i]]);
    }
    metrics_family(o, "skiff_group_members", METRICS_GAUGE, "Members of each consumer group this node coordinates.");
    for (struct group *g = group_coordinator_next(gc, NULL); g; g = group_coordinator_next(gc, g)) {
        if (!served(gc, g))
            continue;
        metrics_labels_reset(&l);
        metrics_label(&l, "group", g->group_id);
        metrics_sample_i64(o, &l, g->n_members);
    }
}

static void offset_labels(struct metrics_labels *l, const struct group *g, const struct group_offset *off)
{
    metrics_labels_reset(l);
    metrics_label(l, "group", g->group_id);
    metrics_label(l, "topic", off->topic);
    metrics_label_i64(l, "partition", off->partition);
}

/* The high watermark of a partition this node holds a replica of (exact on
 * its leader, at most one fetch behind on a follower), or -1. */
static int64_t local_hw(struct broker *b, const struct group_offset *off)
{
    struct topic *t = b->topics ? topics_find(b->topics, off->topic, strlen(off->topic)) : NULL;
    if (!t || off->partition < 0 || off->partition >= t->n_partitions)
        return -1;
    const struct partition *p = t->partitions[off->partition];
    return p && p->log ? p->high_watermark : -1;
}

static void collect_group_offsets(struct metrics_out *o, struct broker *b, struct group_coordinator *gc)
{
    struct metrics_labels l;
    metrics_family(o, "skiff_group_committed_offset", METRICS_GAUGE,
                   "The offset each consumer group this node coordinates has committed, by topic and partition.");
    for (struct group *g = group_coordinator_next(gc, NULL); g; g = group_coordinator_next(gc, g))
        for (int32_t i = 0; served(gc, g) && i < g->n_offsets; i++) {
            offset_labels(&l, g, &g->offsets[i]);
            metrics_sample_i64(o, &l, g->offsets[i].offset);
        }
    metrics_family(o, "skiff_group_lag", METRICS_GAUGE,
                   "Records between a consumer group's committed offset and the partition's high watermark, for "
                   "groups this node coordinates and partitions it holds a replica of (the high watermark as "
                   "this node knows it: exact where it leads the partition).");
    for (struct group *g = group_coordinator_next(gc, NULL); g; g = group_coordinator_next(gc, g))
        for (int32_t i = 0; served(gc, g) && i < g->n_offsets; i++) {
            int64_t hw = local_hw(b, &g->offsets[i]);
            if (hw < 0)
                continue;
            int64_t lag = hw - g->offsets[i].offset;
            offset_labels(&l, g, &g->offsets[i]);
            metrics_sample_i64(o, &l, lag > 0 ? lag : 0);
        }
}

static void collect_groups(struct metrics_out *o, void *arg)
{
    struct broker *b = ((struct broker_metrics *)arg)->b;
    if (!b->groups)
        return;
    collect_group_counts(o, b->groups);
    collect_group_offsets(o, b, b->groups);
}

void group_metrics_register(struct broker_metrics *m)
{
    metrics_register(m->registry, collect_groups, m);
}
