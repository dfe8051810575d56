/* The configuration as text, before JSON parsing: encoding and syntax errors with their line and
 * column ("logcanary.json:12:5: invalid JSON: trailing comma before '}'"). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "config/internal.h"

#define MAX_DEPTH 64 /* JSON nesting */

/* 1-based line and column (in characters) of byte offset off. */
static void line_col(const char *s, size_t off, unsigned long *line, unsigned long *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n') {
            (*line)++;
            *col = 1;
        } else if ((ch & 0xc0) != 0x80) {
            (*col)++;
        }
    }
}

static int text_error(struct lc_error *err, const char *origin, const char *s, size_t off,
                      const char *what)
{
    unsigned long line, col;

    line_col(s, off, &line, &col);
    lc_error_set(err, LC_E_PARSE, "%s:%lu:%lu: %s", origin, line, col, what);
    return LC_E_PARSE;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c0 = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;

    if (c0 < 0x80)
        return 1;
    if (c0 >= 0xc2 && c0 <= 0xdf)
        len = 2;
    else if (c0 >= 0xe0 && c0 <= 0xef)
        len = 3;
    else if (c0 >= 0xf0 && c0 <= 0xf4)
        len = 4;
    else
        return 0;
    if (c0 == 0xe0)
        lo = 0xa0;
    else if (c0 == 0xed)
        hi = 0x9f; /* no UTF-16 surrogates */
    else if (c0 == 0xf0)
        lo = 0x90;
    else if (c0 == 0xf4)
        hi = 0x8f;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* What cJSON accepts but we do not, with exact positions: NUL bytes, invalid UTF-8, raw control
 * characters and \u0000 in strings, trailing commas, deep nesting. */
int lc_cfg_prescan(const char *s, size_t len, const char *origin, struct lc_error *err)
{
    bool in_str = false, esc = false;
    size_t depth = 0, comma = SIZE_MAX; /* a ',' after a value, not yet followed by one */
    char last = 0;                      /* the last structural character outside strings */

    for (size_t i = 0; i < len;) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0)
            return text_error(err, origin, s, i,
                              "NUL byte: the configuration must be UTF-8 JSON text");
        if (ch >= 0x80) {
            size_t n = utf8_seq((const unsigned char *)s + i, len - i);
            if (!n)
                return text_error(err, origin, s, i,
                                  "invalid UTF-8: the configuration must be UTF-8 JSON text");
            i += n;
            comma = SIZE_MAX;
            continue;
        }
        if (in_str) {
            if (esc) {
                esc = false;
                if (ch == 'u' && len - i > 4 && memcmp(s + i + 1, "0000", 4) == 0)
                    return text_error(err, origin, s, i - 1, "\\u0000 is not allowed in strings");
            } else if (ch == '\\') {
                esc = true;
            } else if (ch == '"') {
                in_str = false;
            } else if (ch < 0x20) {
                return text_error(err, origin, s, i,
                                  "invalid JSON: control character in a string (write \\n, "
                                  "\\t, ...)");
            }
        } else if (ch == '"') {
            in_str = true;
            comma = SIZE_MAX;
            last = '"';
        } else if (ch == '{' || ch == '[') {
            if (++depth > MAX_DEPTH)
                return text_error(err, origin, s, i, "invalid JSON: nested too deeply");
            comma = SIZE_MAX;
        } else if (ch == '}' || ch == ']') {
            if (comma != SIZE_MAX)
                return text_error(err, origin, s, comma,
                                  ch == '}' ? "invalid JSON: trailing comma before '}'"
                                            : "invalid JSON: trailing comma before ']'");
            if (depth)
                depth--;
        } else if (ch == ',') {
            comma = last && !strchr("{[,:", last) ? i : SIZE_MAX;
        } else if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
            comma = SIZE_MAX;
        }
        if (!in_str && ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r' && ch != '"')
            last = (char)ch;
        i++;
    }
    return 0;
}

int lc_cfg_syntax_error(struct lc_error *err, const char *origin, const char *s, size_t len,
                        size_t off)
{
    char what[64];
    size_t i = 0;

    while (i < len && strchr(" \t\r\n", s[i]))
        i++;
    if (i == len)
        return text_error(err, origin, s, len, "empty file: expected a JSON object");
    if (off >= len) {
        snprintf(what, sizeof(what), "invalid JSON: unexpected end of file");
        off = len;
    } else if ((unsigned char)s[off] > 0x20 && (unsigned char)s[off] < 0x7f) {
        snprintf(what, sizeof(what), "invalid JSON near '%c'", s[off]);
    } else {
        snprintf(what, sizeof(what), "invalid JSON");
    }
    return text_error(err, origin, s, off, what);
}

/* ---- loading ----------------------------------------------------------------------------- */
