#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

static enum lc_log_level g_level = LC_LOG_WARN;
static int g_syslog_prefix;

void lc_log_set_level(enum lc_log_level level)
{
    g_level = level;
}

enum lc_log_level lc_log_get_level(void)
{
    return g_level;
}

void lc_log_set_syslog_prefix(int on)
{
    g_syslog_prefix = on;
}

void lc_log(enum lc_log_level level, const char *component, const char *fmt, ...)
{
    static const int prio[] = {3, 4, 6, 7};
    static const char *const names[] = {"error", "warning", "info", "debug"};
    va_list ap;

    if (level > g_level)
        return;
    /* One fprintf per line so that concurrent writers do not interleave mid-line. */
    char line[2048];
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (g_syslog_prefix)
        fprintf(stderr, "<%d>[%s] %s\n", prio[level], component, line);
    else
        fprintf(stderr, "logcanary: %s: [%s] %s\n", names[level], component, line);
}
