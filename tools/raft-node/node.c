/* raft-node's driver: turns each raft_update into fsynced writes, frames
 * and applies, in the order raft.h prescribes. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "tools/raft-node/node.h"

/* A member that cannot make its state durable must stop: carrying on would
 * let it acknowledge what it could lose. */
static void fatal_storage(const char *what, int rc)
{
    SK_ERROR("raft_storage_failed", "op=%s err=%s", what, sk_strerror(rc));
    exit(1);
}

static void persist(struct node *n, const struct raft_update *up)
{
    int rc;
    if (up->hard_state_changed && (rc = raft_storage_save_hard_state(n->st, &up->hard_state)) != SK_OK)
        fatal_storage("hard_state", rc);
    if (up->snapshot && (rc = raft_storage_save_snapshot(n->st, up->snapshot)) != SK_OK)
        fatal_storage("snapshot", rc);
    if (up->n_entries > 0) {
        if ((rc = raft_storage_append(n->st, up->entries, up->n_entries)) != SK_OK)
            fatal_storage("append", rc);
        if ((rc = raft_storage_sync(n->st)) != SK_OK)
            fatal_storage("sync", rc);
    }
}

static void apply(struct node *n, const struct raft_update *up)
{
    if (up->snapshot) {
        int rc = sm_restore(&n->sm, up->snapshot->index, up->snapshot->data, up->snapshot->len);
        if (rc != SK_OK)
            fatal_storage("snapshot_restore", rc);
        SK_INFO("raft_snapshot_installed", "index=%llu entries=%zu", (unsigned long long)up->snapshot->index,
                n->sm.n);
    }
    for (size_t i = 0; i < up->n_committed; i++)
        if (sm_apply(&n->sm, &up->committed[i]) != SK_OK)
            fatal_storage("apply", SK_ENOMEM);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct node *n = arg;
    n->timer_at_ms = -1;
    struct raft_event ev = {.type = RAFT_EVENT_TICK};
    node_step(n, &ev, NULL, NULL);
}

static void schedule(struct node *n, int64_t deadline_ms)
{
    if (deadline_ms == INT64_MAX || deadline_ms == n->timer_at_ms)
        return;
    int64_t wait = deadline_ms - sk_mono_ms();
    if (wait < 0)
        wait = 0;
    struct timeval tv = {.tv_sec = wait / 1000, .tv_usec = (wait % 1000) * 1000};
    evtimer_add(n->timer, &tv);
    n->timer_at_ms = deadline_ms;
}

/* Takes a snapshot every snapshot_every applied entries.  The log is
 * already synced (persist() syncs every append), so no stale tail can
 * follow the snapshot on disk. */
static void maybe_snapshot(struct node *n)
{
    uint64_t at = n->sm.applied_index;
    if (n->snapshot_every == 0 || at < raft_snapshot_index(n->raft) + n->snapshot_every)
        return;
    uint8_t *img = NULL;
    size_t len = 0;
    if (sm_encode(&n->sm, &img, &len) != SK_OK || len > SK_RAFT_SNAPSHOT_BYTES_MAX) {
        sk_free(img);
        return;
    }
    struct raft_event ev = {.type = RAFT_EVENT_SNAPSHOT_DONE};
    ev.u.snapshot = (struct raft_snapshot){at, raft_term_at(n->raft, at), img, len};
    int rc = raft_storage_save_snapshot(n->st, &ev.u.snapshot);
    if (rc != SK_OK)
        fatal_storage("snapshot", rc);
    SK_INFO("raft_snapshot_taken", "index=%llu bytes=%zu", (unsigned long long)at, len);
    node_step(n, &ev, NULL, NULL);
    sk_free(img);
}

void node_step(struct node *n, struct raft_event *ev, int *rc_out, struct raft_update *copy_out)
{
    struct raft_update up;
    ev->now_ms = sk_mono_ms();
    enum raft_role before = raft_role(n->raft);
    int rc = raft_step(n->raft, ev, &up);
    if (rc_out)
        *rc_out = rc;
    if (copy_out)
        *copy_out = up;
    persist(n, &up);
    /* Everything handed out is now durable, so both lists may go. */
    for (size_t i = 0; i < up.n_msgs; i++)
        raft_transport_send_raft(n->tr, &up.msgs[i]);
    for (size_t i = 0; i < up.n_msgs_after_persist; i++)
        raft_transport_send_raft(n->tr, &up.msgs_after_persist[i]);
    apply(n, &up);
    if (raft_role(n->raft) != before)
        SK_INFO("raft_role", "role=%s term=%llu leader=%llu", raft_role_name(raft_role(n->raft)),
                (unsigned long long)raft_term(n->raft), (unsigned long long)raft_leader(n->raft));
    schedule(n, up.deadline_ms);
    /* The update's pointers die with the next step: use it no further. */
    if (up.n_entries > 0) {
        struct raft_event p = {.type = RAFT_EVENT_PERSISTED};
        p.u.persisted.index = up.entries[up.n_entries - 1].index;
        p.u.persisted.term = up.entries[up.n_entries - 1].term;
        node_step(n, &p, NULL, NULL);
    }
    if (ev->type != RAFT_EVENT_SNAPSHOT_DONE)
        maybe_snapshot(n);
}

void node_recv_cb(void *arg, const Skiff__Raft__Envelope *env)
{
    struct node *n = arg;
    struct raft_msg m;
    memset(&m, 0, sizeof(m));
    int rc = raft_msg_decode(env->raft, &m, n->scratch);
    if (rc != SK_OK || m.to != n->id || m.from != env->sender_id) {
        SK_WARN("raft_msg_rejected", "sender=%llu err=%s", (unsigned long long)env->sender_id,
                rc != SK_OK ? sk_strerror(rc) : "misaddressed");
        return;
    }
    struct raft_event ev = {.type = RAFT_EVENT_RECEIVE};
    ev.u.msg = &m;
    node_step(n, &ev, NULL, NULL);
}

int node_start_timer(struct node *n)
{
    n->timer = evtimer_new(n->base, timer_cb, n);
    if (!n->timer)
        return SK_ENOMEM;
    n->timer_at_ms = -1;
    struct raft_event ev = {.type = RAFT_EVENT_TICK};
    node_step(n, &ev, NULL, NULL);
    return SK_OK;
}
