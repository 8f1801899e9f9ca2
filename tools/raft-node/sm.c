/* raft-node's state machine and its snapshot image:
 *   count u32, then per entry: index u64, term u64, len u32, text. */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "tools/raft-node/node.h"

static int push(struct sm *sm, uint64_t index, uint64_t term, const void *text, size_t len)
{
    if (sm->n == sm->cap) {
        size_t cap = sm->cap ? sm->cap * 2 : 64;
        struct sm_entry *v = sk_realloc(sm->v, cap * sizeof(*v));
        if (!v)
            return SK_ENOMEM;
        sm->v = v;
        sm->cap = cap;
    }
    char *t = sk_strndup(len ? text : "", len);
    if (!t)
        return SK_ENOMEM;
    sm->v[sm->n++] = (struct sm_entry){index, term, t};
    return SK_OK;
}

int sm_apply(struct sm *sm, const struct raft_entry *e)
{
    sm->applied_index = e->index;
    if (e->type != RAFT_ENTRY_NORMAL)
        return SK_OK;
    return push(sm, e->index, e->term, e->data, e->len);
}

int sm_encode(const struct sm *sm, uint8_t **out, size_t *len)
{
    struct sk_writer w;
    sk_writer_init(&w);
    sk_write_u32(&w, (uint32_t)sm->n);
    for (size_t i = 0; i < sm->n; i++) {
        sk_write_i64(&w, (int64_t)sm->v[i].index);
        sk_write_i64(&w, (int64_t)sm->v[i].term);
        size_t tl = strlen(sm->v[i].text);
        sk_write_u32(&w, (uint32_t)tl);
        sk_write_raw(&w, sm->v[i].text, tl);
    }
    if (w.err) {
        sk_writer_free(&w);
        return SK_ENOMEM;
    }
    *out = sk_writer_take(&w, len);
    return SK_OK;
}

void sm_free(struct sm *sm)
{
    for (size_t i = 0; i < sm->n; i++)
        sk_free(sm->v[i].text);
    sk_free(sm->v);
    memset(sm, 0, sizeof(*sm));
}

int sm_restore(struct sm *sm, uint64_t index, const uint8_t *p, size_t len)
{
    struct sm next = {0};
    struct sk_reader r;
    sk_reader_init(&r, p, len);
    /* Each entry takes at least 20 bytes: the count is checked against the
     * bytes present before anything is allocated. */
    uint32_t count = sk_read_u32(&r);
    int rc = r.err;
    if (rc == SK_OK && count > sk_reader_left(&r) / 20)
        rc = SK_ECORRUPT;
    for (uint32_t i = 0; i < count && rc == SK_OK; i++) {
        uint64_t ei = (uint64_t)sk_read_i64(&r), et = (uint64_t)sk_read_i64(&r);
        uint32_t tl = sk_read_u32(&r);
        if (tl > NODE_TEXT_MAX) {
            rc = SK_ECORRUPT;
            break;
        }
        const uint8_t *t = sk_read_raw(&r, tl);
        if (r.err || ei > index) {
            rc = SK_ECORRUPT;
            break;
        }
        rc = push(&next, ei, et, t, tl);
    }
    if (rc != SK_OK) {
        sm_free(&next);
        return rc;
    }
    sm_free(sm);
    *sm = next;
    sm->applied_index = index;
    return SK_OK;
}

static void apply_cb(void *arg, const struct raft_entry *e)
{
    if (sm_apply(arg, e) != SK_OK) {
        /* Out of memory while applying: skipping would diverge from the
         * other members, so stop instead. */
        SK_ERROR("raft_node_apply_failed", "index=%llu", (unsigned long long)e->index);
        exit(1);
    }
}

static int restore_cb(void *arg, const struct raft_snapshot *s) { return sm_restore(arg, s->index, s->data, s->len); }

static int snapshot_cb(void *arg, uint8_t **image, size_t *len) { return sm_encode(arg, image, len); }

void sm_host_callbacks(struct sm *sm, struct raft_host_cb *cb)
{
    cb->arg = sm;
    cb->apply_cb = apply_cb;
    cb->restore_cb = restore_cb;
    cb->snapshot_cb = snapshot_cb;
}
