/* Request and response structs for the admin APIs (CreateTopics, DeleteTopics, DeleteRecords,
 * InitProducerId, DescribeConfigs, AlterConfigs, CreatePartitions).
 * Include broker/kafka_proto.h, not this file; the memory and null rules are
 * described there. */
#ifndef KAFKA_PROTO_ADMIN_H
#define KAFKA_PROTO_ADMIN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

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
    bool is_default;      /* v0 only */
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
    int32_t count;                                          /* new total partition count */
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

#endif
