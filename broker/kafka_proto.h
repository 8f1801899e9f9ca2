/* Kafka wire protocol: API keys, the request header, and one plain C struct per
 * request and response of every API Skiff speaks.
 *
 * Layers (docs/protocol.md): framing (network layer) -> decode (kafka_codec_*.c,
 * bytes to these structs) -> handler (structs only) -> encode (structs to the
 * response body).  Only non-flexible versions are implemented; field order and
 * per-version presence follow Apache Kafka's message schemas.
 *
 * Memory rules.
 * - Requests: every struct sk_slice (strings, bytes, record sets) is BORROWED
 *   from the request frame and valid while the frame lives.  Arrays live in the
 *   sk_arena passed to the decoder.  A null string/bytes has ptr == NULL and
 *   len == -1.  A nullable array that was null has count -1 and pointer NULL.
 *   Fields absent at the decoded version hold the schema's default value.
 * - Responses: the encoder only reads them; the caller owns everything.
 *   Strings and bytes are struct sk_slice (kafka_cstr() wraps a C string).  For
 *   a NULLABLE field ptr == NULL is written as null; for a non-nullable field
 *   ptr == NULL is written as the empty string / empty bytes, so a
 *   zero-initialised response is always well formed.  Arrays are pointer +
 *   int32 count.  Fields absent at the encoded version are skipped. */
#ifndef KAFKA_PROTO_H
#define KAFKA_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"

enum kafka_api_key {
    KAFKA_API_PRODUCE = 0,
    KAFKA_API_FETCH = 1,
    KAFKA_API_LIST_OFFSETS = 2,
    KAFKA_API_METADATA = 3,
    KAFKA_API_OFFSET_COMMIT = 8,
    KAFKA_API_OFFSET_FETCH = 9,
    KAFKA_API_FIND_COORDINATOR = 10,
    KAFKA_API_JOIN_GROUP = 11,
    KAFKA_API_HEARTBEAT = 12,
    KAFKA_API_LEAVE_GROUP = 13,
    KAFKA_API_SYNC_GROUP = 14,
    KAFKA_API_DESCRIBE_GROUPS = 15,
    KAFKA_API_LIST_GROUPS = 16,
    KAFKA_API_SASL_HANDSHAKE = 17,
    KAFKA_API_API_VERSIONS = 18,
    KAFKA_API_CREATE_TOPICS = 19,
    KAFKA_API_DELETE_TOPICS = 20,
    KAFKA_API_DELETE_RECORDS = 21,
    KAFKA_API_INIT_PRODUCER_ID = 22,
    /* Known but neither advertised nor parsed: no client we serve sends it. */
    KAFKA_API_OFFSET_FOR_LEADER_EPOCH = 23,
    KAFKA_API_DESCRIBE_CONFIGS = 32,
    KAFKA_API_ALTER_CONFIGS = 33,
    KAFKA_API_SASL_AUTHENTICATE = 36,
    KAFKA_API_CREATE_PARTITIONS = 37,
};

/* Wraps a NUL-terminated string (or NULL = null) as a slice for responses. */
static inline struct sk_slice kafka_cstr(const char *s)
{
    struct sk_slice v = {(const uint8_t *)s, s ? (int32_t)strlen(s) : -1};
    return v;
}

/* ------------------------------------------------------------------ versions */

/* One row per API: what ApiVersions advertises and what the decoder parses.
 * Advertised minimums are 0 everywhere because librdkafka enables features by
 * range overlap with low versions (README pitfall P2). */
struct kafka_api_info {
    int16_t api_key;
    const char *name;
    int16_t adv_min, adv_max;     /* listed in ApiVersions */
    int16_t parse_min, parse_max; /* implemented by kafka_decode_request */
};

/* The whole table (static storage), ordered by api_key. */
const struct kafka_api_info *kafka_api_table(size_t *n_out);
/* The row for api_key, or NULL when Skiff does not speak that API. */
const struct kafka_api_info *kafka_api_lookup(int16_t api_key);
/* True if kafka_decode_request can decode (api_key, version). */
bool kafka_api_supported(int16_t api_key, int16_t version);
/* "Produce", ... or "Unknown". */
const char *kafka_api_name(int16_t api_key);

/* ------------------------------------------------------------------ header */

/* Request header v1 (every non-flexible request).  For a flexible request
 * (in practice only ApiVersions v3+, README P1) this is the v1 prefix and the
 * caller does not parse the rest of the frame. */
struct kafka_req_header {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    struct sk_slice client_id; /* nullable; Kafka treats null as "" */
};

/* Reads the header v1; 0, SK_ETRUNC or SK_ECORRUPT (bad client_id length). */
int kafka_decode_header(struct sk_reader *r, struct kafka_req_header *out);

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
    int32_t n_topics;         /* -1 = null (v1+) */
    struct sk_slice *topics;  /* topic names */
    bool all_topics;          /* v0 empty array or v1+ null: every topic (P4) */
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
    int32_t max_bytes;       /* v3+; INT32_MAX below */
    int8_t isolation_level;  /* v4+; 0 read_uncommitted, 1 read_committed */
    int32_t session_id;      /* v7+; 0 */
    int32_t session_epoch;   /* v7+; -1 */
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

/* ----------------------------------------------------------- CreateTopics 19 */

struct kafka_create_topics_assignment {
    int32_t partition_index;
    int32_t *broker_ids;
    int32_t n_broker_ids;
};

struct kafka_config_entry {
    struct sk_slice name;
    struct sk_slice value; /* nullable */
};

struct kafka_create_topics_topic {
    struct sk_slice name;
    int32_t num_partitions;     /* -1 = broker default (P9) */
    int16_t replication_factor; /* -1 = broker default (P9) */
    struct kafka_create_topics_assignment *assignments;
    int32_t n_assignments;
    struct kafka_config_entry *configs;
    int32_t n_configs;
};

struct kafka_create_topics_req {
    struct kafka_create_topics_topic *topics;
    int32_t n_topics;
    int32_t timeout_ms;
    bool validate_only; /* v1+ */
};

struct kafka_create_topics_topic_resp {
    struct sk_slice name;
    int16_t error_code;
    struct sk_slice error_message; /* v1+, nullable */
};

struct kafka_create_topics_resp {
    int32_t throttle_time_ms; /* v2+ */
    struct kafka_create_topics_topic_resp *topics;
    int32_t n_topics;
};

/* ----------------------------------------------------------- DeleteTopics 20 */

struct kafka_delete_topics_req {
    struct sk_slice *topic_names;
    int32_t n_topic_names;
    int32_t timeout_ms;
};

struct kafka_delete_topics_topic_resp {
    struct sk_slice name;
    int16_t error_code;
};

struct kafka_delete_topics_resp {
    int32_t throttle_time_ms; /* v1+ */
    struct kafka_delete_topics_topic_resp *responses;
    int32_t n_responses;
};

/* ---------------------------------------------------------- DeleteRecords 21 */

struct kafka_delete_records_partition {
    int32_t partition_index;
    int64_t offset; /* -1 = high watermark */
};

struct kafka_delete_records_topic {
    struct sk_slice name;
    struct kafka_delete_records_partition *partitions;
    int32_t n_partitions;
};

struct kafka_delete_records_req {
    struct kafka_delete_records_topic *topics;
    int32_t n_topics;
    int32_t timeout_ms;
};

struct kafka_delete_records_partition_resp {
    int32_t partition_index;
    int64_t low_watermark;
    int16_t error_code;
};

struct kafka_delete_records_topic_resp {
    struct sk_slice name;
    struct kafka_delete_records_partition_resp *partitions;
    int32_t n_partitions;
};

struct kafka_delete_records_resp {
    int32_t throttle_time_ms;
    struct kafka_delete_records_topic_resp *topics;
    int32_t n_topics;
};

/* --------------------------------------------------------- InitProducerId 22 */

struct kafka_init_producer_id_req {
    struct sk_slice transactional_id; /* nullable */
    int32_t transaction_timeout_ms;
};

struct kafka_init_producer_id_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    int64_t producer_id;
    int16_t producer_epoch;
};

/* -------------------------------------------------------- DescribeConfigs 32 */

/* Resource types (Kafka's ConfigResource.Type). */
#define KAFKA_RESOURCE_TOPIC 2
#define KAFKA_RESOURCE_BROKER 4

struct kafka_describe_configs_resource {
    int8_t resource_type;
    struct sk_slice resource_name;
    struct sk_slice *configuration_keys; /* names; count -1 = null = all */
    int32_t n_configuration_keys;
};

struct kafka_describe_configs_req {
    struct kafka_describe_configs_resource *resources;
    int32_t n_resources;
    bool include_synonyms; /* v1+ */
};

struct kafka_config_synonym {
    struct sk_slice name;
    struct sk_slice value; /* nullable */
    int8_t source;
};

struct kafka_describe_configs_entry {
    struct sk_slice name;
    struct sk_slice value; /* nullable */
    bool read_only;
    bool is_default;     /* v0 only */
    int8_t config_source; /* v1+ (Kafka's ConfigSource: 5 = DEFAULT_CONFIG) */
    bool is_sensitive;
    struct kafka_config_synonym *synonyms; /* v1+ */
    int32_t n_synonyms;
};

struct kafka_describe_configs_result {
    int16_t error_code;
    struct sk_slice error_message; /* nullable */
    int8_t resource_type;
    struct sk_slice resource_name;
    struct kafka_describe_configs_entry *configs;
    int32_t n_configs;
};

struct kafka_describe_configs_resp {
    int32_t throttle_time_ms;
    struct kafka_describe_configs_result *results;
    int32_t n_results;
};

/* ----------------------------------------------------------- AlterConfigs 33 */

struct kafka_alter_configs_resource {
    int8_t resource_type;
    struct sk_slice resource_name;
    struct kafka_config_entry *configs;
    int32_t n_configs;
};

struct kafka_alter_configs_req {
    struct kafka_alter_configs_resource *resources;
    int32_t n_resources;
    bool validate_only;
};

struct kafka_alter_configs_resource_resp {
    int16_t error_code;
    struct sk_slice error_message; /* nullable */
    int8_t resource_type;
    struct sk_slice resource_name;
};

struct kafka_alter_configs_resp {
    int32_t throttle_time_ms;
    struct kafka_alter_configs_resource_resp *responses;
    int32_t n_responses;
};

/* ------------------------------------------------------- CreatePartitions 37 */

struct kafka_create_partitions_assignment {
    int32_t *broker_ids;
    int32_t n_broker_ids;
};

struct kafka_create_partitions_topic {
    struct sk_slice name;
    int32_t count; /* new total partition count */
    struct kafka_create_partitions_assignment *assignments; /* count -1 = null */
    int32_t n_assignments;
};

struct kafka_create_partitions_req {
    struct kafka_create_partitions_topic *topics;
    int32_t n_topics;
    int32_t timeout_ms;
    bool validate_only;
};

struct kafka_create_partitions_topic_resp {
    struct sk_slice name;
    int16_t error_code;
    struct sk_slice error_message; /* nullable */
};

struct kafka_create_partitions_resp {
    int32_t throttle_time_ms;
    struct kafka_create_partitions_topic_resp *results;
    int32_t n_results;
};

/* -------------------------------------------------------- FindCoordinator 10 */

#define KAFKA_COORDINATOR_GROUP 0
#define KAFKA_COORDINATOR_TRANSACTION 1

struct kafka_find_coordinator_req {
    struct sk_slice key;
    int8_t key_type; /* v1+; 0 (group) below */
};

struct kafka_find_coordinator_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    struct sk_slice error_message; /* v1+, nullable */
    int32_t node_id;
    struct sk_slice host;
    int32_t port;
};

/* -------------------------------------------------------------- JoinGroup 11 */

struct kafka_join_group_protocol {
    struct sk_slice name;
    struct sk_slice metadata; /* bytes */
};

struct kafka_join_group_req {
    struct sk_slice group_id;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms; /* v1+; -1 below */
    struct sk_slice member_id;
    struct sk_slice group_instance_id; /* v5+, nullable; null below */
    struct sk_slice protocol_type;
    struct kafka_join_group_protocol *protocols;
    int32_t n_protocols;
};

struct kafka_join_group_member {
    struct sk_slice member_id;
    struct sk_slice group_instance_id; /* v5+, nullable */
    struct sk_slice metadata;          /* bytes */
};

struct kafka_join_group_resp {
    int32_t throttle_time_ms; /* v2+ */
    int16_t error_code;
    int32_t generation_id;
    struct sk_slice protocol_name;
    struct sk_slice leader;
    struct sk_slice member_id;
    struct kafka_join_group_member *members;
    int32_t n_members;
};

/* -------------------------------------------------------------- Heartbeat 12 */

struct kafka_heartbeat_req {
    struct sk_slice group_id;
    int32_t generation_id;
    struct sk_slice member_id;
    struct sk_slice group_instance_id; /* v3+, nullable */
};

struct kafka_heartbeat_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
};

/* ------------------------------------------------------------- LeaveGroup 13 */

struct kafka_leave_group_member {
    struct sk_slice member_id;
    struct sk_slice group_instance_id; /* nullable */
};

struct kafka_leave_group_req {
    struct sk_slice group_id;
    /* v0-2 carry one member_id; the decoder presents it as a one-element
     * members array too, so handlers need not look at the version. */
    struct sk_slice member_id; /* v0-2; null at v3+ */
    struct kafka_leave_group_member *members;
    int32_t n_members;
};

struct kafka_leave_group_member_resp {
    struct sk_slice member_id;
    struct sk_slice group_instance_id; /* nullable */
    int16_t error_code;
};

struct kafka_leave_group_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    struct kafka_leave_group_member_resp *members; /* v3+ */
    int32_t n_members;
};

/* -------------------------------------------------------------- SyncGroup 14 */

struct kafka_sync_group_assignment {
    struct sk_slice member_id;
    struct sk_slice assignment; /* bytes */
};

struct kafka_sync_group_req {
    struct sk_slice group_id;
    int32_t generation_id;
    struct sk_slice member_id;
    struct sk_slice group_instance_id; /* v3+, nullable */
    struct kafka_sync_group_assignment *assignments;
    int32_t n_assignments;
};

struct kafka_sync_group_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    struct sk_slice assignment; /* bytes */
};

/* ----------------------------------------------------------- OffsetCommit 8 */

struct kafka_offset_commit_partition {
    int32_t partition_index;
    int64_t committed_offset;
    int32_t committed_leader_epoch; /* v6+; -1 */
    struct sk_slice committed_metadata; /* nullable */
};

struct kafka_offset_commit_topic {
    struct sk_slice name;
    struct kafka_offset_commit_partition *partitions;
    int32_t n_partitions;
};

struct kafka_offset_commit_req {
    struct sk_slice group_id;
    int32_t generation_id; /* -1 for a non-member commit (P8) */
    struct sk_slice member_id;
    struct sk_slice group_instance_id; /* v7+, nullable */
    int64_t retention_time_ms;         /* v2-4; -1 = broker default */
    struct kafka_offset_commit_topic *topics;
    int32_t n_topics;
};

struct kafka_offset_commit_partition_resp {
    int32_t partition_index;
    int16_t error_code;
};

struct kafka_offset_commit_topic_resp {
    struct sk_slice name;
    struct kafka_offset_commit_partition_resp *partitions;
    int32_t n_partitions;
};

struct kafka_offset_commit_resp {
    int32_t throttle_time_ms; /* v3+ */
    struct kafka_offset_commit_topic_resp *topics;
    int32_t n_topics;
};

/* ------------------------------------------------------------ OffsetFetch 9 */

struct kafka_offset_fetch_topic {
    struct sk_slice name;
    int32_t *partition_indexes;
    int32_t n_partition_indexes;
};

struct kafka_offset_fetch_req {
    struct sk_slice group_id;
    struct kafka_offset_fetch_topic *topics; /* count -1 = null (v2+) */
    int32_t n_topics;
    bool all_topics; /* v2+ null topics: every committed offset */
};

struct kafka_offset_fetch_partition_resp {
    int32_t partition_index;
    int64_t committed_offset; /* -1 = none */
    int32_t committed_leader_epoch; /* v5+ */
    struct sk_slice metadata;       /* nullable */
    int16_t error_code;
};

struct kafka_offset_fetch_topic_resp {
    struct sk_slice name;
    struct kafka_offset_fetch_partition_resp *partitions;
    int32_t n_partitions;
};

struct kafka_offset_fetch_resp {
    int32_t throttle_time_ms; /* v3+ */
    struct kafka_offset_fetch_topic_resp *topics;
    int32_t n_topics;
    int16_t error_code; /* v2+ */
};

/* --------------------------------------------------------- DescribeGroups 15 */

struct kafka_describe_groups_req {
    struct sk_slice *groups;
    int32_t n_groups;
    bool include_authorized_operations; /* v3+ */
};

struct kafka_described_member {
    struct sk_slice member_id;
    struct sk_slice group_instance_id; /* v4+, nullable */
    struct sk_slice client_id;
    struct sk_slice client_host;
    struct sk_slice member_metadata;   /* bytes */
    struct sk_slice member_assignment; /* bytes */
};

struct kafka_described_group {
    int16_t error_code;
    struct sk_slice group_id;
    struct sk_slice group_state;
    struct sk_slice protocol_type;
    struct sk_slice protocol_data;
    struct kafka_described_member *members;
    int32_t n_members;
    int32_t authorized_operations; /* v3+; INT32_MIN = not computed */
};

struct kafka_describe_groups_resp {
    int32_t throttle_time_ms; /* v1+ */
    struct kafka_described_group *groups;
    int32_t n_groups;
};

/* ------------------------------------------------------------- ListGroups 16 */

struct kafka_list_groups_req {
    bool unused; /* the body is empty at v0-2 */
};

struct kafka_listed_group {
    struct sk_slice group_id;
    struct sk_slice protocol_type;
};

struct kafka_list_groups_resp {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    struct kafka_listed_group *groups;
    int32_t n_groups;
};

/* ---------------------------------------------------------- SaslHandshake 17 */

struct kafka_sasl_handshake_req {
    struct sk_slice mechanism;
};

struct kafka_sasl_handshake_resp {
    int16_t error_code;
    const struct sk_slice *mechanisms;
    int32_t n_mechanisms;
};

/* ------------------------------------------------------- SaslAuthenticate 36 */

struct kafka_sasl_authenticate_req {
    struct sk_slice auth_bytes;
};

struct kafka_sasl_authenticate_resp {
    int16_t error_code;
    struct sk_slice error_message; /* nullable */
    struct sk_slice auth_bytes;
    int64_t session_lifetime_ms; /* v1+ */
};

/* ------------------------------------------------------------ entry points */

/* Decoders: r is positioned after the request header; `version` must be in
 * the API's parse range (else SK_EINVAL).  Returns 0, SK_ETRUNC (ran out of
 * bytes), SK_ECORRUPT (negative length other than -1, null where not
 * nullable), SK_ELIMIT (count above a limit from common/limits.h) or
 * SK_ENOMEM.  Bytes left over after the body are tolerated, as Kafka does.
 * Decoders never touch broker state. */
#define KAFKA_DECODER(api)                                                                         \
    int kafka_decode_##api##_req(struct sk_reader *r, int16_t version, struct sk_arena *a,         \
                                 struct kafka_##api##_req *out)
/* Encoders write the response BODY only (the network layer writes the size
 * and the response header) at `version`.  Output errors are sticky in w->err. */
#define KAFKA_ENCODER(api)                                                                         \
    void kafka_encode_##api##_resp(struct sk_writer *w, int16_t version,                           \
                                   const struct kafka_##api##_resp *resp)

#define KAFKA_APIS(X)                                                                              \
    X(produce, KAFKA_API_PRODUCE)                                                                  \
    X(fetch, KAFKA_API_FETCH)                                                                      \
    X(list_offsets, KAFKA_API_LIST_OFFSETS)                                                        \
    X(metadata, KAFKA_API_METADATA)                                                                \
    X(offset_commit, KAFKA_API_OFFSET_COMMIT)                                                      \
    X(offset_fetch, KAFKA_API_OFFSET_FETCH)                                                        \
    X(find_coordinator, KAFKA_API_FIND_COORDINATOR)                                                \
    X(join_group, KAFKA_API_JOIN_GROUP)                                                            \
    X(heartbeat, KAFKA_API_HEARTBEAT)                                                              \
    X(leave_group, KAFKA_API_LEAVE_GROUP)                                                          \
    X(sync_group, KAFKA_API_SYNC_GROUP)                                                            \
    X(describe_groups, KAFKA_API_DESCRIBE_GROUPS)                                                  \
    X(list_groups, KAFKA_API_LIST_GROUPS)                                                          \
    X(sasl_handshake, KAFKA_API_SASL_HANDSHAKE)                                                    \
    X(api_versions, KAFKA_API_API_VERSIONS)                                                        \
    X(create_topics, KAFKA_API_CREATE_TOPICS)                                                      \
    X(delete_topics, KAFKA_API_DELETE_TOPICS)                                                      \
    X(delete_records, KAFKA_API_DELETE_RECORDS)                                                    \
    X(init_producer_id, KAFKA_API_INIT_PRODUCER_ID)                                                \
    X(describe_configs, KAFKA_API_DESCRIBE_CONFIGS)                                                \
    X(alter_configs, KAFKA_API_ALTER_CONFIGS)                                                      \
    X(sasl_authenticate, KAFKA_API_SASL_AUTHENTICATE)                                              \
    X(create_partitions, KAFKA_API_CREATE_PARTITIONS)

#define KAFKA_DECLARE_CODEC(api, key) \
    KAFKA_DECODER(api);               \
    KAFKA_ENCODER(api);
KAFKA_APIS(KAFKA_DECLARE_CODEC)
#undef KAFKA_DECLARE_CODEC

/* ApiVersions at version >= 3 (flexible, P1): kafka_encode_api_versions_resp
 * writes the v0-shaped body (error_code, api array) that Kafka sends, so the
 * handler sets error_code = UNSUPPORTED_VERSION and encodes with the request's
 * version.  kafka_decode_api_versions_req accepts any version >= 0 and parses
 * nothing at v3+ (body_unparsed). */

union kafka_any_req {
#define KAFKA_UNION_MEMBER(api, key) struct kafka_##api##_req api;
    KAFKA_APIS(KAFKA_UNION_MEMBER)
#undef KAFKA_UNION_MEMBER
};

union kafka_any_resp {
#define KAFKA_UNION_MEMBER(api, key) struct kafka_##api##_resp api;
    KAFKA_APIS(KAFKA_UNION_MEMBER)
#undef KAFKA_UNION_MEMBER
};

/* Decodes the body of (api_key, version) into the matching union member.
 * SK_EINVAL for an API/version outside the parse table (ApiVersions v3+ is
 * accepted, see above); otherwise as the per-API decoders. */
int kafka_decode_request(int16_t api_key, int16_t version, struct sk_reader *r, struct sk_arena *a,
                         union kafka_any_req *out);

/* Encodes the body of a response from the union member matching api_key.
 * Returns SK_EINVAL for an unknown api_key, else 0 (writer errors stay in w). */
int kafka_encode_response(struct sk_writer *w, int16_t api_key, int16_t version,
                          const union kafka_any_resp *resp);

/* Builds and encodes the response a request gets when the broker answers it
 * with one error everywhere: every topic/partition/resource/group of the
 * decoded request echoed with `error` (Kafka's AbstractRequest
 * getErrorResponse).  Arrays for the response come from `a`.  Returns 0,
 * SK_EINVAL (unknown api) or SK_ENOMEM.  Produce with acks=0 still encodes; the
 * caller decides not to send it (README framing notes). */
int kafka_encode_error_response(struct sk_writer *w, int16_t api_key, int16_t version,
                                const union kafka_any_req *req, int16_t error, struct sk_arena *a);

#endif
