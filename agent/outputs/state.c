/* The state file: incidents, outbox and dead letters across runs. See state.h for the rules. */
#include "outputs/state.h"
#include "probes/probe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/array.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/timeutil.h"

#define TMP_PREFIX ".state.json.tmp."

static const char *const kind_names[] = {"trigger", "resolve", "renotify"};

const char *lc_notify_kind_name(enum lc_notify_kind k)
{
    return (unsigned)k < 3 ? kind_names[k] : "unknown";
}

static int kind_parse(const char *s, enum lc_notify_kind *out)
{
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (enum lc_notify_kind)i;
            return 0;
        }
    }
    return LC_E_PARSE;
}

static int sev_rank(const char *s)
{
    if (s && strcmp(s, "critical") == 0)
        return 2;
    if (s && strcmp(s, "warning") == 0)
        return 1;
    return 0;
}

const char *lc_incident_key(const struct lc_finding *f, char *buf, size_t len)
{
    int n;

    if (f->stream)
        n = snprintf(buf, len, "%s/%s", lc_finding_name(f->code), f->stream->id);
    else
        n = snprintf(buf, len, "%s/%s/canary", lc_finding_name(f->code), f->target->name);
    if (n < 0 || (size_t)n >= len) {
        if (len)
            buf[0] = '\0';
    }
    return buf;
}

/* ---- small helpers ----------------------------------------------------------------------- */

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void set_iso(cJSON *o, const char *name, time_t t)
{
    char buf[LC_TIME_ISO8601_LEN];

    if (t)
        cJSON_AddStringToObject(o, name, lc_time_format_iso8601(t, buf));
    else
        cJSON_AddNullToObject(o, name);
}

/* A time field: ISO-8601 string or null (0). Missing is an error. */
static int get_iso(const cJSON *o, const char *name, time_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (cJSON_IsNull(v)) {
        *out = 0;
        return 0;
    }
    if (!cJSON_IsString(v) || lc_time_parse_iso8601(v->valuestring, out) != 0)
        return LC_E_PARSE;
    return 0;
}

static const char *get_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int get_u64(const cJSON *o, const char *name, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
        (double)(uint64_t)v->valuedouble != v->valuedouble)
        return LC_E_PARSE;
    *out = (uint64_t)v->valuedouble;
    return 0;
}

static void incident_free(struct lc_incident *in)
{
    free(in->key);
    free(in->code);
    free(in->target);
    free(in->stream);
    free(in->severity);
    free(in->summary);
    cJSON_Delete(in->finding);
    memset(in, 0, sizeof(*in));
}

static void item_free(struct lc_outbox_item *it)
{
    free(it->sink);
    free(it->incident_key);
    cJSON_Delete(it->event);
    free(it->last_error);
    free(it->dead_reason);
    memset(it, 0, sizeof(*it));
}

static void state_clear(struct lc_state *st)
{
    for (size_t i = 0; i < st->n_incidents; i++)
        incident_free(&st->incidents[i]);
    free(st->incidents);
    for (size_t i = 0; i < st->n_outbox; i++)
        item_free(&st->outbox[i]);
    free(st->outbox);
    for (size_t i = 0; i < st->n_dead; i++)
        item_free(&st->dead[i]);
    free(st->dead);
    st->incidents = NULL;
    st->outbox = st->dead = NULL;
    st->n_incidents = st->n_outbox = st->n_dead = 0;
    st->cap_incidents = st->cap_outbox = st->cap_dead = 0;
    st->last_success = 0;
    st->next_seq = 1;
    st->dead_dropped = 0;
}

static int path_join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= len ? LC_E_INVALID : 0;
}

/* ---- (de)serialisation ------------------------------------------------------------------- */

static cJSON *item_json(const struct lc_outbox_item *it, bool dead)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "seq", (double)it->seq);
    cJSON_AddStringToObject(o, "sink", it->sink);
    cJSON_AddStringToObject(o, "kind", lc_notify_kind_name(it->kind));
    cJSON_AddStringToObject(o, "incident_key", it->incident_key);
    cJSON_AddItemToObject(o, "event", cJSON_Duplicate(it->event, 1));
    cJSON_AddNumberToObject(o, "attempts", it->attempts);
    set_iso(o, "first_queued", it->first_queued);
    set_iso(o, "last_attempt", it->last_attempt);
    if (it->last_error)
        cJSON_AddStringToObject(o, "last_error", it->last_error);
    else
        cJSON_AddNullToObject(o, "last_error");
    if (dead)
        cJSON_AddStringToObject(o, "dead_reason", it->dead_reason ? it->dead_reason : "");
    return o;
}

static cJSON *state_json(const struct lc_state *st, time_t now)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *inc, *ob, *dl;

    cJSON_AddNumberToObject(root, "version", LC_STATE_VERSION);
    set_iso(root, "updated_at", now);
    set_iso(root, "last_success", st->last_success);
    cJSON_AddNumberToObject(root, "next_seq", (double)st->next_seq);
    cJSON_AddNumberToObject(root, "dead_dropped", (double)st->dead_dropped);
    inc = cJSON_AddArrayToObject(root, "incidents");
    for (size_t i = 0; i < st->n_incidents; i++) {
        const struct lc_incident *in = &st->incidents[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(inc, o);
        cJSON_AddStringToObject(o, "key", in->key);
        cJSON_AddStringToObject(o, "code", in->code);
        cJSON_AddStringToObject(o, "target", in->target);
        if (in->stream)
            cJSON_AddStringToObject(o, "stream", in->stream);
        else
            cJSON_AddNullToObject(o, "stream");
        cJSON_AddStringToObject(o, "severity", in->severity);
        cJSON_AddStringToObject(o, "summary", in->summary);
        set_iso(o, "opened_at", in->opened_at);
        set_iso(o, "last_seen", in->last_seen);
        set_iso(o, "last_notified_at", in->last_notified_at);
        cJSON_AddItemToObject(o, "finding", cJSON_Duplicate(in->finding, 1));
    }
    ob = cJSON_AddArrayToObject(root, "outbox");
    for (size_t i = 0; i < st->n_outbox; i++)
        cJSON_AddItemToArray(ob, item_json(&st->outbox[i], false));
    dl = cJSON_AddArrayToObject(root, "dead_letters");
    for (size_t i = 0; i < st->n_dead; i++)
        cJSON_AddItemToArray(dl, item_json(&st->dead[i], true));
    return root;
}

static int item_parse(const cJSON *o, bool dead, struct lc_outbox_item *it, const char **why)
{
    const char *sink = get_str(o, "sink"), *kind = get_str(o, "kind");
    const char *key = get_str(o, "incident_key"), *le = get_str(o, "last_error");
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
    const cJSON *att = cJSON_GetObjectItemCaseSensitive(o, "attempts");
    uint64_t seq;

    *why = "an outbox item lacks a field or has a wrong type";
    if (!cJSON_IsObject(o) || !sink || !kind || !key || !cJSON_IsObject(ev) ||
        !cJSON_IsNumber(att) || get_u64(o, "seq", &seq) || kind_parse(kind, &it->kind) ||
        get_iso(o, "first_queued", &it->first_queued) ||
        get_iso(o, "last_attempt", &it->last_attempt))
        return LC_E_PARSE;
    if (dead && !get_str(o, "dead_reason"))
        return LC_E_PARSE;
    it->seq = seq;
    it->attempts = att->valueint;
    it->sink = strdup(sink);
    it->incident_key = strdup(key);
    it->event = cJSON_Duplicate(ev, 1);
    it->last_error = xstrdup(le);
    it->dead_reason = dead ? xstrdup(get_str(o, "dead_reason")) : NULL;
    if (!it->sink || !it->incident_key || !it->event || (le && !it->last_error) ||
        (dead && !it->dead_reason))
        return LC_E_NOMEM;
    return 0;
}

static int items_parse(const cJSON *arr, bool dead, struct lc_outbox_item **out, size_t *n,
                       size_t *cap, const char **why)
{
    int cnt = cJSON_GetArraySize(arr);
    const cJSON *o;
    int rc;

    if (!cJSON_IsArray(arr)) {
        *why = dead ? "\"dead_letters\" is not an array" : "\"outbox\" is not an array";
        return LC_E_PARSE;
    }
    if (cnt == 0)
        return 0;
    *out = calloc((size_t)cnt, sizeof(**out));
    if (!*out)
        return LC_E_NOMEM;
    *cap = (size_t)cnt;
    cJSON_ArrayForEach(o, arr)
    {
        rc = item_parse(o, dead, &(*out)[*n], why);
        (*n)++; /* counted even when half-filled, so it is freed */
        if (rc)
            return rc;
    }
    return 0;
}

static int incident_cmp(const void *a, const void *b)
{
    return strcmp(((const struct lc_incident *)a)->key, ((const struct lc_incident *)b)->key);
}

static int item_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct lc_outbox_item *)a)->seq,
             y = ((const struct lc_outbox_item *)b)->seq;
    return x < y ? -1 : x > y;
}

/* Fill st from the document; LC_E_PARSE with *why for a damaged shape. */
static int state_parse(struct lc_state *st, const cJSON *root, const char **why)
{
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *inc = cJSON_GetObjectItemCaseSensitive(root, "incidents");
    const cJSON *o;
    uint64_t seq = 0, dropped = 0;
    int rc;

    *why = "not a JSON object";
    if (!cJSON_IsObject(root))
        return LC_E_PARSE;
    *why = "unsupported version (expected 1)";
    if (!cJSON_IsNumber(ver) || ver->valuedouble != LC_STATE_VERSION)
        return LC_E_PARSE;
    *why = "a top-level field is missing or has a wrong type";
    if (!cJSON_IsArray(inc) || get_u64(root, "next_seq", &seq) ||
        get_u64(root, "dead_dropped", &dropped) || get_iso(root, "last_success", &st->last_success))
        return LC_E_PARSE;
    st->next_seq = seq ? seq : 1;
    st->dead_dropped = dropped;
    if (cJSON_GetArraySize(inc) > 0) {
        st->incidents = calloc((size_t)cJSON_GetArraySize(inc), sizeof(*st->incidents));
        if (!st->incidents)
            return LC_E_NOMEM;
        st->cap_incidents = (size_t)cJSON_GetArraySize(inc);
    }
    cJSON_ArrayForEach(o, inc)
    {
        struct lc_incident *in = &st->incidents[st->n_incidents++];
        const cJSON *stream = cJSON_GetObjectItemCaseSensitive(o, "stream");
        const cJSON *finding = cJSON_GetObjectItemCaseSensitive(o, "finding");
        const char *key = get_str(o, "key"), *code = get_str(o, "code");
        const char *target = get_str(o, "target"), *sev = get_str(o, "severity");
        const char *summary = get_str(o, "summary");

        *why = "an incident lacks a field or has a wrong type";
        if (!cJSON_IsObject(o) || !key || !code || !target || !sev || !summary ||
            !(cJSON_IsNull(stream) || cJSON_IsString(stream)) || !cJSON_IsObject(finding) ||
            get_iso(o, "opened_at", &in->opened_at) || get_iso(o, "last_seen", &in->last_seen) ||
            get_iso(o, "last_notified_at", &in->last_notified_at))
            return LC_E_PARSE;
        in->key = strdup(key);
        in->code = strdup(code);
        in->target = strdup(target);
        in->stream = cJSON_IsString(stream) ? strdup(stream->valuestring) : NULL;
        in->severity = strdup(sev);
        in->summary = strdup(summary);
        in->finding = cJSON_Duplicate(finding, 1);
        if (!in->key || !in->code || !in->target || (cJSON_IsString(stream) && !in->stream) ||
            !in->severity || !in->summary || !in->finding)
            return LC_E_NOMEM;
        if (lc_state_find(st, key) != in) {
            *why = "an incident key appears twice";
            return LC_E_PARSE;
        }
    }
    rc = items_parse(cJSON_GetObjectItemCaseSensitive(root, "outbox"), false, &st->outbox,
                     &st->n_outbox, &st->cap_outbox, why);
    if (!rc)
        rc = items_parse(cJSON_GetObjectItemCaseSensitive(root, "dead_letters"), true, &st->dead,
                         &st->n_dead, &st->cap_dead, why);
    if (rc)
        return rc;
    for (size_t i = 0; i < st->n_outbox; i++) {
        if (st->outbox[i].seq >= st->next_seq) {
            *why = "an outbox item's seq is not below next_seq";
            return LC_E_PARSE;
        }
    }
    if (st->n_incidents)
        qsort(st->incidents, st->n_incidents, sizeof(*st->incidents), incident_cmp);
    if (st->n_outbox)
        qsort(st->outbox, st->n_outbox, sizeof(*st->outbox), item_cmp);
    return 0;
}

/* ---- files ------------------------------------------------------------------------------- */

/* Read path whole (up to max bytes). 0, ENOENT-as-1, or LC_E_IO / LC_E_TOO_LARGE / NOMEM. */
static int read_file(const char *path, size_t max, struct lc_buf *out, struct lc_error *err)
{
    out->max = max;
    int rc = lc_buf_read_file(out, path, err);
    if (rc == LC_E_IO && errno == ENOENT)
        return 1;
    return rc;
}

/* Rename the damaged file aside and say so in st->warning. */
static int set_aside(struct lc_state *st, const char *path, const char *why, struct lc_error *err)
{
    char stamp[LC_TIME_AMZ_LEN], aside[512], name[128];
    struct stat sb;

    lc_time_format_amz(time(NULL), stamp);
    for (int i = 0; i < 1000; i++) {
        if (i)
            snprintf(name, sizeof(name), LC_STATE_FILE ".damaged-%s-%d", stamp, i);
        else
            snprintf(name, sizeof(name), LC_STATE_FILE ".damaged-%s", stamp);
        if (path_join(aside, sizeof(aside), st->dir, name) != 0)
            break;
        if (lstat(aside, &sb) != 0 && errno == ENOENT) {
            if (rename(path, aside) != 0) {
                lc_error_set(err, LC_E_IO, "%s is damaged (%s) and cannot be set aside: %s", path,
                             why, strerror(errno));
                return LC_E_IO;
            }
            (void)lc_file_sync_dir(st->dir);
            lc_strlcpy(st->damaged_path, aside, sizeof(st->damaged_path));
            snprintf(st->warning, sizeof(st->warning),
                     "state file %s was damaged (%s): moved to %s; starting with a fresh state "
                     "(open incidents and undelivered alerts of earlier runs are in that file)",
                     path, why, aside);
            return 0;
        }
    }
    lc_error_set(err, LC_E_IO, "%s is damaged (%s) and cannot be set aside", path, why);
    return LC_E_IO;
}

/* Remove temp files a crashed writer left (we hold the lock, so none is being written). */
static void remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[1024];

    if (!d)
        return;
    for (de = readdir(d); de; de = readdir(d)) {
        if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 &&
            path_join(path, sizeof(path), dir, de->d_name) == 0)
            (void)unlink(path);
    }
    closedir(d);
}

static int lock_state(struct lc_state *st, long wait_ms, struct lc_error *err)
{
    char path[1024];
    struct timespec start, now;

    if (path_join(path, sizeof(path), st->dir, LC_STATE_LOCK) != 0) {
        lc_error_set(err, LC_E_INVALID, "state directory path too long");
        return LC_E_INVALID;
    }
    st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (st->lock_fd < 0) {
        lc_error_set(err, LC_E_IO, "%s: cannot open: %s", path, strerror(errno));
        return LC_E_IO;
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (flock(st->lock_fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            lc_error_set(err, LC_E_IO, "%s: cannot lock: %s", path, strerror(errno));
            return LC_E_IO;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        long waited =
            (long)(now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (waited >= wait_ms) {
            lc_error_set(err, LC_E_IO,
                         "%s: locked by another logcanary run (waited %ld ms); try again later",
                         path, waited);
            return LC_E_IO;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL); /* flock has no timed wait */
    }
}

int lc_state_open(const char *dir, long lock_wait_ms, struct lc_state **out, struct lc_error *err)
{
    struct lc_error local;
    struct lc_state *st;
    struct lc_buf b = {0};
    char path[1024];
    cJSON *root = NULL;
    const char *why = NULL;
    int rc;

    if (!err)
        err = &local;
    lc_error_clear(err);
    *out = NULL;
    st = calloc(1, sizeof(*st));
    if (st)
        st->dir = strdup(dir);
    if (!st || !st->dir) {
        free(st);
        lc_error_set(err, LC_E_NOMEM, "out of memory opening the state");
        return LC_E_NOMEM;
    }
    st->lock_fd = -1;
    st->next_seq = 1;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        lc_error_set(err, LC_E_IO, "state directory %s: cannot create: %s", dir, strerror(errno));
        rc = LC_E_IO;
        goto out;
    }
    rc = lock_state(st, lock_wait_ms, err);
    if (rc)
        goto out;
    remove_stale_temps(dir);
    if (path_join(path, sizeof(path), dir, LC_STATE_FILE) != 0) {
        lc_error_set(err, LC_E_INVALID, "state directory path too long");
        rc = LC_E_INVALID;
        goto out;
    }
    rc = read_file(path, LC_STATE_MAX_BYTES, &b, err);
    if (rc == 1) { /* no file yet: a fresh state */
        rc = 0;
        goto out;
    }
    if (rc == LC_E_TOO_LARGE) {
        why = "larger than 64 MiB";
    } else if (rc) {
        if (rc == LC_E_NOMEM)
            lc_error_set(err, LC_E_NOMEM, "out of memory reading %s", path);
        goto out;
    } else {
        root = b.data ? cJSON_ParseWithLength(b.data, b.len) : NULL;
        if (!root) {
            why = "not valid JSON";
        } else {
            rc = state_parse(st, root, &why); /* why is set whenever it fails */
            if (rc == LC_E_NOMEM) {
                lc_error_set(err, LC_E_NOMEM, "out of memory reading %s", path);
                goto out;
            }
            if (!rc)
                why = NULL;
        }
    }
    if (why) {
        state_clear(st);
        rc = set_aside(st, path, why, err);
        if (rc)
            goto out;
        LC_WARN("state", "%s", st->warning);
    }
out:
    cJSON_Delete(root);
    lc_buf_free(&b);
    if (rc)
        lc_state_close(st);
    else
        *out = st;
    return rc;
}

int lc_state_save(struct lc_state *st, struct lc_error *err)
{
    struct lc_error local;
    char path[1024];
    cJSON *doc;
    char *text;
    int rc;

    if (!err)
        err = &local;
    lc_error_clear(err);
    if (path_join(path, sizeof(path), st->dir, LC_STATE_FILE)) {
        lc_error_set(err, LC_E_INVALID, "state directory path too long");
        return LC_E_INVALID;
    }
    doc = state_json(st, time(NULL));
    text = doc ? cJSON_Print(doc) : NULL;
    cJSON_Delete(doc);
    if (!text) {
        lc_error_set(err, LC_E_NOMEM, "out of memory writing the state");
        return LC_E_NOMEM;
    }
    size_t len = strlen(text);
    text[len] = '\n'; /* cJSON_Print's terminator becomes the final newline */
    rc = lc_file_replace(path, text, len + 1, 0600, true, err);
    cJSON_free(text);
    return rc;
}

void lc_state_close(struct lc_state *st)
{
    if (!st)
        return;
    state_clear(st);
    if (st->lock_fd >= 0)
        close(st->lock_fd); /* releases the flock */
    free(st->dir);
    free(st);
}

/* ---- incidents --------------------------------------------------------------------------- */

const struct lc_incident *lc_state_find(const struct lc_state *st, const char *key)
{
    for (size_t i = 0; i < st->n_incidents; i++)
        if (st->incidents[i].key && strcmp(st->incidents[i].key, key) == 0)
            return &st->incidents[i];
    return NULL;
}

/* Refresh an incident from its finding. 0 or LC_E_NOMEM. */
static int incident_update(struct lc_incident *in, const struct lc_finding *f, time_t now)
{
    char *sev = strdup(lc_severity_name(f->severity));
    char *summary = strdup(f->summary ? f->summary : "");
    cJSON *fj = lc_finding_json(f);

    if (!sev || !summary || !fj) {
        free(sev);
        free(summary);
        cJSON_Delete(fj);
        return LC_E_NOMEM;
    }
    free(in->severity);
    free(in->summary);
    cJSON_Delete(in->finding);
    in->severity = sev;
    in->summary = summary;
    in->finding = fj;
    in->last_seen = now;
    return 0;
}

static int notify(struct lc_notifications *out, enum lc_notify_kind kind,
                  const struct lc_incident *in, time_t now)
{
    struct lc_notification *items;
    cJSON *ev;

    if (LC_ARRAY_GROW(out->items, out->n, out->cap))
        return LC_E_NOMEM;
    items = out->items;
    ev = cJSON_CreateObject();
    if (!ev)
        return LC_E_NOMEM;
    cJSON_AddStringToObject(ev, "kind", lc_notify_kind_name(kind));
    cJSON_AddStringToObject(ev, "incident_key", in->key);
    set_iso(ev, "opened_at", in->opened_at);
    set_iso(ev, "occurred_at", now);
    if (kind == LC_NOTIFY_RESOLVE)
        set_iso(ev, "resolved_at", now);
    cJSON_AddItemToObject(ev, "finding", cJSON_Duplicate(in->finding, 1));
    items[out->n].kind = kind;
    items[out->n].event = ev;
    items[out->n].incident_key = strdup(in->key);
    if (!items[out->n].incident_key || !cJSON_GetObjectItem(ev, "finding")) {
        cJSON_Delete(ev);
        free(items[out->n].incident_key);
        return LC_E_NOMEM;
    }
    out->n++;
    return 0;
}

void lc_notifications_free(struct lc_notifications *n)
{
    for (size_t i = 0; i < n->n; i++) {
        free(n->items[i].incident_key);
        cJSON_Delete(n->items[i].event);
    }
    free(n->items);
    n->items = NULL;
    n->n = n->cap = 0;
}

/* One key found this run: the most severe of its findings (the first on ties). */
struct found {
    char key[LC_INCIDENT_KEY_MAX];
    const struct lc_finding *f;
    bool open_before;
};

static int found_cmp(const void *a, const void *b)
{
    return strcmp(((const struct found *)a)->key, ((const struct found *)b)->key);
}

/* The subject of a finding or incident: the stream id, or "<target>/canary". */
static void subject_of(const char *stream, const char *target, char *buf, size_t len)
{
    if (stream)
        snprintf(buf, len, "%s", stream);
    else
        snprintf(buf, len, "%s/canary", target);
}

static bool in_list(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static int list_add(char ***list, size_t *n, size_t *cap, const char *s)
{
    if (in_list(*list, *n, s))
        return 0;
    if (LC_ARRAY_GROW(*list, *n, *cap))
        return LC_E_NOMEM;
    (*list)[*n] = strdup(s);
    if (!(*list)[*n])
        return LC_E_NOMEM;
    (*n)++;
    return 0;
}

static void list_free(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

int lc_state_apply(struct lc_state *st, const struct lc_observations *obs,
                   const struct lc_findings *f, time_t now, int64_t renotify_s,
                   struct lc_notifications *out)
{
    struct found *found = NULL;
    size_t n_found = 0;
    char **checked = NULL, **errored = NULL;
    size_t n_checked = 0, n_errored = 0, cap_checked = 0, cap_errored = 0;
    char subj[LC_INCIDENT_KEY_MAX];
    bool *renotify = NULL;
    int rc = LC_E_NOMEM;

    /* What was checked, and which subjects could not be. */
    if (obs && obs->fatal.kind == LC_OK) {
        for (size_t i = 0; i < obs->n_streams; i++)
            if (obs->streams[i].stream &&
                list_add(&checked, &n_checked, &cap_checked, obs->streams[i].stream->id))
                goto out;
        for (size_t i = 0; i < obs->n_canaries; i++) {
            if (!obs->canaries[i].ran || !obs->canaries[i].target)
                continue;
            subject_of(NULL, obs->canaries[i].target->name, subj, sizeof(subj));
            if (list_add(&checked, &n_checked, &cap_checked, subj))
                goto out;
        }
    }
    if (f && f->n) {
        found = calloc(f->n, sizeof(*found));
        if (!found)
            goto out;
    }
    for (size_t i = 0; f && i < f->n; i++) {
        const struct lc_finding *it = &f->items[i];
        char key[LC_INCIDENT_KEY_MAX];
        size_t k;

        if (!lc_incident_key(it, key, sizeof(key))[0])
            continue;
        if (it->code == LC_F_PROBE_ERROR) {
            subject_of(it->stream ? it->stream->id : NULL, it->target->name, subj, sizeof(subj));
            if (list_add(&errored, &n_errored, &cap_errored, subj))
                goto out;
        }
        /* Informational findings (DIAGNOSIS_INCOMPLETE) are reported, never paged. */
        if (it->severity == LC_SEV_INFO)
            continue;
        for (k = 0; k < n_found && strcmp(found[k].key, key) != 0; k++)
            ;
        if (k == n_found) {
            memcpy(found[n_found].key, key, sizeof(key));
            found[n_found++].f = it;
        } else if (it->severity > found[k].f->severity) {
            found[k].f = it;
        }
    }
    if (n_found)
        qsort(found, n_found, sizeof(*found), found_cmp);

    /* Open incidents: update, or resolve when their subject was checked and they are gone. */
    renotify = calloc(st->n_incidents + n_found + 1, sizeof(*renotify));
    if (!renotify)
        goto out;
    for (size_t i = 0; i < st->n_incidents;) {
        struct lc_incident *in = &st->incidents[i];
        struct found key = {.f = NULL};
        struct found *hit;

        lc_strlcpy(key.key, in->key, sizeof(key.key));
        hit = n_found ? bsearch(&key, found, n_found, sizeof(*found), found_cmp) : NULL;
        if (hit) {
            int before = sev_rank(in->severity);
            hit->open_before = true;
            if (incident_update(in, hit->f, now))
                goto out;
            if (sev_rank(in->severity) > before ||
                (renotify_s > 0 && now - in->last_notified_at >= renotify_s))
                renotify[i] = true;
            i++;
            continue;
        }
        subject_of(in->stream, in->target, subj, sizeof(subj));
        bool probe = strcmp(in->code, lc_finding_name(LC_F_PROBE_ERROR)) == 0;
        if (!in_list(checked, n_checked, subj) || (!probe && in_list(errored, n_errored, subj))) {
            i++;
            continue;
        }
        if (notify(out, LC_NOTIFY_RESOLVE, in, now))
            goto out;
        incident_free(in);
        memmove(in, in + 1, (st->n_incidents - i - 1) * sizeof(*in));
        memmove(&renotify[i], &renotify[i + 1], (st->n_incidents - i - 1) * sizeof(*renotify));
        st->n_incidents--;
    }

    /* New incidents. */
    size_t first_new = st->n_incidents;
    for (size_t k = 0; k < n_found; k++) {
        struct lc_incident *in;
        if (found[k].open_before)
            continue;
        if (LC_ARRAY_GROW(st->incidents, st->n_incidents, st->cap_incidents))
            goto out;
        in = &st->incidents[st->n_incidents];
        memset(in, 0, sizeof(*in));
        in->key = strdup(found[k].key);
        in->code = strdup(lc_finding_name(found[k].f->code));
        in->target = strdup(found[k].f->target->name);
        in->stream = found[k].f->stream ? strdup(found[k].f->stream->id) : NULL;
        if (!in->key || !in->code || !in->target || (found[k].f->stream && !in->stream) ||
            incident_update(in, found[k].f, now)) {
            incident_free(in);
            goto out;
        }
        in->opened_at = now;
        in->last_notified_at = now;
        st->n_incidents++;
        if (notify(out, LC_NOTIFY_TRIGGER, in, now))
            goto out;
    }
    for (size_t i = 0; i < first_new; i++) {
        if (!renotify[i])
            continue;
        st->incidents[i].last_notified_at = now;
        if (notify(out, LC_NOTIFY_RENOTIFY, &st->incidents[i], now))
            goto out;
    }
    if (st->n_incidents)
        qsort(st->incidents, st->n_incidents, sizeof(*st->incidents), incident_cmp);
    if (obs && obs->fatal.kind == LC_OK)
        st->last_success = now;
    rc = 0;

out:
    free(found);
    free(renotify);
    list_free(checked, n_checked);
    list_free(errored, n_errored);
    return rc;
}

/* ---- outbox ------------------------------------------------------------------------------ */

int lc_state_outbox_push(struct lc_state *st, const char *sink, enum lc_notify_kind kind,
                         const char *incident_key, const cJSON *event, time_t now)
{
    struct lc_outbox_item *it;

    if (LC_ARRAY_GROW(st->outbox, st->n_outbox, st->cap_outbox))
        return LC_E_NOMEM;
    it = &st->outbox[st->n_outbox];
    memset(it, 0, sizeof(*it));
    it->sink = strdup(sink);
    it->incident_key = strdup(incident_key);
    it->event = cJSON_Duplicate(event, 1);
    if (!it->sink || !it->incident_key || !it->event) {
        item_free(it);
        return LC_E_NOMEM;
    }
    it->kind = kind;
    it->seq = st->next_seq++;
    it->first_queued = now;
    st->n_outbox++;
    return 0;
}

struct lc_outbox_item *lc_state_outbox_get(struct lc_state *st, uint64_t seq)
{
    for (size_t i = 0; i < st->n_outbox; i++)
        if (st->outbox[i].seq == seq)
            return &st->outbox[i];
    return NULL;
}

static void outbox_unlink(struct lc_state *st, struct lc_outbox_item *it)
{
    size_t i = (size_t)(it - st->outbox);
    memmove(it, it + 1, (st->n_outbox - i - 1) * sizeof(*it));
    st->n_outbox--;
}

void lc_state_outbox_remove(struct lc_state *st, uint64_t seq)
{
    struct lc_outbox_item *it = lc_state_outbox_get(st, seq);

    if (!it)
        return;
    item_free(it);
    outbox_unlink(st, it);
}

int lc_state_outbox_kill(struct lc_state *st, uint64_t seq, const char *reason)
{
    struct lc_outbox_item *it = lc_state_outbox_get(st, seq);
    struct lc_outbox_item *dead;
    char *r;

    if (!it)
        return 0;
    r = strdup(reason ? reason : "");
    if (!r)
        return LC_E_NOMEM;
    if (st->n_dead >= LC_STATE_MAX_DEAD) {
        item_free(&st->dead[0]);
        memmove(st->dead, st->dead + 1, (st->n_dead - 1) * sizeof(*st->dead));
        st->n_dead--;
        st->dead_dropped++;
    }
    if (LC_ARRAY_GROW(st->dead, st->n_dead, st->cap_dead)) {
        free(r);
        return LC_E_NOMEM;
    }
    dead = &st->dead[st->n_dead];
    *dead = *it;
    free(dead->dead_reason);
    dead->dead_reason = r;
    st->n_dead++;
    outbox_unlink(st, it);
    return 0;
}
