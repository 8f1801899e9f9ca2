/* One Kafka request in flight on a connection, from a whole frame to the
 * response bytes.  Responses leave a connection in request order (Kafka
 * mutes a channel while a request is in flight; clients pipeline and rely on
 * order), so a finished request waits behind unfinished ones. */
#ifndef SK_KREQ_H
#define SK_KREQ_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "kafka_proto.h"

struct broker;
struct kconn;

struct kreq {
    struct kconn *conn; /* borrowed; NULL once the connection is gone (response dropped) */
    struct kreq *next;  /* the connection's in-order queue */
    struct broker *broker;
    struct kafka_req_header hdr;
    uint8_t *frame; /* owned: the request bytes; decoded slices borrow from it */
    size_t frame_len;
    struct sk_arena arena;    /* decoded request and handler state */
    union kafka_any_req req;  /* decoded body */
    struct sk_writer body;    /* response body, written by the handler's encoder */
    bool done;
    bool no_response;         /* Produce acks=0 */
    int64_t received_us;
    /* Pending handlers (produce waits, fetch long polls) set these; cancel is
     * called when the request must be abandoned (connection closed or
     * shutdown) and must release everything the handler holds, after which
     * the request is freed without calling kreq_finish. */
    void *pending;
    void (*cancel)(struct kreq *r);
};

/* The handler is done: r->body holds the response body (or no_response is
 * set).  Sends every finished response at the head of the connection's queue.
 * Frees r if its connection is already gone. */
void kreq_finish(struct kreq *r);

#endif
