/* The Raft consensus core: a pure, deterministic state machine.
 *
 * It does no I/O.  A driver feeds it events (a tick with the current time, a
 * received message, "entries persisted", a proposal, "snapshot taken", a
 * leadership-transfer request) through raft_step(), and each step fills a
 * struct raft_update describing what the driver must do, in this order:
 *
 *   1. persist   hard_state (if hard_state_changed), snapshot (if any), then
 *                entries (truncating any stored entry at index >= entries[0]
 *                first);
 *   2. send      msgs at once (they promise nothing about local durability);
 *   3. send      msgs_after_persist only once everything handed out for
 *                persisting in this AND every earlier update is durable
 *                (votes and append acknowledgements promise that it is);
 *   4. report    durability back with a RAFT_EVENT_PERSISTED event carrying
 *                the index and term of the last entry made durable;
 *   5. apply     the snapshot (if any) and then committed[] to the state
 *                machine, in order.
 *
 * Pointers in an update (entries, message entries, snapshot data) are borrowed
 * from the core and stay valid until the next raft_step() or raft_free().
 * Time and randomness are inputs: the clock arrives in every event, and the
 * election-timeout jitter comes from a PRNG seeded in the config. */
#ifndef RAFT_RAFT_H
#define RAFT_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"

#define RAFT_NONE 0 /* "no node": node ids are >= 1 */

enum raft_role { RAFT_FOLLOWER = 0, RAFT_PRECANDIDATE, RAFT_CANDIDATE, RAFT_LEADER };

enum raft_entry_type {
    RAFT_ENTRY_NORMAL = 0,
    RAFT_ENTRY_NOOP = 1,
    /* A new member list (raft_members_encode); in force once appended. */
    RAFT_ENTRY_CONFIG = 2
};

/* A member list: voters elect and count towards quorums; observers only
 * receive the log. */
struct raft_members {
    uint64_t voters[SK_RAFT_MEMBERS_MAX];
    uint64_t observers[SK_RAFT_MEMBERS_MAX];
    uint8_t n_voters;
    uint8_t n_observers;
};

/* Payload of a RAFT_ENTRY_CONFIG entry: n_voters u8, n_observers u8, then
 * the ids as big-endian u64, voters first. */
#define RAFT_MEMBERS_BYTES_MAX (2 + 2 * SK_RAFT_MEMBERS_MAX * 8)
size_t raft_members_encode(const struct raft_members *m, uint8_t *buf);
/* Validates untrusted bytes: counts within limits, ids nonzero and
 * distinct, at least one voter.  SK_ECORRUPT otherwise. */
int raft_members_decode(const uint8_t *p, size_t len, struct raft_members *m);
int raft_members_validate(const struct raft_members *m);

struct raft_entry {
    uint64_t term;
    uint64_t index;
    uint8_t type; /* enum raft_entry_type */
    uint32_t len;
    uint8_t *data; /* owned by whoever holds the entry; may be NULL when len == 0 */
};

struct raft_hard_state {
    uint64_t term;
    uint64_t vote; /* RAFT_NONE if no vote in this term */
};

/* A snapshot covers the log up to and including `index` (whose term is
 * `term`); `data` is the application's opaque state-machine image and
 * `members` the member list in force at `index` (raft_members_at()). */
struct raft_snapshot {
    uint64_t index;
    uint64_t term;
    const uint8_t *data;
    size_t len;
    struct raft_members members;
};

enum raft_msg_type {
    RAFT_MSG_APPEND = 1,
    RAFT_MSG_APPEND_RESP,
    RAFT_MSG_VOTE,
    RAFT_MSG_VOTE_RESP,
    RAFT_MSG_PREVOTE,
    RAFT_MSG_PREVOTE_RESP,
    RAFT_MSG_HEARTBEAT,
    RAFT_MSG_HEARTBEAT_RESP,
    RAFT_MSG_SNAPSHOT,
    RAFT_MSG_TIMEOUT_NOW,
    RAFT_MSG_TYPE_COUNT
};

/* One message.  Field meaning per type:
 *   APPEND        index/log_term: entry preceding `entries`; commit: leader's
 *   APPEND_RESP   index: highest index now matching the leader (accept) or the
 *                 rejected prev index (reject); hint_index/hint_term: where the
 *                 follower's log may match (reject only)
 *   VOTE/PREVOTE  index/log_term: candidate's last entry; transfer: campaign
 *                 started by TimeoutNow (ignores the leader lease)
 *   *_RESP        reject: vote refused
 *   HEARTBEAT     commit: min(follower's match, leader's commit)
 *   SNAPSHOT      snapshot: the leader's latest snapshot */
struct raft_msg {
    uint8_t type; /* enum raft_msg_type */
    bool reject;
    bool transfer;
    uint64_t from;
    uint64_t to;
    uint64_t term;
    uint64_t index;
    uint64_t log_term;
    uint64_t commit;
    uint64_t hint_index;
    uint64_t hint_term;
    uint32_t n_entries;
    const struct raft_entry *entries; /* borrowed */
    struct raft_snapshot snapshot;    /* data borrowed */
};

struct raft_config {
    uint64_t id;
    uint64_t voters[SK_RAFT_MEMBERS_MAX];
    unsigned n_voters;
    /* Observers receive the log but never vote or campaign. */
    uint64_t observers[SK_RAFT_MEMBERS_MAX];
    unsigned n_observers;
    /* A follower campaigns after a random time in [T, 2T) without a leader. */
    uint32_t election_timeout_ms;
    uint32_t heartbeat_interval_ms;
    /* Flow control: bytes and entries per append, appends in flight per peer. */
    uint32_t max_msg_bytes;
    uint32_t max_msg_entries;
    uint32_t max_inflight_msgs;
    /* A leader refuses proposals once this many entries are uncommitted. */
    uint32_t max_uncommitted_entries;
    uint32_t max_entry_bytes;
    bool pre_vote;
    bool check_quorum;
    uint64_t seed; /* PRNG seed for election jitter */
};

/* Fills `c` with the defaults (no members, seed 1). */
void raft_config_default(struct raft_config *c);
/* Checks every field against the others and common/limits.h; on failure writes
 * a one-line reason into errbuf and returns SK_ECONFIG. */
int raft_config_validate(const struct raft_config *c, char *errbuf, size_t errlen);

/* What a restarted node read back from its storage.  All fields borrowed for
 * the duration of raft_new(); the core copies what it keeps. */
struct raft_restore {
    struct raft_hard_state hs;
    struct raft_snapshot snapshot; /* index 0 when there is none */
    const struct raft_entry *entries; /* consecutive, starting at snapshot.index+1 */
    size_t n_entries;
};

enum raft_event_type {
    RAFT_EVENT_TICK = 1,
    RAFT_EVENT_RECEIVE,
    RAFT_EVENT_PERSISTED,
    RAFT_EVENT_PROPOSE,
    RAFT_EVENT_SNAPSHOT_DONE,
    RAFT_EVENT_TRANSFER,
    RAFT_EVENT_CHANGE
};

/* Single-server membership changes (thesis §4.1). */
enum raft_change_op {
    RAFT_CHANGE_ADD_OBSERVER = 1, /* a new member that only receives the log */
    RAFT_CHANGE_ADD_VOTER,        /* a new voter, or an observer promoted */
    RAFT_CHANGE_REMOVE            /* a voter or an observer leaves */
};

struct raft_event {
    uint8_t type; /* enum raft_event_type */
    int64_t now_ms;
    union {
        const struct raft_msg *msg; /* RECEIVE (borrowed) */
        struct {
            uint64_t index;
            uint64_t term;
        } persisted; /* PERSISTED */
        struct {
            const uint8_t *data;
            uint32_t len;
        } propose; /* PROPOSE (copied) */
        /* SNAPSHOT_DONE: index <= applied (copied); `members` must be
         * raft_members_at(index). */
        struct raft_snapshot snapshot;
        uint64_t transfer_to; /* TRANSFER */
        struct {
            uint8_t op; /* enum raft_change_op */
            uint64_t id;
        } change; /* CHANGE */
    } u;
};

struct raft_update {
    bool hard_state_changed;
    struct raft_hard_state hard_state;
    const struct raft_snapshot *snapshot; /* received: persist, then apply */
    const struct raft_entry *entries;     /* to persist */
    size_t n_entries;
    const struct raft_msg *msgs;
    size_t n_msgs;
    const struct raft_msg *msgs_after_persist;
    size_t n_msgs_after_persist;
    const struct raft_entry *committed; /* to apply, in order */
    size_t n_committed;
    /* PROPOSE: where the entry went. */
    uint64_t proposed_index;
    uint64_t proposed_term;
    /* Step the core again with a TICK no later than this. */
    int64_t deadline_ms;
};

struct raft;

/* Creates a node.  `restore` may be NULL for a node with empty storage.
 * Returns SK_ECONFIG (with errbuf filled) on a bad config, SK_ECORRUPT if the
 * restored state is inconsistent, SK_ENOMEM. */
int raft_new(const struct raft_config *cfg, const struct raft_restore *restore, int64_t now_ms,
             struct raft **out, char *errbuf, size_t errlen);
void raft_free(struct raft *r);

/* Processes one event.  Returns 0, or SK_ESTATE (propose/transfer/change on
 * a non-leader, or while a transfer is under way), SK_EAGAIN (too many
 * uncommitted entries; for CHANGE: a change is still uncommitted, or the
 * leader has not yet committed an entry of its term), SK_ELIMIT (entry too
 * large), SK_EINVAL (bad event, or a change that makes no sense), SK_ENOMEM.
 * The update is filled in every case and must be acted upon.  For CHANGE,
 * proposed_index is the config entry's index. */
int raft_step(struct raft *r, const struct raft_event *ev, struct raft_update *up);

/* Read-only accessors (for drivers, tests and the simulator's checkers). */
uint64_t raft_id(const struct raft *r);
enum raft_role raft_role(const struct raft *r);
uint64_t raft_term(const struct raft *r);
uint64_t raft_vote(const struct raft *r);
uint64_t raft_leader(const struct raft *r);
uint64_t raft_commit(const struct raft *r);
uint64_t raft_applied(const struct raft *r);
uint64_t raft_last_index(const struct raft *r);
uint64_t raft_first_index(const struct raft *r); /* first entry still in memory */
uint64_t raft_snapshot_index(const struct raft *r);
/* Entry at `index`, or NULL if it is compacted or beyond the last. */
const struct raft_entry *raft_entry_at(const struct raft *r, uint64_t index);
/* Term of the entry at `index` (also for the compaction point); 0 if unknown. */
uint64_t raft_term_at(const struct raft *r, uint64_t index);
/* The member list in force now (the latest config entry in the log, even
 * uncommitted, else the snapshot's, else the bootstrap config). */
const struct raft_members *raft_members(const struct raft *r);
/* The member list in force at `index` (>= the snapshot index): what a
 * snapshot at `index` must record.  SK_ERANGE if index is not held. */
int raft_members_at(const struct raft *r, uint64_t index, struct raft_members *out);
/* On the leader: the highest index known to match the leader's log on
 * member `id` (its own persisted index for the leader itself), for
 * replication-lag views.  false on a non-leader or for an unknown id. */
bool raft_member_match(const struct raft *r, uint64_t id, uint64_t *match);
const char *raft_role_name(enum raft_role role);
const char *raft_msg_type_name(uint8_t type);

#endif
