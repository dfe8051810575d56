#include "core/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Exactly n ASCII digits at *p; advances *p. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool lit(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Range-check the fields and convert with timegm (UTC, TZ untouched). */
static int make_time(int y, int mo, int d, int h, int mi, int s, struct tm *tm, time_t *out)
{
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
        return LC_E_PARSE;
    memset(tm, 0, sizeof(*tm));
    tm->tm_year = y - 1900;
    tm->tm_mon = mo - 1;
    tm->tm_mday = d;
    tm->tm_hour = h;
    tm->tm_min = mi;
    tm->tm_sec = s;
    *out = timegm(tm);
    return 0;
}

int lc_time_parse_iso8601(const char *s, time_t *out)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    struct tm tm;
    time_t t;
    const char *p = s;

    if (!s)
        return LC_E_PARSE;
    if (!digits(&p, 4, &y) || !lit(&p, '-') || !digits(&p, 2, &mo) || !lit(&p, '-') ||
        !digits(&p, 2, &d))
        return LC_E_PARSE;
    if (*p != 'T' && *p != 't')
        return LC_E_PARSE;
    p++;
    if (!digits(&p, 2, &h) || !lit(&p, ':') || !digits(&p, 2, &mi) || !lit(&p, ':') ||
        !digits(&p, 2, &sec))
        return LC_E_PARSE;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return LC_E_PARSE;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '+' ? 1 : -1;
        p++;
        if (!digits(&p, 2, &oh))
            return LC_E_PARSE;
        lit(&p, ':');
        if (!digits(&p, 2, &om) || oh > 23 || om > 59)
            return LC_E_PARSE;
    } else {
        return LC_E_PARSE;
    }
    if (*p != '\0')
        return LC_E_PARSE;
    if (make_time(y, mo, d, h, mi, sec, &tm, &t))
        return LC_E_PARSE;
    *out = t - sign * (oh * 3600 + om * 60);
    return 0;
}

int lc_time_parse_amz(const char *s, time_t *out)
{
    int y, mo, d, h, mi, sec;
    struct tm tm;
    const char *p = s;

    if (!s)
        return LC_E_PARSE;
    if (!digits(&p, 4, &y) || !digits(&p, 2, &mo) || !digits(&p, 2, &d) || !lit(&p, 'T') ||
        !digits(&p, 2, &h) || !digits(&p, 2, &mi) || !digits(&p, 2, &sec) || !lit(&p, 'Z') ||
        *p != '\0')
        return LC_E_PARSE;
    return make_time(y, mo, d, h, mi, sec, &tm, out);
}

static int name_index(const char **p, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        if (strncmp(*p, names[i], 3) == 0) {
            *p += 3;
            return i;
        }
    }
    return -1;
}

int lc_time_parse_http(const char *s, time_t *out)
{
    int wd, y, mo, d, h, mi, sec;
    struct tm tm;
    time_t t;
    const char *p = s;

    if (!s)
        return LC_E_PARSE;
    wd = name_index(&p, wdays, 7);
    if (wd < 0 || !lit(&p, ',') || !lit(&p, ' '))
        return LC_E_PARSE;
    /* RFC 1123 allows a one-digit day; IMF-fixdate always has two. */
    if (!digits(&p, 2, &d) && !digits(&p, 1, &d))
        return LC_E_PARSE;
    if (!lit(&p, ' '))
        return LC_E_PARSE;
    mo = name_index(&p, months, 12) + 1;
    if (mo < 1 || !lit(&p, ' ') || !digits(&p, 4, &y) || !lit(&p, ' ') || !digits(&p, 2, &h) ||
        !lit(&p, ':') || !digits(&p, 2, &mi) || !lit(&p, ':') || !digits(&p, 2, &sec) ||
        !lit(&p, ' '))
        return LC_E_PARSE;
    if (strcmp(p, "GMT") != 0 && strcmp(p, "UTC") != 0)
        return LC_E_PARSE;
    if (make_time(y, mo, d, h, mi, sec, &tm, &t))
        return LC_E_PARSE;
    if (tm.tm_wday != wd)
        return LC_E_PARSE;
    *out = t;
    return 0;
}

/* gmtime_r limited to years 0000-9999 (four-digit formats). */
static bool utc(time_t t, struct tm *tm)
{
    if (!gmtime_r(&t, tm))
        return false;
    return tm->tm_year >= -1900 && tm->tm_year <= 9999 - 1900;
}

char *lc_time_format_iso8601(time_t t, char buf[LC_TIME_ISO8601_LEN])
{
    struct tm tm;
    char tmp[64]; /* wide enough for any int fields: gcc cannot bound them */

    buf[0] = '\0';
    if (!utc(t, &tm))
        return buf;
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return lc_strlcpy(buf, tmp, LC_TIME_ISO8601_LEN);
}

char *lc_time_format_http(time_t t, char buf[LC_TIME_HTTP_LEN])
{
    struct tm tm;
    char tmp[64]; /* wide enough for any int fields: gcc cannot bound them */

    buf[0] = '\0';
    if (!utc(t, &tm))
        return buf;
    snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return lc_strlcpy(buf, tmp, LC_TIME_HTTP_LEN);
}

char *lc_time_format_amz(time_t t, char buf[LC_TIME_AMZ_LEN])
{
    struct tm tm;
    char tmp[64]; /* wide enough for any int fields: gcc cannot bound them */

    buf[0] = '\0';
    if (!utc(t, &tm))
        return buf;
    snprintf(tmp, sizeof(tmp), "%04d%02d%02dT%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return lc_strlcpy(buf, tmp, LC_TIME_AMZ_LEN);
}

static const struct {
    char unit;
    int64_t secs;
} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
#define NUNITS (sizeof(units) / sizeof(units[0]))

int lc_duration_parse(const char *s, int64_t *seconds)
{
    int64_t total = 0;
    size_t next = 0; /* first unit still allowed: keeps d > h > m > s, each once */
    const char *p = s;

    if (!s || !*s)
        return LC_E_PARSE;
    while (*p) {
        int64_t n = 0, part;
        const char *start = p;
        size_t u;

        while (*p >= '0' && *p <= '9') {
            if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, *p - '0', &n))
                return LC_E_PARSE;
            p++;
        }
        if (p == start)
            return LC_E_PARSE;
        for (u = next; u < NUNITS; u++)
            if (units[u].unit == *p)
                break;
        if (u == NUNITS)
            return LC_E_PARSE;
        p++;
        next = u + 1;
        if (__builtin_mul_overflow(n, units[u].secs, &part) ||
            __builtin_add_overflow(total, part, &total))
            return LC_E_PARSE;
    }
    *seconds = total;
    return 0;
}

char *lc_duration_format(int64_t seconds, char *buf, size_t len)
{
    size_t off = 0;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (seconds < 0)
        return buf;
    if (seconds == 0) {
        snprintf(buf, len, "0s");
        return buf;
    }
    for (size_t u = 0; u < NUNITS && off < len; u++) {
        int64_t n = seconds / units[u].secs;
        seconds %= units[u].secs;
        if (n == 0)
            continue;
        int w = snprintf(buf + off, len - off, "%lld%c", (long long)n, units[u].unit);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    return buf;
}
