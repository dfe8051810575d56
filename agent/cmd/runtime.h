/* What every command that talks to AWS needs, built from the config: the event loop, the HTTP
 * engine, the AWS client, the default credential chain and each target's credentials. */
#ifndef LC_RUNTIME_H
#define LC_RUNTIME_H

#include <stdint.h>

#include "aws/aws.h"
#include "pipeline/check.h"
#include "config/config.h"
#include "core/http.h"
#include "pipeline/plan.h"

struct lc_runtime {
    struct event_base *base;
    struct lc_http *http;
    struct lc_aws *aws;
    struct lc_credprov *default_creds;
    struct lc_check_creds creds; /* per target: AssumeRole when role_arn is set */
    char *region;
};

int lc_runtime_init(struct lc_runtime *rt, const struct lc_config *cfg, struct lc_error *err);
void lc_runtime_free(struct lc_runtime *rt);
/* A one-shot command's start: load the config at path, plan the streams of target (and source)
 * and build the runtime, reporting on stderr. Returns an exit code, LC_EXIT_OK when all three
 * are ready; the caller frees *cfg, plan and rt whatever it returns. */
int lc_runtime_start(struct lc_runtime *rt, const char *path, const char *target,
                     const char *source, struct lc_config **cfg, struct lc_plan *plan);
/* Let the loop run (timers, in-flight work) for seconds: the pause between --wait rounds. */
void lc_runtime_pause(struct lc_runtime *rt, int64_t seconds);

#endif
