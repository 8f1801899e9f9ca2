#include "config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"

enum cfg_type { T_I32, T_I64, T_BOOL, T_STR, T_HOSTPORT, T_ROLES, T_LOGLEVEL };

struct cfg_key {
    const char *name;
    enum cfg_type type;
    size_t offset;
    const char *def;
    int64_t min;
    int64_t max;
    const char *doc;
};

#define OFF(f) offsetof(struct broker_config, f)
#define DAY_MS 86400000LL

static const struct cfg_key keys[] = {
    {"node.id", T_I32, OFF(node_id), "1", 0, INT32_MAX, "This node's id; unique in the cluster."},
    {"process.roles", T_ROLES, 0, "broker,controller", 0, 0,
     "`broker,controller` (a controller-quorum voter that also serves clients) or `broker` (a broker-only "
     "node: a non-voting observer of the metadata log, not listed in controller.quorum.voters)."},
    {"listeners", T_HOSTPORT, OFF(listener), "PLAINTEXT://127.0.0.1:9092", 0, 0,
     "Client (Kafka protocol) listener, `PLAINTEXT://host:port`."},
    {"advertised.listeners", T_HOSTPORT, OFF(advertised), "", 0, 0,
     "Address given to clients in Metadata; defaults to `listeners`."},
    {"internal.listener", T_HOSTPORT, OFF(internal), "127.0.0.1:9093", 0, 0,
     "Listener for Raft, replication and controller traffic between nodes."},
    {"http.listener", T_HOSTPORT, OFF(http), "127.0.0.1:9094", 0, 0,
     "HTTP listener for `/healthz`, `/readyz`, metrics and status."},
    {"controller.quorum.voters", T_STR, OFF(controller_quorum_voters), "", 0, 0,
     "Controller quorum, `id@host:port,...` (internal listeners). Empty: this node alone. A voter must "
     "list itself; a broker-only node needs it and must not be listed."},
    {"log.dirs", T_STR, OFF(log_dirs), "/tmp/skiff-logs", 0, 0, "Directory holding partition logs."},
    {"cluster.id", T_STR, OFF(cluster_id), "skiff-cluster", 0, 0, "Cluster id reported in Metadata."},
    {"num.partitions", T_I32, OFF(num_partitions), "1", 1, SK_PARTITIONS_PER_TOPIC_MAX,
     "Partitions of an auto-created topic or of a CreateTopics request asking for -1."},
    {"default.replication.factor", T_I32, OFF(default_replication_factor), "1", 1, 32767,
     "Replication factor of auto-created topics and of requests asking for -1."},
    {"min.insync.replicas", T_I32, OFF(min_insync_replicas), "1", 1, 32767,
     "Fewest in-sync replicas for an acks=all write to be accepted."},
    {"log.segment.bytes", T_I64, OFF(log_segment_bytes), "1073741824", 1024, SK_SEGMENT_BYTES_MAX,
     "Roll to a new segment when the active one would exceed this size."},
    {"log.roll.ms", T_I64, OFF(log_roll_ms), "604800000", 1, INT64_MAX,
     "Roll to a new segment when the active one is older than this."},
    {"log.retention.ms", T_I64, OFF(log_retention_ms), "604800000", -1, INT64_MAX,
     "Delete segments whose newest record is older than this; -1 keeps forever."},
    {"log.retention.bytes", T_I64, OFF(log_retention_bytes), "-1", -1, INT64_MAX,
     "Delete oldest segments while a partition is larger than this; -1: no limit."},
    {"log.retention.check.interval.ms", T_I64, OFF(log_retention_check_interval_ms), "300000", 10, DAY_MS,
     "How often segments are checked for time-based roll and retention."},
    {"message.max.bytes", T_I32, OFF(message_max_bytes), "1048588", 64, SK_SOCKET_REQUEST_MAX_BYTES_MAX,
     "Largest record batch accepted (MESSAGE_TOO_LARGE above)."},
    {"socket.request.max.bytes", T_I32, OFF(socket_request_max_bytes), "104857600", 1024,
     SK_SOCKET_REQUEST_MAX_BYTES_MAX, "Largest request frame; a larger length prefix closes the connection."},
    {"auto.create.topics.enable", T_BOOL, OFF(auto_create_topics_enable), "true", 0, 0,
     "Create a topic when a client asks for an unknown one (Metadata with auto-create, Produce)."},
    {"delete.topic.enable", T_BOOL, OFF(delete_topic_enable), "true", 0, 0, "Allow DeleteTopics."},
    {"log.flush.interval.messages", T_I64, OFF(log_flush_interval_messages), "1", 1, INT64_MAX,
     "1 (default): nothing is acknowledged before it is fsynced (group commit). Larger: fsync after "
     "this many messages and acknowledge from the page cache, as Kafka does."},
    {"log.index.interval.bytes", T_I32, OFF(log_index_interval_bytes), "4096", 1, INT32_MAX,
     "Bytes of log between sparse index entries."},
    {"log.level", T_LOGLEVEL, OFF(log_level), "info", 0, 0, "`debug`, `info`, `warn` or `error`."},
    {"request.timeout.ms.max", T_I32, OFF(request_timeout_ms_max), "300000", 1, INT32_MAX,
     "Cap on the timeout a client may ask for in Produce (acks=all)."},
    {"broker.heartbeat.interval.ms", T_I32, OFF(broker_heartbeat_interval_ms), "100", 10, 60000,
     "How often a broker heartbeats to the active controller."},
    {"broker.session.timeout.ms", T_I32, OFF(broker_session_timeout_ms), "1000", 50, 600000,
     "A broker without a heartbeat for this long is fenced and loses its leaderships."},
    {"controller.quorum.election.timeout.ms", T_I32, OFF(controller_election_timeout_ms), "500", 50, 60000,
     "Metadata quorum: a voter that hears no leader for a random time in [T, 2T) campaigns."},
    {"metadata.snapshot.interval.entries", T_I32, OFF(metadata_snapshot_interval_entries), "1000", 0, INT32_MAX,
     "Snapshot the metadata image and truncate the metadata log every this many entries (0: never)."},
    {"replica.lag.time.max.ms", T_I64, OFF(replica_lag_time_max_ms), "10000", 100, DAY_MS,
     "A follower that has not caught up with the leader's log end for this long leaves the ISR."},
    {"replica.fetch.max.bytes", T_I32, OFF(replica_fetch_max_bytes), "1048576", 1024, 64 * 1024 * 1024,
     "Record bytes a follower asks for per partition in one replica fetch."},
    {"replica.fetch.wait.max.ms", T_I32, OFF(replica_fetch_wait_max_ms), "500", 0, 60000,
     "How long a leader holds a replica fetch that finds no new data."},
    {"unclean.leader.election.enable", T_BOOL, OFF(unclean_leader_election_enable), "false", 0, 0,
     "Elect a replica outside the ISR when no ISR member is alive (may lose acknowledged writes)."},
    {"auto.leader.rebalance.enable", T_BOOL, OFF(auto_leader_rebalance_enable), "true", 0, 0,
     "Move leadership back to the preferred (first) replica once it is in the ISR again."},
    {"leader.imbalance.check.interval.ms", T_I32, OFF(leader_rebalance_check_interval_ms), "5000", 100,
     3600000, "How often the controller looks for partitions not led by their preferred replica."},
    {"controlled.shutdown.timeout.ms", T_I32, OFF(controlled_shutdown_timeout_ms), "5000", 0, 600000,
     "On SIGTERM, how long a broker waits for the controller to move its leaderships away."},
    {"offsets.topic.num.partitions", T_I32, OFF(offsets_topic_num_partitions), "50", 1, SK_PARTITIONS_PER_TOPIC_MAX,
     "Partitions of `__consumer_offsets` when it is created (on first use); fixed afterwards."},
    {"offsets.topic.replication.factor", T_I32, OFF(offsets_topic_replication_factor), "3", 1, 32767,
     "Replication factor of `__consumer_offsets`, capped at the number of brokers."},
    {"group.initial.rebalance.delay.ms", T_I32, OFF(group_initial_rebalance_delay_ms), "3000", 0, INT32_MAX,
     "How long the first rebalance of an empty group waits for more members (extended per new member, "
     "up to the rebalance timeout)."},
    {"group.min.session.timeout.ms", T_I32, OFF(group_min_session_timeout_ms), "6000", 1, INT32_MAX,
     "Smallest session timeout a group member may ask for (INVALID_SESSION_TIMEOUT below)."},
    {"group.max.session.timeout.ms", T_I32, OFF(group_max_session_timeout_ms), "1800000", 1, INT32_MAX,
     "Largest session timeout a group member may ask for (INVALID_SESSION_TIMEOUT above)."},
    {"offsets.retention.minutes", T_I32, OFF(offsets_retention_minutes), "10080", 1, INT32_MAX,
     "Committed offsets of a group without members are removed this long after the group emptied "
     "(or, for a group that never had members, after the commit)."},
    {"offsets.retention.check.interval.ms", T_I64, OFF(offsets_retention_check_interval_ms), "600000", 10, DAY_MS,
     "How often expired committed offsets are looked for."},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int fail(char *err, size_t errlen, const char *key, const char *why)
{
    snprintf(err, errlen, "config: %s: %s", key, why);
    return SK_ECONFIG;
}

static int parse_i64(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end != '\0')
        return SK_EINVAL;
    *out = x;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    if (strcmp(v, "true") == 0)
        *out = true;
    else if (strcmp(v, "false") == 0)
        *out = false;
    else
        return SK_EINVAL;
    return 0;
}

int config_parse_hostport(const char *s, struct sk_hostport *out)
{
    const char *p = strstr(s, "://");
    if (p) {
        if (strncmp(s, "PLAINTEXT://", 12) != 0)
            return SK_EINVAL;
        s = p + 3;
    }
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof(out->host))
        return SK_EINVAL;
    int64_t port;
    if (parse_i64(colon + 1, &port) || port < 0 || port > 65535)
        return SK_EINVAL;
    memcpy(out->host, s, (size_t)(colon - s));
    out->host[colon - s] = '\0';
    out->port = (int)port;
    return 0;
}

static int set_roles(struct broker_config *c, const char *v)
{
    if (strcmp(v, "broker,controller") == 0 || strcmp(v, "controller,broker") == 0) {
        c->role_broker = c->role_controller = true;
    } else if (strcmp(v, "broker") == 0) {
        c->role_broker = true;
        c->role_controller = false;
    } else {
        return SK_EINVAL;
    }
    return 0;
}

static int set_key(struct broker_config *c, const struct cfg_key *k, const char *v, char *err, size_t errlen)
{
    char *base = (char *)c;
    int64_t x;
    switch (k->type) {
    case T_I32:
    case T_I64:
        if (parse_i64(v, &x))
            return fail(err, errlen, k->name, "not an integer");
        if (x < k->min || x > k->max) {
            char why[128];
            snprintf(why, sizeof(why), "%lld is outside [%lld, %lld]", (long long)x, (long long)k->min,
                     (long long)k->max);
            return fail(err, errlen, k->name, why);
        }
        if (k->type == T_I32)
            *(int32_t *)(base + k->offset) = (int32_t)x;
        else
            *(int64_t *)(base + k->offset) = x;
        return 0;
    case T_BOOL:
        if (parse_bool(v, (bool *)(base + k->offset)))
            return fail(err, errlen, k->name, "expected true or false");
        return 0;
    case T_HOSTPORT: {
        struct sk_hostport *hp = (struct sk_hostport *)(base + k->offset);
        if (v[0] == '\0') {
            hp->host[0] = '\0';
            hp->port = -1;
            return 0;
        }
        if (config_parse_hostport(v, hp))
            return fail(err, errlen, k->name, "expected [PLAINTEXT://]host:port");
        return 0;
    }
    case T_ROLES:
        if (set_roles(c, v))
            return fail(err, errlen, k->name, "expected broker,controller or broker");
        return 0;
    case T_LOGLEVEL: {
        enum sk_log_level lvl;
        if (sk_log_parse_level(v, &lvl))
            return fail(err, errlen, k->name, "expected debug, info, warn or error");
    }
        __attribute__((fallthrough)); /* stored as a string too */
    case T_STR: {
        char **slot = (char **)(base + k->offset);
        char *copy = sk_strdup(v);
        if (!copy)
            return fail(err, errlen, k->name, "out of memory");
        sk_free(*slot);
        *slot = copy;
        return 0;
    }
    }
    return fail(err, errlen, k->name, "bad type");
}

int config_set(struct broker_config *c, const char *key, const char *value, char *err, size_t errlen)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, key) == 0)
            return set_key(c, &keys[i], value, err, errlen);
    return fail(err, errlen, key, "unknown configuration key");
}

void config_defaults(struct broker_config *c)
{
    memset(c, 0, sizeof(*c));
    char err[256];
    for (size_t i = 0; i < NKEYS; i++) {
        int rc = set_key(c, &keys[i], keys[i].def, err, sizeof(err));
        (void)rc;
        assert(rc == 0); /* the defaults in the table are ours, not input */
    }
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int config_load_file(struct broker_config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "config: cannot open %s: %s", path, strerror(errno));
        return SK_ECONFIG;
    }
    char line[SK_CONFIG_LINE_MAX];
    int rc = 0, lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
            snprintf(err, errlen, "config: %s:%d: line longer than %d bytes", path, lineno, SK_CONFIG_LINE_MAX);
            rc = SK_ECONFIG;
            break;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#' || *s == '!')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "config: %s:%d: expected key=value", path, lineno);
            rc = SK_ECONFIG;
            break;
        }
        *eq = '\0';
        rc = config_set(c, trim(s), trim(eq + 1), err, errlen);
        if (rc)
            break;
    }
    fclose(f);
    return rc;
}

/* True if the voter list "id@host:port,..." names node `id`.  Entries are
 * checked in full when the quorum parses the list; this only compares ids. */
static bool voters_list(const char *list, int32_t id)
{
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end != p && *end == '@' && v == id)
            return true;
    }
    return false;
}

/* A voter (process.roles=broker,controller) is listed in
 * controller.quorum.voters, or the list is empty (a one-node cluster); a
 * broker-only node needs voters to follow and is not one of them. */
static int check_roles(const struct broker_config *c, char *err, size_t errlen)
{
    const char *v = c->controller_quorum_voters;
    bool empty = !v || !v[0];
    if (c->role_controller && !empty && !voters_list(v, c->node_id))
        return fail(err, errlen, "controller.quorum.voters",
                    "must list node.id when process.roles includes controller");
    if (!c->role_controller && empty)
        return fail(err, errlen, "controller.quorum.voters", "must not be empty when process.roles=broker");
    if (!c->role_controller && voters_list(v, c->node_id))
        return fail(err, errlen, "controller.quorum.voters",
                    "must not list node.id when process.roles=broker");
    return 0;
}

int config_finish(struct broker_config *c, char *err, size_t errlen)
{
    int rc = check_roles(c, err, errlen);
    if (rc)
        return rc;
    if (c->advertised.host[0] == '\0')
        c->advertised = c->listener;
    if (c->advertised.port == 0)
        c->advertised.port = c->listener.port;
    if (c->message_max_bytes > c->socket_request_max_bytes)
        return fail(err, errlen, "message.max.bytes", "must not exceed socket.request.max.bytes");
    if (c->log_dirs[0] == '\0')
        return fail(err, errlen, "log.dirs", "must not be empty");
    if (strchr(c->log_dirs, ','))
        return fail(err, errlen, "log.dirs", "only one directory is supported");
    if (c->broker_session_timeout_ms < 2 * c->broker_heartbeat_interval_ms)
        return fail(err, errlen, "broker.session.timeout.ms", "must be at least twice broker.heartbeat.interval.ms");
    if (c->group_min_session_timeout_ms > c->group_max_session_timeout_ms)
        return fail(err, errlen, "group.min.session.timeout.ms", "must not exceed group.max.session.timeout.ms");
    enum sk_log_level lvl;
    sk_log_parse_level(c->log_level, &lvl);
    sk_log_set_level(lvl);
    return 0;
}

void config_free(struct broker_config *c)
{
    char *base = (char *)c;
    for (size_t i = 0; i < NKEYS; i++) {
        if (keys[i].type == T_STR || keys[i].type == T_LOGLEVEL) {
            char **slot = (char **)(base + keys[i].offset);
            sk_free(*slot);
            *slot = NULL;
        }
    }
}

const char *config_key_name(size_t i) { return i < NKEYS ? keys[i].name : NULL; }

int config_get(const struct broker_config *c, const char *key, char *buf, size_t buflen)
{
    const char *base = (const char *)c;
    for (size_t i = 0; i < NKEYS; i++) {
        const struct cfg_key *k = &keys[i];
        if (strcmp(k->name, key) != 0)
            continue;
        switch (k->type) {
        case T_I32:
            snprintf(buf, buflen, "%d", *(const int32_t *)(base + k->offset));
            break;
        case T_I64:
            snprintf(buf, buflen, "%lld", (long long)*(const int64_t *)(base + k->offset));
            break;
        case T_BOOL:
            snprintf(buf, buflen, "%s", *(const bool *)(base + k->offset) ? "true" : "false");
            break;
        case T_HOSTPORT: {
            const struct sk_hostport *hp = (const struct sk_hostport *)(base + k->offset);
            snprintf(buf, buflen, "%s:%d", hp->host, hp->port);
            break;
        }
        case T_ROLES:
            snprintf(buf, buflen, "%s", c->role_controller ? "broker,controller" : "broker");
            break;
        case T_STR:
        case T_LOGLEVEL:
            snprintf(buf, buflen, "%s", *(char *const *)(base + k->offset));
            break;
        }
        return 0;
    }
    return SK_ENOENT;
}

void config_print_reference(FILE *out)
{
    fprintf(out, "| key | default | meaning |\n|---|---|---|\n");
    for (size_t i = 0; i < NKEYS; i++)
        fprintf(out, "| `%s` | `%s` | %s |\n", keys[i].name, keys[i].def[0] ? keys[i].def : "(empty)",
                keys[i].doc);
}
