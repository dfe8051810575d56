/* Unit tests of sdnotify (systemd notify datagrams, abstract socket names) and of httpd's
 * loopback-only --listen parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/error.h"
#include "cmd/httpd.h"
#include "cmd/sdnotify.h"

static void test_addr_path(void **state)
{
    struct sockaddr_un sa;
    socklen_t len = 0;

    (void)state;
    assert_int_equal(lc_sdnotify_addr("/run/systemd/notify", &sa, &len), 0);
    assert_int_equal(sa.sun_family, AF_UNIX);
    assert_string_equal(sa.sun_path, "/run/systemd/notify");
    assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 20); /* with the NUL */
}

static void test_addr_abstract(void **state)
{
    struct sockaddr_un sa;
    socklen_t len = 0;

    (void)state;
    assert_int_equal(lc_sdnotify_addr("@sd/notify", &sa, &len), 0);
    assert_int_equal(sa.sun_path[0], '\0');
    assert_memory_equal(sa.sun_path + 1, "sd/notify", 9);
    /* exactly the name's bytes: no trailing NUL counted */
    assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 10);
}

static void test_addr_bad(void **state)
{
    struct sockaddr_un sa;
    socklen_t len;
    char longp[200];

    (void)state;
    assert_int_equal(lc_sdnotify_addr(NULL, &sa, &len), -1);
    assert_int_equal(lc_sdnotify_addr("", &sa, &len), -1);
    assert_int_equal(lc_sdnotify_addr("@", &sa, &len), -1);
    assert_int_equal(lc_sdnotify_addr("relative/path", &sa, &len), -1);
    memset(longp, 'a', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(lc_sdnotify_addr(longp, &sa, &len), -1);
}

static void test_status(void **state)
{
    char buf[32];

    (void)state;
    assert_string_equal(lc_sdnotify_status(buf, sizeof(buf), "ok"), "STATUS=ok");
    assert_string_equal(lc_sdnotify_status(buf, sizeof(buf), "a\nb\tc"), "STATUS=a b c");
    /* truncated, still terminated */
    lc_sdnotify_status(buf, 12, "abcdefghij");
    assert_string_equal(buf, "STATUS=abcd");
    assert_string_equal(lc_sdnotify_status(buf, sizeof(buf), NULL), "STATUS=");
}

static void test_watchdog(void **state)
{
    (void)state;
    assert_int_equal(lc_sdnotify_watchdog_usec(NULL, NULL, 42), 0);
    assert_int_equal(lc_sdnotify_watchdog_usec("", NULL, 42), 0);
    assert_int_equal(lc_sdnotify_watchdog_usec("0", NULL, 42), 0);
    assert_int_equal(lc_sdnotify_watchdog_usec("abc", NULL, 42), 0);
    assert_int_equal(lc_sdnotify_watchdog_usec("-5", NULL, 42), 0);
    assert_int_equal(lc_sdnotify_watchdog_usec("30000000", NULL, 42), 30000000);
    assert_int_equal(lc_sdnotify_watchdog_usec("30000000", "", 42), 30000000);
    assert_int_equal(lc_sdnotify_watchdog_usec("30000000", "42", 42), 30000000);
    assert_int_equal(lc_sdnotify_watchdog_usec("30000000", "43", 42), 0);
    assert_int_equal(lc_sdnotify_watchdog_usec("30000000", "x", 42), 0);
}

/* A real datagram through a path socket and an abstract one. */
static void roundtrip(const char *spec, const struct sockaddr_un *sa, socklen_t len)
{
    char got[64];
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    ssize_t n;

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (const struct sockaddr *)sa, len), 0);
    assert_int_equal(lc_sdnotify_to(spec, "READY=1"), 0);
    n = recv(fd, got, sizeof(got) - 1, MSG_DONTWAIT);
    assert_int_equal(n, 7);
    got[n] = '\0';
    assert_string_equal(got, "READY=1");
    close(fd);
}

static void test_send(void **state)
{
    char dir[] = "/tmp/lc-sdnotify-XXXXXX", spec[128];
    struct sockaddr_un sa;
    socklen_t len;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(spec, sizeof(spec), "%s/notify", dir);
    assert_int_equal(lc_sdnotify_addr(spec, &sa, &len), 0);
    roundtrip(spec, &sa, len);
    unlink(spec);
    rmdir(dir);
    snprintf(spec, sizeof(spec), "@lc-sdnotify-test-%ld", (long)getpid());
    assert_int_equal(lc_sdnotify_addr(spec, &sa, &len), 0);
    roundtrip(spec, &sa, len);
    /* not under systemd: a no-op; a dead socket: an error */
    assert_int_equal(lc_sdnotify_to(NULL, "READY=1"), 0);
    assert_int_equal(lc_sdnotify_to("/nonexistent/notify", "READY=1"), -1);
}

static void test_listen(void **state)
{
    static const struct {
        const char *spec, *host;
        int port;
    } good[] = {
        {"127.0.0.1:9464", "127.0.0.1", 9464},
        {"127.1.2.3:0", "127.1.2.3", 0},
        {"localhost:80", "127.0.0.1", 80},
        {"[::1]:9464", "::1", 9464},
    };
    static const char *const bad[] = {
        "0.0.0.0:9464", "10.0.0.1:80",    "[::]:80", "example.com:80",  "127.0.0.1",
        "127.0.0.1:",   "127.0.0.1:x",    ":80",     "127.0.0.1:65536", "127.0.0.1:-1",
        "[::1]9464",    "128.0.0.1:9464", "",
    };
    char host[LC_HTTPD_HOST_MAX];
    int port;
    struct lc_error err;

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(lc_httpd_parse_listen(good[i].spec, host, &port, &err), 0);
        assert_string_equal(host, good[i].host);
        assert_int_equal(port, good[i].port);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        lc_error_clear(&err);
        assert_int_equal(lc_httpd_parse_listen(bad[i], host, &port, &err), LC_E_INVALID);
        assert_true(err.message[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_path), cmocka_unit_test(test_addr_abstract),
        cmocka_unit_test(test_addr_bad),  cmocka_unit_test(test_status),
        cmocka_unit_test(test_watchdog),  cmocka_unit_test(test_send),
        cmocka_unit_test(test_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
