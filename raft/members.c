/* Membership: the member list in force, its encoding in config entries, and
 * single-server changes (thesis §4.1).  A new list takes effect as soon as
 * its entry is appended, committed or not; a leader starts a change only
 * once the previous one has committed and it has committed an entry of its
 * own term (the fix in §4.1 for changes that straddle a leader change). */
#include <string.h>

#include "common/sk_err.h"
#include "raft/raft_int.h"

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

size_t raft_members_encode(const struct raft_members *m, uint8_t *buf)
{
    size_t off = 2;
    buf[0] = m->n_voters;
    buf[1] = m->n_observers;
    for (unsigned i = 0; i < m->n_voters; i++, off += 8)
        put_be64(buf + off, m->voters[i]);
    for (unsigned i = 0; i < m->n_observers; i++, off += 8)
        put_be64(buf + off, m->observers[i]);
    return off;
}

static bool listed(const struct raft_members *m, uint64_t id, bool *voter)
{
    for (unsigned i = 0; i < m->n_voters; i++)
        if (m->voters[i] == id) {
            *voter = true;
            return true;
        }
    for (unsigned i = 0; i < m->n_observers; i++)
        if (m->observers[i] == id) {
            *voter = false;
            return true;
        }
    return false;
}

int raft_members_validate(const struct raft_members *m)
{
    if (m->n_voters == 0 || m->n_voters + m->n_observers > SK_RAFT_MEMBERS_MAX)
        return SK_ECORRUPT;
    struct raft_members seen = {.n_voters = 0};
    for (unsigned i = 0; i < m->n_voters + m->n_observers; i++) {
        uint64_t id = i < m->n_voters ? m->voters[i] : m->observers[i - m->n_voters];
        bool v;
        if (id == RAFT_NONE || listed(&seen, id, &v))
            return SK_ECORRUPT;
        seen.voters[seen.n_voters++] = id;
    }
    return SK_OK;
}

int raft_members_decode(const uint8_t *p, size_t len, struct raft_members *m)
{
    memset(m, 0, sizeof(*m));
    if (len < 2 || p[0] + p[1] > SK_RAFT_MEMBERS_MAX || len != 2 + (size_t)(p[0] + p[1]) * 8)
        return SK_ECORRUPT;
    m->n_voters = p[0];
    m->n_observers = p[1];
    for (unsigned i = 0; i < m->n_voters; i++)
        m->voters[i] = get_be64(p + 2 + 8 * i);
    for (unsigned i = 0; i < m->n_observers; i++)
        m->observers[i] = get_be64(p + 2 + 8 * (m->n_voters + i));
    return raft_members_validate(m);
}

static void add_progress(struct raft *r, const struct raft_progress *old, unsigned n_old, uint64_t id, bool voter)
{
    struct raft_progress *pr = &r->prs[r->n_prs++];
    const struct raft_progress *prev = NULL;
    for (unsigned i = 0; i < n_old; i++)
        if (old[i].id == id)
            prev = &old[i];
    if (prev) {
        *pr = *prev;
    } else {
        memset(pr, 0, sizeof(*pr));
        pr->id = id;
        raft_pr_reset(pr, raft_log_last(&r->log) + 1);
        /* A new member has not had a chance to answer yet; do not let
         * CheckQuorum count that against the leader. */
        pr->recent_active = true;
    }
    pr->voter = voter;
    if (voter)
        r->n_voters++;
    if (id == r->cfg.id)
        r->self_voter = voter;
}

void raft_members_set(struct raft *r, const struct raft_members *m, uint64_t index)
{
    struct raft_progress old[SK_RAFT_MEMBERS_MAX + 1];
    unsigned n_old = r->n_prs;
    memcpy(old, r->prs, n_old * sizeof(old[0]));
    r->n_prs = 0;
    r->n_voters = 0;
    r->self_voter = false;
    bool self_listed = false, v;
    for (unsigned i = 0; i < m->n_voters; i++)
        add_progress(r, old, n_old, m->voters[i], true);
    for (unsigned i = 0; i < m->n_observers; i++)
        add_progress(r, old, n_old, m->observers[i], false);
    self_listed = listed(m, r->cfg.id, &v);
    /* A removed node keeps a progress slot for itself, as a non-voter, so
     * the rest of the core never has to ask whether it exists. */
    if (!self_listed)
        add_progress(r, old, n_old, r->cfg.id, false);
    r->members = *m;
    r->members_index = index;
}

/* The latest config entry at or below `index`, else the snapshot's list,
 * else the bootstrap list. */
static void find_members(const struct raft *r, uint64_t index, struct raft_members *out, uint64_t *at)
{
    for (uint64_t i = index; i > r->log.offset; i--) {
        const struct raft_entry *e = raft_log_get(&r->log, i);
        if (e->type == RAFT_ENTRY_CONFIG && raft_members_decode(e->data, e->len, out) == SK_OK) {
            *at = i;
            return;
        }
    }
    *at = 0;
    *out = r->snap.index > 0 && r->snap.members.n_voters > 0 ? r->snap.members : r->boot;
}

void raft_members_refresh(struct raft *r)
{
    struct raft_members m;
    uint64_t at;
    find_members(r, raft_log_last(&r->log), &m, &at);
    raft_members_set(r, &m, at);
}

int raft_members_at(const struct raft *r, uint64_t index, struct raft_members *out)
{
    if (index < r->log.offset || index > raft_log_last(&r->log))
        return SK_ERANGE;
    uint64_t at;
    find_members(r, index, out, &at);
    return SK_OK;
}

const struct raft_members *raft_members(const struct raft *r) { return &r->members; }

static int changed_list(const struct raft *r, uint8_t op, uint64_t id, struct raft_members *m)
{
    *m = r->members;
    bool voter = false;
    bool member = listed(m, id, &voter);
    unsigned total = m->n_voters + m->n_observers;
    if (id == RAFT_NONE)
        return SK_EINVAL;
    if (op == RAFT_CHANGE_ADD_OBSERVER || (op == RAFT_CHANGE_ADD_VOTER && !member)) {
        if (member)
            return SK_EINVAL;
        if (total == SK_RAFT_MEMBERS_MAX)
            return SK_ELIMIT;
        if (op == RAFT_CHANGE_ADD_OBSERVER)
            m->observers[m->n_observers++] = id;
        else
            m->voters[m->n_voters++] = id;
        return SK_OK;
    }
    if (op != RAFT_CHANGE_ADD_VOTER && op != RAFT_CHANGE_REMOVE)
        return SK_EINVAL;
    if (!member || (op == RAFT_CHANGE_ADD_VOTER && voter) || (op == RAFT_CHANGE_REMOVE && voter && m->n_voters == 1))
        return SK_EINVAL;
    uint64_t *v = voter ? m->voters : m->observers;
    uint8_t *n = voter ? &m->n_voters : &m->n_observers;
    for (unsigned i = 0; i < *n; i++)
        if (v[i] == id) {
            v[i] = v[--*n];
            break;
        }
    if (op == RAFT_CHANGE_ADD_VOTER)
        m->voters[m->n_voters++] = id; /* promotion */
    return SK_OK;
}

int raft_change(struct raft *r, uint8_t op, uint64_t id, struct raft_update *up)
{
    if (r->role != RAFT_LEADER || r->transfer_to != RAFT_NONE)
        return SK_ESTATE;
#ifndef RAFT_BUG_CHANGE_WHILE_PENDING
    /* §4.1: one change at a time, and only after this leader has committed
     * in its own term; otherwise two lists whose majorities need not
     * overlap can be in force at once. */
    if (r->members_index > r->commit || r->commit < r->term_start)
        return SK_EAGAIN;
#endif
    struct raft_members m;
    int rc = changed_list(r, op, id, &m);
    if (rc != SK_OK)
        return rc;
    uint8_t buf[RAFT_MEMBERS_BYTES_MAX];
    size_t len = raft_members_encode(&m, buf);
    if ((rc = raft_append_local(r, RAFT_ENTRY_CONFIG, buf, (uint32_t)len)) != SK_OK)
        return rc;
    raft_members_set(r, &m, raft_log_last(&r->log));
    raft_pr_self(r)->match = r->persisted;
    up->proposed_index = raft_log_last(&r->log);
    up->proposed_term = r->term;
    raft_bcast_append(r);
    return SK_OK;
}
