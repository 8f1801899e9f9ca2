#include "kserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "broker.h"
#include "broker_metrics.h"
#include "common/alloc.h"
#include "common/clock.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "dispatch.h"
#include "kreq.h"

/* Smallest valid request: api_key, api_version, correlation_id, client_id length. */
#define REQUEST_HEADER_BYTES_MIN 10
/* Frames handled per read callback before yielding to other connections. */
#define FRAMES_PER_READ_MAX 32

struct kconn {
    struct kserver *srv;
    struct bufferevent *bev; /* owned */
    struct kconn *prev, *next;
    struct kreq *head, *tail; /* in-order queue of requests in flight */
    int inflight;
    bool read_paused;
    char peer[64];
};

struct kserver {
    struct broker *b;
    struct evconnlistener *listener; /* owned */
    struct kconn *conns;
    size_t nconns;
};

static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_close(struct kconn *c, const char *why);

size_t kserver_connections(const struct kserver *s) { return s->nconns; }

const char *kreq_peer(const struct kreq *r) { return r->conn ? r->conn->peer : ""; }

static void kreq_free(struct kreq *r)
{
    sk_writer_free(&r->body);
    sk_arena_free(&r->arena);
    sk_free(r->frame);
    sk_free(r);
}

static bool output_full(struct kconn *c)
{
    return evbuffer_get_length(bufferevent_get_output(c->bev)) > SK_CONN_OUTPUT_BYTES_MAX;
}

static void pause_reading(struct kconn *c)
{
    if (!c->read_paused) {
        bufferevent_disable(c->bev, EV_READ);
        c->read_paused = true;
    }
}

/* Resumes reading and processes frames already buffered: they raise no new
 * read event. */
static void maybe_resume_reading(struct kconn *c)
{
    if (!c->read_paused || c->inflight >= SK_CONN_INFLIGHT_MAX || output_full(c))
        return;
    c->read_paused = false;
    bufferevent_enable(c->bev, EV_READ);
    conn_read_cb(c->bev, c);
}

static void free_body_cb(const void *data, size_t len, void *extra)
{
    (void)len;
    (void)extra;
    sk_free((void *)data);
}

static void send_response(struct kconn *c, struct kreq *r)
{
    struct broker *b = c->srv->b;
    size_t len;
    uint8_t *body = sk_writer_take(&r->body, &len);
    uint8_t hdr[8];
    sk_put_be32(hdr, (uint32_t)(len + 4));
    sk_put_be32(hdr + 4, (uint32_t)r->hdr.correlation_id);
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add(out, hdr, sizeof(hdr));
    if (len > 4096) {
        /* Large bodies (fetch data) are handed over without a copy. */
        if (evbuffer_add_reference(out, body, len, free_body_cb, NULL) == 0)
            body = NULL;
    } else if (len) {
        evbuffer_add(out, body, len);
    }
    sk_free(body);
    b->stats.bytes_out_total += len + sizeof(hdr);
}

void kreq_finish(struct kreq *r)
{
    r->done = true;
    r->pending = NULL;
    r->cancel = NULL;
    struct kconn *c = r->conn;
    if (!c) {
        kreq_free(r);
        return;
    }
    while (c->head && c->head->done) {
        struct kreq *h = c->head;
        c->head = h->next;
        if (!c->head)
            c->tail = NULL;
        c->inflight--;
        if (!h->no_response)
            send_response(c, h);
        broker_metrics_request_done(c->srv->b->metrics, h->hdr.api_key, h->hdr.api_version,
                                    sk_mono_us() - h->received_us);
        kreq_free(h);
    }
    maybe_resume_reading(c);
}

static void enqueue(struct kconn *c, struct kreq *r)
{
    r->conn = c;
    if (c->tail)
        c->tail->next = r;
    else
        c->head = r;
    c->tail = r;
    c->inflight++;
}

/* Decodes and runs one whole frame.  Returns false when the connection must
 * be closed (malformed request, unknown API or version: Kafka's behaviour). */
static bool handle_frame(struct kconn *c, uint8_t *frame, size_t len)
{
    struct broker *b = c->srv->b;
    struct kreq *r = sk_calloc(1, sizeof(*r));
    if (!r) {
        sk_free(frame);
        return false;
    }
    r->frame = frame;
    r->frame_len = len;
    r->broker = b;
    r->received_us = sk_mono_us();
    sk_arena_init(&r->arena);
    sk_writer_init(&r->body);

    struct sk_reader rd;
    sk_reader_init(&rd, frame, len);
    const char *why = NULL;
    const struct kafka_handler *h = NULL;
    if (kafka_decode_header(&rd, &r->hdr)) {
        why = "malformed request header";
        goto reject;
    }
    h = dispatch_find(r->hdr.api_key);
    if (!h) {
        why = "unknown api key";
        goto reject;
    }
    bool apiversions_too_new = r->hdr.api_key == KAFKA_API_API_VERSIONS && r->hdr.api_version > h->api->parse_max;
    if (!apiversions_too_new) {
        if (r->hdr.api_version < h->api->parse_min || r->hdr.api_version > h->api->parse_max) {
            why = "unsupported api version";
            goto reject;
        }
        if (kafka_decode_request(r->hdr.api_key, r->hdr.api_version, &rd, &r->arena, &r->req)) {
            why = "malformed request body";
            goto reject;
        }
    }
    b->stats.requests_total++;
    enqueue(c, r);
    int rc = h->run(b, r);
    if (rc == 0) {
        kreq_finish(r);
    } else if (rc != SK_EAGAIN) {
        broker_metrics_request_failed(b->metrics, r->hdr.api_key);
        SK_WARN("request_failed", "peer=%s api=%s version=%d err=\"%s\"", c->peer, h->api->name, r->hdr.api_version,
                sk_strerror(rc));
        return false; /* conn_close frees the queued request */
    }
    return true;

reject:
    SK_WARN("bad_request", "peer=%s api_key=%d api_version=%d reason=\"%s\"", c->peer, r->hdr.api_key,
            r->hdr.api_version, why);
    b->stats.connections_closed_bad_input++;
    kreq_free(r);
    return false;
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
    struct kconn *c = arg;
    struct broker *b = c->srv->b;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (int i = 0; i < FRAMES_PER_READ_MAX; i++) {
        if (c->inflight >= SK_CONN_INFLIGHT_MAX || output_full(c)) {
            pause_reading(c);
            return;
        }
        size_t have = evbuffer_get_length(in);
        if (have < 4)
            return;
        uint8_t pfx[4];
        evbuffer_copyout(in, pfx, 4);
        int32_t n = (int32_t)sk_be32(pfx);
        /* The frame is buffered only as its bytes arrive, so the cap bounds
         * what one peer can pin.  A plaintext listener has no authentication
         * step, and clients may open with a large request (kafka-python sends
         * Produce first on connections after its bootstrap), so no smaller
         * pre-authentication cap applies here. */
        int32_t cap = b->cfg.socket_request_max_bytes;
        if (n < REQUEST_HEADER_BYTES_MIN || n > cap) {
            SK_WARN("bad_frame", "peer=%s length=%d cap=%d", c->peer, n, cap);
            b->stats.connections_closed_bad_input++;
            conn_close(c, "bad frame length");
            return;
        }
        if (have < 4 + (size_t)n)
            return; /* the rest of the frame has not arrived yet */
        uint8_t *frame = sk_malloc((size_t)n);
        if (!frame) {
            conn_close(c, "out of memory");
            return;
        }
        evbuffer_drain(in, 4);
        evbuffer_remove(in, frame, (size_t)n);
        b->stats.bytes_in_total += (uint64_t)n + 4;
        if (!handle_frame(c, frame, (size_t)n)) {
            conn_close(c, "bad request");
            return;
        }
    }
    /* More frames may be buffered; come back after other connections had a turn. */
    if (evbuffer_get_length(in) >= 4)
        bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    maybe_resume_reading(arg);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_close(arg, (what & BEV_EVENT_EOF) ? "eof" : "error");
}

static void conn_close(struct kconn *c, const char *why)
{
    struct kserver *s = c->srv;
    SK_DEBUG("connection_closed", "peer=%s reason=\"%s\"", c->peer, why);
    struct kreq *r = c->head;
    while (r) {
        struct kreq *next = r->next;
        r->conn = NULL;
        r->next = NULL;
        if (r->done) {
            kreq_free(r);
        } else if (r->cancel) {
            r->cancel(r);
            kreq_free(r);
        }
        /* else: the handler still owns it and will call kreq_finish, which frees. */
        r = next;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    bufferevent_free(c->bev);
    sk_free(c);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    (void)l;
    (void)salen;
    struct kserver *s = arg;
    if (s->nconns >= SK_CONNECTIONS_MAX || s->b->stopping) {
        evutil_closesocket(fd);
        return;
    }
    struct kconn *c = sk_calloc(1, sizeof(*c));
    if (!c) {
        evutil_closesocket(fd);
        return;
    }
    c->srv = s;
    c->bev = bufferevent_socket_new(s->b->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        evutil_closesocket(fd);
        sk_free(c);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)sa;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        snprintf(c->peer, sizeof(c->peer), "%s:%d", ip, ntohs(in->sin_port));
    } else {
        snprintf(c->peer, sizeof(c->peer), "fd%d", (int)fd);
    }
    /* Stop reading once a whole maximal frame is buffered; the write low
     * watermark wakes a connection paused for output backpressure. */
    bufferevent_setwatermark(c->bev, EV_READ, 0, (size_t)s->b->cfg.socket_request_max_bytes + 4);
    bufferevent_setwatermark(c->bev, EV_WRITE, SK_CONN_OUTPUT_BYTES_MAX / 2, 0);
    bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    s->b->stats.connections_total++;
}

int kserver_start(struct broker *b, struct kserver **out)
{
    struct kserver *s = sk_calloc(1, sizeof(*s));
    if (!s)
        return SK_ENOMEM;
    s->b = b;
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)b->cfg.listener.port);
    const char *host = b->cfg.listener.host;
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
        sin.sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0)
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
        SK_ERROR("listen_failed", "listener=%s:%d reason=\"not an IPv4 address\"", host, b->cfg.listener.port);
        sk_free(s);
        return SK_ECONFIG;
    }
    s->listener = evconnlistener_new_bind(b->base, accept_cb, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 512,
                                          (struct sockaddr *)&sin, sizeof(sin));
    if (!s->listener) {
        SK_ERROR("listen_failed", "listener=%s:%d reason=\"%s\"", host, b->cfg.listener.port, strerror(errno));
        sk_free(s);
        return SK_EIO;
    }
    SK_INFO("listening", "listener=kafka address=%s:%d", host, b->cfg.listener.port);
    *out = s;
    return 0;
}

void kserver_stop(struct kserver *s)
{
    if (!s)
        return;
    evconnlistener_free(s->listener);
    while (s->conns)
        conn_close(s->conns, "shutdown");
    sk_free(s);
}
