/* A small deterministic PRNG (splitmix64) so the core's only randomness, the
 * election-timeout jitter, is reproducible from the configured seed. */
#ifndef RAFT_PRNG_H
#define RAFT_PRNG_H

#include <stdint.h>

static inline uint64_t raft_prng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) for n > 0 (modulo bias is irrelevant for jitter). */
static inline uint64_t raft_prng_below(uint64_t *state, uint64_t n) { return raft_prng_next(state) % n; }

#endif
