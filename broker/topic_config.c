/* Topic-level configuration: the keys a topic may override, their parsing and
 * formatting for CreateTopics, DescribeConfigs and AlterConfigs. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/sk_err.h"
#include "config.h"

static const struct topic_config_key tkeys[] = {
    {"cleanup.policy", "log.cleanup.policy", false},
    {"flush.messages", "log.flush.interval.messages", false},
    {"max.message.bytes", "message.max.bytes", false},
    {"min.insync.replicas", "min.insync.replicas", false},
    {"retention.bytes", "log.retention.bytes", false},
    {"retention.ms", "log.retention.ms", false},
    {"segment.bytes", "log.segment.bytes", false},
    {"segment.ms", "log.roll.ms", false},
};

const struct topic_config_key *topic_config_keys(size_t *n)
{
    *n = sizeof(tkeys) / sizeof(tkeys[0]);
    return tkeys;
}

void topic_config_from_broker(const struct broker_config *b, struct topic_config *t)
{
    t->retention_ms = b->log_retention_ms;
    t->retention_bytes = b->log_retention_bytes;
    t->segment_bytes = b->log_segment_bytes;
    t->segment_ms = b->log_roll_ms;
    t->min_insync_replicas = b->min_insync_replicas;
    t->max_message_bytes = b->message_max_bytes;
    t->flush_messages = b->log_flush_interval_messages;
    t->cleanup_delete = true;
}

static int parse_range(const char *v, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end != '\0' || x < min || x > max)
        return SK_EINVAL;
    *out = x;
    return 0;
}

int topic_config_set(struct topic_config *t, const char *key, const char *value, char *err, size_t errlen)
{
    int64_t x = 0;
    int rc = 0;
    if (strcmp(key, "cleanup.policy") == 0) {
        if (strcmp(value, "delete") != 0) {
            snprintf(err, errlen, "%s: only 'delete' is supported", key);
            return SK_ECONFIG;
        }
        t->cleanup_delete = true;
        return 0;
    }
    if (strcmp(key, "retention.ms") == 0) {
        if (!(rc = parse_range(value, -1, INT64_MAX, &x)))
            t->retention_ms = x;
    } else if (strcmp(key, "retention.bytes") == 0) {
        if (!(rc = parse_range(value, -1, INT64_MAX, &x)))
            t->retention_bytes = x;
    } else if (strcmp(key, "segment.bytes") == 0) {
        if (!(rc = parse_range(value, 1024, SK_SEGMENT_BYTES_MAX, &x)))
            t->segment_bytes = x;
    } else if (strcmp(key, "segment.ms") == 0) {
        if (!(rc = parse_range(value, 1, INT64_MAX, &x)))
            t->segment_ms = x;
    } else if (strcmp(key, "min.insync.replicas") == 0) {
        if (!(rc = parse_range(value, 1, 32767, &x)))
            t->min_insync_replicas = (int32_t)x;
    } else if (strcmp(key, "max.message.bytes") == 0) {
        if (!(rc = parse_range(value, 64, SK_SOCKET_REQUEST_MAX_BYTES_MAX, &x)))
            t->max_message_bytes = (int32_t)x;
    } else if (strcmp(key, "flush.messages") == 0) {
        if (!(rc = parse_range(value, 1, INT64_MAX, &x)))
            t->flush_messages = x;
    } else {
        snprintf(err, errlen, "%s: unknown topic configuration key", key);
        return SK_ECONFIG;
    }
    if (rc) {
        snprintf(err, errlen, "%s: invalid value '%s'", key, value);
        return SK_ECONFIG;
    }
    return 0;
}

int topic_config_get(const struct topic_config *t, const char *key, char *buf, size_t buflen)
{
    int64_t v;
    if (strcmp(key, "cleanup.policy") == 0) {
        snprintf(buf, buflen, "delete");
        return 0;
    }
    if (strcmp(key, "retention.ms") == 0)
        v = t->retention_ms;
    else if (strcmp(key, "retention.bytes") == 0)
        v = t->retention_bytes;
    else if (strcmp(key, "segment.bytes") == 0)
        v = t->segment_bytes;
    else if (strcmp(key, "segment.ms") == 0)
        v = t->segment_ms;
    else if (strcmp(key, "min.insync.replicas") == 0)
        v = t->min_insync_replicas;
    else if (strcmp(key, "max.message.bytes") == 0)
        v = t->max_message_bytes;
    else if (strcmp(key, "flush.messages") == 0)
        v = t->flush_messages;
    else
        return SK_ENOENT;
    snprintf(buf, buflen, "%" PRId64, v);
    return 0;
}
