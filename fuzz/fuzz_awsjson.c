/* libFuzzer: JSON 1.1 bodies (parse, typed getters, error bodies) and the time parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awsjson.h"
#include "core/kv.h"
#include "core/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {
    "KeyMetadata.KeyState",
    "KeyMetadata.CreationDate",
    "KeyMetadata.Enabled",
    "trailList[0].Name",
    "a[1][2].b",
    "[0]",
    "__type",
    "DeliveryChannelsStatus[0].configSnapshotDeliveryInfo.lastAttemptTime",
};

static void times(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    char iso[LC_TIME_ISO8601_LEN], http[LC_TIME_HTTP_LEN], amz[LC_TIME_AMZ_LEN], dur[32];
    time_t t, back;
    int64_t secs, secs2;

    if (!s)
        return;
    memcpy(s, data, size);
    s[size] = '\0';
    /* Whatever parses must format and parse back to the same instant. */
    if (lc_time_parse_iso8601(s, &t) == 0 && lc_time_format_iso8601(t, iso)[0] &&
        (lc_time_parse_iso8601(iso, &back) != 0 || back != t))
        abort();
    if (lc_time_parse_http(s, &t) == 0 &&
        (lc_time_parse_http(lc_time_format_http(t, http), &back) != 0 || back != t))
        abort();
    if (lc_time_parse_amz(s, &t) == 0 &&
        (lc_time_parse_amz(lc_time_format_amz(t, amz), &back) != 0 || back != t))
        abort();
    if (lc_duration_parse(s, &secs) == 0 &&
        (lc_duration_parse(lc_duration_format(secs, dur, sizeof(dur)), &secs2) != 0 ||
         secs2 != secs))
        abort();
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *root = NULL;
    struct lc_error err;
    struct lc_kvlist h = {0};

    lc_error_clear(&err);
    if (lc_json_parse(data, size, 64 * 1024, &root, &err) == 0) {
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
            const char *s;
            bool b;
            double d;
            int64_t n;
            time_t t;
            const cJSON *node;
            enum lc_json_need need = i % 2 ? LC_JSON_REQUIRED : LC_JSON_OPTIONAL;
            if (lc_json_string(root, paths[i], need, &s, &err) == 0 && need == LC_JSON_REQUIRED)
                (void)strlen(s);
            (void)lc_json_bool(root, paths[i], need, &b, &err);
            (void)lc_json_number(root, paths[i], need, &d, &err);
            (void)lc_json_int(root, paths[i], need, &n, &err);
            (void)lc_json_time(root, paths[i], need, &t, &err);
            (void)lc_json_array(root, paths[i], need, &node, &err);
            (void)lc_json_object(root, paths[i], need, &node, &err);
            (void)lc_json_at(root, paths[i]);
        }
        cJSON_Delete(root);
    } else if (root) {
        abort();
    }

    lc_kv_add(&h, "x-amzn-RequestId", "rid");
    if (size % 2)
        lc_kv_add(&h, "x-amzn-query-error", size % 4 == 1 ? "Code;Sender" : ";");
    lc_error_clear(&err);
    if (lc_awsjson_error(data, size, &h, &err) == 0 && !err.code[0])
        abort();
    if (err.kind != LC_E_AWS || strcmp(err.request_id, "rid") != 0)
        abort();
    lc_kv_free(&h);

    times(data, size);
    return 0;
}
