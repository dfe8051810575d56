/* Endpoints, partitions and S3 addressing. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/aws.h"

const char *lc_partition_for_region(const char *region)
{
    if (region && strncmp(region, "cn-", 3) == 0)
        return "aws-cn";
    if (region && strncmp(region, "us-gov-", 7) == 0)
        return "aws-us-gov";
    return "aws";
}

const char *lc_dns_suffix_for_region(const char *region)
{
    if (region && strncmp(region, "cn-", 3) == 0)
        return "amazonaws.com.cn";
    return "amazonaws.com";
}

/* A bucket name usable as a DNS label under TLS: lowercase letters, digits and hyphens, no dots
 * (a dot breaks the wildcard certificate), 3..63 characters. */
static bool bucket_is_virtual_host_safe(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '-'))
            return false;
    return true;
}

/* The host part of an http(s) URL is an IP literal or localhost: virtual hosting is impossible. */
static bool host_is_literal(const char *host, size_t len)
{
    if (len && host[0] == '[')
        return true;
    if (len == 9 && strncmp(host, "localhost", 9) == 0)
        return true;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)host[i]) && host[i] != '.')
            return false;
    return len > 0;
}

static int check_base_url(const char *url, size_t *host_start, size_t *host_len,
                          struct lc_error *err)
{
    size_t skip;
    if (strncmp(url, "https://", 8) == 0)
        skip = 8;
    else if (strncmp(url, "http://", 7) == 0)
        skip = 7;
    else {
        lc_error_set(err, LC_E_INVALID, "endpoint '%s': expected an http:// or https:// URL", url);
        return LC_E_INVALID;
    }
    size_t end = skip;
    while (url[end] && url[end] != '/' && url[end] != ':' && url[end] != '?')
        end++;
    if (url[skip] == '[') { /* IPv6 literal */
        const char *close = strchr(url + skip, ']');
        if (!close) {
            lc_error_set(err, LC_E_INVALID, "endpoint '%s': unterminated IPv6 address", url);
            return LC_E_INVALID;
        }
        end = (size_t)(close - url) + 1;
    }
    if (end == skip) {
        lc_error_set(err, LC_E_INVALID, "endpoint '%s': no host", url);
        return LC_E_INVALID;
    }
    *host_start = skip;
    *host_len = end - skip;
    return 0;
}

int lc_endpoint_resolve(const struct lc_aws_config *cfg, const char *service, const char *region,
                        const char *bucket, char **url, char **path_prefix, struct lc_error *err)
{
    const char *override = cfg->endpoints ? lc_kv_get(cfg->endpoints, service) : NULL;
    char *base = NULL;
    size_t hs, hl;
    int rc = 0;

    *url = NULL;
    *path_prefix = NULL;
    if (!region || !*region)
        region = cfg->region ? cfg->region : "us-east-1";
    if (!override)
        override = cfg->endpoint;
    if (override) {
        size_t n = strlen(override);
        while (n > 0 && override[n - 1] == '/')
            n--;
        base = strndup(override, n);
    } else {
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "https://%s.%s.%s", service, region,
                 lc_dns_suffix_for_region(region));
        base = strdup(tmp);
    }
    if (!base) {
        rc = LC_E_NOMEM;
        goto out;
    }
    rc = check_base_url(base, &hs, &hl, err);
    if (rc)
        goto out;

    if (strcmp(service, "s3") == 0 && bucket && *bucket) {
        bool virtual_host = !cfg->path_style && bucket_is_virtual_host_safe(bucket) &&
                            !host_is_literal(base + hs, hl);
        if (virtual_host) {
            size_t blen = strlen(bucket), n = strlen(base);
            char *v = malloc(n + blen + 2);
            if (!v) {
                rc = LC_E_NOMEM;
                goto out;
            }
            memcpy(v, base, hs);
            memcpy(v + hs, bucket, blen);
            v[hs + blen] = '.';
            memcpy(v + hs + blen + 1, base + hs, n - hs + 1);
            free(base);
            base = v;
            *path_prefix = strdup("");
        } else {
            size_t blen = strlen(bucket);
            *path_prefix = malloc(blen + 2);
            if (*path_prefix) {
                (*path_prefix)[0] = '/';
                memcpy(*path_prefix + 1, bucket, blen + 1);
            }
        }
    } else {
        *path_prefix = strdup("");
    }
    if (!*path_prefix) {
        rc = LC_E_NOMEM;
        goto out;
    }
    *url = base;
    base = NULL;
out:
    if (rc == LC_E_NOMEM)
        lc_error_set(err, rc, "out of memory resolving the %s endpoint", service);
    if (rc) {
        free(*path_prefix);
        *path_prefix = NULL;
    }
    free(base);
    return rc;
}
