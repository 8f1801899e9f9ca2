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
    char *peers;
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

/* Parses the peer list into the config and the transport. */
static int setup_peers(struct node *n, char *peers, struct raft_config *c, char *host_out, unsigned *port_out)
{
    for (char *save = NULL, *tok = strtok_r(peers, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char host[64];
        unsigned long long id;
        unsigned port;
        if (sscanf(tok, "%llu@%63[^:]:%u", &id, host, &port) != 3 || port > 65535 ||
            c->n_voters == SK_RAFT_MEMBERS_MAX)
            return SK_EINVAL;
        c->voters[c->n_voters++] = id;
        if (id == n->id) {
            snprintf(host_out, 64, "%s", host);
            *port_out = port;
        }
    }
    return *port_out ? SK_OK : SK_EINVAL;
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

static int start(struct node *n, struct args *a)
{
    struct raft_config c;
    raft_config_default(&c);
    c.id = a->id;
    c.election_timeout_ms = a->election_ms;
    c.heartbeat_interval_ms = a->heartbeat_ms;
    c.seed = a->id * 0x9E3779B97F4A7C15ull ^ (uint64_t)sk_mono_us();
    char host[64] = "";
    unsigned port = 0;
    char *peers = sk_strdup(a->peers);
    int rc = setup_peers(n, peers, &c, host, &port);
    if (rc != SK_OK) {
        fprintf(stderr, "raft-node: bad --peers (want id@host:port,... including --id)\n");
        goto done;
    }
    struct raft_restore rs;
    uint64_t cut = 0;
    if ((rc = raft_storage_open(a->dir, &n->st, &rs, &cut)) != SK_OK) {
        fprintf(stderr, "raft-node: storage %s: %s\n", a->dir, sk_strerror(rc));
        goto done;
    }
    char err[256];
    rc = raft_new(&c, &rs, sk_mono_ms(), &n->raft, err, sizeof(err));
    if (rc == SK_OK && rs.snapshot.index > 0)
        rc = sm_restore(&n->sm, rs.snapshot.index, rs.snapshot.data, rs.snapshot.len);
    raft_storage_restore_done(n->st);
    if (rc != SK_OK) {
        fprintf(stderr, "raft-node: %s\n", rc == SK_ECONFIG ? err : sk_strerror(rc));
        goto done;
    }
    SK_INFO("raft_node_start", "id=%llu term=%llu last=%llu snapshot=%llu torn_bytes=%llu", (unsigned long long)n->id,
            (unsigned long long)raft_term(n->raft), (unsigned long long)raft_last_index(n->raft),
            (unsigned long long)raft_snapshot_index(n->raft), (unsigned long long)cut);
    if ((rc = raft_transport_new(n->base, n->id, host, (uint16_t)port, &n->tr)) != SK_OK) {
        fprintf(stderr, "raft-node: cannot listen on %s:%u\n", host, port);
        goto done;
    }
    strcpy(peers, a->peers);
    for (char *save = NULL, *tok = strtok_r(peers, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned long long id;
        unsigned p;
        char h[64];
        if (sscanf(tok, "%llu@%63[^:]:%u", &id, h, &p) == 3 && id != n->id)
            raft_transport_add_peer(n->tr, id, h, (uint16_t)p);
    }
    raft_transport_handle(n->tr, SKIFF__RAFT__ENVELOPE__BODY_RAFT, node_recv_cb, n);
    if ((rc = client_listen(n, (uint16_t)a->client_port)) != SK_OK) {
        fprintf(stderr, "raft-node: cannot listen on client port %u\n", a->client_port);
        goto done;
    }
    rc = node_start_timer(n);
done:
    sk_free(peers);
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
    n.snapshot_every = a.snapshot_every;
    n.base = event_base_new();
    n.scratch = sk_calloc(SK_RAFT_MSG_ENTRIES_MAX, sizeof(*n.scratch));
    if (!n.base || !n.scratch || start(&n, &a) != SK_OK)
        return 1;
    struct event *term = evsignal_new(n.base, SIGTERM, signal_cb, n.base);
    struct event *intr = evsignal_new(n.base, SIGINT, signal_cb, n.base);
    event_add(term, NULL);
    event_add(intr, NULL);
    event_base_dispatch(n.base);
    SK_INFO("raft_node_stop", "id=%llu", (unsigned long long)n.id);
    event_free(term);
    event_free(intr);
    if (n.timer)
        event_free(n.timer);
    raft_transport_free(n.tr);
    raft_free(n.raft);
    raft_storage_close(n.st);
    sm_free(&n.sm);
    sk_free(n.scratch);
    sk_free(a.peers);
    event_base_free(n.base);
    return 0;
}
