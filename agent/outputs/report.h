/* Reports of a check: text for people, JSON (version 1) for machines. */
#ifndef LC_REPORT_H
#define LC_REPORT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

#include "pipeline/check.h"
#include "pipeline/findings.h"

/* What was expected and what arrived: distinct accounts, regions and source types of the
 * checked streams, the streams by status (never delivered counted apart from missing), the
 * organization's accounts not expected, the accounts delivering unexpected. */
struct lc_coverage {
    size_t accounts, regions, sources, streams;
    size_t ok, stale, missing, never, invalid, denied, error;
    size_t not_expected, unmonitored;
};
void lc_report_coverage(const struct lc_observations *o, const struct lc_findings *f,
                        struct lc_coverage *c);
/* Why stream s is expected: its plan's reasons, and the bucket when its account's folder is
 * there. */
unsigned lc_report_expected_by(const struct lc_observations *o, const struct lc_stream *s);

/* The JSON document: {"version":1,"status","streams":[...],"canaries":[...],"findings":[...]}. */
cJSON *lc_report_json_doc(const struct lc_observations *o, const struct lc_findings *f);
int lc_report_json(FILE *out, const struct lc_observations *o, const struct lc_findings *f);
int lc_report_text(FILE *out, const struct lc_observations *o, const struct lc_findings *f,
                   bool color);

#endif
