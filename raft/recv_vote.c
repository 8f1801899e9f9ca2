/* RequestVote and PreVote, both sides (thesis §3.4, §3.6.1, §9.6). */
#include "common/sk_err.h"
#include "raft/raft_int.h"

static bool log_up_to_date(const struct raft *r, const struct raft_msg *m)
{
#ifdef RAFT_BUG_VOTE_NO_LOG_CHECK
    (void)r;
    (void)m;
    return true;
#else
    /* §3.6.1: grant only to a candidate whose log is at least as complete as
     * ours, so every leader holds every committed entry. */
    uint64_t last_term = raft_last_term(r);
    return m->log_term > last_term || (m->log_term == last_term && m->index >= raft_log_last(&r->log));
#endif
}

void raft_recv_vote(struct raft *r, const struct raft_msg *m)
{
    bool pre = m->type == RAFT_MSG_PREVOTE;
    uint8_t resp_type = pre ? RAFT_MSG_PREVOTE_RESP : RAFT_MSG_VOTE_RESP;
    /* One vote per term; a pre-vote for a future term binds nothing. */
    bool can_vote = r->vote == m->from || (r->vote == RAFT_NONE && r->leader == RAFT_NONE) ||
                    (pre && m->term > r->term);
    /* Granted whatever our own member list says (§4.1: requests are served
     * without consulting the configuration): a node just made a voter may
     * not have received that change yet, and its vote may be needed.  A
     * candidate counts only the voters of its own list. */
    bool grant = can_vote && log_up_to_date(r, m);
    if (grant && !pre) {
        r->vote = m->from;
        r->hs_dirty = true;
        raft_reset_election_timer(r);
    }
#ifdef RAFT_BUG_VOTE_BEFORE_PERSIST
    bool after = false;
#else
    /* The grant must not leave before the vote is durable (§3.8). */
    bool after = !pre;
#endif
    struct raft_msg *resp = raft_send(r, m->from, resp_type, after);
    resp->reject = !grant;
    /* A granted pre-vote answers in the candidate's future term. */
    resp->term = grant && pre ? m->term : r->term;
}

void raft_recv_vote_resp(struct raft *r, const struct raft_msg *m)
{
    bool pre = m->type == RAFT_MSG_PREVOTE_RESP;
    if ((pre && r->role != RAFT_PRECANDIDATE) || (!pre && r->role != RAFT_CANDIDATE))
        return;
    if (pre && !m->reject && m->term != r->term + 1)
        return;
    struct raft_progress *pr = raft_pr_find(r, m->from);
    if (!pr || !pr->voter || pr->vote != 0)
        return;
    pr->vote = m->reject ? 2 : 1;
    unsigned granted = 0, rejected = 0;
    for (unsigned i = 0; i < r->n_prs; i++) {
        granted += r->prs[i].voter && r->prs[i].vote == 1;
        rejected += r->prs[i].voter && r->prs[i].vote == 2;
    }
    if (granted >= raft_quorum(r)) {
        if (pre)
            raft_campaign(r, false, false);
        else
            raft_become_leader(r);
    } else if (rejected >= raft_quorum(r)) {
        raft_become_follower(r, r->term, RAFT_NONE);
    }
}
