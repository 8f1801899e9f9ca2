/* Roles, timers and campaigns (thesis §3.4, §9.6 PreVote, §6.2 CheckQuorum). */
#include <assert.h>

#include "common/sk_err.h"
#include "raft/prng.h"
#include "raft/raft_int.h"

#define RAFT_NEVER_MS INT64_MAX

unsigned raft_quorum(const struct raft *r) { return r->n_voters / 2 + 1; }

void raft_reset_election_timer(struct raft *r)
{
    /* §3.4: a timeout drawn from [T, 2T) makes split votes rare. */
    uint64_t t = r->cfg.election_timeout_ms;
    r->election_deadline_ms = r->now_ms + (int64_t)(t + raft_prng_below(&r->prng, t));
}

bool raft_in_lease(const struct raft *r)
{
    if (!r->cfg.check_quorum)
        return false;
    if (r->role == RAFT_LEADER)
        return true; /* CheckQuorum makes a leader without a quorum step down */
    return r->leader != RAFT_NONE && r->now_ms - r->leader_contact_ms < (int64_t)r->cfg.election_timeout_ms;
}

static void set_term(struct raft *r, uint64_t term)
{
    if (term != r->term) {
        r->term = term;
        r->vote = RAFT_NONE;
        r->hs_dirty = true;
    }
}

void raft_become_follower(struct raft *r, uint64_t term, uint64_t leader)
{
    set_term(r, term);
    r->role = RAFT_FOLLOWER;
    r->leader = leader;
    r->transfer_to = RAFT_NONE;
    if (leader != RAFT_NONE)
        r->leader_contact_ms = r->now_ms;
    raft_reset_election_timer(r);
}

static void tally_reset(struct raft *r)
{
    for (unsigned i = 0; i < r->n_prs; i++)
        r->prs[i].vote = 0;
    raft_pr_self(r)->vote = 1;
}

void raft_campaign(struct raft *r, bool pre_vote, bool transfer)
{
    assert(r->self_voter);
    uint8_t type;
    uint64_t term;
    if (pre_vote) {
        /* §9.6: ask first whether we could win, without bumping our term, so a
         * node rejoining from a partition does not depose a healthy leader. */
        r->role = RAFT_PRECANDIDATE;
        r->leader = RAFT_NONE;
        type = RAFT_MSG_PREVOTE;
        term = r->term + 1;
    } else {
        set_term(r, r->term + 1);
        r->role = RAFT_CANDIDATE;
        r->leader = RAFT_NONE;
        r->vote = r->cfg.id;
        r->hs_dirty = true;
        type = RAFT_MSG_VOTE;
        term = r->term;
    }
    tally_reset(r);
    raft_reset_election_timer(r);
    if (raft_quorum(r) == 1) {
        if (pre_vote)
            raft_campaign(r, false, transfer);
        else
            raft_become_leader(r);
        return;
    }
    for (unsigned i = 0; i < r->n_prs; i++) {
        struct raft_progress *pr = &r->prs[i];
        if (!pr->voter || pr->id == r->cfg.id)
            continue;
        /* A real vote request waits for our own term and vote to be durable:
         * a candidate that crashes must not come back and vote again. */
        struct raft_msg *m = raft_send(r, pr->id, type, !pre_vote);
        m->term = term;
        m->index = raft_log_last(&r->log);
        m->log_term = raft_last_term(r);
        m->transfer = transfer;
    }
}

static bool quorum_active(struct raft *r)
{
    unsigned active = 0;
    for (unsigned i = 0; i < r->n_prs; i++) {
        struct raft_progress *pr = &r->prs[i];
        if (pr->voter && (pr->recent_active || pr->id == r->cfg.id))
            active++;
        pr->recent_active = false;
    }
    return active >= raft_quorum(r);
}

static void tick_leader(struct raft *r)
{
    if (r->now_ms >= r->quorum_deadline_ms) {
        r->quorum_deadline_ms = r->now_ms + r->cfg.election_timeout_ms;
        if (r->cfg.check_quorum && !quorum_active(r)) {
            /* §6.2: a leader that cannot reach a majority for an election
             * timeout steps down, so clients go looking for the real one. */
            raft_become_follower(r, r->term, RAFT_NONE);
            return;
        }
    }
    if (r->transfer_to != RAFT_NONE && r->now_ms >= r->transfer_deadline_ms)
        r->transfer_to = RAFT_NONE;
    if (r->now_ms >= r->heartbeat_deadline_ms) {
        r->heartbeat_deadline_ms = r->now_ms + r->cfg.heartbeat_interval_ms;
        raft_bcast_heartbeat(r);
    }
}

void raft_tick(struct raft *r)
{
    if (r->role == RAFT_LEADER) {
        tick_leader(r);
        return;
    }
    if (!r->self_voter || r->now_ms < r->election_deadline_ms)
        return;
    raft_campaign(r, r->cfg.pre_vote, false);
}

int64_t raft_next_deadline(const struct raft *r)
{
    if (r->role == RAFT_LEADER) {
        int64_t d = r->heartbeat_deadline_ms < r->quorum_deadline_ms ? r->heartbeat_deadline_ms
                                                                     : r->quorum_deadline_ms;
        if (r->transfer_to != RAFT_NONE && r->transfer_deadline_ms < d)
            d = r->transfer_deadline_ms;
        return d;
    }
    return r->self_voter ? r->election_deadline_ms : RAFT_NEVER_MS;
}
