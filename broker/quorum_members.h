/* Raft membership of broker-only nodes: every registered broker that is not
 * a controller-quorum voter is an observer of the metadata log (it receives
 * and applies committed entries, never votes or campaigns). */
#ifndef SK_QUORUM_MEMBERS_H
#define SK_QUORUM_MEMBERS_H

#include <stdint.h>

#include "raft/raft.h"

/* Pure: the broker (of `ids`, n) that the leader should add next as an
 * observer because it is in no role in `m`, or -1 when every one is a
 * member already or the member list is full. */
int32_t quorum_observer_to_add(const struct raft_members *m, const int32_t *ids, int32_t n);

#endif
