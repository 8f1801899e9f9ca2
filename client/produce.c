/* `skiff produce TOPIC`: every line of stdin becomes one record (the line
 * without its newline), optionally split into key and value at the first
 * --key-separator character.  Waits for every delivery report; exits 1 if
 * any record was not delivered. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/opts.h"
#include "client/rk.h"
#include "common/alloc.h"
#include "common/limits.h"
#include "common/sk_err.h"

enum { OPT_ACKS = 256, OPT_KEY_SEP, OPT_PARTITION, OPT_PROPS };

struct produce_opts {
    const char *bootstrap;
    const char *topic;
    const char *acks;
    int key_sep; /* -1: none */
    int64_t partition;
    int64_t timeout_ms;
    int help;
    struct cli_props props;
};

struct produce_stats {
    int64_t delivered;
    int64_t failed;
    char first_error[256];
};

static const struct option produce_longopts[] = {
    {"bootstrap", required_argument, NULL, 'b'},
    {"acks", required_argument, NULL, OPT_ACKS},
    {"key-separator", required_argument, NULL, OPT_KEY_SEP},
    {"partition", required_argument, NULL, OPT_PARTITION},
    {"timeout-ms", required_argument, NULL, CLI_OPT_TIMEOUT_MS},
    {"producer-props", required_argument, NULL, OPT_PROPS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void produce_usage(FILE *out)
{
    fputs("Usage: skiff produce TOPIC [options] < lines\n"
          "\n"
          "Sends every line of standard input as one record and waits until each is\n"
          "acknowledged.  A summary goes to stderr; exit status 1 if any record failed.\n"
          "\n"
          "  -b, --bootstrap HOST:PORT,...  brokers (default $SKIFF_BOOTSTRAP or 127.0.0.1:9092)\n"
          "      --acks 0|1|all             acknowledgement level (default all)\n"
          "      --key-separator C          split each line at the first C into key and value;\n"
          "                                 a line without C is an error\n"
          "      --partition N              send every record to partition N (default: by key)\n"
          "      --timeout-ms MS            give up on a record after MS (default 30000)\n"
          "      --producer-props K=V       a librdkafka producer property (repeatable)\n"
          "  -h, --help                     this text\n",
          out);
}

static int produce_opt(int c, char **argv, struct produce_opts *o)
{
    switch (c) {
    case 'h':
        o->help = 1;
        return SK_OK;
    case 'b':
        o->bootstrap = optarg;
        return SK_OK;
    case OPT_ACKS:
        if (cli_parse_acks(optarg, &o->acks) == SK_OK)
            return SK_OK;
        cli_error("--acks: '%s' is not 0, 1 or all", optarg);
        return SK_EINVAL;
    case OPT_KEY_SEP:
        if (strlen(optarg) == 1) {
            o->key_sep = (unsigned char)optarg[0];
            return SK_OK;
        }
        cli_error("--key-separator: '%s' is not one character", optarg);
        return SK_EINVAL;
    case OPT_PARTITION:
        if (cli_parse_i64(optarg, 0, SK_PARTITIONS_PER_TOPIC_MAX - 1, &o->partition) == SK_OK)
            return SK_OK;
        cli_error("--partition: '%s' is not a partition number", optarg);
        return SK_EINVAL;
    case OPT_PROPS:
        if (cli_props_add(&o->props, optarg) == SK_OK)
            return SK_OK;
        cli_error("--producer-props: '%s' is not key=value (or too many)", optarg);
        return SK_EINVAL;
    default:
        return cli_common_opt(c, argv, "produce", &o->timeout_ms, NULL);
    }
}

static int produce_parse(int argc, char **argv, struct produce_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->bootstrap = cli_default_bootstrap();
    o->acks = "all";
    o->key_sep = -1;
    o->partition = RD_KAFKA_PARTITION_UA;
    o->timeout_ms = 30000;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":b:h", produce_longopts, NULL)) != -1)
        if (produce_opt(c, argv, o) != SK_OK)
            return SK_EINVAL;
    if (o->help)
        return SK_OK;
    if (optind >= argc) {
        cli_error("produce: missing topic name");
        return SK_EINVAL;
    }
    if (optind + 1 < argc) {
        cli_error("produce: unexpected argument '%s'", argv[optind + 1]);
        return SK_EINVAL;
    }
    o->topic = argv[optind];
    return SK_OK;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct produce_stats *st = opaque;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        st->delivered++;
        return;
    }
    if (st->failed++ == 0)
        snprintf(st->first_error, sizeof(st->first_error), "%s", rd_kafka_err2str(m->err));
}

static void produce_conf(rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
}

/* Sends one record, waiting for room in librdkafka's queue when it is full. */
static int send_line(rd_kafka_t *rk, const struct produce_opts *o, const char *line, size_t len, char *err,
                     size_t err_len)
{
    const char *key = NULL, *value = line;
    size_t key_len = 0, value_len = len;
    if (o->key_sep >= 0) {
        const char *sep = memchr(line, o->key_sep, len);
        if (!sep) {
            snprintf(err, err_len, "line has no key separator '%c'", o->key_sep);
            return SK_EINVAL;
        }
        key = line;
        key_len = (size_t)(sep - line);
        value = sep + 1;
        value_len = len - key_len - 1;
    }
    for (;;) {
        rd_kafka_resp_err_t rerr =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o->topic), RD_KAFKA_V_PARTITION((int32_t)o->partition),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                              RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_END);
        if (rerr == RD_KAFKA_RESP_ERR_NO_ERROR)
            return SK_OK;
        if (rerr != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(err, err_len, "%s", rd_kafka_err2str(rerr));
            return SK_EIO;
        }
        rd_kafka_poll(rk, 100); /* delivery reports free queue room */
    }
}

/* Reads stdin line by line into a buffer of the line limit. */
static int pump(rd_kafka_t *rk, const struct produce_opts *o, int64_t *lines)
{
    char err[300];
    size_t cap = SK_CLI_LINE_BYTES_MAX + 2;
    char *buf = sk_malloc(cap);
    if (!buf) {
        cli_error("out of memory");
        return SK_ENOMEM;
    }
    int rc = SK_OK;
    while (fgets(buf, (int)cap, stdin)) {
        size_t len = strlen(buf);
        int complete = len > 0 && buf[len - 1] == '\n';
        if (!complete && !feof(stdin)) {
            cli_error("produce: line %" PRId64 " is longer than %d bytes", *lines + 1, SK_CLI_LINE_BYTES_MAX);
            rc = SK_ELIMIT;
            break;
        }
        len -= (size_t)complete;
        if ((rc = send_line(rk, o, buf, len, err, sizeof(err))) != SK_OK) {
            cli_error("produce: line %" PRId64 ": %s", *lines + 1, err);
            break;
        }
        (*lines)++;
        rd_kafka_poll(rk, 0);
    }
    sk_free(buf);
    return rc;
}

int produce_main(int argc, char **argv)
{
    struct produce_opts o;
    if (produce_parse(argc, argv, &o) != SK_OK)
        return CLI_EXIT_USAGE;
    if (o.help) {
        produce_usage(stdout);
        return CLI_EXIT_OK;
    }
    char err[512], kv_acks[16], kv_timeout[48];
    struct cli_props props = {0};
    snprintf(kv_acks, sizeof(kv_acks), "acks=%s", o.acks);
    snprintf(kv_timeout, sizeof(kv_timeout), "message.timeout.ms=%" PRId64, o.timeout_ms);
    cli_props_add(&props, kv_acks);
    cli_props_add(&props, kv_timeout);
    for (size_t i = 0; i < o.props.count; i++)
        if (cli_props_add(&props, o.props.kv[i]) != SK_OK) {
            cli_error("too many --producer-props");
            return CLI_EXIT_USAGE;
        }
    struct produce_stats st = {0};
    rd_kafka_t *rk = cli_rk_new(RD_KAFKA_PRODUCER, o.bootstrap, &props, produce_conf, &st, err, sizeof(err));
    if (!rk) {
        cli_error("%s", err);
        return CLI_EXIT_FAIL;
    }
    int64_t lines = 0;
    int rc = pump(rk, &o, &lines);
    rd_kafka_flush(rk, (int)o.timeout_ms + 5000);
    int64_t unsent = lines - st.delivered - st.failed;
    rd_kafka_destroy(rk);
    if (st.failed || unsent) {
        char last[256];
        cli_error("produce: %" PRId64 " of %" PRId64 " records not delivered to %s: %s%s%s",
                  st.failed + unsent, lines, o.topic, st.failed ? st.first_error : "no delivery report",
                  cli_rk_last_log(last, sizeof(last))[0] ? "; " : "", last);
        return CLI_EXIT_FAIL;
    }
    fprintf(stderr, "produce: %" PRId64 " records delivered to %s\n", st.delivered, o.topic);
    return rc == SK_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
