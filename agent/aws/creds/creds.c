/* Credentials: the default chain in aws-cli's order, AssumeRole on top of any provider, and one
 * cache in front of every provider.
 *
 * Resolution has two steps. A pure step reads the environment and the shared files and builds a
 * plan, a small tree such as "AssumeRole X signed with the static keys of profile Y". It makes
 * no network call, so lc_creds_explain and the tests can look at it. Then the plan becomes a
 * tree of providers.
 *
 * Every provider has the same cache. A get queues a waiter. A fresh cache answers the waiters
 * from a zero timer (never inside lc_credprov_get); otherwise one refresh runs and its result,
 * good or bad, goes to every waiter queued meanwhile (coalescing). A refresh that fails while
 * the cached credentials have not yet expired keeps serving them for a while (as botocore's
 * advisory refresh does).
 *
 * Secrets never reach logs or error messages: only source names and the last four characters
 * of an access key id. Buffers that held secrets are wiped before they are freed. */
#include "aws/creds/creds.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "aws/aws.h"
#include "aws/awscall.h"
#include "aws/awsxml.h"
#include "core/http.h"
#include "core/log.h"
#include "core/timeutil.h"

#define COMP "creds"

#define FILE_MAX           ((size_t)1 << 20)  /* shared config / credentials file */
#define TOKEN_MAX          ((size_t)16 << 10) /* web identity / container token file */
#define DOC_MAX            ((size_t)64 << 10) /* IMDS / container responses */
#define CHAIN_MAX          16                 /* source_profile hops */
#define DEF_MARGIN_S       300
#define HOLD_S             30 /* after a refresh, answer from the cache at least this long */
#define META_CONNECT_MS    1000L
#define META_TIMEOUT_MS    2000L
#define CONTAINER_ATTEMPTS 3
#define IMDS_TOKEN_TTL     "21600"
#define ECS_HOST           "http://169.254.170.2"
#define IMDS_HOST          "http://169.254.169.254"
#define IMDS_HOST6         "http://[fd00:ec2::254]"
#define IMDS_CREDS_PATH    "/latest/meta-data/iam/security-credentials/"

/* ---------------------------------------------------------------------------------------- */
/* Small helpers */

static int failf(struct lc_error *err, enum lc_err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int failf(struct lc_error *err, enum lc_err_kind kind, const char *fmt, ...)
{
    char msg[sizeof(err->message)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    lc_error_clear(err);
    lc_error_set(err, kind, "%s", msg);
    return kind;
}

static int nomem(struct lc_error *err)
{
    return failf(err, LC_E_NOMEM, "out of memory");
}

/* "a: b" into dst, truncated to fit. */
static void join(char *dst, size_t size, const char *a, const char *b)
{
    char tmp[1024];
    size_t n = strnlen(a, sizeof(tmp) - 3);

    memcpy(tmp, a, n);
    memcpy(tmp + n, ": ", 2);
    lc_strlcpy(tmp + n + 2, b, sizeof(tmp) - n - 2);
    lc_strlcpy(dst, tmp, size);
}

/* Put "prefix: " in front of the message of an error that came from elsewhere. */
static void err_prefix(struct lc_error *err, const char *prefix)
{
    join(err->message, sizeof(err->message), prefix, err->message);
}

static void free_secret(char *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

static void buf_wipe_free(struct lc_buf *b)
{
    if (b->data)
        OPENSSL_cleanse(b->data, b->cap);
    lc_buf_free(b);
}

static void kv_wipe_free(struct lc_kvlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        OPENSSL_cleanse(l->items[i].value, strlen(l->items[i].value));
    lc_kv_free(l);
}

/* An environment variable, NULL when unset or empty. */
static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static bool env_true(const char *name)
{
    const char *v = env(name);
    return v && strcasecmp(v, "true") == 0;
}

static int dup_to(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : LC_E_NOMEM;
}

/* The last four characters of an access key id: all a log line may show of it. */
static const char *key_tail(const char *akid)
{
    size_t n = akid ? strlen(akid) : 0;
    return n > 4 ? akid + n - 4 : "";
}

static bool has_crlf(const char *s, size_t len)
{
    return memchr(s, '\r', len) || memchr(s, '\n', len);
}

/* "~" and "~/x" expand to $HOME; NULL when they cannot. */
static char *expand_home(const char *path)
{
    struct lc_buf b = {0};
    const char *home = env("HOME");

    if (path[0] != '~' || (path[1] && path[1] != '/'))
        return strdup(path);
    if (!home || lc_buf_appendf(&b, "%s%s", home, path + 1)) {
        lc_buf_free(&b);
        return NULL;
    }
    return lc_buf_steal(&b);
}

/* Read a whole file into out (at most max bytes). 0, or -1 with errno set; a failed read
 * leaves nothing behind (token files are secrets). */
static int read_file(const char *path, size_t max, struct lc_buf *out)
{
    struct lc_error err;

    lc_error_clear(&err);
    out->max = max;
    if (lc_buf_read_file(out, path, &err) == 0)
        return 0;
    int e = errno;
    buf_wipe_free(out);
    errno = e;
    return -1;
}

/* A token file (web identity, container authorization): read on every refresh, trailing
 * whitespace dropped, no other line breaks allowed (they would split the header). */
static int read_token(const char *path, const char *what, char **out, struct lc_error *err)
{
    struct lc_buf b = {0};

    *out = NULL;
    if (read_file(path, TOKEN_MAX, &b) != 0)
        return failf(err, LC_E_CREDENTIALS, "cannot read %s %s: %s", what, path,
                     errno == EFBIG ? "file too large" : strerror(errno));
    while (b.len && isspace((unsigned char)b.data[b.len - 1]))
        b.data[--b.len] = '\0';
    if (b.len == 0 || strlen(b.data) != b.len || has_crlf(b.data, b.len)) {
        bool empty = b.len == 0;
        buf_wipe_free(&b);
        return failf(err, LC_E_CREDENTIALS, "%s %s %s", what, path,
                     empty ? "is empty" : "contains a line break or NUL byte");
    }
    *out = lc_buf_steal(&b);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* INI files (aws-cli's shared config and credentials files, as configparser reads them):
 * "[section]", "key = value" or "key: value", full-line comments with # or ;, keys folded to
 * lower case. Lines indented deeper than the key before them continue it: nested settings
 * such as "s3 =" followed by indented "  max_concurrent_requests = 10" are skipped. A
 * malformed line is an error naming file:line and never quoting the line (it may hold a
 * secret). */

struct ini_sec {
    char *name;
    struct lc_kvlist kv;
};

struct ini {
    char *path;
    bool present;
    struct ini_sec *secs;
    size_t n, cap;
};

static void ini_free(struct ini *ini)
{
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->secs[i].name);
        kv_wipe_free(&ini->secs[i].kv);
    }
    free(ini->secs);
    free(ini->path);
    memset(ini, 0, sizeof(*ini));
}

static struct ini_sec *ini_section(struct ini *ini, const char *name)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->secs[i].name, name) == 0)
            return &ini->secs[i];
    if (ini->n == ini->cap) {
        size_t cap = ini->cap ? ini->cap * 2 : 8;
        struct ini_sec *s = realloc(ini->secs, cap * sizeof(*s));
        if (!s)
            return NULL;
        ini->secs = s;
        ini->cap = cap;
    }
    struct ini_sec *sec = &ini->secs[ini->n];
    memset(sec, 0, sizeof(*sec));
    sec->name = strdup(name);
    if (!sec->name)
        return NULL;
    ini->n++;
    return sec;
}

static char *trim(char *s, char *e)
{
    while (s < e && isspace((unsigned char)*s))
        s++;
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    *e = '\0';
    return s;
}

/* text is NUL-terminated at text[len] and is modified. */
static int ini_parse(struct ini *ini, char *text, size_t len, struct lc_error *err)
{
    struct ini_sec *sec = NULL;
    bool have_key = false;
    size_t key_indent = 0;
    unsigned lineno = 0;
    char *p = text;
    char *end = text + len;

    if (memchr(text, '\0', len))
        return failf(err, LC_E_CREDENTIALS, "%s: contains a NUL byte", ini->path);
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        char *s = p;
        size_t indent = 0;

        lineno++;
        p = nl ? nl + 1 : end;
        while (s < eol && (*s == ' ' || *s == '\t')) {
            s++;
            indent++;
        }
        s = trim(s, eol);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (indent > 0 && have_key && indent > key_indent)
            continue; /* continuation or nested sub-section */
        if (*s == '[') {
            size_t n = strlen(s);
            if (n < 3 || s[n - 1] != ']')
                return failf(err, LC_E_CREDENTIALS, "%s:%u: malformed section header", ini->path,
                             lineno);
            char *name = trim(s + 1, s + n - 1);
            if (!*name)
                return failf(err, LC_E_CREDENTIALS, "%s:%u: empty section name", ini->path, lineno);
            sec = ini_section(ini, name);
            if (!sec)
                return nomem(err);
            have_key = false;
            continue;
        }
        if (!sec)
            return failf(err, LC_E_CREDENTIALS, "%s:%u: setting outside of any [section]",
                         ini->path, lineno);
        char *d = s + strcspn(s, "=:");
        if (!*d)
            return failf(err, LC_E_CREDENTIALS, "%s:%u: expected 'key = value'", ini->path, lineno);
        char delim = *d;
        char *key = trim(s, d);
        char *val = trim(d + 1, d + 1 + strlen(d + 1));
        if (!*key)
            return failf(err, LC_E_CREDENTIALS, "%s:%u: missing key before '%c'", ini->path, lineno,
                         delim);
        for (char *k = key; *k; k++)
            *k = (char)tolower((unsigned char)*k);
        if (lc_kv_set(&sec->kv, key, val))
            return nomem(err);
        have_key = true;
        key_indent = indent;
    }
    return 0;
}

/* Load path. A missing file is absent, not an error. Another failure to read is an error when
 * the path was chosen explicitly (environment variable), else a warning. */
static int ini_load(struct ini *ini, const char *path, bool explicit, struct lc_error *err)
{
    struct lc_buf b = {0};
    int rc = 0;

    ini->path = expand_home(path);
    if (!ini->path) {
        if (path[0] == '~') /* no HOME: the default files cannot exist */
            return 0;
        return nomem(err);
    }
    if (read_file(ini->path, FILE_MAX, &b) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        const char *why = errno == EFBIG ? "file too large" : strerror(errno);
        if (explicit)
            return failf(err, LC_E_CREDENTIALS, "cannot read %s: %s", ini->path, why);
        LC_WARN(COMP, "ignoring %s: %s", ini->path, why);
        return 0;
    }
    ini->present = true;
    rc = ini_parse(ini, b.data, b.len, err);
    buf_wipe_free(&b);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Profiles. Config file: [default] or [profile name]. Credentials file: [name]. The same
 * profile in both files is merged, the credentials file winning (botocore). Empty values count
 * as unset. */

struct files {
    struct ini cfg, cred;
};

static void files_free(struct files *f)
{
    ini_free(&f->cfg);
    ini_free(&f->cred);
}

static int files_load(struct files *f, struct lc_error *err)
{
    const char *cfg = env("AWS_CONFIG_FILE");
    const char *cred = env("AWS_SHARED_CREDENTIALS_FILE");
    int rc;

    memset(f, 0, sizeof(*f));
    rc = ini_load(&f->cfg, cfg ? cfg : "~/.aws/config", cfg != NULL, err);
    if (!rc)
        rc = ini_load(&f->cred, cred ? cred : "~/.aws/credentials", cred != NULL, err);
    if (rc)
        files_free(f);
    return rc;
}

static bool cfg_section_is(const char *sec, const char *profile)
{
    if (strcmp(sec, "default") == 0)
        return strcmp(profile, "default") == 0;
    if (strncmp(sec, "profile", 7) != 0 || (sec[7] != ' ' && sec[7] != '\t'))
        return false;
    sec += 7;
    while (*sec == ' ' || *sec == '\t')
        sec++;
    return strcmp(sec, profile) == 0;
}

static const char *cfg_get(const struct ini *cfg, const char *profile, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < cfg->n; i++) {
        if (!cfg_section_is(cfg->secs[i].name, profile))
            continue;
        const char *x = lc_kv_get(&cfg->secs[i].kv, key);
        if (x && *x)
            v = x;
    }
    return v;
}

static const char *cred_get(const struct ini *cred, const char *profile, const char *key)
{
    for (size_t i = 0; i < cred->n; i++) {
        if (strcmp(cred->secs[i].name, profile) != 0)
            continue;
        const char *x = lc_kv_get(&cred->secs[i].kv, key);
        return x && *x ? x : NULL;
    }
    return NULL;
}

static const char *prof_get(const struct files *f, const char *profile, const char *key)
{
    const char *v = cred_get(&f->cred, profile, key);
    return v ? v : cfg_get(&f->cfg, profile, key);
}

static bool prof_exists(const struct files *f, const char *profile)
{
    for (size_t i = 0; i < f->cred.n; i++)
        if (strcmp(f->cred.secs[i].name, profile) == 0)
            return true;
    for (size_t i = 0; i < f->cfg.n; i++)
        if (cfg_section_is(f->cfg.secs[i].name, profile))
            return true;
    return false;
}

static bool prof_has_keys(const struct files *f, const char *profile)
{
    return prof_get(f, profile, "aws_access_key_id") ||
           prof_get(f, profile, "aws_secret_access_key");
}

static const char *profile_name(const struct lc_credprov_opts *opts, bool *explicit)
{
    const char *name = opts && opts->profile && *opts->profile ? opts->profile : NULL;

    if (!name)
        name = env("AWS_PROFILE");
    if (!name)
        name = env("AWS_DEFAULT_PROFILE");
    *explicit = name != NULL;
    return name ? name : "default";
}

/* ---------------------------------------------------------------------------------------- */
/* Plans: what the default chain resolved to, before any network call. */

enum plan_kind { PL_KEYS, PL_ASSUME, PL_WEBID, PL_CONTAINER, PL_IMDS };

struct plan {
    enum plan_kind kind;
    char *source;         /* provider name: "environment", "profile x", "imds", ... */
    char *where;          /* where the settings were found (explain) */
    struct lc_creds keys; /* PL_KEYS */
    char *role_arn;       /* PL_ASSUME, PL_WEBID */
    char *external_id;
    char *session_name;
    char *region;
    long duration;    /* 0 = STS default */
    char *token_file; /* PL_WEBID */
    char *url;        /* PL_CONTAINER; PL_IMDS: the endpoint */
    char *auth_token; /* PL_CONTAINER */
    char *auth_token_file;
    bool imds_v1;     /* PL_IMDS */
    struct plan *src; /* PL_ASSUME: what signs the AssumeRole call */
};

static void plan_free(struct plan *pl)
{
    if (!pl)
        return;
    plan_free(pl->src);
    lc_creds_clear(&pl->keys);
    free(pl->source);
    free(pl->where);
    free(pl->role_arn);
    free(pl->external_id);
    free(pl->session_name);
    free(pl->region);
    free(pl->token_file);
    free(pl->url);
    free_secret(pl->auth_token);
    free(pl->auth_token_file);
    free(pl);
}

static struct plan *plan_new(enum plan_kind kind, const char *source, const char *where)
{
    struct plan *pl = calloc(1, sizeof(*pl));
    if (!pl)
        return NULL;
    pl->kind = kind;
    if (dup_to(&pl->source, source) || dup_to(&pl->where, where)) {
        plan_free(pl);
        return NULL;
    }
    return pl;
}

struct resolver {
    const struct lc_credprov_opts *opts;
    struct files files;
    const char *visited[CHAIN_MAX];
    size_t nvisited;
    const char *region; /* for STS: environment, then the selected profile */
};

static int plan_keys(struct plan **out, const char *source, const char *where, const char *ak,
                     const char *sk, const char *tok, time_t exp, struct lc_error *err)
{
    struct plan *pl = plan_new(PL_KEYS, source, where);
    struct lc_creds c = {.access_key_id = (char *)ak,
                         .secret_access_key = (char *)sk,
                         .session_token = (char *)tok,
                         .expiration = exp};

    if (!pl || lc_creds_copy(&pl->keys, &c)) {
        plan_free(pl);
        return nomem(err);
    }
    *out = pl;
    return 0;
}

/* AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN]. *out NULL when unset. */
static int plan_env(struct plan **out, struct lc_error *err)
{
    const char *ak = env("AWS_ACCESS_KEY_ID");
    const char *sk = env("AWS_SECRET_ACCESS_KEY");
    const char *tok = env("AWS_SESSION_TOKEN");
    const char *exps = env("AWS_CREDENTIAL_EXPIRATION");
    time_t exp = 0;

    *out = NULL;
    if (!ak && !sk)
        return 0;
    if (!ak || !sk)
        return failf(err, LC_E_CREDENTIALS, "%s is set but %s is not: set both or neither",
                     ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                     ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    if (!tok)
        tok = env("AWS_SECURITY_TOKEN");
    if (exps && lc_time_parse_iso8601(exps, &exp) != 0)
        return failf(err, LC_E_CREDENTIALS, "AWS_CREDENTIAL_EXPIRATION is not an ISO-8601 time");
    return plan_keys(out, "environment", "environment variables", ak, sk, tok, exp, err);
}

/* Static keys of a profile: credentials file first, then config file. *out NULL when none. */
static int plan_profile_keys(struct resolver *r, const char *profile, struct plan **out,
                             struct lc_error *err)
{
    const struct ini *files[2] = {&r->files.cred, &r->files.cfg};
    char source[300];

    *out = NULL;
    snprintf(source, sizeof(source), "profile %s", profile);
    for (int i = 0; i < 2; i++) {
        const struct ini *f = files[i];
        const char *(*get)(const struct ini *, const char *, const char *) =
            i == 0 ? cred_get : cfg_get;
        const char *ak = get(f, profile, "aws_access_key_id");
        const char *sk = get(f, profile, "aws_secret_access_key");
        if (!ak && !sk)
            continue;
        if (!ak || !sk)
            return failf(err, LC_E_CREDENTIALS, "profile %s in %s: %s without %s", profile, f->path,
                         ak ? "aws_access_key_id" : "aws_secret_access_key",
                         ak ? "aws_secret_access_key" : "aws_access_key_id");
        return plan_keys(out, source, f->path, ak, sk, get(f, profile, "aws_session_token"), 0,
                         err);
    }
    return 0;
}

static int parse_duration(const char *profile, const char *s, long *out, struct lc_error *err)
{
    char *end = NULL;
    long v;

    *out = 0;
    if (!s)
        return 0;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 900 || v > 43200)
        return failf(err, LC_E_CREDENTIALS,
                     "profile %s: duration_seconds must be a number of seconds from 900 to 43200",
                     profile);
    *out = v;
    return 0;
}

/* Web identity from the environment (when use_env) and the profile, key by key with the
 * environment first. *out NULL when no token file is configured. */
static int plan_webid(struct resolver *r, const char *profile, bool use_env, struct plan **out,
                      struct lc_error *err)
{
    const struct files *f = &r->files;
    const char *tf = use_env ? env("AWS_WEB_IDENTITY_TOKEN_FILE") : NULL;
    const char *role = use_env ? env("AWS_ROLE_ARN") : NULL;
    const char *sess = use_env ? env("AWS_ROLE_SESSION_NAME") : NULL;
    const char *where = "environment variables";
    struct plan *pl = NULL;
    char source[300];
    long dur = 0;
    int rc;

    *out = NULL;
    if (!tf) {
        tf = prof_get(f, profile, "web_identity_token_file");
        where = "profile";
    }
    if (!tf)
        return 0;
    if (!role)
        role = prof_get(f, profile, "role_arn");
    if (!sess)
        sess = prof_get(f, profile, "role_session_name");
    if (!role)
        return failf(err, LC_E_CREDENTIALS,
                     "a web identity token file is configured (%s) but no role: set AWS_ROLE_ARN "
                     "or role_arn in profile %s",
                     where, profile);
    rc = parse_duration(profile, prof_get(f, profile, "duration_seconds"), &dur, err);
    if (rc)
        return rc;
    snprintf(source, sizeof(source), "web-identity %s", role);
    pl = plan_new(PL_WEBID, source, strcmp(where, "profile") == 0 ? profile : where);
    if (!pl)
        return nomem(err);
    pl->duration = dur;
    pl->token_file = expand_home(tf);
    if (!pl->token_file || dup_to(&pl->role_arn, role) || dup_to(&pl->session_name, sess) ||
        dup_to(&pl->region, r->region)) {
        plan_free(pl);
        return nomem(err);
    }
    *out = pl;
    return 0;
}

/* http:// container endpoints may only be loopback or the ECS / EKS link-local hosts. */
static bool container_host_allowed(const char *url)
{
    static const char *const hosts[] = {"localhost", "169.254.170.2", "169.254.170.23"};
    char host[256];
    const char *a = url + strlen("http://");
    size_t alen = strcspn(a, "/?#");
    const char *at = memchr(a, '@', alen);
    const char *h = at ? at + 1 : a;
    size_t hlen = alen - (size_t)(h - a);
    unsigned char addr[16], want[16];

    if (hlen && h[0] == '[') {
        const char *rb = memchr(h, ']', hlen);
        if (!rb)
            return false;
        hlen = (size_t)(rb - h - 1);
        h++;
    } else {
        const char *colon = memchr(h, ':', hlen);
        if (colon)
            hlen = (size_t)(colon - h);
    }
    if (hlen == 0 || hlen >= sizeof(host))
        return false;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
        if (strcasecmp(host, hosts[i]) == 0)
            return true;
    if (inet_pton(AF_INET, host, addr) == 1)
        return addr[0] == 127;
    if (inet_pton(AF_INET6, host, addr) == 1) {
        if (inet_pton(AF_INET6, "fd00:ec2::23", want) == 1 && memcmp(addr, want, 16) == 0)
            return true;
        if (inet_pton(AF_INET6, "::1", want) == 1 && memcmp(addr, want, 16) == 0)
            return true;
    }
    return false;
}

/* ECS / EKS container credentials. *out NULL when not configured (an error when required). */
static int plan_container(struct resolver *r, bool required, struct plan **out,
                          struct lc_error *err)
{
    const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    const char *tokfile = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *tok = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    const char *host = r->opts && r->opts->container_host ? r->opts->container_host : ECS_HOST;
    struct lc_buf url = {0};
    struct plan *pl = NULL;

    *out = NULL;
    if (!rel && !full) {
        if (required)
            return failf(err, LC_E_CREDENTIALS,
                         "credential_source EcsContainer, but neither "
                         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
        return 0;
    }
    if (!tokfile && tok && has_crlf(tok, strlen(tok)))
        return failf(err, LC_E_CREDENTIALS,
                     "AWS_CONTAINER_AUTHORIZATION_TOKEN contains a line break");
    if (rel) {
        if (rel[0] != '/')
            return failf(err, LC_E_CREDENTIALS,
                         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'");
        size_t hl = strlen(host);
        while (hl && host[hl - 1] == '/')
            hl--;
        if (lc_buf_append(&url, host, hl) || lc_buf_append(&url, rel, strlen(rel)))
            goto oom;
    } else {
        if (strncasecmp(full, "http://", 7) != 0 && strncasecmp(full, "https://", 8) != 0)
            return failf(err, LC_E_CREDENTIALS,
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http:// or https:// URL");
        if (strncasecmp(full, "http://", 7) == 0 && !container_host_allowed(full))
            return failf(err, LC_E_CREDENTIALS,
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is only allowed to "
                         "loopback, localhost, 169.254.170.2, 169.254.170.23 or fd00:ec2::23");
        if (lc_buf_append(&url, full, strlen(full)))
            goto oom;
    }
    pl = plan_new(PL_CONTAINER, "container",
                  rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                      : "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!pl)
        goto oom;
    pl->url = lc_buf_steal(&url);
    if (dup_to(&pl->auth_token_file, tokfile) || dup_to(&pl->auth_token, tokfile ? NULL : tok)) {
        plan_free(pl);
        goto oom;
    }
    *out = pl;
    return 0;
oom:
    lc_buf_free(&url);
    return nomem(err);
}

/* EC2 instance metadata. *out NULL when disabled (an error when required). */
static int plan_imds(struct resolver *r, bool required, struct plan **out, struct lc_error *err)
{
    const struct lc_credprov_opts *o = r->opts;
    const char *ep = o && o->imds_endpoint ? o->imds_endpoint : NULL;
    const char *mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    struct plan *pl = NULL;

    *out = NULL;
    if (env_true("AWS_EC2_METADATA_DISABLED")) {
        if (required)
            return failf(err, LC_E_CREDENTIALS,
                         "credential_source Ec2InstanceMetadata, but AWS_EC2_METADATA_DISABLED "
                         "is true");
        return 0;
    }
    if (!ep)
        ep = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!ep)
        ep = mode && strcasecmp(mode, "IPv6") == 0 ? IMDS_HOST6 : IMDS_HOST;
    pl = plan_new(PL_IMDS, "imds", "EC2 instance metadata");
    if (!pl || dup_to(&pl->url, ep)) {
        plan_free(pl);
        return nomem(err);
    }
    size_t n = strlen(pl->url);
    while (n && pl->url[n - 1] == '/')
        pl->url[--n] = '\0';
    pl->imds_v1 = o && o->imds_v1_fallback && !env_true("AWS_EC2_METADATA_V1_DISABLED");
    *out = pl;
    return 0;
}

static bool visited(const struct resolver *r, const char *profile)
{
    for (size_t i = 0; i < r->nvisited; i++)
        if (strcmp(r->visited[i], profile) == 0)
            return true;
    return false;
}

static int resolve_assume(struct resolver *r, const char *profile, struct plan **out,
                          struct lc_error *err);

/* The credentials a source_profile provides: its static keys win (even next to a role_arn),
 * then its own role (recursively), then its web identity settings. */
static int resolve_source(struct resolver *r, const char *profile, struct plan **out,
                          struct lc_error *err)
{
    const struct files *f = &r->files;
    int rc;

    if (prof_has_keys(f, profile)) {
        rc = plan_profile_keys(r, profile, out, err);
        if (rc || *out)
            return rc;
    }
    if (prof_get(f, profile, "role_arn") && !prof_get(f, profile, "web_identity_token_file"))
        return resolve_assume(r, profile, out, err);
    rc = plan_webid(r, profile, false, out, err);
    if (rc || *out)
        return rc;
    return failf(err, LC_E_CREDENTIALS,
                 "source profile %s has no credentials (no keys, role_arn or "
                 "web_identity_token_file)",
                 profile);
}

static int cycle_error(struct resolver *r, const char *next, struct lc_error *err)
{
    struct lc_buf b = {0};
    int rc;

    for (size_t i = 0; i < r->nvisited; i++)
        lc_buf_appendf(&b, "%s -> ", r->visited[i]);
    lc_buf_appendf(&b, "%s", next);
    rc = failf(err, LC_E_CREDENTIALS, "source_profile loop: %s", b.data ? b.data : next);
    lc_buf_free(&b);
    return rc;
}

/* A profile with role_arn: AssumeRole, signed with source_profile's or credential_source's
 * credentials. */
static int resolve_assume(struct resolver *r, const char *profile, struct plan **out,
                          struct lc_error *err)
{
    const struct files *f = &r->files;
    const char *role = prof_get(f, profile, "role_arn");
    const char *sp = prof_get(f, profile, "source_profile");
    const char *cs = prof_get(f, profile, "credential_source");
    struct plan *src = NULL;
    struct plan *pl = NULL;
    char source[300];
    long dur = 0;
    int rc;

    *out = NULL;
    if (sp && cs)
        return failf(err, LC_E_CREDENTIALS,
                     "profile %s: source_profile and credential_source cannot both be set",
                     profile);
    if (!sp && !cs)
        return failf(err, LC_E_CREDENTIALS,
                     "profile %s: role_arn needs source_profile or credential_source", profile);
    if (prof_get(f, profile, "mfa_serial"))
        return failf(err, LC_E_CREDENTIALS,
                     "profile %s: mfa_serial needs an interactive MFA code, which logcanary "
                     "cannot ask for",
                     profile);
    rc = parse_duration(profile, prof_get(f, profile, "duration_seconds"), &dur, err);
    if (rc)
        return rc;
    if (sp) {
        if (!prof_exists(f, sp))
            return failf(err, LC_E_CREDENTIALS, "profile %s: source_profile %s not found", profile,
                         sp);
        /* A profile may name itself as source only to use its own static keys (botocore). */
        if (visited(r, sp) && (strcmp(sp, profile) != 0 || !prof_has_keys(f, sp)))
            return cycle_error(r, sp, err);
        if (!visited(r, sp)) {
            if (r->nvisited == CHAIN_MAX)
                return failf(err, LC_E_CREDENTIALS, "profile %s: more than %d source_profile hops",
                             profile, CHAIN_MAX);
            r->visited[r->nvisited++] = sp;
            rc = resolve_source(r, sp, &src, err);
        } else {
            rc = plan_profile_keys(r, sp, &src, err);
        }
    } else if (strcmp(cs, "Environment") == 0) {
        rc = plan_env(&src, err);
        if (!rc && !src)
            rc = failf(err, LC_E_CREDENTIALS,
                       "profile %s: credential_source Environment, but AWS_ACCESS_KEY_ID and "
                       "AWS_SECRET_ACCESS_KEY are not set",
                       profile);
    } else if (strcmp(cs, "Ec2InstanceMetadata") == 0 || strcmp(cs, "EcsContainer") == 0) {
        char prefix[300];
        if (strcmp(cs, "EcsContainer") == 0)
            rc = plan_container(r, true, &src, err);
        else
            rc = plan_imds(r, true, &src, err);
        snprintf(prefix, sizeof(prefix), "profile %s", profile);
        if (rc)
            err_prefix(err, prefix);
    } else {
        rc = failf(err, LC_E_CREDENTIALS,
                   "profile %s: credential_source must be Environment, Ec2InstanceMetadata or "
                   "EcsContainer",
                   profile);
    }
    if (rc)
        goto fail;
    snprintf(source, sizeof(source), "assume-role %s", role);
    pl = plan_new(PL_ASSUME, source, profile);
    if (!pl)
        goto oom;
    pl->duration = dur;
    pl->src = src;
    src = NULL;
    if (dup_to(&pl->role_arn, role) ||
        dup_to(&pl->external_id, prof_get(f, profile, "external_id")) ||
        dup_to(&pl->session_name, prof_get(f, profile, "role_session_name")) ||
        dup_to(&pl->region, r->region))
        goto oom;
    *out = pl;
    return 0;
oom:
    rc = nomem(err);
fail:
    plan_free(src);
    plan_free(pl);
    return rc;
}

/* The default chain: environment keys, the profile (role, web identity, static keys),
 * container, IMDS. */
static int resolve_default(struct resolver *r, struct plan **out, struct lc_error *err)
{
    const struct files *f = &r->files;
    bool explicit = false;
    const char *profile = profile_name(r->opts, &explicit);
    bool exists;
    int rc;

    *out = NULL;
    /* Keys in the environment come first, unless the caller named a profile (botocore). */
    if (!(r->opts && r->opts->profile && *r->opts->profile)) {
        rc = plan_env(out, err);
        if (rc || *out)
            return rc;
    }
    exists = prof_exists(f, profile);
    if (explicit && !exists)
        return failf(err, LC_E_CREDENTIALS, "profile %s not found in %s or %s", profile,
                     f->cfg.path ? f->cfg.path : "~/.aws/config",
                     f->cred.path ? f->cred.path : "~/.aws/credentials");
    r->region = env("AWS_REGION");
    if (!r->region)
        r->region = env("AWS_DEFAULT_REGION");
    if (!r->region)
        r->region = prof_get(f, profile, "region");
    r->visited[0] = profile;
    r->nvisited = 1;
    if (prof_get(f, profile, "role_arn") && !prof_get(f, profile, "web_identity_token_file"))
        return resolve_assume(r, profile, out, err);
    rc = plan_webid(r, profile, true, out, err);
    if (rc || *out)
        return rc;
    rc = plan_profile_keys(r, profile, out, err);
    if (rc || *out)
        return rc;
    if (exists) {
        static const char *const unsupported[] = {"credential_process", "sso_session",
                                                  "sso_start_url", "login_session"};
        for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
            if (prof_get(f, profile, unsupported[i]))
                return failf(err, LC_E_CREDENTIALS,
                             "profile %s uses %s, which logcanary does not support", profile,
                             unsupported[i]);
    }
    rc = plan_container(r, false, out, err);
    if (rc || *out)
        return rc;
    rc = plan_imds(r, false, out, err);
    if (rc || *out)
        return rc;
    return failf(err, LC_E_CREDENTIALS,
                 "no credentials found: not in the environment, not in profile %s, no container "
                 "credentials, and EC2 instance metadata is disabled",
                 profile);
}

static int resolve(const struct lc_credprov_opts *opts, struct plan **out, struct lc_error *err)
{
    struct resolver r;
    int rc;

    memset(&r, 0, sizeof(r));
    r.opts = opts;
    *out = NULL;
    rc = files_load(&r.files, err);
    if (rc)
        return rc;
    rc = resolve_default(&r, out, err);
    files_free(&r.files);
    return rc;
}

static void explain_plan(const struct plan *pl, struct lc_buf *out, int depth)
{
    lc_buf_appendf(out, "%*s", depth * 2, "");
    switch (pl->kind) {
    case PL_KEYS:
        lc_buf_appendf(out, "%s: static keys (access key ...%s%s) from %s\n", pl->source,
                       key_tail(pl->keys.access_key_id),
                       pl->keys.session_token ? ", with session token" : "", pl->where);
        break;
    case PL_ASSUME:
        lc_buf_appendf(out, "profile %s: AssumeRole %s", pl->where, pl->role_arn);
        if (pl->external_id)
            lc_buf_appendf(out, ", external id set");
        if (pl->session_name)
            lc_buf_appendf(out, ", session name %s", pl->session_name);
        if (pl->duration)
            lc_buf_appendf(out, ", duration %lds", pl->duration);
        if (pl->region)
            lc_buf_appendf(out, ", region %s", pl->region);
        lc_buf_appendf(out, ", signed with:\n");
        explain_plan(pl->src, out, depth + 1);
        break;
    case PL_WEBID:
        lc_buf_appendf(out, "AssumeRoleWithWebIdentity %s (unsigned), token file %s, from %s",
                       pl->role_arn, pl->token_file, pl->where);
        if (pl->session_name)
            lc_buf_appendf(out, ", session name %s", pl->session_name);
        if (pl->duration)
            lc_buf_appendf(out, ", duration %lds", pl->duration);
        lc_buf_appendf(out, "\n");
        break;
    case PL_CONTAINER:
        lc_buf_appendf(out, "container credentials from %s (%s)", pl->url, pl->where);
        if (pl->auth_token_file)
            lc_buf_appendf(out, ", Authorization from file %s", pl->auth_token_file);
        else if (pl->auth_token)
            lc_buf_appendf(out, ", Authorization from AWS_CONTAINER_AUTHORIZATION_TOKEN");
        lc_buf_appendf(out, "\n");
        break;
    case PL_IMDS:
        lc_buf_appendf(out, "EC2 instance metadata at %s (IMDSv2%s)\n", pl->url,
                       pl->imds_v1 ? ", IMDSv1 fallback allowed" : " only");
        break;
    }
}

int lc_creds_explain(const struct lc_credprov_opts *opts, struct lc_buf *out, struct lc_error *err)
{
    struct plan *pl = NULL;
    int rc = resolve(opts, &pl, err);

    if (rc)
        return rc;
    explain_plan(pl, out, 0);
    plan_free(pl);
    return 0;
}

char *lc_creds_default_region(const char *profile)
{
    struct lc_credprov_opts opts = {.profile = profile};
    struct files f;
    struct lc_error err;
    bool explicit = false;
    const char *v = env("AWS_REGION");
    char *out = NULL;

    if (!v)
        v = env("AWS_DEFAULT_REGION");
    if (v)
        return strdup(v);
    lc_error_clear(&err);
    if (files_load(&f, &err) != 0) {
        LC_WARN(COMP, "cannot read the region from the shared config: %s", err.message);
        return NULL;
    }
    v = prof_get(&f, profile_name(&opts, &explicit), "region");
    if (v)
        out = strdup(v);
    files_free(&f);
    return out;
}

/* ---------------------------------------------------------------------------------------- */
/* Credential documents (container, IMDS) */

static void json_wipe(cJSON *j)
{
    for (; j; j = j->next) {
        if (j->valuestring)
            OPENSSL_cleanse(j->valuestring, strlen(j->valuestring));
        json_wipe(j->child);
    }
}

static const char *json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) && v->valuestring && *v->valuestring ? v->valuestring : NULL;
}

int lc_creds_from_json(const char *text, size_t len, struct lc_creds *out, struct lc_error *err)
{
    cJSON *doc = cJSON_ParseWithLength(text, len);
    const char *code, *ak, *sk, *tok, *exp;
    struct lc_creds c = {0};
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(doc)) {
        rc = failf(err, LC_E_PARSE, "credential document is not a JSON object");
        goto out;
    }
    code = json_str(doc, "Code");
    if (code && strcmp(code, "Success") != 0) {
        rc = failf(err, LC_E_CREDENTIALS, "credential document says Code %.64s", code);
        goto out;
    }
    ak = json_str(doc, "AccessKeyId");
    sk = json_str(doc, "SecretAccessKey");
    tok = json_str(doc, "Token");
    exp = json_str(doc, "Expiration");
    if (!ak || !sk) {
        rc = failf(err, LC_E_PARSE, "credential document lacks AccessKeyId or SecretAccessKey");
        goto out;
    }
    if (exp && lc_time_parse_iso8601(exp, &c.expiration) != 0) {
        rc = failf(err, LC_E_PARSE, "credential document: Expiration is not an ISO-8601 time");
        goto out;
    }
    c.access_key_id = (char *)ak;
    c.secret_access_key = (char *)sk;
    c.session_token = (char *)tok;
    if (lc_creds_copy(out, &c))
        rc = nomem(err);
out:
    if (doc) {
        json_wipe(doc);
        cJSON_Delete(doc);
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Providers */

enum prov_kind { PK_STATIC, PK_CHAIN, PK_ASSUME, PK_WEBID, PK_CONTAINER, PK_IMDS };

struct waiter {
    struct waiter *next;
    lc_creds_cb cb;
    void *ud;
};

/* One refresh in flight. When the provider is freed first, p becomes NULL and the pending
 * callback only frees this. */
struct fetch {
    struct prov *p;
    int step;    /* IMDS: 0 token, 1 role name, 2 credentials */
    int attempt; /* container: tries made */
    bool http_pending;
    uint64_t http_id;
    char *imds_token;
    char *role;
};

struct prov {
    struct lc_credprov pub; /* vtable: prov_vtable; impl: this */
    enum prov_kind kind;
    struct lc_aws *aws;
    struct event *ev; /* zero timer: answers waiters from the loop */
    char *source;
    long margin;
    /* cache */
    struct lc_creds cur;
    bool have;
    time_t hold_until;
    /* waiters and the refresh in flight */
    struct waiter *waiters, **wtail;
    struct waiter *delivering; /* being answered now (lc_credprov_cancel reaches them too) */
    bool refreshing;
    bool failed; /* a failure waits for the timer to reach the waiters */
    struct lc_error fail;
    struct fetch *fetch;
    int busy;  /* loop callbacks on the stack */
    bool dead; /* freed while busy */
    /* settings */
    struct lc_credprov *src; /* PK_ASSUME: signs the call; PK_CHAIN: the resolved provider */
    bool own_src;
    char *role_arn, *external_id, *session_name, *region, *token_file;
    long duration;
    char *url, *auth_token, *auth_token_file;
    bool imds_v1;
    /* PK_CHAIN: the options, copied */
    char *o_profile, *o_imds, *o_container;
    bool o_imds_v1;
};

/* The AWS client's clock: skew-corrected, and moved by tests with lc_aws_set_clock. */
static time_t prov_now(const struct prov *p)
{
    return lc_aws_now(p->aws);
}

static void on_timer(evutil_socket_t fd, short what, void *arg);
static const struct lc_credprov_vtable prov_vtable;

static struct prov *prov_new(struct lc_aws *aws, enum prov_kind kind, const char *source,
                             long margin, struct lc_error *err)
{
    struct prov *p = NULL;

    if (!aws) {
        failf(err, LC_E_INVALID, "a credential provider needs an AWS client");
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (!p)
        goto oom;
    p->pub.vtable = &prov_vtable;
    p->pub.impl = p;
    p->kind = kind;
    p->aws = aws;
    p->margin = margin > 0 ? margin : DEF_MARGIN_S;
    p->wtail = &p->waiters;
    p->source = strdup(source);
    p->ev = evtimer_new(lc_aws_base(aws), on_timer, p);
    if (!p->source || !p->ev)
        goto oom;
    return p;
oom:
    if (p) {
        free(p->source);
        if (p->ev)
            event_free(p->ev);
        free(p);
    }
    nomem(err);
    return NULL;
}

static void fetch_free(struct fetch *f)
{
    if (!f)
        return;
    free_secret(f->imds_token);
    free(f->role);
    free(f);
}

static void arm(struct prov *p)
{
    static const struct timeval zero = {0, 0};
    evtimer_add(p->ev, &zero);
}

/* Answer every waiter queued so far. Gets made by the callbacks queue for the next round. */
static void deliver(struct prov *p, const struct lc_creds *c, const struct lc_error *e)
{
    p->delivering = p->waiters;
    p->waiters = NULL;
    p->wtail = &p->waiters;
    p->busy++;
    while (p->delivering) {
        struct waiter *w = p->delivering;
        p->delivering = w->next;
        w->cb(w->ud, c, e);
        free(w);
    }
    p->busy--;
}

static void drop_waiters(struct waiter **pp, lc_creds_cb cb, void *ud)
{
    while (*pp) {
        struct waiter *w = *pp;
        if (w->cb == cb && w->ud == ud) {
            *pp = w->next;
            free(w);
        } else {
            pp = &w->next;
        }
    }
}

static void deliver_cur(struct prov *p)
{
    struct lc_creds c;
    struct lc_error e;

    if (lc_creds_copy(&c, &p->cur) != 0) {
        nomem(&e);
        deliver(p, NULL, &e);
        return;
    }
    deliver(p, &c, NULL);
    lc_creds_clear(&c);
}

static bool fresh(const struct prov *p, time_t now)
{
    if (!p->have)
        return false;
    if (p->cur.expiration == 0 || now + p->margin < p->cur.expiration)
        return true;
    return now < p->hold_until && now < p->cur.expiration;
}

/* The end of every refresh, from the loop. Takes newc's strings. */
static void finish(struct prov *p, struct lc_creds *newc, const struct lc_error *err)
{
    time_t now = prov_now(p);
    char msg[700];

    p->refreshing = false;
    if (newc) {
        lc_creds_clear(&p->cur);
        p->cur = *newc;
        memset(newc, 0, sizeof(*newc));
        p->have = true;
        p->hold_until = now + HOLD_S;
        if (p->cur.expiration)
            LC_INFO(COMP, "%s: new credentials (access key ...%s), valid for %lds", p->source,
                    key_tail(p->cur.access_key_id), (long)(p->cur.expiration - now));
        else
            LC_INFO(COMP, "%s: credentials (access key ...%s)", p->source,
                    key_tail(p->cur.access_key_id));
        deliver_cur(p);
        return;
    }
    lc_error_format(err, msg, sizeof(msg));
    if (p->have && now < p->cur.expiration) {
        LC_WARN(COMP, "%s: refresh failed, using the current credentials for %lds more: %s",
                p->source, (long)(p->cur.expiration - now), msg);
        p->hold_until = now + HOLD_S;
        deliver_cur(p);
        return;
    }
    if (p->have) {
        lc_creds_clear(&p->cur);
        p->have = false;
    }
    if (strcmp(p->source, err->service) == 0)
        LC_WARN(COMP, "%s", msg);
    else
        LC_WARN(COMP, "%s: %s", p->source, msg);
    deliver(p, NULL, err);
}

static void destroy(struct prov *p);

/* Every loop callback ends here: a free requested meanwhile happens now. */
static void settle(struct prov *p)
{
    if (p->dead && p->busy == 0)
        destroy(p);
}

static int fetch_start(struct prov *p, struct fetch *f, struct lc_error *err);

static void start_refresh(struct prov *p)
{
    struct lc_error err;
    struct fetch *f = NULL;
    int rc;

    lc_error_clear(&err);
    p->refreshing = true;
    if (p->kind == PK_STATIC) {
        rc = failf(&err, LC_E_CREDENTIALS, "%s: the credentials have expired", p->source);
    } else {
        f = calloc(1, sizeof(*f));
        rc = f ? fetch_start(p, f, &err) : nomem(&err);
    }
    if (rc) {
        fetch_free(f);
        p->refreshing = false;
        p->failed = true;
        p->fail = err;
        arm(p);
        return;
    }
    f->p = p;
    p->fetch = f;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct prov *p = arg;

    (void)fd;
    (void)what;
    p->busy++;
    if (p->failed) {
        struct lc_error e = p->fail;
        p->failed = false;
        finish(p, NULL, &e);
    } else if (!p->refreshing && p->waiters) {
        if (fresh(p, prov_now(p)))
            deliver_cur(p);
        else
            start_refresh(p);
    }
    p->busy--;
    settle(p);
}

/* The refresh is over (success when c is non-NULL). */
static void complete(struct prov *p, struct fetch *f, struct lc_creds *c, const struct lc_error *e)
{
    if (p->fetch == f)
        p->fetch = NULL;
    fetch_free(f);
    finish(p, c, e);
}

/* ---- STS: AssumeRole, AssumeRoleWithWebIdentity ---------------------------------------- */

static int sts_parse(const struct prov *p, const struct lc_awsxml *doc, struct lc_creds *out,
                     struct lc_error *err)
{
    const char *action = p->kind == PK_WEBID ? "AssumeRoleWithWebIdentity" : "AssumeRole";
    const char *names[4] = {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"};
    const char *vals[4];
    char path[160];
    struct lc_creds c = {0};

    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%sResponse/%sResult/Credentials/%s", action, action,
                 names[i]);
        vals[i] = lc_awsxml_get(doc, path);
        if (!vals[i] || !*vals[i])
            return failf(err, LC_E_PARSE, "%s response lacks Credentials/%s", action, names[i]);
    }
    if (lc_time_parse_iso8601(vals[3], &c.expiration) != 0)
        return failf(err, LC_E_PARSE, "%s response: Expiration is not an ISO-8601 time", action);
    c.access_key_id = (char *)vals[0];
    c.secret_access_key = (char *)vals[1];
    c.session_token = (char *)vals[2];
    return lc_creds_copy(out, &c) ? nomem(err) : 0;
}

static void on_sts(void *ud, const struct lc_awsxml *doc, const struct lc_aws_resp *resp)
{
    struct fetch *f = ud;
    struct prov *p = f->p;
    struct lc_creds c = {0};
    struct lc_error e;
    char prefix[300];

    if (!p) {
        fetch_free(f);
        return;
    }
    p->busy++;
    lc_error_clear(&e);
    snprintf(prefix, sizeof(prefix), "%s %s",
             p->kind == PK_WEBID ? "AssumeRoleWithWebIdentity" : "AssumeRole", p->role_arn);
    if (!doc) {
        e = resp->err;
        if (e.kind == LC_OK)
            lc_error_set(&e, LC_E_AWS, "no response document");
        err_prefix(&e, prefix);
        complete(p, f, NULL, &e);
    } else if (sts_parse(p, doc, &c, &e) != 0) {
        lc_strlcpy(e.service, "sts", sizeof(e.service));
        err_prefix(&e, prefix);
        complete(p, f, NULL, &e);
    } else {
        complete(p, f, &c, NULL);
    }
    lc_creds_clear(&c);
    p->busy--;
    settle(p);
}

static int sts_start(struct prov *p, struct fetch *f, struct lc_error *err)
{
    struct lc_kvlist params = {0};
    char session[64], dur[24];
    char *token = NULL;
    const char *action = p->kind == PK_WEBID ? "AssumeRoleWithWebIdentity" : "AssumeRole";
    int rc;

    if (p->kind == PK_WEBID) {
        rc = read_token(p->token_file, "web identity token file", &token, err);
        if (rc)
            return rc;
    }
    if (p->session_name)
        lc_strlcpy(session, p->session_name, sizeof(session));
    else
        snprintf(session, sizeof(session), "logcanary-%lld", (long long)prov_now(p));
    snprintf(dur, sizeof(dur), "%ld", p->duration);
    rc = lc_kv_add(&params, "RoleArn", p->role_arn);
    if (!rc)
        rc = lc_kv_add(&params, "RoleSessionName", session);
    if (!rc && p->external_id)
        rc = lc_kv_add(&params, "ExternalId", p->external_id);
    if (!rc && p->duration)
        rc = lc_kv_add(&params, "DurationSeconds", dur);
    if (!rc && token)
        rc = lc_kv_add(&params, "WebIdentityToken", token);
    if (rc) {
        rc = nomem(err);
        goto out;
    }
    /* Web identity is unsigned; AssumeRole is signed by the source provider. */
    rc = lc_aws_query_call(p->aws, p->kind == PK_ASSUME ? p->src : NULL, "sts", p->region, action,
                           &params, on_sts, f, err);
out:
    kv_wipe_free(&params);
    free_secret(token);
    return rc;
}

/* ---- HTTP metadata endpoints: container, IMDS ------------------------------------------ */

static void on_http(void *ud, struct lc_http_resp *resp);

static int http_start(struct prov *p, struct fetch *f, const char *method, const char *url,
                      const struct lc_kvlist *headers, struct lc_error *err)
{
    struct lc_http_req req = {
        .method = method,
        .url = url,
        .headers = headers,
        .connect_timeout_ms = META_CONNECT_MS,
        .timeout_ms = META_TIMEOUT_MS,
        .max_body = DOC_MAX,
        .on_done = on_http,
        .ud = f,
    };
    int rc = lc_http_send(lc_aws_http(p->aws), &req, &f->http_id, err);

    if (!rc)
        f->http_pending = true;
    return rc;
}

/* An HTTP exchange with a metadata endpoint failed: a transport error or a bad status. */
static void http_error(struct lc_error *e, const struct lc_http_resp *resp, const char *service,
                       const char *what)
{
    if (resp->err.kind != LC_OK) {
        *e = resp->err;
        err_prefix(e, what);
    } else {
        lc_error_clear(e);
        e->status = resp->status;
        lc_error_set(e, LC_E_CREDENTIALS, "%s: HTTP %ld", what, resp->status);
    }
    lc_strlcpy(e->service, service, sizeof(e->service));
}

static int container_send(struct prov *p, struct fetch *f, struct lc_error *err)
{
    struct lc_kvlist h = {0};
    char *tok = NULL;
    int rc = 0;

    if (p->auth_token_file)
        rc = read_token(p->auth_token_file, "container authorization token file", &tok, err);
    else
        rc = dup_to(&tok, p->auth_token) ? nomem(err) : 0;
    if (rc)
        return rc;
    if (lc_kv_add(&h, "Accept", "application/json") ||
        (tok && lc_kv_add(&h, "Authorization", tok))) {
        rc = nomem(err);
        goto out;
    }
    f->attempt++;
    rc = http_start(p, f, "GET", p->url, &h, err);
out:
    kv_wipe_free(&h);
    free_secret(tok);
    return rc;
}

static void container_done(struct prov *p, struct fetch *f, struct lc_http_resp *resp)
{
    struct lc_creds c = {0};
    struct lc_error e;
    bool transient = resp->err.kind != LC_OK || resp->status >= 500;

    lc_error_clear(&e);
    if (resp->err.kind == LC_OK && resp->status == 200) {
        int rc = lc_creds_from_json(resp->body.data ? resp->body.data : "", resp->body.len, &c, &e);
        if (resp->body.data)
            OPENSSL_cleanse(resp->body.data, resp->body.len);
        if (rc) {
            lc_strlcpy(e.service, "container", sizeof(e.service));
            err_prefix(&e, "credentials endpoint");
            complete(p, f, NULL, &e);
        } else {
            complete(p, f, &c, NULL);
        }
        lc_creds_clear(&c);
        return;
    }
    if (transient && f->attempt < CONTAINER_ATTEMPTS) {
        LC_DEBUG(COMP, "container credentials: attempt %d failed, retrying", f->attempt);
        if (container_send(p, f, &e) == 0)
            return;
        lc_strlcpy(e.service, "container", sizeof(e.service));
        complete(p, f, NULL, &e);
        return;
    }
    http_error(&e, resp, "container", "credentials endpoint");
    /* ECS / EKS agents answer errors as {"code": ..., "message": ...}. */
    if (resp->err.kind == LC_OK && resp->body.data) {
        cJSON *j = cJSON_ParseWithLength(resp->body.data, resp->body.len);
        const char *code = json_str(j, "code");
        const char *m = json_str(j, "message");
        if (code)
            lc_strlcpy(e.code, code, sizeof(e.code));
        if (m) {
            join(e.message, sizeof(e.message), e.message, m);
        }
        cJSON_Delete(j);
    }
    complete(p, f, NULL, &e);
}

static int imds_send(struct prov *p, struct fetch *f, struct lc_error *err)
{
    struct lc_kvlist h = {0};
    struct lc_buf url = {0};
    const char *method = "GET";
    int rc = 0;

    if (f->step == 0) {
        method = "PUT";
        rc = lc_buf_appendf(&url, "%s/latest/api/token", p->url);
        if (!rc)
            rc = lc_kv_add(&h, "x-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL);
    } else {
        rc = lc_buf_appendf(&url, "%s%s%s", p->url, IMDS_CREDS_PATH, f->step == 2 ? f->role : "");
        if (!rc && f->imds_token)
            rc = lc_kv_add(&h, "x-aws-ec2-metadata-token", f->imds_token);
    }
    if (rc)
        rc = nomem(err);
    else
        rc = http_start(p, f, method, url.data, &h, err);
    kv_wipe_free(&h);
    lc_buf_free(&url);
    return rc;
}

static bool role_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("+=,.@_-", *s))
            return false;
    return true;
}

static void imds_done(struct prov *p, struct fetch *f, struct lc_http_resp *resp)
{
    struct lc_creds c = {0};
    struct lc_error e;
    bool ok = resp->err.kind == LC_OK && resp->status == 200;
    char *body = resp->body.data ? resp->body.data : "";
    int rc;

    lc_error_clear(&e);
    switch (f->step) {
    case 0: /* token */
        if (ok) {
            size_t n = resp->body.len;
            while (n && isspace((unsigned char)body[n - 1]))
                n--;
            if (n == 0 || has_crlf(body, n) || memchr(body, '\0', n)) {
                failf(&e, LC_E_PARSE, "IMDS: malformed session token");
                goto fail;
            }
            f->imds_token = strndup(body, n);
            OPENSSL_cleanse(body, resp->body.len);
            if (!f->imds_token) {
                nomem(&e);
                goto fail;
            }
        } else if (p->imds_v1 &&
                   ((resp->err.kind == LC_OK &&
                     (resp->status == 403 || resp->status == 404 || resp->status == 405)) ||
                    resp->err.kind == LC_E_TIMEOUT)) {
            LC_WARN(COMP, "imds: no IMDSv2 session token (HTTP %ld); falling back to IMDSv1",
                    resp->status);
        } else {
            http_error(&e, resp, "imds",
                       p->imds_v1 ? "IMDSv2 token request failed"
                                  : "IMDSv2 token request failed (IMDSv1 fallback disabled)");
            goto fail;
        }
        break;
    case 1: /* role name: the first line */
        if (!ok) {
            http_error(&e, resp, "imds",
                       resp->status == 404 ? "no IAM role attached to this instance"
                                           : "IMDS role name request failed");
            goto fail;
        }
        f->role = strndup(body, strcspn(body, "\r\n"));
        if (!f->role) {
            nomem(&e);
            goto fail;
        }
        char *t = trim(f->role, f->role + strlen(f->role));
        memmove(f->role, t, strlen(t) + 1);
        if (!role_name_ok(f->role)) {
            failf(&e, LC_E_CREDENTIALS, "IMDS: %s",
                  *f->role ? "malformed role name" : "no IAM role attached to this instance");
            goto fail;
        }
        break;
    default: /* credentials */
        if (!ok) {
            http_error(&e, resp, "imds", "IMDS credentials request failed");
            goto fail;
        }
        rc = lc_creds_from_json(body, resp->body.len, &c, &e);
        OPENSSL_cleanse(body, resp->body.len);
        if (rc)
            goto fail;
        complete(p, f, &c, NULL);
        lc_creds_clear(&c);
        return;
    }
    f->step++;
    if (imds_send(p, f, &e) == 0)
        return;
fail:
    lc_strlcpy(e.service, "imds", sizeof(e.service));
    complete(p, f, NULL, &e);
}

static void on_http(void *ud, struct lc_http_resp *resp)
{
    struct fetch *f = ud;
    struct prov *p = f->p;

    f->http_pending = false;
    if (!p) {
        fetch_free(f);
        return;
    }
    p->busy++;
    if (p->kind == PK_CONTAINER)
        container_done(p, f, resp);
    else
        imds_done(p, f, resp);
    p->busy--;
    settle(p);
}

static int fetch_start(struct prov *p, struct fetch *f, struct lc_error *err)
{
    f->p = p;
    switch (p->kind) {
    case PK_ASSUME:
    case PK_WEBID:
        return sts_start(p, f, err);
    case PK_CONTAINER:
        return container_send(p, f, err);
    case PK_IMDS:
        return imds_send(p, f, err);
    default:
        return failf(err, LC_E_INTERNAL, "%s: nothing to refresh from", p->source);
    }
}

/* ---- Building providers from a plan ---------------------------------------------------- */

static int build(struct lc_aws *aws, const struct plan *pl, long margin, struct lc_credprov **out,
                 struct lc_error *err)
{
    static const enum prov_kind kinds[] = {
        [PL_KEYS] = PK_STATIC,         [PL_ASSUME] = PK_ASSUME, [PL_WEBID] = PK_WEBID,
        [PL_CONTAINER] = PK_CONTAINER, [PL_IMDS] = PK_IMDS,
    };
    struct lc_credprov *src = NULL;
    struct prov *p = NULL;
    int rc;

    *out = NULL;
    if (pl->kind == PL_ASSUME) {
        rc = build(aws, pl->src, margin, &src, err);
        if (rc)
            return rc;
    }
    p = prov_new(aws, kinds[pl->kind], pl->source, margin, err);
    if (!p) {
        lc_credprov_free(src);
        return err->kind;
    }
    p->src = src;
    p->own_src = src != NULL;
    p->duration = pl->duration;
    p->imds_v1 = pl->imds_v1;
    if ((pl->kind == PL_KEYS && lc_creds_copy(&p->cur, &pl->keys)) ||
        dup_to(&p->role_arn, pl->role_arn) || dup_to(&p->external_id, pl->external_id) ||
        dup_to(&p->session_name, pl->session_name) || dup_to(&p->region, pl->region) ||
        dup_to(&p->token_file, pl->token_file) || dup_to(&p->url, pl->url) ||
        dup_to(&p->auth_token, pl->auth_token) ||
        dup_to(&p->auth_token_file, pl->auth_token_file)) {
        lc_credprov_free(&p->pub);
        return nomem(err);
    }
    p->have = pl->kind == PL_KEYS;
    *out = &p->pub;
    return 0;
}

static int chain_resolve(struct prov *p, struct lc_error *err)
{
    struct lc_credprov_opts opts = {
        .profile = p->o_profile,
        .imds_v1_fallback = p->o_imds_v1,
        .imds_endpoint = p->o_imds,
        .container_host = p->o_container,
        .refresh_margin_s = p->margin,
    };
    struct plan *pl = NULL;
    struct lc_buf how = {0};
    int rc = resolve(&opts, &pl, err);

    if (rc)
        return rc;
    rc = build(p->aws, pl, p->margin, &p->src, err);
    if (!rc) {
        p->own_src = true;
        explain_plan(pl, &how, 0);
        LC_INFO(COMP, "using credentials from %s", lc_credprov_source(p->src));
        if (how.data)
            LC_DEBUG(COMP, "credential chain:\n%s", how.data);
    }
    lc_buf_free(&how);
    plan_free(pl);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Public API */

struct lc_credprov *lc_credprov_default(struct lc_aws *aws, const struct lc_credprov_opts *opts,
                                        struct lc_error *err)
{
    struct prov *p = prov_new(aws, PK_CHAIN, "default chain (unresolved)",
                              opts ? opts->refresh_margin_s : 0, err);
    if (!p)
        return NULL;
    if (opts) {
        p->o_imds_v1 = opts->imds_v1_fallback;
        if (dup_to(&p->o_profile, opts->profile) || dup_to(&p->o_imds, opts->imds_endpoint) ||
            dup_to(&p->o_container, opts->container_host)) {
            lc_credprov_free(&p->pub);
            nomem(err);
            return NULL;
        }
    }
    return &p->pub;
}

struct lc_credprov *lc_credprov_assume_role(struct lc_aws *aws, struct lc_credprov *source,
                                            const char *role_arn, const char *external_id,
                                            const char *session_name, const char *region,
                                            struct lc_error *err)
{
    struct prov *p = NULL;
    char name[300];

    if (!source || !role_arn || !*role_arn) {
        failf(err, LC_E_INVALID, "assume role: a source provider and a role ARN are required");
        return NULL;
    }
    snprintf(name, sizeof(name), "assume-role %s", role_arn);
    p = prov_new(aws, PK_ASSUME, name, 0, err);
    if (!p)
        return NULL;
    p->src = source;
    if (dup_to(&p->role_arn, role_arn) ||
        dup_to(&p->external_id, external_id && *external_id ? external_id : NULL) ||
        dup_to(&p->session_name, session_name && *session_name ? session_name : NULL) ||
        dup_to(&p->region, region && *region ? region : NULL)) {
        lc_credprov_free(&p->pub);
        nomem(err);
        return NULL;
    }
    return &p->pub;
}

struct lc_credprov *lc_credprov_static(struct lc_aws *aws, const struct lc_creds *creds,
                                       struct lc_error *err)
{
    struct prov *p = NULL;

    if (!creds || !creds->access_key_id || !creds->secret_access_key) {
        failf(err, LC_E_INVALID, "static credentials need an access key id and a secret key");
        return NULL;
    }
    p = prov_new(aws, PK_STATIC, "static", 0, err);
    if (!p)
        return NULL;
    if (lc_creds_copy(&p->cur, creds)) {
        lc_credprov_free(&p->pub);
        nomem(err);
        return NULL;
    }
    p->have = true;
    return &p->pub;
}

static int prov_get(struct lc_credprov *pub, lc_creds_cb cb, void *ud, struct lc_error *err)
{
    struct prov *p = pub->impl;
    struct waiter *w = NULL;

    if (p->kind == PK_CHAIN) {
        if (!p->src && !p->failed) {
            struct lc_error e;
            lc_error_clear(&e);
            if (chain_resolve(p, &e) != 0) {
                p->failed = true;
                p->fail = e;
                arm(p);
            }
        }
        if (p->src)
            return lc_credprov_get(p->src, cb, ud, err);
    }
    w = calloc(1, sizeof(*w));
    if (!w)
        return nomem(err);
    w->cb = cb;
    w->ud = ud;
    *p->wtail = w;
    p->wtail = &w->next;
    if (p->refreshing || p->failed)
        return 0;
    if (fresh(p, prov_now(p)))
        arm(p);
    else
        start_refresh(p);
    return 0;
}

static const char *prov_source(const struct lc_credprov *pub)
{
    const struct prov *p = pub->impl;

    if (p->kind == PK_CHAIN && p->src)
        return lc_credprov_source(p->src);
    return p->source;
}

static void prov_invalidate(struct lc_credprov *pub)
{
    struct prov *p = pub->impl;

    if (p->kind == PK_CHAIN) {
        lc_credprov_invalidate(p->src);
        return;
    }
    if (p->kind == PK_STATIC)
        return; /* nothing to refresh from */
    LC_DEBUG(COMP, "%s: cached credentials dropped", p->source);
    lc_creds_clear(&p->cur);
    p->have = false;
    p->hold_until = 0;
}

static void prov_cancel(struct lc_credprov *pub, lc_creds_cb cb, void *ud)
{
    struct prov *p = pub->impl;

    if (p->kind == PK_CHAIN)
        lc_credprov_cancel(p->src, cb, ud);
    drop_waiters(&p->delivering, cb, ud);
    drop_waiters(&p->waiters, cb, ud);
    p->wtail = &p->waiters;
    while (*p->wtail)
        p->wtail = &(*p->wtail)->next;
}

static void destroy(struct prov *p)
{
    struct lc_error e;

    if (p->fetch) {
        p->fetch->p = NULL; /* its callback frees it */
        if (p->fetch->http_pending)
            lc_http_cancel(lc_aws_http(p->aws), p->fetch->http_id);
        p->fetch = NULL;
    }
    /* Waiters still queued are told; they may not use the provider any more. */
    p->busy++;
    p->dead = true;
    if (p->waiters) {
        failf(&e, LC_E_CANCELLED, "%s: credential provider freed", p->source);
        deliver(p, NULL, &e);
    }
    if (p->ev)
        event_free(p->ev);
    if (p->own_src)
        lc_credprov_free(p->src);
    lc_creds_clear(&p->cur);
    free(p->source);
    free(p->role_arn);
    free(p->external_id);
    free(p->session_name);
    free(p->region);
    free(p->token_file);
    free(p->url);
    free_secret(p->auth_token);
    free(p->auth_token_file);
    free(p->o_profile);
    free(p->o_imds);
    free(p->o_container);
    free(p);
}

static void prov_free(struct lc_credprov *pub)
{
    struct prov *p = pub->impl;

    if (p->busy) {
        p->dead = true;
        return;
    }
    destroy(p);
}

static const struct lc_credprov_vtable prov_vtable = {
    .get = prov_get,
    .cancel = prov_cancel,
    .invalidate = prov_invalidate,
    .source = prov_source,
    .free = prov_free,
};
