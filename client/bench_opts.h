/* Command lines of `skiff bench produce` and `skiff bench consume`, parsed
 * into a plain struct.  Pure (no librdkafka), so it is unit-tested directly. */
#ifndef SK_CLIENT_BENCH_OPTS_H
#define SK_CLIENT_BENCH_OPTS_H

#include <stdint.h>
#include <stdio.h>

#include "client/opts.h"

enum bench_mode { BENCH_PRODUCE, BENCH_CONSUME };

struct bench_opts {
    enum bench_mode mode;
    int help;              /* --help was given: print usage, do nothing */
    const char *bootstrap; /* borrowed from argv or the environment */
    const char *topic;     /* borrowed from argv */
    int64_t num_records;
    int64_t record_size;        /* produce */
    int64_t throughput;         /* produce: records/s cap, -1 = none */
    const char *acks;           /* produce: "0", "1" or "all" */
    int64_t partitions;         /* produce: used if the topic is created */
    int64_t replication_factor; /* produce: used if the topic is created */
    int64_t timeout_ms;         /* consume: give up after this long without a record */
    int kv;                     /* print the summary as one key=value line */
    struct cli_props props;     /* --producer-props / --consumer-props */
};

/* Parses argv (argv[0] is the subcommand's name) into *o.  On a bad command
 * line returns SK_EINVAL with a one-line reason in err. */
int bench_opts_parse(enum bench_mode mode, int argc, char **argv, struct bench_opts *o, char *err,
                     size_t err_len);

void bench_usage(FILE *out, enum bench_mode mode);

#endif
