/* Entry points of the skiff subcommands.  Each takes its own argv (argv[0]
 * is the subcommand's name) and returns a CLI_EXIT_* code. */
#ifndef SK_CLIENT_CLI_H
#define SK_CLIENT_CLI_H

#include <librdkafka/rdkafka.h>

#include "client/bench_opts.h"
#include "common/buf.h"

int topic_main(int argc, char **argv);
int produce_main(int argc, char **argv);
int consume_main(int argc, char **argv);
int cluster_main(int argc, char **argv);
int group_main(int argc, char **argv);
int bench_produce_run(const struct bench_opts *o);
int bench_consume_run(const struct bench_opts *o);

/* `skiff topic list|describe`. */
struct topic_show_args {
    const char *bootstrap;
    char **names; /* borrowed */
    int name_count;
    int describe; /* else list */
    int json;
    int timeout_ms;
};
int topic_show(rd_kafka_t *rk, const struct topic_show_args *a);

/* Option codes the commands share; each command's own codes stay below. */
enum { CLI_OPT_TIMEOUT_MS = 1000, CLI_OPT_OUTPUT };

/* The option cases every command's getopt loop shares: --timeout-ms (1 ms to
 * one hour; timeout_ms may be NULL if the command has its own), --output
 * (json may be NULL), a missing value (':') and an unknown option, whose
 * message names `cmd`.  Prints a one-line error and returns SK_EINVAL for
 * bad input, SK_OK for a good value. */
int cli_common_opt(int c, char **argv, const char *cmd, int64_t *timeout_ms, int *json);

/* Prints "skiff: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes a JSON document (and a newline) to stdout. */
void cli_print_json(const struct sk_writer *w);

#endif
