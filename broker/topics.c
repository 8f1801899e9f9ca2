#include "topics.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "broker.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "flusher.h"
#include "log.h"
#include "kafka_err.h"
#include "log_manager.h"
#include "metadata.h"
#include "replica.h"

#define TOPIC_BUCKETS 1024

struct topic_registry {
    struct broker *b;
    struct topic *buckets[TOPIC_BUCKETS];
    size_t count;
    struct logmgr *logs; /* owned: every partition log in log.dirs */
    int32_t self;
    topics_role_cb role_cb;
    void *role_arg;
};

static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h % TOPIC_BUCKETS;
}

bool topics_valid_name(const char *name, size_t len)
{
    char buf[SK_TOPIC_NAME_MAX + 1];
    if (len == 0 || len > SK_TOPIC_NAME_MAX)
        return false;
    memcpy(buf, name, len);
    buf[len] = '\0';
    return strlen(buf) == len && logmgr_topic_valid(buf);
}

bool topics_is_internal(const char *name, size_t len)
{
    static const char *const internal[] = {"__consumer_offsets", "__transaction_state"};
    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++)
        if (strlen(internal[i]) == len && memcmp(internal[i], name, len) == 0)
            return true;
    return false;
}

struct topic *topics_find(struct topic_registry *t, const char *name, size_t len)
{
    for (struct topic *tp = t->buckets[name_hash(name, len)]; tp; tp = tp->hnext)
        if (strlen(tp->name) == len && memcmp(tp->name, name, len) == 0)
            return tp;
    return NULL;
}

struct partition *topics_partition(struct topic_registry *t, const char *name, size_t len, int32_t index)
{
    struct topic *tp = topics_find(t, name, len);
    if (!tp || index < 0 || index >= tp->n_partitions)
        return NULL;
    return tp->partitions[index]; /* NULL when this node holds no replica */
}

struct partition *topics_leader(struct topic_registry *t, const char *name, size_t len, int32_t index,
                                int16_t *err)
{
    struct topic *tp = topics_find(t, name, len);
    if (!tp || index < 0 || index >= tp->n_partitions) {
        *err = KAFKA_UNKNOWN_TOPIC_OR_PARTITION;
        return NULL;
    }
    struct partition *p = tp->partitions[index];
    if (!p || p->st.leader != t->self) {
        *err = KAFKA_NOT_LEADER_OR_FOLLOWER;
        return NULL;
    }
    *err = KAFKA_NONE;
    return p;
}

struct topic *topics_next(struct topic_registry *t, struct topic *prev)
{
    uint32_t b = 0;
    if (prev) {
        if (prev->hnext)
            return prev->hnext;
        b = name_hash(prev->name, strlen(prev->name)) + 1;
    }
    for (; b < TOPIC_BUCKETS; b++)
        if (t->buckets[b])
            return t->buckets[b];
    return NULL;
}

size_t topics_count(const struct topic_registry *t) { return t->count; }

/* ------------------------------------------------------------ waiters */

void partition_wait(struct partition *p, struct hw_waiter *w)
{
    w->p = p;
    w->partition_gone = false;
    w->prev = NULL;
    w->next = p->waiters;
    if (p->waiters)
        p->waiters->prev = w;
    p->waiters = w;
}

void partition_unwait(struct hw_waiter *w)
{
    struct partition *p = w->p;
    if (!p)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        p->waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    w->p = NULL;
}

int64_t partition_local_end(const struct partition *p)
{
    return p->topic->cfg.flush_messages <= 1 ? plog_synced_offset(p->log) : plog_end_offset(p->log);
}

static bool reached(const struct partition *p, const struct hw_waiter *w)
{
    return (w->local ? partition_local_end(p) : p->high_watermark) >= w->target;
}

/* Wakes every waiter whose target was reached (the high watermark, or local
 * durability for acks=1), one at a time and re-scanning after each
 * callback: a callback may finish its request and free other waiters of the
 * same request (a fetch naming one partition twice parks twice here), so no
 * list of woken waiters is kept across callbacks.  A callback may re-park
 * only with a target not yet reached, so the loop ends. */
static void wake_waiters(struct partition *p, bool gone, bool lost)
{
    for (;;) {
        struct hw_waiter *w = p->waiters;
        while (w && !gone && !lost && !reached(p, w))
            w = w->next;
        if (!w)
            return;
        partition_unwait(w);
        w->partition_gone = gone;
        w->lost_leadership = lost;
        w->cb(w);
    }
}

void partition_wake_lost(struct partition *p) { wake_waiters(p, false, true); }

void partition_raise_hw(struct partition *p, int64_t hw)
{
    bool moved = hw > p->high_watermark;
    if (moved)
        p->high_watermark = hw;
    wake_waiters(p, false, false);
    if (moved)
        replica_on_hw(p);
}

void partition_update_hw(struct partition *p) { partition_raise_hw(p, replica_hw_target(p)); }

/* Loop thread, from the flusher: data below the synced offset is durable. */
static void partition_synced_cb(void *arg, struct plog *l)
{
    (void)l;
    struct partition *p = arg;
    partition_update_hw(p);
    replica_on_synced(p);
}

/* Under the default flush policy (1) only synced data counts towards the
 * high watermark, so nothing is acknowledged or served before it is on disk
 * (on every ISR member).  With a larger interval the log end counts (Kafka's
 * page-cache behaviour) and a sync is requested every flush_messages
 * messages. */
int partition_append(struct partition *p, uint8_t *batches, size_t len, int64_t *first, int64_t *last)
{
    struct broker *b = p->topic->reg->b;
    int rc = plog_append(p->log, batches, len, p->leader_epoch, sk_wall_ms(), first, last);
    if (rc)
        return rc;
    int64_t flush_every = p->topic->cfg.flush_messages;
    if (flush_every <= 1 || plog_unflushed_messages(p->log) >= flush_every)
        flusher_request(b->flusher, p->log);
    if (flush_every > 1)
        partition_update_hw(p);
    replica_on_append(p);
    return 0;
}

/* ------------------------------------------------------------ configs */

static void free_overrides(struct topic *tp)
{
    for (int32_t i = 0; i < tp->n_overrides; i++) {
        sk_free(tp->override_keys[i]);
        sk_free(tp->override_values[i]);
    }
    sk_free(tp->override_keys);
    sk_free(tp->override_values);
    tp->override_keys = tp->override_values = NULL;
    tp->n_overrides = 0;
}

/* Validates and applies overrides onto the broker defaults into *cfg, and
 * (unless keys_out is NULL) copies them for persistence. */
static int build_config(struct topic_registry *t, const char *const *keys, const char *const *values, int32_t n,
                        struct topic_config *cfg, char ***keys_out, char ***values_out, char *err, size_t errlen)
{
    topic_config_from_broker(&t->b->cfg, cfg);
    for (int32_t i = 0; i < n; i++) {
        if (!values[i]) /* a null value means "use the default" */
            continue;
        int rc = topic_config_set(cfg, keys[i], values[i], err, errlen);
        if (rc)
            return rc;
    }
    if (!keys_out)
        return 0;
    char **k = sk_calloc((size_t)n + 1, sizeof(char *));
    char **v = sk_calloc((size_t)n + 1, sizeof(char *));
    if (!k || !v) {
        sk_free(k);
        sk_free(v);
        return SK_ENOMEM;
    }
    for (int32_t i = 0; i < n; i++) {
        k[i] = sk_strdup(keys[i]);
        v[i] = sk_strdup(values[i] ? values[i] : "");
    }
    *keys_out = k;
    *values_out = v;
    return 0;
}

static void log_config_for(const struct topic *tp, const struct broker_config *bc, struct log_config *lc)
{
    lc->segment_bytes = tp->cfg.segment_bytes;
    lc->segment_ms = tp->cfg.segment_ms;
    lc->retention_ms = tp->cfg.retention_ms;
    lc->retention_bytes = tp->cfg.retention_bytes;
    lc->index_interval_bytes = bc->log_index_interval_bytes;
}

static int open_partition(struct topic_registry *t, struct topic *tp, int32_t index)
{
    struct broker *b = t->b;
    struct partition *p = sk_calloc(1, sizeof(*p));
    if (!p)
        return SK_ENOMEM;
    struct log_config lc;
    log_config_for(tp, &b->cfg, &lc);
    int rc = logmgr_create(t->logs, tp->name, index, &lc, sk_wall_ms(), &p->log);
    if (rc) {
        SK_ERROR("partition_open_failed", "topic=%s partition=%d err=\"%s\"", tp->name, index, sk_strerror(rc));
        sk_free(p);
        return rc;
    }
    p->topic = tp;
    p->index = index;
    p->leader_epoch = plog_latest_epoch(p->log) < 0 ? 0 : plog_latest_epoch(p->log);
    p->high_watermark = plog_synced_offset(p->log);
    plog_set_sync_cb(p->log, partition_synced_cb, p);
    if (tp->cfg.flush_messages > 1) {
        p->high_watermark = plog_end_offset(p->log);
    } else if (p->high_watermark < plog_end_offset(p->log)) {
        /* After an unclean stop the recovered tail is not known to be on
         * disk.  Sync it before the node reports ready, so the high
         * watermark covers everything recovered from the first request on. */
        rc = plog_sync_now(p->log);
        if (rc)
            SK_ERROR("recovery_sync_failed", "topic=%s partition=%d err=\"%s\"", tp->name, index, sk_strerror(rc));
        p->high_watermark = plog_synced_offset(p->log);
    }
    tp->partitions[index] = p;
    return 0;
}

/* Wakes the partition's waiters with partition_gone and frees it; with
 * `remove` its log is deleted too (the caller drained the flusher).  A log
 * kept is closed later by logmgr_close. */
static void close_partition(struct topic_registry *t, struct partition *p, bool remove)
{
    wake_waiters(p, true, false);
    if (t->role_cb)
        t->role_cb(t->role_arg, p, NULL);
    plog_set_sync_cb(p->log, NULL, NULL);
    if (remove)
        logmgr_delete(t->logs, p->topic->name, p->index);
    sk_free(p);
}

static void free_topic(struct topic *tp)
{
    free_overrides(tp);
    sk_free(tp->partitions);
    sk_free(tp->name);
    sk_free(tp);
}

static void link_topic(struct topic_registry *t, struct topic *tp)
{
    uint32_t h = name_hash(tp->name, strlen(tp->name));
    tp->hnext = t->buckets[h];
    t->buckets[h] = tp;
    t->count++;
}

static void unlink_topic(struct topic_registry *t, struct topic *tp)
{
    struct topic **pp = &t->buckets[name_hash(tp->name, strlen(tp->name))];
    while (*pp && *pp != tp)
        pp = &(*pp)->hnext;
    if (*pp) {
        *pp = tp->hnext;
        t->count--;
    }
}

/* ------------------------------------------------------------ following the image */

/* Topic overrides from the image; a value this node cannot parse (only
 * possible if nodes run different versions) is logged and left at the
 * default rather than stopping the node. */
static void apply_image_configs(struct topic_registry *t, struct topic *tp, const struct md_topic *mt)
{
    const char *keys[SK_TOPIC_CONFIGS_MAX], *values[SK_TOPIC_CONFIGS_MAX];
    int32_t n = mt->n_configs < SK_TOPIC_CONFIGS_MAX ? mt->n_configs : SK_TOPIC_CONFIGS_MAX;
    for (int32_t i = 0; i < n; i++) {
        keys[i] = mt->configs[i].key;
        values[i] = mt->configs[i].value;
    }
    struct topic_config cfg;
    char **k = NULL, **v = NULL, err[256];
    int rc = build_config(t, keys, values, n, &cfg, &k, &v, err, sizeof(err));
    if (rc) {
        SK_ERROR("topic_config_refused", "topic=%s err=\"%s\"", tp->name, err);
        topic_config_from_broker(&t->b->cfg, &cfg);
        n = 0;
        k = v = NULL;
    }
    free_overrides(tp);
    tp->override_keys = k;
    tp->override_values = v;
    tp->n_overrides = n;
    tp->cfg = cfg;
    struct log_config lc;
    log_config_for(tp, &t->b->cfg, &lc);
    for (int32_t i = 0; i < tp->n_partitions; i++)
        if (tp->partitions[i])
            plog_set_config(tp->partitions[i]->log, &lc);
}

static bool configs_equal(const struct topic *tp, const struct md_topic *mt)
{
    if (tp->n_overrides != mt->n_configs)
        return false;
    for (int32_t i = 0; i < mt->n_configs; i++)
        if (strcmp(tp->override_keys[i], mt->configs[i].key) || strcmp(tp->override_values[i], mt->configs[i].value))
            return false;
    return true;
}

static struct topic *new_topic(struct topic_registry *t, const struct md_topic *mt)
{
    struct topic *tp = sk_calloc(1, sizeof(*tp));
    if (!tp)
        return NULL;
    tp->reg = t;
    tp->name = sk_strdup(mt->name);
    if (!tp->name) {
        sk_free(tp);
        return NULL;
    }
    tp->internal = topics_is_internal(mt->name, strlen(mt->name));
    topic_config_from_broker(&t->b->cfg, &tp->cfg);
    link_topic(t, tp);
    SK_INFO("topic_created", "topic=%s partitions=%d", tp->name, mt->n_partitions);
    return tp;
}

static int grow(struct topic *tp, int32_t total)
{
    if (total <= tp->n_partitions)
        return 0;
    struct partition **grown = sk_realloc(tp->partitions, (size_t)total * sizeof(*grown));
    if (!grown)
        return SK_ENOMEM;
    for (int32_t i = tp->n_partitions; i < total; i++)
        grown[i] = NULL;
    tp->partitions = grown;
    tp->n_partitions = total;
    return 0;
}

/* One partition follows its image state: its log is opened when this node
 * is a replica, and the role callback hears of every leader or epoch
 * change. */
static void sync_partition(struct topic_registry *t, struct topic *tp, int32_t i, const struct md_partition *st)
{
    bool local = md_in_list(st->replicas, st->n_replicas, t->self);
    struct partition *p = tp->partitions[i];
    if (!local) {
        if (p) {
            flusher_drain(t->b->flusher);
            tp->partitions[i] = NULL;
            close_partition(t, p, true);
        }
        return;
    }
    if (!p) {
        if (open_partition(t, tp, i))
            return; /* logged; the partition stays unavailable here */
        p = tp->partitions[i];
        p->st.leader = MD_NO_LEADER;
        p->st.leader_epoch = -1;
    }
    struct md_partition old = p->st;
    p->st = *st;
    if (old.leader != st->leader || old.leader_epoch != st->leader_epoch || old.n_isr != st->n_isr ||
        memcmp(old.isr, st->isr, (size_t)st->n_isr * sizeof(st->isr[0])) != 0) {
        p->leader_epoch = st->leader_epoch;
        if (t->role_cb)
            t->role_cb(t->role_arg, p, &old);
    }
}

static void remove_topic(struct topic_registry *t, struct topic *tp)
{
    unlink_topic(t, tp);
    flusher_drain(t->b->flusher);
    for (int32_t i = 0; i < tp->n_partitions; i++)
        if (tp->partitions[i])
            close_partition(t, tp->partitions[i], true);
    SK_INFO("topic_deleted", "topic=%s", tp->name);
    free_topic(tp);
}

void topics_sync(struct topic_registry *t, const struct md_image *img)
{
    for (int32_t k = 0; k < img->n_topics; k++) {
        const struct md_topic *mt = img->topics[k];
        struct topic *tp = topics_find(t, mt->name, strlen(mt->name));
        bool fresh = !tp;
        if (fresh && !(tp = new_topic(t, mt)))
            continue;
        if (grow(tp, mt->n_partitions))
            continue;
        if (fresh || !configs_equal(tp, mt))
            apply_image_configs(t, tp, mt);
        for (int32_t i = 0; i < mt->n_partitions; i++)
            sync_partition(t, tp, i, &mt->parts[i]);
    }
    /* Topics the image no longer has: collected first, since removal
     * changes the iteration. */
    for (int pass = 0; pass < 1000; pass++) {
        struct topic *gone = NULL;
        for (struct topic *tp = topics_next(t, NULL); tp && !gone; tp = topics_next(t, tp))
            if (!md_topic_find(img, tp->name, strlen(tp->name)))
                gone = tp;
        if (!gone)
            break;
        remove_topic(t, gone);
    }
}

void topics_set_role_cb(struct topic_registry *t, topics_role_cb cb, void *arg)
{
    t->role_cb = cb;
    t->role_arg = arg;
}

int topics_open(struct broker *b, struct topic_registry **out)
{
    struct topic_registry *t = sk_calloc(1, sizeof(*t));
    if (!t)
        return SK_ENOMEM;
    t->b = b;
    t->self = b->cfg.node_id;
    struct topic_config tc;
    topic_config_from_broker(&b->cfg, &tc);
    struct log_config defaults = {tc.segment_bytes, tc.segment_ms, tc.retention_ms, tc.retention_bytes,
                                  b->cfg.log_index_interval_bytes};
    /* The log manager locks the directory, notes and removes the
     * clean-shutdown marker and recovers every partition log it finds. */
    int rc = logmgr_open(b->cfg.log_dirs, &defaults, sk_wall_ms(), &t->logs);
    if (rc) {
        SK_ERROR("log_dir_open_failed", "dir=%s err=\"%s\"", b->cfg.log_dirs, sk_strerror(rc));
        logmgr_close(t->logs, false);
        sk_free(t);
        return rc;
    }
    SK_INFO("log_dir_opened", "dir=%s clean_shutdown=%s partitions=%zu", b->cfg.log_dirs,
            logmgr_was_clean(t->logs) ? "true" : "false", logmgr_count(t->logs));
    *out = t;
    return 0;
}

void topics_close(struct topic_registry *t, bool clean)
{
    if (!t)
        return;
    flusher_drain(t->b->flusher);
    for (uint32_t h = 0; h < TOPIC_BUCKETS; h++) {
        while (t->buckets[h]) {
            struct topic *tp = t->buckets[h];
            t->buckets[h] = tp->hnext;
            for (int32_t i = 0; i < tp->n_partitions; i++)
                if (tp->partitions[i])
                    close_partition(t, tp->partitions[i], false);
            free_topic(tp);
        }
    }
    /* Syncs and closes every log, then writes the clean-shutdown marker. */
    logmgr_close(t->logs, clean);
    sk_free(t);
}

void topics_maintain(struct topic_registry *t)
{
    int rc = logmgr_maintain(t->logs, sk_wall_ms(), t->b->flusher);
    if (rc)
        SK_WARN("maintain_failed", "err=\"%s\"", sk_strerror(rc));
}
