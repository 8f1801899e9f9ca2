/* Flusher: group commit on its own thread, completions on the libevent loop,
 * coalescing of requests, drain. */
#include <check.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/flusher.h"
#include "broker/log.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/sk_err.h"
#include "log_testutil.h"

struct sync_seen {
    int calls;
    int64_t last_synced;
};

static void on_sync(void *arg, struct plog *l)
{
    struct sync_seen *s = arg;
    s->calls++;
    ck_assert_int_gt(plog_synced_offset(l), s->last_synced);
    s->last_synced = plog_synced_offset(l);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
}

struct env {
    struct event_base *base;
    struct event *tick;
    struct flusher *f;
    char *dir;
};

static void env_up(struct env *e)
{
    ck_assert_int_eq(evthread_use_pthreads(), 0);
    e->base = event_base_new();
    ck_assert_ptr_nonnull(e->base);
    /* A periodic timer makes EVLOOP_ONCE return even when nothing else fires. */
    e->tick = event_new(e->base, -1, EV_PERSIST, tick_cb, NULL);
    struct timeval tv = {0, 10000};
    event_add(e->tick, &tv);
    e->f = flusher_create(e->base);
    ck_assert_ptr_nonnull(e->f);
    e->dir = logt_mkdtemp();
}

static void env_down(struct env *e)
{
    flusher_destroy(e->f);
    event_free(e->tick);
    event_base_free(e->base);
    logt_rmdir(e->dir);
}

/* Runs the loop until l's synced offset reaches its LEO, 10 s at most. */
static void run_until_synced(struct env *e, struct plog *l)
{
    int64_t deadline = sk_mono_ms() + 10000;
    while (plog_synced_offset(l) < plog_end_offset(l) && sk_mono_ms() < deadline)
        event_base_loop(e->base, EVLOOP_ONCE);
    ck_assert_int_eq(plog_synced_offset(l), plog_end_offset(l));
}

static void append_one(struct plog *l, int recs)
{
    struct sk_writer w;
    sk_writer_init(&w);
    logt_build_batch(&w, recs, 1000, 1, 64);
    ck_assert_int_eq(plog_append(l, w.p, w.len, 0, 1000, NULL, NULL), 0);
    sk_writer_free(&w);
}

static struct log_config cfg_small(void)
{
    struct log_config c;
    log_config_default(&c);
    c.segment_bytes = 16384;
    return c;
}

START_TEST(request_fires_callback)
{
    struct env e;
    env_up(&e);
    struct log_config cfg = cfg_small();
    struct plog *l;
    char *pdir = logt_path(e.dir, "topic-a-3");
    ck_assert_int_eq(plog_open(pdir, &cfg, true, 0, &l), 0);
    struct sync_seen seen = {0, 0};
    plog_set_sync_cb(l, on_sync, &seen);
    append_one(l, 5);
    ck_assert_int_eq(plog_synced_offset(l), 0);
    ck_assert_int_eq(plog_unflushed_messages(l), 5);
    flusher_request(e.f, l);
    run_until_synced(&e, l);
    ck_assert_int_eq(seen.calls, 1);
    ck_assert_int_eq(seen.last_synced, 5);
    ck_assert_int_eq(plog_unflushed_messages(l), 0);
    /* data fd + index pair of nothing + dir + parent dir: at least 3 syncs */
    ck_assert_uint_ge(flusher_sync_count(e.f), 3);
    char *ck = logt_path(pdir, "recovery-point-checkpoint");
    ck_assert_int_gt(logt_file_size(ck), 0);
    free(ck);
    flusher_drain(e.f);
    plog_close(l);
    free(pdir);
    env_down(&e);
}
END_TEST

START_TEST(requests_coalesce_under_load)
{
    struct env e;
    env_up(&e);
    struct log_config cfg = cfg_small();
    struct plog *l;
    ck_assert_int_eq(plog_open(e.dir, &cfg, true, 0, &l), 0);
    struct sync_seen seen = {0, 0};
    plog_set_sync_cb(l, on_sync, &seen);
    const int n = 2000;
    for (int i = 0; i < n; i++) {
        append_one(l, 1);
        flusher_request(e.f, l);
        event_base_loop(e.base, EVLOOP_NONBLOCK);
    }
    run_until_synced(&e, l);
    ck_assert_int_eq(plog_end_offset(l), n);
    ck_assert_uint_ge(flusher_request_count(e.f), (uint64_t)n); /* plus follow-ups */
    /* Many requests, far fewer groups: each group covered many appends. */
    uint64_t groups = flusher_group_count(e.f), syncs = flusher_sync_count(e.f);
    fprintf(stderr, "coalesce: requests=%d groups=%llu syncs=%llu callbacks=%d\n", n,
            (unsigned long long)groups, (unsigned long long)syncs, seen.calls);
    ck_assert_uint_lt(groups, (uint64_t)n / 2);
    ck_assert_uint_lt(syncs, (uint64_t)n);
    ck_assert_int_le(seen.calls, (int)groups);
    flusher_drain(e.f);
    plog_close(l);
    env_down(&e);
}
END_TEST

START_TEST(one_group_covers_many_logs)
{
    struct env e;
    env_up(&e);
    struct log_config cfg = cfg_small();
    struct plog *l[8];
    for (int i = 0; i < 8; i++) {
        char name[16];
        snprintf(name, sizeof(name), "t-%d", i);
        char *p = logt_path(e.dir, name);
        ck_assert_int_eq(plog_open(p, &cfg, true, 0, &l[i]), 0);
        free(p);
        append_one(l[i], 3);
    }
    for (int i = 0; i < 8; i++)
        flusher_request(e.f, l[i]);
    /* Drain runs the completions itself, no loop needed. */
    flusher_drain(e.f);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(plog_synced_offset(l[i]), 3);
        plog_close(l[i]);
    }
    ck_assert_uint_le(flusher_group_count(e.f), 8);
    env_down(&e);
}
END_TEST

START_TEST(roll_and_retention_during_flush)
{
    struct env e;
    env_up(&e);
    struct log_config cfg = cfg_small();
    cfg.retention_bytes = 40000;
    struct plog *l;
    ck_assert_int_eq(plog_open(e.dir, &cfg, true, 0, &l), 0);
    /* Segments roll and retention unlinks files while syncs are in flight on
     * duplicated descriptors. */
    for (int i = 0; i < 300; i++) {
        append_one(l, 4);
        flusher_request(e.f, l);
        if (i % 10 == 0)
            ck_assert_int_eq(plog_maintain(l, 1000, NULL), 0);
        event_base_loop(e.base, EVLOOP_NONBLOCK);
    }
    flusher_request(e.f, l);
    run_until_synced(&e, l);
    ck_assert_int_gt(plog_start_offset(l), 0);
    ck_assert_int_eq(plog_sync_error(l), 0);
    flusher_drain(e.f);
    int64_t start = plog_start_offset(l), leo = plog_end_offset(l);
    plog_close(l);
    /* Unclean reopen: everything synced is there. */
    ck_assert_int_eq(plog_open(e.dir, &cfg, false, 0, &l), 0);
    ck_assert_int_eq(plog_start_offset(l), start);
    ck_assert_int_eq(plog_end_offset(l), leo);
    plog_close(l);
    env_down(&e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("flusher");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, request_fires_callback);
    tcase_add_test(tc, requests_coalesce_under_load);
    tcase_add_test(tc, one_group_covers_many_logs);
    tcase_add_test(tc, roll_and_retention_during_flush);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
