/* Group membership: JoinGroup, SyncGroup, Heartbeat, LeaveGroup.  The
 * handlers translate requests for the group state machine (group.h) and
 * encode its answers; JoinGroup and SyncGroup park until the group answers. */
#include <string.h>

#include "broker.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/sk_err.h"
#include "group_coordinator.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"
#include "kserver.h"

static struct sk_slice nstr(const char *s)
{
    return kafka_cstr(s);
}

static struct gc_pending *park(struct broker *b, struct kreq *r, struct sk_slice group_id)
{
    struct gc_pending *p = sk_arena_calloc(&r->arena, 1, sizeof(*p));
    if (!p)
        return NULL;
    p->r = r;
    p->gc = b->groups;
    p->group_id = h_arena_str(r, group_id);
    if (!p->group_id)
        return NULL;
    r->pending = p;
    r->cancel = group_coordinator_cancel;
    return p;
}

/* Slices that are too long for a group id or member id are refused before
 * they reach the group (and its stored records). */
static bool id_ok(struct sk_slice s)
{
    return s.len <= SK_GROUP_ID_BYTES_MAX;
}

/* ------------------------------------------------------------ JoinGroup */

static void join_answer(struct gc_pending *p, const struct group_join_result *res)
{
    struct kreq *r = p->r;
    struct kafka_join_group_resp resp = {0};
    resp.error_code = res->error;
    resp.generation_id = res->generation;
    resp.protocol_name = kafka_cstr(res->protocol_name ? res->protocol_name : "");
    resp.leader = kafka_cstr(res->leader_id ? res->leader_id : "");
    resp.member_id = kafka_cstr(res->member_id ? res->member_id : "");
    if (res->n_members > 0) {
        resp.members = sk_arena_calloc(&r->arena, (size_t)res->n_members, sizeof(*resp.members));
        if (!resp.members) {
            resp.error_code = KAFKA_UNKNOWN_SERVER_ERROR;
        } else {
            resp.n_members = res->n_members;
            for (int32_t i = 0; i < res->n_members; i++) {
                const struct group_member *m = res->g->members[i];
                resp.members[i].member_id = kafka_cstr(m->member_id);
                resp.members[i].group_instance_id = nstr(m->instance_id);
                resp.members[i].metadata = group_member_metadata(m, res->protocol_name);
            }
        }
    }
    kafka_encode_join_group_resp(&r->body, r->hdr.api_version, &resp);
}

static int join_error(struct kreq *r, int16_t error)
{
    struct kafka_join_group_resp resp = {0};
    resp.error_code = error;
    resp.generation_id = -1;
    resp.member_id = r->req.join_group.member_id;
    kafka_encode_join_group_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}

int h_join_group(struct broker *b, struct kreq *r)
{
    const struct kafka_join_group_req *req = &r->req.join_group;
    if (!id_ok(req->member_id) || !id_ok(req->group_instance_id) || !id_ok(req->protocol_type) ||
        req->n_protocols > SK_GROUP_PROTOCOLS_MAX)
        return join_error(r, KAFKA_INCONSISTENT_GROUP_PROTOCOL);
    struct group *g;
    bool first_join = req->member_id.len <= 0;
    int16_t err = group_coordinator_group(b->groups, req->group_id, first_join, &g);
    if (!err && !g)
        err = KAFKA_UNKNOWN_MEMBER_ID;
    if (err)
        return join_error(r, err);
    struct sk_slice *names = sk_arena_calloc(&r->arena, (size_t)req->n_protocols + 1, sizeof(*names));
    struct sk_slice *metadata = sk_arena_calloc(&r->arena, (size_t)req->n_protocols + 1, sizeof(*metadata));
    struct gc_pending *p = names && metadata ? park(b, r, req->group_id) : NULL;
    if (!p)
        return SK_ENOMEM;
    for (int32_t i = 0; i < req->n_protocols; i++) {
        names[i] = req->protocols[i].name;
        metadata[i] = req->protocols[i].metadata;
        if (!id_ok(names[i]) || names[i].len <= 0 || metadata[i].len > SK_GROUP_MEMBER_BYTES_MAX) {
            r->pending = NULL;
            r->cancel = NULL;
            group_coordinator_touched(b->groups, g);
            return join_error(r, KAFKA_INCONSISTENT_GROUP_PROTOCOL);
        }
    }
    p->join_done = join_answer;
    struct group_join_req jr = {
        .member_id = req->member_id,
        .instance_id = req->group_instance_id,
        .client_id = r->hdr.client_id,
        .client_host = kafka_cstr(kreq_peer(r)),
        .session_timeout_ms = req->session_timeout_ms,
        .rebalance_timeout_ms =
            req->rebalance_timeout_ms >= 0 ? req->rebalance_timeout_ms : req->session_timeout_ms,
        .protocol_type = req->protocol_type,
        .protocol_names = names,
        .protocol_metadata = metadata,
        .n_protocols = req->n_protocols,
    };
    group_join(g, &jr, p, sk_wall_ms());
    group_coordinator_touched(b->groups, g);
    return SK_EAGAIN;
}

/* ------------------------------------------------------------ SyncGroup */

static void sync_answer(struct gc_pending *p, int16_t error, const uint8_t *assignment, int32_t len)
{
    struct kreq *r = p->r;
    struct kafka_sync_group_resp resp = {0};
    resp.error_code = error;
    resp.assignment = (struct sk_slice){assignment ? assignment : (const uint8_t *)"", assignment ? len : 0};
    kafka_encode_sync_group_resp(&r->body, r->hdr.api_version, &resp);
}

static int sync_error(struct kreq *r, int16_t error)
{
    struct kafka_sync_group_resp resp = {0};
    resp.error_code = error;
    kafka_encode_sync_group_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}

int h_sync_group(struct broker *b, struct kreq *r)
{
    const struct kafka_sync_group_req *req = &r->req.sync_group;
    struct group *g;
    int16_t err = group_coordinator_group(b->groups, req->group_id, false, &g);
    if (!err && !g)
        err = KAFKA_UNKNOWN_MEMBER_ID;
    if (err)
        return sync_error(r, err);
    int32_t n = req->n_assignments > 0 ? req->n_assignments : 0;
    struct sk_slice *ids = sk_arena_calloc(&r->arena, (size_t)n + 1, sizeof(*ids));
    struct sk_slice *bytes = sk_arena_calloc(&r->arena, (size_t)n + 1, sizeof(*bytes));
    if (!ids || !bytes)
        return SK_ENOMEM;
    for (int32_t i = 0; i < n; i++) {
        ids[i] = req->assignments[i].member_id;
        bytes[i] = req->assignments[i].assignment;
        if (bytes[i].len > SK_GROUP_MEMBER_BYTES_MAX)
            return sync_error(r, KAFKA_INVALID_REQUEST);
    }
    struct gc_pending *p = park(b, r, req->group_id);
    if (!p)
        return SK_ENOMEM;
    p->sync_done = sync_answer;
    group_sync(g, req->member_id, req->group_instance_id, req->generation_id, ids, bytes, n, p, sk_wall_ms());
    group_coordinator_touched(b->groups, g);
    return SK_EAGAIN;
}

/* ------------------------------------------------------------ Heartbeat */

int h_heartbeat(struct broker *b, struct kreq *r)
{
    const struct kafka_heartbeat_req *req = &r->req.heartbeat;
    struct group *g;
    int16_t err = group_coordinator_group(b->groups, req->group_id, false, &g);
    if (!err && !g)
        err = KAFKA_UNKNOWN_MEMBER_ID;
    if (!err) {
        err = group_heartbeat(g, req->member_id, req->group_instance_id, req->generation_id, sk_wall_ms());
        group_coordinator_touched(b->groups, g);
    }
    struct kafka_heartbeat_resp resp = {0};
    resp.error_code = err;
    kafka_encode_heartbeat_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}

/* ------------------------------------------------------------ LeaveGroup */

int h_leave_group(struct broker *b, struct kreq *r)
{
    const struct kafka_leave_group_req *req = &r->req.leave_group;
    struct kafka_leave_group_resp resp = {0};
    struct group *g;
    int16_t err = group_coordinator_group(b->groups, req->group_id, false, &g);
    if (!err && !g)
        err = KAFKA_UNKNOWN_MEMBER_ID;
    int32_t n = req->n_members > 0 ? req->n_members : 0;
    resp.members = sk_arena_calloc(&r->arena, (size_t)n + 1, sizeof(*resp.members));
    if (!resp.members)
        return SK_ENOMEM;
    resp.n_members = n;
    for (int32_t i = 0; i < n; i++) {
        const struct kafka_leave_group_member *m = &req->members[i];
        resp.members[i].member_id = m->member_id;
        resp.members[i].group_instance_id = m->group_instance_id;
        resp.members[i].error_code =
            err ? err : group_leave(g, m->member_id, m->group_instance_id, sk_wall_ms());
    }
    if (g)
        group_coordinator_touched(b->groups, g);
    /* v0-2 carry one member: its result is the response's error. */
    resp.error_code = err;
    if (!err && r->hdr.api_version < 3 && n > 0)
        resp.error_code = resp.members[0].error_code;
    kafka_encode_leave_group_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}
