/* Controller requests and responses: struct ctrl_req / ctrl_resp <->
 * protobuf (proto/metadata.proto).  Decoding validates counts and lengths
 * against the limits before copying anything. */
#include "ctrl_codec.h"

#include <string.h>

#include "common/sk_err.h"

static bool str_ok(const char *s, size_t max) { return s && strlen(s) <= max; }

static Skiff__Metadata__ConfigEntry **configs_to_pb(struct sk_arena *a, const struct md_config *c, int32_t n)
{
    Skiff__Metadata__ConfigEntry *e = sk_arena_calloc(a, (size_t)n + 1, sizeof(*e));
    Skiff__Metadata__ConfigEntry **p = sk_arena_calloc(a, (size_t)n + 1, sizeof(*p));
    if (!e || !p)
        return NULL;
    for (int32_t i = 0; i < n; i++) {
        skiff__metadata__config_entry__init(&e[i]);
        e[i].key = (char *)c[i].key;
        e[i].value = (char *)c[i].value;
        p[i] = &e[i];
    }
    return p;
}

static Skiff__Metadata__ReplicaAssignment **assign_to_pb(struct sk_arena *a, const struct ctrl_assignment *in,
                                                         int32_t n)
{
    Skiff__Metadata__ReplicaAssignment *e = sk_arena_calloc(a, (size_t)n + 1, sizeof(*e));
    Skiff__Metadata__ReplicaAssignment **p = sk_arena_calloc(a, (size_t)n + 1, sizeof(*p));
    if (!e || !p)
        return NULL;
    for (int32_t i = 0; i < n; i++) {
        skiff__metadata__replica_assignment__init(&e[i]);
        e[i].n_broker_ids = (size_t)in[i].n;
        e[i].broker_ids = (int32_t *)in[i].ids;
        p[i] = &e[i];
    }
    return p;
}

static int topic_ops_to_pb(const struct ctrl_req *r, struct sk_arena *a, Skiff__Metadata__ControllerRequest *o)
{
    switch (r->op) {
    case CTRL_CREATE_TOPIC: {
        Skiff__Metadata__CreateTopicRequest *m = sk_arena_alloc(a, sizeof(*m));
        if (!m)
            return SK_ENOMEM;
        skiff__metadata__create_topic_request__init(m);
        m->name = (char *)r->name;
        m->partitions = r->partitions;
        m->replication_factor = r->replication_factor;
        m->n_assignments = (size_t)r->n_assignments;
        m->assignments = assign_to_pb(a, r->assignments, r->n_assignments);
        m->n_configs = (size_t)r->n_configs;
        m->configs = configs_to_pb(a, r->configs, r->n_configs);
        m->validate_only = r->validate_only;
        o->op_case = SKIFF__METADATA__CONTROLLER_REQUEST__OP_CREATE_TOPIC;
        o->create_topic = m;
        return m->assignments && m->configs ? SK_OK : SK_ENOMEM;
    }
    case CTRL_DELETE_TOPIC: {
        Skiff__Metadata__DeleteTopicRequest *m = sk_arena_alloc(a, sizeof(*m));
        if (!m)
            return SK_ENOMEM;
        skiff__metadata__delete_topic_request__init(m);
        m->name = (char *)r->name;
        o->op_case = SKIFF__METADATA__CONTROLLER_REQUEST__OP_DELETE_TOPIC;
        o->delete_topic = m;
        return SK_OK;
    }
    case CTRL_CREATE_PARTITIONS: {
        Skiff__Metadata__CreatePartitionsRequest *m = sk_arena_alloc(a, sizeof(*m));
        if (!m)
            return SK_ENOMEM;
        skiff__metadata__create_partitions_request__init(m);
        m->name = (char *)r->name;
        m->total = r->partitions;
        m->n_assignments = (size_t)r->n_assignments;
        m->assignments = assign_to_pb(a, r->assignments, r->n_assignments);
        m->validate_only = r->validate_only;
        o->op_case = SKIFF__METADATA__CONTROLLER_REQUEST__OP_CREATE_PARTITIONS;
        o->create_partitions = m;
        return m->assignments ? SK_OK : SK_ENOMEM;
    }
    case CTRL_ALTER_CONFIGS: {
        Skiff__Metadata__AlterConfigsRequest *m = sk_arena_alloc(a, sizeof(*m));
        if (!m)
            return SK_ENOMEM;
        skiff__metadata__alter_configs_request__init(m);
        m->name = (char *)r->name;
        m->n_configs = (size_t)r->n_configs;
        m->configs = configs_to_pb(a, r->configs, r->n_configs);
        m->validate_only = r->validate_only;
        o->op_case = SKIFF__METADATA__CONTROLLER_REQUEST__OP_ALTER_CONFIGS;
        o->alter_configs = m;
        return m->configs ? SK_OK : SK_ENOMEM;
    }
    default:
        return SK_EINVAL;
    }
}

int ctrl_req_to_pb(const struct ctrl_req *r, struct sk_arena *a, Skiff__Metadata__ControllerRequest *o)
{
    skiff__metadata__controller_request__init(o);
    switch (r->op) {
    case CTRL_REGISTER: {
        Skiff__Metadata__BrokerRegistrationRequest *m = sk_arena_alloc(a, sizeof(*m));
        if (!m)
            return SK_ENOMEM;
        skiff__metadata__broker_registration_request__init(m);
        m->broker_id = r->broker.id;
        m->incarnation_id = r->broker.incarnation_id;
        m->host = (char *)r->broker.host;
        m->port = r->broker.port;
        m->internal_host = (char *)r->broker.internal_host;
        m->internal_port = r->broker.internal_port;
        o->op_case = SKIFF__METADATA__CONTROLLER_REQUEST__OP_REGISTER;
        o->register_ = m;
        return SK_OK;
    }
    case CTRL_HEARTBEAT: {
        Skiff__Metadata__BrokerHeartbeatRequest *m = sk_arena_alloc(a, sizeof(*m));
        if (!m)
            return SK_ENOMEM;
        skiff__metadata__broker_heartbeat_request__init(m);
        m->broker_id = r->broker_id;
        m->broker_epoch = r->broker_epoch;
        m->metadata_offset = r->metadata_offset;
        m->want_shutdown = r->want_shutdown;
        o->op_case = SKIFF__METADATA__CONTROLLER_REQUEST__OP_HEARTBEAT;
        o->heartbeat = m;
        return SK_OK;
    }
    case CTRL_ALTER_PARTITION: {
        Skiff__Metadata__AlterPartitionRequest *m = sk_arena_alloc(a, sizeof(*m));
        if (!m)
            return SK_ENOMEM;
        skiff__metadata__alter_partition_request__init(m);
        m->broker_id = r->broker_id;
        m->broker_epoch = r->broker_epoch;
        m->topic = (char *)r->name;
        m->partition = r->partition;
        m->leader_epoch = r->leader_epoch;
        m->partition_epoch = r->partition_epoch;
        m->n_new_isr = (size_t)r->n_isr;
        m->new_isr = (int32_t *)r->isr;
        o->op_case = SKIFF__METADATA__CONTROLLER_REQUEST__OP_ALTER_PARTITION;
        o->alter_partition = m;
        return SK_OK;
    }
    default:
        return topic_ops_to_pb(r, a, o);
    }
}

static int configs_from_pb(Skiff__Metadata__ConfigEntry **in, size_t n, struct sk_arena *a, struct ctrl_req *o)
{
    if (n > SK_TOPIC_CONFIGS_MAX)
        return SK_ELIMIT;
    struct md_config *c = sk_arena_calloc(a, n + 1, sizeof(*c));
    if (!c)
        return SK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!str_ok(in[i]->key, SK_CONFIG_LINE_MAX) || !str_ok(in[i]->value, SK_CONFIG_LINE_MAX))
            return SK_EINVAL;
        c[i].key = in[i]->key;
        c[i].value = in[i]->value;
    }
    o->configs = c;
    o->n_configs = (int32_t)n;
    return SK_OK;
}

static int assign_from_pb(Skiff__Metadata__ReplicaAssignment **in, size_t n, struct sk_arena *a,
                          struct ctrl_req *o)
{
    if (n > SK_PARTITIONS_PER_TOPIC_MAX)
        return SK_ELIMIT;
    struct ctrl_assignment *as = sk_arena_calloc(a, n + 1, sizeof(*as));
    if (!as)
        return SK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (in[i]->n_broker_ids > SK_REPLICATION_FACTOR_MAX)
            return SK_ELIMIT;
        as[i].ids = in[i]->broker_ids;
        as[i].n = (int32_t)in[i]->n_broker_ids;
    }
    o->assignments = as;
    o->n_assignments = (int32_t)n;
    return SK_OK;
}

static int name_from_pb(const char *name, struct ctrl_req *o)
{
    if (!str_ok(name, SK_TOPIC_NAME_MAX))
        return SK_EINVAL;
    o->name = name;
    return SK_OK;
}

static int topic_ops_from_pb(const Skiff__Metadata__ControllerRequest *m, struct sk_arena *a, struct ctrl_req *o)
{
    int rc;
    switch (m->op_case) {
    case SKIFF__METADATA__CONTROLLER_REQUEST__OP_CREATE_TOPIC:
        o->op = CTRL_CREATE_TOPIC;
        o->partitions = m->create_topic->partitions;
        o->replication_factor = m->create_topic->replication_factor;
        o->validate_only = m->create_topic->validate_only;
        if ((rc = name_from_pb(m->create_topic->name, o)) != SK_OK ||
            (rc = configs_from_pb(m->create_topic->configs, m->create_topic->n_configs, a, o)) != SK_OK)
            return rc;
        return assign_from_pb(m->create_topic->assignments, m->create_topic->n_assignments, a, o);
    case SKIFF__METADATA__CONTROLLER_REQUEST__OP_DELETE_TOPIC:
        o->op = CTRL_DELETE_TOPIC;
        return name_from_pb(m->delete_topic->name, o);
    case SKIFF__METADATA__CONTROLLER_REQUEST__OP_CREATE_PARTITIONS:
        o->op = CTRL_CREATE_PARTITIONS;
        o->partitions = m->create_partitions->total;
        o->validate_only = m->create_partitions->validate_only;
        if ((rc = name_from_pb(m->create_partitions->name, o)) != SK_OK)
            return rc;
        return assign_from_pb(m->create_partitions->assignments, m->create_partitions->n_assignments, a, o);
    case SKIFF__METADATA__CONTROLLER_REQUEST__OP_ALTER_CONFIGS:
        o->op = CTRL_ALTER_CONFIGS;
        o->validate_only = m->alter_configs->validate_only;
        if ((rc = name_from_pb(m->alter_configs->name, o)) != SK_OK)
            return rc;
        return configs_from_pb(m->alter_configs->configs, m->alter_configs->n_configs, a, o);
    default:
        return SK_EINVAL;
    }
}

int ctrl_req_from_pb(const Skiff__Metadata__ControllerRequest *m, struct sk_arena *a, struct ctrl_req *o)
{
    memset(o, 0, sizeof(*o));
    switch (m->op_case) {
    case SKIFF__METADATA__CONTROLLER_REQUEST__OP_REGISTER: {
        const Skiff__Metadata__BrokerRegistrationRequest *r = m->register_;
        if (!str_ok(r->host, sizeof(o->broker.host) - 1) ||
            !str_ok(r->internal_host, sizeof(o->broker.internal_host) - 1))
            return SK_EINVAL;
        o->op = CTRL_REGISTER;
        o->broker.id = r->broker_id;
        o->broker.incarnation_id = r->incarnation_id;
        strcpy(o->broker.host, r->host);
        o->broker.port = r->port;
        strcpy(o->broker.internal_host, r->internal_host);
        o->broker.internal_port = r->internal_port;
        return SK_OK;
    }
    case SKIFF__METADATA__CONTROLLER_REQUEST__OP_HEARTBEAT:
        o->op = CTRL_HEARTBEAT;
        o->broker_id = m->heartbeat->broker_id;
        o->broker_epoch = m->heartbeat->broker_epoch;
        o->metadata_offset = m->heartbeat->metadata_offset;
        o->want_shutdown = m->heartbeat->want_shutdown;
        return SK_OK;
    case SKIFF__METADATA__CONTROLLER_REQUEST__OP_ALTER_PARTITION: {
        const Skiff__Metadata__AlterPartitionRequest *r = m->alter_partition;
        if (r->n_new_isr > SK_REPLICATION_FACTOR_MAX)
            return SK_ELIMIT;
        o->op = CTRL_ALTER_PARTITION;
        o->broker_id = r->broker_id;
        o->broker_epoch = r->broker_epoch;
        o->partition = r->partition;
        o->leader_epoch = r->leader_epoch;
        o->partition_epoch = r->partition_epoch;
        o->isr = r->new_isr;
        o->n_isr = (int32_t)r->n_new_isr;
        return name_from_pb(r->topic, o);
    }
    default:
        return topic_ops_from_pb(m, a, o);
    }
}

void ctrl_resp_to_pb(const struct ctrl_resp *r, Skiff__Metadata__ControllerResponse *o)
{
    skiff__metadata__controller_response__init(o);
    o->error_code = r->error_code;
    o->error_message = (char *)r->error_message;
    o->broker_epoch = r->broker_epoch;
    o->fenced = r->fenced;
    o->shutdown_ok = r->shutdown_ok;
    o->controller_id = r->controller_id;
}

void ctrl_resp_from_pb(const Skiff__Metadata__ControllerResponse *m, struct ctrl_resp *o)
{
    memset(o, 0, sizeof(*o));
    o->error_code = (int16_t)m->error_code;
    if (m->error_message)
        snprintf(o->error_message, sizeof(o->error_message), "%s", m->error_message);
    o->broker_epoch = m->broker_epoch;
    o->fenced = m->fenced;
    o->shutdown_ok = m->shutdown_ok;
    o->controller_id = m->controller_id;
}

static const char *dup_str(struct sk_arena *a, const char *s)
{
    return s ? sk_arena_strndup(a, s, strlen(s)) : NULL;
}

int ctrl_req_copy(const struct ctrl_req *in, struct sk_arena *a, struct ctrl_req *out)
{
    *out = *in;
    out->name = dup_str(a, in->name);
    if (in->name && !out->name)
        return SK_ENOMEM;
    if (in->n_configs > 0) {
        struct md_config *c = sk_arena_calloc(a, (size_t)in->n_configs, sizeof(*c));
        if (!c)
            return SK_ENOMEM;
        for (int32_t i = 0; i < in->n_configs; i++) {
            c[i].key = dup_str(a, in->configs[i].key);
            c[i].value = dup_str(a, in->configs[i].value);
            if (!c[i].key || !c[i].value)
                return SK_ENOMEM;
        }
        out->configs = c;
    }
    if (in->n_assignments > 0) {
        struct ctrl_assignment *as = sk_arena_calloc(a, (size_t)in->n_assignments, sizeof(*as));
        if (!as)
            return SK_ENOMEM;
        for (int32_t i = 0; i < in->n_assignments; i++) {
            int32_t *ids = sk_arena_calloc(a, (size_t)in->assignments[i].n + 1, sizeof(*ids));
            if (!ids)
                return SK_ENOMEM;
            memcpy(ids, in->assignments[i].ids, (size_t)in->assignments[i].n * sizeof(*ids));
            as[i].ids = ids;
            as[i].n = in->assignments[i].n;
        }
        out->assignments = as;
    }
    if (in->n_isr > 0) {
        int32_t *isr = sk_arena_calloc(a, (size_t)in->n_isr, sizeof(*isr));
        if (!isr)
            return SK_ENOMEM;
        memcpy(isr, in->isr, (size_t)in->n_isr * sizeof(*isr));
        out->isr = isr;
    }
    return SK_OK;
}
