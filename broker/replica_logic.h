/* Replication decisions as pure functions: the leader's high watermark, a
 * follower's caught-up time, and ISR shrink / expand candidates (Kafka's
 * rules; no I/O, time is an input). */
#ifndef SK_REPLICA_LOGIC_H
#define SK_REPLICA_LOGIC_H

#include <stdbool.h>
#include <stdint.h>

/* What the leader knows about one follower. */
struct replica_follower {
    int32_t id;
    int64_t fetch_offset;      /* -1 until its first fetch in this leader epoch */
    int64_t last_caught_up_ms; /* last time it had everything the leader had */
    int64_t last_fetch_ms;
    int64_t last_fetch_leo;    /* the leader's log end at its previous fetch */
};

/* The high watermark: the smallest durable end over the ISR (the leader's
 * own `local_end` and each follower's fetch offset, which covers only what it
 * has synced).  It never moves back, and it does not move at all while the
 * ISR is smaller than min_isr (KIP-966: then every replica that leaves the
 * ISR still holds every committed record).  A follower in the ISR that has
 * not fetched yet in this epoch holds it where it is. */
int64_t replica_leader_hw(int64_t current_hw, int64_t local_end, int32_t self, const int32_t *isr, int32_t n_isr,
                          const struct replica_follower *f, int32_t n_f, int32_t min_isr);

/* Records a fetch at fetch_offset when the leader's log end is leo: the
 * follower is caught up now if it asked for the end, or as of its previous
 * fetch if it asked for what was the end then (Kafka's rule, so a follower
 * that keeps up under constant load is not seen as lagging). */
void replica_note_fetch(struct replica_follower *f, int64_t fetch_offset, int64_t leo, int64_t now_ms);

/* The ISR without the followers that have not caught up for lag_ms; returns
 * the new size (== n_isr when nothing changes).  The leader always stays. */
int32_t replica_isr_shrink(int32_t self, const int32_t *isr, int32_t n_isr, const struct replica_follower *f,
                           int32_t n_f, int64_t now_ms, int64_t lag_ms, int32_t *out);

/* A replica outside the ISR that has reached both the high watermark and the
 * start of the current leader epoch may join: returns its id, or -1. */
int32_t replica_isr_expand(const int32_t *isr, int32_t n_isr, const struct replica_follower *f, int32_t n_f,
                           int64_t hw, int64_t epoch_start_offset);

#endif
