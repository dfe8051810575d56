/* Prometheus text: the exact exposition of a small fixed run, label escaping, and the atomic
 * replacement of the textfile (a failed write leaves the old file and no temp). */
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

#include "outputs/metrics.h"

#define T0 1800000000

static char *accounts[] = {"111111111111"};
static char *regions[] = {"ap-northeast-1"};
static struct lc_target_cfg target = {.name = "logs", .bucket = "lc-logs"};
static struct lc_source_cfg src = {.probe = &lc_probe_vpcflowlogs,
                                   .accounts = accounts,
                                   .n_accounts = 1,
                                   .regions = regions,
                                   .n_regions = 1};
static struct lc_stream stream = {.target = &target,
                                  .source = &src,
                                  .probe = &lc_probe_vpcflowlogs,
                                  .account = "111111111111",
                                  .region = "ap-northeast-1",
                                  .id = "logs/vpcflowlogs/111111111111/ap-northeast-1"};

struct fixture {
    struct lc_stream_obs so[1];
    struct lc_canary_obs co[1];
    struct lc_observations obs;
    struct lc_finding items[2];
    enum lc_stream_status ss[1];
    enum lc_canary_status cs[1];
    struct lc_findings f;
    struct lc_metrics_service svc[2];
    struct lc_metrics_in in;
};

static void fixture(struct fixture *x)
{
    memset(x, 0, sizeof(*x));
    x->so[0].stream = &stream;
    x->so[0].objects_seen = 12;
    x->so[0].newest_key = "k";
    x->so[0].newest_delivered = T0 - 2700;
    x->so[0].sampled = true;
    x->so[0].sample.valid = true;
    x->co[0].target = &target;
    x->co[0].ran = true;
    x->co[0].latency_s = 0.25;
    x->obs = (struct lc_observations){
        .now = T0, .streams = x->so, .n_streams = 1, .canaries = x->co, .n_canaries = 1};
    x->items[0] =
        (struct lc_finding){.code = LC_F_DELIVERY_MISSING, .target = &target, .stream = &stream};
    x->items[1] = (struct lc_finding){.code = LC_F_KEY_UNUSABLE, .target = &target};
    x->ss[0] = LC_ST_STALE;
    x->cs[0] = LC_CANARY_OK;
    x->f = (struct lc_findings){.items = x->items,
                                .n = 2,
                                .stream_status = x->ss,
                                .canary_status = x->cs,
                                .overall = "problems"};
    x->svc[0] = (struct lc_metrics_service){"s3", {.requests = 7, .retries = 1, .errors = 0}};
    x->svc[1] = (struct lc_metrics_service){"kms", {.requests = 0}};
    x->in = (struct lc_metrics_in){.obs = &x->obs,
                                   .findings = &x->f,
                                   .services = x->svc,
                                   .n_services = 2,
                                   .run_duration_s = 1.5,
                                   .last_success = T0,
                                   .has_alerts = true,
                                   .alerts_pending = 3,
                                   .alerts_dead = 1};
}

#define SL                                                                                         \
    "target=\"logs\",source=\"vpcflowlogs\",account=\"111111111111\",region=\"ap-northeast-1\""

static const char expected[] =
    "# HELP logcanary_stream_newest_delivery_age_seconds Age of the newest delivery of the "
    "stream.\n"
    "# TYPE logcanary_stream_newest_delivery_age_seconds gauge\n"
    "logcanary_stream_newest_delivery_age_seconds{" SL "} 2700\n"
    "# HELP logcanary_stream_status Status of the stream: 1 for the current status.\n"
    "# TYPE logcanary_stream_status gauge\n"
    "logcanary_stream_status{" SL ",status=\"ok\"} 0\n"
    "logcanary_stream_status{" SL ",status=\"stale\"} 1\n"
    "logcanary_stream_status{" SL ",status=\"missing\"} 0\n"
    "logcanary_stream_status{" SL ",status=\"invalid\"} 0\n"
    "logcanary_stream_status{" SL ",status=\"denied\"} 0\n"
    "logcanary_stream_status{" SL ",status=\"error\"} 0\n"
    "# HELP logcanary_stream_objects_seen Delivery objects seen in the stream's listings.\n"
    "# TYPE logcanary_stream_objects_seen gauge\n"
    "logcanary_stream_objects_seen{" SL "} 12\n"
    "# HELP logcanary_stream_sample_valid 1 when the sample of the newest delivery is valid.\n"
    "# TYPE logcanary_stream_sample_valid gauge\n"
    "logcanary_stream_sample_valid{" SL "} 1\n"
    "# HELP logcanary_canary_status Status of the canary: 1 for the current status.\n"
    "# TYPE logcanary_canary_status gauge\n"
    "logcanary_canary_status{target=\"logs\",bucket=\"lc-logs\",status=\"ok\"} 1\n"
    "logcanary_canary_status{target=\"logs\",bucket=\"lc-logs\",status=\"failed\"} 0\n"
    "logcanary_canary_status{target=\"logs\",bucket=\"lc-logs\",status=\"error\"} 0\n"
    "# HELP logcanary_canary_latency_seconds Time from the canary's PUT to its DELETE.\n"
    "# TYPE logcanary_canary_latency_seconds gauge\n"
    "logcanary_canary_latency_seconds{target=\"logs\",bucket=\"lc-logs\"} 0.25\n"
    "# HELP logcanary_findings Findings of the run by code.\n"
    "# TYPE logcanary_findings gauge\n"
    "logcanary_findings{code=\"CANARY_FAILED\"} 0\n"
    "logcanary_findings{code=\"CANARY_WRITE_DENIED_KMS\"} 0\n"
    "logcanary_findings{code=\"DELIVERY_MISSING\"} 1\n"
    "logcanary_findings{code=\"ENCRYPTION_MISMATCH\"} 0\n"
    "logcanary_findings{code=\"PROBE_ERROR\"} 0\n"
    "logcanary_findings{code=\"READ_DENIED_KMS\"} 0\n"
    "logcanary_findings{code=\"READ_DENIED_S3\"} 0\n"
    "logcanary_findings{code=\"SAMPLE_INVALID\"} 0\n"
    "logcanary_findings{code=\"KEY_POLICY_GAP\"} 0\n"
    "logcanary_findings{code=\"BUCKET_POLICY_GAP\"} 0\n"
    "logcanary_findings{code=\"KEY_UNUSABLE\"} 1\n"
    "logcanary_findings{code=\"DELIVERY_STATUS_FAILED\"} 0\n"
    "logcanary_findings{code=\"DIAGNOSIS_INCOMPLETE\"} 0\n"
    "logcanary_findings{code=\"DESTINATION_UNSUPPORTED\"} 0\n"
    "logcanary_findings{code=\"NEVER_DELIVERED\"} 0\n"
    "logcanary_findings{code=\"UNMONITORED_DELIVERY\"} 0\n"
    "# HELP logcanary_aws_requests_total AWS requests sent, by service.\n"
    "# TYPE logcanary_aws_requests_total counter\n"
    "logcanary_aws_requests_total{service=\"s3\"} 7\n"
    "logcanary_aws_requests_total{service=\"kms\"} 0\n"
    "# HELP logcanary_aws_retries_total AWS requests retried, by service.\n"
    "# TYPE logcanary_aws_retries_total counter\n"
    "logcanary_aws_retries_total{service=\"s3\"} 1\n"
    "logcanary_aws_retries_total{service=\"kms\"} 0\n"
    "# HELP logcanary_aws_errors_total AWS calls that failed after retries, by service.\n"
    "# TYPE logcanary_aws_errors_total counter\n"
    "logcanary_aws_errors_total{service=\"s3\"} 0\n"
    "logcanary_aws_errors_total{service=\"kms\"} 0\n"
    "# HELP logcanary_alerts_pending Notifications waiting in the outbox.\n"
    "# TYPE logcanary_alerts_pending gauge\n"
    "logcanary_alerts_pending 3\n"
    "# HELP logcanary_alerts_dead_letters Notifications a sink rejected, kept in the state "
    "file.\n"
    "# TYPE logcanary_alerts_dead_letters gauge\n"
    "logcanary_alerts_dead_letters 1\n"
    "# HELP logcanary_run_duration_seconds Duration of the run.\n"
    "# TYPE logcanary_run_duration_seconds gauge\n"
    "logcanary_run_duration_seconds 1.5\n"
    "# HELP logcanary_last_success_timestamp_seconds When a run last completed its checks "
    "(Unix time).\n"
    "# TYPE logcanary_last_success_timestamp_seconds gauge\n"
    "logcanary_last_success_timestamp_seconds 1800000000\n";

static void test_exact_text(void **state)
{
    (void)state;
    struct fixture x;
    struct lc_buf b = {0};

    fixture(&x);
    assert_int_equal(lc_metrics_render(&x.in, &b), 0);
    assert_string_equal(b.data, expected);
    lc_buf_free(&b);
}

static void test_absent_series(void **state)
{
    (void)state;
    struct fixture x;
    struct lc_buf b = {0};

    fixture(&x);
    x.so[0].newest_key = NULL; /* no delivery: no age */
    x.so[0].sampled = false;   /* no sample: no validity */
    x.co[0].ran = false;       /* no canary: no latency */
    x.in.last_success = 0;     /* never succeeded */
    x.in.has_alerts = false;
    assert_int_equal(lc_metrics_render(&x.in, &b), 0);
    assert_null(strstr(b.data, "logcanary_stream_newest_delivery_age_seconds{"));
    assert_null(strstr(b.data, "logcanary_stream_sample_valid{"));
    assert_null(strstr(b.data, "logcanary_canary_latency_seconds{"));
    assert_null(strstr(b.data, "logcanary_last_success_timestamp_seconds"));
    assert_null(strstr(b.data, "logcanary_alerts_pending"));
    assert_non_null(strstr(b.data, "logcanary_stream_objects_seen{" SL "} 12\n"));
    assert_non_null(strstr(b.data, "logcanary_run_duration_seconds 1.5\n"));
    lc_buf_free(&b);

    /* No observations at all (a fatal run): findings, stats and duration only. */
    x.in.obs = NULL;
    x.in.findings = NULL;
    x.in.run_duration_s = 0.123456789012;
    assert_int_equal(lc_metrics_render(&x.in, &b), 0);
    assert_null(strstr(b.data, "logcanary_stream_"));
    assert_non_null(strstr(b.data, "logcanary_findings{code=\"DELIVERY_MISSING\"} 0\n"));
    assert_non_null(strstr(b.data, "logcanary_run_duration_seconds 0.123456789\n"));
    lc_buf_free(&b);
}

static void test_label_escaping(void **state)
{
    (void)state;
    struct fixture x;
    struct lc_buf b = {0};
    struct lc_target_cfg odd = {.name = "a\"b\\c\nd", .bucket = "lc-logs"};

    fixture(&x);
    x.co[0].target = &odd;
    assert_int_equal(lc_metrics_render(&x.in, &b), 0);
    assert_non_null(strstr(b.data, "logcanary_canary_latency_seconds{target=\"a\\\"b\\\\c\\nd\","
                                   "bucket=\"lc-logs\"} 0.25\n"));
    /* Every line is a comment or name{...} value: no raw newline inside a label. */
    for (char *line = b.data; *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        assert_true(line[0] == '#' || strncmp(line, "logcanary_", 10) == 0);
        line = nl + 1;
    }
    lc_buf_free(&b);
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

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
    closedir(d);
    return n;
}

static void test_atomic_file(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/lc-metrics-XXXXXX";
    char *dir = mkdtemp(tmpl);
    char path[256];
    struct fixture x;
    struct lc_error err;
    struct stat sb;

    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/logcanary.prom", dir);
    fixture(&x);
    assert_int_equal(lc_metrics_write_file(path, &x.in, &err), 0);
    char *first = slurp(path);
    assert_string_equal(first, expected);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    assert_int_equal(dir_entries(dir), 1); /* no temp left */

    /* Replace: the new content, still one file. */
    x.in.run_duration_s = 2;
    assert_int_equal(lc_metrics_write_file(path, &x.in, &err), 0);
    char *second = slurp(path);
    assert_non_null(strstr(second, "logcanary_run_duration_seconds 2\n"));
    assert_int_equal(dir_entries(dir), 1);

    /* A write that fails (file size limit) leaves the previous file whole and no temp. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {512, 512};
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        x.in.run_duration_s = 3;
        int rc = lc_metrics_write_file(path, &x.in, &err);
        _exit(rc == LC_E_IO && strstr(err.message, "cannot write") ? 0 : 11);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char *third = slurp(path);
    assert_string_equal(third, second);
    assert_int_equal(dir_entries(dir), 1);

    /* An unwritable place is an error naming it. */
    char bad[300];
    snprintf(bad, sizeof(bad), "%s/missing/x.prom", dir);
    assert_int_equal(lc_metrics_write_file(bad, &x.in, &err), LC_E_IO);
    assert_non_null(strstr(err.message, "missing/"));
    free(first);
    free(second);
    free(third);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_text),
        cmocka_unit_test(test_absent_series),
        cmocka_unit_test(test_label_escaping),
        cmocka_unit_test(test_atomic_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
