/* logcanary config validate --config FILE: load and validate, print a summary, touch nothing. */
#include <stdio.h>

#include "cmd/cli.h"
#include "cmd/options.h"
#include "config/config.h"
#include "pipeline/plan.h"

int lc_cmd_config(int argc, char **argv)
{
    const char *path = NULL;
    const struct lc_opt opts[] = {
        {.name = "validate", .kind = LC_OPT_WORD},
        lc_opt_config(&path),
        {.name = NULL},
    };
    const struct lc_opt_cmd cmd = {.name = "config", .opts = opts};
    struct lc_config *cfg = NULL;
    struct lc_plan plan = {0};
    struct lc_error err;
    int rc = lc_opt_parse(&cmd, argc, argv);

    if (rc)
        return rc == LC_OPT_HELP ? LC_EXIT_OK : rc;
    lc_error_clear(&err);
    if (lc_cli_load_config(path, &cfg) != 0)
        return LC_EXIT_USAGE;
    if (lc_plan_build(cfg, NULL, NULL, NULL, &plan, &err) != 0) {
        fprintf(stderr, "logcanary: %s: %s\n", path, err.message);
        lc_config_free(cfg);
        return LC_EXIT_USAGE;
    }
    printf("%s: ok (%zu target%s, %zu stream%s)\n", path, cfg->n_targets,
           cfg->n_targets == 1 ? "" : "s", plan.n_streams, plan.n_streams == 1 ? "" : "s");
    for (size_t i = 0; i < plan.n_streams; i++)
        printf("  %s  s3://%s/%s\n", plan.streams[i].id, plan.streams[i].target->bucket,
               plan.streams[i].base);
    if (plan.n_undiscovered)
        printf("  and %zu source%s whose accounts or regions are discovered when checking "
               "(\"organization\", \"governed\")\n",
               plan.n_undiscovered, plan.n_undiscovered == 1 ? "" : "s");
    lc_plan_free(&plan);
    lc_config_free(cfg);
    return LC_EXIT_OK;
}
