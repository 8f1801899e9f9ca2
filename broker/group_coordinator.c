/* The group coordinator: lookup, loading, ownership and timers.  See
 * group_coordinator.h. */
#include "group_coordinator.h"

#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "common/alloc.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "group_store.h"
#include "kafka_err.h"
#include "kreq.h"
#include "topics.h"

/* Deadlines closer together than this share one timer run. */
#define GC_TIMER_SLACK_MS 5

/* ------------------------------------------------------------ hashing */

/* Decodes one UTF-8 sequence at s[*i]; invalid input gives U+FFFD and
 * advances one byte, as Java's decoder replaces malformed input. */
static uint32_t utf8_next(const uint8_t *s, size_t n, size_t *i)
{
    uint8_t c = s[*i];
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    size_t need = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
    if (need == 0 || *i + need >= n) {
        (*i)++;
        return 0xFFFD;
    }
    uint32_t cp = need == 1 ? (c & 0x1Fu) : need == 2 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k <= need; k++) {
        if ((s[*i + k] & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[*i + k] & 0x3Fu);
    }
    *i += need + 1;
    return cp;
}

int32_t group_partition_for(struct sk_slice group_id, int32_t n_partitions)
{
    uint32_t h = 0; /* Java int arithmetic wraps; unsigned here to stay defined */
    size_t n = group_id.len > 0 ? (size_t)group_id.len : 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp = utf8_next(group_id.ptr, n, &i);
        if (cp >= 0x10000) { /* a UTF-16 surrogate pair */
            cp -= 0x10000;
            h = h * 31u + (0xD800u + (cp >> 10));
            h = h * 31u + (0xDC00u + (cp & 0x3FFu));
        } else {
            h = h * 31u + cp;
        }
    }
    int32_t s = (int32_t)h;
    /* Kafka's Utils.abs: Integer.MIN_VALUE maps to 0. */
    int32_t a = s == INT32_MIN ? 0 : (s < 0 ? -s : s);
    return n_partitions > 0 ? a % n_partitions : 0;
}

/* ------------------------------------------------------------ registry */

static uint32_t bucket_of(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h % GC_GROUP_BUCKETS;
}

static struct group *find_n(struct group_coordinator *gc, const char *id, size_t n)
{
    for (struct group *g = gc->buckets[bucket_of(id, n)]; g; g = g->hnext)
        if (strlen(g->group_id) == n && memcmp(g->group_id, id, n) == 0)
            return g;
    return NULL;
}

struct group *group_coordinator_find(struct group_coordinator *gc, const char *group_id)
{
    return find_n(gc, group_id, strlen(group_id));
}

struct group *group_coordinator_next(struct group_coordinator *gc, struct group *prev)
{
    uint32_t b = 0;
    if (prev) {
        if (prev->hnext)
            return prev->hnext;
        b = bucket_of(prev->group_id, strlen(prev->group_id)) + 1;
    }
    for (; b < GC_GROUP_BUCKETS; b++)
        if (gc->buckets[b])
            return gc->buckets[b];
    return NULL;
}

void group_coordinator_drop(struct group_coordinator *gc, struct group *g, int16_t error)
{
    group_unload(g, error);
    struct group **pp = &gc->buckets[bucket_of(g->group_id, strlen(g->group_id))];
    while (*pp && *pp != g)
        pp = &(*pp)->hnext;
    if (*pp) {
        *pp = g->hnext;
        gc->n_groups--;
    }
    group_free(g);
}

/* ------------------------------------------------------------ timers */

static void arm_timer(struct group_coordinator *gc, int64_t at_ms, int64_t now_ms)
{
    if (at_ms == INT64_MAX || (gc->timer_at_ms != INT64_MAX && gc->timer_at_ms <= at_ms))
        return;
    int64_t delay = at_ms - now_ms;
    if (delay < GC_TIMER_SLACK_MS)
        delay = GC_TIMER_SLACK_MS;
    struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
    evtimer_add(gc->timer_ev, &tv);
    gc->timer_at_ms = now_ms + delay;
}

void group_coordinator_touched(struct group_coordinator *gc, struct group *g)
{
    /* A group that never got a generation, holds no offsets and no
     * members was only a failed first join: forget it. */
    if (g->state == GROUP_EMPTY && g->generation == 0 && g->n_members == 0 && g->n_offsets == 0) {
        group_coordinator_drop(gc, g, KAFKA_NOT_COORDINATOR);
        return;
    }
    arm_timer(gc, group_next_deadline_ms(g), sk_wall_ms());
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct group_coordinator *gc = arg;
    int64_t now = sk_wall_ms();
    gc->timer_at_ms = INT64_MAX;
    int64_t next = INT64_MAX;
    struct group *g = group_coordinator_next(gc, NULL);
    while (g) {
        struct group *following = group_coordinator_next(gc, g);
        if (group_next_deadline_ms(g) <= now)
            group_tick(g, now);
        int64_t d = group_next_deadline_ms(g);
        if (d < next)
            next = d;
        g = following;
    }
    arm_timer(gc, next, now);
}

/* ------------------------------------------------------------ responses */

static void finish_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct group_coordinator *gc = arg;
    /* Take the whole list: finishing may run new requests that queue more. */
    struct gc_pending *p = gc->done_head;
    gc->done_head = NULL;
    while (p) {
        struct gc_pending *next = p->next_done;
        p->queued = false;
        p->next_done = NULL;
        kreq_finish(p->r);
        p = next;
    }
}

void group_coordinator_finish_later(struct gc_pending *p)
{
    struct group_coordinator *gc = p->gc;
    p->answered = true;
    p->queued = true;
    p->next_done = gc->done_head;
    gc->done_head = p;
    event_active(gc->finish_ev, EV_TIMEOUT, 0);
}

void group_coordinator_cancel(struct kreq *r)
{
    struct gc_pending *p = r->pending;
    struct group_coordinator *gc = p->gc;
    if (p->queued) {
        struct gc_pending **pp = &gc->done_head;
        while (*pp && *pp != p)
            pp = &(*pp)->next_done;
        if (*pp)
            *pp = p->next_done;
        p->queued = false;
    }
    if (p->write) {
        gstore_detach(p->write);
        p->write = NULL;
    }
    if (!p->answered && p->group_id) {
        struct group *g = group_coordinator_find(gc, p->group_id);
        if (g)
            group_forget_ctx(g, p);
    }
}

static void ops_join_done(void *arg, void *ctx, const struct group_join_result *res)
{
    (void)arg;
    struct gc_pending *p = ctx;
    p->join_done(p, res);
    group_coordinator_finish_later(p);
}

static void ops_sync_done(void *arg, void *ctx, int16_t error, const uint8_t *assignment, int32_t len)
{
    (void)arg;
    struct gc_pending *p = ctx;
    p->sync_done(p, error, assignment, len);
    group_coordinator_finish_later(p);
}

static int16_t ops_persist(void *arg, struct group *g)
{
    struct group_coordinator *gc = arg;
    struct grec_batch b;
    struct sk_writer key, value;
    grec_batch_init(&b, sk_wall_ms());
    sk_writer_init(&key);
    sk_writer_init(&value);
    grec_group_key(&key, g->group_id);
    grec_group_value(&value, g);
    int16_t err = KAFKA_UNKNOWN_SERVER_ERROR;
    if (!key.err && !value.err) {
        grec_batch_add(&b, (struct sk_slice){key.p, (int32_t)key.len},
                       (struct sk_slice){value.p, (int32_t)value.len});
        err = gstore_append(gc, g->coordinator_partition, &b, GSTORE_GROUP, g->group_id, g->generation, NULL,
                            NULL);
    }
    sk_writer_free(&key);
    sk_writer_free(&value);
    grec_batch_free(&b);
    return err;
}

/* ------------------------------------------------------------ ownership */

static struct topic *offsets_topic(struct group_coordinator *gc)
{
    return topics_find(gc->b->topics, GROUP_OFFSETS_TOPIC, strlen(GROUP_OFFSETS_TOPIC));
}

/* Sizes the partition table to the topic (it exists from now on). */
static int ensure_parts(struct group_coordinator *gc, int32_t n)
{
    if (gc->parts && gc->n_partitions >= n)
        return 0;
    struct gc_partition *grown = sk_realloc(gc->parts, (size_t)n * sizeof(*grown));
    if (!grown)
        return SK_ENOMEM;
    memset(grown + gc->n_partitions, 0, (size_t)(n - gc->n_partitions) * sizeof(*grown));
    gc->parts = grown;
    gc->n_partitions = n;
    return 0;
}

static void load_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct group_coordinator *gc = arg;
    bool more = false, waiting = false;
    for (int32_t i = 0; i < gc->n_partitions; i++) {
        struct gc_partition *gp = &gc->parts[i];
        if (gp->state != GC_LOADING)
            continue;
        bool done = false, wait = false;
        int rc = gstore_load_step(gc, i, &done, &wait);
        if (rc) {
            /* The partition stays loading: serving its groups from a partial
             * replay could hand out offsets older than committed ones. */
            SK_ERROR("group_load_failed", "partition=%d offset=%lld err=\"%s\"", i,
                     (long long)gp->load_offset, sk_strerror(rc));
            continue;
        }
        if (done) {
            gp->state = GC_LOADED;
            SK_INFO("group_partition_loaded", "partition=%d epoch=%d offset=%lld", i, gp->leader_epoch,
                    (long long)gp->load_offset);
        } else if (wait) {
            waiting = true;
        } else {
            more = true;
        }
    }
    if (more) {
        event_active(gc->load_ev, EV_TIMEOUT, 0);
    } else if (waiting) {
        /* The high watermark moves with follower fetches; look again soon. */
        struct timeval tv = {0, SK_GROUP_LOAD_RETRY_MS * 1000};
        event_add(gc->load_ev, &tv);
    }
}

void group_coordinator_partition_elected(struct group_coordinator *gc, int32_t partition,
                                         int32_t leader_epoch)
{
    struct topic *tp = offsets_topic(gc);
    if (!tp || partition < 0 || partition >= tp->n_partitions || ensure_parts(gc, tp->n_partitions))
        return;
    struct gc_partition *gp = &gc->parts[partition];
    if (gp->state != GC_NOT_LEADER && gp->leader_epoch == leader_epoch)
        return;
    if (gp->state != GC_NOT_LEADER)
        group_coordinator_partition_resigned(gc, partition);
    gp->state = GC_LOADING;
    gp->leader_epoch = leader_epoch;
    gp->load_offset = 0;
    event_active(gc->load_ev, EV_TIMEOUT, 0);
}

void group_coordinator_partition_resigned(struct group_coordinator *gc, int32_t partition)
{
    if (partition < 0 || partition >= gc->n_partitions || gc->parts[partition].state == GC_NOT_LEADER)
        return;
    gc->parts[partition].state = GC_NOT_LEADER;
    gstore_fail_all(gc, partition, KAFKA_NOT_COORDINATOR);
    struct group *g = group_coordinator_next(gc, NULL);
    while (g) {
        struct group *following = group_coordinator_next(gc, g);
        if (g->coordinator_partition == partition)
            group_coordinator_drop(gc, g, KAFKA_NOT_COORDINATOR);
        g = following;
    }
    SK_INFO("group_partition_resigned", "partition=%d", partition);
}

/* Without log compaction the topic keeps every record: time retention
 * would delete live offsets, so it is off for this topic. */
static const struct md_config offsets_topic_configs[] = {
    {"retention.ms", "-1"},
    {"segment.bytes", "104857600"},
};

void group_coordinator_offsets_topic_req(const struct group_coordinator *gc, int32_t live_brokers,
                                         struct ctrl_req *out)
{
    memset(out, 0, sizeof(*out));
    out->op = CTRL_CREATE_TOPIC;
    out->name = GROUP_OFFSETS_TOPIC;
    out->partitions = gc->b->cfg.offsets_topic_num_partitions;
    int32_t rf = gc->b->cfg.offsets_topic_replication_factor;
    out->replication_factor = rf < live_brokers ? rf : (live_brokers > 0 ? live_brokers : 1);
    out->configs = offsets_topic_configs;
    out->n_configs = 2;
}

int16_t group_coordinator_owner(struct group_coordinator *gc, struct sk_slice group_id,
                                int32_t *partition_out)
{
    struct topic *tp = offsets_topic(gc);
    if (!tp || !gc->parts)
        return KAFKA_COORDINATOR_NOT_AVAILABLE;
    int32_t p = group_partition_for(group_id, tp->n_partitions);
    *partition_out = p;
    if (p >= gc->n_partitions || gc->parts[p].state == GC_NOT_LEADER)
        return KAFKA_NOT_COORDINATOR;
    if (gc->parts[p].state == GC_LOADING)
        return KAFKA_COORDINATOR_LOAD_IN_PROGRESS;
    return KAFKA_NONE;
}

static int16_t lookup_group(struct group_coordinator *gc, struct sk_slice group_id, bool create,
                            bool loading_ok, struct group **out)
{
    *out = NULL;
    if (group_id.len <= 0 || group_id.len > SK_GROUP_ID_BYTES_MAX)
        return KAFKA_INVALID_GROUP_ID;
    int32_t partition;
    int16_t err = group_coordinator_owner(gc, group_id, &partition);
    if (err == KAFKA_COORDINATOR_NOT_AVAILABLE)
        err = KAFKA_NOT_COORDINATOR;
    if (err == KAFKA_COORDINATOR_LOAD_IN_PROGRESS && loading_ok)
        err = KAFKA_NONE;
    if (err)
        return err;
    struct group *g = find_n(gc, (const char *)group_id.ptr, (size_t)group_id.len);
    if (!g && create) {
        char id[SK_GROUP_ID_BYTES_MAX + 1];
        memcpy(id, group_id.ptr, (size_t)group_id.len);
        id[group_id.len] = '\0';
        if (strlen(id) != (size_t)group_id.len)
            return KAFKA_INVALID_GROUP_ID;
        g = group_new(id, &gc->settings, &gc->ops, gc, sk_wall_ms());
        if (!g)
            return KAFKA_UNKNOWN_SERVER_ERROR;
        g->coordinator_partition = partition;
        uint32_t b = bucket_of(id, (size_t)group_id.len);
        g->hnext = gc->buckets[b];
        gc->buckets[b] = g;
        gc->n_groups++;
    }
    *out = g;
    return err;
}

int16_t group_coordinator_group(struct group_coordinator *gc, struct sk_slice group_id, bool create,
                                struct group **out)
{
    return lookup_group(gc, group_id, create, false, out);
}

int16_t group_coordinator_replay_group(struct group_coordinator *gc, struct sk_slice group_id, bool create,
                                       struct group **out)
{
    return lookup_group(gc, group_id, create, true, out);
}

/* ------------------------------------------------------------ retention */

/* Writes tombstones for a group's expired offsets, and for the group itself
 * when nothing would be left of it. */
static void expire_group(struct group_coordinator *gc, struct group *g, int64_t retention_ms, int64_t now_ms)
{
    struct grec_batch b;
    struct sk_writer key;
    grec_batch_init(&b, now_ms);
    sk_writer_init(&key);
    int32_t expired = 0;
    for (int32_t i = 0; i < g->n_offsets; i++) {
        const struct group_offset *o = &g->offsets[i];
        if (!group_offset_expired(g, o, retention_ms, now_ms))
            continue;
        sk_writer_reset(&key);
        grec_offset_key(&key, g->group_id,
                        (struct sk_slice){(const uint8_t *)o->topic, (int32_t)strlen(o->topic)},
                        o->partition);
        grec_batch_add(&b, (struct sk_slice){key.p, (int32_t)key.len}, (struct sk_slice){NULL, -1});
        expired++;
    }
    bool group_gone = g->state == GROUP_EMPTY && g->n_members == 0 && expired == g->n_offsets &&
                      now_ms - g->state_since_ms >= retention_ms;
    if (group_gone) {
        sk_writer_reset(&key);
        grec_group_key(&key, g->group_id);
        grec_batch_add(&b, (struct sk_slice){key.p, (int32_t)key.len}, (struct sk_slice){NULL, -1});
    }
    if (expired > 0 || group_gone) {
        char id[SK_LOG_VALUE_BYTES_MAX];
        SK_INFO("group_offsets_expired", "group=%s offsets=%d group_removed=%s",
                sk_log_value(id, sizeof(id), g->group_id), expired, group_gone ? "true" : "false");
        gstore_append(gc, g->coordinator_partition, &b, GSTORE_EXPIRY, g->group_id, g->generation, NULL,
                      NULL);
    }
    sk_writer_free(&key);
    grec_batch_free(&b);
}

static void expire_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct group_coordinator *gc = arg;
    int64_t now = sk_wall_ms();
    int64_t retention_ms = (int64_t)gc->b->cfg.offsets_retention_minutes * 60000;
    struct group *g = group_coordinator_next(gc, NULL);
    while (g) {
        /* A write's completion may drop the group: step first. */
        struct group *following = group_coordinator_next(gc, g);
        if (gc->parts[g->coordinator_partition].state == GC_LOADED)
            expire_group(gc, g, retention_ms, now);
        g = following;
    }
}

/* ------------------------------------------------------------ lifecycle */

int group_coordinator_create(struct broker *b, struct group_coordinator **out)
{
    struct group_coordinator *gc = sk_calloc(1, sizeof(*gc));
    if (!gc)
        return SK_ENOMEM;
    gc->b = b;
    snprintf(gc->member_id_salt, sizeof(gc->member_id_salt), "%d%llx", b->cfg.node_id,
             (unsigned long long)sk_wall_ms());
    gc->settings.initial_rebalance_delay_ms = b->cfg.group_initial_rebalance_delay_ms;
    gc->settings.min_session_timeout_ms = b->cfg.group_min_session_timeout_ms;
    gc->settings.max_session_timeout_ms = b->cfg.group_max_session_timeout_ms;
    gc->settings.member_id_salt = gc->member_id_salt;
    gc->ops.join_done = ops_join_done;
    gc->ops.sync_done = ops_sync_done;
    gc->ops.persist = ops_persist;
    gc->timer_at_ms = INT64_MAX;
    gc->timer_ev = evtimer_new(b->base, timer_cb, gc);
    gc->load_ev = event_new(b->base, -1, 0, load_cb, gc);
    gc->finish_ev = event_new(b->base, -1, 0, finish_cb, gc);
    gc->expire_ev = event_new(b->base, -1, EV_PERSIST, expire_cb, gc);
    if (!gc->timer_ev || !gc->load_ev || !gc->finish_ev || !gc->expire_ev) {
        group_coordinator_destroy(gc);
        return SK_ENOMEM;
    }
    int64_t ms = b->cfg.offsets_retention_check_interval_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(gc->expire_ev, &tv);
    *out = gc;
    return 0;
}

/* Parked requests were cancelled by the server's shutdown before this. */
void group_coordinator_destroy(struct group_coordinator *gc)
{
    if (!gc)
        return;
    for (int32_t i = 0; i < gc->n_partitions; i++)
        gstore_fail_all(gc, i, KAFKA_NOT_COORDINATOR);
    struct group *g;
    while ((g = group_coordinator_next(gc, NULL)))
        group_coordinator_drop(gc, g, KAFKA_NOT_COORDINATOR);
    if (gc->timer_ev)
        event_free(gc->timer_ev);
    if (gc->load_ev)
        event_free(gc->load_ev);
    if (gc->finish_ev)
        event_free(gc->finish_ev);
    if (gc->expire_ev)
        event_free(gc->expire_ev);
    sk_free(gc->parts);
    sk_free(gc);
}
