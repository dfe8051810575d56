/* libFuzzer: the content sampler (agent/pipeline/sample.c) for each probe's format.
 *
 * Input: byte 0 = control, byte 1 = chunk size, then the body.
 *   control bits 0-1, 6-7  the format: the probes' formats in registry order (flow log text,
 *                     Parquet, Config, CloudTrail, ...), counted modulo their number
 *           bit 2     the harness gzips the body first (so the fuzzer reaches the content
 *                     parsers); bit 4 makes that two gzip members
 *           bit 3     complete (the body is the whole object)
 *           bit 5     a small cap (4 KiB) instead of the default
 * Invariants: feeding whole and in chunks gives the same verdict, reason, counts and times;
 * the inflated bytes never pass the cap; a reason is set exactly when the sample is invalid. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pipeline/sample.h"
#include "probes/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every probe's formats in registry order, the nth modulo their number. */
static const struct lc_sample_format *nth_format(size_t n)
{
    size_t count = 0, at = 0;

    for (size_t i = 0; lc_probes[i]; i++)
        for (size_t k = 0; lc_probes[i]->formats && lc_probes[i]->formats[k]; k++)
            count++;
    n %= count;
    for (size_t i = 0; lc_probes[i]; i++)
        for (size_t k = 0; lc_probes[i]->formats && lc_probes[i]->formats[k]; k++)
            if (at++ == n)
                return lc_probes[i]->formats[k];
    return NULL;
}

/* Append one gzip member of in[0..n) to out (sized by the caller). */
static size_t gzip_member(const uint8_t *in, size_t n, uint8_t *out, size_t room)
{
    z_stream zs;
    size_t len;

    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)room;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        abort();
    len = zs.total_out;
    deflateEnd(&zs);
    return len;
}

static void run(const struct lc_sample_opts *opts, const uint8_t *p, size_t len, size_t chunk,
                bool complete, struct lc_sample_result *out)
{
    struct lc_sample *s = lc_sample_new(opts);
    size_t off = 0;

    if (!s)
        abort();
    while (off < len) {
        size_t n = len - off < chunk ? len - off : chunk;
        off += n;
        if (lc_sample_feed(s, p + off - n, n) != 0)
            break;
    }
    lc_sample_finish(s, complete && off == len, out);
    lc_sample_free(s);
}

static void check(const struct lc_sample_result *r, size_t cap)
{
    if (memchr(r->reason, '\0', sizeof(r->reason)) == NULL ||
        memchr(r->format, '\0', sizeof(r->format)) == NULL)
        abort();
    if (r->valid != (r->reason[0] == '\0'))
        abort();
    if (r->bytes_out > cap || r->records < -1 || (r->capped && r->bytes_out != cap))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lc_sample_opts opts;
    struct lc_sample_result whole, part;
    const uint8_t *body;
    uint8_t *zbuf = NULL;
    size_t n, chunk, cap;
    bool complete;

    if (size < 2)
        return 0;
    memset(&opts, 0, sizeof(opts));
    opts.format = nth_format((size_t)(data[0] & 3) | (size_t)(data[0] >> 6) << 2);
    complete = data[0] & 8;
    opts.max_inflated = data[0] & 32 ? 4096 : 0;
    cap = opts.max_inflated ? opts.max_inflated : (size_t)4 * 1024 * 1024;
    chunk = (size_t)data[1] % 64 + 1;
    body = data + 2;
    n = size - 2;

    if (data[0] & 4) {
        size_t room = 2 * (compressBound((uLong)n) + 64), half = data[0] & 16 ? n / 2 : n;
        zbuf = malloc(room);
        if (!zbuf)
            return 0;
        size_t zl = gzip_member(body, half, zbuf, room);
        if (half < n)
            zl += gzip_member(body + half, n - half, zbuf + zl, room - zl);
        body = zbuf;
        n = zl;
    }

    run(&opts, body, n, n ? n : 1, complete, &whole);
    run(&opts, body, n, chunk, complete, &part);
    check(&whole, cap);
    check(&part, cap);
    if (whole.valid != part.valid || strcmp(whole.reason, part.reason) != 0 ||
        whole.records != part.records || whole.newest_record != part.newest_record ||
        strcmp(whole.format, part.format) != 0 || whole.capped != part.capped)
        abort();
    if (whole.valid && whole.bytes_out != part.bytes_out)
        abort();
    free(zbuf);
    return 0;
}
