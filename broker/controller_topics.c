/* Controller decisions about topics and partitions: CreateTopics,
 * DeleteTopics, CreatePartitions, AlterConfigs, AlterPartition, and the
 * partition changes that follow a broker going down or coming back. */
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "cluster_int.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "config.h"
#include "controller_int.h"
#include "kafka_err.h"
#include "topics.h"

static int16_t fail(struct ctrl_decision *d, int16_t code, const char *msg)
{
    d->resp.error_code = code;
    snprintf(d->resp.error_message, sizeof(d->resp.error_message), "%s", msg);
    return code;
}

static int16_t check_configs(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d)
{
    struct topic_config probe;
    topic_config_from_broker(&ctl->c->b->cfg, &probe);
    if (req->n_configs > SK_TOPIC_CONFIGS_MAX)
        return fail(d, KAFKA_INVALID_CONFIG, "too many config overrides");
    for (int32_t i = 0; i < req->n_configs; i++) {
        char err[200];
        if (topic_config_set(&probe, req->configs[i].key, req->configs[i].value, err, sizeof(err)) != SK_OK)
            return fail(d, KAFKA_INVALID_CONFIG, err);
    }
    return KAFKA_NONE;
}

/* Explicit assignments: every list the same size, distinct registered
 * brokers.  The ISR is the live replicas; the leader the first of them. */
static int16_t assigned(struct controller *ctl, const struct ctrl_assignment *as, const struct ctrl_live *live,
                        struct md_partition *out, struct ctrl_decision *d)
{
    memset(out, 0, sizeof(*out));
    if (as->n < 1 || as->n > SK_REPLICATION_FACTOR_MAX)
        return fail(d, KAFKA_INVALID_REPLICA_ASSIGNMENT, "bad replica count in an assignment");
    for (int32_t r = 0; r < as->n; r++) {
        if (!md_broker_find(&ctl->c->img, as->ids[r]) || md_in_list(as->ids, r, as->ids[r]))
            return fail(d, KAFKA_INVALID_REPLICA_ASSIGNMENT, "replicas must name distinct registered brokers");
        out->replicas[out->n_replicas++] = as->ids[r];
        if (ctrl_is_live(live, as->ids[r]))
            out->isr[out->n_isr++] = as->ids[r];
    }
    if (out->n_isr == 0)
        return fail(d, KAFKA_INVALID_REPLICA_ASSIGNMENT, "no replica of the assignment is alive");
    out->leader = out->isr[0];
    return KAFKA_NONE;
}

static int add_partitions(struct ctrl_decision *d, const char *topic, int32_t from, const struct md_partition *st,
                          int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        struct md_rec *r = ctrl_decision_add(d);
        if (!r)
            return SK_ENOMEM;
        r->type = MD_REC_PARTITION;
        r->u.partition.topic = topic;
        r->u.partition.index = from + i;
        r->u.partition.st = st[i];
    }
    return SK_OK;
}

/* Placement for n new partitions (explicit or spread over live brokers). */
static int16_t place(struct controller *ctl, const struct ctrl_req *req, int32_t n, int32_t rf,
                     const struct ctrl_live *live, struct md_partition *parts, struct ctrl_decision *d)
{
    if (req->n_assignments > 0) {
        for (int32_t i = 0; i < n; i++) {
            int16_t e = assigned(ctl, &req->assignments[i], live, &parts[i], d);
            if (e)
                return e;
            if (parts[i].n_replicas != parts[0].n_replicas)
                return fail(d, KAFKA_INVALID_REPLICA_ASSIGNMENT, "every partition needs the same replica count");
        }
        return KAFKA_NONE;
    }
    if (rf < 1 || rf > live->n || rf > SK_REPLICATION_FACTOR_MAX) {
        char msg[160];
        snprintf(msg, sizeof(msg), "replication factor %d is larger than the %d available broker(s)", rf, live->n);
        return fail(d, KAFKA_INVALID_REPLICATION_FACTOR, msg);
    }
    ctrl_place(live, n, rf, ctl->placement_start, parts);
    ctl->placement_start = (ctl->placement_start + n) % (live->n > 0 ? live->n : 1);
    return KAFKA_NONE;
}

static int create_topic(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d)
{
    const struct broker_config *cfg = &ctl->c->b->cfg;
    const char *name = req->name ? req->name : "";
    if (!topics_valid_name(name, strlen(name)))
        return fail(d, KAFKA_INVALID_TOPIC_EXCEPTION, "invalid topic name"), SK_OK;
    if (md_topic_find(&ctl->c->img, name, strlen(name)))
        return fail(d, KAFKA_TOPIC_ALREADY_EXISTS, "topic already exists"), SK_OK;
    int32_t n = req->n_assignments > 0 ? req->n_assignments : req->partitions == -1 ? cfg->num_partitions
                                                                                      : req->partitions;
    int32_t rf = req->replication_factor == -1 ? cfg->default_replication_factor : req->replication_factor;
    if (req->n_assignments > 0 && (req->partitions != -1 || req->replication_factor != -1))
        return fail(d, KAFKA_INVALID_REQUEST, "give either assignments or a count and factor"), SK_OK;
    if (n < 1 || n > SK_PARTITIONS_PER_TOPIC_MAX) {
        char msg[80];
        snprintf(msg, sizeof(msg), "partition count must be in [1, %d]", SK_PARTITIONS_PER_TOPIC_MAX);
        return fail(d, KAFKA_INVALID_PARTITIONS, msg), SK_OK;
    }
    if (ctl->c->img.n_topics >= SK_TOPICS_MAX)
        return fail(d, KAFKA_POLICY_VIOLATION, "too many topics"), SK_OK;
    if (check_configs(ctl, req, d))
        return SK_OK;
    struct ctrl_live live;
    struct md_partition *parts = sk_arena_calloc(&d->arena, (size_t)n, sizeof(*parts));
    int rc = parts ? ctrl_live_set(ctl, -1, d, &live) : SK_ENOMEM;
    if (rc != SK_OK || place(ctl, req, n, rf, &live, parts, d) || req->validate_only)
        return rc;
    struct md_rec *t = ctrl_decision_add(d);
    if (!t)
        return SK_ENOMEM;
    t->type = MD_REC_TOPIC;
    t->u.topic.name = name;
    t->u.topic.partitions = n;
    t->u.topic.configs = req->configs;
    t->u.topic.n_configs = req->n_configs;
    return add_partitions(d, name, 0, parts, n);
}

static int create_partitions(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d)
{
    const char *name = req->name ? req->name : "";
    const struct md_topic *t = md_topic_find(&ctl->c->img, name, strlen(name));
    if (!t)
        return fail(d, KAFKA_UNKNOWN_TOPIC_OR_PARTITION, "unknown topic"), SK_OK;
    char msg[160];
    if (req->partitions <= t->n_partitions || req->partitions > SK_PARTITIONS_PER_TOPIC_MAX) {
        snprintf(msg, sizeof(msg), "topic has %d partitions; the new count must be larger (at most %d)",
                 t->n_partitions, SK_PARTITIONS_PER_TOPIC_MAX);
        return fail(d, KAFKA_INVALID_PARTITIONS, msg), SK_OK;
    }
    int32_t n = req->partitions - t->n_partitions;
    if (req->n_assignments > 0 && req->n_assignments != n)
        return fail(d, KAFKA_INVALID_REPLICA_ASSIGNMENT, "one assignment per new partition is needed"), SK_OK;
    struct ctrl_live live;
    struct md_partition *parts = sk_arena_calloc(&d->arena, (size_t)n, sizeof(*parts));
    int rc = parts ? ctrl_live_set(ctl, -1, d, &live) : SK_ENOMEM;
    if (rc != SK_OK || place(ctl, req, n, t->parts[0].n_replicas, &live, parts, d) || req->validate_only)
        return rc;
    return add_partitions(d, t->name, t->n_partitions, parts, n);
}

int ctrl_decide_topic(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d)
{
    const char *name = req->name ? req->name : "";
    const struct md_topic *t = md_topic_find(&ctl->c->img, name, strlen(name));
    switch ((int)req->op) {
    case CTRL_CREATE_TOPIC:
        return create_topic(ctl, req, d);
    case CTRL_CREATE_PARTITIONS:
        return create_partitions(ctl, req, d);
    case CTRL_DELETE_TOPIC:
        if (!t)
            return fail(d, KAFKA_UNKNOWN_TOPIC_OR_PARTITION, "unknown topic"), SK_OK;
        struct md_rec *r = ctrl_decision_add(d);
        if (!r)
            return SK_ENOMEM;
        r->type = MD_REC_REMOVE_TOPIC;
        r->u.remove.name = t->name;
        return SK_OK;
    case CTRL_ALTER_CONFIGS: {
        if (!t)
            return fail(d, KAFKA_UNKNOWN_TOPIC_OR_PARTITION, "unknown topic"), SK_OK;
        if (check_configs(ctl, req, d) || req->validate_only)
            return SK_OK;
        struct md_rec *c = ctrl_decision_add(d);
        if (!c)
            return SK_ENOMEM;
        c->type = MD_REC_TOPIC_CONFIG;
        c->u.config.name = t->name;
        c->u.config.configs = req->configs;
        c->u.config.n_configs = req->n_configs;
        return SK_OK;
    }
    default:
        return SK_EINVAL;
    }
}

/* ------------------------------------------------------------ partition changes */

static int add_change(struct ctrl_decision *d, const struct md_topic *t, int32_t i, const struct md_partition *st)
{
    struct md_rec *r = ctrl_decision_add(d);
    if (!r)
        return SK_ENOMEM;
    r->type = MD_REC_PARTITION;
    r->u.partition.topic = t->name;
    r->u.partition.index = i;
    r->u.partition.st = *st;
    return SK_OK;
}

/* Visits every partition and records the change `fn` decides.  One batch
 * holds at most SK_METADATA_BATCH_RECORDS_MAX records; the rest waits for
 * the next pass (fencing and rebalancing run again). */
typedef bool (*change_fn)(const struct md_partition *in, int32_t id, const struct ctrl_live *live, bool unclean,
                          struct md_partition *out);

static int each_partition(struct controller *ctl, change_fn fn, int32_t id, const struct ctrl_live *live,
                          struct ctrl_decision *d)
{
    const struct md_image *img = &ctl->c->img;
    bool unclean = ctl->c->b->cfg.unclean_leader_election_enable;
    for (int32_t k = 0; k < img->n_topics; k++) {
        const struct md_topic *t = img->topics[k];
        for (int32_t i = 0; i < t->n_partitions; i++) {
            struct md_partition out;
            if (d->n + 2 >= SK_METADATA_BATCH_RECORDS_MAX)
                return SK_OK;
            if (fn(&t->parts[i], id, live, unclean, &out) && add_change(d, t, i, &out) != SK_OK)
                return SK_ENOMEM;
        }
    }
    return SK_OK;
}

static bool down_fn(const struct md_partition *in, int32_t id, const struct ctrl_live *live, bool unclean,
                    struct md_partition *out)
{
    return ctrl_on_broker_down(in, id, live, unclean, out);
}

static bool shutdown_fn(const struct md_partition *in, int32_t id, const struct ctrl_live *live, bool unclean,
                        struct md_partition *out)
{
    return ctrl_on_broker_shutdown(in, id, live, unclean, out);
}

static bool up_fn(const struct md_partition *in, int32_t id, const struct ctrl_live *live, bool unclean,
                  struct md_partition *out)
{
    (void)id;
    return ctrl_on_broker_up(in, live, unclean, out);
}

static bool rebalance_fn(const struct md_partition *in, int32_t id, const struct ctrl_live *live, bool unclean,
                         struct md_partition *out)
{
    (void)id;
    (void)unclean;
    return ctrl_rebalance(in, live, out);
}

int ctrl_partitions_broker_down(struct controller *ctl, int32_t id, const struct ctrl_live *live,
                                struct ctrl_decision *d)
{
    return each_partition(ctl, down_fn, id, live, d);
}

int ctrl_partitions_broker_shutdown(struct controller *ctl, int32_t id, const struct ctrl_live *live,
                                    struct ctrl_decision *d)
{
    return each_partition(ctl, shutdown_fn, id, live, d);
}

int ctrl_partitions_broker_up(struct controller *ctl, const struct ctrl_live *live, struct ctrl_decision *d)
{
    return each_partition(ctl, up_fn, -1, live, d);
}

int ctrl_partitions_rebalance(struct controller *ctl, const struct ctrl_live *live, struct ctrl_decision *d)
{
    return each_partition(ctl, rebalance_fn, -1, live, d);
}

int ctrl_alter_partition(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d)
{
    const struct md_broker *b = md_broker_find(&ctl->c->img, req->broker_id);
    if (!b || b->epoch != req->broker_epoch)
        return fail(d, KAFKA_STALE_BROKER_EPOCH, "unknown broker or stale broker epoch"), SK_OK;
    const char *name = req->name ? req->name : "";
    const struct md_topic *t = md_topic_find(&ctl->c->img, name, strlen(name));
    if (!t || req->partition < 0 || req->partition >= t->n_partitions)
        return fail(d, KAFKA_UNKNOWN_TOPIC_OR_PARTITION, "unknown partition"), SK_OK;
    struct ctrl_live live;
    int rc = ctrl_live_set(ctl, -1, d, &live);
    if (rc != SK_OK)
        return rc;
    struct md_partition out;
    int16_t e = ctrl_alter_isr(&t->parts[req->partition], req->broker_id, req->leader_epoch, req->partition_epoch,
                               req->isr, req->n_isr, &live, &out);
    if (e)
        return fail(d, e, "ISR change refused"), SK_OK;
    SK_INFO("isr_changed", "topic=%s partition=%d isr_size=%d partition_epoch=%d", t->name, req->partition,
            out.n_isr, out.partition_epoch);
    return add_change(d, t, req->partition, &out);
}
