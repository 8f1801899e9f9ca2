/* A Raft member on a libevent loop (see host.h). */
#include "raft/host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"

struct raft_host {
    struct event_base *base;
    struct raft_transport *tr;
    struct raft *raft;
    struct raft_storage *st;
    struct raft_host_cb cb;
    uint64_t id;
    uint64_t snapshot_every;
    uint64_t applied;
    struct event *timer;
    int64_t timer_at_ms;
    struct raft_entry *scratch; /* decode space, SK_RAFT_MSG_ENTRIES_MAX entries */
};

/* A member that cannot make its state durable must stop: carrying on would
 * let it acknowledge what it could lose. */
static void fatal(const char *what, int rc)
{
    SK_ERROR("raft_storage_failed", "op=%s err=%s", what, sk_strerror(rc));
    exit(1);
}

static void persist(struct raft_host *h, const struct raft_update *up)
{
    int rc;
    if (up->hard_state_changed && (rc = raft_storage_save_hard_state(h->st, &up->hard_state)) != SK_OK)
        fatal("hard_state", rc);
    if (up->snapshot && (rc = raft_storage_save_snapshot(h->st, up->snapshot)) != SK_OK)
        fatal("snapshot", rc);
    if (up->n_entries > 0) {
        if ((rc = raft_storage_append(h->st, up->entries, up->n_entries)) != SK_OK)
            fatal("append", rc);
        if ((rc = raft_storage_sync(h->st)) != SK_OK)
            fatal("sync", rc);
    }
}

static void apply(struct raft_host *h, const struct raft_update *up)
{
    if (up->snapshot) {
        int rc = h->cb.restore_cb(h->cb.arg, up->snapshot);
        if (rc != SK_OK)
            fatal("snapshot_restore", rc);
        h->applied = up->snapshot->index;
        SK_INFO("raft_snapshot_installed", "index=%llu", (unsigned long long)up->snapshot->index);
    }
    for (size_t i = 0; i < up->n_committed; i++) {
        h->cb.apply_cb(h->cb.arg, &up->committed[i]);
        h->applied = up->committed[i].index;
    }
}

static void schedule(struct raft_host *h, int64_t deadline_ms)
{
    if (deadline_ms == INT64_MAX || deadline_ms == h->timer_at_ms)
        return;
    int64_t wait = deadline_ms - sk_mono_ms();
    if (wait < 0)
        wait = 0;
    struct timeval tv = {.tv_sec = wait / 1000, .tv_usec = (wait % 1000) * 1000};
    evtimer_add(h->timer, &tv);
    h->timer_at_ms = deadline_ms;
}

static int step(struct raft_host *h, struct raft_event *ev, struct raft_update *copy_out);

/* Every snapshot_every applied entries.  The log is already synced (every
 * append is), so no stale tail can follow the snapshot on disk. */
static void maybe_snapshot(struct raft_host *h)
{
    uint64_t at = h->applied;
    if (h->snapshot_every == 0 || at < raft_snapshot_index(h->raft) + h->snapshot_every)
        return;
    uint8_t *img = NULL;
    size_t len = 0;
    if (h->cb.snapshot_cb(h->cb.arg, &img, &len) != SK_OK || len > SK_RAFT_SNAPSHOT_BYTES_MAX) {
        sk_free(img);
        return;
    }
    struct raft_event ev = {.type = RAFT_EVENT_SNAPSHOT_DONE};
    ev.u.snapshot.index = at;
    ev.u.snapshot.term = raft_term_at(h->raft, at);
    ev.u.snapshot.data = img;
    ev.u.snapshot.len = len;
    int rc = raft_members_at(h->raft, at, &ev.u.snapshot.members);
    if (rc == SK_OK)
        rc = raft_storage_save_snapshot(h->st, &ev.u.snapshot);
    if (rc != SK_OK)
        fatal("snapshot", rc);
    SK_INFO("raft_snapshot_taken", "index=%llu bytes=%zu", (unsigned long long)at, len);
    step(h, &ev, NULL);
    sk_free(img);
}

/* One event through the core and the update through the durability order of
 * raft.h: persist, send, apply, report PERSISTED. */
static int step(struct raft_host *h, struct raft_event *ev, struct raft_update *copy_out)
{
    struct raft_update up;
    ev->now_ms = sk_mono_ms();
    enum raft_role before = raft_role(h->raft);
    int rc = raft_step(h->raft, ev, &up);
    if (copy_out)
        *copy_out = up;
    persist(h, &up);
    /* Everything handed out is durable now, so both lists may go. */
    for (size_t i = 0; i < up.n_msgs; i++)
        raft_transport_send_raft(h->tr, &up.msgs[i]);
    for (size_t i = 0; i < up.n_msgs_after_persist; i++)
        raft_transport_send_raft(h->tr, &up.msgs_after_persist[i]);
    apply(h, &up);
    if (raft_role(h->raft) != before)
        SK_INFO("raft_role", "role=%s term=%llu leader=%llu", raft_role_name(raft_role(h->raft)),
                (unsigned long long)raft_term(h->raft), (unsigned long long)raft_leader(h->raft));
    schedule(h, up.deadline_ms);
    /* The update's pointers die with the next step: it is used no further. */
    if (up.n_entries > 0) {
        struct raft_event p = {.type = RAFT_EVENT_PERSISTED};
        p.u.persisted.index = up.entries[up.n_entries - 1].index;
        p.u.persisted.term = up.entries[up.n_entries - 1].term;
        step(h, &p, NULL);
    }
    if (ev->type != RAFT_EVENT_SNAPSHOT_DONE)
        maybe_snapshot(h);
    return rc;
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct raft_host *h = arg;
    h->timer_at_ms = -1;
    struct raft_event ev = {.type = RAFT_EVENT_TICK};
    step(h, &ev, NULL);
}

static void recv_cb(void *arg, const Skiff__Raft__Envelope *env)
{
    struct raft_host *h = arg;
    struct raft_msg m;
    memset(&m, 0, sizeof(m));
    int rc = raft_msg_decode(env->raft, &m, h->scratch);
    if (rc != SK_OK || m.to != h->id || m.from != env->sender_id) {
        SK_WARN("raft_msg_rejected", "sender=%llu err=%s", (unsigned long long)env->sender_id,
                rc != SK_OK ? sk_strerror(rc) : "misaddressed");
        return;
    }
    struct raft_event ev = {.type = RAFT_EVENT_RECEIVE};
    ev.u.msg = &m;
    step(h, &ev, NULL);
}

static int restore(struct raft_host *h, const struct raft_host_config *cfg, char *err, size_t errlen)
{
    struct raft_restore rs;
    uint64_t cut = 0;
    int rc = raft_storage_open(cfg->dir, &h->st, &rs, &cut);
    if (rc != SK_OK) {
        snprintf(err, errlen, "storage %s: %s", cfg->dir, sk_strerror(rc));
        return rc;
    }
    rc = raft_new(&cfg->raft, &rs, sk_mono_ms(), &h->raft, err, errlen);
    if (rc == SK_OK && rs.snapshot.index > 0) {
        rc = h->cb.restore_cb(h->cb.arg, &rs.snapshot);
        if (rc != SK_OK)
            snprintf(err, errlen, "snapshot in %s: %s", cfg->dir, sk_strerror(rc));
        h->applied = rs.snapshot.index;
    }
    raft_storage_restore_done(h->st);
    if (rc == SK_OK)
        SK_INFO("raft_restored", "id=%llu term=%llu last=%llu snapshot=%llu torn_bytes=%llu",
                (unsigned long long)h->id, (unsigned long long)raft_term(h->raft),
                (unsigned long long)raft_last_index(h->raft), (unsigned long long)raft_snapshot_index(h->raft),
                (unsigned long long)cut);
    return rc;
}

int raft_host_new(struct event_base *base, struct raft_transport *tr, const struct raft_host_config *cfg,
                  const struct raft_host_cb *cb, struct raft_host **out, char *err, size_t errlen)
{
    struct raft_host *h = sk_calloc(1, sizeof(*h));
    if (!h)
        return SK_ENOMEM;
    h->base = base;
    h->tr = tr;
    h->cb = *cb;
    h->id = cfg->raft.id;
    h->snapshot_every = cfg->snapshot_every;
    h->timer_at_ms = -1;
    h->scratch = sk_calloc(SK_RAFT_MSG_ENTRIES_MAX, sizeof(*h->scratch));
    h->timer = evtimer_new(base, timer_cb, h);
    int rc = h->scratch && h->timer ? restore(h, cfg, err, errlen) : SK_ENOMEM;
    if (rc != SK_OK)
        goto fail;
    raft_transport_handle(tr, SKIFF__RAFT__ENVELOPE__BODY_RAFT, recv_cb, h);
    struct raft_event ev = {.type = RAFT_EVENT_TICK};
    step(h, &ev, NULL);
    *out = h;
    return SK_OK;
fail:
    raft_host_free(h);
    return rc;
}

void raft_host_free(struct raft_host *h)
{
    if (!h)
        return;
    if (h->timer)
        event_free(h->timer);
    raft_free(h->raft);
    raft_storage_close(h->st);
    sk_free(h->scratch);
    sk_free(h);
}

int raft_host_propose(struct raft_host *h, const void *data, uint32_t len, uint64_t *index_out)
{
    struct raft_event ev = {.type = RAFT_EVENT_PROPOSE};
    ev.u.propose.data = data;
    ev.u.propose.len = len;
    struct raft_update up;
    int rc = step(h, &ev, &up);
    if (rc == SK_OK && index_out)
        *index_out = up.proposed_index;
    return rc;
}

int raft_host_transfer(struct raft_host *h, uint64_t to)
{
    struct raft_event ev = {.type = RAFT_EVENT_TRANSFER};
    ev.u.transfer_to = to;
    return step(h, &ev, NULL);
}

int raft_host_change(struct raft_host *h, uint8_t op, uint64_t id, uint64_t *index_out)
{
    struct raft_event ev = {.type = RAFT_EVENT_CHANGE};
    ev.u.change.op = op;
    ev.u.change.id = id;
    struct raft_update up;
    int rc = step(h, &ev, &up);
    if (rc == SK_OK && index_out)
        *index_out = up.proposed_index;
    return rc;
}

const struct raft *raft_host_raft(const struct raft_host *h) { return h->raft; }
uint64_t raft_host_applied(const struct raft_host *h) { return h->applied; }
