/* SaslHandshake (17) and SaslAuthenticate (36).  The raw SASL frames that
 * SaslHandshake v0 clients send afterwards (P10) carry no Kafka header and
 * are the network layer's concern, not this codec's. */
#include "broker/kafka_codec.h"

#include "common/sk_err.h"

int kafka_decode_sasl_handshake_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                    struct kafka_sasl_handshake_req *out)
{
    (void)a;
    int rc = kc_check_version(KAFKA_API_SASL_HANDSHAKE, version);
    if (rc)
        return rc;
    out->mechanism = sk_read_str(r, false);
    return r->err;
}

void kafka_encode_sasl_handshake_resp(struct sk_writer *w, int16_t version,
                                      const struct kafka_sasl_handshake_resp *resp)
{
    (void)version;
    sk_write_i16(w, resp->error_code);
    int32_t n = KC_LEN(resp->mechanisms, resp->n_mechanisms);
    kc_put_count(w, n);
    for (int32_t i = 0; i < n; i++)
        kc_put_str(w, resp->mechanisms[i]);
}

int kafka_decode_sasl_authenticate_req(struct sk_reader *r, int16_t version, struct sk_arena *a,
                                       struct kafka_sasl_authenticate_req *out)
{
    (void)a;
    int rc = kc_check_version(KAFKA_API_SASL_AUTHENTICATE, version);
    if (rc)
        return rc;
    out->auth_bytes = sk_read_bytes(r, false);
    return r->err;
}

void kafka_encode_sasl_authenticate_resp(struct sk_writer *w, int16_t version,
                                         const struct kafka_sasl_authenticate_resp *resp)
{
    sk_write_i16(w, resp->error_code);
    kc_put_nstr(w, resp->error_message);
    kc_put_bytes(w, resp->auth_bytes);
    if (version >= 1)
        sk_write_i64(w, resp->session_lifetime_ms);
}
