#include "client/httpget.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/clock.h"
#include "common/sk_err.h"

static int connect_to(const char *host, int port, char *err, size_t err_len)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    int gai = getaddrinfo(host, portstr, &hints, &res);
    if (gai != 0) {
        snprintf(err, err_len, "%s: %s", host, gai_strerror(gai));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            snprintf(err, err_len, "connect to %s:%d: %s", host, port, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* Reads to EOF into a growing buffer, bounded by max_bytes and the deadline. */
static int read_all(int fd, int64_t deadline_ms, size_t max_bytes, char **out, size_t *out_len, char *err,
                    size_t err_len)
{
    size_t cap = 4096, len = 0;
    char *buf = sk_malloc(cap + 1);
    if (!buf)
        return SK_ENOMEM;
    for (;;) {
        int64_t left = deadline_ms - sk_mono_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            snprintf(err, err_len, "no complete answer in time");
            sk_free(buf);
            return SK_EIO;
        }
        if (len == cap) {
            if (cap >= max_bytes) {
                snprintf(err, err_len, "answer larger than %zu bytes", max_bytes);
                sk_free(buf);
                return SK_ELIMIT;
            }
            cap = cap * 2 > max_bytes ? max_bytes : cap * 2;
            char *nb = sk_realloc(buf, cap + 1);
            if (!nb) {
                sk_free(buf);
                return SK_ENOMEM;
            }
            buf = nb;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n == 0)
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, err_len, "read: %s", strerror(errno));
            sk_free(buf);
            return SK_EIO;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return SK_OK;
}

int cli_http_get(const char *host, int port, const char *path, int timeout_ms, size_t max_bytes, int *status,
                 char **body, char *err, size_t err_len)
{
    int64_t deadline_ms = sk_mono_ms() + timeout_ms;
    int fd = connect_to(host, port, err, err_len);
    if (fd < 0)
        return SK_EIO;
    char req[512];
    int n =
        snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host);
    char *resp = NULL;
    size_t len = 0;
    int rc = SK_EIO;
    if (n < 0 || (size_t)n >= sizeof(req) || write(fd, req, (size_t)n) != n) {
        snprintf(err, err_len, "cannot send the request to %s:%d", host, port);
        goto out;
    }
    if ((rc = read_all(fd, deadline_ms, max_bytes, &resp, &len, err, err_len)) != SK_OK)
        goto out;
    int code = 0;
    char *hdr_end = strstr(resp, "\r\n\r\n");
    if (sscanf(resp, "HTTP/1.%*d %d", &code) != 1 || !hdr_end) {
        snprintf(err, err_len, "%s:%d did not answer HTTP", host, port);
        rc = SK_EIO;
        goto out;
    }
    size_t off = (size_t)(hdr_end + 4 - resp);
    memmove(resp, resp + off, len - off + 1);
    *status = code;
    *body = resp;
    resp = NULL;
    rc = SK_OK;
out:
    sk_free(resp);
    close(fd);
    return rc;
}
