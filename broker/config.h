/* skiffd configuration: server.properties format with Kafka's key names.
 * One table (config.c) declares every key with its type, default, bounds and
 * meaning; parsing, validation and the documentation all come from it. */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct sk_hostport {
    char host[256];
    int port;
};

struct broker_config {
    int32_t node_id;
    bool role_broker;
    bool role_controller;
    struct sk_hostport listener;   /* client (Kafka) listener */
    struct sk_hostport advertised; /* what Metadata tells clients */
    struct sk_hostport internal;   /* Raft, replication, controller traffic */
    struct sk_hostport http;       /* metrics, status, health */
    char *controller_quorum_voters;
    char *log_dirs;
    char *cluster_id;
    int32_t num_partitions;
    int32_t default_replication_factor;
    int32_t min_insync_replicas;
    int64_t log_segment_bytes;
    int64_t log_roll_ms;
    int64_t log_retention_ms;
    int64_t log_retention_bytes;
    int64_t log_retention_check_interval_ms;
    int32_t message_max_bytes;
    int32_t socket_request_max_bytes;
    bool auto_create_topics_enable;
    bool delete_topic_enable;
    int64_t log_flush_interval_messages;
    int32_t log_index_interval_bytes;
    char *log_level;
    int32_t request_timeout_ms_max;
    /* cluster */
    int32_t broker_heartbeat_interval_ms;
    int32_t broker_session_timeout_ms;
    int32_t controller_election_timeout_ms;
    int32_t metadata_snapshot_interval_entries;
    int64_t replica_lag_time_max_ms;
    int32_t replica_fetch_max_bytes;
    int32_t replica_fetch_wait_max_ms;
    bool unclean_leader_election_enable;
    bool auto_leader_rebalance_enable;
    int32_t leader_rebalance_check_interval_ms;
    int32_t controlled_shutdown_timeout_ms;
    /* Consumer groups (docs/groups.md). */
    int32_t offsets_topic_num_partitions;
    int32_t offsets_topic_replication_factor;
    int32_t group_initial_rebalance_delay_ms;
    int32_t group_min_session_timeout_ms;
    int32_t group_max_session_timeout_ms;
    int32_t offsets_retention_minutes;
    int64_t offsets_retention_check_interval_ms;
};

/* Fills every field with its default. */
void config_defaults(struct broker_config *c);
/* Applies one key=value.  On error writes a one-line message naming the key
 * into err (size errlen) and returns SK_ECONFIG. */
int config_set(struct broker_config *c, const char *key, const char *value, char *err, size_t errlen);
/* Reads a properties file (key=value, '#'/'!' comments, blank lines). */
int config_load_file(struct broker_config *c, const char *path, char *err, size_t errlen);
/* Cross-field checks after everything is set (e.g. advertised defaults). */
int config_finish(struct broker_config *c, char *err, size_t errlen);
void config_free(struct broker_config *c);
/* Writes the reference table (markdown) of every key. */
void config_print_reference(FILE *out);
/* Broker keys for DescribeConfigs: the i-th key's name (NULL past the end)
 * and its current value formatted into buf. */
const char *config_key_name(size_t i);
int config_get(const struct broker_config *c, const char *key, char *buf, size_t buflen);
/* Parses "host:port" or "PLAINTEXT://host:port". */
int config_parse_hostport(const char *s, struct sk_hostport *out);

/* Topic-level configs (CreateTopics / DescribeConfigs / AlterConfigs).  A
 * topic stores only its overrides; the rest inherit the broker's values. */
struct topic_config {
    int64_t retention_ms;
    int64_t retention_bytes;
    int64_t segment_bytes;
    int64_t segment_ms;
    int32_t min_insync_replicas;
    int32_t max_message_bytes;
    int64_t flush_messages;
    bool cleanup_delete; /* cleanup.policy=delete (compact is not supported yet) */
};

struct topic_config_key {
    const char *name;
    const char *broker_key; /* the broker-level key it defaults to */
    bool sensitive;
};

void topic_config_from_broker(const struct broker_config *b, struct topic_config *out);
/* Sets one topic-level key; SK_ECONFIG (unknown key or bad value) with err. */
int topic_config_set(struct topic_config *t, const char *key, const char *value, char *err, size_t errlen);
/* Formats the value of key into buf; SK_ENOENT for an unknown key. */
int topic_config_get(const struct topic_config *t, const char *key, char *buf, size_t buflen);
/* The topic-level keys, for DescribeConfigs. */
const struct topic_config_key *topic_config_keys(size_t *n);

#endif
