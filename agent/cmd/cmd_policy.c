/* logcanary policy check: offline evaluation of a key policy (and a bucket policy) for one
 * delivering service, with the statements to add. No network. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pretty.h"
#include "core/buf.h"
#include "cmd/cli.h"
#include "cmd/options.h"
#include "iam/diagnose.h"
#include "iam/policy.h"
#include "probes/probe.h"

#define EXIT_UNDETERMINED 4

/* Around the generated synopsis and option lines of `logcanary policy check --help`. */
static const char policy_about[] =
    "\n"
    "Evaluates the KMS key policy (and the S3 bucket policy) with IAM semantics for the requests\n"
    "the service really makes, and prints what is missing and the statements to add.\n"
    "\n";
static const char policy_epilog[] =
    "\n"
    "exit codes: 0 granted, 1 gap, 2 usage or unreadable/invalid policy, 4 undetermined\n";

#define MAX_SOURCES 32 /* probes with a request model */
#define MAX_EXTRA   16 /* their own parameters, all probes together */
#define MAX_OPTS    (20 + MAX_EXTRA)

/* The probes with a request model: the words of --service. */
static size_t services(const struct lc_probe **probes, const char **words)
{
    size_t n = 0;
    for (size_t i = 0; lc_probes[i] && n < MAX_SOURCES; i++) {
        if (!lc_probes[i]->diag)
            continue;
        probes[n] = lc_probes[i];
        words[n++] = lc_probes[i]->cfg.name;
    }
    words[n] = NULL;
    return n;
}

/* The models' own parameters, each flag once (the first probe that declares it). */
static size_t extras(const struct lc_probe *const *probes, size_t n_probes,
                     const struct lc_diag_param **out)
{
    size_t n = 0;
    for (size_t i = 0; i < n_probes; i++) {
        const struct lc_diag_model *m = probes[i]->diag;
        for (size_t k = 0; k < m->n_params && n < MAX_EXTRA; k++) {
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = strcmp(out[j]->flag, m->params[k].flag) == 0;
            if (!seen)
                out[n++] = &m->params[k];
        }
    }
    return n;
}

/* Each parameter given: checked by its declaration; kept when the chosen model has it. */
static int take_extras(const struct lc_diag_param *const *decl, const char *const *values, size_t n,
                       struct lc_diag_params *p)
{
    struct lc_error err;
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (!values[i])
            continue;
        lc_error_clear(&err);
        if (decl[i]->check && decl[i]->check(values[i], &err) != 0) {
            fprintf(stderr, "logcanary policy check: %s\n", err.message);
            return LC_EXIT_USAGE;
        }
        for (size_t m = 0; m < p->model->n_params && k < LC_DIAG_MAX_EXTRA; m++)
            if (strcmp(p->model->params[m].name, decl[i]->name) == 0) {
                p->extra[k].name = decl[i]->name;
                p->extra[k++].value = values[i];
            }
    }
    return 0;
}

/* Read and parse one policy file; errors are printed with the file name. */
static int load_policy(const char *path, enum lc_policy_kind kind, struct lc_policy **out)
{
    struct lc_buf b = {.max = LC_POLICY_MAX_BYTES + 1};
    struct lc_error err;
    int rc;

    *out = NULL;
    lc_error_clear(&err);
    rc = lc_buf_read_file(&b, path, &err);
    if (rc == 0) {
        rc = lc_policy_parse(b.data, b.len, kind, out, &err);
        if (rc)
            fprintf(stderr, "logcanary policy check: %s: %s\n", path, err.message);
    } else if (rc == LC_E_TOO_LARGE) {
        fprintf(stderr, "logcanary policy check: %s: larger than %d bytes\n", path,
                LC_POLICY_MAX_BYTES);
    } else {
        fprintf(stderr, "logcanary policy check: %s\n", err.message);
    }
    lc_buf_free(&b);
    return rc;
}

int lc_cmd_policy(int argc, char **argv)
{
    struct lc_diag_params p = {0};
    struct lc_diag_report rep = {0};
    struct lc_policy *keyp = NULL, *bucketp = NULL;
    struct lc_buf text = {0};
    struct lc_error err;
    const char *key_file = NULL, *bucket_file = NULL;
    int service = 0, format = LC_FORMAT_TEXT;
    const struct lc_probe *probes[MAX_SOURCES + 1];
    const char *service_words[MAX_SOURCES + 1];
    const struct lc_diag_param *decl[MAX_EXTRA];
    const char *extra_values[MAX_EXTRA] = {0};
    size_t n_probes = services(probes, service_words);
    size_t n_extra = extras(probes, n_probes, decl);
    struct lc_opt opts[MAX_OPTS] = {
        {.name = "check", .kind = LC_OPT_WORD},
        {.name = "key-policy",
         .kind = LC_OPT_STRING,
         .to.string = &key_file,
         .required = true,
         .value = "FILE",
         .help = "the key policy JSON; the GetKeyPolicy response shape\n"
                 "{\"Policy\": \"<policy as a string>\"} (aws kms get-key-policy\n"
                 "output) is accepted as well; at most 64 KiB"},
        {.name = "bucket-policy",
         .kind = LC_OPT_STRING,
         .to.string = &bucket_file,
         .value = "FILE",
         .help = "the bucket policy JSON (or {\"Policy\": \"...\"}); without it the\n"
                 "bucket policy is not checked"},
        {.name = "service",
         .kind = LC_OPT_ENUM,
         .to.index = &service,
         .required = true,
         .words = service_words},
        {.name = "account",
         .kind = LC_OPT_STRING,
         .to.string = &p.account,
         .required = true,
         .value = "ID",
         .help = "the account whose logs are delivered"},
        {.name = "region",
         .kind = LC_OPT_STRING,
         .to.string = &p.region,
         .required = true,
         .value = "REGION",
         .help = "the delivering region (a multi-region service: its home region)"},
        {.name = "bucket",
         .kind = LC_OPT_STRING,
         .to.string = &p.bucket,
         .required = true,
         .value = "NAME"},
        {.name = "key-arn", .kind = LC_OPT_STRING, .to.string = &p.key_arn, .value = "ARN"},
        {.name = "prefix",
         .kind = LC_OPT_STRING,
         .to.string = &p.prefix,
         .value = "P",
         .help = "the key prefix in the bucket, without slashes at the ends"},
        {.name = "bucket-key",
         .kind = LC_OPT_FLAG,
         .to.flag = &p.bucket_key,
         .help = "the bucket uses an S3 Bucket Key (encryption context = bucket ARN)"},
        {.name = "control-tower",
         .kind = LC_OPT_FLAG,
         .to.flag = &p.control_tower,
         .help = "Control Tower statements and steps (implied by a bucket named\n"
                 "aws-controltower-logs-*)"},
        {.name = "reader-role",
         .kind = LC_OPT_STRING,
         .to.string = &p.reader_role_arn,
         .value = "ARN",
         .help = "also check that this role can read the logs (kms:Decrypt,\n"
                 "s3:GetObject)"},
        lc_opt_format(&format),
    };
    size_t n_opts = 0;
    while (opts[n_opts].name)
        n_opts++;
    /* The models' own parameters, after the common ones. */
    for (size_t i = 0; i < n_extra && n_opts + 1 < MAX_OPTS; i++)
        opts[n_opts++] = (struct lc_opt){.name = decl[i]->flag,
                                         .kind = LC_OPT_STRING,
                                         .to.string = &extra_values[i],
                                         .value = decl[i]->value,
                                         .help = decl[i]->help};
    const struct lc_opt_cmd cmd = {
        .name = "policy", .about = policy_about, .epilog = policy_epilog, .opts = opts};
    int rc = lc_opt_parse(&cmd, argc, argv);

    if (rc)
        return rc == LC_OPT_HELP ? LC_EXIT_OK : rc;
    p.service = probes[service]->cfg.name;
    p.model = probes[service]->diag;
    rc = take_extras(decl, extra_values, n_extra, &p);
    if (rc)
        return rc;
    rc = LC_EXIT_USAGE; /* until the policies are read */
    if (load_policy(key_file, LC_POLICY_KEY, &keyp) != 0)
        goto out;
    if (bucket_file && load_policy(bucket_file, LC_POLICY_BUCKET, &bucketp) != 0)
        goto out;
    if (lc_diagnose(&p, keyp, bucketp, &rep, &err) != 0) {
        fprintf(stderr, "logcanary policy check: %s\n", err.message);
        rc = err.kind == LC_E_INVALID ? LC_EXIT_USAGE : LC_EXIT_CANNOT_RUN;
        goto out;
    }
    if (format == LC_FORMAT_JSON) {
        cJSON *o = lc_diag_report_json(&rep);
        int prc = o ? lc_json_pretty(o, &text) : LC_E_NOMEM;
        cJSON_Delete(o);
        if (prc) {
            fputs("logcanary policy check: out of memory\n", stderr);
            rc = LC_EXIT_CANNOT_RUN;
            goto out;
        }
        fputs(text.data, stdout);
    } else {
        if (lc_diag_report_text(&rep, &p, &text) != 0) {
            fputs("logcanary policy check: out of memory\n", stderr);
            rc = LC_EXIT_CANNOT_RUN;
            goto out;
        }
        fputs(text.data, stdout);
    }
    rc = rep.verdict == LC_POL_GRANTED ? LC_EXIT_OK
         : rep.verdict == LC_POL_GAP   ? LC_EXIT_PROBLEMS
                                       : EXIT_UNDETERMINED;
out:
    lc_diag_report_free(&rep);
    lc_policy_free(keyp);
    lc_policy_free(bucketp);
    lc_buf_free(&text);
    return rc;
}
