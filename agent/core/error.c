#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

char *lc_strlcpy(char *dst, const char *src, size_t size)
{
    if (size == 0)
        return dst;
    size_t n = src ? strnlen(src, size - 1) : 0;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
    return dst;
}

char *lc_strlcpy_utf8(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);

    if (size == 0)
        return dst;
    if (n >= size) {
        n = size - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return dst;
}

void lc_error_clear(struct lc_error *e)
{
    memset(e, 0, sizeof(*e));
}

void lc_error_set(struct lc_error *e, enum lc_err_kind kind, const char *fmt, ...)
{
    va_list ap;

    e->kind = kind;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    lc_error_classify(e);
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* AWS codes that mean "slow down or try again later" (S3, JSON and Query services). */
static bool code_is_retryable(const char *c)
{
    static const char *const exact[] = {
        "SlowDown",
        "RequestTimeout",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "KMSInternalException",
        "DependencyTimeoutException",
        "PriorRequestNotComplete",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "EC2ThrottledException",
        "TransactionInProgressException",
        "IDPCommunicationError",
        "RequestThrottled",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottledException",
        "ThrottledException",
    };
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcmp(c, exact[i]) == 0)
            return true;
    return has_prefix(c, "Throttling");
}

static bool code_is_auth(const char *c)
{
    static const char *const exact[] = {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedAccess",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidToken",
        "AuthFailure",
        "MissingAuthenticationToken",
        "IncompleteSignature",
        "UnrecognizedClientException",
        "AllAccessDisabled",
        "InvalidSecurity",
        "AccountProblem",
        "RequestTimeTooSkewed",
        "AuthorizationHeaderMalformed",
        "KMS.AccessDeniedException",
        "NotAuthorized",
        "Forbidden",
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "MissingAuthenticationTokenException",
        "RequestExpired",
    };
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcmp(c, exact[i]) == 0)
            return true;
    return false;
}

/* KMS involvement: the code is a KMS one, or the message names KMS (real S3 says
 * "... not authorized to perform: kms:GenerateDataKey ..."; radosgw says "Failed to retrieve the
 * actual key, kms-keyid: ..."). */
static bool is_kms(const struct lc_error *e)
{
    if (strcmp(e->service, "kms") == 0)
        return true;
    if (has_prefix(e->code, "KMS.") || has_prefix(e->code, "KMS") || strstr(e->code, "Kms") != NULL)
        return true;
    if (strstr(e->message, "kms:") || strstr(e->message, "kms-keyid") ||
        strstr(e->message, "arn:aws:kms:") || strstr(e->message, "arn:aws-cn:kms:") ||
        strstr(e->message, "arn:aws-us-gov:kms:") || strstr(e->message, "KMS key") ||
        strstr(e->message, "KMS.") || strcasestr(e->message, "kms key"))
        return true;
    return false;
}

void lc_error_classify(struct lc_error *e)
{
    e->retryable = false;
    e->auth = false;
    e->kms = false;
    switch (e->kind) {
    case LC_E_NETWORK:
    case LC_E_TIMEOUT:
        e->retryable = true;
        return;
    case LC_E_AWS:
        break;
    default:
        return;
    }
    if (e->code[0] && code_is_auth(e->code))
        e->auth = true;
    else if (!e->code[0] && (e->status == 401 || e->status == 403))
        e->auth = true;
    e->kms = is_kms(e);
    /* RequestTimeTooSkewed is an auth error that one corrected retry fixes; aws.c handles it. */
    if (e->auth)
        return;
    if (e->code[0] && code_is_retryable(e->code))
        e->retryable = true;
    else if (e->status >= 500 || e->status == 429)
        e->retryable = true;
    /* KMS unavailability errors are transient; disabled/invalid state is not. */
    if (strcmp(e->code, "KMS.KMSInvalidStateException") == 0 ||
        strcmp(e->code, "KMS.DisabledException") == 0 ||
        strcmp(e->code, "KMS.NotFoundException") == 0)
        e->retryable = false;
}

const char *lc_err_kind_name(enum lc_err_kind kind)
{
    switch (kind) {
    case LC_OK:
        return "ok";
    case LC_E_NOMEM:
        return "out of memory";
    case LC_E_INVALID:
        return "invalid input";
    case LC_E_NETWORK:
        return "network error";
    case LC_E_TIMEOUT:
        return "timeout";
    case LC_E_TLS:
        return "TLS error";
    case LC_E_TOO_LARGE:
        return "too large";
    case LC_E_PARSE:
        return "parse error";
    case LC_E_AWS:
        return "AWS error";
    case LC_E_CREDENTIALS:
        return "credentials error";
    case LC_E_CANCELLED:
        return "cancelled";
    case LC_E_IO:
        return "I/O error";
    case LC_E_INTERNAL:
        return "internal error";
    }
    return "unknown error";
}

const char *lc_error_format(const struct lc_error *e, char *buf, size_t len)
{
    int n;

    if (e->kind == LC_E_AWS)
        n = snprintf(buf, len, "%s %ld %s%s%s", e->service[0] ? e->service : "aws", e->status,
                     e->code[0] ? e->code : "(no code)", e->message[0] ? ": " : "", e->message);
    else
        n = snprintf(buf, len, "%s%s%s%s%s", e->service[0] ? e->service : "",
                     e->service[0] ? ": " : "", lc_err_kind_name(e->kind),
                     e->message[0] ? ": " : "", e->message);
    if (n >= 0 && (size_t)n < len && e->request_id[0])
        snprintf(buf + n, len - (size_t)n, " (request id %s)", e->request_id);
    return buf;
}
