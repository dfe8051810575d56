/* A growable byte buffer with a hard cap: nothing read from the network grows without bound. */
#ifndef LC_BUF_H
#define LC_BUF_H

#include <stddef.h>

struct lc_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max; /* 0 = no cap (only for data we produce ourselves) */
};

/* Append; LC_E_TOO_LARGE if len would exceed max, LC_E_NOMEM on allocation failure. */
int lc_buf_append(struct lc_buf *b, const void *data, size_t len);
int lc_buf_appendf(struct lc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int lc_buf_putc(struct lc_buf *b, char c);
void lc_buf_reset(struct lc_buf *b);
/* Hand the data to the caller (who frees it) and reset the buffer. */
char *lc_buf_steal(struct lc_buf *b);
void lc_buf_free(struct lc_buf *b);

struct lc_error;
/* Append the whole file at path (b->max caps the buffer). 0, with b->data never NULL; or
 * LC_E_IO (errno says why: ENOENT, EISDIR, ...), LC_E_TOO_LARGE (errno EFBIG) or LC_E_NOMEM,
 * with err naming the path. The read chunk is wiped (token files hold secrets); on failure b
 * keeps what was read, for the caller to free or wipe. */
int lc_buf_read_file(struct lc_buf *b, const char *path, struct lc_error *err);

#endif
