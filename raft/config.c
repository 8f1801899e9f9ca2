/* Raft configuration defaults and validation (etcd's Config.validate idea:
 * every limit is checked once, at creation, so the core can rely on it). */
#include <string.h>

#include "common/sk_err.h"
#include "raft/errfmt.h"
#include "raft/raft.h"

void raft_config_default(struct raft_config *c)
{
    memset(c, 0, sizeof(*c));
    c->election_timeout_ms = 1000;
    c->heartbeat_interval_ms = 100;
    c->max_msg_bytes = 1024 * 1024;
    c->max_msg_entries = 1024;
    c->max_inflight_msgs = 64;
    c->max_uncommitted_entries = 10000;
    c->max_entry_bytes = SK_RAFT_ENTRY_BYTES_MAX;
    c->pre_vote = true;
    c->check_quorum = true;
    c->seed = 1;
}

static bool has_id(const uint64_t *v, unsigned n, uint64_t id)
{
    for (unsigned i = 0; i < n; i++)
        if (v[i] == id)
            return true;
    return false;
}

static int members_check(const struct raft_config *c, char *err, size_t errlen)
{
    if (c->n_voters == 0 || c->n_voters + c->n_observers > SK_RAFT_MEMBERS_MAX) {
        raft_errf(err, errlen, "voters=%u observers=%u: need 1..%u members with at least one voter",
                  (uint64_t)c->n_voters, (uint64_t)c->n_observers, (uint64_t)SK_RAFT_MEMBERS_MAX);
        return SK_ECONFIG;
    }
    for (unsigned i = 0; i < c->n_voters + c->n_observers; i++) {
        uint64_t id = i < c->n_voters ? c->voters[i] : c->observers[i - c->n_voters];
        bool dup = i < c->n_voters ? has_id(c->voters, i, id)
                                   : has_id(c->voters, c->n_voters, id) ||
                                         has_id(c->observers, i - c->n_voters, id);
        if (id == RAFT_NONE || dup) {
            raft_errf(err, errlen, "member id %u is zero or listed twice", id);
            return SK_ECONFIG;
        }
    }
    if (!has_id(c->voters, c->n_voters, c->id) && !has_id(c->observers, c->n_observers, c->id)) {
        raft_errf(err, errlen, "id %u is not a member", c->id);
        return SK_ECONFIG;
    }
    return SK_OK;
}

int raft_config_validate(const struct raft_config *c, char *err, size_t errlen)
{
    int rc = members_check(c, err, errlen);
    if (rc != SK_OK)
        return rc;
    if (c->heartbeat_interval_ms == 0 || c->election_timeout_ms <= c->heartbeat_interval_ms) {
        /* A follower must hear several heartbeats per election timeout or it
         * will campaign against a healthy leader. */
        raft_errf(err, errlen, "heartbeat_interval_ms=%u must be >0 and below election_timeout_ms=%u",
                  (uint64_t)c->heartbeat_interval_ms, (uint64_t)c->election_timeout_ms);
        return SK_ECONFIG;
    }
    if (c->election_timeout_ms > 3600 * 1000) {
        raft_errf(err, errlen, "election_timeout_ms=%u exceeds one hour", (uint64_t)c->election_timeout_ms);
        return SK_ECONFIG;
    }
    if (c->max_inflight_msgs == 0 || c->max_inflight_msgs > SK_RAFT_INFLIGHT_MSGS_MAX) {
        raft_errf(err, errlen, "max_inflight_msgs=%u not in 1..%u", (uint64_t)c->max_inflight_msgs,
                  (uint64_t)SK_RAFT_INFLIGHT_MSGS_MAX);
        return SK_ECONFIG;
    }
    if (c->max_entry_bytes == 0 || c->max_entry_bytes > SK_RAFT_ENTRY_BYTES_MAX) {
        raft_errf(err, errlen, "max_entry_bytes=%u not in 1..%u", (uint64_t)c->max_entry_bytes,
                  (uint64_t)SK_RAFT_ENTRY_BYTES_MAX);
        return SK_ECONFIG;
    }
    if (c->max_msg_bytes == 0 || c->max_msg_bytes > SK_INTERNAL_FRAME_BYTES_MAX / 2) {
        /* Half the frame cap leaves room for the per-entry framing overhead. */
        raft_errf(err, errlen, "max_msg_bytes=%u not in 1..%u", (uint64_t)c->max_msg_bytes,
                  (uint64_t)(SK_INTERNAL_FRAME_BYTES_MAX / 2));
        return SK_ECONFIG;
    }
    if (c->max_msg_entries == 0 || c->max_msg_entries > SK_RAFT_MSG_ENTRIES_MAX) {
        raft_errf(err, errlen, "max_msg_entries=%u not in 1..%u", (uint64_t)c->max_msg_entries,
                  (uint64_t)SK_RAFT_MSG_ENTRIES_MAX);
        return SK_ECONFIG;
    }
    if (c->max_uncommitted_entries == 0) {
        raft_errf(err, errlen, "max_uncommitted_entries must be > 0");
        return SK_ECONFIG;
    }
    return SK_OK;
}
