/* FindCoordinator: the coordinator of a group is the leader of its
 * __consumer_offsets partition, as the metadata image names it (any node
 * answers for any group).  The topic is created through the controller on
 * first use; the request waits for that.  Serving the API also matters to
 * clients that never use groups: librdkafka enables LZ4 only when the broker
 * lists FindCoordinator v0 (its feature map treats it as the mark of a
 * broker new enough for LZ4). */
#include <string.h>

#include "broker.h"
#include "cluster.h"
#include "common/sk_err.h"
#include "group_coordinator.h"
#include "h_forward.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"
#include "metadata.h"

struct coord_ctx {
    struct broker *b;
    struct fwd_state *st;
};

/* The leader of the group's partition, if it can serve: this node (its
 * coordinator state decides) or another live broker. */
static int16_t locate(struct broker *b, const struct kafka_find_coordinator_req *req,
                      struct kafka_find_coordinator_resp *resp)
{
    const struct md_image *img = cluster_image(b->cluster);
    const struct md_topic *mt = md_topic_find(img, GROUP_OFFSETS_TOPIC, strlen(GROUP_OFFSETS_TOPIC));
    if (!mt)
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    int32_t leader = mt->parts[group_partition_for(req->key, mt->n_partitions)].leader;
    const struct md_broker *mb = md_broker_find(img, leader);
    if (leader < 0 || !mb || mb->fenced)
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    if (leader == cluster_self(b->cluster)) {
        int32_t partition;
        int16_t err = group_coordinator_owner(b->groups, req->key, &partition);
        /* A loading coordinator is still the coordinator: the group requests
         * that follow get COORDINATOR_LOAD_IN_PROGRESS and retry.  Not yet
         * elected here although the image says so: a moment later it is. */
        if (err == KAFKA_COORDINATOR_LOAD_IN_PROGRESS)
            err = KAFKA_NONE;
        if (err)
            return KAFKA_COORDINATOR_NOT_AVAILABLE;
    }
    resp->node_id = mb->id;
    resp->host = kafka_cstr(mb->host);
    resp->port = mb->port;
    return KAFKA_NONE;
}

static void coord_encode(struct kreq *r, void *arg)
{
    struct coord_ctx *x = arg;
    const struct kafka_find_coordinator_req *req = &r->req.find_coordinator;
    struct kafka_find_coordinator_resp resp = {0};
    resp.node_id = -1;
    resp.host = kafka_cstr("");
    resp.port = -1;
    int16_t err = KAFKA_COORDINATOR_NOT_AVAILABLE;
    if (req->key_type != KAFKA_COORDINATOR_GROUP)
        resp.error_message = kafka_cstr("transactions are not supported");
    else
        err = locate(x->b, req, &resp);
    resp.error_code = err;
    if (err) {
        resp.node_id = -1;
        resp.host = kafka_cstr("");
        resp.port = -1;
    }
    kafka_encode_find_coordinator_resp(&r->body, r->hdr.api_version, &resp);
}

int h_find_coordinator(struct broker *b, struct kreq *r)
{
    const struct kafka_find_coordinator_req *req = &r->req.find_coordinator;
    struct coord_ctx *x = sk_arena_calloc(&r->arena, 1, sizeof(*x));
    if (!x)
        return SK_ENOMEM;
    x->b = b;
    int rc = fwd_begin(b, r, 1, 0, coord_encode, x, &x->st);
    if (rc)
        return rc;
    const struct md_image *img = cluster_image(b->cluster);
    if (req->key_type == KAFKA_COORDINATOR_GROUP &&
        !md_topic_find(img, GROUP_OFFSETS_TOPIC, strlen(GROUP_OFFSETS_TOPIC))) {
        struct ctrl_req cr;
        group_coordinator_offsets_topic_req(b->groups, md_live_brokers(img), &cr);
        fwd_call(x->st, 0, &cr);
    }
    return fwd_end(x->st);
}
