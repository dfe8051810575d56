/* JSON as logcanary prints it for people: 4-space indents, short scalar arrays on one line,
 * ending in '\n' (IAM statements and policies ready to paste). */
#ifndef LC_PRETTY_H
#define LC_PRETTY_H

#include <cjson/cJSON.h>

#include "core/buf.h"

/* 0, or LC_E_NOMEM. */
int lc_json_pretty(const cJSON *j, struct lc_buf *out);

#endif
