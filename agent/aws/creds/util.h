/* Small helpers the credential providers share: error messages, wiping secrets, the
 * environment, and token files. Secrets never reach logs or error messages: only source names
 * and the last four characters of an access key id. Buffers that held secrets are wiped before
 * they are freed. */
#ifndef LC_CREDS_UTIL_H
#define LC_CREDS_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/kv.h"

#define LC_CREDS_COMP "creds" /* the log component */

/* Clear err, set kind and the formatted message; returns kind. */
int lc_creds_fail(struct lc_error *err, enum lc_err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int lc_creds_nomem(struct lc_error *err);
/* "a: b" into dst, truncated to fit. */
void lc_creds_join(char *dst, size_t size, const char *a, const char *b);
/* Put "prefix: " in front of the message of an error that came from elsewhere. */
void lc_creds_err_prefix(struct lc_error *err, const char *prefix);

/* Wipe, then free. NULL is fine. */
void lc_creds_free_secret(char *s);
void lc_creds_buf_wipe_free(struct lc_buf *b);
void lc_creds_kv_wipe_free(struct lc_kvlist *l);

/* An environment variable, NULL when unset or empty. */
const char *lc_creds_env(const char *name);
/* The variable is "true" (any case). */
bool lc_creds_env_true(const char *name);
/* *dst = a copy of src (NULL stays NULL). 0 or LC_E_NOMEM. */
int lc_creds_dup(char **dst, const char *src);
/* The last four characters of an access key id: all a log line may show of it. */
const char *lc_creds_key_tail(const char *akid);
bool lc_creds_has_crlf(const char *s, size_t len);
/* Trim white space from both ends of [s, e) in place (NUL at the new end); returns the start. */
char *lc_creds_trim(char *s, char *e);
/* "~" and "~/x" expand to $HOME; NULL when they cannot. Caller frees. */
char *lc_creds_expand_home(const char *path);

/* Read a whole file into out (at most max bytes). 0, or -1 with errno set; a failed read
 * leaves nothing behind (token files are secrets). */
int lc_creds_read_file(const char *path, size_t max, struct lc_buf *out);
/* A token file (web identity, container authorization): read on every refresh, trailing
 * whitespace dropped, no other line breaks allowed (they would split the header). what names
 * the file in errors. Caller frees *out with lc_creds_free_secret. */
int lc_creds_read_token(const char *path, const char *what, char **out, struct lc_error *err);

#endif
