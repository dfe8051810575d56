/* Unit tests of timeutil: ISO-8601, HTTP and AWS basic timestamps, durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/timeutil.h"

#define T_2026_11_22_0800 ((time_t)1795334400) /* 2026-11-22T08:00:00Z, a Sunday */

static void test_iso8601_valid(void **state)
{
    static const struct {
        const char *s;
        time_t want;
    } cases[] = {
        {"2026-11-22T08:00:00Z", T_2026_11_22_0800},
        {"2026-11-22T08:00:00.000Z", T_2026_11_22_0800},
        {"2026-11-22T08:00:00.999999999Z", T_2026_11_22_0800}, /* fraction ignored */
        {"2026-11-22T08:00:00+00:00", T_2026_11_22_0800},
        {"2026-11-22T08:00:00-00:00", T_2026_11_22_0800},
        {"2026-11-22T10:00:00+02:00", T_2026_11_22_0800},
        {"2026-11-22T02:30:00-05:30", T_2026_11_22_0800},
        {"2026-11-22T10:00:00.5+0200", T_2026_11_22_0800},
        {"2026-11-22t08:00:00z", T_2026_11_22_0800},
        {"1970-01-01T00:00:00Z", 0},
        {"2024-02-29T23:59:59Z", 1709251199}, /* leap day */
        {"9999-12-31T23:59:59Z", (time_t)253402300799LL},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        time_t t = -12345;
        assert_int_equal(lc_time_parse_iso8601(cases[i].s, &t), 0);
        assert_int_equal(t, cases[i].want);
    }
}

static void test_iso8601_invalid(void **state)
{
    static const char *const bad[] = {
        "",
        "2026-11-22",                /* no time */
        "2026-11-22T08:00:00",       /* no zone */
        "2026-11-22 08:00:00Z",      /* space instead of T */
        "2026-13-01T00:00:00Z",      /* month */
        "2026-00-01T00:00:00Z",      /* month */
        "2026-04-31T00:00:00Z",      /* April has 30 days */
        "2026-02-29T00:00:00Z",      /* not a leap year */
        "1900-02-29T00:00:00Z",      /* century, not a leap year */
        "2026-11-00T00:00:00Z",      /* day */
        "2026-11-22T24:00:00Z",      /* hour */
        "2026-11-22T08:60:00Z",      /* minute */
        "2026-11-22T08:00:60Z",      /* second */
        "2026-11-22T08:00:00.Z",     /* empty fraction */
        "2026-11-22T08:00:00Zjunk",  /* trailing data */
        "2026-11-22T08:00:00+24:00", /* offset hour */
        "2026-11-22T08:00:00+02:60", /* offset minute */
        "2026-11-22T08:00:00+2",     /* short offset */
        "26-11-22T08:00:00Z",        /* two-digit year */
        "2026-1-22T08:00:00Z",       /* one-digit month */
        "+026-11-22T08:00:00Z",      /* sign */
        "2026-11-22T08:00:00 Z",     /* space */
        "20261122T080000Z",          /* basic format is not ISO extended */
    };
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        time_t t = 42;
        assert_int_equal(lc_time_parse_iso8601(bad[i], &t), LC_E_PARSE);
        assert_int_equal(t, 42); /* untouched */
    }
    assert_int_equal(lc_time_parse_iso8601(NULL, NULL), LC_E_PARSE);
}

static void test_http_date(void **state)
{
    time_t t = 0;
    (void)state;

    assert_int_equal(lc_time_parse_http("Sun, 22 Nov 2026 08:00:00 GMT", &t), 0);
    assert_int_equal(t, T_2026_11_22_0800);
    assert_int_equal(lc_time_parse_http("Sun, 1 Nov 2026 00:00:00 GMT", &t), 0);
    assert_int_equal(t, T_2026_11_22_0800 - 21 * 86400 - 8 * 3600);
    assert_int_equal(lc_time_parse_http("Sat, 01 Jan 2000 00:00:00 GMT", &t), 0);
    assert_int_equal(t, 946684800);

    t = 7;
    /* The weekday must match the date. */
    assert_int_equal(lc_time_parse_http("Mon, 22 Nov 2026 08:00:00 GMT", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_http("Sun, 22 Nov 2026 08:00:00 PST", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_http("Sun, 22 Nov 2026 08:00:00 GMT ", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_http("Sun, 31 Nov 2026 08:00:00 GMT", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_http("Sun, 22 Nox 2026 08:00:00 GMT", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_http("Sun 22 Nov 2026 08:00:00 GMT", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_http("Sun, 22 Nov 2026 8:00:00 GMT", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_http("Sun, 22 Nov 2026 08:00:61 GMT", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_http("Sunday, 22-Nov-26 08:00:00 GMT", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_http("Sun, 22 Nov 2026", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_http("", &t), LC_E_PARSE);
    assert_int_equal(t, 7);
}

static void test_amz_date(void **state)
{
    time_t t = 0;
    (void)state;

    assert_int_equal(lc_time_parse_amz("20261122T080000Z", &t), 0);
    assert_int_equal(t, T_2026_11_22_0800);
    t = 9;
    assert_int_equal(lc_time_parse_amz("20261122T080000", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_amz("20261122T080000Zx", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_amz("20261322T080000Z", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_amz("20261122T250000Z", &t), LC_E_PARSE);
    assert_int_equal(lc_time_parse_amz("2026-11-22T08:00:00Z", &t), LC_E_PARSE);
    assert_int_equal(t, 9);
}

static void test_format(void **state)
{
    char iso[LC_TIME_ISO8601_LEN], http[LC_TIME_HTTP_LEN], amz[LC_TIME_AMZ_LEN];
    time_t back = 0;
    (void)state;

    assert_string_equal(lc_time_format_iso8601(T_2026_11_22_0800, iso), "2026-11-22T08:00:00Z");
    assert_string_equal(lc_time_format_http(T_2026_11_22_0800, http),
                        "Sun, 22 Nov 2026 08:00:00 GMT");
    assert_string_equal(lc_time_format_amz(T_2026_11_22_0800, amz), "20261122T080000Z");
    assert_string_equal(lc_time_format_http(946684800, http), "Sat, 01 Jan 2000 00:00:00 GMT");

    /* Round trips, including the last second of a leap day. */
    static const time_t ts[] = {0, 1709251199, T_2026_11_22_0800, (time_t)253402300799LL};
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        assert_int_equal(lc_time_parse_iso8601(lc_time_format_iso8601(ts[i], iso), &back), 0);
        assert_int_equal(back, ts[i]);
        assert_int_equal(lc_time_parse_http(lc_time_format_http(ts[i], http), &back), 0);
        assert_int_equal(back, ts[i]);
        assert_int_equal(lc_time_parse_amz(lc_time_format_amz(ts[i], amz), &back), 0);
        assert_int_equal(back, ts[i]);
    }
    /* Year 10000 does not fit four digits. */
    assert_string_equal(lc_time_format_iso8601((time_t)253402300800LL, iso), "");
    assert_string_equal(lc_time_format_amz((time_t)253402300800LL, amz), "");
}

/* The local time zone must not leak into any conversion. */
static void test_tz_independent(void **state)
{
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    char iso[LC_TIME_ISO8601_LEN];
    time_t t = 0;
    (void)state;

    setenv("TZ", "America/New_York", 1);
    tzset();
    assert_int_equal(lc_time_parse_iso8601("2026-11-22T08:00:00Z", &t), 0);
    assert_int_equal(t, T_2026_11_22_0800);
    assert_int_equal(lc_time_parse_http("Sun, 22 Nov 2026 08:00:00 GMT", &t), 0);
    assert_int_equal(t, T_2026_11_22_0800);
    assert_string_equal(lc_time_format_iso8601(T_2026_11_22_0800, iso), "2026-11-22T08:00:00Z");
    setenv("TZ", "Asia/Tokyo", 1);
    tzset();
    assert_int_equal(lc_time_parse_amz("20261122T080000Z", &t), 0);
    assert_int_equal(t, T_2026_11_22_0800);
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);
}

static void test_duration(void **state)
{
    static const struct {
        const char *s;
        int64_t want;
    } good[] = {
        {"0s", 0},
        {"90s", 90},
        {"30m", 1800},
        {"7h", 25200},
        {"2d", 172800},
        {"1h30m", 5400},
        {"1d2h3m4s", 93784},
        {"15m30s", 930},
        {"1d12h", 129600},
        {"0d0h0m1s", 1},
        {"36h", 129600},
        {"1000000d", 86400000000LL},
        {"9223372036854775807s", INT64_MAX},
    };
    static const char *const bad[] = {
        "",
        "30",
        "m",
        "1x",
        "1h30",
        "30m1h",
        "1h1h",
        "1 h",
        " 1h",
        "1h ",
        "-5m",
        "+5m",
        "1.5h",
        "1H",
        "5ms",
        "9223372036854775808s",
        "106751991167301d",
        "99999999999999999999s",
    };
    (void)state;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int64_t v = -1;
        assert_int_equal(lc_duration_parse(good[i].s, &v), 0);
        assert_int_equal(v, good[i].want);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t v = -1;
        assert_int_equal(lc_duration_parse(bad[i], &v), LC_E_PARSE);
        assert_int_equal(v, -1);
    }
    assert_int_equal(lc_duration_parse(NULL, NULL), LC_E_PARSE);
}

static void test_duration_format(void **state)
{
    char buf[32];
    int64_t back = 0;
    (void)state;

    assert_string_equal(lc_duration_format(0, buf, sizeof(buf)), "0s");
    assert_string_equal(lc_duration_format(5400, buf, sizeof(buf)), "1h30m");
    assert_string_equal(lc_duration_format(93784, buf, sizeof(buf)), "1d2h3m4s");
    assert_string_equal(lc_duration_format(86400, buf, sizeof(buf)), "1d");
    assert_string_equal(lc_duration_format(-1, buf, sizeof(buf)), "");
    assert_string_equal(lc_duration_format(INT64_MAX, buf, sizeof(buf)),
                        "106751991167300d15h30m7s");
    assert_int_equal(lc_duration_parse(buf, &back), 0);
    assert_int_equal(back, INT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso8601_valid), cmocka_unit_test(test_iso8601_invalid),
        cmocka_unit_test(test_http_date),     cmocka_unit_test(test_amz_date),
        cmocka_unit_test(test_format),        cmocka_unit_test(test_tz_independent),
        cmocka_unit_test(test_duration),      cmocka_unit_test(test_duration_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
