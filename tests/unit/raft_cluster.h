/* A small hand-driven Raft cluster for scenario tests: messages queue in one
 * FIFO and are delivered only when a test says so, storage is synchronous,
 * and every delivery, role change and apply is written to a trace that the
 * test compares with a golden file in tests/sim/golden/ (after etcd-raft's
 * interaction tests).  Set RAFT_GOLDEN_UPDATE=1 to rewrite the files.
 * Header-only (static functions) so it is not linked into unrelated tests. */
#ifndef TESTS_UNIT_RAFT_CLUSTER_H
#define TESTS_UNIT_RAFT_CLUSTER_H

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"
#include "raft/raft.h"

#define TC_NODES_MAX 7
#define TC_QUEUE_MAX 4096
#define TC_LOG_MAX 512

struct tc_node {
    struct raft *r;
    bool up;
    /* Durable state, written synchronously. */
    struct raft_hard_state hs;
    struct raft_entry log[TC_LOG_MAX]; /* log[i] holds index snap_index+1+i */
    size_t n_log;
    uint64_t snap_index, snap_term;
    uint8_t snap_data[64];
    size_t snap_len;
    struct raft_members snap_members;
    /* Applied entries: payload text by index ("" for noops). */
    char applied[TC_LOG_MAX][16];
    uint64_t applied_term[TC_LOG_MAX];
    uint64_t applied_index;
    int64_t deadline_ms; /* on this node's clock */
    int64_t skew_ms;     /* this node's clock minus the cluster's */
    enum raft_role last_role;
};

struct tc_qmsg {
    struct raft_msg m;
    struct raft_entry ents[64];
    uint8_t data[64][48]; /* enough for a config entry of up to 5 members */
    uint8_t snap[64];
};

struct tc {
    /* When nonzero, half the raft_steps run with allocations failing after
     * 0-3 more succeed (chosen by this xorshift state): the core must survive
     * SK_ENOMEM without breaking safety. */
    uint64_t inject;
    unsigned n;
    struct tc_node nodes[TC_NODES_MAX];
    struct raft_config base;
    int64_t now_ms;
    struct tc_qmsg *q;
    size_t q_head, q_tail;
    bool cut[TC_NODES_MAX + 1][TC_NODES_MAX + 1];
    char *trace;
    size_t trace_len;
    FILE *tf;
};

static inline void tc_trace(struct tc *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void tc_trace(struct tc *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(t->tf, fmt, ap);
    va_end(ap);
    fputc('\n', t->tf);
    if (getenv("RAFT_TRACE")) {
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
}

static inline void tc_enqueue(struct tc *t, const struct raft_msg *m)
{
    ck_assert_uint_lt(t->q_tail, TC_QUEUE_MAX);
    ck_assert_uint_le(m->n_entries, 64);
    struct tc_qmsg *qm = &t->q[t->q_tail++];
    qm->m = *m;
    for (uint32_t i = 0; i < m->n_entries; i++) {
        qm->ents[i] = m->entries[i];
        ck_assert_uint_le(m->entries[i].len, sizeof(qm->data[0]));
        if (m->entries[i].len)
            memcpy(qm->data[i], m->entries[i].data, m->entries[i].len);
        qm->ents[i].data = qm->data[i];
    }
    qm->m.entries = qm->ents;
    if (m->type == RAFT_MSG_SNAPSHOT) {
        ck_assert_uint_le(m->snapshot.len, sizeof(qm->snap));
        memcpy(qm->snap, m->snapshot.data, m->snapshot.len);
        qm->m.snapshot.data = qm->snap;
    }
}

static inline void tc_step(struct tc *t, unsigned id, struct raft_event *ev);

static inline void tc_inject_begin(struct tc *t)
{
    if (!t->inject)
        return;
    t->inject ^= t->inject << 13;
    t->inject ^= t->inject >> 7;
    t->inject ^= t->inject << 17;
    if (t->inject & 8)
        sk_alloc_fail_after((long)(t->inject & 3));
}

static inline void tc_log_truncate(struct tc_node *n, size_t keep)
{
    for (size_t k = keep; k < n->n_log; k++)
        sk_free(n->log[k].data);
    if (keep < n->n_log)
        n->n_log = keep;
}

static inline void tc_persist(struct tc_node *n, const struct raft_update *up)
{
    if (up->hard_state_changed)
        n->hs = up->hard_state;
    if (up->snapshot) {
        n->snap_index = up->snapshot->index;
        n->snap_term = up->snapshot->term;
        n->snap_len = up->snapshot->len;
        n->snap_members = up->snapshot->members;
        memcpy(n->snap_data, up->snapshot->data, up->snapshot->len);
        tc_log_truncate(n, 0);
    }
    if (up->n_entries > 0)
        tc_log_truncate(n, (size_t)(up->entries[0].index - n->snap_index - 1));
    for (size_t i = 0; i < up->n_entries; i++) {
        const struct raft_entry *e = &up->entries[i];
        size_t slot = (size_t)(e->index - n->snap_index - 1);
        ck_assert_uint_lt(slot, TC_LOG_MAX);
        n->log[slot] = *e;
        n->log[slot].data = NULL;
        if (e->len) {
            n->log[slot].data = sk_malloc(e->len);
            memcpy(n->log[slot].data, e->data, e->len);
        }
        n->n_log = slot + 1;
    }
}

static inline void tc_apply(struct tc *t, unsigned id, const struct raft_update *up)
{
    struct tc_node *n = &t->nodes[id - 1];
    if (up->snapshot) {
        /* The test state machine's image is the text of the last entry. */
        n->applied_index = up->snapshot->index;
        tc_trace(t, "%u applies snapshot index=%llu term=%llu", id, (unsigned long long)up->snapshot->index,
                 (unsigned long long)up->snapshot->term);
    }
    for (size_t i = 0; i < up->n_committed; i++) {
        const struct raft_entry *e = &up->committed[i];
        ck_assert_uint_eq(e->index, n->applied_index + 1);
        ck_assert_uint_lt(e->index, TC_LOG_MAX);
        bool text = e->type == RAFT_ENTRY_NORMAL;
        snprintf(n->applied[e->index], sizeof(n->applied[0]), "%.*s", text ? (int)e->len : 0,
                 (const char *)e->data);
        n->applied_term[e->index] = e->term;
        n->applied_index = e->index;
        tc_trace(t, "%u applies %llu/%llu %s", id, (unsigned long long)e->index, (unsigned long long)e->term,
                 text ? n->applied[e->index] : e->type == RAFT_ENTRY_NOOP ? "(noop)" : "(config)");
    }
}

static inline void tc_process(struct tc *t, unsigned id, const struct raft_update *up)
{
    struct tc_node *n = &t->nodes[id - 1];
    tc_persist(n, up);
    for (size_t i = 0; i < up->n_msgs; i++)
        tc_enqueue(t, &up->msgs[i]);
    /* Storage is synchronous, so what waited for it may go at once. */
    for (size_t i = 0; i < up->n_msgs_after_persist; i++)
        tc_enqueue(t, &up->msgs_after_persist[i]);
    n->deadline_ms = up->deadline_ms;
    tc_apply(t, id, up);
    enum raft_role role = raft_role(n->r);
    if (role != n->last_role)
        tc_trace(t, "%u becomes %s term=%llu", id, raft_role_name(role), (unsigned long long)raft_term(n->r));
    n->last_role = role;
    if (up->n_entries > 0) {
        struct raft_event ev = {.type = RAFT_EVENT_PERSISTED};
        ev.u.persisted.index = up->entries[up->n_entries - 1].index;
        ev.u.persisted.term = up->entries[up->n_entries - 1].term;
        tc_step(t, id, &ev);
    }
}

static inline void tc_step(struct tc *t, unsigned id, struct raft_event *ev)
{
    struct tc_node *n = &t->nodes[id - 1];
    ck_assert(n->up);
    struct raft_update up;
    ev->now_ms = t->now_ms + n->skew_ms;
    tc_inject_begin(t);
    int rc = raft_step(n->r, ev, &up);
    sk_alloc_fail_after(-1);
    ck_assert(rc == SK_OK || ev->type == RAFT_EVENT_PROPOSE || ev->type == RAFT_EVENT_TRANSFER ||
              (t->inject && rc == SK_ENOMEM));
    tc_process(t, id, &up);
}

static inline void tc_start(struct tc *t, unsigned id)
{
    struct tc_node *n = &t->nodes[id - 1];
    struct raft_config c = t->base;
    c.id = id;
    c.seed = id * 7919;
    struct raft_restore rs = {.hs = n->hs, .entries = n->log, .n_entries = n->n_log};
    rs.snapshot.index = n->snap_index;
    rs.snapshot.term = n->snap_term;
    rs.snapshot.data = n->snap_data;
    rs.snapshot.len = n->snap_len;
    rs.snapshot.members = n->snap_members;
    char err[128];
    ck_assert_int_eq(raft_new(&c, &rs, t->now_ms, &n->r, err, sizeof(err)), SK_OK);
    n->up = true;
    n->last_role = RAFT_FOLLOWER;
    n->applied_index = n->snap_index;
    struct raft_event ev = {.type = RAFT_EVENT_TICK};
    tc_step(t, id, &ev);
}

static inline void tc_crash(struct tc *t, unsigned id)
{
    struct tc_node *n = &t->nodes[id - 1];
    raft_free(n->r);
    n->r = NULL;
    n->up = false;
    tc_trace(t, "%u crashes", id);
}

static inline void tc_init(struct tc *t, unsigned voters, unsigned observers, bool pre_vote, bool check_quorum)
{
    memset(t, 0, sizeof(*t));
    t->n = voters + observers;
    t->q = sk_calloc(TC_QUEUE_MAX, sizeof(*t->q));
    t->tf = open_memstream(&t->trace, &t->trace_len);
    raft_config_default(&t->base);
    for (unsigned i = 1; i <= voters; i++)
        t->base.voters[t->base.n_voters++] = i;
    for (unsigned i = voters + 1; i <= t->n; i++)
        t->base.observers[t->base.n_observers++] = i;
    t->base.election_timeout_ms = 1000;
    t->base.heartbeat_interval_ms = 100;
    t->base.pre_vote = pre_vote;
    t->base.check_quorum = check_quorum;
    t->now_ms = 1;
    for (unsigned i = 1; i <= t->n; i++)
        tc_start(t, i);
}

/* Delivers queued messages in order (new ones join the end) until the queue
 * is empty or `stop` says so after a delivery; messages over cut links or to
 * crashed nodes are dropped.  Returns true if `stop` fired. */
static inline bool tc_deliver_until(struct tc *t, bool (*stop)(struct tc *t, const struct raft_msg *m))
{
    for (unsigned k = 0; k < TC_QUEUE_MAX && t->q_head < t->q_tail; k++) {
        struct tc_qmsg *qm = &t->q[t->q_head++];
        const struct raft_msg *m = &qm->m;
        struct tc_node *to = &t->nodes[m->to - 1];
        bool drop = t->cut[m->from][m->to] || !to->up;
        tc_trace(t, "%llu->%llu %s term=%llu index=%llu log_term=%llu commit=%llu entries=%u%s%s",
                 (unsigned long long)m->from, (unsigned long long)m->to, raft_msg_type_name(m->type),
                 (unsigned long long)m->term, (unsigned long long)m->index, (unsigned long long)m->log_term,
                 (unsigned long long)m->commit, m->n_entries, m->reject ? " reject" : "", drop ? " DROPPED" : "");
        if (drop)
            continue;
        struct raft_event ev = {.type = RAFT_EVENT_RECEIVE};
        ev.u.msg = m;
        tc_step(t, (unsigned)m->to, &ev);
        if (stop && stop(t, m))
            return true;
    }
    if (t->q_head == t->q_tail)
        t->q_head = t->q_tail = 0;
    return false;
}

static inline void tc_deliver_all(struct tc *t)
{
    tc_deliver_until(t, NULL);
    ck_assert_uint_eq(t->q_head, t->q_tail);
}

/* Drops everything queued (a crash of the senders, or a lossy moment). */
static inline void tc_drop_all(struct tc *t)
{
    if (t->q_head < t->q_tail)
        tc_trace(t, "drops %zu queued messages", t->q_tail - t->q_head);
    t->q_head = t->q_tail = 0;
}

/* Ticks node id at its next deadline (a heartbeat for a leader). */
static inline void tc_tick(struct tc *t, unsigned id)
{
    struct tc_node *n = &t->nodes[id - 1];
    if (n->deadline_ms - n->skew_ms > t->now_ms)
        t->now_ms = n->deadline_ms - n->skew_ms;
    struct raft_event ev = {.type = RAFT_EVENT_TICK};
    tc_step(t, id, &ev);
}

/* Moves node id's own clock to its election deadline and ticks it: its
 * timer fires while every other node's clock stays where it was (Raft needs
 * no synchronized clocks, so a skewed one is a fair way to pick who times
 * out first). */
static inline void tc_timeout(struct tc *t, unsigned id)
{
    struct tc_node *n = &t->nodes[id - 1];
    if (n->deadline_ms > t->now_ms + n->skew_ms)
        n->skew_ms = n->deadline_ms - t->now_ms;
    tc_trace(t, "%u times out at %lld", id, (long long)t->now_ms);
    struct raft_event ev = {.type = RAFT_EVENT_TICK};
    tc_step(t, id, &ev);
}

/* Advances the clock by ms, ticking every node at each of its deadlines and
 * delivering messages in between (a quiet, healthy network). */
static inline void tc_run(struct tc *t, int64_t ms)
{
    int64_t end = t->now_ms + ms;
    for (unsigned k = 0; k < 100000; k++) {
        int64_t next = end;
        unsigned who = 0;
        for (unsigned i = 1; i <= t->n; i++)
            if (t->nodes[i - 1].up && t->nodes[i - 1].deadline_ms - t->nodes[i - 1].skew_ms < next) {
                next = t->nodes[i - 1].deadline_ms - t->nodes[i - 1].skew_ms;
                who = i;
            }
        if (who == 0)
            break;
        t->now_ms = next;
        struct raft_event ev = {.type = RAFT_EVENT_TICK};
        tc_step(t, who, &ev);
        tc_deliver_all(t);
    }
    t->now_ms = end;
}

static inline uint64_t tc_propose(struct tc *t, unsigned id, const char *text)
{
    struct raft_event ev = {.type = RAFT_EVENT_PROPOSE};
    ev.u.propose.data = (const uint8_t *)text;
    ev.u.propose.len = (uint32_t)strlen(text);
    ev.now_ms = t->now_ms + t->nodes[id - 1].skew_ms;
    struct raft_update up;
    tc_inject_begin(t);
    int rc = raft_step(t->nodes[id - 1].r, &ev, &up);
    sk_alloc_fail_after(-1);
    tc_trace(t, "%u proposes %s: %s index=%llu", id, text, sk_strerror(rc), (unsigned long long)up.proposed_index);
    tc_process(t, id, &up);
    return rc == SK_OK ? up.proposed_index : 0;
}

/* Asks node id to change membership; returns the raft_step result. */
static inline int tc_change(struct tc *t, unsigned id, uint8_t op, uint64_t who)
{
    struct raft_event ev = {.type = RAFT_EVENT_CHANGE};
    ev.u.change.op = op;
    ev.u.change.id = who;
    ev.now_ms = t->now_ms + t->nodes[id - 1].skew_ms;
    struct raft_update up;
    int rc = raft_step(t->nodes[id - 1].r, &ev, &up);
    tc_trace(t, "%u changes membership op=%u id=%llu: %s index=%llu", id, op, (unsigned long long)who,
             sk_strerror(rc), (unsigned long long)up.proposed_index);
    tc_process(t, id, &up);
    return rc;
}

static inline bool tc_is_voter(struct tc *t, unsigned node, uint64_t id)
{
    const struct raft_members *m = raft_members(t->nodes[node - 1].r);
    for (unsigned i = 0; i < m->n_voters; i++)
        if (m->voters[i] == id)
            return true;
    return false;
}

static inline void tc_cut(struct tc *t, unsigned a, unsigned b, bool cut)
{
    t->cut[a][b] = t->cut[b][a] = cut;
}

static inline void tc_isolate(struct tc *t, unsigned id, bool cut)
{
    for (unsigned i = 1; i <= t->n; i++)
        if (i != id)
            tc_cut(t, id, i, cut);
}

static inline unsigned tc_leader(struct tc *t)
{
    unsigned leader = 0;
    for (unsigned i = 1; i <= t->n; i++)
        if (t->nodes[i - 1].up && raft_role(t->nodes[i - 1].r) == RAFT_LEADER) {
            ck_assert_msg(leader == 0 || raft_term(t->nodes[i - 1].r) != raft_term(t->nodes[leader - 1].r),
                          "two leaders in one term");
            if (leader == 0 || raft_term(t->nodes[i - 1].r) > raft_term(t->nodes[leader - 1].r))
                leader = i;
        }
    return leader;
}

/* Compares the trace with tests/sim/golden/<name>.txt (or rewrites it). */
static inline void tc_golden(struct tc *t, const char *name)
{
    fflush(t->tf);
    char path[256];
    snprintf(path, sizeof(path), "tests/sim/golden/%s.txt", name);
    if (getenv("RAFT_GOLDEN_UPDATE")) {
        FILE *f = fopen(path, "w");
        ck_assert_msg(f != NULL, "cannot write %s", path);
        fwrite(t->trace, 1, t->trace_len, f);
        fclose(f);
        return;
    }
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "missing golden trace %s (run with RAFT_GOLDEN_UPDATE=1)", path);
    char *want = sk_malloc(t->trace_len + 2);
    size_t got = fread(want, 1, t->trace_len + 1, f);
    fclose(f);
    bool same = got == t->trace_len && memcmp(want, t->trace, got) == 0;
    if (!same) {
        /* Point at the first differing line to make the diff readable. */
        size_t i = 0, line = 1;
        while (i < got && i < t->trace_len && want[i] == t->trace[i])
            line += want[i++] == '\n';
        fprintf(stderr, "%s differs from the golden trace at line %zu\n--- got:\n%s\n", path, line, t->trace);
    }
    sk_free(want);
    ck_assert_msg(same, "trace differs from %s", path);
}

/* The application snapshots node id's state at `index` (<= applied). */
static inline void tc_snapshot(struct tc *t, unsigned id, uint64_t index)
{
    struct tc_node *n = &t->nodes[id - 1];
    struct raft_event ev = {.type = RAFT_EVENT_SNAPSHOT_DONE};
    ev.u.snapshot.index = index;
    ev.u.snapshot.term = raft_term_at(n->r, index);
    ev.u.snapshot.data = (const uint8_t *)n->applied[index];
    ev.u.snapshot.len = strlen(n->applied[index]);
    ck_assert_int_eq(raft_members_at(n->r, index, &ev.u.snapshot.members), SK_OK);
    /* Durable first: the snapshot file, then the log below it goes. */
    size_t drop = (size_t)(index - n->snap_index);
    for (size_t k = 0; k < drop && k < n->n_log; k++)
        sk_free(n->log[k].data);
    memmove(n->log, n->log + drop, (n->n_log - drop) * sizeof(n->log[0]));
    n->n_log -= drop;
    n->snap_index = index;
    n->snap_term = ev.u.snapshot.term;
    n->snap_len = ev.u.snapshot.len;
    n->snap_members = ev.u.snapshot.members;
    memcpy(n->snap_data, ev.u.snapshot.data, ev.u.snapshot.len);
    tc_trace(t, "%u snapshots at %llu", id, (unsigned long long)index);
    tc_step(t, id, &ev);
}

static inline void tc_free(struct tc *t)
{
    for (unsigned i = 0; i < t->n; i++) {
        raft_free(t->nodes[i].r);
        tc_log_truncate(&t->nodes[i], 0);
    }
    fclose(t->tf);
    free(t->trace);
    sk_free(t->q);
}

#endif
