/* Commands of the logcanary binary: each is a name and a run function. */
#ifndef LC_CLI_H
#define LC_CLI_H

#include <stdio.h>

enum lc_exit {
    LC_EXIT_OK = 0,       /* everything healthy */
    LC_EXIT_PROBLEMS = 1, /* problems found */
    LC_EXIT_USAGE = 2,    /* usage or config error */
    LC_EXIT_CANNOT_RUN = 3,
};

struct lc_command {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/* NULL-terminated table, in cli.c. */
extern const struct lc_command lc_commands[];
int lc_usage(FILE *out);

struct lc_config;
/* Load and validate FILE for a command: prints the error (naming the file) and returns
 * LC_EXIT_USAGE, or 0 with *out set. */
int lc_cli_load_config(const char *path, struct lc_config **out);

/* The commands (cmd_<name>.c). */
int lc_cmd_check(int argc, char **argv);
int lc_cmd_config(int argc, char **argv);
int lc_cmd_policy(int argc, char **argv);
int lc_cmd_preflight(int argc, char **argv);
int lc_cmd_run(int argc, char **argv);

#endif
