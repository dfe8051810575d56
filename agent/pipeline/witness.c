/* The bucket as a witness (witness.h). */
#include "pipeline/witness.h"

#include <stdlib.h>
#include <string.h>

#include "aws/s3.h"
#include "core/array.h"
#include "core/buf.h"

#define MAX_PAGES      20 /* 20,000 account folders */
#define MAX_ORG_FOLDER 8  /* organization trail folders followed */

struct witness_run {
    struct lc_aws *aws;
    struct lc_credprov *creds;
    const char *region;
    struct lc_witness_obs *obs;
    char *orgs[MAX_ORG_FOLDER]; /* "<folder>AWSLogs/o-.../" still to list */
    size_t n_orgs, next_org;
    void (*done)(void *ud);
    void *ud;
};

static bool is_account(const char *s, size_t n)
{
    return n == 12 && strspn(s, "0123456789") >= 12;
}

bool lc_witness_has(const struct lc_witness_obs *w, const char *account)
{
    for (size_t i = 0; w && i < w->n_accounts; i++)
        if (strcmp(w->accounts[i], account) == 0)
            return true;
    return false;
}

/* A common prefix "<...>/AWSLogs/[o-.../]<name>/": an account folder, or an organization's. */
static int on_folder(void *ud, const struct lc_s3_object *o)
{
    struct witness_run *r = ud;
    struct lc_witness_obs *w = r->obs;
    size_t n = strlen(o->key);

    if (n < 2 || o->key[n - 1] != '/')
        return 0;
    const char *end = o->key + n - 1, *start = end;
    while (start > o->key && start[-1] != '/')
        start--;
    size_t len = (size_t)(end - start);
    if (is_account(start, len)) {
        char id[13];
        memcpy(id, start, 12);
        id[12] = '\0';
        if (lc_witness_has(w, id))
            return 0;
        char *copy = strdup(id);
        if (!copy || LC_ARRAY_GROW(w->accounts, w->n_accounts, w->cap_accounts)) {
            free(copy);
            return 1;
        }
        w->accounts[w->n_accounts++] = copy;
    } else if (len > 2 && start[0] == 'o' && start[1] == '-' && r->next_org == 0 &&
               r->n_orgs < MAX_ORG_FOLDER) {
        /* only at the first level: AWSLogs/o-.../ holds an organization trail's accounts */
        r->orgs[r->n_orgs] = strdup(o->key);
        if (!r->orgs[r->n_orgs])
            return 1;
        r->n_orgs++;
    }
    return 0;
}

static int list(struct witness_run *r, const char *prefix);

static void finish(struct witness_run *r)
{
    void (*done)(void *) = r->done;
    void *ud = r->ud;
    for (size_t i = 0; i < r->n_orgs; i++)
        free(r->orgs[i]);
    free(r);
    done(ud);
}

static void on_done(void *ud, const struct lc_s3_list_result *res)
{
    struct witness_run *r = ud;
    struct lc_witness_obs *w = r->obs;

    w->requests += res->requests;
    w->truncated = w->truncated || res->truncated || res->stopped;
    if (res->err.kind != LC_OK) {
        w->err = res->err;
        finish(r);
        return;
    }
    if (r->next_org < r->n_orgs) {
        const char *prefix = r->orgs[r->next_org++];
        if (list(r, prefix) != 0)
            finish(r);
        return;
    }
    w->read = true;
    finish(r);
}

static int list(struct witness_run *r, const char *prefix)
{
    struct lc_s3_list_req req = {
        .creds = r->creds,
        .bucket = r->obs->target->bucket,
        .region = r->region,
        .prefix = prefix,
        .delimiter = "/",
        .max_pages = MAX_PAGES,
        .on_object = NULL,
        .on_prefix = on_folder,
        .on_done = on_done,
        .ud = r,
    };
    return lc_s3_list(r->aws, &req, &r->obs->err);
}

int lc_witness_start(struct lc_aws *aws, struct lc_credprov *creds, const struct lc_target_cfg *t,
                     const char *region, const char *folder, struct lc_witness_obs *obs,
                     void (*done)(void *ud), void *ud)
{
    struct witness_run *r = calloc(1, sizeof(*r));
    struct lc_buf prefix = {0};
    int rc;

    memset(obs, 0, sizeof(*obs));
    obs->target = t;
    obs->folder = strdup(folder);
    if (!r || !obs->folder || lc_buf_appendf(&prefix, "%sAWSLogs/", folder)) {
        free(r);
        lc_buf_free(&prefix);
        lc_error_set(&obs->err, LC_E_NOMEM, "out of memory");
        return LC_E_NOMEM;
    }
    *r = (struct witness_run){
        .aws = aws, .creds = creds, .region = region, .obs = obs, .done = done, .ud = ud};
    rc = list(r, prefix.data);
    lc_buf_free(&prefix);
    if (rc) {
        free(r);
        return rc;
    }
    return 0;
}

void lc_witness_obs_free(struct lc_witness_obs *w)
{
    for (size_t i = 0; w && i < w->n_accounts; i++)
        free(w->accounts[i]);
    if (w) {
        free(w->accounts);
        free(w->folder);
        memset(w, 0, sizeof(*w));
    }
}
