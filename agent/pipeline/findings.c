/* Observations -> statuses and findings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arn.h"
#include "core/array.h"
#include "aws/aws.h"
#include "iam/diagnose.h"
#include "pipeline/discovery.h"
#include "pipeline/findings.h"
#include "probes/probe.h"
#include "core/timeutil.h"

const char *lc_stream_status_name(enum lc_stream_status s)
{
    static const char *const n[] = {"ok", "stale", "missing", "invalid", "denied", "error"};
    return (size_t)s < sizeof(n) / sizeof(n[0]) ? n[s] : "unknown";
}

const char *lc_canary_status_name(enum lc_canary_status s)
{
    static const char *const n[] = {"ok", "failed", "error"};
    return (size_t)s < sizeof(n) / sizeof(n[0]) ? n[s] : "unknown";
}

static struct lc_finding *add(struct lc_findings *f, enum lc_finding_code code,
                              enum lc_severity sev, const struct lc_target_cfg *t,
                              const struct lc_stream *s, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static struct lc_finding *add(struct lc_findings *f, enum lc_finding_code code,
                              enum lc_severity sev, const struct lc_target_cfg *t,
                              const struct lc_stream *s, const char *fmt, ...)
{
    char summary[1024];
    va_list ap;

    if (LC_ARRAY_GROW(f->items, f->n, f->cap))
        return NULL;
    struct lc_finding *it = &f->items[f->n];
    va_start(ap, fmt);
    vsnprintf(summary, sizeof(summary), fmt, ap);
    va_end(ap);
    it->code = code;
    it->severity = sev;
    it->target = t;
    it->stream = s;
    it->likely_cause = NULL;
    it->summary = strdup(summary);
    it->evidence = cJSON_CreateObject();
    it->remediation = cJSON_CreateObject();
    if (!it->summary || !it->evidence || !it->remediation) {
        free(it->summary);
        cJSON_Delete(it->evidence);
        cJSON_Delete(it->remediation);
        return NULL;
    }
    f->n++;
    return it;
}

/* The evidence of a failed request: what AWS (or the transport) said. */
static void add_error_evidence(cJSON *ev, const char *operation, const char *key,
                               const struct lc_error *e)
{
    cJSON_AddStringToObject(ev, "operation", operation);
    if (key)
        cJSON_AddStringToObject(ev, "key", key);
    if (e->status)
        cJSON_AddNumberToObject(ev, "http_status", (double)e->status);
    if (e->code[0])
        cJSON_AddStringToObject(ev, "aws_code", e->code);
    if (e->message[0])
        cJSON_AddStringToObject(ev, "message", e->message);
    if (e->request_id[0])
        cJSON_AddStringToObject(ev, "request_id", e->request_id);
    if (e->kind != LC_E_AWS)
        cJSON_AddStringToObject(ev, "error", lc_err_kind_name(e->kind));
}

static bool is_probe_error(const struct lc_error *e)
{
    /* Not an answer about the logs: transport, throttling after retries, credentials, bugs. */
    return e->kind != LC_E_AWS || e->retryable ||
           (e->auth && !e->kms && e->code[0] &&
            (strcmp(e->code, "SignatureDoesNotMatch") == 0 ||
             strcmp(e->code, "InvalidAccessKeyId") == 0 || strcmp(e->code, "ExpiredToken") == 0));
}

static void fmt_age(long s, char *buf, size_t len)
{
    lc_duration_format(s < 0 ? 0 : s, buf, len);
}

/* Key ids compare by their last path segment: S3 echoes the full ARN, some stores the id. */
static bool same_key(const char *a, const char *b)
{
    if (!a || !b)
        return false;
    if (strcmp(a, b) == 0)
        return true;
    const char *ia = strrchr(a, '/'), *ib = strrchr(b, '/');
    ia = ia ? ia + 1 : a;
    ib = ib ? ib + 1 : b;
    return strcmp(ia, ib) == 0 && (ia == a || ib == b);
}

static int access_finding(struct lc_findings *f, const struct lc_stream *s, const char *operation,
                          const char *key, const struct lc_error *e, enum lc_stream_status *st)
{
    struct lc_finding *it;
    const struct lc_target_cfg *t = s->target;

    if (is_probe_error(e)) {
        char buf[700];
        it = add(f, LC_F_PROBE_ERROR, LC_SEV_WARNING, t, s, "could not check %s: %s", s->id,
                 lc_error_format(e, buf, sizeof(buf)));
        *st = LC_ST_ERROR;
    } else if (e->kms) {
        it = add(f, LC_F_READ_DENIED_KMS, LC_SEV_CRITICAL, t, s,
                 "%s of s3://%s/%s denied by KMS: logcanary cannot decrypt the deliveries",
                 operation, t->bucket, key ? key : s->base);
        if (it)
            cJSON_AddStringToObject(it->remediation, "hint",
                                    "allow kms:Decrypt on the bucket's key to the principal "
                                    "logcanary runs as (key policy, and its IAM policy when the "
                                    "key is in another account)");
        *st = LC_ST_DENIED;
    } else if (e->auth) {
        it = add(f, LC_F_READ_DENIED_S3, LC_SEV_CRITICAL, t, s, "%s of s3://%s/%s denied by S3",
                 operation, t->bucket, key ? key : s->base);
        if (it)
            cJSON_AddStringToObject(it->remediation, "hint",
                                    "allow s3:ListBucket and s3:GetObject on the log prefixes to "
                                    "the principal logcanary runs as (bucket policy and IAM)");
        *st = LC_ST_DENIED;
    } else {
        char buf[700];
        it = add(f, LC_F_PROBE_ERROR, LC_SEV_WARNING, t, s, "could not check %s: %s", s->id,
                 lc_error_format(e, buf, sizeof(buf)));
        *st = LC_ST_ERROR;
    }
    if (!it)
        return LC_E_NOMEM;
    add_error_evidence(it->evidence, operation, key, e);
    return 0;
}

/* Nothing under the stream's folder at all: critical, or a warning while its account is new to
 * the organization (discovery.grace). */
static struct lc_finding *never_delivered(struct lc_findings *f, const struct lc_observations *o,
                                          const struct lc_stream *s)
{
    const struct lc_account *a = s->acct;
    bool young = a && a->joined && o->now - a->joined < o->grace_s;
    char by[96], joined[LC_TIME_ISO8601_LEN], age[32];
    struct lc_finding *it;

    lc_expected_by_text(s->expected_by, by, sizeof(by));
    if (a && a->joined) { /* coarse: days, or hours within two days */
        long ago = (long)(o->now - a->joined);
        snprintf(age, sizeof(age), ago >= 2 * 86400 ? "%ld days ago" : "%ld hours ago",
                 ago >= 2 * 86400 ? ago / 86400 : (ago < 0 ? 0 : ago / 3600));
    }
    it = add(f, LC_F_NEVER_DELIVERED, young ? LC_SEV_WARNING : LC_SEV_CRITICAL, s->target, s,
             "%s: never delivered: nothing at all under s3://%s/%s%s%s%s%s%s (expected by %s)",
             s->id, s->target->bucket, s->base, a && a->name ? "; account \"" : "",
             a && a->name ? a->name : "", a && a->name ? "\"" : "",
             a && a->joined ? " joined the organization " : "", a && a->joined ? age : "", by);
    if (!it)
        return NULL;
    if (a && a->joined) {
        cJSON_AddStringToObject(it->evidence, "joined", lc_time_format_iso8601(a->joined, joined));
        if (young)
            cJSON_AddStringToObject(it->evidence, "grace",
                                    "joined less than discovery.grace ago: a warning until then");
    }
    if (a && a->name)
        cJSON_AddStringToObject(it->evidence, "account_name", a->name);
    cJSON *eb = cJSON_AddArrayToObject(it->evidence, "expected_by");
    for (unsigned b = LC_EXPECT_CONFIG; eb && b <= LC_EXPECT_BUCKET; b <<= 1)
        if (s->expected_by & b)
            cJSON_AddItemToArray(eb,
                                 cJSON_CreateString(lc_expected_by_name((enum lc_expected_by)b)));
    return it;
}

static int judge_stream(struct lc_findings *f, const struct lc_observations *o,
                        const struct lc_stream_obs *so, enum lc_stream_status *st)
{
    const struct lc_stream *s = so->stream;
    const struct lc_target_cfg *t = s->target;
    struct lc_finding *it;
    char age[32], max[32];

    *st = LC_ST_OK;
    if (so->list_err.kind != LC_OK)
        return access_finding(f, s, "ListObjectsV2", NULL, &so->list_err, st);

    fmt_age(s->source->max_age_s, max, sizeof(max));
    long newest_age = so->newest_key ? (long)(o->now - so->newest_delivered) : -1;
    bool before_since = so->newest_key && o->since && so->newest_delivered < o->since;
    if (lc_stream_late(o, so)) {
        if (before_since && newest_age <= s->source->max_age_s) {
            char since[LC_TIME_ISO8601_LEN];
            fmt_age(newest_age, age, sizeof(age));
            it = add(f, LC_F_DELIVERY_MISSING, LC_SEV_CRITICAL, t, s,
                     "%s: no delivery since %s; the newest is %s old", s->id,
                     lc_time_format_iso8601(o->since, since), age);
            *st = LC_ST_STALE;
        } else if (so->newest_key) {
            fmt_age(newest_age, age, sizeof(age));
            it = add(f, LC_F_DELIVERY_MISSING, LC_SEV_CRITICAL, t, s,
                     "%s: no delivery newer than %s; the newest is %s old", s->id, max, age);
            *st = LC_ST_STALE;
        } else if (so->ever_asked && !so->ever_found) {
            it = never_delivered(f, o, s);
            *st = LC_ST_MISSING;
        } else {
            char look[32];
            fmt_age((long)(o->now - (so->lookback_from ? so->lookback_from : so->window_from)),
                    look, sizeof(look));
            it = add(f, LC_F_DELIVERY_MISSING, LC_SEV_CRITICAL, t, s,
                     "%s: no delivery at all in the last %s under s3://%s/%s", s->id, look,
                     t->bucket, s->base);
            *st = LC_ST_MISSING;
        }
        if (!it)
            return LC_E_NOMEM;
        cJSON_AddStringToObject(it->evidence, "prefix", s->base);
        cJSON_AddNumberToObject(it->evidence, "max_age_s", (double)s->source->max_age_s);
        if (o->since) {
            char since[LC_TIME_ISO8601_LEN];
            cJSON_AddStringToObject(it->evidence, "since", lc_time_format_iso8601(o->since, since));
        }
        cJSON_AddNumberToObject(it->evidence, "objects_seen", (double)so->objects_seen);
        if (so->newest_key) {
            cJSON_AddStringToObject(it->evidence, "newest_key", so->newest_key);
            cJSON_AddNumberToObject(it->evidence, "newest_age_s", (double)newest_age);
        }
        cJSON_AddStringToObject(it->remediation, "hint",
                                "check the service's own delivery status and the bucket's KMS "
                                "key policy for a grant to the delivering service");
        /* What the service said when it reports no failure (a failure is its own finding): which
         * of its resources deliver to this bucket, or that none does. */
        if (so->status.read && !so->status.failed) {
            if (so->status.summary)
                cJSON_AddStringToObject(it->evidence, "service_summary", so->status.summary);
            if (so->status.detail)
                cJSON_AddItemToObject(it->evidence, "service_status",
                                      cJSON_Duplicate(so->status.detail, 1));
        }
    }
    if (so->status.failed) {
        it = add(f, LC_F_DELIVERY_STATUS_FAILED, LC_SEV_CRITICAL, t, s, "%s: %s says: %s", s->id,
                 s->probe->cfg.name, so->status.summary ? so->status.summary : "delivery failed");
        if (!it)
            return LC_E_NOMEM;
        cJSON_AddItemToObject(it->evidence, "service_status",
                              cJSON_Duplicate(so->status.detail, 1));
    }
    if (so->sample_err.kind != LC_OK) {
        enum lc_stream_status st2;
        int rc = access_finding(f, s, "GetObject", so->newest_key, &so->sample_err, &st2);
        if (rc)
            return rc;
        if (*st == LC_ST_OK || st2 == LC_ST_DENIED)
            *st = st2;
    } else if (so->sampled && !so->sample.valid) {
        it = add(f, LC_F_SAMPLE_INVALID, LC_SEV_CRITICAL, t, s, "%s: newest delivery %s: %s", s->id,
                 so->newest_key, so->sample.reason);
        if (!it)
            return LC_E_NOMEM;
        cJSON_AddStringToObject(it->evidence, "key", so->newest_key);
        cJSON_AddStringToObject(it->evidence, "reason", so->sample.reason);
        cJSON_AddNumberToObject(it->evidence, "bytes_read", (double)so->sample.bytes_in);
        cJSON_AddNumberToObject(it->evidence, "object_size", (double)so->newest_size);
        if (*st == LC_ST_OK)
            *st = LC_ST_INVALID;
    } else if (so->sampled && so->sample.newest_record && !s->probe->old_records &&
               so->sample.newest_record + s->source->max_age_s + s->probe->latency_allowance_s <
                   so->newest_delivered) {
        /* A fresh file full of old records is a replay or a copy, not a delivery. */
        fmt_age((long)(so->newest_delivered - so->sample.newest_record), age, sizeof(age));
        it = add(f, LC_F_SAMPLE_INVALID, LC_SEV_WARNING, t, s,
                 "%s: newest delivery %s holds records %s older than the file", s->id,
                 so->newest_key, age);
        if (!it)
            return LC_E_NOMEM;
        cJSON_AddStringToObject(it->evidence, "key", so->newest_key);
        cJSON_AddNumberToObject(it->evidence, "newest_record_age_s",
                                (double)(o->now - so->sample.newest_record));
        if (*st == LC_ST_OK)
            *st = LC_ST_INVALID;
    }
    /* The key the newest delivery was really encrypted with. */
    if (so->newest_key && so->sample_err.kind == LC_OK && so->sse && t->kms_key_arn &&
        (strcasecmp(so->sse, "aws:kms") != 0 || !same_key(so->sse_kms_key_id, t->kms_key_arn))) {
        it = add(f, LC_F_ENCRYPTION_MISMATCH, LC_SEV_WARNING, t, s,
                 "%s: newest delivery is encrypted with %s %s, expected aws:kms %s", s->id, so->sse,
                 so->sse_kms_key_id ? so->sse_kms_key_id : "(no key id)", t->kms_key_arn);
        if (!it)
            return LC_E_NOMEM;
        cJSON_AddStringToObject(it->evidence, "key", so->newest_key);
        cJSON_AddStringToObject(it->evidence, "sse", so->sse);
        if (so->sse_kms_key_id)
            cJSON_AddStringToObject(it->evidence, "kms_key_id", so->sse_kms_key_id);
        cJSON_AddStringToObject(it->evidence, "expected_kms_key_arn", t->kms_key_arn);
    }
    return 0;
}

static int judge_canary(struct lc_findings *f, const struct lc_canary_obs *c,
                        enum lc_canary_status *st)
{
    const struct lc_target_cfg *t = c->target;
    struct lc_finding *it = NULL;

    *st = LC_CANARY_OK;
    if (c->failed_step) {
        const struct lc_error *e = &c->err;
        char buf[700];
        if (strcmp(c->failed_step, "put") == 0 && e->kms && !is_probe_error(e)) {
            it = add(f, LC_F_CANARY_WRITE_DENIED_KMS, LC_SEV_CRITICAL, t, NULL,
                     "canary PUT to s3://%s/%s failed on KMS: SSE-KMS writes to this bucket "
                     "fail (%s)",
                     t->bucket, c->key, lc_error_format(e, buf, sizeof(buf)));
            if (it)
                cJSON_AddStringToObject(it->remediation, "hint",
                                        "the key must exist, be enabled, and its policy must "
                                        "allow kms:GenerateDataKey to the writer");
            *st = LC_CANARY_FAILED;
        } else if (is_probe_error(e)) {
            it =
                add(f, LC_F_PROBE_ERROR, LC_SEV_WARNING, t, NULL, "canary %s on s3://%s failed: %s",
                    c->failed_step, t->bucket, lc_error_format(e, buf, sizeof(buf)));
            *st = LC_CANARY_ERROR;
        } else {
            it = add(f, LC_F_CANARY_FAILED, LC_SEV_CRITICAL, t, NULL,
                     "canary %s on s3://%s/%s failed: %s", c->failed_step, t->bucket, c->key,
                     lc_error_format(e, buf, sizeof(buf)));
            *st = LC_CANARY_FAILED;
        }
        if (!it)
            return LC_E_NOMEM;
        static const char *const ops[][2] = {{"put", "PutObject"},
                                             {"head", "HeadObject"},
                                             {"get", "GetObject"},
                                             {"delete", "DeleteObject"}};
        const char *op = c->failed_step;
        for (size_t i = 0; i < 4; i++)
            if (strcmp(op, ops[i][0]) == 0)
                op = ops[i][1];
        add_error_evidence(it->evidence, op, c->key, e);
        if (strcmp(c->failed_step, "head") == 0)
            cJSON_AddStringToObject(it->evidence, "left_behind", c->key);
        return 0;
    }
    if (!c->content_match) {
        it = add(f, LC_F_CANARY_FAILED, LC_SEV_CRITICAL, t, NULL,
                 "canary read back from s3://%s/%s differs from what was written", t->bucket,
                 c->key);
        if (!it)
            return LC_E_NOMEM;
        cJSON_AddStringToObject(it->evidence, "key", c->key);
        *st = LC_CANARY_FAILED;
    }
    bool not_kms = !c->sse || strcasecmp(c->sse, "aws:kms") != 0;
    bool wrong_key = t->kms_key_arn && !same_key(c->sse_kms_key_id, t->kms_key_arn);
    if (not_kms || wrong_key) {
        it = add(f, LC_F_ENCRYPTION_MISMATCH, LC_SEV_WARNING, t, NULL,
                 "canary in s3://%s was encrypted with %s %s, expected aws:kms%s%s", t->bucket,
                 c->sse ? c->sse : "(none)", c->sse_kms_key_id ? c->sse_kms_key_id : "",
                 t->kms_key_arn ? " " : "", t->kms_key_arn ? t->kms_key_arn : "");
        if (!it)
            return LC_E_NOMEM;
        cJSON_AddStringToObject(it->evidence, "key", c->key);
        cJSON_AddStringToObject(it->evidence, "sse", c->sse ? c->sse : "");
        if (c->sse_kms_key_id)
            cJSON_AddStringToObject(it->evidence, "kms_key_id", c->sse_kms_key_id);
        if (t->kms_key_arn)
            cJSON_AddStringToObject(it->evidence, "expected_kms_key_arn", t->kms_key_arn);
        if (*st == LC_CANARY_OK)
            *st = LC_CANARY_FAILED;
    }
    if (!c->deleted && c->key && !c->failed_step) {
        it = add(f, LC_F_CANARY_FAILED, LC_SEV_WARNING, t, NULL,
                 "canary object s3://%s/%s was not deleted", t->bucket, c->key);
        if (!it)
            return LC_E_NOMEM;
    }
    return 0;
}

/* ---- diagnosis ------------------------------------------------------------------------------ */

/* The title of a source of the target whose service needs the bucket's default key named by its
 * ARN, NULL when none does. */
static const char *needs_key_arn(const struct lc_target_cfg *t)
{
    for (size_t i = 0; i < t->n_sources; i++)
        if (t->sources[i].probe->diag && t->sources[i].probe->diag->needs_key_arn)
            return t->sources[i].probe->diag->title;
    return NULL;
}

static int unusable(struct lc_findings *f, const struct lc_target_obs *to, const char *why,
                    const char *fix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int unusable(struct lc_findings *f, const struct lc_target_obs *to, const char *why,
                    const char *fix, const char *fmt, ...)
{
    char summary[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(summary, sizeof(summary), fmt, ap);
    va_end(ap);
    struct lc_finding *it =
        add(f, LC_F_KEY_UNUSABLE, LC_SEV_CRITICAL, to->target, NULL, "%s", summary);
    if (!it)
        return LC_E_NOMEM;
    cJSON_AddStringToObject(it->evidence, "reason", why);
    if (to->key_arn)
        cJSON_AddStringToObject(it->evidence, "kms_key_arn", to->key_arn);
    if (to->key_state)
        cJSON_AddStringToObject(it->evidence, "key_state", to->key_state);
    if (to->key_manager)
        cJSON_AddStringToObject(it->evidence, "key_manager", to->key_manager);
    if (to->enc_kms_key_id)
        cJSON_AddStringToObject(it->evidence, "bucket_default_key", to->enc_kms_key_id);
    cJSON_AddStringToObject(it->remediation, "hint", fix);
    return 0;
}

static int judge_key(struct lc_findings *f, const struct lc_target_obs *to)
{
    const struct lc_target_cfg *t = to->target;
    char kr[64];
    int rc = 0;

    /* Bucket default encryption naming the key by its bare id: vended-log delivery needs the
     * ARN ("LogDestination <bucket> is undeliverable"). */
    if (to->enc_kms_key_id && strncmp(to->enc_kms_key_id, "arn:", 4) != 0 &&
        strncmp(to->enc_kms_key_id, "alias/", 6) != 0 && needs_key_arn(t))
        rc = unusable(f, to, "key given by id where an ARN is required",
                      "set the bucket's default encryption to the key's full ARN",
                      "bucket %s names its default KMS key by id (%s): %s need the key ARN",
                      t->bucket, to->enc_kms_key_id, needs_key_arn(t));
    if (rc || !to->key_described)
        return rc;
    if (to->key_state && strcmp(to->key_state, "Enabled") != 0)
        rc = unusable(f, to, "key not enabled",
                      strcmp(to->key_state, "PendingDeletion") == 0
                          ? "cancel the key deletion (kms:CancelKeyDeletion) and enable the key"
                          : "enable the key (kms:EnableKey)",
                      "KMS key %s is %s: nothing can be encrypted with it", to->key_arn,
                      to->key_state);
    if (!rc && to->key_manager && strcmp(to->key_manager, "AWS") == 0)
        rc = unusable(f, to, "AWS managed key where a customer managed key is required",
                      "use a customer managed key whose policy grants the delivering services",
                      "KMS key %s is AWS managed (aws/s3): log delivery services cannot use it "
                      "and its policy cannot be changed",
                      to->key_arn);
    lc_arn_region(to->key_arn, NULL, kr, sizeof(kr));
    const char *br = t->region;
    if (!rc && kr[0] && br && strcmp(kr, br) != 0 && !to->key_multi_region)
        rc = unusable(f, to, "key in another region than the bucket",
                      "use a key in the bucket's region (or a multi-Region replica there)",
                      "KMS key %s is in %s but bucket %s is in %s", to->key_arn, kr, t->bucket, br);
    return rc;
}

/* One read the diagnosis could not make: added to the target's single DIAGNOSIS_INCOMPLETE
 * (created on first use), the permission listed once when the failure was a denial. */
static int incomplete(struct lc_findings *f, const struct lc_target_cfg *t, size_t *idx,
                      const char *name, const char *reading, const char *permission,
                      const struct lc_error *e)
{
    struct lc_finding *it;
    char buf[700];

    if (*idx == SIZE_MAX) {
        it = add(f, LC_F_DIAGNOSIS_INCOMPLETE, LC_SEV_INFO, t, NULL,
                 "diagnosis of s3://%s is incomplete: logcanary could not read everything it "
                 "needs",
                 t->bucket);
        if (!it || !cJSON_AddArrayToObject(it->remediation, "add_permissions"))
            return LC_E_NOMEM;
        *idx = f->n - 1;
    }
    it = &f->items[*idx]; /* by index: add() may have moved the array */
    cJSON *perms = cJSON_GetObjectItem(it->remediation, "add_permissions");
    cJSON *r = cJSON_AddObjectToObject(it->evidence, name);
    cJSON_AddStringToObject(r, "reading", reading);
    cJSON_AddStringToObject(r, "error", lc_error_format(e, buf, sizeof(buf)));
    bool listed = false;
    const cJSON *p;
    cJSON_ArrayForEach(p, perms) listed = listed || strcmp(p->valuestring, permission) == 0;
    if (e->auth && !listed) {
        cJSON_AddItemToArray(perms, cJSON_CreateString(permission));
        if (!cJSON_GetObjectItem(it->remediation, "hint"))
            cJSON_AddStringToObject(it->remediation, "hint",
                                    "grant these to the principal logcanary runs as; "
                                    "kms:GetKeyPolicy works only from the key's own account");
    }
    return 0;
}

static int judge_target(struct lc_findings *f, const struct lc_observations *obs,
                        const struct lc_target_obs *to)
{
    static const struct {
        size_t err_off;
        const char *permission;
        const char *what;
    } reads[] = {
        {offsetof(struct lc_target_obs, enc_err), "s3:GetEncryptionConfiguration",
         "the bucket's default encryption"},
        {offsetof(struct lc_target_obs, key_err), "kms:DescribeKey", "the KMS key"},
        {offsetof(struct lc_target_obs, key_policy_err), "kms:GetKeyPolicy", "the KMS key policy"},
        {offsetof(struct lc_target_obs, bucket_policy_err), "s3:GetBucketPolicy",
         "the bucket policy"},
        {offsetof(struct lc_target_obs, caller_err), "sts:GetCallerIdentity",
         "who logcanary runs as"},
    };
    const struct lc_target_cfg *t = to->target;
    size_t idx = SIZE_MAX;
    int rc = 0;

    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]) && !rc; i++) {
        const struct lc_error *e = (const struct lc_error *)((const char *)to + reads[i].err_off);
        if (e->kind != LC_OK)
            rc = incomplete(f, t, &idx, reads[i].permission, reads[i].what, reads[i].permission, e);
    }
    /* The services' own status, read in the source accounts. */
    for (size_t i = 0; i < obs->n_streams && !rc; i++) {
        const struct lc_stream_obs *so = &obs->streams[i];
        const struct lc_error *e = &so->status.err;
        if (so->stream->target != t || !so->status.asked || e->kind == LC_OK)
            continue;
        char name[160];
        const char *perm = strcmp(e->service, "sts") == 0 ? "sts:AssumeRole"
                           : so->status.permission        ? so->status.permission
                                                          : "(unknown)";
        snprintf(name, sizeof(name), "%s (%s)", perm, so->stream->id);
        rc = incomplete(f, t, &idx, name, "the delivering service's own status", perm, e);
    }
    return rc ? rc : judge_key(f, to);
}

static cJSON *names_array(const struct lc_pol_names *n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(n->items[i]));
    return a;
}

/* One policy section of a diagnosis that is a gap -> KEY_POLICY_GAP / BUCKET_POLICY_GAP. */
static int gap_finding(struct lc_findings *f, const struct lc_stream *s,
                       const struct lc_diag_report *rep, const struct lc_diag_section *sec,
                       bool key, const char *what)
{
    const char *principal = "the delivering service";
    for (size_t i = 0; i < sec->n_outcomes; i++)
        if (sec->outcomes[i].res.verdict != LC_POL_GRANTED && !sec->outcomes[i].req->advisory) {
            principal = sec->outcomes[i].req->principal;
            break;
        }
    struct lc_finding *it;
    if (sec->denied_by.n)
        it = add(f, key ? LC_F_KEY_POLICY_GAP : LC_F_BUCKET_POLICY_GAP, LC_SEV_CRITICAL, s->target,
                 s, "%s: the %s denies %s what %s needs (denied by %s)", s->id, what, principal,
                 s->probe->cfg.name, sec->denied_by.items[0]);
    else
        it = add(f, key ? LC_F_KEY_POLICY_GAP : LC_F_BUCKET_POLICY_GAP, LC_SEV_CRITICAL, s->target,
                 s, "%s: the %s does not grant %s %s%s", s->id, what, principal,
                 sec->missing_actions.n ? sec->missing_actions.items[0] : "what delivery needs",
                 sec->missing_actions.n > 1 ? " (and more)" : "");
    if (!it)
        return LC_E_NOMEM;
    cJSON_AddStringToObject(it->evidence, "principal", principal);
    cJSON_AddItemToObject(it->evidence, "missing_actions", names_array(&sec->missing_actions));
    cJSON_AddItemToObject(it->evidence, "denied_by", names_array(&sec->denied_by));
    if (sec->undetermined.n)
        cJSON_AddItemToObject(it->evidence, "undetermined", names_array(&sec->undetermined));
    if (sec->notes.n)
        cJSON_AddItemToObject(it->evidence, "why", names_array(&sec->notes));
    if (sec->statements && cJSON_GetArraySize(sec->statements) > 0) {
        cJSON_AddItemToObject(it->remediation, "add_statements",
                              cJSON_Duplicate(sec->statements, 1));
        cJSON_AddBoolToObject(it->remediation, "verified", sec->verified);
    } else if (sec->denied_by.n) {
        cJSON_AddStringToObject(it->remediation, "hint",
                                "remove or narrow the Deny statement named in the evidence");
    }
    if (rep->steps_after.n)
        cJSON_AddItemToObject(it->remediation, "steps_after", names_array(&rep->steps_after));
    return 0;
}

/* What a stream's service request model needs from the observations: the rest per use. */
static struct lc_diag_params diag_params(const struct lc_target_obs *to, const struct lc_stream *s,
                                         const cJSON *status)
{
    struct lc_diag_params p = {
        .account = s->account,
        .region = s->region,
        .bucket = s->target->bucket,
        .key_arn = to->key_arn ? to->key_arn : s->target->kms_key_arn,
        .bucket_key = to->enc_bucket_key,
    };
    lc_probe_diag_params(s, status, &p);
    return p;
}

/* A read denied by KMS: does the key policy let logcanary's own principal decrypt? */
static int judge_reader(struct lc_findings *f, const struct lc_target_obs *to,
                        const struct lc_stream *s, const struct lc_policy *kp)
{
    char reader[512];
    struct lc_diag_report rep;
    struct lc_error err;
    int rc = 0;

    lc_arn_principal(to->caller_arn, reader, sizeof(reader));
    struct lc_diag_params p = diag_params(to, s, NULL);
    p.reader_role_arn = reader;
    lc_error_clear(&err);
    if (lc_diagnose(&p, kp, NULL, &rep, &err) != 0)
        return 0;
    const struct lc_diag_outcome *oc = NULL;
    for (size_t i = 0; i < rep.key.n_outcomes && !oc; i++)
        if (strcmp(rep.key.outcomes[i].req->principal, reader) == 0)
            oc = &rep.key.outcomes[i];
    if (oc && oc->res.verdict == LC_POL_GAP) {
        struct lc_finding *it =
            add(f, LC_F_KEY_POLICY_GAP, LC_SEV_CRITICAL, s->target, s,
                "%s: the key policy does not let %s (logcanary) decrypt the deliveries%s%s", s->id,
                reader, oc->res.denied_by.n ? ": denied by " : "",
                oc->res.denied_by.n ? oc->res.denied_by.items[0] : "");
        if (!it) {
            rc = LC_E_NOMEM;
        } else {
            cJSON_AddStringToObject(it->evidence, "principal", reader);
            cJSON *miss = cJSON_AddArrayToObject(it->evidence, "missing_actions");
            cJSON_AddItemToArray(miss, cJSON_CreateString("kms:Decrypt"));
            cJSON_AddItemToObject(it->evidence, "denied_by", names_array(&oc->res.denied_by));
            if (oc->res.notes.n)
                cJSON_AddItemToObject(it->evidence, "why", names_array(&oc->res.notes));
            /* The grant to add, checked by evaluating the policy with it. A Deny is not fixed
             * by an Allow: then only the hint below. */
            if (!oc->res.denied_by.n) {
                cJSON *add_st = cJSON_CreateArray();
                cJSON *st = cJSON_CreateObject();
                cJSON_AddItemToArray(add_st, st);
                cJSON_AddStringToObject(st, "Sid", "Allow logcanary to decrypt log files");
                cJSON_AddStringToObject(st, "Effect", "Allow");
                cJSON_AddStringToObject(cJSON_AddObjectToObject(st, "Principal"), "AWS", reader);
                cJSON_AddStringToObject(st, "Action", "kms:Decrypt");
                cJSON_AddStringToObject(st, "Resource", "*");
                struct lc_policy *fixed = NULL;
                struct lc_pol_result after;
                bool verified = false;
                memset(&after, 0, sizeof(after));
                if (lc_policy_with_statements(kp, add_st, &fixed, &err) == 0 &&
                    lc_diag_evaluate(fixed, oc->req, &after) == 0)
                    verified = after.verdict == LC_POL_GRANTED;
                lc_pol_result_free(&after);
                lc_policy_free(fixed);
                cJSON_AddItemToObject(it->remediation, "add_statements", add_st);
                cJSON_AddBoolToObject(it->remediation, "verified", verified);
            }
            if (oc->res.denied_by.n)
                cJSON_AddStringToObject(it->remediation, "hint",
                                        "remove or narrow the Deny statement named in the "
                                        "evidence");
        }
    } else if (oc && oc->res.verdict == LC_POL_UNDETERMINED) {
        /* The key policy defers to IAM: say where to look, on the denial itself. */
        for (size_t i = 0; i < f->n; i++) {
            struct lc_finding *it = &f->items[i];
            if (it->stream == s && it->code == LC_F_READ_DENIED_KMS) {
                cJSON *pc = cJSON_AddObjectToObject(it->evidence, "key_policy_check");
                cJSON_AddStringToObject(pc, "principal", reader);
                cJSON_AddStringToObject(pc, "verdict", "undetermined");
                cJSON_AddItemToObject(pc, "depends_on", names_array(&oc->res.undetermined));
            }
        }
    }
    lc_diag_report_free(&rep);
    return rc;
}

/* Neither granted nor a gap: a condition on a value logcanary cannot know. Say so on the
 * stream's missing-delivery finding instead of guessing. */
static void note_undetermined(struct lc_findings *f, const struct lc_stream *s, const char *label,
                              const struct lc_diag_section *sec)
{
    for (size_t i = 0; i < f->n; i++) {
        struct lc_finding *it = &f->items[i];
        if (it->stream != s || it->code != LC_F_DELIVERY_MISSING)
            continue;
        cJSON *pc = cJSON_AddObjectToObject(it->evidence, label);
        cJSON_AddStringToObject(pc, "verdict", "undetermined");
        cJSON_AddItemToObject(pc, "depends_on", names_array(&sec->undetermined));
        return;
    }
}

/* The failing streams of a diagnosed target, against the key and bucket policies read. */
static int judge_policies(struct lc_findings *f, const struct lc_observations *obs,
                          const struct lc_target_obs *to, const enum lc_stream_status *status)
{
    struct lc_policy *kp = NULL, *bp = NULL;
    struct lc_error err;
    int rc = 0;

    lc_error_clear(&err);
    if (to->key_policy &&
        lc_policy_parse(to->key_policy, strlen(to->key_policy), LC_POLICY_KEY, &kp, &err) != 0)
        kp = NULL; /* an unparsable policy: no verdict rather than a wrong one */
    lc_error_clear(&err);
    if (to->bucket_policy && lc_policy_parse(to->bucket_policy, strlen(to->bucket_policy),
                                             LC_POLICY_BUCKET, &bp, &err) != 0)
        bp = NULL;
    for (size_t i = 0; i < obs->n_streams && !rc && (kp || bp); i++) {
        const struct lc_stream_obs *so = &obs->streams[i];
        const struct lc_stream *s = so->stream;
        if (s->target != to->target)
            continue;
        if (status[i] == LC_ST_DENIED && so->sample_err.kms && to->caller_arn && kp) {
            rc = judge_reader(f, to, s, kp);
            continue;
        }
        if (status[i] != LC_ST_STALE && status[i] != LC_ST_MISSING)
            continue;
        const char *folder = lc_stream_folder(s);
        struct lc_diag_params p = diag_params(to, s, so->status.detail);
        p.prefix = *folder ? folder : NULL;
        struct lc_diag_report rep;
        lc_error_clear(&err);
        if (lc_diagnose(&p, kp, bp, &rep, &err) != 0)
            continue;
        if (rep.key.evaluated && rep.key.verdict == LC_POL_GAP)
            rc = gap_finding(f, s, &rep, &rep.key, true, "key policy");
        else if (rep.key.evaluated && rep.key.verdict == LC_POL_UNDETERMINED)
            note_undetermined(f, s, "key_policy_check", &rep.key);
        if (!rc && rep.bucket.evaluated && rep.bucket.verdict == LC_POL_GAP)
            rc = gap_finding(f, s, &rep, &rep.bucket, false, "bucket policy");
        else if (!rc && rep.bucket.evaluated && rep.bucket.verdict == LC_POL_UNDETERMINED)
            note_undetermined(f, s, "bucket_policy_check", &rep.bucket);
        lc_diag_report_free(&rep);
    }
    lc_policy_free(kp);
    lc_policy_free(bp);
    return rc;
}

/* The late streams whose probe knows their bucket can never receive them. */
static int judge_destinations(struct lc_findings *f, const struct lc_observations *obs,
                              const enum lc_stream_status *status)
{
    for (size_t i = 0; i < obs->n_streams; i++) {
        const struct lc_stream *s = obs->streams[i].stream;
        const struct lc_target_obs *to = NULL;
        struct lc_destination_problem p;

        if (!s->probe->destination_unsupported ||
            (status[i] != LC_ST_STALE && status[i] != LC_ST_MISSING))
            continue;
        for (size_t k = 0; k < obs->n_targets && !to; k++)
            if (obs->targets[k].target == s->target)
                to = &obs->targets[k];
        memset(&p, 0, sizeof(p));
        if (!s->probe->destination_unsupported(s, to, &p))
            continue;
        struct lc_finding *it = add(f, LC_F_DESTINATION_UNSUPPORTED, LC_SEV_CRITICAL, s->target, s,
                                    "%s: %s", s->id, p.why);
        if (!it)
            return LC_E_NOMEM;
        cJSON_AddStringToObject(it->evidence, "bucket", s->target->bucket);
        cJSON_AddStringToObject(it->remediation, "fix", p.fix);
    }
    return 0;
}

/* A missing delivery or a KMS read denial whose target has an unusable key: that is the likely
 * cause. (The policy evaluator adds KEY_POLICY_GAP links the same way.) */
/* The causes, most specific first: a bucket the service cannot use, an unusable key, a policy
 * gap, then what the service says. */
static const struct {
    enum lc_finding_code code;
    bool same_stream;
    const char *confidence;
} causes[] = {
    {LC_F_DESTINATION_UNSUPPORTED, true, "high"}, {LC_F_KEY_UNUSABLE, false, "high"},
    {LC_F_KEY_POLICY_GAP, true, "high"}, /* also logcanary's own kms:Decrypt */
    {LC_F_BUCKET_POLICY_GAP, true, "medium"},     {LC_F_DELIVERY_STATUS_FAILED, true, "high"},
};
#define N_CAUSES (sizeof(causes) / sizeof(causes[0]))

struct cause_ref {
    const void *key; /* the stream (same_stream causes) or the target */
    size_t rank;     /* in causes[] */
    size_t idx;      /* in the findings */
};

static int cause_cmp(const void *a, const void *b)
{
    const struct cause_ref *x = a, *y = b;
    if (x->key != y->key)
        return (uintptr_t)x->key < (uintptr_t)y->key ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The best cause of key (the lowest rank, the first found), or NULL. */
static const struct cause_ref *best_cause(const struct cause_ref *v, size_t n, const void *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first entry of key */
        size_t mid = lo + (hi - lo) / 2;
        if ((uintptr_t)v[mid].key < (uintptr_t)key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo].key == key ? &v[lo] : NULL;
}

/* A missing delivery or a KMS denial gets its likely cause: the best of its stream's causes and
 * its target's. Sorted indexes keep this linear in the findings, however many there are. */
static void link_causes(struct lc_findings *f)
{
    struct cause_ref *by_stream = calloc(f->n + 1, sizeof(*by_stream));
    struct cause_ref *by_target = calloc(f->n + 1, sizeof(*by_target));
    size_t ns = 0, nt = 0;

    if (!by_stream || !by_target)
        goto out;
    for (size_t i = 0; i < f->n; i++)
        for (size_t k = 0; k < N_CAUSES; k++) {
            const struct lc_finding *c = &f->items[i];
            if (c->code != causes[k].code)
                continue;
            if (causes[k].same_stream && c->stream)
                by_stream[ns++] = (struct cause_ref){c->stream, k, i};
            else if (!causes[k].same_stream)
                by_target[nt++] = (struct cause_ref){c->target, k, i};
        }
    qsort(by_stream, ns, sizeof(*by_stream), cause_cmp);
    qsort(by_target, nt, sizeof(*by_target), cause_cmp);
    for (size_t i = 0; i < f->n; i++) {
        struct lc_finding *it = &f->items[i];
        if (it->code != LC_F_DELIVERY_MISSING && it->code != LC_F_NEVER_DELIVERED &&
            it->code != LC_F_READ_DENIED_KMS && it->code != LC_F_CANARY_WRITE_DENIED_KMS)
            continue;
        const struct cause_ref *s = it->stream ? best_cause(by_stream, ns, it->stream) : NULL;
        const struct cause_ref *t = best_cause(by_target, nt, it->target);
        if (s && f->items[s->idx].target != it->target)
            s = NULL;
        const struct cause_ref *c = !s ? t : !t ? s : s->rank < t->rank ? s : t;
        if (!c)
            continue;
        it->likely_cause = cJSON_CreateObject();
        if (!it->likely_cause)
            goto out;
        cJSON_AddStringToObject(it->likely_cause, "code", lc_finding_name(f->items[c->idx].code));
        cJSON_AddStringToObject(it->likely_cause, "summary", f->items[c->idx].summary);
        cJSON_AddStringToObject(it->likely_cause, "confidence", causes[c->rank].confidence);
    }
out:
    free(by_stream);
    free(by_target);
}

/* The target a discovery finding belongs to: the first that has a source needing the part. */
static const struct lc_target_cfg *discovering_target(const struct lc_observations *o, bool org)
{
    const struct lc_plan *p = o->plan;

    for (size_t i = 0; p && i < p->n_streams; i++) {
        const struct lc_source_cfg *src = p->streams[i].source;
        if (org ? src->accounts_from != NULL : src->regions_from != NULL)
            return p->streams[i].target;
    }
    return p ? p->undiscovered_target : NULL;
}

/* A discovery part that failed: with a kept list the check went on with it (a warning); without
 * one the sources that need it were not checked (and the run is an error). */
static int discovery_finding(struct lc_findings *f, const struct lc_observations *o, bool org,
                             enum lc_discovery_from from, const struct lc_error *err,
                             time_t read_at)
{
    const char *what = org ? "the organization's accounts" : "the landing zone's governed regions";
    const char *key = org ? "\"accounts\": \"organization\"" : "\"regions\": \"governed\"";
    const struct lc_target_cfg *t = discovering_target(o, org);
    char when[LC_TIME_ISO8601_LEN], age[32];
    struct lc_finding *it;

    if ((from != LC_DISC_STALE && from != LC_DISC_UNKNOWN) || !t)
        return 0;
    if (from == LC_DISC_STALE) {
        fmt_age((long)(o->now - read_at), age, sizeof(age));
        it = add(f, LC_F_PROBE_ERROR, LC_SEV_WARNING, t, NULL,
                 "could not read %s: %s; checked with the list read %s ago", what, err->message,
                 age);
    } else {
        it = add(f, LC_F_PROBE_ERROR, LC_SEV_WARNING, t, NULL,
                 "could not read %s: %s; the sources with %s were not checked", what, err->message,
                 key);
    }
    if (!it)
        return LC_E_NOMEM;
    add_error_evidence(it->evidence, org ? "organizations" : "controltower", NULL, err);
    if (from == LC_DISC_STALE)
        cJSON_AddStringToObject(it->evidence, "list_read_at",
                                lc_time_format_iso8601(read_at, when));
    return 0;
}

static int judge_discovery(struct lc_findings *f, const struct lc_observations *o)
{
    const struct lc_discovered *d = o->discovered;
    int rc = 0;

    if (!d)
        return 0;
    rc = discovery_finding(f, o, true, d->org.from, &d->org.err, d->org.read_at);
    if (!rc)
        rc = discovery_finding(f, o, false, d->ct.from, &d->ct.err, d->ct.read_at);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The accounts a witness's target and folder expects, or knowingly does not (skipped), sorted:
 * one pass over the plan, then a binary search per account folder. NULL when out of memory. */
static const char **known_accounts(const struct lc_observations *o, const struct lc_witness_obs *w,
                                   size_t *n)
{
    const struct lc_plan *p = o->plan;
    const char **v = malloc((p->n_streams + p->n_skipped + 1) * sizeof(*v));

    *n = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < p->n_streams; i++)
        if (p->streams[i].target == w->target && lc_witness_of(o, &p->streams[i]) == w)
            v[(*n)++] = p->streams[i].account;
    for (size_t i = 0; i < p->n_skipped; i++)
        if (p->skipped[i].target == w->target && p->skipped[i].acct)
            v[(*n)++] = p->skipped[i].acct->id;
    qsort(v, *n, sizeof(*v), cmp_str);
    return v;
}

/* Accounts that deliver into a bucket but that no source expects. */
static int judge_witnesses(struct lc_findings *f, const struct lc_observations *o)
{
    for (size_t i = 0; i < o->n_witnesses && o->plan; i++) {
        const struct lc_witness_obs *w = &o->witnesses[i];
        struct lc_finding *it;
        if (!w->read) {
            it = add(f, LC_F_PROBE_ERROR, LC_SEV_WARNING, w->target, NULL,
                     "could not list the account folders of s3://%s/%sAWSLogs/: %s",
                     w->target->bucket, w->folder ? w->folder : "", w->err.message);
            if (!it)
                return LC_E_NOMEM;
            add_error_evidence(it->evidence, "ListObjectsV2", NULL, &w->err);
            continue;
        }
        size_t n_known;
        const char **known = known_accounts(o, w, &n_known);
        if (!known)
            return LC_E_NOMEM;
        for (size_t k = 0; k < w->n_accounts; k++) {
            const char *acct = w->accounts[k];
            if (bsearch(&acct, known, n_known, sizeof(*known), cmp_str))
                continue;
            const struct lc_account *a = lc_discovered_account(o->discovered, acct);
            it = add(f, LC_F_UNMONITORED_DELIVERY, LC_SEV_INFO, w->target, NULL,
                     "account %s%s%s%s delivers into s3://%s/%sAWSLogs/, but no source of target "
                     "%s expects it%s",
                     acct, a && a->name ? " (" : "", a && a->name ? a->name : "",
                     a && a->name ? ")" : "", w->target->bucket, w->folder, w->target->name,
                     a ? "" : " (it is not an account of the organization)");
            if (!it) {
                free(known);
                return LC_E_NOMEM;
            }
            cJSON_AddStringToObject(it->evidence, "account", acct);
            cJSON_AddStringToObject(it->evidence, "expected_by", "bucket");
        }
        free(known);
    }
    return 0;
}

int lc_findings_build(const struct lc_observations *obs, struct lc_findings *out)
{
    size_t checked = 0, errored = 0;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->stream_status = calloc(obs->n_streams + 1, sizeof(*out->stream_status));
    out->canary_status = calloc(obs->n_canaries + 1, sizeof(*out->canary_status));
    if (!out->stream_status || !out->canary_status)
        return LC_E_NOMEM;
    for (size_t i = 0; i < obs->n_streams && !rc; i++) {
        rc = judge_stream(out, obs, &obs->streams[i], &out->stream_status[i]);
        checked++;
        errored += out->stream_status[i] == LC_ST_ERROR;
    }
    for (size_t i = 0; i < obs->n_canaries && !rc; i++) {
        rc = judge_canary(out, &obs->canaries[i], &out->canary_status[i]);
        checked++;
        errored += out->canary_status[i] == LC_CANARY_ERROR;
    }
    for (size_t i = 0; i < obs->n_targets && !rc; i++)
        rc = judge_target(out, obs, &obs->targets[i]);
    for (size_t i = 0; i < obs->n_targets && !rc; i++)
        rc = judge_policies(out, obs, &obs->targets[i], out->stream_status);
    if (!rc)
        rc = judge_destinations(out, obs, out->stream_status);
    if (!rc)
        rc = judge_discovery(out, obs);
    if (!rc)
        rc = judge_witnesses(out, obs);
    link_causes(out);
    if (obs->fatal.kind != LC_OK || (checked > 0 && errored == checked) ||
        (obs->plan && obs->plan->n_undiscovered))
        out->overall = "error";
    else
        out->overall = out->n ? "problems" : "ok";
    return rc;
}

cJSON *lc_finding_json(const struct lc_finding *f)
{
    cJSON *o = cJSON_CreateObject();
    const struct lc_stream *s = f->stream;

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "code", lc_finding_name(f->code));
    cJSON_AddStringToObject(o, "severity", lc_severity_name(f->severity));
    cJSON_AddStringToObject(o, "target", f->target->name);
    cJSON_AddStringToObject(o, "bucket", f->target->bucket);
    if (s) {
        cJSON_AddStringToObject(o, "source", s->probe->cfg.name);
        cJSON_AddStringToObject(o, "account", s->account);
        cJSON_AddStringToObject(o, "region", s->region);
        cJSON_AddStringToObject(o, "stream", s->id);
    } else {
        cJSON_AddNullToObject(o, "source");
        cJSON_AddNullToObject(o, "account");
        cJSON_AddNullToObject(o, "region");
        cJSON_AddNullToObject(o, "stream");
    }
    cJSON_AddStringToObject(o, "summary", f->summary ? f->summary : "");
    cJSON_AddItemToObject(o, "evidence",
                          f->evidence ? cJSON_Duplicate(f->evidence, 1) : cJSON_CreateObject());
    cJSON_AddItemToObject(o, "remediation",
                          f->remediation ? cJSON_Duplicate(f->remediation, 1)
                                         : cJSON_CreateObject());
    if (f->likely_cause)
        cJSON_AddItemToObject(o, "likely_cause", cJSON_Duplicate(f->likely_cause, 1));
    return o;
}

void lc_findings_free(struct lc_findings *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].summary);
        cJSON_Delete(f->items[i].evidence);
        cJSON_Delete(f->items[i].remediation);
        cJSON_Delete(f->items[i].likely_cause);
    }
    free(f->items);
    free(f->stream_status);
    free(f->canary_status);
    memset(f, 0, sizeof(*f));
}
