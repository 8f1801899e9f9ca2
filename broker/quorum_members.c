/* Broker-only nodes as Raft observers of the metadata log.
 *
 * A broker-only node knows the voters from controller.quorum.voters and
 * registers through them like any broker.  Its registration, a BrokerRecord
 * with its internal address, is what the rest of the cluster learns it
 * from: every node points its transport at the internal address of every
 * registered broker (replication needs that anyway), and the Raft leader
 * adds each registered broker that is not a member yet as an observer, one
 * single-server change at a time.  The member list travels in the log and
 * in snapshots, so a new leader keeps replicating to the same observers.
 * Observers stay members when they stop: the leader's flow control bounds
 * what it holds in flight to one that is down, and observers never count
 * towards commit. */
#include <stdbool.h>

#include "broker.h"
#include "cluster_int.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "quorum_members.h"
#include "raft/host.h"
#include "raft/transport.h"

static bool member(const struct raft_members *m, uint64_t id)
{
    for (unsigned i = 0; i < m->n_voters; i++)
        if (m->voters[i] == id)
            return true;
    for (unsigned i = 0; i < m->n_observers; i++)
        if (m->observers[i] == id)
            return true;
    return false;
}

int32_t quorum_observer_to_add(const struct raft_members *m, const int32_t *ids, int32_t n)
{
    if (m->n_voters + m->n_observers >= SK_RAFT_MEMBERS_MAX)
        return -1;
    for (int32_t i = 0; i < n; i++)
        if (ids[i] > 0 && !member(m, (uint64_t)ids[i]))
            return ids[i];
    return -1;
}

void quorum_sync_peers(struct cluster *c)
{
    const struct md_image *img = &c->img;
    for (int32_t i = 0; i < img->n_brokers; i++) {
        const struct md_broker *mb = &img->brokers[i];
        /* Voters are reached at their configured quorum addresses. */
        if (mb->id == c->self || quorum_is_voter(c, mb->id) || mb->internal_port <= 0)
            continue;
        int rc = raft_transport_set_peer(c->tr, (uint64_t)mb->id, mb->internal_host, (uint16_t)mb->internal_port);
        if (rc != SK_OK)
            SK_WARN("cluster_peer_refused", "broker=%d addr=%s:%d err=%s", mb->id, mb->internal_host,
                    mb->internal_port, sk_strerror(rc));
    }
}

void quorum_members_tick(struct cluster *c)
{
    if (!quorum_is_leader(c))
        return;
    const struct md_image *img = &c->img;
    int32_t ids[SK_CLUSTER_BROKERS_MAX];
    for (int32_t i = 0; i < img->n_brokers; i++)
        ids[i] = img->brokers[i].id;
    const struct raft_members *m = raft_members(raft_host_raft(c->host));
    int32_t id = quorum_observer_to_add(m, ids, img->n_brokers);
    if (id < 0)
        return;
    uint64_t index = 0;
    /* SK_EAGAIN (a change is still uncommitted, or this leader has not
     * committed in its term yet) and SK_ESTATE (a leadership transfer is
     * under way) pass; the next tick tries again. */
    int rc = raft_host_change(c->host, RAFT_CHANGE_ADD_OBSERVER, (uint64_t)id, &index);
    if (rc == SK_OK)
        SK_INFO("quorum_observer_added", "broker=%d index=%llu", id, (unsigned long long)index);
    else if (rc != SK_EAGAIN && rc != SK_ESTATE)
        SK_WARN("quorum_observer_refused", "broker=%d err=%s", id, sk_strerror(rc));
}
