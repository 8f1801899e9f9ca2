/* Internal transport: connections, framing, dispatch (see transport.h). */
#include "raft/transport.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"

#define HANDLERS_MAX 32
#define RECONNECT_MS 100 /* at most one connection attempt per peer this often */

struct conn {
    struct raft_transport *t;
    struct bufferevent *bev;
    struct peer *peer; /* outgoing connections only */
    struct conn *next; /* incoming list */
};

struct peer {
    uint64_t id;
    struct sockaddr_in addr;
    struct conn *out;
    int64_t next_connect_ms;
};

struct raft_transport {
    struct event_base *base;
    uint64_t self_id;
    struct evconnlistener *listener;
    struct peer peers[SK_RAFT_MEMBERS_MAX];
    unsigned n_peers;
    struct conn *incoming;
    unsigned n_incoming;
    struct {
        raft_transport_handler_cb cb;
        void *arg;
    } handlers[HANDLERS_MAX];
};

static void *pb_alloc(void *data, size_t size)
{
    (void)data;
    return sk_malloc(size);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    sk_free(p);
}

/* protobuf-c allocates through Skiff's allocation hook too. */
static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

static void conn_free(struct conn *c)
{
    struct raft_transport *t = c->t;
    if (c->peer) {
        c->peer->out = NULL;
    } else {
        for (struct conn **p = &t->incoming; *p; p = &(*p)->next)
            if (*p == c) {
                *p = c->next;
                t->n_incoming--;
                break;
            }
    }
    bufferevent_free(c->bev);
    sk_free(c);
}

static void dispatch(struct raft_transport *t, const uint8_t *frame, size_t len)
{
    Skiff__Raft__Envelope *env = skiff__raft__envelope__unpack(&pb_allocator, len, frame);
    if (!env) {
        SK_WARN("internal_frame_bad", "bytes=%zu reason=unpack_failed", len);
        return;
    }
    int c = (int)env->body_case;
    if (c >= 0 && c < HANDLERS_MAX && t->handlers[c].cb)
        t->handlers[c].cb(t->handlers[c].arg, env);
    else
        SK_DEBUG("internal_frame_unhandled", "body_case=%d", c);
    skiff__raft__envelope__free_unpacked(env, &pb_allocator);
}

/* Consumes every complete frame in the input; returns false if the
 * connection must be closed (a frame over the cap). */
static bool read_frames(struct raft_transport *t, struct evbuffer *in)
{
    for (unsigned k = 0; k < 1024; k++) {
        uint8_t hdr[4];
        if (evbuffer_get_length(in) < sizeof(hdr))
            return true;
        evbuffer_copyout(in, hdr, sizeof(hdr));
        uint32_t len = sk_be32(hdr);
        /* Checked before buffering the body or unpacking anything. */
        if (len == 0 || len > SK_INTERNAL_FRAME_BYTES_MAX) {
            SK_WARN("internal_frame_bad", "bytes=%u reason=length_out_of_range max=%d", len,
                    SK_INTERNAL_FRAME_BYTES_MAX);
            return false;
        }
        if (evbuffer_get_length(in) < sizeof(hdr) + (size_t)len)
            return true;
        evbuffer_drain(in, sizeof(hdr));
        const uint8_t *frame = evbuffer_pullup(in, len);
        if (!frame)
            return false;
        dispatch(t, frame, len);
        evbuffer_drain(in, len);
    }
    return true;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    if (c->peer) {
        /* Outgoing connections carry nothing back. */
        evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
        return;
    }
    if (!read_frames(c->t, bufferevent_get_input(bev)))
        conn_free(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct conn *c = arg;
    if (what & BEV_EVENT_CONNECTED)
        return;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (c->peer)
            SK_DEBUG("internal_peer_disconnected", "peer=%llu", (unsigned long long)c->peer->id);
        conn_free(c);
    }
}

static struct conn *conn_new(struct raft_transport *t, evutil_socket_t fd)
{
    struct conn *c = sk_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->t = t;
    c->bev = bufferevent_socket_new(t->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        sk_free(c);
        return NULL;
    }
    bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
    /* Stop reading once a maximal frame is buffered; read_frames drains it. */
    bufferevent_setwatermark(c->bev, EV_READ, 0, (size_t)SK_INTERNAL_FRAME_BYTES_MAX + 4);
    bufferevent_enable(c->bev, EV_READ);
    return c;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
    (void)l;
    (void)sa;
    (void)len;
    struct raft_transport *t = arg;
    /* Peers hold one connection each; anything past the cap is refused. */
    struct conn *c = t->n_incoming < SK_CONNECTIONS_MAX ? conn_new(t, fd) : NULL;
    if (!c) {
        evutil_closesocket(fd);
        return;
    }
    c->next = t->incoming;
    t->incoming = c;
    t->n_incoming++;
}

static int parse_addr(const char *host, uint16_t port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? SK_OK : SK_EINVAL;
}

int raft_transport_new(struct event_base *base, uint64_t self_id, const char *host, uint16_t port,
                       struct raft_transport **out)
{
    struct sockaddr_in sa;
    if (parse_addr(host, port, &sa) != SK_OK)
        return SK_EINVAL;
    struct raft_transport *t = sk_calloc(1, sizeof(*t));
    if (!t)
        return SK_ENOMEM;
    t->base = base;
    t->self_id = self_id;
    t->listener = evconnlistener_new_bind(base, accept_cb, t, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
                                          (struct sockaddr *)&sa, sizeof(sa));
    if (!t->listener) {
        sk_free(t);
        return SK_EIO;
    }
    *out = t;
    return SK_OK;
}

void raft_transport_free(struct raft_transport *t)
{
    if (!t)
        return;
    while (t->incoming)
        conn_free(t->incoming);
    for (unsigned i = 0; i < t->n_peers; i++)
        if (t->peers[i].out)
            conn_free(t->peers[i].out);
    evconnlistener_free(t->listener);
    sk_free(t);
}

int raft_transport_add_peer(struct raft_transport *t, uint64_t id, const char *host, uint16_t port)
{
    if (t->n_peers == SK_RAFT_MEMBERS_MAX)
        return SK_ELIMIT;
    struct peer *p = &t->peers[t->n_peers];
    memset(p, 0, sizeof(*p));
    if (parse_addr(host, port, &p->addr) != SK_OK)
        return SK_EINVAL;
    p->id = id;
    t->n_peers++;
    return SK_OK;
}

int raft_transport_set_peer(struct raft_transport *t, uint64_t id, const char *host, uint16_t port)
{
    struct sockaddr_in sa;
    if (parse_addr(host, port, &sa) != SK_OK)
        return SK_EINVAL;
    for (unsigned i = 0; i < t->n_peers; i++) {
        struct peer *p = &t->peers[i];
        if (p->id != id)
            continue;
        if (p->addr.sin_addr.s_addr == sa.sin_addr.s_addr && p->addr.sin_port == sa.sin_port)
            return SK_OK;
        /* The peer moved: the old connection leads nowhere useful. */
        if (p->out)
            conn_free(p->out);
        p->addr = sa;
        p->next_connect_ms = 0;
        return SK_OK;
    }
    return raft_transport_add_peer(t, id, host, port);
}

bool raft_transport_has_peer(const struct raft_transport *t, uint64_t id)
{
    for (unsigned i = 0; i < t->n_peers; i++)
        if (t->peers[i].id == id)
            return true;
    return false;
}

int raft_transport_handle(struct raft_transport *t, int body_case, raft_transport_handler_cb cb, void *arg)
{
    if (body_case <= 0 || body_case >= HANDLERS_MAX)
        return SK_EINVAL;
    t->handlers[body_case].cb = cb;
    t->handlers[body_case].arg = arg;
    return SK_OK;
}

static struct conn *peer_conn(struct raft_transport *t, struct peer *p)
{
    if (p->out)
        return p->out;
    int64_t now = sk_mono_ms();
    if (now < p->next_connect_ms)
        return NULL;
    p->next_connect_ms = now + RECONNECT_MS;
    struct conn *c = conn_new(t, -1);
    if (!c)
        return NULL;
    c->peer = p;
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&p->addr, sizeof(p->addr)) != 0) {
        bufferevent_free(c->bev);
        sk_free(c);
        return NULL;
    }
    p->out = c;
    return c;
}

int raft_transport_send(struct raft_transport *t, uint64_t to, const Skiff__Raft__Envelope *env)
{
    struct peer *p = NULL;
    for (unsigned i = 0; i < t->n_peers; i++)
        if (t->peers[i].id == to)
            p = &t->peers[i];
    if (!p)
        return SK_ENOENT;
    size_t len = skiff__raft__envelope__get_packed_size(env);
    if (len > SK_INTERNAL_FRAME_BYTES_MAX)
        return SK_ELIMIT;
    struct conn *c = peer_conn(t, p);
    if (!c)
        return SK_EAGAIN;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    if (evbuffer_get_length(out) + len > SK_CONN_OUTPUT_BYTES_MAX)
        return SK_EAGAIN;
    uint8_t *buf = sk_malloc(len + 4);
    if (!buf)
        return SK_ENOMEM;
    sk_put_be32(buf, (uint32_t)len);
    skiff__raft__envelope__pack(env, buf + 4);
    int rc = evbuffer_add(out, buf, len + 4) == 0 ? SK_OK : SK_ENOMEM;
    sk_free(buf);
    return rc;
}

int raft_transport_send_raft(struct raft_transport *t, const struct raft_msg *m)
{
    Skiff__Raft__Entry *ents = NULL;
    Skiff__Raft__Entry **ptrs = NULL;
    int rc = SK_ENOMEM;
    if (m->n_entries) {
        ents = sk_calloc(m->n_entries, sizeof(*ents));
        ptrs = sk_calloc(m->n_entries, sizeof(*ptrs));
        if (!ents || !ptrs)
            goto done;
    }
    Skiff__Raft__RaftMessage pm;
    raft_msg_encode(m, &pm, ents, ptrs);
    Skiff__Raft__Envelope env;
    skiff__raft__envelope__init(&env);
    env.sender_id = t->self_id;
    env.body_case = SKIFF__RAFT__ENVELOPE__BODY_RAFT;
    env.raft = &pm;
    rc = raft_transport_send(t, m->to, &env);
done:
    sk_free(ents);
    sk_free(ptrs);
    return rc;
}
