#!/usr/bin/python3
"""Generates tests/unit/kafka_vectors.h: request bodies and golden response
bodies for every API and version Skiff parses, encoded by kafka_wire.py from
Kafka's JSON schemas.  The sample values here are mirrored by hand in
tests/unit/kafka_samples.h (requests: expected decoded fields; responses: the
structs the C encoder is given); keep the two in step.

Usage: KAFKA_SCHEMAS=/path/to/message/dir tests/unit/gen_kafka_vectors.py > tests/unit/kafka_vectors.h"""

import sys

import kafka_wire as kw

RECS = bytes(range(70))  # opaque to the codec

# (schema name, api key, first and last parsed version)
APIS = [
    ("Produce", 0, 3, 7), ("Fetch", 1, 4, 11), ("ListOffsets", 2, 1, 3), ("Metadata", 3, 0, 6),
    ("OffsetCommit", 8, 2, 7), ("OffsetFetch", 9, 1, 5), ("FindCoordinator", 10, 0, 2),
    ("JoinGroup", 11, 2, 5), ("Heartbeat", 12, 1, 3), ("LeaveGroup", 13, 1, 3), ("SyncGroup", 14, 1, 3),
    ("DescribeGroups", 15, 0, 4), ("ListGroups", 16, 0, 2), ("SaslHandshake", 17, 0, 1),
    ("ApiVersions", 18, 0, 2), ("CreateTopics", 19, 0, 4), ("DeleteTopics", 20, 0, 3),
    ("DeleteRecords", 21, 0, 1), ("InitProducerId", 22, 0, 1), ("DescribeConfigs", 32, 0, 2),
    ("AlterConfigs", 33, 0, 1), ("SaslAuthenticate", 36, 0, 1), ("CreatePartitions", 37, 0, 1),
]

REQ = {
    "Produce": {"TransactionalId": "tx", "Acks": -1, "TimeoutMs": 30000, "TopicData": [
        {"Name": "orders", "PartitionData": [{"Index": 3, "Records": RECS}, {"Index": 4, "Records": None}]}]},
    "Fetch": {"ReplicaId": -1, "MaxWaitMs": 500, "MinBytes": 1, "MaxBytes": 52428800, "IsolationLevel": 1,
              "SessionId": 7, "SessionEpoch": 9,
              "Topics": [{"Topic": "orders", "Partitions": [
                  {"Partition": 3, "CurrentLeaderEpoch": 5, "FetchOffset": 42, "LogStartOffset": 11,
                   "PartitionMaxBytes": 1048576}]}],
              "ForgottenTopicsData": [{"Topic": "old", "Partitions": [1, 2]}], "RackId": "rack-a"},
    "ListOffsets": {"ReplicaId": -1, "IsolationLevel": 1, "Topics": [{"Name": "orders", "Partitions": [
        {"PartitionIndex": 3, "Timestamp": -2}, {"PartitionIndex": 4, "Timestamp": 1600000000000}]}]},
    "Metadata": {"Topics": [{"Name": "orders"}, {"Name": "logs"}], "AllowAutoTopicCreation": False},
    "OffsetCommit": {"GroupId": "g1", "GenerationIdOrMemberEpoch": 4, "MemberId": "m-1", "GroupInstanceId": "inst",
                     "RetentionTimeMs": 86400000, "Topics": [{"Name": "orders", "Partitions": [
                         {"PartitionIndex": 3, "CommittedOffset": 42, "CommittedLeaderEpoch": 5,
                          "CommittedMetadata": "meta"},
                         {"PartitionIndex": 4, "CommittedOffset": 7, "CommittedLeaderEpoch": -1,
                          "CommittedMetadata": None}]}]},
    "OffsetFetch": {"GroupId": "g1", "Topics": [{"Name": "orders", "PartitionIndexes": [3, 4]}]},
    "FindCoordinator": {"Key": "g1", "KeyType": 1},
    "JoinGroup": {"GroupId": "g1", "SessionTimeoutMs": 45000, "RebalanceTimeoutMs": 300000, "MemberId": "",
                  "GroupInstanceId": "inst", "ProtocolType": "consumer", "Protocols": [
                      {"Name": "range", "Metadata": b"\x00\x01meta"}, {"Name": "roundrobin", "Metadata": b""}]},
    "Heartbeat": {"GroupId": "g1", "GenerationId": 4, "MemberId": "m-1", "GroupInstanceId": "inst"},
    "LeaveGroup": {"GroupId": "g1", "MemberId": "m-1", "Members": [
        {"MemberId": "m-1", "GroupInstanceId": None}, {"MemberId": "m-2", "GroupInstanceId": "inst"}]},
    "SyncGroup": {"GroupId": "g1", "GenerationId": 4, "MemberId": "m-1", "GroupInstanceId": "inst",
                  "Assignments": [{"MemberId": "m-1", "Assignment": b"\x00\x00abc"}]},
    "DescribeGroups": {"Groups": ["g1", "g2"], "IncludeAuthorizedOperations": True},
    "ListGroups": {},
    "SaslHandshake": {"Mechanism": "PLAIN"},
    "ApiVersions": {},
    "CreateTopics": {"Topics": [{"Name": "orders", "NumPartitions": 3, "ReplicationFactor": -1,
                                 "Assignments": [{"PartitionIndex": 0, "BrokerIds": [1, 2]}],
                                 "Configs": [{"Name": "cleanup.policy", "Value": "compact"},
                                             {"Name": "retention.ms", "Value": None}]}],
                     "timeoutMs": 60000, "validateOnly": True},
    "DeleteTopics": {"TopicNames": ["orders", "logs"], "TimeoutMs": 30000},
    "DeleteRecords": {"Topics": [{"Name": "orders", "Partitions": [{"PartitionIndex": 3, "Offset": 100}]}],
                      "TimeoutMs": 30000},
    "InitProducerId": {"TransactionalId": None, "TransactionTimeoutMs": 60000},
    "DescribeConfigs": {"Resources": [
        {"ResourceType": 2, "ResourceName": "orders", "ConfigurationKeys": None},
        {"ResourceType": 4, "ResourceName": "1", "ConfigurationKeys": ["log.retention.ms"]}],
        "IncludeSynonyms": True},
    "AlterConfigs": {"Resources": [{"ResourceType": 2, "ResourceName": "orders", "Configs": [
        {"Name": "retention.ms", "Value": "1000"}, {"Name": "cleanup.policy", "Value": None}]}],
        "ValidateOnly": True},
    "SaslAuthenticate": {"AuthBytes": b"\x00user\x00pass"},
    "CreatePartitions": {"Topics": [
        {"Name": "orders", "Count": 6, "Assignments": [{"BrokerIds": [1]}, {"BrokerIds": [2]}]},
        {"Name": "logs", "Count": 2, "Assignments": None}], "TimeoutMs": 30000, "ValidateOnly": False},
}

RESP = {
    "Produce": {"Responses": [{"Name": "orders", "PartitionResponses": [
        {"Index": 3, "ErrorCode": 0, "BaseOffset": 42, "LogAppendTimeMs": -1, "LogStartOffset": 0},
        {"Index": 4, "ErrorCode": 6, "BaseOffset": -1, "LogAppendTimeMs": -1, "LogStartOffset": -1}]}],
        "ThrottleTimeMs": 5},
    "Fetch": {"ThrottleTimeMs": 5, "ErrorCode": 0, "SessionId": 0, "Responses": [{"Topic": "orders", "Partitions": [
        {"PartitionIndex": 3, "ErrorCode": 0, "HighWatermark": 100, "LastStableOffset": 100, "LogStartOffset": 0,
         "AbortedTransactions": [], "PreferredReadReplica": -1, "Records": RECS},
        {"PartitionIndex": 4, "ErrorCode": 1, "HighWatermark": 10, "LastStableOffset": 10, "LogStartOffset": 2,
         "AbortedTransactions": [{"ProducerId": 77, "FirstOffset": 5}], "PreferredReadReplica": -1,
         "Records": b""}]}]},
    "ListOffsets": {"ThrottleTimeMs": 5, "Topics": [{"Name": "orders", "Partitions": [
        {"PartitionIndex": 3, "ErrorCode": 0, "Timestamp": -1, "Offset": 42}]}]},
    "Metadata": {"ThrottleTimeMs": 5, "Brokers": [
        {"NodeId": 1, "Host": "127.0.0.1", "Port": 9092, "Rack": None},
        {"NodeId": 2, "Host": "b2", "Port": 9192, "Rack": "r2"}],
        "ClusterId": "skiff-cluster", "ControllerId": 1, "Topics": [
            {"ErrorCode": 0, "Name": "orders", "IsInternal": False, "Partitions": [
                {"ErrorCode": 0, "PartitionIndex": 0, "LeaderId": 1, "ReplicaNodes": [1, 2], "IsrNodes": [1],
                 "OfflineReplicas": [2]}]},
            {"ErrorCode": 3, "Name": "missing", "IsInternal": False, "Partitions": []},
            {"ErrorCode": 0, "Name": "__consumer_offsets", "IsInternal": True, "Partitions": []}]},
    "OffsetCommit": {"ThrottleTimeMs": 5, "Topics": [{"Name": "orders", "Partitions": [
        {"PartitionIndex": 3, "ErrorCode": 0}, {"PartitionIndex": 4, "ErrorCode": 22}]}]},
    "OffsetFetch": {"ThrottleTimeMs": 5, "Topics": [{"Name": "orders", "Partitions": [
        {"PartitionIndex": 3, "CommittedOffset": 42, "CommittedLeaderEpoch": 5, "Metadata": "meta", "ErrorCode": 0},
        {"PartitionIndex": 4, "CommittedOffset": -1, "CommittedLeaderEpoch": -1, "Metadata": None,
         "ErrorCode": 0}]}], "ErrorCode": 14},
    "FindCoordinator": {"ThrottleTimeMs": 5, "ErrorCode": 0, "ErrorMessage": None, "NodeId": 1,
                        "Host": "127.0.0.1", "Port": 9092},
    "JoinGroup": {"ThrottleTimeMs": 5, "ErrorCode": 0, "GenerationId": 4, "ProtocolName": "range", "Leader": "m-1",
                  "MemberId": "m-2", "Members": [
                      {"MemberId": "m-1", "GroupInstanceId": None, "Metadata": b"\x00\x01"},
                      {"MemberId": "m-2", "GroupInstanceId": "inst", "Metadata": b""}]},
    "Heartbeat": {"ThrottleTimeMs": 5, "ErrorCode": 27},
    "LeaveGroup": {"ThrottleTimeMs": 5, "ErrorCode": 0, "Members": [
        {"MemberId": "m-1", "GroupInstanceId": None, "ErrorCode": 0},
        {"MemberId": "m-2", "GroupInstanceId": "inst", "ErrorCode": 25}]},
    "SyncGroup": {"ThrottleTimeMs": 5, "ErrorCode": 0, "Assignment": b"\x00\x00abc"},
    "DescribeGroups": {"ThrottleTimeMs": 5, "Groups": [
        {"ErrorCode": 0, "GroupId": "g1", "GroupState": "Stable", "ProtocolType": "consumer",
         "ProtocolData": "range", "Members": [
             {"MemberId": "m-1", "GroupInstanceId": "inst", "ClientId": "c1", "ClientHost": "/127.0.0.1",
              "MemberMetadata": b"md", "MemberAssignment": b"as"}],
         "AuthorizedOperations": -2147483648}]},
    "ListGroups": {"ThrottleTimeMs": 5, "ErrorCode": 0, "Groups": [
        {"GroupId": "g1", "ProtocolType": "consumer"}, {"GroupId": "g2", "ProtocolType": ""}]},
    "SaslHandshake": {"ErrorCode": 0, "Mechanisms": ["PLAIN", "SCRAM-SHA-256"]},
    "ApiVersions": {"ErrorCode": 0, "ApiKeys": [
        {"ApiKey": 0, "MinVersion": 0, "MaxVersion": 7}, {"ApiKey": 18, "MinVersion": 0, "MaxVersion": 2}],
        "ThrottleTimeMs": 5},
    "CreateTopics": {"ThrottleTimeMs": 5, "Topics": [
        {"Name": "orders", "ErrorCode": 0, "ErrorMessage": None},
        {"Name": "bad", "ErrorCode": 38, "ErrorMessage": "replication factor"}]},
    "DeleteTopics": {"ThrottleTimeMs": 5, "Responses": [
        {"Name": "orders", "ErrorCode": 0}, {"Name": "logs", "ErrorCode": 3}]},
    "DeleteRecords": {"ThrottleTimeMs": 5, "Topics": [{"Name": "orders", "Partitions": [
        {"PartitionIndex": 3, "LowWatermark": 100, "ErrorCode": 0}]}]},
    "InitProducerId": {"ThrottleTimeMs": 5, "ErrorCode": 0, "ProducerId": 1000, "ProducerEpoch": 2},
    "DescribeConfigs": {"ThrottleTimeMs": 5, "Results": [
        {"ErrorCode": 0, "ErrorMessage": None, "ResourceType": 2, "ResourceName": "orders", "Configs": [
            {"Name": "retention.ms", "Value": "604800000", "ReadOnly": False, "IsDefault": True, "ConfigSource": 5,
             "IsSensitive": False, "Synonyms": [{"Name": "log.retention.ms", "Value": "604800000", "Source": 5}]},
            {"Name": "sasl.password", "Value": None, "ReadOnly": True, "IsDefault": False, "ConfigSource": 4,
             "IsSensitive": True, "Synonyms": []}]}]},
    "AlterConfigs": {"ThrottleTimeMs": 5, "Responses": [
        {"ErrorCode": 0, "ErrorMessage": None, "ResourceType": 2, "ResourceName": "orders"},
        {"ErrorCode": 40, "ErrorMessage": "bad", "ResourceType": 4, "ResourceName": "1"}]},
    "SaslAuthenticate": {"ErrorCode": 0, "ErrorMessage": None, "AuthBytes": b"", "SessionLifetimeMs": 3600000},
    "CreatePartitions": {"ThrottleTimeMs": 5, "Results": [
        {"Name": "orders", "ErrorCode": 0, "ErrorMessage": None},
        {"Name": "logs", "ErrorCode": 37, "ErrorMessage": "too few"}]},
}

# The advertise column of the protocol notes, typed in again here so the C
# table is checked against an independent copy: (api key, min, max).
ADVERTISED = [(0, 0, 7), (1, 0, 11), (2, 0, 3), (3, 0, 6), (8, 0, 7), (9, 0, 5), (10, 0, 2), (11, 0, 5),
              (12, 0, 3), (13, 0, 3), (14, 0, 3), (15, 0, 4), (16, 0, 2), (17, 0, 1), (18, 0, 2), (19, 0, 4),
              (20, 0, 3), (21, 0, 1), (22, 0, 1), (32, 0, 2), (33, 0, 1), (36, 0, 1), (37, 0, 1)]


def c_array(name, data):
    lines = []
    for i in range(0, len(data), 16):
        lines.append("    " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",")
    body = "\n".join(lines) if data else "    0x00, /* empty body */"
    return "static const uint8_t %s[] = {\n%s\n};\n" % (name, body)


def main():
    out = ["/* Generated by tests/unit/gen_kafka_vectors.py from Kafka's JSON message schemas;",
           " * do not edit.  Sample values: see tests/unit/kafka_samples.h. */",
           "#ifndef KAFKA_VECTORS_H", "#define KAFKA_VECTORS_H", "", "#include <stddef.h>",
           "#include <stdint.h>", "", "struct kafka_vector {", "    int16_t api_key;", "    int16_t version;",
           "    const uint8_t *bytes;", "    size_t len;", "};", ""]
    reqs, resps = [], []
    for name, key, lo, hi in APIS:
        for v in range(lo, hi + 1):
            for kind, values, table in (("req", REQ, reqs), ("resp", RESP, resps)):
                suffix = "Request" if kind == "req" else "Response"
                data = kw.encode(name + suffix, v, values[name])
                cname = "%s_%d_v%d" % (kind, key, v)
                out.append(c_array(cname, data))
                table.append("    {%d, %d, %s, %d}," % (key, v, cname, len(data)))
    # P1: the reply to ApiVersions v3+ is the v0 shape with UNSUPPORTED_VERSION
    # and the advertised table.
    table_keys = [{"ApiKey": k, "MinVersion": a, "MaxVersion": b} for k, a, b in ADVERTISED]
    out.append(c_array("resp_api_versions_v3_error", kw.encode("ApiVersionsResponse", 0,
                                                               {"ErrorCode": 35, "ApiKeys": table_keys})))
    out.append(c_array("resp_api_versions_v2_table", kw.encode("ApiVersionsResponse", 2,
                                                               {"ErrorCode": 0, "ApiKeys": table_keys})))
    out.append("static const struct kafka_vector kafka_req_vectors[] __attribute__((unused)) = {")
    out += reqs
    out.append("};\n")
    out.append("static const struct kafka_vector kafka_resp_vectors[] __attribute__((unused)) = {")
    out += resps
    out.append("};\n")
    out.append("#endif")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
