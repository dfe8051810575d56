/* AWS Signature Version 4 (header-based), computed with OpenSSL 3.
 *
 * The steps follow the AWS documentation ("Create a canonical request", "Create a string to
 * sign", "Calculate the signature", "Add the signature to the request") and, where the
 * documentation leaves room, what botocore's SigV4Auth / S3SigV4Auth do, since that is what
 * AWS demonstrably accepts:
 * - generic path normalisation is botocore's remove_dot_segments (also collapses "//", and a
 *   trailing "." or ".." does not leave a trailing "/");
 * - headers repeated in the list are signed as one "name:v1,v2" line;
 * - the Authorization value separates its parts with ", ";
 * - generic requests get an X-Amz-Content-Sha256 header only for UNSIGNED-PAYLOAD, and a
 *   caller-supplied one is the payload line of the canonical request.
 * The secret key only ever lives in the "AWS4" + secret buffer and the derived HMAC keys, all of
 * which are cleansed before returning. */
#include "aws/sigv4.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/error.h"

#define SIGV4_ALGORITHM  "AWS4-HMAC-SHA256"
#define SIGV4_TERMINATOR "aws4_request"
#define SIGV4_UNSIGNED   "UNSIGNED-PAYLOAD"
#define SHA256_LEN       32

/* One header as it appears in the canonical headers block. */
struct canon_header {
    char *name;   /* lowercase */
    char *value;  /* trimmed, inner whitespace collapsed */
    size_t order; /* position in the request, so repeated names keep their order */
};

/* One encoded query parameter. */
struct canon_param {
    char *name;
    char *value;
};

/* RFC 3986 section 2.3 unreserved characters. */
static bool is_unreserved(unsigned char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    return c == '-' || c == '_' || c == '.' || c == '~';
}

/* What Python's str.split() treats as whitespace in the ASCII range (botocore's Trimall). */
static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' ||
           (c >= 0x1c && c <= 0x1f);
}

int lc_uri_encode(struct lc_buf *out, const char *s, size_t len, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;
    int rc = 0;

    while (i < len) {
        /* copy the longest run that needs no encoding in one go */
        size_t run = i;
        while (run < len && (is_unreserved((unsigned char)s[run]) || (keep_slash && s[run] == '/')))
            run++;
        if (run > i) {
            rc = lc_buf_append(out, s + i, run - i);
            if (rc)
                return rc;
            i = run;
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        char esc[3] = {'%', hex[c >> 4], hex[c & 0x0f]};
        rc = lc_buf_append(out, esc, sizeof(esc));
        if (rc)
            return rc;
        i++;
    }
    return 0;
}

static int sha256_raw(const void *data, size_t len, unsigned char md[SHA256_LEN])
{
    unsigned int mdlen = 0;

    if (!data)
        data = "";
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != SHA256_LEN)
        return LC_E_INTERNAL;
    return 0;
}

static void hex_lower(const unsigned char *in, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

static int sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_LEN];
    int rc = sha256_raw(data, len, md);

    if (rc) {
        out[0] = '\0';
        return rc;
    }
    hex_lower(md, sizeof(md), out);
    return 0;
}

void lc_sha256_hex(const void *data, size_t len, char out[65])
{
    (void)sha256_hex(data, len, out);
}

static int hmac_sha256(const void *key, size_t keylen, const char *msg, size_t msglen,
                       unsigned char out[SHA256_LEN])
{
    size_t outlen = 0;

    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, (const unsigned char *)msg,
                   msglen, out, SHA256_LEN, &outlen) ||
        outlen != SHA256_LEN)
        return LC_E_INTERNAL;
    return 0;
}

static int cmp_param(const void *a, const void *b)
{
    const struct canon_param *x = a;
    const struct canon_param *y = b;
    int c = strcmp(x->name, y->name);

    if (c)
        return c;
    return strcmp(x->value, y->value);
}

static char *encode_dup(const char *s, bool keep_slash)
{
    struct lc_buf b = {0};

    if (lc_uri_encode(&b, s, strlen(s), keep_slash)) {
        lc_buf_free(&b);
        return NULL;
    }
    return lc_buf_steal(&b);
}

/* Canonical query string: encode every name and value, sort by name then value, join
 * "name=value" with "&" ("name=" for an empty value). The same text is the URL's query. */
int lc_sigv4_query_string(const struct lc_kvlist *query, struct lc_buf *out)
{
    struct canon_param *params = NULL;
    size_t n = 0;
    int rc = 0;

    if (!query || !query->n)
        return 0;
    params = calloc(query->n, sizeof(*params));
    if (!params)
        return LC_E_NOMEM;
    for (n = 0; n < query->n; n++) {
        params[n].name = encode_dup(query->items[n].name, false);
        params[n].value = encode_dup(query->items[n].value ? query->items[n].value : "", false);
        if (!params[n].name || !params[n].value) {
            n++;
            rc = LC_E_NOMEM;
            goto out;
        }
    }
    qsort(params, n, sizeof(*params), cmp_param);
    for (size_t i = 0; i < n; i++) {
        rc = lc_buf_appendf(out, "%s%s=%s", i ? "&" : "", params[i].name, params[i].value);
        if (rc)
            goto out;
    }
out:
    for (size_t i = 0; i < n; i++) {
        free(params[i].name);
        free(params[i].value);
    }
    free(params);
    return rc;
}

/* Generic services: remove dot-segments (RFC 3986 5.2.4) and empty segments the way botocore's
 * remove_dot_segments does, then URI-encode the result again ("/" kept). */
static int canonical_uri_generic(const char *path, struct lc_buf *out)
{
    struct lc_buf norm = {0};
    const char **seg = NULL;
    size_t *seglen = NULL;
    size_t nseg = 0;
    size_t plen = strlen(path);
    int rc = 0;

    if (!plen)
        return lc_buf_putc(out, '/');
    /* at most one segment per byte, plus one */
    seg = calloc(plen + 1, sizeof(*seg));
    seglen = calloc(plen + 1, sizeof(*seglen));
    if (!seg || !seglen) {
        rc = LC_E_NOMEM;
        goto out;
    }
    for (const char *p = path; p <= path + plen;) {
        const char *end = memchr(p, '/', (size_t)(path + plen - p));
        size_t len;
        if (!end)
            end = path + plen;
        len = (size_t)(end - p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (nseg)
                nseg--;
        } else if (len && !(len == 1 && p[0] == '.')) {
            seg[nseg] = p;
            seglen[nseg] = len;
            nseg++;
        }
        p = end + 1;
    }
    if (path[0] == '/')
        rc = lc_buf_putc(&norm, '/');
    for (size_t i = 0; !rc && i < nseg; i++) {
        if (i)
            rc = lc_buf_putc(&norm, '/');
        if (!rc)
            rc = lc_buf_append(&norm, seg[i], seglen[i]);
    }
    if (!rc && path[plen - 1] == '/' && nseg)
        rc = lc_buf_putc(&norm, '/');
    if (!rc && norm.len)
        rc = lc_uri_encode(out, norm.data, norm.len, true);
out:
    lc_buf_free(&norm);
    free(seg);
    free(seglen);
    return rc;
}

/* botocore's blacklist: headers a proxy or the HTTP stack may change after signing. */
static bool header_unsigned(const char *lname)
{
    return !strcmp(lname, "user-agent") || !strcmp(lname, "expect") ||
           !strcmp(lname, "x-amzn-trace-id");
}

/* Trimall: drop leading/trailing whitespace and turn inner runs into one space. */
static char *trimall_dup(const char *v)
{
    size_t len = strlen(v);
    char *out = malloc(len + 1);
    size_t o = 0;
    bool pending = false;

    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (is_space(c)) {
            pending = o > 0;
            continue;
        }
        if (pending)
            out[o++] = ' ';
        pending = false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return out;
}

static char *lower_dup(const char *s)
{
    size_t len = strlen(s);
    char *out = malloc(len + 1);

    if (!out)
        return NULL;
    for (size_t i = 0; i <= len; i++) {
        char c = s[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    return out;
}

static int cmp_header(const void *a, const void *b)
{
    const struct canon_header *x = a;
    const struct canon_header *y = b;
    int c = strcmp(x->name, y->name);

    if (c)
        return c;
    return (x->order > y->order) - (x->order < y->order);
}

/* Canonical headers ("name:value\n" each, sorted) and the signed headers list ("a;b;c"). */
static int canonical_headers(const struct lc_kvlist *headers, struct lc_buf *canon,
                             struct lc_buf *signed_list)
{
    struct canon_header *h = NULL;
    size_t n = 0;
    int rc = 0;

    if (!headers->n)
        return LC_E_INVALID;
    h = calloc(headers->n, sizeof(*h));
    if (!h)
        return LC_E_NOMEM;
    for (size_t i = 0; i < headers->n; i++) {
        char *lname = lower_dup(headers->items[i].name);
        if (!lname) {
            rc = LC_E_NOMEM;
            goto out;
        }
        if (header_unsigned(lname)) {
            free(lname);
            continue;
        }
        h[n].name = lname;
        h[n].order = i;
        h[n].value = trimall_dup(headers->items[i].value ? headers->items[i].value : "");
        n++;
        if (!h[n - 1].value) {
            rc = LC_E_NOMEM;
            goto out;
        }
    }
    qsort(h, n, sizeof(*h), cmp_header);
    for (size_t i = 0; i < n; i++) {
        bool first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;
        bool last = i + 1 == n || strcmp(h[i].name, h[i + 1].name) != 0;
        /* a repeated header is one line, values joined with "," in request order */
        if (first) {
            rc = lc_buf_appendf(canon, "%s:%s", h[i].name, h[i].value);
            if (!rc)
                rc = lc_buf_appendf(signed_list, "%s%s", signed_list->len ? ";" : "", h[i].name);
        } else {
            rc = lc_buf_appendf(canon, ",%s", h[i].value);
        }
        if (!rc && last)
            rc = lc_buf_putc(canon, '\n');
        if (rc)
            goto out;
    }
out:
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
    return rc;
}

/* Replace every copy of a header with one new value, appended last (as botocore does). */
static int replace_header(struct lc_kvlist *headers, const char *name, const char *value)
{
    lc_kv_remove(headers, name);
    return lc_kv_add(headers, name, value);
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
static int signing_key(const char *secret, const char *date, const char *region,
                       const char *service, unsigned char key[SHA256_LEN])
{
    size_t slen = strlen(secret);
    size_t klen = slen + 4;
    char *k0 = malloc(klen);
    unsigned char k1[SHA256_LEN];
    unsigned char k2[SHA256_LEN];
    unsigned char k3[SHA256_LEN];
    int rc = 0;

    if (!k0)
        return LC_E_NOMEM;
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, slen);
    rc = hmac_sha256(k0, klen, date, strlen(date), k1);
    if (rc)
        goto out;
    rc = hmac_sha256(k1, sizeof(k1), region, strlen(region), k2);
    if (rc)
        goto out;
    rc = hmac_sha256(k2, sizeof(k2), service, strlen(service), k3);
    if (rc)
        goto out;
    rc = hmac_sha256(k3, sizeof(k3), SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), key);
out:
    OPENSSL_cleanse(k0, klen);
    free(k0);
    OPENSSL_cleanse(k1, sizeof(k1));
    OPENSSL_cleanse(k2, sizeof(k2));
    OPENSSL_cleanse(k3, sizeof(k3));
    return rc;
}

int lc_sigv4_sign(struct lc_sigv4_req *req, const struct lc_creds *creds,
                  struct lc_sigv4_trace *trace)
{
    struct lc_buf cr = {0};    /* canonical request */
    struct lc_buf sts = {0};   /* string to sign */
    struct lc_buf chdrs = {0}; /* canonical headers */
    struct lc_buf shdrs = {0}; /* signed headers */
    struct lc_buf auth = {0};  /* Authorization value */
    unsigned char ksign[SHA256_LEN];
    unsigned char sig[SHA256_LEN];
    char amz_date[17];
    char date[9];
    char body_hash[65];
    char cr_hash[65];
    char sig_hex[65];
    const char *payload;
    const char *path;
    struct tm tm;
    int rc = 0;

    memset(ksign, 0, sizeof(ksign));
    if (trace)
        memset(trace, 0, sizeof(*trace));
    if (!req || !creds || !req->method || !req->headers || !req->region || !req->service ||
        !creds->access_key_id || !creds->secret_access_key || !*creds->access_key_id ||
        !*creds->secret_access_key)
        return LC_E_INVALID;
    if (!lc_kv_get(req->headers, "host"))
        return LC_E_INVALID;

    /* Timestamps: X-Amz-Date and the date of the credential scope */
    if (!gmtime_r(&req->when, &tm) ||
        strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm) != 16)
        return LC_E_INVALID;
    memcpy(date, amz_date, 8);
    date[8] = '\0';

    /* HashedPayload */
    if (req->payload_hash) {
        payload = req->payload_hash;
    } else {
        rc = sha256_hex(req->body, req->body_len, body_hash);
        if (rc)
            return rc;
        payload = body_hash;
    }

    /* Headers the signer owns; a retry must not keep an old signature or date */
    lc_kv_remove(req->headers, "authorization");
    rc = replace_header(req->headers, "X-Amz-Date", amz_date);
    if (!rc && creds->session_token && *creds->session_token)
        rc = replace_header(req->headers, "X-Amz-Security-Token", creds->session_token);
    if (!rc && (req->flavor == LC_SIGV4_S3 || !strcmp(payload, SIGV4_UNSIGNED)))
        rc = replace_header(req->headers, "X-Amz-Content-Sha256", payload);
    if (rc)
        goto out;
    /* generic: an x-amz-content-sha256 the caller sent is what the service checks */
    if (req->flavor != LC_SIGV4_S3 && lc_kv_get(req->headers, "x-amz-content-sha256"))
        payload = lc_kv_get(req->headers, "x-amz-content-sha256");

    /* Step 1: canonical request. HTTPMethod */
    for (const char *m = req->method; *m && !rc; m++)
        rc = lc_buf_putc(&cr, (*m >= 'a' && *m <= 'z') ? (char)(*m - 'a' + 'A') : *m);
    if (!rc)
        rc = lc_buf_putc(&cr, '\n');
    if (rc)
        goto out;

    /* CanonicalURI: S3 takes the path as sent; other services normalise and encode again */
    path = req->path && *req->path ? req->path : "/";
    if (req->flavor == LC_SIGV4_S3)
        rc = lc_buf_append(&cr, path, strlen(path));
    else
        rc = canonical_uri_generic(path, &cr);
    if (!rc)
        rc = lc_buf_putc(&cr, '\n');
    if (rc)
        goto out;

    /* CanonicalQueryString */
    rc = lc_sigv4_query_string(req->query, &cr);
    if (!rc)
        rc = lc_buf_putc(&cr, '\n');
    if (rc)
        goto out;

    /* CanonicalHeaders, blank line, SignedHeaders, HashedPayload */
    rc = canonical_headers(req->headers, &chdrs, &shdrs);
    if (!rc)
        rc = lc_buf_appendf(&cr, "%s\n%s\n%s", chdrs.data ? chdrs.data : "", shdrs.data, payload);
    if (rc)
        goto out;

    /* Step 2: string to sign */
    rc = sha256_hex(cr.data, cr.len, cr_hash);
    if (!rc)
        rc = lc_buf_appendf(&sts, SIGV4_ALGORITHM "\n%s\n%s/%s/%s/" SIGV4_TERMINATOR "\n%s",
                            amz_date, date, req->region, req->service, cr_hash);
    if (rc)
        goto out;

    /* Step 3: signing key and signature */
    rc = signing_key(creds->secret_access_key, date, req->region, req->service, ksign);
    if (!rc)
        rc = hmac_sha256(ksign, sizeof(ksign), sts.data, sts.len, sig);
    if (rc)
        goto out;
    hex_lower(sig, sizeof(sig), sig_hex);

    /* Step 4: Authorization header (botocore's formatting: parts joined with ", ") */
    rc = lc_buf_appendf(&auth,
                        SIGV4_ALGORITHM " Credential=%s/%s/%s/%s/" SIGV4_TERMINATOR
                                        ", SignedHeaders=%s, Signature=%s",
                        creds->access_key_id, date, req->region, req->service, shdrs.data, sig_hex);
    if (!rc)
        rc = lc_kv_add(req->headers, "Authorization", auth.data);
    if (rc)
        goto out;

    if (trace) {
        trace->canonical_request = lc_buf_steal(&cr);
        trace->string_to_sign = lc_buf_steal(&sts);
        memcpy(trace->signature, sig_hex, sizeof(trace->signature));
        if (!trace->canonical_request || !trace->string_to_sign) {
            lc_sigv4_trace_free(trace);
            rc = LC_E_NOMEM;
        }
    }
out:
    OPENSSL_cleanse(ksign, sizeof(ksign));
    lc_buf_free(&cr);
    lc_buf_free(&sts);
    lc_buf_free(&chdrs);
    lc_buf_free(&shdrs);
    lc_buf_free(&auth);
    return rc;
}

void lc_sigv4_trace_free(struct lc_sigv4_trace *t)
{
    if (!t)
        return;
    free(t->canonical_request);
    free(t->string_to_sign);
    memset(t, 0, sizeof(*t));
}

static void free_secret(char *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

void lc_creds_clear(struct lc_creds *c)
{
    if (!c)
        return;
    free_secret(c->access_key_id);
    free_secret(c->secret_access_key);
    free_secret(c->session_token);
    memset(c, 0, sizeof(*c));
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : LC_E_NOMEM;
}

/* dst is overwritten, not freed: pass an empty or already cleared struct. */
int lc_creds_copy(struct lc_creds *dst, const struct lc_creds *src)
{
    struct lc_creds tmp = {0};
    int rc = 0;

    if (!dst || !src)
        return LC_E_INVALID;
    rc = dup_opt(&tmp.access_key_id, src->access_key_id);
    if (!rc)
        rc = dup_opt(&tmp.secret_access_key, src->secret_access_key);
    if (!rc)
        rc = dup_opt(&tmp.session_token, src->session_token);
    if (rc) {
        lc_creds_clear(&tmp);
        return rc;
    }
    tmp.expiration = src->expiration;
    *dst = tmp;
    OPENSSL_cleanse(&tmp, sizeof(tmp));
    return 0;
}
