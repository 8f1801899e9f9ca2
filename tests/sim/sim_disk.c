/* The simulated disk: durable state plus a journal of unsynced writes.  A
 * crash keeps a random prefix of the journal and may tear its last write,
 * which is what a real log file with per-entry CRCs recovers to. */
#include <assert.h>
#include <string.h>

#include "common/alloc.h"
#include "raft/prng.h"
#include "tests/sim/sim.h"

struct raft_entry *sim_entries_copy(const struct raft_entry *src, size_t n)
{
    struct raft_entry *e = sk_calloc(n ? n : 1, sizeof(*e));
    assert(e);
    for (size_t i = 0; i < n; i++) {
        e[i] = src[i];
        e[i].data = NULL;
        if (src[i].len) {
            e[i].data = sk_malloc(src[i].len);
            assert(e[i].data);
            memcpy(e[i].data, src[i].data, src[i].len);
        }
    }
    return e;
}

void sim_entries_free(struct raft_entry *e, size_t n)
{
    if (!e)
        return;
    for (size_t i = 0; i < n; i++)
        sk_free(e[i].data);
    sk_free(e);
}

static void ents_truncate(struct sim_disk *d, size_t keep)
{
    for (size_t i = keep; i < d->n; i++)
        sk_free(d->ents[i].data);
    if (keep < d->n)
        d->n = keep;
}

static void ents_push(struct sim_disk *d, const struct raft_entry *e)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 64;
        d->ents = sk_realloc(d->ents, d->cap * sizeof(*d->ents));
        assert(d->ents);
    }
    struct raft_entry *c = sim_entries_copy(e, 1);
    d->ents[d->n++] = *c;
    sk_free(c);
}

static void op_free(struct sim_op *op) { sim_entries_free(op->entries, op->n); }

void sim_disk_free(struct sim_disk *d)
{
    ents_truncate(d, 0);
    sk_free(d->ents);
    for (size_t i = 0; i < d->n_ops; i++)
        op_free(&d->ops[i]);
    sk_free(d->ops);
    memset(d, 0, sizeof(*d));
}

void sim_disk_push(struct sim_disk *d, const struct sim_op *op)
{
    if (d->n_ops == d->cap_ops) {
        d->cap_ops = d->cap_ops ? d->cap_ops * 2 : 16;
        d->ops = sk_realloc(d->ops, d->cap_ops * sizeof(*d->ops));
        assert(d->ops);
    }
    d->ops[d->n_ops++] = *op;
}

/* Applies `n` entries of an ENTRIES op (n may be less than op->n: torn). */
static void apply_entries(struct sim_disk *d, const struct sim_op *op, size_t n)
{
    uint64_t first = op->first;
    size_t skip = 0;
    if (first <= d->snap.index) {
        skip = (size_t)(d->snap.index + 1 - first);
        first = d->snap.index + 1;
    }
    if (first > d->snap.index + d->n + 1)
        return; /* a gap: cannot happen with prefix semantics */
    ents_truncate(d, (size_t)(first - d->snap.index - 1));
    for (size_t i = skip; i < n; i++)
        ents_push(d, &op->entries[i]);
}

static void apply_op(struct sim_disk *d, const struct sim_op *op, size_t n_entries)
{
    switch (op->kind) {
    case SIM_OP_HS:
        d->hs = op->hs;
        break;
    case SIM_OP_SNAP_INSTALL:
        d->snap = op->snap;
        ents_truncate(d, 0);
        break;
    case SIM_OP_ENTRIES:
        apply_entries(d, op, n_entries);
        break;
    }
}

static void drop_ops(struct sim_disk *d, size_t count)
{
    if (count == 0)
        return;
    for (size_t i = 0; i < count; i++)
        op_free(&d->ops[i]);
    memmove(d->ops, d->ops + count, (d->n_ops - count) * sizeof(*d->ops));
    d->n_ops -= count;
}

void sim_disk_sync(struct sim_disk *d, size_t count)
{
    assert(count <= d->n_ops);
    for (size_t i = 0; i < count; i++)
        apply_op(d, &d->ops[i], d->ops[i].n);
    drop_ops(d, count);
}

void sim_disk_crash(struct sim_disk *d, uint64_t *prng, bool *torn_out)
{
    size_t keep = (size_t)raft_prng_below(prng, d->n_ops + 1);
    *torn_out = false;
    for (size_t i = 0; i < keep; i++) {
        const struct sim_op *op = &d->ops[i];
        size_t n = op->n;
        if (i + 1 == keep && op->kind == SIM_OP_ENTRIES && op->n > 0 && raft_prng_below(prng, 2)) {
            n = (size_t)raft_prng_below(prng, op->n);
            *torn_out = true;
        }
        apply_op(d, op, n);
    }
    drop_ops(d, d->n_ops);
}

void sim_disk_snapshot(struct sim_disk *d, const struct sim_snap *s)
{
    if (s->index <= d->snap.index)
        return;
    size_t drop = (size_t)(s->index - d->snap.index);
    if (drop > d->n)
        drop = d->n;
    for (size_t i = 0; i < drop; i++)
        sk_free(d->ents[i].data);
    if (d->n > 0)
        memmove(d->ents, d->ents + drop, (d->n - drop) * sizeof(*d->ents));
    d->n -= drop;
    d->snap = *s;
}
