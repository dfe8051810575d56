/* A probe is one log source: everything logcanary knows of it, declared as one struct at the
 * end of its own file (probes/<source>.c) and listed once in probes/probes.c. The core iterates
 * the registry and never names a source. A probe carries
 *
 *   configuration  its "type" and its own config keys with defaults, validation and help (a
 *                  config-map plugin, agent/config/map.h); the key reference and the manual
 *                  are generated from them
 *   layout         where its deliveries land in S3: the base prefix of a stream, the cheap
 *                  listings of a time window, which keys are deliveries and the time their
 *                  file names carry, how late a delivery may land
 *   content        the formats its files are written in (agent/pipeline/sample.h)
 *   diagnosis      the requests its service makes of the KMS key and the bucket, the
 *                  statements that grant them, the steps after an edit (agent/iam/diagnose.h)
 *   status         the API where the service says whether delivery works, with the permission
 *                  each call needs: preflight's rows (agent/pipeline/status.h)
 *
 * Adding a source is its file, one registry line in probes/probes.c, its tests and its docs
 * (probes/FACTS.md: the AWS facts it relies on; config/README.md regenerates).
 *
 * Listing strategy. S3 lists keys in byte order only, so cheap "recent objects" listings depend
 * on file names that sort by time within a partition. A probe lists from start-after "<name
 * prefix>_<window start>" where names are time-ordered inside a day folder; where names sort
 * by something else first (a flow-log id), one delimiter listing finds the groups of a
 * partition and each group is listed from its own start-after; where neither holds, a small
 * folder is listed whole. Each probe's file says which it does and why. */
#ifndef LC_PROBE_H
#define LC_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "config/config.h"
#include "config/map.h"
#include "pipeline/sample.h"

struct lc_stream;
struct lc_target_obs;
struct lc_status_reader;
struct lc_diag_model;
struct lc_diag_params;

/* One listing the engine performs for a stream. */
struct lc_listing {
    char *prefix;         /* list keys under this prefix */
    char *start_after;    /* NULL = from the start of the prefix */
    const char *group_by; /* NULL, or a delimiter ("_" after an id, "/" after a folder): list
                           * below prefix with it to find groups; each common prefix G is then
                           * listed with start-after G + start_after_suffix */
    char *start_after_suffix;
};

struct lc_listings {
    struct lc_listing *items;
    size_t n, cap;
};

/* Why a bucket can never receive a source's deliveries, and what to change. */
struct lc_destination_problem {
    char why[320];
    char fix[320];
};

enum lc_key_class {
    LC_KEY_DELIVERY = 0, /* a log file to judge the stream by */
    LC_KEY_AUXILIARY,    /* recognised but not sampled: digests, write checks */
    LC_KEY_OTHER,        /* not this stream's */
};

struct lc_probe {
    /* configuration: the "type" (cfg.name), its own keys and the defaults it changes */
    struct lc_cfg_plugin cfg;

    /* layout */
    long latency_allowance_s; /* how long after its file-name time a delivery may land */
    /* The stream's base prefix: "<folder>/AWSLogs/.../<region>/" into out. */
    int (*base_prefix)(const struct lc_stream *s, struct lc_buf *out);
    /* Listings that together hold every delivery whose file-name time is >= from (UTC), up to
     * now. Appends to out. */
    int (*listings)(const struct lc_stream *s, time_t from, time_t now, struct lc_listings *out);
    /* Classify a key and read the time its file name carries (0 when it has none). */
    enum lc_key_class (*classify)(const struct lc_stream *s, const char *key, time_t *name_time);

    /* content: the formats its delivery files are written in, NULL-ended, and which one a key is
     * in (NULL: always the first) */
    const struct lc_sample_format *const *formats;
    const struct lc_sample_format *(*sample_format)(const struct lc_stream *s, const char *key);
    bool old_records; /* its files describe earlier states: a fresh file with old records is
                       * not a replay */

    /* diagnosis: its delivery as the requests the service makes, and the model's own parameters
     * a stream gives (from its options and its status detail; NULL: none) */
    const struct lc_diag_model *diag;
    void (*diag_params)(const struct lc_stream *s, const cJSON *status, struct lc_diag_params *p);

    /* destination: whether the target's bucket can receive the deliveries at all (a bucket name
     * the service refuses, an encryption it cannot write with), from the bucket's name and its
     * reads (b: NULL when they were not made); true with out filled when it cannot. NULL: any
     * bucket can. */
    bool (*destination_unsupported)(const struct lc_stream *s, const struct lc_target_obs *b,
                                    struct lc_destination_problem *out);

    /* Control Tower: the landing zone manifest section whose "enabled" turns this source's
     * deliveries on and off ("centralizedLogging", "config"; NULL: none) */
    const char *controltower_section;

    /* status: where the service itself says whether delivery works, with the permissions its
     * calls need (preflight's rows for the status role); NULL: none */
    const struct lc_status_reader *status;
};

/* The registry: NULL-terminated, in probes/probes.c. */
extern const struct lc_probe *const lc_probes[];
const struct lc_probe *lc_probe_find(const char *name);
/* The format of the delivery file key of stream s. */
const struct lc_sample_format *lc_probe_format_of(const struct lc_stream *s, const char *key);
/* The Control Tower steps after a key or bucket policy edit (sources a landing zone sets up). */
struct lc_pol_names;
int lc_probe_controltower_steps(struct lc_pol_names *s);
/* The diagnosis parameters of stream s: its service and model, and the model's own. */
void lc_probe_diag_params(const struct lc_stream *s, const cJSON *status, struct lc_diag_params *p);
/* The manual's SOURCES list (roff): each type, its description, its max_age, its status
 * permissions and its own keys. 0 or LC_E_IO. */
int lc_probes_write_man(FILE *out);
/* A sample format of any probe by its name ("vpcflowlogs text"), NULL when none has it. */
const struct lc_sample_format *lc_probe_sample_format(const char *name);
/* A source's own option by key, for code outside its probe (tests, reports). */
const char *lc_source_option_string(const struct lc_source_cfg *src, const char *key);
bool lc_source_option_bool(const struct lc_source_cfg *src, const char *key);

/* Helpers for probes (probes/probes.c). */
int lc_listings_add(struct lc_listings *l, const char *prefix, const char *start_after,
                    const char *group_by, const char *suffix);
void lc_listings_free(struct lc_listings *l);
/* The folder before AWSLogs/ ("" or "folder/"): the source's prefix, else the target's. */
const char *lc_stream_folder(const struct lc_stream *s);

#endif
