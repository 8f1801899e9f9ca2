/* Topics and partitions on this node: the registry, each partition's log and
 * high watermark, and the waiters parked on a high-watermark advance (produce
 * with acks waiting for durability, fetch long polls).
 *
 * Until the controller's metadata log exists, a single node keeps topic
 * definitions in <log.dirs>/.skiff-topics/<name> (partition count and config
 * overrides), written atomically. */
#ifndef SK_TOPICS_H
#define SK_TOPICS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct plog;
struct broker;
struct partition;

/* A request parked until a partition's high watermark reaches `target`. */
struct hw_waiter {
    struct hw_waiter *prev, *next;
    struct partition *p;  /* set while parked */
    int64_t target;       /* wake when high_watermark >= target */
    bool partition_gone;  /* set before cb when the partition is deleted */
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
/* Iteration in no particular order: pass NULL to start. */
struct topic *topics_next(struct topic_registry *t, struct topic *prev);
size_t topics_count(const struct topic_registry *t);

/* Kafka's internal topics (__consumer_offsets, __transaction_state): shown
 * as internal in Metadata and written only by the broker itself. */
bool topics_is_internal(const char *name, size_t len);
/* Kafka's topic-name rule: [a-zA-Z0-9._-]{1,249}, not "." or "..". */
bool topics_valid_name(const char *name, size_t len);

/* Creates a topic with n partitions and the given overrides (validated
 * first; err gets a message).  Returns 0, SK_EEXIST, SK_EINVAL (bad name or
 * count), SK_ECONFIG (bad config) or an I/O error. */
int topics_create(struct topic_registry *t, const char *name, size_t len, int32_t n_partitions,
                  const char *const *keys, const char *const *values, int32_t n_configs, bool validate_only,
                  char *err, size_t errlen);
int topics_delete(struct topic_registry *t, const char *name, size_t len);
/* Grows a topic to `total` partitions. */
int topics_add_partitions(struct topic_registry *t, struct topic *tp, int32_t total, bool validate_only);
/* Replaces the topic's overrides (AlterConfigs semantics: keys not given
 * revert to their defaults). */
int topics_alter_configs(struct topic_registry *t, struct topic *tp, const char *const *keys,
                         const char *const *values, int32_t n, bool validate_only, char *err, size_t errlen);

/* Appends to a partition and starts durability work.  Returns the offsets
 * assigned.  The high watermark advances when the data is durable (flush
 * policy 1) or at once (larger flush intervals: Kafka's page-cache mode). */
int partition_append(struct partition *p, uint8_t *batches, size_t len, int64_t *first, int64_t *last);

void partition_wait(struct partition *p, struct hw_waiter *w);
void partition_unwait(struct hw_waiter *w);

/* Periodic roll and retention over every partition. */
void topics_maintain(struct topic_registry *t);

#endif
