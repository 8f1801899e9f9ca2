/* Leader-epoch cache (Kafka's LeaderEpochFileCache, KIP-101/279): for each
 * leader epoch the first offset it wrote.  A follower asks the leader for the
 * end offset of its latest epoch and truncates to it, instead of to the high
 * watermark, which can lose acknowledged writes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"
#include "log_internal.h"

/* A checkpoint with more entries than this is treated as corrupt: every epoch
 * is a leader election, so even a very old partition has far fewer. */
#define EPOCH_ENTRIES_MAX (1 << 20)

void log_epoch_free(struct log_epoch_cache *c)
{
    sk_free(c->e);
    memset(c, 0, sizeof(*c));
}

int32_t log_epoch_latest(const struct log_epoch_cache *c)
{
    return c->n ? c->e[c->n - 1].epoch : LOG_EPOCH_UNDEFINED;
}

int log_epoch_assign(struct log_epoch_cache *c, int32_t epoch, int64_t offset)
{
    if (epoch < 0)
        return 0;
    if (c->n && epoch <= c->e[c->n - 1].epoch)
        return 0;
    /* An epoch that starts where (or before) earlier ones start supersedes them:
     * those epochs wrote nothing that survived (Kafka does the same). */
    while (c->n && c->e[c->n - 1].start_offset >= offset)
        c->n--;
    if (c->n == c->cap) {
        if (c->n >= EPOCH_ENTRIES_MAX)
            return SK_ELIMIT;
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct log_epoch_entry *e = sk_realloc(c->e, cap * sizeof(*e));
        if (!e)
            return SK_ENOMEM;
        c->e = e;
        c->cap = cap;
    }
    c->e[c->n++] = (struct log_epoch_entry){epoch, offset};
    return 1;
}

bool log_epoch_truncate_end(struct log_epoch_cache *c, int64_t offset)
{
    size_t n = c->n;
    while (c->n && c->e[c->n - 1].start_offset >= offset)
        c->n--;
    return n != c->n;
}

bool log_epoch_truncate_start(struct log_epoch_cache *c, int64_t offset)
{
    size_t drop = 0;
    while (drop + 1 < c->n && c->e[drop + 1].start_offset <= offset)
        drop++;
    bool changed = drop > 0;
    if (drop) {
        memmove(c->e, c->e + drop, (c->n - drop) * sizeof(*c->e));
        c->n -= drop;
    }
    if (c->n && c->e[0].start_offset < offset) {
        c->e[0].start_offset = offset;
        changed = true;
    }
    return changed;
}

void log_epoch_end_offset(const struct log_epoch_cache *c, int32_t epoch, int64_t leo, int32_t *epoch_out,
                          int64_t *end_out)
{
    *epoch_out = LOG_EPOCH_UNDEFINED;
    *end_out = LOG_OFFSET_UNDEFINED;
    if (c->n == 0 || epoch < c->e[0].epoch)
        return;
    size_t i = c->n;
    while (i > 0 && c->e[i - 1].epoch > epoch)
        i--;
    /* c->e[i - 1] is the largest epoch <= the requested one. */
    *epoch_out = c->e[i - 1].epoch;
    *end_out = i == c->n ? leo : c->e[i].start_offset;
}

int log_epoch_serialize(const struct log_epoch_cache *c, char **out, size_t *len_out)
{
    size_t cap = 32 + c->n * 34;
    char *b = sk_malloc(cap);
    if (!b)
        return SK_ENOMEM;
    size_t len = (size_t)snprintf(b, cap, "0\n%zu\n", c->n);
    for (size_t i = 0; i < c->n; i++)
        len += (size_t)snprintf(b + len, cap - len, "%" PRId32 " %" PRId64 "\n", c->e[i].epoch,
                                c->e[i].start_offset);
    *out = b;
    *len_out = len;
    return 0;
}

/* Parses a non-negative decimal that ends at `end` char; advances *p. */
static bool parse_num(const char **p, const char *limit, char end, int64_t max, int64_t *out)
{
    const char *s = *p;
    int64_t v = 0;
    if (s >= limit || *s < '0' || *s > '9')
        return false;
    while (s < limit && *s >= '0' && *s <= '9') {
        if (v > (max - (*s - '0')) / 10)
            return false;
        v = v * 10 + (*s - '0');
        s++;
    }
    if (s >= limit || *s != end)
        return false;
    *p = s + 1;
    *out = v;
    return true;
}

int log_epoch_parse(struct log_epoch_cache *c, const char *text, size_t len)
{
    const char *p = text, *limit = text + len;
    int64_t version, count;
    c->n = 0;
    if (!parse_num(&p, limit, '\n', INT32_MAX, &version) || version != 0)
        return SK_ECORRUPT;
    if (!parse_num(&p, limit, '\n', EPOCH_ENTRIES_MAX, &count))
        return SK_ECORRUPT;
    for (int64_t i = 0; i < count; i++) {
        int64_t epoch, offset;
        if (!parse_num(&p, limit, ' ', INT32_MAX, &epoch) || !parse_num(&p, limit, '\n', INT64_MAX, &offset))
            goto corrupt;
        if (c->n && (epoch <= c->e[c->n - 1].epoch || offset < c->e[c->n - 1].start_offset))
            goto corrupt;
        int rc = log_epoch_assign(c, (int32_t)epoch, offset);
        if (rc < 0) {
            c->n = 0;
            return rc;
        }
    }
    if (p != limit)
        goto corrupt;
    return 0;
corrupt:
    c->n = 0;
    return SK_ECORRUPT;
}
