/* FindCoordinator: the coordinator of a group is the leader of its
 * __consumer_offsets partition (created here on first use).  Serving the API
 * also matters to clients that never use groups: librdkafka enables LZ4 only
 * when the broker lists FindCoordinator v0 (its feature map treats it as the
 * mark of a broker new enough for LZ4). */
#include "broker.h"
#include "group_coordinator.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"

int h_find_coordinator(struct broker *b, struct kreq *r)
{
    const struct kafka_find_coordinator_req *req = &r->req.find_coordinator;
    struct kafka_find_coordinator_resp resp = {0};
    resp.node_id = -1;
    resp.host = kafka_cstr("");
    resp.port = -1;
    int16_t err = KAFKA_COORDINATOR_NOT_AVAILABLE;
    if (req->key_type != KAFKA_COORDINATOR_GROUP) {
        resp.error_message = kafka_cstr("transactions are not supported");
    } else {
        err = group_coordinator_ensure_topic(b->groups);
        int32_t partition;
        if (!err)
            err = group_coordinator_owner(b->groups, req->key, &partition);
        /* A loading coordinator is still the coordinator: the group requests
         * that follow get COORDINATOR_LOAD_IN_PROGRESS and retry. */
        if (err == KAFKA_COORDINATOR_LOAD_IN_PROGRESS)
            err = KAFKA_NONE;
        /* Another node leads the partition: until the cluster's metadata can
         * name it, the client retries the lookup. */
        if (err == KAFKA_NOT_COORDINATOR)
            err = KAFKA_COORDINATOR_NOT_AVAILABLE;
    }
    resp.error_code = err;
    if (!err) {
        resp.node_id = b->cfg.node_id;
        resp.host = kafka_cstr(b->cfg.advertised.host);
        resp.port = b->cfg.advertised.port;
    }
    kafka_encode_find_coordinator_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}
