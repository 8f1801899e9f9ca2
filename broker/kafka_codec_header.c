/* The request header and the version table (which APIs and versions Skiff
 * advertises and parses). */
#include "broker/kafka_codec.h"

#include "common/sk_err.h"

/* Advertised ranges start at 0 for every API (pitfall P2: librdkafka turns
 * features on by overlap with low versions) and stop below each API's first
 * flexible version.  Parse ranges cover every version the clients we serve
 * really send; docs/protocol.md has the table with reasons. */
static const struct kafka_api_info api_table[] = {
    {KAFKA_API_PRODUCE, "Produce", 0, 7, 3, 7},
    {KAFKA_API_FETCH, "Fetch", 0, 11, 4, 11},
    {KAFKA_API_LIST_OFFSETS, "ListOffsets", 0, 3, 1, 3},
    {KAFKA_API_METADATA, "Metadata", 0, 6, 0, 6},
    {KAFKA_API_OFFSET_COMMIT, "OffsetCommit", 0, 7, 2, 7},
    {KAFKA_API_OFFSET_FETCH, "OffsetFetch", 0, 5, 1, 5},
    {KAFKA_API_FIND_COORDINATOR, "FindCoordinator", 0, 2, 0, 2},
    {KAFKA_API_JOIN_GROUP, "JoinGroup", 0, 5, 2, 5},
    {KAFKA_API_HEARTBEAT, "Heartbeat", 0, 3, 1, 3},
    {KAFKA_API_LEAVE_GROUP, "LeaveGroup", 0, 3, 1, 3},
    {KAFKA_API_SYNC_GROUP, "SyncGroup", 0, 3, 1, 3},
    {KAFKA_API_DESCRIBE_GROUPS, "DescribeGroups", 0, 4, 0, 4},
    {KAFKA_API_LIST_GROUPS, "ListGroups", 0, 2, 0, 2},
    {KAFKA_API_SASL_HANDSHAKE, "SaslHandshake", 0, 1, 0, 1},
    {KAFKA_API_API_VERSIONS, "ApiVersions", 0, 2, 0, 2},
    {KAFKA_API_CREATE_TOPICS, "CreateTopics", 0, 4, 0, 4},
    {KAFKA_API_DELETE_TOPICS, "DeleteTopics", 0, 3, 0, 3},
    {KAFKA_API_DELETE_RECORDS, "DeleteRecords", 0, 1, 0, 1},
    {KAFKA_API_INIT_PRODUCER_ID, "InitProducerId", 0, 1, 0, 1},
    {KAFKA_API_DESCRIBE_CONFIGS, "DescribeConfigs", 0, 2, 0, 2},
    {KAFKA_API_ALTER_CONFIGS, "AlterConfigs", 0, 1, 0, 1},
    {KAFKA_API_SASL_AUTHENTICATE, "SaslAuthenticate", 0, 1, 0, 1},
    {KAFKA_API_CREATE_PARTITIONS, "CreatePartitions", 0, 1, 0, 1},
};

const struct kafka_api_info *kafka_api_table(size_t *n_out)
{
    *n_out = sizeof(api_table) / sizeof(api_table[0]);
    return api_table;
}

const struct kafka_api_info *kafka_api_lookup(int16_t api_key)
{
    for (size_t i = 0; i < sizeof(api_table) / sizeof(api_table[0]); i++)
        if (api_table[i].api_key == api_key)
            return &api_table[i];
    return NULL;
}

bool kafka_api_supported(int16_t api_key, int16_t version)
{
    const struct kafka_api_info *info = kafka_api_lookup(api_key);
    return info && version >= info->parse_min && version <= info->parse_max;
}

const char *kafka_api_name(int16_t api_key)
{
    const struct kafka_api_info *info = kafka_api_lookup(api_key);
    if (info)
        return info->name;
    return api_key == KAFKA_API_OFFSET_FOR_LEADER_EPOCH ? "OffsetForLeaderEpoch" : "Unknown";
}

int kafka_decode_header(struct sk_reader *r, struct kafka_req_header *out)
{
    out->api_key = sk_read_i16(r);
    out->api_version = sk_read_i16(r);
    out->correlation_id = sk_read_i32(r);
    out->client_id = sk_read_str(r, true);
    return r->err;
}
