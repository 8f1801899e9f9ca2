/* librdkafka plumbing shared by the skiff commands: handles, quiet logging,
 * and topic administration (lookup, create, wait, delete). */
#ifndef SK_CLIENT_RK_H
#define SK_CLIENT_RK_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "client/opts.h"

/* Admin requests and metadata lookups give up after this long by default. */
#define CLI_ADMIN_TIMEOUT_MS 30000

/* Creates a client handle of `type` for `bootstrap` with extra `props`
 * (may be NULL).  librdkafka's own log lines are kept out of the terminal
 * (set SKIFF_DEBUG=1 to see them); the last one is appended to errors from
 * cli_rk_last_log().  `opaque` becomes the handle's opaque.  `conf_hook`, if
 * non-NULL, sets the command's callbacks and default properties; it runs
 * before `props` are applied, so the user's properties win.
 * Returns NULL with a one-line reason in err. */
rd_kafka_t *cli_rk_new(rd_kafka_type_t type, const char *bootstrap, const struct cli_props *props,
                       void (*conf_hook)(rd_kafka_conf_t *conf), void *opaque, char *err, size_t err_len);

/* The last warning or error librdkafka logged (e.g. "Connect to ... failed:
 * Connection refused"), or "" if none; copied into buf. */
const char *cli_rk_last_log(char *buf, size_t len);

/* Admin request options with both timeouts set to timeout_ms. */
rd_kafka_AdminOptions_t *cli_admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op, int timeout_ms);
/* Waits for the result event of an admin request on q; NULL with err set
 * ("WHAT: reason") on timeout or a request-level error.  The caller destroys
 * the event. */
rd_kafka_event_t *cli_admin_wait(rd_kafka_queue_t *q, int timeout_ms, const char *what, char *err, size_t err_len);

/* Looks `topic` up in the cluster metadata (all topics, so the lookup never
 * auto-creates it).  SK_OK with *partitions set if it exists, SK_ENOENT if
 * not, SK_EIO with err on failure. */
int cli_topic_lookup(rd_kafka_t *rk, const char *topic, int timeout_ms, int *partitions, char *err,
                     size_t err_len);

/* Creates `topic` through the AdminClient.  configs may be NULL.  *existed
 * is set to 1 (and SK_OK returned) if the broker says it already exists. */
int cli_topic_create(rd_kafka_t *rk, const char *topic, int partitions, int replication_factor,
                     const struct cli_props *configs, int timeout_ms, int *existed, char *err,
                     size_t err_len);

/* Waits until metadata shows `topic` with every partition led (leader >= 0
 * and no partition error).  SK_OK, or SK_EIO with err at the deadline. */
int cli_topic_wait_ready(rd_kafka_t *rk, const char *topic, int timeout_ms, char *err, size_t err_len);

/* Deletes `topic`.  SK_ENOENT if the broker says it does not exist. */
int cli_topic_delete(rd_kafka_t *rk, const char *topic, int timeout_ms, char *err, size_t err_len);

/* Looks the topic up and creates it (partitions, replication factor) if
 * absent, then waits until it is ready.  Used by bench and quickstart paths. */
int cli_topic_ensure(rd_kafka_t *rk, const char *topic, int partitions, int replication_factor,
                     int timeout_ms, char *err, size_t err_len);

#endif
