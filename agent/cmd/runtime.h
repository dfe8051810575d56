/* What every command that talks to AWS needs, built from the config: the event loop, the HTTP
 * engine, the AWS client, the default credential chain and each target's credentials. */
#ifndef LC_RUNTIME_H
#define LC_RUNTIME_H

#include <stdint.h>

#include "aws/aws.h"
#include "pipeline/check.h"
#include "config/config.h"
#include "core/http.h"
#include "pipeline/discovery.h"
#include "pipeline/plan.h"

struct lc_runtime {
    struct event_base *base;
    struct lc_http *http;
    struct lc_aws *aws;
    struct lc_credprov *default_creds;
    struct lc_check_creds creds;   /* per target: AssumeRole when role_arn is set */
    struct lc_credprov *org_creds; /* discovery: Organizations (the default unless a role) */
    struct lc_credprov *ct_creds;  /* discovery: Control Tower */
    char *region;
};

int lc_runtime_init(struct lc_runtime *rt, const struct lc_config *cfg, struct lc_error *err);
void lc_runtime_free(struct lc_runtime *rt);
/* A one-shot command's start: load the config at path, build the runtime, discover what the
 * config leaves to discovery (into disc, at now: 0 = the clock) and plan the streams of target
 * (and source), reporting on stderr. Returns an exit code, LC_EXIT_OK when all are ready; the
 * caller frees *cfg, disc, plan and rt whatever it returns. A failed discovery is not an error
 * here: the plan counts what it could not plan, and the findings say so. */
int lc_runtime_start(struct lc_runtime *rt, const char *path, const char *target,
                     const char *source, time_t now, bool fresh, struct lc_config **cfg,
                     struct lc_discovered *disc, struct lc_plan *plan);
/* Discover what cfg needs into disc (lc_discovered_free it), running the loop until done;
 * fresh reads even when the kept lists are recent (preflight proves the permissions). */
int lc_runtime_discover(struct lc_runtime *rt, const struct lc_config *cfg, time_t now, bool fresh,
                        struct lc_discovered *disc, struct lc_error *err);
/* Let the loop run (timers, in-flight work) for seconds: the pause between --wait rounds. */
void lc_runtime_pause(struct lc_runtime *rt, int64_t seconds);

#endif
