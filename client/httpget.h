/* A minimal HTTP/1.0 GET for the tool's status queries (the broker's
 * /v1/status): one request per connection, the response read to EOF under
 * a byte cap and a deadline. */
#ifndef SK_CLIENT_HTTPGET_H
#define SK_CLIENT_HTTPGET_H

#include <stddef.h>

/* GETs http://host:port/path.  On success returns 0 with the HTTP status in
 * *status and the body (NUL-terminated, owned by the caller: sk_free) in
 * *body.  SK_EIO with a reason in err on connection failure, timeout or a
 * malformed answer; SK_ELIMIT when the answer exceeds max_bytes. */
int cli_http_get(const char *host, int port, const char *path, int timeout_ms, size_t max_bytes, int *status,
                 char **body, char *err, size_t err_len);

#endif
