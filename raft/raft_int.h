/* The core's internal state, shared by its files (one concern each:
 * election.c, recv_vote.c, replication.c, recv_append.c, recv_append_resp.c,
 * raft.c for the step loop and the update).  Not for drivers. */
#ifndef RAFT_RAFT_INT_H
#define RAFT_RAFT_INT_H

#include "raft/log.h"
#include "raft/progress.h"
#include "raft/raft.h"

/* Outgoing messages collected during one step.  A message that carries
 * entries records only their range; raft.c points it into the log when the
 * step ends, because appending to the log may move the entry array. */
struct raft_msg_buf {
    struct raft_msg *v;
    size_t n;
    size_t cap;
};

struct raft {
    struct raft_config cfg;
    enum raft_role role;
    uint64_t term;
    uint64_t vote;
    uint64_t leader;
    struct raft_log log;
    uint64_t commit;
    uint64_t applied;
    /* Highest index the driver reported durable (PERSISTED). */
    uint64_t persisted;
    /* First index not yet handed to the driver for persisting. */
    uint64_t unstable_from;
    bool hs_dirty;

    /* One slot per member, plus this node's own if it was removed. */
    struct raft_progress prs[SK_RAFT_MEMBERS_MAX + 1];
    unsigned n_prs;
    unsigned n_voters;
    bool self_voter;
    struct raft_members boot;    /* from the config, before any config entry */
    struct raft_members members; /* in force */
    uint64_t members_index;      /* its config entry, 0 if snapshot or boot */
    bool members_dirty;          /* a config entry was appended or truncated */
    uint64_t term_start;         /* a leader's first entry of its term */

    int64_t now_ms;
    int64_t election_deadline_ms;
    int64_t heartbeat_deadline_ms;
    int64_t quorum_deadline_ms;
    int64_t leader_contact_ms; /* last time a leader was heard from */
    uint64_t transfer_to;
    int64_t transfer_deadline_ms;
    uint64_t prng;

    /* Latest snapshot (taken locally or installed); data owned. */
    struct raft_snapshot snap;
    uint8_t *snap_data;
    bool snap_to_persist;

    int err; /* first allocation failure during a step */
    struct raft_msg_buf msgs;
    struct raft_msg_buf msgs_after;
    struct raft_msg lost_msg; /* filled and dropped when the buffer cannot grow */
};

/* raft.c */
struct raft_progress *raft_pr_find(struct raft *r, uint64_t id);
struct raft_progress *raft_pr_self(struct raft *r);
/* Queues a message; `after_persist` holds it until local state is durable. */
struct raft_msg *raft_send(struct raft *r, uint64_t to, uint8_t type, bool after_persist);
void raft_commit_to(struct raft *r, uint64_t index);
void raft_truncate_from(struct raft *r, uint64_t index);
uint64_t raft_last_term(const struct raft *r);
/* Appends at last+1 on behalf of the leader (noop or proposal). */
int raft_append_local(struct raft *r, uint8_t type, const uint8_t *data, uint32_t len);

/* election.c */
void raft_reset_election_timer(struct raft *r);
void raft_become_follower(struct raft *r, uint64_t term, uint64_t leader);
void raft_campaign(struct raft *r, bool pre_vote, bool transfer);
void raft_tick(struct raft *r);
int64_t raft_next_deadline(const struct raft *r);
bool raft_in_lease(const struct raft *r);
unsigned raft_quorum(const struct raft *r);

/* recv_vote.c */
void raft_recv_vote(struct raft *r, const struct raft_msg *m);
void raft_recv_vote_resp(struct raft *r, const struct raft_msg *m);

/* replication.c */
void raft_become_leader(struct raft *r);
bool raft_send_append(struct raft *r, struct raft_progress *pr, bool allow_empty);
void raft_bcast_append(struct raft *r);
void raft_bcast_heartbeat(struct raft *r);
bool raft_maybe_commit(struct raft *r);
void raft_maybe_send_timeout_now(struct raft *r, struct raft_progress *pr);

/* recv_append.c (follower side) */
void raft_recv_append(struct raft *r, const struct raft_msg *m);
void raft_recv_heartbeat(struct raft *r, const struct raft_msg *m);
void raft_recv_snapshot(struct raft *r, const struct raft_msg *m);

/* members.c */
void raft_members_set(struct raft *r, const struct raft_members *m, uint64_t index);
void raft_members_refresh(struct raft *r);
int raft_change(struct raft *r, uint8_t op, uint64_t id, struct raft_update *up);

/* recv_append_resp.c (leader side) */
void raft_recv_append_resp(struct raft *r, const struct raft_msg *m);
void raft_recv_heartbeat_resp(struct raft *r, const struct raft_msg *m);

#endif
