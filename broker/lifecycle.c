/* This broker's life in the cluster: it registers with a fresh incarnation
 * id (the controller answers with a new broker epoch, fenced), heartbeats
 * every broker.heartbeat.interval.ms with the last metadata index it has
 * applied (the controller unfences it once that covers its registration),
 * re-registers when the controller no longer knows its epoch, and asks for
 * a controlled shutdown on SIGTERM.  Heartbeats answered "unfenced" also
 * keep its leadership lease (leader_lease.h). */
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "cluster_int.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "kafka_err.h"
#include "leader_lease.h"

static void register_cb(void *arg, const struct ctrl_resp *resp)
{
    struct cluster *c = arg;
    c->registering = false;
    if (resp->error_code != KAFKA_NONE) {
        SK_WARN("broker_registration_failed", "err=%s", kafka_err_name(resp->error_code));
        return;
    }
    c->broker_epoch = resp->broker_epoch;
    c->next_heartbeat_ms = 0;
    SK_INFO("broker_registration_done", "epoch=%lld", (long long)c->broker_epoch);
}

static void send_registration(struct cluster *c, int64_t now)
{
    const struct broker_config *cfg = &c->b->cfg;
    struct ctrl_req req = {.op = CTRL_REGISTER};
    req.broker.id = c->self;
    req.broker.incarnation_id = c->incarnation_id;
    snprintf(req.broker.host, sizeof(req.broker.host), "%s", cfg->advertised.host);
    req.broker.port = cfg->advertised.port;
    snprintf(req.broker.internal_host, sizeof(req.broker.internal_host), "%s", cfg->internal.host);
    req.broker.internal_port = cfg->internal.port;
    c->registering = true;
    if (cluster_call(c, &req, now + cfg->broker_session_timeout_ms, register_cb, c, NULL) != SK_OK)
        c->registering = false;
}

static void heartbeat_cb(void *arg, const struct ctrl_resp *resp)
{
    struct cluster *c = arg;
    c->heartbeat_inflight = false;
    if (resp->error_code == KAFKA_STALE_BROKER_EPOCH || resp->error_code == KAFKA_BROKER_ID_NOT_REGISTERED) {
        /* The controller knows another incarnation under this id, or none:
         * start over as a new incarnation. */
        SK_WARN("broker_epoch_refused", "epoch=%lld err=%s", (long long)c->broker_epoch,
                kafka_err_name(resp->error_code));
        c->broker_epoch = 0;
        c->incarnation_id = ((uint64_t)sk_wall_ms() << 16) ^ (uint64_t)sk_mono_us();
        c->lease_from_ms = -1;
        return;
    }
    if (resp->error_code == KAFKA_NONE && resp->broker_epoch == c->broker_epoch) {
        /* Fenced: the controller has moved (or is moving) this broker's
         * leaderships away, so the lease ends now, not when it runs out. */
        if (resp->fenced)
            c->lease_from_ms = -1;
        else if (c->heartbeat_sent_ms > c->lease_from_ms)
            c->lease_from_ms = c->heartbeat_sent_ms;
    }
    if (resp->error_code == KAFKA_NONE && resp->shutdown_ok)
        c->shutdown_ok = true;
}

static void send_heartbeat(struct cluster *c, int64_t now)
{
    const struct broker_config *cfg = &c->b->cfg;
    struct ctrl_req req = {.op = CTRL_HEARTBEAT};
    req.broker_id = c->self;
    req.broker_epoch = c->broker_epoch;
    req.metadata_offset = c->img.applied_index;
    req.want_shutdown = c->shutdown_requested;
    c->heartbeat_inflight = true;
    c->heartbeat_sent_ms = now;
    c->next_heartbeat_ms = now + cfg->broker_heartbeat_interval_ms;
    /* A heartbeat that gets no answer within the interval is given up, so
     * the next one is not held back behind it. */
    if (cluster_call(c, &req, now + cfg->broker_heartbeat_interval_ms, heartbeat_cb, c, NULL) != SK_OK)
        c->heartbeat_inflight = false;
}

bool cluster_leader_lease_held(const struct cluster *c, int64_t now_ms)
{
    /* The only voter is the controller for as long as it runs, and its
     * image holds each of its decisions as soon as it is made: nobody can
     * have moved its leaderships behind its back, even while a stalled loop
     * delays its heartbeats to itself. */
    if (c->voter && c->n_voters == 1)
        return true;
    const struct broker_config *cfg = &c->b->cfg;
    int32_t lease = leader_lease_ms(cfg->broker_session_timeout_ms, cfg->controller_election_timeout_ms,
                                    cfg->broker_heartbeat_interval_ms);
    return leader_lease_held(now_ms, c->lease_from_ms, lease);
}

/* The lease ends by time passing, so its transitions are noticed here. */
static void note_lease(struct cluster *c, int64_t now)
{
    bool held = cluster_leader_lease_held(c, now);
    if (held == c->lease_was_held)
        return;
    c->lease_was_held = held;
    if (held)
        SK_INFO("leader_lease_held", "epoch=%lld", (long long)c->broker_epoch);
    else
        SK_WARN("leader_lease_lost", "epoch=%lld confirmed_ms_ago=%lld", (long long)c->broker_epoch,
                c->lease_from_ms >= 0 ? (long long)(now - c->lease_from_ms) : -1LL);
}

void lifecycle_tick(struct cluster *c)
{
    int64_t now = sk_mono_ms();
    note_lease(c, now);
    if (c->broker_epoch == 0) {
        if (!c->registering)
            send_registration(c, now);
        return;
    }
    if (!c->heartbeat_inflight && now >= c->next_heartbeat_ms)
        send_heartbeat(c, now);
}

bool cluster_broker_ready(const struct cluster *c)
{
    const struct md_broker *mb = md_broker_find(&c->img, c->self);
    return c->broker_epoch > 0 && mb && mb->epoch == c->broker_epoch && !mb->fenced && !mb->shutting_down;
}

void lifecycle_on_image(struct cluster *c)
{
    bool ready = cluster_broker_ready(c);
    if (ready != c->was_ready)
        SK_INFO(ready ? "node_ready" : "node_not_ready", "epoch=%lld applied=%llu topics=%d",
                (long long)c->broker_epoch, (unsigned long long)c->img.applied_index, c->img.n_topics);
    c->was_ready = ready;
    c->b->ready = ready;
    /* A heartbeat right away tells the controller what was applied, so
     * unfencing does not wait a whole interval and admin requests waiting
     * for every broker to apply their change are answered promptly. */
    if (c->broker_epoch > 0)
        c->next_heartbeat_ms = 0;
}

int64_t cluster_broker_epoch(const struct cluster *c) { return c->broker_epoch; }
