/* FindCoordinator.  Consumer groups are not served yet, so every lookup is
 * answered COORDINATOR_NOT_AVAILABLE (retriable): a group consumer keeps
 * retrying instead of being disconnected.  Serving the API also matters for
 * clients that never use groups: librdkafka enables LZ4 compression only
 * when the broker lists FindCoordinator v0 (its feature map treats it as the
 * mark of a broker new enough for LZ4). */
#include "broker.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"

int h_find_coordinator(struct broker *b, struct kreq *r)
{
    (void)b;
    struct kafka_find_coordinator_resp resp = {0};
    resp.error_code = KAFKA_COORDINATOR_NOT_AVAILABLE;
    resp.error_message = kafka_cstr("consumer groups are not available on this broker yet");
    resp.node_id = -1;
    resp.host = kafka_cstr("");
    resp.port = -1;
    kafka_encode_find_coordinator_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}
