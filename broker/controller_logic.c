/* The controller's pure decisions (see controller_logic.h). */
#include "controller_logic.h"

#include <string.h>

#include "common/sk_err.h"
#include "kafka_err.h"

bool ctrl_is_live(const struct ctrl_live *live, int32_t id) { return md_in_list(live->ids, live->n, id); }

int ctrl_place(const struct ctrl_live *live, int32_t n_partitions, int32_t rf, int32_t start,
               struct md_partition *out)
{
    if (rf < 1 || rf > live->n || rf > SK_REPLICATION_FACTOR_MAX || n_partitions < 0 || start < 0)
        return SK_EINVAL;
    for (int32_t i = 0; i < n_partitions; i++) {
        struct md_partition *p = &out[i];
        memset(p, 0, sizeof(*p));
        int32_t first = (int32_t)(((int64_t)start + i) % live->n);
        for (int32_t r = 0; r < rf; r++)
            p->replicas[r] = p->isr[r] = live->ids[(first + r) % live->n];
        p->n_replicas = p->n_isr = rf;
        p->leader = p->replicas[0];
    }
    return SK_OK;
}

int32_t ctrl_elect(const struct md_partition *p, const struct ctrl_live *live, bool unclean)
{
    for (int32_t i = 0; i < p->n_replicas; i++)
        if (md_in_list(p->isr, p->n_isr, p->replicas[i]) && ctrl_is_live(live, p->replicas[i]))
            return p->replicas[i];
    if (unclean)
        for (int32_t i = 0; i < p->n_replicas; i++)
            if (ctrl_is_live(live, p->replicas[i]))
                return p->replicas[i];
    return MD_NO_LEADER;
}

static void set_leader(struct md_partition *p, int32_t leader)
{
    if (leader != p->leader) {
        p->leader = leader;
        p->leader_epoch++;
    }
    p->partition_epoch++;
}

bool ctrl_on_broker_down(const struct md_partition *in, int32_t id, const struct ctrl_live *live, bool unclean,
                         struct md_partition *out)
{
    bool in_isr = md_in_list(in->isr, in->n_isr, id);
    if (!in_isr && in->leader != id)
        return false;
    *out = *in;
    if (in_isr && in->n_isr > 1) {
        int32_t k = 0;
        for (int32_t i = 0; i < in->n_isr; i++)
            if (in->isr[i] != id)
                out->isr[k++] = in->isr[i];
        out->n_isr = k;
    }
    int32_t leader = in->leader;
    if (leader == id || leader == MD_NO_LEADER)
        leader = ctrl_elect(out, live, unclean);
    if (leader != MD_NO_LEADER && !md_in_list(out->isr, out->n_isr, leader)) {
        /* Unclean election: the new leader's log is the truth from now on. */
        out->isr[0] = leader;
        out->n_isr = 1;
    }
    set_leader(out, leader);
    return true;
}

bool ctrl_on_broker_shutdown(const struct md_partition *in, int32_t id, const struct ctrl_live *live, bool unclean,
                             struct md_partition *out)
{
    if (in->leader == id && ctrl_elect(in, live, false) == MD_NO_LEADER)
        return false;
    return ctrl_on_broker_down(in, id, live, unclean && in->leader != id, out);
}

bool ctrl_on_broker_up(const struct md_partition *in, const struct ctrl_live *live, bool unclean,
                       struct md_partition *out)
{
    if (in->leader != MD_NO_LEADER)
        return false;
    int32_t leader = ctrl_elect(in, live, unclean);
    if (leader == MD_NO_LEADER)
        return false;
    *out = *in;
    if (!md_in_list(out->isr, out->n_isr, leader)) {
        out->isr[0] = leader;
        out->n_isr = 1;
    }
    set_leader(out, leader);
    return true;
}

bool ctrl_rebalance(const struct md_partition *in, const struct ctrl_live *live, struct md_partition *out)
{
    int32_t pref = in->replicas[0];
    if (in->leader == pref || !md_in_list(in->isr, in->n_isr, pref) || !ctrl_is_live(live, pref))
        return false;
    *out = *in;
    set_leader(out, pref);
    return true;
}

int16_t ctrl_alter_isr(const struct md_partition *in, int32_t leader, int32_t leader_epoch, int32_t partition_epoch,
                       const int32_t *isr, int32_t n_isr, const struct ctrl_live *live, struct md_partition *out)
{
    if (leader != in->leader)
        return KAFKA_NOT_LEADER_OR_FOLLOWER;
    if (leader_epoch != in->leader_epoch)
        return leader_epoch < in->leader_epoch ? KAFKA_FENCED_LEADER_EPOCH : KAFKA_UNKNOWN_LEADER_EPOCH;
    if (partition_epoch != in->partition_epoch)
        return KAFKA_INVALID_UPDATE_VERSION;
    if (n_isr < 1 || n_isr > in->n_replicas || !md_in_list(isr, n_isr, leader))
        return KAFKA_INVALID_REQUEST;
    for (int32_t i = 0; i < n_isr; i++) {
        if (!md_in_list(in->replicas, in->n_replicas, isr[i]) || md_in_list(isr, i, isr[i]))
            return KAFKA_INVALID_REQUEST;
        if (!md_in_list(in->isr, in->n_isr, isr[i]) && !ctrl_is_live(live, isr[i]))
            return KAFKA_INVALID_REQUEST;
    }
    *out = *in;
    memcpy(out->isr, isr, (size_t)n_isr * sizeof(*isr));
    out->n_isr = n_isr;
    out->partition_epoch++;
    return KAFKA_NONE;
}

int32_t ctrl_expired(const int32_t *ids, const int64_t *last_hb_ms, int32_t n, int64_t now_ms, int64_t session_ms,
                     int32_t *out, int32_t max)
{
    int32_t k = 0;
    for (int32_t i = 0; i < n && k < max; i++)
        if (now_ms - last_hb_ms[i] > session_ms)
            out[k++] = ids[i];
    return k;
}
