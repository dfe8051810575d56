#include "aws/s3proto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/array.h"
#include "core/timeutil.h"
#include "aws/xml.h"

#define LIST_MAX_TEXT    (16 * 1024) /* keys are <= 1024 bytes, x3 when URL-encoded */
#define LIST_MAX_BYTES   (64 * 1024 * 1024)
#define LIST_MAX_ENTRIES 10000
#define SMALL_MAX_TEXT   (64 * 1024)
#define SMALL_MAX_BYTES  (1024 * 1024)

/* ---- helpers ------------------------------------------------------------------------------ */

/* Copy only when it fits whole: a truncated region or host is worse than none. */
static void copy_whole(char *dst, size_t size, const char *src)
{
    if (strlen(src) < size)
        memcpy(dst, src, strlen(src) + 1);
}

static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (!*s)
        return LC_E_PARSE;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return LC_E_PARSE;
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
            return LC_E_PARSE;
    }
    *out = v;
    return 0;
}

static int parse_bool(const char *s, bool *out)
{
    if (strcmp(s, "true") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0)
        *out = false;
    else
        return LC_E_PARSE;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int lc_s3_url_decode(const char *in, size_t len, char *out)
{
    size_t j = 0;

    for (size_t i = 0; i < len; i++) {
        if (in[i] == '+') {
            out[j++] = ' ';
        } else if (in[i] == '%') {
            int hi = i + 2 < len ? hexval(in[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(in[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return LC_E_PARSE;
            out[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (in[i] == '\0') {
            return LC_E_PARSE;
        } else {
            out[j++] = in[i];
        }
    }
    out[j] = '\0';
    return 0;
}

/* ---- error documents ---------------------------------------------------------------------- */

enum errproto { EP_NONE = 0, EP_S3, EP_EC2, EP_QUERY };

struct errdoc {
    enum errproto proto;
    unsigned errors; /* <Error> elements in EC2 <Errors> / Query <ErrorResponse>: first wins */
    bool has_code, has_message, has_request_id;
    char code[64];
    char message[512];
    char request_id[128];
    struct lc_aws_xml_error extra;
};

static void errdoc_start(struct errdoc *d, struct lc_xml *x)
{
    if (lc_xml_depth(x) == 1) {
        const char *root = lc_xml_name(x);
        if (strcmp(root, "Error") == 0)
            d->proto = EP_S3;
        else if (strcmp(root, "Response") == 0)
            d->proto = EP_EC2;
        else if (strcmp(root, "ErrorResponse") == 0)
            d->proto = EP_QUERY;
        return;
    }
    if (lc_xml_match(x, "Response/Errors/Error") || lc_xml_match(x, "ErrorResponse/Error"))
        d->errors++;
}

static void errdoc_field(struct errdoc *d, const char *name, const char *text)
{
    if (strcmp(name, "Code") == 0 && !d->has_code) {
        lc_strlcpy_utf8(d->code, text, sizeof(d->code));
        d->has_code = true;
    } else if (strcmp(name, "Message") == 0 && !d->has_message) {
        lc_strlcpy_utf8(d->message, text, sizeof(d->message));
        d->has_message = true;
    } else if (strcmp(name, "Type") == 0) {
        copy_whole(d->extra.type, sizeof(d->extra.type), text);
    }
}

static void errdoc_request_id(struct errdoc *d, const char *text)
{
    if (!d->has_request_id) {
        lc_strlcpy_utf8(d->request_id, text, sizeof(d->request_id));
        d->has_request_id = true;
    }
}

static void errdoc_end(struct errdoc *d, struct lc_xml *x, const char *text)
{
    const char *name = lc_xml_name(x);

    switch (d->proto) {
    case EP_S3:
        if (lc_xml_depth(x) != 2)
            return;
        if (strcmp(name, "RequestId") == 0)
            errdoc_request_id(d, text);
        else if (strcmp(name, "Region") == 0)
            copy_whole(d->extra.region, sizeof(d->extra.region), text);
        else if (strcmp(name, "Endpoint") == 0)
            copy_whole(d->extra.endpoint, sizeof(d->extra.endpoint), text);
        else if (strcmp(name, "BucketName") == 0 || strcmp(name, "Bucket") == 0)
            copy_whole(d->extra.bucket, sizeof(d->extra.bucket), text);
        else
            errdoc_field(d, name, text);
        break;
    case EP_EC2:
        /* EC2 writes RequestID; accept RequestId too. */
        if (lc_xml_match(x, "Response/RequestID") || lc_xml_match(x, "Response/RequestId"))
            errdoc_request_id(d, text);
        else if (d->errors == 1 && lc_xml_depth(x) == 4 && lc_xml_match(x, "*/Errors/Error/*"))
            errdoc_field(d, name, text);
        break;
    case EP_QUERY:
        if (lc_xml_match(x, "ErrorResponse/RequestId") ||
            lc_xml_match(x, "ErrorResponse/RequestID"))
            errdoc_request_id(d, text);
        else if (d->errors == 1 && lc_xml_depth(x) == 3 && lc_xml_match(x, "*/Error/*"))
            errdoc_field(d, name, text);
        break;
    case EP_NONE:
        break;
    }
}

/* Move what the document said into err; keeps status, service and a header request id. */
static void errdoc_apply(const struct errdoc *d, struct lc_error *err,
                         struct lc_aws_xml_error *extra)
{
    err->kind = LC_E_AWS;
    lc_strlcpy(err->code, d->has_code ? d->code : "", sizeof(err->code));
    if (d->has_message)
        lc_strlcpy(err->message, d->message, sizeof(err->message));
    if (d->has_request_id && d->request_id[0])
        lc_strlcpy(err->request_id, d->request_id, sizeof(err->request_id));
    if (extra)
        *extra = d->extra;
    lc_error_classify(err);
}

/* An <Error> document in a 2xx body. */
static int error_in_success(const struct errdoc *d, struct lc_error *err)
{
    if (err) {
        err->status = 200;
        lc_strlcpy(err->service, "s3", sizeof(err->service));
        errdoc_apply(d, err, NULL);
        if (!d->has_message)
            lc_strlcpy(err->message, "error document in a 200 response", sizeof(err->message));
    }
    return LC_E_AWS;
}

static int errdoc_start_cb(void *ud, struct lc_xml *x)
{
    errdoc_start(ud, x);
    return 0;
}

static int errdoc_end_cb(void *ud, struct lc_xml *x, const char *text, size_t len)
{
    (void)len;
    errdoc_end(ud, x, text);
    return 0;
}

int lc_aws_xml_error(const void *body, size_t len, struct lc_error *err,
                     struct lc_aws_xml_error *extra)
{
    struct errdoc d;
    struct lc_xml_opts o = {
        .on_start = errdoc_start_cb,
        .on_end = errdoc_end_cb,
        .ud = &d,
        .max_text = SMALL_MAX_TEXT,
        .max_bytes = SMALL_MAX_BYTES,
    };
    struct lc_error perr;

    memset(&d, 0, sizeof(d));
    if (extra)
        memset(extra, 0, sizeof(*extra));
    err->kind = LC_E_AWS;
    err->code[0] = '\0';
    lc_error_clear(&perr);
    if (!body || len == 0 || lc_xml_parse(&o, body, len, &perr) != 0 || d.proto == EP_NONE ||
        !d.has_code || !d.code[0]) {
        lc_error_classify(err);
        return LC_E_PARSE;
    }
    errdoc_apply(&d, err, extra);
    return 0;
}

/* ---- ListObjectsV2 ------------------------------------------------------------------------ */

struct entry {
    bool is_prefix;
    char *key;
    time_t last_modified;
    uint64_t size;
    char *etag;
    char *storage_class;
};

struct lc_s3_list_parser {
    struct lc_s3_list_parser_opts o;
    struct lc_xml *x;
    bool error_root;
    struct errdoc ed;
    struct entry cur;   /* the <Contents> being read */
    struct entry *held; /* entries waiting for EncodingType */
    size_t nheld, capheld;
    size_t entries;      /* Contents + prefixes so far (cap) */
    bool encoding_known; /* whether to decode is settled */
    bool emitted_raw;    /* something already went out undecoded */
    char *next_token;
    struct lc_s3_list_page info;
};

static void entry_free(struct entry *e)
{
    free(e->key);
    free(e->etag);
    free(e->storage_class);
    memset(e, 0, sizeof(*e));
}

/* Replace *dst with a copy of text. */
static int set_str(struct lc_xml *x, char **dst, const char *text)
{
    char *s = strdup(text);

    if (!s)
        return lc_xml_fail(x, LC_E_NOMEM, "out of memory");
    free(*dst);
    *dst = s;
    return 0;
}

static int callback_rc(struct lc_xml *x, int rc, const char *what)
{
    enum lc_err_kind kind =
        rc > LC_OK && rc <= LC_E_INTERNAL ? (enum lc_err_kind)rc : LC_E_CANCELLED;
    return lc_xml_fail(x, kind, "listing stopped by the %s callback", what);
}

/* Hand one entry to the caller, decoded if the listing is URL-encoded. Frees the entry. */
static int emit(struct lc_s3_list_parser *l, struct entry *e)
{
    struct lc_xml *x = l->x;
    char *decoded = NULL;
    const char *key = e->key;
    int rc = 0;

    if (l->info.url_encoded) {
        decoded = malloc(strlen(e->key) + 1);
        if (!decoded) {
            rc = lc_xml_fail(x, LC_E_NOMEM, "out of memory");
            goto out;
        }
        if (lc_s3_url_decode(e->key, strlen(e->key), decoded)) {
            rc = lc_xml_fail(x, LC_E_PARSE, "%s %.64s: bad URL encoding",
                             e->is_prefix ? "Prefix" : "Key", e->key);
            goto out;
        }
        key = decoded;
    } else {
        l->emitted_raw = true;
    }
    if (e->is_prefix) {
        if (l->o.on_prefix) {
            rc = l->o.on_prefix(l->o.ud, key);
            if (rc)
                rc = callback_rc(x, rc, "prefix");
        }
    } else if (l->o.on_object) {
        struct lc_s3_list_item obj = {
            .key = key,
            .last_modified = e->last_modified,
            .size = e->size,
            .etag = e->etag ? e->etag : "",
            .storage_class = e->storage_class ? e->storage_class : "",
        };
        rc = l->o.on_object(l->o.ud, &obj);
        if (rc)
            rc = callback_rc(x, rc, "object");
    }
out:
    free(decoded);
    entry_free(e);
    return rc;
}

/* Emit now, or hold until EncodingType is known. Takes ownership of *e. */
static int deliver(struct lc_s3_list_parser *l, struct entry *e)
{
    if (l->encoding_known)
        return emit(l, e);
    if (LC_ARRAY_GROW(l->held, l->nheld, l->capheld)) {
        entry_free(e);
        return lc_xml_fail(l->x, LC_E_NOMEM, "out of memory");
    }
    l->held[l->nheld++] = *e;
    memset(e, 0, sizeof(*e));
    return 0;
}

static int flush_held(struct lc_s3_list_parser *l)
{
    int rc = 0;

    l->encoding_known = true;
    for (size_t i = 0; i < l->nheld; i++) {
        if (!rc)
            rc = emit(l, &l->held[i]);
        else
            entry_free(&l->held[i]);
    }
    l->nheld = 0;
    return rc;
}

static int count_entry(struct lc_s3_list_parser *l)
{
    if (l->entries >= l->o.max_entries)
        return lc_xml_fail(l->x, LC_E_TOO_LARGE, "more than %zu entries in one page",
                           l->o.max_entries);
    l->entries++;
    return 0;
}

static int list_start(void *ud, struct lc_xml *x)
{
    struct lc_s3_list_parser *l = ud;

    if (lc_xml_depth(x) == 1) {
        if (strcmp(lc_xml_name(x), "Error") == 0)
            l->error_root = true;
        else if (strcmp(lc_xml_name(x), "ListBucketResult") != 0)
            return lc_xml_fail(x, LC_E_PARSE,
                               "unexpected root element <%s> (expected "
                               "ListBucketResult)",
                               lc_xml_name(x));
    }
    if (l->error_root) {
        errdoc_start(&l->ed, x);
        return 0;
    }
    if (lc_xml_match(x, "ListBucketResult/Contents")) {
        entry_free(&l->cur);
        return count_entry(l);
    }
    return 0;
}

static int contents_end(struct lc_s3_list_parser *l, struct lc_xml *x, const char *name,
                        const char *text)
{
    if (strcmp(name, "Key") == 0)
        return set_str(x, &l->cur.key, text);
    if (strcmp(name, "ETag") == 0)
        return set_str(x, &l->cur.etag, text);
    if (strcmp(name, "StorageClass") == 0)
        return set_str(x, &l->cur.storage_class, text);
    if (strcmp(name, "LastModified") == 0) {
        if (lc_time_parse_iso8601(text, &l->cur.last_modified))
            return lc_xml_fail(x, LC_E_PARSE, "bad timestamp \"%.40s\"", text);
        return 0;
    }
    if (strcmp(name, "Size") == 0) {
        if (parse_u64(text, &l->cur.size))
            return lc_xml_fail(x, LC_E_PARSE, "bad size \"%.40s\"", text);
        return 0;
    }
    return 0;
}

static int top_end(struct lc_s3_list_parser *l, struct lc_xml *x, const char *name,
                   const char *text)
{
    if (strcmp(name, "IsTruncated") == 0) {
        if (parse_bool(text, &l->info.is_truncated))
            return lc_xml_fail(x, LC_E_PARSE, "expected true or false, got \"%.40s\"", text);
    } else if (strcmp(name, "KeyCount") == 0) {
        uint64_t v;
        if (parse_u64(text, &v) || v > LONG_MAX)
            return lc_xml_fail(x, LC_E_PARSE, "bad count \"%.40s\"", text);
        l->info.key_count = (long)v;
    } else if (strcmp(name, "NextContinuationToken") == 0) {
        return set_str(x, &l->next_token, text);
    } else if (strcmp(name, "EncodingType") == 0) {
        if (strcmp(text, "url") == 0) {
            if (l->emitted_raw)
                return lc_xml_fail(x, LC_E_PARSE,
                                   "EncodingType url after undecoded entries "
                                   "(the request did not ask for encoding-type=url)");
            l->info.url_encoded = true;
        } else if (text[0]) {
            return lc_xml_fail(x, LC_E_PARSE, "unknown EncodingType \"%.40s\"", text);
        }
        return flush_held(l);
    } else if (strcmp(name, "Contents") == 0) {
        if (!l->cur.key)
            return lc_xml_fail(x, LC_E_PARSE, "Contents without a Key");
        if (!l->cur.key[0])
            return lc_xml_fail(x, LC_E_PARSE, "empty Key");
        l->info.objects++;
        return deliver(l, &l->cur);
    }
    return 0;
}

static int list_end(void *ud, struct lc_xml *x, const char *text, size_t len)
{
    struct lc_s3_list_parser *l = ud;
    unsigned depth = lc_xml_depth(x);
    (void)len;

    if (l->error_root) {
        errdoc_end(&l->ed, x, text);
        return 0;
    }
    if (depth == 1)
        return flush_held(l); /* no EncodingType: keys are as sent */
    if (depth == 2)
        return top_end(l, x, lc_xml_name(x), text);
    if (lc_xml_match(x, "ListBucketResult/Contents/*"))
        return contents_end(l, x, lc_xml_name(x), text);
    if (lc_xml_match(x, "ListBucketResult/CommonPrefixes/Prefix")) {
        struct entry e = {.is_prefix = true};
        int rc = count_entry(l);
        if (rc)
            return rc;
        e.key = strdup(text);
        if (!e.key)
            return lc_xml_fail(x, LC_E_NOMEM, "out of memory");
        l->info.prefixes++;
        return deliver(l, &e);
    }
    return 0;
}

struct lc_s3_list_parser *lc_s3_list_parser_new(const struct lc_s3_list_parser_opts *opts)
{
    struct lc_s3_list_parser *l = calloc(1, sizeof(*l));
    struct lc_xml_opts xo = {
        .on_start = list_start,
        .on_end = list_end,
        .max_text = LIST_MAX_TEXT,
        .max_bytes = LIST_MAX_BYTES,
    };

    if (!l)
        return NULL;
    if (opts)
        l->o = *opts;
    if (!l->o.max_entries)
        l->o.max_entries = LIST_MAX_ENTRIES;
    l->encoding_known = !l->o.url_requested;
    l->info.key_count = -1;
    xo.ud = l;
    l->x = lc_xml_new(&xo);
    if (!l->x) {
        free(l);
        return NULL;
    }
    return l;
}

int lc_s3_list_parser_feed(struct lc_s3_list_parser *l, const void *data, size_t len,
                           struct lc_error *err)
{
    return lc_xml_feed(l->x, data, len, err);
}

int lc_s3_list_parser_finish(struct lc_s3_list_parser *l, struct lc_error *err)
{
    int rc = lc_xml_finish(l->x, err);

    if (rc)
        return rc;
    if (l->error_root)
        return error_in_success(&l->ed, err);
    l->info.next_token = l->next_token;
    return 0;
}

const struct lc_s3_list_page *lc_s3_list_parser_page(const struct lc_s3_list_parser *l)
{
    return &l->info;
}

void lc_s3_list_parser_free(struct lc_s3_list_parser *l)
{
    if (!l)
        return;
    lc_xml_free(l->x);
    entry_free(&l->cur);
    for (size_t i = 0; i < l->nheld; i++)
        entry_free(&l->held[i]);
    free(l->held);
    free(l->next_token);
    free(l);
}

/* ---- GetBucketEncryption ------------------------------------------------------------------ */

struct encstate {
    struct lc_s3_sse_config *out;
    bool error_root;
    struct errdoc ed;
};

#define SSE_RULE "ServerSideEncryptionConfiguration/Rule"

static int enc_start(void *ud, struct lc_xml *x)
{
    struct encstate *s = ud;

    if (lc_xml_depth(x) == 1) {
        if (strcmp(lc_xml_name(x), "Error") == 0)
            s->error_root = true;
        else if (strcmp(lc_xml_name(x), "ServerSideEncryptionConfiguration") != 0)
            return lc_xml_fail(x, LC_E_PARSE,
                               "unexpected root element <%s> (expected "
                               "ServerSideEncryptionConfiguration)",
                               lc_xml_name(x));
    }
    if (s->error_root)
        errdoc_start(&s->ed, x);
    else if (lc_xml_match(x, SSE_RULE))
        s->out->rules++;
    return 0;
}

static int enc_end(void *ud, struct lc_xml *x, const char *text, size_t len)
{
    struct encstate *s = ud;
    struct lc_s3_sse_config *o = s->out;

    if (s->error_root) {
        errdoc_end(&s->ed, x, text);
        return 0;
    }
    if (o->rules != 1)
        return 0;
    if (lc_xml_match(x, SSE_RULE "/ApplyServerSideEncryptionByDefault/SSEAlgorithm")) {
        if (len >= sizeof(o->algorithm))
            return lc_xml_fail(x, LC_E_PARSE, "SSEAlgorithm longer than %zu bytes",
                               sizeof(o->algorithm) - 1);
        memcpy(o->algorithm, text, len + 1);
    } else if (lc_xml_match(x, SSE_RULE "/ApplyServerSideEncryptionByDefault/KMSMasterKeyID")) {
        if (len >= sizeof(o->kms_key_id))
            return lc_xml_fail(x, LC_E_TOO_LARGE, "KMSMasterKeyID longer than %zu bytes",
                               sizeof(o->kms_key_id) - 1);
        memcpy(o->kms_key_id, text, len + 1);
    } else if (lc_xml_match(x, SSE_RULE "/BucketKeyEnabled")) {
        if (parse_bool(text, &o->bucket_key_enabled))
            return lc_xml_fail(x, LC_E_PARSE, "expected true or false, got \"%.40s\"", text);
    }
    return 0;
}

int lc_s3_sse_config_parse(const void *body, size_t len, struct lc_s3_sse_config *out,
                           struct lc_error *err)
{
    struct encstate s;
    struct lc_xml_opts o = {
        .on_start = enc_start,
        .on_end = enc_end,
        .ud = &s,
        .max_text = SMALL_MAX_TEXT,
        .max_bytes = SMALL_MAX_BYTES,
    };
    int rc;

    memset(&s, 0, sizeof(s));
    memset(out, 0, sizeof(*out));
    s.out = out;
    rc = lc_xml_parse(&o, body, len, err);
    if (rc)
        return rc;
    if (s.error_root) {
        memset(out, 0, sizeof(*out));
        return error_in_success(&s.ed, err);
    }
    return 0;
}
