/* Discovery: what should be delivering when nobody listed it. A source's "accounts":
 * "organization" is every account of the AWS Organization (Organizations ListAccounts, and
 * ListChildren / ListAccountsForParent for the organizational units its include_ous and
 * exclude_ous name); its "regions": "governed" is the AWS Control Tower landing zone's governed
 * regions (ListLandingZones, GetLandingZone). The answers are observations like any other: they
 * are read, kept in state_dir for discovery.refresh, and handed to the plan, which decides
 * what is expected.
 *
 * A read that fails keeps the kept answer, however old (and says so); with nothing kept the
 * part is unknown, and the caller must not plan without it. */
#ifndef LC_DISCOVERY_H
#define LC_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "core/error.h"

struct lc_aws;
struct lc_credprov;

struct lc_account {
    char *id;     /* 12 digits */
    char *name;   /* as the organization names it */
    char *status; /* ACTIVE | SUSPENDED | PENDING_CLOSURE */
    time_t joined;
};

/* The accounts below one organizational unit (or the root), its whole subtree. */
struct lc_ou_accounts {
    char *ou;
    char **accounts;
    size_t n, cap;
};

/* One permission a discovery call needed, and how the call went (LC_OK: allowed). */
struct lc_discovery_call {
    const char *permission; /* static: "organizations:ListAccounts" */
    struct lc_error err;
};
#define LC_DISCOVERY_MAX_CALLS 4

/* Where a part's answer came from. */
enum lc_discovery_from {
    LC_DISC_NOT_ASKED = 0, /* no source needs it */
    LC_DISC_READ,          /* read now */
    LC_DISC_KEPT,          /* kept from an earlier read, still within discovery.refresh */
    LC_DISC_STALE,         /* the read failed: kept from an earlier read, older than refresh */
    LC_DISC_UNKNOWN,       /* the read failed and nothing was kept */
};

struct lc_discovered_org {
    enum lc_discovery_from from;
    time_t read_at;              /* when the answer was read from AWS */
    struct lc_error err;         /* why the last read failed (LC_OK when it did not) */
    char *org_id;                /* o-... */
    struct lc_account *accounts; /* every account, any status, in the order listed */
    size_t n_accounts, cap_accounts;
    struct lc_ou_accounts *ous; /* the units the config names */
    size_t n_ous, cap_ous;
    struct lc_discovery_call calls[LC_DISCOVERY_MAX_CALLS]; /* made now, first of each */
    size_t n_calls;
};

struct lc_discovered_ct {
    enum lc_discovery_from from;
    time_t read_at;
    struct lc_error err;
    char *region; /* the home region it was read in */
    char *arn;
    char *version; /* "3.3", "4.0" */
    char *status;
    char *drift_status;
    char **governed; /* governed regions */
    size_t n_governed, cap_governed;
    char *log_archive_account; /* centralizedLogging.accountId */
    char *kms_key_arn;         /* centralizedLogging.configurations.kmsKeyArn */
    /* The integrations of landing zone 4.0, which may be turned off: -1 not in the manifest
     * (earlier versions: always on), 0 off, 1 on. */
    int centralized_logging, config;
    struct lc_discovery_call calls[LC_DISCOVERY_MAX_CALLS];
    size_t n_calls;
};

struct lc_discovered {
    struct lc_discovered_org org;
    struct lc_discovered_ct ct;
    int requests; /* AWS requests this discovery made */
};

/* The permissions each part's calls need, in call order, NULL-ended (preflight's rows). */
extern const char *const lc_discovery_org_permissions[];
extern const char *const lc_discovery_ct_permissions[];

/* Which parts the config needs: some source has "accounts": "organization" (org), or "regions":
 * "governed" (ct). */
bool lc_discovery_needed(const struct lc_config *cfg, bool *org, bool *ct);

struct lc_discovery_opts {
    struct lc_aws *aws;
    struct lc_credprov *org_creds; /* for Organizations */
    struct lc_credprov *ct_creds;  /* for Control Tower */
    const char *default_region;    /* aws.region as resolved (partition, Control Tower home) */
    const char *cache_path;        /* the kept answers (NULL: none kept) */
    time_t now;
    bool force; /* read even when the kept answer is fresh */
};

/* Discover what cfg needs into out; done(ud) runs once, from the loop, when it is complete
 * (every part READ, KEPT, STALE or UNKNOWN; errors are in the parts). 0, or an error when it
 * cannot start (then done is not called). */
int lc_discovery_start(const struct lc_config *cfg, const struct lc_discovery_opts *opts,
                       struct lc_discovered *out, void (*done)(void *ud), void *ud,
                       struct lc_error *err);
void lc_discovered_free(struct lc_discovered *d);

/* The account id's entry, or NULL. */
const struct lc_account *lc_discovered_account(const struct lc_discovered *d, const char *id);
/* Is account id below unit ou (its whole subtree, as read)? */
bool lc_discovered_in_ou(const struct lc_discovered *d, const char *ou, const char *id);
const char *lc_discovery_from_name(enum lc_discovery_from f);

/* The answers as kept in state_dir, and back. from_json accepts what to_json wrote and fails
 * with LC_E_PARSE naming the field otherwise. */
cJSON *lc_discovered_to_json(const struct lc_discovered *d);
int lc_discovered_from_json(const cJSON *doc, struct lc_discovered *out, struct lc_error *err);

#endif
