/* Command-line options, declared once per command as a table and parsed by one function.
 *
 * A command lists its options (struct lc_opt: name, letter, kind, where the value goes, whether
 * it is required, its help line) in a struct lc_opt_cmd, and lc_opt_parse() parses argv against
 * it. An entry points at the variable its value goes to, so the table is built where those
 * variables live. The options several commands share (--config, --format, --target, --verbose)
 * come from the lc_opt_<name>() constructors below; --help and -h are accepted by every command.
 *
 * The usage is generated: "usage: logcanary <command> <subcommand>" and every option (required
 * ones bare, the others in [brackets]), wrapped under the first option; then .about; then one
 * line per option that has help, its text in a column; then .epilog.
 *
 * The errors in the shape of a command line and in the values of its options are worded here,
 * on stderr, after "logcanary <command> <subcommand>: ":
 *
 *   unknown or incomplete option '<arg>'             then the usage
 *   unexpected argument '<arg>'                      then the usage
 *   --<name> <VALUE> is required                     then the usage
 *   --<name>: expected <what>, not '<arg>'           a bad value: no usage
 *
 * and a missing subcommand as "logcanary <command>: expected the subcommand '<word>'", then the
 * usage. */
#ifndef LC_OPTIONS_H
#define LC_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* What an option takes, and the C type its value is stored as. */
enum lc_opt_kind {
    LC_OPT_WORD,     /* a subcommand word ("validate" of "config validate"): such entries lead
                        the table, and their words lead argv in that order; stores nothing */
    LC_OPT_FLAG,     /* no argument; bool = true */
    LC_OPT_COUNT,    /* no argument; int += 1 each time it is given (-vv) */
    LC_OPT_STRING,   /* const char *: the argument itself (it points into argv) */
    LC_OPT_ENUM,     /* int: the index of the argument in .words */
    LC_OPT_DURATION, /* int64_t seconds (lc_duration_parse), within [.min, .max] */
    LC_OPT_TIME,     /* time_t: an ISO-8601 time (lc_time_parse_iso8601) */
    LC_OPT_SINCE,    /* time_t: an ISO-8601 time, or a positive duration before now ("2h") */
};

struct lc_opt {
    const char *name; /* the long name without "--", or the subcommand word */
    char letter;      /* the short option (-c), or 0; not 'h' (-h is --help) */
    enum lc_opt_kind kind;
    union { /* where the value goes: the member that .kind names */
        bool *flag;
        int *count;
        const char **string;
        int *index;
        int64_t *seconds;
        time_t *time;
    } to;
    bool required;
    const char *value;        /* the argument's name in the usage ("FILE"); by default
                                 DURATION, TIME, TIME|DURATION, or the .words joined by "|" */
    const char *const *words; /* LC_OPT_ENUM: the accepted words, NULL-terminated */
    int64_t min, max;         /* LC_OPT_DURATION: the accepted range; max 0: no upper bound */
    const char *expected;     /* a bad value is "expected <this>": by default 'a duration like
                                 "15m"', the kind's time forms, or the .words */
    const char *help;         /* the help line, or NULL; '\n' continues it in its column */
};

/* A command's options: .opts ends with an entry whose name is NULL. */
struct lc_opt_cmd {
    const char *name;   /* the command's word after "logcanary" */
    const char *about;  /* printed as is after the synopsis, or NULL */
    const char *epilog; /* printed as is after the help lines, or NULL */
    const struct lc_opt *opts;
};

/* lc_opt_parse() after printing the usage for --help. */
#define LC_OPT_HELP (-1)

/* Parse argv (argv[0] is the command's name) against cmd, storing each given option's value
 * through its .to pointer; what is not given keeps its value, so set defaults before. Returns
 * 0 when the command should run, LC_OPT_HELP after printing the usage to stdout (exit 0), or
 * LC_EXIT_USAGE after printing the error (LC_EXIT_CANNOT_RUN when out of memory). Uses getopt
 * (its global state), so call it once per process. */
int lc_opt_parse(const struct lc_opt_cmd *cmd, int argc, char **argv);
void lc_opt_usage(const struct lc_opt_cmd *cmd, FILE *out);

/* --format text|json (check: text|json|html), stored as the index of the word. */
enum lc_format { LC_FORMAT_TEXT = 0, LC_FORMAT_JSON = 1, LC_FORMAT_HTML = 2 };

/* The shared options. */
struct lc_opt lc_opt_config(const char **to);            /* -c, --config FILE, required */
struct lc_opt lc_opt_format(int *to);                    /* -f, --format text|json */
struct lc_opt lc_opt_report_format(int *to);             /* -f, --format text|json|html */
struct lc_opt lc_opt_target(const char **to);            /* -t, --target NAME */
struct lc_opt lc_opt_verbose(int *to, const char *help); /* -v, --verbose, a count */

#endif
