/* JoinGroup: first joins, rejoins, static members taking over their old
 * identity (KIP-345).  Part of the group state machine (group.c); see group.h. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/limits.h"
#include "common/sk_err.h"
#include "group.h"
#include "group_internal.h"
#include "kafka_err.h"

static int set_protocols(struct group_member *m, const struct group_join_req *req)
{
    struct group_protocol *p = sk_calloc((size_t)req->n_protocols, sizeof(*p));
    if (!p)
        return SK_ENOMEM;
    for (int32_t i = 0; i < req->n_protocols; i++) {
        p[i].name = group_slice_dup(req->protocol_names[i]);
        if (!p[i].name || group_bytes_dup(req->protocol_metadata[i], &p[i].metadata, &p[i].metadata_len)) {
            group_free_protocols(p, i + 1);
            return SK_ENOMEM;
        }
    }
    group_free_protocols(m->protocols, m->n_protocols);
    m->protocols = p;
    m->n_protocols = req->n_protocols;
    return 0;
}

static bool same_protocols(const struct group_member *m, const struct group_join_req *req)
{
    if (m->n_protocols != req->n_protocols)
        return false;
    for (int32_t i = 0; i < req->n_protocols; i++) {
        const struct group_protocol *p = &m->protocols[i];
        struct sk_slice md = req->protocol_metadata[i];
        int32_t len = md.len > 0 ? md.len : 0;
        if (!group_slice_is(req->protocol_names[i], p->name) || len != p->metadata_len ||
            (len && memcmp(md.ptr, p->metadata, (size_t)len) != 0))
            return false;
    }
    return true;
}

/* Kafka's GroupMetadata.supportsProtocols: the joining member (whose id is
 * `self`, NULL when new) must share at least one protocol with every other
 * member, and the protocol type must match. */
static bool supports_protocols(const struct group *g, const struct group_join_req *req,
                               const struct group_member *self)
{
    if (group_slice_empty(req->protocol_type) || req->n_protocols == 0)
        return false;
    int32_t others = 0;
    for (int32_t i = 0; i < g->n_members; i++)
        others += g->members[i] != self;
    if (others == 0)
        return true;
    if (!group_slice_is(req->protocol_type, g->protocol_type))
        return false;
    for (int32_t p = 0; p < req->n_protocols; p++) {
        bool all = true;
        for (int32_t i = 0; i < g->n_members && all; i++) {
            const struct group_member *m = g->members[i];
            if (m == self)
                continue;
            bool has = false;
            for (int32_t k = 0; k < m->n_protocols && !has; k++)
                has = group_slice_is(req->protocol_names[p], m->protocols[k].name);
            all = has;
        }
        if (all)
            return true;
    }
    return false;
}

static struct group_member *new_member(struct group *g, const struct group_join_req *req)
{
    struct group_member *m = sk_calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    char id[SK_GROUP_ID_BYTES_MAX + 96];
    int n = snprintf(id, sizeof(id), "%.*s-%s-%llu", req->client_id.len > 0 ? req->client_id.len : 0,
                     req->client_id.ptr ? (const char *)req->client_id.ptr : "", g->settings->member_id_salt,
                     (unsigned long long)++g->next_member_seq);
    m->member_id = sk_strndup(id, n < (int)sizeof(id) ? (size_t)n : sizeof(id) - 1);
    m->instance_id = group_slice_dup(req->instance_id);
    m->client_id =
        group_slice_dup(req->client_id.ptr ? req->client_id : (struct sk_slice){(const uint8_t *)"", 0});
    m->client_host =
        group_slice_dup(req->client_host.ptr ? req->client_host : (struct sk_slice){(const uint8_t *)"", 0});
    if (!m->member_id || !m->client_id || !m->client_host || (req->instance_id.ptr && !m->instance_id) ||
        set_protocols(m, req) || group_add_member(g, m)) {
        group_free_member(m);
        return NULL;
    }
    return m;
}

/* m (just appended) takes old's place in the member list; old is answered
 * FENCED_INSTANCE_ID for anything it had parked and freed. */
static void replace_member(struct group *g, struct group_member *old, struct group_member *m)
{
    assert(g->n_members >= 2 && g->members[g->n_members - 1] == m);
    g->n_members--;
    for (int32_t i = 0; i < g->n_members; i++)
        if (g->members[i] == old)
            g->members[i] = m;
    if (old->join_ctx) {
        void *ctx = old->join_ctx;
        old->join_ctx = NULL;
        struct group_join_result res = {
            .error = KAFKA_FENCED_INSTANCE_ID, .generation = -1, .member_id = old->member_id, .g = g};
        g->ops->join_done(g->ops_arg, ctx, &res);
    }
    if (old->sync_ctx) {
        void *ctx = old->sync_ctx;
        old->sync_ctx = NULL;
        g->ops->sync_done(g->ops_arg, ctx, KAFKA_FENCED_INSTANCE_ID, NULL, 0);
    }
    group_free_member(old);
}

static int16_t join_precheck(const struct group *g, const struct group_join_req *req)
{
    if (g->state == GROUP_DEAD)
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    if (req->session_timeout_ms < g->settings->min_session_timeout_ms ||
        req->session_timeout_ms > g->settings->max_session_timeout_ms)
        return KAFKA_INVALID_SESSION_TIMEOUT;
    if (req->n_protocols > SK_GROUP_PROTOCOLS_MAX)
        return KAFKA_INCONSISTENT_GROUP_PROTOCOL;
    return KAFKA_NONE;
}

static void join_fail(struct group *g, void *ctx, struct sk_slice member_id, int16_t error)
{
    char *id = group_slice_dup(member_id);
    struct group_join_result res = {.error = error, .generation = -1, .member_id = id ? id : "", .g = g};
    g->ops->join_done(g->ops_arg, ctx, &res);
    sk_free(id);
}

/* A known member's JoinGroup: rebalance if it changes anything or comes from
 * the leader (who may have new topic metadata), else hand back the current
 * generation (the member lost its previous response). */
static void join_known(struct group *g, struct group_member *m, const struct group_join_req *req, void *ctx,
                       int64_t now_ms)
{
    if (m->join_ctx) { /* a retry replaces the earlier parked attempt */
        void *old = m->join_ctx;
        m->join_ctx = NULL;
        join_fail(g, old, (struct sk_slice){(const uint8_t *)m->member_id, (int32_t)strlen(m->member_id)},
                  KAFKA_REBALANCE_IN_PROGRESS);
    }
    bool changed = !same_protocols(m, req);
    bool leader = g->leader_id && strcmp(g->leader_id, m->member_id) == 0;
    m->session_timeout_ms = req->session_timeout_ms;
    m->rebalance_timeout_ms = req->rebalance_timeout_ms;
    m->session_deadline_ms = now_ms + m->session_timeout_ms;
    if (changed && set_protocols(m, req)) {
        join_fail(g, ctx, req->member_id, KAFKA_UNKNOWN_SERVER_ERROR);
        return;
    }
    m->join_ctx = ctx;
    switch (g->state) {
    case GROUP_PREPARING_REBALANCE:
        group_maybe_complete_join(g, now_ms);
        break;
    case GROUP_COMPLETING_REBALANCE:
    case GROUP_STABLE:
        if (changed || (g->state == GROUP_STABLE && leader))
            group_prepare_rebalance(g, now_ms);
        else
            group_answer_join(g, m, KAFKA_NONE);
        break;
    default:
        group_prepare_rebalance(g, now_ms);
        break;
    }
}

void group_join(struct group *g, const struct group_join_req *req, void *ctx, int64_t now_ms)
{
    int16_t err = join_precheck(g, req);
    if (!err && !(g->n_members == 0 ? supports_protocols(g, req, NULL)
                                    : supports_protocols(g, req, group_find_member(g, req->member_id))))
        err = KAFKA_INCONSISTENT_GROUP_PROTOCOL;
    if (err) {
        join_fail(g, ctx, req->member_id, err);
        return;
    }
    struct group_member *m = NULL;
    if (!group_slice_empty(req->member_id)) {
        m = group_find_member(g, req->member_id);
        if (!m) {
            join_fail(g, ctx, req->member_id, KAFKA_UNKNOWN_MEMBER_ID);
            return;
        }
        if (req->instance_id.ptr && (!m->instance_id || !group_slice_is(req->instance_id, m->instance_id))) {
            join_fail(g, ctx, req->member_id, KAFKA_FENCED_INSTANCE_ID);
            return;
        }
        join_known(g, m, req, ctx, now_ms);
        return;
    }
    struct group_member *old = group_find_instance(g, req->instance_id);
    if (!old && g->n_members >= SK_GROUP_MEMBERS_MAX) {
        join_fail(g, ctx, req->member_id, KAFKA_GROUP_MAX_SIZE_REACHED);
        return;
    }
    bool was_empty = g->n_members == 0;
    m = new_member(g, req);
    if (!m) {
        join_fail(g, ctx, req->member_id, KAFKA_UNKNOWN_SERVER_ERROR);
        return;
    }
    if (was_empty) {
        sk_free(g->protocol_type);
        g->protocol_type = group_slice_dup(req->protocol_type);
    }
    m->session_timeout_ms = req->session_timeout_ms;
    m->rebalance_timeout_ms = req->rebalance_timeout_ms;
    m->session_deadline_ms = now_ms + m->session_timeout_ms;
    if (old) {
        /* KIP-345: a static member restarting takes over its old identity;
         * the old member id is fenced, and it keeps its assignment. */
        m->assignment = old->assignment;
        m->assignment_len = old->assignment_len;
        old->assignment = NULL;
        if (g->leader_id && strcmp(g->leader_id, old->member_id) == 0) {
            sk_free(g->leader_id);
            g->leader_id = sk_strdup(m->member_id);
        }
        replace_member(g, old, m);
        if (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE) {
            m->join_ctx = ctx;
            if (g->state == GROUP_STABLE && !(g->leader_id && strcmp(g->leader_id, m->member_id) == 0))
                group_answer_join(g, m, KAFKA_NONE);
            else
                group_prepare_rebalance(g, now_ms);
            return;
        }
    }
    m->join_ctx = ctx;
    if (g->state == GROUP_PREPARING_REBALANCE) {
        group_extend_initial_delay(g, now_ms);
        group_maybe_complete_join(g, now_ms);
    } else {
        group_prepare_rebalance(g, now_ms);
    }
}
