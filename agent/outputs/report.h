/* Reports of a check: text for people, JSON (version 1) for machines. */
#ifndef LC_REPORT_H
#define LC_REPORT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>

#include "pipeline/check.h"
#include "pipeline/findings.h"

/* The JSON document: {"version":1,"status","streams":[...],"canaries":[...],"findings":[...]}. */
cJSON *lc_report_json_doc(const struct lc_observations *o, const struct lc_findings *f);
int lc_report_json(FILE *out, const struct lc_observations *o, const struct lc_findings *f);
int lc_report_text(FILE *out, const struct lc_observations *o, const struct lc_findings *f,
                   bool color);

#endif
