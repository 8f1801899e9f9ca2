/* Controller RPCs over the internal transport.  Client side: cluster_call
 * sends a request to the active controller (or submits it locally when this
 * node is the controller) and retries while no controller is known; server
 * side: requests arriving from peers go to the local controller and the
 * answer goes back to the sender with the request's correlation id. */
#include <string.h>

#include "broker.h"
#include "cluster_int.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "ctrl_codec.h"
#include "kafka_err.h"
#include "raft/transport.h"

#define RPC_RETRY_MS 50

struct rpc_call {
    struct rpc_call *prev, *next;
    struct cluster *c;
    uint64_t corr;
    struct sk_arena arena;
    struct ctrl_req req; /* deep copy in arena */
    int64_t deadline_ms;
    int64_t retry_at_ms;
    bool in_flight;
    void *local; /* ctrl handle while the local controller holds it */
    ctrl_done_cb cb;
    void *arg;
};

/* A request from a peer, held while the local controller works on it. */
struct rpc_remote {
    struct cluster *c;
    uint64_t corr;
    int32_t sender;
};

static void unlink_call(struct rpc_call *k)
{
    struct cluster *c = k->c;
    if (k->prev)
        k->prev->next = k->next;
    else
        c->calls = k->next;
    if (k->next)
        k->next->prev = k->prev;
}

static void finish(struct rpc_call *k, const struct ctrl_resp *resp)
{
    unlink_call(k);
    ctrl_done_cb cb = k->cb;
    void *arg = k->arg;
    sk_arena_free(&k->arena);
    sk_free(k);
    cb(arg, resp);
}

static void retry_later(struct rpc_call *k)
{
    k->in_flight = false;
    k->local = NULL;
    k->retry_at_ms = sk_mono_ms() + RPC_RETRY_MS;
}

static void local_done_cb(void *arg, const struct ctrl_resp *resp)
{
    struct rpc_call *k = arg;
    if (resp->error_code == KAFKA_NOT_CONTROLLER) {
        retry_later(k);
        return;
    }
    finish(k, resp);
}

static int send_remote(struct rpc_call *k, int32_t to)
{
    struct cluster *c = k->c;
    struct sk_arena a;
    sk_arena_init(&a);
    Skiff__Metadata__ControllerRequest m;
    int rc = ctrl_req_to_pb(&k->req, &a, &m);
    if (rc == SK_OK) {
        Skiff__Raft__Envelope env;
        skiff__raft__envelope__init(&env);
        env.correlation_id = k->corr;
        env.sender_id = (uint64_t)c->self;
        env.body_case = SKIFF__RAFT__ENVELOPE__BODY_CONTROLLER_REQUEST;
        env.controller_request = &m;
        rc = raft_transport_send(c->tr, (uint64_t)to, &env);
    }
    sk_arena_free(&a);
    return rc;
}

/* Where to send while the quorum's leader is unknown.  A voter waits for
 * the election.  A broker-only node learns the leader from the log only
 * once it is an observer, i.e. after it registered: until then it asks the
 * voters in turn, following the controller a NOT_CONTROLLER answer names. */
static int32_t pick_target(struct cluster *c)
{
    int32_t leader = quorum_leader(c);
    if (leader >= 0 || c->voter || c->n_voters == 0)
        return leader;
    int32_t hint = c->controller_hint;
    c->controller_hint = -1;
    if (hint >= 0 && hint != c->self)
        return hint;
    c->next_voter = (c->next_voter + 1) % c->n_voters;
    return c->voters[c->next_voter].id;
}

static void try_send(struct rpc_call *k)
{
    struct cluster *c = k->c;
    int32_t leader = pick_target(c);
    if (leader < 0) {
        retry_later(k);
        return;
    }
    k->in_flight = true;
    if (leader == c->self) {
        ctrl_submit(c->ctrl, &k->req, local_done_cb, k, &k->local);
        return;
    }
    if (send_remote(k, leader) != SK_OK)
        retry_later(k);
}

int cluster_call(struct cluster *c, const struct ctrl_req *req, int64_t deadline_ms, ctrl_done_cb done_cb,
                 void *arg, void **handle)
{
    struct rpc_call *k = sk_calloc(1, sizeof(*k));
    if (!k)
        return SK_ENOMEM;
    sk_arena_init(&k->arena);
    int rc = ctrl_req_copy(req, &k->arena, &k->req);
    if (rc != SK_OK) {
        sk_arena_free(&k->arena);
        sk_free(k);
        return rc;
    }
    k->c = c;
    k->corr = ++c->next_corr;
    k->deadline_ms = deadline_ms;
    k->cb = done_cb;
    k->arg = arg;
    k->next = c->calls;
    if (c->calls)
        c->calls->prev = k;
    c->calls = k;
    if (handle)
        *handle = k;
    try_send(k); /* may finish k at once (local controller) */
    return SK_OK;
}

void cluster_call_cancel(struct cluster *c, void *handle)
{
    struct rpc_call *k = handle;
    if (!k)
        return;
    if (k->local)
        ctrl_cancel(c->ctrl, k->local);
    unlink_call(k);
    sk_arena_free(&k->arena);
    sk_free(k);
}

static void timed_out(struct rpc_call *k)
{
    if (k->local)
        ctrl_cancel(k->c->ctrl, k->local);
    struct ctrl_resp resp = {.error_code = KAFKA_REQUEST_TIMED_OUT, .controller_id = quorum_leader(k->c)};
    snprintf(resp.error_message, sizeof(resp.error_message), "no answer from the controller in time");
    finish(k, &resp);
}

void rpc_tick(struct cluster *c)
{
    int64_t now = sk_mono_ms();
    /* Bounded: each pass either finishes a call or moves past it. */
    struct rpc_call *k = c->calls;
    while (k) {
        struct rpc_call *next = k->next;
        if (now >= k->deadline_ms)
            timed_out(k);
        else if (!k->in_flight && now >= k->retry_at_ms)
            try_send(k);
        k = next;
    }
}

/* ------------------------------------------------------------ responses */

static void response_cb(void *arg, const Skiff__Raft__Envelope *env)
{
    struct cluster *c = arg;
    struct rpc_call *k = c->calls;
    while (k && k->corr != env->correlation_id)
        k = k->next;
    if (!k || !k->in_flight || k->local)
        return; /* late answer to a call already finished or re-sent */
    struct ctrl_resp resp;
    ctrl_resp_from_pb(env->controller_response, &resp);
    if (resp.error_code == KAFKA_NOT_CONTROLLER) {
        c->controller_hint = resp.controller_id;
        retry_later(k);
    } else {
        finish(k, &resp);
    }
}

/* ------------------------------------------------------------ requests */

static void remote_done_cb(void *arg, const struct ctrl_resp *resp)
{
    struct rpc_remote *rr = arg;
    Skiff__Metadata__ControllerResponse m;
    ctrl_resp_to_pb(resp, &m);
    Skiff__Raft__Envelope env;
    skiff__raft__envelope__init(&env);
    env.correlation_id = rr->corr;
    env.sender_id = (uint64_t)rr->c->self;
    env.body_case = SKIFF__RAFT__ENVELOPE__BODY_CONTROLLER_RESPONSE;
    env.controller_response = &m;
    if (rr->c->tr)
        raft_transport_send(rr->c->tr, (uint64_t)rr->sender, &env);
    sk_free(rr);
}

/* A broker-only node asks before anyone knows its address: its
 * registration carries it, so the answer (or NOT_CONTROLLER) can reach it.
 * Voters keep their configured addresses. */
static void learn_sender(struct cluster *c, uint64_t sender, const struct ctrl_req *req)
{
    const struct md_broker *mb = &req->broker;
    if (req->op != CTRL_REGISTER || (uint64_t)mb->id != sender || mb->id == c->self ||
        quorum_is_voter(c, mb->id) || mb->internal_port <= 0 || mb->internal_port > 65535)
        return;
    raft_transport_set_peer(c->tr, sender, mb->internal_host, (uint16_t)mb->internal_port);
}

static void request_cb(void *arg, const Skiff__Raft__Envelope *env)
{
    struct cluster *c = arg;
    struct sk_arena a;
    sk_arena_init(&a);
    struct ctrl_req req;
    struct rpc_remote *rr = sk_calloc(1, sizeof(*rr));
    int rc = rr ? ctrl_req_from_pb(env->controller_request, &a, &req) : SK_ENOMEM;
    if (rc != SK_OK) {
        SK_WARN("controller_request_refused", "sender=%llu err=%s", (unsigned long long)env->sender_id,
                sk_strerror(rc));
        sk_free(rr);
        sk_arena_free(&a);
        return;
    }
    learn_sender(c, env->sender_id, &req);
    rr->c = c;
    rr->corr = env->correlation_id;
    rr->sender = (int32_t)env->sender_id;
    /* The controller copies what it keeps; the answer may come at once. */
    ctrl_submit(c->ctrl, &req, remote_done_cb, rr, NULL);
    sk_arena_free(&a);
}

int rpc_start(struct cluster *c)
{
    int rc = raft_transport_handle(c->tr, SKIFF__RAFT__ENVELOPE__BODY_CONTROLLER_REQUEST, request_cb, c);
    if (rc == SK_OK)
        rc = raft_transport_handle(c->tr, SKIFF__RAFT__ENVELOPE__BODY_CONTROLLER_RESPONSE, response_cb, c);
    return rc;
}

void rpc_stop(struct cluster *c)
{
    while (c->calls) {
        struct rpc_call *k = c->calls;
        struct ctrl_resp resp = {.error_code = KAFKA_REQUEST_TIMED_OUT, .controller_id = -1};
        snprintf(resp.error_message, sizeof(resp.error_message), "node shutting down");
        if (k->local)
            ctrl_cancel(c->ctrl, k->local);
        finish(k, &resp);
    }
}
