#include "cli.h"

const struct lc_command lc_commands[] = {
    {NULL, NULL},
};
