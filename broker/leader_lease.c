/* Leadership lease decisions (see leader_lease.h). */
#include "leader_lease.h"

#include "kafka_err.h"

int32_t leader_lease_ms(int32_t session_timeout_ms, int32_t election_timeout_ms,
                        int32_t heartbeat_interval_ms)
{
    int64_t lease = (int64_t)session_timeout_ms - election_timeout_ms;
    int64_t floor = 2 * (int64_t)heartbeat_interval_ms;
    if (lease < floor)
        lease = floor;
    /* Never beyond the session itself: past it a fence may already be
     * committed even by the controller that answered. */
    if (lease > session_timeout_ms)
        lease = session_timeout_ms;
    return (int32_t)lease;
}

bool leader_lease_held(int64_t now_ms, int64_t confirmed_sent_ms, int32_t lease_ms)
{
    return confirmed_sent_ms >= 0 && now_ms - confirmed_sent_ms < (int64_t)lease_ms;
}

int16_t leader_fetch_range_error(int64_t fetch_offset, int64_t log_start, int64_t log_end, bool lease_held)
{
    if (fetch_offset >= log_start && fetch_offset <= log_end)
        return KAFKA_NONE;
    return lease_held ? KAFKA_OFFSET_OUT_OF_RANGE : KAFKA_NOT_LEADER_OR_FOLLOWER;
}
