/* Replication decisions (see replica_logic.h). */
#include "replica_logic.h"

static bool in_list(const int32_t *ids, int32_t n, int32_t id)
{
    for (int32_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

static const struct replica_follower *find(const struct replica_follower *f, int32_t n, int32_t id)
{
    for (int32_t i = 0; i < n; i++)
        if (f[i].id == id)
            return &f[i];
    return 0;
}

int64_t replica_leader_hw(int64_t current_hw, int64_t local_end, int32_t self, const int32_t *isr, int32_t n_isr,
                          const struct replica_follower *f, int32_t n_f, int32_t min_isr)
{
    if (n_isr < min_isr)
        return current_hw;
#ifdef SK_BUG_HW_EARLY
    /* Deliberately injected bug for the fault harness (build/chaos/skiffd-bug-hw-early
     * only): the high watermark follows the leader's own end and ignores the
     * ISR followers, so acks=all is answered before they hold the data. */
    return local_end > current_hw ? local_end : current_hw;
#endif
    int64_t hw = local_end;
    for (int32_t i = 0; i < n_isr; i++) {
        if (isr[i] == self)
            continue;
        const struct replica_follower *r = find(f, n_f, isr[i]);
        int64_t end = r && r->fetch_offset >= 0 ? r->fetch_offset : current_hw;
        if (end < hw)
            hw = end;
    }
    return hw > current_hw ? hw : current_hw;
}

void replica_note_fetch(struct replica_follower *f, int64_t fetch_offset, int64_t leo, int64_t now_ms)
{
    if (fetch_offset >= leo)
        f->last_caught_up_ms = now_ms;
    else if (f->last_fetch_ms > 0 && fetch_offset >= f->last_fetch_leo && f->last_fetch_ms > f->last_caught_up_ms)
        f->last_caught_up_ms = f->last_fetch_ms;
    f->fetch_offset = fetch_offset;
    f->last_fetch_leo = leo;
    f->last_fetch_ms = now_ms;
}

int32_t replica_isr_shrink(int32_t self, const int32_t *isr, int32_t n_isr, const struct replica_follower *f,
                           int32_t n_f, int64_t now_ms, int64_t lag_ms, int32_t *out)
{
    int32_t k = 0;
    for (int32_t i = 0; i < n_isr; i++) {
        const struct replica_follower *r = find(f, n_f, isr[i]);
        bool lagging = isr[i] != self && (!r || now_ms - r->last_caught_up_ms > lag_ms);
        if (!lagging)
            out[k++] = isr[i];
    }
    return k;
}

int32_t replica_isr_expand(const int32_t *isr, int32_t n_isr, const struct replica_follower *f, int32_t n_f,
                           int64_t hw, int64_t epoch_start_offset)
{
    for (int32_t i = 0; i < n_f; i++)
        if (!in_list(isr, n_isr, f[i].id) && f[i].fetch_offset >= 0 && f[i].fetch_offset >= hw &&
            f[i].fetch_offset >= epoch_start_offset)
            return f[i].id;
    return -1;
}
