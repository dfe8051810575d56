/* libFuzzer: the streaming ListObjectsV2 parser (and GetBucketEncryption) on arbitrary bytes,
 * fed in chunks whose size, like the url_requested flag, is derived from the input size. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/s3proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct counts {
    size_t objects, prefixes;
};

static int on_object(void *ud, const struct lc_s3_list_item *o)
{
    struct counts *c = ud;

    /* Every string is there and terminated; keys are never empty. */
    if (!o->key || !o->key[0] || !o->etag || !o->storage_class)
        abort();
    (void)strlen(o->etag);
    (void)strlen(o->storage_class);
    c->objects++;
    /* Exercise stopping from the callback. */
    return strcmp(o->key, "STOP") == 0 ? LC_E_CANCELLED : 0;
}

static int on_prefix(void *ud, const char *prefix)
{
    struct counts *c = ud;

    if (!prefix)
        abort();
    (void)strlen(prefix);
    c->prefixes++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct counts c = {0, 0};
    struct lc_s3_list_parser_opts o = {
        .on_object = on_object,
        .on_prefix = on_prefix,
        .ud = &c,
        .url_requested = size % 3 == 0,
        .max_entries = size % 5 == 0 ? 4 : 0,
    };
    size_t chunk = 1 + (size * 7) % 97;
    struct lc_s3_list_parser *l = lc_s3_list_parser_new(&o);
    struct lc_s3_sse_config sse;
    struct lc_error err;
    int rc = 0;

    if (!l)
        return 0;
    lc_error_clear(&err);
    for (size_t off = 0; off < size && !rc; off += chunk)
        rc = lc_s3_list_parser_feed(l, data + off, size - off < chunk ? size - off : chunk, &err);
    if (!rc)
        rc = lc_s3_list_parser_finish(l, &err);
    if (rc == 0) {
        const struct lc_s3_list_page *p = lc_s3_list_parser_page(l);
        if (p->objects != c.objects || p->prefixes != c.prefixes)
            abort();
        if (p->next_token)
            (void)strlen(p->next_token);
    } else {
        if (err.kind != (enum lc_err_kind)rc ||
            strnlen(err.message, sizeof(err.message)) == sizeof(err.message))
            abort();
        if (rc == LC_E_AWS && err.status != 200)
            abort();
    }
    lc_s3_list_parser_free(l);

    lc_error_clear(&err);
    rc = lc_s3_sse_config_parse(data, size, &sse, &err);
    if (rc == 0 && (strnlen(sse.algorithm, sizeof(sse.algorithm)) == sizeof(sse.algorithm) ||
                    strnlen(sse.kms_key_id, sizeof(sse.kms_key_id)) == sizeof(sse.kms_key_id)))
        abort();
    return 0;
}
