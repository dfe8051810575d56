/* Start a loopback test server as a child process and learn its port without sleeping:
 * the server binds port 0 and prints "LISTENING <port>" as its first stdout line once it
 * accepts connections; we block on reading that line. Stop it by pid. Header-only. */
#ifndef LC_TESTSRV_H
#define LC_TESTSRV_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct lc_testsrv {
    pid_t pid;
    int port;
    FILE *out; /* the rest of the server's stdout */
};

/* argv[0] is executed with execvp. Returns 0 on success. */
static inline int lc_testsrv_start(struct lc_testsrv *s, char *const argv[])
{
    int fds[2];
    char line[256];

    memset(s, 0, sizeof(*s));
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    s->pid = pid;
    s->out = fdopen(fds[0], "r");
    if (!s->out || !fgets(line, sizeof(line), s->out) ||
        sscanf(line, "LISTENING %d", &s->port) != 1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (s->out)
            fclose(s->out);
        s->pid = 0;
        return -1;
    }
    return 0;
}

static inline void lc_testsrv_stop(struct lc_testsrv *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
    }
    if (s->out)
        fclose(s->out);
    memset(s, 0, sizeof(*s));
}

/* Path of a file under tests/servers (from the LC_TEST_SERVERS environment set by ctest). */
static inline const char *lc_testsrv_path(const char *name, char *buf, size_t len)
{
    const char *dir = getenv("LC_TEST_SERVERS");
    snprintf(buf, len, "%s/%s", dir ? dir : "tests/servers", name);
    return buf;
}

static inline const char *lc_testsrv_python(void)
{
    const char *py = getenv("LC_PYTHON");
    return py ? py : "/usr/bin/python3";
}

#endif
