/* The finding registry: every finding code logcanary reports, with its usual severity and its
 * description. Findings, reports, the incident state and the metrics name codes only through it,
 * and the FINDINGS section of the manual page is generated from it. */
#ifndef LC_CODES_H
#define LC_CODES_H

#include <stdio.h>

enum lc_severity { LC_SEV_INFO = 0, LC_SEV_WARNING, LC_SEV_CRITICAL };

/* In the order the metrics list them. */
enum lc_finding_code {
    LC_F_CANARY_FAILED = 0,
    LC_F_CANARY_WRITE_DENIED_KMS,
    LC_F_DELIVERY_MISSING,
    LC_F_ENCRYPTION_MISMATCH,
    LC_F_PROBE_ERROR,
    LC_F_READ_DENIED_KMS,
    LC_F_READ_DENIED_S3,
    LC_F_SAMPLE_INVALID,
    LC_F_KEY_POLICY_GAP,
    LC_F_BUCKET_POLICY_GAP,
    LC_F_KEY_UNUSABLE,
    LC_F_DELIVERY_STATUS_FAILED,
    LC_F_DIAGNOSIS_INCOMPLETE,
    LC_F_DESTINATION_UNSUPPORTED,
    LC_F_NEVER_DELIVERED,
    LC_F_UNMONITORED_DELIVERY,
    LC_F_COUNT
};

struct lc_finding_info {
    const char *name;          /* "DELIVERY_MISSING" */
    enum lc_severity severity; /* the highest it is reported at */
    const char *man;           /* the manual's description (roff, after the code's tag) */
};

const struct lc_finding_info *lc_finding_info(enum lc_finding_code c);
const char *lc_finding_name(enum lc_finding_code c);
/* The code named name; -1 when there is none. */
int lc_finding_parse(const char *name);
const char *lc_severity_name(enum lc_severity s);

/* The manual's list of findings (".TP", ".B <code>", the description), in registry order.
 * 0 or LC_E_IO. */
int lc_findings_write_man(FILE *out);

#endif
