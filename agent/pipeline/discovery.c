/* Discovery (discovery.h): Organizations and Control Tower read one call at a time each, the
 * two side by side, and the answers kept in state_dir. */
#include "pipeline/discovery.h"

#include <errno.h>
#include <sys/stat.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws.h"
#include "aws/awscall.h"
#include "aws/awsjson.h"
#include "core/array.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/timeutil.h"

#define MAX_PAGES      2000 /* of one listing: 40,000 accounts at 20 a page */
#define MAX_UNITS      2000 /* organizational units visited below the configured ones */
#define CACHE_MAX      (16u << 20)
#define CACHE_VERSION  1
#define ORG_PAGE_LIMIT 20 /* ListAccounts' and ListAccountsForParent's largest page */

const char *const lc_discovery_org_permissions[] = {
    "organizations:DescribeOrganization", "organizations:ListAccounts",
    "organizations:ListChildren", "organizations:ListAccountsForParent", NULL};
const char *const lc_discovery_ct_permissions[] = {"controltower:ListLandingZones",
                                                   "controltower:GetLandingZone", NULL};

/* The static permission string for "<service>:<op>". */
static const char *permission_of(const char *service, const char *op)
{
    const char *const *list = strcmp(service, "organizations") == 0 ? lc_discovery_org_permissions
                                                                    : lc_discovery_ct_permissions;
    size_t n = strlen(service);
    for (size_t i = 0; list[i]; i++)
        if (strncmp(list[i], service, n) == 0 && list[i][n] == ':' &&
            strcmp(list[i] + n + 1, op) == 0)
            return list[i];
    return NULL;
}

/* Keep how the first call needing a permission went (a later failure replaces a success). */
static void record_call(struct lc_discovery_call *calls, size_t *n, const char *service,
                        const char *op, const struct lc_error *err)
{
    const char *perm = permission_of(service, op);
    if (!perm)
        return;
    for (size_t i = 0; i < *n; i++)
        if (calls[i].permission == perm) {
            if (calls[i].err.kind == LC_OK && err->kind != LC_OK)
                calls[i].err = *err;
            return;
        }
    if (*n < LC_DISCOVERY_MAX_CALLS)
        calls[(*n)++] = (struct lc_discovery_call){perm, *err};
}

/* ---- helpers ---------------------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static int push_string(char ***v, size_t *n, size_t *cap, const char *s)
{
    char *copy = strdup(s);
    if (!copy || LC_ARRAY_GROW(*v, *n, *cap)) {
        free(copy);
        return LC_E_NOMEM;
    }
    (*v)[(*n)++] = copy;
    return 0;
}

static bool has_string(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

static void org_clear(struct lc_discovered_org *o)
{
    for (size_t i = 0; i < o->n_accounts; i++) {
        free(o->accounts[i].id);
        free(o->accounts[i].name);
        free(o->accounts[i].status);
    }
    free(o->accounts);
    for (size_t i = 0; i < o->n_ous; i++) {
        free(o->ous[i].ou);
        free_strings(o->ous[i].accounts, o->ous[i].n);
    }
    free(o->ous);
    free(o->org_id);
    enum lc_discovery_from from = o->from;
    struct lc_error err = o->err;
    memset(o, 0, sizeof(*o));
    o->from = from;
    o->err = err;
}

static void ct_clear(struct lc_discovered_ct *c)
{
    free(c->region);
    free(c->arn);
    free(c->version);
    free(c->status);
    free(c->drift_status);
    free_strings(c->governed, c->n_governed);
    free(c->log_archive_account);
    free(c->kms_key_arn);
    enum lc_discovery_from from = c->from;
    struct lc_error err = c->err;
    memset(c, 0, sizeof(*c));
    c->from = from;
    c->err = err;
    c->centralized_logging = c->config = -1;
}

void lc_discovered_free(struct lc_discovered *d)
{
    if (!d)
        return;
    org_clear(&d->org);
    ct_clear(&d->ct);
    memset(d, 0, sizeof(*d));
}

static int add_account(struct lc_discovered_org *o, const char *id, const char *name,
                       const char *status, time_t joined)
{
    if (LC_ARRAY_GROW(o->accounts, o->n_accounts, o->cap_accounts))
        return LC_E_NOMEM;
    struct lc_account *a = &o->accounts[o->n_accounts];
    a->id = strdup(id);
    a->name = dup_or_null(name);
    a->status = strdup(status ? status : "ACTIVE");
    a->joined = joined;
    if (!a->id || (name && !a->name) || !a->status) {
        free(a->id);
        free(a->name);
        free(a->status);
        return LC_E_NOMEM;
    }
    o->n_accounts++;
    return 0;
}

static struct lc_ou_accounts *add_ou(struct lc_discovered_org *o, const char *ou)
{
    if (LC_ARRAY_GROW(o->ous, o->n_ous, o->cap_ous))
        return NULL;
    struct lc_ou_accounts *u = &o->ous[o->n_ous];
    memset(u, 0, sizeof(*u));
    u->ou = strdup(ou);
    if (!u->ou)
        return NULL;
    o->n_ous++;
    return u;
}

const struct lc_account *lc_discovered_account(const struct lc_discovered *d, const char *id)
{
    for (size_t i = 0; d && i < d->org.n_accounts; i++)
        if (strcmp(d->org.accounts[i].id, id) == 0)
            return &d->org.accounts[i];
    return NULL;
}

bool lc_discovered_in_ou(const struct lc_discovered *d, const char *ou, const char *id)
{
    for (size_t i = 0; d && i < d->org.n_ous; i++)
        if (strcmp(d->org.ous[i].ou, ou) == 0)
            return has_string(d->org.ous[i].accounts, d->org.ous[i].n, id);
    return false;
}

const char *lc_discovery_from_name(enum lc_discovery_from f)
{
    static const char *const n[] = {"not asked", "read", "kept", "stale", "unknown"};
    return (size_t)f < sizeof(n) / sizeof(n[0]) ? n[f] : "?";
}

bool lc_discovery_needed(const struct lc_config *cfg, bool *org, bool *ct)
{
    *org = *ct = false;
    for (size_t t = 0; t < cfg->n_targets; t++)
        for (size_t s = 0; s < cfg->targets[t].n_sources; s++) {
            const struct lc_source_cfg *src = &cfg->targets[t].sources[s];
            *org = *org || src->accounts_from;
            *ct = *ct || src->regions_from;
        }
    return *org || *ct;
}

/* ---- the units the config names, with where --------------------------------------------- */

struct unit_want {
    char *ou;
    char where[96]; /* "targets[0].sources[1].include_ous[2]" */
};

struct run;

/* One unit to list: below which configured unit it is (want), and which unit it is. */
struct unit_todo {
    size_t want;
    char *parent;
};

struct run {
    const struct lc_config *cfg;
    struct lc_discovery_opts opts;
    struct lc_discovered *out;
    void (*done)(void *ud);
    void *ud;
    int pending; /* parts still reading */
    /* Organizations */
    const char *org_region;
    struct unit_want *wants;
    size_t n_wants, cap_wants;
    struct unit_todo *todo;
    size_t n_todo, cap_todo, next_todo;
    size_t units_seen;
    int pages;
    bool children_done; /* of the unit at hand: its child units listed, now its accounts */
    char *token;
    const struct lc_discovered *kept; /* the answers kept in state_dir (may be NULL) */
    struct lc_discovered kept_store;
    /* Control Tower */
    const char *ct_region;
};

static int collect_wants(struct run *r)
{
    for (size_t t = 0; t < r->cfg->n_targets; t++)
        for (size_t s = 0; s < r->cfg->targets[t].n_sources; s++) {
            const struct lc_source_cfg *src = &r->cfg->targets[t].sources[s];
            for (int k = 0; k < 2; k++) {
                char **v = k ? src->exclude_ous : src->include_ous;
                size_t n = k ? src->n_exclude_ous : src->n_include_ous;
                for (size_t i = 0; i < n; i++) {
                    bool seen = false;
                    for (size_t w = 0; w < r->n_wants && !seen; w++)
                        seen = strcmp(r->wants[w].ou, v[i]) == 0;
                    if (seen)
                        continue;
                    if (LC_ARRAY_GROW(r->wants, r->n_wants, r->cap_wants))
                        return LC_E_NOMEM;
                    struct unit_want *w = &r->wants[r->n_wants];
                    w->ou = strdup(v[i]);
                    if (!w->ou)
                        return LC_E_NOMEM;
                    snprintf(w->where, sizeof(w->where), "targets[%zu].sources[%zu].%s[%zu]", t, s,
                             k ? "exclude_ous" : "include_ous", i);
                    r->n_wants++;
                }
            }
        }
    return 0;
}

static void run_free(struct run *r)
{
    for (size_t i = 0; i < r->n_wants; i++)
        free(r->wants[i].ou);
    free(r->wants);
    for (size_t i = 0; i < r->n_todo; i++)
        free(r->todo[i].parent);
    free(r->todo);
    free(r->token);
    lc_discovered_free(&r->kept_store);
    free(r);
}

/* ---- the kept answers ---------------------------------------------------------------------- */

static cJSON *org_json(const struct lc_discovered_org *o)
{
    cJSON *j = cJSON_CreateObject();
    char when[LC_TIME_ISO8601_LEN];

    cJSON_AddStringToObject(j, "read_at", lc_time_format_iso8601(o->read_at, when));
    if (o->org_id)
        cJSON_AddStringToObject(j, "org_id", o->org_id);
    cJSON *accts = cJSON_AddArrayToObject(j, "accounts");
    for (size_t i = 0; i < o->n_accounts; i++) {
        const struct lc_account *a = &o->accounts[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "id", a->id);
        if (a->name)
            cJSON_AddStringToObject(x, "name", a->name);
        cJSON_AddStringToObject(x, "status", a->status);
        if (a->joined)
            cJSON_AddStringToObject(x, "joined", lc_time_format_iso8601(a->joined, when));
        cJSON_AddItemToArray(accts, x);
    }
    cJSON *ous = cJSON_AddObjectToObject(j, "ous");
    for (size_t i = 0; i < o->n_ous; i++) {
        cJSON *list = cJSON_AddArrayToObject(ous, o->ous[i].ou);
        for (size_t k = 0; list && k < o->ous[i].n; k++)
            cJSON_AddItemToArray(list, cJSON_CreateString(o->ous[i].accounts[k]));
    }
    return j;
}

static cJSON *ct_json(const struct lc_discovered_ct *c)
{
    cJSON *j = cJSON_CreateObject();
    char when[LC_TIME_ISO8601_LEN];

    cJSON_AddStringToObject(j, "read_at", lc_time_format_iso8601(c->read_at, when));
#define STR(k, v)                                                                                  \
    if (v)                                                                                         \
    cJSON_AddStringToObject(j, k, v)
    STR("region", c->region);
    STR("arn", c->arn);
    STR("version", c->version);
    STR("status", c->status);
    STR("drift_status", c->drift_status);
    STR("log_archive_account", c->log_archive_account);
    STR("kms_key_arn", c->kms_key_arn);
#undef STR
    cJSON *g = cJSON_AddArrayToObject(j, "governed_regions");
    for (size_t i = 0; g && i < c->n_governed; i++)
        cJSON_AddItemToArray(g, cJSON_CreateString(c->governed[i]));
    if (c->centralized_logging >= 0)
        cJSON_AddBoolToObject(j, "centralized_logging", c->centralized_logging);
    if (c->config >= 0)
        cJSON_AddBoolToObject(j, "config", c->config);
    return j;
}

cJSON *lc_discovered_to_json(const struct lc_discovered *d)
{
    cJSON *j = cJSON_CreateObject();

    cJSON_AddNumberToObject(j, "version", CACHE_VERSION);
    if (d->org.from == LC_DISC_READ || d->org.from == LC_DISC_KEPT || d->org.from == LC_DISC_STALE)
        cJSON_AddItemToObject(j, "organization", org_json(&d->org));
    if (d->ct.from == LC_DISC_READ || d->ct.from == LC_DISC_KEPT || d->ct.from == LC_DISC_STALE)
        cJSON_AddItemToObject(j, "control_tower", ct_json(&d->ct));
    return j;
}

static int opt_string(const cJSON *o, const char *name, char **out, struct lc_error *err)
{
    const char *v = NULL;
    int rc = lc_json_string(o, name, LC_JSON_OPTIONAL, &v, err);
    if (!rc && v && !(*out = strdup(v)))
        rc = LC_E_NOMEM;
    return rc;
}

static int org_from_json(const cJSON *j, struct lc_discovered_org *o, struct lc_error *err)
{
    const cJSON *accts = NULL, *ous = NULL, *it;
    int rc = lc_json_time(j, "read_at", LC_JSON_REQUIRED, &o->read_at, err);

    if (!rc)
        rc = opt_string(j, "org_id", &o->org_id, err);
    if (!rc)
        rc = lc_json_array(j, "accounts", LC_JSON_REQUIRED, &accts, err);
    if (rc)
        accts = NULL;
    cJSON_ArrayForEach(it, accts)
    {
        const char *id = NULL, *name = NULL, *status = NULL;
        time_t joined = 0;
        rc = lc_json_string(it, "id", LC_JSON_REQUIRED, &id, err);
        if (!rc)
            rc = lc_json_string(it, "name", LC_JSON_OPTIONAL, &name, err);
        if (!rc)
            rc = lc_json_string(it, "status", LC_JSON_REQUIRED, &status, err);
        if (!rc)
            rc = lc_json_time(it, "joined", LC_JSON_OPTIONAL, &joined, err);
        if (!rc)
            rc = add_account(o, id, name, status, joined);
        if (rc)
            break;
    }
    if (!rc)
        rc = lc_json_object(j, "ous", LC_JSON_OPTIONAL, &ous, err);
    if (rc)
        ous = NULL;
    cJSON_ArrayForEach(it, ous)
    {
        struct lc_ou_accounts *u = add_ou(o, it->string);
        const cJSON *a;
        if (!u || !cJSON_IsArray(it)) {
            rc = u ? LC_E_PARSE : LC_E_NOMEM;
            break;
        }
        cJSON_ArrayForEach(a, it)
        {
            if (!cJSON_IsString(a)) {
                rc = LC_E_PARSE;
                break;
            }
            if ((rc = push_string(&u->accounts, &u->n, &u->cap, a->valuestring)))
                break;
        }
        if (rc)
            break;
    }
    if (rc == LC_E_NOMEM)
        lc_error_set(err, rc, "out of memory");
    else if (rc && err && err->kind == LC_OK)
        lc_error_set(err, LC_E_PARSE, "organization.ous: expected arrays of account ids");
    return rc;
}

static int ct_from_json(const cJSON *j, struct lc_discovered_ct *c, struct lc_error *err)
{
    const cJSON *g = NULL, *it;
    bool b;
    int rc = lc_json_time(j, "read_at", LC_JSON_REQUIRED, &c->read_at, err);

    c->centralized_logging = c->config = -1;
    if (!rc)
        rc = opt_string(j, "region", &c->region, err);
    if (!rc)
        rc = opt_string(j, "arn", &c->arn, err);
    if (!rc)
        rc = opt_string(j, "version", &c->version, err);
    if (!rc)
        rc = opt_string(j, "status", &c->status, err);
    if (!rc)
        rc = opt_string(j, "drift_status", &c->drift_status, err);
    if (!rc)
        rc = opt_string(j, "log_archive_account", &c->log_archive_account, err);
    if (!rc)
        rc = opt_string(j, "kms_key_arn", &c->kms_key_arn, err);
    if (!rc)
        rc = lc_json_array(j, "governed_regions", LC_JSON_REQUIRED, &g, err);
    if (rc)
        g = NULL;
    cJSON_ArrayForEach(it, g)
    {
        if (!cJSON_IsString(it)) {
            lc_error_set(err, LC_E_PARSE, "control_tower.governed_regions: expected strings");
            rc = LC_E_PARSE;
            break;
        }
        if ((rc = push_string(&c->governed, &c->n_governed, &c->cap_governed, it->valuestring)))
            break;
    }
    if (!rc && cJSON_GetObjectItem(j, "centralized_logging") &&
        !(rc = lc_json_bool(j, "centralized_logging", LC_JSON_REQUIRED, &b, err)))
        c->centralized_logging = b;
    if (!rc && cJSON_GetObjectItem(j, "config") &&
        !(rc = lc_json_bool(j, "config", LC_JSON_REQUIRED, &b, err)))
        c->config = b;
    return rc;
}

int lc_discovered_from_json(const cJSON *doc, struct lc_discovered *out, struct lc_error *err)
{
    const cJSON *o = NULL, *c = NULL;
    int64_t version = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    out->ct.centralized_logging = out->ct.config = -1;
    rc = lc_json_int(doc, "version", LC_JSON_REQUIRED, &version, err);
    if (!rc && version != CACHE_VERSION) {
        lc_error_set(err, LC_E_PARSE, "version: %lld is not %d", (long long)version, CACHE_VERSION);
        rc = LC_E_PARSE;
    }
    if (!rc)
        rc = lc_json_object(doc, "organization", LC_JSON_OPTIONAL, &o, err);
    if (!rc && o) {
        rc = org_from_json(o, &out->org, err);
        out->org.from = LC_DISC_KEPT;
    }
    if (!rc)
        rc = lc_json_object(doc, "control_tower", LC_JSON_OPTIONAL, &c, err);
    if (!rc && c) {
        rc = ct_from_json(c, &out->ct, err);
        out->ct.from = LC_DISC_KEPT;
    }
    if (rc)
        lc_discovered_free(out);
    return rc;
}

static void load_kept(struct run *r)
{
    struct lc_buf b = {0};
    struct lc_error err;
    cJSON *doc = NULL;

    lc_error_clear(&err);
    if (!r->opts.cache_path)
        return;
    if (lc_buf_read_file(&b, r->opts.cache_path, &err) != 0) {
        if (errno != ENOENT) /* never kept yet: nothing to say */
            LC_WARN("discovery", "cannot read the kept answers: %s", err.message);
        lc_buf_free(&b);
        return;
    }
    if (b.len > CACHE_MAX || lc_json_parse(b.data, b.len, CACHE_MAX, &doc, &err) != 0 ||
        lc_discovered_from_json(doc, &r->kept_store, &err) != 0)
        LC_WARN("discovery", "%s: not used: %s", r->opts.cache_path,
                err.kind != LC_OK ? err.message : "too large");
    else
        r->kept = &r->kept_store;
    cJSON_Delete(doc);
    lc_buf_free(&b);
}

static void save_kept(struct run *r)
{
    const char *slash = strrchr(r->opts.cache_path, '/');
    struct lc_error err;

    if (slash && slash != r->opts.cache_path) { /* state_dir: created if missing */
        char dir[4096];
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - r->opts.cache_path), r->opts.cache_path);
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            LC_WARN("discovery", "cannot create %s: %s", dir, strerror(errno));
    }
    cJSON *doc = lc_discovered_to_json(r->out);
    char *text = doc ? cJSON_Print(doc) : NULL;

    lc_error_clear(&err);
    if (!text)
        LC_WARN("discovery", "out of memory keeping the answers");
    else if (lc_file_replace(r->opts.cache_path, text, strlen(text), 0600, false, &err) != 0)
        LC_WARN("discovery", "cannot keep the answers: %s", err.message);
    cJSON_free(text);
    cJSON_Delete(doc);
}

/* Copy a kept part into out (from: KEPT or STALE). */
static int take_kept_org(struct run *r, enum lc_discovery_from from)
{
    struct lc_discovered_org *o = &r->out->org, *k = &r->kept_store.org;
    struct lc_error err = o->err;
    struct lc_discovery_call calls[LC_DISCOVERY_MAX_CALLS];
    size_t n_calls = o->n_calls;

    memcpy(calls, o->calls, sizeof(calls));
    org_clear(o);
    *o = *k;
    memset(k, 0, sizeof(*k));
    o->from = from;
    o->err = err;
    memcpy(o->calls, calls, sizeof(calls)); /* the calls made now, not those of the kept read */
    o->n_calls = n_calls;
    return 0;
}

static int take_kept_ct(struct run *r, enum lc_discovery_from from)
{
    struct lc_discovered_ct *c = &r->out->ct, *k = &r->kept_store.ct;
    struct lc_error err = c->err;
    struct lc_discovery_call calls[LC_DISCOVERY_MAX_CALLS];
    size_t n_calls = c->n_calls;

    memcpy(calls, c->calls, sizeof(calls));
    ct_clear(c);
    *c = *k;
    memset(k, 0, sizeof(*k));
    c->from = from;
    c->err = err;
    memcpy(c->calls, calls, sizeof(calls));
    c->n_calls = n_calls;
    return 0;
}

/* A kept organization answer that holds every unit the config names. */
static bool kept_org_usable(const struct run *r)
{
    if (!r->kept || r->kept->org.from != LC_DISC_KEPT)
        return false;
    for (size_t w = 0; w < r->n_wants; w++) {
        bool found = false;
        for (size_t i = 0; i < r->kept->org.n_ous && !found; i++)
            found = strcmp(r->kept->org.ous[i].ou, r->wants[w].ou) == 0;
        if (!found)
            return false;
    }
    return true;
}

static bool kept_ct_usable(const struct run *r)
{
    return r->kept && r->kept->ct.from == LC_DISC_KEPT && r->kept->ct.region &&
           strcmp(r->kept->ct.region, r->ct_region) == 0;
}

static bool fresh(const struct run *r, time_t read_at)
{
    return r->opts.now - read_at < r->cfg->refresh_s;
}

static void finish(evutil_socket_t fd, short what, void *arg)
{
    struct run *r = arg;
    void (*done)(void *) = r->done;
    void *ud = r->ud;

    (void)fd;
    (void)what;
    if (r->opts.cache_path && (r->out->org.from == LC_DISC_READ || r->out->ct.from == LC_DISC_READ))
        save_kept(r);
    run_free(r);
    done(ud);
}

/* A part is complete; the last one ends the run, always from the loop (also when every part
 * was kept and nothing was asked). */
static void part_done(struct run *r)
{
    static const struct timeval now = {0, 0};

    if (--r->pending > 0)
        return;
    if (event_base_once(lc_aws_base(r->opts.aws), -1, EV_TIMEOUT, finish, r, &now) != 0)
        finish(-1, 0, r); /* cannot happen short of memory; finishing at once is still right */
}

/* ---- Organizations ------------------------------------------------------------------------ */

static void org_next(struct run *r);

/* The organization part failed: keep the kept answer when there is one. */
static void org_failed(struct run *r, const struct lc_error *e, const char *what)
{
    struct lc_discovered_org *o = &r->out->org;

    lc_error_set(&o->err, e->kind, "%s: %s%s%s", what, e->code, e->code[0] ? ": " : "", e->message);
    lc_strlcpy(o->err.code, e->code, sizeof(o->err.code));
    o->err.status = e->status;
    if (r->kept && r->kept->org.from == LC_DISC_KEPT && kept_org_usable(r))
        take_kept_org(r, LC_DISC_STALE);
    else {
        org_clear(o);
        o->from = LC_DISC_UNKNOWN;
    }
    part_done(r);
}

static void org_nomem(struct run *r)
{
    struct lc_error e;
    lc_error_clear(&e);
    lc_error_set(&e, LC_E_NOMEM, "out of memory");
    org_failed(r, &e, "organizations");
}

/* NextToken of a page into r->token (NULL at the end); false when out of memory. */
static bool take_token(struct run *r, const cJSON *result)
{
    const char *t = NULL;
    free(r->token);
    r->token = NULL;
    lc_json_string(result, "NextToken", LC_JSON_OPTIONAL, &t, NULL);
    if (t && *t && !(r->token = strdup(t)))
        return false;
    return true;
}

static int org_call(struct run *r, const char *op, cJSON *in, lc_awsjson_cb cb)
{
    struct lc_error err;
    int rc;

    lc_error_clear(&err);
    if (r->token)
        cJSON_AddStringToObject(in, "NextToken", r->token);
    rc = lc_aws_json_call(r->opts.aws, r->opts.org_creds, "organizations", r->org_region, op, in,
                          cb, r, &err);
    cJSON_Delete(in);
    if (rc) {
        char what[96];
        snprintf(what, sizeof(what), "organizations:%s", op);
        record_call(r->out->org.calls, &r->out->org.n_calls, "organizations", op, &err);
        org_failed(r, &err, what);
    }
    return rc;
}

static bool answered(struct run *r, const struct lc_aws_resp *resp, const cJSON *result,
                     const char *op)
{
    r->out->requests += resp->attempts;
    record_call(r->out->org.calls, &r->out->org.n_calls, "organizations", op, &resp->err);
    if (resp->err.kind == LC_OK && result)
        return true;
    char what[96];
    snprintf(what, sizeof(what), "organizations:%s", op);
    org_failed(r, &resp->err, what);
    return false;
}

/* A unit's accounts, page by page, into the configured unit's set. */
static void on_unit_accounts(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct run *r = ud;
    const struct unit_todo *t = &r->todo[r->next_todo];
    const cJSON *list = NULL, *a;

    if (!answered(r, resp, result, "ListAccountsForParent"))
        return;
    struct lc_ou_accounts *u = &r->out->org.ous[t->want];
    lc_json_array(result, "Accounts", LC_JSON_OPTIONAL, &list, NULL);
    cJSON_ArrayForEach(a, list)
    {
        const char *id = NULL;
        lc_json_string(a, "Id", LC_JSON_OPTIONAL, &id, NULL);
        if (id && !has_string(u->accounts, u->n, id) &&
            push_string(&u->accounts, &u->n, &u->cap, id)) {
            org_nomem(r);
            return;
        }
    }
    if (!take_token(r, result)) {
        org_nomem(r);
        return;
    }
    if (r->token && ++r->pages < MAX_PAGES) {
        cJSON *in = cJSON_CreateObject();
        cJSON_AddStringToObject(in, "ParentId", t->parent);
        cJSON_AddNumberToObject(in, "MaxResults", ORG_PAGE_LIMIT);
        org_call(r, "ListAccountsForParent", in, on_unit_accounts);
        return;
    }
    r->next_todo++;
    r->children_done = false;
    r->pages = 0;
    org_next(r);
}

/* A unit's child units, page by page, queued below the same configured unit. */
static void on_unit_children(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct run *r = ud;
    const cJSON *list = NULL, *c;

    if (resp->err.kind != LC_OK && strcmp(resp->err.code, "ParentNotFoundException") == 0 &&
        strcmp(r->todo[r->next_todo].parent, r->wants[r->todo[r->next_todo].want].ou) == 0) {
        /* a configured unit that does not exist: say which key names it */
        struct lc_error e = resp->err;
        const struct unit_want *w = &r->wants[r->todo[r->next_todo].want];
        r->out->requests += resp->attempts;
        record_call(r->out->org.calls, &r->out->org.n_calls, "organizations", "ListChildren",
                    &resp->err);
        lc_error_set(&e, LC_E_INVALID, "%s: %s is not an organizational unit of the organization",
                     w->where, w->ou);
        lc_strlcpy(e.code, resp->err.code, sizeof(e.code));
        org_failed(r, &e, "organizations:ListChildren");
        return;
    }
    if (!answered(r, resp, result, "ListChildren"))
        return;
    size_t want = r->todo[r->next_todo].want;
    lc_json_array(result, "Children", LC_JSON_OPTIONAL, &list, NULL);
    cJSON_ArrayForEach(c, list)
    {
        const char *id = NULL;
        lc_json_string(c, "Id", LC_JSON_OPTIONAL, &id, NULL);
        if (!id || ++r->units_seen > MAX_UNITS)
            continue;
        if (LC_ARRAY_GROW(r->todo, r->n_todo, r->cap_todo) ||
            !(r->todo[r->n_todo].parent = strdup(id))) {
            org_nomem(r);
            return;
        }
        r->todo[r->n_todo++].want = want;
    }
    if (!take_token(r, result)) {
        org_nomem(r);
        return;
    }
    if (r->token && ++r->pages < MAX_PAGES) {
        cJSON *in = cJSON_CreateObject();
        cJSON_AddStringToObject(in, "ParentId", r->todo[r->next_todo].parent);
        cJSON_AddStringToObject(in, "ChildType", "ORGANIZATIONAL_UNIT");
        org_call(r, "ListChildren", in, on_unit_children);
        return;
    }
    r->children_done = true;
    r->pages = 0;
    org_next(r);
}

/* The units to list, one call at a time; then the organization is read. */
static void org_next(struct run *r)
{
    if (r->next_todo == r->n_todo) {
        if (r->units_seen > MAX_UNITS)
            LC_WARN("discovery",
                    "more than %d organizational units below the configured ones: "
                    "only the first were read",
                    MAX_UNITS);
        r->out->org.from = LC_DISC_READ;
        r->out->org.read_at = r->opts.now;
        part_done(r);
        return;
    }
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "ParentId", r->todo[r->next_todo].parent);
    if (!r->children_done) {
        cJSON_AddStringToObject(in, "ChildType", "ORGANIZATIONAL_UNIT");
        org_call(r, "ListChildren", in, on_unit_children);
    } else {
        cJSON_AddNumberToObject(in, "MaxResults", ORG_PAGE_LIMIT);
        org_call(r, "ListAccountsForParent", in, on_unit_accounts);
    }
}

static void on_accounts(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct run *r = ud;
    const cJSON *list = NULL, *a;

    if (!answered(r, resp, result, "ListAccounts"))
        return;
    lc_json_array(result, "Accounts", LC_JSON_OPTIONAL, &list, NULL);
    cJSON_ArrayForEach(a, list)
    {
        const char *id = NULL, *name = NULL, *status = NULL;
        time_t joined = 0;
        lc_json_string(a, "Id", LC_JSON_OPTIONAL, &id, NULL);
        lc_json_string(a, "Name", LC_JSON_OPTIONAL, &name, NULL);
        lc_json_string(a, "Status", LC_JSON_OPTIONAL, &status, NULL);
        lc_json_time(a, "JoinedTimestamp", LC_JSON_OPTIONAL, &joined, NULL);
        if (!id || strlen(id) != 12 || strspn(id, "0123456789") != 12) {
            LC_WARN("discovery", "ListAccounts gave an account without a 12-digit Id: skipped");
            continue;
        }
        if (add_account(&r->out->org, id, name, status, joined)) {
            org_nomem(r);
            return;
        }
    }
    if (!take_token(r, result)) {
        org_nomem(r);
        return;
    }
    if (r->token && ++r->pages < MAX_PAGES) {
        cJSON *in = cJSON_CreateObject();
        cJSON_AddNumberToObject(in, "MaxResults", ORG_PAGE_LIMIT);
        org_call(r, "ListAccounts", in, on_accounts);
        return;
    }
    if (r->token)
        LC_WARN("discovery", "ListAccounts stopped after %d pages", MAX_PAGES);
    free(r->token);
    r->token = NULL;
    r->pages = 0;
    /* then the configured units, each a subtree */
    for (size_t w = 0; w < r->n_wants; w++) {
        if (!add_ou(&r->out->org, r->wants[w].ou) ||
            LC_ARRAY_GROW(r->todo, r->n_todo, r->cap_todo) ||
            !(r->todo[r->n_todo].parent = strdup(r->wants[w].ou))) {
            org_nomem(r);
            return;
        }
        r->todo[r->n_todo++].want = w;
    }
    org_next(r);
}

static void on_organization(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct run *r = ud;
    const char *id = NULL;

    if (!answered(r, resp, result, "DescribeOrganization"))
        return;
    lc_json_string(result, "Organization.Id", LC_JSON_OPTIONAL, &id, NULL);
    if (id && !(r->out->org.org_id = strdup(id))) {
        org_nomem(r);
        return;
    }
    cJSON *in = cJSON_CreateObject();
    cJSON_AddNumberToObject(in, "MaxResults", ORG_PAGE_LIMIT);
    org_call(r, "ListAccounts", in, on_accounts);
}

/* ---- Control Tower ---------------------------------------------------------------------- */

static void ct_failed(struct run *r, const struct lc_error *e, const char *what)
{
    struct lc_discovered_ct *c = &r->out->ct;

    lc_error_set(&c->err, e->kind, "%s: %s%s%s", what, e->code, e->code[0] ? ": " : "", e->message);
    lc_strlcpy(c->err.code, e->code, sizeof(c->err.code));
    c->err.status = e->status;
    if (kept_ct_usable(r))
        take_kept_ct(r, LC_DISC_STALE);
    else {
        ct_clear(c);
        c->from = LC_DISC_UNKNOWN;
    }
    part_done(r);
}

static bool ct_answered(struct run *r, const struct lc_aws_resp *resp, const cJSON *result,
                        const char *op)
{
    r->out->requests += resp->attempts;
    record_call(r->out->ct.calls, &r->out->ct.n_calls, "controltower", op, &resp->err);
    if (resp->err.kind == LC_OK && result)
        return true;
    char what[96];
    snprintf(what, sizeof(what), "controltower:%s", op);
    ct_failed(r, &resp->err, what);
    return false;
}

static int ct_string(const cJSON *root, const char *path, char **out)
{
    const char *v = NULL;
    if (lc_json_string(root, path, LC_JSON_OPTIONAL, &v, NULL) == 0 && v && !(*out = strdup(v)))
        return LC_E_NOMEM;
    return 0;
}

/* An integration's "enabled": -1 when the manifest has no such section. */
static int ct_enabled(const cJSON *manifest, const char *section)
{
    const cJSON *s = cJSON_GetObjectItem(manifest, section);
    const cJSON *e = cJSON_IsObject(s) ? cJSON_GetObjectItem(s, "enabled") : NULL;
    if (!cJSON_IsObject(s))
        return -1;
    return cJSON_IsBool(e) ? cJSON_IsTrue(e) : 1; /* before 4.0 "enabled" is optional: on */
}

static void on_landing_zone(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct run *r = ud;
    struct lc_discovered_ct *c = &r->out->ct;
    const cJSON *lz = NULL, *manifest = NULL, *regions = NULL, *it;
    struct lc_error err;
    int rc = 0;

    if (!ct_answered(r, resp, result, "GetLandingZone"))
        return;
    lc_error_clear(&err);
    if (lc_json_object(result, "landingZone", LC_JSON_REQUIRED, &lz, &err) != 0 ||
        lc_json_object(lz, "manifest", LC_JSON_OPTIONAL, &manifest, &err) != 0 ||
        (manifest &&
         lc_json_array(manifest, "governedRegions", LC_JSON_OPTIONAL, &regions, &err) != 0)) {
        ct_failed(r, &err, "controltower:GetLandingZone");
        return;
    }
    rc = ct_string(lz, "version", &c->version);
    if (!rc)
        rc = ct_string(lz, "status", &c->status);
    if (!rc)
        rc = ct_string(lz, "driftStatus.status", &c->drift_status);
    if (!rc && manifest)
        rc = ct_string(manifest, "centralizedLogging.accountId", &c->log_archive_account);
    if (!rc && manifest)
        rc = ct_string(manifest, "centralizedLogging.configurations.kmsKeyArn", &c->kms_key_arn);
    if (rc)
        regions = NULL;
    cJSON_ArrayForEach(it, regions)
    {
        if (!cJSON_IsString(it) || has_string(c->governed, c->n_governed, it->valuestring))
            continue;
        if ((rc = push_string(&c->governed, &c->n_governed, &c->cap_governed, it->valuestring)))
            break;
    }
    /* the home region is always governed */
    if (!rc && !has_string(c->governed, c->n_governed, r->ct_region))
        rc = push_string(&c->governed, &c->n_governed, &c->cap_governed, r->ct_region);
    if (rc) {
        lc_error_set(&err, LC_E_NOMEM, "out of memory");
        ct_failed(r, &err, "controltower:GetLandingZone");
        return;
    }
    c->centralized_logging = manifest ? ct_enabled(manifest, "centralizedLogging") : -1;
    c->config = manifest ? ct_enabled(manifest, "config") : -1;
    c->from = LC_DISC_READ;
    c->read_at = r->opts.now;
    part_done(r);
}

static void on_landing_zones(void *ud, const cJSON *result, const struct lc_aws_resp *resp)
{
    struct run *r = ud;
    const cJSON *list = NULL;
    const char *arn = NULL;
    struct lc_error err;

    if (!ct_answered(r, resp, result, "ListLandingZones"))
        return;
    lc_error_clear(&err);
    lc_json_array(result, "landingZones", LC_JSON_OPTIONAL, &list, NULL);
    lc_json_string(result, "landingZones[0].arn", LC_JSON_OPTIONAL, &arn, NULL);
    if (!arn) {
        lc_error_set(&err, LC_E_INVALID,
                     "no AWS Control Tower landing zone in %s (discovery.control_tower.region): "
                     "\"regions\": \"governed\" needs one",
                     r->ct_region);
        ct_failed(r, &err, "controltower:ListLandingZones");
        return;
    }
    if (!(r->out->ct.arn = strdup(arn))) {
        lc_error_set(&err, LC_E_NOMEM, "out of memory");
        ct_failed(r, &err, "controltower:ListLandingZones");
        return;
    }
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "landingZoneIdentifier", arn);
    if (lc_aws_rest_json_call(r->opts.aws, r->opts.ct_creds, "controltower", r->ct_region, "POST",
                              "/get-landingzone", in, on_landing_zone, r, &err) != 0) {
        record_call(r->out->ct.calls, &r->out->ct.n_calls, "controltower", "GetLandingZone", &err);
        ct_failed(r, &err, "controltower:GetLandingZone");
    }
    cJSON_Delete(in);
}

/* ---- start -------------------------------------------------------------------------------- */

/* Organizations is global: its endpoint and signing region are the partition's. */
static const char *org_region_of(const char *region)
{
    if (region && strncmp(region, "cn-", 3) == 0)
        return "cn-northwest-1";
    if (region && strncmp(region, "us-gov-", 7) == 0)
        return "us-gov-west-1";
    return "us-east-1";
}

int lc_discovery_start(const struct lc_config *cfg, const struct lc_discovery_opts *opts,
                       struct lc_discovered *out, void (*done)(void *ud), void *ud,
                       struct lc_error *err)
{
    bool want_org, want_ct;
    struct run *r;
    int rc;

    memset(out, 0, sizeof(*out));
    out->ct.centralized_logging = out->ct.config = -1;
    lc_discovery_needed(cfg, &want_org, &want_ct);
    r = calloc(1, sizeof(*r));
    if (r)
        r->cfg = cfg;
    if (!r || collect_wants(r) != 0) {
        if (r)
            run_free(r);
        lc_error_set(err, LC_E_NOMEM, "out of memory starting discovery");
        return LC_E_NOMEM;
    }
    r->cfg = cfg;
    r->opts = *opts;
    r->out = out;
    r->done = done;
    r->ud = ud;
    r->org_region = org_region_of(opts->default_region);
    r->ct_region = cfg->ct_region ? cfg->ct_region : opts->default_region;
    load_kept(r);
    /* one count for starting, so no part can finish the run before both are under way */
    r->pending = 1 + want_org + want_ct;
    if (want_org && !opts->force && kept_org_usable(r) && fresh(r, r->kept->org.read_at)) {
        take_kept_org(r, LC_DISC_KEPT);
        r->pending--;
    } else if (want_org) {
        cJSON *in = cJSON_CreateObject();
        lc_error_clear(&out->org.err);
        rc = lc_aws_json_call(opts->aws, opts->org_creds, "organizations", r->org_region,
                              "DescribeOrganization", in, on_organization, r, err);
        cJSON_Delete(in);
        if (rc) {
            run_free(r);
            return rc;
        }
    }
    if (want_ct && !opts->force && kept_ct_usable(r) && fresh(r, r->kept->ct.read_at)) {
        take_kept_ct(r, LC_DISC_KEPT);
        r->pending--;
    } else if (want_ct) {
        if (!(out->ct.region = strdup(r->ct_region))) {
            lc_error_set(err, LC_E_NOMEM, "out of memory starting discovery");
            r->pending--; /* the organization part, if any, still finishes the run */
        } else {
            cJSON *in = cJSON_CreateObject();
            rc = lc_aws_rest_json_call(opts->aws, opts->ct_creds, "controltower", r->ct_region,
                                       "POST", "/list-landingzones", in, on_landing_zones, r, err);
            cJSON_Delete(in);
            if (rc) {
                struct lc_error e = *err;
                record_call(out->ct.calls, &out->ct.n_calls, "controltower", "ListLandingZones",
                            &e);
                ct_failed(r, &e, "controltower:ListLandingZones"); /* counts its part down */
                lc_error_clear(err);
            }
        }
    }
    part_done(r); /* the starting count: from here on the parts finish the run */
    return 0;
}
