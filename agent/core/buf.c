#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"

static int reserve(struct lc_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return LC_E_TOO_LARGE;
    size_t need = b->len + extra + 1;
    if (b->max && b->len + extra > b->max)
        return LC_E_TOO_LARGE;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return LC_E_NOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

int lc_buf_append(struct lc_buf *b, const void *data, size_t len)
{
    int rc = reserve(b, len);
    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int lc_buf_putc(struct lc_buf *b, char c)
{
    return lc_buf_append(b, &c, 1);
}

int lc_buf_appendf(struct lc_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];

    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return LC_E_INVALID;
    if ((size_t)n < sizeof(small))
        return lc_buf_append(b, small, (size_t)n);
    int rc = reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void lc_buf_reset(struct lc_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *lc_buf_steal(struct lc_buf *b)
{
    char *d = b->data;
    if (!d)
        d = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}

void lc_buf_free(struct lc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int lc_buf_read_file(struct lc_buf *b, const char *path, struct lc_error *err)
{
    char chunk[8192];
    struct stat st;
    int rc = 0, saved = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        saved = errno;
        lc_error_set(err, LC_E_IO, "%s: cannot open: %s", path, strerror(saved));
        errno = saved;
        return LC_E_IO;
    }
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        saved = S_ISDIR(st.st_mode) ? EISDIR : errno;
        lc_error_set(err, LC_E_IO, "%s: cannot read: %s", path, strerror(saved));
        rc = LC_E_IO;
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            saved = errno;
            lc_error_set(err, LC_E_IO, "%s: cannot read: %s", path, strerror(saved));
            rc = LC_E_IO;
            goto out;
        }
        if (n == 0)
            break;
        rc = lc_buf_append(b, chunk, (size_t)n);
        if (rc)
            break;
    }
    if (!rc && !b->data)
        rc = lc_buf_append(b, "", 0);
    if (rc == LC_E_TOO_LARGE) {
        saved = EFBIG;
        lc_error_set(err, rc, "%s: larger than %zu bytes", path, b->max);
    } else if (rc == LC_E_NOMEM) {
        saved = ENOMEM;
        lc_error_set(err, rc, "out of memory reading %s", path);
    }
out:
    explicit_bzero(chunk, sizeof(chunk));
    close(fd);
    if (rc)
        errno = saved;
    return rc;
}
