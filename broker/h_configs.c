/* DescribeConfigs and AlterConfigs.  Topic configs are dynamic (stored with
 * the topic); broker configs are static (read-only, from the config file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "common/sk_err.h"
#include "h_forward.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"
#include "topics.h"

/* Kafka's ConfigSource values (DescribeConfigs v1+). */
#define CONFIG_SOURCE_DYNAMIC_TOPIC 1
#define CONFIG_SOURCE_STATIC_BROKER 4
#define CONFIG_SOURCE_DEFAULT 5

static bool wanted(const struct kafka_describe_configs_resource *res, const char *key)
{
    if (res->n_configuration_keys < 0)
        return true;
    for (int32_t i = 0; i < res->n_configuration_keys; i++) {
        struct sk_slice s = res->configuration_keys[i];
        if (s.len >= 0 && strlen(key) == (size_t)s.len && memcmp(key, s.ptr, (size_t)s.len) == 0)
            return true;
    }
    return false;
}

static bool overridden(const struct topic *tp, const char *key)
{
    for (int32_t i = 0; i < tp->n_overrides; i++)
        if (strcmp(tp->override_keys[i], key) == 0)
            return true;
    return false;
}

static int add_entry(struct kreq *r, struct kafka_describe_configs_result *out, const char *key, const char *value,
                     bool is_default, bool read_only, int8_t source)
{
    struct kafka_describe_configs_entry *e = &out->configs[out->n_configs++];
    e->name = kafka_cstr(key);
    e->value = kafka_cstr(sk_arena_strndup(&r->arena, value, strlen(value)));
    e->is_default = is_default;
    e->read_only = read_only;
    e->config_source = source;
    return e->value.ptr ? 0 : SK_ENOMEM;
}

static int describe_topic(struct broker *b, struct kreq *r, const struct kafka_describe_configs_resource *res,
                          struct kafka_describe_configs_result *out)
{
    const char *name = res->resource_name.ptr ? (const char *)res->resource_name.ptr : "";
    struct topic *tp = topics_find(b->topics, name, res->resource_name.len > 0 ? (size_t)res->resource_name.len : 0);
    if (!tp) {
        out->error_code = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
        return 0;
    }
    size_t n;
    const struct topic_config_key *keys = topic_config_keys(&n);
    out->configs = sk_arena_calloc(&r->arena, n, sizeof(*out->configs));
    if (!out->configs)
        return SK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!wanted(res, keys[i].name))
            continue;
        char value[64];
        topic_config_get(&tp->cfg, keys[i].name, value, sizeof(value));
        bool over = overridden(tp, keys[i].name);
        int rc = add_entry(r, out, keys[i].name, value, !over, false,
                           over ? CONFIG_SOURCE_DYNAMIC_TOPIC : CONFIG_SOURCE_DEFAULT);
        if (rc)
            return rc;
    }
    return 0;
}

static int describe_broker(struct broker *b, struct kreq *r, const struct kafka_describe_configs_resource *res,
                           struct kafka_describe_configs_result *out)
{
    char self[16];
    snprintf(self, sizeof(self), "%d", b->cfg.node_id);
    if (res->resource_name.len != (int32_t)strlen(self) ||
        memcmp(res->resource_name.ptr, self, strlen(self)) != 0) {
        out->error_code = KAFKA_INVALID_REQUEST;
        out->error_message = kafka_cstr("describe the broker by this node's id");
        return 0;
    }
    size_t n = 0;
    while (config_key_name(n))
        n++;
    out->configs = sk_arena_calloc(&r->arena, n, sizeof(*out->configs));
    if (!out->configs)
        return SK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *key = config_key_name(i);
        if (!wanted(res, key))
            continue;
        char value[1024];
        config_get(&b->cfg, key, value, sizeof(value));
        int rc = add_entry(r, out, key, value, false, true, CONFIG_SOURCE_STATIC_BROKER);
        if (rc)
            return rc;
    }
    return 0;
}

int h_describe_configs(struct broker *b, struct kreq *r)
{
    const struct kafka_describe_configs_req *req = &r->req.describe_configs;
    struct kafka_describe_configs_resp resp = {0};
    int32_t n = req->n_resources > 0 ? req->n_resources : 0;
    resp.results = sk_arena_calloc(&r->arena, (size_t)(n ? n : 1), sizeof(*resp.results));
    if (!resp.results)
        return SK_ENOMEM;
    resp.n_results = n;
    for (int32_t i = 0; i < n; i++) {
        const struct kafka_describe_configs_resource *res = &req->resources[i];
        struct kafka_describe_configs_result *out = &resp.results[i];
        out->resource_type = res->resource_type;
        out->resource_name = res->resource_name;
        out->error_message = (struct sk_slice){NULL, -1};
        int rc;
        if (res->resource_type == KAFKA_RESOURCE_TOPIC)
            rc = describe_topic(b, r, res, out);
        else if (res->resource_type == KAFKA_RESOURCE_BROKER)
            rc = describe_broker(b, r, res, out);
        else {
            out->error_code = KAFKA_INVALID_REQUEST;
            rc = 0;
        }
        if (rc)
            return rc;
    }
    kafka_encode_describe_configs_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}

struct alter_ctx {
    struct fwd_state *st;
    struct kafka_alter_configs_resp resp;
};

static void alter_encode(struct kreq *r, void *arg)
{
    struct alter_ctx *x = arg;
    for (int32_t i = 0; i < x->resp.n_responses; i++) {
        const char *m = fwd_message(x->st, i);
        x->resp.responses[i].error_code = fwd_code(x->st, i);
        x->resp.responses[i].error_message =
            fwd_code(x->st, i) && m ? kafka_cstr(sk_arena_strndup(&r->arena, m, strlen(m))) : (struct sk_slice){NULL, -1};
    }
    kafka_encode_alter_configs_resp(&r->body, r->hdr.api_version, &x->resp);
}

/* Topic configs change through the controller (AlterConfigs semantics:
 * keys not given revert to their defaults). */
static void alter_one(struct kreq *r, struct fwd_state *st, int32_t slot, const struct kafka_alter_configs_req *req,
                      const struct kafka_alter_configs_resource *res)
{
    if (res->resource_type != KAFKA_RESOURCE_TOPIC) {
        fwd_set(st, slot, KAFKA_INVALID_REQUEST, "only topic configs can be altered; broker configs are static");
        return;
    }
    struct ctrl_req cr = {.op = CTRL_ALTER_CONFIGS, .validate_only = req->validate_only};
    cr.name = h_arena_str(r, res->resource_name);
    struct md_config *cfg = sk_arena_calloc(&r->arena, (size_t)res->n_configs + 1, sizeof(*cfg));
    if (!cr.name || !cfg) {
        fwd_set(st, slot, KAFKA_UNKNOWN_SERVER_ERROR, NULL);
        return;
    }
    for (int32_t i = 0; i < res->n_configs; i++) {
        if (!res->configs[i].value.ptr && res->configs[i].value.len < 0)
            continue; /* null: back to the default */
        cfg[cr.n_configs].key = h_arena_str(r, res->configs[i].name);
        cfg[cr.n_configs].value = h_arena_str(r, res->configs[i].value);
        cr.n_configs++;
    }
    cr.configs = cfg;
    fwd_call(st, slot, &cr);
}

int h_alter_configs(struct broker *b, struct kreq *r)
{
    const struct kafka_alter_configs_req *req = &r->req.alter_configs;
    struct alter_ctx *x = sk_arena_calloc(&r->arena, 1, sizeof(*x));
    int32_t n = req->n_resources > 0 ? req->n_resources : 0;
    if (!x || !(x->resp.responses = sk_arena_calloc(&r->arena, (size_t)(n ? n : 1), sizeof(*x->resp.responses))))
        return SK_ENOMEM;
    x->resp.n_responses = n;
    int rc = fwd_begin(b, r, n, 0, alter_encode, x, &x->st);
    if (rc)
        return rc;
    for (int32_t i = 0; i < n; i++) {
        x->resp.responses[i].resource_type = req->resources[i].resource_type;
        x->resp.responses[i].resource_name = req->resources[i].resource_name;
        alter_one(r, x->st, i, req, &req->resources[i]);
    }
    return fwd_end(x->st);
}
