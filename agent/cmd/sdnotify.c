/* sd_notify(3) in a few lines: a datagram to $NOTIFY_SOCKET. */
#include "cmd/sdnotify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int lc_sdnotify_addr(const char *spec, struct sockaddr_un *sa, socklen_t *len)
{
    size_t n = spec ? strlen(spec) : 0;

    if (n < 2 || (spec[0] != '/' && spec[0] != '@') || n >= sizeof(sa->sun_path))
        return -1;
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, spec, n);
    if (spec[0] == '@') {
        /* Abstract: the name is exactly n bytes, starting with a NUL; no terminator. */
        sa->sun_path[0] = '\0';
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    return 0;
}

char *lc_sdnotify_status(char *buf, size_t len, const char *text)
{
    size_t o;

    if (!len)
        return buf;
    o = (size_t)snprintf(buf, len, "STATUS=");
    if (o >= len)
        o = len - 1;
    for (const char *p = text; p && *p && o + 1 < len; p++)
        buf[o++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
    buf[o] = '\0';
    return buf;
}

int lc_sdnotify_to(const char *spec, const char *msg)
{
    struct sockaddr_un sa;
    socklen_t salen;
    int fd, rc;

    if (!spec || !*spec)
        return 0;
    if (lc_sdnotify_addr(spec, &sa, &salen) != 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    do
        rc = (int)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
    while (rc < 0 && errno == EINTR);
    close(fd);
    return rc < 0 ? -1 : 0;
}

int lc_sdnotify(const char *msg)
{
    return lc_sdnotify_to(getenv("NOTIFY_SOCKET"), msg);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

uint64_t lc_sdnotify_watchdog_usec(const char *usec, const char *wpid, pid_t pid)
{
    uint64_t v, p;

    if (parse_u64(usec, &v) != 0 || v == 0)
        return 0;
    if (wpid && *wpid && (parse_u64(wpid, &p) != 0 || p != (uint64_t)pid))
        return 0;
    return v;
}
