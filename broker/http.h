/* The HTTP listener (libevent's evhttp): /healthz, /readyz.  Metrics and
 * status are added by their own modules through http_add_route. */
#ifndef SK_HTTP_H
#define SK_HTTP_H

struct broker;
struct http_server;
struct evhttp_request;

typedef void (*http_route_fn)(struct evhttp_request *req, void *arg);

int http_start(struct broker *b, struct http_server **out);
int http_add_route(struct http_server *h, const char *path, http_route_fn fn, void *arg);
void http_stop(struct http_server *h);

#endif
