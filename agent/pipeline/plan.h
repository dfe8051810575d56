/* The plan: configuration (and what discovery found) -> streams. A stream is one (target,
 * source, account, region): one place in one bucket where one service delivers one account's
 * logs for one region. Pure functions of the config and the discovered lists (no I/O), so the
 * whole expansion is unit-tested. */
#ifndef LC_PLAN_H
#define LC_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/error.h"

struct lc_probe;
struct lc_account;
struct lc_discovered;

/* Why a stream is expected: its account and its region each come from the config or from
 * discovery; the bucket witnesses an account that has delivered before. */
enum lc_expected_by {
    LC_EXPECT_CONFIG = 1u,
    LC_EXPECT_ORGANIZATION = 2u,
    LC_EXPECT_CONTROL_TOWER = 4u,
    LC_EXPECT_BUCKET = 8u,
};

struct lc_stream {
    const struct lc_target_cfg *target;
    const struct lc_source_cfg *source;
    const struct lc_probe *probe;
    const char *account;
    const char *region;
    char *base; /* the stream's key prefix up to and including its region folder, as its
                 * probe lays it out: "<folder>/AWSLogs/<acct>/<service>/<region>/", ... */
    char *id;   /* "<target>/<source>/<account>/<region>" for reports and state */
    const struct lc_account *acct; /* what the organization says of the account (NULL: not
                                    * discovered) */
    unsigned expected_by;          /* enum lc_expected_by */
};

/* "config", "organization", "control_tower", "bucket" */
const char *lc_expected_by_name(enum lc_expected_by b);
/* The names of the bits of expected_by, ", "-joined, into out. Returns out. */
const char *lc_expected_by_text(unsigned expected_by, char *out, size_t len);

/* An account of the organization a source does not expect, and why (static text). */
struct lc_not_expected {
    const struct lc_target_cfg *target;
    const struct lc_source_cfg *source;
    const struct lc_account *acct;
    const char *why; /* "SUSPENDED", "PENDING_CLOSURE", "exclude_accounts", ... */
};

struct lc_plan {
    struct lc_stream *streams;
    size_t n_streams, cap_streams; /* count and capacity (core/array.h) */
    struct lc_not_expected *skipped;
    size_t n_skipped, cap_skipped;
    /* Sources whose accounts or regions could not be discovered (and were not planned): their
     * count, and one of them */
    size_t n_undiscovered;
    const struct lc_source_cfg *undiscovered;
    const struct lc_target_cfg *undiscovered_target;
};

/* Expand cfg into streams, narrowed by target name and source type (NULL = all); the
 * discovered lists d (NULL: none) give "organization" accounts and "governed" regions, and the
 * plan points into them (they must outlive it). LC_E_INVALID when a narrowing matches nothing.
 * A source whose lists are unknown is counted in n_undiscovered, not planned. */
int lc_plan_build(const struct lc_config *cfg, const struct lc_discovered *d,
                  const char *only_target, const char *only_source, struct lc_plan *out,
                  struct lc_error *err);
/* The streams of exactly one source of one target (cfg->targets[ti].sources[si]): run mode's
 * per-source schedules. LC_E_INVALID when an index is out of range. */
int lc_plan_build_source(const struct lc_config *cfg, const struct lc_discovered *d, size_t ti,
                         size_t si, struct lc_plan *out, struct lc_error *err);
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
