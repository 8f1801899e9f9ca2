/* Metadata records on the wire and in the log: protobuf MetadataBatch
 * (proto/metadata.proto) <-> struct md_rec (metadata.h). */
#ifndef SK_METADATA_RECORDS_H
#define SK_METADATA_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "metadata.h"

struct Skiff__Metadata__MetadataBatch;

/* A decoded batch: recs borrow strings from pb; both freed by md_batch_free. */
struct md_batch {
    struct Skiff__Metadata__MetadataBatch *pb;
    struct md_rec *recs;
    size_t n;
};

/* Decodes and validates one log entry's batch (at most
 * SK_METADATA_BATCH_RECORDS_MAX records).  SK_ECORRUPT / SK_EINVAL /
 * SK_ELIMIT for bad input; *out needs md_batch_free only on success. */
int md_batch_decode(const uint8_t *data, size_t len, struct md_batch *out);
/* The same for a snapshot image (bounded by its byte size instead). */
int md_snapshot_decode(const uint8_t *data, size_t len, struct md_batch *out);
void md_batch_free(struct md_batch *b);

/* Encodes records into a new buffer (sk_malloc; the caller frees it). */
int md_batch_encode(const struct md_rec *recs, size_t n, uint8_t **out, size_t *len);
/* Encodes the whole image as the batch that rebuilds it from empty. */
int md_image_snapshot(const struct md_image *img, uint8_t **out, size_t *len);

#endif
