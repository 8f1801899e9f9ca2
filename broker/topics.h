/* Topics and partitions on this node: the registry, each partition's log and
 * high watermark, and the waiters parked on a high-watermark advance (produce
 * with acks waiting for durability, fetch long polls).
 *
 * Topic definitions come from the metadata image (metadata.h): topics_sync
 * makes the registry follow it, opening a log for every partition this node
 * holds a replica of.  A topic's partitions array covers every partition;
 * entries for partitions this node holds no replica of are NULL. */
#ifndef SK_TOPICS_H
#define SK_TOPICS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "metadata.h"

struct plog;
struct broker;
struct partition;

/* A request parked until a partition's high watermark reaches `target`. */
struct hw_waiter {
    struct hw_waiter *prev, *next;
    struct partition *p;  /* set while parked */
    int64_t target;       /* wake when high_watermark >= target */
    bool local;           /* wake on local durability instead (acks=1) */
    bool partition_gone;  /* set before cb when the partition is deleted */
    bool lost_leadership; /* set before cb when this node stopped leading it */
    void (*cb)(struct hw_waiter *w);
    void *arg;
};

struct partition {
    struct topic *topic;
    int32_t index;
    struct plog *log;       /* owned */
    int64_t high_watermark; /* consumers never read at or above it */
    int32_t leader_epoch;
    struct hw_waiter *waiters;
    bool sync_requested;
    struct md_partition st; /* replicas, ISR, leader, epochs from the image */
    void *replica;          /* replication state (replica manager), or NULL */
};

/* Traffic through this topic since the node started (loop thread; exported
 * by broker/broker_metrics.c). */
struct topic_io {
    uint64_t bytes_in_total;
    uint64_t records_in_total;
    uint64_t bytes_out_total;
    uint64_t records_out_total;
};

struct topic {
    struct topic_registry *reg;
    char *name; /* owned */
    int32_t n_partitions;
    struct partition **partitions; /* owned */
    struct topic_config cfg;       /* effective values */
    char **override_keys;          /* owned: keys set explicitly on the topic */
    char **override_values;
    int32_t n_overrides;
    bool internal;
    struct topic_io io;
    struct topic *hnext;
};

struct topic_registry;

/* Loads topic definitions and opens their partition logs (recovering them
 * unless the last shutdown was clean). */
int topics_open(struct broker *b, struct topic_registry **out);
/* Closes every log (final sync) and writes the clean-shutdown marker when
 * `clean` is true. */
void topics_close(struct topic_registry *t, bool clean);

struct topic *topics_find(struct topic_registry *t, const char *name, size_t len);
struct partition *topics_partition(struct topic_registry *t, const char *name, size_t len, int32_t index);
/* The partition if this node leads it; otherwise NULL with *err set to
 * UNKNOWN_TOPIC_OR_PARTITION (no such partition) or NOT_LEADER_OR_FOLLOWER
 * (it exists, led elsewhere or leaderless), so clients refresh metadata. */
struct partition *topics_leader(struct topic_registry *t, const char *name, size_t len, int32_t index,
                                int16_t *err);
/* Iteration in no particular order: pass NULL to start. */
struct topic *topics_next(struct topic_registry *t, struct topic *prev);
size_t topics_count(const struct topic_registry *t);

/* Kafka's internal topics (__consumer_offsets, __transaction_state): shown
 * as internal in Metadata and written only by the broker itself. */
bool topics_is_internal(const char *name, size_t len);
/* Kafka's topic-name rule: [a-zA-Z0-9._-]{1,249}, not "." or "..". */
bool topics_valid_name(const char *name, size_t len);

/* Makes the registry follow the image: creates and removes topics, opens
 * the logs of new local replicas, applies config overrides, and reports
 * every leader, epoch or ISR change of a local partition to the role
 * callback (`old` is the previous state; NULL when the partition goes). */
typedef void (*topics_role_cb)(void *arg, struct partition *p, const struct md_partition *old);
void topics_sync(struct topic_registry *t, const struct md_image *img);
void topics_set_role_cb(struct topic_registry *t, topics_role_cb cb, void *arg);

/* Appends to a partition and starts durability work.  Returns the offsets
 * assigned.  The high watermark advances when the data is durable (flush
 * policy 1) or at once (larger flush intervals: Kafka's page-cache mode). */
int partition_append(struct partition *p, uint8_t *batches, size_t len, int64_t *first, int64_t *last);

void partition_wait(struct partition *p, struct hw_waiter *w);
void partition_unwait(struct hw_waiter *w);

/* What this node has durably (the synced offset under the default flush
 * policy, the log end with a larger flush interval). */
int64_t partition_local_end(const struct partition *p);
/* Raises the high watermark (never lowers it) and wakes waiters it passes. */
void partition_raise_hw(struct partition *p, int64_t hw);
/* Recomputes the high watermark from the replication state. */
void partition_update_hw(struct partition *p);
/* Leadership moved away: every waiter is woken with lost_leadership. */
void partition_wake_lost(struct partition *p);

/* Periodic roll and retention over every partition. */
void topics_maintain(struct topic_registry *t);

#endif
