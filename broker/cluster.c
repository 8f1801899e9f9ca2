/* The cluster runtime: startup and shutdown of the quorum, controller and
 * broker lifecycle, the periodic tick that drives them, and the read-only
 * accessors over the image (see cluster.h). */
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "cluster_int.h"
#include "common/alloc.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "group_coordinator.h"
#include "replica.h"
#include "topics.h"

/* Ticks often enough for 100 ms heartbeats and quick retries; the work per
 * tick is a scan of a few brokers and pending calls. */
#define CLUSTER_TICK_MS 20

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct cluster *c = arg;
    ctrl_tick(c->ctrl);
    quorum_members_tick(c);
    rpc_tick(c);
    lifecycle_tick(c);
    replica_tick(c->replicas);
}

/* Partition role changes go to replication, and for __consumer_offsets to
 * the group coordinator (it serves the groups of partitions this node
 * leads). */
static void role_cb(void *arg, struct partition *p, const struct md_partition *old)
{
    struct cluster *c = arg;
    replica_role_cb(c->replicas, p, old);
    struct group_coordinator *gc = c->b->groups;
    if (!gc || strcmp(p->topic->name, GROUP_OFFSETS_TOPIC) != 0)
        return;
    if (old && p->st.leader == c->self)
        group_coordinator_partition_elected(gc, p->index, p->st.leader_epoch);
    else
        group_coordinator_partition_resigned(gc, p->index);
}

void cluster_image_changed(struct cluster *c)
{
    /* Peers first: replica fetchers started by topics_sync and answers to
     * a broker's registration need its address. */
    quorum_sync_peers(c);
    if (c->b->topics)
        topics_sync(c->b->topics, &c->img);
    lifecycle_on_image(c);
}

int cluster_start(struct broker *b, struct cluster **out)
{
    struct cluster *c = sk_calloc(1, sizeof(*c));
    if (!c)
        return SK_ENOMEM;
    c->b = b;
    c->self = b->cfg.node_id;
    c->controller_hint = -1;
    c->lease_from_ms = -1;
    c->incarnation_id = ((uint64_t)sk_wall_ms() << 16) ^ (uint64_t)sk_mono_us();
    md_image_init(&c->img);
    char err[512] = "";
    int rc = ctrl_new(c, &c->ctrl);
    if (rc == SK_OK)
        rc = quorum_open(c, err, sizeof(err));
    if (rc == SK_OK)
        rc = replica_mgr_new(b, c->tr, &c->replicas);
    if (rc == SK_OK) {
        topics_set_role_cb(b->topics, role_cb, c);
        /* Restoring a metadata snapshot applies it, and the role changes
         * it causes start replica fetchers, which reach the cluster through
         * the broker: it must be reachable from here on. */
        *out = c;
        rc = quorum_start(c, err, sizeof(err));
    }
    if (rc == SK_OK)
        rc = rpc_start(c);
    if (rc == SK_OK && !(c->tick_ev = event_new(b->base, -1, EV_PERSIST, tick_cb, c)))
        rc = SK_ENOMEM;
    if (rc != SK_OK) {
        SK_ERROR("cluster_start_failed", "err=\"%s\" reason=\"%s\"", sk_strerror(rc), err);
        if (err[0])
            fprintf(stderr, "skiffd: %s\n", err);
        cluster_stop(c);
        *out = NULL;
        return rc;
    }
    struct timeval tv = {0, CLUSTER_TICK_MS * 1000};
    event_add(c->tick_ev, &tv);
    SK_INFO("cluster_started", "node_id=%d voters=%d role=%s", c->self, c->n_voters,
            c->voter ? "voter" : "observer");
    *out = c;
    return SK_OK;
}

/* True if this broker leads a partition that another live ISR member could
 * take over: only then is there anything for a controlled shutdown to do. */
static bool has_handover(const struct cluster *c)
{
    const struct md_image *img = &c->img;
    for (int32_t k = 0; k < img->n_topics; k++) {
        const struct md_topic *t = img->topics[k];
        for (int32_t i = 0; i < t->n_partitions; i++) {
            const struct md_partition *p = &t->parts[i];
            if (p->leader != c->self)
                continue;
            for (int32_t r = 0; r < p->n_isr; r++)
                if (p->isr[r] != c->self && md_broker_live(img, p->isr[r]))
                    return true;
        }
    }
    return false;
}

/* Runs the loop for up to timeout_ms or until done(c). */
static void run_until(struct cluster *c, int64_t timeout_ms, bool (*done)(const struct cluster *c))
{
    int64_t deadline = sk_mono_ms() + timeout_ms;
    struct timeval step = {0, 10 * 1000};
    /* Bounded by the deadline. */
    while (!done(c) && sk_mono_ms() < deadline) {
        event_base_loopexit(c->b->base, &step);
        event_base_dispatch(c->b->base);
    }
}

static bool shutdown_done(const struct cluster *c) { return c->shutdown_ok; }

static bool not_leader(const struct cluster *c) { return !quorum_is_leader(c); }

/* An active controller that just exits leaves its last decisions committed
 * but unknown to the followers until a new leader is elected (they learn a
 * commit index only from a leader): the handover would take an election
 * timeout.  Transferring leadership first (Raft thesis 3.10) makes another
 * voter leader at once, and its first commit carries everything. */
static void hand_over_quorum(struct cluster *c)
{
    if (!quorum_is_leader(c))
        return;
    int32_t target = -1;
    for (int32_t i = 0; i < c->n_voters && target < 0; i++)
        if (c->voters[i].id != c->self && md_broker_live(&c->img, c->voters[i].id))
            target = c->voters[i].id;
    if (target < 0 || quorum_transfer(c, target) != SK_OK)
        return;
    run_until(c, 2 * (int64_t)c->b->cfg.controller_election_timeout_ms, not_leader);
    SK_INFO("controller_handover", "to=%d done=%s", target, quorum_is_leader(c) ? "false" : "true");
}

/* Runs the loop until the controller has moved this broker's leaderships
 * away (or the timeout passes, or the controller is unreachable), then hands
 * the quorum's leadership over if this node holds it. */
void cluster_controlled_shutdown(struct cluster *c)
{
    if (!c)
        return;
    if (c->broker_epoch > 0 && c->b->cfg.controlled_shutdown_timeout_ms > 0 && has_handover(c)) {
        c->shutdown_requested = true;
        c->next_heartbeat_ms = 0;
        run_until(c, c->b->cfg.controlled_shutdown_timeout_ms, shutdown_done);
        SK_INFO("controlled_shutdown", "done=%s", c->shutdown_ok ? "true" : "false");
    }
    hand_over_quorum(c);
}

void cluster_stop(struct cluster *c)
{
    if (!c)
        return;
    if (c->tick_ev)
        event_free(c->tick_ev);
    rpc_stop(c);
    ctrl_free(c->ctrl);
    c->ctrl = NULL;
    if (c->b->topics)
        topics_set_role_cb(c->b->topics, NULL, NULL);
    replica_mgr_free(c->replicas);
    c->replicas = NULL;
    quorum_stop(c);
    md_image_clear(&c->img);
    sk_free(c);
}

const struct md_image *cluster_image(const struct cluster *c) { return &c->img; }
int32_t cluster_self(const struct cluster *c) { return c->self; }
int32_t cluster_controller_id(const struct cluster *c) { return quorum_leader(c); }
bool cluster_controller_active(const struct cluster *c) { return c->ctrl && ctrl_active(c->ctrl); }
const struct replica_mgr *cluster_replicas(const struct cluster *c) { return c->replicas; }
