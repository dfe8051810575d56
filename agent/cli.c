#include "cli.h"

const struct lc_command lc_commands[] = {
    {"check", lc_cmd_check},
    {NULL, NULL},
};
