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
#include "log_manager.h"

#define TOPIC_BUCKETS 1024
#define META_DIR ".skiff-topics"
#define TOPIC_FILE_BYTES_MAX (64 * 1024)

struct topic_registry {
    struct broker *b;
    struct topic *buckets[TOPIC_BUCKETS];
    size_t count;
    struct logmgr *logs; /* owned: every partition log in log.dirs */
    char meta_dir[PATH_MAX];
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
    return tp->partitions[index];
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

/* Wakes every waiter whose target the high watermark reached, one at a time
 * and re-scanning after each callback: a callback may finish its request and
 * free other waiters of the same request (a fetch naming one partition twice
 * parks twice here), so no list of woken waiters is kept across callbacks.
 * A callback may re-park only with a target above the high watermark, so the
 * loop ends. */
static void wake_waiters(struct partition *p, bool gone)
{
    for (;;) {
        struct hw_waiter *w = p->waiters;
        while (w && !gone && p->high_watermark < w->target)
            w = w->next;
        if (!w)
            return;
        partition_unwait(w);
        w->partition_gone = gone;
        w->cb(w);
    }
}

static void set_high_watermark(struct partition *p, int64_t hw)
{
    if (hw <= p->high_watermark)
        return;
    p->high_watermark = hw;
    wake_waiters(p, false);
}

/* Loop thread, from the flusher: data below the synced offset is durable. */
static void partition_synced_cb(void *arg, struct plog *l)
{
    struct partition *p = arg;
    if (p->topic->cfg.flush_messages <= 1)
        set_high_watermark(p, plog_synced_offset(l));
}

/* Under the default flush policy (1) the high watermark is the synced
 * offset, so nothing is acknowledged or served before it is on disk.  With a
 * larger interval the high watermark is the log end (Kafka's page-cache
 * behaviour) and a sync is requested every flush_messages messages. */
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
        set_high_watermark(p, plog_end_offset(p->log));
    return 0;
}

/* ------------------------------------------------------------ persistence */

static int save_topic(struct topic_registry *t, const struct topic *tp)
{
    struct sk_writer w;
    sk_writer_init(&w);
    char line[SK_CONFIG_LINE_MAX];
    int n = snprintf(line, sizeof(line), "partitions=%d\n", tp->n_partitions);
    sk_write_raw(&w, line, (size_t)n);
    for (int32_t i = 0; i < tp->n_overrides; i++) {
        n = snprintf(line, sizeof(line), "config.%s=%s\n", tp->override_keys[i], tp->override_values[i]);
        if (n >= (int)sizeof(line)) {
            sk_writer_free(&w);
            return SK_ELIMIT;
        }
        sk_write_raw(&w, line, (size_t)n);
    }
    int rc = w.err ? w.err : sk_write_file_atomic(t->meta_dir, tp->name, w.p, w.len);
    sk_writer_free(&w);
    return rc;
}

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
    wake_waiters(p, true);
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

/* Builds the topic, opens its partitions and links it.  On failure nothing
 * stays linked or open. */
static int instantiate(struct topic_registry *t, const char *name, size_t len, int32_t n_partitions,
                       const char *const *keys, const char *const *values, int32_t n_configs, char *err,
                       size_t errlen, struct topic **out)
{
    struct topic *tp = sk_calloc(1, sizeof(*tp));
    if (!tp)
        return SK_ENOMEM;
    tp->reg = t;
    tp->name = sk_strndup(name, len);
    tp->partitions = sk_calloc((size_t)n_partitions, sizeof(struct partition *));
    int rc = (!tp->name || !tp->partitions) ? SK_ENOMEM : 0;
    if (!rc)
        rc = build_config(t, keys, values, n_configs, &tp->cfg, &tp->override_keys, &tp->override_values, err,
                          errlen);
    if (rc)
        goto fail;
    tp->n_overrides = n_configs;
    tp->internal = topics_is_internal(name, len);
    for (int32_t i = 0; i < n_partitions; i++) {
        rc = open_partition(t, tp, i);
        if (rc) {
            snprintf(err, errlen, "cannot open partition %d: %s", i, sk_strerror(rc));
            goto fail;
        }
        tp->n_partitions = i + 1;
    }
    link_topic(t, tp);
    *out = tp;
    return 0;
fail:
    for (int32_t i = 0; i < tp->n_partitions; i++)
        close_partition(t, tp->partitions[i], false);
    free_topic(tp);
    return rc;
}

int topics_create(struct topic_registry *t, const char *name, size_t len, int32_t n_partitions,
                  const char *const *keys, const char *const *values, int32_t n_configs, bool validate_only,
                  char *err, size_t errlen)
{
    if (!topics_valid_name(name, len)) {
        snprintf(err, errlen, "invalid topic name");
        return SK_EINVAL;
    }
    if (topics_find(t, name, len)) {
        snprintf(err, errlen, "topic already exists");
        return SK_EEXIST;
    }
    if (n_partitions < 1 || n_partitions > SK_PARTITIONS_PER_TOPIC_MAX) {
        snprintf(err, errlen, "partition count must be in [1, %d]", SK_PARTITIONS_PER_TOPIC_MAX);
        return SK_ERANGE;
    }
    if (t->count >= SK_TOPICS_MAX) {
        snprintf(err, errlen, "too many topics");
        return SK_ELIMIT;
    }
    struct topic_config probe;
    int rc = build_config(t, keys, values, n_configs, &probe, NULL, NULL, err, errlen);
    if (rc || validate_only)
        return rc;
    struct topic *tp;
    rc = instantiate(t, name, len, n_partitions, keys, values, n_configs, err, errlen, &tp);
    if (rc)
        return rc;
    rc = save_topic(t, tp);
    if (rc) {
        snprintf(err, errlen, "cannot persist topic: %s", sk_strerror(rc));
        topics_delete(t, name, len);
        return rc;
    }
    SK_INFO("topic_created", "topic=%s partitions=%d", tp->name, n_partitions);
    return 0;
}

int topics_delete(struct topic_registry *t, const char *name, size_t len)
{
    struct topic *tp = topics_find(t, name, len);
    if (!tp)
        return SK_ENOENT;
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", t->meta_dir, tp->name) >= (int)sizeof(path))
        return SK_EINVAL;
    /* The definition goes first: a crash midway leaves orphan partition
     * directories, which are ignored, never a topic missing partitions. */
    if (unlink(path) != 0 && errno != ENOENT)
        return SK_EIO;
    sk_fsync_dir(t->meta_dir);
    unlink_topic(t, tp);
    flusher_drain(t->b->flusher);
    for (int32_t i = 0; i < tp->n_partitions; i++)
        close_partition(t, tp->partitions[i], true);
    SK_INFO("topic_deleted", "topic=%s", tp->name);
    free_topic(tp);
    return 0;
}

int topics_add_partitions(struct topic_registry *t, struct topic *tp, int32_t total, bool validate_only)
{
    if (total <= tp->n_partitions || total > SK_PARTITIONS_PER_TOPIC_MAX)
        return SK_ERANGE;
    if (validate_only)
        return 0;
    struct partition **grown = sk_realloc(tp->partitions, (size_t)total * sizeof(*grown));
    if (!grown)
        return SK_ENOMEM;
    tp->partitions = grown;
    int32_t old = tp->n_partitions;
    for (int32_t i = old; i < total; i++) {
        int rc = open_partition(t, tp, i);
        if (rc)
            return rc; /* partitions opened so far stay; the count covers them */
        tp->n_partitions = i + 1;
    }
    int rc = save_topic(t, tp);
    SK_INFO("partitions_added", "topic=%s from=%d to=%d", tp->name, old, total);
    return rc;
}

int topics_alter_configs(struct topic_registry *t, struct topic *tp, const char *const *keys,
                         const char *const *values, int32_t n, bool validate_only, char *err, size_t errlen)
{
    struct topic_config cfg;
    char **k = NULL, **v = NULL;
    int rc = build_config(t, keys, values, n, &cfg, validate_only ? NULL : &k, &v, err, errlen);
    if (rc || validate_only)
        return rc;
    free_overrides(tp);
    tp->override_keys = k;
    tp->override_values = v;
    tp->n_overrides = n;
    tp->cfg = cfg;
    struct log_config lc;
    log_config_for(tp, &t->b->cfg, &lc);
    for (int32_t i = 0; i < tp->n_partitions; i++)
        plog_set_config(tp->partitions[i]->log, &lc);
    return save_topic(t, tp);
}

/* ------------------------------------------------------------ startup */

static int parse_topic_file(char *text, int32_t *n_partitions, const char **keys, const char **values,
                            int32_t *n_configs, int32_t max_configs)
{
    *n_partitions = -1;
    *n_configs = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq)
            return SK_ECORRUPT;
        *eq = '\0';
        if (strcmp(line, "partitions") == 0) {
            char *end;
            long n = strtol(eq + 1, &end, 10);
            if (*end != '\0' || n < 1 || n > SK_PARTITIONS_PER_TOPIC_MAX)
                return SK_ECORRUPT;
            *n_partitions = (int32_t)n;
        } else if (strncmp(line, "config.", 7) == 0) {
            if (*n_configs >= max_configs)
                return SK_ECORRUPT;
            keys[*n_configs] = line + 7;
            values[*n_configs] = eq + 1;
            (*n_configs)++;
        } else {
            return SK_ECORRUPT;
        }
    }
    return *n_partitions > 0 ? 0 : SK_ECORRUPT;
}

static int load_topic(struct topic_registry *t, const char *name)
{
    char path[PATH_MAX], err[256];
    if (snprintf(path, sizeof(path), "%s/%s", t->meta_dir, name) >= (int)sizeof(path))
        return SK_EINVAL;
    char *text;
    size_t len;
    int rc = sk_read_small_file(path, TOPIC_FILE_BYTES_MAX, &text, &len);
    if (rc)
        return rc;
    const char *keys[64], *values[64];
    int32_t n_partitions, n_configs;
    rc = parse_topic_file(text, &n_partitions, keys, values, &n_configs, 64);
    struct topic *tp;
    if (!rc)
        rc = instantiate(t, name, strlen(name), n_partitions, keys, values, n_configs, err, sizeof(err), &tp);
    if (rc)
        SK_ERROR("topic_load_failed", "topic=%s err=\"%s\"", name, sk_strerror(rc));
    sk_free(text);
    return rc;
}

int topics_open(struct broker *b, struct topic_registry **out)
{
    struct topic_registry *t = sk_calloc(1, sizeof(*t));
    if (!t)
        return SK_ENOMEM;
    t->b = b;
    snprintf(t->meta_dir, sizeof(t->meta_dir), "%s/%s", b->cfg.log_dirs, META_DIR);
    struct topic_config tc;
    topic_config_from_broker(&b->cfg, &tc);
    struct log_config defaults = {tc.segment_bytes, tc.segment_ms, tc.retention_ms, tc.retention_bytes,
                                  b->cfg.log_index_interval_bytes};
    /* The log manager locks the directory, notes and removes the
     * clean-shutdown marker and recovers every partition log it finds. */
    int rc = logmgr_open(b->cfg.log_dirs, &defaults, sk_wall_ms(), &t->logs);
    if (!rc)
        rc = sk_mkdirs(t->meta_dir);
    if (rc) {
        SK_ERROR("log_dir_open_failed", "dir=%s err=\"%s\"", b->cfg.log_dirs, sk_strerror(rc));
        logmgr_close(t->logs, false);
        sk_free(t);
        return rc;
    }
    SK_INFO("log_dir_opened", "dir=%s clean_shutdown=%s partitions=%zu", b->cfg.log_dirs,
            logmgr_was_clean(t->logs) ? "true" : "false", logmgr_count(t->logs));
    DIR *d = opendir(t->meta_dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !topics_valid_name(e->d_name, strlen(e->d_name)))
            continue;
        load_topic(t, e->d_name); /* a broken topic is logged and skipped */
    }
    if (d)
        closedir(d);
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
