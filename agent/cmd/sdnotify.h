/* systemd's notify protocol without libsystemd: one datagram per message to $NOTIFY_SOCKET, a
 * filesystem path or (leading '@') an abstract socket. Messages are "KEY=value" lines:
 * READY=1, RELOADING=1, STOPPING=1, WATCHDOG=1, STATUS=<text>. Everything is a no-op when
 * $NOTIFY_SOCKET is unset. */
#ifndef LC_SDNOTIFY_H
#define LC_SDNOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* The address for a $NOTIFY_SOCKET value: "/path" or "@abstract" (the '@' becomes a NUL).
 * 0, or -1 for an empty, relative or too long value. */
int lc_sdnotify_addr(const char *spec, struct sockaddr_un *sa, socklen_t *len);

/* "STATUS=<text>" into buf with newlines and other control characters turned into spaces
 * (one line, truncated to fit). Returns buf. */
char *lc_sdnotify_status(char *buf, size_t len, const char *text);

/* Send msg to $NOTIFY_SOCKET. 0 when sent or when not under systemd, -1 on failure. */
int lc_sdnotify(const char *msg);
/* Send msg to the socket named by spec (NULL = no-op). 0 or -1. */
int lc_sdnotify_to(const char *spec, const char *msg);

/* The watchdog period from $WATCHDOG_USEC when $WATCHDOG_PID is unset or names pid; 0 when
 * there is none (unset, malformed, zero, or meant for another process). */
uint64_t lc_sdnotify_watchdog_usec(const char *usec, const char *wpid, pid_t pid);

#endif
