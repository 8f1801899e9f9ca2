/* Generic entry points: decode any request / encode any response by api_key. */
#include "broker/kafka_codec.h"

#include "common/sk_err.h"

int kafka_decode_request(int16_t api_key, int16_t version, struct sk_reader *r, struct sk_arena *a,
                         union kafka_any_req *out)
{
    memset(out, 0, sizeof(*out));
    /* ApiVersions is answered at any version >= 0 (P1); its decoder accepts
     * v3+ without parsing the flexible body. */
    if (api_key != KAFKA_API_API_VERSIONS && !kafka_api_supported(api_key, version))
        return SK_EINVAL;
    switch (api_key) {
#define KAFKA_DECODE_CASE(api, key)                                                                          \
    case key:                                                                                                \
        return kafka_decode_##api##_req(r, version, a, &out->api);
        KAFKA_APIS(KAFKA_DECODE_CASE)
#undef KAFKA_DECODE_CASE
    default:
        return SK_EINVAL;
    }
}

int kafka_encode_response(struct sk_writer *w, int16_t api_key, int16_t version,
                          const union kafka_any_resp *resp)
{
    switch (api_key) {
#define KAFKA_ENCODE_CASE(api, key)                                                                          \
    case key:                                                                                                \
        kafka_encode_##api##_resp(w, version, &resp->api);                                                   \
        return 0;
        KAFKA_APIS(KAFKA_ENCODE_CASE)
#undef KAFKA_ENCODE_CASE
    default:
        return SK_EINVAL;
    }
}
