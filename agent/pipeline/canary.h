/* The canary: an object logcanary writes into a target's bucket itself, reads back and deletes,
 * proving that the bucket and its KMS key accept SSE-KMS writes right now. One fixed sequence
 *
 *     PUT (SSE-KMS with the target's key, a marker header) -> HEAD (the marker: the object is
 *     ours) -> GET (the content) -> DELETE
 *
 * on the one loop. Every step's answer is kept, so the check judges the first failure and
 * preflight turns each step into the permission it proves. The step only observes. */
#ifndef LC_CANARY_H
#define LC_CANARY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config/config.h"
#include "core/error.h"

struct lc_aws;
struct lc_credprov;

enum lc_canary_step { LC_CANARY_PUT = 0, LC_CANARY_HEAD, LC_CANARY_GET, LC_CANARY_DELETE };
#define LC_CANARY_STEPS 4

struct lc_canary_obs {
    const struct lc_target_cfg *target;
    bool ran;
    char *key;
    /* each step: made, and its error (LC_OK when it succeeded) */
    bool made[LC_CANARY_STEPS];
    struct lc_error step_err[LC_CANARY_STEPS];
    bool not_ours;           /* HEAD found no marker of this run: nothing more was done */
    struct lc_error err;     /* the first failing step's error */
    const char *failed_step; /* "put" | "head" | "get" | "delete" | NULL */
    bool content_match;
    bool deleted;
    char *sse; /* from HEAD */
    char *sse_kms_key_id;
    bool bucket_key;
    double latency_s; /* PUT to DELETE */
};

struct lc_canary_opts {
    const char *run_id;    /* the marker written with the object, and part of its key */
    time_t now;            /* for the body */
    const char *key_label; /* before the run id in the key ("" for checks, "preflight-") */
    const char *title;     /* the body's first line ("logcanary canary") */
    bool delete_always;    /* DELETE the run's own key even when PUT or HEAD failed: the key
                            * holds the run id, so it cannot be another's (preflight proves
                            * s3:DeleteObject this way) */
};

/* Start the canary of target t with creds; done(ud) runs once from the loop. 0, or LC_E_NOMEM
 * (then done is not called). */
int lc_canary_start(struct lc_aws *aws, struct lc_credprov *creds, const struct lc_target_cfg *t,
                    const struct lc_canary_opts *opts, struct lc_canary_obs *obs,
                    void (*done)(void *ud), void *ud);
void lc_canary_obs_free(struct lc_canary_obs *o);
const char *lc_canary_step_name(enum lc_canary_step s); /* "put", "head", "get", "delete" */
/* A run's marker: "<YYYYMMDDTHHMMSSZ>-<host>-<pid>-<8 hex>", unique enough for object keys. */
void lc_canary_run_id(char *out, size_t len, time_t now);

#endif
