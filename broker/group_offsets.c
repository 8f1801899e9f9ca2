/* A group's committed offsets: an array sorted by (topic, partition), so a
 * lookup is a binary search and OffsetFetch of every offset walks it in
 * topic order.  Each entry remembers where its record sits in
 * __consumer_offsets, so records applied out of order (several commits
 * becoming durable together) and replay agree: the later record wins. */
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"
#include "group.h"

static int cmp_key(struct sk_slice topic, int32_t partition, const struct group_offset *o)
{
    size_t n = topic.len > 0 ? (size_t)topic.len : 0;
    size_t on = strlen(o->topic);
    int c = memcmp(topic.ptr ? (const char *)topic.ptr : "", o->topic, n < on ? n : on);
    if (c == 0 && n != on)
        c = n < on ? -1 : 1;
    if (c == 0)
        c = partition < o->partition ? -1 : partition > o->partition;
    return c;
}

/* Index of the entry, or -(insertion point) - 1. */
static int32_t search(const struct group *g, struct sk_slice topic, int32_t partition)
{
    int32_t lo = 0, hi = g->n_offsets - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = cmp_key(topic, partition, &g->offsets[mid]);
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -lo - 1;
}

const struct group_offset *group_offset_get(const struct group *g, struct sk_slice topic, int32_t partition)
{
    int32_t i = search(g, topic, partition);
    return i >= 0 ? &g->offsets[i] : NULL;
}

static char *dup_nullable(struct sk_slice s)
{
    if (!s.ptr || s.len < 0)
        return NULL;
    return sk_strndup((const char *)s.ptr, (size_t)s.len);
}

int group_offset_put(struct group *g, struct sk_slice topic, int32_t partition, int64_t offset,
                     int32_t leader_epoch, struct sk_slice metadata, int64_t commit_ms, int64_t log_offset)
{
    int32_t i = search(g, topic, partition);
    char *md = dup_nullable(metadata);
    if (metadata.ptr && metadata.len >= 0 && !md)
        return SK_ENOMEM;
    struct group_offset *o;
    if (i >= 0) {
        o = &g->offsets[i];
        if (o->log_offset > log_offset) {
            sk_free(md);
            return 0;
        }
        sk_free(o->metadata);
    } else {
        char *name =
            sk_strndup(topic.ptr ? (const char *)topic.ptr : "", topic.len > 0 ? (size_t)topic.len : 0);
        if (!name || (g->n_offsets == g->offsets_cap && g->offsets_cap > INT32_MAX / 2)) {
            sk_free(name);
            sk_free(md);
            return SK_ENOMEM;
        }
        if (g->n_offsets == g->offsets_cap) {
            int32_t cap = g->offsets_cap ? g->offsets_cap * 2 : 8;
            struct group_offset *grown = sk_realloc(g->offsets, (size_t)cap * sizeof(*grown));
            if (!grown) {
                sk_free(name);
                sk_free(md);
                return SK_ENOMEM;
            }
            g->offsets = grown;
            g->offsets_cap = cap;
        }
        i = -i - 1;
        memmove(&g->offsets[i + 1], &g->offsets[i], (size_t)(g->n_offsets - i) * sizeof(*g->offsets));
        g->n_offsets++;
        o = &g->offsets[i];
        o->topic = name;
        o->partition = partition;
    }
    o->offset = offset;
    o->leader_epoch = leader_epoch;
    o->metadata = md;
    o->commit_ms = commit_ms;
    o->log_offset = log_offset;
    return 0;
}

void group_offset_remove(struct group *g, struct sk_slice topic, int32_t partition, int64_t log_offset)
{
    int32_t i = search(g, topic, partition);
    if (i < 0 || g->offsets[i].log_offset > log_offset)
        return;
    sk_free(g->offsets[i].topic);
    sk_free(g->offsets[i].metadata);
    memmove(&g->offsets[i], &g->offsets[i + 1], (size_t)(g->n_offsets - i - 1) * sizeof(*g->offsets));
    g->n_offsets--;
}

/* Kafka 2.1+ (KIP-211): offsets of a group with members never expire; once
 * the group is empty they expire retention after it emptied, or after their
 * commit if that is later (a group that only ever stored offsets). */
bool group_offset_expired(const struct group *g, const struct group_offset *o, int64_t retention_ms,
                          int64_t now_ms)
{
    if (g->n_members > 0 || g->state != GROUP_EMPTY)
        return false;
    int64_t since = o->commit_ms > g->state_since_ms ? o->commit_ms : g->state_since_ms;
    return now_ms - since >= retention_ms;
}
