/* The simulated world: event queue, clock, network, node drivers, faults.
 * The node driver here follows the raft_update contract exactly as a real
 * driver must (persist, send, sync, send what waited for the sync, report
 * PERSISTED, apply), with the disk and network replaced by models. */
#include <assert.h>
#include <stdarg.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"
#include "raft/prng.h"
#include "tests/sim/sim.h"

struct sim_event {
    int64_t at_ms;
    uint64_t seq;
    uint8_t type;
    unsigned node;
    uint64_t incarnation;
    uint64_t batch_seq;
    struct raft_msg *msg;
};

/* --- randomness, trace, failure ------------------------------------------- */

uint64_t sim_rand(struct sim *s) { return raft_prng_next(&s->prng); }
uint64_t sim_rand_below(struct sim *s, uint64_t n) { return n ? sim_rand(s) % n : 0; }
bool sim_chance(struct sim *s, double p) { return (double)(sim_rand(s) >> 11) / (double)(1ull << 53) < p; }

void sim_trace(struct sim *s, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    /* FNV-1a over the time and the line: replaying a seed must reproduce it. */
    uint64_t h = s->trace_hash ^ (uint64_t)s->now_ms;
    for (const char *p = line; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    s->trace_hash = h;
    if (s->trace)
        fprintf(s->trace, "%8lld %s\n", (long long)s->now_ms, line);
}

void sim_fail(struct sim *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    s->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->failure, sizeof(s->failure), fmt, ap);
    va_end(ap);
    if (s->trace)
        fprintf(s->trace, "%8lld VIOLATION %s\n", (long long)s->now_ms, s->failure);
}

/* --- event queue (binary heap ordered by time, then insertion) -------------- */

static bool ev_before(const struct sim_event *a, const struct sim_event *b)
{
    return a->at_ms < b->at_ms || (a->at_ms == b->at_ms && a->seq < b->seq);
}

struct sim_event *sim_ev_new(struct sim *s, int64_t at_ms, uint8_t type, unsigned node)
{
    struct sim_event *e = sk_calloc(1, sizeof(*e));
    assert(e);
    e->at_ms = at_ms;
    e->seq = s->event_seq++;
    e->type = type;
    e->node = node;
    e->incarnation = node < s->n_nodes ? s->nodes[node].incarnation : 0;
    if (s->heap_n == s->heap_cap) {
        s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 256;
        s->heap = sk_realloc(s->heap, s->heap_cap * sizeof(*s->heap));
        assert(s->heap);
    }
    size_t i = s->heap_n++;
    while (i > 0 && ev_before(e, s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = e;
    return e;
}

static struct sim_event *ev_pop(struct sim *s)
{
    if (s->heap_n == 0)
        return NULL;
    struct sim_event *top = s->heap[0];
    struct sim_event *last = s->heap[--s->heap_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->heap_n)
            break;
        if (c + 1 < s->heap_n && ev_before(s->heap[c + 1], s->heap[c]))
            c++;
        if (!ev_before(s->heap[c], last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->heap_n > 0)
        s->heap[i] = last;
    return top;
}

static void msg_free(struct raft_msg *m)
{
    if (!m)
        return;
    sim_entries_free((struct raft_entry *)m->entries, m->n_entries);
    sk_free((void *)m->snapshot.data);
    sk_free(m);
}

static void ev_free(struct sim_event *e)
{
    msg_free(e->msg);
    sk_free(e);
}

/* --- network ------------------------------------------------------------------ */

static struct raft_msg *msg_copy(const struct raft_msg *src)
{
    struct raft_msg *m = sk_malloc(sizeof(*m));
    assert(m);
    *m = *src;
    m->entries = src->n_entries ? sim_entries_copy(src->entries, src->n_entries) : NULL;
    if (src->type == RAFT_MSG_SNAPSHOT) {
        uint8_t *d = sk_malloc(src->snapshot.len ? src->snapshot.len : 1);
        assert(d);
        if (src->snapshot.len)
            memcpy(d, src->snapshot.data, src->snapshot.len);
        m->snapshot.data = d;
    } else {
        m->snapshot.data = NULL;
    }
    return m;
}

static void net_send(struct sim *s, const struct raft_msg *m)
{
    unsigned from = (unsigned)m->from - 1, to = (unsigned)m->to - 1;
    assert(from < s->n_nodes && to < s->n_nodes);
    if (!s->link_up[from][to] || sim_chance(s, s->p.loss)) {
        sim_trace(s, "drop %s %u->%u t%llu", raft_msg_type_name(m->type), from + 1, to + 1,
                  (unsigned long long)m->term);
        return;
    }
    int copies = sim_chance(s, s->p.dup) ? 2 : 1;
    for (int i = 0; i < copies; i++) {
        int64_t delay = s->p.delay_min_ms + (int64_t)sim_rand_below(s, (uint64_t)(s->p.delay_max_ms - s->p.delay_min_ms + 1));
        struct sim_event *e = sim_ev_new(s, s->now_ms + delay, EV_DELIVER, to);
        e->msg = msg_copy(m);
    }
}

/* --- node driver ------------------------------------------------------------- */

int64_t sim_node_clock(const struct sim *s, const struct sim_node *n)
{
    return n->clock_offset_ms + s->now_ms * n->rate_ppm / 1000000;
}

void sim_node_step(struct sim *s, struct sim_node *n, struct raft_event *ev)
{
    struct raft_update up;
    ev->now_ms = sim_node_clock(s, n);
    int rc = raft_step(n->raft, ev, &up);
    if (rc == SK_ECORRUPT)
        sim_fail(s, "node %llu: raft_step reported corrupt input", (unsigned long long)n->id);
    sim_process_update(s, n, &up);
}

static void schedule_timer(struct sim *s, struct sim_node *n, int64_t deadline_ms)
{
    if (deadline_ms == INT64_MAX || deadline_ms == n->timer_deadline_ms)
        return;
    /* The first simulated instant at which the node's clock reads the deadline. */
    int64_t at = ((deadline_ms - n->clock_offset_ms) * 1000000 + n->rate_ppm - 1) / n->rate_ppm;
    while (n->clock_offset_ms + at * n->rate_ppm / 1000000 < deadline_ms)
        at++;
    n->timer_deadline_ms = deadline_ms;
    n->timer_at_ms = at < s->now_ms ? s->now_ms : at;
    sim_ev_new(s, n->timer_at_ms, EV_TICK, (unsigned)(n - s->nodes));
}

static bool persist(struct sim *s, struct sim_node *n, const struct raft_update *up)
{
    struct sim_op op;
    bool wrote = false;
    if (up->hard_state_changed) {
        memset(&op, 0, sizeof(op));
        op.kind = SIM_OP_HS;
        op.hs = up->hard_state;
        sim_disk_push(&n->disk, &op);
        wrote = true;
    }
    if (up->snapshot) {
        memset(&op, 0, sizeof(op));
        op.kind = SIM_OP_SNAP_INSTALL;
        op.snap.index = up->snapshot->index;
        op.snap.term = up->snapshot->term;
        memcpy(&op.snap.sm_hash, up->snapshot->data, sizeof(op.snap.sm_hash));
        op.snap.members = up->snapshot->members;
        sim_disk_push(&n->disk, &op);
        wrote = true;
    }
    if (up->n_entries > 0) {
        check_new_entries(s, n, up->entries, up->n_entries);
        memset(&op, 0, sizeof(op));
        op.kind = SIM_OP_ENTRIES;
        op.first = up->entries[0].index;
        op.entries = sim_entries_copy(up->entries, up->n_entries);
        op.n = up->n_entries;
        sim_disk_push(&n->disk, &op);
        wrote = true;
    }
    return wrote;
}

static void batch_add_msgs(struct sim_batch *b, const struct raft_msg *msgs, size_t count)
{
    b->after = sk_realloc(b->after, (b->n_after + count) * sizeof(*b->after));
    assert(b->after || b->n_after + count == 0);
    for (size_t i = 0; i < count; i++) {
        struct raft_msg *c = msg_copy(&msgs[i]);
        b->after[b->n_after++] = *c;
        sk_free(c);
    }
}

/* Messages that promise durability wait for the sync of every write handed
 * out so far: a new batch if this update wrote, else the newest batch. */
static void queue_after_persist(struct sim *s, struct sim_node *n, const struct raft_update *up, bool wrote)
{
    if (!wrote && !n->batches) {
        for (size_t i = 0; i < up->n_msgs_after_persist; i++)
            net_send(s, &up->msgs_after_persist[i]);
        return;
    }
    if (!wrote) {
        batch_add_msgs(n->batches_tail, up->msgs_after_persist, up->n_msgs_after_persist);
        return;
    }
    struct sim_batch *b = sk_calloc(1, sizeof(*b));
    assert(b);
    b->seq = ++n->batch_seq;
    b->ops_end = n->ops_synced_base + n->disk.n_ops;
    if (up->n_entries > 0) {
        b->persisted_index = up->entries[up->n_entries - 1].index;
        b->persisted_term = up->entries[up->n_entries - 1].term;
    }
    batch_add_msgs(b, up->msgs_after_persist, up->n_msgs_after_persist);
    if (n->batches_tail)
        n->batches_tail->next = b;
    else
        n->batches = b;
    n->batches_tail = b;
    /* Syncs complete in order, each after a random disk latency. */
    int64_t at = s->now_ms + 1 + (int64_t)sim_rand_below(s, (uint64_t)s->p.sync_max_ms);
    if (at < n->sync_at_ms)
        at = n->sync_at_ms;
    n->sync_at_ms = at;
    struct sim_event *e = sim_ev_new(s, at, EV_SYNC, (unsigned)(n - s->nodes));
    e->batch_seq = b->seq;
    /* The most dangerous moment for durability is between a write (and the
     * messages sent alongside it) and its sync: aim some crashes there. */
    if (!s->healed && sim_chance(s, s->p.p_crash_unsynced))
        sim_ev_new(s, s->now_ms + (int64_t)sim_rand_below(s, (uint64_t)(at - s->now_ms)), EV_CRASH,
               (unsigned)(n - s->nodes));
}

static void apply_committed(struct sim *s, struct sim_node *n, const struct raft_update *up)
{
    if (up->snapshot) {
        uint64_t h;
        memcpy(&h, up->snapshot->data, sizeof(h));
        n->sm_index = up->snapshot->index;
        n->sm_hash = h;
        check_snapshot_applied(s, n, n->sm_index, h);
    }
    for (size_t i = 0; i < up->n_committed; i++) {
        const struct raft_entry *e = &up->committed[i];
        if (e->index != n->sm_index + 1) {
            sim_fail(s, "node %llu applied index %llu after %llu", (unsigned long long)n->id,
                     (unsigned long long)e->index, (unsigned long long)n->sm_index);
            return;
        }
        uint64_t id = sim_entry_id(e);
        n->sm_hash = sim_hash_mix(n->sm_hash, e->term, id);
        n->sm_index = e->index;
        check_applied(s, n, e, n->sm_hash);
        struct sim_pending *p = id && id < s->pending_cap ? &s->pending[id] : NULL;
        if (p && p->node == (unsigned)(n - s->nodes) && p->incarnation == n->incarnation && p->index == e->index) {
            check_acked(s, id, e->index);
            sim_trace(s, "ack id=%llu index=%llu node=%llu", (unsigned long long)id, (unsigned long long)e->index,
                      (unsigned long long)n->id);
        }
    }
}

static void maybe_snapshot(struct sim *s, struct sim_node *n)
{
    /* Only with the log durable: a snapshot made durable while a truncation
     * of the log is still unsynced would, after a crash, be followed by the
     * stale entries that truncation removed. */
    if (n->sm_index < raft_snapshot_index(n->raft) + n->snapshot_every || n->disk.n_ops > 0)
        return;
    struct sim_snap snap = {n->sm_index, raft_term_at(n->raft, n->sm_index), n->sm_hash, {{0}, {0}, 0, 0}};
    if (raft_members_at(n->raft, snap.index, &snap.members) != SK_OK) {
        sim_fail(s, "node %llu: no member list at applied index %llu", (unsigned long long)n->id,
                 (unsigned long long)snap.index);
        return;
    }
    sim_disk_snapshot(&n->disk, &snap);
    struct raft_event ev = {.type = RAFT_EVENT_SNAPSHOT_DONE};
    ev.u.snapshot.index = snap.index;
    ev.u.snapshot.term = snap.term;
    ev.u.snapshot.data = (const uint8_t *)&snap.sm_hash;
    ev.u.snapshot.len = sizeof(snap.sm_hash);
    ev.u.snapshot.members = snap.members;
    sim_trace(s, "snapshot node=%llu index=%llu", (unsigned long long)n->id, (unsigned long long)snap.index);
    sim_node_step(s, n, &ev);
}

void sim_process_update(struct sim *s, struct sim_node *n, const struct raft_update *up)
{
    bool wrote = persist(s, n, up);
    for (size_t i = 0; i < up->n_msgs; i++)
        net_send(s, &up->msgs[i]);
    queue_after_persist(s, n, up, wrote);
    apply_committed(s, n, up);
    schedule_timer(s, n, up->deadline_ms);
    maybe_snapshot(s, n);
}

static void node_sync(struct sim *s, struct sim_node *n, uint64_t seq)
{
    while (n->batches && n->batches->seq <= seq && n->up) {
        struct sim_batch *b = n->batches;
        n->batches = b->next;
        if (!n->batches)
            n->batches_tail = NULL;
        sim_disk_sync(&n->disk, b->ops_end - n->ops_synced_base);
        n->ops_synced_base = b->ops_end;
        for (size_t i = 0; i < b->n_after; i++)
            net_send(s, &b->after[i]);
        for (size_t i = 0; i < b->n_after; i++) {
            sim_entries_free((struct raft_entry *)b->after[i].entries, b->after[i].n_entries);
            sk_free((void *)b->after[i].snapshot.data);
        }
        sk_free(b->after);
        uint64_t pi = b->persisted_index, pt = b->persisted_term;
        sk_free(b);
        if (pi) {
            struct raft_event ev = {.type = RAFT_EVENT_PERSISTED};
            ev.u.persisted.index = pi;
            ev.u.persisted.term = pt;
            sim_node_step(s, n, &ev);
        }
    }
}

static void free_batches(struct sim_node *n)
{
    while (n->batches) {
        struct sim_batch *b = n->batches;
        n->batches = b->next;
        for (size_t i = 0; i < b->n_after; i++) {
            sim_entries_free((struct raft_entry *)b->after[i].entries, b->after[i].n_entries);
            sk_free((void *)b->after[i].snapshot.data);
        }
        sk_free(b->after);
        sk_free(b);
    }
    n->batches_tail = NULL;
}

static void node_config(struct sim *s, struct sim_node *n, struct raft_config *c)
{
    raft_config_default(c);
    c->id = n->id;
    /* The initial config; a spare also lists itself, as an observer, until
     * a membership change brings it in for real. */
    for (unsigned i = 0; i < s->n_nodes; i++) {
        if (s->nodes[i].voter)
            c->voters[c->n_voters++] = s->nodes[i].id;
        else if (!s->nodes[i].spare || &s->nodes[i] == n)
            c->observers[c->n_observers++] = s->nodes[i].id;
    }
    c->election_timeout_ms = s->p.election_timeout_ms;
    c->heartbeat_interval_ms = s->p.election_timeout_ms / 6;
    c->max_msg_bytes = 8 + (uint32_t)(s->seed % 7) * 16;
    c->max_inflight_msgs = 1 + (uint32_t)(s->seed % 8);
    c->max_msg_entries = s->seed % 3 ? 1024 : 1 + (uint32_t)(s->seed / 3 % 2);
    c->max_uncommitted_entries = 1000;
    /* Some runs go without PreVote or CheckQuorum: more disruptive
     * elections, and the core must stay safe without either. */
    c->pre_vote = s->seed % 5 != 1;
    c->check_quorum = s->seed % 7 != 2;
    c->seed = sim_rand(s);
}

void sim_node_start(struct sim *s, struct sim_node *n)
{
    struct raft_config cfg;
    node_config(s, n, &cfg);
    uint64_t hash = n->disk.snap.sm_hash;
    struct raft_restore rs = {.hs = n->disk.hs, .entries = n->disk.ents, .n_entries = n->disk.n};
    rs.snapshot.index = n->disk.snap.index;
    rs.snapshot.term = n->disk.snap.term;
    rs.snapshot.data = (const uint8_t *)&hash;
    rs.snapshot.len = sizeof(hash);
    rs.snapshot.members = n->disk.snap.members;
    char err[256];
    int rc = raft_new(&cfg, &rs, sim_node_clock(s, n), &n->raft, err, sizeof(err));
    if (rc != SK_OK) {
        sim_fail(s, "node %llu failed to restart: %s", (unsigned long long)n->id, err);
        return;
    }
    n->up = true;
    n->ops_synced_base = 0;
    n->sync_at_ms = 0;
    n->timer_at_ms = -1;
    n->timer_deadline_ms = -1;
    n->sm_index = n->disk.snap.index;
    n->sm_hash = hash;
    n->last_commit = raft_commit(n->raft);
    n->last_role = RAFT_FOLLOWER;
    struct raft_event ev = {.type = RAFT_EVENT_TICK};
    sim_node_step(s, n, &ev);
}

void sim_node_crash(struct sim *s, struct sim_node *n)
{
    bool torn;
    raft_free(n->raft);
    n->raft = NULL;
    free_batches(n);
    sim_disk_crash(&n->disk, &s->prng, &torn);
    n->up = false;
    n->incarnation++;
    sim_trace(s, "crash node=%llu torn=%d durable_last=%llu term=%llu vote=%llu", (unsigned long long)n->id, torn,
              (unsigned long long)(n->disk.snap.index + n->disk.n), (unsigned long long)n->disk.hs.term,
              (unsigned long long)n->disk.hs.vote);
}


/* --- the run ----------------------------------------------------------------------- */

static void handle(struct sim *s, struct sim_event *e)
{
    struct sim_node *n = e->node < s->n_nodes ? &s->nodes[e->node] : NULL;
    bool live = n && n->up && n->incarnation == e->incarnation;
    switch (e->type) {
    case EV_TICK:
        if (live && e->at_ms == n->timer_at_ms) {
            struct raft_event ev = {.type = RAFT_EVENT_TICK};
            n->timer_at_ms = -1;
            n->timer_deadline_ms = -1;
            sim_node_step(s, n, &ev);
        }
        break;
    case EV_DELIVER:
        if (n && n->up) {
            s->msgs_delivered++;
            sim_trace(s, "recv %s %llu->%llu t%llu i%llu lt%llu c%llu n%u rej%d", raft_msg_type_name(e->msg->type),
                      (unsigned long long)e->msg->from, (unsigned long long)e->msg->to,
                      (unsigned long long)e->msg->term, (unsigned long long)e->msg->index,
                      (unsigned long long)e->msg->log_term, (unsigned long long)e->msg->commit, e->msg->n_entries,
                      e->msg->reject);
            struct raft_event ev = {.type = RAFT_EVENT_RECEIVE};
            ev.u.msg = e->msg;
            sim_node_step(s, n, &ev);
        }
        break;
    case EV_SYNC:
        if (live)
            node_sync(s, n, e->batch_seq);
        break;
    case EV_PROPOSE:
        sim_propose(s);
        break;
    case EV_FAULT:
        sim_fault(s);
        break;
    case EV_HEAL:
        sim_heal(s);
        break;
    case EV_CRASH:
        if (live && !s->healed) {
            sim_node_crash(s, n);
            if (sim_chance(s, 0.7))
                sim_ev_new(s, s->now_ms + (int64_t)sim_rand_below(s, (uint64_t)s->p.reboot_max_ms + 1), EV_RESTART,
                       e->node);
        }
        break;
    case EV_RESTART:
        if (n && !n->up && n->incarnation == e->incarnation) {
            sim_trace(s, "reboot node=%llu", (unsigned long long)n->id);
            sim_node_start(s, n);
        }
        break;
    }
}

static void trace_roles(struct sim *s)
{
    for (unsigned i = 0; i < s->n_nodes; i++) {
        struct sim_node *n = &s->nodes[i];
        if (n->up && raft_role(n->raft) != n->last_role)
            sim_trace(s, "role node=%llu %s term=%llu last=%llu commit=%llu", (unsigned long long)n->id,
                      raft_role_name(raft_role(n->raft)), (unsigned long long)raft_term(n->raft),
                      (unsigned long long)raft_last_index(n->raft), (unsigned long long)raft_commit(n->raft));
    }
}

static bool all_applied(struct sim *s, uint64_t index)
{
    for (unsigned i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].up && sim_is_member(s, &s->nodes[i]) && s->nodes[i].sm_index < index)
            return false;
    return true;
}

static void params(struct sim *s, unsigned n_nodes)
{
    struct sim_params *p = &s->p;
    p->n_voters = n_nodes;
    /* One run in four adds an observer. */
    p->n_observers = n_nodes < SIM_NODES_MAX && sim_chance(s, 0.25) ? 1 : 0;
    p->loss = sim_chance(s, 0.3) ? 0 : (double)sim_rand_below(s, 20) / 100.0;
    p->dup = (double)sim_rand_below(s, 6) / 100.0;
    p->delay_min_ms = 1 + (int64_t)sim_rand_below(s, 5);
    static const uint32_t timeouts[] = {100, 150, 300, 300};
    p->election_timeout_ms = timeouts[sim_rand_below(s, 4)];
    p->delay_max_ms = p->delay_min_ms + (int64_t)sim_rand_below(s, sim_chance(s, 0.2) ? 150 : 60);
    p->reboot_max_ms = 1 + (int64_t)sim_rand_below(s, 100);
    p->p_crash_unsynced = (double)sim_rand_below(s, 100) / 1000.0;
    p->drift_ppm_max = (int64_t)sim_rand_below(s, 20001);
    /* A third of the runs change membership: spares join as observers or
     * voters, observers are promoted, members (the leader too) leave.  Not
     * in runs with both PreVote and CheckQuorum off: without either, a
     * removed server that missed its removal disrupts the cluster forever
     * (thesis §4.2.3), which is a liveness limit of Raft, not a bug. */
    bool guarded = s->seed % 5 != 1 || s->seed % 7 != 2;
    if (sim_chance(s, 0.33) && guarded) {
        p->p_change = 0.1 + (double)sim_rand_below(s, 30) / 100.0;
        unsigned room = SIM_NODES_MAX - p->n_voters - p->n_observers;
        p->n_spares = room < 2 ? room : 1 + (unsigned)sim_rand_below(s, 2);
    }
    /* Raft's timing requirement (§3.4): a vote round (two syncs, two
     * delays) must fit well inside an election timeout, or elections split
     * forever.  Keep the disk within a tenth of the timeout. */
    p->sync_max_ms = 1 + (int64_t)sim_rand_below(s, p->election_timeout_ms / 10);
    p->chaos_ms = 2000 + (int64_t)sim_rand_below(s, 10000);
    p->liveness_ms = 15000;
    p->fault_every_ms = 20 + (int64_t)sim_rand_below(s, 300);
    p->propose_every_ms = 10 + (int64_t)sim_rand_below(s, 40);
    p->p_crash = 0.15 + (double)sim_rand_below(s, 20) / 100.0;
    p->p_partition = (double)sim_rand_below(s, 100) / 100.0;
    p->p_transfer = (double)sim_rand_below(s, 100) / 100.0;
}

static void sim_setup(struct sim *s, uint64_t seed, unsigned n_nodes, FILE *trace)
{
    memset(s, 0, sizeof(*s));
    s->seed = seed;
    s->prng = seed * 0x9E3779B97F4A7C15ull + 1;
    s->trace = trace;
    s->trace_hash = 0xcbf29ce484222325ull;
    s->next_proposal_id = 1;
    params(s, n_nodes);
    s->n_nodes = s->p.n_voters + s->p.n_observers + s->p.n_spares;
    sim_links_all(s, true);
    check_init(s);
    for (unsigned i = 0; i < s->n_nodes; i++) {
        struct sim_node *n = &s->nodes[i];
        n->id = i + 1;
        n->voter = i < s->p.n_voters;
        n->spare = i >= s->p.n_voters + s->p.n_observers;
        n->snapshot_every = 8 + sim_rand_below(s, 64);
        n->clock_offset_ms = (int64_t)sim_rand_below(s, 1000000);
        n->rate_ppm = 1000000 - s->p.drift_ppm_max + (int64_t)sim_rand_below(s, (uint64_t)s->p.drift_ppm_max * 2 + 1);
    }
    sim_trace(s, "seed=%llu voters=%u observers=%u loss=%.2f dup=%.2f delay=%lld..%lld sync<=%lld chaos=%lld",
              (unsigned long long)seed, s->p.n_voters, s->p.n_observers, s->p.loss, s->p.dup,
              (long long)s->p.delay_min_ms, (long long)s->p.delay_max_ms, (long long)s->p.sync_max_ms,
              (long long)s->p.chaos_ms);
    for (unsigned i = 0; i < s->n_nodes; i++)
        sim_node_start(s, &s->nodes[i]);
    sim_ev_new(s, 1, EV_PROPOSE, 0);
    sim_ev_new(s, s->p.fault_every_ms, EV_FAULT, 0);
    sim_ev_new(s, s->p.chaos_ms, EV_HEAL, 0);
}

static void sim_teardown(struct sim *s)
{
    for (unsigned i = 0; i < s->n_nodes; i++) {
        raft_free(s->nodes[i].raft);
        free_batches(&s->nodes[i]);
        sim_disk_free(&s->nodes[i].disk);
    }
    struct sim_event *e;
    while ((e = ev_pop(s)) != NULL)
        ev_free(e);
    sk_free(s->heap);
    sk_free(s->pending);
    check_free(s);
}

void sim_run(uint64_t seed, unsigned n_nodes, FILE *trace, struct sim_result *res)
{
    static struct sim sim;
    struct sim *s = &sim;
    sim_setup(s, seed, n_nodes, trace);
    /* Bounded in events as well as simulated time. */
    for (uint64_t k = 0; k < 5000000 && !s->failed && !s->done; k++) {
        struct sim_event *e = ev_pop(s);
        if (!e)
            break;
        s->now_ms = e->at_ms;
        s->events++;
        handle(s, e);
        ev_free(e);
        check_after_step(s);
        trace_roles(s);
        for (unsigned i = 0; i < s->n_nodes; i++)
            if (s->nodes[i].up)
                s->nodes[i].last_role = raft_role(s->nodes[i].raft);
        if (s->healed && s->live_target && all_applied(s, s->live_target) && all_applied(s, s->acked_max_index))
            s->done = true;
        else if (s->healed && s->now_ms > s->healed_at_ms + s->p.liveness_ms)
            sim_fail(s, "liveness: %lld ms after healing, target index %llu not applied on every node",
                     (long long)s->p.liveness_ms, (unsigned long long)s->live_target);
    }
    if (!s->failed && !s->done)
        sim_fail(s, "run ended without reaching the liveness target");
    if (!s->failed)
        check_final(s);
    res->ok = !s->failed;
    memcpy(res->failure, s->failure, sizeof(res->failure));
    res->trace_hash = s->trace_hash;
    res->events = s->events;
    res->sim_ms = s->now_ms;
    res->recovery_ms = s->done ? s->now_ms - s->healed_at_ms : -1;
    res->committed = s->committed_max;
    res->acked = s->n_acked;
    sim_teardown(s);
}
