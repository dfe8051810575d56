/* Amazon Resource Names: "arn:<partition>:<service>:<region>:<account>:<resource>". The one
 * parser of ARNs; it copies the short fields and points into the string for the resource (which
 * may itself hold ':' and '/'). */
#ifndef LC_ARN_H
#define LC_ARN_H

#include <stdbool.h>
#include <stddef.h>

struct lc_arn {
    char partition[32]; /* aws, aws-cn, aws-us-gov, ... */
    char service[64];   /* iam, kms, s3, sts, ... */
    char region[32];    /* "" for global services and S3 buckets */
    char account[32];   /* "" for S3 buckets */
    const char *resource;
};

/* 0, or -1 when s is not of that shape or a short field does not fit. */
int lc_arn_parse(const char *s, struct lc_arn *out);
/* "aws", then "-<lowercase letters>" parts: aws, aws-cn, aws-us-gov, aws-iso-b. */
bool lc_arn_is_partition(const char *p);
/* Twelve decimal digits. */
bool lc_is_account_id(const char *s);
/* The account of an ARN of this service (NULL: any) when it is a 12-digit id, into out[16];
 * false otherwise. */
bool lc_arn_account(const char *arn, const char *service, char out[16]);
/* The region field of an ARN into out, else fallback (NULL: ""). Returns out. */
const char *lc_arn_region(const char *arn, const char *fallback, char *out, size_t len);
/* The role an STS assumed-role ARN stands for ("arn:aws:sts::A:assumed-role/R/session" ->
 * "arn:aws:iam::A:role/R"); any other ARN as it is. Returns out. */
const char *lc_arn_principal(const char *caller, char *out, size_t len);
/* An S3 ARN of this bucket or an object in it ("arn:<p>:s3:::<bucket>[/key]"). */
bool lc_arn_is_bucket(const char *arn, const char *bucket);

#endif
