/* Deterministic Raft simulator: many raft cores in one process, a simulated
 * network (loss, delay, reordering, duplication, partitions), a simulated
 * disk (unsynced writes lost or torn on a crash), a simulated clock, client
 * proposals, crashes and restarts, and safety checkers run after every
 * event.  Everything random comes from one seeded PRNG, so a seed replays
 * exactly. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "raft/raft.h"

#define SIM_NODES_MAX 8

/* --- simulated disk (sim_disk.c) -------------------------------------------- */

enum sim_op_kind { SIM_OP_HS = 1, SIM_OP_SNAP_INSTALL, SIM_OP_ENTRIES };

struct sim_snap {
    uint64_t index;
    uint64_t term;
    uint64_t sm_hash; /* state-machine image: the hash chain at `index` */
    struct raft_members members;
};

struct sim_op {
    uint8_t kind;
    struct raft_hard_state hs;
    struct sim_snap snap;
    uint64_t first;             /* ENTRIES: index of entries[0] */
    struct raft_entry *entries; /* ENTRIES: owned copies */
    size_t n;
};

struct sim_disk {
    /* What survives a crash. */
    struct raft_hard_state hs;
    struct sim_snap snap;
    struct raft_entry *ents; /* snap.index+1 .. */
    size_t n;
    size_t cap;
    /* Written but not yet synced, oldest first. */
    struct sim_op *ops;
    size_t n_ops;
    size_t cap_ops;
};

void sim_disk_free(struct sim_disk *d);
void sim_disk_push(struct sim_disk *d, const struct sim_op *op);
/* Makes the oldest `count` unsynced ops durable. */
void sim_disk_sync(struct sim_disk *d, size_t count);
/* A crash: a random prefix of the unsynced ops reaches the disk, the last of
 * them possibly torn (a prefix of its entries); the rest is lost. */
void sim_disk_crash(struct sim_disk *d, uint64_t *prng, bool *torn_out);
/* Local snapshot taken at (index, term): durable at once, log compacted. */
void sim_disk_snapshot(struct sim_disk *d, const struct sim_snap *s);
struct raft_entry *sim_entries_copy(const struct raft_entry *src, size_t n);
void sim_entries_free(struct raft_entry *e, size_t n);

/* --- the world (sim.c) -------------------------------------------------------- */

struct sim_msg; /* in flight */

/* One batch of writes waiting for its sync, with what depends on it. */
struct sim_batch {
    uint64_t seq;
    size_t ops_end; /* disk ops up to here belong to this or earlier batches */
    uint64_t persisted_index;
    uint64_t persisted_term;
    struct raft_msg *after; /* deep copies, sent once synced */
    size_t n_after;
    struct sim_batch *next;
};

struct sim_node {
    uint64_t id;
    bool voter; /* in the initial config */
    bool spare; /* outside it: joins only through a membership change */
    bool up;
    uint64_t incarnation;
    struct raft *raft;
    struct sim_disk disk;
    struct sim_batch *batches; /* FIFO */
    struct sim_batch *batches_tail;
    uint64_t batch_seq;
    size_t ops_synced_base; /* ops already removed from the disk journal */
    int64_t sync_at_ms;     /* time of the last scheduled sync */
    int64_t timer_at_ms;       /* simulated time of the pending tick */
    int64_t timer_deadline_ms; /* the same instant on the node's clock */
    /* The node's clock: offset + sim_time * rate_ppm / 1e6 (offset and
     * drift, so no two nodes agree on the time). */
    int64_t clock_offset_ms;
    int64_t rate_ppm;
    /* State machine: a hash chain over applied entries. */
    uint64_t sm_index;
    uint64_t sm_hash;
    uint64_t last_commit; /* checker: commit never moves back */
    enum raft_role last_role;
    uint64_t snapshot_every;
};

struct sim_event;

struct sim_params {
    unsigned n_voters;
    unsigned n_observers;
    unsigned n_spares; /* nodes outside the initial config, for membership changes */
    double p_change;   /* share of faults that are membership changes */
    double loss;
    double dup;
    int64_t delay_min_ms;
    int64_t delay_max_ms;
    int64_t sync_max_ms;
    int64_t chaos_ms;    /* faults happen during [0, chaos_ms) */
    int64_t liveness_ms; /* after healing: bound for leader + commit */
    int64_t fault_every_ms;
    int64_t propose_every_ms;
    double p_crash;
    double p_partition;
    double p_transfer;
    uint32_t election_timeout_ms;
    int64_t reboot_max_ms; /* a crashed node may come back this soon */
    int64_t drift_ppm_max; /* clock rate error bound per node */
    double p_crash_unsynced; /* per write: crash before its sync completes */
};

struct sim_committed {
    uint64_t term;
    uint64_t id; /* proposal id, 0 for a noop */
    uint64_t hash;
};

struct sim_logrec {
    uint64_t index;
    uint64_t term;
    uint64_t id;
    uint64_t prev_term;
};

/* A proposal the client got an index for, waiting for its apply. */
struct sim_pending {
    unsigned node;
    uint64_t incarnation;
    uint64_t index;
};

struct sim {
    uint64_t seed;
    uint64_t prng;
    struct sim_params p;
    unsigned n_nodes;
    struct sim_node nodes[SIM_NODES_MAX];
    bool link_up[SIM_NODES_MAX][SIM_NODES_MAX]; /* [from][to] */
    int64_t now_ms;
    uint64_t event_seq;
    struct sim_event **heap;
    size_t heap_n;
    size_t heap_cap;
    bool healed;
    uint64_t next_proposal_id;
    struct sim_pending *pending; /* index: proposal id */
    size_t pending_cap;
    int64_t healed_at_ms;
    uint64_t live_target; /* index all nodes must apply after healing */
    bool done;
    /* Checker state (sim_check.c). */
    uint64_t *leader_of_term; /* index: term */
    size_t leader_of_term_cap;
    struct sim_committed *committed; /* index: log index */
    size_t committed_cap;
    uint64_t committed_max;
    struct sim_logrec *logrecs; /* open-addressing table keyed by (index, term) */
    size_t logrecs_cap;
    size_t logrecs_n;
    uint64_t *acked; /* acked proposal index by proposal id */
    size_t acked_cap;
    uint64_t acked_max_index;
    uint64_t n_acked;
    /* Result. */
    bool failed;
    char failure[512];
    /* Trace. */
    FILE *trace;
    uint64_t trace_hash;
    uint64_t events;
    uint64_t msgs_delivered;
};

struct sim_result {
    bool ok;
    char failure[512];
    uint64_t trace_hash;
    uint64_t events;
    int64_t sim_ms;
    uint64_t committed;
    uint64_t acked;
    int64_t recovery_ms; /* from healing to every live node applying the target */
};

enum sim_ev_type { EV_TICK = 1, EV_DELIVER, EV_SYNC, EV_PROPOSE, EV_FAULT, EV_HEAL, EV_RESTART, EV_CRASH };

/* sim.c, for sim_faults.c: the event queue and the node driver. */
struct sim_event *sim_ev_new(struct sim *s, int64_t at_ms, uint8_t type, unsigned node);
int64_t sim_node_clock(const struct sim *s, const struct sim_node *n);
void sim_node_step(struct sim *s, struct sim_node *n, struct raft_event *ev);
void sim_process_update(struct sim *s, struct sim_node *n, const struct raft_update *up);
void sim_node_start(struct sim *s, struct sim_node *n);
void sim_node_crash(struct sim *s, struct sim_node *n);

/* sim_faults.c */
void sim_links_all(struct sim *s, bool up);
void sim_fault(struct sim *s);
void sim_heal(struct sim *s);
void sim_propose(struct sim *s);

/* Runs one seed to completion. `trace` may be NULL. */
void sim_run(uint64_t seed, unsigned n_nodes, FILE *trace, struct sim_result *res);

/* Trace: always hashed, printed when tracing. */
void sim_trace(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_fail(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t sim_rand(struct sim *s);
uint64_t sim_rand_below(struct sim *s, uint64_t n);
bool sim_chance(struct sim *s, double p);

bool sim_is_member(struct sim *s, const struct sim_node *n);

/* --- checkers (sim_check.c) ------------------------------------------------------ */

void check_init(struct sim *s);
void check_free(struct sim *s);
/* After every event: election safety, commit monotonic, leader completeness. */
void check_after_step(struct sim *s);
/* Entries handed out for persisting by node n: log matching. */
void check_new_entries(struct sim *s, struct sim_node *n, const struct raft_entry *e, size_t count);
/* Entry applied by node n: state-machine safety. */
void check_applied(struct sim *s, struct sim_node *n, const struct raft_entry *e, uint64_t hash_after);
void check_snapshot_applied(struct sim *s, struct sim_node *n, uint64_t index, uint64_t hash);
void check_acked(struct sim *s, uint64_t id, uint64_t index);
/* End of run: every acknowledged proposal applied on every node. */
void check_final(struct sim *s);

uint64_t sim_entry_id(const struct raft_entry *e);
uint64_t sim_hash_mix(uint64_t h, uint64_t term, uint64_t id);

#endif
