/* Kafka protocol error codes: a separate int16 space, never mixed with SK_E*.
 * Numbers from Apache Kafka's Errors.java. */
#ifndef KAFKA_ERR_H
#define KAFKA_ERR_H

#include <stdbool.h>
#include <stdint.h>

#define KAFKA_ERR_TABLE(X)                                  \
    X(UNKNOWN_SERVER_ERROR, -1, false)                      \
    X(NONE, 0, false)                                       \
    X(OFFSET_OUT_OF_RANGE, 1, false)                        \
    X(CORRUPT_MESSAGE, 2, true)                             \
    X(UNKNOWN_TOPIC_OR_PARTITION, 3, true)                  \
    X(INVALID_FETCH_SIZE, 4, false)                         \
    X(LEADER_NOT_AVAILABLE, 5, true)                        \
    X(NOT_LEADER_OR_FOLLOWER, 6, true)                      \
    X(REQUEST_TIMED_OUT, 7, true)                           \
    X(BROKER_NOT_AVAILABLE, 8, false)                       \
    X(REPLICA_NOT_AVAILABLE, 9, true)                       \
    X(MESSAGE_TOO_LARGE, 10, false)                         \
    X(STALE_CONTROLLER_EPOCH, 11, false)                    \
    X(OFFSET_METADATA_TOO_LARGE, 12, false)                 \
    X(NETWORK_EXCEPTION, 13, true)                          \
    X(COORDINATOR_LOAD_IN_PROGRESS, 14, true)               \
    X(COORDINATOR_NOT_AVAILABLE, 15, true)                  \
    X(NOT_COORDINATOR, 16, true)                            \
    X(INVALID_TOPIC_EXCEPTION, 17, false)                   \
    X(RECORD_LIST_TOO_LARGE, 18, false)                     \
    X(NOT_ENOUGH_REPLICAS, 19, true)                        \
    X(NOT_ENOUGH_REPLICAS_AFTER_APPEND, 20, true)           \
    X(INVALID_REQUIRED_ACKS, 21, false)                     \
    X(ILLEGAL_GENERATION, 22, false)                        \
    X(INCONSISTENT_GROUP_PROTOCOL, 23, false)               \
    X(INVALID_GROUP_ID, 24, false)                          \
    X(UNKNOWN_MEMBER_ID, 25, false)                         \
    X(INVALID_SESSION_TIMEOUT, 26, false)                   \
    X(REBALANCE_IN_PROGRESS, 27, false)                     \
    X(INVALID_COMMIT_OFFSET_SIZE, 28, false)                \
    X(TOPIC_AUTHORIZATION_FAILED, 29, false)                \
    X(GROUP_AUTHORIZATION_FAILED, 30, false)                \
    X(CLUSTER_AUTHORIZATION_FAILED, 31, false)              \
    X(INVALID_TIMESTAMP, 32, false)                         \
    X(UNSUPPORTED_SASL_MECHANISM, 33, false)                \
    X(ILLEGAL_SASL_STATE, 34, false)                        \
    X(UNSUPPORTED_VERSION, 35, false)                       \
    X(TOPIC_ALREADY_EXISTS, 36, false)                      \
    X(INVALID_PARTITIONS, 37, false)                        \
    X(INVALID_REPLICATION_FACTOR, 38, false)                \
    X(INVALID_REPLICA_ASSIGNMENT, 39, false)                \
    X(INVALID_CONFIG, 40, false)                            \
    X(NOT_CONTROLLER, 41, true)                             \
    X(INVALID_REQUEST, 42, false)                           \
    X(UNSUPPORTED_FOR_MESSAGE_FORMAT, 43, false)            \
    X(POLICY_VIOLATION, 44, false)                          \
    X(OUT_OF_ORDER_SEQUENCE_NUMBER, 45, false)              \
    X(DUPLICATE_SEQUENCE_NUMBER, 46, false)                 \
    X(INVALID_PRODUCER_EPOCH, 47, false)                    \
    X(INVALID_TXN_STATE, 48, false)                         \
    X(INVALID_PRODUCER_ID_MAPPING, 49, false)               \
    X(INVALID_TRANSACTION_TIMEOUT, 50, false)               \
    X(CONCURRENT_TRANSACTIONS, 51, true)                    \
    X(KAFKA_STORAGE_ERROR, 56, true)                        \
    X(SASL_AUTHENTICATION_FAILED, 58, false)                \
    X(UNKNOWN_PRODUCER_ID, 59, false)                       \
    X(REASSIGNMENT_IN_PROGRESS, 60, false)                  \
    X(NON_EMPTY_GROUP, 68, false)                           \
    X(GROUP_ID_NOT_FOUND, 69, false)                        \
    X(FETCH_SESSION_ID_NOT_FOUND, 70, true)                 \
    X(INVALID_FETCH_SESSION_EPOCH, 71, true)                \
    X(TOPIC_DELETION_DISABLED, 73, false)                   \
    X(FENCED_LEADER_EPOCH, 74, true)                        \
    X(UNKNOWN_LEADER_EPOCH, 75, true)                       \
    X(UNSUPPORTED_COMPRESSION_TYPE, 76, false)              \
    X(STALE_BROKER_EPOCH, 77, false)                        \
    X(OFFSET_NOT_AVAILABLE, 78, true)                       \
    X(MEMBER_ID_REQUIRED, 79, false)                        \
    X(PREFERRED_LEADER_NOT_AVAILABLE, 80, true)             \
    X(GROUP_MAX_SIZE_REACHED, 81, false)                    \
    X(FENCED_INSTANCE_ID, 82, false)                        \
    X(ELIGIBLE_LEADERS_NOT_AVAILABLE, 83, true)             \
    X(ELECTION_NOT_NEEDED, 84, true)                        \
    X(NO_REASSIGNMENT_IN_PROGRESS, 85, false)               \
    X(GROUP_SUBSCRIBED_TO_TOPIC, 86, false)                 \
    X(INVALID_RECORD, 87, false)                            \
    X(UNSTABLE_OFFSET_COMMIT, 88, true)                     \
    X(THROTTLING_QUOTA_EXCEEDED, 89, true)                  \
    X(PRODUCER_FENCED, 90, false)                           \
    X(RESOURCE_NOT_FOUND, 91, false)                        \
    X(DUPLICATE_RESOURCE, 92, false)                        \
    X(UNACCEPTABLE_CREDENTIAL, 93, false)                   \
    X(INCONSISTENT_VOTER_SET, 94, false)                    \
    X(INVALID_UPDATE_VERSION, 95, false)                    \
    X(FEATURE_UPDATE_FAILED, 96, false)                     \
    X(PRINCIPAL_DESERIALIZATION_FAILURE, 97, false)         \
    X(SNAPSHOT_NOT_FOUND, 98, false)                        \
    X(POSITION_OUT_OF_RANGE, 99, false)                     \
    X(UNKNOWN_TOPIC_ID, 100, true)                          \
    X(DUPLICATE_BROKER_REGISTRATION, 101, false)            \
    X(BROKER_ID_NOT_REGISTERED, 102, false)                 \
    X(INCONSISTENT_TOPIC_ID, 103, true)                     \
    X(INCONSISTENT_CLUSTER_ID, 104, false)

enum kafka_err {
#define KAFKA_ERR_ENUM(name, code, retriable) KAFKA_##name = (code),
    KAFKA_ERR_TABLE(KAFKA_ERR_ENUM)
#undef KAFKA_ERR_ENUM
};

/* "NOT_LEADER_OR_FOLLOWER" etc.; "UNKNOWN" for codes outside the table. */
const char *kafka_err_name(int16_t code);
bool kafka_err_retriable(int16_t code);

#endif
