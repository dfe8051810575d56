/* Unit tests of the small core types: error classification, kv lists, capped buffers, growable
 * arrays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/array.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/kv.h"

static void aws_error(struct lc_error *e, const char *svc, long status, const char *code,
                      const char *msg)
{
    lc_error_clear(e);
    e->kind = LC_E_AWS;
    e->status = status;
    lc_strlcpy(e->service, svc, sizeof(e->service));
    lc_strlcpy(e->code, code, sizeof(e->code));
    lc_strlcpy(e->message, msg, sizeof(e->message));
    lc_error_classify(e);
}

static void test_classify(void **state)
{
    struct lc_error e;
    (void)state;

    aws_error(&e, "s3", 503, "SlowDown", "");
    assert_true(e.retryable);
    assert_false(e.auth);
    aws_error(&e, "kms", 400, "ThrottlingException", "Rate exceeded");
    assert_true(e.retryable);
    aws_error(&e, "ec2", 503, "RequestLimitExceeded", "");
    assert_true(e.retryable);
    aws_error(&e, "s3", 500, "", "");
    assert_true(e.retryable);
    aws_error(&e, "s3", 403, "AccessDenied", "Access Denied");
    assert_false(e.retryable);
    assert_true(e.auth);
    assert_false(e.kms);
    /* Real AWS wording when the key policy does not allow the caller. */
    aws_error(&e, "s3", 403, "AccessDenied",
              "User: arn:aws:sts::111111111111:assumed-role/r/s is not authorized to perform: "
              "kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:111111111111:key/abc");
    assert_true(e.auth);
    assert_true(e.kms);
    /* radosgw's wording for an unknown key id. */
    aws_error(&e, "s3", 403, "InvalidAccessKeyId",
              "Failed to retrieve the actual key, kms-keyid: nope");
    assert_true(e.auth);
    assert_true(e.kms);
    aws_error(&e, "s3", 400, "KMS.DisabledException", "");
    assert_true(e.kms);
    assert_false(e.retryable);
    aws_error(&e, "s3", 404, "", "");
    assert_false(e.retryable);
    assert_false(e.auth);

    lc_error_clear(&e);
    lc_error_set(&e, LC_E_NETWORK, "connection refused");
    assert_true(e.retryable);
    lc_error_set(&e, LC_E_PARSE, "bad xml");
    assert_false(e.retryable);
}

static void test_format(void **state)
{
    struct lc_error e;
    char buf[256];
    (void)state;

    aws_error(&e, "s3", 403, "AccessDenied", "Access Denied");
    lc_strlcpy(e.request_id, "REQ1", sizeof(e.request_id));
    assert_string_equal(lc_error_format(&e, buf, sizeof(buf)),
                        "s3 403 AccessDenied: Access Denied (request id REQ1)");
}

static void test_kv(void **state)
{
    struct lc_kvlist l = {0};
    (void)state;

    assert_int_equal(lc_kv_add(&l, "Host", "a"), 0);
    assert_int_equal(lc_kv_add(&l, "X-Amz-Date", "b"), 0);
    assert_string_equal(lc_kv_get(&l, "host"), "a");
    assert_int_equal(lc_kv_set(&l, "HOST", "c"), 0);
    assert_string_equal(lc_kv_get(&l, "Host"), "c");
    assert_int_equal(l.n, 2);
    lc_kv_remove(&l, "host");
    assert_null(lc_kv_get(&l, "host"));
    assert_int_equal(l.n, 1);
    lc_kv_free(&l);
}

static void test_buf_cap(void **state)
{
    struct lc_buf b = {.max = 10};
    (void)state;

    assert_int_equal(lc_buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(lc_buf_append(&b, "x", 1), LC_E_TOO_LARGE);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    lc_buf_reset(&b);
    assert_int_equal(lc_buf_appendf(&b, "%d-%s", 42, "ab"), 0);
    assert_string_equal(b.data, "42-ab");
    lc_buf_free(&b);
}

static void test_strlcpy_utf8(void **state)
{
    char out[6];
    (void)state;
    /* "ab" + U+30ED (3 bytes) + "c": a 5-byte limit must not cut the 3-byte sequence. */
    assert_string_equal(lc_strlcpy_utf8(out,
                                        "ab\xe3\x83\xad"
                                        "c",
                                        5),
                        "ab");
    assert_string_equal(lc_strlcpy_utf8(out,
                                        "ab\xe3\x83\xad"
                                        "c",
                                        6),
                        "ab\xe3\x83\xad");
    assert_string_equal(lc_strlcpy_utf8(out, "short", sizeof(out)), "short");
}

static void test_read_file(void **state)
{
    char path[] = "/tmp/lc-test-read-XXXXXX";
    struct lc_buf b = {0};
    struct lc_error err;
    (void)state;

    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789", 10), 10);
    close(fd);
    lc_error_clear(&err);
    assert_int_equal(lc_buf_read_file(&b, path, &err), 0);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    lc_buf_free(&b);
    /* Over the cap: refused, errno EFBIG, the path named. */
    b.max = 4;
    assert_int_equal(lc_buf_read_file(&b, path, &err), LC_E_TOO_LARGE);
    assert_int_equal(errno, EFBIG);
    assert_non_null(strstr(err.message, path));
    lc_buf_free(&b);
    /* An empty file reads as "", never NULL. */
    b.max = 0;
    fd = open(path, O_WRONLY | O_TRUNC);
    close(fd);
    assert_int_equal(lc_buf_read_file(&b, path, &err), 0);
    assert_non_null(b.data);
    assert_int_equal(b.len, 0);
    lc_buf_free(&b);
    unlink(path);
    /* Missing file and directory: LC_E_IO, and errno tells which. */
    assert_int_equal(lc_buf_read_file(&b, path, &err), LC_E_IO);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(lc_buf_read_file(&b, "/tmp", &err), LC_E_IO);
    assert_int_equal(errno, EISDIR);
    lc_buf_free(&b);
}

/* Appends one at a time: the capacity goes LC_ARRAY_MIN, then doubles; the array moves only
 * when it is full, and keeps its elements. */
static void test_array_growth(void **state)
{
    struct pair {
        int a;
        double b;
    } *v = NULL;
    size_t n = 0, cap = 0, caps[8], n_caps = 0;
    (void)state;

    for (int i = 0; i < 100; i++) {
        struct pair *before = v;
        size_t had = cap;
        assert_int_equal(LC_ARRAY_GROW(v, n, cap), 0);
        assert_true(cap > n);
        if (had > n) { /* room left: nothing moved or grew */
            assert_ptr_equal(v, before);
            assert_int_equal(cap, had);
        } else {
            assert_true(n_caps < sizeof(caps) / sizeof(caps[0]));
            caps[n_caps++] = cap;
        }
        v[n].a = i;
        v[n].b = i / 2.0;
        n++;
    }
    for (int i = 0; i < 100; i++) {
        assert_int_equal(v[i].a, i);
        assert_true(v[i].b == i / 2.0);
    }
    assert_int_equal(n_caps, 5);
    assert_int_equal(caps[0], LC_ARRAY_MIN);
    for (size_t i = 1; i < n_caps; i++)
        assert_int_equal(caps[i], caps[i - 1] * 2);
    free(v);
}

/* A capacity whose size in bytes would overflow is refused before any allocation, and the array
 * is left as it was. */
static void test_array_overflow(void **state)
{
    struct big {
        char bytes[4096];
    } *b = NULL;
    int *v = NULL;
    size_t n = 0, cap = 0;
    (void)state;

    for (int i = 0; i < 5; i++) {
        assert_int_equal(LC_ARRAY_GROW(v, n, cap), 0);
        v[n++] = i * 7;
    }
    int *kept = v;
    size_t full = SIZE_MAX / sizeof(*v); /* as if v held that many ints: one more cannot fit */
    size_t full_cap = full;
    assert_int_equal(LC_ARRAY_GROW(v, full, full_cap), LC_E_NOMEM);
    assert_ptr_equal(v, kept);
    assert_int_equal(full_cap, full);
    for (int i = 0; i < 5; i++)
        assert_int_equal(v[i], i * 7);
    assert_int_equal(cap, LC_ARRAY_MIN);

    /* Large elements: the count itself fits, its size in bytes does not. */
    size_t big_n = SIZE_MAX / sizeof(*b) + 1, big_cap = big_n;
    assert_int_equal(LC_ARRAY_GROW(b, big_n, big_cap), LC_E_NOMEM);
    assert_null(b);
    assert_int_equal(big_cap, big_n);
    size_t top = SIZE_MAX;
    assert_int_equal(lc_array_grow(&v, SIZE_MAX, &top, 1), LC_E_NOMEM);
    assert_ptr_equal(v, kept);
    assert_int_equal(lc_array_grow(&v, n, &cap, 0), LC_E_INVALID);
    assert_ptr_equal(v, kept);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),     cmocka_unit_test(test_format),
        cmocka_unit_test(test_kv),           cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_read_file),    cmocka_unit_test(test_strlcpy_utf8),
        cmocka_unit_test(test_array_growth), cmocka_unit_test(test_array_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
