/* Request and response structs for ApiVersions, Metadata, Produce, Fetch and ListOffsets.
 * Include broker/kafka_proto.h, not this file; the memory and null rules are
 * described there. */
#ifndef KAFKA_PROTO_DATA_H
#define KAFKA_PROTO_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

struct kafka_api_info;

/* ------------------------------------------------------------ ApiVersions 18 */

struct kafka_api_versions_req {
    /* v3+ bodies are flexible and not parsed (P1); this is then true. */
    bool body_unparsed;
};

struct kafka_api_versions_resp {
    int16_t error_code;
    /* Usually the table from kafka_api_table(); adv_min/adv_max are written. */
    const struct kafka_api_info *apis;
    int32_t n_apis;
    int32_t throttle_time_ms; /* v1+ */
};

/* --------------------------------------------------------------- Metadata 3 */

struct kafka_metadata_req {
    int32_t n_topics;               /* -1 = null (v1+) */
    struct sk_slice *topics;        /* topic names */
    bool all_topics;                /* v0 empty array or v1+ null: every topic (P4) */
    bool allow_auto_topic_creation; /* v4+; true below v4 (schema default) */
};

struct kafka_metadata_broker {
    int32_t node_id;
    struct sk_slice host;
    int32_t port;
    struct sk_slice rack; /* v1+, nullable */
};

struct kafka_metadata_partition {
    int16_t error_code;
    int32_t partition_index;
    int32_t leader_id;
    const int32_t *replica_nodes;
    int32_t n_replica_nodes;
    const int32_t *isr_nodes;
    int32_t n_isr_nodes;
    const int32_t *offline_replicas; /* v5+ */
    int32_t n_offline_replicas;
};

struct kafka_metadata_topic {
    int16_t error_code;
    struct sk_slice name;
    bool is_internal; /* v1+ */
    struct kafka_metadata_partition *partitions;
    int32_t n_partitions;
};

struct kafka_metadata_resp {
    int32_t throttle_time_ms; /* v3+ */
    struct kafka_metadata_broker *brokers;
    int32_t n_brokers;
    struct sk_slice cluster_id; /* v2+, nullable (keep it non-null, P4) */
    int32_t controller_id;      /* v1+; must be in brokers (P4) */
    struct kafka_metadata_topic *topics;
    int32_t n_topics;
};

/* ---------------------------------------------------------------- Produce 0 */

struct kafka_produce_partition {
    int32_t index;
    struct sk_slice records; /* NULLABLE_BYTES: RecordBatches, unvalidated */
};

struct kafka_produce_topic {
    struct sk_slice name;
    struct kafka_produce_partition *partitions;
    int32_t n_partitions;
};

struct kafka_produce_req {
    struct sk_slice transactional_id; /* v3+, nullable; null below v3 */
    int16_t acks;
    int32_t timeout_ms;
    struct kafka_produce_topic *topics;
    int32_t n_topics;
};

struct kafka_produce_partition_resp {
    int32_t index;
    int16_t error_code;
    int64_t base_offset;
    int64_t log_append_time_ms; /* v2+; -1 for CreateTime topics */
    int64_t log_start_offset;   /* v5+ */
};

struct kafka_produce_topic_resp {
    struct sk_slice name;
    struct kafka_produce_partition_resp *partitions;
    int32_t n_partitions;
};

struct kafka_produce_resp {
    struct kafka_produce_topic_resp *topics;
    int32_t n_topics;
    int32_t throttle_time_ms; /* v1+, written LAST in Produce */
};

/* ------------------------------------------------------------------ Fetch 1 */

struct kafka_fetch_partition {
    int32_t partition;
    int32_t current_leader_epoch; /* v9+; -1 = no check (P6) */
    int64_t fetch_offset;
    int64_t log_start_offset; /* v5+, -1 otherwise (followers only) */
    int32_t partition_max_bytes;
};

struct kafka_fetch_topic {
    struct sk_slice topic;
    struct kafka_fetch_partition *partitions;
    int32_t n_partitions;
};

struct kafka_fetch_forgotten_topic {
    struct sk_slice topic;
    int32_t *partitions;
    int32_t n_partitions;
};

struct kafka_fetch_req {
    int32_t replica_id; /* -1 for consumers */
    int32_t max_wait_ms;
    int32_t min_bytes;
    int32_t max_bytes;      /* v3+; INT32_MAX below */
    int8_t isolation_level; /* v4+; 0 read_uncommitted, 1 read_committed */
    int32_t session_id;     /* v7+; 0 */
    int32_t session_epoch;  /* v7+; -1 */
    struct kafka_fetch_topic *topics;
    int32_t n_topics;
    struct kafka_fetch_forgotten_topic *forgotten; /* v7+ */
    int32_t n_forgotten;
    struct sk_slice rack_id; /* v11; "" below */
};

struct kafka_aborted_txn {
    int64_t producer_id;
    int64_t first_offset;
};

struct kafka_fetch_partition_resp {
    int32_t partition_index;
    int16_t error_code;
    int64_t high_watermark;
    int64_t last_stable_offset; /* v4+; = high_watermark without transactions */
    int64_t log_start_offset;   /* v5+ */
    /* v4+; always written as an array (possibly empty), never null (P6). */
    const struct kafka_aborted_txn *aborted;
    int32_t n_aborted;
    /* preferred_read_replica (v11) is always written as -1 (P6): a value the
     * handler could get wrong moves the client's fetching elsewhere. */
    /* Records: NULLABLE_BYTES view of bytes already read from the log;
     * records_len < 0 writes null, otherwise records_len bytes (ptr may be
     * NULL when records_len == 0). */
    const uint8_t *records;
    int32_t records_len;
};

struct kafka_fetch_topic_resp {
    struct sk_slice topic;
    struct kafka_fetch_partition_resp *partitions;
    int32_t n_partitions;
};

struct kafka_fetch_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;       /* v7+ */
    int32_t session_id;       /* v7+; 0 = no session */
    struct kafka_fetch_topic_resp *topics;
    int32_t n_topics;
};

/* ------------------------------------------------------------ ListOffsets 2 */

struct kafka_list_offsets_partition {
    int32_t partition_index;
    int64_t timestamp; /* -1 latest, -2 earliest, else a time in ms */
};

struct kafka_list_offsets_topic {
    struct sk_slice name;
    struct kafka_list_offsets_partition *partitions;
    int32_t n_partitions;
};

struct kafka_list_offsets_req {
    int32_t replica_id;
    int8_t isolation_level; /* v2+; 0 below */
    struct kafka_list_offsets_topic *topics;
    int32_t n_topics;
};

struct kafka_list_offsets_partition_resp {
    int32_t partition_index;
    int16_t error_code;
    int64_t timestamp; /* -1 when not a time lookup */
    int64_t offset;
};

struct kafka_list_offsets_topic_resp {
    struct sk_slice name;
    struct kafka_list_offsets_partition_resp *partitions;
    int32_t n_partitions;
};

struct kafka_list_offsets_resp {
    int32_t throttle_time_ms; /* v2+ */
    struct kafka_list_offsets_topic_resp *topics;
    int32_t n_topics;
};

#endif
