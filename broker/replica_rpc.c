/* Replication messages on the internal transport: struct replica_fetch_req
 * / resp <-> protobuf (proto/replication.proto), and the handlers the
 * transport calls for them.  Sizes were bounded by the transport's frame
 * cap before unpacking; strings are checked here before use. */
#include <string.h>

#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "raft/transport.h"
#include "replica_int.h"

static bool topic_ok(const char *s) { return s && s[0] && strlen(s) <= SK_TOPIC_NAME_MAX; }

int replica_send_fetch(struct replica_mgr *m, int32_t to, uint64_t corr, const struct replica_fetch_req *req)
{
    Skiff__Replication__ReplicaFetchRequest pm;
    skiff__replication__replica_fetch_request__init(&pm);
    pm.replica_id = req->replica_id;
    pm.broker_epoch = req->broker_epoch;
    pm.topic = (char *)req->topic;
    pm.partition = req->partition;
    pm.leader_epoch = req->leader_epoch;
    pm.fetch_offset = req->fetch_offset;
    pm.last_fetched_epoch = req->last_fetched_epoch;
    pm.max_bytes = req->max_bytes;
    Skiff__Raft__Envelope env;
    skiff__raft__envelope__init(&env);
    env.correlation_id = corr;
    env.sender_id = (uint64_t)m->self;
    env.body_case = SKIFF__RAFT__ENVELOPE__BODY_REPLICA_FETCH_REQUEST;
    env.replica_fetch_request = &pm;
    return raft_transport_send(m->tr, (uint64_t)to, &env);
}

int replica_send_response(struct replica_mgr *m, int32_t to, uint64_t corr, const struct replica_fetch_resp *resp)
{
    Skiff__Replication__ReplicaFetchResponse pm;
    skiff__replication__replica_fetch_response__init(&pm);
    pm.error_code = resp->error_code;
    pm.leader_id = resp->leader_id;
    pm.broker_epoch = resp->broker_epoch;
    pm.topic = (char *)resp->topic;
    pm.partition = resp->partition;
    pm.leader_epoch = resp->leader_epoch;
    pm.fetch_offset = resp->fetch_offset;
    pm.high_watermark = resp->high_watermark;
    pm.log_start_offset = resp->log_start_offset;
    pm.diverging = resp->diverging;
    pm.diverging_epoch = resp->diverging_epoch;
    pm.diverging_end_offset = resp->diverging_end_offset;
    pm.records.data = (uint8_t *)resp->records;
    pm.records.len = resp->records_len;
    Skiff__Raft__Envelope env;
    skiff__raft__envelope__init(&env);
    env.correlation_id = corr;
    env.sender_id = (uint64_t)m->self;
    env.body_case = SKIFF__RAFT__ENVELOPE__BODY_REPLICA_FETCH_RESPONSE;
    env.replica_fetch_response = &pm;
    return raft_transport_send(m->tr, (uint64_t)to, &env);
}

static void request_cb(void *arg, const Skiff__Raft__Envelope *env)
{
    struct replica_mgr *m = arg;
    const Skiff__Replication__ReplicaFetchRequest *pm = env->replica_fetch_request;
    if (!topic_ok(pm->topic) || pm->replica_id < 0 || (uint64_t)pm->replica_id != env->sender_id ||
        pm->max_bytes < 0) {
        SK_WARN("replica_fetch_refused", "sender=%llu reason=malformed", (unsigned long long)env->sender_id);
        return;
    }
    struct replica_fetch_req req = {
        .replica_id = pm->replica_id,
        .broker_epoch = pm->broker_epoch,
        .topic = pm->topic,
        .partition = pm->partition,
        .leader_epoch = pm->leader_epoch,
        .fetch_offset = pm->fetch_offset,
        .last_fetched_epoch = pm->last_fetched_epoch,
        .max_bytes = pm->max_bytes,
    };
    replica_leader_on_fetch(m, pm->replica_id, env->correlation_id, &req);
}

static void response_cb(void *arg, const Skiff__Raft__Envelope *env)
{
    struct replica_mgr *m = arg;
    const Skiff__Replication__ReplicaFetchResponse *pm = env->replica_fetch_response;
    if (!topic_ok(pm->topic)) {
        SK_WARN("replica_response_refused", "sender=%llu reason=malformed", (unsigned long long)env->sender_id);
        return;
    }
    struct replica_fetch_resp resp = {
        .error_code = (int16_t)pm->error_code,
        .leader_id = pm->leader_id,
        .broker_epoch = pm->broker_epoch,
        .topic = pm->topic,
        .partition = pm->partition,
        .leader_epoch = pm->leader_epoch,
        .fetch_offset = pm->fetch_offset,
        .high_watermark = pm->high_watermark,
        .log_start_offset = pm->log_start_offset,
        .diverging = pm->diverging,
        .diverging_epoch = pm->diverging_epoch,
        .diverging_end_offset = pm->diverging_end_offset,
        .records = pm->records.data,
        .records_len = pm->records.len,
    };
    replica_fetcher_on_response(m, env->correlation_id, &resp);
}

int replica_rpc_start(struct replica_mgr *m)
{
    int rc = raft_transport_handle(m->tr, SKIFF__RAFT__ENVELOPE__BODY_REPLICA_FETCH_REQUEST, request_cb, m);
    if (rc == SK_OK)
        rc = raft_transport_handle(m->tr, SKIFF__RAFT__ENVELOPE__BODY_REPLICA_FETCH_RESPONSE, response_cb, m);
    return rc;
}
