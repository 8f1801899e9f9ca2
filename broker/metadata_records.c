/* Metadata records: protobuf (proto/metadata.proto) <-> struct md_rec.
 * Decoding validates every field before the image sees it: a record from
 * the log is input like any other (a damaged or hostile entry must be
 * refused, never asserted on). */
#include "metadata_records.h"

#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"
#include "proto/metadata.pb-c.h"

static void *pb_alloc(void *data, size_t size)
{
    (void)data;
    return sk_malloc(size);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    sk_free(p);
}

static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

static bool str_ok(const char *s, size_t max) { return s && strlen(s) <= max; }

static bool name_ok(const char *s) { return s && s[0] && strlen(s) <= SK_TOPIC_NAME_MAX; }

static int ids_in(int32_t *out, int32_t *n_out, const int32_t *in, size_t n)
{
    if (n > SK_REPLICATION_FACTOR_MAX)
        return SK_EINVAL;
    memcpy(out, in, n * sizeof(*in));
    *n_out = (int32_t)n;
    return SK_OK;
}

/* Config entries point into the protobuf message (borrowed). */
static int configs_in(struct md_config **out, int32_t *n_out, Skiff__Metadata__ConfigEntry **in, size_t n)
{
    *out = NULL;
    *n_out = 0;
    if (n > SK_TOPIC_CONFIGS_MAX)
        return SK_EINVAL;
    if (n == 0)
        return SK_OK;
    struct md_config *c = sk_calloc(n, sizeof(*c));
    if (!c)
        return SK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!str_ok(in[i]->key, SK_CONFIG_LINE_MAX) || !str_ok(in[i]->value, SK_CONFIG_LINE_MAX)) {
            sk_free(c);
            return SK_EINVAL;
        }
        c[i].key = in[i]->key;
        c[i].value = in[i]->value;
    }
    *out = c;
    *n_out = (int32_t)n;
    return SK_OK;
}

static int broker_in(const Skiff__Metadata__BrokerRecord *b, struct md_broker *o)
{
    if (b->broker_id < 0 || !str_ok(b->host, sizeof(o->host) - 1) ||
        !str_ok(b->internal_host, sizeof(o->internal_host) - 1) || b->port < 0 || b->port > 65535 ||
        b->internal_port < 0 || b->internal_port > 65535 || b->broker_epoch < 1)
        return SK_EINVAL;
    memset(o, 0, sizeof(*o));
    o->id = b->broker_id;
    o->incarnation_id = b->incarnation_id;
    o->epoch = b->broker_epoch;
    strcpy(o->host, b->host);
    o->port = b->port;
    strcpy(o->internal_host, b->internal_host);
    o->internal_port = b->internal_port;
    o->fenced = b->fenced;
    return SK_OK;
}

static int partition_in(const Skiff__Metadata__PartitionRecord *p, struct md_rec *o)
{
    if (!name_ok(p->topic))
        return SK_EINVAL;
    o->u.partition.topic = p->topic;
    o->u.partition.index = p->partition;
    struct md_partition *st = &o->u.partition.st;
    int rc = ids_in(st->replicas, &st->n_replicas, p->replicas, p->n_replicas);
    if (rc == SK_OK)
        rc = ids_in(st->isr, &st->n_isr, p->isr, p->n_isr);
    st->leader = p->leader;
    st->leader_epoch = p->leader_epoch;
    st->partition_epoch = p->partition_epoch;
    return rc == SK_OK && md_partition_valid(st) ? SK_OK : SK_EINVAL;
}

static int record_in(const Skiff__Metadata__MetadataRecord *r, struct md_rec *o)
{
    memset(o, 0, sizeof(*o));
    switch (r->body_case) {
    case SKIFF__METADATA__METADATA_RECORD__BODY_BROKER:
        o->type = MD_REC_BROKER;
        return broker_in(r->broker, &o->u.broker);
    case SKIFF__METADATA__METADATA_RECORD__BODY_BROKER_STATE:
        o->type = MD_REC_BROKER_STATE;
        o->u.state.id = r->broker_state->broker_id;
        o->u.state.epoch = r->broker_state->broker_epoch;
        o->u.state.fenced = r->broker_state->fenced;
        o->u.state.shutting_down = r->broker_state->shutting_down;
        return SK_OK;
    case SKIFF__METADATA__METADATA_RECORD__BODY_TOPIC:
        o->type = MD_REC_TOPIC;
        if (!name_ok(r->topic->name) || r->topic->partitions < 1 ||
            r->topic->partitions > SK_PARTITIONS_PER_TOPIC_MAX)
            return SK_EINVAL;
        o->u.topic.name = r->topic->name;
        o->u.topic.partitions = r->topic->partitions;
        return configs_in((struct md_config **)&o->u.topic.configs, &o->u.topic.n_configs, r->topic->configs,
                          r->topic->n_configs);
    case SKIFF__METADATA__METADATA_RECORD__BODY_PARTITION:
        o->type = MD_REC_PARTITION;
        return partition_in(r->partition, o);
    case SKIFF__METADATA__METADATA_RECORD__BODY_REMOVE_TOPIC:
        o->type = MD_REC_REMOVE_TOPIC;
        o->u.remove.name = r->remove_topic->name;
        return name_ok(r->remove_topic->name) ? SK_OK : SK_EINVAL;
    case SKIFF__METADATA__METADATA_RECORD__BODY_TOPIC_CONFIG:
        o->type = MD_REC_TOPIC_CONFIG;
        if (!name_ok(r->topic_config->name))
            return SK_EINVAL;
        o->u.config.name = r->topic_config->name;
        return configs_in((struct md_config **)&o->u.config.configs, &o->u.config.n_configs,
                          r->topic_config->configs, r->topic_config->n_configs);
    default:
        return SK_EINVAL;
    }
}

void md_batch_free(struct md_batch *b)
{
    for (size_t i = 0; b->recs && i < b->n; i++) {
        if (b->recs[i].type == MD_REC_TOPIC)
            sk_free((void *)b->recs[i].u.topic.configs);
        else if (b->recs[i].type == MD_REC_TOPIC_CONFIG)
            sk_free((void *)b->recs[i].u.config.configs);
    }
    sk_free(b->recs);
    if (b->pb)
        skiff__metadata__metadata_batch__free_unpacked(b->pb, &pb_allocator);
    memset(b, 0, sizeof(*b));
}

/* Snapshots are bounded by SK_RAFT_SNAPSHOT_BYTES_MAX instead of the
 * per-entry record cap. */
static int decode(const uint8_t *data, size_t len, size_t max_records, struct md_batch *out)
{
    memset(out, 0, sizeof(*out));
    out->pb = skiff__metadata__metadata_batch__unpack(&pb_allocator, len, data);
    if (!out->pb)
        return SK_ECORRUPT;
    int rc = SK_OK;
    size_t n = out->pb->n_records;
    if (n > max_records)
        rc = SK_ELIMIT;
    else if (n > 0 && !(out->recs = sk_calloc(n, sizeof(*out->recs))))
        rc = SK_ENOMEM;
    for (size_t i = 0; rc == SK_OK && i < n; i++) {
        rc = record_in(out->pb->records[i], &out->recs[i]);
        out->n = i + 1; /* what record_in allocated is freed by md_batch_free */
    }
    if (rc != SK_OK)
        md_batch_free(out);
    return rc;
}

int md_batch_decode(const uint8_t *data, size_t len, struct md_batch *out)
{
    return decode(data, len, SK_METADATA_BATCH_RECORDS_MAX, out);
}

int md_snapshot_decode(const uint8_t *data, size_t len, struct md_batch *out)
{
    return decode(data, len, len, out);
}

/* ------------------------------------------------------------ encode */

/* Encoding builds protobuf structs in an arena owned by the encoder, packs
 * them and frees everything; strings stay borrowed from the records. */
struct enc {
    Skiff__Metadata__MetadataRecord *recs;
    Skiff__Metadata__MetadataRecord **rec_ptrs;
    union {
        Skiff__Metadata__BrokerRecord broker;
        Skiff__Metadata__BrokerStateRecord state;
        Skiff__Metadata__TopicRecord topic;
        Skiff__Metadata__PartitionRecord partition;
        Skiff__Metadata__RemoveTopicRecord remove;
        Skiff__Metadata__TopicConfigRecord config;
    } * bodies;
    Skiff__Metadata__ConfigEntry ***cfg_ptrs; /* one array per record that has configs */
};

static Skiff__Metadata__ConfigEntry **configs_out(const struct md_config *c, int32_t n)
{
    if (n <= 0)
        return NULL;
    Skiff__Metadata__ConfigEntry *e = sk_calloc((size_t)n, sizeof(*e));
    Skiff__Metadata__ConfigEntry **p = sk_calloc((size_t)n + 1, sizeof(*p));
    if (!e || !p) {
        sk_free(e);
        sk_free(p);
        return NULL;
    }
    for (int32_t i = 0; i < n; i++) {
        skiff__metadata__config_entry__init(&e[i]);
        e[i].key = (char *)c[i].key;
        e[i].value = (char *)c[i].value;
        p[i] = &e[i];
    }
    return p;
}

static void broker_out(const struct md_broker *in, Skiff__Metadata__BrokerRecord *b,
                       Skiff__Metadata__MetadataRecord *o)
{
    skiff__metadata__broker_record__init(b);
    b->broker_id = in->id;
    b->incarnation_id = in->incarnation_id;
    b->broker_epoch = in->epoch;
    b->host = (char *)in->host;
    b->port = in->port;
    b->internal_host = (char *)in->internal_host;
    b->internal_port = in->internal_port;
    b->fenced = in->fenced;
    o->body_case = SKIFF__METADATA__METADATA_RECORD__BODY_BROKER;
    o->broker = b;
}

static void partition_out(const struct md_rec *r, Skiff__Metadata__PartitionRecord *p,
                          Skiff__Metadata__MetadataRecord *o)
{
    const struct md_partition *st = &r->u.partition.st;
    skiff__metadata__partition_record__init(p);
    p->topic = (char *)r->u.partition.topic;
    p->partition = r->u.partition.index;
    p->n_replicas = (size_t)st->n_replicas;
    p->replicas = (int32_t *)st->replicas;
    p->n_isr = (size_t)st->n_isr;
    p->isr = (int32_t *)st->isr;
    p->leader = st->leader;
    p->leader_epoch = st->leader_epoch;
    p->partition_epoch = st->partition_epoch;
    o->body_case = SKIFF__METADATA__METADATA_RECORD__BODY_PARTITION;
    o->partition = p;
}

static int record_out(const struct md_rec *r, struct enc *e, size_t i)
{
    Skiff__Metadata__MetadataRecord *o = &e->recs[i];
    skiff__metadata__metadata_record__init(o);
    e->rec_ptrs[i] = o;
    switch (r->type) {
    case MD_REC_BROKER:
        broker_out(&r->u.broker, &e->bodies[i].broker, o);
        return SK_OK;
    case MD_REC_BROKER_STATE: {
        Skiff__Metadata__BrokerStateRecord *s = &e->bodies[i].state;
        skiff__metadata__broker_state_record__init(s);
        s->broker_id = r->u.state.id;
        s->broker_epoch = r->u.state.epoch;
        s->fenced = r->u.state.fenced;
        s->shutting_down = r->u.state.shutting_down;
        o->body_case = SKIFF__METADATA__METADATA_RECORD__BODY_BROKER_STATE;
        o->broker_state = s;
        return SK_OK;
    }
    case MD_REC_TOPIC: {
        Skiff__Metadata__TopicRecord *t = &e->bodies[i].topic;
        skiff__metadata__topic_record__init(t);
        t->name = (char *)r->u.topic.name;
        t->partitions = r->u.topic.partitions;
        t->n_configs = (size_t)r->u.topic.n_configs;
        t->configs = e->cfg_ptrs[i] = configs_out(r->u.topic.configs, r->u.topic.n_configs);
        o->body_case = SKIFF__METADATA__METADATA_RECORD__BODY_TOPIC;
        o->topic = t;
        return t->n_configs && !t->configs ? SK_ENOMEM : SK_OK;
    }
    case MD_REC_PARTITION:
        partition_out(r, &e->bodies[i].partition, o);
        return SK_OK;
    case MD_REC_REMOVE_TOPIC:
        skiff__metadata__remove_topic_record__init(&e->bodies[i].remove);
        e->bodies[i].remove.name = (char *)r->u.remove.name;
        o->body_case = SKIFF__METADATA__METADATA_RECORD__BODY_REMOVE_TOPIC;
        o->remove_topic = &e->bodies[i].remove;
        return SK_OK;
    case MD_REC_TOPIC_CONFIG: {
        Skiff__Metadata__TopicConfigRecord *c = &e->bodies[i].config;
        skiff__metadata__topic_config_record__init(c);
        c->name = (char *)r->u.config.name;
        c->n_configs = (size_t)r->u.config.n_configs;
        c->configs = e->cfg_ptrs[i] = configs_out(r->u.config.configs, r->u.config.n_configs);
        o->body_case = SKIFF__METADATA__METADATA_RECORD__BODY_TOPIC_CONFIG;
        o->topic_config = c;
        return c->n_configs && !c->configs ? SK_ENOMEM : SK_OK;
    }
    }
    return SK_EINVAL;
}

static int encode(const struct md_rec *recs, size_t n, uint8_t **out, size_t *len)
{
    struct enc e = {0};
    uint8_t *buf = NULL;
    int rc = SK_ENOMEM;
    size_t m = n ? n : 1;
    e.recs = sk_calloc(m, sizeof(*e.recs));
    e.rec_ptrs = sk_calloc(m, sizeof(*e.rec_ptrs));
    e.bodies = sk_calloc(m, sizeof(*e.bodies));
    e.cfg_ptrs = sk_calloc(m, sizeof(*e.cfg_ptrs));
    if (!e.recs || !e.rec_ptrs || !e.bodies || !e.cfg_ptrs)
        goto done;
    for (size_t i = 0; i < n; i++)
        if ((rc = record_out(&recs[i], &e, i)) != SK_OK)
            goto done;
    Skiff__Metadata__MetadataBatch batch;
    skiff__metadata__metadata_batch__init(&batch);
    batch.n_records = n;
    batch.records = e.rec_ptrs;
    size_t size = skiff__metadata__metadata_batch__get_packed_size(&batch);
    rc = SK_ENOMEM;
    if (!(buf = sk_malloc(size ? size : 1)))
        goto done;
    skiff__metadata__metadata_batch__pack(&batch, buf);
    *out = buf;
    *len = size;
    rc = SK_OK;
done:
    for (size_t i = 0; e.cfg_ptrs && i < n; i++) {
        if (e.cfg_ptrs[i])
            sk_free(e.cfg_ptrs[i][0]);
        sk_free(e.cfg_ptrs[i]);
    }
    sk_free(e.recs);
    sk_free(e.rec_ptrs);
    sk_free(e.bodies);
    sk_free(e.cfg_ptrs);
    return rc;
}

int md_batch_encode(const struct md_rec *recs, size_t n, uint8_t **out, size_t *len)
{
    return n > SK_METADATA_BATCH_RECORDS_MAX ? SK_ELIMIT : encode(recs, n, out, len);
}

/* A snapshot is the batch that rebuilds the image from empty: brokers with
 * their state, then each topic followed by its partitions. */
int md_image_snapshot(const struct md_image *img, uint8_t **out, size_t *len)
{
    size_t n = (size_t)img->n_brokers * 2;
    for (int32_t i = 0; i < img->n_topics; i++)
        n += 1 + (size_t)img->topics[i]->n_partitions;
    struct md_rec *recs = sk_calloc(n ? n : 1, sizeof(*recs));
    if (!recs)
        return SK_ENOMEM;
    size_t k = 0;
    for (int32_t i = 0; i < img->n_brokers; i++) {
        const struct md_broker *b = &img->brokers[i];
        recs[k].type = MD_REC_BROKER;
        recs[k++].u.broker = *b;
        recs[k].type = MD_REC_BROKER_STATE;
        recs[k].u.state.id = b->id;
        recs[k].u.state.epoch = b->epoch;
        recs[k].u.state.fenced = b->fenced;
        recs[k++].u.state.shutting_down = b->shutting_down;
    }
    for (int32_t i = 0; i < img->n_topics; i++) {
        const struct md_topic *t = img->topics[i];
        recs[k].type = MD_REC_TOPIC;
        recs[k].u.topic.name = t->name;
        recs[k].u.topic.partitions = t->n_partitions;
        recs[k].u.topic.configs = t->configs;
        recs[k++].u.topic.n_configs = t->n_configs;
        for (int32_t p = 0; p < t->n_partitions; p++) {
            recs[k].type = MD_REC_PARTITION;
            recs[k].u.partition.topic = t->name;
            recs[k].u.partition.index = p;
            recs[k++].u.partition.st = t->parts[p];
        }
    }
    /* A snapshot is one Raft snapshot, not one entry: the batch cap for
     * entries does not apply, the snapshot byte cap does (checked by the
     * host). */
    int rc = encode(recs, k, out, len);
    sk_free(recs);
    return rc;
}
