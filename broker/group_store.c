/* Group records through __consumer_offsets: durable writes and replay.  See
 * group_store.h. */
#include "group_store.h"

#include <string.h>

#include "batch.h"
#include "broker.h"
#include "common/alloc.h"
#include "common/arena.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "group_coordinator.h"
#include "kafka_err.h"
#include "log.h"

static struct partition *offsets_partition(struct group_coordinator *gc, int32_t partition)
{
    return topics_partition(gc->b->topics, GROUP_OFFSETS_TOPIC, strlen(GROUP_OFFSETS_TOPIC), partition);
}

/* ------------------------------------------------------------ apply */

/* The group a record belongs to, if this node serves its partition (replay
 * runs while the partition is loading).  0 with *g NULL when it does not. */
static int record_group(struct group_coordinator *gc, struct sk_slice id, bool create, struct group **g)
{
    int16_t err = group_coordinator_replay_group(gc, id, create, g);
    if (err == KAFKA_UNKNOWN_SERVER_ERROR)
        return SK_ENOMEM;
    if (err)
        *g = NULL; /* another partition's group, or an invalid id: skipped */
    return 0;
}

static int apply_offset(struct group_coordinator *gc, int32_t partition, const struct grec *rec,
                        int64_t offset)
{
    struct group *g = NULL;
    (void)partition;
    int rc = record_group(gc, rec->group, !rec->tombstone, &g);
    if (rc || !g)
        return rc;
    if (rec->tombstone) {
        group_offset_remove(g, rec->topic, rec->partition, offset);
        group_coordinator_touched(gc, g);
        return 0;
    }
    return group_offset_put(g, rec->topic, rec->partition, rec->offset, rec->leader_epoch, rec->metadata,
                            rec->commit_ms, offset);
}

static int apply_group(struct group_coordinator *gc, const struct grec *rec, bool replay)
{
    struct group *g = NULL;
    int rc = record_group(gc, rec->group, replay && !rec->tombstone, &g);
    if (rc || !g)
        return rc;
    if (rec->tombstone) {
        /* The group was deleted (expired).  Live, a member may have joined
         * since the tombstone was written: then the group stays. */
        if (replay)
            group_restore(g, 0, (struct sk_slice){(const uint8_t *)"", 0}, (struct sk_slice){NULL, -1},
                          (struct sk_slice){NULL, -1}, NULL, 0, sk_wall_ms());
        if (g->n_members == 0 && g->state == GROUP_EMPTY && g->n_offsets == 0)
            group_coordinator_drop(gc, g, KAFKA_NOT_COORDINATOR);
        return 0;
    }
    if (!replay)
        return 0;
    rc = group_restore(g, rec->generation, rec->protocol_type, rec->protocol_name, rec->leader_id,
                       rec->members, rec->n_members, sk_wall_ms());
    if (!rc && g->state == GROUP_EMPTY && rec->state_ms >= 0)
        g->state_since_ms = rec->state_ms;
    group_coordinator_touched(gc, g);
    return rc;
}

int gstore_apply(struct group_coordinator *gc, int32_t partition, const struct grec *rec, int64_t offset,
                 bool replay)
{
    if (rec->kind == GREC_OFFSET)
        return apply_offset(gc, partition, rec, offset);
    if (rec->kind == GREC_BARRIER)
        return 0;
    return apply_group(gc, rec, replay);
}

struct apply_ctx {
    struct group_coordinator *gc;
    int32_t partition;
    bool replay;
    struct sk_arena arena;
};

static int apply_record_cb(void *arg, struct sk_slice key, struct sk_slice value, int64_t offset)
{
    struct apply_ctx *c = arg;
    struct grec rec;
    int rc = grec_decode(key, value, &c->arena, &rec);
    if (rc == 0)
        rc = gstore_apply(c->gc, c->partition, &rec, offset, c->replay);
    else
        SK_WARN("group_record_skipped", "partition=%d offset=%lld err=\"%s\"", c->partition,
                (long long)offset, sk_strerror(rc));
    sk_arena_free(&c->arena);
    sk_arena_init(&c->arena);
    return rc == SK_ENOMEM ? rc : 0; /* a bad record is skipped, not fatal */
}

static int apply_batches(struct group_coordinator *gc, int32_t partition, const uint8_t *buf, size_t len,
                         bool replay, size_t *consumed)
{
    struct apply_ctx c = {gc, partition, replay, {0}};
    sk_arena_init(&c.arena);
    int rc = grec_walk(buf, len, apply_record_cb, &c, consumed);
    sk_arena_free(&c.arena);
    return rc;
}

/* ------------------------------------------------------------ writes */

static void unlink_write(struct gstore_write *w)
{
    struct gc_partition *gp = &w->gc->parts[w->partition];
    if (w->prev)
        w->prev->next = w->next;
    else if (gp->writes == w)
        gp->writes = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
}

static void complete_write(struct gstore_write *w, int16_t error)
{
    struct group_coordinator *gc = w->gc;
    unlink_write(w);
    partition_unwait(&w->w);
    if (!error && w->kind != GSTORE_GROUP) {
        size_t consumed;
        int rc = apply_batches(gc, w->partition, w->batch, w->batch_len, false, &consumed);
        if (rc)
            error = KAFKA_UNKNOWN_SERVER_ERROR;
    }
    if (w->kind == GSTORE_GROUP) {
        struct group *g = group_coordinator_find(gc, w->group_id);
        if (g) {
            group_persisted(g, w->generation, error, sk_wall_ms());
            group_coordinator_touched(gc, g);
        }
    }
    if (w->pending) {
        w->pending->write = NULL;
        w->pending->write_done(w->pending, error);
    }
    sk_free(w->batch);
    sk_free(w->group_id);
    sk_free(w);
}

/* Woken when the high watermark passed the write, or when the partition
 * went away or this node stopped leading it: then the write may never be
 * committed (the new leader truncates it), so it fails.  Treating a lost
 * leadership as success acknowledged commits that were then lost; the
 * fault harness caught it as committed offsets moving backwards. */
static void write_durable_cb(struct hw_waiter *hw)
{
    struct gstore_write *w = hw->arg;
    complete_write(w, hw->partition_gone || hw->lost_leadership ? KAFKA_NOT_COORDINATOR : KAFKA_NONE);
}

int16_t gstore_append(struct group_coordinator *gc, int32_t partition, struct grec_batch *b,
                      enum gstore_kind kind, const char *group_id, int32_t generation,
                      struct gc_pending *pending, struct gstore_write **out)
{
    struct partition *p = offsets_partition(gc, partition);
    if (!p || gc->parts[partition].state != GC_LOADED)
        return KAFKA_NOT_COORDINATOR;
    if (grec_batch_finish(b))
        return KAFKA_UNKNOWN_SERVER_ERROR;
    struct gstore_write *w = sk_calloc(1, sizeof(*w));
    if (!w || !(w->group_id = sk_strdup(group_id))) {
        sk_free(w);
        return KAFKA_UNKNOWN_SERVER_ERROR;
    }
    int64_t first, last;
    int rc = partition_append(p, b->w.p, b->w.len, &first, &last);
    if (rc) {
        SK_ERROR("group_write_failed", "partition=%d err=\"%s\"", partition, sk_strerror(rc));
        sk_free(w->group_id);
        sk_free(w);
        return KAFKA_KAFKA_STORAGE_ERROR;
    }
    w->gc = gc;
    w->partition = partition;
    w->kind = kind;
    w->generation = generation;
    w->pending = pending;
    w->batch = sk_writer_take(&b->w, &w->batch_len);
    struct gc_partition *gp = &gc->parts[partition];
    w->next = gp->writes;
    if (gp->writes)
        gp->writes->prev = w;
    gp->writes = w;
    if (out)
        *out = w;
    if (pending)
        pending->write = w;
    w->w.target = last + 1;
    w->w.cb = write_durable_cb;
    w->w.arg = w;
    if (p->high_watermark > last) {
        complete_write(w, KAFKA_NONE);
        return KAFKA_NONE;
    }
    partition_wait(p, &w->w);
    return KAFKA_NONE;
}

void gstore_detach(struct gstore_write *w)
{
    if (w)
        w->pending = NULL;
}

void gstore_fail_all(struct group_coordinator *gc, int32_t partition, int16_t error)
{
    while (gc->parts[partition].writes)
        complete_write(gc->parts[partition].writes, error);
}

/* ------------------------------------------------------------ load */

int gstore_load_step(struct group_coordinator *gc, int32_t partition, bool *done, bool *waiting)
{
    struct gc_partition *gp = &gc->parts[partition];
    struct partition *p = offsets_partition(gc, partition);
    *done = false;
    *waiting = false;
    if (!p)
        return SK_ENOENT;
    if (gp->load_offset < plog_start_offset(p->log))
        gp->load_offset = plog_start_offset(p->log);
    if (gp->load_offset >= p->high_watermark) {
        /* A new leader's high watermark can trail its own log, which holds
         * every commit the previous coordinator acknowledged.  Loading only
         * to the high watermark would serve offsets older than acknowledged
         * ones (the fault harness caught committed offsets moving back
         * after a coordinator failover); so the load finishes only once
         * the whole log, as of election, is committed. */
        if (p->high_watermark < plog_end_offset(p->log)) {
            *waiting = true;
            return 0;
        }
        *done = true;
        return 0;
    }
    struct sk_writer buf;
    sk_writer_init(&buf);
    int rc = plog_read(p->log, gp->load_offset, p->high_watermark, SK_GROUP_LOAD_STEP_BYTES, &buf);
    if (!rc && buf.err)
        rc = buf.err;
    size_t consumed = 0;
    if (!rc)
        rc = apply_batches(gc, partition, buf.p, buf.len, true, &consumed);
    if (!rc && consumed > 0) {
        /* The next read starts after the last whole batch walked. */
        struct batch_hdr h;
        const uint8_t *q = buf.p;
        size_t off = 0;
        while (off < consumed && !batch_parse_header(q + off, consumed - off, &h)) {
            gp->load_offset = batch_last_offset(&h) + 1;
            off += batch_total_bytes(&h);
        }
    } else if (!rc) {
        rc = SK_ECORRUPT; /* nothing whole to read below the high watermark */
    }
    sk_writer_free(&buf);
    return rc;
}
