/* The delivering service's own view of its deliveries, read in the source account through the
 * source's status_role_arn: a delivery status, the last delivery error. Each probe declares its
 * reader (the calls it makes, each with the
 * permission it needs); this runs it and keeps every call's answer, so the diagnosis reads what
 * the service says and preflight reads which permissions were granted. It judges nothing. */
#ifndef LC_STATUS_H
#define LC_STATUS_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "aws/awscall.h"
#include "core/error.h"

struct lc_aws;
struct lc_credprov;
struct lc_stream;

#define LC_STATUS_MAX_CALLS 4

/* One call a reader made, as the permission it needs. */
struct lc_status_call {
    const char *permission; /* static: "<service>:<Action>" */
    struct lc_error err;    /* LC_OK: allowed and answered */
};

struct lc_status_obs {
    bool asked;
    bool read;              /* the service answered */
    struct lc_error err;    /* why not */
    const char *permission; /* the permission a failed call needed (static string) */
    bool failed;            /* the service itself reports failed deliveries to this bucket */
    bool found;             /* something of the service delivers to this bucket */
    char *summary;          /* what the service says, one line */
    cJSON *detail;          /* evidence: the fields read */
    int requests;
    struct lc_status_call calls[LC_STATUS_MAX_CALLS]; /* in the order made */
    size_t n_calls;
    const char *not_made; /* why the reader's later calls were not made (static), or NULL */
};

/* A reader at work: what a probe's reader gets and hands back to the helpers below. */
struct lc_status_run {
    struct lc_aws *aws;
    struct lc_credprov *creds;
    const struct lc_stream *s;
    struct lc_status_obs *o;
    bool try_all; /* make every call even when an answer makes the next one moot (preflight) */
    void (*done)(void *ud);
    void *ud;
};

/* A probe's reader: the permissions its calls need (NULL-ended, in call order: preflight's
 * rows), and its first call. */
struct lc_status_reader {
    const char *const *permissions;
    int (*start)(struct lc_status_run *r, struct lc_error *err);
};

struct lc_status_opts {
    bool try_all;
};

/* Read the status of stream s (its probe's reader) with creds; done(ud) runs once from the
 * loop. 0, or an error (then done is not called). */
int lc_status_start(struct lc_aws *aws, struct lc_credprov *creds, const struct lc_stream *s,
                    const struct lc_status_opts *opts, struct lc_status_obs *out,
                    void (*done)(void *ud), void *ud, struct lc_error *err);
void lc_status_obs_free(struct lc_status_obs *o);

/* ---- for readers ---- */

/* A JSON 1.1 or Query call of the reader, recorded under permission; cb gets r as ud. A call
 * that cannot be started is recorded and returns its error. */
int lc_status_json(struct lc_status_run *r, const char *permission, const char *service,
                   const char *region, const char *operation, const cJSON *input, lc_awsjson_cb cb);
int lc_status_query(struct lc_status_run *r, const char *permission, const char *service,
                    const char *region, const char *action, const struct lc_kvlist *params,
                    lc_awsquery_cb cb);
/* A call's answer: counts its tries and records its error. Returns true when it succeeded. */
bool lc_status_answer(struct lc_status_run *r, const char *permission,
                      const struct lc_aws_resp *resp);
/* The reader is done: done(ud), and r is freed. */
void lc_status_finish(struct lc_status_run *r);
/* A call failed: the status could not be read (the permission it needed is named). */
void lc_status_fail(struct lc_status_run *r, const struct lc_error *e, const char *permission);
/* The reader stops before its other calls: why (static text), for preflight's rows. */
void lc_status_stop(struct lc_status_run *r, const char *why);
void lc_status_summary(struct lc_status_obs *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Add name: v to o when v is non-empty. */
void lc_status_add_str(cJSON *o, const char *name, const char *v);

#endif
