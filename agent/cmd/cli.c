#include "cmd/cli.h"

#include <stdbool.h>
#include <string.h>

#include "config/config.h"

/* clang-format off */
const struct lc_command lc_commands[] = {
    {"check", lc_cmd_check},
    {"config", lc_cmd_config},
    {"policy", lc_cmd_policy},
    {"preflight", lc_cmd_preflight},
    {"run", lc_cmd_run},
    {NULL, NULL},
};
/* clang-format on */

int lc_cli_load_config(const char *path, struct lc_config **out)
{
    struct lc_error err;

    lc_error_clear(&err);
    if (lc_config_load_file(path, out, &err) == 0)
        return 0;
    /* Syntax and I/O errors already start with the file name; content errors with a path. */
    bool named = strncmp(err.message, path, strlen(path)) == 0;
    fprintf(stderr, "logcanary: %s%s%s\n", named ? "" : path, named ? "" : ": ", err.message);
    return LC_EXIT_USAGE;
}
