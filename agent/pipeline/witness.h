/* The bucket as a witness: one delimiter listing of "<folder>AWSLogs/" names every account that
 * has ever delivered there (and one of "<folder>AWSLogs/<o-id>/" for each organization trail's
 * folder). The check compares them with the accounts it expects; this only lists. */
#ifndef LC_WITNESS_H
#define LC_WITNESS_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "core/error.h"

struct lc_aws;
struct lc_credprov;

struct lc_witness_obs {
    const struct lc_target_cfg *target;
    char *folder;    /* "" or "<folder>/": what is before AWSLogs/ */
    char **accounts; /* 12-digit folders under AWSLogs/ (and AWSLogs/<o-id>/), each once */
    size_t n_accounts, cap_accounts;
    bool read;           /* every listing answered */
    bool truncated;      /* more folders than were read */
    struct lc_error err; /* why not (LC_OK when read) */
    int requests;
};

/* List the account folders of target t under folder ("" or "<folder>/"); done(ud) runs once
 * from the loop. 0, or LC_E_NOMEM (then done is not called). */
int lc_witness_start(struct lc_aws *aws, struct lc_credprov *creds, const struct lc_target_cfg *t,
                     const char *region, const char *folder, struct lc_witness_obs *obs,
                     void (*done)(void *ud), void *ud);
bool lc_witness_has(const struct lc_witness_obs *w, const char *account);
void lc_witness_obs_free(struct lc_witness_obs *w);

#endif
