#include "http.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <string.h>

#include "broker.h"
#include "common/alloc.h"
#include "common/log.h"
#include "common/sk_err.h"

struct http_server {
    struct broker *b;
    struct evhttp *http; /* owned */
};

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
    struct evbuffer *buf = evbuffer_new();
    if (!buf) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    evbuffer_add_printf(buf, "%s\n", text);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; charset=utf-8");
    evhttp_send_reply(req, code, reason, buf);
    evbuffer_free(buf);
}

/* Live: the process runs its event loop. */
static void healthz_cb(struct evhttp_request *req, void *arg)
{
    (void)arg;
    reply_text(req, 200, "OK", "ok");
}

/* Ready: the node has recovered its logs and serves clients. */
static void readyz_cb(struct evhttp_request *req, void *arg)
{
    struct http_server *h = arg;
    if (h->b->ready && !h->b->stopping)
        reply_text(req, 200, "OK", "ready");
    else
        reply_text(req, 503, "Service Unavailable", h->b->stopping ? "stopping" : "starting");
}

int http_add_route(struct http_server *h, const char *path, http_route_fn fn, void *arg)
{
    return evhttp_set_cb(h->http, path, fn, arg) == 0 ? 0 : SK_EEXIST;
}

int http_start(struct broker *b, struct http_server **out)
{
    struct http_server *h = sk_calloc(1, sizeof(*h));
    if (!h)
        return SK_ENOMEM;
    h->b = b;
    h->http = evhttp_new(b->base);
    if (!h->http) {
        sk_free(h);
        return SK_ENOMEM;
    }
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_max_headers_size(h->http, 16 * 1024);
    evhttp_set_max_body_size(h->http, 1024);
    evhttp_set_timeout(h->http, 30);
    if (!evhttp_bind_socket_with_handle(h->http, b->cfg.http.host, (ev_uint16_t)b->cfg.http.port)) {
        SK_ERROR("listen_failed", "listener=http address=%s:%d", b->cfg.http.host, b->cfg.http.port);
        evhttp_free(h->http);
        sk_free(h);
        return SK_EIO;
    }
    http_add_route(h, "/healthz", healthz_cb, h);
    http_add_route(h, "/readyz", readyz_cb, h);
    SK_INFO("listening", "listener=http address=%s:%d", b->cfg.http.host, b->cfg.http.port);
    *out = h;
    return 0;
}

void http_stop(struct http_server *h)
{
    if (!h)
        return;
    evhttp_free(h->http);
    sk_free(h);
}
