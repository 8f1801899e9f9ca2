/* The metadata image: applying records (see metadata.h). */
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"
#include "metadata.h"

void md_image_init(struct md_image *img) { memset(img, 0, sizeof(*img)); }

static void free_configs(struct md_config *c, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        sk_free((char *)c[i].key);
        sk_free((char *)c[i].value);
    }
    sk_free(c);
}

static void free_topic(struct md_topic *t)
{
    if (!t)
        return;
    sk_free(t->name);
    sk_free(t->parts);
    free_configs(t->configs, t->n_configs);
    sk_free(t);
}

void md_image_clear(struct md_image *img)
{
    for (int32_t i = 0; i < img->n_topics; i++)
        free_topic(img->topics[i]);
    sk_free(img->topics);
    md_image_init(img);
}

bool md_in_list(const int32_t *ids, int32_t n, int32_t id)
{
    for (int32_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

bool md_partition_valid(const struct md_partition *p)
{
    if (p->n_replicas < 1 || p->n_replicas > SK_REPLICATION_FACTOR_MAX || p->n_isr < 0 || p->n_isr > p->n_replicas)
        return false;
    for (int32_t i = 0; i < p->n_replicas; i++)
        if (p->replicas[i] < 0 || md_in_list(p->replicas, i, p->replicas[i]))
            return false;
    for (int32_t i = 0; i < p->n_isr; i++)
        if (!md_in_list(p->replicas, p->n_replicas, p->isr[i]) || md_in_list(p->isr, i, p->isr[i]))
            return false;
    if (p->leader != MD_NO_LEADER && !md_in_list(p->isr, p->n_isr, p->leader))
        return false;
    return p->leader_epoch >= 0 && p->partition_epoch >= 0;
}

const struct md_broker *md_broker_find(const struct md_image *img, int32_t id)
{
    for (int32_t i = 0; i < img->n_brokers; i++)
        if (img->brokers[i].id == id)
            return &img->brokers[i];
    return NULL;
}

static int32_t topic_pos(const struct md_image *img, const char *name, size_t len)
{
    for (int32_t i = 0; i < img->n_topics; i++)
        if (strlen(img->topics[i]->name) == len && memcmp(img->topics[i]->name, name, len) == 0)
            return i;
    return -1;
}

const struct md_topic *md_topic_find(const struct md_image *img, const char *name, size_t len)
{
    int32_t i = topic_pos(img, name, len);
    return i < 0 ? NULL : img->topics[i];
}

const struct md_partition *md_partition_find(const struct md_image *img, const char *topic, size_t len,
                                             int32_t index)
{
    const struct md_topic *t = md_topic_find(img, topic, len);
    if (!t || index < 0 || index >= t->n_partitions)
        return NULL;
    return &t->parts[index];
}

int32_t md_live_brokers(const struct md_image *img)
{
    int32_t n = 0;
    for (int32_t i = 0; i < img->n_brokers; i++)
        n += !img->brokers[i].fenced;
    return n;
}

bool md_broker_live(const struct md_image *img, int32_t id)
{
    const struct md_broker *b = md_broker_find(img, id);
    return b && !b->fenced && !b->shutting_down;
}

static int copy_configs(const struct md_config *in, int32_t n, struct md_config **out)
{
    *out = NULL;
    if (n < 0 || n > SK_TOPIC_CONFIGS_MAX)
        return SK_EINVAL;
    if (n == 0)
        return SK_OK;
    struct md_config *c = sk_calloc((size_t)n, sizeof(*c));
    if (!c)
        return SK_ENOMEM;
    for (int32_t i = 0; i < n; i++) {
        c[i].key = sk_strdup(in[i].key);
        c[i].value = sk_strdup(in[i].value);
        if (!c[i].key || !c[i].value) {
            free_configs(c, n);
            return SK_ENOMEM;
        }
    }
    *out = c;
    return SK_OK;
}

static int apply_broker(struct md_image *img, const struct md_broker *in, uint64_t index)
{
    struct md_broker *b = (struct md_broker *)md_broker_find(img, in->id);
    if (!b) {
        if (img->n_brokers == SK_CLUSTER_BROKERS_MAX)
            return SK_ELIMIT;
        b = &img->brokers[img->n_brokers++];
    }
    *b = *in;
    b->registered_index = index;
    if (in->epoch > img->max_broker_epoch)
        img->max_broker_epoch = in->epoch;
    return SK_OK;
}

static int apply_state(struct md_image *img, const struct md_rec *rec)
{
    struct md_broker *b = (struct md_broker *)md_broker_find(img, rec->u.state.id);
    if (!b || b->epoch != rec->u.state.epoch)
        return SK_EINVAL; /* a decision about an older incarnation */
    b->fenced = rec->u.state.fenced;
    b->shutting_down = rec->u.state.shutting_down;
    return SK_OK;
}

static int apply_topic(struct md_image *img, const struct md_rec *rec, uint64_t index)
{
    const char *name = rec->u.topic.name;
    int32_t n = rec->u.topic.partitions;
    if (topic_pos(img, name, strlen(name)) >= 0 || n < 1 || n > SK_PARTITIONS_PER_TOPIC_MAX)
        return SK_EINVAL;
    if (img->n_topics == img->cap_topics) {
        int32_t cap = img->cap_topics ? img->cap_topics * 2 : 16;
        struct md_topic **grown = sk_realloc(img->topics, (size_t)cap * sizeof(*grown));
        if (!grown)
            return SK_ENOMEM;
        img->topics = grown;
        img->cap_topics = cap;
    }
    struct md_topic *t = sk_calloc(1, sizeof(*t));
    int rc = t ? SK_OK : SK_ENOMEM;
    if (rc == SK_OK && (!(t->name = sk_strdup(name)) || !(t->parts = sk_calloc((size_t)n, sizeof(*t->parts)))))
        rc = SK_ENOMEM;
    if (rc == SK_OK)
        rc = copy_configs(rec->u.topic.configs, rec->u.topic.n_configs, &t->configs);
    if (rc != SK_OK) {
        free_topic(t);
        return rc;
    }
    t->n_configs = rec->u.topic.n_configs;
    t->n_partitions = n;
    t->created_index = index;
    /* Partitions stay offline until their partition records arrive (the
     * same batch carries them). */
    for (int32_t i = 0; i < n; i++)
        t->parts[i].leader = MD_NO_LEADER;
    img->topics[img->n_topics++] = t;
    return SK_OK;
}

/* A partition record for index == n_partitions grows the topic by one
 * (CreatePartitions); any other index must exist. */
static int apply_partition(struct md_image *img, const struct md_rec *rec)
{
    int32_t pos = topic_pos(img, rec->u.partition.topic, strlen(rec->u.partition.topic));
    if (pos < 0 || !md_partition_valid(&rec->u.partition.st))
        return SK_EINVAL;
    struct md_topic *t = img->topics[pos];
    int32_t idx = rec->u.partition.index;
    if (idx < 0 || idx > t->n_partitions || idx >= SK_PARTITIONS_PER_TOPIC_MAX)
        return SK_EINVAL;
    if (idx == t->n_partitions) {
        struct md_partition *grown = sk_realloc(t->parts, (size_t)(idx + 1) * sizeof(*grown));
        if (!grown)
            return SK_ENOMEM;
        t->parts = grown;
        t->n_partitions = idx + 1;
    }
    t->parts[idx] = rec->u.partition.st;
    return SK_OK;
}

static int apply_remove(struct md_image *img, const char *name)
{
    int32_t pos = topic_pos(img, name, strlen(name));
    if (pos < 0)
        return SK_EINVAL;
    free_topic(img->topics[pos]);
    memmove(&img->topics[pos], &img->topics[pos + 1], (size_t)(img->n_topics - pos - 1) * sizeof(img->topics[0]));
    img->n_topics--;
    return SK_OK;
}

static int apply_config(struct md_image *img, const struct md_rec *rec)
{
    int32_t pos = topic_pos(img, rec->u.config.name, strlen(rec->u.config.name));
    if (pos < 0)
        return SK_EINVAL;
    struct md_config *c;
    int rc = copy_configs(rec->u.config.configs, rec->u.config.n_configs, &c);
    if (rc != SK_OK)
        return rc;
    struct md_topic *t = img->topics[pos];
    free_configs(t->configs, t->n_configs);
    t->configs = c;
    t->n_configs = rec->u.config.n_configs;
    return SK_OK;
}

int md_image_apply(struct md_image *img, const struct md_rec *rec, uint64_t index)
{
    int rc;
    switch (rec->type) {
    case MD_REC_BROKER:
        rc = apply_broker(img, &rec->u.broker, index);
        break;
    case MD_REC_BROKER_STATE:
        rc = apply_state(img, rec);
        break;
    case MD_REC_TOPIC:
        rc = apply_topic(img, rec, index);
        break;
    case MD_REC_PARTITION:
        rc = apply_partition(img, rec);
        break;
    case MD_REC_REMOVE_TOPIC:
        rc = apply_remove(img, rec->u.remove.name);
        break;
    case MD_REC_TOPIC_CONFIG:
        rc = apply_config(img, rec);
        break;
    default:
        rc = SK_EINVAL;
    }
    if (index > img->applied_index)
        img->applied_index = index;
    return rc;
}
