/* The step loop: event dispatch, term rules (thesis §3.3, §9.6), and the
 * update handed back to the driver. */
#include <assert.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"
#include "raft/errfmt.h"
#include "raft/prng.h"
#include "raft/raft_int.h"

static int restore_state(struct raft *r, const struct raft_restore *rs)
{
    if (rs->snapshot.index > 0) {
        if (rs->snapshot.len > SK_RAFT_SNAPSHOT_BYTES_MAX)
            return SK_ECORRUPT;
        r->snap_data = sk_malloc(rs->snapshot.len ? rs->snapshot.len : 1);
        if (!r->snap_data)
            return SK_ENOMEM;
        if (rs->snapshot.len)
            memcpy(r->snap_data, rs->snapshot.data, rs->snapshot.len);
        r->snap = rs->snapshot;
        r->snap.data = r->snap_data;
        if (r->snap.members.n_voters > 0 && raft_members_validate(&r->snap.members) != SK_OK)
            return SK_ECORRUPT;
        raft_log_init(&r->log, rs->snapshot.index, rs->snapshot.term);
    }
    for (size_t i = 0; i < rs->n_entries; i++) {
        const struct raft_entry *e = &rs->entries[i];
        if (e->index != raft_log_last(&r->log) + 1 || e->term < raft_last_term(r) || e->term > rs->hs.term ||
            e->type > RAFT_ENTRY_CONFIG)
            return SK_ECORRUPT;
        int rc = raft_log_append(&r->log, e->term, e->type, e->data, e->len);
        if (rc != SK_OK)
            return rc;
    }
    r->term = rs->hs.term;
    r->vote = rs->hs.vote;
    r->commit = r->applied = r->snap.index;
    r->persisted = raft_log_last(&r->log);
    r->unstable_from = r->persisted + 1;
    return SK_OK;
}

int raft_new(const struct raft_config *cfg, const struct raft_restore *restore, int64_t now_ms,
             struct raft **out, char *errbuf, size_t errlen)
{
    int rc = raft_config_validate(cfg, errbuf, errlen);
    if (rc != SK_OK)
        return rc;
    struct raft *r = sk_calloc(1, sizeof(*r));
    if (!r)
        return SK_ENOMEM;
    r->cfg = *cfg;
    r->prng = cfg->seed;
    r->now_ms = now_ms;
    raft_log_init(&r->log, 0, 0);
    r->unstable_from = 1;
    r->boot.n_voters = (uint8_t)cfg->n_voters;
    r->boot.n_observers = (uint8_t)cfg->n_observers;
    memcpy(r->boot.voters, cfg->voters, cfg->n_voters * sizeof(cfg->voters[0]));
    memcpy(r->boot.observers, cfg->observers, cfg->n_observers * sizeof(cfg->observers[0]));
    raft_members_set(r, &r->boot, 0);
    if (restore) {
        rc = restore_state(r, restore);
        if (rc != SK_OK) {
            raft_errf(errbuf, errlen, "restored state is inconsistent: %s", sk_strerror(rc));
            goto fail;
        }
        raft_members_refresh(r);
    }
    r->role = RAFT_FOLLOWER;
    r->leader = RAFT_NONE;
    r->leader_contact_ms = INT64_MIN / 2;
    raft_reset_election_timer(r);
    *out = r;
    return SK_OK;
fail:
    raft_free(r);
    return rc;
}

void raft_free(struct raft *r)
{
    if (!r)
        return;
    raft_log_free(&r->log);
    sk_free(r->snap_data);
    sk_free(r->msgs.v);
    sk_free(r->msgs_after.v);
    sk_free(r);
}

struct raft_progress *raft_pr_find(struct raft *r, uint64_t id)
{
    for (unsigned i = 0; i < r->n_prs; i++)
        if (r->prs[i].id == id)
            return &r->prs[i];
    return NULL;
}

struct raft_progress *raft_pr_self(struct raft *r)
{
    struct raft_progress *pr = raft_pr_find(r, r->cfg.id);
    assert(pr);
    return pr;
}

struct raft_msg *raft_send(struct raft *r, uint64_t to, uint8_t type, bool after_persist)
{
    struct raft_msg_buf *b = after_persist ? &r->msgs_after : &r->msgs;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        struct raft_msg *v = sk_realloc(b->v, cap * sizeof(*v));
        if (!v) {
            /* The message is lost, which Raft tolerates; the step reports it. */
            r->err = SK_ENOMEM;
            memset(&r->lost_msg, 0, sizeof(r->lost_msg));
            return &r->lost_msg;
        }
        b->v = v;
        b->cap = cap;
    }
    struct raft_msg *m = &b->v[b->n++];
    memset(m, 0, sizeof(*m));
    m->type = type;
    m->from = r->cfg.id;
    m->to = to;
    m->term = r->term;
    return m;
}

uint64_t raft_last_term(const struct raft *r) { return raft_log_term(&r->log, raft_log_last(&r->log)); }

void raft_commit_to(struct raft *r, uint64_t index)
{
    if (index > raft_log_last(&r->log))
        index = raft_log_last(&r->log);
    if (index > r->commit)
        r->commit = index;
}

void raft_truncate_from(struct raft *r, uint64_t index)
{
    assert(index > r->commit);
    if (index <= r->members_index)
        r->members_dirty = true;
    raft_log_truncate(&r->log, index);
    if (r->unstable_from > index)
        r->unstable_from = index;
    if (r->persisted >= index)
        r->persisted = index - 1;
}

int raft_append_local(struct raft *r, uint8_t type, const uint8_t *data, uint32_t len)
{
    int rc = raft_log_append(&r->log, r->term, type, data, len);
    if (rc != SK_OK)
        r->err = rc;
    return rc;
}
