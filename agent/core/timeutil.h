/* Timestamps and durations as AWS and HTTP write them, always in UTC (never touches TZ).
 *
 * Parsers are strict: the whole string must match, every field must be in range (month 1-12,
 * day within the month, hour 0-23, minute and second 0-59). They return 0, or LC_E_PARSE and
 * leave *out untouched. Formatters return buf, or "" when t is outside years 0000-9999. */
#ifndef LC_TIMEUTIL_H
#define LC_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LC_TIME_ISO8601_LEN 21 /* "2026-11-22T08:00:00Z" + NUL */
#define LC_TIME_HTTP_LEN    30 /* "Sun, 22 Nov 2026 08:00:00 GMT" + NUL */
#define LC_TIME_AMZ_LEN     17 /* "20261122T080000Z" + NUL */

/* ISO-8601 / RFC 3339: "2026-11-22T08:00:00Z", "2026-11-22T08:00:00.000Z",
 * "2026-11-22T10:00:00+02:00" (also +0200). Fractional seconds are ignored; a zone is required. */
int lc_time_parse_iso8601(const char *s, time_t *out);
/* RFC 1123 HTTP date: "Sun, 22 Nov 2026 08:00:00 GMT" (the weekday must match the date). */
int lc_time_parse_http(const char *s, time_t *out);
/* AWS basic format (X-Amz-Date): "20261122T080000Z". */
int lc_time_parse_amz(const char *s, time_t *out);

char *lc_time_format_iso8601(time_t t, char buf[LC_TIME_ISO8601_LEN]);
char *lc_time_format_http(time_t t, char buf[LC_TIME_HTTP_LEN]);
char *lc_time_format_amz(time_t t, char buf[LC_TIME_AMZ_LEN]);

/* Durations: one or more <digits><unit> with units d, h, m, s in that order, each at most once:
 * "90s", "30m", "7h", "2d", "1h30m", "0s". No sign, spaces or bare numbers. 0 or LC_E_PARSE
 * (garbage or more than INT64_MAX seconds). */
int lc_duration_parse(const char *s, int64_t *seconds);
/* The shortest form lc_duration_parse reads back ("1h30m", "0s"); "" for negative input.
 * 32 bytes always suffice. */
char *lc_duration_format(int64_t seconds, char *buf, size_t len);

#endif
