/* KMS key policy and S3 bucket policy evaluation (see policy.h for the rules implemented). */
#include "iam/policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/awsjson.h"
#include "core/array.h"
#include "core/timeutil.h"

#define PATH_MAX_LEN 384

enum tri { T_NO = 0, T_MAYBE = 1, T_YES = 2 };

static enum tri tri_and(enum tri a, enum tri b)
{
    return a < b ? a : b;
}

static enum tri tri_or(enum tri a, enum tri b)
{
    return a > b ? a : b;
}

static enum tri tri_not(enum tri a)
{
    return a == T_YES ? T_NO : a == T_NO ? T_YES : T_MAYBE;
}

/* ---- name sets ---------------------------------------------------------------------------- */

bool lc_pol_names_has(const struct lc_pol_names *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

int lc_pol_names_add(struct lc_pol_names *l, const char *s)
{
    if (lc_pol_names_has(l, s))
        return 0;
    if (LC_ARRAY_GROW(l->items, l->n, l->cap))
        return LC_E_NOMEM;
    char *copy = strdup(s);
    if (!copy)
        return LC_E_NOMEM;
    l->items[l->n++] = copy;
    return 0;
}

int lc_pol_names_addf(struct lc_pol_names *l, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return lc_pol_names_add(l, buf);
}

void lc_pol_names_free(struct lc_pol_names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = l->cap = 0;
}

static int names_merge(struct lc_pol_names *dst, const struct lc_pol_names *src)
{
    for (size_t i = 0; i < src->n; i++) {
        int rc = lc_pol_names_add(dst, src->items[i]);
        if (rc)
            return rc;
    }
    return 0;
}

void lc_pol_result_free(struct lc_pol_result *r)
{
    lc_pol_names_free(&r->denied_by);
    lc_pol_names_free(&r->allowed_by);
    lc_pol_names_free(&r->undetermined);
    lc_pol_names_free(&r->notes);
    r->verdict = LC_POL_GAP;
    r->explicit_deny = false;
}

const char *lc_pol_verdict_name(enum lc_pol_verdict v)
{
    switch (v) {
    case LC_POL_GRANTED:
        return "granted";
    case LC_POL_UNDETERMINED:
        return "undetermined";
    default:
        return "gap";
    }
}

/* ---- parsed policy ------------------------------------------------------------------------ */

struct strv {
    char **v;
    size_t n, cap;
};

struct principals {
    bool any;          /* "*" or {"AWS": "*"} */
    struct strv aws;   /* bare account ids normalised to arn:aws:iam::<id>:root */
    struct strv svc;   /* Service */
    struct strv other; /* Federated, CanonicalUser: never one of the principals we model */
};

enum base_op {
    OP_STR_EQ,
    OP_STR_EQ_IC,
    OP_STR_LIKE,
    OP_ARN_LIKE, /* ArnEquals and ArnLike behave the same */
    OP_BOOL,
    OP_NULL,
    OP_NUM_EQ,
    OP_NUM_LT,
    OP_NUM_LE,
    OP_NUM_GT,
    OP_NUM_GE,
    OP_DATE_EQ,
    OP_DATE_LT,
    OP_DATE_LE,
    OP_DATE_GT,
    OP_DATE_GE,
    OP_IP,
    OP_BINARY,
    OP_UNSUPPORTED,
};

enum set_q { SQ_NONE, SQ_ANY, SQ_ALL };

struct cond {
    char *opname; /* as written, for messages */
    enum base_op op;
    bool negated;
    bool if_exists;
    enum set_q set;
    char *key;
    struct strv vals;
};

struct stmt {
    char *label; /* Sid, else "Statement[N]" */
    bool deny;
    bool not_principal;
    struct principals pr;
    bool not_action;
    struct strv actions;
    bool not_resource;
    struct strv resources;
    struct cond *conds;
    size_t n_conds, cap_conds;
};

struct lc_policy {
    enum lc_policy_kind kind;
    bool vars;  /* Version 2012-10-17: policy variables are substituted */
    cJSON *doc; /* the policy document, for lc_policy_with_statements */
    struct stmt *st;
    size_t n;
};

static void strv_free(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static int strv_push(struct strv *s, const char *str)
{
    if (LC_ARRAY_GROW(s->v, s->n, s->cap))
        return LC_E_NOMEM;
    s->v[s->n] = strdup(str);
    if (!s->v[s->n])
        return LC_E_NOMEM;
    s->n++;
    return 0;
}

static void stmt_free(struct stmt *s)
{
    free(s->label);
    strv_free(&s->pr.aws);
    strv_free(&s->pr.svc);
    strv_free(&s->pr.other);
    strv_free(&s->actions);
    strv_free(&s->resources);
    for (size_t i = 0; i < s->n_conds; i++) {
        free(s->conds[i].opname);
        free(s->conds[i].key);
        strv_free(&s->conds[i].vals);
    }
    free(s->conds);
}

void lc_policy_free(struct lc_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        stmt_free(&p->st[i]);
    free(p->st);
    cJSON_Delete(p->doc);
    free(p);
}

size_t lc_policy_statement_count(const struct lc_policy *p)
{
    return p ? p->n : 0;
}

enum lc_policy_kind lc_policy_kind_of(const struct lc_policy *p)
{
    return p->kind;
}

/* ---- parsing ------------------------------------------------------------------------------ */

/* A JSON path into a fixed buffer (long member names are cut, never overflow). */
static void pathf(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pathf(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

static int perr(struct lc_error *err, const char *path, const char *what)
{
    lc_error_set(err, LC_E_PARSE, "%s: %s", path, what);
    return LC_E_PARSE;
}

static bool all_digits(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* A string or a non-empty-or-empty array of strings (IAM accepts both forms everywhere). */
static int parse_strings(const cJSON *node, const char *path, struct strv *out,
                         struct lc_error *err)
{
    char sub[PATH_MAX_LEN];
    int i = 0;

    if (cJSON_IsString(node))
        return strv_push(out, node->valuestring);
    if (!cJSON_IsArray(node))
        return perr(err, path, "expected a string or an array of strings");
    for (const cJSON *e = node->child; e; e = e->next, i++) {
        if (!cJSON_IsString(e)) {
            pathf(sub, sizeof(sub), "%s[%d]", path, i);
            return perr(err, sub, "expected a string");
        }
        int rc = strv_push(out, e->valuestring);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_principal(const cJSON *node, const char *path, struct principals *pr,
                           struct lc_error *err)
{
    char sub[PATH_MAX_LEN];
    int rc;

    if (cJSON_IsString(node)) {
        if (strcmp(node->valuestring, "*") != 0)
            return perr(err, path, "expected \"*\" or an object");
        pr->any = true;
        return 0;
    }
    if (!cJSON_IsObject(node))
        return perr(err, path, "expected \"*\" or an object");
    for (const cJSON *m = node->child; m; m = m->next) {
        struct strv *dst;
        pathf(sub, sizeof(sub), "%s.%s", path, m->string);
        if (strcmp(m->string, "AWS") == 0)
            dst = &pr->aws;
        else if (strcmp(m->string, "Service") == 0)
            dst = &pr->svc;
        else if (strcmp(m->string, "Federated") == 0 || strcmp(m->string, "CanonicalUser") == 0)
            dst = &pr->other;
        else
            return perr(err, sub, "unknown principal type");
        size_t before = dst->n;
        rc = parse_strings(m, sub, dst, err);
        if (rc)
            return rc;
        if (dst != &pr->aws)
            continue;
        /* A bare 12-digit account id means that account's root. */
        for (size_t i = before; i < dst->n; i++) {
            char *v = dst->v[i];
            if (strcmp(v, "*") == 0) {
                pr->any = true;
            } else if (strlen(v) == 12 && all_digits(v, 12)) {
                char *root = malloc(32);
                if (!root)
                    return LC_E_NOMEM;
                snprintf(root, 32, "arn:aws:iam::%s:root", v);
                free(v);
                dst->v[i] = root;
            }
        }
    }
    return 0;
}

static const struct {
    const char *name;
    enum base_op op;
    bool negated;
} base_ops[] = {
    {"StringEquals", OP_STR_EQ, false},
    {"StringNotEquals", OP_STR_EQ, true},
    {"StringEqualsIgnoreCase", OP_STR_EQ_IC, false},
    {"StringNotEqualsIgnoreCase", OP_STR_EQ_IC, true},
    {"StringLike", OP_STR_LIKE, false},
    {"StringNotLike", OP_STR_LIKE, true},
    {"ArnEquals", OP_ARN_LIKE, false},
    {"ArnLike", OP_ARN_LIKE, false},
    {"ArnNotEquals", OP_ARN_LIKE, true},
    {"ArnNotLike", OP_ARN_LIKE, true},
    {"Bool", OP_BOOL, false},
    {"Null", OP_NULL, false},
    {"NumericEquals", OP_NUM_EQ, false},
    {"NumericNotEquals", OP_NUM_EQ, true},
    {"NumericLessThan", OP_NUM_LT, false},
    {"NumericLessThanEquals", OP_NUM_LE, false},
    {"NumericGreaterThan", OP_NUM_GT, false},
    {"NumericGreaterThanEquals", OP_NUM_GE, false},
    {"DateEquals", OP_DATE_EQ, false},
    {"DateNotEquals", OP_DATE_EQ, true},
    {"DateLessThan", OP_DATE_LT, false},
    {"DateLessThanEquals", OP_DATE_LE, false},
    {"DateGreaterThan", OP_DATE_GT, false},
    {"DateGreaterThanEquals", OP_DATE_GE, false},
    {"IpAddress", OP_IP, false},
    {"NotIpAddress", OP_IP, true},
    {"BinaryEquals", OP_BINARY, false},
};

/* "ForAnyValue:StringLikeIfExists" -> SQ_ANY, OP_STR_LIKE, if_exists. Operator names are
 * case-sensitive in IAM; anything else is OP_UNSUPPORTED (evaluated as undetermined). */
static void classify_op(const char *name, struct cond *c)
{
    char base[64];
    size_t n;

    c->op = OP_UNSUPPORTED;
    c->set = SQ_NONE;
    if (strncmp(name, "ForAnyValue:", 12) == 0) {
        c->set = SQ_ANY;
        name += 12;
    } else if (strncmp(name, "ForAllValues:", 13) == 0) {
        c->set = SQ_ALL;
        name += 13;
    }
    n = strlen(name);
    if (n >= sizeof(base))
        return;
    memcpy(base, name, n + 1);
    c->if_exists = n > 8 && strcmp(base + n - 8, "IfExists") == 0;
    if (c->if_exists)
        base[n - 8] = '\0';
    for (size_t i = 0; i < sizeof(base_ops) / sizeof(base_ops[0]); i++) {
        if (strcmp(base, base_ops[i].name) == 0) {
            c->op = base_ops[i].op;
            c->negated = base_ops[i].negated;
            return;
        }
    }
}

static int cond_value_text(const cJSON *v, const char *path, struct strv *out, struct lc_error *err)
{
    char num[64];

    if (cJSON_IsString(v))
        return strv_push(out, v->valuestring);
    if (cJSON_IsBool(v))
        return strv_push(out, cJSON_IsTrue(v) ? "true" : "false");
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (isfinite(d) && d == floor(d) && fabs(d) < 1e15)
            snprintf(num, sizeof(num), "%.0f", d);
        else
            snprintf(num, sizeof(num), "%.17g", d);
        return strv_push(out, num);
    }
    return perr(err, path, "expected a string, number or boolean");
}

static int parse_condition(const cJSON *node, const char *path, struct stmt *st,
                           struct lc_error *err)
{
    char opath[PATH_MAX_LEN], kpath[PATH_MAX_LEN + 64], vpath[PATH_MAX_LEN + 96];
    int rc;

    if (!cJSON_IsObject(node))
        return perr(err, path, "expected an object");
    for (const cJSON *op = node->child; op; op = op->next) {
        pathf(opath, sizeof(opath), "%s.%s", path, op->string);
        if (!cJSON_IsObject(op))
            return perr(err, opath, "expected an object");
        for (const cJSON *k = op->child; k; k = k->next) {
            if (LC_ARRAY_GROW(st->conds, st->n_conds, st->cap_conds))
                return LC_E_NOMEM;
            struct cond *c = &st->conds[st->n_conds++];
            memset(c, 0, sizeof(*c));
            c->opname = strdup(op->string);
            c->key = strdup(k->string);
            if (!c->opname || !c->key)
                return LC_E_NOMEM;
            classify_op(op->string, c);
            pathf(kpath, sizeof(kpath), "%s.%s", opath, k->string);
            if (cJSON_IsArray(k)) {
                int i = 0;
                for (const cJSON *v = k->child; v; v = v->next, i++) {
                    pathf(vpath, sizeof(vpath), "%s[%d]", kpath, i);
                    rc = cond_value_text(v, vpath, &c->vals, err);
                    if (rc)
                        return rc;
                }
            } else {
                rc = cond_value_text(k, kpath, &c->vals, err);
                if (rc)
                    return rc;
            }
        }
    }
    return 0;
}

static int parse_statement(const cJSON *node, const char *path, struct stmt *st,
                           struct lc_error *err)
{
    static const char *const known[] = {"Sid",          "Effect",      "Principal",
                                        "NotPrincipal", "Action",      "NotAction",
                                        "Resource",     "NotResource", "Condition"};
    char sub[PATH_MAX_LEN];
    const cJSON *sid, *effect, *pr, *npr, *act, *nact, *res, *nres, *cond;
    int rc;

    if (!cJSON_IsObject(node))
        return perr(err, path, "expected an object");
    /* IAM rejects unknown elements; a typo such as "Conditions" would otherwise widen a grant. */
    for (const cJSON *m = node->child; m; m = m->next) {
        bool ok = false;
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
            ok = ok || strcmp(m->string, known[i]) == 0;
        if (!ok) {
            pathf(sub, sizeof(sub), "%s.%s", path, m->string);
            return perr(err, sub, "unknown statement element");
        }
    }
    sid = cJSON_GetObjectItemCaseSensitive(node, "Sid");
    if (sid && !cJSON_IsString(sid)) {
        pathf(sub, sizeof(sub), "%s.Sid", path);
        return perr(err, sub, "expected a string");
    }
    st->label = strdup(sid && sid->valuestring[0] ? sid->valuestring : path);
    if (!st->label)
        return LC_E_NOMEM;

    effect = cJSON_GetObjectItemCaseSensitive(node, "Effect");
    pathf(sub, sizeof(sub), "%s.Effect", path);
    if (!effect)
        return perr(err, sub, "missing");
    if (!cJSON_IsString(effect) ||
        (strcmp(effect->valuestring, "Allow") != 0 && strcmp(effect->valuestring, "Deny") != 0))
        return perr(err, sub, "expected \"Allow\" or \"Deny\"");
    st->deny = strcmp(effect->valuestring, "Deny") == 0;

    pr = cJSON_GetObjectItemCaseSensitive(node, "Principal");
    npr = cJSON_GetObjectItemCaseSensitive(node, "NotPrincipal");
    if ((pr != NULL) == (npr != NULL))
        return perr(err, path, "needs exactly one of Principal and NotPrincipal");
    pathf(sub, sizeof(sub), "%s.%s", path, pr ? "Principal" : "NotPrincipal");
    st->not_principal = npr != NULL;
    rc = parse_principal(pr ? pr : npr, sub, &st->pr, err);
    if (rc)
        return rc;

    act = cJSON_GetObjectItemCaseSensitive(node, "Action");
    nact = cJSON_GetObjectItemCaseSensitive(node, "NotAction");
    if ((act != NULL) == (nact != NULL))
        return perr(err, path, "needs exactly one of Action and NotAction");
    pathf(sub, sizeof(sub), "%s.%s", path, act ? "Action" : "NotAction");
    st->not_action = nact != NULL;
    rc = parse_strings(act ? act : nact, sub, &st->actions, err);
    if (rc)
        return rc;

    res = cJSON_GetObjectItemCaseSensitive(node, "Resource");
    nres = cJSON_GetObjectItemCaseSensitive(node, "NotResource");
    if ((res != NULL) == (nres != NULL))
        return perr(err, path, "needs exactly one of Resource and NotResource");
    pathf(sub, sizeof(sub), "%s.%s", path, res ? "Resource" : "NotResource");
    st->not_resource = nres != NULL;
    rc = parse_strings(res ? res : nres, sub, &st->resources, err);
    if (rc)
        return rc;

    cond = cJSON_GetObjectItemCaseSensitive(node, "Condition");
    if (cond) {
        pathf(sub, sizeof(sub), "%s.Condition", path);
        rc = parse_condition(cond, sub, st, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_document(const cJSON *root, const char *prefix, struct lc_policy *p,
                          struct lc_error *err)
{
    char path[PATH_MAX_LEN];
    const cJSON *ver, *stmts;
    int rc;

    if (!cJSON_IsObject(root)) {
        pathf(path, sizeof(path), "%s(top level)", prefix);
        return perr(err, path, "expected an object");
    }
    for (const cJSON *m = root->child; m; m = m->next) {
        if (strcmp(m->string, "Version") != 0 && strcmp(m->string, "Id") != 0 &&
            strcmp(m->string, "Statement") != 0) {
            pathf(path, sizeof(path), "%s%s", prefix, m->string);
            return perr(err, path, "unknown policy element");
        }
    }
    ver = cJSON_GetObjectItemCaseSensitive(root, "Version");
    if (ver) {
        pathf(path, sizeof(path), "%sVersion", prefix);
        if (!cJSON_IsString(ver) || (strcmp(ver->valuestring, "2012-10-17") != 0 &&
                                     strcmp(ver->valuestring, "2008-10-17") != 0))
            return perr(err, path, "expected \"2012-10-17\" or \"2008-10-17\"");
        p->vars = strcmp(ver->valuestring, "2012-10-17") == 0;
    }
    stmts = cJSON_GetObjectItemCaseSensitive(root, "Statement");
    pathf(path, sizeof(path), "%sStatement", prefix);
    if (!stmts)
        return perr(err, path, "missing");
    if (cJSON_IsObject(stmts)) {
        p->st = calloc(1, sizeof(*p->st));
        if (!p->st)
            return LC_E_NOMEM;
        p->n = 1;
        return parse_statement(stmts, path, &p->st[0], err);
    }
    if (!cJSON_IsArray(stmts))
        return perr(err, path, "expected an object or an array");
    size_t n = (size_t)cJSON_GetArraySize(stmts);
    p->st = calloc(n ? n : 1, sizeof(*p->st));
    if (!p->st)
        return LC_E_NOMEM;
    size_t i = 0;
    for (const cJSON *s = stmts->child; s && i < n; s = s->next, i++) {
        pathf(path, sizeof(path), "%sStatement[%zu]", prefix, i);
        p->n = i + 1;
        rc = parse_statement(s, path, &p->st[i], err);
        if (rc)
            return rc;
    }
    return 0;
}

int lc_policy_parse(const char *text, size_t len, enum lc_policy_kind kind, struct lc_policy **out,
                    struct lc_error *err)
{
    struct lc_policy *p = NULL;
    cJSON *root = NULL, *inner = NULL;
    const cJSON *doc;
    const char *prefix = "";
    int rc;

    *out = NULL;
    lc_error_clear(err);
    if (len > LC_POLICY_MAX_BYTES) {
        lc_error_set(err, LC_E_TOO_LARGE, "policy larger than %d bytes (AWS allows 32 KiB)",
                     LC_POLICY_MAX_BYTES);
        return LC_E_TOO_LARGE;
    }
    rc = lc_json_parse(text, len, LC_POLICY_MAX_BYTES, &root, err);
    if (rc)
        goto out;
    doc = root;
    /* GetKeyPolicy / GetBucketPolicy response: {"Policy": "<policy JSON>"}. */
    if (cJSON_IsObject(root) && !cJSON_GetObjectItemCaseSensitive(root, "Statement")) {
        const cJSON *pol = cJSON_GetObjectItemCaseSensitive(root, "Policy");
        if (pol) {
            if (!cJSON_IsString(pol)) {
                rc = perr(err, "Policy", "expected a string holding the policy JSON");
                goto out;
            }
            rc = lc_json_parse(pol->valuestring, strlen(pol->valuestring), LC_POLICY_MAX_BYTES,
                               &inner, err);
            if (rc) {
                char msg[sizeof(err->message)];
                lc_strlcpy(msg, err->message, sizeof(msg));
                lc_error_set(err, err->kind, "Policy (string): %s", msg);
                goto out;
            }
            doc = inner;
            prefix = "Policy: ";
        }
    }
    p = calloc(1, sizeof(*p));
    if (!p) {
        rc = LC_E_NOMEM;
        goto out;
    }
    p->kind = kind;
    rc = parse_document(doc, prefix, p, err);
    if (rc)
        goto out;
    p->doc = cJSON_Duplicate(doc, 1);
    if (!p->doc) {
        rc = LC_E_NOMEM;
        goto out;
    }
    *out = p;
    p = NULL;
out:
    if (rc == LC_E_NOMEM)
        lc_error_set(err, LC_E_NOMEM, "policy: out of memory");
    lc_policy_free(p);
    cJSON_Delete(inner);
    cJSON_Delete(root);
    return rc;
}

int lc_policy_with_statements(const struct lc_policy *p, const cJSON *statements,
                              struct lc_policy **out, struct lc_error *err)
{
    struct lc_policy *np = NULL;
    cJSON *doc = NULL, *arr;
    int rc = LC_E_NOMEM;

    *out = NULL;
    lc_error_clear(err);
    doc = cJSON_Duplicate(p->doc, 1);
    if (!doc)
        goto out;
    arr = cJSON_GetObjectItemCaseSensitive(doc, "Statement");
    if (cJSON_IsObject(arr)) { /* a single statement becomes a list */
        cJSON *one = cJSON_DetachItemFromObjectCaseSensitive(doc, "Statement");
        arr = cJSON_AddArrayToObject(doc, "Statement");
        if (!arr || !cJSON_AddItemToArray(arr, one)) {
            cJSON_Delete(one);
            goto out;
        }
    }
    if (!cJSON_IsArray(arr)) {
        rc = LC_E_INTERNAL;
        goto out;
    }
    for (const cJSON *s = statements ? statements->child : NULL; s; s = s->next) {
        cJSON *copy = cJSON_Duplicate(s, 1);
        if (!copy || !cJSON_AddItemToArray(arr, copy)) {
            cJSON_Delete(copy);
            goto out;
        }
    }
    np = calloc(1, sizeof(*np));
    if (!np)
        goto out;
    np->kind = p->kind;
    rc = parse_document(doc, "", np, err);
    if (rc)
        goto out;
    np->doc = doc;
    doc = NULL;
    *out = np;
    np = NULL;
out:
    if (rc == LC_E_NOMEM || rc == LC_E_INTERNAL)
        lc_error_set(err, rc, "policy: cannot add statements");
    lc_policy_free(np);
    cJSON_Delete(doc);
    return rc;
}

char *lc_policy_to_json(const struct lc_policy *p)
{
    return cJSON_Print(p->doc);
}

/* ---- matching ----------------------------------------------------------------------------- */

/* A pattern after policy-variable substitution: lit[i] marks characters that are literal even
 * if they are '*' or '?' (substituted values, ${*}, ${?}). */
struct pat {
    char *s;
    unsigned char *lit;
    size_t n;
    size_t cap;
};

static void pat_free(struct pat *p)
{
    free(p->s);
    free(p->lit);
    memset(p, 0, sizeof(*p));
}

static int pat_put(struct pat *p, const char *s, size_t n, bool literal)
{
    if (p->n + n + 1 > p->cap) {
        size_t cap = (p->n + n + 1) * 2;
        char *ns = realloc(p->s, cap);
        if (!ns)
            return LC_E_NOMEM;
        p->s = ns;
        unsigned char *nl = realloc(p->lit, cap);
        if (!nl)
            return LC_E_NOMEM;
        p->lit = nl;
        p->cap = cap;
    }
    memcpy(p->s + p->n, s, n);
    memset(p->lit + p->n, literal ? 1 : 0, n);
    p->n += n;
    p->s[p->n] = '\0';
    return 0;
}

static bool wild(const struct pat *p, size_t i, char c)
{
    return !p->lit[i] && p->s[i] == c;
}

static bool ch_eq(char a, char b, bool icase)
{
    return icase ? tolower((unsigned char)a) == tolower((unsigned char)b) : a == b;
}

/* Whole-string glob over pattern positions [pb, pe) and s[0, sn); iterative (no recursion),
 * O(len(p) * len(s)) at worst. */
static bool glob_range(const struct pat *p, size_t pb, size_t pe, const char *s, size_t sn,
                       bool icase)
{
    size_t pi = pb, si = 0, star = SIZE_MAX, star_s = 0;

    while (si < sn) {
        if (pi < pe && wild(p, pi, '*')) {
            star = pi++;
            star_s = si;
        } else if (pi < pe && (wild(p, pi, '?') || ch_eq(p->s[pi], s[si], icase))) {
            pi++;
            si++;
        } else if (star != SIZE_MAX) {
            pi = star + 1;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < pe && wild(p, pi, '*'))
        pi++;
    return pi == pe;
}

static bool all_stars(const struct pat *p, size_t b, size_t e)
{
    if (b >= e)
        return false;
    for (size_t i = b; i < e; i++)
        if (!wild(p, i, '*'))
            return false;
    return true;
}

/* Does pattern [pb, pe) match prefix·X: for every X (T_YES), for some X only (T_MAYBE), for no X
 * (T_NO)? X is non-empty unless empty_ok. Simulates the glob as an NFA over the prefix. */
static enum tri glob_prefix(const struct pat *p, size_t pb, size_t pe, const char *prefix,
                            size_t plen, bool icase, bool empty_ok, int *nomem)
{
    size_t m = pe - pb + 1;
    unsigned char *cur = calloc(m, 1), *next = calloc(m, 1);
    enum tri r = T_NO;

    if (!cur || !next) {
        *nomem = 1;
        goto out;
    }
    cur[0] = 1;
    for (size_t i = 0; i + 1 < m; i++) /* closure: '*' may match nothing */
        if (cur[i] && wild(p, pb + i, '*'))
            cur[i + 1] = 1;
    for (size_t c = 0; c < plen; c++) {
        bool alive = false;
        memset(next, 0, m);
        for (size_t i = 0; i + 1 < m; i++) {
            if (!cur[i])
                continue;
            if (wild(p, pb + i, '*'))
                next[i] = 1;
            else if (wild(p, pb + i, '?') || ch_eq(p->s[pb + i], prefix[c], icase))
                next[i + 1] = 1;
        }
        for (size_t i = 0; i + 1 < m; i++)
            if (next[i] && wild(p, pb + i, '*'))
                next[i + 1] = 1;
        for (size_t i = 0; i < m; i++)
            alive = alive || next[i];
        unsigned char *t = cur;
        cur = next;
        next = t;
        if (!alive)
            goto out;
    }
    for (size_t i = 0; i < m; i++) {
        if (!cur[i])
            continue;
        if (i + 1 < m && all_stars(p, pb + i, pe)) {
            r = T_YES;
            break;
        }
        if (i + 1 < m || empty_ok)
            r = T_MAYBE;
    }
out:
    free(cur);
    free(next);
    return r;
}

bool lc_pol_glob(const char *pattern, const char *s, bool icase)
{
    struct pat p = {0};
    bool r = false;

    if (pat_put(&p, pattern, strlen(pattern), false) == 0)
        r = glob_range(&p, 0, p.n, s, strlen(s), icase);
    pat_free(&p);
    return r;
}

/* Pattern (glob) against a request value that is exact or a known prefix. */
static enum tri glob_value(const struct pat *p, size_t pb, size_t pe, const struct lc_pol_value *v,
                           bool icase, bool empty_ok, int *nomem)
{
    if (v->state == LC_VAL_EXACT)
        return glob_range(p, pb, pe, v->s, strlen(v->s), icase) ? T_YES : T_NO;
    return glob_prefix(p, pb, pe, v->s, strlen(v->s), icase, empty_ok, nomem);
}

/* ArnLike / ArnEquals: the six colon-delimited parts are matched separately, so a wildcard never
 * spans a colon in the first five. A prefix value has complete parts, one part it ends in, and
 * wholly unknown parts after that. */
static enum tri arn_match(const struct pat *p, const struct lc_pol_value *v, int *nomem)
{
    size_t pcut[7], vcut[7], nseg = 0, vseg = 0;
    const char *s = v->s;
    size_t slen = strlen(s);
    bool exact = v->state == LC_VAL_EXACT;
    enum tri r = T_YES;

    pcut[nseg++] = 0;
    for (size_t i = 0; i < p->n && nseg < 6; i++)
        if (p->s[i] == ':')
            pcut[nseg++] = i + 1;
    if (nseg < 6) /* not an ARN pattern: only a lone "*" matches (anything) */
        return p->n == 1 && wild(p, 0, '*') ? T_YES : T_NO;
    pcut[6] = p->n + 1;
    vcut[vseg++] = 0;
    for (size_t i = 0; i < slen && vseg < 6; i++)
        if (s[i] == ':')
            vcut[vseg++] = i + 1;
    vcut[vseg] = slen + 1;
    if (exact && vseg < 6)
        return T_NO;
    for (size_t k = 0; k < 6 && r != T_NO; k++) {
        size_t pb = pcut[k], pe = pcut[k + 1] - 1;
        if (exact || k + 1 < vseg) { /* a complete part */
            size_t sb = vcut[k], se = vcut[k + 1] - 1;
            r = tri_and(r, glob_range(p, pb, pe, s + sb, se - sb, false) ? T_YES : T_NO);
        } else if (k + 1 == vseg) { /* the part the known prefix ends in */
            struct lc_pol_value part = {LC_VAL_PREFIX, s + vcut[k]};
            r = tri_and(r, glob_value(p, pb, pe, &part, false, k < 5, nomem));
        } else { /* wholly unknown part */
            r = tri_and(r, all_stars(p, pb, pe) ? T_YES : T_MAYBE);
        }
    }
    return r;
}

/* ---- evaluation --------------------------------------------------------------------------- */

struct eval {
    const struct lc_policy *p;
    const struct lc_pol_request *req;
    struct lc_pol_names *keys; /* unknown keys met in the current statement */
    char why[512];             /* first reason the current statement did not apply */
    char now_iso[LC_TIME_ISO8601_LEN];
    char now_epoch[24];
    char principal_account[16];
    int nomem;
};

static void why(struct eval *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(struct eval *ev, const char *fmt, ...)
{
    va_list ap;

    if (ev->why[0])
        return;
    va_start(ap, fmt);
    vsnprintf(ev->why, sizeof(ev->why), fmt, ap);
    va_end(ap);
}

static void unknown_key(struct eval *ev, const char *key)
{
    if (lc_pol_names_add(ev->keys, key))
        ev->nomem = 1;
}

/* The request context: what the request lists, else what follows from the principal. */
static struct lc_pol_value ctx_get(const struct eval *ev, const char *name)
{
    const struct lc_pol_request *rq = ev->req;
    struct lc_pol_value v = {LC_VAL_UNKNOWN, NULL};
    bool svc = rq->principal_type == LC_PRINCIPAL_SERVICE;

    for (size_t i = 0; i < rq->n_ctx; i++)
        if (strcasecmp(rq->ctx[i].name, name) == 0)
            return rq->ctx[i].value;
    if (strcasecmp(name, "aws:PrincipalIsAWSService") == 0) {
        v.state = LC_VAL_EXACT;
        v.s = svc ? "true" : "false";
    } else if (strcasecmp(name, "aws:PrincipalServiceName") == 0) {
        v.state = svc ? LC_VAL_EXACT : LC_VAL_ABSENT;
        v.s = rq->principal;
    } else if (svc && (strcasecmp(name, "aws:PrincipalOrgID") == 0 ||
                       strcasecmp(name, "aws:PrincipalOrgPaths") == 0 ||
                       strncasecmp(name, "aws:PrincipalTag/", 17) == 0)) {
        v.state = LC_VAL_ABSENT; /* service principals belong to no organization */
    } else if (!svc && strcasecmp(name, "aws:PrincipalArn") == 0) {
        v.state = LC_VAL_EXACT;
        v.s = rq->principal;
    } else if (!svc && strcasecmp(name, "aws:PrincipalAccount") == 0 && ev->principal_account[0]) {
        v.state = LC_VAL_EXACT;
        v.s = ev->principal_account;
    } else if (strcasecmp(name, "aws:CurrentTime") == 0) {
        v.state = LC_VAL_EXACT;
        v.s = ev->now_iso;
    } else if (strcasecmp(name, "aws:EpochTime") == 0) {
        v.state = LC_VAL_EXACT;
        v.s = ev->now_epoch;
    }
    return v;
}

/* Substitute policy variables (Version 2012-10-17 only). *ok: T_YES substituted, T_NO a
 * variable is absent and has no default (the value cannot match), T_MAYBE a variable's value
 * is unknown (its key is recorded). */
static int expand(struct eval *ev, const char *s, struct pat *out, enum tri *ok)
{
    const char *p = s;
    int rc = 0;

    *ok = T_YES;
    out->n = 0;
    rc = pat_put(out, "", 0, false);
    while (!rc && *p) {
        const char *open = ev->p->vars ? strstr(p, "${") : NULL;
        const char *close = open ? strchr(open + 2, '}') : NULL;
        if (!open || !close) {
            rc = pat_put(out, p, strlen(p), false);
            break;
        }
        rc = pat_put(out, p, (size_t)(open - p), false);
        if (rc)
            break;
        char name[256], def[256] = "";
        bool has_def = false;
        size_t n = (size_t)(close - open - 2);
        if (n >= sizeof(name)) {
            rc = pat_put(out, open, (size_t)(close - open + 1), false);
            p = close + 1;
            continue;
        }
        memcpy(name, open + 2, n);
        name[n] = '\0';
        /* ${key, 'default'} */
        char *comma = strchr(name, ',');
        if (comma) {
            char *d = comma + 1;
            *comma = '\0';
            while (*d == ' ')
                d++;
            size_t dl = strlen(d);
            while (dl && d[dl - 1] == ' ')
                d[--dl] = '\0';
            if (dl >= 2 && d[0] == '\'' && d[dl - 1] == '\'') {
                has_def = true;
                snprintf(def, sizeof(def), "%.*s", (int)(dl - 2), d + 1);
            }
        }
        size_t nl = strlen(name);
        while (nl && name[nl - 1] == ' ')
            name[--nl] = '\0';
        if (strcmp(name, "*") == 0 || strcmp(name, "?") == 0 || strcmp(name, "$") == 0) {
            rc = pat_put(out, name, 1, true);
        } else {
            struct lc_pol_value v = ctx_get(ev, name);
            if (v.state == LC_VAL_EXACT) {
                rc = pat_put(out, v.s, strlen(v.s), true);
            } else if (v.state == LC_VAL_ABSENT && has_def) {
                rc = pat_put(out, def, strlen(def), true);
            } else if (v.state == LC_VAL_ABSENT) {
                *ok = tri_and(*ok, T_NO);
            } else { /* unknown: a wildcard tells whether it could match at all */
                unknown_key(ev, name);
                *ok = tri_and(*ok, T_MAYBE);
                rc = pat_put(out, "*", 1, false);
            }
        }
        p = close + 1;
    }
    return rc;
}

static bool parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(d))
        return false;
    *out = d;
    return true;
}

static bool parse_date(const char *s, double *out)
{
    time_t t;
    if (all_digits(s, strlen(s)) && strlen(s) <= 12) {
        *out = strtod(s, NULL);
        return true;
    }
    if (lc_time_parse_iso8601(s, &t) != 0)
        return false;
    *out = (double)t;
    return true;
}

static bool cmp_holds(enum base_op op, double a, double b)
{
    switch (op) {
    case OP_NUM_EQ:
    case OP_DATE_EQ:
        return a == b;
    case OP_NUM_LT:
    case OP_DATE_LT:
        return a < b;
    case OP_NUM_LE:
    case OP_DATE_LE:
        return a <= b;
    case OP_NUM_GT:
    case OP_DATE_GT:
        return a > b;
    default:
        return a >= b;
    }
}

static bool ip_in_cidr(const char *ip, const char *cidr)
{
    unsigned char a[16], n[16];
    char net[64];
    long bits = -1;
    int af, len;

    snprintf(net, sizeof(net), "%s", cidr);
    char *slash = strchr(net, '/');
    if (slash) {
        char *end;
        *slash = '\0';
        bits = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1)
            return false;
    }
    af = strchr(net, ':') ? AF_INET6 : AF_INET;
    len = af == AF_INET6 ? 16 : 4;
    if (bits < 0)
        bits = len * 8;
    if (bits > len * 8 || inet_pton(af, net, n) != 1 || inet_pton(af, ip, a) != 1)
        return false;
    for (long i = 0; i < bits; i++) {
        unsigned char m = (unsigned char)(0x80u >> (i % 8));
        if ((a[i / 8] & m) != (n[i / 8] & m))
            return false;
    }
    return true;
}

/* One request value against one policy value, positive form of the operator. */
static enum tri match_one(struct eval *ev, const struct cond *c, const struct lc_pol_value *v,
                          const char *pv)
{
    struct pat pt = {0};
    enum tri ok, r = T_NO;
    double a, b;

    switch (c->op) {
    case OP_STR_EQ:
    case OP_STR_EQ_IC:
    case OP_STR_LIKE:
    case OP_ARN_LIKE:
        if (expand(ev, pv, &pt, &ok)) {
            ev->nomem = 1;
            break;
        }
        if (ok == T_NO)
            break;
        if (c->op == OP_STR_LIKE) {
            r = glob_value(&pt, 0, pt.n, v, false, false, &ev->nomem);
        } else if (c->op == OP_ARN_LIKE) {
            r = arn_match(&pt, v, &ev->nomem);
        } else {
            bool ic = c->op == OP_STR_EQ_IC;
            size_t vl = strlen(v->s);
            if (ok == T_MAYBE)
                r = T_MAYBE;
            else if (v->state == LC_VAL_EXACT)
                r = (ic ? strcasecmp(pt.s, v->s) : strcmp(pt.s, v->s)) == 0 ? T_YES : T_NO;
            else /* known prefix: equal only if the policy value extends it */
                r = pt.n > vl && (ic ? strncasecmp(pt.s, v->s, vl) : strncmp(pt.s, v->s, vl)) == 0
                        ? T_MAYBE
                        : T_NO;
        }
        r = tri_and(r, ok);
        break;
    case OP_BOOL:
        if (v->state != LC_VAL_EXACT)
            r = T_MAYBE;
        else
            r = strcasecmp(v->s, pv) == 0 ? T_YES : T_NO;
        break;
    case OP_BINARY:
        if (v->state != LC_VAL_EXACT)
            r = T_MAYBE;
        else
            r = strcmp(v->s, pv) == 0 ? T_YES : T_NO;
        break;
    case OP_IP:
        if (v->state != LC_VAL_EXACT)
            r = T_MAYBE;
        else
            r = ip_in_cidr(v->s, pv) ? T_YES : T_NO;
        break;
    case OP_NUM_EQ:
    case OP_NUM_LT:
    case OP_NUM_LE:
    case OP_NUM_GT:
    case OP_NUM_GE:
        if (v->state != LC_VAL_EXACT)
            r = T_MAYBE;
        else if (parse_num(v->s, &a) && parse_num(pv, &b))
            r = cmp_holds(c->op, a, b) ? T_YES : T_NO;
        break;
    case OP_DATE_EQ:
    case OP_DATE_LT:
    case OP_DATE_LE:
    case OP_DATE_GT:
    case OP_DATE_GE:
        if (v->state != LC_VAL_EXACT)
            r = T_MAYBE;
        else if (parse_date(v->s, &a) && parse_date(pv, &b))
            r = cmp_holds(c->op, a, b) ? T_YES : T_NO;
        break;
    default:
        r = T_MAYBE;
        break;
    }
    pat_free(&pt);
    return r;
}

/* One condition block entry: OR across values, absent keys per IAM rules. */
static enum tri eval_cond(struct eval *ev, const struct cond *c)
{
    struct lc_pol_value v = ctx_get(ev, c->key);
    enum tri any = T_NO, r;

    if (c->op == OP_UNSUPPORTED) {
        char what[320];
        snprintf(what, sizeof(what), "%s (unsupported condition operator %s)", c->key, c->opname);
        unknown_key(ev, what);
        return T_MAYBE;
    }
    /* Null: "true" matches an absent key, "false" a present one. */
    if (c->op == OP_NULL) {
        for (size_t i = 0; i < c->vals.n; i++) {
            bool want_absent = strcasecmp(c->vals.v[i], "true") == 0;
            if (want_absent == (v.state == LC_VAL_ABSENT))
                return T_YES;
        }
        return T_NO;
    }
    if (v.state == LC_VAL_ABSENT) {
        if (c->if_exists || c->set == SQ_ALL) /* ...IfExists and ForAllValues hold vacuously */
            return T_YES;
        if (c->set == SQ_ANY)
            return T_NO;
        return c->negated ? T_YES : T_NO; /* negated operators match an absent key */
    }
    if (v.state == LC_VAL_UNKNOWN) {
        unknown_key(ev, c->key);
        return T_MAYBE;
    }
    for (size_t i = 0; i < c->vals.n && any != T_YES; i++)
        any = tri_or(any, match_one(ev, c, &v, c->vals.v[i]));
    r = c->negated ? tri_not(any) : any;
    if (r == T_MAYBE && v.state == LC_VAL_PREFIX)
        unknown_key(ev, c->key);
    return r;
}

enum pmatch { PM_NO, PM_ROOT, PM_YES };

/* "arn:aws:iam::111122223333:role/path/Name" and the session
 * "arn:aws:sts::111122223333:assumed-role/Name/session" are the same principal. */
static bool same_iam_principal(const char *entry, const char *who)
{
    if (strcmp(entry, who) == 0)
        return true;
    const char *ar = strstr(who, ":assumed-role/");
    const char *role = strstr(entry, ":role/");
    if (strncmp(who, "arn:aws:sts::", 13) != 0 || !ar || strncmp(entry, "arn:aws:iam::", 13) != 0 ||
        !role)
        return false;
    size_t acct_w = (size_t)(ar - (who + 13)), acct_e = (size_t)(role - (entry + 13));
    if (acct_w != acct_e || strncmp(who + 13, entry + 13, acct_w) != 0)
        return false;
    const char *rname = strrchr(role + 6, '/');
    rname = rname ? rname + 1 : role + 6;
    const char *sname = ar + 14, *slash = strchr(sname, '/');
    size_t sl = slash ? (size_t)(slash - sname) : strlen(sname);
    return strlen(rname) == sl && strncmp(rname, sname, sl) == 0;
}

static enum pmatch principal_match(const struct eval *ev, const struct principals *pr,
                                   bool exact_only)
{
    const struct lc_pol_request *rq = ev->req;
    enum pmatch best = PM_NO;
    char root[64];

    if (pr->any)
        return PM_YES;
    if (rq->principal_type == LC_PRINCIPAL_SERVICE) {
        for (size_t i = 0; i < pr->svc.n; i++)
            if (strcasecmp(pr->svc.v[i], rq->principal) == 0)
                return PM_YES;
        return PM_NO;
    }
    snprintf(root, sizeof(root), "arn:aws:iam::%s:root", ev->principal_account);
    for (size_t i = 0; i < pr->aws.n; i++) {
        if (same_iam_principal(pr->aws.v[i], rq->principal))
            return PM_YES;
        if (!exact_only && ev->principal_account[0] && strcmp(pr->aws.v[i], root) == 0)
            best = PM_ROOT;
    }
    return best;
}

static bool is_root_entry(const char *s)
{
    return strncmp(s, "arn:aws:iam::", 13) == 0 && strlen(s) == 13 + 12 + 5 &&
           strcmp(s + 25, ":root") == 0;
}

static enum tri match_resources(struct eval *ev, const struct stmt *st)
{
    struct pat pt = {0};
    enum tri any = T_NO, ok;

    for (size_t i = 0; i < st->resources.n && any != T_YES; i++) {
        if (expand(ev, st->resources.v[i], &pt, &ok)) {
            ev->nomem = 1;
            break;
        }
        if (ok == T_NO)
            continue;
        any = tri_or(any, tri_and(ok, glob_value(&pt, 0, pt.n, &ev->req->resource, false, false,
                                                 &ev->nomem)));
    }
    pat_free(&pt);
    if (any == T_MAYBE && ev->req->resource.state == LC_VAL_PREFIX)
        unknown_key(ev, "Resource (exact object key not known)");
    return st->not_resource ? tri_not(any) : any;
}

static bool match_actions(const struct eval *ev, const struct stmt *st)
{
    bool any = false;
    for (size_t i = 0; i < st->actions.n && !any; i++)
        any = lc_pol_glob(st->actions.v[i], ev->req->action, true);
    return st->not_action ? !any : any;
}

/* How one statement bears on the request. *pm is the principal match (PM_ROOT: the account root
 * of the principal's account). The result is T_NO when anything but the principal rules it out. */
static enum tri statement_applies(struct eval *ev, const struct stmt *st, enum pmatch *pm)
{
    enum tri r;

    ev->why[0] = '\0';
    if (st->not_principal)
        *pm = principal_match(ev, &st->pr, true) == PM_YES ? PM_NO : PM_YES;
    else
        *pm = principal_match(ev, &st->pr, false);
    if (!match_actions(ev, st)) {
        why(ev, "action %s is not in its %s", ev->req->action,
            st->not_action ? "NotAction complement" : "Action list");
        return T_NO;
    }
    r = match_resources(ev, st);
    if (r == T_NO) {
        why(ev, "resource %s%s is not in its %s", ev->req->resource.s,
            ev->req->resource.state == LC_VAL_PREFIX ? "..." : "",
            st->not_resource ? "NotResource complement" : "Resource list");
        return T_NO;
    }
    for (size_t i = 0; i < st->n_conds && r != T_NO; i++) {
        enum tri c = eval_cond(ev, &st->conds[i]);
        if (c == T_NO) {
            struct lc_pol_value v = ctx_get(ev, st->conds[i].key);
            why(ev, "condition %s %s does not hold (request value: %s%s)", st->conds[i].opname,
                st->conds[i].key,
                v.state == LC_VAL_ABSENT ? "absent"
                : v.s                    ? v.s
                                         : "?",
                v.state == LC_VAL_PREFIX ? "..." : "");
        }
        r = tri_and(r, c);
    }
    return r;
}

int lc_policy_evaluate(const struct lc_policy *p, const struct lc_pol_request *req,
                       struct lc_pol_result *res)
{
    struct lc_pol_names stmt_keys = {0}, allow_keys = {0}, deny_keys = {0};
    struct eval ev = {.p = p, .req = req, .keys = &stmt_keys};
    bool svc = req->principal_type == LC_PRINCIPAL_SERVICE;
    bool allow_direct = false, allow_iam = false, allow_maybe = false, deny_maybe = false;
    char iam_dep[400];
    time_t now = time(NULL);
    int rc = 0;

    memset(res, 0, sizeof(*res));
    lc_time_format_iso8601(now, ev.now_iso);
    snprintf(ev.now_epoch, sizeof(ev.now_epoch), "%lld", (long long)now);
    if (!svc) {
        const char *acct = req->principal_account;
        /* arn:aws:iam::<account>:... / arn:aws:sts::<account>:... */
        if (!acct && strlen(req->principal) > 25 && all_digits(req->principal + 13, 12))
            snprintf(ev.principal_account, sizeof(ev.principal_account), "%.12s",
                     req->principal + 13);
        else if (acct)
            lc_strlcpy(ev.principal_account, acct, sizeof(ev.principal_account));
    }
    /* Owner of the key or bucket unknown: same-account rules cannot be decided. */
    bool acct_known = req->resource_account && req->resource_account[0];
    bool same_account =
        !svc && acct_known && strcmp(req->resource_account, ev.principal_account) == 0;
    snprintf(iam_dep, sizeof(iam_dep), "IAM policy of %s", req->principal);

    for (size_t i = 0; i < p->n && !rc; i++) {
        const struct stmt *st = &p->st[i];
        enum pmatch pm;
        lc_pol_names_free(&stmt_keys);
        enum tri t = statement_applies(&ev, st, &pm);
        if (ev.nomem) {
            rc = LC_E_NOMEM;
            break;
        }
        if (st->deny) {
            /* Explicit Deny wins; a Deny naming an account applies to all its principals. */
            if (pm == PM_NO || t == T_NO)
                continue;
            if (t == T_YES) {
                res->explicit_deny = true;
                rc = lc_pol_names_add(&res->denied_by, st->label);
            } else {
                deny_maybe = true;
                rc = names_merge(&deny_keys, &stmt_keys);
                if (!rc)
                    rc = lc_pol_names_addf(&res->notes, "Deny statement \"%s\" may apply",
                                           st->label);
            }
            continue;
        }
        if (pm == PM_NO) {
            /* The account-root statement never grants a service principal. */
            bool root_only = false;
            for (size_t k = 0; svc && !st->pr.any && k < st->pr.aws.n; k++)
                root_only = root_only || is_root_entry(st->pr.aws.v[k]);
            if (root_only && t != T_NO)
                rc = lc_pol_names_addf(
                    &res->notes,
                    "\"%s\" allows an account's IAM principals (account root); it never grants "
                    "the service principal %s",
                    st->label, req->principal);
            continue;
        }
        if (t == T_NO) {
            rc = lc_pol_names_addf(&res->notes, "\"%s\" does not apply: %s", st->label,
                                   ev.why[0] ? ev.why : "no match");
            continue;
        }
        if (t == T_MAYBE) {
            allow_maybe = true;
            rc = names_merge(&allow_keys, &stmt_keys);
            if (!rc)
                rc = lc_pol_names_addf(&res->notes, "\"%s\" applies only if %s", st->label,
                                       "the undetermined condition keys match");
            continue;
        }
        /* Allow applies. Root delegation and cross-account use also need the IAM policy. */
        rc = lc_pol_names_add(&res->allowed_by, st->label);
        if (pm == PM_ROOT || (!svc && !same_account))
            allow_iam = true;
        else
            allow_direct = true;
    }
    if (!rc) {
        if (res->explicit_deny) {
            res->verdict = LC_POL_GAP;
        } else if (!allow_direct && !allow_iam && !allow_maybe) {
            /* S3: a same-account IAM policy alone can grant; KMS: the key policy must allow. */
            if (!svc && (same_account || !acct_known) && p->kind == LC_POLICY_BUCKET) {
                res->verdict = LC_POL_UNDETERMINED;
                rc = lc_pol_names_add(&res->undetermined, iam_dep);
            } else {
                res->verdict = LC_POL_GAP;
                if (!p->n)
                    rc = lc_pol_names_add(&res->notes, "the policy has no statements");
            }
        } else if (allow_direct && !deny_maybe) {
            res->verdict = LC_POL_GRANTED;
        } else {
            res->verdict = LC_POL_UNDETERMINED;
            rc = names_merge(&res->undetermined, &deny_keys);
            if (!rc && !allow_direct && allow_iam)
                rc = lc_pol_names_add(&res->undetermined, iam_dep);
            if (!rc && !allow_direct && !allow_iam)
                rc = names_merge(&res->undetermined, &allow_keys);
        }
    }
    lc_pol_names_free(&stmt_keys);
    lc_pol_names_free(&allow_keys);
    lc_pol_names_free(&deny_keys);
    if (rc)
        lc_pol_result_free(res);
    return rc;
}
