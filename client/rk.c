/* librdkafka plumbing shared by the skiff commands. */
#include "client/rk.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/sk_err.h"

/* librdkafka logs from its own threads; the last line is kept for errors. */
static pthread_mutex_t last_log_mu = PTHREAD_MUTEX_INITIALIZER;
static char last_log[512];

static void cli_rk_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    const char *dbg = getenv("SKIFF_DEBUG");
    if (dbg && *dbg && strcmp(dbg, "0") != 0)
        fprintf(stderr, "librdkafka %d %s: %s\n", level, fac, buf);
    if (level > 4) /* keep warnings and errors only */
        return;
    pthread_mutex_lock(&last_log_mu);
    snprintf(last_log, sizeof(last_log), "%s", buf);
    pthread_mutex_unlock(&last_log_mu);
}

static void cli_rk_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    cli_rk_log_cb(rk, 3, rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

const char *cli_rk_last_log(char *buf, size_t len)
{
    if (len == 0)
        return buf;
    pthread_mutex_lock(&last_log_mu);
    size_t n = strnlen(last_log, len - 1);
    memcpy(buf, last_log, n);
    buf[n] = '\0';
    pthread_mutex_unlock(&last_log_mu);
    return buf;
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err, size_t err_len)
{
    char why[256];
    if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
        snprintf(err, err_len, "property %s=%s: %s", key, value, why);
        return SK_EINVAL;
    }
    return SK_OK;
}

rd_kafka_t *cli_rk_new(rd_kafka_type_t type, const char *bootstrap, const struct cli_props *props,
                       void (*conf_hook)(rd_kafka_conf_t *conf), void *opaque, char *err, size_t err_len)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char why[512];
    if (conf_set(conf, "bootstrap.servers", bootstrap, err, err_len) != SK_OK)
        goto fail;
    if (conf_set(conf, "client.id", "skiff", err, err_len) != SK_OK)
        goto fail;
    /* The hook sets the command's defaults; --*-props below override them. */
    if (conf_hook)
        conf_hook(conf);
    for (size_t i = 0; props && i < props->count; i++) {
        char key[256];
        size_t key_len;
        const char *value;
        cli_props_split(props->kv[i], &key_len, &value);
        if (key_len >= sizeof(key)) {
            snprintf(err, err_len, "property name too long: %.40s...", props->kv[i]);
            goto fail;
        }
        memcpy(key, props->kv[i], key_len);
        key[key_len] = '\0';
        if (conf_set(conf, key, value, err, err_len) != SK_OK)
            goto fail;
    }
    rd_kafka_conf_set_log_cb(conf, cli_rk_log_cb);
    rd_kafka_conf_set_error_cb(conf, cli_rk_error_cb);
    rd_kafka_conf_set_opaque(conf, opaque);
    rd_kafka_t *rk = rd_kafka_new(type, conf, why, sizeof(why));
    if (rk == NULL) {
        snprintf(err, err_len, "cannot create client: %s", why);
        goto fail;
    }
    return rk; /* rd_kafka_new took the conf */
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* Formats a metadata/transport failure, with librdkafka's last complaint. */
static void transport_err(rd_kafka_resp_err_t rerr, const char *what, char *err, size_t err_len)
{
    char last[256];
    cli_rk_last_log(last, sizeof(last));
    if (last[0])
        snprintf(err, err_len, "%s: %s (%s)", what, rd_kafka_err2str(rerr), last);
    else
        snprintf(err, err_len, "%s: %s", what, rd_kafka_err2str(rerr));
}

int cli_topic_lookup(rd_kafka_t *rk, const char *topic, int timeout_ms, int *partitions, char *err,
                     size_t err_len)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t rerr = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        transport_err(rerr, "metadata request failed", err, err_len);
        return SK_EIO;
    }
    int rc = SK_ENOENT;
    for (int i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, topic) == 0 &&
            md->topics[i].err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            *partitions = md->topics[i].partition_cnt;
            rc = SK_OK;
            break;
        }
    }
    rd_kafka_metadata_destroy(md);
    return rc;
}

/* Waits for the result event of an admin request on q. */
rd_kafka_event_t *cli_admin_wait(rd_kafka_queue_t *q, int timeout_ms, const char *what, char *err,
                                 size_t err_len)
{
    /* The request itself carries timeout_ms; allow some slack on top. */
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 5000);
    if (ev == NULL) {
        snprintf(err, err_len, "%s: no answer within %d ms", what, timeout_ms);
        return NULL;
    }
    if (rd_kafka_event_error(ev)) {
        char last[256];
        cli_rk_last_log(last, sizeof(last));
        snprintf(err, err_len, "%s: %s%s%s%s", what, rd_kafka_event_error_string(ev), last[0] ? " (" : "",
                 last, last[0] ? ")" : "");
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

rd_kafka_AdminOptions_t *cli_admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op, int timeout_ms)
{
    char why[256];
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, op);
    /* Both calls only fail for out-of-range values; ours are bounded. */
    rd_kafka_AdminOptions_set_request_timeout(ao, timeout_ms, why, sizeof(why));
    rd_kafka_AdminOptions_set_operation_timeout(ao, timeout_ms, why, sizeof(why));
    return ao;
}

/* Checks the single topic result of a CreateTopics/DeleteTopics answer. */
static int topic_result(const rd_kafka_topic_result_t **res, size_t n, const char *what, char *err,
                        size_t err_len, rd_kafka_resp_err_t *rerr_out)
{
    if (n != 1) {
        snprintf(err, err_len, "%s: broker answered for %zu topics, expected 1", what, n);
        return SK_EIO;
    }
    *rerr_out = rd_kafka_topic_result_error(res[0]);
    if (*rerr_out != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *msg = rd_kafka_topic_result_error_string(res[0]);
        snprintf(err, err_len, "%s: %s", what, msg ? msg : rd_kafka_err2str(*rerr_out));
        return SK_EIO;
    }
    return SK_OK;
}

static int new_topic_with_configs(const char *topic, int partitions, int replication_factor,
                                  const struct cli_props *configs, rd_kafka_NewTopic_t **out, char *err,
                                  size_t err_len)
{
    char why[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, replication_factor, why, sizeof(why));
    if (nt == NULL) {
        snprintf(err, err_len, "topic %s: %s", topic, why);
        return SK_EINVAL;
    }
    for (size_t i = 0; configs && i < configs->count; i++) {
        char key[256];
        size_t key_len;
        const char *value;
        cli_props_split(configs->kv[i], &key_len, &value);
        if (key_len >= sizeof(key)) {
            snprintf(err, err_len, "config name too long: %.40s...", configs->kv[i]);
            rd_kafka_NewTopic_destroy(nt);
            return SK_EINVAL;
        }
        memcpy(key, configs->kv[i], key_len);
        key[key_len] = '\0';
        rd_kafka_NewTopic_set_config(nt, key, value);
    }
    *out = nt;
    return SK_OK;
}

int cli_topic_create(rd_kafka_t *rk, const char *topic, int partitions, int replication_factor,
                     const struct cli_props *configs, int timeout_ms, int *existed, char *err, size_t err_len)
{
    rd_kafka_NewTopic_t *nt = NULL;
    rd_kafka_AdminOptions_t *ao = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_event_t *ev = NULL;
    char what[300];
    *existed = 0;
    snprintf(what, sizeof(what), "create topic %s", topic);
    int rc = new_topic_with_configs(topic, partitions, replication_factor, configs, &nt, err, err_len);
    if (rc != SK_OK)
        goto out;
    ao = cli_admin_options(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms);
    q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
    ev = cli_admin_wait(q, timeout_ms, what, err, err_len);
    if (ev == NULL) {
        rc = SK_EIO;
        goto out;
    }
    size_t n = 0;
    const rd_kafka_topic_result_t **res =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    rd_kafka_resp_err_t rerr;
    rc = topic_result(res, n, what, err, err_len, &rerr);
    if (rc != SK_OK && rerr == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        *existed = 1;
        rc = SK_OK;
    }
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    if (q)
        rd_kafka_queue_destroy(q);
    if (ao)
        rd_kafka_AdminOptions_destroy(ao);
    if (nt)
        rd_kafka_NewTopic_destroy(nt);
    return rc;
}

int cli_topic_delete(rd_kafka_t *rk, const char *topic, int timeout_ms, char *err, size_t err_len)
{
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
    rd_kafka_AdminOptions_t *ao = cli_admin_options(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_ms);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    char what[300];
    int rc = SK_EIO;
    snprintf(what, sizeof(what), "delete topic %s", topic);
    rd_kafka_DeleteTopics(rk, &dt, 1, ao, q);
    rd_kafka_event_t *ev = cli_admin_wait(q, timeout_ms, what, err, err_len);
    if (ev != NULL) {
        size_t n = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
        rd_kafka_resp_err_t rerr;
        rc = topic_result(res, n, what, err, err_len, &rerr);
        if (rc != SK_OK && rerr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            rc = SK_ENOENT;
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_DeleteTopic_destroy(dt);
    return rc;
}

/* 1 if metadata shows `topic` with every partition led, 0 if not yet. */
static int topic_is_ready(const struct rd_kafka_metadata *md, const char *topic)
{
    for (int i = 0; i < md->topic_cnt; i++) {
        const struct rd_kafka_metadata_topic *t = &md->topics[i];
        if (strcmp(t->topic, topic) != 0)
            continue;
        if (t->err != RD_KAFKA_RESP_ERR_NO_ERROR || t->partition_cnt <= 0)
            return 0;
        for (int p = 0; p < t->partition_cnt; p++) {
            if (t->partitions[p].err != RD_KAFKA_RESP_ERR_NO_ERROR || t->partitions[p].leader < 0)
                return 0;
        }
        return 1;
    }
    return 0;
}

int cli_topic_wait_ready(rd_kafka_t *rk, const char *topic, int timeout_ms, char *err, size_t err_len)
{
    int64_t deadline_ms = sk_mono_ms() + timeout_ms;
    for (;;) {
        int64_t left_ms = deadline_ms - sk_mono_ms();
        if (left_ms <= 0)
            break;
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t rerr =
            rd_kafka_metadata(rk, 1, NULL, &md, (int)(left_ms < 5000 ? left_ms : 5000));
        if (rerr == RD_KAFKA_RESP_ERR_NO_ERROR) {
            int ready = topic_is_ready(md, topic);
            rd_kafka_metadata_destroy(md);
            if (ready)
                return SK_OK;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    snprintf(err, err_len, "topic %s has partitions without a leader after %d ms", topic, timeout_ms);
    return SK_EIO;
}

int cli_topic_ensure(rd_kafka_t *rk, const char *topic, int partitions, int replication_factor,
                     int timeout_ms, char *err, size_t err_len)
{
    int have = 0, existed = 0;
    int rc = cli_topic_lookup(rk, topic, timeout_ms, &have, err, err_len);
    if (rc == SK_ENOENT)
        rc = cli_topic_create(rk, topic, partitions, replication_factor, NULL, timeout_ms, &existed, err,
                              err_len);
    if (rc != SK_OK)
        return rc;
    return cli_topic_wait_ready(rk, topic, timeout_ms, err, err_len);
}
