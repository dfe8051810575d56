/* Credentials: chain resolution (pure, through lc_creds_explain), INI parsing, credential
 * documents, the cache (refresh margin, coalescing, failures to every waiter), and the network
 * providers against tests/servers/cpfixture.py (STS AssumeRole / web identity, container and
 * IMDSv2 endpoints). Every test starts from an environment without AWS_* variables and with
 * its own HOME, config and credentials files in a fresh temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "aws/aws.h"
#include "core/buf.h"
#include "aws/creds/creds.h"
#include "core/error.h"
#include "core/http.h"
#include "lc_testsrv.h"
#include "core/log.h"

extern char **environ;

static char tmpdir[64];
static char cfg_path[128], cred_path[128];
/* Servers still running, so that teardown can stop them after a failed assertion. */
static struct lc_testsrv live[4];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void clear_aws_env(void)
{
    char names[64][128];
    int n = 0;

    for (char **e = environ; *e && n < 64; e++) {
        if (strncmp(*e, "AWS_", 4) != 0)
            continue;
        size_t len = strcspn(*e, "=");
        if (len >= sizeof(names[0]))
            continue;
        memcpy(names[n], *e, len);
        names[n++][len] = '\0';
    }
    for (int i = 0; i < n; i++)
        unsetenv(names[i]);
}

/* A fresh HOME with empty config/credentials paths (the files themselves do not exist). */
static int setup(void **state)
{
    (void)state;
    clear_aws_env();
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/lc_creds_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(cfg_path, sizeof(cfg_path), "%s/config", tmpdir);
    snprintf(cred_path, sizeof(cred_path), "%s/credentials", tmpdir);
    setenv("HOME", tmpdir, 1);
    setenv("AWS_CONFIG_FILE", cfg_path, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred_path, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1); /* never reach a real IMDS */
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    for (int i = 0; i < 4; i++)
        if (live[i].pid > 0)
            lc_testsrv_stop(&live[i]);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        return -1;
    clear_aws_env();
    return 0;
}

/* lc_creds_explain's text, or the error message prefixed with "ERROR: ". Caller frees. */
static char *explain(const struct lc_credprov_opts *opts)
{
    struct lc_buf out = {0};
    struct lc_error err;

    lc_error_clear(&err);
    if (lc_creds_explain(opts, &out, &err) != 0) {
        lc_buf_free(&out);
        lc_buf_appendf(&out, "ERROR: %s", err.message);
    }
    return lc_buf_steal(&out);
}

static void expect_explain(const struct lc_credprov_opts *opts, const char *want)
{
    char *got = explain(opts);
    if (!strstr(got, want))
        fail_msg("explain:\n%s\nwanted to find:\n%s", got, want);
    free(got);
}

/* ---- chain resolution -------------------------------------------------------------------- */

static void test_env_over_files(void **state)
{
    (void)state;
    write_file(cred_path, "[default]\naws_access_key_id = AKIAFILEKEY00001111\n"
                          "aws_secret_access_key = filesecret\n");
    expect_explain(NULL, "profile default: static keys (access key ...1111) from ");

    setenv("AWS_ACCESS_KEY_ID", "AKIAENVKEY000002222", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    expect_explain(NULL, "environment: static keys (access key ...2222, with session token)");

    /* AWS_PROFILE does not beat keys in the environment... */
    setenv("AWS_PROFILE", "default", 1);
    expect_explain(NULL, "environment: static keys");
    /* ...but a profile named by the caller does (botocore). */
    struct lc_credprov_opts o = {.profile = "default"};
    expect_explain(&o, "profile default: static keys (access key ...1111)");

    /* Half of a key pair is an error, not a silent fallthrough. */
    unsetenv("AWS_SECRET_ACCESS_KEY");
    expect_explain(NULL, "ERROR: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

static void test_profile_selection(void **state)
{
    struct lc_credprov_opts o = {.profile = "ops"};
    (void)state;
    write_file(cred_path, "[default]\naws_access_key_id = AKIADEFAULT0000AAAA\n"
                          "aws_secret_access_key = s1\n"
                          "[dev]\naws_access_key_id = AKIADEV000000000BBBB\n"
                          "aws_secret_access_key = s2\n");
    write_file(cfg_path, "[profile ops]\naws_access_key_id = AKIAOPS000000000CCCC\n"
                         "aws_secret_access_key = s3\nregion = eu-west-3\n");
    expect_explain(NULL, "profile default: static keys (access key ...AAAA)");
    setenv("AWS_DEFAULT_PROFILE", "dev", 1);
    expect_explain(NULL, "profile dev: static keys (access key ...BBBB)");
    setenv("AWS_PROFILE", "ops", 1);
    expect_explain(NULL, "profile ops: static keys (access key ...CCCC) from ");
    expect_explain(&o, cfg_path);
    setenv("AWS_PROFILE", "nope", 1);
    expect_explain(NULL, "ERROR: profile nope not found in ");
}

static void test_profile_sections(void **state)
{
    (void)state;
    /* Config file: [profile x] and [default]; a bare [x] is not a profile. Credentials file:
     * [x]; there "[profile x]" is a profile literally named "profile x". */
    write_file(cfg_path, "[x]\naws_access_key_id = AKIACFGBARE0000DDDD\n"
                         "aws_secret_access_key = s\n"
                         "[profile y]\naws_access_key_id = AKIACFGPROF0000EEEE\n"
                         "aws_secret_access_key = s\n"
                         "[profile  both]\naws_access_key_id = AKIACFGBOTH0000FFFF\n"
                         "aws_secret_access_key = s\nregion = ap-south-1\n");
    write_file(cred_path, "[profile z]\naws_access_key_id = AKIACREDPROF000GGGG\n"
                          "aws_secret_access_key = s\n"
                          "[both]\naws_access_key_id = AKIACREDBOTH000HHHH\n"
                          "aws_secret_access_key = s\n");
    setenv("AWS_PROFILE", "x", 1);
    expect_explain(NULL, "ERROR: profile x not found");
    setenv("AWS_PROFILE", "y", 1);
    expect_explain(NULL, "profile y: static keys (access key ...EEEE)");
    setenv("AWS_PROFILE", "z", 1);
    expect_explain(NULL, "ERROR: profile z not found");
    setenv("AWS_PROFILE", "profile z", 1);
    expect_explain(NULL, "profile profile z: static keys (access key ...GGGG)");
    /* The same profile in both files: the credentials file wins, the rest merges. */
    setenv("AWS_PROFILE", "both", 1);
    expect_explain(NULL, "profile both: static keys (access key ...HHHH)");
    char *r = lc_creds_default_region(NULL);
    assert_string_equal(r, "ap-south-1");
    free(r);
}

static void test_region(void **state)
{
    char *r;
    (void)state;
    assert_null(lc_creds_default_region(NULL));
    write_file(cfg_path, "[default]\nregion = us-west-2\n[profile eu]\nregion = eu-central-1\n");
    r = lc_creds_default_region(NULL);
    assert_string_equal(r, "us-west-2");
    free(r);
    r = lc_creds_default_region("eu");
    assert_string_equal(r, "eu-central-1");
    free(r);
    setenv("AWS_DEFAULT_REGION", "ca-central-1", 1);
    r = lc_creds_default_region("eu");
    assert_string_equal(r, "ca-central-1");
    free(r);
    setenv("AWS_REGION", "sa-east-1", 1);
    r = lc_creds_default_region("eu");
    assert_string_equal(r, "sa-east-1");
    free(r);
}

static void test_source_profile_chain(void **state)
{
    (void)state;
    write_file(cfg_path,
               "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = b\n"
               "external_id = ext-a\nrole_session_name = sess-a\nduration_seconds = 1800\n"
               "region = eu-north-1\n"
               "[profile b]\nrole_arn = arn:aws:iam::222222222222:role/B\nsource_profile = c\n"
               "[profile c]\nregion = us-east-2\n");
    write_file(cred_path, "[c]\naws_access_key_id = AKIASOURCE00000CCCC\n"
                          "aws_secret_access_key = s\n");
    setenv("AWS_PROFILE", "a", 1);
    char *got = explain(NULL);
    const char *want =
        "profile a: AssumeRole arn:aws:iam::111111111111:role/A, external id set, session name "
        "sess-a, duration 1800s, region eu-north-1, signed with:\n"
        "  profile b: AssumeRole arn:aws:iam::222222222222:role/B, region eu-north-1, signed "
        "with:\n"
        "    profile c: static keys (access key ...CCCC) from ";
    if (strncmp(got, want, strlen(want)) != 0)
        fail_msg("got:\n%s", got);
    assert_null(strstr(got, "ext-a")); /* external ids are not printed */
    free(got);

    /* Static keys of a source profile win over its own role_arn. */
    write_file(cfg_path, "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n"
                         "[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n"
                         "aws_access_key_id = AKIABSTATIC0000BBBB\naws_secret_access_key = s\n");
    expect_explain(NULL, "signed with:\n  profile b: static keys (access key ...BBBB)");
}

static void test_source_profile_cycles(void **state)
{
    (void)state;
    write_file(cfg_path, "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n"
                         "[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = c\n"
                         "[profile c]\nrole_arn = arn:aws:iam::1:role/C\nsource_profile = a\n");
    setenv("AWS_PROFILE", "a", 1);
    expect_explain(NULL, "ERROR: source_profile loop: a -> b -> c -> a");

    /* A profile naming itself: fine with static keys (botocore), a loop without. */
    write_file(cfg_path, "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = a\n"
                         "aws_access_key_id = AKIASELF00000000SSSS\naws_secret_access_key = s\n");
    expect_explain(NULL, "signed with:\n  profile a: static keys (access key ...SSSS)");
    write_file(cfg_path, "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = a\n");
    expect_explain(NULL, "ERROR: source_profile loop: a -> a");

    /* Broken role profiles. */
    write_file(cfg_path, "[profile a]\nrole_arn = arn:aws:iam::1:role/A\n");
    expect_explain(NULL, "ERROR: profile a: role_arn needs source_profile or credential_source");
    write_file(cfg_path, "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = zz\n");
    expect_explain(NULL, "ERROR: profile a: source_profile zz not found");
    write_file(cfg_path, "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n"
                         "credential_source = Environment\n[profile b]\n");
    expect_explain(NULL, "cannot both be set");
    write_file(cfg_path, "[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n"
                         "[profile b]\nregion = us-east-1\n");
    expect_explain(NULL, "ERROR: source profile b has no credentials");
    write_file(cfg_path, "[profile a]\nrole_arn = arn:aws:iam::1:role/A\n"
                         "credential_source = Environment\nduration_seconds = 60\n");
    expect_explain(NULL, "ERROR: profile a: duration_seconds must be");
    write_file(cfg_path, "[profile a]\nrole_arn = arn:aws:iam::1:role/A\n"
                         "credential_source = Environment\nmfa_serial = arn:aws:iam::1:mfa/u\n");
    expect_explain(NULL, "ERROR: profile a: mfa_serial");
    write_file(cfg_path, "[profile a]\ncredential_process = /bin/echo\n");
    expect_explain(NULL, "ERROR: profile a uses credential_process");
}

static void test_credential_source(void **state)
{
    (void)state;
    write_file(cfg_path, "[profile e]\nrole_arn = arn:aws:iam::1:role/E\n"
                         "credential_source = Environment\n"
                         "[profile i]\nrole_arn = arn:aws:iam::1:role/I\n"
                         "credential_source = Ec2InstanceMetadata\n"
                         "[profile c]\nrole_arn = arn:aws:iam::1:role/C\n"
                         "credential_source = EcsContainer\n"
                         "[profile bad]\nrole_arn = arn:aws:iam::1:role/X\n"
                         "credential_source = Ec2\n");
    setenv("AWS_PROFILE", "e", 1);
    expect_explain(NULL, "ERROR: profile e: credential_source Environment, but");
    setenv("AWS_ACCESS_KEY_ID", "AKIAENVSOURCE000EEEE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
    /* With keys in the environment the env provider answers first (aws-cli order)... */
    expect_explain(NULL, "environment: static keys (access key ...EEEE)");
    /* ...unless the profile is chosen explicitly. */
    struct lc_credprov_opts o = {.profile = "e"};
    expect_explain(&o, "AssumeRole arn:aws:iam::1:role/E, signed with:\n"
                       "  environment: static keys (access key ...EEEE)");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");

    setenv("AWS_PROFILE", "i", 1);
    expect_explain(NULL, "ERROR: profile i: credential_source Ec2InstanceMetadata, but "
                         "AWS_EC2_METADATA_DISABLED");
    unsetenv("AWS_EC2_METADATA_DISABLED");
    expect_explain(NULL, "signed with:\n  EC2 instance metadata at http://169.254.169.254 "
                         "(IMDSv2 only)");

    setenv("AWS_PROFILE", "c", 1);
    expect_explain(NULL, "ERROR: profile c: credential_source EcsContainer, but");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds/abc", 1);
    expect_explain(NULL, "signed with:\n  container credentials from "
                         "http://169.254.170.2/v2/creds/abc");

    setenv("AWS_PROFILE", "bad", 1);
    expect_explain(NULL, "ERROR: profile bad: credential_source must be");
}

static void test_malformed_ini(void **state)
{
    char want[256];
    (void)state;
    static const struct {
        const char *text;
        unsigned line;
        const char *msg;
    } cases[] = {
        {"aws_access_key_id = AKIA\n", 1, "setting outside of any [section]"},
        {"# comment\n[default]\nregion = us-east-1\nTOPSECRETVALUE\n", 4, "expected 'key = value'"},
        {"[default]\n\n[profile x\nregion = y\n", 3, "malformed section header"},
        {"[default]\n[  ]\n", 2, "empty section name"},
        {"[default]\n = value\n", 2, "missing key before '='"},
        {"[default] trailing\n", 1, "malformed section header"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_file(cfg_path, cases[i].text);
        snprintf(want, sizeof(want), "ERROR: %s:%u: %s", cfg_path, cases[i].line, cases[i].msg);
        char *got = explain(NULL);
        if (strcmp(got, want) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, got, want);
        assert_null(strstr(got, "TOPSECRET")); /* the line itself is never quoted */
        free(got);
    }

    /* What parses: comments, whitespace, ':' as separator, case-folded keys, CRLF, a BOM,
     * and nested sub-sections (skipped). */
    write_file(cfg_path, "\xEF\xBB\xBF# top comment\r\n"
                         "; another\r\n"
                         "  [ default ]  \r\n"
                         "\taws_secret_access_key=  s  \r\n"
                         "s3 =\r\n"
                         "    max_concurrent_requests = 20\r\n"
                         "    [not a section]\r\n"
                         "    garbage line without separator\r\n"
                         "AWS_Access_Key_ID: AKIANESTED000000NNNN\r\n"
                         "region = us-east-1\r\n");
    expect_explain(NULL, "profile default: static keys (access key ...NNNN)");

    /* Missing files are absent; an explicitly named unreadable one is an error. */
    unlink(cfg_path);
    expect_explain(NULL, "ERROR: no credentials found");
    mkdir(cfg_path, 0700);
    snprintf(want, sizeof(want), "ERROR: cannot read %s: Is a directory", cfg_path);
    expect_explain(NULL, want);
    rmdir(cfg_path);
    /* A default path that cannot be read is only a warning. */
    unsetenv("AWS_CONFIG_FILE");
    char dotaws[160];
    snprintf(dotaws, sizeof(dotaws), "%s/.aws", tmpdir);
    mkdir(dotaws, 0700);
    snprintf(dotaws, sizeof(dotaws), "%s/.aws/config", tmpdir);
    mkdir(dotaws, 0700);
    expect_explain(NULL, "ERROR: no credentials found");
    /* A NUL byte. */
    setenv("AWS_CONFIG_FILE", cfg_path, 1);
    FILE *f = fopen(cfg_path, "w");
    assert_non_null(f);
    fwrite("[default]\nregion = a\0b\n", 1, 23, f);
    fclose(f);
    expect_explain(NULL, "contains a NUL byte");
}

/* Random bytes and random INI-ish lines: errors or results, never a crash (ASan watches). */
static void test_ini_garbage(void **state)
{
    static const char *const pieces[] = {"[",        "]",
                                         "profile ", "default",
                                         "=",        ":",
                                         " ",        "\t",
                                         "\n",       "\r\n",
                                         "#",        ";",
                                         "role_arn", "source_profile",
                                         "a",        "aws_access_key_id",
                                         "x",        "\xEF\xBB\xBF",
                                         "\xff"};
    uint32_t seed = 12345;
    char text[600];
    enum lc_log_level old = lc_log_get_level();
    (void)state;

    lc_log_set_level(LC_LOG_ERROR);

    for (int round = 0; round < 400; round++) {
        size_t n = 0;
        while (n < sizeof(text) - 32) {
            seed = seed * 1103515245u + 12345u;
            if (round % 2) {
                text[n++] = (char)(seed >> 16);
                if (text[n - 1] == '\0')
                    text[n - 1] = '\n';
            } else {
                const char *p = pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
                memcpy(text + n, p, strlen(p));
                n += strlen(p);
            }
            if ((seed >> 8) % 97 == 0)
                break;
        }
        text[n] = '\0';
        write_file(round % 3 ? cfg_path : cred_path, text);
        setenv("AWS_PROFILE", round % 4 ? "default" : "a", 1);
        free(explain(NULL));
        free(lc_creds_default_region(NULL));
    }
    lc_log_set_level(old);
}

static void test_web_identity_resolution(void **state)
{
    char want[300];
    (void)state;
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token", 1);
    expect_explain(NULL, "ERROR: a web identity token file is configured (environment "
                         "variables) but no role");
    setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/W", 1);
    setenv("AWS_ROLE_SESSION_NAME", "pod-1", 1);
    expect_explain(NULL, "AssumeRoleWithWebIdentity arn:aws:iam::1:role/W (unsigned), token "
                         "file /var/run/token, from environment variables, session name pod-1");
    unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
    unsetenv("AWS_ROLE_ARN");
    unsetenv("AWS_ROLE_SESSION_NAME");
    write_file(cfg_path, "[profile w]\nrole_arn = arn:aws:iam::1:role/P\n"
                         "web_identity_token_file = ~/tok\nduration_seconds = 900\n");
    setenv("AWS_PROFILE", "w", 1);
    snprintf(want, sizeof(want),
             "AssumeRoleWithWebIdentity arn:aws:iam::1:role/P (unsigned), token file %s/tok, "
             "from w, duration 900s",
             tmpdir);
    expect_explain(NULL, want);
}

static void test_container_resolution(void **state)
{
    struct lc_credprov_opts o = {.container_host = "http://127.0.0.1:9/"};
    (void)state;
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x", 1);
    expect_explain(NULL, "container credentials from http://169.254.170.2/v2/credentials/x");
    expect_explain(&o, "container credentials from http://127.0.0.1:9/v2/credentials/x");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2", 1);
    expect_explain(NULL, "ERROR: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'");
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");

    static const char *const ok[] = {
        "http://127.0.0.1:8080/creds", "http://127.9.9.9/c",
        "http://localhost/c",          "http://LOCALHOST:1/c",
        "http://169.254.170.2/c",      "http://169.254.170.23/v1/credentials",
        "http://[fd00:ec2::23]/v1/c",  "http://[::1]:80/c",
        "https://creds.example.com/c", "http://user@127.0.0.1/c",
    };
    static const char *const bad[] = {
        "http://example.com/c",        "http://169.254.169.254/c", "http://[fd00:ec2::24]/c",
        "http://127.0.0.1.evil.com/c", "http://evil.com@x/c",      "ftp://127.0.0.1/c",
        "http://localhost.evil.com/c",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", ok[i], 1);
        char *got = explain(NULL);
        if (strncmp(got, "container credentials from ", 27) != 0)
            fail_msg("%s: %s", ok[i], got);
        free(got);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", bad[i], 1);
        char *got = explain(NULL);
        if (strncmp(got, "ERROR: AWS_CONTAINER_CREDENTIALS_FULL_URI", 41) != 0)
            fail_msg("%s: %s", bad[i], got);
        free(got);
    }
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1/c", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "abc\r\nX-Injected: 1", 1);
    expect_explain(NULL, "ERROR: AWS_CONTAINER_AUTHORIZATION_TOKEN contains a line break");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "abc", 1);
    expect_explain(NULL, "Authorization from AWS_CONTAINER_AUTHORIZATION_TOKEN");
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/run/tok", 1);
    expect_explain(NULL, "Authorization from file /run/tok");
}

static void test_imds_resolution(void **state)
{
    struct lc_credprov_opts o = {.imds_v1_fallback = true};
    (void)state;
    expect_explain(NULL, "ERROR: no credentials found");
    unsetenv("AWS_EC2_METADATA_DISABLED");
    expect_explain(NULL, "EC2 instance metadata at http://169.254.169.254 (IMDSv2 only)");
    expect_explain(&o, "(IMDSv2, IMDSv1 fallback allowed)");
    setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
    expect_explain(&o, "(IMDSv2 only)");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6", 1);
    expect_explain(NULL, "EC2 instance metadata at http://[fd00:ec2::254] ");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://10.0.0.1:1234/", 1);
    expect_explain(NULL, "EC2 instance metadata at http://10.0.0.1:1234 ");
    o.imds_endpoint = "http://127.0.0.1:5";
    expect_explain(&o, "EC2 instance metadata at http://127.0.0.1:5 ");
}

static void test_json_document(void **state)
{
    struct lc_creds c;
    struct lc_error err;
    const char *good = "{\"Code\":\"Success\",\"LastUpdated\":\"2026-11-22T08:00:00Z\","
                       "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAJSON\","
                       "\"SecretAccessKey\":\"sec\",\"Token\":\"tok\","
                       "\"Expiration\":\"2026-11-22T14:00:00Z\"}";
    (void)state;
    lc_error_clear(&err);
    assert_int_equal(lc_creds_from_json(good, strlen(good), &c, &err), 0);
    assert_string_equal(c.access_key_id, "ASIAJSON");
    assert_string_equal(c.secret_access_key, "sec");
    assert_string_equal(c.session_token, "tok");
    assert_int_equal(c.expiration, 1795356000); /* 2026-11-22T14:00:00Z */
    lc_creds_clear(&c);

    static const char *const bad[] = {
        "",
        "[]",
        "{\"AccessKeyId\":\"a\"}",
        "{\"AccessKeyId\":\"a\",\"SecretAccessKey\":1}",
        "{\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"b\",\"Expiration\":\"tomorrow\"}",
        "{\"Code\":\"Failure\",\"AccessKeyId\":\"a\",\"SecretAccessKey\":\"b\"}",
        "{\"Acc",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        lc_error_clear(&err);
        assert_int_not_equal(lc_creds_from_json(bad[i], strlen(bad[i]), &c, &err), 0);
        assert_null(c.access_key_id);
        assert_true(err.message[0] != '\0');
    }
}

/* ---- the cache and the network providers, against cpfixture.py ------------------------- */

struct fx {
    struct lc_testsrv srv;
    char log[160];
    char endpoint[64];
    struct event_base *base;
    struct lc_http *http;
    struct lc_aws *aws;
};

static time_t fake_now; /* 0 = the real clock */
static int outstanding;
static bool timed_out;

static time_t test_clock(void)
{
    return fake_now ? fake_now : time(NULL);
}

static void fx_start(struct fx *fx, const char *scenario)
{
    char script[256], scen[256];
    struct lc_http_opts ho = {0};
    struct lc_aws_config cfg = {.region = "us-east-1", .base_delay_ms = 1, .max_delay_ms = 5};
    struct lc_error err;

    memset(fx, 0, sizeof(*fx));
    snprintf(fx->log, sizeof(fx->log), "%s/fixture.log", tmpdir);
    lc_testsrv_path("cpfixture.py", script, sizeof(script));
    lc_testsrv_path(scenario, scen, sizeof(scen));
    char *argv[] = {
        (char *)lc_testsrv_python(), script, "--scenario", scen, "--log", fx->log, NULL};
    assert_int_equal(lc_testsrv_start(&fx->srv, argv), 0);
    for (int i = 0; i < 4; i++) {
        if (live[i].pid == 0) {
            live[i] = fx->srv;
            break;
        }
    }
    snprintf(fx->endpoint, sizeof(fx->endpoint), "http://127.0.0.1:%d", fx->srv.port);
    cfg.endpoint = fx->endpoint;
    lc_error_clear(&err);
    fx->base = event_base_new();
    assert_non_null(fx->base);
    fx->http = lc_http_new(fx->base, &ho, &err);
    assert_non_null(fx->http);
    fx->aws = lc_aws_new(fx->base, fx->http, &cfg, &err);
    assert_non_null(fx->aws);
    fake_now = 0;
    lc_aws_set_clock(fx->aws, test_clock);
    outstanding = 0;
    timed_out = false;
}

static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    timed_out = true;
}

/* Run the loop until every get was answered and the HTTP engine is idle. */
static void run(struct fx *fx)
{
    struct timeval tv = {20, 0};
    struct event *wd = evtimer_new(fx->base, on_watchdog, NULL);

    evtimer_add(wd, &tv);
    while ((outstanding > 0 || lc_http_pending(fx->http) > 0) && !timed_out)
        event_base_loop(fx->base, EVLOOP_ONCE);
    event_free(wd);
    assert_false(timed_out);
}

static void fx_stop(struct fx *fx)
{
    run(fx);
    lc_aws_free(fx->aws);
    lc_http_free(fx->http);
    event_base_free(fx->base);
    for (int i = 0; i < 4; i++)
        if (live[i].pid == fx->srv.pid)
            memset(&live[i], 0, sizeof(live[i]));
    lc_testsrv_stop(&fx->srv);
    fake_now = 0;
}

struct got {
    int calls;
    bool ok;
    char akid[64], secret[128], token[128];
    time_t exp;
    struct lc_error err;
    struct lc_credprov *free_me; /* freed from inside the callback */
    struct got *cancel_me;       /* cancelled from inside the callback */
    struct lc_credprov *cancel_from;
};

static void on_creds(void *ud, const struct lc_creds *c, const struct lc_error *e)
{
    struct got *g = ud;

    g->calls++;
    outstanding--;
    if (c) {
        g->ok = true;
        lc_strlcpy(g->akid, c->access_key_id, sizeof(g->akid));
        lc_strlcpy(g->secret, c->secret_access_key, sizeof(g->secret));
        lc_strlcpy(g->token, c->session_token ? c->session_token : "", sizeof(g->token));
        g->exp = c->expiration;
    } else {
        assert_non_null(e);
        g->err = *e;
    }
    if (g->free_me)
        lc_credprov_free(g->free_me);
    if (g->cancel_me)
        lc_credprov_cancel(g->cancel_from, on_creds, g->cancel_me);
}

/* Ask; the answer never comes from inside lc_credprov_get. */
static void get(struct lc_credprov *p, struct got *g)
{
    struct lc_error err;

    memset(g, 0, sizeof(*g));
    lc_error_clear(&err);
    outstanding++;
    assert_int_equal(lc_credprov_get(p, on_creds, g, &err), 0);
    assert_int_equal(g->calls, 0);
}

static struct lc_credprov *chain(struct fx *fx, const struct lc_credprov_opts *o)
{
    struct lc_error err;
    struct lc_credprov *p;

    lc_error_clear(&err);
    p = lc_credprov_default(fx->aws, o, &err);
    assert_non_null(p);
    return p;
}

static void expect_ok(const struct got *g, const char *akid)
{
    if (g->calls != 1 || !g->ok)
        fail_msg("calls %d ok %d: %s", g->calls, g->ok, g->err.message);
    assert_string_equal(g->akid, akid);
}

static void expect_fail(const struct got *g, const char *msg_part)
{
    assert_int_equal(g->calls, 1);
    assert_false(g->ok);
    if (!strstr(g->err.message, msg_part))
        fail_msg("error '%s' lacks '%s'", g->err.message, msg_part);
}

/* The fixture's log: one JSON object per request. It is written just after the response, so
 * wait (briefly, bounded) until it holds at least `want` records. */
static cJSON *fixture_log(struct fx *fx, int want)
{
    cJSON *arr = NULL;

    for (int tries = 0; tries < 300; tries++) {
        char line[8192];
        FILE *f = fopen(fx->log, "r");
        cJSON_Delete(arr);
        arr = cJSON_CreateArray();
        while (f && fgets(line, sizeof(line), f)) {
            cJSON *j = cJSON_Parse(line);
            if (j)
                cJSON_AddItemToArray(arr, j);
        }
        if (f)
            fclose(f);
        if (cJSON_GetArraySize(arr) >= want)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return arr;
}

static int count_ops(const cJSON *log, const char *service, const char *op)
{
    int n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, log)
    {
        const cJSON *s = cJSON_GetObjectItem(r, "service");
        const cJSON *o = cJSON_GetObjectItem(r, "operation");
        if (cJSON_IsString(s) && strcmp(s->valuestring, service) == 0 &&
            (!op || (cJSON_IsString(o) && strcmp(o->valuestring, op) == 0)))
            n++;
    }
    return n;
}

/* The n-th (0-based) record of service.operation. */
static const cJSON *find_op(const cJSON *log, const char *service, const char *op, int nth)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, log)
    {
        const cJSON *s = cJSON_GetObjectItem(r, "service");
        const cJSON *o = cJSON_GetObjectItem(r, "operation");
        if (cJSON_IsString(s) && strcmp(s->valuestring, service) == 0 && cJSON_IsString(o) &&
            strcmp(o->valuestring, op) == 0 && nth-- == 0)
            return r;
    }
    fail_msg("no %s.%s record", service, op);
    return NULL;
}

static const char *rec_str(const cJSON *rec, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(rec, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static const char *rec_param(const cJSON *rec, const char *name)
{
    return rec_str(cJSON_GetObjectItem(rec, "params"), name);
}

static bool rec_true(const cJSON *rec, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItem(rec, name));
}

static struct lc_credprov *source_keys(struct fx *fx)
{
    struct lc_creds sc = {.access_key_id = "AKIALCCREDSSOURCE01",
                          .secret_access_key = "lc-creds-source-secret-0001"};
    struct lc_error err;
    struct lc_credprov *p;

    lc_error_clear(&err);
    p = lc_credprov_static(fx->aws, &sc, &err);
    assert_non_null(p);
    return p;
}

static void test_static_and_free(void **state)
{
    struct fx fx;
    struct got g1, g2, g3;
    struct lc_error err;
    (void)state;

    fx_start(&fx, "scenarios/creds_meta.json");
    struct lc_credprov *p = source_keys(&fx);
    assert_string_equal(lc_credprov_source(p), "static");
    get(p, &g1);
    run(&fx);
    expect_ok(&g1, "AKIALCCREDSSOURCE01");
    assert_string_equal(g1.secret, "lc-creds-source-secret-0001");
    lc_credprov_invalidate(p); /* static: nothing to refresh, still served */
    get(p, &g1);
    run(&fx);
    expect_ok(&g1, "AKIALCCREDSSOURCE01");

    /* Freed from inside its own callback, with another waiter queued behind. */
    get(p, &g1);
    g1.free_me = p;
    get(p, &g2);
    run(&fx);
    expect_ok(&g1, "AKIALCCREDSSOURCE01");
    expect_ok(&g2, "AKIALCCREDSSOURCE01");

    /* A cancelled get is never answered; the others are. */
    p = source_keys(&fx);
    get(p, &g1);
    get(p, &g2);
    lc_credprov_cancel(p, on_creds, &g1);
    outstanding--;
    run(&fx);
    assert_int_equal(g1.calls, 0);
    expect_ok(&g2, "AKIALCCREDSSOURCE01");
    /* ...also when cancelled by an earlier callback of the same round. */
    get(p, &g1);
    g1.cancel_me = &g2;
    g1.cancel_from = p;
    get(p, &g2);
    outstanding--;
    run(&fx);
    expect_ok(&g1, "AKIALCCREDSSOURCE01");
    assert_int_equal(g2.calls, 0);
    lc_credprov_free(p);

    /* Freed with a refresh in flight: waiters hear LC_E_CANCELLED, nothing leaks. */
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/none", 1);
    p = chain(&fx, NULL);
    get(p, &g3);
    lc_credprov_free(p);
    assert_int_equal(g3.calls, 1);
    assert_int_equal(g3.err.kind, LC_E_CANCELLED);
    run(&fx);

    lc_error_clear(&err);
    assert_null(lc_credprov_static(fx.aws, NULL, &err));
    assert_int_equal(err.kind, LC_E_INVALID);
    fx_stop(&fx);
}

static void test_assume_role(void **state)
{
    struct fx fx;
    struct got g;
    struct lc_error err;
    (void)state;

    fx_start(&fx, "scenarios/creds_sts.json");
    struct lc_credprov *src = source_keys(&fx);
    lc_error_clear(&err);
    struct lc_credprov *ar =
        lc_credprov_assume_role(fx.aws, src, "arn:aws:iam::111122223333:role/lc-reader",
                                "lc-ext-42", "lc-test-session", NULL, &err);
    assert_non_null(ar);
    assert_string_equal(lc_credprov_source(ar),
                        "assume-role arn:aws:iam::111122223333:role/lc-reader");
    get(ar, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSROLE0001");
    assert_string_equal(g.secret, "lc-creds-role-secret");
    assert_string_equal(g.token, "lc-creds-role-token");
    assert_true(g.exp > time(NULL) + 3000 && g.exp <= time(NULL) + 3600);

    cJSON *log = fixture_log(&fx, 1);
    const cJSON *r = find_op(log, "sts", "AssumeRole", 0);
    assert_string_equal(rec_param(r, "ExternalId"), "lc-ext-42");
    assert_string_equal(rec_param(r, "RoleSessionName"), "lc-test-session");
    assert_string_equal(rec_param(r, "RoleArn"), "arn:aws:iam::111122223333:role/lc-reader");
    assert_string_equal(rec_str(r, "auth"), "ok");
    assert_true(rec_true(r, "sig_ok"));
    assert_string_equal(rec_str(r, "access_key"), "AKIALCCREDSSOURCE01");
    cJSON_Delete(log);

    /* STS says no: the AWS error reaches the waiter, naming the role. */
    struct lc_credprov *denied = lc_credprov_assume_role(
        fx.aws, src, "arn:aws:iam::111122223333:role/other", NULL, NULL, NULL, &err);
    get(denied, &g);
    run(&fx);
    expect_fail(&g, "AssumeRole arn:aws:iam::111122223333:role/other");
    assert_int_equal(g.err.kind, LC_E_AWS);
    assert_string_equal(g.err.code, "AccessDenied");
    assert_int_equal(g.err.status, 403);
    lc_credprov_free(denied);
    lc_credprov_free(ar);
    lc_credprov_free(src);

    /* The same through the profile chain: chained -> reader (external id) -> base keys. */
    write_file(cfg_path, "[profile chained]\n"
                         "role_arn = arn:aws:iam::111122223333:role/lc-chained\n"
                         "source_profile = reader\nrole_session_name = lc-chain-session\n"
                         "[profile reader]\n"
                         "role_arn = arn:aws:iam::111122223333:role/lc-reader\n"
                         "source_profile = base\nexternal_id = lc-ext-42\n");
    write_file(cred_path, "[base]\naws_access_key_id = AKIALCCREDSSOURCE01\n"
                          "aws_secret_access_key = lc-creds-source-secret-0001\n");
    setenv("AWS_PROFILE", "chained", 1);
    struct lc_credprov *p = chain(&fx, NULL);
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSCHAIN001");
    assert_string_equal(lc_credprov_source(p),
                        "assume-role arn:aws:iam::111122223333:role/lc-chained");
    log = fixture_log(&fx, 4);
    r = find_op(log, "sts", "AssumeRole", 2);
    assert_string_equal(rec_param(r, "ExternalId"), "lc-ext-42");
    assert_string_equal(rec_str(r, "access_key"), "AKIALCCREDSSOURCE01");
    assert_true(rec_true(r, "sig_ok"));
    r = find_op(log, "sts", "AssumeRole", 3);
    assert_string_equal(rec_param(r, "RoleArn"), "arn:aws:iam::111122223333:role/lc-chained");
    assert_string_equal(rec_param(r, "RoleSessionName"), "lc-chain-session");
    assert_string_equal(rec_str(r, "access_key"), "ASIALCCREDSROLE0001");
    assert_true(rec_true(r, "token_present"));
    assert_true(rec_true(r, "sig_ok"));
    cJSON_Delete(log);
    lc_credprov_free(p);
    fx_stop(&fx);
}

static void test_web_identity(void **state)
{
    struct fx fx;
    struct got g;
    char tok[160];
    (void)state;

    fx_start(&fx, "scenarios/creds_sts.json");
    snprintf(tok, sizeof(tok), "%s/web-token", tmpdir);
    write_file(tok, "lc-web-identity-token-v1\n");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/lc-web", 1);
    setenv("AWS_ROLE_SESSION_NAME", "lc-web-session", 1);
    struct lc_credprov *p = chain(&fx, NULL);
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSWEB00001");
    assert_string_equal(g.token, "lc-creds-web-token-1");
    assert_string_equal(lc_credprov_source(p),
                        "web-identity arn:aws:iam::111122223333:role/lc-web");
    cJSON *log = fixture_log(&fx, 1);
    const cJSON *r = find_op(log, "sts", "AssumeRoleWithWebIdentity", 0);
    assert_string_equal(rec_str(r, "auth"), "unsigned");
    assert_string_equal(rec_param(r, "RoleSessionName"), "lc-web-session");
    assert_string_equal(rec_param(r, "RoleArn"), "arn:aws:iam::111122223333:role/lc-web");
    cJSON_Delete(log);

    /* The token file is read again on every refresh (tokens rotate). */
    write_file(tok, "lc-web-identity-token-v2");
    lc_credprov_invalidate(p);
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSWEB00002");

    write_file(tok, "not-a-valid-token");
    lc_credprov_invalidate(p);
    get(p, &g);
    run(&fx);
    expect_fail(&g, "Couldn't retrieve verification key");
    assert_string_equal(g.err.code, "InvalidIdentityToken");

    unlink(tok);
    get(p, &g);
    run(&fx);
    expect_fail(&g, "cannot read web identity token file");
    assert_int_equal(g.err.kind, LC_E_CREDENTIALS);
    log = fixture_log(&fx, 3);
    assert_int_equal(count_ops(log, "sts", "AssumeRoleWithWebIdentity"), 3);
    cJSON_Delete(log);
    lc_credprov_free(p);
    fx_stop(&fx);
}

static void test_container(void **state)
{
    struct fx fx;
    struct got g;
    char tok[160], url[160];
    (void)state;

    fx_start(&fx, "scenarios/creds_meta.json");
    snprintf(tok, sizeof(tok), "%s/container-token", tmpdir);
    write_file(tok, "lc-creds-container-auth\n");
    snprintf(url, sizeof(url), "%s/v2/credentials/lc-creds-task", fx.endpoint);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tok, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-a-file-is-set", 1);
    struct lc_credprov *p = chain(&fx, NULL);
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSECS00001");
    assert_string_equal(g.secret, "lc-creds-ecs-secret");
    assert_string_equal(g.token, "lc-creds-ecs-token");
    assert_true(g.exp > time(NULL));
    assert_string_equal(lc_credprov_source(p), "container");
    cJSON *log = fixture_log(&fx, 1);
    assert_string_equal(rec_str(find_op(log, "container", "GetCredentials", 0), "auth"), "ok");
    cJSON_Delete(log);

    /* The token file is read again on every refresh. */
    write_file(tok, "wrong-token");
    lc_credprov_invalidate(p);
    get(p, &g);
    run(&fx);
    expect_fail(&g, "HTTP 401");
    assert_int_equal(g.err.status, 401);
    assert_string_equal(g.err.code, "AccessDeniedException");
    /* A token that would split the header never leaves the process. */
    write_file(tok, "lc-creds\r\nX-Evil: 1");
    get(p, &g);
    run(&fx);
    expect_fail(&g, "contains a line break");
    log = fixture_log(&fx, 2);
    assert_int_equal(count_ops(log, "container", NULL), 2);
    cJSON_Delete(log);
    lc_credprov_free(p);

    /* Relative URI against the host given in the options, token from the environment. */
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/lc-creds-task", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "lc-creds-container-auth", 1);
    struct lc_credprov_opts o = {.container_host = fx.endpoint};
    p = chain(&fx, &o);
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSECS00001");
    lc_credprov_free(p);
    fx_stop(&fx);
}

static void test_imds_v2(void **state)
{
    struct fx fx;
    struct got g;
    (void)state;

    fx_start(&fx, "scenarios/creds_meta.json");
    unsetenv("AWS_EC2_METADATA_DISABLED");
    struct lc_credprov_opts o = {.imds_endpoint = fx.endpoint};
    struct lc_credprov *p = chain(&fx, &o);
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSIMDS0001");
    assert_string_equal(g.secret, "lc-creds-imds-secret");
    assert_string_equal(g.token, "lc-creds-imds-token");
    assert_string_equal(lc_credprov_source(p), "imds");
    cJSON *log = fixture_log(&fx, 3);
    assert_int_equal(cJSON_GetArraySize(log), 3);
    const cJSON *r = find_op(log, "imds", "GetToken", 0);
    assert_string_equal(rec_str(r, "method"), "PUT");
    r = find_op(log, "imds", "ListRoles", 0);
    assert_true(rec_true(r, "token_present"));
    assert_string_equal(rec_str(r, "auth"), "ok");
    r = find_op(log, "imds", "GetRoleCredentials", 0);
    assert_string_equal(rec_str(r, "path"),
                        "/latest/meta-data/iam/security-credentials/lc-creds-instance");
    assert_string_equal(rec_str(r, "auth"), "ok");
    cJSON_Delete(log);
    lc_credprov_free(p);
    fx_stop(&fx);
}

static void test_imds_no_v1_fallback(void **state)
{
    struct fx fx;
    struct got g;
    (void)state;

    fx_start(&fx, "scenarios/creds_imds_notoken.json");
    unsetenv("AWS_EC2_METADATA_DISABLED");
    struct lc_credprov_opts o = {.imds_endpoint = fx.endpoint};
    struct lc_credprov *p = chain(&fx, &o);
    get(p, &g);
    run(&fx);
    expect_fail(&g, "IMDSv1 fallback disabled");
    assert_int_equal(g.err.status, 403);
    assert_string_equal(g.err.service, "imds");
    cJSON *log = fixture_log(&fx, 1);
    assert_int_equal(cJSON_GetArraySize(log), 1); /* nothing after the failed token PUT */
    cJSON_Delete(log);
    lc_credprov_free(p);

    /* Allowed by the options: IMDSv1 (no token header). */
    o.imds_v1_fallback = true;
    p = chain(&fx, &o);
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSIMDSV101");
    log = fixture_log(&fx, 4);
    assert_int_equal(cJSON_GetArraySize(log), 4);
    const cJSON *r = find_op(log, "imds", "ListRoles", 0);
    assert_false(rec_true(r, "token_present"));
    assert_string_equal(rec_str(r, "auth"), "unsigned");
    cJSON_Delete(log);
    lc_credprov_free(p);

    /* ...but AWS_EC2_METADATA_V1_DISABLED still forbids it. */
    setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
    p = chain(&fx, &o);
    get(p, &g);
    run(&fx);
    expect_fail(&g, "IMDSv1 fallback disabled");
    lc_credprov_free(p);
    fx_stop(&fx);
}

#define T2030 ((time_t)1893456000) /* 2030-01-01T00:00:00Z */

static void test_refresh(void **state)
{
    struct fx fx;
    struct got g;
    char url[160];
    (void)state;

    /* Container credentials expiring at T2030+1h, then T2030+2h, then only 500s. */
    fx_start(&fx, "scenarios/creds_refresh.json");
    snprintf(url, sizeof(url), "%s/v2/credentials/lc-creds-refresh", fx.endpoint);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    struct lc_credprov_opts o = {.refresh_margin_s = 300};
    struct lc_credprov *p = chain(&fx, &o);

    fake_now = T2030;
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSREFRESH1");
    assert_int_equal(g.exp, T2030 + 3600);
    fake_now = T2030 + 3600 - 301; /* just outside the margin: cached */
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSREFRESH1");
    cJSON *log = fixture_log(&fx, 1);
    assert_int_equal(cJSON_GetArraySize(log), 1);
    cJSON_Delete(log);

    fake_now = T2030 + 3600 - 299; /* inside the margin: refreshed before expiry */
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSREFRESH2");
    assert_int_equal(g.exp, T2030 + 7200);
    log = fixture_log(&fx, 2);
    assert_int_equal(cJSON_GetArraySize(log), 2);
    cJSON_Delete(log);

    /* The refresh fails (3 tries) while the credentials are still valid: keep using them, and
     * do not hammer the endpoint on every get. */
    fake_now = T2030 + 7200 - 100;
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSREFRESH2");
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSREFRESH2");
    log = fixture_log(&fx, 5);
    assert_int_equal(cJSON_GetArraySize(log), 5);
    cJSON_Delete(log);

    /* Expired and the endpoint still fails: every waiter hears the error. */
    fake_now = T2030 + 7200 + 1;
    struct got g2;
    get(p, &g);
    get(p, &g2);
    run(&fx);
    expect_fail(&g, "HTTP 500");
    expect_fail(&g2, "HTTP 500");
    assert_string_equal(g.err.code, "InternalError");
    log = fixture_log(&fx, 8);
    assert_int_equal(cJSON_GetArraySize(log), 8);
    cJSON_Delete(log);
    lc_credprov_free(p);
    fx_stop(&fx);

    /* AssumeRole (signed, so on the real clock; the fixture ignores the skew we create). */
    fx_start(&fx, "scenarios/creds_sts.json");
    struct lc_credprov *src = source_keys(&fx);
    struct lc_error err;
    lc_error_clear(&err);
    p = lc_credprov_assume_role(fx.aws, src, "arn:aws:iam::111122223333:role/lc-reader",
                                "lc-ext-42", NULL, "us-east-1", &err);
    fake_now = time(NULL);
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSROLE0001");
    fake_now = g.exp - 400;
    get(p, &g);
    run(&fx);
    fake_now = g.exp - 200;
    get(p, &g);
    run(&fx);
    expect_ok(&g, "ASIALCCREDSROLE0001");
    log = fixture_log(&fx, 2);
    assert_int_equal(count_ops(log, "sts", "AssumeRole"), 2);
    /* The default session name is logcanary-<time>. */
    assert_true(strncmp(rec_param(find_op(log, "sts", "AssumeRole", 0), "RoleSessionName"),
                        "logcanary-", 10) == 0);
    cJSON_Delete(log);
    lc_credprov_free(p);
    lc_credprov_free(src);
    fx_stop(&fx);
}

static void test_coalesce(void **state)
{
    struct fx fx;
    struct got g[6];
    char url[160], tok[160];
    (void)state;

    fx_start(&fx, "scenarios/creds_meta.json");
    snprintf(url, sizeof(url), "%s/v2/credentials/lc-creds-task", fx.endpoint);
    snprintf(tok, sizeof(tok), "%s/container-token", tmpdir);
    write_file(tok, "lc-creds-container-auth");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tok, 1);
    struct lc_credprov *p = chain(&fx, NULL);
    memset(g, 0, sizeof(g));
    for (int i = 0; i < 6; i++)
        get(p, &g[i]);
    run(&fx);
    for (int i = 0; i < 6; i++)
        expect_ok(&g[i], "ASIALCCREDSECS00001");
    cJSON *log = fixture_log(&fx, 1);
    assert_int_equal(cJSON_GetArraySize(log), 1);
    cJSON_Delete(log);

    /* A get that arrives while the refresh is in flight joins it too. */
    lc_credprov_invalidate(p);
    get(p, &g[0]);
    event_base_loop(fx.base, EVLOOP_NONBLOCK);
    get(p, &g[1]);
    run(&fx);
    expect_ok(&g[0], "ASIALCCREDSECS00001");
    expect_ok(&g[1], "ASIALCCREDSECS00001");
    log = fixture_log(&fx, 2);
    assert_int_equal(cJSON_GetArraySize(log), 2);
    cJSON_Delete(log);

    /* A failed refresh reaches every waiter, from one request. */
    write_file(tok, "wrong");
    lc_credprov_invalidate(p);
    for (int i = 0; i < 4; i++)
        get(p, &g[i]);
    run(&fx);
    for (int i = 0; i < 4; i++)
        expect_fail(&g[i], "HTTP 401");
    log = fixture_log(&fx, 3);
    assert_int_equal(cJSON_GetArraySize(log), 3);
    cJSON_Delete(log);
    lc_credprov_free(p);

    /* A failed resolution too (no request at all). */
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
    p = chain(&fx, NULL);
    for (int i = 0; i < 3; i++)
        get(p, &g[i]);
    run(&fx);
    for (int i = 0; i < 3; i++)
        expect_fail(&g[i], "plain http is only allowed");
    assert_string_equal(lc_credprov_source(p), "default chain (unresolved)");
    lc_credprov_free(p);
    fx_stop(&fx);

    /* AssumeRole: concurrent gets share one STS call. */
    fx_start(&fx, "scenarios/creds_sts.json");
    struct lc_credprov *src = source_keys(&fx);
    struct lc_error err;
    lc_error_clear(&err);
    p = lc_credprov_assume_role(fx.aws, src, "arn:aws:iam::111122223333:role/lc-reader",
                                "lc-ext-42", NULL, NULL, &err);
    for (int i = 0; i < 5; i++)
        get(p, &g[i]);
    run(&fx);
    for (int i = 0; i < 5; i++)
        expect_ok(&g[i], "ASIALCCREDSROLE0001");
    log = fixture_log(&fx, 1);
    assert_int_equal(count_ops(log, "sts", "AssumeRole"), 1);
    cJSON_Delete(log);
    lc_credprov_free(p);
    lc_credprov_free(src);
    fx_stop(&fx);
}

/* Everything at debug level with stderr captured: no secret, token or full key id shows. */
static void test_no_secrets_logged(void **state)
{
    static const char *const secrets[] = {
        "lc-creds-source-secret-0001", "AKIALCCREDSSOURCE01",   "lc-creds-role-secret",
        "lc-creds-role-token",         "ASIALCCREDSROLE0001",   "lc-creds-web-secret-1",
        "lc-creds-web-token-1",        "ASIALCCREDSWEB00001",   "lc-web-identity-token-v1",
        "lc-creds-container-auth",     "lc-creds-ecs-secret",   "lc-creds-ecs-token",
        "ASIALCCREDSECS00001",         "lc-creds-imds-secret",  "lc-creds-imds-token",
        "ASIALCCREDSIMDS0001",         "wrong-container-token",
    };
    struct fx fx1, fx2;
    struct got g;
    char cap[160], tok[160], wtok[160], url[160];
    enum lc_log_level old = lc_log_get_level();
    struct lc_error err;
    (void)state;

    /* Servers first, so that their own stderr is not captured. */
    fx_start(&fx1, "scenarios/creds_sts.json");
    fx_start(&fx2, "scenarios/creds_meta.json");
    snprintf(cap, sizeof(cap), "%s/stderr.txt", tmpdir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(cap, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    lc_log_set_level(LC_LOG_DEBUG);

    struct lc_credprov *src = source_keys(&fx1);
    lc_error_clear(&err);
    struct lc_credprov *p = lc_credprov_assume_role(
        fx1.aws, src, "arn:aws:iam::111122223333:role/lc-reader", "lc-ext-42", NULL, NULL, &err);
    get(p, &g);
    run(&fx1);
    expect_ok(&g, "ASIALCCREDSROLE0001");
    lc_credprov_free(p);
    snprintf(wtok, sizeof(wtok), "%s/web-token", tmpdir);
    write_file(wtok, "lc-web-identity-token-v1");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", wtok, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/lc-web", 1);
    p = chain(&fx1, NULL);
    get(p, &g);
    run(&fx1);
    expect_ok(&g, "ASIALCCREDSWEB00001");
    lc_credprov_free(p);
    unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");

    snprintf(tok, sizeof(tok), "%s/container-token", tmpdir);
    write_file(tok, "lc-creds-container-auth");
    snprintf(url, sizeof(url), "%s/v2/credentials/lc-creds-task", fx2.endpoint);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tok, 1);
    p = chain(&fx2, NULL);
    get(p, &g);
    run(&fx2);
    expect_ok(&g, "ASIALCCREDSECS00001");
    write_file(tok, "wrong-container-token");
    lc_credprov_invalidate(p);
    get(p, &g);
    run(&fx2);
    expect_fail(&g, "401");
    lc_credprov_free(p);
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");

    unsetenv("AWS_EC2_METADATA_DISABLED");
    struct lc_credprov_opts o = {.imds_endpoint = fx2.endpoint};
    p = chain(&fx2, &o);
    get(p, &g);
    run(&fx2);
    expect_ok(&g, "ASIALCCREDSIMDS0001");
    lc_credprov_free(p);
    lc_credprov_free(src);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lc_log_set_level(old);
    fx_stop(&fx1);
    fx_stop(&fx2);

    struct lc_buf b = {0};
    FILE *f = fopen(cap, "r");
    char chunk[4096];
    size_t n;
    assert_non_null(f);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        lc_buf_append(&b, chunk, n);
    fclose(f);
    assert_non_null(b.data);
    /* The capture works: the sources and key tails are there. */
    assert_non_null(strstr(b.data, "assume-role arn:aws:iam::111122223333:role/lc-reader"));
    assert_non_null(strstr(b.data, "...0001"));
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        if (strstr(b.data, secrets[i]))
            fail_msg("'%s' appears in the log:\n%s", secrets[i], b.data);
    lc_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_env_over_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_selection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile_sections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_region, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_profile_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_source_profile_cycles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credential_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_ini, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ini_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_web_identity_resolution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_container_resolution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_imds_resolution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_static_and_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assume_role, setup, teardown),
        cmocka_unit_test_setup_teardown(test_web_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_container, setup, teardown),
        cmocka_unit_test_setup_teardown(test_imds_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_imds_no_v1_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coalesce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_secrets_logged, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
