/* Admin requests that change metadata go to the active controller (over
 * the internal listener unless this node is it); the Kafka request is
 * parked until every part of it has its answer.  One slot per topic. */
#include "h_forward.h"

#include <string.h>

#include "broker.h"
#include "cluster.h"
#include "common/clock.h"
#include "common/sk_err.h"
#include "kafka_err.h"
#include "kreq.h"

#define FWD_TIMEOUT_MS_DEFAULT 30000

struct fwd_slot {
    struct fwd_state *st;
    void *handle;
    bool pending;
    int16_t error_code;
    const char *error_message;
};

struct fwd_state {
    struct broker *b;
    struct kreq *r;
    struct fwd_slot *slots;
    int32_t n_slots;
    int32_t pending;
    bool in_handler;
    int64_t deadline_ms;
    fwd_encode_cb encode;
    void *arg;
};

int fwd_begin(struct broker *b, struct kreq *r, int32_t n_slots, int32_t timeout_ms, fwd_encode_cb encode,
              void *arg, struct fwd_state **out)
{
    struct fwd_state *st = sk_arena_calloc(&r->arena, 1, sizeof(*st));
    struct fwd_slot *slots = sk_arena_calloc(&r->arena, (size_t)(n_slots > 0 ? n_slots : 1), sizeof(*slots));
    if (!st || !slots)
        return SK_ENOMEM;
    st->b = b;
    st->r = r;
    st->slots = slots;
    st->n_slots = n_slots;
    st->in_handler = true;
    st->deadline_ms = sk_mono_ms() + (timeout_ms > 0 ? timeout_ms : FWD_TIMEOUT_MS_DEFAULT);
    st->encode = encode;
    st->arg = arg;
    for (int32_t i = 0; i < n_slots; i++)
        slots[i].st = st;
    *out = st;
    return SK_OK;
}

static void slot_done_cb(void *arg, const struct ctrl_resp *resp)
{
    struct fwd_slot *s = arg;
    struct fwd_state *st = s->st;
    s->pending = false;
    s->handle = NULL;
    s->error_code = resp->error_code;
    if (resp->error_code && resp->error_message[0])
        s->error_message = sk_arena_strndup(&st->r->arena, resp->error_message, strlen(resp->error_message));
    if (--st->pending == 0 && !st->in_handler) {
        st->encode(st->r, st->arg);
        kreq_finish(st->r);
    }
}

void fwd_set(struct fwd_state *st, int32_t slot, int16_t code, const char *msg)
{
    st->slots[slot].error_code = code;
    st->slots[slot].error_message = msg ? sk_arena_strndup(&st->r->arena, msg, strlen(msg)) : NULL;
}

void fwd_call(struct fwd_state *st, int32_t slot, const struct ctrl_req *req)
{
    struct fwd_slot *s = &st->slots[slot];
    s->pending = true;
    st->pending++;
    if (cluster_call(st->b->cluster, req, st->deadline_ms, slot_done_cb, s, &s->handle) != SK_OK) {
        s->pending = false;
        st->pending--;
        fwd_set(st, slot, KAFKA_UNKNOWN_SERVER_ERROR, "out of memory");
    }
}

static void fwd_cancel(struct kreq *r)
{
    struct fwd_state *st = r->pending;
    for (int32_t i = 0; i < st->n_slots; i++)
        if (st->slots[i].pending)
            cluster_call_cancel(st->b->cluster, st->slots[i].handle);
}

int fwd_end(struct fwd_state *st)
{
    st->in_handler = false;
    if (st->pending == 0) {
        st->encode(st->r, st->arg);
        return st->r->body.err;
    }
    st->r->pending = st;
    st->r->cancel = fwd_cancel;
    return SK_EAGAIN;
}

int16_t fwd_code(const struct fwd_state *st, int32_t slot) { return st->slots[slot].error_code; }

const char *fwd_message(const struct fwd_state *st, int32_t slot) { return st->slots[slot].error_message; }
