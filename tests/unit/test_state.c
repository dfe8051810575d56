/* The state file: incident lifecycle (open, quiet, renotify, resolve) driven by explicit times,
 * the PROBE_ERROR rule, damaged files set aside, atomic replacement and the lock between
 * processes. No sleeps: processes meet on pipes and waitpid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "lc_fixtures.h"

#include "outputs/state.h"

#define T0 1800000000
#define H  3600

#define KEY_MISSING_A "DELIVERY_MISSING/logs/cloudtrail/111111111111/ap-northeast-1"
#define KEY_PROBE_A   "PROBE_ERROR/logs/cloudtrail/111111111111/ap-northeast-1"
#define KEY_MISSING_B "DELIVERY_MISSING/logs/cloudtrail/111111111111/us-east-1"
#define KEY_CANARY    "CANARY_FAILED/logs/canary"

/* ---- fixtures ------------------------------------------------------------------------------ */

static char *make_dir(void)
{
    char tmpl[] = "/tmp/lc-state-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char p[1024];
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* A finding list built by hand (lc_findings_free frees it). */
static void add_finding(struct lc_findings *f, const char *code, enum lc_severity sev,
                        const struct lc_stream *s, const char *summary)
{
    f->items = realloc(f->items, (f->n + 1) * sizeof(*f->items));
    assert_non_null(f->items);
    struct lc_finding *it = &f->items[f->n++];
    memset(it, 0, sizeof(*it));
    it->code = (enum lc_finding_code)lc_finding_parse(code);
    it->severity = sev;
    it->target = &fx_target;
    it->stream = s;
    it->summary = strdup(summary);
    it->evidence = cJSON_CreateObject();
    cJSON_AddStringToObject(it->evidence, "newest_key", "k1");
    it->remediation = cJSON_CreateObject();
    cJSON_AddStringToObject(it->remediation, "hint", "check the trail");
}

/* Observations that checked stream a (and b when both), plus the canary when canary. */
struct run {
    struct lc_stream_obs streams[2];
    struct lc_canary_obs canary;
    struct lc_observations obs;
    struct lc_findings f;
};

static void run_init(struct run *r, bool a, bool b, bool canary)
{
    memset(r, 0, sizeof(*r));
    size_t n = 0;
    if (a)
        r->streams[n++].stream = &fx_stream_a;
    if (b)
        r->streams[n++].stream = &fx_stream_b;
    r->obs.streams = r->streams;
    r->obs.n_streams = n;
    if (canary) {
        r->canary.target = &fx_target;
        r->canary.ran = true;
        r->obs.canaries = &r->canary;
        r->obs.n_canaries = 1;
    }
}

static struct lc_notifications apply(struct lc_state *st, struct run *r, time_t now)
{
    struct lc_notifications nl = {0};
    assert_int_equal(lc_state_apply(st, &r->obs, &r->f, now, 4 * H, &nl), 0);
    lc_findings_free(&r->f);
    return nl;
}

static void expect_one(struct lc_notifications *nl, enum lc_notify_kind kind, const char *key)
{
    assert_int_equal(nl->n, 1);
    assert_int_equal(nl->items[0].kind, kind);
    assert_string_equal(nl->items[0].incident_key, key);
    const cJSON *ev = nl->items[0].event;
    assert_string_equal(cJSON_GetObjectItem(ev, "kind")->valuestring, lc_notify_kind_name(kind));
    assert_string_equal(cJSON_GetObjectItem(ev, "incident_key")->valuestring, key);
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(ev, "finding")));
    lc_notifications_free(nl);
}

static struct lc_state *open_state(const char *dir)
{
    struct lc_state *st = NULL;
    struct lc_error err;
    assert_int_equal(lc_state_open(dir, 5000, &st, &err), 0);
    assert_non_null(st);
    return st;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_keys(void **state)
{
    (void)state;
    struct lc_finding f = {
        .code = LC_F_DELIVERY_MISSING, .target = &fx_target, .stream = &fx_stream_a};
    char buf[LC_INCIDENT_KEY_MAX];
    assert_string_equal(lc_incident_key(&f, buf, sizeof(buf)), KEY_MISSING_A);
    f.stream = NULL;
    f.code = LC_F_CANARY_FAILED;
    assert_string_equal(lc_incident_key(&f, buf, sizeof(buf)), KEY_CANARY);
    char tiny[8];
    assert_string_equal(lc_incident_key(&f, tiny, sizeof(tiny)), "");
}

static void test_lifecycle(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct lc_state *st = open_state(dir);
    struct lc_error err;
    struct run r;
    struct lc_notifications nl;

    assert_string_equal(st->warning, "");
    /* A finding opens an incident. */
    run_init(&r, true, false, false);
    add_finding(&r.f, "DELIVERY_MISSING", LC_SEV_CRITICAL, &fx_stream_a, "no delivery for 2h");
    nl = apply(st, &r, T0);
    const cJSON *fj = cJSON_GetObjectItem(nl.items[0].event, "finding");
    assert_string_equal(cJSON_GetObjectItem(fj, "code")->valuestring, "DELIVERY_MISSING");
    assert_string_equal(cJSON_GetObjectItem(fj, "severity")->valuestring, "critical");
    assert_string_equal(cJSON_GetObjectItem(fj, "stream")->valuestring, fx_stream_a.id);
    assert_string_equal(cJSON_GetObjectItem(fj, "source")->valuestring, "cloudtrail");
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(fj, "evidence"), "newest_key")->valuestring, "k1");
    expect_one(&nl, LC_NOTIFY_TRIGGER, KEY_MISSING_A);
    assert_int_equal(st->last_success, T0);
    assert_int_equal(lc_state_save(st, &err), 0);
    lc_state_close(st);

    /* A separate run (reopened from the file) repeats nothing. */
    st = open_state(dir);
    const struct lc_incident *in = lc_state_find(st, KEY_MISSING_A);
    assert_non_null(in);
    assert_int_equal(in->opened_at, T0);
    assert_int_equal(in->last_notified_at, T0);
    assert_string_equal(in->summary, "no delivery for 2h");
    run_init(&r, true, false, false);
    add_finding(&r.f, "DELIVERY_MISSING", LC_SEV_CRITICAL, &fx_stream_a, "no delivery for 3h");
    nl = apply(st, &r, T0 + H);
    assert_int_equal(nl.n, 0);
    assert_string_equal(lc_state_find(st, KEY_MISSING_A)->summary, "no delivery for 3h");
    assert_int_equal(lc_state_find(st, KEY_MISSING_A)->last_seen, T0 + H);
    assert_int_equal(lc_state_save(st, &err), 0);
    lc_state_close(st);

    /* Just before renotify: quiet; at renotify: once. */
    st = open_state(dir);
    run_init(&r, true, false, false);
    add_finding(&r.f, "DELIVERY_MISSING", LC_SEV_CRITICAL, &fx_stream_a, "x");
    nl = apply(st, &r, T0 + 4 * H - 1);
    assert_int_equal(nl.n, 0);
    run_init(&r, true, false, false);
    add_finding(&r.f, "DELIVERY_MISSING", LC_SEV_CRITICAL, &fx_stream_a, "x");
    nl = apply(st, &r, T0 + 4 * H);
    expect_one(&nl, LC_NOTIFY_RENOTIFY, KEY_MISSING_A);
    run_init(&r, true, false, false);
    add_finding(&r.f, "DELIVERY_MISSING", LC_SEV_CRITICAL, &fx_stream_a, "x");
    nl = apply(st, &r, T0 + 4 * H + 60);
    assert_int_equal(nl.n, 0);
    assert_int_equal(lc_state_save(st, &err), 0);
    lc_state_close(st);

    /* Healthy: resolved, with resolved_at and the incident's opening time. */
    st = open_state(dir);
    run_init(&r, true, false, false);
    nl = apply(st, &r, T0 + 5 * H);
    assert_int_equal(nl.n, 1);
    assert_string_equal(cJSON_GetObjectItem(nl.items[0].event, "opened_at")->valuestring,
                        "2027-01-15T08:00:00Z");
    assert_string_equal(cJSON_GetObjectItem(nl.items[0].event, "resolved_at")->valuestring,
                        "2027-01-15T13:00:00Z");
    expect_one(&nl, LC_NOTIFY_RESOLVE, KEY_MISSING_A);
    assert_null(lc_state_find(st, KEY_MISSING_A));
    assert_int_equal(st->n_incidents, 0);
    /* And quiet afterwards. */
    run_init(&r, true, false, false);
    nl = apply(st, &r, T0 + 6 * H);
    assert_int_equal(nl.n, 0);
    lc_state_close(st);
    rm_rf(dir);
    free(dir);
}

static void test_renotify_off_and_severity_rise(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct lc_state *st = open_state(dir);
    struct lc_notifications nl = {0};
    struct run r;

    run_init(&r, true, false, false);
    add_finding(&r.f, "SAMPLE_INVALID", LC_SEV_WARNING, &fx_stream_a, "old records");
    assert_int_equal(lc_state_apply(st, &r.obs, &r.f, T0, 0, &nl), 0);
    lc_findings_free(&r.f);
    expect_one(&nl, LC_NOTIFY_TRIGGER,
               "SAMPLE_INVALID/"
               "logs/cloudtrail/111111111111/ap-northeast-1");
    /* renotify 0: never again, even days later */
    run_init(&r, true, false, false);
    add_finding(&r.f, "SAMPLE_INVALID", LC_SEV_WARNING, &fx_stream_a, "old records");
    assert_int_equal(lc_state_apply(st, &r.obs, &r.f, T0 + 30 * 24 * H, 0, &nl), 0);
    lc_findings_free(&r.f);
    assert_int_equal(nl.n, 0);
    /* warning -> critical: told at once */
    run_init(&r, true, false, false);
    add_finding(&r.f, "SAMPLE_INVALID", LC_SEV_WARNING, &fx_stream_a, "old records");
    add_finding(&r.f, "SAMPLE_INVALID", LC_SEV_CRITICAL, &fx_stream_a, "garbage");
    assert_int_equal(lc_state_apply(st, &r.obs, &r.f, T0 + 31 * 24 * H, 0, &nl), 0);
    lc_findings_free(&r.f);
    assert_int_equal(nl.n, 1);
    assert_int_equal(nl.items[0].kind, LC_NOTIFY_RENOTIFY);
    const cJSON *fj = cJSON_GetObjectItem(nl.items[0].event, "finding");
    assert_string_equal(cJSON_GetObjectItem(fj, "summary")->valuestring, "garbage");
    assert_string_equal(cJSON_GetObjectItem(fj, "severity")->valuestring, "critical");
    lc_notifications_free(&nl);
    lc_state_close(st);
    rm_rf(dir);
    free(dir);
}

static void test_probe_error_does_not_resolve(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct lc_state *st = open_state(dir);
    struct lc_notifications nl;
    struct run r;

    run_init(&r, true, true, false);
    add_finding(&r.f, "DELIVERY_MISSING", LC_SEV_CRITICAL, &fx_stream_a, "missing a");
    add_finding(&r.f, "DELIVERY_MISSING", LC_SEV_CRITICAL, &fx_stream_b, "missing b");
    nl = apply(st, &r, T0);
    assert_int_equal(nl.n, 2);
    lc_notifications_free(&nl);

    /* Stream a could not be checked: its DELIVERY_MISSING stays open; b recovered. */
    run_init(&r, true, true, false);
    add_finding(&r.f, "PROBE_ERROR", LC_SEV_WARNING, &fx_stream_a, "could not check: timeout");
    nl = apply(st, &r, T0 + 600);
    assert_int_equal(nl.n, 2);
    assert_int_equal(nl.items[0].kind, LC_NOTIFY_RESOLVE);
    assert_string_equal(nl.items[0].incident_key, KEY_MISSING_B);
    assert_int_equal(nl.items[1].kind, LC_NOTIFY_TRIGGER);
    assert_string_equal(nl.items[1].incident_key, KEY_PROBE_A);
    lc_notifications_free(&nl);
    assert_non_null(lc_state_find(st, KEY_MISSING_A));

    /* A run that did not check stream a at all (narrowed) resolves nothing of it. */
    run_init(&r, false, true, false);
    nl = apply(st, &r, T0 + 1200);
    assert_int_equal(nl.n, 0);
    /* A fatal run resolves nothing. */
    run_init(&r, true, true, false);
    r.obs.fatal.kind = LC_E_CREDENTIALS;
    time_t before = st->last_success;
    nl = apply(st, &r, T0 + 1300);
    assert_int_equal(nl.n, 0);
    assert_int_equal(st->last_success, before);

    /* Checked and healthy: both resolve, in key order. */
    run_init(&r, true, true, false);
    nl = apply(st, &r, T0 + 1800);
    assert_int_equal(nl.n, 2);
    assert_string_equal(nl.items[0].incident_key, KEY_MISSING_A);
    assert_string_equal(nl.items[1].incident_key, KEY_PROBE_A);
    assert_int_equal(nl.items[0].kind, LC_NOTIFY_RESOLVE);
    assert_int_equal(nl.items[1].kind, LC_NOTIFY_RESOLVE);
    lc_notifications_free(&nl);
    assert_int_equal(st->n_incidents, 0);
    lc_state_close(st);
    rm_rf(dir);
    free(dir);
}

static void test_canary_incidents(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct lc_state *st = open_state(dir);
    struct lc_notifications nl;
    struct run r;

    run_init(&r, true, false, true);
    add_finding(&r.f, "CANARY_FAILED", LC_SEV_CRITICAL, NULL, "PUT failed");
    add_finding(&r.f, "CANARY_FAILED", LC_SEV_WARNING, NULL, "not deleted");
    nl = apply(st, &r, T0);
    expect_one(&nl, LC_NOTIFY_TRIGGER, KEY_CANARY);
    assert_string_equal(lc_state_find(st, KEY_CANARY)->severity, "critical");
    assert_null(lc_state_find(st, KEY_CANARY)->stream);
    /* --no-canary: the canary did not run, nothing resolves. */
    run_init(&r, true, false, true);
    r.canary.ran = false;
    nl = apply(st, &r, T0 + 60);
    assert_int_equal(nl.n, 0);
    /* The canary ran clean. */
    run_init(&r, true, false, true);
    nl = apply(st, &r, T0 + 120);
    expect_one(&nl, LC_NOTIFY_RESOLVE, KEY_CANARY);
    lc_state_close(st);
    rm_rf(dir);
    free(dir);
}

static void test_damaged_file_set_aside(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{not json",
        "{\"version\": 99, \"incidents\": [], \"outbox\": [], \"dead_letters\": []}",
        "{\"version\": 1, \"next_seq\": 1, \"dead_dropped\": 0, \"last_success\": null, "
        "\"incidents\": [{\"key\": 5}], \"outbox\": [], \"dead_letters\": []}",
        "[]",
    };
    static const char *const why[] = {"not valid JSON", "unsupported version", "an incident lacks",
                                      "not a JSON object"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *dir = make_dir();
        char path[512];
        snprintf(path, sizeof(path), "%s/state.json", dir);
        spit(path, bad[i]);
        struct lc_state *st = open_state(dir);
        assert_non_null(strstr(st->warning, "damaged"));
        assert_non_null(strstr(st->warning, why[i]));
        assert_non_null(strstr(st->warning, st->damaged_path));
        assert_non_null(strstr(st->damaged_path, "/state.json.damaged-"));
        /* The damaged bytes are kept, the state is fresh, the file is gone until saved. */
        char *kept = slurp(st->damaged_path);
        assert_non_null(kept);
        assert_string_equal(kept, bad[i]);
        free(kept);
        assert_int_equal(access(path, F_OK), -1);
        assert_int_equal(st->n_incidents, 0);
        assert_int_equal(st->n_outbox, 0);
        assert_int_equal(lc_state_save(st, NULL), 0);
        lc_state_close(st);
        /* The new file reads cleanly. */
        st = open_state(dir);
        assert_string_equal(st->warning, "");
        lc_state_close(st);
        rm_rf(dir);
        free(dir);
    }
}

static size_t count_temps(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        n += strstr(de->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

/* A write that fails half way (file size limit: EFBIG) leaves the old file and no temp. */
static void test_atomic_write_failure(void **state)
{
    (void)state;
    char *dir = make_dir();
    char path[512];
    struct lc_state *st = open_state(dir);
    struct run r;
    struct lc_notifications nl;

    snprintf(path, sizeof(path), "%s/state.json", dir);
    run_init(&r, true, false, false);
    add_finding(&r.f, "DELIVERY_MISSING", LC_SEV_CRITICAL, &fx_stream_a, "missing");
    nl = apply(st, &r, T0);
    lc_notifications_free(&nl);
    assert_int_equal(lc_state_save(st, NULL), 0);
    lc_state_close(st);
    char *old = slurp(path);
    assert_non_null(old);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {8192, 8192};
        struct lc_error err;
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        struct lc_state *cs = NULL;
        if (lc_state_open(dir, 5000, &cs, &err) != 0)
            _exit(11);
        cJSON *ev = cJSON_CreateObject();
        char big[1024];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        cJSON_AddStringToObject(ev, "pad", big);
        for (int i = 0; i < 64; i++)
            if (lc_state_outbox_push(cs, "hook", LC_NOTIFY_TRIGGER, "k", ev, T0) != 0)
                _exit(12);
        cJSON_Delete(ev);
        int rc = lc_state_save(cs, &err);
        lc_state_close(cs);
        _exit(rc == LC_E_IO && strstr(err.message, "cannot write") ? 0 : 13);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char *now = slurp(path);
    assert_non_null(now);
    assert_string_equal(now, old);
    assert_int_equal(count_temps(dir), 0);
    free(old);
    free(now);
    rm_rf(dir);
    free(dir);
}

/* Readers racing a writer only ever see a whole file, old or new. */
static void test_readers_see_whole_files(void **state)
{
    (void)state;
    char *dir = make_dir();
    char path[512];
    struct lc_state *st = open_state(dir);
    assert_int_equal(lc_state_save(st, NULL), 0);
    lc_state_close(st);
    snprintf(path, sizeof(path), "%s/state.json", dir);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct lc_state *cs = NULL;
        if (lc_state_open(dir, 5000, &cs, NULL) != 0)
            _exit(11);
        cJSON *ev = cJSON_CreateObject();
        for (int i = 0; i < 150; i++) {
            if (i % 2)
                lc_state_outbox_push(cs, "hook", LC_NOTIFY_TRIGGER, "k", ev, T0);
            if (lc_state_save(cs, NULL) != 0)
                _exit(12);
        }
        cJSON_Delete(ev);
        lc_state_close(cs);
        _exit(0);
    }
    int status, reads = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        char *text = slurp(path);
        assert_non_null(text);
        cJSON *doc = cJSON_Parse(text);
        if (!doc)
            fail_msg("read a partial state file: %.80s", text);
        assert_int_equal(cJSON_GetObjectItem(doc, "version")->valueint, 1);
        cJSON_Delete(doc);
        free(text);
        reads++;
        if (w == pid)
            break;
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(reads >= 1);
    st = open_state(dir);
    assert_int_equal(st->n_outbox, 75);
    lc_state_close(st);
    rm_rf(dir);
    free(dir);
}

/* Two processes apply at once: the lock serialises them and both effects survive. */
static void test_concurrent_runs(void **state)
{
    (void)state;
    char *dir = make_dir();
    int gate[2];
    pid_t kids[2];

    assert_int_equal(pipe(gate), 0);
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            char c;
            close(gate[1]);
            if (read(gate[0], &c, 1) != 0) /* EOF: go */
                _exit(9);
            struct lc_state *cs = NULL;
            if (lc_state_open(dir, 30000, &cs, NULL) != 0)
                _exit(10);
            struct run r;
            struct lc_notifications nl = {0};
            run_init(&r, k == 0, k == 1, false);
            add_finding(&r.f, "DELIVERY_MISSING", LC_SEV_CRITICAL, k ? &fx_stream_b : &fx_stream_a,
                        "missing");
            if (lc_state_apply(cs, &r.obs, &r.f, T0, 4 * H, &nl) != 0 || nl.n != 1)
                _exit(11);
            for (int i = 0; i < 20; i++)
                if (lc_state_outbox_push(cs, k ? "b" : "a", LC_NOTIFY_TRIGGER,
                                         nl.items[0].incident_key, nl.items[0].event, T0) ||
                    lc_state_save(cs, NULL))
                    _exit(12);
            lc_notifications_free(&nl);
            lc_findings_free(&r.f);
            lc_state_close(cs);
            _exit(0);
        }
    }
    close(gate[0]);
    close(gate[1]);
    for (int k = 0; k < 2; k++) {
        int status;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    struct lc_state *st = open_state(dir);
    assert_string_equal(st->warning, "");
    assert_non_null(lc_state_find(st, KEY_MISSING_A));
    assert_non_null(lc_state_find(st, KEY_MISSING_B));
    assert_int_equal(st->n_outbox, 40);
    /* seqs are unique and increasing: the second run continued the first's numbering */
    for (size_t i = 1; i < st->n_outbox; i++)
        assert_true(st->outbox[i].seq > st->outbox[i - 1].seq);
    assert_int_equal(st->next_seq, 41);
    lc_state_close(st);
    rm_rf(dir);
    free(dir);
}

static void test_lock_bounded_wait(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct lc_state *st = open_state(dir);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct lc_state *cs = NULL;
        struct lc_error err;
        int rc = lc_state_open(dir, 50, &cs, &err);
        _exit(rc == LC_E_IO && cs == NULL && strstr(err.message, "locked by another") ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    lc_state_close(st);
    /* Released: opens at once. */
    st = open_state(dir);
    lc_state_close(st);
    rm_rf(dir);
    free(dir);
}

static void test_outbox_and_dead_letters(void **state)
{
    (void)state;
    char *dir = make_dir();
    struct lc_state *st = open_state(dir);
    cJSON *ev = cJSON_CreateObject();

    for (int i = 0; i < 3; i++)
        assert_int_equal(lc_state_outbox_push(st, "hook", LC_NOTIFY_TRIGGER, "k", ev, T0), 0);
    assert_int_equal(st->outbox[0].seq, 1);
    assert_int_equal(st->outbox[2].seq, 3);
    lc_state_outbox_remove(st, 2);
    assert_int_equal(st->n_outbox, 2);
    assert_int_equal(lc_state_outbox_kill(st, 1, "HTTP 400"), 0);
    assert_int_equal(st->n_outbox, 1);
    assert_int_equal(st->outbox[0].seq, 3);
    assert_int_equal(st->n_dead, 1);
    assert_string_equal(st->dead[0].dead_reason, "HTTP 400");
    assert_int_equal(lc_state_save(st, NULL), 0);
    lc_state_close(st);
    st = open_state(dir);
    assert_int_equal(st->n_outbox, 1);
    assert_int_equal(st->n_dead, 1);
    assert_string_equal(st->dead[0].dead_reason, "HTTP 400");
    assert_int_equal(st->next_seq, 4);
    /* The dead letters are bounded. */
    for (int i = 0; i < LC_STATE_MAX_DEAD + 5; i++) {
        assert_int_equal(lc_state_outbox_push(st, "hook", LC_NOTIFY_TRIGGER, "k", ev, T0), 0);
        assert_int_equal(lc_state_outbox_kill(st, st->next_seq - 1, "gone"), 0);
    }
    assert_int_equal(st->n_dead, LC_STATE_MAX_DEAD);
    assert_int_equal(st->dead_dropped, 6);
    cJSON_Delete(ev);
    lc_state_close(st);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_renotify_off_and_severity_rise),
        cmocka_unit_test(test_probe_error_does_not_resolve),
        cmocka_unit_test(test_canary_incidents),
        cmocka_unit_test(test_damaged_file_set_aside),
        cmocka_unit_test(test_atomic_write_failure),
        cmocka_unit_test(test_readers_see_whole_files),
        cmocka_unit_test(test_concurrent_runs),
        cmocka_unit_test(test_lock_bounded_wait),
        cmocka_unit_test(test_outbox_and_dead_letters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
