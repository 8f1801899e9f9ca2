/* One group's state machine; see group.h.  The rules follow Kafka's
 * GroupCoordinator (handleJoinGroup, handleSyncGroup, handleHeartbeat,
 * handleLeaveGroup, KIP-345 static membership, KIP-134 delayed initial
 * rebalance). */
#include "group.h"
#include "group_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "kafka_err.h"

const char *group_state_name(enum group_state s)
{
    switch (s) {
    case GROUP_EMPTY:
        return "Empty";
    case GROUP_PREPARING_REBALANCE:
        return "PreparingRebalance";
    case GROUP_COMPLETING_REBALANCE:
        return "CompletingRebalance";
    case GROUP_STABLE:
        return "Stable";
    case GROUP_DEAD:
        return "Dead";
    }
    return "Unknown";
}

bool group_slice_is(struct sk_slice s, const char *c)
{
    size_t n = s.len > 0 ? (size_t)s.len : 0;
    if (!c)
        return s.ptr == NULL;
    return s.ptr && strlen(c) == n && memcmp(s.ptr, c, n) == 0;
}

bool group_slice_empty(struct sk_slice s)
{
    return s.len <= 0;
}

char *group_slice_dup(struct sk_slice s)
{
    if (!s.ptr || s.len < 0)
        return NULL;
    return sk_strndup((const char *)s.ptr, (size_t)s.len);
}

/* Copies bytes; *out NULL for an empty value.  0 or SK_ENOMEM. */
int group_bytes_dup(struct sk_slice s, uint8_t **out, int32_t *len)
{
    *out = NULL;
    *len = s.len > 0 ? s.len : 0;
    if (*len == 0)
        return 0;
    *out = sk_malloc((size_t)*len);
    if (!*out)
        return SK_ENOMEM;
    memcpy(*out, s.ptr, (size_t)*len);
    return 0;
}

void group_set_state(struct group *g, enum group_state s, int64_t now_ms)
{
    if (g->state != s) {
        char id[SK_LOG_VALUE_BYTES_MAX];
        SK_INFO("group_state", "group=%s from=%s to=%s generation=%d members=%d",
                sk_log_value(id, sizeof(id), g->group_id), group_state_name(g->state), group_state_name(s),
                g->generation, g->n_members);
    }
    g->state = s;
    g->state_since_ms = now_ms;
}

/* ------------------------------------------------------------ members */

void group_free_protocols(struct group_protocol *p, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        sk_free(p[i].name);
        sk_free(p[i].metadata);
    }
    sk_free(p);
}

void group_free_member(struct group_member *m)
{
    if (!m)
        return;
    sk_free(m->member_id);
    sk_free(m->instance_id);
    sk_free(m->client_id);
    sk_free(m->client_host);
    group_free_protocols(m->protocols, m->n_protocols);
    sk_free(m->assignment);
    sk_free(m);
}

struct group_member *group_find_member(const struct group *g, struct sk_slice member_id)
{
    for (int32_t i = 0; i < g->n_members; i++)
        if (group_slice_is(member_id, g->members[i]->member_id))
            return g->members[i];
    return NULL;
}

struct group_member *group_find_instance(const struct group *g, struct sk_slice instance_id)
{
    if (!instance_id.ptr)
        return NULL;
    for (int32_t i = 0; i < g->n_members; i++)
        if (g->members[i]->instance_id && group_slice_is(instance_id, g->members[i]->instance_id))
            return g->members[i];
    return NULL;
}

struct sk_slice group_member_metadata(const struct group_member *m, const char *name)
{
    struct sk_slice none = {(const uint8_t *)"", 0};
    for (int32_t i = 0; name && i < m->n_protocols; i++)
        if (strcmp(m->protocols[i].name, name) == 0)
            return (struct sk_slice){m->protocols[i].metadata, m->protocols[i].metadata_len};
    return none;
}

int group_add_member(struct group *g, struct group_member *m)
{
    if (g->n_members == g->members_cap) {
        int32_t cap = g->members_cap ? g->members_cap * 2 : 4;
        struct group_member **grown = sk_realloc(g->members, (size_t)cap * sizeof(*grown));
        if (!grown)
            return SK_ENOMEM;
        g->members = grown;
        g->members_cap = cap;
    }
    g->members[g->n_members++] = m;
    return 0;
}

/* Unlinks and frees m, answering whatever it had parked. */
static void remove_member(struct group *g, struct group_member *m, int16_t error)
{
    if (m->join_ctx) {
        void *ctx = m->join_ctx;
        m->join_ctx = NULL;
        struct group_join_result res = {.error = error, .generation = -1, .member_id = m->member_id, .g = g};
        g->ops->join_done(g->ops_arg, ctx, &res);
    }
    if (m->sync_ctx) {
        void *ctx = m->sync_ctx;
        m->sync_ctx = NULL;
        g->ops->sync_done(g->ops_arg, ctx, error, NULL, 0);
    }
    for (int32_t i = 0; i < g->n_members; i++) {
        if (g->members[i] == m) {
            memmove(&g->members[i], &g->members[i + 1], (size_t)(g->n_members - i - 1) * sizeof(*g->members));
            g->n_members--;
            break;
        }
    }
    if (g->leader_id && strcmp(g->leader_id, m->member_id) == 0) {
        sk_free(g->leader_id);
        g->leader_id = NULL;
    }
    group_free_member(m);
}

static bool member_supports(const struct group_member *m, const char *name)
{
    for (int32_t i = 0; i < m->n_protocols; i++)
        if (strcmp(m->protocols[i].name, name) == 0)
            return true;
    return false;
}

/* Kafka's selectProtocol: among the protocols every member supports, each
 * member votes for the first one in its own preference order; most votes
 * wins (ties go to the earliest candidate of the first member). */
static const char *select_protocol(const struct group *g)
{
    const struct group_member *first = g->members[0];
    const char *best = NULL;
    int32_t best_votes = -1;
    for (int32_t c = 0; c < first->n_protocols; c++) {
        const char *cand = first->protocols[c].name;
        bool all = true;
        for (int32_t i = 1; i < g->n_members && all; i++)
            all = member_supports(g->members[i], cand);
        if (!all)
            continue;
        int32_t votes = 0;
        for (int32_t i = 0; i < g->n_members; i++) {
            const struct group_member *m = g->members[i];
            for (int32_t k = 0; k < m->n_protocols; k++) {
                bool common = true;
                for (int32_t j = 0; j < g->n_members && common; j++)
                    common = member_supports(g->members[j], m->protocols[k].name);
                if (common) {
                    votes += strcmp(m->protocols[k].name, cand) == 0;
                    break;
                }
            }
        }
        if (votes > best_votes) {
            best = cand;
            best_votes = votes;
        }
    }
    return best;
}

/* ------------------------------------------------------------ lifecycle */

struct group *group_new(const char *group_id, const struct group_settings *s, const struct group_ops *ops,
                        void *ops_arg, int64_t now_ms)
{
    struct group *g = sk_calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->group_id = sk_strdup(group_id);
    if (!g->group_id) {
        sk_free(g);
        return NULL;
    }
    g->settings = s;
    g->ops = ops;
    g->ops_arg = ops_arg;
    g->initial_join_start_ms = -1;
    g->coordinator_partition = -1;
    group_set_state(g, GROUP_EMPTY, now_ms);
    return g;
}

void group_unload(struct group *g, int16_t error)
{
    while (g->n_members > 0)
        remove_member(g, g->members[g->n_members - 1], error);
    g->state = GROUP_DEAD;
}

void group_free(struct group *g)
{
    if (!g)
        return;
    for (int32_t i = 0; i < g->n_members; i++) {
        assert(!g->members[i]->join_ctx && !g->members[i]->sync_ctx);
        group_free_member(g->members[i]);
    }
    sk_free(g->members);
    for (int32_t i = 0; i < g->n_offsets; i++) {
        sk_free(g->offsets[i].topic);
        sk_free(g->offsets[i].metadata);
    }
    sk_free(g->offsets);
    sk_free(g->group_id);
    sk_free(g->protocol_type);
    sk_free(g->protocol_name);
    sk_free(g->leader_id);
    sk_free(g);
}

void group_forget_ctx(struct group *g, void *ctx)
{
    for (int32_t i = 0; i < g->n_members; i++) {
        if (g->members[i]->join_ctx == ctx)
            g->members[i]->join_ctx = NULL;
        if (g->members[i]->sync_ctx == ctx)
            g->members[i]->sync_ctx = NULL;
    }
}

/* ------------------------------------------------------------ rebalance */

void group_answer_join(struct group *g, struct group_member *m, int16_t error)
{
    void *ctx = m->join_ctx;
    m->join_ctx = NULL;
    bool leader = g->leader_id && strcmp(g->leader_id, m->member_id) == 0;
    struct group_join_result res = {
        .error = error,
        .generation = g->generation,
        .protocol_name = g->protocol_name,
        .leader_id = g->leader_id,
        .member_id = m->member_id,
        .g = g,
        .n_members = leader && !error ? g->n_members : 0,
    };
    g->ops->join_done(g->ops_arg, ctx, &res);
}

/* Answers parked SyncGroups with `error` and drops assignments: the
 * generation being completed will not become Stable. */
static void reset_assignments(struct group *g, int16_t error)
{
    for (int32_t i = 0; i < g->n_members; i++) {
        struct group_member *m = g->members[i];
        sk_free(m->assignment);
        m->assignment = NULL;
        m->assignment_len = 0;
        if (m->sync_ctx) {
            void *ctx = m->sync_ctx;
            m->sync_ctx = NULL;
            g->ops->sync_done(g->ops_arg, ctx, error, NULL, 0);
        }
    }
    g->persist_pending = false;
}

static int32_t max_rebalance_timeout(const struct group *g)
{
    int32_t t = 0;
    for (int32_t i = 0; i < g->n_members; i++)
        if (g->members[i]->rebalance_timeout_ms > t)
            t = g->members[i]->rebalance_timeout_ms;
    return t;
}

static void complete_join(struct group *g, int64_t now_ms);

static bool all_joined(const struct group *g)
{
    for (int32_t i = 0; i < g->n_members; i++)
        if (!g->members[i]->join_ctx)
            return false;
    return true;
}

/* Ends the join phase early once every member has rejoined, except during
 * the delayed initial rebalance (KIP-134), which waits for more members. */
void group_maybe_complete_join(struct group *g, int64_t now_ms)
{
    if (g->state == GROUP_PREPARING_REBALANCE && g->initial_join_start_ms < 0 && all_joined(g))
        complete_join(g, now_ms);
}

void group_prepare_rebalance(struct group *g, int64_t now_ms)
{
    if (g->state == GROUP_COMPLETING_REBALANCE)
        reset_assignments(g, KAFKA_REBALANCE_IN_PROGRESS);
    bool initial = g->state == GROUP_EMPTY;
    group_set_state(g, GROUP_PREPARING_REBALANCE, now_ms);
    if (initial && g->settings->initial_rebalance_delay_ms > 0) {
        g->initial_join_start_ms = now_ms;
        g->rebalance_deadline_ms = now_ms + g->settings->initial_rebalance_delay_ms;
    } else {
        g->initial_join_start_ms = -1;
        g->rebalance_deadline_ms = now_ms + max_rebalance_timeout(g);
    }
    group_maybe_complete_join(g, now_ms);
}

/* A new member during the initial delay pushes the deadline out by another
 * delay, never beyond the rebalance timeout from the start. */
void group_extend_initial_delay(struct group *g, int64_t now_ms)
{
    if (g->initial_join_start_ms < 0)
        return;
    int64_t limit = g->initial_join_start_ms + max_rebalance_timeout(g);
    int64_t next = now_ms + g->settings->initial_rebalance_delay_ms;
    g->rebalance_deadline_ms = next < limit ? next : limit;
    if (g->rebalance_deadline_ms < now_ms)
        g->rebalance_deadline_ms = now_ms;
}

static void complete_join(struct group *g, int64_t now_ms)
{
    for (int32_t i = g->n_members - 1; i >= 0; i--)
        if (!g->members[i]->join_ctx)
            remove_member(g, g->members[i], KAFKA_UNKNOWN_MEMBER_ID);
    g->initial_join_start_ms = -1;
    g->generation++;
    sk_free(g->protocol_name);
    g->protocol_name = NULL;
    if (g->n_members == 0) {
        sk_free(g->leader_id);
        g->leader_id = NULL;
        group_set_state(g, GROUP_EMPTY, now_ms);
        /* The new (empty) generation is recorded so a coordinator that
         * reloads the group does not accept the old generation's members. */
        g->ops->persist(g->ops_arg, g);
        return;
    }
    const char *proto = select_protocol(g);
    g->protocol_name = proto ? sk_strdup(proto) : NULL;
    if (!g->leader_id)
        g->leader_id = sk_strdup(g->members[0]->member_id);
    group_set_state(g, GROUP_COMPLETING_REBALANCE, now_ms);
    for (int32_t i = 0; i < g->n_members; i++) {
        struct group_member *m = g->members[i];
        m->session_deadline_ms = now_ms + m->session_timeout_ms;
        group_answer_join(g, m, (g->protocol_name && g->leader_id) ? KAFKA_NONE : KAFKA_UNKNOWN_SERVER_ERROR);
    }
}

/* ------------------------------------------------------------ sync */

/* Common checks of SyncGroup, Heartbeat and OffsetCommit (Kafka's order:
 * unknown member, fenced static member, generation). */
static int16_t member_check(const struct group *g, struct sk_slice member_id, struct sk_slice instance_id,
                            int32_t generation, struct group_member **out)
{
    if (g->state == GROUP_DEAD)
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    struct group_member *m = group_find_member(g, member_id);
    struct group_member *by_instance = group_find_instance(g, instance_id);
    if (by_instance && by_instance != m)
        return KAFKA_FENCED_INSTANCE_ID;
    if (!m)
        return KAFKA_UNKNOWN_MEMBER_ID;
    if (instance_id.ptr && m->instance_id && !group_slice_is(instance_id, m->instance_id))
        return KAFKA_FENCED_INSTANCE_ID;
    if (generation != g->generation)
        return KAFKA_ILLEGAL_GENERATION;
    *out = m;
    return KAFKA_NONE;
}

static int store_assignments(struct group *g, const struct sk_slice *ids, const struct sk_slice *assignments,
                             int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        struct group_member *m = group_find_member(g, ids[i]);
        if (!m)
            continue; /* an assignment for a member that already left */
        sk_free(m->assignment);
        if (group_bytes_dup(assignments[i], &m->assignment, &m->assignment_len))
            return SK_ENOMEM;
    }
    return 0;
}

void group_sync(struct group *g, struct sk_slice member_id, struct sk_slice instance_id, int32_t generation,
                const struct sk_slice *assign_member_ids, const struct sk_slice *assignments,
                int32_t n_assignments, void *ctx, int64_t now_ms)
{
    struct group_member *m = NULL;
    int16_t err = member_check(g, member_id, instance_id, generation, &m);
    if (!err && g->state == GROUP_EMPTY)
        err = KAFKA_UNKNOWN_MEMBER_ID;
    if (!err && g->state == GROUP_PREPARING_REBALANCE)
        err = KAFKA_REBALANCE_IN_PROGRESS;
    if (err) {
        g->ops->sync_done(g->ops_arg, ctx, err, NULL, 0);
        return;
    }
    m->session_deadline_ms = now_ms + m->session_timeout_ms;
    if (g->state == GROUP_STABLE) {
        g->ops->sync_done(g->ops_arg, ctx, KAFKA_NONE, m->assignment, m->assignment_len);
        return;
    }
    /* CompletingRebalance: wait for the leader's assignment to be stored. */
    if (m->sync_ctx) {
        void *old = m->sync_ctx;
        m->sync_ctx = NULL;
        g->ops->sync_done(g->ops_arg, old, KAFKA_REBALANCE_IN_PROGRESS, NULL, 0);
    }
    m->sync_ctx = ctx;
    bool leader = g->leader_id && strcmp(g->leader_id, m->member_id) == 0;
    if (!leader || g->persist_pending)
        return;
    if (store_assignments(g, assign_member_ids, assignments, n_assignments)) {
        reset_assignments(g, KAFKA_UNKNOWN_SERVER_ERROR);
        group_prepare_rebalance(g, now_ms);
        return;
    }
    g->persist_pending = true;
    int16_t perr = g->ops->persist(g->ops_arg, g);
    if (perr)
        group_persisted(g, g->generation, perr, now_ms);
}

void group_persisted(struct group *g, int32_t generation, int16_t error, int64_t now_ms)
{
    if (g->state != GROUP_COMPLETING_REBALANCE || generation != g->generation || !g->persist_pending)
        return;
    g->persist_pending = false;
    if (error) {
        /* Kafka: the members rejoin and the leader assigns again. */
        reset_assignments(g, error);
        group_prepare_rebalance(g, now_ms);
        return;
    }
    group_set_state(g, GROUP_STABLE, now_ms);
    for (int32_t i = 0; i < g->n_members; i++) {
        struct group_member *m = g->members[i];
        m->session_deadline_ms = now_ms + m->session_timeout_ms;
        if (m->sync_ctx) {
            void *ctx = m->sync_ctx;
            m->sync_ctx = NULL;
            g->ops->sync_done(g->ops_arg, ctx, KAFKA_NONE, m->assignment, m->assignment_len);
        }
    }
}

/* ------------------------------------------------------------ heartbeat, leave, commit */

int16_t group_heartbeat(struct group *g, struct sk_slice member_id, struct sk_slice instance_id,
                        int32_t generation, int64_t now_ms)
{
    if (g->state == GROUP_EMPTY)
        return KAFKA_UNKNOWN_MEMBER_ID;
    struct group_member *m = NULL;
    int16_t err = member_check(g, member_id, instance_id, generation, &m);
    if (err)
        return err;
    m->session_deadline_ms = now_ms + m->session_timeout_ms;
    return g->state == GROUP_PREPARING_REBALANCE ? KAFKA_REBALANCE_IN_PROGRESS : KAFKA_NONE;
}

int16_t group_leave(struct group *g, struct sk_slice member_id, struct sk_slice instance_id, int64_t now_ms)
{
    if (g->state == GROUP_DEAD)
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    struct group_member *m;
    if (instance_id.ptr) {
        m = group_find_instance(g, instance_id);
        if (!m)
            return KAFKA_UNKNOWN_MEMBER_ID;
        if (!group_slice_empty(member_id) && !group_slice_is(member_id, m->member_id))
            return KAFKA_FENCED_INSTANCE_ID;
    } else {
        m = group_find_member(g, member_id);
        if (!m)
            return KAFKA_UNKNOWN_MEMBER_ID;
    }
    remove_member(g, m, KAFKA_UNKNOWN_MEMBER_ID);
    if (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE)
        group_prepare_rebalance(g, now_ms);
    else
        group_maybe_complete_join(g, now_ms);
    return KAFKA_NONE;
}

int16_t group_commit_check(struct group *g, struct sk_slice member_id, struct sk_slice instance_id,
                           int32_t generation, int64_t now_ms)
{
    if (g->state == GROUP_DEAD)
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    if (generation < 0 && group_slice_empty(member_id) && !instance_id.ptr)
        return g->n_members == 0 ? KAFKA_NONE : KAFKA_ILLEGAL_GENERATION;
    struct group_member *m = NULL;
    int16_t err = member_check(g, member_id, instance_id, generation, &m);
    if (err)
        return err;
    m->session_deadline_ms = now_ms + m->session_timeout_ms;
    /* The member knows the new generation but has no assignment yet. */
    return g->state == GROUP_COMPLETING_REBALANCE ? KAFKA_REBALANCE_IN_PROGRESS : KAFKA_NONE;
}

/* ------------------------------------------------------------ time */

/* A member waiting in JoinGroup during a rebalance or in SyncGroup is alive:
 * its client cannot heartbeat meanwhile. */
static bool kept_alive(const struct group *g, const struct group_member *m)
{
    return (m->join_ctx && g->state == GROUP_PREPARING_REBALANCE) || m->sync_ctx;
}

void group_tick(struct group *g, int64_t now_ms)
{
    if (g->state == GROUP_DEAD)
        return;
    bool expired = false;
    for (int32_t i = g->n_members - 1; i >= 0; i--) {
        struct group_member *m = g->members[i];
        if (!kept_alive(g, m) && now_ms >= m->session_deadline_ms) {
            remove_member(g, m, KAFKA_UNKNOWN_MEMBER_ID);
            expired = true;
        }
    }
    if (expired && (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE))
        group_prepare_rebalance(g, now_ms);
    if (g->state == GROUP_PREPARING_REBALANCE && now_ms >= g->rebalance_deadline_ms)
        complete_join(g, now_ms);
    else
        group_maybe_complete_join(g, now_ms);
}

int64_t group_next_deadline_ms(const struct group *g)
{
    int64_t next = INT64_MAX;
    if (g->state == GROUP_DEAD)
        return next;
    if (g->state == GROUP_PREPARING_REBALANCE)
        next = g->rebalance_deadline_ms;
    for (int32_t i = 0; i < g->n_members; i++) {
        const struct group_member *m = g->members[i];
        if (!kept_alive(g, m) && m->session_deadline_ms < next)
            next = m->session_deadline_ms;
    }
    return next;
}

/* ------------------------------------------------------------ restore */

static struct group_member *restored_member(const struct group_loaded_member *lm,
                                            struct sk_slice protocol_name, int64_t now_ms)
{
    struct group_member *m = sk_calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->member_id = group_slice_dup(lm->member_id);
    m->instance_id = group_slice_dup(lm->instance_id);
    m->client_id =
        group_slice_dup(lm->client_id.ptr ? lm->client_id : (struct sk_slice){(const uint8_t *)"", 0});
    m->client_host =
        group_slice_dup(lm->client_host.ptr ? lm->client_host : (struct sk_slice){(const uint8_t *)"", 0});
    m->session_timeout_ms = lm->session_timeout_ms;
    m->rebalance_timeout_ms = lm->rebalance_timeout_ms;
    m->session_deadline_ms = now_ms + lm->session_timeout_ms;
    m->protocols = sk_calloc(1, sizeof(*m->protocols));
    bool ok = m->member_id && m->client_id && m->client_host && m->protocols &&
              (!lm->instance_id.ptr || m->instance_id);
    if (ok) {
        m->n_protocols = 1;
        m->protocols[0].name = group_slice_dup(protocol_name);
        ok = m->protocols[0].name &&
             !group_bytes_dup(lm->subscription, &m->protocols[0].metadata, &m->protocols[0].metadata_len) &&
             !group_bytes_dup(lm->assignment, &m->assignment, &m->assignment_len);
    }
    if (!ok) {
        group_free_member(m);
        return NULL;
    }
    return m;
}

int group_restore(struct group *g, int32_t generation, struct sk_slice protocol_type,
                  struct sk_slice protocol_name, struct sk_slice leader_id,
                  const struct group_loaded_member *members, int32_t n_members, int64_t now_ms)
{
    group_unload(g, KAFKA_NOT_COORDINATOR); /* nothing is parked during a load */
    g->generation = generation;
    sk_free(g->protocol_type);
    sk_free(g->protocol_name);
    sk_free(g->leader_id);
    g->protocol_type = group_slice_dup(protocol_type);
    g->protocol_name = n_members > 0 ? group_slice_dup(protocol_name) : NULL;
    g->leader_id = n_members > 0 ? group_slice_dup(leader_id) : NULL;
    g->persist_pending = false;
    g->initial_join_start_ms = -1;
    group_set_state(g, GROUP_EMPTY, now_ms);
    if (n_members > 0 && (!g->protocol_name || !g->leader_id))
        return SK_ECORRUPT;
    for (int32_t i = 0; i < n_members; i++) {
        struct group_member *m = restored_member(&members[i], protocol_name, now_ms);
        if (!m || group_add_member(g, m)) {
            group_free_member(m);
            group_unload(g, KAFKA_NOT_COORDINATOR);
            g->state = GROUP_EMPTY;
            return SK_ENOMEM;
        }
    }
    if (n_members > 0)
        group_set_state(g, GROUP_STABLE, now_ms);
    return 0;
}
