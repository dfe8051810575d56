/* A probe knows one log source's layout in S3 and nothing about transport: which key prefixes
 * can hold deliveries from a time window, how to list them cheaply, what a key's file name says
 * about its delivery time, and how to validate a sample. The check engine (agent/pipeline/check.c)
 * does the requests. Every probe is one struct at the end of its file, registered in
 * probes/probes.c.
 *
 * Listing strategy. S3 lists keys in byte order only, so cheap "recent objects" listings depend
 * on file names that sort by time within a partition:
 *   - CloudTrail: "<acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>" is time-ordered inside a
 *     day folder: start-after "<...>_<from>" lists only what is newer.
 *   - VPC flow logs: "<acct>_vpcflowlogs_<region>_<fl-id>_<YYYYMMDDTHHmmZ>_<hash>" sorts by flow
 *     log first. One delimiter listing finds the flow-log ids of a partition (each rolls up into
 *     one common prefix), then each is listed from start-after "<...>_<fl-id>_<from>". Cost:
 *     1 + flow logs per partition, independent of how many old files the day holds.
 *   - Config: snapshots are time-ordered; history files sort by resource type first, and a day
 *     holds about four per changed type, so the history folder of a day is listed whole. That is
 *     cheaper than a discovery listing plus one listing per resource type. */
#ifndef LC_PROBE_H
#define LC_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "config/config.h"
#include "config/map.h"
#include "pipeline/sample.h"

struct lc_stream;
struct lc_status_reader;
struct lc_diag_model;
struct lc_diag_params;

/* One listing the engine performs for a stream. */
struct lc_listing {
    char *prefix;      /* list keys under this prefix */
    char *start_after; /* NULL = from the start of the prefix */
    bool discover;     /* list with delimiter "_" below prefix to find groups (flow-log ids);
                        * each common prefix G is then listed with start-after
                        * G + start_after_suffix */
    char *start_after_suffix;
};

struct lc_listings {
    struct lc_listing *items;
    size_t n, cap;
};

enum lc_key_class {
    LC_KEY_DELIVERY = 0, /* a log file to judge the stream by */
    LC_KEY_AUXILIARY,    /* recognised but not sampled: digests, ConfigWritabilityCheckFile */
    LC_KEY_OTHER,        /* not this stream's */
};

struct lc_probe {
    struct lc_cfg_plugin cfg; /* the config "type" (cfg.name), its own keys and defaults */
    long latency_allowance_s; /* how long after its file-name time a delivery may land */
    bool old_records;         /* its files describe earlier states (Config): a fresh file with old
                               * records is not a replay */
    /* Where the service itself says whether delivery works (pipeline/status.h), with the
     * permissions its calls need: preflight's rows for the status role. */
    const struct lc_status_reader *status;
    /* Its delivery as the requests the service makes (iam/diagnose.h), and the model's own
     * parameters a stream gives (from its options and its status detail; NULL: none). */
    const struct lc_diag_model *diag;
    void (*diag_params)(const struct lc_stream *s, const cJSON *status, struct lc_diag_params *p);
    /* The stream's base prefix: "<folder>/AWSLogs/.../<region>/" into out. */
    int (*base_prefix)(const struct lc_stream *s, struct lc_buf *out);
    /* Listings that together hold every delivery whose file-name time is >= from (UTC), up to
     * now. Appends to out. */
    int (*listings)(const struct lc_stream *s, time_t from, time_t now, struct lc_listings *out);
    /* Classify a key and read the time its file name carries (0 when it has none). */
    enum lc_key_class (*classify)(const struct lc_stream *s, const char *key, time_t *name_time);
    /* The formats its delivery files are written in (the sample validator's descriptions),
     * NULL-ended, and which one a key is in (NULL: always the first). */
    const struct lc_sample_format *const *formats;
    const struct lc_sample_format *(*sample_format)(const struct lc_stream *s, const char *key);
};

/* The registry: NULL-terminated, in probes/probes.c. */
extern const struct lc_probe *const lc_probes[];
const struct lc_probe *lc_probe_find(const char *name);
/* The registry as config-map plugins (the "type" of a source). */
extern const struct lc_cfg_plugins lc_probe_plugins;
/* The format of the delivery file key of stream s. */
const struct lc_sample_format *lc_probe_format_of(const struct lc_stream *s, const char *key);
/* The Control Tower steps after a key or bucket policy edit (sources a landing zone sets up). */
struct lc_pol_names;
int lc_probe_controltower_steps(struct lc_pol_names *s);
/* The diagnosis parameters of stream s: its service and model, and the model's own. */
void lc_probe_diag_params(const struct lc_stream *s, const cJSON *status, struct lc_diag_params *p);
/* A sample format of any probe by its name ("vpcflowlogs text"), NULL when none has it. */
const struct lc_sample_format *lc_probe_sample_format(const char *name);
/* A source's own option by key, for code outside its probe (tests, reports). */
const char *lc_source_option_string(const struct lc_source_cfg *src, const char *key);
bool lc_source_option_bool(const struct lc_source_cfg *src, const char *key);

/* Helpers for probes (probes/probes.c). */
int lc_listings_add(struct lc_listings *l, const char *prefix, const char *start_after,
                    bool discover, const char *suffix);
void lc_listings_free(struct lc_listings *l);
/* The folder before AWSLogs/ ("" or "folder/"): the source's prefix, else the target's. */
const char *lc_stream_folder(const struct lc_stream *s);

#endif
