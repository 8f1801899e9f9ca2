/* Dispatch: which handler runs each Kafka API.  The versions come from the
 * codec's table (kafka_api_table: advertised and parsed ranges), so there is
 * one table of {api_key, versions} and this one adds only `run`.  Anything
 * outside it is answered the way Kafka does (connection closed), except
 * ApiVersions above our range, which gets an UNSUPPORTED_VERSION body in v0
 * shape (librdkafka's first request is ApiVersions v3). */
#ifndef SK_DISPATCH_H
#define SK_DISPATCH_H

#include <stdint.h>

#include "kafka_proto.h"

struct broker;
struct kreq;

/* Returns 0 when the response body is complete, SK_EAGAIN when the handler
 * parked the request and will call kreq_finish itself, or another negative
 * SK_E* code for an internal failure (the connection is closed). */
typedef int (*kafka_run_fn)(struct broker *b, struct kreq *r);

struct kafka_handler {
    const struct kafka_api_info *api; /* versions and name */
    kafka_run_fn run;
};

/* The handler for api_key, or NULL when the broker does not serve it (even if
 * the codec can decode it). */
const struct kafka_handler *dispatch_find(int16_t api_key);

#endif
