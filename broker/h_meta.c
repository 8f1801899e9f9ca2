/* ApiVersions and Metadata. */
#include <string.h>

#include "broker.h"
#include "common/sk_err.h"
#include "dispatch.h"
#include "handlers.h"
#include "kafka_err.h"
#include "kreq.h"
#include "topics.h"
#include "cluster.h"
#include "h_forward.h"
#include "metadata.h"

char *h_arena_str(struct kreq *r, struct sk_slice s)
{
    return sk_arena_strndup(&r->arena, s.ptr ? (const char *)s.ptr : "", s.len > 0 ? (size_t)s.len : 0);
}

int16_t h_topic_error(int rc)
{
    switch (rc) {
    case 0:
        return KAFKA_NONE;
    case SK_EEXIST:
        return KAFKA_TOPIC_ALREADY_EXISTS;
    case SK_EINVAL:
        return KAFKA_INVALID_TOPIC_EXCEPTION;
    case SK_ERANGE:
        return KAFKA_INVALID_PARTITIONS;
    case SK_ECONFIG:
        return KAFKA_INVALID_CONFIG;
    case SK_ENOENT:
        return KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
    case SK_ELIMIT:
        return KAFKA_POLICY_VIOLATION;
    case SK_EIO:
    case SK_ENOSPACE:
        return KAFKA_KAFKA_STORAGE_ERROR;
    default:
        return KAFKA_UNKNOWN_SERVER_ERROR;
    }
}

/* Lists exactly the APIs that have a handler, so a client never picks an API
 * we would refuse. */
int h_api_versions(struct broker *b, struct kreq *r)
{
    (void)b;
    size_t n;
    const struct kafka_api_info *all = kafka_api_table(&n);
    struct kafka_api_info *served = sk_arena_calloc(&r->arena, n, sizeof(*served));
    if (!served)
        return SK_ENOMEM;
    struct kafka_api_versions_resp resp = {0};
    for (size_t i = 0; i < n; i++)
        if (dispatch_find(all[i].api_key))
            served[resp.n_apis++] = all[i];
    resp.apis = served;
    const struct kafka_api_info *self = kafka_api_lookup(KAFKA_API_API_VERSIONS);
    if (r->hdr.api_version > self->parse_max)
        resp.error_code = KAFKA_UNSUPPORTED_VERSION;
    kafka_encode_api_versions_resp(&r->body, r->hdr.api_version, &resp);
    return r->body.err;
}

/* One topic as the metadata image has it: leader, replicas, ISR and the
 * replicas on fenced or shut-down brokers (offline). */
static int fill_topic(struct broker *b, struct kreq *r, const struct md_topic *mt, struct kafka_metadata_topic *out)
{
    const struct md_image *img = cluster_image(b->cluster);
    out->name = kafka_cstr(sk_arena_strndup(&r->arena, mt->name, strlen(mt->name)));
    out->is_internal = mt->name[0] == '_' && mt->name[1] == '_';
    out->partitions = sk_arena_calloc(&r->arena, (size_t)mt->n_partitions + 1, sizeof(*out->partitions));
    if (!out->partitions || !out->name.ptr)
        return SK_ENOMEM;
    out->n_partitions = mt->n_partitions;
    for (int32_t i = 0; i < mt->n_partitions; i++) {
        const struct md_partition *st = &mt->parts[i];
        struct kafka_metadata_partition *p = &out->partitions[i];
        int32_t *ids = sk_arena_calloc(&r->arena, 3 * (size_t)st->n_replicas + 1, sizeof(*ids));
        if (!ids)
            return SK_ENOMEM;
        int32_t *isr = ids + st->n_replicas, *offline = isr + st->n_replicas;
        memcpy(ids, st->replicas, (size_t)st->n_replicas * sizeof(*ids));
        memcpy(isr, st->isr, (size_t)st->n_isr * sizeof(*ids));
        p->partition_index = i;
        p->leader_id = st->leader;
        p->error_code = st->leader == MD_NO_LEADER ? KAFKA_LEADER_NOT_AVAILABLE : KAFKA_NONE;
        p->replica_nodes = ids;
        p->n_replica_nodes = st->n_replicas;
        p->isr_nodes = isr;
        p->n_isr_nodes = st->n_isr;
        p->offline_replicas = offline;
        for (int32_t k = 0; k < st->n_replicas; k++)
            if (!md_broker_live(img, st->replicas[k]))
                offline[p->n_offline_replicas++] = st->replicas[k];
    }
    return 0;
}

struct meta_ctx {
    struct broker *b;
    struct fwd_state *st;
    struct kafka_metadata_resp resp;
    int32_t *slot_of; /* per requested topic: its auto-create slot, or -1 */
};

/* Every registered, unfenced broker with its advertised address, and the
 * active controller even if this node's image has not yet applied its
 * unfencing: clients (librdkafka's admin client) wait for the broker that
 * controller_id names to appear in the list. */
static int fill_brokers(struct broker *b, struct kreq *r, struct kafka_metadata_resp *resp)
{
    const struct md_image *img = cluster_image(b->cluster);
    int32_t controller = cluster_controller_id(b->cluster);
    resp->brokers = sk_arena_calloc(&r->arena, (size_t)img->n_brokers + 1, sizeof(*resp->brokers));
    if (!resp->brokers)
        return SK_ENOMEM;
    for (int32_t i = 0; i < img->n_brokers; i++) {
        const struct md_broker *mb = &img->brokers[i];
        if (mb->fenced && mb->id != controller)
            continue;
        struct kafka_metadata_broker *o = &resp->brokers[resp->n_brokers++];
        o->node_id = mb->id;
        o->host = kafka_cstr(sk_arena_strndup(&r->arena, mb->host, strlen(mb->host)));
        o->port = mb->port;
        o->rack = (struct sk_slice){NULL, -1};
    }
    resp->cluster_id = kafka_cstr(b->cfg.cluster_id);
    resp->controller_id = controller;
    return 0;
}

/* Built once every auto-creation has its answer, from the image as it is
 * then; a topic this node has not applied yet is LEADER_NOT_AVAILABLE, which
 * clients retry. */
static void meta_encode(struct kreq *r, void *arg)
{
    struct meta_ctx *x = arg;
    const struct kafka_metadata_req *req = &r->req.metadata;
    const struct md_image *img = cluster_image(x->b->cluster);
    int rc = fill_brokers(x->b, r, &x->resp);
    x->resp.n_topics = 0;
    if (req->all_topics) {
        for (int32_t i = 0; i < img->n_topics && !rc; i++)
            rc = fill_topic(x->b, r, img->topics[i], &x->resp.topics[x->resp.n_topics++]);
    }
    for (int32_t i = 0; !req->all_topics && i < req->n_topics && !rc; i++) {
        struct kafka_metadata_topic *out = &x->resp.topics[x->resp.n_topics++];
        struct sk_slice name = req->topics[i];
        const char *s = name.ptr ? (const char *)name.ptr : "";
        size_t len = name.len > 0 ? (size_t)name.len : 0;
        const struct md_topic *mt = md_topic_find(img, s, len);
        out->name = name;
        if (mt) {
            rc = fill_topic(x->b, r, mt, out);
        } else if (!topics_valid_name(s, len)) {
            out->error_code = KAFKA_INVALID_TOPIC_EXCEPTION;
        } else if (x->slot_of[i] >= 0) {
            int16_t e = fwd_code(x->st, x->slot_of[i]);
            out->error_code = e == KAFKA_NONE || e == KAFKA_TOPIC_ALREADY_EXISTS ? KAFKA_LEADER_NOT_AVAILABLE
                              : e == KAFKA_POLICY_VIOLATION                      ? KAFKA_POLICY_VIOLATION
                                                                                 : KAFKA_LEADER_NOT_AVAILABLE;
        } else {
            out->error_code = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
        }
    }
    if (rc) {
        r->body.err = rc;
        return;
    }
    kafka_encode_metadata_resp(&r->body, r->hdr.api_version, &x->resp);
}

int h_metadata(struct broker *b, struct kreq *r)
{
    const struct kafka_metadata_req *req = &r->req.metadata;
    const struct md_image *img = cluster_image(b->cluster);
    struct meta_ctx *x = sk_arena_calloc(&r->arena, 1, sizeof(*x));
    int32_t n_named = req->n_topics > 0 ? req->n_topics : 0;
    size_t n = req->all_topics ? (size_t)img->n_topics : (size_t)n_named;
    if (!x)
        return SK_ENOMEM;
    x->b = b;
    x->resp.topics = sk_arena_calloc(&r->arena, n + 1, sizeof(*x->resp.topics));
    x->slot_of = sk_arena_calloc(&r->arena, (size_t)n_named + 1, sizeof(*x->slot_of));
    if (!x->resp.topics || !x->slot_of)
        return SK_ENOMEM;
    int rc = fwd_begin(b, r, n_named, 0, meta_encode, x, &x->st);
    if (rc)
        return rc;
    bool create = !req->all_topics && req->allow_auto_topic_creation && b->cfg.auto_create_topics_enable;
    for (int32_t i = 0; i < n_named; i++) {
        struct sk_slice name = req->topics[i];
        const char *s = name.ptr ? (const char *)name.ptr : "";
        size_t len = name.len > 0 ? (size_t)name.len : 0;
        x->slot_of[i] = -1;
        if (!create || md_topic_find(img, s, len) || !topics_valid_name(s, len))
            continue;
        struct ctrl_req cr = {.op = CTRL_CREATE_TOPIC, .partitions = -1, .replication_factor = -1};
        cr.name = h_arena_str(r, name);
        x->slot_of[i] = i;
        fwd_call(x->st, i, &cr);
    }
    return fwd_end(x->st);
}
