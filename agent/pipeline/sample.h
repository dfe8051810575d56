/* Content validation of a delivered log object: the first bytes of the newest object (a ranged
 * GET), inflated as a stream with a hard output cap, checked against the format its source
 * writes. A probe declares its formats (struct lc_sample_format); this engine knows the shapes:
 *
 *   table    gzip text: a header line of field names (a default order, or a custom one), then
 *            records of as many space-separated fields; known fields are checked by type, the
 *            newest end (else start) time is reported
 *   records  gzip JSON: one object whose records key holds an array of objects, each with a time
 *            key (ISO-8601), the newest reported; optionally the records key first, a version key
 *   lines    gzip JSON Lines: an object per line, each with the required members and a time key
 *            (ISO-8601, or seconds or milliseconds since the epoch as a number or digits), the
 *            newest reported
 *   parquet  the "PAR1" magic (and footer, when the whole object was read)
 * gzip may have several members. The sample is usually a prefix of the object: an inflate stream
 * cut at the range end is expected; one cut before the object's real end is not. */
#ifndef LC_SAMPLE_H
#define LC_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum lc_sample_encoding { LC_SAMPLE_GZIP = 0, LC_SAMPLE_PARQUET };
enum lc_sample_syntax { LC_SAMPLE_TABLE = 0, LC_SAMPLE_RECORDS, LC_SAMPLE_LINES };

enum lc_sample_field_type {
    LC_FIELD_TEXT = 0, /* any non-empty token */
    LC_FIELD_INT,      /* decimal integer or "-" */
    LC_FIELD_START,    /* Unix seconds or "-" */
    LC_FIELD_END,      /* Unix seconds or "-" */
    LC_FIELD_WORD,     /* one of words */
};

/* A known column of a table. */
struct lc_sample_field {
    const char *name;
    enum lc_sample_field_type type;
    const char *const *words; /* LC_FIELD_WORD: the values (NULL-ended) */
};

/* What a source's delivery files look like. */
struct lc_sample_format {
    const char *name; /* unique among all probes' formats: "<probe> <variant>" */
    enum lc_sample_encoding encoding;
    enum lc_sample_syntax syntax;
    const char *what;  /* in messages: what the files are called */
    const char *label; /* the result's format: "<probe> json", "parquet" */
    /* LC_SAMPLE_TABLE */
    const struct lc_sample_field *fields; /* the known columns */
    size_t n_fields;
    size_t n_default;          /* the first n_default fields, in order, are the default header */
    const char *default_label; /* the result's format for it: "v2 default" */
    const char *json_hint;     /* a table that is JSON: which other source's file it may be */
    /* LC_SAMPLE_RECORDS */
    const char *records_key;  /* "Records" */
    const char *time_key;     /* "eventTime" */
    bool records_first;       /* the file opens with records_key */
    const char *version_key;  /* required in a whole file (NULL: none): "fileVersion" */
    const char *foreign_key;  /* a top-level key that marks another source's file */
    const char *foreign_hint; /* what such a file probably is */
    /* LC_SAMPLE_LINES (also time_key): each line is a JSON object with time_key and these */
    const char *const *required; /* members every record has (NULL-ended; NULL: none) */
    int time_scale;              /* a numeric time: 1 for seconds, 1000 for milliseconds */
};

struct lc_sample_opts {
    const struct lc_sample_format *format;
    size_t max_inflated;  /* cap on inflated bytes examined (0 = 4 MiB): no zip bombs */
    bool require_records; /* a sample with a header / JSON opening but no record is invalid
                           * (default: valid with records = 0) */
};

struct lc_sample_result {
    bool valid;
    char reason[256];     /* why not valid: "empty object", "not gzip (bad magic)",
                           * "gzip stream truncated", "<what> header missing", ... */
    uint64_t bytes_in;    /* compressed bytes fed */
    uint64_t bytes_out;   /* inflated bytes examined (0 for Parquet: nothing is inflated) */
    long records;         /* complete records seen (table lines, JSON records,
                           * Config configurationItems), -1 when not countable */
    time_t newest_record; /* newest record time (a table's end, a record's time key); 0 when
                           * unknown */
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
