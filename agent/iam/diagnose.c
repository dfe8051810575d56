/* Service request models, evaluation against key and bucket policies, remediation. The
 * models themselves are the probes' (struct lc_diag_model); see diagnose.h. */
#include "iam/diagnose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arn.h"
#include "core/array.h"
#include "core/pretty.h"

#define CT_BUCKET "aws-controltower-logs-"

/* ---- parameters --------------------------------------------------------------------------- */

static bool safe_text(const char *s, size_t max)
{
    if (!s || !*s || strlen(s) > max)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x21 || *p == '"' || *p == '\\' || (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

int lc_diag_check_arn(const char *v, const char *service, const char *kind, const char *flag,
                      const char *shape, struct lc_error *err)
{
    char a[16];

    if (safe_text(v, 256) && lc_arn_account(v, service, a) && (!kind || strstr(v, kind)))
        return 0;
    lc_error_set(err, LC_E_INVALID, "%s: expected %s", flag, shape);
    return LC_E_INVALID;
}

const char *lc_diag_param(const struct lc_diag_params *p, const char *name)
{
    for (size_t i = 0; i < LC_DIAG_MAX_EXTRA && p->extra[i].name; i++)
        if (strcmp(p->extra[i].name, name) == 0)
            return p->extra[i].value;
    return NULL;
}

static const struct lc_diag_param *model_param(const struct lc_diag_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return &m->params[i];
    return NULL;
}

static int check_params(const struct lc_diag_params *p, struct lc_error *err)
{
    char a[16];

    if (!p->model) {
        lc_error_set(err, LC_E_INVALID, "--service: no request model for this service");
        return LC_E_INVALID;
    }
    if (!lc_is_account_id(p->account)) {
        lc_error_set(err, LC_E_INVALID, "--account: expected a 12-digit account id");
        return LC_E_INVALID;
    }
    if (!safe_text(p->region, 32)) {
        lc_error_set(err, LC_E_INVALID, "--region: expected a region such as us-east-1");
        return LC_E_INVALID;
    }
    if (!safe_text(p->bucket, 63) || strchr(p->bucket, '/')) {
        lc_error_set(err, LC_E_INVALID, "--bucket: expected a bucket name");
        return LC_E_INVALID;
    }
    if (p->prefix && (!safe_text(p->prefix, 256) || p->prefix[0] == '/' ||
                      p->prefix[strlen(p->prefix) - 1] == '/')) {
        lc_error_set(err, LC_E_INVALID,
                     "--prefix: expected a key prefix without leading or trailing '/'");
        return LC_E_INVALID;
    }
    if (p->key_arn && (!safe_text(p->key_arn, 256) || !lc_arn_account(p->key_arn, "kms", a))) {
        lc_error_set(err, LC_E_INVALID,
                     "--key-arn: expected arn:aws:kms:<region>:<account>:key/<id>");
        return LC_E_INVALID;
    }
    for (size_t i = 0; i < LC_DIAG_MAX_EXTRA && p->extra[i].name; i++) {
        const struct lc_diag_param *d = model_param(p->model, p->extra[i].name);
        if (!d) {
            lc_error_set(err, LC_E_INVALID, "%s: not a parameter of %s", p->extra[i].name,
                         p->service ? p->service : "this service");
            return LC_E_INVALID;
        }
        if (p->extra[i].value && d->check && d->check(p->extra[i].value, err) != 0)
            return LC_E_INVALID;
    }
    if (p->reader_role_arn &&
        (!safe_text(p->reader_role_arn, 255) || (!lc_arn_account(p->reader_role_arn, "iam", a) &&
                                                 !lc_arn_account(p->reader_role_arn, "sts", a)))) {
        lc_error_set(err, LC_E_INVALID, "reader role: expected arn:aws:iam::<account>:role/<name>");
        return LC_E_INVALID;
    }
    return 0;
}

/* The facts every model shares; the model adds where its objects are. */
static void derive(const struct lc_diag_params *p, struct lc_diag_facts *f)
{
    memset(f, 0, sizeof(*f));
    f->ct = p->control_tower || strncmp(p->bucket, CT_BUCKET, strlen(CT_BUCKET)) == 0;
    if (p->key_arn)
        lc_arn_account(p->key_arn, "kms", f->key_account);
    else if (!f->ct)
        lc_strlcpy(f->key_account, p->account, sizeof(f->key_account));
    /* aws-controltower-logs-<log archive account>-<home region> */
    if (strncmp(p->bucket, CT_BUCKET, strlen(CT_BUCKET)) == 0 &&
        strlen(p->bucket) > strlen(CT_BUCKET) + 12 && p->bucket[strlen(CT_BUCKET) + 12] == '-') {
        snprintf(f->bucket_account, sizeof(f->bucket_account), "%.12s",
                 p->bucket + strlen(CT_BUCKET));
        if (!lc_is_account_id(f->bucket_account))
            f->bucket_account[0] = '\0';
    }
    if (p->key_arn) {
        lc_strlcpy(f->key_res, p->key_arn, sizeof(f->key_res));
    } else {
        snprintf(f->key_res, sizeof(f->key_res), "arn:aws:kms:%s:%s:key/", p->region,
                 f->key_account[0] ? f->key_account : "");
        if (!f->key_account[0])
            snprintf(f->key_res, sizeof(f->key_res), "arn:aws:kms:%s:", p->region);
        f->key_res_prefix = true;
    }
    snprintf(f->base, sizeof(f->base), "%s/%s%s", p->bucket, p->prefix ? p->prefix : "",
             p->prefix ? "/" : "");
    snprintf(f->bucket_arn, sizeof(f->bucket_arn), "arn:aws:s3:::%s", p->bucket);
    p->model->paths(p, f);
}

/* ---- requests ----------------------------------------------------------------------------- */

struct lc_diag_request *lc_diag_req(struct lc_diag_reqs *l, enum lc_policy_kind target,
                                    const char *need, enum lc_pol_principal_type pt,
                                    const char *principal, const char *action)
{
    if (LC_ARRAY_GROW(l->v, l->n, l->cap)) {
        l->nomem = 1;
        return NULL;
    }
    struct lc_diag_request *r = &l->v[l->n++];
    memset(r, 0, sizeof(*r));
    r->target = target;
    lc_strlcpy(r->need, need, sizeof(r->need));
    r->principal_type = pt;
    lc_strlcpy(r->principal, principal, sizeof(r->principal));
    lc_strlcpy(r->action, action, sizeof(r->action));
    return r;
}

void lc_diag_req_resource(struct lc_diag_request *r, const char *res, bool prefix, const char *acct)
{
    lc_strlcpy(r->resource, res, sizeof(r->resource));
    r->resource_prefix = prefix;
    lc_strlcpy(r->resource_account, acct ? acct : "", sizeof(r->resource_account));
}

void lc_diag_ctx(struct lc_diag_request *r, const char *name, enum lc_pol_value_state st,
                 const char *value)
{
    if (r->n_ctx >= LC_DIAG_MAX_CTX)
        return;
    struct lc_diag_ctx *c = &r->ctx[r->n_ctx++];
    lc_strlcpy(c->name, name, sizeof(c->name));
    c->state = st;
    lc_strlcpy(c->value, value ? value : "", sizeof(c->value));
}

/* The SSE-KMS encryption context S3 sends: the object ARN, or the bucket ARN with a Bucket Key. */
void lc_diag_ctx_s3(struct lc_diag_request *r, const struct lc_diag_params *p,
                    const struct lc_diag_facts *f, bool via_s3)
{
    char bucket_arn[128];

    if (p->bucket_key) {
        snprintf(bucket_arn, sizeof(bucket_arn), "arn:aws:s3:::%s", p->bucket);
        lc_diag_ctx(r, "kms:EncryptionContext:aws:s3:arn", LC_VAL_EXACT, bucket_arn);
    } else {
        lc_diag_ctx(r, "kms:EncryptionContext:aws:s3:arn", LC_VAL_PREFIX, f->obj_prefix);
    }
    if (via_s3) {
        char via[96];
        snprintf(via, sizeof(via), "s3.%s.amazonaws.com", p->region);
        lc_diag_ctx(r, "kms:ViaService", LC_VAL_EXACT, via);
    } else {
        lc_diag_ctx(r, "kms:ViaService", LC_VAL_ABSENT, NULL);
    }
}

void lc_diag_ctx_source(struct lc_diag_request *r, const char *account, const char *arn,
                        bool arn_prefix)
{
    lc_diag_ctx(r, "aws:SourceAccount", LC_VAL_EXACT, account);
    lc_diag_ctx(r, "aws:SourceArn", arn_prefix ? LC_VAL_PREFIX : LC_VAL_EXACT, arn);
}

void lc_diag_ctx_iam(struct lc_diag_request *r, const char *role)
{
    char acct[16] = "";
    if (!lc_arn_account(role, "iam", acct))
        lc_arn_account(role, "sts", acct);
    lc_diag_ctx(r, "kms:CallerAccount", LC_VAL_EXACT, acct);
    lc_diag_ctx(r, "aws:SourceAccount", LC_VAL_ABSENT, NULL); /* only for service principals */
    lc_diag_ctx(r, "aws:SourceArn", LC_VAL_ABSENT, NULL);
}

static void model_reader(struct lc_diag_reqs *l, const struct lc_diag_params *p,
                         const struct lc_diag_facts *f)
{
    struct lc_diag_request *r;

    if (!p->reader_role_arn)
        return;
    r = lc_diag_req(l, LC_POLICY_KEY, "kms:Decrypt (reader)", LC_PRINCIPAL_IAM, p->reader_role_arn,
                    "kms:Decrypt");
    if (!r)
        return;
    lc_diag_req_resource(r, f->key_res, f->key_res_prefix, f->key_account);
    lc_diag_ctx_s3(r, p, f, true);
    lc_diag_ctx_iam(r, p->reader_role_arn);
    lc_diag_ctx(r, "aws:SecureTransport", LC_VAL_EXACT, "true");
    r = lc_diag_req(l, LC_POLICY_BUCKET, "s3:GetObject (reader)", LC_PRINCIPAL_IAM,
                    p->reader_role_arn, "s3:GetObject");
    if (!r)
        return;
    lc_diag_req_resource(r, f->obj_prefix, true, f->bucket_account);
    lc_diag_ctx_iam(r, p->reader_role_arn);
    lc_diag_ctx(r, "aws:SecureTransport", LC_VAL_EXACT, "true");
}

int lc_diag_requests(const struct lc_diag_params *p, struct lc_diag_request **out, size_t *n,
                     struct lc_error *err)
{
    struct lc_diag_reqs l = {0};
    struct lc_diag_facts f;
    int rc;

    *out = NULL;
    *n = 0;
    lc_error_clear(err);
    rc = check_params(p, err);
    if (rc)
        return rc;
    derive(p, &f);
    p->model->requests(&l, p, &f);
    model_reader(&l, p, &f);
    if (l.nomem) {
        free(l.v);
        lc_error_set(err, LC_E_NOMEM, "diagnose: out of memory");
        return LC_E_NOMEM;
    }
    *out = l.v;
    *n = l.n;
    return 0;
}

int lc_diag_evaluate(const struct lc_policy *pol, const struct lc_diag_request *rq,
                     struct lc_pol_result *res)
{
    struct lc_pol_ctxkey ctx[LC_DIAG_MAX_CTX];
    struct lc_pol_request pr = {
        .principal_type = rq->principal_type,
        .principal = rq->principal,
        .resource_account = rq->resource_account[0] ? rq->resource_account : NULL,
        .action = rq->action,
        .resource = {rq->resource_prefix ? LC_VAL_PREFIX : LC_VAL_EXACT, rq->resource},
        .ctx = ctx,
        .n_ctx = rq->n_ctx,
    };

    for (size_t i = 0; i < rq->n_ctx; i++) {
        ctx[i].name = rq->ctx[i].name;
        ctx[i].value.state = rq->ctx[i].state;
        ctx[i].value.s = rq->ctx[i].value;
    }
    return lc_policy_evaluate(pol, &pr, res);
}

/* ---- remediation statements --------------------------------------------------------------- */

cJSON *lc_diag_actions(const char *const *v, size_t n)
{
    return cJSON_CreateStringArray(v, (int)n);
}

cJSON *lc_diag_statement(const char *sid, const char *service, cJSON *actions, const char *resource,
                         cJSON *condition)
{
    cJSON *st = cJSON_CreateObject(), *pr = cJSON_CreateObject();

    if (!st || !pr || !actions) {
        cJSON_Delete(st);
        st = NULL;
        goto out;
    }
    cJSON_AddStringToObject(st, "Sid", sid);
    cJSON_AddStringToObject(st, "Effect", "Allow");
    cJSON_AddStringToObject(pr, "Service", service);
    cJSON_AddItemToObject(st, "Principal", pr);
    pr = NULL;
    if (cJSON_GetArraySize(actions) == 1) {
        cJSON_AddStringToObject(st, "Action", cJSON_GetArrayItem(actions, 0)->valuestring);
        cJSON_Delete(actions);
    } else {
        cJSON_AddItemToObject(st, "Action", actions);
    }
    actions = NULL;
    cJSON_AddStringToObject(st, "Resource", resource);
    if (condition)
        cJSON_AddItemToObject(st, "Condition", condition);
    condition = NULL;
out:
    cJSON_Delete(pr);
    cJSON_Delete(actions);
    cJSON_Delete(condition);
    return st;
}

cJSON *lc_diag_cond(cJSON *cond, const char *op, const char *key, const char *value)
{
    if (!cond)
        cond = cJSON_CreateObject();
    if (!cond)
        return NULL;
    cJSON *o = cJSON_GetObjectItemCaseSensitive(cond, op);
    if (!o)
        o = cJSON_AddObjectToObject(cond, op);
    if (o)
        cJSON_AddStringToObject(o, key, value);
    return cond;
}

bool lc_diag_open(const struct lc_diag_section *sec, const char *const *needs, size_t n)
{
    if (!sec)
        return true;
    for (size_t i = 0; i < n; i++)
        if (lc_pol_names_has(&sec->open_needs, needs[i]) &&
            !lc_pol_names_has(&sec->deny_blocked, needs[i]))
            return true;
    return false;
}

void lc_diag_add(cJSON *arr, cJSON *st)
{
    if (st && !cJSON_AddItemToArray(arr, st))
        cJSON_Delete(st);
}

cJSON *lc_diag_remediation(const struct lc_diag_params *p, enum lc_policy_kind target,
                           const struct lc_diag_section *sec)
{
    struct lc_diag_facts f;
    cJSON *out = cJSON_CreateArray();

    if (!out)
        return NULL;
    derive(p, &f);
    if (target == LC_POLICY_KEY)
        p->model->key_statements(p, &f, sec, out);
    else
        p->model->bucket_statements(p, &f, sec, out);
    return out;
}

/* ---- diagnosis ---------------------------------------------------------------------------- */

static void section_free(struct lc_diag_section *s)
{
    lc_pol_names_free(&s->missing_actions);
    lc_pol_names_free(&s->advisory_missing);
    lc_pol_names_free(&s->denied_by);
    lc_pol_names_free(&s->deny_blocked);
    lc_pol_names_free(&s->open_needs);
    lc_pol_names_free(&s->undetermined);
    lc_pol_names_free(&s->notes);
    cJSON_Delete(s->statements);
    for (size_t i = 0; i < s->n_outcomes; i++)
        lc_pol_result_free(&s->outcomes[i].res);
    free(s->outcomes);
    memset(s, 0, sizeof(*s));
}

void lc_diag_report_free(struct lc_diag_report *r)
{
    section_free(&r->key);
    section_free(&r->bucket);
    lc_pol_names_free(&r->steps_after);
    lc_pol_names_free(&r->assumptions);
    free(r->requests);
    memset(r, 0, sizeof(*r));
}

/* Evaluate every request of the target against pol; per need the best alternative counts, the
 * section is the worst required need. */
static int evaluate_section(const struct lc_policy *pol, enum lc_policy_kind target,
                            const struct lc_diag_request *rq, size_t n, struct lc_diag_section *sec)
{
    int rc = 0;

    sec->evaluated = true;
    sec->verdict = LC_POL_GRANTED;
    sec->outcomes = calloc(n ? n : 1, sizeof(*sec->outcomes));
    if (!sec->outcomes)
        return LC_E_NOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        if (rq[i].target != target)
            continue;
        struct lc_diag_outcome *o = &sec->outcomes[sec->n_outcomes++];
        o->req = &rq[i];
        rc = lc_diag_evaluate(pol, &rq[i], &o->res);
    }
    /* Per need: the best alternative. */
    for (size_t i = 0; i < sec->n_outcomes && !rc; i++) {
        const struct lc_diag_request *r = sec->outcomes[i].req;
        enum lc_pol_verdict best = LC_POL_GAP;
        bool first = true;
        for (size_t j = 0; j < sec->n_outcomes; j++) {
            if (strcmp(sec->outcomes[j].req->need, r->need) != 0)
                continue;
            if (j < i) {
                first = false;
                break;
            }
            if (sec->outcomes[j].res.verdict > best)
                best = sec->outcomes[j].res.verdict;
        }
        if (!first)
            continue;
        if (best != LC_POL_GRANTED)
            rc = lc_pol_names_add(&sec->open_needs, r->need);
        if (!rc && best == LC_POL_GAP)
            rc = lc_pol_names_add(r->advisory ? &sec->advisory_missing : &sec->missing_actions,
                                  r->need);
        if (!r->advisory && best < sec->verdict)
            sec->verdict = best;
    }
    /* What blocks or leaves open the needs that are not granted. */
    for (size_t i = 0; i < sec->n_outcomes && !rc; i++) {
        const struct lc_pol_result *res = &sec->outcomes[i].res;
        if (res->verdict == LC_POL_GRANTED)
            continue;
        for (size_t k = 0; k < res->denied_by.n && !rc; k++)
            rc = lc_pol_names_add(&sec->denied_by, res->denied_by.items[k]);
        if (!rc && res->explicit_deny && res->allowed_by.n)
            rc = lc_pol_names_add(&sec->deny_blocked, sec->outcomes[i].req->need);
        for (size_t k = 0; k < res->undetermined.n && !rc; k++)
            rc = lc_pol_names_add(&sec->undetermined, res->undetermined.items[k]);
        for (size_t k = 0; k < res->notes.n && !rc; k++)
            rc = lc_pol_names_addf(&sec->notes, "%s %s: %s", sec->outcomes[i].req->principal,
                                   sec->outcomes[i].req->action, res->notes.items[k]);
    }
    return rc;
}

/* Re-evaluate with the statements added: every required need that was a gap must be granted
 * (or, where a Deny blocks it, the Deny is still reported). */
static int verify(const struct lc_policy *pol, enum lc_policy_kind target,
                  const struct lc_diag_request *rq, size_t n, struct lc_diag_section *sec)
{
    struct lc_policy *fixed = NULL;
    struct lc_diag_section after = {0};
    struct lc_error err;
    int rc;

    sec->verified = false;
    if (!sec->statements || cJSON_GetArraySize(sec->statements) == 0)
        return 0;
    rc = lc_policy_with_statements(pol, sec->statements, &fixed, &err);
    if (rc)
        return rc == LC_E_NOMEM ? rc : 0;
    rc = evaluate_section(fixed, target, rq, n, &after);
    if (!rc)
        sec->verified = after.missing_actions.n == 0 && after.deny_blocked.n == 0;
    section_free(&after);
    lc_policy_free(fixed);
    return rc;
}

static int steps_and_assumptions(const struct lc_diag_params *p, const struct lc_diag_facts *f,
                                 struct lc_diag_report *r)
{
    struct lc_pol_names *a = &r->assumptions;
    int rc = 0;

    if (r->verdict != LC_POL_GRANTED)
        rc = p->model->steps_after(p, f, &r->steps_after);
    if (!rc)
        rc = p->model->assumptions(p, f, a);
    if (!rc)
        rc = lc_pol_names_addf(a, "objects are written under %s...%s", f->obj_prefix,
                               p->bucket_key ? " (Bucket Key: encryption context is the bucket "
                                               "ARN)"
                                             : " (encryption context aws:s3:arn = object ARN)");
    if (!rc && !p->key_arn)
        rc = lc_pol_names_add(a, "key ARN not given: key-policy statements are assumed to be "
                                 "on this key");
    if (!rc && f->ct)
        rc = lc_pol_names_add(a, "Control Tower landing zone (statements as its documentation "
                                 "gives them)");
    return rc;
}

int lc_diagnose(const struct lc_diag_params *p, const struct lc_policy *key_policy,
                const struct lc_policy *bucket_policy, struct lc_diag_report *out,
                struct lc_error *err)
{
    struct lc_diag_facts f;
    int rc;

    memset(out, 0, sizeof(*out));
    out->service = p->service;
    rc = lc_diag_requests(p, &out->requests, &out->n_requests, err);
    if (rc)
        return rc;
    derive(p, &f);
    out->control_tower = f.ct;
    out->verdict = LC_POL_GRANTED;
    const struct lc_policy *pols[2] = {key_policy, bucket_policy};
    struct lc_diag_section *secs[2] = {&out->key, &out->bucket};
    enum lc_policy_kind kinds[2] = {LC_POLICY_KEY, LC_POLICY_BUCKET};
    for (int i = 0; i < 2 && !rc; i++) {
        if (!pols[i])
            continue;
        rc = evaluate_section(pols[i], kinds[i], out->requests, out->n_requests, secs[i]);
        if (rc)
            break;
        if (secs[i]->verdict < out->verdict)
            out->verdict = secs[i]->verdict;
        secs[i]->statements = lc_diag_remediation(p, kinds[i], secs[i]);
        if (!secs[i]->statements) {
            rc = LC_E_NOMEM;
            break;
        }
        rc = verify(pols[i], kinds[i], out->requests, out->n_requests, secs[i]);
        for (size_t k = 0; k < secs[i]->denied_by.n && !rc; k++)
            rc = lc_pol_names_addf(&secs[i]->notes,
                                   "remove or narrow the Deny statement \"%s\": added "
                                   "statements cannot override an explicit Deny",
                                   secs[i]->denied_by.items[k]);
    }
    if (!rc)
        rc = steps_and_assumptions(p, &f, out);
    if (rc) {
        lc_diag_report_free(out);
        lc_error_set(err, LC_E_NOMEM, "diagnose: out of memory");
    }
    return rc;
}

/* ---- output ------------------------------------------------------------------------------- */

static cJSON *names_json(const struct lc_pol_names *n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n->n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(n->items[i]));
    return a;
}

static cJSON *verdict_json(enum lc_pol_verdict v)
{
    if (v == LC_POL_UNDETERMINED)
        return cJSON_CreateNull();
    return cJSON_CreateBool(v == LC_POL_GRANTED);
}

static cJSON *section_json(const struct lc_diag_section *s)
{
    cJSON *o, *rem, *reqs;

    if (!s->evaluated)
        return cJSON_CreateNull();
    o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddItemToObject(o, "granted", verdict_json(s->verdict));
    cJSON_AddItemToObject(o, "missing_actions", names_json(&s->missing_actions));
    cJSON_AddItemToObject(o, "advisory_missing", names_json(&s->advisory_missing));
    cJSON_AddItemToObject(o, "denied_by", names_json(&s->denied_by));
    cJSON_AddItemToObject(o, "undetermined", names_json(&s->undetermined));
    rem = cJSON_AddObjectToObject(o, "remediation");
    if (rem && s->statements && cJSON_GetArraySize(s->statements) > 0) {
        cJSON_AddItemToObject(rem, "add_statements", cJSON_Duplicate(s->statements, 1));
        cJSON_AddBoolToObject(rem, "verified", s->verified);
    }
    cJSON_AddItemToObject(o, "notes", names_json(&s->notes));
    reqs = cJSON_AddArrayToObject(o, "requests");
    for (size_t i = 0; reqs && i < s->n_outcomes; i++) {
        const struct lc_diag_outcome *oc = &s->outcomes[i];
        cJSON *r = cJSON_CreateObject();
        if (!r)
            break;
        cJSON_AddStringToObject(r, "principal", oc->req->principal);
        cJSON_AddStringToObject(r, "action", oc->req->action);
        char res[600];
        snprintf(res, sizeof(res), "%s%s", oc->req->resource, oc->req->resource_prefix ? "*" : "");
        cJSON_AddStringToObject(r, "resource", res);
        if (oc->req->advisory)
            cJSON_AddBoolToObject(r, "advisory", true);
        cJSON_AddItemToObject(r, "granted", verdict_json(oc->res.verdict));
        cJSON_AddItemToObject(r, "allowed_by", names_json(&oc->res.allowed_by));
        cJSON_AddItemToObject(r, "denied_by", names_json(&oc->res.denied_by));
        cJSON_AddItemToObject(r, "undetermined", names_json(&oc->res.undetermined));
        cJSON_AddItemToArray(reqs, r);
    }
    return o;
}

cJSON *lc_diag_report_json(const struct lc_diag_report *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "service", r->service ? r->service : "");
    cJSON_AddItemToObject(o, "granted", verdict_json(r->verdict));
    cJSON_AddItemToObject(o, "key_policy", section_json(&r->key));
    cJSON_AddItemToObject(o, "bucket_policy", section_json(&r->bucket));
    cJSON_AddBoolToObject(o, "control_tower", r->control_tower);
    cJSON_AddItemToObject(o, "steps_after", names_json(&r->steps_after));
    cJSON_AddItemToObject(o, "assumptions", names_json(&r->assumptions));
    return o;
}

static const char *verdict_word(enum lc_pol_verdict v)
{
    switch (v) {
    case LC_POL_GRANTED:
        return "GRANTED";
    case LC_POL_UNDETERMINED:
        return "UNDETERMINED";
    default:
        return "GAP";
    }
}

/* Indent every line of s by pad. */
static int put_indented(struct lc_buf *b, const char *s, const char *pad)
{
    int rc = 0;
    while (*s && !rc) {
        size_t n = strcspn(s, "\n");
        rc = lc_buf_appendf(b, "%s%.*s\n", pad, (int)n, s);
        s += n;
        if (*s)
            s++;
    }
    return rc;
}

static int list_text(struct lc_buf *b, const char *title, const struct lc_pol_names *n)
{
    int rc = 0;
    if (!n->n)
        return 0;
    rc = lc_buf_appendf(b, "  %s:\n", title);
    for (size_t i = 0; i < n->n && !rc; i++)
        rc = lc_buf_appendf(b, "    - %s\n", n->items[i]);
    return rc;
}

static int section_text(struct lc_buf *b, const char *name, const char *where,
                        const struct lc_diag_section *s)
{
    int rc;

    if (!s->evaluated)
        return lc_buf_appendf(b, "%s: not checked (give --%s FILE)\n\n", name,
                              strcmp(name, "key policy") == 0 ? "key-policy" : "bucket-policy");
    rc = lc_buf_appendf(b, "%s: %s\n", name, verdict_word(s->verdict));
    for (size_t i = 0; i < s->n_outcomes && !rc; i++) {
        const struct lc_diag_outcome *o = &s->outcomes[i];
        rc = lc_buf_appendf(b, "  %-12s %s %s%s\n", verdict_word(o->res.verdict), o->req->principal,
                            o->req->action, o->req->advisory ? " (advisory)" : "");
    }
    if (!rc)
        rc = list_text(b, "missing", &s->missing_actions);
    if (!rc)
        rc = list_text(b, "missing but not needed for delivery", &s->advisory_missing);
    if (!rc)
        rc = list_text(b, "denied by", &s->denied_by);
    if (!rc)
        rc = list_text(b, "undetermined (cannot be known offline)", &s->undetermined);
    if (!rc && s->verdict != LC_POL_GRANTED)
        rc = list_text(b, "why", &s->notes);
    if (!rc && s->statements && cJSON_GetArraySize(s->statements) > 0) {
        int n = cJSON_GetArraySize(s->statements);
        rc = lc_buf_appendf(b, "  add %s to the %s \"Statement\" array:\n",
                            n == 1 ? "this statement" : "these statements", where);
        for (const cJSON *st = s->statements->child; st && !rc; st = st->next) {
            struct lc_buf txt = {0};
            rc = lc_json_pretty(st, &txt);
            if (!rc)
                rc = put_indented(b, txt.data, "    ");
            lc_buf_free(&txt);
        }
        if (!rc)
            rc = lc_buf_appendf(b, "  %s\n",
                                s->verified ? "(checked: with these added, every required request "
                                              "above is granted)"
                                            : "(with these added, some requests are still not "
                                              "granted: see above)");
    }
    if (!rc)
        rc = lc_buf_append(b, "\n", 1);
    return rc;
}

int lc_diag_report_text(const struct lc_diag_report *r, const struct lc_diag_params *p,
                        struct lc_buf *out)
{
    int rc;

    rc = lc_buf_appendf(out, "%s -> s3://%s/%s (account %s, region %s)%s\n\n", p->model->title,
                        p->bucket, p->prefix ? p->prefix : "", p->account, p->region,
                        r->control_tower ? ", Control Tower" : "");
    if (!rc)
        rc = section_text(out, "key policy", "key policy's", &r->key);
    if (!rc)
        rc = section_text(out, "bucket policy", "bucket policy's", &r->bucket);
    if (!rc && r->steps_after.n) {
        rc = lc_buf_appendf(out, "after the edit:\n");
        for (size_t i = 0; i < r->steps_after.n && !rc; i++)
            rc = lc_buf_appendf(out, "  - %s\n", r->steps_after.items[i]);
        if (!rc)
            rc = lc_buf_append(out, "\n", 1);
    }
    if (!rc) {
        rc = lc_buf_appendf(out, "assumptions:\n");
        for (size_t i = 0; i < r->assumptions.n && !rc; i++)
            rc = lc_buf_appendf(out, "  - %s\n", r->assumptions.items[i]);
    }
    if (!rc)
        rc = lc_buf_appendf(out, "\nverdict: %s\n",
                            r->verdict == LC_POL_GRANTED ? "GRANTED: the policies allow delivery"
                            : r->verdict == LC_POL_GAP
                                ? "GAP: delivery is blocked by the policies"
                                : "UNDETERMINED: depends on values that cannot be known offline");
    return rc;
}
