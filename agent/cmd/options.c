/* The command-line option tables: parsing with getopt_long, the usage, the usage errors. */
#include "cmd/options.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "core/error.h"
#include "core/timeutil.h"

#define USAGE_WIDTH 100 /* the synopsis wraps before this column */
#define LABEL_MAX   128 /* "--name VALUE" */
#define LONG_VAL    256 /* getopt_long's value for table entry i: LONG_VAL + i */

static const char *const format_words[] = {"text", "json", NULL};
/* check's reports: the words in the order of enum lc_format */
static const char *const report_format_words[] = {"text", "json", "html", NULL};

/* By kind: the argument's name in the usage, and what a bad one is told to be. */
static const char *const kind_value[] = {
    [LC_OPT_STRING] = "VALUE",
    [LC_OPT_DURATION] = "DURATION",
    [LC_OPT_TIME] = "TIME",
    [LC_OPT_SINCE] = "TIME|DURATION",
};
static const char *const kind_expected[] = {
    [LC_OPT_DURATION] = "a duration like \"15m\"",
    [LC_OPT_TIME] = "an ISO-8601 time like 2026-11-22T08:00:00Z",
    [LC_OPT_SINCE] = "an ISO-8601 time or a duration like \"2h\"",
};

struct lc_opt lc_opt_config(const char **to)
{
    return (struct lc_opt){.name = "config",
                           .letter = 'c',
                           .kind = LC_OPT_STRING,
                           .to.string = to,
                           .required = true,
                           .value = "FILE"};
}

struct lc_opt lc_opt_format(int *to)
{
    return (struct lc_opt){.name = "format",
                           .letter = 'f',
                           .kind = LC_OPT_ENUM,
                           .to.index = to,
                           .words = format_words};
}

struct lc_opt lc_opt_report_format(int *to)
{
    struct lc_opt o = lc_opt_format(to);
    o.words = report_format_words;
    return o;
}

struct lc_opt lc_opt_target(const char **to)
{
    return (struct lc_opt){
        .name = "target", .letter = 't', .kind = LC_OPT_STRING, .to.string = to, .value = "NAME"};
}

struct lc_opt lc_opt_verbose(int *to, const char *help)
{
    return (struct lc_opt){
        .name = "verbose", .letter = 'v', .kind = LC_OPT_COUNT, .to.count = to, .help = help};
}

static bool takes_argument(const struct lc_opt *o)
{
    return o->kind != LC_OPT_WORD && o->kind != LC_OPT_FLAG && o->kind != LC_OPT_COUNT;
}

/* o's words into buf: sep between two, last before the last one ("a, b or c"). */
static const char *join_words(const struct lc_opt *o, const char *sep, const char *last, char *buf,
                              size_t len)
{
    size_t at = 0;

    buf[0] = '\0';
    for (size_t i = 0; o->words[i] && at < len; i++) {
        const char *before = o->words[i + 1] ? sep : last;
        at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? before : "", o->words[i]);
    }
    return buf;
}

/* "--name VALUE" (or "--name") into buf. */
static void label(const struct lc_opt *o, char *buf, size_t len)
{
    char words[LABEL_MAX];
    const char *value = o->value ? o->value : kind_value[o->kind];

    if (!o->value && o->kind == LC_OPT_ENUM)
        value = join_words(o, "|", "|", words, sizeof(words));
    if (takes_argument(o))
        snprintf(buf, len, "--%s %s", o->name, value);
    else
        snprintf(buf, len, "--%s", o->name);
}

/* "logcanary <command>" and its first n_words subcommand words. */
static int print_prefix(const struct lc_opt_cmd *cmd, size_t n_words, FILE *out)
{
    int col = fprintf(out, "logcanary %s", cmd->name);

    for (size_t i = 0; i < n_words; i++)
        col += fprintf(out, " %s", cmd->opts[i].name);
    return col;
}

static size_t count_words(const struct lc_opt_cmd *cmd)
{
    size_t n = 0;

    while (cmd->opts[n].name && cmd->opts[n].kind == LC_OPT_WORD)
        n++;
    return n;
}

void lc_opt_usage(const struct lc_opt_cmd *cmd, FILE *out)
{
    char buf[LABEL_MAX];
    size_t n_words = count_words(cmd);
    int col, indent, width = 0;

    /* The synopsis, wrapped under the first option. */
    col = fprintf(out, "usage: ") + print_prefix(cmd, n_words, out);
    indent = col + 1;
    for (const struct lc_opt *o = cmd->opts + n_words; o->name; o++) {
        label(o, buf, sizeof(buf));
        int len = (int)strlen(buf) + (o->required ? 0 : 2);
        if (col > indent && col + 1 + len > USAGE_WIDTH) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else {
            col += fprintf(out, " ");
        }
        col += fprintf(out, o->required ? "%s" : "[%s]", buf);
    }
    fputc('\n', out);
    if (cmd->about)
        fputs(cmd->about, out);

    /* One line per option with help; the texts in one column. */
    for (const struct lc_opt *o = cmd->opts + n_words; o->name; o++) {
        if (!o->help)
            continue;
        label(o, buf, sizeof(buf));
        if ((int)strlen(buf) > width)
            width = (int)strlen(buf);
    }
    for (const struct lc_opt *o = cmd->opts + n_words; o->name; o++) {
        if (!o->help)
            continue;
        label(o, buf, sizeof(buf));
        fprintf(out, "  %-*s  ", width, buf);
        for (const char *s = o->help; *s; s++) {
            fputc(*s, out);
            if (*s == '\n')
                fprintf(out, "%*s", width + 4, "");
        }
        fputc('\n', out);
    }
    if (cmd->epilog)
        fputs(cmd->epilog, out);
}

/* "logcanary <command> <words>: <message>" on stderr, then the usage when asked. */
static int usage_error(const struct lc_opt_cmd *cmd, size_t n_words, bool with_usage,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int usage_error(const struct lc_opt_cmd *cmd, size_t n_words, bool with_usage,
                       const char *fmt, ...)
{
    va_list ap;

    print_prefix(cmd, n_words, stderr);
    fputs(": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (with_usage)
        lc_opt_usage(cmd, stderr);
    return LC_EXIT_USAGE;
}

/* Convert arg to o's kind and store it: 0, or LC_E_INVALID (nothing stored) when it is not
 * such a value. */
static int store(const struct lc_opt *o, const char *arg)
{
    int64_t d = 0;
    time_t t = 0;
    int rc = 0;

    switch (o->kind) {
    case LC_OPT_WORD:
        rc = LC_E_INVALID;
        break;
    case LC_OPT_FLAG:
        *o->to.flag = true;
        break;
    case LC_OPT_COUNT:
        (*o->to.count)++;
        break;
    case LC_OPT_STRING:
        *o->to.string = arg;
        break;
    case LC_OPT_ENUM:
        rc = LC_E_INVALID;
        for (int i = 0; rc && o->words[i]; i++) {
            if (strcmp(arg, o->words[i]) == 0) {
                *o->to.index = i;
                rc = 0;
            }
        }
        break;
    case LC_OPT_DURATION:
        if (lc_duration_parse(arg, &d) != 0 || d < o->min || (o->max && d > o->max))
            rc = LC_E_INVALID;
        else
            *o->to.seconds = d;
        break;
    case LC_OPT_TIME:
        if (lc_time_parse_iso8601(arg, &t) != 0)
            rc = LC_E_INVALID;
        else
            *o->to.time = t;
        break;
    case LC_OPT_SINCE:
        if (lc_time_parse_iso8601(arg, &t) == 0)
            *o->to.time = t;
        else if (lc_duration_parse(arg, &d) == 0 && d > 0)
            *o->to.time = time(NULL) - (time_t)d;
        else
            rc = LC_E_INVALID;
        break;
    }
    return rc;
}

int lc_opt_parse(const struct lc_opt_cmd *cmd, int argc, char **argv)
{
    const struct lc_opt *opts = cmd->opts;
    struct option *longs = NULL;
    char *shorts = NULL, *s;
    bool *seen = NULL;
    char buf[LABEL_MAX];
    size_t n = 0, n_words = count_words(cmd), nl = 0;
    int rc = 0;

    while (opts[n].name)
        n++;
    /* The subcommand words come first; --help may stand in for them. */
    for (size_t i = 0; i < n_words; i++) {
        const char *arg = (int)i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            lc_opt_usage(cmd, stdout);
            rc = LC_OPT_HELP;
            goto out;
        }
        if (strcmp(arg, opts[i].name) != 0) {
            rc = usage_error(cmd, i, true, "expected the subcommand '%s'", opts[i].name);
            goto out;
        }
    }
    argc -= (int)n_words;
    argv += n_words;

    longs = calloc(n + 2, sizeof(*longs));
    shorts = calloc(2 * n + 2, 1);
    seen = calloc(n + 1, sizeof(*seen));
    if (!longs || !shorts || !seen) {
        fputs("logcanary: out of memory\n", stderr);
        rc = LC_EXIT_CANNOT_RUN;
        goto out;
    }
    s = shorts;
    for (size_t i = n_words; i < n; i++) {
        int has_arg = takes_argument(&opts[i]) ? required_argument : no_argument;
        longs[nl++] = (struct option){opts[i].name, has_arg, NULL, LONG_VAL + (int)i};
        if (opts[i].letter) {
            *s++ = opts[i].letter;
            if (has_arg == required_argument)
                *s++ = ':';
        }
    }
    longs[nl] = (struct option){"help", no_argument, NULL, 'h'};
    *s = 'h';

    optind = 1;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, shorts, longs, NULL);
        const struct lc_opt *o = NULL;

        if (c == -1)
            break;
        if (c == 'h') {
            lc_opt_usage(cmd, stdout);
            rc = LC_OPT_HELP;
            goto out;
        }
        if (c >= LONG_VAL)
            o = &opts[c - LONG_VAL];
        for (size_t i = n_words; i < n && !o; i++)
            if (opts[i].letter == c)
                o = &opts[i];
        if (!o) {
            rc = usage_error(cmd, n_words, true, "unknown or incomplete option '%s'",
                             argv[optind - 1]);
            goto out;
        }
        if (store(o, optarg) != 0) {
            const char *what = o->expected ? o->expected : kind_expected[o->kind];
            if (!o->expected && o->kind == LC_OPT_ENUM)
                what = join_words(o, ", ", " or ", buf, sizeof(buf));
            rc = usage_error(cmd, n_words, false, "--%s: expected %s, not '%s'", o->name, what,
                             optarg);
            goto out;
        }
        seen[o - opts] = true;
    }
    if (optind < argc) {
        rc = usage_error(cmd, n_words, true, "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    for (size_t i = n_words; i < n; i++) {
        if (opts[i].required && !seen[i]) {
            label(&opts[i], buf, sizeof(buf));
            rc = usage_error(cmd, n_words, true, "%s is required", buf);
            goto out;
        }
    }
out:
    free(longs);
    free(shorts);
    free(seen);
    return rc;
}
