/* The metadata image: every node's in-memory view of the cluster, built by
 * applying committed metadata-log records in order (brokers, their fencing,
 * topics, partitions with replicas / ISR / leader / epochs, topic configs).
 *
 * The image is pure data: applying a record touches nothing but the image,
 * so every node that applies the same log holds the same image.  Records are
 * plain structs here; broker/metadata_records.c converts them from and to
 * protobuf (proto/metadata.proto) and validates them on the way in.
 *
 * Read-only accessors at the end are the API for operators' views (status,
 * metrics) and for the request handlers. */
#ifndef SK_METADATA_H
#define SK_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"

#define MD_NO_LEADER (-1)

struct md_broker {
    int32_t id;
    uint64_t incarnation_id;
    int64_t epoch;
    char host[256]; /* advertised client listener */
    int32_t port;
    char internal_host[256];
    int32_t internal_port;
    bool fenced;
    bool shutting_down;
    uint64_t registered_index; /* log index of the registration (image only) */
};

struct md_partition {
    int32_t replicas[SK_REPLICATION_FACTOR_MAX];
    int32_t n_replicas;
    int32_t isr[SK_REPLICATION_FACTOR_MAX];
    int32_t n_isr;
    int32_t leader; /* MD_NO_LEADER when offline */
    int32_t leader_epoch;
    int32_t partition_epoch;
};

struct md_config {
    const char *key;   /* borrowed in records, owned in the image */
    const char *value;
};

enum md_rec_type {
    MD_REC_BROKER = 1,
    MD_REC_BROKER_STATE,
    MD_REC_TOPIC,
    MD_REC_PARTITION,
    MD_REC_REMOVE_TOPIC,
    MD_REC_TOPIC_CONFIG,
};

/* One record.  Strings and config arrays are borrowed from whoever built the
 * record (a decoded protobuf message or the controller's arena). */
struct md_rec {
    enum md_rec_type type;
    union {
        struct md_broker broker;
        struct {
            int32_t id;
            int64_t epoch;
            bool fenced;
            bool shutting_down;
        } state;
        struct {
            const char *name;
            int32_t partitions;
            const struct md_config *configs;
            int32_t n_configs;
        } topic;
        struct {
            const char *topic;
            int32_t index;
            struct md_partition st;
        } partition;
        struct {
            const char *name;
        } remove;
        struct {
            const char *name;
            const struct md_config *configs;
            int32_t n_configs;
        } config;
    } u;
};

struct md_topic {
    char *name; /* owned */
    int32_t n_partitions;
    struct md_partition *parts; /* owned, n_partitions */
    struct md_config *configs;  /* owned: keys and values too */
    int32_t n_configs;
    uint64_t created_index; /* metadata log index of its creation */
};

struct md_image {
    struct md_broker brokers[SK_CLUSTER_BROKERS_MAX];
    int32_t n_brokers;
    struct md_topic **topics; /* owned, n_topics (insertion order) */
    int32_t n_topics;
    int32_t cap_topics;
    int64_t max_broker_epoch; /* a new registration gets a larger one */
    uint64_t applied_index;   /* last metadata log index applied */
};

void md_image_init(struct md_image *img);
void md_image_clear(struct md_image *img);

/* Applies one committed record at log index `index`.  A record that does
 * not fit the image (unknown broker or topic, partition out of range, a
 * topic that already exists) is refused with SK_EINVAL and changes nothing,
 * identically on every node.  SK_ENOMEM leaves the image unchanged. */
int md_image_apply(struct md_image *img, const struct md_rec *rec, uint64_t index);

/* Pure checks on a partition state (used on decode and by the controller):
 * replicas distinct and non-empty, the ISR a subset of the replicas, the
 * leader an ISR member or MD_NO_LEADER. */
bool md_partition_valid(const struct md_partition *p);

/* ------------------------------------------------------------ read-only API */

const struct md_broker *md_broker_find(const struct md_image *img, int32_t id);
const struct md_topic *md_topic_find(const struct md_image *img, const char *name, size_t len);
const struct md_partition *md_partition_find(const struct md_image *img, const char *topic, size_t len,
                                             int32_t index);
bool md_in_list(const int32_t *ids, int32_t n, int32_t id);
/* Brokers registered and not fenced. */
int32_t md_live_brokers(const struct md_image *img);
/* A broker that is registered, unfenced and not shutting down. */
bool md_broker_live(const struct md_image *img, int32_t id);

#endif
