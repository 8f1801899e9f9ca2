/* skiff: command-line tool for Skiff (and any Kafka cluster), built on
 * librdkafka.  `skiff topic ...` administers topics, `skiff bench ...`
 * measures produce and consume performance. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/bench_opts.h"
#include "client/cli.h"
#include "client/opts.h"
#include "common/sk_err.h"

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("skiff: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_common_opt(int c, char **argv, const char *cmd, int64_t *timeout_ms, int *json)
{
    if (c == CLI_OPT_TIMEOUT_MS && timeout_ms) {
        if (cli_parse_i64(optarg, 1, 3600 * 1000, timeout_ms) == SK_OK)
            return SK_OK;
        cli_error("--timeout-ms: '%s' is not a number from 1 to 3600000", optarg);
        return SK_EINVAL;
    }
    if (c == CLI_OPT_OUTPUT && json) {
        if (cli_parse_output(optarg, json) == SK_OK)
            return SK_OK;
        cli_error("--output: '%s' is not text or json", optarg);
        return SK_EINVAL;
    }
    if (c == ':')
        cli_error("option '%s' needs a value", argv[optind - 1]);
    else
        cli_error("unknown option '%s' (see skiff %s --help)", argv[optind - 1], cmd);
    return SK_EINVAL;
}

void cli_print_json(const struct sk_writer *w)
{
    fwrite(w->p, 1, w->len, stdout);
    fputc('\n', stdout);
}

static void usage(FILE *out)
{
    fputs("Usage: skiff COMMAND [options]\n"
          "\n"
          "  topic create|list|describe|delete|alter-config|add-partitions ...\n"
          "                                          administer topics\n"
          "  produce TOPIC [options]                 send stdin's lines as records\n"
          "  consume TOPIC [options]                 print records\n"
          "  cluster status [options]                brokers, controller, quorum, partition health\n"
          "  group list|describe|reset-offsets ...   consumer groups\n"
          "  bench produce ...                       producer throughput and latency\n"
          "  bench consume ...                       consumer throughput\n"
          "\n"
          "Every command takes -b/--bootstrap HOST:PORT,... (before or after the command;\n"
          "default $SKIFF_BOOTSTRAP or 127.0.0.1:9092) and --help.  Exit status: 0 success, 1 failure, 2 bad "
          "usage.\n"
          "Set SKIFF_DEBUG=1 to see librdkafka's own log lines.\n",
          out);
}

static int bench_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fputs("Usage: skiff bench produce|consume [options]   (see skiff bench produce --help)\n", out);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    enum bench_mode mode;
    if (strcmp(argv[1], "produce") == 0)
        mode = BENCH_PRODUCE;
    else if (strcmp(argv[1], "consume") == 0)
        mode = BENCH_CONSUME;
    else {
        cli_error("unknown bench command '%s' (produce, consume)", argv[1]);
        return CLI_EXIT_USAGE;
    }
    struct bench_opts o;
    char err[256];
    if (bench_opts_parse(mode, argc - 1, argv + 1, &o, err, sizeof(err)) != SK_OK) {
        cli_error("bench %s: %s", argv[1], err);
        return CLI_EXIT_USAGE;
    }
    if (o.help) {
        bench_usage(stdout, mode);
        return CLI_EXIT_OK;
    }
    return mode == BENCH_PRODUCE ? bench_produce_run(&o) : bench_consume_run(&o);
}

/* A -b/--bootstrap before the command applies to it, as if given after it:
 * it becomes the default that every command reads. */
static int global_bootstrap(int *argc, char ***argv)
{
    while (*argc >= 2) {
        const char *a = (*argv)[1];
        const char *value = NULL;
        int used = 2;
        if (strcmp(a, "-b") == 0 || strcmp(a, "--bootstrap") == 0) {
            if (*argc < 3) {
                cli_error("option '%s' needs a value", a);
                return SK_EINVAL;
            }
            value = (*argv)[2];
            used = 3;
        } else if (strncmp(a, "--bootstrap=", 12) == 0) {
            value = a + 12;
        } else {
            return SK_OK;
        }
        if (setenv("SKIFF_BOOTSTRAP", value, 1) != 0) {
            cli_error("cannot set the bootstrap list");
            return SK_ENOMEM;
        }
        /* Drop the option, keeping argv[0] in place. */
        (*argv)[used - 1] = (*argv)[0];
        *argv += used - 1;
        *argc -= used - 1;
    }
    return SK_OK;
}

int main(int argc, char **argv)
{
    if (global_bootstrap(&argc, &argv) != SK_OK)
        return CLI_EXIT_USAGE;
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "topic") == 0)
        return topic_main(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0)
        return bench_main(argc - 1, argv + 1);
    if (strcmp(cmd, "produce") == 0)
        return produce_main(argc - 1, argv + 1);
    if (strcmp(cmd, "consume") == 0)
        return consume_main(argc - 1, argv + 1);
    if (strcmp(cmd, "cluster") == 0)
        return cluster_main(argc - 1, argv + 1);
    if (strcmp(cmd, "group") == 0)
        return group_main(argc - 1, argv + 1);
    cli_error("unknown command '%s' (see skiff --help)", cmd);
    return CLI_EXIT_USAGE;
}
