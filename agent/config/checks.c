/* The identifier checks of the config map (map.h): account ids, regions, ARNs, bucket names,
 * URLs, folders. Each returns 0, or LC_E_INVALID with *why set, never quoting the value (it may
 * be a secret from the environment), or LC_E_NOMEM. They may rewrite *v (normalisation). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config/map.h"
#include "core/arn.h"
#include "core/error.h"

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool is_lower_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static int chk_account(char **v, const char **why)
{
    if (lc_is_account_id(*v))
        return 0;
    *why = "expected a 12-digit account id like \"123456789012\"";
    return LC_E_INVALID;
}

/* "<2 letters>(-<letters>){1,2}-<1-2 digits>": ap-northeast-1, us-gov-west-1, cn-north-1,
 * us-isob-east-1. */
static bool is_region(const char *s)
{
    size_t parts = 0;
    const char *p = s;

    for (;;) {
        const char *start = p;
        while (*p && *p != '-')
            p++;
        size_t n = (size_t)(p - start);
        parts++;
        if (parts == 1) {
            if (n != 2 || start[0] < 'a' || start[0] > 'z' || start[1] < 'a' || start[1] > 'z')
                return false;
        } else if (!*p) {
            return parts >= 3 && parts <= 4 && n >= 1 && n <= 2 && all_digits(start, n);
        } else {
            if (n == 0)
                return false;
            for (size_t i = 0; i < n; i++)
                if (start[i] < 'a' || start[i] > 'z')
                    return false;
        }
        if (!*p)
            return false;
        p++;
    }
}

static int chk_region(char **v, const char **why)
{
    size_t n = strlen(*v);

    if (is_region(*v))
        return 0;
    if (n > 1 && (*v)[n - 1] >= 'a' && (*v)[n - 1] <= 'z' && (*v)[n - 2] >= '0' &&
        (*v)[n - 2] <= '9') {
        char *copy = strdup(*v);
        if (!copy)
            return LC_E_NOMEM;
        copy[n - 1] = '\0';
        bool az = is_region(copy);
        free(copy);
        if (az) {
            *why = "expected a region name like \"ap-northeast-1\", not an availability zone";
            return LC_E_INVALID;
        }
    }
    *why = "expected a region name like \"ap-northeast-1\", \"us-gov-west-1\" or \"cn-north-1\"";
    return LC_E_INVALID;
}

#define ROLE_ARN_LIKE "like \"arn:aws:iam::123456789012:role/logcanary\""

static int check_role_arn(char **v, const char **why, bool placeholder)
{
    struct lc_arn a;

    if (lc_arn_parse(*v, &a) != 0 || !lc_arn_is_partition(a.partition)) {
        *why = "expected an IAM role ARN " ROLE_ARN_LIKE;
        return LC_E_INVALID;
    }
    if (strcmp(a.service, "iam") != 0) {
        *why = "expected an ARN of service \"iam\" " ROLE_ARN_LIKE;
        return LC_E_INVALID;
    }
    if (a.region[0]) {
        *why = "expected an IAM role ARN with an empty region field " ROLE_ARN_LIKE;
        return LC_E_INVALID;
    }
    if (!lc_is_account_id(a.account) && !(placeholder && strcmp(a.account, "{account}") == 0)) {
        *why = placeholder
                   ? "expected a 12-digit account id or \"{account}\" in the ARN's "
                     "account field " ROLE_ARN_LIKE
                   : "expected a 12-digit account id in the ARN's account field " ROLE_ARN_LIKE;
        return LC_E_INVALID;
    }
    if (strncmp(a.resource, "role/", 5) != 0 || !a.resource[5] ||
        a.resource[strlen(a.resource) - 1] == '/') {
        *why = "expected a role ARN (\"...:role/<name>\") " ROLE_ARN_LIKE;
        return LC_E_INVALID;
    }
    return 0;
}

static int chk_role_arn(char **v, const char **why)
{
    return check_role_arn(v, why, false);
}

static int chk_status_role_arn(char **v, const char **why)
{
    return check_role_arn(v, why, true);
}

#define KMS_NEED_ARN                                                                               \
    "deliveries are compared by the full key ARN S3 records on each object "                       \
    "(\"arn:aws:kms:<region>:<account>:key/<key-id>\")"

/* A key id: a UUID, or "mrk-" and 32 hex digits (multi-Region keys). */
static bool is_key_id(const char *s)
{
    size_t n = strlen(s);

    if (strncmp(s, "mrk-", 4) == 0) {
        for (size_t i = 4; i < n; i++)
            if (!is_lower_alnum(s[i]))
                return false;
        return n == 36;
    }
    if (n != 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_lower_alnum((char)lower((unsigned char)s[i])))
            return false;
    }
    return true;
}

static int chk_kms_key_arn(char **v, const char **why)
{
    struct lc_arn a;

    if (strncmp(*v, "alias/", 6) == 0) {
        *why = "expected the key ARN, not an alias: " KMS_NEED_ARN;
        return LC_E_INVALID;
    }
    if (is_key_id(*v)) {
        *why = "expected the key ARN, not a bare key id: " KMS_NEED_ARN;
        return LC_E_INVALID;
    }
    if (lc_arn_parse(*v, &a) != 0 || !lc_arn_is_partition(a.partition) ||
        strcmp(a.service, "kms") != 0) {
        *why = "expected a KMS key ARN like "
               "\"arn:aws:kms:ap-northeast-1:123456789012:key/<key-id>\"";
        return LC_E_INVALID;
    }
    if (strncmp(a.resource, "alias/", 6) == 0) {
        *why = "expected the key ARN, not an alias ARN: " KMS_NEED_ARN;
        return LC_E_INVALID;
    }
    if (!is_region(a.region) || !lc_is_account_id(a.account) ||
        strncmp(a.resource, "key/", 4) != 0 || !a.resource[4]) {
        *why = "expected a KMS key ARN like "
               "\"arn:aws:kms:ap-northeast-1:123456789012:key/<key-id>\"";
        return LC_E_INVALID;
    }
    return 0;
}

static int chk_org_id(char **v, const char **why)
{
    const char *s = *v;
    size_t n = strlen(s);

    if (n >= 12 && n <= 34 && s[0] == 'o' && s[1] == '-') {
        size_t i = 2;
        while (i < n && is_lower_alnum(s[i]))
            i++;
        if (i == n)
            return 0;
    }
    *why = "expected an organization id like \"o-abc123def4\" ('o-' and 10 to 32 lowercase "
           "letters or digits)";
    return LC_E_INVALID;
}

/* n lowercase letters or digits from s, lo to hi of them; the count used, 0 if too few or many */
static size_t lower_alnum_run(const char *s, size_t lo, size_t hi)
{
    size_t i = 0;
    while (s[i] && is_lower_alnum(s[i]))
        i++;
    return i >= lo && i <= hi ? i : 0;
}

/* An organizational unit "ou-<4 to 32>-<8 to 32>" or the root "r-<4 to 32>" (lowercase letters
 * and digits). */
static int chk_ou(char **v, const char **why)
{
    const char *s = *v;
    size_t a, b;

    if (strncmp(s, "r-", 2) == 0 && (a = lower_alnum_run(s + 2, 4, 32)) && !s[2 + a])
        return 0;
    if (strncmp(s, "ou-", 3) == 0 && (a = lower_alnum_run(s + 3, 4, 32)) && s[3 + a] == '-' &&
        (b = lower_alnum_run(s + 4 + a, 8, 32)) && !s[4 + a + b])
        return 0;
    *why = "expected an organizational unit id like \"ou-ab12-cd34ef56\" or a root id like "
           "\"r-ab12\"";
    return LC_E_INVALID;
}

static bool looks_like_ipv4(const char *s)
{
    int dots = 0, digits = 0;

    for (; *s; s++) {
        if (*s == '.') {
            if (!digits)
                return false;
            dots++;
            digits = 0;
        } else if (*s >= '0' && *s <= '9') {
            digits++;
        } else {
            return false;
        }
    }
    return dots == 3 && digits;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* S3 general purpose bucket naming rules. */
static int chk_bucket(char **v, const char **why)
{
    const char *s = *v;
    size_t n = strlen(s);

    if (strncmp(s, "s3://", 5) == 0 || strncmp(s, "arn:", 4) == 0) {
        *why = "expected a bare bucket name, not a URL or ARN";
        return LC_E_INVALID;
    }
    if (strchr(s, '/')) {
        *why = "expected a bare bucket name: give the folder in \"prefix\"";
        return LC_E_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 'A' && s[i] <= 'Z') {
            *why = "expected an S3 bucket name: bucket names are lowercase";
            return LC_E_INVALID;
        }
    }
    *why = "expected an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-', "
           "starting and ending with a letter or digit)";
    if (n < 3 || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
        return LC_E_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '.' && s[i] != '-')
            return LC_E_INVALID;
    if (strstr(s, "..") || strstr(s, ".-") || strstr(s, "-.")) {
        *why = "expected an S3 bucket name: no \"..\", \".-\" or \"-.\"";
        return LC_E_INVALID;
    }
    if (looks_like_ipv4(s)) {
        *why = "expected an S3 bucket name, not an IP address";
        return LC_E_INVALID;
    }
    if (strncmp(s, "xn--", 4) == 0 || strncmp(s, "sthree-", 7) == 0 || ends_with(s, "-s3alias") ||
        ends_with(s, "--ol-s3") || ends_with(s, "--x-s3") || ends_with(s, ".mrap")) {
        *why = "expected an S3 bucket name: the prefixes \"xn--\", \"sthree-\" and the "
               "suffixes \"-s3alias\", \"--ol-s3\", \"--x-s3\", \".mrap\" are reserved";
        return LC_E_INVALID;
    }
    return 0;
}

/* http(s)://host[:port][/path], no credentials, query or fragment; a trailing '/' is dropped. */
static int chk_url(char **v, const char **why)
{
    char *s = *v;
    size_t skip, n;

    *why = "expected an http:// or https:// URL like \"https://s3.ap-northeast-1.amazonaws.com\"";
    if (strncmp(s, "https://", 8) == 0)
        skip = 8;
    else if (strncmp(s, "http://", 7) == 0)
        skip = 7;
    else
        return LC_E_INVALID;
    if (!s[skip] || s[skip] == '/' || s[skip] == ':')
        return LC_E_INVALID;
    for (const char *p = s; *p; p++)
        if (*p == ' ' || *p == '?' || *p == '#')
            return LC_E_INVALID;
    const char *slash = strchr(s + skip, '/');
    const char *at = strchr(s + skip, '@');
    if (at && (!slash || at < slash)) {
        *why = "expected a URL without credentials (\"user@\")";
        return LC_E_INVALID;
    }
    n = strlen(s);
    while (n > skip + 1 && s[n - 1] == '/')
        s[--n] = '\0';
    return 0;
}

/* Webhook URLs: http(s)://host[:port][/path][?query], no credentials, fragment or spaces. Kept
 * as given (the path and query may be the credential). */
static int chk_webhook_url(char **v, const char **why)
{
    const char *s = *v;
    size_t skip;

    *why = "expected an http:// or https:// URL like \"https://hooks.example.com/...\"";
    if (strncmp(s, "https://", 8) == 0)
        skip = 8;
    else if (strncmp(s, "http://", 7) == 0)
        skip = 7;
    else
        return LC_E_INVALID;
    if (!s[skip] || strchr("/:?", s[skip]))
        return LC_E_INVALID;
    for (const char *p = s; *p; p++)
        if (*p == ' ' || *p == '#')
            return LC_E_INVALID;
    size_t host_len = strcspn(s + skip, "/?");
    const char *at = memchr(s + skip, '@', host_len);
    if (at) {
        *why = "expected a URL without credentials (\"user@\")";
        return LC_E_INVALID;
    }
    return 0;
}

static int chk_abs_path(char **v, const char **why)
{
    if ((*v)[0] == '/')
        return 0;
    *why = "expected an absolute path like \"/var/lib/logcanary\"";
    return LC_E_INVALID;
}

/* Folders: no "//" and no AWSLogs folder. */
static int check_folders(const char *s, const char **why, const char *awslogs_why)
{
    const char *p = s;

    while (*p) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0) {
            *why = "expected folders separated by single '/' (an empty folder name)";
            return LC_E_INVALID;
        }
        if (n == 7 && strncmp(p, "AWSLogs", 7) == 0) {
            *why = awslogs_why;
            return LC_E_INVALID;
        }
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            *why = "expected folders, not \".\" or \"..\"";
            return LC_E_INVALID;
        }
        p += n;
        if (*p == '/')
            p++;
    }
    return 0;
}

static void strip_slashes(char *s)
{
    size_t lead = strspn(s, "/");
    size_t n = strlen(s + lead);

    memmove(s, s + lead, n + 1);
    while (n && s[n - 1] == '/')
        s[--n] = '\0';
}

static int chk_prefix(char **v, const char **why)
{
    strip_slashes(*v);
    return check_folders(*v, why,
                         "must not contain the AWSLogs folder: give the folder before "
                         "\"AWSLogs/\" (the services add AWSLogs/ themselves)");
}

static int chk_canary_prefix(char **v, const char **why)
{
    size_t n;
    char *s;
    int rc;

    strip_slashes(*v);
    if (!**v) {
        *why = "expected a folder like \"logcanary-canary/\"";
        return LC_E_INVALID;
    }
    rc = check_folders(*v, why,
                       "must not be under AWSLogs/: the canary must stay out of the "
                       "services' delivery folders");
    if (rc)
        return rc;
    n = strlen(*v);
    s = realloc(*v, n + 2);
    if (!s)
        return LC_E_NOMEM;
    s[n] = '/';
    s[n + 1] = '\0';
    *v = s;
    return 0;
}

static int chk_name(char **v, const char **why)
{
    const char *s = *v;
    size_t n = strlen(s);

    *why = "expected a name of 1 to 64 letters, digits, '.', '_' or '-', starting with a "
           "letter or digit";
    if (n > 64 || !is_lower_alnum((char)lower((unsigned char)s[0])))
        return LC_E_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum((char)lower((unsigned char)s[i])) && !strchr("._-", s[i]))
            return LC_E_INVALID;
    return 0;
}

/* STS ExternalId: 2 to 1224 characters of [\w+=,.@:/-]. */
static int chk_external_id(char **v, const char **why)
{
    const char *s = *v;
    size_t n = strlen(s);

    *why = "expected 2 to 1224 letters, digits and characters of \"_+=,.@:/-\" (the STS "
           "ExternalId rules)";
    if (n < 2 || n > 1224)
        return LC_E_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum((char)lower((unsigned char)s[i])) && !strchr("_+=,.@:/-", s[i]))
            return LC_E_INVALID;
    return 0;
}

#define CHECK(name, fn_, doc_) const struct lc_cfg_check name = {.fn = fn_, .doc = doc_}

CHECK(lc_cfg_name, chk_name, "1 to 64 letters, digits, `.`, `_`, `-`");
CHECK(lc_cfg_account, chk_account, "12-digit account ids");
CHECK(lc_cfg_region, chk_region,
      "region names like `ap-northeast-1`, `us-gov-west-1`, `cn-north-1`");
CHECK(lc_cfg_role_arn, chk_role_arn, "`arn:<partition>:iam::<account>:role/<name>`");
CHECK(lc_cfg_status_role_arn, chk_status_role_arn,
      "`arn:<partition>:iam::<account or {account}>:role/<name>`");
CHECK(lc_cfg_kms_key_arn, chk_kms_key_arn,
      "`arn:<partition>:kms:<region>:<account>:key/<key-id>`, not a key id or alias");
CHECK(lc_cfg_org_id, chk_org_id, "`o-` and 10 to 32 lowercase letters or digits");
CHECK(lc_cfg_ou, chk_ou, "`ou-` ids of organizational units, or the root's `r-` id");
CHECK(lc_cfg_bucket, chk_bucket, "an S3 bucket name");
CHECK(lc_cfg_url, chk_url, "`http://` or `https://` URLs");
CHECK(lc_cfg_prefix, chk_prefix,
      "folders; leading and trailing `/` are dropped; no `AWSLogs` folder");
CHECK(lc_cfg_canary_prefix, chk_canary_prefix,
      "a folder; ends with `/` (added); not under `AWSLogs/`");
CHECK(lc_cfg_external_id, chk_external_id, "2 to 1224 letters, digits and `_+=,.@:/-`");
CHECK(lc_cfg_webhook_url, chk_webhook_url, "`http://` or `https://` URLs, no credentials");
CHECK(lc_cfg_abs_path, chk_abs_path, "an absolute path");
