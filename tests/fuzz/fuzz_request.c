/* libFuzzer target for the Kafka request decoders.
 *
 * Input: [api_key int16][version int16][body...].  The whole input is also
 * read as a request header (its first 4 bytes are the header's api_key and
 * version).  Every body that decodes is answered through the error-response
 * builder, which walks the decoded structs and runs the matching response
 * encoder, so decoded pointers and counts are exercised end to end.
 * Invariants checked here abort (and so count as a crash). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/kafka_err.h"
#include "broker/kafka_proto.h"
#include "common/buf.h"
#include "common/limits.h"
#include "common/sk_err.h"

static void check(int cond, const char *what)
{
    if (!cond) {
        fprintf(stderr, "invariant violated: %s\n", what);
        abort();
    }
}

/* A decoded slice is null or lies inside the input. */
static void check_slice(struct sk_slice s, const uint8_t *base, size_t len)
{
    if (!s.ptr) {
        check(s.len == -1, "null slice has len -1");
        return;
    }
    check(s.len >= 0 && s.ptr >= base && (size_t)(s.ptr - base) + (size_t)s.len <= len, "slice inside input");
}

static void check_header(const uint8_t *data, size_t size)
{
    struct sk_reader r;
    struct kafka_req_header h;
    sk_reader_init(&r, data, size);
    int rc = kafka_decode_header(&r, &h);
    check(rc == 0 || rc == SK_ETRUNC || rc == SK_ECORRUPT, "header error code");
    if (rc == 0)
        check_slice(h.client_id, data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    check_header(data, size);
    int16_t api_key = (int16_t)sk_be16(data);
    int16_t version = (int16_t)sk_be16(data + 2);
    const uint8_t *body = data + 4;
    size_t body_len = size - 4;

    struct sk_arena a;
    sk_arena_init(&a);
    struct sk_reader r;
    sk_reader_init(&r, body, body_len);
    union kafka_any_req req;
    int rc = kafka_decode_request(api_key, version, &r, &a, &req);
    check(rc == 0 || rc == SK_ETRUNC || rc == SK_ECORRUPT || rc == SK_ELIMIT || rc == SK_EINVAL,
          "decode error code");
    check(a.total <= SK_DECODE_ARENA_BYTES_MAX, "arena within its cap");
    if (rc == 0) {
        check(r.off <= body_len, "reader within the body");
        struct sk_writer w;
        sk_writer_init(&w);
        int erc = kafka_encode_error_response(&w, api_key, version, &req, KAFKA_NOT_LEADER_OR_FOLLOWER, &a);
        check(erc == 0 || erc == SK_ENOMEM, "error response built");
        check(w.err == 0 || w.err == SK_ENOMEM, "writer error");
        sk_writer_free(&w);
    }
    sk_arena_free(&a);
    return 0;
}
