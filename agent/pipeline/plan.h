/* The plan: configuration -> streams. A stream is one (target, source, account, region): one
 * place in one bucket where one service delivers one account's logs for one region. Pure
 * functions of the config (no I/O), so the whole expansion is unit-tested. */
#ifndef LC_PLAN_H
#define LC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/error.h"

struct lc_probe;

struct lc_stream {
    const struct lc_target_cfg *target;
    const struct lc_source_cfg *source;
    const struct lc_probe *probe;
    const char *account;
    const char *region;
    char *base; /* the stream's key prefix up to and including its region folder, as its
                 * probe lays it out: "<folder>/AWSLogs/<acct>/<service>/<region>/", ... */
    char *id;   /* "<target>/<source>/<account>/<region>" for reports and state */
};

struct lc_plan {
    struct lc_stream *streams;
    size_t n_streams, cap_streams; /* count and capacity (core/array.h) */
};

/* Expand cfg into streams, narrowed by target name and source type (NULL = all). LC_E_INVALID
 * when a narrowing matches nothing. */
int lc_plan_build(const struct lc_config *cfg, const char *only_target, const char *only_source,
                  struct lc_plan *out, struct lc_error *err);
/* The streams of exactly one source of one target (cfg->targets[ti].sources[si]): run mode's
 * per-source schedules. LC_E_INVALID when an index is out of range. */
int lc_plan_build_source(const struct lc_config *cfg, size_t ti, size_t si, struct lc_plan *out,
                         struct lc_error *err);
void lc_plan_free(struct lc_plan *p);

/* The bucket's region: the target's, else dflt (the client's default region). */
static inline const char *lc_target_region(const struct lc_target_cfg *t, const char *dflt)
{
    return t->region ? t->region : dflt;
}
/* A stream's status role: its source's status_role_arn with "{account}" replaced by the
 * stream's account (a new string; NULL without one or when out of memory). */
char *lc_stream_status_role(const struct lc_stream *s);

#endif
