/* Loopback HTTP listener on evhttp. */
#include "cmd/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct lc_httpd {
    struct evhttp *http;
    lc_httpd_handler fn;
    void *ud;
    int port;
    char address[LC_HTTPD_HOST_MAX + 16];
};

/* Split "HOST:PORT" or "[V6]:PORT" into host and port; false (host and port untouched) when spec
 * is not of that shape. */
static bool split_listen(const char *spec, char host[LC_HTTPD_HOST_MAX], int *port)
{
    const char *colon, *h = spec;
    size_t hlen;
    char *end;
    long p;

    if (!spec || !*spec)
        return false;
    if (*spec == '[') {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':')
            return false;
        h = spec + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(spec, ':');
        if (!colon)
            return false;
        hlen = (size_t)(colon - spec);
    }
    if (hlen == 0 || hlen >= LC_HTTPD_HOST_MAX)
        return false;
    errno = 0;
    p = strtol(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end || errno || p < 0 || p > 65535)
        return false;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return true;
}

int lc_httpd_parse_listen(const char *spec, char host[LC_HTTPD_HOST_MAX], int *port,
                          struct lc_error *err)
{
    if (!split_listen(spec, host, port)) {
        lc_error_set(err, LC_E_INVALID, "'%s': expected HOST:PORT like 127.0.0.1:9464",
                     spec ? spec : "");
        return LC_E_INVALID;
    }
    if (strcmp(host, "localhost") == 0) {
        strcpy(host, "127.0.0.1");
        return 0;
    }
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) {
        if ((ntohl(a4.s_addr) >> 24) == 127)
            return 0;
    } else if (inet_pton(AF_INET6, host, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return 0;
    } else {
        lc_error_set(err, LC_E_INVALID,
                     "'%s': the host must be a loopback IP address (127.0.0.1, [::1]) or "
                     "localhost",
                     spec);
        return LC_E_INVALID;
    }
    lc_error_set(err, LC_E_INVALID,
                 "'%s' is not a loopback address: the listener has no authentication, so only "
                 "127.0.0.0/8 and [::1] are allowed",
                 spec);
    return LC_E_INVALID;
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct lc_httpd *h = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *ctype = "text/plain; charset=utf-8";
    struct lc_buf body = {0};
    struct evbuffer *out;
    int status;

    status = h->fn(h->ud, path && *path ? path : "/", &body, &ctype);
    out = evbuffer_new();
    if (!out) {
        lc_buf_free(&body);
        evhttp_send_error(req, 500, NULL);
        return;
    }
    if (body.len)
        evbuffer_add(out, body.data, body.len);
    lc_buf_free(&body);
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    evhttp_add_header(hdr, "Content-Type", ctype);
    evhttp_add_header(hdr, "Cache-Control", "no-store");
    evhttp_send_reply(req, status,
                      status == 200   ? "OK"
                      : status == 404 ? "Not Found"
                      : status == 503 ? "Service Unavailable"
                                      : "Error",
                      out);
    evbuffer_free(out);
}

struct lc_httpd *lc_httpd_new(struct event_base *base, const char *spec, lc_httpd_handler fn,
                              void *ud, struct lc_error *err)
{
    char host[LC_HTTPD_HOST_MAX];
    int port;
    struct lc_httpd *h;
    struct evhttp_bound_socket *bs;

    if (lc_httpd_parse_listen(spec, host, &port, err) != 0)
        return NULL;
    h = calloc(1, sizeof(*h));
    if (h)
        h->http = evhttp_new(base);
    if (!h || !h->http) {
        free(h);
        lc_error_set(err, LC_E_NOMEM, "out of memory starting the listener");
        return NULL;
    }
    h->fn = fn;
    h->ud = ud;
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_timeout(h->http, 10);
    evhttp_set_max_headers_size(h->http, 16384);
    evhttp_set_max_body_size(h->http, 0);
    evhttp_set_gencb(h->http, on_request, h);
    bs = evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)port);
    if (!bs) {
        lc_error_set(err, LC_E_IO, "cannot listen on %s: %s", spec, strerror(errno));
        lc_httpd_free(h);
        return NULL;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    h->port = port;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            h->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    if (strchr(host, ':'))
        snprintf(h->address, sizeof(h->address), "[%s]:%d", host, h->port);
    else
        snprintf(h->address, sizeof(h->address), "%s:%d", host, h->port);
    return h;
}

const char *lc_httpd_address(const struct lc_httpd *h)
{
    return h->address;
}

int lc_httpd_port(const struct lc_httpd *h)
{
    return h->port;
}

void lc_httpd_free(struct lc_httpd *h)
{
    if (!h)
        return;
    if (h->http)
        evhttp_free(h->http);
    free(h);
}
