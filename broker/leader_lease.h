/* When a partition leader may trust its own view that it still leads.
 *
 * A broker cut off from the controller keeps its metadata image, so it goes
 * on believing it leads partitions the controller has already given to
 * others; clients that ask it (Metadata v0-6 carries no leader epochs) come
 * back to it.  Its log then ends before offsets the new leader has served,
 * and answering such a fetch OFFSET_OUT_OF_RANGE makes a consumer with
 * auto.offset.reset=earliest start over from the log start.
 *
 * The controller moves leaderships away from a broker only after fencing
 * it, which happens broker.session.timeout.ms after its last heartbeat
 * reached the active controller.  So a heartbeat answered "registered and
 * unfenced" keeps the broker's leaderships certain for a while measured
 * from when that heartbeat was SENT: the lease.  Pure functions; time is an
 * input. */
#ifndef SK_LEADER_LEASE_H
#define SK_LEADER_LEASE_H

#include <stdbool.h>
#include <stdint.h>

/* The lease length.  A controller that lost its quorum still answers
 * heartbeats until CheckQuorum makes it step down (at most two election
 * timeouts after it last heard from a majority), while the new controller
 * is elected no sooner than one election timeout after that contact and
 * then gives every broker a whole session before fencing it: a lease of
 * session - election timeout ends before any fencing, whichever controller
 * answered.  It is never shorter than two heartbeat intervals, so a healthy
 * broker's lease does not lapse between answers (with such settings the
 * deposed-controller case is no longer covered). */
int32_t leader_lease_ms(int32_t session_timeout_ms, int32_t election_timeout_ms,
                        int32_t heartbeat_interval_ms);

/* Whether the lease holds at now_ms, given when the last heartbeat that was
 * answered "unfenced" was sent (confirmed_sent_ms < 0: none yet in this
 * incarnation). */
bool leader_lease_held(int64_t now_ms, int64_t confirmed_sent_ms, int32_t lease_ms);

/* The error for a client fetch at fetch_offset from a leader whose log holds
 * [log_start, log_end): KAFKA_NONE inside, log_end included (the fetch waits
 * for data).  Outside it is OFFSET_OUT_OF_RANGE only while the lease holds;
 * a leader that cannot be sure it still leads answers
 * NOT_LEADER_OR_FOLLOWER, so the client asks for metadata again instead of
 * resetting its position. */
int16_t leader_fetch_range_error(int64_t fetch_offset, int64_t log_start, int64_t log_end, bool lease_held);

#endif
