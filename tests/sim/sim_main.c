/* build/raft-sim: sweeps seeds through the simulator.
 *   raft-sim --seeds N --first-seed S [--nodes K] [--trace] [--verify-determinism]
 * Prints one replay command per failing seed, then "N passed, M failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/sim/sim.h"

static void usage(void)
{
    fprintf(stderr, "usage: raft-sim --seeds N --first-seed S [--nodes 3|5] [--trace] [--verify-determinism] "
                    "[--report-slow MS]\n");
    exit(2);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == '\0' || *end != '\0' || *s == '-')
        return -1;
    *out = v;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    uint64_t seeds = 1, first = 1, nodes = 0, slow_ms = 0;
    bool trace = false, verify = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seeds") && i + 1 < argc) {
            if (parse_u64(argv[++i], &seeds))
                usage();
        } else if (!strcmp(argv[i], "--first-seed") && i + 1 < argc) {
            if (parse_u64(argv[++i], &first))
                usage();
        } else if (!strcmp(argv[i], "--nodes") && i + 1 < argc) {
            if (parse_u64(argv[++i], &nodes) || nodes < 1 || nodes >= SIM_NODES_MAX)
                usage();
        } else if (!strcmp(argv[i], "--report-slow") && i + 1 < argc) {
            if (parse_u64(argv[++i], &slow_ms))
                usage();
        } else if (!strcmp(argv[i], "--trace")) {
            trace = true;
        } else if (!strcmp(argv[i], "--verify-determinism")) {
            verify = true;
        } else {
            usage();
        }
    }
    uint64_t passed = 0, failed = 0, events = 0;
    int64_t sim_ms = 0, recovery_max_ms = 0;
    double t0 = now_s();
    for (uint64_t k = 0; k < seeds; k++) {
        uint64_t seed = first + k;
        /* Without --nodes the sweep alternates 3- and 5-node clusters. */
        unsigned n = nodes ? (unsigned)nodes : (seed % 2 ? 5 : 3);
        struct sim_result res;
        sim_run(seed, n, trace ? stdout : NULL, &res);
        events += res.events;
        if (res.recovery_ms > recovery_max_ms)
            recovery_max_ms = res.recovery_ms;
        if (slow_ms && res.recovery_ms > (int64_t)slow_ms)
            fprintf(stderr, "slow recovery: seed=%llu nodes=%u recovery_ms=%lld\n", (unsigned long long)seed, n,
                    (long long)res.recovery_ms);
        sim_ms += res.sim_ms;
        if (res.ok && verify) {
            struct sim_result again;
            sim_run(seed, n, NULL, &again);
            if (again.trace_hash != res.trace_hash || !again.ok) {
                res.ok = false;
                snprintf(res.failure, sizeof(res.failure), "nondeterministic: trace hash %016llx then %016llx",
                         (unsigned long long)res.trace_hash, (unsigned long long)again.trace_hash);
            }
        }
        if (trace)
            printf("seed=%llu nodes=%u trace_hash=%016llx events=%llu sim_ms=%lld committed=%llu acked=%llu\n",
                   (unsigned long long)seed, n, (unsigned long long)res.trace_hash,
                   (unsigned long long)res.events, (long long)res.sim_ms, (unsigned long long)res.committed,
                   (unsigned long long)res.acked);
        if (res.ok) {
            passed++;
        } else {
            failed++;
            printf("FAIL seed=%llu nodes=%u: %s; replay: %s --seeds 1 --first-seed %llu --nodes %u --trace\n",
                   (unsigned long long)seed, n, res.failure, argv[0], (unsigned long long)seed, n);
        }
        fflush(stdout);
    }
    double wall = now_s() - t0;
    fprintf(stderr,
            "raft-sim: %llu seeds in %.2f s (%.0f seeds/s), %.0f simulated s (%.0f simulated s per wall s), "
            "%llu events, slowest recovery after healing %lld ms\n",
            (unsigned long long)seeds, wall, (double)seeds / wall, (double)sim_ms / 1000.0,
            (double)sim_ms / 1000.0 / wall, (unsigned long long)events, (long long)recovery_max_ms);
    printf("%llu passed, %llu failed\n", (unsigned long long)passed, (unsigned long long)failed);
    return failed ? 1 : 0;
}
