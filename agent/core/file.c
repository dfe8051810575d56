/* Replacing a file whole (file.h). */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int lc_file_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0)
        return -1;
    if (fsync(fd) != 0 && errno != EINVAL)
        rc = -1;
    close(fd);
    return rc;
}

int lc_file_replace(const char *path, const void *data, size_t len, mode_t mode, bool sync_dir,
                    struct lc_error *err)
{
    const char *slash = strrchr(path, '/');
    char tmp[4096], dir[4096];
    int fd, n, rc = 0;

    if (slash) {
        n = snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp.%ld", (int)(slash - path), path, slash + 1,
                     (long)getpid());
        snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
    } else {
        n = snprintf(tmp, sizeof(tmp), ".%s.tmp.%ld", path, (long)getpid());
        snprintf(dir, sizeof(dir), ".");
    }
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        lc_error_set(err, LC_E_INVALID, "%s: path too long", path);
        return LC_E_INVALID;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        lc_error_set(err, LC_E_IO, "%s: cannot create: %s", tmp, strerror(errno));
        return LC_E_IO;
    }
    if (write_all(fd, data, len) != 0) {
        lc_error_set(err, LC_E_IO, "%s: cannot write: %s", tmp, strerror(errno));
        rc = LC_E_IO;
    } else if (fsync(fd) != 0) {
        lc_error_set(err, LC_E_IO, "%s: cannot sync: %s", tmp, strerror(errno));
        rc = LC_E_IO;
    }
    if (close(fd) != 0 && !rc) {
        lc_error_set(err, LC_E_IO, "%s: cannot close: %s", tmp, strerror(errno));
        rc = LC_E_IO;
    }
    if (!rc && rename(tmp, path) != 0) {
        lc_error_set(err, LC_E_IO, "%s: cannot replace: %s", path, strerror(errno));
        rc = LC_E_IO;
    }
    if (rc) {
        (void)unlink(tmp);
        return rc;
    }
    if (sync_dir && lc_file_sync_dir(dir) != 0) {
        lc_error_set(err, LC_E_IO, "%s: cannot sync the directory: %s", dir, strerror(errno));
        return LC_E_IO;
    }
    return 0;
}
