/* Topic configuration and partition changes through librdkafka's
 * AdminClient: read a topic's overrides, replace them (AlterConfigs), add
 * partitions (CreatePartitions). */
#ifndef SK_CLIENT_TOPIC_ADMIN_H
#define SK_CLIENT_TOPIC_ADMIN_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "common/limits.h"

/* A topic's explicitly set configs (owned strings, freed by
 * cli_configs_free). */
struct cli_configs {
    char *name[SK_CLI_TOPIC_CONFIGS_MAX];
    char *value[SK_CLI_TOPIC_CONFIGS_MAX];
    int n;
};

void cli_configs_free(struct cli_configs *c);
/* Sets (or adds) name=value; SK_ELIMIT when full, SK_ENOMEM. */
int cli_configs_set(struct cli_configs *c, const char *name, size_t name_len, const char *value);
/* Removes name; SK_ENOENT if absent. */
int cli_configs_delete(struct cli_configs *c, const char *name);

/* The topic's overrides (DescribeConfigs entries whose source is the
 * topic's own dynamic config).  SK_ENOENT if the topic does not exist. */
int cli_topic_configs(rd_kafka_t *rk, const char *topic, int timeout_ms, struct cli_configs *out, char *err,
                      size_t err_len);
/* Replaces the topic's overrides with exactly `c` (AlterConfigs semantics:
 * keys left out return to their defaults). */
int cli_topic_alter_configs(rd_kafka_t *rk, const char *topic, const struct cli_configs *c, int timeout_ms,
                            char *err, size_t err_len);
/* Grows the topic to `total` partitions. */
int cli_topic_add_partitions(rd_kafka_t *rk, const char *topic, int total, int timeout_ms, char *err,
                             size_t err_len);

#endif
