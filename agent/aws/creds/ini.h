/* The shared config and credentials files (AWS_CONFIG_FILE, default ~/.aws/config;
 * AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials) and the profiles in them.
 *
 * The files are INI as aws-cli's configparser reads them: "[section]", "key = value" or
 * "key: value", full-line comments with # or ;, keys folded to lower case. Lines indented
 * deeper than the key before them continue it: nested settings such as "s3 =" followed by
 * indented "  max_concurrent_requests = 10" are skipped. A malformed line is an error naming
 * file:line and never quoting the line (it may hold a secret); values are wiped on free.
 *
 * Profiles. Config file: [default] or [profile name]. Credentials file: [name]. The same
 * profile in both files is merged, the credentials file winning (botocore). Empty values count
 * as unset. */
#ifndef LC_CREDS_INI_H
#define LC_CREDS_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/kv.h"

struct lc_ini_sec {
    char *name;
    struct lc_kvlist kv;
};

struct lc_ini {
    char *path;   /* after "~" expansion; NULL when it could not be expanded */
    bool present; /* the file was read */
    struct lc_ini_sec *secs;
    size_t n, cap;
};

struct lc_awsfiles {
    struct lc_ini cfg, cred;
};

/* Load both files. A missing file is absent, not an error. Another failure to read is an error
 * when the path came from the environment, else a warning. */
int lc_awsfiles_load(struct lc_awsfiles *f, struct lc_error *err);
void lc_awsfiles_free(struct lc_awsfiles *f);

/* A profile's setting in the config file, in the credentials file, or in either (credentials
 * first). NULL when unset or empty. */
const char *lc_awsfiles_cfg_get(const struct lc_ini *cfg, const char *profile, const char *key);
const char *lc_awsfiles_cred_get(const struct lc_ini *cred, const char *profile, const char *key);
const char *lc_awsfiles_get(const struct lc_awsfiles *f, const char *profile, const char *key);
/* The profile has a section in either file. */
bool lc_awsfiles_has_profile(const struct lc_awsfiles *f, const char *profile);
/* The profile sets aws_access_key_id or aws_secret_access_key. */
bool lc_awsfiles_has_keys(const struct lc_awsfiles *f, const char *profile);

#endif
