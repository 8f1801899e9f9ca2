/* Clocks.  Only drivers read these; pure cores (raft/) get time as an input. */
#ifndef SK_CLOCK_H
#define SK_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Wall-clock milliseconds since the epoch (record timestamps, retention). */
static inline int64_t sk_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Monotonic milliseconds (timeouts, deadlines). */
static inline int64_t sk_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t sk_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#endif
