/* Consumer-group APIs: FindCoordinator (10), JoinGroup (11), Heartbeat (12),
 * LeaveGroup (13), SyncGroup (14), DescribeGroups (15), ListGroups (16).
 * OffsetCommit (8) and OffsetFetch (9) are in kafka_codec_offsets.c. */
#include "broker/kafka_codec.h"

#include "common/sk_err.h"

/* -------------------------------------------------------- FindCoordinator */

int kafka_decode_find_coordinator_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                      struct kafka_find_coordinator_req *out)
{
    (void)a;
    int rc = kc_check_version(KAFKA_API_FIND_COORDINATOR, version);
    if (rc)
        return rc;
    out->key = sk_read_str(r, false);
    out->key_type = version >= 1 ? sk_read_i8(r) : KAFKA_COORDINATOR_GROUP;
    return r->err;
}

void kafka_encode_find_coordinator_resp(struct sk_writer *w, int16_t version,
                                        const struct kafka_find_coordinator_resp *resp)
{
    if (version >= 1)
        sk_write_i32(w, resp->throttle_time_ms);
    sk_write_i16(w, resp->error_code);
    if (version >= 1)
        kc_put_nstr(w, resp->error_message);
    sk_write_i32(w, resp->node_id);
    kc_put_str(w, resp->host);
    sk_write_i32(w, resp->port);
}

/* -------------------------------------------------------------- JoinGroup */

int kafka_decode_join_group_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                struct kafka_join_group_req *out)
{
    int rc = kc_check_version(KAFKA_API_JOIN_GROUP, version);
    if (rc)
        return rc;
    out->group_id = sk_read_str(r, false);
    out->session_timeout_ms = sk_read_i32(r);
    out->rebalance_timeout_ms = version >= 1 ? sk_read_i32(r) : -1;
    out->member_id = sk_read_str(r, false);
    out->group_instance_id = version >= 5 ? sk_read_str(r, true) : KC_NULL_SLICE;
    out->protocol_type = sk_read_str(r, false);
    out->n_protocols = sk_read_array_len(r, KC_STR_MIN + KC_BYTES_MIN, SK_WIRE_ARRAY_MAX, false);
    out->protocols = kc_alloc_array(r, a, out->n_protocols, sizeof(*out->protocols));
    for (int32_t i = 0; out->protocols && i < out->n_protocols && !r->err; i++) {
        out->protocols[i].name = sk_read_str(r, false);
        out->protocols[i].metadata = sk_read_bytes(r, false);
    }
    return r->err;
}

void kafka_encode_join_group_resp(struct sk_writer *w, int16_t version,
                                  const struct kafka_join_group_resp *resp)
{
    if (version >= 2)
        sk_write_i32(w, resp->throttle_time_ms);
    sk_write_i16(w, resp->error_code);
    sk_write_i32(w, resp->generation_id);
    kc_put_str(w, resp->protocol_name);
    kc_put_str(w, resp->leader);
    kc_put_str(w, resp->member_id);
    int32_t n = KC_LEN(resp->members, resp->n_members);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++) {
        kc_put_str(w, resp->members[i].member_id);
        if (version >= 5)
            kc_put_nstr(w, resp->members[i].group_instance_id);
        kc_put_bytes(w, resp->members[i].metadata);
    }
}

/* -------------------------------------------------------------- Heartbeat */

int kafka_decode_heartbeat_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                               struct kafka_heartbeat_req *out)
{
    (void)a;
    int rc = kc_check_version(KAFKA_API_HEARTBEAT, version);
    if (rc)
        return rc;
    out->group_id = sk_read_str(r, false);
    out->generation_id = sk_read_i32(r);
    out->member_id = sk_read_str(r, false);
    out->group_instance_id = version >= 3 ? sk_read_str(r, true) : KC_NULL_SLICE;
    return r->err;
}

void kafka_encode_heartbeat_resp(struct sk_writer *w, int16_t version,
                                 const struct kafka_heartbeat_resp *resp)
{
    if (version >= 1)
        sk_write_i32(w, resp->throttle_time_ms);
    sk_write_i16(w, resp->error_code);
}

/* ------------------------------------------------------------- LeaveGroup */

int kafka_decode_leave_group_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                 struct kafka_leave_group_req *out)
{
    int rc = kc_check_version(KAFKA_API_LEAVE_GROUP, version);
    if (rc)
        return rc;
    out->group_id = sk_read_str(r, false);
    if (version <= 2) {
        /* One member per request before v3 (KIP-345 batched them); present
         * it as a members array of one so handlers see a single shape. */
        out->member_id = sk_read_str(r, false);
        out->n_members = 1;
        out->members = kc_alloc_array(r, a, 1, sizeof(*out->members));
        if (out->members) {
            out->members[0].member_id = out->member_id;
            out->members[0].group_instance_id = KC_NULL_SLICE;
        }
        return r->err;
    }
    out->member_id = KC_NULL_SLICE;
    out->n_members = sk_read_array_len(r, 2 * KC_STR_MIN, SK_WIRE_ARRAY_MAX, false);
    out->members = kc_alloc_array(r, a, out->n_members, sizeof(*out->members));
    for (int32_t i = 0; out->members && i < out->n_members && !r->err; i++) {
        out->members[i].member_id = sk_read_str(r, false);
        out->members[i].group_instance_id = sk_read_str(r, true);
    }
    return r->err;
}

void kafka_encode_leave_group_resp(struct sk_writer *w, int16_t version,
                                   const struct kafka_leave_group_resp *resp)
{
    if (version >= 1)
        sk_write_i32(w, resp->throttle_time_ms);
    sk_write_i16(w, resp->error_code);
    if (version >= 3) {
        int32_t n = KC_LEN(resp->members, resp->n_members);
        kc_put_count(w, n);
        for (int32_t i = 0; i < n; i++) {
            kc_put_str(w, resp->members[i].member_id);
            kc_put_nstr(w, resp->members[i].group_instance_id);
            sk_write_i16(w, resp->members[i].error_code);
        }
    }
}

/* -------------------------------------------------------------- SyncGroup */

int kafka_decode_sync_group_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                struct kafka_sync_group_req *out)
{
    int rc = kc_check_version(KAFKA_API_SYNC_GROUP, version);
    if (rc)
        return rc;
    out->group_id = sk_read_str(r, false);
    out->generation_id = sk_read_i32(r);
    out->member_id = sk_read_str(r, false);
    out->group_instance_id = version >= 3 ? sk_read_str(r, true) : KC_NULL_SLICE;
    out->n_assignments = sk_read_array_len(r, KC_STR_MIN + KC_BYTES_MIN, SK_WIRE_ARRAY_MAX, false);
    out->assignments = kc_alloc_array(r, a, out->n_assignments, sizeof(*out->assignments));
    for (int32_t i = 0; out->assignments && i < out->n_assignments && !r->err; i++) {
        out->assignments[i].member_id = sk_read_str(r, false);
        out->assignments[i].assignment = sk_read_bytes(r, false);
    }
    return r->err;
}

void kafka_encode_sync_group_resp(struct sk_writer *w, int16_t version,
                                  const struct kafka_sync_group_resp *resp)
{
    if (version >= 1)
        sk_write_i32(w, resp->throttle_time_ms);
    sk_write_i16(w, resp->error_code);
    kc_put_bytes(w, resp->assignment);
}

/* --------------------------------------------------------- DescribeGroups */

int kafka_decode_describe_groups_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                     struct kafka_describe_groups_req *out)
{
    int rc = kc_check_version(KAFKA_API_DESCRIBE_GROUPS, version);
    if (rc)
        return rc;
    out->groups = kc_read_str_array(r, a, SK_WIRE_ARRAY_MAX, false, &out->n_groups);
    out->include_authorized_operations = version >= 3 ? sk_read_bool(r) : false;
    return r->err;
}

static void put_described_member(struct sk_writer *w, int16_t version, const struct kafka_described_member *m)
{
    kc_put_str(w, m->member_id);
    if (version >= 4)
        kc_put_nstr(w, m->group_instance_id);
    kc_put_str(w, m->client_id);
    kc_put_str(w, m->client_host);
    kc_put_bytes(w, m->member_metadata);
    kc_put_bytes(w, m->member_assignment);
}

void kafka_encode_describe_groups_resp(struct sk_writer *w, int16_t version,
                                       const struct kafka_describe_groups_resp *resp)
{
    if (version >= 1)
        sk_write_i32(w, resp->throttle_time_ms);
    int32_t n = KC_LEN(resp->groups, resp->n_groups);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++) {
        const struct kafka_described_group *g = &resp->groups[i];
        sk_write_i16(w, g->error_code);
        kc_put_str(w, g->group_id);
        kc_put_str(w, g->group_state);
        kc_put_str(w, g->protocol_type);
        kc_put_str(w, g->protocol_data);
        int32_t nm = KC_LEN(g->members, g->n_members);
        kc_put_count(w, nm);
        for (int32_t j = 0; j < nm; j++)
            put_described_member(w, version, &g->members[j]);
        if (version >= 3)
            sk_write_i32(w, g->authorized_operations);
    }
}

/* ------------------------------------------------------------- ListGroups */

int kafka_decode_list_groups_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                 struct kafka_list_groups_req *out)
{
    (void)a;
    out->unused = false;
    int rc = kc_check_version(KAFKA_API_LIST_GROUPS, version);
    return rc ? rc : r->err;
}

void kafka_encode_list_groups_resp(struct sk_writer *w, int16_t version,
                                   const struct kafka_list_groups_resp *resp)
{
    if (version >= 1)
        sk_write_i32(w, resp->throttle_time_ms);
    sk_write_i16(w, resp->error_code);
    int32_t n = KC_LEN(resp->groups, resp->n_groups);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++) {
        kc_put_str(w, resp->groups[i].group_id);
        kc_put_str(w, resp->groups[i].protocol_type);
    }
}
