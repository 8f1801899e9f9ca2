/* skiffd: one Skiff node.  Usage: skiffd --config FILE [--override key=value]... */
#include <event2/event.h>
#include <event2/thread.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "broker_metrics.h"
#include "cluster.h"
#include "common/fsutil.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "flusher.h"
#include "group_coordinator.h"
#include "http.h"
#include "kserver.h"
#include "topics.h"

#define EXIT_CONFIG 2

static void usage(FILE *out)
{
    fprintf(out, "usage: skiffd --config FILE [--override key=value]...\n"
                 "       skiffd --config-reference   (print every configuration key)\n");
}

/* Parses the command line into b->cfg; returns 0, or prints one line and
 * returns an exit code. */
static int load_config(struct broker *b, int argc, char **argv)
{
    char err[512];
    config_defaults(&b->cfg);
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            file = argv[++i];
        } else if (strcmp(argv[i], "--override") == 0 && i + 1 < argc) {
            i++;
        } else if (strcmp(argv[i], "--config-reference") == 0) {
            config_print_reference(stdout);
            exit(0);
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "skiffd: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_CONFIG;
        }
    }
    if (file && config_load_file(&b->cfg, file, err, sizeof(err))) {
        fprintf(stderr, "skiffd: %s\n", err);
        return EXIT_CONFIG;
    }
    /* Overrides apply after the file, in order. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--override") != 0)
            continue;
        char *kv = argv[++i];
        char *eq = strchr(kv, '=');
        if (!eq) {
            fprintf(stderr, "skiffd: --override %s: expected key=value\n", kv);
            return EXIT_CONFIG;
        }
        *eq = '\0';
        int rc = config_set(&b->cfg, kv, eq + 1, err, sizeof(err));
        *eq = '=';
        if (rc) {
            fprintf(stderr, "skiffd: %s\n", err);
            return EXIT_CONFIG;
        }
    }
    if (config_finish(&b->cfg, err, sizeof(err))) {
        fprintf(stderr, "skiffd: %s\n", err);
        return EXIT_CONFIG;
    }
    return 0;
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct broker *b = arg;
    SK_INFO("shutdown_requested", "signal=%d", (int)sig);
    b->stopping = true;
    event_base_loopbreak(b->base);
}

static void maintain_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct broker *b = arg;
    topics_maintain(b->topics);
}

static int start(struct broker *b)
{
    int rc = sk_mkdirs(b->cfg.log_dirs);
    if (rc) {
        SK_ERROR("log_dir_failed", "dir=%s", b->cfg.log_dirs);
        return rc;
    }
    if ((rc = http_start(b, &b->http)))
        return rc;
    if (!(b->flusher = flusher_create(b->base)))
        return SK_ENOMEM;
    if ((rc = topics_open(b, &b->topics)))
        return rc;
    /* The coordinator exists before the cluster starts: leadership of
     * __consumer_offsets partitions reaches it through role changes. */
    if ((rc = group_coordinator_create(b, &b->groups)))
        return rc;
    /* Topics come from the metadata log: the quorum restores the image and
     * the registry follows it. */
    if ((rc = cluster_start(b, &b->cluster)))
        return rc;
    if ((rc = broker_metrics_start(b, &b->metrics)))
        return rc;
    if ((rc = kserver_start(b, &b->kafka)))
        return rc;
    b->sigterm_ev = evsignal_new(b->base, SIGTERM, stop_cb, b);
    b->sigint_ev = evsignal_new(b->base, SIGINT, stop_cb, b);
    b->maintain_ev = event_new(b->base, -1, EV_PERSIST, maintain_cb, b);
    if (!b->sigterm_ev || !b->sigint_ev || !b->maintain_ev)
        return SK_ENOMEM;
    evsignal_add(b->sigterm_ev, NULL);
    evsignal_add(b->sigint_ev, NULL);
    int64_t ms = b->cfg.log_retention_check_interval_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    event_add(b->maintain_ev, &tv);
    /* Ready (readyz) once registered, unfenced and caught up: the cluster
     * module sets b->ready. */
    SK_INFO("node_started", "node_id=%d", b->cfg.node_id);
    return 0;
}

/* Clean shutdown: stop taking requests, drop pending ones, make every log
 * durable, then write the clean-shutdown marker (topics_close). */
static void shutdown_node(struct broker *b, bool clean)
{
    if (clean && b->cluster)
        cluster_controlled_shutdown(b->cluster);
    b->stopping = true;
    kserver_stop(b->kafka);
    group_coordinator_destroy(b->groups);
    b->groups = NULL;
    cluster_stop(b->cluster);
    b->cluster = NULL;
    topics_close(b->topics, clean);
    flusher_destroy(b->flusher);
    http_stop(b->http);
    broker_metrics_stop(b->metrics);
    if (b->maintain_ev)
        event_free(b->maintain_ev);
    if (b->sigterm_ev)
        event_free(b->sigterm_ev);
    if (b->sigint_ev)
        event_free(b->sigint_ev);
}

int main(int argc, char **argv)
{
    static struct broker b;
    int rc = load_config(&b, argc, argv);
    if (rc)
        return rc;
    sk_log_set_node(b.cfg.node_id);
    signal(SIGPIPE, SIG_IGN);
    /* Fetch responses are built in buffers of several MiB.  By default glibc
     * maps each one fresh and unmaps it on free, so every fetch pays page
     * faults and page clearing for its whole size (a fifth of the broker's
     * time when consumers read at full speed).  Keeping such blocks in the
     * heap lets the next response reuse warm pages. */
    mallopt(M_MMAP_THRESHOLD, SK_MALLOC_MMAP_THRESHOLD_BYTES);
    mallopt(M_TRIM_THRESHOLD, 2 * SK_MALLOC_MMAP_THRESHOLD_BYTES);
    if (evthread_use_pthreads() != 0 || !(b.base = event_base_new())) {
        fprintf(stderr, "skiffd: cannot create the event loop\n");
        return 1;
    }
    SK_INFO("starting", "node_id=%d log_dirs=%s", b.cfg.node_id, b.cfg.log_dirs);
    rc = start(&b);
    if (rc == 0)
        event_base_dispatch(b.base);
    shutdown_node(&b, rc == 0);
    event_base_free(b.base);
    SK_INFO("stopped", "clean=%s", rc == 0 ? "true" : "false");
    config_free(&b.cfg);
    return rc == 0 ? 0 : 1;
}
