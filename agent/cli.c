#include "cli.h"

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
