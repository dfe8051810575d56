/* Content validation of a delivered log object: the first bytes of the newest object (a ranged
 * GET), inflated as a stream with a hard output cap, checked against what the service writes.
 *
 *   flow logs, text: gzip; a header line of field names (version 2 default format, or a custom
 *       format); records with as many fields as the header; start/end Unix times, the newest
 *       end time reported
 *   flow logs, Parquet: the "PAR1" magic
 *   Config: gzip JSON opening with an object holding "fileVersion" and "configurationItems"
 *   CloudTrail: gzip JSON opening {"Records":[ with "eventTime" values, the newest reported
 * gzip may have several members. The sample is usually a prefix of the object: an inflate stream
 * cut at the range end is expected; one cut before the object's real end is not. */
#ifndef LC_SAMPLE_H
#define LC_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum lc_sample_kind {
    LC_SAMPLE_FLOWLOG_TEXT = 0,
    LC_SAMPLE_FLOWLOG_PARQUET,
    LC_SAMPLE_CONFIG_JSON,
    LC_SAMPLE_CLOUDTRAIL_JSON,
};

struct lc_sample_opts {
    enum lc_sample_kind kind;
    size_t max_inflated;  /* cap on inflated bytes examined (0 = 4 MiB): no zip bombs */
    bool require_records; /* a sample with a header / JSON opening but no record is invalid
                           * (default: valid with records = 0) */
};

struct lc_sample_result {
    bool valid;
    char reason[256];     /* why not valid: "empty object", "not gzip (bad magic)",
                           * "gzip stream truncated", "flow log header missing", ... */
    uint64_t bytes_in;    /* compressed bytes fed */
    uint64_t bytes_out;   /* inflated bytes examined (0 for Parquet: nothing is inflated) */
    long records;         /* complete records seen (flow log lines, CloudTrail records,
                           * Config configurationItems), -1 when not countable */
    time_t newest_record; /* newest flow log "end" / CloudTrail eventTime; 0 when unknown */
    char format[128];     /* "v2 default", "custom: version vpc-id ...", "parquet", ... */
    bool capped;          /* inflating stopped at max_inflated: the rest was not examined */
};

struct lc_sample;

struct lc_sample *lc_sample_new(const struct lc_sample_opts *opts);
/* Feed the next chunk of the object's bytes. Returns 0 to go on, 1 when enough has been seen
 * (the caller may stop reading), never fails: problems end up in the result. */
int lc_sample_feed(struct lc_sample *s, const void *data, size_t len);
/* complete: the bytes fed are the whole object (so a cut stream is a truncated object). */
void lc_sample_finish(struct lc_sample *s, bool complete, struct lc_sample_result *out);
void lc_sample_free(struct lc_sample *s);

#endif
