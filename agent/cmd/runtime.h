/* What every command that talks to AWS needs, built from the config: the event loop, the HTTP
 * engine, the AWS client, the default credential chain and each target's credentials. */
#ifndef LC_RUNTIME_H
#define LC_RUNTIME_H

#include <stdint.h>

#include "aws/aws.h"
#include "pipeline/check.h"
#include "config/config.h"
#include "core/http.h"

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
/* Let the loop run (timers, in-flight work) for seconds: the pause between --wait rounds. */
void lc_runtime_pause(struct lc_runtime *rt, int64_t seconds);

#endif
