/* The config map engine (map.h): JSON objects into structs, table driven.
 *
 * Errors name the JSON path ("targets[0].sources[1].max_age: expected a duration like "30m"").
 * Values can come from the environment ("${NAME}"), so no message ever quotes a value: they name
 * the path, what was expected and, for expanded values, the variable. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config/internal.h"
#include "core/buf.h"
#include "core/kv.h"
#include "core/timeutil.h"

/* ---- errors and paths -------------------------------------------------------------------- */

static const char *path_str(const struct lc_cfg_ctx *c)
{
    return c->path.len ? c->path.data : "(top level)";
}

__attribute__((format(printf, 3, 0))) static int vfail(struct lc_cfg_ctx *c, enum lc_err_kind kind,
                                                       const char *fmt, va_list ap)
{
    char what[448];

    vsnprintf(what, sizeof(what), fmt, ap);
    if (c->var[0])
        lc_error_set(c->err, kind, "%s: %s (value from ${%s})", path_str(c), what, c->var);
    else
        lc_error_set(c->err, kind, "%s: %s", path_str(c), what);
    return kind;
}

/* "<path>: <what>"; returns LC_E_INVALID. */
__attribute__((format(printf, 2, 3))) static int fail(struct lc_cfg_ctx *c, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vfail(c, LC_E_INVALID, fmt, ap);
    va_end(ap);
    return rc;
}

static int nomem(struct lc_cfg_ctx *c)
{
    lc_error_set(c->err, LC_E_NOMEM, "out of memory loading the configuration");
    return LC_E_NOMEM;
}

int lc_cfg_nomem(struct lc_cfg_ctx *c)
{
    return nomem(c);
}

static bool key_is_plain(const char *k)
{
    if (!*k)
        return false;
    for (const char *p = k; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch >= 0x7f || ch == '.' || ch == '[' || ch == ']' || ch == '"' ||
            ch == '\\')
            return false;
    }
    return true;
}

/* Append ".key" (or ["key"] when the key needs quoting); returns the length to pop back to. */
static size_t path_push_key(struct lc_cfg_ctx *c, const char *key)
{
    size_t old = c->path.len;

    if (key_is_plain(key) && strlen(key) <= 64) {
        (void)lc_buf_appendf(&c->path, "%s%s", old ? "." : "", key);
        return old;
    }
    (void)lc_buf_append(&c->path, "[\"", 2);
    for (size_t i = 0; key[i] && i < 64; i++) {
        unsigned char ch = (unsigned char)key[i];
        if (ch == '"' || ch == '\\')
            (void)lc_buf_appendf(&c->path, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            (void)lc_buf_appendf(&c->path, "\\x%02x", ch);
        else
            (void)lc_buf_putc(&c->path, (char)ch);
    }
    (void)lc_buf_append(&c->path, strlen(key) > 64 ? "...\"]" : "\"]", strlen(key) > 64 ? 5 : 2);
    return old;
}

static size_t path_push_index(struct lc_cfg_ctx *c, size_t i)
{
    size_t old = c->path.len;
    (void)lc_buf_appendf(&c->path, "[%zu]", i);
    return old;
}

static void path_pop(struct lc_cfg_ctx *c, size_t len)
{
    if (c->path.data && len <= c->path.len) {
        c->path.len = len;
        c->path.data[len] = '\0';
    }
}

/* ---- suggestions ------------------------------------------------------------------------- */

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Equal ignoring case, '_' and '-': "maxAge" and "max-age" are "max_age". */
static bool loose_equal(const char *a, const char *b)
{
    for (;;) {
        while (*a == '_' || *a == '-')
            a++;
        while (*b == '_' || *b == '-')
            b++;
        if (!*a || !*b)
            return !*a && !*b;
        if (lower((unsigned char)*a) != lower((unsigned char)*b))
            return false;
        a++;
        b++;
    }
}

/* Case-insensitive edit distance with transpositions (optimal string alignment); keys longer
 * than 64 get SIZE_MAX. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t d[65][65];

    if (la > 64 || lb > 64)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]);
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 &&
                lower((unsigned char)a[i - 1]) == lower((unsigned char)b[j - 2]) &&
                lower((unsigned char)a[i - 2]) == lower((unsigned char)b[j - 1]) &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

struct suggestion {
    const char *name;
    size_t dist;
};

static void consider(struct suggestion *s, const char *word, const char *cand)
{
    size_t len = strlen(cand);
    size_t limit = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
    size_t d = loose_equal(word, cand) ? 0 : edit_distance(word, cand);

    if (d <= limit && (!s->name || d < s->dist)) {
        s->name = cand;
        s->dist = d;
    }
}

/* ---- environment references -------------------------------------------------------------- */

static bool is_name_char(char ch, bool first)
{
    if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_')
        return true;
    return !first && ch >= '0' && ch <= '9';
}

/* Expand "${NAME}" references ("$${" is a literal "${") into a new string. Records the first
 * variable used in c->var for messages. */
static int expand(struct lc_cfg_ctx *c, const char *s, char **out)
{
    struct lc_buf b = {0};
    const char *p = s;
    int rc = 0;

    c->var[0] = '\0';
    while (*p && !rc) {
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            rc = lc_buf_append(&b, "${", 2);
            p += 3;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            const char *q = p;
            while (*q && *q != '$')
                q++;
            if (q == p)
                q++;
            rc = lc_buf_append(&b, p, (size_t)(q - p));
            p = q;
            continue;
        }
        const char *name = p + 2, *end = name;
        char var[LC_CFG_MAX_VAR_NAME + 1];
        while (is_name_char(*end, end == name))
            end++;
        if (*end != '}' || end == name) {
            c->var[0] = '\0';
            rc = fail(c, "expected \"${NAME}\" with NAME of letters, digits and '_' "
                         "(write \"$${\" for a literal \"${\")");
            break;
        }
        if ((size_t)(end - name) > LC_CFG_MAX_VAR_NAME) {
            c->var[0] = '\0';
            rc =
                fail(c, "environment variable name longer than %d characters", LC_CFG_MAX_VAR_NAME);
            break;
        }
        memcpy(var, name, (size_t)(end - name));
        var[end - name] = '\0';
        const char *v = getenv(var);
        if (!v) {
            c->var[0] = '\0';
            rc = fail(c, "environment variable %s is not set", var);
            break;
        }
        if (!c->var[0])
            memcpy(c->var, var, (size_t)(end - name) + 1);
        rc = lc_buf_append(&b, v, strlen(v));
        p = end + 1;
    }
    if (rc == LC_E_NOMEM || rc == LC_E_TOO_LARGE)
        rc = nomem(c);
    if (rc) {
        lc_buf_free(&b);
        return rc;
    }
    *out = lc_buf_steal(&b);
    return *out ? 0 : nomem(c);
}

/* ---- values ------------------------------------------------------------------------------ */

/* The checks every string value gets, then the entry's own. May rewrite *v. */
static int check_string(struct lc_cfg_ctx *c, const struct lc_cfg_entry *e, char **v)
{
    const char *why = NULL;
    int rc;

    if (!**v && !(e->flags & LC_CFG_EMPTY_OK))
        return fail(c, "must not be empty");
    for (const char *p = *v; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return fail(c, "must not contain control characters");
    rc = e->check ? e->check->fn(v, &why) : 0;
    if (rc == LC_E_NOMEM)
        return nomem(c);
    if (rc)
        return fail(c, "%s", why ? why : "invalid value");
    return 0;
}

/* ---- typed values ------------------------------------------------------------------------ */

static void *field(void *base, const struct lc_cfg_entry *e)
{
    return (char *)base + e->off;
}

/* "65536", "64KiB", "8MiB", "1GiB". */
static int parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *unit;
        uint64_t mult;
    } units[] = {
        {"", 1}, {"B", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024 * 1024 * 1024}};
    uint64_t n = 0;
    const char *p = s;

    if (*p < '0' || *p > '9')
        return LC_E_PARSE;
    while (*p >= '0' && *p <= '9') {
        if (__builtin_mul_overflow(n, 10, &n) ||
            __builtin_add_overflow(n, (uint64_t)(*p - '0'), &n))
            return LC_E_PARSE;
        p++;
    }
    for (size_t i = 0; i < LC_CFG_NELEM(units); i++)
        if (strcmp(p, units[i].unit) == 0)
            return __builtin_mul_overflow(n, units[i].mult, out) ? LC_E_PARSE : 0;
    return LC_E_PARSE;
}

/* Human form of a size for messages and docs: "8MiB", "1KiB", "1000". */
const char *lc_cfg_size_text(uint64_t n, char *buf, size_t len)
{
    if (n && n % (1024 * 1024) == 0)
        snprintf(buf, len, "%lluMiB", (unsigned long long)(n / (1024 * 1024)));
    else if (n && n % 1024 == 0)
        snprintf(buf, len, "%lluKiB", (unsigned long long)(n / 1024));
    else
        snprintf(buf, len, "%llu", (unsigned long long)n);
    return buf;
}

/* `"a", "b", "c"` for messages. */
static void quoted_list(const char *const *names, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; names[i] && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s\"%s\"", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static int name_index(struct lc_cfg_ctx *c, const char *const *names, const char *s, size_t *idx)
{
    struct suggestion sug = {0};
    char list[256];

    for (size_t i = 0; names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *idx = i;
            return 0;
        }
        consider(&sug, s, names[i]);
    }
    quoted_list(names, list, sizeof(list));
    if (sug.name)
        return fail(c, "expected one of %s (did you mean \"%s\"?)", list, sug.name);
    return fail(c, "expected one of %s", list);
}

/* Store a string-form value (expanded, or a default) into the entry's field. */
static int store_text(struct lc_cfg_ctx *c, const struct lc_cfg_entry *e, void *base,
                      const char *text)
{
    char lo[32], hi[32];

    switch (e->type) {
    case LC_CFG_STRING: {
        char *v = strdup(text);
        if (!v)
            return nomem(c);
        int rc = check_string(c, e, &v);
        if (rc) {
            free(v);
            return rc;
        }
        char **slot = field(base, e);
        free(*slot);
        *slot = v;
        return 0;
    }
    case LC_CFG_DURATION: {
        int64_t secs;
        if (lc_duration_parse(text, &secs) != 0)
            return fail(c, "expected a duration like \"30m\"");
        if (secs < e->min || secs > e->max)
            return fail(c, "expected a duration from %s to %s",
                        lc_duration_format(e->min, lo, sizeof(lo)),
                        lc_duration_format(e->max, hi, sizeof(hi)));
        *(int64_t *)field(base, e) = secs;
        return 0;
    }
    case LC_CFG_SIZE: {
        uint64_t n;
        if (parse_size(text, &n) != 0)
            return fail(c, "expected a size like 65536, \"64KiB\" or \"1MiB\"");
        if (n < (uint64_t)e->min || n > (uint64_t)e->max)
            return fail(c, "expected a size from %s to %s",
                        lc_cfg_size_text((uint64_t)e->min, lo, sizeof(lo)),
                        lc_cfg_size_text((uint64_t)e->max, hi, sizeof(hi)));
        *(size_t *)field(base, e) = (size_t)n;
        return 0;
    }
    case LC_CFG_ENUMSTR: {
        size_t idx;
        int rc = name_index(c, e->names, text, &idx);
        if (rc)
            return rc;
        char *v = strdup(e->names[idx]);
        if (!v)
            return nomem(c);
        char **slot = field(base, e);
        free(*slot);
        *slot = v;
        return 0;
    }
    case LC_CFG_BOOL: /* defaults only */
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
            return fail(c, "expected true or false");
        *(bool *)field(base, e) = strcmp(text, "true") == 0;
        return 0;
    case LC_CFG_INT: { /* defaults only */
        char *end;
        errno = 0;
        long long n = strtoll(text, &end, 10);
        if (errno || *end || end == text || n < e->min || n > e->max)
            return fail(c, "expected an integer from %lld to %lld", (long long)e->min,
                        (long long)e->max);
        *(int *)field(base, e) = (int)n;
        return 0;
    }
    default:
        break;
    }
    lc_error_set(c->err, LC_E_INTERNAL, "%s: no text form for this key", path_str(c));
    return LC_E_INTERNAL;
}

/* A JSON string value: expand the environment, then store. */
static int store_json_string(struct lc_cfg_ctx *c, const struct lc_cfg_entry *e, void *base,
                             const cJSON *v)
{
    char *text = NULL;
    int rc = expand(c, v->valuestring, &text);

    if (!rc)
        rc = store_text(c, e, base, text);
    free(text);
    return rc;
}

static const char *json_type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "null";
}

static int expect_string(struct lc_cfg_ctx *c, const struct lc_cfg_entry *e, const cJSON *v)
{
    if (cJSON_IsString(v))
        return 0;
    if (e->check == &lc_cfg_account && cJSON_IsNumber(v))
        return fail(c, "expected a string, not a number: write account ids in quotes "
                       "(\"012345678901\"), numbers lose leading zeros");
    return fail(c, "expected a string, not %s", json_type_name(v));
}

/* Sort helper for duplicate detection in string lists. */
struct strref {
    const char *s;
    size_t i;
};

static int strref_cmp(const void *a, const void *b)
{
    const struct strref *x = a, *y = b;
    int r = strcmp(x->s, y->s);
    if (r)
        return r;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* The earliest element (*dup) equal to an earlier one (*first) in O(n log n); *dup = SIZE_MAX
 * when all differ. 0 or LC_E_NOMEM. */
int lc_cfg_first_duplicate(const char *const *v, size_t n, size_t *dup, size_t *first)
{
    struct strref *refs;

    *dup = SIZE_MAX;
    *first = 0;
    if (n < 2)
        return 0;
    refs = malloc(n * sizeof(*refs));
    if (!refs)
        return LC_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        refs[i].s = v[i];
        refs[i].i = i;
    }
    qsort(refs, n, sizeof(*refs), strref_cmp);
    /* Equal values sort by index: the first of each run is the original. */
    for (size_t i = 1, run = 0; i < n; i++) {
        if (strcmp(refs[i].s, refs[run].s) != 0) {
            run = i;
        } else if (refs[i].i < *dup) {
            *dup = refs[i].i;
            *first = refs[run].i;
        }
    }
    free(refs);
    return 0;
}

static int parse_strlist(struct lc_cfg_ctx *c, const struct lc_cfg_entry *e, void *base,
                         const cJSON *v)
{
    char ***slot = field(base, e);
    size_t *count = (size_t *)((char *)base + e->off_n);
    size_t n = (size_t)cJSON_GetArraySize(v);
    const cJSON *it;
    size_t i = 0;
    int rc = 0;

    if (e->names && cJSON_IsString(v)) {
        for (size_t k = 0; e->names[k]; k++)
            if (strcmp(v->valuestring, e->names[k]) == 0) {
                char *word = strdup(e->names[k]);
                if (!word)
                    return nomem(c);
                memcpy((char *)base + e->off_word, &word, sizeof(word));
                return 0;
            }
    }
    if (e->names && !cJSON_IsArray(v)) {
        struct lc_buf words = {0};
        int wrc = 0;
        for (size_t k = 0; e->names[k] && !wrc; k++)
            wrc = lc_buf_appendf(&words, "%s\"%s\"", k ? " or " : "", e->names[k]);
        if (wrc)
            wrc = nomem(c);
        else if (cJSON_IsString(v))
            wrc = fail(c, "expected an array of strings, or the string %s", words.data);
        else
            wrc = fail(c, "expected an array of strings or %s, not %s", words.data,
                       json_type_name(v));
        lc_buf_free(&words);
        return wrc;
    }
    if (!cJSON_IsArray(v))
        return fail(c, "expected an array of strings, not %s", json_type_name(v));
    if (n == 0)
        return fail(c, "expected a non-empty array of strings");
    *slot = calloc(n, sizeof(char *));
    if (!*slot)
        return nomem(c);
    cJSON_ArrayForEach(it, v)
    {
        size_t mark = path_push_index(c, i);
        char *text = NULL;
        rc = expect_string(c, e, it);
        if (!rc)
            rc = expand(c, it->valuestring, &text);
        if (!rc) {
            rc = check_string(c, e, &text);
            if (rc)
                free(text);
            else
                (*slot)[(*count)++] = text;
        }
        c->var[0] = '\0';
        if (rc)
            return rc;
        path_pop(c, mark);
        i++;
    }
    if (!(e->flags & LC_CFG_UNIQUE))
        return 0;
    size_t dup, first;
    if (lc_cfg_first_duplicate((const char *const *)*slot, n, &dup, &first) == LC_E_NOMEM)
        return nomem(c);
    if (dup != SIZE_MAX) {
        size_t mark = path_push_index(c, dup);
        rc = fail(c, "duplicate of %s[%zu]", e->key, first);
        path_pop(c, mark);
    }
    return rc;
}

static bool is_comment(const char *key)
{
    return key[0] == '/' && key[1] == '/';
}

/* The candidates for a key of map m: its own keys, then those of every plugin of its plugin
 * entry (a misspelt key of another type is still a good suggestion). */
static void key_candidates(const struct lc_cfg_map *m, void (*fn)(void *ud, const char *key),
                           void *ud)
{
    for (size_t i = 0; i < m->n; i++)
        fn(ud, m->e[i].key);
    for (size_t i = 0; i < m->n; i++) {
        const struct lc_cfg_plugins *ps = m->e[i].plugins;
        for (size_t k = 0; ps && ps->at(k); k++) {
            const struct lc_cfg_map *o = ps->plugin(ps->at(k))->options;
            for (size_t j = 0; o && j < o->n; j++)
                fn(ud, o->e[j].key);
        }
    }
}

/* The map among those reachable from m that has key, other than the one asked about. */
static const struct lc_cfg_map *map_with_key(const struct lc_cfg_map *m,
                                             const struct lc_cfg_map *skip, const char *key)
{
    for (size_t i = 0; m != skip && i < m->n; i++)
        if (strcmp(m->e[i].key, key) == 0 && m->path[0])
            return m;
    for (size_t i = 0; i < m->n; i++) {
        const struct lc_cfg_map *found = NULL;
        const struct lc_cfg_plugins *ps = m->e[i].plugins;
        if (m->e[i].sub)
            found = map_with_key(m->e[i].sub, skip, key);
        for (size_t k = 0; !found && ps && ps->at(k); k++) {
            const struct lc_cfg_map *o = ps->plugin(ps->at(k))->options;
            found = o ? map_with_key(o, skip, key) : NULL;
        }
        if (found)
            return found;
    }
    return NULL;
}

struct unknown {
    const char *key;
    const char *names[128]; /* each candidate once: plugins may share a key */
    size_t n;
};

static void unknown_add(void *ud, const char *cand)
{
    struct unknown *u = ud;

    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->names[i], cand) == 0)
            return;
    if (u->n < LC_CFG_NELEM(u->names))
        u->names[u->n++] = cand;
}

/* "did you mean" among the candidates, else the list of them. */
static int unknown_fail(struct lc_cfg_ctx *c, const struct unknown *u, const char *what,
                        const struct lc_cfg_map *m)
{
    struct suggestion sug = {0};
    char list[320];
    size_t used = 0;

    list[0] = '\0';
    for (size_t i = 0; i < u->n; i++) {
        consider(&sug, u->key, u->names[i]);
        int w = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", u->names[i]);
        if (w > 0 && (size_t)w < sizeof(list) - used)
            used += (size_t)w;
    }
    if (sug.name)
        return fail(c, "unknown %s (did you mean \"%s\"?)", what, sug.name);
    const struct lc_cfg_map *o = m ? map_with_key(c->root, m, u->key) : NULL;
    if (o)
        return fail(c, "unknown %s (\"%s\" is a key of %s)", what, u->key, o->path);
    return fail(c, "unknown %s (expected one of: %s)", what, list);
}

/* The unknown-key message: a close key of this table, else the table that has the key, else the
 * list of valid keys. */
static int unknown_key(struct lc_cfg_ctx *c, const char *key, const struct lc_cfg_map *m)
{
    struct unknown u = {.key = key};

    key_candidates(m, unknown_add, &u);
    return unknown_fail(c, &u, "key", m);
}

/* The unknown-name message of a LC_CFG_MAP key. */
static int unknown_name(struct lc_cfg_ctx *c, const char *key, const char *const *names,
                        const char *what)
{
    struct unknown u = {.key = key};

    for (size_t i = 0; names[i]; i++)
        unknown_add(&u, names[i]);
    return unknown_fail(c, &u, what, NULL);
}

static int parse_map(struct lc_cfg_ctx *c, const struct lc_cfg_entry *e, void *base, const cJSON *v)
{
    struct lc_kvlist *kv = field(base, e);
    uint64_t seen = 0;
    const cJSON *it;
    int rc = 0;

    if (!cJSON_IsObject(v))
        return fail(c, "expected an object, not %s", json_type_name(v));
    cJSON_ArrayForEach(it, v)
    {
        size_t idx = 0, mark;
        char *text = NULL;

        if (is_comment(it->string))
            continue;
        mark = path_push_key(c, it->string);
        while (e->names[idx] && strcmp(e->names[idx], it->string) != 0)
            idx++;
        if (!e->names[idx])
            return unknown_name(c, it->string, e->names, "service");
        if (seen & (1ull << idx))
            return fail(c, "duplicate key (a key may appear only once per object)");
        seen |= 1ull << idx;
        if (cJSON_IsNull(it)) {
            path_pop(c, mark);
            continue;
        }
        rc = expect_string(c, e, it);
        if (!rc)
            rc = expand(c, it->valuestring, &text);
        if (!rc)
            rc = check_string(c, e, &text);
        if (!rc && lc_kv_add(kv, it->string, text) != 0)
            rc = nomem(c);
        free(text);
        c->var[0] = '\0';
        if (rc)
            return rc;
        path_pop(c, mark);
    }
    return 0;
}

static int parse_object(struct lc_cfg_ctx *c, const cJSON *obj, const struct lc_cfg_map *m,
                        void *base);

static int parse_objarray(struct lc_cfg_ctx *c, const struct lc_cfg_entry *e, void *base,
                          const cJSON *v)
{
    size_t n = (size_t)cJSON_GetArraySize(v);
    size_t *count = (size_t *)((char *)base + e->off_n);
    const cJSON *it;
    char *items;
    size_t i = 0;

    if (!cJSON_IsArray(v))
        return fail(c, "expected an array of objects, not %s", json_type_name(v));
    if (n == 0)
        return fail(c, "expected a non-empty array of objects");
    items = calloc(n, e->sub->size);
    if (!items)
        return nomem(c);
    memcpy(field(base, e), &items, sizeof(items));
    *count = n; /* zeroed elements free cleanly if parsing stops half way */
    cJSON_ArrayForEach(it, v)
    {
        size_t mark = path_push_index(c, i);
        int rc;
        if (!cJSON_IsObject(it))
            return fail(c, "expected an object, not %s", json_type_name(it));
        rc = parse_object(c, it, e->sub, items + i * e->sub->size);
        if (rc)
            return rc;
        path_pop(c, mark);
        i++;
    }
    return 0;
}

static int parse_value(struct lc_cfg_ctx *c, const struct lc_cfg_entry *e, void *base,
                       const cJSON *v)
{
    switch (e->type) {
    case LC_CFG_STRING:
    case LC_CFG_ENUMSTR:
        if (!cJSON_IsString(v))
            return expect_string(c, e, v);
        return store_json_string(c, e, base, v);
    case LC_CFG_DURATION:
        if (!cJSON_IsString(v))
            return fail(c, "expected a duration like \"30m\"");
        return store_json_string(c, e, base, v);
    case LC_CFG_SIZE:
        if (cJSON_IsNumber(v)) {
            char lo[32], hi[32];
            double d = v->valuedouble;
            if (!(d >= (double)e->min && d <= (double)e->max) || (double)(int64_t)d != d)
                return fail(c, "expected a size from %s to %s",
                            lc_cfg_size_text((uint64_t)e->min, lo, sizeof(lo)),
                            lc_cfg_size_text((uint64_t)e->max, hi, sizeof(hi)));
            *(size_t *)field(base, e) = (size_t)d;
            return 0;
        }
        if (!cJSON_IsString(v))
            return fail(c, "expected a size like 65536, \"64KiB\" or \"1MiB\"");
        return store_json_string(c, e, base, v);
    case LC_CFG_BOOL:
        if (!cJSON_IsBool(v))
            return fail(c, "expected true or false, not %s", json_type_name(v));
        *(bool *)field(base, e) = cJSON_IsTrue(v);
        return 0;
    case LC_CFG_INT: {
        double d = v->valuedouble;
        if (!cJSON_IsNumber(v) || !(d >= (double)e->min && d <= (double)e->max) ||
            (double)(int64_t)d != d)
            return fail(c, "expected an integer from %lld to %lld", (long long)e->min,
                        (long long)e->max);
        *(int *)field(base, e) = (int)d;
        return 0;
    }
    case LC_CFG_STRLIST:
        return parse_strlist(c, e, base, v);
    case LC_CFG_MAP:
        return parse_map(c, e, base, v);
    case LC_CFG_OBJECT:
        if (!cJSON_IsObject(v))
            return fail(c, "expected an object, not %s", json_type_name(v));
        return parse_object(c, v, e->sub, base);
    case LC_CFG_OBJARRAY:
        return parse_objarray(c, e, base, v);
    case LC_CFG_PLUGIN:
        break; /* read first, by parse_object */
    }
    lc_error_set(c->err, LC_E_INTERNAL, "%s: unknown key type", path_str(c));
    return LC_E_INTERNAL;
}

/* ---- plugins ----------------------------------------------------------------------------- */

static const struct lc_cfg_entry *plugin_entry(const struct lc_cfg_map *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].type == LC_CFG_PLUGIN)
            return &m->e[i];
    return NULL;
}

/* The plugin's default for a key of the object's own map, else NULL. */
static const char *plugin_default(const struct lc_cfg_plugin *p, const char *key)
{
    for (size_t i = 0; p && p->defaults && p->defaults[i].key; i++)
        if (strcmp(p->defaults[i].key, key) == 0)
            return p->defaults[i].value;
    return NULL;
}

static bool plugin_requires(const struct lc_cfg_plugin *p, const char *key)
{
    for (size_t i = 0; p && p->requires && p->requires[i]; i++)
        if (strcmp(p->requires[i], key) == 0)
            return true;
    return false;
}

static const struct lc_cfg_entry *map_find(const struct lc_cfg_map *m, const char *key)
{
    for (size_t i = 0; m && i < m->n; i++)
        if (strcmp(m->e[i].key, key) == 0)
            return &m->e[i];
    return NULL;
}

/* A key of one of the plugins of e. */
static bool plugin_has_key(const struct lc_cfg_entry *e, const char *key)
{
    for (size_t i = 0; e->plugins->at(i); i++)
        if (map_find(e->plugins->plugin(e->plugins->at(i))->options, key))
            return true;
    return false;
}

/* "\"type\": \"a\" or \"b\"": the plugins of e that have key among their own. */
static void plugins_with_key(const struct lc_cfg_entry *e, const char *key, char *buf, size_t len)
{
    const struct lc_cfg_plugins *ps = e->plugins;
    size_t used = 0, k = 0;
    int w = snprintf(buf, len, "\"%s\": ", e->key);

    if (w > 0)
        used = (size_t)w;
    for (size_t i = 0; ps->at(i) && used < len; i++) {
        const struct lc_cfg_plugin *p = ps->plugin(ps->at(i));
        if (!map_find(p->options, key))
            continue;
        w = snprintf(buf + used, len - used, "%s\"%s\"", k++ ? " or " : "", p->name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* "type": the module of that name, and a fresh options struct for its keys. */
static int parse_plugin(struct lc_cfg_ctx *c, const struct lc_cfg_entry *e, void *base,
                        const cJSON *v, const struct lc_cfg_plugin **out)
{
    const struct lc_cfg_plugins *ps = e->plugins;
    const char *names[64];
    size_t n = 0, idx;
    char *text = NULL;
    int rc;

    if (!cJSON_IsString(v))
        return expect_string(c, e, v);
    for (; n < LC_CFG_NELEM(names) - 1 && ps->at(n); n++)
        names[n] = ps->plugin(ps->at(n))->name;
    names[n] = NULL;
    rc = expand(c, v->valuestring, &text);
    if (!rc)
        rc = name_index(c, names, text, &idx);
    free(text);
    if (rc)
        return rc;
    const void *module = ps->at(idx);
    const struct lc_cfg_plugin *p = ps->plugin(module);
    memcpy(field(base, e), &module, sizeof(module));
    if (p->options) {
        void *opts = calloc(1, p->options->size ? p->options->size : 1);
        if (!opts)
            return nomem(c);
        memcpy((char *)base + e->opts_off, &opts, sizeof(opts));
    }
    *out = p;
    return 0;
}

/* ---- objects ----------------------------------------------------------------------------- */

/* One map's share of an object: the object's own keys, or its plugin's. */
struct layer {
    const struct lc_cfg_map *m;
    void *base;
    uint64_t seen, set;
};

/* The entry for key in the layers, or NULL; *which says whose. */
static const struct lc_cfg_entry *layer_find(struct layer *l, size_t nl, const char *key,
                                             size_t *which, size_t *index)
{
    for (size_t k = 0; k < nl; k++) {
        const struct lc_cfg_entry *e = map_find(l[k].m, key);
        if (e) {
            *which = k;
            *index = (size_t)(e - l[k].m->e);
            return e;
        }
    }
    return NULL;
}

/* Absent keys: required ones are errors, the others get their (or the plugin's) default. */
static int layer_defaults(struct lc_cfg_ctx *c, struct layer *l, const struct lc_cfg_plugin *p,
                          bool own)
{
    int rc = 0;

    for (size_t i = 0; i < l->m->n && !rc; i++) {
        const struct lc_cfg_entry *e = &l->m->e[i];
        const char *def = own ? plugin_default(p, e->key) : NULL;
        size_t mark;
        if ((l->set & (1ull << i)) || e->type == LC_CFG_PLUGIN)
            continue;
        if (!def)
            def = e->def;
        mark = path_push_key(c, e->key);
        if (e->type == LC_CFG_OBJECT)
            rc = parse_object(c, NULL, e->sub, l->base);
        else if (def)
            rc = store_text(c, e, l->base, def);
        if (rc)
            return rc;
        path_pop(c, mark);
    }
    return 0;
}

static int layer_required(struct lc_cfg_ctx *c, struct layer *l, const struct lc_cfg_plugin *p,
                          bool own, const char *disc)
{
    for (size_t i = 0; i < l->m->n; i++) {
        const struct lc_cfg_entry *e = &l->m->e[i];
        if (l->set & (1ull << i))
            continue;
        if (own && (e->flags & LC_CFG_REQUIRED) && !plugin_default(p, e->key)) {
            path_push_key(c, e->key);
            return fail(c, "required key is missing");
        }
        if (own && plugin_requires(p, e->key)) {
            path_push_key(c, e->key);
            return fail(c, "required key is missing");
        }
        if (!own && (e->flags & LC_CFG_REQUIRED)) {
            path_push_key(c, e->key);
            return fail(c, "required key is missing (\"%s\": \"%s\")", disc, p->name);
        }
    }
    return 0;
}

/* An object of table m into base: keys in file order, then required keys, keys of other plugin
 * types, defaults and the tables' cross-key rules. A table with a plugin entry reads that key
 * first: the plugin's own keys live in its options struct. obj may be NULL (absent: defaults
 * only). */
static int parse_object(struct lc_cfg_ctx *c, const cJSON *obj, const struct lc_cfg_map *m,
                        void *base)
{
    struct layer l[2] = {{.m = m, .base = base}};
    const struct lc_cfg_entry *pe = plugin_entry(m);
    const struct lc_cfg_plugin *plugin = NULL;
    const char *foreign = NULL; /* the first key of another plugin type */
    size_t nl = 1;
    const cJSON *it;
    int rc = 0;

    if (pe && obj) {
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(obj, pe->key);
        if (pv && !cJSON_IsNull(pv)) {
            size_t mark = path_push_key(c, pe->key);
            rc = parse_plugin(c, pe, base, pv, &plugin);
            c->var[0] = '\0';
            if (rc)
                return rc;
            path_pop(c, mark);
        }
        if (plugin && plugin->options) {
            void *opts;
            memcpy(&opts, (char *)base + pe->opts_off, sizeof(opts));
            l[nl++] = (struct layer){.m = plugin->options, .base = opts};
        }
    }
    cJSON_ArrayForEach(it, obj)
    {
        size_t k = 0, i = 0, mark;
        if (is_comment(it->string))
            continue;
        mark = path_push_key(c, it->string);
        const struct lc_cfg_entry *e = layer_find(l, nl, it->string, &k, &i);
        if (!e && pe && plugin_has_key(pe, it->string)) {
            if (!foreign)
                foreign = it->string;
            path_pop(c, mark);
            continue;
        }
        if (!e)
            return unknown_key(c, it->string, m);
        if (l[k].seen & (1ull << i))
            return fail(c, "duplicate key (a key may appear only once per object)");
        l[k].seen |= 1ull << i;
        if (!cJSON_IsNull(it)) {
            l[k].set |= 1ull << i;
            if (e != pe)
                rc = parse_value(c, e, l[k].base, it);
            c->var[0] = '\0';
            if (rc)
                return rc;
        }
        path_pop(c, mark);
    }
    for (size_t k = 0; k < nl && !rc; k++)
        rc = layer_required(c, &l[k], plugin, k == 0, pe ? pe->key : "");
    if (!rc && foreign) {
        char want[160];
        plugins_with_key(pe, foreign, want, sizeof(want));
        path_push_key(c, foreign);
        return fail(c, "only valid with %s", want);
    }
    for (size_t k = 0; k < nl && !rc; k++)
        rc = layer_defaults(c, &l[k], plugin, k == 0);
    for (size_t k = nl; k-- > 0 && !rc;)
        if (l[k].m->finish)
            rc = l[k].m->finish(c, l[k].base);
    return rc;
}

static void free_object(const struct lc_cfg_map *m, void *base)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct lc_cfg_entry *e = &m->e[i];
        switch (e->type) {
        case LC_CFG_STRING:
        case LC_CFG_ENUMSTR:
            free(*(char **)field(base, e));
            break;
        case LC_CFG_STRLIST: {
            char **list = *(char ***)field(base, e);
            size_t n = *(size_t *)((char *)base + e->off_n);
            for (size_t k = 0; list && k < n; k++)
                free(list[k]);
            free(list);
            if (e->names) {
                char *word;
                memcpy(&word, (char *)base + e->off_word, sizeof(word));
                free(word);
            }
            break;
        }
        case LC_CFG_MAP:
            lc_kv_free(field(base, e));
            break;
        case LC_CFG_OBJECT:
            free_object(e->sub, base);
            break;
        case LC_CFG_OBJARRAY: {
            char *items;
            size_t n = *(size_t *)((char *)base + e->off_n);
            memcpy(&items, field(base, e), sizeof(items));
            for (size_t k = 0; items && k < n; k++)
                free_object(e->sub, items + k * e->sub->size);
            free(items);
            break;
        }
        case LC_CFG_PLUGIN: {
            const void *module;
            void *opts;
            memcpy(&module, field(base, e), sizeof(module));
            memcpy(&opts, (char *)base + e->opts_off, sizeof(opts));
            if (module && opts)
                free_object(e->plugins->plugin(module)->options, opts);
            free(opts);
            break;
        }
        default:
            break;
        }
    }
}

void lc_cfg_free(const struct lc_cfg_map *m, void *base)
{
    if (base)
        free_object(m, base);
}

int lc_cfg_parse(const cJSON *root, const struct lc_cfg_map *m, void *base, struct lc_error *err)
{
    struct lc_cfg_ctx c = {.err = err, .root = m};
    int rc;

    if (!cJSON_IsObject(root))
        rc = fail(&c, "expected a JSON object, not %s", json_type_name(root));
    else
        rc = parse_object(&c, root, m, base);
    lc_buf_free(&c.path);
    return rc;
}

void lc_cfg_walk(const struct lc_cfg_map *m, void (*fn)(void *ud, const struct lc_cfg_map *m),
                 void *ud)
{
    fn(ud, m);
    for (size_t i = 0; i < m->n; i++) {
        const struct lc_cfg_plugins *ps = m->e[i].plugins;
        if (m->e[i].sub)
            lc_cfg_walk(m->e[i].sub, fn, ud);
        for (size_t k = 0; ps && ps->at(k); k++) {
            const struct lc_cfg_map *o = ps->plugin(ps->at(k))->options;
            if (o)
                lc_cfg_walk(o, fn, ud);
        }
    }
}

int lc_cfg_fail_at(struct lc_cfg_ctx *c, const char *key, const char *fmt, ...)
{
    size_t mark = path_push_key(c, key);
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vfail(c, LC_E_INVALID, fmt, ap);
    va_end(ap);
    path_pop(c, mark);
    return rc;
}

int lc_cfg_fail_at_index(struct lc_cfg_ctx *c, const char *key, size_t index, const char *key2,
                         const char *fmt, ...)
{
    size_t mark = path_push_key(c, key);
    va_list ap;
    int rc;

    path_push_index(c, index);
    path_push_key(c, key2);
    va_start(ap, fmt);
    rc = vfail(c, LC_E_INVALID, fmt, ap);
    va_end(ap);
    path_pop(c, mark);
    return rc;
}

/* ---- options by key ---------------------------------------------------------------------- */

const char *lc_cfg_option_string(const struct lc_cfg_plugin *p, const void *opts, const char *key)
{
    const struct lc_cfg_entry *e = p && opts ? map_find(p->options, key) : NULL;
    const char *v = NULL;

    if (e && (e->type == LC_CFG_STRING || e->type == LC_CFG_ENUMSTR))
        memcpy(&v, (const char *)opts + e->off, sizeof(v));
    return v;
}

bool lc_cfg_option_bool(const struct lc_cfg_plugin *p, const void *opts, const char *key)
{
    const struct lc_cfg_entry *e = p && opts ? map_find(p->options, key) : NULL;
    bool v = false;

    if (e && e->type == LC_CFG_BOOL)
        memcpy(&v, (const char *)opts + e->off, sizeof(v));
    return v;
}
