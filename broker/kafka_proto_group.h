/* Request and response structs for consumer groups (FindCoordinator, JoinGroup, Heartbeat,
 * LeaveGroup, SyncGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups)
 * and SASL (SaslHandshake, SaslAuthenticate).
 * Include broker/kafka_proto.h, not this file; the memory and null rules are
 * described there. */
#ifndef KAFKA_PROTO_GROUP_H
#define KAFKA_PROTO_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

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
    int32_t committed_leader_epoch;     /* v6+; -1 */
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
    int64_t committed_offset;       /* -1 = none */
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

#endif
