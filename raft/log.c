/* The in-memory Raft log (see log.h). */
#include "raft/log.h"

#include <assert.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"

void raft_log_init(struct raft_log *l, uint64_t offset, uint64_t offset_term)
{
    memset(l, 0, sizeof(*l));
    l->offset = offset;
    l->offset_term = offset_term;
}

static void free_range(struct raft_log *l, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        sk_free(l->ents[i].data);
}

void raft_log_free(struct raft_log *l)
{
    free_range(l, 0, l->n);
    sk_free(l->ents);
    memset(l, 0, sizeof(*l));
}

uint64_t raft_log_term(const struct raft_log *l, uint64_t index)
{
    if (index == l->offset)
        return l->offset_term;
    if (index < l->offset || index > raft_log_last(l))
        return 0;
    return l->ents[index - l->offset - 1].term;
}

const struct raft_entry *raft_log_get(const struct raft_log *l, uint64_t index)
{
    if (index <= l->offset || index > raft_log_last(l))
        return NULL;
    return &l->ents[index - l->offset - 1];
}

int raft_log_append(struct raft_log *l, uint64_t term, uint8_t type, const uint8_t *data, uint32_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct raft_entry *p = sk_realloc(l->ents, cap * sizeof(*p));
        if (!p)
            return SK_ENOMEM;
        l->ents = p;
        l->cap = cap;
    }
    uint8_t *copy = NULL;
    if (len > 0) {
        copy = sk_malloc(len);
        if (!copy)
            return SK_ENOMEM;
        memcpy(copy, data, len);
    }
    struct raft_entry *e = &l->ents[l->n];
    e->term = term;
    e->index = raft_log_last(l) + 1;
    e->type = type;
    e->len = len;
    e->data = copy;
    l->n++;
    return SK_OK;
}

void raft_log_truncate(struct raft_log *l, uint64_t from)
{
    assert(from > l->offset);
    if (from > raft_log_last(l))
        return;
    size_t keep = (size_t)(from - l->offset - 1);
    free_range(l, keep, l->n);
    l->n = keep;
}

void raft_log_compact(struct raft_log *l, uint64_t upto)
{
    assert(upto > l->offset && upto <= raft_log_last(l));
    size_t drop = (size_t)(upto - l->offset);
    uint64_t term = l->ents[drop - 1].term;
    free_range(l, 0, drop);
    memmove(l->ents, l->ents + drop, (l->n - drop) * sizeof(*l->ents));
    l->n -= drop;
    l->offset = upto;
    l->offset_term = term;
}

void raft_log_reset(struct raft_log *l, uint64_t index, uint64_t term)
{
    free_range(l, 0, l->n);
    l->n = 0;
    l->offset = index;
    l->offset_term = term;
}

uint64_t raft_log_find_conflict_by_term(const struct raft_log *l, uint64_t index, uint64_t term)
{
    if (index > raft_log_last(l))
        index = raft_log_last(l);
    while (index > l->offset && raft_log_term(l, index) > term)
        index--;
    return index;
}
