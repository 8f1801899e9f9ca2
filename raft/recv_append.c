/* The follower's side of replication: AppendEntries, heartbeats and
 * InstallSnapshot (thesis §3.5, §5.3).  Acknowledgements go out only after
 * what they acknowledge is durable (they are queued "after persist"). */
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"
#include "raft/raft_int.h"

static void ack(struct raft *r, uint64_t to, uint64_t index)
{
#ifdef RAFT_BUG_ACK_BEFORE_PERSIST
    struct raft_msg *m = raft_send(r, to, RAFT_MSG_APPEND_RESP, false);
#else
    struct raft_msg *m = raft_send(r, to, RAFT_MSG_APPEND_RESP, true);
#endif
    m->index = index;
}

/* Appends the entries of `m` that are new, truncating a conflicting suffix
 * first (§3.5: "if an existing entry conflicts with a new one, delete it and
 * all that follow").  Returns false on an attempt to rewrite committed
 * entries, which only a broken leader would make. */
static bool append_new(struct raft *r, const struct raft_msg *m)
{
    for (uint32_t i = 0; i < m->n_entries; i++) {
        const struct raft_entry *e = &m->entries[i];
        uint64_t index = m->index + 1 + i;
        if (index <= r->log.offset)
            continue;
        uint64_t have = raft_log_term(&r->log, index);
        if (index <= raft_log_last(&r->log) && have == e->term)
            continue;
        if (index <= raft_log_last(&r->log)) {
            if (index <= r->commit)
                return false;
#ifndef RAFT_BUG_NO_TRUNCATE
            raft_truncate_from(r, index);
#endif
        }
        if (raft_log_append(&r->log, e->term, e->type, e->data, e->len) != SK_OK) {
            r->err = SK_ENOMEM;
            return true; /* acknowledge only what we appended */
        }
        if (e->type == RAFT_ENTRY_CONFIG)
            r->members_dirty = true;
    }
    return true;
}

void raft_recv_append(struct raft *r, const struct raft_msg *m)
{
    if (m->index < r->commit) {
        /* Everything up to our commit point already matches any leader. */
        ack(r, m->from, r->commit);
        return;
    }
    if (m->index > raft_log_last(&r->log) || raft_log_term(&r->log, m->index) != m->log_term) {
        struct raft_msg *resp = raft_send(r, m->from, RAFT_MSG_APPEND_RESP, true);
        resp->reject = true;
        resp->index = m->index;
        /* §5.3-style fast backup: skip every entry of a term newer than the
         * leader's entry at m->index; they cannot match. */
        resp->hint_index = raft_log_find_conflict_by_term(&r->log, m->index, m->log_term);
        resp->hint_term = raft_log_term(&r->log, resp->hint_index);
        return;
    }
    if (!append_new(r, m)) {
        r->err = SK_ECORRUPT;
        return;
    }
    uint64_t last_new = m->index + m->n_entries;
    if (last_new > raft_log_last(&r->log))
        last_new = raft_log_last(&r->log);
    /* Entries past last_new may be a stale suffix the leader has not checked. */
    raft_commit_to(r, m->commit < last_new ? m->commit : last_new);
    ack(r, m->from, last_new);
}

void raft_recv_heartbeat(struct raft *r, const struct raft_msg *m)
{
    raft_commit_to(r, m->commit);
    raft_send(r, m->from, RAFT_MSG_HEARTBEAT_RESP, false);
}

static bool install_snapshot(struct raft *r, const struct raft_snapshot *s)
{
    uint8_t *copy = sk_malloc(s->len ? s->len : 1);
    if (!copy) {
        r->err = SK_ENOMEM;
        return false;
    }
    if (s->len)
        memcpy(copy, s->data, s->len);
    sk_free(r->snap_data);
    r->snap_data = copy;
    r->snap = *s;
    r->snap.data = copy;
    r->snap_to_persist = true;
    raft_log_reset(&r->log, s->index, s->term);
    r->members_dirty = true; /* the list now comes from the snapshot */
    r->commit = r->applied = s->index;
    r->unstable_from = s->index + 1;
    r->persisted = s->index;
    return true;
}

void raft_recv_snapshot(struct raft *r, const struct raft_msg *m)
{
    const struct raft_snapshot *s = &m->snapshot;
    if (s->index <= r->commit) {
        ack(r, m->from, r->commit);
        return;
    }
    if (raft_log_term(&r->log, s->index) == s->term && s->index > r->log.offset) {
        /* We already hold the entries it covers: just commit them. */
        raft_commit_to(r, s->index);
        ack(r, m->from, s->index);
        return;
    }
    if (install_snapshot(r, s))
        ack(r, m->from, s->index);
}
