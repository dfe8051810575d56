/* Reports of a check: text for people, JSON (version 1) for machines, and an HTML page (a
 * coverage picture for people, with data attributes machines can check). */
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
/* One self-contained HTML5 page (inline CSS; nothing fetched): the header with the time, the
 * overall status, the coverage and what discovery said; one matrix per (target, source type) of
 * accounts by regions, a cell per stream coloured by its status; the canaries; the findings.
 * Every string is escaped. 0, LC_E_NOMEM or LC_E_IO (outputs/html.c). */
int lc_report_html(FILE *out, const struct lc_observations *o, const struct lc_findings *f);

/* "4m", "2h05m", "3d04h": a compact age of s seconds (negative: 0) into buf. Returns buf. */
const char *lc_report_age(long s, char *buf, size_t len);

#endif
