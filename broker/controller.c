/* The active controller: a queue of requests, one decision in flight (see
 * controller.h).  Decisions are computed from the image by the topic and
 * broker modules (controller_topics.c, controller_brokers.c); this file owns
 * the queue, proposals, answers on commit, and the periodic checks. */
#include <event2/event.h>
#include <string.h>

#include "broker.h"
#include "cluster_int.h"
#include "common/alloc.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "controller_int.h"
#include "ctrl_codec.h"
#include "kafka_err.h"
#include "metadata_records.h"
#include "raft/raft.h"

struct ctrl_item {
    struct ctrl_item *next;
    struct sk_arena arena;
    struct ctrl_req req;
    ctrl_done_cb cb; /* NULL for the controller's own decisions */
    void *arg;
    /* Committed topic changes wait until every live broker applied them. */
    uint64_t index;
    int64_t deadline_ms;
    struct ctrl_resp resp;
};

/* How long a committed topic change waits for the live brokers to apply it
 * before it is answered anyway (a broker that stopped heartbeating is fenced
 * after the session timeout; its lag must not hold admin requests). */
#define PROPAGATION_WAIT_MS 1000

static void answer(struct ctrl_item *it, const struct ctrl_resp *resp)
{
    if (it->cb)
        it->cb(it->arg, resp);
    sk_arena_free(&it->arena);
    sk_free(it);
}

static void not_controller(struct controller *ctl, struct ctrl_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->error_code = KAFKA_NOT_CONTROLLER;
    resp->controller_id = quorum_leader(ctl->c);
    snprintf(resp->error_message, sizeof(resp->error_message), "this node is not the active controller");
}

/* Everything queued and in flight fails with NOT_CONTROLLER (leadership
 * lost); callers retry against the new controller. */
static void fail_all(struct controller *ctl)
{
    struct ctrl_resp resp;
    not_controller(ctl, &resp);
    if (ctl->cur) {
        struct ctrl_item *it = ctl->cur;
        ctl->cur = NULL;
        answer(it, &resp);
    }
    while (ctl->head) {
        struct ctrl_item *it = ctl->head;
        ctl->head = it->next;
        ctl->n_queued--;
        answer(it, &resp);
    }
    ctl->tail = NULL;
    /* Committed already: their answers stand. */
    while (ctl->waiting) {
        struct ctrl_item *it = ctl->waiting;
        ctl->waiting = it->next;
        answer(it, &it->resp);
    }
}

bool ctrl_active(const struct controller *ctl)
{
    return quorum_is_leader(ctl->c) && ctl->c->last_applied_term == quorum_term(ctl->c);
}

struct md_rec *ctrl_decision_add(struct ctrl_decision *d)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct md_rec *grown = sk_arena_calloc(&d->arena, cap, sizeof(*grown));
        if (!grown || d->n >= SK_METADATA_BATCH_RECORDS_MAX)
            return NULL;
        if (d->n)
            memcpy(grown, d->recs, d->n * sizeof(*grown));
        d->recs = grown;
        d->cap = cap;
    }
    struct md_rec *r = &d->recs[d->n++];
    memset(r, 0, sizeof(*r));
    return r;
}

int ctrl_decide(struct controller *ctl, const struct ctrl_req *req, struct ctrl_decision *d)
{
    d->resp.controller_id = ctl->c->self;
    switch ((int)req->op) {
    case CTRL_CREATE_TOPIC:
    case CTRL_DELETE_TOPIC:
    case CTRL_CREATE_PARTITIONS:
    case CTRL_ALTER_CONFIGS:
        return ctrl_decide_topic(ctl, req, d);
    case CTRL_ALTER_PARTITION:
        return ctrl_alter_partition(ctl, req, d);
    default:
        return ctrl_decide_broker(ctl, req, d);
    }
}

/* Proposes the decision's records; the answer waits for their commit.  On a
 * one-voter quorum the entry commits and applies inside the proposal, so the
 * in-flight slot is filled before proposing. */
static void propose(struct controller *ctl, struct ctrl_item *it, const struct ctrl_decision *d)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    uint64_t index = 0, term = 0;
    int rc = md_batch_encode(d->recs, d->n, &buf, &len);
    if (rc == SK_OK) {
        ctl->cur = it;
        ctl->cur_index = quorum_next_index(ctl->c);
        ctl->cur_term = quorum_term(ctl->c);
        ctl->cur_resp = d->resp;
        rc = quorum_propose(ctl->c, buf, len, &index, &term);
        if (rc == SK_OK && (index != ctl->cur_index || term != ctl->cur_term) && ctl->cur == it) {
            ctl->cur_index = index;
            ctl->cur_term = term;
        }
    }
    sk_free(buf);
    if (rc != SK_OK) {
        if (ctl->cur == it)
            ctl->cur = NULL;
        struct ctrl_resp resp;
        not_controller(ctl, &resp);
        if (rc != SK_ESTATE) {
            resp.error_code = KAFKA_UNKNOWN_SERVER_ERROR;
            snprintf(resp.error_message, sizeof(resp.error_message), "cannot propose: %s", sk_strerror(rc));
        }
        SK_WARN("controller_propose_failed", "op=%d err=%s", (int)it->req.op, sk_strerror(rc));
        answer(it, &resp);
    }
}

static void run(struct controller *ctl, struct ctrl_item *it)
{
    struct ctrl_decision d;
    memset(&d, 0, sizeof(d));
    sk_arena_init(&d.arena);
    int rc = ctrl_decide(ctl, &it->req, &d);
    if (rc != SK_OK) {
        d.resp.error_code = KAFKA_UNKNOWN_SERVER_ERROR;
        snprintf(d.resp.error_message, sizeof(d.resp.error_message), "%s", sk_strerror(rc));
        d.n = 0;
    }
    if (d.n == 0)
        answer(it, &d.resp);
    else
        propose(ctl, it, &d);
    sk_arena_free(&d.arena);
}

static void pump(struct controller *ctl)
{
    /* Bounded by the queue length; stops while a decision is in flight. */
    while (!ctl->cur && ctl->head) {
        struct ctrl_item *it = ctl->head;
        ctl->head = it->next;
        if (!ctl->head)
            ctl->tail = NULL;
        ctl->n_queued--;
        if (!ctrl_active(ctl)) {
            struct ctrl_resp resp;
            not_controller(ctl, &resp);
            answer(it, &resp);
            continue;
        }
        run(ctl, it);
    }
}

static void pump_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pump(arg);
}

/* Decisions are proposed from the loop, never from inside a Raft step: an
 * answer delivered while an entry applies may lead straight to another
 * request, and proposing there would re-enter the Raft host. */
static void pump_later(struct controller *ctl) { event_active(ctl->pump_ev, EV_TIMEOUT, 0); }

void ctrl_submit(struct controller *ctl, const struct ctrl_req *req, ctrl_done_cb done_cb, void *arg, void **handle)
{
    struct ctrl_resp resp;
    if (handle)
        *handle = NULL;
    if (!ctrl_active(ctl) || ctl->n_queued >= SK_CONTROLLER_QUEUE_MAX) {
        not_controller(ctl, &resp);
        if (ctrl_active(ctl)) {
            resp.error_code = KAFKA_THROTTLING_QUOTA_EXCEEDED;
            snprintf(resp.error_message, sizeof(resp.error_message), "controller queue full");
        }
        if (done_cb)
            done_cb(arg, &resp);
        return;
    }
    struct ctrl_item *it = sk_calloc(1, sizeof(*it));
    if (!it) {
        memset(&resp, 0, sizeof(resp));
        resp.error_code = KAFKA_UNKNOWN_SERVER_ERROR;
        if (done_cb)
            done_cb(arg, &resp);
        return;
    }
    sk_arena_init(&it->arena);
    if (ctrl_req_copy(req, &it->arena, &it->req) != SK_OK) {
        sk_arena_free(&it->arena);
        sk_free(it);
        memset(&resp, 0, sizeof(resp));
        resp.error_code = KAFKA_UNKNOWN_SERVER_ERROR;
        if (done_cb)
            done_cb(arg, &resp);
        return;
    }
    it->cb = done_cb;
    it->arg = arg;
    if (ctl->tail)
        ctl->tail->next = it;
    else
        ctl->head = it;
    ctl->tail = it;
    ctl->n_queued++;
    if (handle)
        *handle = it;
    pump_later(ctl);
}

void ctrl_cancel(struct controller *ctl, void *handle)
{
    struct ctrl_item *it = handle;
    if (!it)
        return;
    /* The decision goes on (it may already be proposed); only the answer
     * is dropped. */
    it->cb = NULL;
    (void)ctl;
}

void ctrl_on_apply(struct controller *ctl, const struct raft_entry *e)
{
    if (!ctl->cur || e->index < ctl->cur_index)
        return;
    struct ctrl_item *it = ctl->cur;
    ctl->cur = NULL;
    struct ctrl_resp resp = ctl->cur_resp;
    bool ours = e->index == ctl->cur_index && e->term == ctl->cur_term;
    if (!ours)
        not_controller(ctl, &resp); /* another leader's entry took the slot */
    enum ctrl_op op = it->req.op;
    bool topic_op = op == CTRL_CREATE_TOPIC || op == CTRL_DELETE_TOPIC || op == CTRL_CREATE_PARTITIONS ||
                    op == CTRL_ALTER_CONFIGS;
    if (ours && topic_op && it->cb) {
        /* A client that asks any broker right after the answer finds the
         * change there. */
        it->index = e->index;
        it->resp = resp;
        it->deadline_ms = sk_mono_ms() + PROPAGATION_WAIT_MS;
        it->next = ctl->waiting;
        ctl->waiting = it;
    } else {
        answer(it, &resp);
    }
    pump_later(ctl);
}

void ctrl_answer_propagated(struct controller *ctl, int64_t now_ms)
{
    struct ctrl_item **pp = &ctl->waiting;
    while (*pp) {
        struct ctrl_item *it = *pp;
        if (it->cb && now_ms < it->deadline_ms && !ctrl_brokers_applied(ctl, it->index)) {
            pp = &it->next;
            continue;
        }
        *pp = it->next;
        answer(it, &it->resp);
    }
}

/* Queues one of the controller's own decisions (fence, rebalance). */
void ctrl_enqueue_internal(struct controller *ctl, const struct ctrl_req *req)
{
    ctrl_submit(ctl, req, NULL, NULL, NULL);
}

void ctrl_tick(struct controller *ctl)
{
    bool active = ctrl_active(ctl);
    if (!active) {
        if (ctl->was_active)
            SK_INFO("controller_inactive", "term=%llu", (unsigned long long)quorum_term(ctl->c));
        ctl->was_active = false;
        if (ctl->cur || ctl->head)
            fail_all(ctl);
        return;
    }
    int64_t now = sk_mono_ms();
    if (!ctl->was_active) {
        ctl->was_active = true;
        ctrl_brokers_reset_sessions(ctl, now);
        ctl->next_rebalance_ms = now + ctl->c->b->cfg.leader_rebalance_check_interval_ms;
        SK_INFO("controller_active", "term=%llu", (unsigned long long)quorum_term(ctl->c));
    }
    ctrl_brokers_check_sessions(ctl, now);
    ctrl_answer_propagated(ctl, now);
    if (now >= ctl->next_rebalance_ms) {
        ctl->next_rebalance_ms = now + ctl->c->b->cfg.leader_rebalance_check_interval_ms;
        if (ctl->c->b->cfg.auto_leader_rebalance_enable)
            ctrl_enqueue_internal(ctl, &(struct ctrl_req){.op = CTRL_INT_REBALANCE});
    }
}

int ctrl_new(struct cluster *c, struct controller **out)
{
    struct controller *ctl = sk_calloc(1, sizeof(*ctl));
    if (!ctl)
        return SK_ENOMEM;
    ctl->c = c;
    ctl->pump_ev = event_new(c->b->base, -1, 0, pump_cb, ctl);
    if (!ctl->pump_ev) {
        sk_free(ctl);
        return SK_ENOMEM;
    }
    *out = ctl;
    return SK_OK;
}

void ctrl_free(struct controller *ctl)
{
    if (!ctl)
        return;
    fail_all(ctl);
    event_free(ctl->pump_ev);
    sk_free(ctl);
}
