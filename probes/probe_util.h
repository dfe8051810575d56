/* Internal helpers shared by the probes. */
#ifndef LC_PROBE_UTIL_H
#define LC_PROBE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "core/buf.h"

struct lc_stream;

int lc_probe_append_folder(const struct lc_stream *s, struct lc_buf *out);
struct lc_listings;
/* Adds the listings of one partition; stamp is the window start as file names write it. */
typedef int (*lc_probe_period_fn)(const struct lc_stream *s, const struct tm *tm, const char *stamp,
                                  struct lc_listings *out);
/* Lists prefix from the first key after "<prefix><stamp>": for names time-ordered inside it. */
int lc_probe_list_from(struct lc_listings *out, const char *prefix, const char *stamp);
int lc_probe_each_period(const struct lc_stream *s, time_t from, time_t now, bool hourly,
                         bool stamp_seconds, lc_probe_period_fn add, struct lc_listings *out);
void lc_probe_fmt_minute(time_t t, char out[16]); /* 20261122T0805Z */
void lc_probe_fmt_second(time_t t, char out[18]); /* 20261122T080512Z */
size_t lc_probe_parse_stamp(const char *s, time_t *out);
const char *lc_probe_basename(const char *key);

/* The delivery.logs family's diagnosis model (probes/logdelivery.c); a probe adds its paths()
 * and steps_after(). */
struct lc_diag_reqs;
struct lc_diag_params;
struct lc_diag_facts;
struct lc_diag_section;
struct lc_pol_names;

/* Its objects: under AWSLogs/<account>/<folder>/<region>/, written with PutObject on
 * everything under AWSLogs/<account>/. */
void lc_logdelivery_paths(const struct lc_diag_params *p, struct lc_diag_facts *f,
                          const char *folder);
void lc_logdelivery_requests(struct lc_diag_reqs *l, const struct lc_diag_params *p,
                             const struct lc_diag_facts *f);
void lc_logdelivery_key_statements(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                                   const struct lc_diag_section *sec, cJSON *out);
void lc_logdelivery_bucket_statements(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                                      const struct lc_diag_section *sec, cJSON *out);
int lc_logdelivery_assumptions(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                               struct lc_pol_names *a);

#endif
