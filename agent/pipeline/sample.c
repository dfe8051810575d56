/* Content validation of a delivered log object (see sample.h).
 *
 * Bytes go through three stages, each bounded and fed incrementally:
 *   1. gzip: zlib inflate (windowBits 31, gzip only), member after member; output stops at the
 *      max_inflated cap, so a zip bomb costs at most cap bytes of work.
 *   2. content: a line splitter for tables (a header line of field names, then records), or a
 *      small streaming JSON tokenizer (no DOM: the sample is a prefix) that tracks the top-level
 *      keys and the record array.
 *   3. the record checks: field counts and values of tables, the time key of JSON records.
 * What a source's files look like comes from its probe (struct lc_sample_format).
 * The first problem found is kept as the reason; after it, input is only counted. */
#include "pipeline/sample.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* next_in is const */
#include <zlib.h>

#include "core/timeutil.h"

#define DEFAULT_CAP    ((size_t)4 * 1024 * 1024)
#define OUT_CHUNK      16384 /* inflate output per call */
#define LINE_MAX_LEN   8192  /* longest table line accepted */
#define MAX_FIELDS     64    /* columns in a table header */
#define JSON_MAX_DEPTH 64    /* records nest (request parameters), but not this deep */
#define STR_CAP        64    /* bytes kept of a JSON key or time string */

struct table {
    char line[LINE_MAX_LEN + 1];
    size_t len;
    long lineno;
    bool have_header;
    int nfields;
    const struct lc_sample_field *cols[MAX_FIELDS]; /* NULL: a field unknown to the format */
    bool have_end;
};

/* ---- JSON ----------------------------------------------------------------------------- */

enum jstate {
    J_START = 0, /* before the top-level value */
    J_VALUE,     /* a value is required */
    J_ARR_FIRST, /* after '[': a value or ']' */
    J_OBJ_FIRST, /* after '{': a key or '}' */
    J_OBJ_KEY,   /* after ',' in an object: a key */
    J_COLON,     /* after a key */
    J_AFTER,     /* after a value: ',' or a closing bracket */
    J_STRING,
    J_ESC,
    J_UHEX,
    J_NUMBER,
    J_LITERAL,
    J_END, /* the top-level value is closed: only whitespace may follow */
};

enum jnum { N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_EXP, N_EXP_SIGN, N_EXP_DIGITS };

enum top_key { TK_OTHER = 0, TK_RECORDS, TK_VERSION };

struct json {
    enum jstate st;
    int depth; /* open containers */
    char stack[JSON_MAX_DEPTH];
    bool str_key; /* the string being read is an object key */
    char str[STR_CAP];
    size_t slen;
    bool str_long;
    int hex_left;
    enum jnum num;
    const char *lit;
    size_t lit_pos;
    uint64_t pos; /* offset in the inflated stream */
    /* what the keys mean */
    enum top_key top_key; /* the top-level key whose value is being read */
    bool first_key_seen;
    bool in_records; /* the record array is the open container at depth 2 */
    bool time_key;   /* the last key inside a record names its time */
    bool saw_records;
    bool saw_version;
    char version[16];
    /* JSON Lines */
    long line;      /* the line being read (1-based) */
    long rec_line;  /* the line the current record began on */
    unsigned have;  /* required members seen in this record, a bit each */
    bool have_time; /* its time member was seen */
    bool num_time;  /* the number being read is the time member's */
};

/* ---- the sampler ---------------------------------------------------------------------- */

struct lc_sample {
    const struct lc_sample_format *f;
    size_t cap;
    bool require_records;
    bool failed;
    bool capped;
    bool finished;
    z_stream zs;
    bool z_ready;
    bool member_end; /* the last gzip member ended and no byte of another one followed */
    int members;
    unsigned char head[4]; /* first bytes of the object (error hints, Parquet magic) */
    size_t nhead;
    unsigned char tail[4]; /* last bytes of the object (Parquet footer) */
    uint64_t bytes_in;
    uint64_t bytes_out;
    long records;
    time_t newest;
    char reason[256];
    char format[128];
    struct table fl;
    struct json js;
    unsigned char out[OUT_CHUNK];
};

static void fail(struct lc_sample *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keep the first problem found; later ones are consequences. */
static void fail(struct lc_sample *s, const char *fmt, ...)
{
    va_list ap;

    if (s->failed)
        return;
    s->failed = true;
    va_start(ap, fmt);
    if (vsnprintf(s->reason, sizeof(s->reason), fmt, ap) < 0)
        memcpy(s->reason, "invalid content", sizeof("invalid content"));
    va_end(ap);
}

/* Copy src into dst, ending with "..." when it does not fit (size >= 4). */
static void copy_trunc(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n < size) {
        memcpy(dst, src, n + 1);
        return;
    }
    memcpy(dst, src, size - 4);
    memcpy(dst + size - 4, "...", 4);
}

/* A printable, bounded copy of untrusted bytes for a reason string. */
static const char *printable(const char *src, size_t n, char *buf, size_t size)
{
    size_t i, o = 0;

    for (i = 0; i < n && o + 1 < size; i++) {
        unsigned char c = (unsigned char)src[i];
        buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    buf[o] = '\0';
    if (i < n && o >= 3)
        memcpy(buf + o - 3, "...", 3);
    return buf;
}

/* ---- tables -------------------------------------------------------------------------- */

static const struct lc_sample_field *fl_lookup(const struct lc_sample_format *f, const char *name)
{
    for (size_t i = 0; i < f->n_fields; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return &f->fields[i];
    return NULL;
}

static int count_fields(const char *line)
{
    int n = 1;

    for (const char *p = line; *p; p++) {
        if (*p == ' ')
            n++;
    }
    return n;
}

/* Split line in place at single spaces into n fields (n from count_fields). */
static void split_fields(char *line, char **f, int n)
{
    char *p = line;

    for (int i = 0; i < n; i++) {
        char *sp = strchr(p, ' ');
        f[i] = p;
        if (!sp)
            break;
        *sp = '\0';
        p = sp + 1;
    }
}

/* 1 to 19 decimal digits. */
static bool parse_u64(const char *p, uint64_t *out)
{
    uint64_t v = 0;
    size_t n = 0;

    for (; *p; p++, n++) {
        if (*p < '0' || *p > '9' || n == 19)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (n == 0)
        return false;
    *out = v;
    return true;
}

/* The header: field names, every one a documented field or, for fields AWS may add later,
 * at least most of them (more known than unknown names). */
static void fl_header(struct lc_sample *s, char *line)
{
    const struct lc_sample_format *fmt = s->f;
    struct table *fl = &s->fl;
    char *f[MAX_FIELDS];
    char q[40];
    int n, known = 0, unknown = 0;
    const char *first_unknown = NULL;
    bool dflt;

    if (!line[0]) {
        fail(s, "%s header missing (empty first line)", fmt->what);
        return;
    }
    if (line[0] == '{' || line[0] == '[') {
        fail(s, "not a %s: JSON content (%s)", fmt->what, fmt->json_hint);
        return;
    }
    for (const char *p = line; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == ' ')) {
            fail(s, "%s header missing (first line is not field names: \"%s\")", fmt->what,
                 printable(line, strlen(line), q, sizeof(q)));
            return;
        }
    }
    n = count_fields(line);
    if (n > MAX_FIELDS) {
        fail(s, "%s header has %d fields (more than %d)", fmt->what, n, MAX_FIELDS);
        return;
    }
    dflt = (size_t)n == fmt->n_default;
    if (dflt) {
        /* compare before split_fields cuts the line */
        char want[1024];
        size_t o = 0;
        for (size_t i = 0; i < fmt->n_default && dflt; i++) {
            size_t l = strlen(fmt->fields[i].name);
            dflt = o + l + 2 < sizeof(want);
            if (!dflt)
                break;
            if (i)
                want[o++] = ' ';
            memcpy(want + o, fmt->fields[i].name, l);
            o += l;
        }
        want[o] = '\0';
        dflt = dflt && strcmp(want, line) == 0;
    }
    if (dflt) {
        copy_trunc(s->format, sizeof(s->format), fmt->default_label);
    } else {
        memcpy(s->format, "custom: ", 8);
        copy_trunc(s->format + 8, sizeof(s->format) - 8, line);
    }
    split_fields(line, f, n);
    for (int i = 0; i < n; i++) {
        if (!f[i][0]) {
            fail(s, "%s header has an empty field name (field %d)", fmt->what, i + 1);
            return;
        }
        fl->cols[i] = fl_lookup(fmt, f[i]);
        if (!fl->cols[i]) {
            unknown++;
            if (!first_unknown)
                first_unknown = f[i];
        } else {
            known++;
            if (fl->cols[i]->type == LC_FIELD_END)
                fl->have_end = true;
        }
    }
    if (unknown && known <= unknown) {
        fail(s, "%s header has unknown field names (%d of %d, e.g. \"%s\")", fmt->what, unknown, n,
             printable(first_unknown, strlen(first_unknown), q, sizeof(q)));
        return;
    }
    fl->nfields = n;
    fl->have_header = true;
}

#define MAX_UNIX_TIME 253402300799ULL /* 9999-12-31T23:59:59Z */

static bool is_word(const struct lc_sample_field *c, const char *val)
{
    for (size_t i = 0; c->words && c->words[i]; i++)
        if (strcmp(c->words[i], val) == 0)
            return true;
    return false;
}

static void fl_record(struct lc_sample *s, char *line)
{
    const char *what = s->f->what;
    struct table *fl = &s->fl;
    char *f[MAX_FIELDS];
    char q[40];
    uint64_t v, start = 0, end = 0;
    bool have_start = false, have_end = false;
    int n = count_fields(line);

    if (n != fl->nfields) {
        fail(s, "%s record on line %ld has %d fields, the header has %d", what, fl->lineno, n,
             fl->nfields);
        return;
    }
    split_fields(line, f, n);
    for (int i = 0; i < n; i++) {
        const struct lc_sample_field *c = fl->cols[i];
        const char *val = f[i];
        bool dash = strcmp(val, "-") == 0;
        if (!val[0]) {
            fail(s, "%s record on line %ld: field %d is empty", what, fl->lineno, i + 1);
            return;
        }
        if (!c || c->type == LC_FIELD_TEXT)
            continue;
        if (c->type == LC_FIELD_WORD) {
            if (!is_word(c, val)) {
                fail(s, "%s record on line %ld: bad %s \"%s\"", what, fl->lineno, c->name,
                     printable(val, strlen(val), q, sizeof(q)));
                return;
            }
            continue;
        }
        if (dash) /* a number or a time may be "-" (no data) */
            continue;
        bool is_time = c->type == LC_FIELD_START || c->type == LC_FIELD_END;
        if (!parse_u64(val, &v) || (is_time && v > MAX_UNIX_TIME)) {
            fail(s, "%s record on line %ld: bad %s \"%s\" (field %d)", what, fl->lineno,
                 is_time ? c->name : "numeric field", printable(val, strlen(val), q, sizeof(q)),
                 i + 1);
            return;
        }
        if (c->type == LC_FIELD_START) {
            start = v;
            have_start = true;
        } else if (c->type == LC_FIELD_END) {
            end = v;
            have_end = true;
        }
    }
    if (have_start && have_end && start > end) {
        fail(s, "%s record on line %ld: start %llu is after end %llu", what, fl->lineno,
             (unsigned long long)start, (unsigned long long)end);
        return;
    }
    /* newest end time; start stands in when the format has no end field */
    if (have_end || (!fl->have_end && have_start)) {
        time_t t = (time_t)(have_end ? end : start);
        if (t > s->newest)
            s->newest = t;
    }
    s->records++;
}

static void fl_line(struct lc_sample *s)
{
    struct table *fl = &s->fl;
    size_t len = fl->len;

    fl->lineno++;
    if (len && fl->line[len - 1] == '\r')
        len--;
    fl->line[len] = '\0';
    if (memchr(fl->line, '\r', len)) {
        fail(s, "control byte 0x0d inside %s line %ld", s->f->what, fl->lineno);
        return;
    }
    if (!fl->have_header)
        fl_header(s, fl->line);
    else if (len) /* blank lines carry nothing: skipped */
        fl_record(s, fl->line);
}

static void fl_feed(struct lc_sample *s, const unsigned char *p, size_t n)
{
    struct table *fl = &s->fl;

    while (n > 0 && !s->failed) {
        const unsigned char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        for (size_t i = 0; i < take; i++) {
            if ((p[i] < 0x20 && p[i] != '\r') || p[i] >= 0x7f) {
                fail(s, "binary data in %s (byte 0x%02x on line %ld)", s->f->what, p[i],
                     fl->lineno + 1);
                return;
            }
        }
        if (take > LINE_MAX_LEN - fl->len) {
            fail(s, "%s line %ld is longer than %d bytes", s->f->what, fl->lineno + 1,
                 LINE_MAX_LEN);
            return;
        }
        memcpy(fl->line + fl->len, p, take);
        fl->len += take;
        if (!nl)
            return;
        fl_line(s);
        fl->len = 0;
        p += take + 1;
        n -= take + 1;
    }
}

/* whole: the inflated bytes are the whole file, so a final line without '\n' is a record. */
static void fl_finish(struct lc_sample *s, bool whole)
{
    struct table *fl = &s->fl;

    if (whole && fl->len > 0 && !s->failed) {
        fl_line(s);
        fl->len = 0;
    }
    if (s->failed)
        return;
    if (!fl->have_header) {
        if (s->bytes_out == 0)
            fail(s, "empty log file (no %s header)", s->f->what);
        else
            fail(s, "%s header missing (no complete first line in %llu bytes)", s->f->what,
                 (unsigned long long)s->bytes_out);
        return;
    }
    if (s->require_records && s->records == 0)
        fail(s, "%s header without records", s->f->what);
}

/* ---- JSON records --------------------------------------------------------------------- */

static const char *rec_name(const struct lc_sample *s)
{
    return s->f->records_key;
}

static const char *time_name(const struct lc_sample *s)
{
    return s->f->time_key;
}

static bool lines_mode(const struct lc_sample *s)
{
    return s->f->syntax == LC_SAMPLE_LINES;
}

/* The time member of a record: ISO-8601, or digits of seconds (milliseconds with scale 1000). */
static void j_line_time(struct lc_sample *s)
{
    struct json *j = &s->js;
    char q[40];
    time_t t = 0;
    bool ok = !j->str_long && j->slen > 0;
    bool digits = ok;
    uint64_t scale = s->f->time_scale > 0 ? (uint64_t)s->f->time_scale : 1;

    j->str[j->slen] = '\0'; /* a number's characters are kept unterminated */
    for (size_t i = 0; i < j->slen && digits; i++)
        digits = j->str[i] >= '0' && j->str[i] <= '9';
    if (digits) {
        uint64_t v = 0;
        ok = parse_u64(j->str, &v) && v / scale <= MAX_UNIX_TIME;
        t = (time_t)(v / scale);
    } else if (ok) {
        ok = lc_time_parse_iso8601(j->str, &t) == 0;
    }
    if (!ok) {
        fail(s, "%s record on line %ld: %s is not a time (\"%s\")", s->f->what, j->rec_line,
             time_name(s), printable(j->str, j->slen, q, sizeof(q)));
        return;
    }
    j->have_time = true;
    if (t > s->newest)
        s->newest = t;
}

/* A record (a line's object) ended: it must hold its members. */
static void j_line_done(struct lc_sample *s)
{
    struct json *j = &s->js;

    for (size_t i = 0; s->f->required && s->f->required[i]; i++)
        if (!(j->have & (1u << i))) {
            fail(s, "%s record on line %ld has no \"%s\"", s->f->what, j->rec_line,
                 s->f->required[i]);
            return;
        }
    if (!j->have_time) {
        fail(s, "%s record on line %ld has no \"%s\"", s->f->what, j->rec_line, time_name(s));
        return;
    }
    s->records++;
}

static void j_error(struct lc_sample *s, unsigned char c)
{
    if (c >= 0x20 && c < 0x7f)
        fail(s, "JSON syntax error at byte %llu (unexpected '%c')", (unsigned long long)s->js.pos,
             c);
    else
        fail(s, "JSON syntax error at byte %llu (unexpected byte 0x%02x)",
             (unsigned long long)s->js.pos, c);
}

/* A value of type '{', '[', '"', '0' (number) or 'l' (literal) starts at the current depth. */
static void j_begin(struct lc_sample *s, char type)
{
    struct json *j = &s->js;

    if (j->depth == 0) {
        if (type != '{')
            fail(s, "JSON top level is not an object");
        j->have = 0;
        j->have_time = false;
        j->rec_line = j->line;
        return;
    }
    if (lines_mode(s)) {
        j->num_time = j->depth == 1 && j->time_key && type == '0';
        if (j->num_time) {
            j->slen = 0;
            j->str_long = false;
        }
        return;
    }
    if (j->depth == 1 && j->top_key == TK_RECORDS) {
        if (type != '[')
            fail(s, "\"%s\" is not an array", rec_name(s));
        else
            j->in_records = true;
        return;
    }
    if (j->depth == 2 && j->in_records && type != '{')
        fail(s, "%s element %ld is not an object", rec_name(s), s->records + 1);
}

/* A value ended (containers: after the pop); depth is that of its container. */
static void j_value_done(struct lc_sample *s)
{
    struct json *j = &s->js;

    if (j->depth == 0) {
        if (lines_mode(s))
            j_line_done(s);
        j->st = J_END;
        return;
    }
    if (lines_mode(s)) {
        if (j->num_time)
            j_line_time(s);
        j->num_time = false;
        j->time_key = false;
        j->st = J_AFTER;
        return;
    }
    if (j->depth == 1) {
        j->in_records = false;
        j->top_key = TK_OTHER;
    } else if (j->depth == 2 && j->in_records) {
        s->records++;
    }
    j->st = J_AFTER;
}

static void j_key(struct lc_sample *s)
{
    struct json *j = &s->js;
    char q[40];

    if (lines_mode(s)) {
        j->time_key = j->depth == 1 && !j->str_long && strcmp(j->str, time_name(s)) == 0;
        for (size_t i = 0; j->depth == 1 && !j->str_long && s->f->required && s->f->required[i];
             i++)
            if (i < 32 && strcmp(j->str, s->f->required[i]) == 0)
                j->have |= 1u << i;
        return;
    }
    if (j->depth == 1) {
        if (!j->str_long && strcmp(j->str, rec_name(s)) == 0) {
            j->top_key = TK_RECORDS;
            j->saw_records = true;
        } else if (!j->str_long && s->f->version_key && strcmp(j->str, s->f->version_key) == 0) {
            j->top_key = TK_VERSION;
            j->saw_version = true;
        } else {
            j->top_key = TK_OTHER;
        }
        if (s->f->records_first && !j->first_key_seen && j->top_key != TK_RECORDS)
            fail(s, "%s file does not open with \"%s\" (first key \"%s\")", s->f->what, rec_name(s),
                 printable(j->str, j->slen, q, sizeof(q)));
        if (s->f->foreign_key && strcmp(j->str, s->f->foreign_key) == 0)
            fail(s, "not a %s file: top-level \"%s\" (%s)", s->f->what, s->f->foreign_key,
                 s->f->foreign_hint);
        j->first_key_seen = true;
    } else if (j->depth == 3 && j->in_records) {
        j->time_key = !j->str_long && strcmp(j->str, time_name(s)) == 0;
    }
}

static void j_string_value(struct lc_sample *s)
{
    struct json *j = &s->js;
    char q[40];
    time_t t;

    if (lines_mode(s)) {
        if (j->depth == 1 && j->time_key)
            j_line_time(s);
        return;
    }
    if (j->depth == 1 && j->top_key == TK_VERSION) {
        copy_trunc(j->version, sizeof(j->version), j->str);
    } else if (j->depth == 3 && j->in_records && j->time_key) {
        if (j->str_long || lc_time_parse_iso8601(j->str, &t) != 0) {
            fail(s, "%s element %ld: %s is not an ISO-8601 time (\"%s\")", rec_name(s),
                 s->records + 1, time_name(s), printable(j->str, j->slen, q, sizeof(q)));
            return;
        }
        if (t > s->newest)
            s->newest = t;
    }
}

static void j_str_put(struct json *j, char c)
{
    if (j->slen < STR_CAP - 1)
        j->str[j->slen++] = c;
    else
        j->str_long = true;
}

static void j_str_start(struct json *j, bool key)
{
    j->str_key = key;
    j->slen = 0;
    j->str_long = false;
    j->st = J_STRING;
}

static void j_close(struct lc_sample *s, unsigned char c)
{
    struct json *j = &s->js;
    char open = c == '}' ? '{' : '[';

    if (j->depth == 0 || j->stack[j->depth - 1] != open) {
        j_error(s, c);
        return;
    }
    j->depth--;
    j_value_done(s);
}

static void j_value_start(struct lc_sample *s, unsigned char c)
{
    struct json *j = &s->js;

    switch (c) {
    case '{':
    case '[':
        j_begin(s, (char)c);
        if (s->failed)
            return;
        if (j->depth == JSON_MAX_DEPTH) {
            fail(s, "JSON nested deeper than %d levels", JSON_MAX_DEPTH);
            return;
        }
        j->stack[j->depth++] = (char)c;
        j->st = c == '{' ? J_OBJ_FIRST : J_ARR_FIRST;
        return;
    case '"':
        j_begin(s, '"');
        j_str_start(j, false);
        return;
    case 't':
    case 'f':
    case 'n':
        j_begin(s, 'l');
        j->lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
        j->lit_pos = 1;
        j->st = J_LITERAL;
        return;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            j_begin(s, '0');
            j->num = c == '-' ? N_MINUS : c == '0' ? N_ZERO : N_INT;
            j->st = J_NUMBER;
            if (j->num_time)
                j_str_put(j, (char)c);
            return;
        }
        j_error(s, c);
    }
}

/* Does c continue the number? Updates the number state when it does. */
static bool j_num_char(struct json *j, unsigned char c)
{
    bool digit = c >= '0' && c <= '9';
    bool exp = c == 'e' || c == 'E';

    switch (j->num) {
    case N_MINUS:
        if (digit)
            j->num = c == '0' ? N_ZERO : N_INT;
        return digit;
    case N_ZERO:
    case N_INT:
    case N_FRAC:
        if (digit && j->num != N_ZERO)
            return true;
        if (c == '.' && j->num != N_FRAC) {
            j->num = N_DOT;
            return true;
        }
        if (exp) {
            j->num = N_EXP;
            return true;
        }
        return false;
    case N_DOT:
        if (digit)
            j->num = N_FRAC;
        return digit;
    case N_EXP:
        if (c == '+' || c == '-') {
            j->num = N_EXP_SIGN;
            return true;
        }
        /* fall through */
    case N_EXP_SIGN:
        if (digit)
            j->num = N_EXP_DIGITS;
        return digit;
    case N_EXP_DIGITS:
        return digit;
    }
    return false;
}

static bool j_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void j_byte(struct lc_sample *s, unsigned char c)
{
    struct json *j = &s->js;

    if (c == '\n' && lines_mode(s))
        j->line++;
    switch (j->st) {
    case J_START:
        if (j_ws(c))
            return;
        if (c == '{')
            j_value_start(s, c);
        else if (lines_mode(s) && c && strchr("[\"-0123456789tfn", c))
            fail(s, "%s line %ld is not a JSON object", s->f->what, j->line);
        else if (lines_mode(s) && c >= 0x20 && c < 0x7f)
            fail(s, "%s line %ld is not JSON (starts with '%c')", s->f->what, j->line, c);
        else if (lines_mode(s))
            fail(s, "%s line %ld is not JSON (binary data, byte 0x%02x)", s->f->what, j->line, c);
        else if (c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9'))
            fail(s, "JSON top level is not an object");
        else if (c >= 0x20 && c < 0x7f)
            fail(s, "not JSON (starts with '%c')", c);
        else
            fail(s, "not JSON (binary data, byte 0x%02x)", c);
        return;
    case J_VALUE:
        if (!j_ws(c))
            j_value_start(s, c);
        return;
    case J_ARR_FIRST:
        if (c == ']')
            j_close(s, c);
        else if (!j_ws(c))
            j_value_start(s, c);
        return;
    case J_OBJ_FIRST:
    case J_OBJ_KEY:
        if (c == '"')
            j_str_start(j, true);
        else if (c == '}' && j->st == J_OBJ_FIRST)
            j_close(s, c);
        else if (!j_ws(c))
            j_error(s, c);
        return;
    case J_COLON:
        if (c == ':')
            j->st = J_VALUE;
        else if (!j_ws(c))
            j_error(s, c);
        return;
    case J_AFTER:
        if (c == ',')
            j->st = j->stack[j->depth - 1] == '{' ? J_OBJ_KEY : J_VALUE;
        else if (c == '}' || c == ']')
            j_close(s, c);
        else if (!j_ws(c))
            j_error(s, c);
        return;
    case J_STRING:
        if (c == '"') {
            j->str[j->slen] = '\0';
            if (j->str_key) {
                j_key(s);
                j->st = J_COLON;
            } else {
                j_string_value(s);
                j_value_done(s);
            }
        } else if (c == '\\') {
            j->st = J_ESC;
        } else if (c < 0x20) {
            fail(s, "JSON string holds control byte 0x%02x at byte %llu", c,
                 (unsigned long long)j->pos);
        } else {
            j_str_put(j, (char)c);
        }
        return;
    case J_ESC: {
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *e = c ? strchr(from, c) : NULL;
        if (c == 'u') {
            j_str_put(j, '?'); /* code points are never compared */
            j->hex_left = 4;
            j->st = J_UHEX;
        } else if (e) {
            j_str_put(j, to[e - from]);
            j->st = J_STRING;
        } else {
            j_error(s, c);
        }
        return;
    }
    case J_UHEX:
        if (!is_hex(c))
            j_error(s, c);
        else if (--j->hex_left == 0)
            j->st = J_STRING;
        return;
    case J_NUMBER:
        if (j_num_char(j, c)) {
            if (j->num_time)
                j_str_put(j, (char)c);
            return;
        }
        if (j->num != N_ZERO && j->num != N_INT && j->num != N_FRAC && j->num != N_EXP_DIGITS) {
            j_error(s, c);
            return;
        }
        j_value_done(s); /* numbers live in containers: the state is now J_AFTER */
        j_byte(s, c);
        return;
    case J_LITERAL:
        if ((char)c != j->lit[j->lit_pos]) {
            j_error(s, c);
            return;
        }
        if (!j->lit[++j->lit_pos])
            j_value_done(s);
        return;
    case J_END:
        if (lines_mode(s) && c == '\n') {
            j->st = J_START; /* the next record */
        } else if (lines_mode(s) && !j_ws(c)) {
            fail(s, "%s line %ld holds more than one JSON value", s->f->what, j->line);
        } else if (!j_ws(c)) {
            fail(s, "garbage after the JSON document at byte %llu", (unsigned long long)j->pos);
        }
        return;
    }
}

static void j_feed(struct lc_sample *s, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n && !s->failed; i++) {
        j_byte(s, p[i]);
        s->js.pos++;
    }
}

static void j_lines_finish(struct lc_sample *s, bool whole)
{
    struct json *j = &s->js;

    if (s->bytes_out == 0) {
        fail(s, "empty log file (no JSON)");
        return;
    }
    /* a prefix may stop inside a record; the whole file may not */
    if (whole && j->st != J_START && j->st != J_END) {
        fail(s, "%s record on line %ld truncated", s->f->what, j->rec_line);
        return;
    }
    if (s->require_records && s->records == 0)
        fail(s, "no %s records in the %s", s->f->what, whole ? "file" : "sample");
}

static void j_finish(struct lc_sample *s, bool whole)
{
    struct json *j = &s->js;

    if (s->failed)
        return;
    if (lines_mode(s)) {
        j_lines_finish(s, whole);
        return;
    }
    if (j->st == J_START) {
        if (s->bytes_out == 0)
            fail(s, "empty log file (no JSON)");
        else
            fail(s, "no JSON document (whitespace only)");
        return;
    }
    if (whole && j->st != J_END) {
        fail(s, "JSON document truncated (%d containers left open)", j->depth);
        return;
    }
    if (!j->saw_records) {
        fail(s, "%s file has no \"%s\" array%s", s->f->what, rec_name(s),
             whole || j->st == J_END ? "" : " in the sample");
        return;
    }
    /* a prefix may stop inside the records before a trailing version */
    if (s->f->version_key && !j->saw_version && (whole || j->st == J_END)) {
        fail(s, "%s file has no \"%s\"", s->f->what, s->f->version_key);
        return;
    }
    if (s->require_records && s->records == 0)
        fail(s, "no %s in the %s", rec_name(s), whole ? "file" : "sample");
}

static void j_format(struct lc_sample *s)
{
    if (s->js.st == J_START && s->records == 0) /* nothing seen yet */
        return;
    if (s->js.version[0])
        snprintf(s->format, sizeof(s->format), "%s, %s %s", s->f->label, s->f->version_key,
                 s->js.version);
    else
        copy_trunc(s->format, sizeof(s->format), s->f->label);
}

/* ---- gzip ------------------------------------------------------------------------------ */

static void content_feed(struct lc_sample *s, const unsigned char *p, size_t n)
{
    if (s->f->syntax == LC_SAMPLE_TABLE)
        fl_feed(s, p, n);
    else
        j_feed(s, p, n);
}

static void gz_error(struct lc_sample *s, int ret)
{
    const char *msg = s->zs.msg ? s->zs.msg : zError(ret);
    const char *hint = "";
    bool printable_head = s->nhead > 0;

    if (ret == Z_MEM_ERROR) {
        fail(s, "out of memory while inflating");
        return;
    }
    if (strcmp(msg, "incorrect header check") != 0) {
        fail(s, "corrupt gzip data (%s)", msg);
        return;
    }
    if (s->members > 0) {
        fail(s, "junk after gzip member %d (bad magic)", s->members);
        return;
    }
    for (size_t i = 0; i < s->nhead && i < 2; i++) {
        if (s->head[i] < 0x20 && s->head[i] != '\n' && s->head[i] != '\r' && s->head[i] != '\t')
            printable_head = false;
        if (s->head[i] >= 0x7f)
            printable_head = false;
    }
    /* zlib stops at the second byte: hints look at two bytes whatever the chunking */
    if (s->nhead >= 2 && s->head[0] == 'P' && s->head[1] == 'A')
        hint = "; Parquet data?";
    else if (s->head[0] == '{' || s->head[0] == '[')
        hint = "; uncompressed JSON?";
    else if (printable_head)
        hint = "; uncompressed text?";
    fail(s, "not gzip (bad magic%s)", hint);
}

static void gz_feed(struct lc_sample *s, const unsigned char *p, size_t n)
{
    int ret;

    if (!s->z_ready) {
        memset(&s->zs, 0, sizeof(s->zs));
        if (inflateInit2(&s->zs, 15 + 16) != Z_OK) { /* gzip only */
            fail(s, "out of memory (zlib)");
            return;
        }
        s->z_ready = true;
    }
    s->zs.next_in = p;
    s->zs.avail_in = (uInt)n;
    while (!s->failed && !s->capped) {
        unsigned char probe;
        size_t room = s->cap - s->bytes_out;
        if (s->member_end) {
            if (s->zs.avail_in == 0)
                break;
            /* another member follows (multi-member gzip, as from concatenated files) */
            inflateReset(&s->zs);
            s->member_end = false;
        }
        if (room > OUT_CHUNK)
            room = OUT_CHUNK;
        /* at the cap, inflate into one spare byte: output there means the content goes
         * on past the cap; none means only the trailer (or another header) was left */
        s->zs.next_out = room ? s->out : &probe;
        s->zs.avail_out = room ? (uInt)room : 1;
        ret = inflate(&s->zs, Z_NO_FLUSH);
        if (!room && s->zs.avail_out == 0) {
            s->capped = true;
            break;
        }
        if (room && s->zs.avail_out < room) {
            size_t have = room - s->zs.avail_out;
            s->bytes_out += have;
            content_feed(s, s->out, have);
        }
        if (ret == Z_STREAM_END) {
            s->members++;
            s->member_end = true;
            continue;
        }
        if (ret == Z_BUF_ERROR) /* no progress possible: more input needed */
            break;
        if (ret != Z_OK) {
            gz_error(s, ret);
            break;
        }
        if (s->zs.avail_in == 0 && s->zs.avail_out != 0)
            break;
    }
    s->zs.next_in = NULL; /* never keep a pointer into the caller's buffer */
    s->zs.avail_in = 0;
}

/* ---- public API ------------------------------------------------------------------------- */

/* A sampler without a format fails at once (and never reaches a parser). */
static const struct lc_sample_format no_format = {.name = "none", .what = "log", .label = ""};

struct lc_sample *lc_sample_new(const struct lc_sample_opts *opts)
{
    struct lc_sample *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->f = opts && opts->format ? opts->format : &no_format;
    s->cap = opts && opts->max_inflated ? opts->max_inflated : DEFAULT_CAP;
    s->require_records = opts && opts->require_records;
    s->js.line = 1;
    if (s->f == &no_format)
        fail(s, "no sample format");
    return s;
}

int lc_sample_feed(struct lc_sample *s, const void *data, size_t len)
{
    const unsigned char *p = data;

    if (!s)
        return 1;
    if (!p || !len || s->finished)
        return s->failed || s->capped || s->finished;
    s->bytes_in += len;
    for (size_t i = 0; s->nhead < sizeof(s->head) && i < len; i++)
        s->head[s->nhead++] = p[i];
    if (len >= sizeof(s->tail)) {
        memcpy(s->tail, p + len - sizeof(s->tail), sizeof(s->tail));
    } else {
        memmove(s->tail, s->tail + len, sizeof(s->tail) - len);
        memcpy(s->tail + sizeof(s->tail) - len, p, len);
    }
    if (s->failed || s->capped)
        return 1;
    if (s->f->encoding == LC_SAMPLE_PARQUET) {
        /* no inflating: bytes_out stays 0; only the magic (and at finish the footer) count */
        if (s->nhead < 4)
            return 0;
        if (memcmp(s->head, "PAR1", 4) != 0) {
            if (s->head[0] == 0x1f && s->head[1] == 0x8b)
                fail(s, "not Parquet (gzip data)");
            else
                fail(s, "not Parquet (bad magic)");
        }
        return s->failed; /* go on: a complete object's footer is checked at finish */
    }
    while (len > 0 && !s->failed && !s->capped) {
        size_t n = len > (size_t)1 << 30 ? (size_t)1 << 30 : len;
        gz_feed(s, p, n);
        p += n;
        len -= n;
    }
    return s->failed || s->capped;
}

static void finish_checks(struct lc_sample *s, bool complete)
{
    bool ended;

    if (s->f->encoding == LC_SAMPLE_PARQUET) {
        copy_trunc(s->format, sizeof(s->format), s->f->label);
        if (s->failed)
            return;
        if (s->bytes_in == 0)
            fail(s, "empty object");
        else if (s->nhead < 4)
            fail(s, "not Parquet (%llu bytes, no magic)", (unsigned long long)s->bytes_in);
        else if (complete && s->bytes_in < 12)
            fail(s, "Parquet file too short (%llu bytes)", (unsigned long long)s->bytes_in);
        else if (complete && memcmp(s->tail, "PAR1", 4) != 0)
            fail(s, "Parquet footer magic missing (truncated file?)");
        return;
    }
    if (s->f->syntax != LC_SAMPLE_TABLE)
        j_format(s);
    if (s->failed)
        return;
    if (s->bytes_in == 0) {
        fail(s, "empty object");
        return;
    }
    ended = s->members > 0 && s->member_end;
    if (!ended && !s->capped) {
        if (complete)
            fail(s, "gzip stream truncated (%s)",
                 s->members ? "incomplete last member" : "no trailer");
        else if (s->bytes_out == 0)
            fail(s, "gzip sample too short (nothing inflated from %llu bytes)",
                 (unsigned long long)s->bytes_in);
        if (s->failed)
            return;
    }
    if (s->f->syntax == LC_SAMPLE_TABLE)
        fl_finish(s, complete && ended && !s->capped);
    else
        j_finish(s, complete && ended && !s->capped);
}

void lc_sample_finish(struct lc_sample *s, bool complete, struct lc_sample_result *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!s) {
        memcpy(out->reason, "no sampler", sizeof("no sampler"));
        out->records = -1;
        return;
    }
    if (!s->finished) {
        s->finished = true;
        finish_checks(s, complete);
    }
    out->valid = !s->failed;
    memcpy(out->reason, s->reason, sizeof(out->reason));
    memcpy(out->format, s->format, sizeof(out->format));
    out->bytes_in = s->bytes_in;
    out->bytes_out = s->bytes_out;
    out->records = s->f->encoding == LC_SAMPLE_PARQUET ? -1 : s->records;
    out->newest_record = s->newest;
    out->capped = s->capped;
}

void lc_sample_free(struct lc_sample *s)
{
    if (!s)
        return;
    if (s->z_ready)
        inflateEnd(&s->zs);
    free(s);
}
