/* The controller's decisions as pure functions (no I/O, no clock, no
 * globals): replica placement, leader election from the ISR, partition
 * changes when a broker is fenced or returns, ISR changes, preferred-leader
 * rebalancing.  Inputs are plain structs; "live" brokers are registered,
 * unfenced and not shutting down. */
#ifndef SK_CONTROLLER_LOGIC_H
#define SK_CONTROLLER_LOGIC_H

#include <stdbool.h>
#include <stdint.h>

#include "metadata.h"

struct ctrl_live {
    const int32_t *ids;
    int32_t n;
};

bool ctrl_is_live(const struct ctrl_live *live, int32_t id);

/* Places n_partitions partitions of rf replicas over the live brokers
 * (sorted ids), round robin with the first replica of partition i on broker
 * (start + i) mod n and the followers on the next ones, so leaders and
 * replicas spread evenly.  out[i] gets rf ids.  SK_EINVAL if rf exceeds the
 * live brokers or SK_REPLICATION_FACTOR_MAX. */
int ctrl_place(const struct ctrl_live *live, int32_t n_partitions, int32_t rf, int32_t start,
               struct md_partition *out);

/* The first live ISR member in replica order (Kafka's rule), or, only with
 * `unclean`, the first live replica when no ISR member is live; otherwise
 * MD_NO_LEADER. */
int32_t ctrl_elect(const struct md_partition *p, const struct ctrl_live *live, bool unclean);

/* Broker `id` is fenced or shutting down: it leaves the ISR unless it is the
 * last member (the ISR never empties: the last member is the only replica
 * known to hold every committed record, KIP-966), and the partition gets a
 * new leader if `id` led it.  Returns true (and fills *out, epochs bumped)
 * if anything changed. */
bool ctrl_on_broker_down(const struct md_partition *in, int32_t id, const struct ctrl_live *live, bool unclean,
                         struct md_partition *out);

/* Controlled shutdown of `id`: like ctrl_on_broker_down, except that a
 * partition `id` leads with no other live ISR member keeps its leader (going
 * offline early helps nobody; the broker leaves right after). */
bool ctrl_on_broker_shutdown(const struct md_partition *in, int32_t id, const struct ctrl_live *live, bool unclean,
                             struct md_partition *out);

/* A partition without a leader gets one if a live ISR member exists (a
 * broker came back).  Returns true (and fills *out) if it changed. */
bool ctrl_on_broker_up(const struct md_partition *in, const struct ctrl_live *live, bool unclean,
                       struct md_partition *out);

/* The preferred (first) replica is live and in the ISR but does not lead:
 * move leadership to it. */
bool ctrl_rebalance(const struct md_partition *in, const struct ctrl_live *live, struct md_partition *out);

/* An AlterPartition from the leader: accepted when it comes from the current
 * leader at the current leader and partition epochs, and the new ISR is a
 * subset of the replicas that contains the leader and whose added members
 * are live.  (Shrinking below min.insync.replicas is allowed: the leader then
 * stops advancing the high watermark, KIP-966, so every replica removed
 * while below it still holds every committed record.)  Returns a Kafka error
 * code; on KAFKA_NONE *out holds the new state (partition epoch bumped). */
int16_t ctrl_alter_isr(const struct md_partition *in, int32_t leader, int32_t leader_epoch, int32_t partition_epoch,
                       const int32_t *isr, int32_t n_isr, const struct ctrl_live *live, struct md_partition *out);

/* Broker ids whose last heartbeat (ms, monotonic) is older than the session
 * timeout; writes up to `max` ids into out and returns how many. */
int32_t ctrl_expired(const int32_t *ids, const int64_t *last_hb_ms, int32_t n, int64_t now_ms, int64_t session_ms,
                     int32_t *out, int32_t max);

#endif
