/* `skiff topic create|list|describe|delete`: topic administration through
 * librdkafka's AdminClient and cluster metadata. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/opts.h"
#include "client/rk.h"
#include "common/sk_err.h"

enum { OPT_PARTITIONS = 256, OPT_RF, OPT_CONFIG, OPT_IF_NOT_EXISTS, OPT_IF_EXISTS, OPT_TIMEOUT_MS };

struct topic_opts {
    const char *bootstrap;
    int64_t partitions;
    int64_t replication_factor;
    int64_t timeout_ms;
    int if_not_exists;
    int if_exists;
    int help;
    struct cli_props configs;
    char **names; /* borrowed from argv */
    int name_count;
};

static const struct option topic_longopts[] = {
    {"bootstrap", required_argument, NULL, 'b'},
    {"partitions", required_argument, NULL, OPT_PARTITIONS},
    {"replication-factor", required_argument, NULL, OPT_RF},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"if-not-exists", no_argument, NULL, OPT_IF_NOT_EXISTS},
    {"if-exists", no_argument, NULL, OPT_IF_EXISTS},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void topic_usage(FILE *out)
{
    fputs("Usage: skiff topic COMMAND [options]\n"
          "\n"
          "  create NAME [--partitions N] [--replication-factor R] [--config K=V]... [--if-not-exists]\n"
          "  list\n"
          "  describe [NAME...]     partitions with leader, replicas and ISR (all topics if none named)\n"
          "  delete NAME... [--if-exists]\n"
          "\n"
          "  -b, --bootstrap HOST:PORT,...  brokers (default $SKIFF_BOOTSTRAP or 127.0.0.1:9092)\n"
          "      --partitions N             default 1\n"
          "      --replication-factor R     default 1\n"
          "      --timeout-ms MS            give up after MS (default 30000)\n"
          "  -h, --help                     this text\n",
          out);
}

static int num_opt(const char *name, const char *val, int64_t min, int64_t max, int64_t *out)
{
    int rc = cli_parse_i64(val, min, max, out);
    if (rc != SK_OK)
        cli_error("--%s: '%s' is not a number from %lld to %lld", name, val, (long long)min, (long long)max);
    return rc;
}

static int one_topic_opt(int c, char **argv, struct topic_opts *o)
{
    switch (c) {
    case 'h':
        o->help = 1;
        return SK_OK;
    case 'b':
        o->bootstrap = optarg;
        return SK_OK;
    case OPT_PARTITIONS:
        return num_opt("partitions", optarg, 1, SK_PARTITIONS_PER_TOPIC_MAX, &o->partitions);
    case OPT_RF:
        return num_opt("replication-factor", optarg, 1, 32767, &o->replication_factor);
    case OPT_TIMEOUT_MS:
        return num_opt("timeout-ms", optarg, 1, 3600 * 1000, &o->timeout_ms);
    case OPT_IF_NOT_EXISTS:
        o->if_not_exists = 1;
        return SK_OK;
    case OPT_IF_EXISTS:
        o->if_exists = 1;
        return SK_OK;
    case OPT_CONFIG:
        if (cli_props_add(&o->configs, optarg) != SK_OK) {
            cli_error("--config: '%s' is not key=value (or too many)", optarg);
            return SK_EINVAL;
        }
        return SK_OK;
    case ':':
        cli_error("option '%s' needs a value", argv[optind - 1]);
        return SK_EINVAL;
    default:
        cli_error("unknown option '%s' (see skiff topic --help)", argv[optind - 1]);
        return SK_EINVAL;
    }
}

static int topic_opts_parse(int argc, char **argv, struct topic_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->bootstrap = cli_default_bootstrap();
    o->partitions = 1;
    o->replication_factor = 1;
    o->timeout_ms = CLI_ADMIN_TIMEOUT_MS;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":b:h", topic_longopts, NULL)) != -1) {
        if (one_topic_opt(c, argv, o) != SK_OK)
            return SK_EINVAL;
    }
    o->names = argv + optind;
    o->name_count = argc - optind;
    if (o->name_count > SK_CLI_TOPICS_MAX) {
        cli_error("at most %d topics at once", SK_CLI_TOPICS_MAX);
        return SK_EINVAL;
    }
    for (int i = 0; i < o->name_count; i++) {
        size_t len = strlen(o->names[i]);
        if (len == 0 || len > SK_TOPIC_NAME_MAX) {
            cli_error("topic name must be 1 to %d characters", SK_TOPIC_NAME_MAX);
            return SK_EINVAL;
        }
    }
    return SK_OK;
}

static int topic_create(rd_kafka_t *rk, const struct topic_opts *o)
{
    char err[512];
    int existed = 0;
    if (cli_topic_create(rk, o->names[0], (int)o->partitions, (int)o->replication_factor, &o->configs,
                         (int)o->timeout_ms, &existed, err, sizeof(err)) != SK_OK) {
        cli_error("%s", err);
        return CLI_EXIT_FAIL;
    }
    if (existed && !o->if_not_exists) {
        cli_error("topic %s already exists", o->names[0]);
        return CLI_EXIT_FAIL;
    }
    if (!existed && cli_topic_wait_ready(rk, o->names[0], (int)o->timeout_ms, err, sizeof(err)) != SK_OK) {
        cli_error("%s", err);
        return CLI_EXIT_FAIL;
    }
    printf(existed ? "Topic %s already exists.\n" : "Created topic %s.\n", o->names[0]);
    return CLI_EXIT_OK;
}

static int topic_delete(rd_kafka_t *rk, const struct topic_opts *o)
{
    char err[512];
    int status = CLI_EXIT_OK;
    for (int i = 0; i < o->name_count; i++) {
        int rc = cli_topic_delete(rk, o->names[i], (int)o->timeout_ms, err, sizeof(err));
        if (rc == SK_ENOENT && o->if_exists)
            continue;
        if (rc == SK_ENOENT) {
            cli_error("topic %s does not exist", o->names[i]);
            status = CLI_EXIT_FAIL;
            continue;
        }
        if (rc != SK_OK) {
            cli_error("%s", err);
            status = CLI_EXIT_FAIL;
            continue;
        }
        printf("Deleted topic %s.\n", o->names[i]);
    }
    return status;
}

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

static void print_id_list(const char *label, const int32_t *ids, int n)
{
    printf("\t%s: ", label);
    for (int i = 0; i < n; i++)
        printf(i ? ",%d" : "%d", ids[i]);
}

static void describe_one(struct rd_kafka_metadata_topic *t)
{
    qsort(t->partitions, (size_t)t->partition_cnt, sizeof(t->partitions[0]), cmp_partition);
    int rf = t->partition_cnt > 0 ? t->partitions[0].replica_cnt : 0;
    printf("Topic: %s\tPartitionCount: %d\tReplicationFactor: %d", t->topic, t->partition_cnt, rf);
    if (t->err)
        printf("\tError: %s", rd_kafka_err2str(t->err));
    printf("\n");
    for (int p = 0; p < t->partition_cnt; p++) {
        const struct rd_kafka_metadata_partition *mp = &t->partitions[p];
        printf("\tTopic: %s\tPartition: %d\tLeader: %d", t->topic, mp->id, mp->leader);
        print_id_list("Replicas", mp->replicas, mp->replica_cnt);
        print_id_list("Isr", mp->isrs, mp->isr_cnt);
        if (mp->err)
            printf("\tError: %s", rd_kafka_err2str(mp->err));
        printf("\n");
    }
}

/* list (describe == 0) or describe (describe == 1) from one metadata fetch.
 * The metadata is librdkafka's copy, ours to sort in place. */
static int topic_show(rd_kafka_t *rk, const struct topic_opts *o, int describe)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t rerr = rd_kafka_metadata(rk, 1, NULL, &md, (int)o->timeout_ms);
    if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        char last[256];
        cli_error("metadata request to %s failed: %s%s%s", o->bootstrap, rd_kafka_err2str(rerr),
                  cli_rk_last_log(last, sizeof(last))[0] ? ": " : "", last);
        return CLI_EXIT_FAIL;
    }
    struct rd_kafka_metadata_topic *topics = md->topics;
    qsort(topics, (size_t)md->topic_cnt, sizeof(topics[0]), cmp_topic);
    int status = CLI_EXIT_OK;
    for (int i = 0; i < md->topic_cnt; i++) {
        if (o->name_count > 0)
            break;
        if (describe)
            describe_one(&topics[i]);
        else
            printf("%s\n", topics[i].topic);
    }
    for (int n = 0; n < o->name_count; n++) {
        struct rd_kafka_metadata_topic key = {.topic = o->names[n]};
        struct rd_kafka_metadata_topic *t =
            bsearch(&key, topics, (size_t)md->topic_cnt, sizeof(topics[0]), cmp_topic);
        if (t == NULL || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            cli_error("topic %s does not exist", o->names[n]);
            status = CLI_EXIT_FAIL;
            continue;
        }
        describe_one(t);
    }
    rd_kafka_metadata_destroy(md);
    return status;
}

/* Checks the positional arguments a subcommand takes. */
static int check_names(const char *cmd, const struct topic_opts *o, int min, int max)
{
    if (o->name_count < min) {
        cli_error("topic %s: missing topic name", cmd);
        return SK_EINVAL;
    }
    if (max >= 0 && o->name_count > max) {
        cli_error("topic %s: unexpected argument '%s'", cmd, o->names[max]);
        return SK_EINVAL;
    }
    return SK_OK;
}

int topic_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        topic_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const char *cmd = argv[1];
    struct topic_opts o;
    if (topic_opts_parse(argc - 1, argv + 1, &o) != SK_OK)
        return CLI_EXIT_USAGE;
    if (o.help) {
        topic_usage(stdout);
        return CLI_EXIT_OK;
    }
    int min = 0, max = -1;
    if (strcmp(cmd, "create") == 0)
        min = max = 1;
    else if (strcmp(cmd, "delete") == 0)
        min = 1;
    else if (strcmp(cmd, "list") == 0)
        max = 0;
    else if (strcmp(cmd, "describe") != 0) {
        cli_error("unknown topic command '%s' (create, list, describe, delete)", cmd);
        return CLI_EXIT_USAGE;
    }
    if (check_names(cmd, &o, min, max) != SK_OK)
        return CLI_EXIT_USAGE;

    char err[512];
    rd_kafka_t *rk = cli_rk_new(RD_KAFKA_PRODUCER, o.bootstrap, NULL, NULL, NULL, err, sizeof(err));
    if (rk == NULL) {
        cli_error("%s", err);
        return CLI_EXIT_FAIL;
    }
    int status;
    if (strcmp(cmd, "create") == 0)
        status = topic_create(rk, &o);
    else if (strcmp(cmd, "delete") == 0)
        status = topic_delete(rk, &o);
    else
        status = topic_show(rk, &o, strcmp(cmd, "describe") == 0);
    rd_kafka_destroy(rk);
    return status;
}
