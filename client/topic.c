/* `skiff topic create|list|describe|delete|alter-config|add-partitions`:
 * topic administration through librdkafka's AdminClient and cluster
 * metadata. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/opts.h"
#include "client/rk.h"
#include "client/topic_admin.h"
#include "common/sk_err.h"

enum {
    OPT_PARTITIONS = 256,
    OPT_RF,
    OPT_CONFIG,
    OPT_IF_NOT_EXISTS,
    OPT_IF_EXISTS,
    OPT_TIMEOUT_MS,
    OPT_SET,
    OPT_DELETE,
};

struct topic_opts {
    const char *bootstrap;
    int64_t partitions;
    int64_t replication_factor;
    int64_t timeout_ms;
    int if_not_exists;
    int if_exists;
    int help;
    int partitions_given;
    int json;
    struct cli_props configs;
    struct cli_props set;        /* alter-config --set K=V */
    const char *del[SK_CLI_PROPS_MAX]; /* alter-config --delete K */
    int del_count;
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
    {"set", required_argument, NULL, OPT_SET},
    {"delete", required_argument, NULL, OPT_DELETE},
    {"output", required_argument, NULL, CLI_OPT_OUTPUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void topic_usage(FILE *out)
{
    fputs("Usage: skiff topic COMMAND [options]\n"
          "\n"
          "  create NAME [--partitions N] [--replication-factor R] [--config K=V]... [--if-not-exists]\n"
          "  list [--output json]\n"
          "  describe [NAME...] [--output json]\n"
          "                         configs, and per partition leader, replicas, ISR and offline\n"
          "                         replicas (all topics if none named)\n"
          "  delete NAME... [--if-exists]\n"
          "  alter-config NAME [--set K=V]... [--delete K]...\n"
          "                         change the topic's overrides (others are kept)\n"
          "  add-partitions NAME --partitions N\n"
          "                         grow the topic to N partitions in all\n"
          "\n"
          "  -b, --bootstrap HOST:PORT,...  brokers (default $SKIFF_BOOTSTRAP or 127.0.0.1:9092)\n"
          "      --partitions N             default 1\n"
          "      --replication-factor R     default 1\n"
          "      --timeout-ms MS            give up after MS (default 30000)\n"
          "      --output text|json         list and describe: output format (default text)\n"
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
        o->partitions_given = 1;
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
    case OPT_SET:
        if (cli_props_add(&o->set, optarg) != SK_OK) {
            cli_error("--set: '%s' is not key=value (or too many)", optarg);
            return SK_EINVAL;
        }
        return SK_OK;
    case OPT_DELETE:
        if (o->del_count >= SK_CLI_PROPS_MAX || !*optarg) {
            cli_error("--delete: empty key or too many");
            return SK_EINVAL;
        }
        o->del[o->del_count++] = optarg;
        return SK_OK;
    default:
        return cli_common_opt(c, argv, "topic", NULL, &o->json);
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

/* Reads the overrides, applies --set and --delete, writes them back:
 * AlterConfigs replaces the whole set, so keys not named are kept by
 * sending them again. */
static int topic_alter_config(rd_kafka_t *rk, const struct topic_opts *o)
{
    char err[512];
    struct cli_configs cfg = {0};
    const char *topic = o->names[0];
    int status = CLI_EXIT_FAIL;
    int rc = cli_topic_configs(rk, topic, (int)o->timeout_ms, &cfg, err, sizeof(err));
    if (rc == SK_ENOENT) {
        cli_error("topic %s does not exist", topic);
        goto out;
    }
    if (rc != SK_OK) {
        cli_error("%s", err);
        goto out;
    }
    for (int i = 0; i < o->del_count; i++) {
        if (cli_configs_delete(&cfg, o->del[i]) != SK_OK) {
            cli_error("topic %s has no override for %s", topic, o->del[i]);
            goto out;
        }
    }
    for (size_t i = 0; i < o->set.count; i++) {
        size_t key_len;
        const char *value;
        cli_props_split(o->set.kv[i], &key_len, &value);
        if (cli_configs_set(&cfg, o->set.kv[i], key_len, value) != SK_OK) {
            cli_error("too many configs");
            goto out;
        }
    }
    if (cli_topic_alter_configs(rk, topic, &cfg, (int)o->timeout_ms, err, sizeof(err)) != SK_OK) {
        cli_error("%s", err);
        goto out;
    }
    printf("Altered configs of topic %s.\n", topic);
    status = CLI_EXIT_OK;
out:
    cli_configs_free(&cfg);
    return status;
}

static int topic_add_partitions(rd_kafka_t *rk, const struct topic_opts *o)
{
    char err[512];
    const char *topic = o->names[0];
    int rc = cli_topic_add_partitions(rk, topic, (int)o->partitions, (int)o->timeout_ms, err, sizeof(err));
    if (rc == SK_ENOENT) {
        cli_error("topic %s does not exist", topic);
        return CLI_EXIT_FAIL;
    }
    if (rc != SK_OK || cli_topic_wait_ready(rk, topic, (int)o->timeout_ms, err, sizeof(err)) != SK_OK) {
        cli_error("%s", err);
        return CLI_EXIT_FAIL;
    }
    printf("Topic %s now has %d partitions.\n", topic, (int)o->partitions);
    return CLI_EXIT_OK;
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
    else if (strcmp(cmd, "alter-config") == 0 || strcmp(cmd, "add-partitions") == 0)
        min = max = 1;
    else if (strcmp(cmd, "describe") != 0) {
        cli_error("unknown topic command '%s' (create, list, describe, delete, alter-config, add-partitions)", cmd);
        return CLI_EXIT_USAGE;
    }
    if (check_names(cmd, &o, min, max) != SK_OK)
        return CLI_EXIT_USAGE;
    if (strcmp(cmd, "add-partitions") == 0 && !o.partitions_given) {
        cli_error("topic add-partitions: --partitions N (the new total) is required");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(cmd, "alter-config") == 0 && o.set.count == 0 && o.del_count == 0) {
        cli_error("topic alter-config: nothing to change (--set K=V or --delete K)");
        return CLI_EXIT_USAGE;
    }

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
    else if (strcmp(cmd, "alter-config") == 0)
        status = topic_alter_config(rk, &o);
    else if (strcmp(cmd, "add-partitions") == 0)
        status = topic_add_partitions(rk, &o);
    else {
        struct topic_show_args a = {o.bootstrap, o.names, o.name_count, strcmp(cmd, "describe") == 0, o.json,
                                    (int)o.timeout_ms};
        status = topic_show(rk, &a);
    }
    rd_kafka_destroy(rk);
    return status;
}
