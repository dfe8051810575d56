/* The shared config and credentials files. See ini.h for the format and the profile rules. */
#include "aws/creds/ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aws/creds/util.h"
#include "core/array.h"
#include "core/buf.h"
#include "core/log.h"

#define FILE_MAX ((size_t)1 << 20) /* shared config / credentials file */

static void ini_free(struct lc_ini *ini)
{
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->secs[i].name);
        lc_creds_kv_wipe_free(&ini->secs[i].kv);
    }
    free(ini->secs);
    free(ini->path);
    memset(ini, 0, sizeof(*ini));
}

static struct lc_ini_sec *ini_section(struct lc_ini *ini, const char *name)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->secs[i].name, name) == 0)
            return &ini->secs[i];
    if (LC_ARRAY_GROW(ini->secs, ini->n, ini->cap))
        return NULL;
    struct lc_ini_sec *sec = &ini->secs[ini->n];
    memset(sec, 0, sizeof(*sec));
    sec->name = strdup(name);
    if (!sec->name)
        return NULL;
    ini->n++;
    return sec;
}

/* text is NUL-terminated at text[len] and is modified. */
static int ini_parse(struct lc_ini *ini, char *text, size_t len, struct lc_error *err)
{
    struct lc_ini_sec *sec = NULL;
    bool have_key = false;
    size_t key_indent = 0;
    unsigned lineno = 0;
    char *p = text;
    char *end = text + len;

    if (memchr(text, '\0', len))
        return lc_creds_fail(err, LC_E_CREDENTIALS, "%s: contains a NUL byte", ini->path);
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
        s = lc_creds_trim(s, eol);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (indent > 0 && have_key && indent > key_indent)
            continue; /* continuation or nested sub-section */
        if (*s == '[') {
            size_t n = strlen(s);
            if (n < 3 || s[n - 1] != ']')
                return lc_creds_fail(err, LC_E_CREDENTIALS, "%s:%u: malformed section header",
                                     ini->path, lineno);
            char *name = lc_creds_trim(s + 1, s + n - 1);
            if (!*name)
                return lc_creds_fail(err, LC_E_CREDENTIALS, "%s:%u: empty section name", ini->path,
                                     lineno);
            sec = ini_section(ini, name);
            if (!sec)
                return lc_creds_nomem(err);
            have_key = false;
            continue;
        }
        if (!sec)
            return lc_creds_fail(err, LC_E_CREDENTIALS, "%s:%u: setting outside of any [section]",
                                 ini->path, lineno);
        char *d = s + strcspn(s, "=:");
        if (!*d)
            return lc_creds_fail(err, LC_E_CREDENTIALS, "%s:%u: expected 'key = value'", ini->path,
                                 lineno);
        char delim = *d;
        char *key = lc_creds_trim(s, d);
        char *val = lc_creds_trim(d + 1, d + 1 + strlen(d + 1));
        if (!*key)
            return lc_creds_fail(err, LC_E_CREDENTIALS, "%s:%u: missing key before '%c'", ini->path,
                                 lineno, delim);
        for (char *k = key; *k; k++)
            *k = (char)tolower((unsigned char)*k);
        if (lc_kv_set(&sec->kv, key, val))
            return lc_creds_nomem(err);
        have_key = true;
        key_indent = indent;
    }
    return 0;
}

/* Load path. A missing file is absent, not an error. Another failure to read is an error when
 * the path was chosen explicitly (environment variable), else a warning. */
static int ini_load(struct lc_ini *ini, const char *path, bool explicit, struct lc_error *err)
{
    struct lc_buf b = {0};
    int rc = 0;

    ini->path = lc_creds_expand_home(path);
    if (!ini->path) {
        if (path[0] == '~') /* no HOME: the default files cannot exist */
            return 0;
        return lc_creds_nomem(err);
    }
    if (lc_creds_read_file(ini->path, FILE_MAX, &b) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        const char *why = errno == EFBIG ? "file too large" : strerror(errno);
        if (explicit)
            return lc_creds_fail(err, LC_E_CREDENTIALS, "cannot read %s: %s", ini->path, why);
        LC_WARN(LC_CREDS_COMP, "ignoring %s: %s", ini->path, why);
        return 0;
    }
    ini->present = true;
    rc = ini_parse(ini, b.data, b.len, err);
    lc_creds_buf_wipe_free(&b);
    return rc;
}

void lc_awsfiles_free(struct lc_awsfiles *f)
{
    ini_free(&f->cfg);
    ini_free(&f->cred);
}

int lc_awsfiles_load(struct lc_awsfiles *f, struct lc_error *err)
{
    const char *cfg = lc_creds_env("AWS_CONFIG_FILE");
    const char *cred = lc_creds_env("AWS_SHARED_CREDENTIALS_FILE");
    int rc;

    memset(f, 0, sizeof(*f));
    rc = ini_load(&f->cfg, cfg ? cfg : "~/.aws/config", cfg != NULL, err);
    if (!rc)
        rc = ini_load(&f->cred, cred ? cred : "~/.aws/credentials", cred != NULL, err);
    if (rc)
        lc_awsfiles_free(f);
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

const char *lc_awsfiles_cfg_get(const struct lc_ini *cfg, const char *profile, const char *key)
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

const char *lc_awsfiles_cred_get(const struct lc_ini *cred, const char *profile, const char *key)
{
    for (size_t i = 0; i < cred->n; i++) {
        if (strcmp(cred->secs[i].name, profile) != 0)
            continue;
        const char *x = lc_kv_get(&cred->secs[i].kv, key);
        return x && *x ? x : NULL;
    }
    return NULL;
}

const char *lc_awsfiles_get(const struct lc_awsfiles *f, const char *profile, const char *key)
{
    const char *v = lc_awsfiles_cred_get(&f->cred, profile, key);
    return v ? v : lc_awsfiles_cfg_get(&f->cfg, profile, key);
}

bool lc_awsfiles_has_profile(const struct lc_awsfiles *f, const char *profile)
{
    for (size_t i = 0; i < f->cred.n; i++)
        if (strcmp(f->cred.secs[i].name, profile) == 0)
            return true;
    for (size_t i = 0; i < f->cfg.n; i++)
        if (cfg_section_is(f->cfg.secs[i].name, profile))
            return true;
    return false;
}

bool lc_awsfiles_has_keys(const struct lc_awsfiles *f, const char *profile)
{
    return lc_awsfiles_get(f, profile, "aws_access_key_id") ||
           lc_awsfiles_get(f, profile, "aws_secret_access_key");
}
