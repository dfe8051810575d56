/* The check engine: runs every stream's listings and sample, and every target's canary, at once
 * on the one event loop, and records what it saw. It judges nothing: findings.c turns these
 * observations into statuses and findings. */
#ifndef LC_CHECK_H
#define LC_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "aws/aws.h"
#include "config/config.h"
#include "core/error.h"
#include "pipeline/plan.h"
#include "pipeline/sample.h"
#include "pipeline/bucket.h"
#include "pipeline/canary.h"
#include "pipeline/status.h"
#include "pipeline/witness.h"

struct lc_discovered;

struct lc_stream_obs {
    const struct lc_stream *stream;
    time_t window_from;       /* deliveries named at or after this were looked for */
    time_t lookback_from;     /* when nothing was recent: how far back it looked (0 = no) */
    int requests;             /* S3 requests spent (listing pages + sample) */
    uint64_t objects_seen;    /* delivery objects seen in the listings */
    struct lc_error list_err; /* listing failure (LC_OK when none) */
    char *newest_key;         /* newest delivery, NULL when none */
    uint64_t newest_size;
    time_t newest_modified;  /* its LastModified */
    time_t newest_name_time; /* the time its file name carries (0 when none) */
    time_t newest_delivered; /* min(LastModified, name time + latency allowance) */
    /* the sample of the newest delivery */
    bool sampled;
    struct lc_error sample_err; /* GET failure */
    struct lc_sample_result sample;
    char *sse; /* x-amz-server-side-encryption of the newest delivery */
    char *sse_kms_key_id;
    bool bucket_key;
    /* with no delivery in the lookback: whether anything at all is under the stream's folder */
    bool ever_asked; /* looked, and the listing answered */
    bool ever_found;
    /* the delivering service's own status (diagnosis; asked only with status_role_arn) */
    struct lc_status_obs status;
};

struct lc_observations {
    time_t now;
    time_t since; /* deliveries must be newer than this (0 = only max_age counts) */
    struct lc_stream_obs *streams; /* one per plan stream, same order */
    size_t n_streams;
    struct lc_canary_obs *canaries; /* one per target that has a canary and a stream */
    size_t n_canaries;
    struct lc_target_obs *targets; /* one per target in the plan (diagnosis) */
    size_t n_targets;
    /* the bucket as a witness: one per (target, folder) of the targets with discovered sources */
    struct lc_witness_obs *witnesses;
    size_t n_witnesses;
    /* what was checked: the plan, and what discovery found (NULL: none asked) */
    const struct lc_plan *plan;
    const struct lc_discovered *discovered;
    int64_t grace_s;       /* discovery.grace */
    struct lc_error fatal; /* could not run at all (e.g. no credentials) */
};

struct lc_check_opts {
    bool canary;        /* run the canaries (false with --no-canary) */
    time_t now;         /* 0 = lc_aws_now() */
    const char *run_id; /* marker written into canary objects (NULL = generated) */
    bool discover;      /* read bucket encryption, key, key policy and bucket policy */
    time_t since;       /* demand deliveries newer than this (0 = none): check --since/--wait */
    const struct lc_discovered *discovered; /* what the plan was built from (NULL: none) */
};

struct lc_credprov;
/* Credentials for a target: per-target AssumeRole on top of the default chain. Owned by the
 * caller; targets[i] for cfg->targets[i]. */
struct lc_check_creds {
    struct lc_credprov *base; /* the default chain: source for status_role_arn AssumeRoles */
    struct lc_credprov **targets;
    size_t n;
};

/* Start the plan on the loop; done runs once, from the loop, when every request (and the
 * diagnosis of what failed) is finished. out, plan, cfg and creds must outlive it. */
typedef void (*lc_check_done_cb)(void *ud, struct lc_observations *obs);
int lc_check_start(struct lc_aws *aws, const struct lc_config *cfg, const struct lc_plan *plan,
                   const struct lc_check_creds *creds, const struct lc_check_opts *opts,
                   struct lc_observations *out, lc_check_done_cb done, void *ud);
/* Run the plan once: returns when every request is finished. 0, or an error when the checks
 * could not be started at all (out->fatal then says why). */
int lc_check_run(struct lc_aws *aws, const struct lc_config *cfg, const struct lc_plan *plan,
                 const struct lc_check_creds *creds, const struct lc_check_opts *opts,
                 struct lc_observations *out);
void lc_observations_free(struct lc_observations *o);

/* The witness listing of the folder stream s lives in, NULL when none was made. */
const struct lc_witness_obs *lc_witness_of(const struct lc_observations *o,
                                           const struct lc_stream *s);

/* The one staleness rule: the listings worked and found no delivery younger than the source's
 * max_age, or none since o->since. */
bool lc_stream_late(const struct lc_observations *o, const struct lc_stream_obs *so);

#endif
