#include "core/arn.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

/* The next ':'-ended field of *p into out; false when there is no ':' or it does not fit. */
static bool field(const char **p, char *out, size_t len)
{
    const char *colon = strchr(*p, ':');
    size_t n = colon ? (size_t)(colon - *p) : 0;

    if (!colon || n >= len)
        return false;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p = colon + 1;
    return true;
}

int lc_arn_parse(const char *s, struct lc_arn *out)
{
    const char *p = s;

    memset(out, 0, sizeof(*out));
    if (!s || strncmp(s, "arn:", 4) != 0)
        return -1;
    p += 4;
    if (!field(&p, out->partition, sizeof(out->partition)) ||
        !field(&p, out->service, sizeof(out->service)) ||
        !field(&p, out->region, sizeof(out->region)) ||
        !field(&p, out->account, sizeof(out->account)))
        return -1;
    out->resource = p;
    return 0;
}

bool lc_arn_is_partition(const char *p)
{
    if (strncmp(p, "aws", 3) != 0)
        return false;
    p += 3;
    while (*p) {
        if (*p != '-' || !(p[1] >= 'a' && p[1] <= 'z'))
            return false;
        p++;
        while (*p >= 'a' && *p <= 'z')
            p++;
    }
    return true;
}

bool lc_is_account_id(const char *s)
{
    if (!s || strlen(s) != 12)
        return false;
    for (int i = 0; i < 12; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool lc_arn_account(const char *arn, const char *service, char out[16])
{
    struct lc_arn a;

    out[0] = '\0';
    if (lc_arn_parse(arn, &a) != 0 || (service && strcmp(a.service, service) != 0) ||
        !lc_is_account_id(a.account))
        return false;
    memcpy(out, a.account, 13);
    return true;
}

const char *lc_arn_region(const char *arn, const char *fallback, char *out, size_t len)
{
    struct lc_arn a;

    if (lc_arn_parse(arn, &a) != 0 || !a.region[0] || strlen(a.region) >= len)
        return lc_strlcpy(out, fallback ? fallback : "", len);
    return lc_strlcpy(out, a.region, len);
}

const char *lc_arn_principal(const char *caller, char *out, size_t len)
{
    struct lc_arn a;

    if (lc_arn_parse(caller, &a) != 0 || strcmp(a.service, "sts") != 0 ||
        strncmp(a.resource, "assumed-role/", 13) != 0)
        return lc_strlcpy(out, caller, len);
    const char *role = a.resource + 13;
    snprintf(out, len, "arn:%s:iam::%s:role/%.*s", a.partition, a.account, (int)strcspn(role, "/"),
             role);
    return out;
}

bool lc_arn_is_bucket(const char *arn, const char *bucket)
{
    struct lc_arn a;
    size_t n = strlen(bucket);

    if (lc_arn_parse(arn, &a) != 0 || strcmp(a.service, "s3") != 0 || a.region[0] || a.account[0])
        return false;
    return strncmp(a.resource, bucket, n) == 0 && (a.resource[n] == '\0' || a.resource[n] == '/');
}
