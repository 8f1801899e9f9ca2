/* raft_step(): one event in, one update out. */
#include <assert.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"
#include "raft/raft_int.h"

static bool from_leader(uint8_t type)
{
    return type == RAFT_MSG_APPEND || type == RAFT_MSG_HEARTBEAT || type == RAFT_MSG_SNAPSHOT;
}

/* Term rules for a message from a higher term.  Returns false if the message
 * must be dropped. */
static bool higher_term(struct raft *r, const struct raft_msg *m)
{
    if (m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PREVOTE) {
        /* §9.6 / §4.2.3: while a leader is known to be alive, a (pre)candidate
         * must not disrupt it, unless the leader itself asked (TimeoutNow). */
        if (!m->transfer && raft_in_lease(r))
            return false;
    }
    if (m->type == RAFT_MSG_PREVOTE)
        return true; /* a pre-vote never changes our term */
    if (m->type == RAFT_MSG_PREVOTE_RESP && !m->reject)
        return true; /* granted pre-votes carry the future term */
    raft_become_follower(r, m->term, from_leader(m->type) ? m->from : RAFT_NONE);
    return true;
}

/* Answers a message from an older term where that helps the sender.  */
static void lower_term(struct raft *r, const struct raft_msg *m)
{
    if ((r->cfg.check_quorum || r->cfg.pre_vote) && (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT)) {
        /* A leader cut off by a partition learns the new term this way;
         * without it, PreVote could leave it stranded (etcd issue 5451). */
        raft_send(r, m->from, RAFT_MSG_APPEND_RESP, false);
    } else if (m->type == RAFT_MSG_PREVOTE || m->type == RAFT_MSG_VOTE) {
        /* Refuse with our term so a candidate stuck in an old term catches
         * up (figure 3.1: "currentTerm, for candidate to update itself").
         * Without it, a candidate whose only fellow voters run ahead of it
         * never hears of their terms and never wins. */
        uint8_t type = m->type == RAFT_MSG_VOTE ? RAFT_MSG_VOTE_RESP : RAFT_MSG_PREVOTE_RESP;
        struct raft_msg *resp = raft_send(r, m->from, type, false);
        resp->reject = true;
    }
}

static void recv_leader_msg(struct raft *r, const struct raft_msg *m)
{
    if (r->role != RAFT_FOLLOWER)
        raft_become_follower(r, r->term, m->from);
    r->leader = m->from;
    r->leader_contact_ms = r->now_ms;
    raft_reset_election_timer(r);
    if (m->type == RAFT_MSG_APPEND)
        raft_recv_append(r, m);
    else if (m->type == RAFT_MSG_HEARTBEAT)
        raft_recv_heartbeat(r, m);
    else
        raft_recv_snapshot(r, m);
}

static void recv(struct raft *r, const struct raft_msg *m)
{
    /* Senders outside our member list are heard: a node that has not yet
     * learnt of a membership change must still follow (and vote for) the
     * members that change brought in.  Responses from non-members are
     * ignored where progress is looked up. */
    if (m->to != r->cfg.id || m->type == 0 || m->type >= RAFT_MSG_TYPE_COUNT || m->from == RAFT_NONE ||
        m->from == r->cfg.id)
        return;
    if (m->term > r->term) {
        if (!higher_term(r, m))
            return;
    } else if (m->term < r->term) {
        lower_term(r, m);
        return;
    }
    switch (m->type) {
    case RAFT_MSG_VOTE:
    case RAFT_MSG_PREVOTE:
        raft_recv_vote(r, m);
        break;
    case RAFT_MSG_VOTE_RESP:
    case RAFT_MSG_PREVOTE_RESP:
        raft_recv_vote_resp(r, m);
        break;
    case RAFT_MSG_APPEND:
    case RAFT_MSG_HEARTBEAT:
    case RAFT_MSG_SNAPSHOT:
        if (r->role == RAFT_LEADER)
            return; /* two leaders in one term cannot happen; ignore */
        recv_leader_msg(r, m);
        break;
    case RAFT_MSG_APPEND_RESP:
        if (r->role == RAFT_LEADER)
            raft_recv_append_resp(r, m);
        break;
    case RAFT_MSG_HEARTBEAT_RESP:
        if (r->role == RAFT_LEADER)
            raft_recv_heartbeat_resp(r, m);
        break;
    case RAFT_MSG_TIMEOUT_NOW:
        if (r->role == RAFT_FOLLOWER && r->self_voter && m->from == r->leader)
            raft_campaign(r, false, true);
        break;
    }
}

static void persisted(struct raft *r, uint64_t index, uint64_t term)
{
    /* A report for entries since overwritten is stale: the term differs. */
    if (index <= r->persisted || index >= r->unstable_from || raft_log_term(&r->log, index) != term)
        return;
    r->persisted = index;
    if (r->role == RAFT_LEADER) {
        raft_pr_maybe_update(raft_pr_self(r), index);
        if (raft_maybe_commit(r))
            raft_bcast_append(r);
    }
}

static int propose(struct raft *r, const struct raft_event *ev, struct raft_update *up)
{
    if (r->role != RAFT_LEADER || r->transfer_to != RAFT_NONE)
        return SK_ESTATE;
    if (ev->u.propose.len > r->cfg.max_entry_bytes)
        return SK_ELIMIT;
    if (raft_log_last(&r->log) - r->commit >= r->cfg.max_uncommitted_entries)
        return SK_EAGAIN;
    int rc = raft_append_local(r, RAFT_ENTRY_NORMAL, ev->u.propose.data, ev->u.propose.len);
    if (rc != SK_OK)
        return rc;
    up->proposed_index = raft_log_last(&r->log);
    up->proposed_term = r->term;
    raft_bcast_append(r);
    return SK_OK;
}

static int snapshot_done(struct raft *r, const struct raft_snapshot *s)
{
    if (s->index <= r->snap.index || s->index > r->applied || s->len > SK_RAFT_SNAPSHOT_BYTES_MAX ||
        raft_log_term(&r->log, s->index) != s->term)
        return SK_EINVAL;
    struct raft_members members;
    if (raft_members_at(r, s->index, &members) != SK_OK)
        return SK_EINVAL;
    uint8_t *copy = sk_malloc(s->len ? s->len : 1);
    if (!copy)
        return SK_ENOMEM;
    if (s->len)
        memcpy(copy, s->data, s->len);
    sk_free(r->snap_data);
    r->snap_data = copy;
    r->snap = *s;
    r->snap.data = copy;
    /* The core knows the member list at the index; it does not take the
     * application's word for it. */
    r->snap.members = members;
    /* §5.1 of the thesis' chapter 5: entries covered by the snapshot go. */
    if (s->index > r->log.offset)
        raft_log_compact(&r->log, s->index);
    return SK_OK;
}

static int transfer(struct raft *r, uint64_t to)
{
    struct raft_progress *pr = raft_pr_find(r, to);
    if (r->role != RAFT_LEADER || !pr || !pr->voter)
        return SK_ESTATE;
    if (to == r->cfg.id || r->transfer_to == to)
        return SK_OK;
    /* §3.10: stop taking proposals, bring the target up to date, then tell it
     * to campaign at once.  Give up after an election timeout. */
    r->transfer_to = to;
    r->transfer_deadline_ms = r->now_ms + r->cfg.election_timeout_ms;
    if (pr->match == raft_log_last(&r->log))
        raft_maybe_send_timeout_now(r, pr);
    else
        raft_send_append(r, pr, true); /* empty: a probe if appends were lost */
    return SK_OK;
}

static void fill_msgs(struct raft *r, struct raft_msg_buf *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct raft_msg *m = &b->v[i];
        if (m->n_entries > 0) {
            m->entries = raft_log_get(&r->log, m->index + 1);
            assert(m->entries && raft_log_get(&r->log, m->index + m->n_entries));
        }
    }
}

static void fill_update(struct raft *r, struct raft_update *up)
{
    if (r->hs_dirty) {
        up->hard_state_changed = true;
        up->hard_state.term = r->term;
        up->hard_state.vote = r->vote;
        r->hs_dirty = false;
    }
    if (r->snap_to_persist) {
        up->snapshot = &r->snap;
        r->snap_to_persist = false;
    }
    uint64_t last = raft_log_last(&r->log);
    if (r->unstable_from <= last) {
        assert(r->unstable_from > r->log.offset);
        up->entries = raft_log_get(&r->log, r->unstable_from);
        up->n_entries = (size_t)(last - r->unstable_from + 1);
        r->unstable_from = last + 1;
    }
    if (r->commit > r->applied) {
        up->committed = raft_log_get(&r->log, r->applied + 1);
        assert(up->committed);
        up->n_committed = (size_t)(r->commit - r->applied);
        r->applied = r->commit;
    }
    fill_msgs(r, &r->msgs);
    fill_msgs(r, &r->msgs_after);
    up->msgs = r->msgs.v;
    up->n_msgs = r->msgs.n;
    up->msgs_after_persist = r->msgs_after.v;
    up->n_msgs_after_persist = r->msgs_after.n;
    up->deadline_ms = raft_next_deadline(r);
}

int raft_step(struct raft *r, const struct raft_event *ev, struct raft_update *up)
{
    memset(up, 0, sizeof(*up));
    r->msgs.n = 0;
    r->msgs_after.n = 0;
    r->err = SK_OK;
    int rc = SK_OK;
    if (ev->now_ms > r->now_ms)
        r->now_ms = ev->now_ms;
    switch (ev->type) {
    case RAFT_EVENT_TICK:
        break;
    case RAFT_EVENT_RECEIVE:
        recv(r, ev->u.msg);
        break;
    case RAFT_EVENT_PERSISTED:
        persisted(r, ev->u.persisted.index, ev->u.persisted.term);
        break;
    case RAFT_EVENT_PROPOSE:
        rc = propose(r, ev, up);
        break;
    case RAFT_EVENT_SNAPSHOT_DONE:
        rc = snapshot_done(r, &ev->u.snapshot);
        break;
    case RAFT_EVENT_TRANSFER:
        rc = transfer(r, ev->u.transfer_to);
        break;
    case RAFT_EVENT_CHANGE:
        rc = raft_change(r, ev->u.change.op, ev->u.change.id, up);
        break;
    default:
        rc = SK_EINVAL;
    }
    if (r->members_dirty) {
        r->members_dirty = false;
        raft_members_refresh(r);
    }
    /* §4.2.2: a leader that removed itself steps down once that change has
     * committed; until then it keeps replicating without counting itself. */
    if (r->role == RAFT_LEADER && !r->self_voter && r->commit >= r->members_index)
        raft_become_follower(r, r->term, RAFT_NONE);
    /* Timers fire in every step, so a driver that is late with a TICK loses
     * nothing. */
    raft_tick(r);
    fill_update(r, up);
    return rc != SK_OK ? rc : r->err;
}

uint64_t raft_id(const struct raft *r) { return r->cfg.id; }
enum raft_role raft_role(const struct raft *r) { return r->role; }
uint64_t raft_term(const struct raft *r) { return r->term; }
uint64_t raft_vote(const struct raft *r) { return r->vote; }
uint64_t raft_leader(const struct raft *r) { return r->leader; }
uint64_t raft_commit(const struct raft *r) { return r->commit; }
uint64_t raft_applied(const struct raft *r) { return r->applied; }
uint64_t raft_last_index(const struct raft *r) { return raft_log_last(&r->log); }
uint64_t raft_first_index(const struct raft *r) { return r->log.offset + 1; }
uint64_t raft_snapshot_index(const struct raft *r) { return r->snap.index; }
const struct raft_entry *raft_entry_at(const struct raft *r, uint64_t index) { return raft_log_get(&r->log, index); }
uint64_t raft_term_at(const struct raft *r, uint64_t index) { return raft_log_term(&r->log, index); }

bool raft_member_match(const struct raft *r, uint64_t id, uint64_t *match)
{
    if (r->role != RAFT_LEADER)
        return false;
    for (unsigned i = 0; i < r->n_prs; i++)
        if (r->prs[i].id == id) {
            *match = r->prs[i].match;
            return true;
        }
    return false;
}

const char *raft_role_name(enum raft_role role)
{
    static const char *names[] = {"follower", "precandidate", "candidate", "leader"};
    return (unsigned)role < 4 ? names[role] : "?";
}

const char *raft_msg_type_name(uint8_t type)
{
    static const char *names[] = {"?",        "append",         "append_resp", "vote",     "vote_resp",
                                  "prevote",  "prevote_resp",   "heartbeat",   "heartbeat_resp",
                                  "snapshot", "timeout_now"};
    return type < RAFT_MSG_TYPE_COUNT ? names[type] : "?";
}
