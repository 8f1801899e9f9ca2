/* Topic configuration and partition changes through the AdminClient. */
#include "client/topic_admin.h"

#include <stdio.h>
#include <string.h>

#include "client/rk.h"
#include "common/alloc.h"
#include "common/sk_err.h"

void cli_configs_free(struct cli_configs *c)
{
    for (int i = 0; i < c->n; i++) {
        sk_free(c->name[i]);
        sk_free(c->value[i]);
    }
    c->n = 0;
}

int cli_configs_set(struct cli_configs *c, const char *name, size_t name_len, const char *value)
{
    char *v = sk_strdup(value);
    if (!v)
        return SK_ENOMEM;
    for (int i = 0; i < c->n; i++) {
        if (strlen(c->name[i]) == name_len && memcmp(c->name[i], name, name_len) == 0) {
            sk_free(c->value[i]);
            c->value[i] = v;
            return SK_OK;
        }
    }
    if (c->n >= SK_CLI_TOPIC_CONFIGS_MAX) {
        sk_free(v);
        return SK_ELIMIT;
    }
    char *n = sk_malloc(name_len + 1);
    if (!n) {
        sk_free(v);
        return SK_ENOMEM;
    }
    memcpy(n, name, name_len);
    n[name_len] = '\0';
    c->name[c->n] = n;
    c->value[c->n] = v;
    c->n++;
    return SK_OK;
}

int cli_configs_delete(struct cli_configs *c, const char *name)
{
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->name[i], name) == 0) {
            sk_free(c->name[i]);
            sk_free(c->value[i]);
            c->name[i] = c->name[c->n - 1];
            c->value[i] = c->value[c->n - 1];
            c->n--;
            return SK_OK;
        }
    }
    return SK_ENOENT;
}

/* The one resource of a Describe/AlterConfigs answer, checked. */
static int one_resource(const rd_kafka_ConfigResource_t **res, size_t n, const char *what, char *err,
                        size_t err_len)
{
    if (n != 1) {
        snprintf(err, err_len, "%s: broker answered for %zu resources, expected 1", what, n);
        return SK_EIO;
    }
    rd_kafka_resp_err_t rerr = rd_kafka_ConfigResource_error(res[0]);
    if (rerr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        return SK_ENOENT;
    if (rerr) {
        const char *msg = rd_kafka_ConfigResource_error_string(res[0]);
        snprintf(err, err_len, "%s: %s", what, msg && *msg ? msg : rd_kafka_err2str(rerr));
        return SK_EIO;
    }
    return SK_OK;
}

static int copy_overrides(const rd_kafka_ConfigResource_t *res, struct cli_configs *out)
{
    size_t n = 0;
    const rd_kafka_ConfigEntry_t **e = rd_kafka_ConfigResource_configs(res, &n);
    for (size_t i = 0; i < n; i++) {
        if (rd_kafka_ConfigEntry_source(e[i]) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
            continue;
        const char *name = rd_kafka_ConfigEntry_name(e[i]);
        const char *value = rd_kafka_ConfigEntry_value(e[i]);
        int rc = cli_configs_set(out, name, strlen(name), value ? value : "");
        if (rc != SK_OK)
            return rc;
    }
    return SK_OK;
}

int cli_topic_configs(rd_kafka_t *rk, const char *topic, int timeout_ms, struct cli_configs *out, char *err,
                      size_t err_len)
{
    char what[300];
    snprintf(what, sizeof(what), "describe configs of %s", topic);
    rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_AdminOptions_t *ao = cli_admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    int rc = SK_EIO;
    rd_kafka_DescribeConfigs(rk, &cr, 1, ao, q);
    rd_kafka_event_t *ev = cli_admin_wait(q, timeout_ms, what, err, err_len);
    if (ev) {
        size_t n = 0;
        const rd_kafka_ConfigResource_t **res =
            rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
        rc = one_resource(res, n, what, err, err_len);
        if (rc == SK_OK)
            rc = copy_overrides(res[0], out);
        if (rc == SK_ELIMIT || rc == SK_ENOMEM)
            snprintf(err, err_len, "%s: too many configs", what);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_ConfigResource_destroy(cr);
    return rc;
}

int cli_topic_alter_configs(rd_kafka_t *rk, const char *topic, const struct cli_configs *c, int timeout_ms,
                            char *err, size_t err_len)
{
    char what[300];
    snprintf(what, sizeof(what), "alter configs of %s", topic);
    rd_kafka_ConfigResource_t *cr = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    for (int i = 0; i < c->n; i++)
        rd_kafka_ConfigResource_set_config(cr, c->name[i], c->value[i]);
    rd_kafka_AdminOptions_t *ao = cli_admin_options(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, timeout_ms);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    int rc = SK_EIO;
    rd_kafka_AlterConfigs(rk, &cr, 1, ao, q);
    rd_kafka_event_t *ev = cli_admin_wait(q, timeout_ms, what, err, err_len);
    if (ev) {
        size_t n = 0;
        const rd_kafka_ConfigResource_t **res =
            rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
        rc = one_resource(res, n, what, err, err_len);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_ConfigResource_destroy(cr);
    return rc;
}

int cli_topic_add_partitions(rd_kafka_t *rk, const char *topic, int total, int timeout_ms, char *err,
                             size_t err_len)
{
    char what[300], why[256];
    snprintf(what, sizeof(what), "add partitions to %s", topic);
    rd_kafka_NewPartitions_t *np = rd_kafka_NewPartitions_new(topic, (size_t)total, why, sizeof(why));
    if (!np) {
        snprintf(err, err_len, "%s: %s", what, why);
        return SK_EINVAL;
    }
    rd_kafka_AdminOptions_t *ao = cli_admin_options(rk, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout_ms);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    int rc = SK_EIO;
    rd_kafka_CreatePartitions(rk, &np, 1, ao, q);
    rd_kafka_event_t *ev = cli_admin_wait(q, timeout_ms, what, err, err_len);
    if (ev) {
        size_t n = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
        if (n != 1) {
            snprintf(err, err_len, "%s: broker answered for %zu topics, expected 1", what, n);
        } else if (rd_kafka_topic_result_error(res[0]) == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            rc = SK_ENOENT;
        } else if (rd_kafka_topic_result_error(res[0])) {
            const char *msg = rd_kafka_topic_result_error_string(res[0]);
            snprintf(err, err_len, "%s: %s", what,
                     msg && *msg ? msg : rd_kafka_err2str(rd_kafka_topic_result_error(res[0])));
        } else {
            rc = SK_OK;
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_NewPartitions_destroy(np);
    return rc;
}
