/* A tiny loopback-only HTTP listener on libevent's evhttp: GET (and HEAD) answered by one
 * handler. Used by `logcanary run` for /metrics and /healthz. Non-loopback addresses are
 * refused: the listener has no authentication. */
#ifndef LC_HTTPD_H
#define LC_HTTPD_H

#include "core/buf.h"
#include "core/error.h"

struct event_base;
struct lc_httpd;

#define LC_HTTPD_HOST_MAX 64

/* Parse "HOST:PORT" ("127.0.0.1:9464", "localhost:0", "[::1]:9464"). HOST must be a loopback
 * address (127.0.0.0/8, ::1, or "localhost" = 127.0.0.1); PORT 0-65535 (0 = any free port).
 * 0, or LC_E_INVALID with err saying what is wrong. */
int lc_httpd_parse_listen(const char *spec, char host[LC_HTTPD_HOST_MAX], int *port,
                          struct lc_error *err);

/* Fill body (and *content_type, a static string) for path; return the HTTP status. */
typedef int (*lc_httpd_handler)(void *ud, const char *path, struct lc_buf *body,
                                const char **content_type);

/* Bind spec on base. NULL with err set when the address is refused or cannot be bound. */
struct lc_httpd *lc_httpd_new(struct event_base *base, const char *spec, lc_httpd_handler fn,
                              void *ud, struct lc_error *err);
/* "host:port" as bound (the real port when 0 was asked for). */
const char *lc_httpd_address(const struct lc_httpd *h);
int lc_httpd_port(const struct lc_httpd *h);
void lc_httpd_free(struct lc_httpd *h);

#endif
