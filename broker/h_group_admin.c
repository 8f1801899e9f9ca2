/* DescribeGroups and ListGroups over the groups this node coordinates. */
#include <stdint.h>

#include "broker.h"
#include "common/sk_err.h"
#include "group_coordinator.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"

/* Kafka's GroupMetadata.summary: members' metadata and assignments only
 * while Stable; otherwise the member list alone. */
static int describe_one(struct broker *b, struct kreq *r, struct sk_slice id,
                        struct kafka_described_group *out)
{
    struct group *g = NULL;
    out->group_id = id;
    out->authorized_operations = INT32_MIN;
    out->error_code = group_coordinator_group(b->groups, id, false, &g);
    out->group_state = kafka_cstr(g ? group_state_name(g->state) : (out->error_code ? "" : "Dead"));
    if (!g || out->error_code)
        return 0;
    bool stable = g->state == GROUP_STABLE;
    out->protocol_type = kafka_cstr(g->protocol_type ? g->protocol_type : "");
    out->protocol_data = kafka_cstr(stable && g->protocol_name ? g->protocol_name : "");
    out->members = sk_arena_calloc(&r->arena, (size_t)g->n_members + 1, sizeof(*out->members));
    if (!out->members)
        return SK_ENOMEM;
    out->n_members = g->n_members;
    for (int32_t i = 0; i < g->n_members; i++) {
        const struct group_member *m = g->members[i];
        struct kafka_described_member *d = &out->members[i];
        d->member_id = kafka_cstr(m->member_id);
        d->group_instance_id = kafka_cstr(m->instance_id);
        d->client_id = kafka_cstr(m->client_id);
        d->client_host = kafka_cstr(m->client_host);
        if (stable) {
            d->member_metadata = group_member_metadata(m, g->protocol_name);
            d->member_assignment = (struct sk_slice){m->assignment ? m->assignment : (const uint8_t *)"",
                                                     m->assignment ? m->assignment_len : 0};
        }
    }
    return 0;
}

int h_describe_groups(struct broker *b, struct kreq *r)
{
    const struct kafka_describe_groups_req *req = &r->req.describe_groups;
    struct kafka_describe_groups_resp resp = {0};
    int32_t n = req->n_groups > 0 ? req->n_groups : 0;
    resp.groups = sk_arena_calloc(&r->arena, (size_t)n + 1, sizeof(*resp.groups));
    if (!resp.groups)
        return SK_ENOMEM;
    resp.n_groups = n;
    for (int32_t i = 0; i < n; i++) {
        int rc = describe_one(b, r, req->groups[i], &resp.groups[i]);
        if (rc)
            return rc;
    }
    kafka_encode_describe_groups_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}

int h_list_groups(struct broker *b, struct kreq *r)
{
    struct group_coordinator *gc = b->groups;
    struct kafka_list_groups_resp resp = {0};
    for (int32_t i = 0; i < gc->n_partitions; i++)
        if (gc->parts[i].state == GC_LOADING)
            resp.error_code = KAFKA_COORDINATOR_LOAD_IN_PROGRESS;
    resp.groups = sk_arena_calloc(&r->arena, gc->n_groups + 1, sizeof(*resp.groups));
    if (!resp.groups)
        return SK_ENOMEM;
    for (struct group *g = group_coordinator_next(gc, NULL); g && !resp.error_code;
         g = group_coordinator_next(gc, g)) {
        if (g->state == GROUP_DEAD || (size_t)resp.n_groups >= gc->n_groups)
            continue;
        resp.groups[resp.n_groups].group_id = kafka_cstr(g->group_id);
        resp.groups[resp.n_groups].protocol_type = kafka_cstr(g->protocol_type ? g->protocol_type : "");
        resp.n_groups++;
    }
    kafka_encode_list_groups_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}
