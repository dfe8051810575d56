/* Replacing a file whole: the new content goes to a temporary file beside it, is synced, and
 * renamed over the old one, so a reader sees the old file or the new one, never a part. */
#ifndef LC_FILE_H
#define LC_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/error.h"

/* Write data to path through "<dir>/.<name>.tmp.<pid>" with mode; with sync_dir the directory
 * is synced too, so the rename survives a crash. 0 or LC_E_IO / LC_E_INVALID (path too long),
 * err naming the file and the step that failed; the temporary file is removed on failure. */
int lc_file_replace(const char *path, const void *data, size_t len, mode_t mode, bool sync_dir,
                    struct lc_error *err);

/* fsync a directory (its entries: a rename in it survives a crash). 0, or -1 with errno. */
int lc_file_sync_dir(const char *dir);

#endif
