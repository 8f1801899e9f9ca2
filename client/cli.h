/* Entry points of the skiff subcommands.  Each takes its own argv (argv[0]
 * is the subcommand's name) and returns a CLI_EXIT_* code. */
#ifndef SK_CLIENT_CLI_H
#define SK_CLIENT_CLI_H

#include "client/bench_opts.h"

int topic_main(int argc, char **argv);
int bench_produce_run(const struct bench_opts *o);
int bench_consume_run(const struct bench_opts *o);

/* Prints "skiff: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
