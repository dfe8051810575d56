#include "cli.h"

const struct lc_command lc_commands[] = {
    {"check", lc_cmd_check},
    {"config", lc_cmd_config},
    {"policy", lc_cmd_policy},
    {"run", lc_cmd_run},
    {NULL, NULL},
};
