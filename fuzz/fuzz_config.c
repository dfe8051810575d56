/* libFuzzer: the configuration loader (encoding, syntax, the config map, environment references)
 * and the invariants of a loaded configuration. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "probes/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* What every successfully loaded configuration guarantees its users. */
static void check(const struct lc_config *cfg)
{
    if (cfg->n_targets == 0 || !cfg->targets || cfg->max_concurrency < 1 || cfg->max_per_host < 1 ||
        cfg->max_per_host > cfg->max_concurrency || cfg->timeout_s < 1)
        abort();
    for (size_t i = 0; i < cfg->endpoints.n; i++)
        if (!has_prefix(cfg->endpoints.items[i].value, "http"))
            abort();
    for (size_t t = 0; t < cfg->n_targets; t++) {
        const struct lc_target_cfg *tg = &cfg->targets[t];
        size_t cp = strlen(tg->canary_prefix);
        if (!tg->name || !tg->bucket || !tg->canary_prefix || cp == 0 ||
            tg->canary_prefix[cp - 1] != '/' || tg->n_sources == 0)
            abort();
        if (tg->prefix &&
            (!tg->prefix[0] || tg->prefix[0] == '/' || tg->prefix[strlen(tg->prefix) - 1] == '/'))
            abort();
        for (size_t u = 0; u < t; u++)
            if (strcmp(cfg->targets[u].name, tg->name) == 0)
                abort();
        for (size_t s = 0; s < tg->n_sources; s++) {
            const struct lc_source_cfg *src = &tg->sources[s];
            if (src->n_accounts == 0 || src->n_regions == 0 || src->max_age_s <= 0 ||
                src->max_age_s > 30 * 86400 || src->sample_bytes < 1024 ||
                src->sample_bytes > 8 * 1024 * 1024)
                abort();
            for (size_t a = 0; a < src->n_accounts; a++)
                if (strlen(src->accounts[a]) != 12)
                    abort();
            /* every source has its probe, and a probe with keys of its own their struct */
            if (!src->probe || lc_probe_find(src->probe->cfg.name) != src->probe ||
                (src->probe->cfg.options && !src->options) ||
                (!src->probe->cfg.options && src->options))
                abort();
            /* keys of one probe's type only: defaults of its enum keys are always set */
            if (strcmp(src->probe->cfg.name, "vpcflowlogs") == 0 &&
                !lc_source_option_string(src, "file_format"))
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lc_config *cfg = NULL;
    struct lc_error err;

    /* References the seeds use: one set, one empty, one unset. */
    setenv("LC_FUZZ_ACCOUNT", "111111111111", 0);
    setenv("LC_FUZZ_EMPTY", "", 0);
    setenv("LOGCANARY_EXTERNAL_ID", "fuzz-external-id", 0);
    unsetenv("LC_FUZZ_UNSET");

    int rc = lc_config_load_string((const char *)data, size, "fuzz", &cfg, &err);
    if (rc == 0) {
        if (!cfg || err.kind != LC_OK)
            abort();
        check(cfg);
        lc_config_free(cfg);
    } else if (cfg || !err.message[0] || memchr(err.message, '\n', sizeof(err.message))) {
        abort();
    }
    return 0;
}
