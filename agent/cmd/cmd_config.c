/* logcanary config validate --config FILE: load and validate, print a summary, touch nothing. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "config/config.h"
#include "pipeline/plan.h"

static const char config_usage[] = "usage: logcanary config validate --config FILE\n";

int lc_cmd_config(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    struct lc_config *cfg = NULL;
    struct lc_plan plan = {0};
    struct lc_error err;
    int c;

    if (argc < 2 || strcmp(argv[1], "validate") != 0) {
        fprintf(stderr, "logcanary config: expected the subcommand 'validate'\n");
        fputs(config_usage, stderr);
        return LC_EXIT_USAGE;
    }
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'h':
            fputs(config_usage, stdout);
            return LC_EXIT_OK;
        default:
            fprintf(stderr, "logcanary config validate: unknown or incomplete option '%s'\n",
                    argv[optind]);
            fputs(config_usage, stderr);
            return LC_EXIT_USAGE;
        }
    }
    if (!path || optind < argc - 1) {
        fputs(config_usage, stderr);
        return LC_EXIT_USAGE;
    }
    lc_error_clear(&err);
    if (lc_cli_load_config(path, &cfg) != 0)
        return LC_EXIT_USAGE;
    if (lc_plan_build(cfg, NULL, NULL, &plan, &err) != 0) {
        fprintf(stderr, "logcanary: %s: %s\n", path, err.message);
        lc_config_free(cfg);
        return LC_EXIT_USAGE;
    }
    printf("%s: ok (%zu target%s, %zu stream%s)\n", path, cfg->n_targets,
           cfg->n_targets == 1 ? "" : "s", plan.n_streams, plan.n_streams == 1 ? "" : "s");
    for (size_t i = 0; i < plan.n_streams; i++)
        printf("  %s  s3://%s/%s\n", plan.streams[i].id, plan.streams[i].target->bucket,
               plan.streams[i].base);
    lc_plan_free(&plan);
    lc_config_free(cfg);
    return LC_EXIT_OK;
}
