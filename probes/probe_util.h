/* Internal helpers shared by the probes. */
#ifndef LC_PROBE_UTIL_H
#define LC_PROBE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

struct lc_stream;

int lc_probe_append_folder(const struct lc_stream *s, struct lc_buf *out);
int lc_probe_each_period(time_t from, time_t now, bool hourly,
                         int (*fn)(void *ud, const struct tm *tm), void *ud);
void lc_probe_fmt_minute(time_t t, char out[16]); /* 20261122T0805Z */
void lc_probe_fmt_second(time_t t, char out[18]); /* 20261122T080512Z */
size_t lc_probe_parse_stamp(const char *s, time_t *out);
const char *lc_probe_basename(const char *key);

#endif
