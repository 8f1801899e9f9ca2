/* build/raft-node: one Raft member over the real transport and storage.
 *   raft-node --id N --peers 1@127.0.0.1:P1,2@127.0.0.1:P2,... --client-port P --dir DIR
 *             [--election-timeout-ms 1000] [--heartbeat-ms 100] [--snapshot-every 64]
 * The peer list includes this node (its entry is the listen address). */
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "tools/raft-node/node.h"

struct args {
    uint64_t id;
    char *peers; /* owned */
    unsigned client_port;
    const char *dir;
    unsigned election_ms;
    unsigned heartbeat_ms;
    unsigned snapshot_every;
};

static void usage(void)
{
    fprintf(stderr, "usage: raft-node --id N --peers ID@HOST:PORT,... --client-port P --dir DIR "
                    "[--election-timeout-ms MS] [--heartbeat-ms MS] [--snapshot-every N]\n");
    exit(2);
}

static unsigned long num(const char *s, unsigned long max)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v > max)
        usage();
    return v;
}

static void parse_args(int argc, char **argv, struct args *a)
{
    memset(a, 0, sizeof(*a));
    a->election_ms = 1000;
    a->heartbeat_ms = 100;
    a->snapshot_every = 64;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--id"))
            a->id = num(v, 1000000);
        else if (!strcmp(k, "--peers"))
            a->peers = sk_strdup(v);
        else if (!strcmp(k, "--client-port"))
            a->client_port = (unsigned)num(v, 65535);
        else if (!strcmp(k, "--dir"))
            a->dir = v;
        else if (!strcmp(k, "--election-timeout-ms"))
            a->election_ms = (unsigned)num(v, 3600000);
        else if (!strcmp(k, "--heartbeat-ms"))
            a->heartbeat_ms = (unsigned)num(v, 3600000);
        else if (!strcmp(k, "--snapshot-every"))
            a->snapshot_every = (unsigned)num(v, 1000000);
        else
            usage();
    }
    if (argc % 2 == 0 || a->id == 0 || !a->peers || !a->dir || a->client_port == 0)
        usage();
}

struct peer_addr {
    uint64_t id;
    char host[64];
    unsigned port;
};

/* Parses "id@host:port,..." (which must include this node). */
static int parse_peers(const char *list, struct peer_addr *out, unsigned *n_out)
{
    char *copy = sk_strdup(list);
    unsigned n = 0;
    int rc = copy ? SK_OK : SK_ENOMEM;
    for (char *save = NULL, *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && rc == SK_OK;
         tok = strtok_r(NULL, ",", &save)) {
        unsigned long long id;
        if (n == SK_RAFT_MEMBERS_MAX || sscanf(tok, "%llu@%63[^:]:%u", &id, out[n].host, &out[n].port) != 3 ||
            out[n].port == 0 || out[n].port > 65535 || id == 0)
            rc = SK_EINVAL;
        else
            out[n++].id = id;
    }
    sk_free(copy);
    *n_out = n;
    return rc;
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

static int start(struct node *n, const struct args *a)
{
    struct peer_addr peers[SK_RAFT_MEMBERS_MAX];
    unsigned n_peers = 0;
    struct raft_host_config hc;
    memset(&hc, 0, sizeof(hc));
    raft_config_default(&hc.raft);
    hc.raft.id = a->id;
    hc.raft.election_timeout_ms = a->election_ms;
    hc.raft.heartbeat_interval_ms = a->heartbeat_ms;
    hc.raft.seed = a->id * 0x9E3779B97F4A7C15ull ^ (uint64_t)sk_mono_us();
    hc.dir = a->dir;
    hc.snapshot_every = a->snapshot_every;
    const struct peer_addr *self = NULL;
    if (parse_peers(a->peers, peers, &n_peers) != SK_OK) {
        fprintf(stderr, "raft-node: bad --peers (want id@host:port,...)\n");
        return SK_EINVAL;
    }
    for (unsigned i = 0; i < n_peers; i++) {
        hc.raft.voters[hc.raft.n_voters++] = peers[i].id;
        if (peers[i].id == a->id)
            self = &peers[i];
    }
    if (!self) {
        fprintf(stderr, "raft-node: --peers must include --id %llu\n", (unsigned long long)a->id);
        return SK_EINVAL;
    }
    int rc = raft_transport_new(n->base, a->id, self->host, (uint16_t)self->port, &n->tr);
    if (rc != SK_OK) {
        fprintf(stderr, "raft-node: cannot listen on %s:%u\n", self->host, self->port);
        return rc;
    }
    for (unsigned i = 0; i < n_peers; i++)
        if (peers[i].id != a->id)
            raft_transport_add_peer(n->tr, peers[i].id, peers[i].host, (uint16_t)peers[i].port);
    struct raft_host_cb cb;
    sm_host_callbacks(&n->sm, &cb);
    char err[256];
    if ((rc = raft_host_new(n->base, n->tr, &hc, &cb, &n->host, err, sizeof(err))) != SK_OK) {
        fprintf(stderr, "raft-node: %s\n", err);
        return rc;
    }
    if ((rc = client_listen(n, (uint16_t)a->client_port)) != SK_OK)
        fprintf(stderr, "raft-node: cannot listen on client port %u\n", a->client_port);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a;
    parse_args(argc, argv, &a);
    signal(SIGPIPE, SIG_IGN);
    sk_log_set_node((int)a.id);
    struct node n;
    memset(&n, 0, sizeof(n));
    n.id = a.id;
    n.base = event_base_new();
    if (!n.base || start(&n, &a) != SK_OK)
        return 1;
    struct event *term = evsignal_new(n.base, SIGTERM, signal_cb, n.base);
    struct event *intr = evsignal_new(n.base, SIGINT, signal_cb, n.base);
    event_add(term, NULL);
    event_add(intr, NULL);
    event_base_dispatch(n.base);
    SK_INFO("raft_node_stop", "id=%llu", (unsigned long long)n.id);
    event_free(term);
    event_free(intr);
    if (n.client_listener)
        evconnlistener_free(n.client_listener);
    raft_host_free(n.host);
    raft_transport_free(n.tr);
    sm_free(&n.sm);
    sk_free(a.peers);
    event_base_free(n.base);
    return 0;
}
