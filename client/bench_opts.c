/* Command-line parsing for `skiff bench produce|consume`. */
#include "client/bench_opts.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/sk_err.h"

enum {
    OPT_TOPIC = 256,
    OPT_NUM_RECORDS,
    OPT_RECORD_SIZE,
    OPT_THROUGHPUT,
    OPT_ACKS,
    OPT_PARTITIONS,
    OPT_REPLICATION_FACTOR,
    OPT_PROPS,
    OPT_TIMEOUT_MS,
    OPT_KV,
};

static const struct option produce_longopts[] = {
    {"bootstrap", required_argument, NULL, 'b'},
    {"topic", required_argument, NULL, OPT_TOPIC},
    {"num-records", required_argument, NULL, OPT_NUM_RECORDS},
    {"record-size", required_argument, NULL, OPT_RECORD_SIZE},
    {"throughput", required_argument, NULL, OPT_THROUGHPUT},
    {"acks", required_argument, NULL, OPT_ACKS},
    {"partitions", required_argument, NULL, OPT_PARTITIONS},
    {"replication-factor", required_argument, NULL, OPT_REPLICATION_FACTOR},
    {"producer-props", required_argument, NULL, OPT_PROPS},
    {"kv", no_argument, NULL, OPT_KV},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option consume_longopts[] = {
    {"bootstrap", required_argument, NULL, 'b'},
    {"topic", required_argument, NULL, OPT_TOPIC},
    {"num-records", required_argument, NULL, OPT_NUM_RECORDS},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS},
    {"consumer-props", required_argument, NULL, OPT_PROPS},
    {"kv", no_argument, NULL, OPT_KV},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

void bench_usage(FILE *out, enum bench_mode mode)
{
    if (mode == BENCH_PRODUCE) {
        fputs("Usage: skiff bench produce --topic T --num-records N --record-size BYTES [options]\n"
              "\n"
              "Produces N records of BYTES bytes as fast as allowed and reports throughput and\n"
              "latency (delivery report time minus produce call time) percentiles.\n"
              "Creates the topic if it does not exist.\n"
              "\n"
              "  -b, --bootstrap HOST:PORT,...  brokers (default $SKIFF_BOOTSTRAP or 127.0.0.1:9092)\n"
              "      --throughput N             cap in records/s; -1 = no cap (default -1)\n"
              "      --acks 0|1|all             acknowledgements required (default all)\n"
              "      --partitions N             partitions if the topic is created (default 1)\n"
              "      --replication-factor N     replicas if the topic is created (default 1)\n"
              "      --producer-props K=V...    extra librdkafka producer properties\n"
              "      --kv                       print the summary as one key=value line\n"
              "  -h, --help                     this text\n",
              out);
    } else {
        fputs("Usage: skiff bench consume --topic T --num-records N [options]\n"
              "\n"
              "Reads N records from the beginning of every partition of T (assigned\n"
              "directly, no group membership) and reports throughput.\n"
              "\n"
              "  -b, --bootstrap HOST:PORT,...  brokers (default $SKIFF_BOOTSTRAP or 127.0.0.1:9092)\n"
              "      --timeout-ms MS            fail if no record arrives for MS (default 10000)\n"
              "      --consumer-props K=V...    extra librdkafka consumer properties\n"
              "      --kv                       print the summary as one key=value line\n"
              "  -h, --help                     this text\n",
              out);
    }
}

static void bench_opts_defaults(enum bench_mode mode, struct bench_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mode = mode;
    o->bootstrap = cli_default_bootstrap();
    o->num_records = -1;
    o->record_size = -1;
    o->throughput = -1;
    o->acks = "all";
    o->partitions = 1;
    o->replication_factor = 1;
    o->timeout_ms = 10000;
}

/* Parses a numeric option's value into *out, naming the option on error. */
static int num_arg(const char *name, const char *val, int64_t min, int64_t max, int64_t *out, char *err,
                   size_t err_len)
{
    int rc = cli_parse_i64(val, min, max, out);
    if (rc == SK_EINVAL)
        snprintf(err, err_len, "--%s: '%s' is not a number", name, val);
    else if (rc != SK_OK)
        snprintf(err, err_len, "--%s: %s is outside %lld..%lld", name, val, (long long)min, (long long)max);
    return rc == SK_OK ? SK_OK : SK_EINVAL;
}

/* --producer-props takes every following argument up to the next option, as
 * Kafka's perf tools do; getopt has already consumed the first. */
static int props_args(int argc, char **argv, const char *first, struct cli_props *p, char *err,
                      size_t err_len)
{
    const char *kv = first;
    for (;;) {
        int rc = cli_props_add(p, kv);
        if (rc == SK_ELIMIT) {
            snprintf(err, err_len, "more than %d properties", SK_CLI_PROPS_MAX);
            return SK_EINVAL;
        }
        if (rc != SK_OK) {
            snprintf(err, err_len, "property '%s' is not key=value", kv);
            return SK_EINVAL;
        }
        if (optind >= argc || argv[optind][0] == '-')
            return SK_OK;
        kv = argv[optind++];
    }
}

static int one_opt(int c, int argc, char **argv, struct bench_opts *o, char *err, size_t err_len)
{
    switch (c) {
    case 'h':
        o->help = 1;
        return SK_OK;
    case 'b':
        o->bootstrap = optarg;
        return SK_OK;
    case OPT_TOPIC:
        o->topic = optarg;
        return SK_OK;
    case OPT_KV:
        o->kv = 1;
        return SK_OK;
    case OPT_NUM_RECORDS:
        return num_arg("num-records", optarg, 1, INT64_MAX / 2, &o->num_records, err, err_len);
    case OPT_RECORD_SIZE:
        return num_arg("record-size", optarg, 0, SK_CLI_RECORD_BYTES_MAX, &o->record_size, err, err_len);
    case OPT_THROUGHPUT:
        if (strcmp(optarg, "-1") == 0) {
            o->throughput = -1;
            return SK_OK;
        }
        return num_arg("throughput", optarg, 1, INT64_MAX / 2, &o->throughput, err, err_len);
    case OPT_ACKS:
        if (cli_parse_acks(optarg, &o->acks) != SK_OK) {
            snprintf(err, err_len, "--acks: '%s' is not 0, 1 or all", optarg);
            return SK_EINVAL;
        }
        return SK_OK;
    case OPT_PARTITIONS:
        return num_arg("partitions", optarg, 1, SK_PARTITIONS_PER_TOPIC_MAX, &o->partitions, err, err_len);
    case OPT_REPLICATION_FACTOR:
        return num_arg("replication-factor", optarg, 1, 32767, &o->replication_factor, err, err_len);
    case OPT_TIMEOUT_MS:
        return num_arg("timeout-ms", optarg, 1, 24 * 3600 * 1000, &o->timeout_ms, err, err_len);
    case OPT_PROPS:
        return props_args(argc, argv, optarg, &o->props, err, err_len);
    case ':':
        snprintf(err, err_len, "option '%s' needs a value", argv[optind - 1]);
        return SK_EINVAL;
    default:
        snprintf(err, err_len, "unknown option '%s'", argv[optind - 1]);
        return SK_EINVAL;
    }
}

int bench_opts_parse(enum bench_mode mode, int argc, char **argv, struct bench_opts *o, char *err,
                     size_t err_len)
{
    bench_opts_defaults(mode, o);
    const struct option *longopts = mode == BENCH_PRODUCE ? produce_longopts : consume_longopts;
    /* '+': stop at the first non-option (so --producer-props can take the
     * arguments after it); ':': report a missing value as ':'. */
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+:b:h", longopts, NULL)) != -1) {
        int rc = one_opt(c, argc, argv, o, err, err_len);
        if (rc != SK_OK)
            return rc;
    }
    if (o->help)
        return SK_OK;
    if (optind < argc) {
        snprintf(err, err_len, "unexpected argument '%s'", argv[optind]);
        return SK_EINVAL;
    }
    if (o->topic == NULL || *o->topic == '\0') {
        snprintf(err, err_len, "--topic is required");
        return SK_EINVAL;
    }
    if (strlen(o->topic) > SK_TOPIC_NAME_MAX) {
        snprintf(err, err_len, "--topic: name longer than %d characters", SK_TOPIC_NAME_MAX);
        return SK_EINVAL;
    }
    if (o->num_records < 0) {
        snprintf(err, err_len, "--num-records is required");
        return SK_EINVAL;
    }
    if (mode == BENCH_PRODUCE && o->record_size < 0) {
        snprintf(err, err_len, "--record-size is required");
        return SK_EINVAL;
    }
    return SK_OK;
}
