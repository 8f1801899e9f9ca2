/* The simulator's adversary and its clients: crashes and reboots, symmetric
 * and asymmetric partitions, leadership transfers, membership changes, the
 * final healing, and client proposals. */
#include <assert.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"
#include "tests/sim/sim.h"

void sim_links_all(struct sim *s, bool up)
{
    for (unsigned i = 0; i < s->n_nodes; i++)
        for (unsigned j = 0; j < s->n_nodes; j++)
            s->link_up[i][j] = up;
}

static void fault_partition(struct sim *s)
{
    sim_links_all(s, true);
    if (sim_chance(s, 0.5)) {
        /* Symmetric: a random side cannot talk to the other. */
        uint64_t side = sim_rand(s);
        for (unsigned i = 0; i < s->n_nodes; i++)
            for (unsigned j = 0; j < s->n_nodes; j++)
                if (((side >> i) & 1) != ((side >> j) & 1))
                    s->link_up[i][j] = false;
        sim_trace(s, "partition symmetric mask=%llx", (unsigned long long)(side & ((1u << s->n_nodes) - 1)));
    } else {
        /* Asymmetric: some directed links fail, their reverses keep working. */
        unsigned cuts = 1 + (unsigned)sim_rand_below(s, s->n_nodes);
        for (unsigned k = 0; k < cuts; k++) {
            unsigned a = (unsigned)sim_rand_below(s, s->n_nodes), b = (unsigned)sim_rand_below(s, s->n_nodes);
            s->link_up[a][b] = false;
            sim_trace(s, "partition cut %u->%u", a + 1, b + 1);
        }
    }
}

static struct sim_node *random_node(struct sim *s, bool up)
{
    unsigned start = (unsigned)sim_rand_below(s, s->n_nodes);
    for (unsigned k = 0; k < s->n_nodes; k++) {
        struct sim_node *n = &s->nodes[(start + k) % s->n_nodes];
        if (n->up == up)
            return n;
    }
    return NULL;
}

static void fault_transfer(struct sim *s)
{
    for (unsigned i = 0; i < s->n_nodes; i++) {
        struct sim_node *n = &s->nodes[i];
        if (!n->up || raft_role(n->raft) != RAFT_LEADER)
            continue;
        struct sim_node *t = &s->nodes[sim_rand_below(s, s->n_nodes)];
        struct raft_event ev = {.type = RAFT_EVENT_TRANSFER};
        ev.u.transfer_to = t->id;
        sim_trace(s, "transfer %llu->%llu", (unsigned long long)n->id, (unsigned long long)t->id);
        sim_node_step(s, n, &ev);
        return;
    }
}

static bool member_of(const struct raft_members *m, uint64_t id, bool *voter)
{
    for (unsigned i = 0; i < m->n_voters; i++)
        if (m->voters[i] == id)
            return *voter = true;
    for (unsigned i = 0; i < m->n_observers; i++)
        if (m->observers[i] == id) {
            *voter = false;
            return true;
        }
    return false;
}

static void fault_change(struct sim *s)
{
    struct sim_node *l = NULL;
    for (unsigned i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].up && raft_role(s->nodes[i].raft) == RAFT_LEADER)
            l = &s->nodes[i];
    if (!l)
        return;
    struct sim_node *t = &s->nodes[sim_rand_below(s, s->n_nodes)];
    bool voter = false;
    bool member = member_of(raft_members(l->raft), t->id, &voter);
    uint8_t op = !member ? (sim_chance(s, 0.5) ? RAFT_CHANGE_ADD_OBSERVER : RAFT_CHANGE_ADD_VOTER)
                 : !voter ? (sim_chance(s, 0.7) ? RAFT_CHANGE_ADD_VOTER : RAFT_CHANGE_REMOVE)
                          : RAFT_CHANGE_REMOVE;
    if (op == RAFT_CHANGE_REMOVE && voter && raft_members(l->raft)->n_voters <= 2)
        return; /* keep enough voters for the run to stay interesting */
    struct raft_event ev = {.type = RAFT_EVENT_CHANGE};
    ev.u.change.op = op;
    ev.u.change.id = t->id;
    struct raft_update up;
    ev.now_ms = sim_node_clock(s, l);
    int rc = raft_step(l->raft, &ev, &up);
    sim_trace(s, "change leader=%llu op=%u id=%llu: %s index=%llu", (unsigned long long)l->id, op,
              (unsigned long long)t->id, sk_strerror(rc), (unsigned long long)up.proposed_index);
    sim_process_update(s, l, &up);
}

void sim_fault(struct sim *s)
{
    if (sim_chance(s, s->p.p_change)) {
        fault_change(s);
        int64_t next = s->now_ms + 1 + (int64_t)sim_rand_below(s, (uint64_t)s->p.fault_every_ms * 2);
        if (next < s->p.chaos_ms)
            sim_ev_new(s, next, EV_FAULT, 0);
        return;
    }
    uint64_t pick = sim_rand_below(s, 100);
    struct sim_node *n;
    if (pick < s->p.p_crash * 100 && (n = random_node(s, true)) != NULL) {
        sim_node_crash(s, n);
        /* Half the crashes are quick reboots, which come back in the same
         * term: exactly when a forgotten vote or ack would do harm. */
        if (sim_chance(s, 0.5))
            sim_ev_new(s, s->now_ms + (int64_t)sim_rand_below(s, (uint64_t)s->p.reboot_max_ms + 1), EV_RESTART,
                   (unsigned)(n - s->nodes));
    } else if (pick < 50 && (n = random_node(s, false)) != NULL) {
        sim_trace(s, "restart node=%llu", (unsigned long long)n->id);
        sim_node_start(s, n);
    } else if (pick < 50 + s->p.p_partition * 30) {
        fault_partition(s);
    } else if (pick < 85) {
        sim_links_all(s, true);
        sim_trace(s, "heal links");
    } else if (pick < 85 + s->p.p_transfer * 15) {
        fault_transfer(s);
    }
    int64_t next = s->now_ms + 1 + (int64_t)sim_rand_below(s, (uint64_t)s->p.fault_every_ms * 2);
    if (next < s->p.chaos_ms)
        sim_ev_new(s, next, EV_FAULT, 0);
}

void sim_heal(struct sim *s)
{
    sim_links_all(s, true);
    s->p.loss = 0;
    /* A healed network has ordinary latency again. */
    if (s->p.delay_max_ms > s->p.delay_min_ms + 20)
        s->p.delay_max_ms = s->p.delay_min_ms + 20;
    /* Liveness needs only a majority: leave up to a minority of the voters
     * down (crashing some if needed), bring everyone else up. */
    /* (With membership changes the voters are no longer the initial ones:
     * then everyone comes up.) */
    unsigned keep_down = s->p.p_change > 0 ? 0 : (unsigned)sim_rand_below(s, (s->p.n_voters - 1) / 2 + 1);
    unsigned start = (unsigned)sim_rand_below(s, s->p.n_voters);
    for (unsigned k = 0; k < s->n_nodes; k++) {
        unsigned i = k < s->p.n_voters ? (start + k) % s->p.n_voters : k;
        struct sim_node *n = &s->nodes[i];
        bool want_down = n->voter && k < keep_down;
        if (want_down && n->up)
            sim_node_crash(s, n);
        else if (!want_down && !n->up)
            sim_node_start(s, n);
    }
    s->healed = true;
    s->healed_at_ms = s->now_ms;
    sim_trace(s, "heal: network whole, %u voter(s) left down", keep_down);
}

void sim_propose(struct sim *s)
{
    struct sim_node *n = NULL;
    /* Clients mostly find the leader; sometimes they ask a random node. */
    for (unsigned i = 0; i < s->n_nodes && sim_chance(s, 0.8); i++)
        if (s->nodes[i].up && raft_role(s->nodes[i].raft) == RAFT_LEADER)
            n = &s->nodes[i];
    if (!n)
        n = random_node(s, true);
    if (n) {
        uint64_t id = s->next_proposal_id++;
        struct raft_event ev = {.type = RAFT_EVENT_PROPOSE};
        ev.u.propose.data = (const uint8_t *)&id;
        ev.u.propose.len = sizeof(id);
        struct raft_update up;
        ev.now_ms = sim_node_clock(s, n);
        int rc = raft_step(n->raft, &ev, &up);
        if (rc == SK_OK) {
            if (id >= s->pending_cap) {
                size_t cap = s->pending_cap ? s->pending_cap * 2 : 1024;
                s->pending = sk_realloc(s->pending, cap * sizeof(*s->pending));
                assert(s->pending);
                memset(s->pending + s->pending_cap, 0, (cap - s->pending_cap) * sizeof(*s->pending));
                s->pending_cap = cap;
            }
            s->pending[id] = (struct sim_pending){(unsigned)(n - s->nodes), n->incarnation, up.proposed_index};
            sim_trace(s, "propose id=%llu node=%llu index=%llu", (unsigned long long)id, (unsigned long long)n->id,
                      (unsigned long long)up.proposed_index);
            if (s->healed && s->live_target == 0)
                s->live_target = up.proposed_index;
        }
        sim_process_update(s, n, &up);
    }
    sim_ev_new(s, s->now_ms + 1 + (int64_t)sim_rand_below(s, (uint64_t)s->p.propose_every_ms * 2), EV_PROPOSE, 0);
}

/* Whether n is in the member list of the most advanced live node (for
 * liveness: removed nodes and spares that never joined receive nothing). */
bool sim_is_member(struct sim *s, const struct sim_node *n)
{
    struct sim_node *best = NULL;
    for (unsigned i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].up && (!best || raft_commit(s->nodes[i].raft) > raft_commit(best->raft)))
            best = &s->nodes[i];
    bool voter;
    return best && member_of(raft_members(best->raft), n->id, &voter);
}
