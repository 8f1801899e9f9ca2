/* Kafka RecordBatch v2 (magic 2): header parsing and validation.
 * Layout and offsets: Kafka docs implementation.html §5.3.  Used on produce,
 * on replica append, and when re-reading batches from disk in recovery and
 * before serving them. */
#ifndef SK_BATCH_H
#define SK_BATCH_H

#include <stddef.h>
#include <stdint.h>

#define BATCH_HEADER_BYTES 61
/* Bytes before batchLength's coverage starts: baseOffset(8) + batchLength(4). */
#define BATCH_LOG_OVERHEAD 12
#define BATCH_OFF_BASE_OFFSET 0
#define BATCH_OFF_LENGTH 8
#define BATCH_OFF_LEADER_EPOCH 12
#define BATCH_OFF_MAGIC 16
#define BATCH_OFF_CRC 17
#define BATCH_OFF_ATTRIBUTES 21
#define BATCH_OFF_LAST_OFFSET_DELTA 23
#define BATCH_OFF_BASE_TIMESTAMP 27
#define BATCH_OFF_MAX_TIMESTAMP 35
#define BATCH_OFF_PRODUCER_ID 43
#define BATCH_OFF_RECORDS_COUNT 57

#define BATCH_ATTR_COMPRESSION_MASK 0x07
#define BATCH_ATTR_TIMESTAMP_TYPE 0x08
#define BATCH_ATTR_TRANSACTIONAL 0x10
#define BATCH_ATTR_CONTROL 0x20

struct batch_hdr {
    int64_t base_offset;
    int32_t batch_length; /* bytes after this field */
    int32_t leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t records_count;
};

static inline size_t batch_total_bytes(const struct batch_hdr *h)
{
    return (size_t)h->batch_length + BATCH_LOG_OVERHEAD;
}
static inline int64_t batch_last_offset(const struct batch_hdr *h)
{
    return h->base_offset + h->last_offset_delta;
}

/* Reads the 61-byte header from p (len bytes available).  Checks only what is
 * needed to know the batch's extent: len >= 61, batch_length sane (>= 49, the
 * header after the length field), magic == 2.  Returns 0, SK_ETRUNC when fewer
 * than 61 bytes, or SK_ECORRUPT. */
int batch_parse_header(const uint8_t *p, size_t len, struct batch_hdr *out);

/* Full validation of exactly one batch occupying p[0..len): header as above,
 * batch_length + 12 == len, CRC-32C over bytes 21..end, records_count >= 1 and
 * last_offset_delta == records_count - 1 (for data batches), and for
 * uncompressed batches every record's framing walked to the end.
 * Returns 0 or SK_ECORRUPT. */
int batch_validate(const uint8_t *p, size_t len, struct batch_hdr *out);

/* Checks only the CRC of a batch whose header is already parsed. */
int batch_check_crc(const uint8_t *p, size_t len);

/* Rewrites baseOffset and partitionLeaderEpoch in place; both lie outside the
 * CRC so the batch stays valid. */
void batch_set_base_offset(uint8_t *p, int64_t base_offset);
void batch_set_leader_epoch(uint8_t *p, int32_t epoch);

#endif
