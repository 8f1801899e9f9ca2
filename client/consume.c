/* `skiff consume TOPIC`: prints records, one line each, in a --format
 * template.  Without --group every partition is assigned directly (no
 * commits); with --group the consumer joins the group, and offsets of the
 * records printed are committed before it leaves. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/format.h"
#include "client/opts.h"
#include "client/rk.h"
#include "common/clock.h"
#include "common/sk_err.h"

enum { OPT_GROUP = 256, OPT_FROM_BEGINNING, OPT_COUNT, OPT_FORMAT, OPT_TIMEOUT_MS, OPT_PROPS };

struct consume_opts {
    const char *bootstrap;
    const char *topic;
    const char *group; /* NULL: assign every partition */
    int from_beginning;
    int64_t count;      /* 0: no limit */
    int64_t timeout_ms; /* stop after this long without a record; 0: never */
    int help;
    struct cli_format fmt;
    struct cli_props props;
};

static volatile sig_atomic_t consume_stop;

static void on_signal(int sig)
{
    (void)sig;
    consume_stop = 1;
}

static const struct option consume_longopts[] = {
    {"bootstrap", required_argument, NULL, 'b'},
    {"group", required_argument, NULL, OPT_GROUP},
    {"from-beginning", no_argument, NULL, OPT_FROM_BEGINNING},
    {"count", required_argument, NULL, OPT_COUNT},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS},
    {"consumer-props", required_argument, NULL, OPT_PROPS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void consume_usage(FILE *out)
{
    fputs("Usage: skiff consume TOPIC [options]\n"
          "\n"
          "Prints records, one line each, until --count records, --timeout-ms without a\n"
          "record, or Ctrl-C.\n"
          "\n"
          "  -b, --bootstrap HOST:PORT,...  brokers (default $SKIFF_BOOTSTRAP or 127.0.0.1:9092)\n"
          "      --group G                  consume as a member of group G and commit what was\n"
          "                                 printed (default: read every partition, no group)\n"
          "      --from-beginning           start at the oldest record (default: only new ones;\n"
          "                                 with --group: where the group left off, else oldest)\n"
          "      --count N                  stop after N records (exit 1 if fewer arrive)\n"
          "      --format FMT               %k key, %v value, %t topic, %p partition, %o offset,\n"
          "                                 %T timestamp ms, %% and \\n \\t \\\\ (default '%v')\n"
          "      --timeout-ms MS            stop after MS without a record (default: wait)\n"
          "      --consumer-props K=V       a librdkafka consumer property (repeatable)\n"
          "  -h, --help                     this text\n",
          out);
}

static int consume_opt(int c, char **argv, struct consume_opts *o)
{
    char err[256];
    switch (c) {
    case 'h':
        o->help = 1;
        return SK_OK;
    case 'b':
        o->bootstrap = optarg;
        return SK_OK;
    case OPT_GROUP:
        o->group = optarg;
        return SK_OK;
    case OPT_FROM_BEGINNING:
        o->from_beginning = 1;
        return SK_OK;
    case OPT_COUNT:
        if (cli_parse_i64(optarg, 1, INT64_MAX, &o->count) == SK_OK)
            return SK_OK;
        cli_error("--count: '%s' is not a positive number", optarg);
        return SK_EINVAL;
    case OPT_TIMEOUT_MS:
        if (cli_parse_i64(optarg, 1, 24 * 3600 * 1000LL, &o->timeout_ms) == SK_OK)
            return SK_OK;
        cli_error("--timeout-ms: '%s' is not a positive number of milliseconds", optarg);
        return SK_EINVAL;
    case OPT_FORMAT:
        if (cli_format_parse(optarg, &o->fmt, err, sizeof(err)) == SK_OK)
            return SK_OK;
        cli_error("--%s", err);
        return SK_EINVAL;
    case OPT_PROPS:
        if (cli_props_add(&o->props, optarg) == SK_OK)
            return SK_OK;
        cli_error("--consumer-props: '%s' is not key=value (or too many)", optarg);
        return SK_EINVAL;
    default:
        return cli_common_opt(c, argv, "consume", NULL, NULL);
    }
}

static int consume_parse(int argc, char **argv, struct consume_opts *o)
{
    char err[256];
    memset(o, 0, sizeof(*o));
    o->bootstrap = cli_default_bootstrap();
    cli_format_parse("%v", &o->fmt, err, sizeof(err));
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":b:h", consume_longopts, NULL)) != -1)
        if (consume_opt(c, argv, o) != SK_OK)
            return SK_EINVAL;
    if (o->help)
        return SK_OK;
    if (optind >= argc) {
        cli_error("consume: missing topic name");
        return SK_EINVAL;
    }
    if (optind + 1 < argc) {
        cli_error("consume: unexpected argument '%s'", argv[optind + 1]);
        return SK_EINVAL;
    }
    o->topic = argv[optind];
    return SK_OK;
}

/* Assigns every partition of the topic at its beginning or end. */
static int assign_all(rd_kafka_t *rk, const struct consume_opts *o, char *err, size_t err_len)
{
    int partitions = 0;
    int rc = cli_topic_lookup(rk, o->topic, CLI_ADMIN_TIMEOUT_MS, &partitions, err, err_len);
    if (rc == SK_ENOENT)
        snprintf(err, err_len, "topic %s does not exist", o->topic);
    if (rc != SK_OK)
        return rc;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(l, o->topic, p)->offset =
            o->from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    rd_kafka_resp_err_t rerr = rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (rerr) {
        snprintf(err, err_len, "assign %s: %s", o->topic, rd_kafka_err2str(rerr));
        return SK_EIO;
    }
    return SK_OK;
}

static int subscribe(rd_kafka_t *rk, const struct consume_opts *o, char *err, size_t err_len)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, o->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t rerr = rd_kafka_subscribe(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (rerr) {
        snprintf(err, err_len, "subscribe to %s: %s", o->topic, rd_kafka_err2str(rerr));
        return SK_EIO;
    }
    return SK_OK;
}

static void print_record(const struct consume_opts *o, const rd_kafka_message_t *m, struct sk_writer *w)
{
    rd_kafka_timestamp_type_t tstype;
    struct cli_record rec = {
        .topic = rd_kafka_topic_name(m->rkt),
        .partition = m->partition,
        .offset = m->offset,
        .timestamp_ms = rd_kafka_message_timestamp(m, &tstype),
        .key = m->key,
        .key_len = m->key_len,
        .value = m->payload,
        .value_len = m->len,
    };
    sk_writer_reset(w);
    cli_format_record(&o->fmt, &rec, w);
    fwrite(w->p, 1, w->len, stdout);
}

/* Polls until the count, the idle timeout or a signal.  Returns records printed. */
static int64_t consume_loop(rd_kafka_t *rk, const struct consume_opts *o, int *failed)
{
    struct sk_writer w;
    sk_writer_init(&w);
    int64_t got = 0, last_ms = sk_mono_ms();
    while (!consume_stop && (o->count == 0 || got < o->count)) {
        if (o->timeout_ms && sk_mono_ms() - last_ms >= o->timeout_ms)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            cli_error("consume %s: %s", o->topic, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            *failed = 1;
            break;
        }
        print_record(o, m, &w);
        rd_kafka_message_destroy(m);
        got++;
        last_ms = sk_mono_ms();
    }
    fflush(stdout);
    sk_writer_free(&w);
    return got;
}

int consume_main(int argc, char **argv)
{
    struct consume_opts o;
    if (consume_parse(argc, argv, &o) != SK_OK)
        return CLI_EXIT_USAGE;
    if (o.help) {
        consume_usage(stdout);
        return CLI_EXIT_OK;
    }
    char err[512], kv_group[300];
    struct cli_props props = {0};
    snprintf(kv_group, sizeof(kv_group), "group.id=%s", o.group ? o.group : "skiff-consume");
    cli_props_add(&props, kv_group);
    cli_props_add(&props, o.group ? "enable.auto.commit=true" : "enable.auto.commit=false");
    cli_props_add(&props, o.from_beginning ? "auto.offset.reset=earliest" : "auto.offset.reset=latest");
    for (size_t i = 0; i < o.props.count; i++)
        if (cli_props_add(&props, o.props.kv[i]) != SK_OK) {
            cli_error("too many --consumer-props");
            return CLI_EXIT_USAGE;
        }
    rd_kafka_t *rk = cli_rk_new(RD_KAFKA_CONSUMER, o.bootstrap, &props, NULL, NULL, err, sizeof(err));
    if (!rk) {
        cli_error("%s", err);
        return CLI_EXIT_FAIL;
    }
    rd_kafka_poll_set_consumer(rk);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int failed = 0;
    int64_t got = 0;
    if ((o.group ? subscribe(rk, &o, err, sizeof(err)) : assign_all(rk, &o, err, sizeof(err))) != SK_OK) {
        cli_error("%s", err);
        failed = 1;
    } else {
        got = consume_loop(rk, &o, &failed);
    }
    if (o.group && got > 0) {
        rd_kafka_resp_err_t rerr = rd_kafka_commit(rk, NULL, 0);
        if (rerr && rerr != RD_KAFKA_RESP_ERR__NO_OFFSET) {
            cli_error("commit offsets of group %s: %s", o.group, rd_kafka_err2str(rerr));
            failed = 1;
        }
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (!failed && o.count && got < o.count && !consume_stop) {
        cli_error("consume: %" PRId64 " of %" PRId64 " records arrived within --timeout-ms", got, o.count);
        failed = 1;
    }
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
