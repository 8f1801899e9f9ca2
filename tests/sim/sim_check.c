/* Safety checkers, run after every simulated event (Raft thesis figure 3.2
 * properties, plus the client's view: an acknowledged write is never lost). */
#include <assert.h>
#include <string.h>

#include "common/alloc.h"
#include "tests/sim/sim.h"

uint64_t sim_entry_id(const struct raft_entry *e)
{
    uint64_t id = 0;
    if (e->type == RAFT_ENTRY_NORMAL && e->len == sizeof(id))
        memcpy(&id, e->data, sizeof(id));
    return id;
}

uint64_t sim_hash_mix(uint64_t h, uint64_t term, uint64_t id)
{
    h ^= term * 0x9E3779B97F4A7C15ull;
    h = (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ull;
    h ^= id + 0x632BE59BD9B4E019ull;
    h = (h ^ (h >> 32)) * 0x94D049BB133111EBull;
    return h ^ (h >> 29);
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need < *cap)
        return p;
    size_t n = *cap ? *cap : 256;
    while (n <= need)
        n *= 2;
    p = sk_realloc(p, n * elem);
    assert(p);
    memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
    *cap = n;
    return p;
}

void check_init(struct sim *s)
{
    s->logrecs_cap = 1024;
    s->logrecs = sk_calloc(s->logrecs_cap, sizeof(*s->logrecs));
    assert(s->logrecs);
}

void check_free(struct sim *s)
{
    sk_free(s->leader_of_term);
    sk_free(s->committed);
    sk_free(s->logrecs);
    sk_free(s->acked);
}

static size_t rec_slot(const struct sim *s, uint64_t index, uint64_t term)
{
    uint64_t h = (index * 0x9E3779B97F4A7C15ull) ^ (term * 0xC2B2AE3D27D4EB4Full);
    size_t mask = s->logrecs_cap - 1;
    size_t i = (size_t)(h >> 17) & mask;
    while (s->logrecs[i].index != 0 && (s->logrecs[i].index != index || s->logrecs[i].term != term))
        i = (i + 1) & mask;
    return i;
}

static void rec_grow(struct sim *s)
{
    struct sim_logrec *old = s->logrecs;
    size_t old_cap = s->logrecs_cap;
    s->logrecs_cap *= 2;
    s->logrecs = sk_calloc(s->logrecs_cap, sizeof(*s->logrecs));
    assert(s->logrecs);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].index)
            s->logrecs[rec_slot(s, old[i].index, old[i].term)] = old[i];
    sk_free(old);
}

/* Log matching (§3.5): an (index, term) pair names one entry, and that entry
 * always follows the same predecessor term.  By induction, two logs that
 * share an (index, term) are identical up to it. */
void check_new_entries(struct sim *s, struct sim_node *n, const struct raft_entry *e, size_t count)
{
    for (size_t k = 0; k < count && !s->failed; k++) {
        uint64_t prev_term = raft_term_at(n->raft, e[k].index - 1);
        uint64_t id = sim_entry_id(&e[k]);
        if (s->logrecs_n * 2 >= s->logrecs_cap)
            rec_grow(s);
        struct sim_logrec *r = &s->logrecs[rec_slot(s, e[k].index, e[k].term)];
        if (r->index == 0) {
            *r = (struct sim_logrec){e[k].index, e[k].term, id, prev_term};
            s->logrecs_n++;
        } else if (r->id != id || r->prev_term != prev_term) {
            sim_fail(s,
                     "log matching: node %llu has index %llu term %llu id %llu prev_term %llu, another log has id "
                     "%llu prev_term %llu",
                     (unsigned long long)n->id, (unsigned long long)e[k].index, (unsigned long long)e[k].term,
                     (unsigned long long)id, (unsigned long long)prev_term, (unsigned long long)r->id,
                     (unsigned long long)r->prev_term);
        }
    }
}

/* State-machine safety (§3.6.3): no two nodes apply different entries at one
 * index; the hash chain also covers everything before it. */
void check_applied(struct sim *s, struct sim_node *n, const struct raft_entry *e, uint64_t hash_after)
{
    s->committed = grow(s->committed, &s->committed_cap, e->index, sizeof(*s->committed));
    struct sim_committed *c = &s->committed[e->index];
    uint64_t id = sim_entry_id(e);
    if (c->term == 0) {
        *c = (struct sim_committed){e->term, id, hash_after};
        if (e->index > s->committed_max)
            s->committed_max = e->index;
    } else if (c->term != e->term || c->id != id || c->hash != hash_after) {
        sim_fail(s, "state machine safety: node %llu applied index %llu term %llu id %llu, another node term %llu id %llu",
                 (unsigned long long)n->id, (unsigned long long)e->index, (unsigned long long)e->term,
                 (unsigned long long)id, (unsigned long long)c->term, (unsigned long long)c->id);
    }
}

void check_snapshot_applied(struct sim *s, struct sim_node *n, uint64_t index, uint64_t hash)
{
    if (index >= s->committed_cap || s->committed[index].term == 0 || s->committed[index].hash != hash)
        sim_fail(s, "state machine safety: node %llu installed a snapshot at %llu that no node applied",
                 (unsigned long long)n->id, (unsigned long long)index);
}

void check_acked(struct sim *s, uint64_t id, uint64_t index)
{
    s->acked = grow(s->acked, &s->acked_cap, id, sizeof(*s->acked));
    s->acked[id] = index;
    s->n_acked++;
    if (index > s->acked_max_index)
        s->acked_max_index = index;
}

/* Leader completeness (§3.6): a new leader holds every committed entry. */
static void check_leader_complete(struct sim *s, struct sim_node *n)
{
    uint64_t from = raft_snapshot_index(n->raft) + 1;
    for (uint64_t i = from; i <= s->committed_max; i++) {
        if (raft_term_at(n->raft, i) != s->committed[i].term) {
            sim_fail(s, "leader completeness: node %llu leads term %llu without committed index %llu (term %llu)",
                     (unsigned long long)n->id, (unsigned long long)raft_term(n->raft), (unsigned long long)i,
                     (unsigned long long)s->committed[i].term);
            return;
        }
    }
}

static bool holds_committed(struct sim *s, struct raft *r, uint64_t index)
{
    if (index <= raft_snapshot_index(r))
        return true;
    return raft_term_at(r, index) == s->committed[index].term;
}

/* First committed index that r's log lacks (committed_max + 1 if none).  A
 * log that holds a committed entry holds every earlier one (log matching),
 * so holding is monotone and a binary search finds the boundary. */
static uint64_t first_missing(struct sim *s, struct raft *r)
{
    uint64_t lo = raft_snapshot_index(r), hi = s->committed_max + 1; /* lo held, hi not */
    if (hi > raft_last_index(r) + 1)
        hi = raft_last_index(r) + 1;
    if (hi <= lo)
        return s->committed_max + 1 > lo + 1 ? lo + 1 : s->committed_max + 1;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (holds_committed(s, r, mid))
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

static void durable_last(const struct sim_disk *d, uint64_t *index, uint64_t *term)
{
    *index = d->snap.index + d->n;
    *term = d->n ? d->ents[d->n - 1].term : d->snap.term;
}

/* Leader completeness, checked before an election has to go wrong (§3.6.3):
 * a voter whose log lacks a committed entry must not be able to collect a
 * quorum of votes.  Any voter whose durable log (what it would vote with
 * after a crash) is no more up-to-date than the lacking node's log could
 * grant it a vote; if those voters form a quorum, a committed entry can be
 * overwritten.  Raft's commit rule guarantees a quorum holds a current-term
 * entry past every committed index, which keeps the count below quorum. */
static bool lists_voter(const struct raft_members *m, uint64_t id)
{
    for (unsigned i = 0; i < m->n_voters; i++)
        if (m->voters[i] == id)
            return true;
    return false;
}

static void check_electability(struct sim *s)
{
    for (unsigned x = 0; x < s->n_nodes && !s->failed; x++) {
        struct sim_node *nx = &s->nodes[x];
        /* A candidate counts votes from the voters of its own member list. */
        const struct raft_members *mx = nx->up ? raft_members(nx->raft) : NULL;
        if (!mx || !lists_voter(mx, nx->id))
            continue;
        unsigned voters = mx->n_voters;
        uint64_t j = first_missing(s, nx->raft);
        if (j > s->committed_max)
            continue;
        uint64_t xi = raft_last_index(nx->raft), xt = raft_term_at(nx->raft, xi);
        unsigned could_vote = 1;
        for (unsigned k = 0; k < mx->n_voters; k++) {
            uint64_t vi, vt, id = mx->voters[k];
            if (id == nx->id || id > s->n_nodes)
                continue;
            durable_last(&s->nodes[id - 1].disk, &vi, &vt);
            if (xt > vt || (xt == vt && xi >= vi))
                could_vote++;
        }
        if (could_vote >= voters / 2 + 1)
            sim_fail(s,
                     "leader completeness: node %llu lacks committed index %llu (term %llu) yet %u of %u voters "
                     "could elect it",
                     (unsigned long long)nx->id, (unsigned long long)j, (unsigned long long)s->committed[j].term,
                     could_vote, voters);
    }
}

void check_after_step(struct sim *s)
{
    check_electability(s);
    for (unsigned i = 0; i < s->n_nodes && !s->failed; i++) {
        struct sim_node *n = &s->nodes[i];
        if (!n->up)
            continue;
        uint64_t commit = raft_commit(n->raft);
        if (commit < n->last_commit)
            sim_fail(s, "commit index of node %llu moved back from %llu to %llu", (unsigned long long)n->id,
                     (unsigned long long)n->last_commit, (unsigned long long)commit);
        n->last_commit = commit;
        if (raft_role(n->raft) != RAFT_LEADER)
            continue;
        /* Election safety (§3.4): at most one leader per term. */
        uint64_t term = raft_term(n->raft);
        s->leader_of_term = grow(s->leader_of_term, &s->leader_of_term_cap, term, sizeof(uint64_t));
        if (s->leader_of_term[term] == 0)
            s->leader_of_term[term] = n->id;
        else if (s->leader_of_term[term] != n->id)
            sim_fail(s, "election safety: term %llu has leaders %llu and %llu", (unsigned long long)term,
                     (unsigned long long)s->leader_of_term[term], (unsigned long long)n->id);
        if (n->last_role != RAFT_LEADER)
            check_leader_complete(s, n);
    }
}

void check_final(struct sim *s)
{
    for (uint64_t id = 1; id < s->acked_cap && !s->failed; id++) {
        uint64_t index = s->acked[id];
        if (index == 0)
            continue;
        if (s->committed[index].id != id)
            sim_fail(s, "acknowledged proposal %llu at index %llu lost: index holds %llu", (unsigned long long)id,
                     (unsigned long long)index, (unsigned long long)s->committed[index].id);
        for (unsigned i = 0; i < s->n_nodes; i++)
            if (s->nodes[i].up && sim_is_member(s, &s->nodes[i]) && s->nodes[i].sm_index < index)
                sim_fail(s, "acknowledged proposal %llu at index %llu not applied on node %llu",
                         (unsigned long long)id, (unsigned long long)index, (unsigned long long)s->nodes[i].id);
    }
}
