/* Kafka wire protocol: API keys, the request header, and one plain C struct per
 * request and response of every API Skiff speaks.
 *
 * Layers (docs/protocol.md): framing (network layer) -> decode (kafka_codec_*.c,
 * bytes to these structs) -> handler (structs only) -> encode (structs to the
 * response body).  Only non-flexible versions are implemented; field order and
 * per-version presence follow Apache Kafka's message schemas.
 *
 * Memory rules.
 * - Requests: every struct sk_slice (strings, bytes, record sets) is BORROWED
 *   from the request frame and valid while the frame lives.  Arrays live in the
 *   sk_arena passed to the decoder.  A null string/bytes has ptr == NULL and
 *   len == -1.  A nullable array that was null has count -1 and pointer NULL.
 *   Fields absent at the decoded version hold the schema's default value.
 * - Responses: the encoder only reads them; the caller owns everything.
 *   Strings and bytes are struct sk_slice (kafka_cstr() wraps a C string).  For
 *   a NULLABLE field ptr == NULL is written as null; for a non-nullable field
 *   ptr == NULL is written as the empty string / empty bytes, so a
 *   zero-initialised response is always well formed.  Arrays are pointer +
 *   int32 count.  Fields absent at the encoded version are skipped. */
#ifndef KAFKA_PROTO_H
#define KAFKA_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/arena.h"
#include "common/buf.h"

enum kafka_api_key {
    KAFKA_API_PRODUCE = 0,
    KAFKA_API_FETCH = 1,
    KAFKA_API_LIST_OFFSETS = 2,
    KAFKA_API_METADATA = 3,
    KAFKA_API_OFFSET_COMMIT = 8,
    KAFKA_API_OFFSET_FETCH = 9,
    KAFKA_API_FIND_COORDINATOR = 10,
    KAFKA_API_JOIN_GROUP = 11,
    KAFKA_API_HEARTBEAT = 12,
    KAFKA_API_LEAVE_GROUP = 13,
    KAFKA_API_SYNC_GROUP = 14,
    KAFKA_API_DESCRIBE_GROUPS = 15,
    KAFKA_API_LIST_GROUPS = 16,
    KAFKA_API_SASL_HANDSHAKE = 17,
    KAFKA_API_API_VERSIONS = 18,
    KAFKA_API_CREATE_TOPICS = 19,
    KAFKA_API_DELETE_TOPICS = 20,
    KAFKA_API_DELETE_RECORDS = 21,
    KAFKA_API_INIT_PRODUCER_ID = 22,
    /* Known but neither advertised nor parsed: no client we serve sends it. */
    KAFKA_API_OFFSET_FOR_LEADER_EPOCH = 23,
    KAFKA_API_DESCRIBE_CONFIGS = 32,
    KAFKA_API_ALTER_CONFIGS = 33,
    KAFKA_API_SASL_AUTHENTICATE = 36,
    KAFKA_API_CREATE_PARTITIONS = 37,
};

/* Wraps a NUL-terminated string (or NULL = null) as a slice for responses. */
static inline struct sk_slice kafka_cstr(const char *s)
{
    struct sk_slice v = {(const uint8_t *)s, s ? (int32_t)strlen(s) : -1};
    return v;
}

/* ------------------------------------------------------------------ versions */

/* One row per API: what ApiVersions advertises and what the decoder parses.
 * Advertised minimums are 0 everywhere because librdkafka enables features by
 * range overlap with low versions (README pitfall P2). */
struct kafka_api_info {
    int16_t api_key;
    const char *name;
    int16_t adv_min, adv_max;     /* listed in ApiVersions */
    int16_t parse_min, parse_max; /* implemented by kafka_decode_request */
};

/* The whole table (static storage), ordered by api_key. */
const struct kafka_api_info *kafka_api_table(size_t *n_out);
/* The row for api_key, or NULL when Skiff does not speak that API. */
const struct kafka_api_info *kafka_api_lookup(int16_t api_key);
/* True if kafka_decode_request can decode (api_key, version). */
bool kafka_api_supported(int16_t api_key, int16_t version);
/* "Produce", ... or "Unknown". */
const char *kafka_api_name(int16_t api_key);

/* ------------------------------------------------------------------ header */

/* Request header v1 (every non-flexible request).  For a flexible request
 * (in practice only ApiVersions v3+, README P1) this is the v1 prefix and the
 * caller does not parse the rest of the frame. */
struct kafka_req_header {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    struct sk_slice client_id; /* nullable; Kafka treats null as "" */
};

/* Reads the header v1; 0, SK_ETRUNC or SK_ECORRUPT (bad client_id length). */
int kafka_decode_header(struct sk_reader *r, struct kafka_req_header *out);

/* ------------------------------------------------------- per-API structs */

#include "broker/kafka_proto_admin.h"
#include "broker/kafka_proto_data.h"
#include "broker/kafka_proto_group.h"

/* ------------------------------------------------------------ entry points */

/* Decoders: r is positioned after the request header; `version` must be in
 * the API's parse range (else SK_EINVAL).  Returns 0, SK_ETRUNC (ran out of
 * bytes), SK_ECORRUPT (negative length other than -1, null where not
 * nullable), SK_ELIMIT (count above a limit from common/limits.h) or
 * SK_ENOMEM; on error *out is unspecified.  Bytes left over after the body
 * are tolerated, as Kafka does.  Decoders never touch broker state. */
#define KAFKA_DECODER(api)                                                                                   \
    int kafka_decode_##api##_req(struct sk_reader *r, int16_t version, struct sk_arena *a,                   \
                                 struct kafka_##api##_req *out)
/* Encoders write the response BODY only (the network layer writes the size
 * and the response header) at `version`, which must be inside the API's parse
 * range (ApiVersions: any).  Output errors are sticky in w->err. */
#define KAFKA_ENCODER(api)                                                                                   \
    void kafka_encode_##api##_resp(struct sk_writer *w, int16_t version,                                     \
                                   const struct kafka_##api##_resp *resp)

#define KAFKA_APIS(X)                                                                                        \
    X(produce, KAFKA_API_PRODUCE)                                                                            \
    X(fetch, KAFKA_API_FETCH)                                                                                \
    X(list_offsets, KAFKA_API_LIST_OFFSETS)                                                                  \
    X(metadata, KAFKA_API_METADATA)                                                                          \
    X(offset_commit, KAFKA_API_OFFSET_COMMIT)                                                                \
    X(offset_fetch, KAFKA_API_OFFSET_FETCH)                                                                  \
    X(find_coordinator, KAFKA_API_FIND_COORDINATOR)                                                          \
    X(join_group, KAFKA_API_JOIN_GROUP)                                                                      \
    X(heartbeat, KAFKA_API_HEARTBEAT)                                                                        \
    X(leave_group, KAFKA_API_LEAVE_GROUP)                                                                    \
    X(sync_group, KAFKA_API_SYNC_GROUP)                                                                      \
    X(describe_groups, KAFKA_API_DESCRIBE_GROUPS)                                                            \
    X(list_groups, KAFKA_API_LIST_GROUPS)                                                                    \
    X(sasl_handshake, KAFKA_API_SASL_HANDSHAKE)                                                              \
    X(api_versions, KAFKA_API_API_VERSIONS)                                                                  \
    X(create_topics, KAFKA_API_CREATE_TOPICS)                                                                \
    X(delete_topics, KAFKA_API_DELETE_TOPICS)                                                                \
    X(delete_records, KAFKA_API_DELETE_RECORDS)                                                              \
    X(init_producer_id, KAFKA_API_INIT_PRODUCER_ID)                                                          \
    X(describe_configs, KAFKA_API_DESCRIBE_CONFIGS)                                                          \
    X(alter_configs, KAFKA_API_ALTER_CONFIGS)                                                                \
    X(sasl_authenticate, KAFKA_API_SASL_AUTHENTICATE)                                                        \
    X(create_partitions, KAFKA_API_CREATE_PARTITIONS)

#define KAFKA_DECLARE_CODEC(api, key)                                                                        \
    KAFKA_DECODER(api);                                                                                      \
    KAFKA_ENCODER(api);
KAFKA_APIS(KAFKA_DECLARE_CODEC)
#undef KAFKA_DECLARE_CODEC

/* ApiVersions at version >= 3 (flexible, P1): kafka_encode_api_versions_resp
 * writes the v0-shaped body (error_code, api array) that Kafka sends, so the
 * handler sets error_code = UNSUPPORTED_VERSION and encodes with the request's
 * version.  kafka_decode_api_versions_req accepts any version >= 0 and parses
 * nothing at v3+ (body_unparsed). */

union kafka_any_req {
#define KAFKA_UNION_MEMBER(api, key) struct kafka_##api##_req api;
    KAFKA_APIS(KAFKA_UNION_MEMBER)
#undef KAFKA_UNION_MEMBER
};

union kafka_any_resp {
#define KAFKA_UNION_MEMBER(api, key) struct kafka_##api##_resp api;
    KAFKA_APIS(KAFKA_UNION_MEMBER)
#undef KAFKA_UNION_MEMBER
};

/* Decodes the body of (api_key, version) into the matching union member.
 * SK_EINVAL for an API/version outside the parse table (ApiVersions v3+ is
 * accepted, see above); otherwise as the per-API decoders. */
int kafka_decode_request(int16_t api_key, int16_t version, struct sk_reader *r, struct sk_arena *a,
                         union kafka_any_req *out);

/* Encodes the body of a response from the union member matching api_key.
 * Returns SK_EINVAL for an unknown api_key, else 0 (writer errors stay in w). */
int kafka_encode_response(struct sk_writer *w, int16_t api_key, int16_t version,
                          const union kafka_any_resp *resp);

/* Builds and encodes the response a request gets when the broker answers it
 * with one error everywhere: every topic/partition/resource/group of the
 * decoded request echoed with `error` (Kafka's AbstractRequest
 * getErrorResponse).  Arrays for the response come from `a`.  Returns 0,
 * SK_EINVAL (unknown api) or SK_ENOMEM.  Produce with acks=0 still encodes; the
 * caller decides not to send it (README framing notes). */
int kafka_encode_error_response(struct sk_writer *w, int16_t api_key, int16_t version,
                                const union kafka_any_req *req, int16_t error, struct sk_arena *a);

#endif
