/* The config map: how a struct is read from a JSON object. One static table per struct (key,
 * type, default, offset, validation, help) drives parsing, defaults, validation, freeing and the
 * key reference in config/README.md, so adding an option is one table entry.
 *
 * Modules declare their own keys with it. A log source (probes/) or a webhook sink
 * (agent/outputs/sinks/) is a "plugin" chosen by the "type" key of its object: the plugin's own
 * map is read into an options struct of its own, and the plugin may change the defaults of the
 * object's common keys. A key of another plugin is an error that names the types it is valid
 * with:
 *     alerts.webhooks[0].secret: only valid with "type": "generic"
 * Errors name the JSON path and what was expected, and never quote a value (values may come
 * from the environment and be secrets). */
#ifndef LC_CFG_MAP_H
#define LC_CFG_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lc_cfg_type {
    LC_CFG_STRING = 0,
    LC_CFG_BOOL,
    LC_CFG_INT,      /* int */
    LC_CFG_DURATION, /* int64_t seconds, from "30m" */
    LC_CFG_SIZE,     /* size_t bytes, from 65536 or "64KiB" */
    LC_CFG_STRLIST,  /* char ** at off, size_t count at off_n; with names, one of those words
                      * instead of a list, as a char * at off_word */
    LC_CFG_ENUMSTR,  /* char * at off: one of names */
    LC_CFG_MAP,      /* struct lc_kvlist at off: { "<one of names>": string } */
    LC_CFG_OBJECT,   /* a nested JSON object whose keys live in the same struct */
    LC_CFG_OBJARRAY, /* array of structs of sub->size at off, size_t count at off_n */
    LC_CFG_PLUGIN,   /* a module by name: its pointer at off, its options struct at opts_off */
};

#define LC_CFG_REQUIRED 0x1u /* the key must be present (lists: non-empty, as all lists) */
#define LC_CFG_EMPTY_OK 0x2u /* "" is a valid string value */
#define LC_CFG_UNIQUE   0x4u /* string list without duplicates */
#define LC_CFG_SECRET   0x8u /* a secret: documented as such; never shown */

/* Validation (and normalisation) of a string value, list element or map value: 0, or
 * LC_E_INVALID with *why set (never quoting the value), or LC_E_NOMEM. May rewrite *v. */
struct lc_cfg_check {
    int (*fn)(char **v, const char **why);
    const char *doc; /* the values column of the reference */
};

/* The identifier checks (checks.c). */
extern const struct lc_cfg_check lc_cfg_name, lc_cfg_account, lc_cfg_region, lc_cfg_role_arn,
    lc_cfg_status_role_arn, lc_cfg_kms_key_arn, lc_cfg_org_id, lc_cfg_ou, lc_cfg_bucket, lc_cfg_url,
    lc_cfg_prefix, lc_cfg_canary_prefix, lc_cfg_external_id, lc_cfg_webhook_url, lc_cfg_abs_path;

struct lc_cfg_map;
struct lc_cfg_ctx; /* the parse state, for a map's finish rule */

/* What the config engine needs to know of a plugin. */
struct lc_cfg_default {
    const char *key;   /* a key of the object's own map */
    const char *value; /* the plugin's default, in the key's own syntax */
};

struct lc_cfg_plugin {
    const char *name;                      /* the value of "type" */
    const struct lc_cfg_map *options;      /* its own keys (NULL: none) */
    const struct lc_cfg_default *defaults; /* defaults of common keys it changes; ends with
                                            * {NULL, NULL}; NULL: none */
    const char *const *requires;           /* common keys it requires (NULL-ended; NULL: none) */
};

/* A registry of plugins: at(i) is the i-th module (NULL past the end), plugin(module) its
 * description. The module pointer is what the parsed struct holds. */
struct lc_cfg_plugins {
    const void *(*at)(size_t i);
    const struct lc_cfg_plugin *(*plugin)(const void *module);
};

struct lc_cfg_entry {
    const char *key;
    enum lc_cfg_type type;
    const char *def;     /* default in the key's own syntax, NULL = none */
    const char *def_doc; /* default as documented when def does not say it */
    size_t off;
    size_t off_n; /* LC_CFG_STRLIST, LC_CFG_OBJARRAY: the count */
    unsigned flags;
    const struct lc_cfg_check *check;
    int64_t min, max;                     /* LC_CFG_INT, _DURATION, _SIZE: inclusive range */
    const char *const *names;             /* LC_CFG_ENUMSTR: values; LC_CFG_MAP: keys;
                                           * LC_CFG_STRLIST: words allowed instead of a list */
    size_t off_word;                      /* LC_CFG_STRLIST with names: the word given */
    const struct lc_cfg_map *sub;         /* LC_CFG_OBJECT, LC_CFG_OBJARRAY */
    const struct lc_cfg_plugins *plugins; /* LC_CFG_PLUGIN */
    size_t opts_off;                      /* LC_CFG_PLUGIN: void * to its options struct */
    const char *help;
};

struct lc_cfg_map {
    const char *path; /* documentation path: "targets[].sources[]" */
    const struct lc_cfg_entry *e;
    size_t n;
    size_t size;                                     /* struct size (objects in arrays, plugin
                                                      * options) */
    int (*finish)(struct lc_cfg_ctx *c, void *base); /* cross-key rules, after defaults */
    const char *doc;                                 /* paragraph under the heading */
};

#define LC_CFG_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* For finish rules: "<path>.<key>: <what>"; returns LC_E_INVALID. */
int lc_cfg_fail_at(struct lc_cfg_ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "<path>.<key>[<index>].<key2>: <what>" for a rule about an array element; LC_E_INVALID. */
int lc_cfg_fail_at_index(struct lc_cfg_ctx *c, const char *key, size_t index, const char *key2,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int lc_cfg_nomem(struct lc_cfg_ctx *c);

/* The earliest element (*dup) equal to an earlier one (*first) in O(n log n); *dup = SIZE_MAX
 * when all differ. 0 or LC_E_NOMEM. */
int lc_cfg_first_duplicate(const char *const *v, size_t n, size_t *dup, size_t *first);

/* A plugin's option by key, for code outside the plugin (tests, reports): the value of a
 * LC_CFG_STRING / LC_CFG_ENUMSTR key (NULL when unset), of a LC_CFG_BOOL key (false when
 * unset or unknown). */
const char *lc_cfg_option_string(const struct lc_cfg_plugin *p, const void *opts, const char *key);
bool lc_cfg_option_bool(const struct lc_cfg_plugin *p, const void *opts, const char *key);

#endif
