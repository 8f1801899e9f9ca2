/* raft-node's client protocol: newline-terminated commands on a loopback
 * TCP port, one reply per command.
 *   STATUS            -> id=.. role=.. term=.. leader=.. commit=.. applied=.. last=.. snapshot=..
 *   PROPOSE <text>    -> OK index=<i> | ERR <reason> leader=<id>   (accepted, not yet committed)
 *   APPLIED           -> "<index> <term> <text>" per applied entry, then END
 *   TRANSFER <id>     -> OK | ERR <reason>
 *   CHANGE add-observer|add-voter|remove <id> -> OK index=<i> | ERR <reason>
 * Lines longer than CLIENT_LINE_MAX close the connection. */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sk_err.h"
#include "tools/raft-node/node.h"

#define CLIENT_LINE_MAX (NODE_TEXT_MAX + 64)

static void reply_status(struct node *n, struct evbuffer *out)
{
    const struct raft *r = raft_host_raft(n->host);
    evbuffer_add_printf(out, "id=%llu role=%s term=%llu leader=%llu commit=%llu applied=%llu last=%llu snapshot=%llu\n",
                        (unsigned long long)n->id, raft_role_name(raft_role(r)), (unsigned long long)raft_term(r),
                        (unsigned long long)raft_leader(r), (unsigned long long)raft_commit(r),
                        (unsigned long long)n->sm.applied_index, (unsigned long long)raft_last_index(r),
                        (unsigned long long)raft_snapshot_index(r));
}

static void reply_propose(struct node *n, const char *text, struct evbuffer *out)
{
    uint64_t index = 0;
    int rc = raft_host_propose(n->host, text, (uint32_t)strlen(text), &index);
    if (rc == SK_OK)
        evbuffer_add_printf(out, "OK index=%llu\n", (unsigned long long)index);
    else
        evbuffer_add_printf(out, "ERR %s leader=%llu\n", sk_strerror(rc),
                            (unsigned long long)raft_leader(raft_host_raft(n->host)));
}

static void reply_transfer(struct node *n, const char *arg, struct evbuffer *out)
{
    int rc = raft_host_transfer(n->host, strtoull(arg, NULL, 10));
    if (rc == SK_OK)
        evbuffer_add_printf(out, "OK\n");
    else
        evbuffer_add_printf(out, "ERR %s\n", sk_strerror(rc));
}

static void reply_change(struct node *n, const char *arg, struct evbuffer *out)
{
    static const struct {
        const char *name;
        uint8_t op;
    } ops[] = {{"add-observer ", RAFT_CHANGE_ADD_OBSERVER}, {"add-voter ", RAFT_CHANGE_ADD_VOTER},
               {"remove ", RAFT_CHANGE_REMOVE}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        size_t len = strlen(ops[i].name);
        if (strncmp(arg, ops[i].name, len) != 0)
            continue;
        uint64_t index = 0;
        int rc = raft_host_change(n->host, ops[i].op, strtoull(arg + len, NULL, 10), &index);
        if (rc == SK_OK)
            evbuffer_add_printf(out, "OK index=%llu\n", (unsigned long long)index);
        else
            evbuffer_add_printf(out, "ERR %s\n", sk_strerror(rc));
        return;
    }
    evbuffer_add_printf(out, "ERR unknown change\n");
}

static void handle_line(struct node *n, const char *line, struct evbuffer *out)
{
    if (strcmp(line, "STATUS") == 0) {
        reply_status(n, out);
    } else if (strncmp(line, "PROPOSE ", 8) == 0 && line[8] != '\0') {
        reply_propose(n, line + 8, out);
    } else if (strcmp(line, "APPLIED") == 0) {
        for (size_t i = 0; i < n->sm.n; i++)
            evbuffer_add_printf(out, "%llu %llu %s\n", (unsigned long long)n->sm.v[i].index,
                                (unsigned long long)n->sm.v[i].term, n->sm.v[i].text);
        evbuffer_add_printf(out, "END\n");
    } else if (strncmp(line, "TRANSFER ", 9) == 0) {
        reply_transfer(n, line + 9, out);
    } else if (strncmp(line, "CHANGE ", 7) == 0) {
        reply_change(n, line + 7, out);
    } else {
        evbuffer_add_printf(out, "ERR unknown command\n");
    }
}

static void client_read_cb(struct bufferevent *bev, void *arg)
{
    struct node *n = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (unsigned k = 0; k < 1024; k++) {
        size_t len;
        char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
        if (!line)
            break;
        if (len <= CLIENT_LINE_MAX)
            handle_line(n, line, bufferevent_get_output(bev));
        free(line); /* allocated by libevent */
    }
    if (evbuffer_get_length(in) > CLIENT_LINE_MAX)
        bufferevent_free(bev);
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        bufferevent_free(bev);
}

static void client_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
    (void)l;
    (void)sa;
    (void)len;
    struct node *n = arg;
    struct bufferevent *bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        evutil_closesocket(fd);
        return;
    }
    bufferevent_setcb(bev, client_read_cb, NULL, client_event_cb, n);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int client_listen(struct node *n, uint16_t port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    n->client_listener = evconnlistener_new_bind(n->base, client_accept_cb, n,
                                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
                                                 (struct sockaddr *)&sa, sizeof(sa));
    return n->client_listener ? SK_OK : SK_EIO;
}
