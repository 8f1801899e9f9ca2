/* Append throughput of the partition log with group commit: plog_append of
 * ~16 KiB batches (16 records of 1 KiB) from the event loop, flusher_request
 * after every append, at most `window` bytes appended but not yet synced (as
 * producers with acks waiting on the flush would).  Prints MB/s and syncs/s.
 *
 *   log_bench [-d dir] [-t seconds] [-w window_kib] [-p partitions] [-n (no fsync)]
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/flusher.h"
#include "broker/log.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/sk_err.h"
#include "tests/unit/log_testutil.h"

#define PARTITIONS_MAX 64

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
}

static int64_t unsynced_bytes(struct plog **logs, int n, const int64_t *bytes_per_offset)
{
    int64_t u = 0;
    for (int i = 0; i < n; i++)
        u += plog_unflushed_messages(logs[i]) * bytes_per_offset[0];
    return u;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    double seconds = 5;
    int64_t window = 4 << 20;
    int parts = 1;
    bool sync = true;
    int c;
    while ((c = getopt(argc, argv, "d:t:w:p:n")) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 't':
            seconds = atof(optarg);
            break;
        case 'w':
            window = atoll(optarg) * 1024;
            break;
        case 'p':
            parts = atoi(optarg);
            break;
        case 'n':
            sync = false;
            break;
        default:
            fprintf(stderr, "usage: %s [-d dir] [-t seconds] [-w window_kib] [-p partitions] [-n]\n",
                    argv[0]);
            return 2;
        }
    }
    if (parts < 1 || parts > PARTITIONS_MAX)
        parts = 1;
    char tmpl[] = "/tmp/skiff-bench-XXXXXX";
    bool own_dir = dir == NULL;
    if (own_dir && !(dir = mkdtemp(tmpl))) {
        perror("mkdtemp");
        return 1;
    }
    evthread_use_pthreads();
    struct event_base *base = event_base_new();
    struct event *tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
    struct timeval tv = {0, 1000};
    event_add(tick, &tv);
    struct flusher *f = flusher_create(base);
    struct log_config cfg;
    log_config_default(&cfg);
    struct plog *logs[PARTITIONS_MAX];
    for (int i = 0; i < parts; i++) {
        char p[512];
        snprintf(p, sizeof(p), "%s/bench-%d", dir, i);
        if (plog_open(p, &cfg, true, sk_wall_ms(), &logs[i]) != 0) {
            fprintf(stderr, "open %s failed\n", p);
            return 1;
        }
    }
    struct sk_writer w;
    sk_writer_init(&w);
    logt_build_batch(&w, 16, sk_wall_ms(), 0, 1000);
    int64_t per_offset = (int64_t)w.len / 16;

    int64_t t0 = sk_mono_us(), end = t0 + (int64_t)(seconds * 1e6), bytes = 0, batches = 0;
    int k = 0;
    while (sk_mono_us() < end) {
        struct plog *l = logs[k++ % parts];
        if (plog_append(l, w.p, w.len, 0, sk_wall_ms(), NULL, NULL) != 0) {
            fprintf(stderr, "append failed\n");
            return 1;
        }
        bytes += (int64_t)w.len;
        batches++;
        if (sync) {
            flusher_request(f, l);
            event_base_loop(base, EVLOOP_NONBLOCK);
            while (unsynced_bytes(logs, parts, &per_offset) > window && sk_mono_us() < end)
                event_base_loop(base, EVLOOP_ONCE);
        }
    }
    flusher_drain(f);
    double secs = (double)(sk_mono_us() - t0) / 1e6;
    uint64_t syncs = flusher_sync_count(f), groups = flusher_group_count(f);
    printf("partitions=%d window_kib=%lld batch_bytes=%zu fsync=%s\n", parts, (long long)(window / 1024),
           w.len, sync ? "yes" : "no");
    printf("appended %.1f MB in %.2f s: %.1f MB/s, %.0f batches/s, %.0f records/s\n", bytes / 1e6, secs,
           bytes / 1e6 / secs, batches / secs, batches * 16 / secs);
    printf("groups %llu (%.0f/s), fdatasync+fsync calls %llu (%.0f/s), %.1f batches per group\n",
           (unsigned long long)groups, groups / secs, (unsigned long long)syncs, syncs / secs,
           groups ? (double)batches / (double)groups : 0.0);
    for (int i = 0; i < parts; i++)
        plog_close(logs[i]);
    flusher_destroy(f);
    event_free(tick);
    event_base_free(base);
    sk_writer_free(&w);
    if (own_dir) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cleanup of %s failed\n", dir);
    }
    return 0;
}
