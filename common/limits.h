/* Every hard limit in Skiff lives here, each with the reason for its value
 * (after SQLite's sqliteLimit.h and TigerBeetle's constants.zig).  Configurable
 * limits (message.max.bytes, socket.request.max.bytes, ...) have their defaults
 * here and their ceilings checked against these by the config loader. */
#ifndef SK_LIMITS_H
#define SK_LIMITS_H

#include <assert.h>
#include <stdint.h>

/* --- Kafka front end -------------------------------------------------------- */

/* Default cap on one request frame (Kafka's socket.request.max.bytes default,
 * 100 MiB).  Checked against the 4-byte length prefix before any allocation. */
#define SK_SOCKET_REQUEST_MAX_BYTES_DEFAULT (100 * 1024 * 1024)
/* The configured cap may not exceed this: a frame is held in memory whole. */
#define SK_SOCKET_REQUEST_MAX_BYTES_MAX (1024 * 1024 * 1024)

/* Before a SASL client has authenticated it may only send frames this large
 * (Kafka CVE-2022-34917: unauthenticated requests exhausted broker memory).
 * Plaintext listeners have no authentication step and use the general cap. */
#define SK_UNAUTH_FRAME_BYTES_MAX (64 * 1024)

/* Kafka's message.max.bytes default (1 MiB + record overhead in Kafka 3.x). */
#define SK_MESSAGE_MAX_BYTES_DEFAULT (1048588)

/* Strings in requests carry an int16 length, so 32767 is already the protocol's
 * ceiling; topic names are limited to 249 by Kafka itself. */
#define SK_TOPIC_NAME_MAX 249
#define SK_CLIENT_ID_MAX 32767

/* Array counts read from the wire are checked against the bytes left (each
 * element takes at least one byte) and against this absolute ceiling. */
#define SK_WIRE_ARRAY_MAX (1 << 20)

/* Memory the decoded form of one request may take in its arena.  Arrays are
 * bounded by the bytes left, but a decoded element is larger than its wire
 * form (a 2-byte topic name becomes a 16-byte slice), so a 100 MiB frame of
 * tiny elements could otherwise cost close to a gigabyte.  Real requests need
 * far less: record data is borrowed from the frame, not copied. */
#define SK_DECODE_ARENA_BYTES_MAX (64 * 1024 * 1024)

/* Broker ids in one replica assignment (CreateTopics, CreatePartitions).
 * The wire allows any int32 count; a list longer than any cluster Skiff runs
 * is nonsense, and this keeps such a request from costing memory. */
#define SK_WIRE_REPLICAS_MAX 1024

/* Requests in flight per connection before we stop reading from it.  Clients
 * pipeline (librdkafka keeps up to 1M in flight by default, in practice 5-ish
 * per partition leader); this bounds the memory one connection can pin. */
#define SK_CONN_INFLIGHT_MAX 64
/* Output bytes queued on a connection before we stop reading its requests. */
#define SK_CONN_OUTPUT_BYTES_MAX (64 * 1024 * 1024)
/* Open client connections per broker. */
#define SK_CONNECTIONS_MAX 4096

/* Fetch: the response cap if the client asked for more (Kafka's default
 * fetch.max.bytes is 50 MiB). */
#define SK_FETCH_RESPONSE_BYTES_MAX (64 * 1024 * 1024)
/* Fetch long-poll wait ceiling; clients use 500 ms (librdkafka, kafka-python)
 * to 5 s (kafkajs). */
#define SK_FETCH_MAX_WAIT_MS_MAX (60 * 1000)

/* Allocations below this come from the heap rather than a fresh mapping (see
 * broker/main.c): a fetch response is at most a few partitions of 1 MiB each,
 * and a produce frame at most message.max.bytes in the common case. */
#define SK_MALLOC_MMAP_THRESHOLD_BYTES (32 * 1024 * 1024)

/* --- topics and partitions -------------------------------------------------- */

#define SK_PARTITIONS_PER_TOPIC_MAX 10000
#define SK_TOPICS_MAX 100000

/* --- storage ---------------------------------------------------------------- */

/* One RecordBatch v2 header is 61 bytes; anything shorter is corrupt. */
#define SK_BATCH_HEADER_BYTES 61
/* The log.segment.bytes ceiling: segment positions are stored as uint32 in the
 * offset index (Kafka's limit too). */
#define SK_SEGMENT_BYTES_MAX INT32_MAX
#define SK_SEGMENT_BYTES_MIN (14)
/* Sparse index: one entry per this many bytes of log (Kafka's
 * log.index.interval.bytes default). */
#define SK_INDEX_INTERVAL_BYTES 4096
/* Preallocated index size per segment (Kafka's segment.index.bytes, 10 MiB):
 * 8 bytes per offset entry, 12 per time entry. */
#define SK_INDEX_BYTES_MAX (10 * 1024 * 1024)
/* A batch found on disk longer than this is treated as corruption during
 * recovery rather than trusted for an allocation. */
#define SK_BATCH_BYTES_MAX (SK_SOCKET_REQUEST_MAX_BYTES_MAX)

/* --- internal protocol (Raft, replication, controller) ----------------------- */

/* One internal frame: 4-byte length then a protobuf Envelope.  Checked before
 * unpacking.  Replica fetches carry up to replica.fetch.max.bytes (1 MiB default)
 * per partition, so 64 MiB leaves room for many partitions. */
#define SK_INTERNAL_FRAME_BYTES_MAX (64 * 1024 * 1024)

/* --- skiff command-line tool (client/) ---------------------------------------- */

/* librdkafka properties given on one command line (--producer-props and the
 * like); real uses set a handful. */
#define SK_CLI_PROPS_MAX 64
/* Largest bench record: the broker's message.max.bytes ceiling is far lower
 * by default, and the tool holds one payload buffer of this size. */
#define SK_CLI_RECORD_BYTES_MAX (64 * 1024 * 1024)
/* Topic names one `skiff topic` command may take. */
#define SK_CLI_TOPICS_MAX 1000
/* Config overrides one topic may carry as the tool sees them (Kafka defines
 * about 30 topic-level keys). */
#define SK_CLI_TOPIC_CONFIGS_MAX 256
/* A line `skiff produce` reads from stdin: a record's key and value. */
#define SK_CLI_LINE_BYTES_MAX (1024 * 1024)
/* A /v1/status document `skiff cluster status` reads over HTTP. */
#define SK_CLI_HTTP_RESPONSE_BYTES_MAX (16 * 1024 * 1024)

/* --- metrics and status (broker/metrics*.c, broker/status.c) ---------------- */

/* Collectors one registry holds: one per subsystem (requests, topics and logs,
 * flusher, later the controller, replication and groups). */
#define SK_METRICS_COLLECTORS_MAX 32
/* Kafka API keys counted per key; today's table ends at 37 (CreatePartitions)
 * and Kafka's own below 80.  Requests above it are still served, counted only
 * in the totals. */
#define SK_METRICS_API_KEYS_MAX 128
/* API versions counted per key (Kafka's highest version of any API is below 20). */
#define SK_METRICS_API_VERSIONS_MAX 32
/* Kafka error codes counted per API (Kafka's table ends near 120). */
#define SK_METRICS_ERROR_CODES_MAX 128
/* One sample's rendered label set ("topic=...,partition=..."): topic names
 * are at most 249 bytes, so this holds a topic, a partition and two more. */
#define SK_METRICS_LABELS_BYTES_MAX 1024

/* --- Raft ------------------------------------------------------------------- */

/* Members (voters + observers) of one Raft group.  The controller quorum is 3
 * or 5 voters in practice; a fixed small cap lets the core keep progress in
 * arrays and lets decoders reject absurd member lists before allocating. */
#define SK_RAFT_MEMBERS_MAX 16
/* One Raft log entry's payload.  Metadata records are small; this bounds what a
 * peer or a damaged log file can make us allocate for a single entry. */
#define SK_RAFT_ENTRY_BYTES_MAX (1024 * 1024)
/* Entries in one AppendEntries message (decoder cap, before allocation). */
#define SK_RAFT_MSG_ENTRIES_MAX 4096
/* Append messages in flight to one follower (flow control ceiling; the
 * configured value must not exceed it). */
#define SK_RAFT_INFLIGHT_MSGS_MAX 256
/* A snapshot is sent and held in memory whole. */
#define SK_RAFT_SNAPSHOT_BYTES_MAX (32 * 1024 * 1024)

/* --- cluster (metadata image, controller, replication) ------------------------ */

/* Brokers one cluster may register.  The image keeps them in a fixed array and
 * a registration beyond the cap is refused rather than grown into. */
#define SK_CLUSTER_BROKERS_MAX 64
/* Replicas of one partition.  Kafka has no hard cap; three to five is the
 * practice, and a fixed array per partition keeps the image simple. */
#define SK_REPLICATION_FACTOR_MAX 16
/* Config overrides one topic may carry in the metadata log. */
#define SK_TOPIC_CONFIGS_MAX 64
/* Records one metadata batch (one Raft entry) may carry: a topic creation is
 * one topic record plus one record per partition. */
#define SK_METADATA_BATCH_RECORDS_MAX (SK_PARTITIONS_PER_TOPIC_MAX + 2)
/* Controller requests (admin, registrations, ISR changes) queued behind the
 * one in flight. */
#define SK_CONTROLLER_QUEUE_MAX 4096
/* --- consumer groups --------------------------------------------------------- */

/* Members of one group.  Kafka's group.max.size defaults to unlimited, but a
 * coordinator answers the leader's JoinGroup with every member's metadata in
 * one response, so a bound keeps that response and the stored group record
 * well inside a frame and a batch. */
#define SK_GROUP_MEMBERS_MAX 1000
/* Group ids, member ids, instance ids, client ids, protocol names and types
 * are Kafka strings (int16 length); ids beyond this are refused so a group's
 * stored record stays small. */
#define SK_GROUP_ID_BYTES_MAX 255
/* Assignors one member may offer (clients offer one to three). */
#define SK_GROUP_PROTOCOLS_MAX 16
/* One member's subscription or assignment bytes: a consumer lists its topics
 * or partitions there; Kafka bounds it only by the request size. */
#define SK_GROUP_MEMBER_BYTES_MAX (256 * 1024)
/* Committed-offset metadata string (Kafka's offset.metadata.max.bytes default
 * 4096: OFFSET_METADATA_TOO_LARGE above). */
#define SK_OFFSET_METADATA_BYTES_MAX 4096
/* Bytes of __consumer_offsets read per step while a coordinator loads a
 * partition, so loading never stalls the event loop for long. */
#define SK_GROUP_LOAD_STEP_BYTES (1024 * 1024)
/* A client-chosen string as written into a log line (sk_log_value): long
 * enough to tell ids apart, short enough to keep lines readable. */
#define SK_LOG_VALUE_BYTES_MAX 128
/* A group partition whose replay waits for its high watermark to reach the
 * log end looks again this often: followers fetch within milliseconds. */
#define SK_GROUP_LOAD_RETRY_MS 10

static_assert((uint64_t)SK_GROUP_MEMBERS_MAX * 2 * SK_GROUP_MEMBER_BYTES_MAX < SK_SOCKET_REQUEST_MAX_BYTES_MAX,
              "a full group's metadata and assignments fit in one record batch");

/* --- config ------------------------------------------------------------------ */

#define SK_CONFIG_LINE_MAX 4096
#define SK_CONFIG_KEYS_MAX 512

static_assert(SK_UNAUTH_FRAME_BYTES_MAX < SK_SOCKET_REQUEST_MAX_BYTES_DEFAULT,
              "the pre-auth cap must be smaller than the general cap");
static_assert(SK_MESSAGE_MAX_BYTES_DEFAULT < SK_SOCKET_REQUEST_MAX_BYTES_DEFAULT,
              "a maximal batch must fit in a request frame");
static_assert(SK_SOCKET_REQUEST_MAX_BYTES_MAX <= INT32_MAX,
              "frame lengths are int32 on the wire");

static_assert(SK_RAFT_SNAPSHOT_BYTES_MAX + 4096 < SK_INTERNAL_FRAME_BYTES_MAX,
              "a snapshot must fit in one internal frame");
static_assert((uint64_t)SK_RAFT_ENTRY_BYTES_MAX * 8 < SK_INTERNAL_FRAME_BYTES_MAX,
              "several maximal entries must fit in one append frame");

#endif
