/* What the parts of the configuration loader share (not for modules: they use map.h). */
#ifndef LC_CFG_INTERNAL_H
#define LC_CFG_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "config/map.h"
#include "core/buf.h"
#include "core/error.h"

#define LC_CFG_MAX_VAR_NAME 128 /* ${NAME} */

/* Parse state: the JSON path of the value at hand, the first environment variable its value
 * came from, and the root table (for "is a key of" hints). */
struct lc_cfg_ctx {
    struct lc_buf path;
    struct lc_error *err;
    char var[LC_CFG_MAX_VAR_NAME + 1];
    const struct lc_cfg_map *root;
};

/* The object root (a JSON object) into base by table m. 0 or LC_E_INVALID / LC_E_NOMEM with
 * err set; base may hold partly parsed values on failure (free it with lc_cfg_free). */
int lc_cfg_parse(const cJSON *root, const struct lc_cfg_map *m, void *base, struct lc_error *err);
/* Free what table m allocated in base (not base itself). */
void lc_cfg_free(const struct lc_cfg_map *m, void *base);
/* Human form of a size: "8MiB", "1KiB", "1000". Returns buf. */
const char *lc_cfg_size_text(uint64_t n, char *buf, size_t len);
/* Calls fn for m and every table below it (objects, arrays, plugins), depth first. */
void lc_cfg_walk(const struct lc_cfg_map *m, void (*fn)(void *ud, const struct lc_cfg_map *m),
                 void *ud);

/* The text checks before parsing (prescan.c): what cJSON accepts but logcanary does not (NUL
 * bytes, invalid UTF-8, control characters, \u0000, trailing commas, deep nesting), and the
 * message for a syntax error at byte off. Messages are "<origin>:<line>:<column>: <what>". */
int lc_cfg_prescan(const char *s, size_t len, const char *origin, struct lc_error *err);
int lc_cfg_syntax_error(struct lc_error *err, const char *origin, const char *s, size_t len,
                        size_t off);

#endif
