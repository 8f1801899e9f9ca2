/* struct raft_msg <-> RaftMessage.  Decoding treats every field as hostile. */
#include <string.h>

#include "common/limits.h"
#include "common/sk_err.h"
#include "raft/transport.h"

void raft_msg_encode(const struct raft_msg *m, Skiff__Raft__RaftMessage *pm, Skiff__Raft__Entry *ents,
                     Skiff__Raft__Entry **ent_ptrs)
{
    skiff__raft__raft_message__init(pm);
    pm->type = m->type;
    pm->reject = m->reject;
    pm->transfer = m->transfer;
    pm->from = m->from;
    pm->to = m->to;
    pm->term = m->term;
    pm->index = m->index;
    pm->log_term = m->log_term;
    pm->commit = m->commit;
    pm->hint_index = m->hint_index;
    pm->hint_term = m->hint_term;
    for (uint32_t i = 0; i < m->n_entries; i++) {
        skiff__raft__entry__init(&ents[i]);
        ents[i].term = m->entries[i].term;
        ents[i].index = m->entries[i].index;
        ents[i].type = m->entries[i].type;
        ents[i].data.data = m->entries[i].data;
        ents[i].data.len = m->entries[i].len;
        ent_ptrs[i] = &ents[i];
    }
    pm->n_entries = m->n_entries;
    pm->entries = m->n_entries ? ent_ptrs : NULL;
    if (m->type == RAFT_MSG_SNAPSHOT) {
        pm->snapshot_index = m->snapshot.index;
        pm->snapshot_term = m->snapshot.term;
        pm->snapshot_data.data = (uint8_t *)m->snapshot.data;
        pm->snapshot_data.len = m->snapshot.len;
        pm->n_snapshot_voters = m->snapshot.members.n_voters;
        pm->snapshot_voters = (uint64_t *)m->snapshot.members.voters;
        pm->n_snapshot_observers = m->snapshot.members.n_observers;
        pm->snapshot_observers = (uint64_t *)m->snapshot.members.observers;
    }
}

int raft_msg_decode(const Skiff__Raft__RaftMessage *pm, struct raft_msg *m, struct raft_entry *ents)
{
    if (pm->type == 0 || pm->type >= RAFT_MSG_TYPE_COUNT || pm->from == RAFT_NONE || pm->to == RAFT_NONE)
        return SK_ECORRUPT;
    if (pm->n_entries > SK_RAFT_MSG_ENTRIES_MAX || pm->snapshot_data.len > SK_RAFT_SNAPSHOT_BYTES_MAX)
        return SK_ELIMIT;
    m->type = (uint8_t)pm->type;
    m->reject = pm->reject;
    m->transfer = pm->transfer;
    m->from = pm->from;
    m->to = pm->to;
    m->term = pm->term;
    m->index = pm->index;
    m->log_term = pm->log_term;
    m->commit = pm->commit;
    m->hint_index = pm->hint_index;
    m->hint_term = pm->hint_term;
    for (size_t i = 0; i < pm->n_entries; i++) {
        const Skiff__Raft__Entry *e = pm->entries[i];
        /* Entries must be the consecutive run after `index`, as the core
         * assumes; anything else is a malformed message. */
        if (e->index != pm->index + 1 + i || e->term == 0 || e->type > RAFT_ENTRY_CONFIG)
            return SK_ECORRUPT;
        if (e->data.len > SK_RAFT_ENTRY_BYTES_MAX)
            return SK_ELIMIT;
        ents[i].term = e->term;
        ents[i].index = e->index;
        ents[i].type = (uint8_t)e->type;
        ents[i].len = (uint32_t)e->data.len;
        ents[i].data = e->data.data;
    }
    m->n_entries = (uint32_t)pm->n_entries;
    m->entries = ents;
    m->snapshot.index = pm->snapshot_index;
    m->snapshot.term = pm->snapshot_term;
    m->snapshot.data = pm->snapshot_data.data;
    m->snapshot.len = pm->snapshot_data.len;
    memset(&m->snapshot.members, 0, sizeof(m->snapshot.members));
    if (m->type != RAFT_MSG_SNAPSHOT)
        return SK_OK;
    if (m->snapshot.index == 0 || m->snapshot.term == 0)
        return SK_ECORRUPT;
    /* Counts are checked before anything is copied into fixed arrays. */
    if (pm->n_snapshot_voters + pm->n_snapshot_observers > SK_RAFT_MEMBERS_MAX)
        return SK_ELIMIT;
    struct raft_members *mem = &m->snapshot.members;
    mem->n_voters = (uint8_t)pm->n_snapshot_voters;
    mem->n_observers = (uint8_t)pm->n_snapshot_observers;
    for (size_t i = 0; i < pm->n_snapshot_voters; i++)
        mem->voters[i] = pm->snapshot_voters[i];
    for (size_t i = 0; i < pm->n_snapshot_observers; i++)
        mem->observers[i] = pm->snapshot_observers[i];
    return raft_members_validate(mem);
}
