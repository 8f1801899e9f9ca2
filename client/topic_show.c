/* `skiff topic list` and `skiff topic describe`: one Metadata request (plus
 * DescribeConfigs per described topic), printed as Kafka's tools lay it out
 * or as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/opts.h"
#include "client/rk.h"
#include "client/topic_admin.h"
#include "common/json.h"
#include "common/sk_err.h"

static int cmp_topic(const void *a, const void *b)
{
    const struct rd_kafka_metadata_topic *x = a, *y = b;
    return strcmp(x->topic, y->topic);
}

static int cmp_partition(const void *a, const void *b)
{
    const struct rd_kafka_metadata_partition *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Metadata lists only live brokers, so a replica on a broker it does not
 * list is offline (what Kafka's own Metadata v5+ reports as offline_replicas). */
static int broker_live(const struct rd_kafka_metadata *md, int32_t id)
{
    for (int i = 0; i < md->broker_cnt; i++)
        if (md->brokers[i].id == id)
            return 1;
    return 0;
}

static void print_ids(const char *label, const int32_t *ids, int n)
{
    printf("\t%s: ", label);
    for (int i = 0; i < n; i++)
        printf(i ? ",%d" : "%d", ids[i]);
}

static void print_offline(const struct rd_kafka_metadata *md, const struct rd_kafka_metadata_partition *mp)
{
    printf("\tOffline: ");
    int k = 0;
    for (int i = 0; i < mp->replica_cnt; i++)
        if (!broker_live(md, mp->replicas[i]))
            printf(k++ ? ",%d" : "%d", mp->replicas[i]);
}

static void describe_text(const struct rd_kafka_metadata *md, struct rd_kafka_metadata_topic *t,
                          const struct cli_configs *cfg)
{
    int rf = t->partition_cnt > 0 ? t->partitions[0].replica_cnt : 0;
    printf("Topic: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: ", t->topic, t->partition_cnt, rf);
    for (int i = 0; cfg && i < cfg->n; i++)
        printf(i ? ",%s=%s" : "%s=%s", cfg->name[i], cfg->value[i]);
    if (t->err)
        printf("\tError: %s", rd_kafka_err2str(t->err));
    printf("\n");
    for (int p = 0; p < t->partition_cnt; p++) {
        const struct rd_kafka_metadata_partition *mp = &t->partitions[p];
        printf("\tTopic: %s\tPartition: %d\tLeader: %d", t->topic, mp->id, mp->leader);
        print_ids("Replicas", mp->replicas, mp->replica_cnt);
        print_ids("Isr", mp->isrs, mp->isr_cnt);
        print_offline(md, mp);
        if (mp->err)
            printf("\tError: %s", rd_kafka_err2str(mp->err));
        printf("\n");
    }
}

static void json_ids(struct json_out *j, const char *key, const int32_t *ids, int n)
{
    json_begin_array(j, key);
    for (int i = 0; i < n; i++)
        json_i64(j, NULL, ids[i]);
    json_end_array(j);
}

static void describe_json(struct json_out *j, const struct rd_kafka_metadata *md,
                          struct rd_kafka_metadata_topic *t, const struct cli_configs *cfg)
{
    json_begin_object(j, NULL);
    json_str(j, "name", t->topic);
    json_str(j, "error", t->err ? rd_kafka_err2name(t->err) : NULL);
    json_begin_object(j, "configs");
    for (int i = 0; cfg && i < cfg->n; i++)
        json_str(j, cfg->name[i], cfg->value[i]);
    json_end_object(j);
    json_begin_array(j, "partitions");
    for (int p = 0; p < t->partition_cnt; p++) {
        const struct rd_kafka_metadata_partition *mp = &t->partitions[p];
        json_begin_object(j, NULL);
        json_i64(j, "partition", mp->id);
        json_i64(j, "leader", mp->leader);
        json_ids(j, "replicas", mp->replicas, mp->replica_cnt);
        json_ids(j, "isr", mp->isrs, mp->isr_cnt);
        json_begin_array(j, "offline");
        for (int i = 0; i < mp->replica_cnt; i++)
            if (!broker_live(md, mp->replicas[i]))
                json_i64(j, NULL, mp->replicas[i]);
        json_end_array(j);
        json_str(j, "error", mp->err ? rd_kafka_err2name(mp->err) : NULL);
        json_end_object(j);
    }
    json_end_array(j);
    json_end_object(j);
}

/* One topic of `describe`: its configs, then text or a JSON element. */
static int describe_one(rd_kafka_t *rk, const struct rd_kafka_metadata *md, struct rd_kafka_metadata_topic *t,
                        struct json_out *j, int timeout_ms)
{
    char err[512];
    struct cli_configs cfg = {0};
    qsort(t->partitions, (size_t)t->partition_cnt, sizeof(t->partitions[0]), cmp_partition);
    int rc = cli_topic_configs(rk, t->topic, timeout_ms, &cfg, err, sizeof(err));
    if (rc != SK_OK && rc != SK_ENOENT) {
        cli_error("%s", err);
        cli_configs_free(&cfg);
        return CLI_EXIT_FAIL;
    }
    if (j)
        describe_json(j, md, t, &cfg);
    else
        describe_text(md, t, &cfg);
    cli_configs_free(&cfg);
    return CLI_EXIT_OK;
}

int topic_show(rd_kafka_t *rk, const struct topic_show_args *a)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t rerr = rd_kafka_metadata(rk, 1, NULL, &md, a->timeout_ms);
    if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        char last[256];
        cli_error("metadata request to %s failed: %s%s%s", a->bootstrap, rd_kafka_err2str(rerr),
                  cli_rk_last_log(last, sizeof(last))[0] ? ": " : "", last);
        return CLI_EXIT_FAIL;
    }
    struct rd_kafka_metadata_topic *topics = md->topics;
    qsort(topics, (size_t)md->topic_cnt, sizeof(topics[0]), cmp_topic);
    struct sk_writer w;
    sk_writer_init(&w);
    struct json_out jo = {.w = &w}, *j = a->json ? &jo : NULL;
    if (j) {
        json_begin_object(j, NULL);
        json_begin_array(j, "topics");
    }
    int status = CLI_EXIT_OK;
    for (int i = 0; a->name_count == 0 && i < md->topic_cnt; i++) {
        if (a->describe)
            status |= describe_one(rk, md, &topics[i], j, a->timeout_ms);
        else if (j)
            json_str(j, NULL, topics[i].topic);
        else
            printf("%s\n", topics[i].topic);
    }
    for (int n = 0; n < a->name_count; n++) {
        struct rd_kafka_metadata_topic key = {.topic = a->names[n]};
        struct rd_kafka_metadata_topic *t =
            bsearch(&key, topics, (size_t)md->topic_cnt, sizeof(topics[0]), cmp_topic);
        if (t == NULL || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            cli_error("topic %s does not exist", a->names[n]);
            status = CLI_EXIT_FAIL;
            continue;
        }
        status |= describe_one(rk, md, t, j, a->timeout_ms);
    }
    if (j) {
        json_end_array(j);
        json_end_object(j);
        cli_print_json(&w);
    }
    sk_writer_free(&w);
    rd_kafka_metadata_destroy(md);
    return status;
}
